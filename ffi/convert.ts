/**
 * Argument conversion for the Bun and Node backends: a wrapper that converts each argument before
 * the runtime's FFI sees it, of the function's own arity (a rest array and a map cost Bun and Node
 * as much as the call itself), from code of its own (`own_code.ts`) where code can be made from
 * strings.
 *
 * @module
 */
import { compileOwn } from "./own_code.ts";

type Fn = (...a: unknown[]) => unknown;

/** An argument as it is. */
export const same = (a: unknown): unknown => a;

/**
 * `f`, with argument `i` converted by `c[i]` on every call (an argument whose converter is
 * {@linkcode same} passed as it is).
 */
export function converting(f: Fn, c: readonly ((a: unknown) => unknown)[]): Fn {
  const names = c.map((_, i) => `a${i}`);
  const args = c.map((x, i) => x === same ? `a${i}` : `c[${i}](a${i})`);
  const made = compileOwn(
    "parts",
    `const { f, c } = parts;\nreturn (${names.join(", ")}) => f(${args.join(", ")});`,
  );
  return made ? made({ f, c }) as Fn : sharedConverting(f, c);
}

/** {@linkcode converting} from closures shared by every wrapper. */
function sharedConverting(f: Fn, c: readonly ((a: unknown) => unknown)[]): Fn {
  const [c0, c1, c2, c3, c4, c5] = c;
  switch (c.length) {
    case 1:
      return (a) => f(c0(a));
    case 2:
      return (a, b) => f(c0(a), c1(b));
    case 3:
      return (a, b, d) => f(c0(a), c1(b), c2(d));
    case 4:
      return (a, b, d, e) => f(c0(a), c1(b), c2(d), c3(e));
    case 5:
      return (a, b, d, e, g) => f(c0(a), c1(b), c2(d), c3(e), c4(g));
    case 6:
      return (a, b, d, e, g, h) => f(c0(a), c1(b), c2(d), c3(e), c4(g), c5(h));
    default:
      return (...a) => f(...a.map((x, i) => c[i](x)));
  }
}
