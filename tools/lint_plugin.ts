/**
 * vkshare's own lint rules, run by `deno lint` (deno.json `lint.plugins`):
 *
 * - `vkshare/function-length`: no library function (outside tests/, bench/, tools/, examples/)
 *   is over {@linkcode MAX_FUNCTION_LINES} lines: a long one is rules or steps that want names.
 * - `vkshare/no-tests-import`: nothing outside tests/ imports from tests/ (the package, the
 *   examples, the benchmarks and the tools stand without the test suite).
 *
 * @module
 */

/** The longest a library function may be, in lines (its first to its last). */
export const MAX_FUNCTION_LINES = 100;

/** Where code is not the library: a path with one of these folders. */
const NOT_LIBRARY = /(^|\/)(tests|bench|tools|examples)\//;

/** Whether `filename` is under tests/. */
const inTests = (filename: string) => /(^|\/)tests\//.test(filename);

type Node = Deno.lint.Node;

/** The plugin. */
const plugin: Deno.lint.Plugin = {
  name: "vkshare",
  rules: {
    "function-length": {
      create(ctx) {
        if (NOT_LIBRARY.test(ctx.filename)) return {};
        const text = ctx.sourceCode.text;
        const lineOf = (offset: number) => text.slice(0, offset).split("\n").length;
        const check = (node: Node) => {
          const [start, end] = node.range;
          const lines = lineOf(end) - lineOf(start) + 1;
          if (lines <= MAX_FUNCTION_LINES) return;
          ctx.report({
            node,
            message:
              `a function of ${lines} lines (at most ${MAX_FUNCTION_LINES}): split it into named steps`,
          });
        };
        return {
          FunctionDeclaration: check,
          FunctionExpression: check,
          ArrowFunctionExpression: check,
        };
      },
    },
    "no-tests-import": {
      create(ctx) {
        if (inTests(ctx.filename)) return {};
        const check = (node: Node & { source?: { value?: unknown } | null }) => {
          const from = node.source?.value;
          if (typeof from !== "string" || !/(^|\/)tests\//.test(from)) return;
          ctx.report({ node, message: `imports ${from}: nothing outside tests/ imports tests/` });
        };
        return {
          ImportDeclaration: check,
          ExportNamedDeclaration: check,
          ExportAllDeclaration: check,
        };
      },
    },
  },
};

export default plugin;
