/**
 * Starting a peer: the command line that runs a script in a child process under the runtime
 * running this one (Deno, Bun), with all permissions. The doctor, the benchmarks and the tests
 * start their other process with it, and so can a script that shares with a child of its own.
 *
 * @module
 */

/**
 * How a child process names the script at `url` (a module's `import.meta.url`, or a path): its
 * path for a file, the URL itself otherwise (Deno runs `http:` scripts too), so that a script
 * loaded over HTTP or from a package cache can start itself again.
 *
 * @example
 * ```ts
 * scriptArgument(import.meta.url); // "/home/me/consumer.ts"
 * ```
 */
export function scriptArgument(url: string | URL): string {
  if (typeof url === "string" && !/^[a-z][a-z0-9+.-]*:/i.test(url)) return url;
  const u = new URL(url);
  return u.protocol === "file:" ? decodeURIComponent(u.pathname) : u.href;
}

/**
 * The command line (`[program, ...arguments]`) that runs `script` (a path, or a URL such as
 * `new URL("./consumer.ts", import.meta.url)`) with `args` under this runtime: `deno run -A` on
 * Deno, `bun` on Bun, `node` on Node. Give it to `node:child_process`'s `spawn`.
 *
 * @example
 * ```ts
 * import { spawn } from "node:child_process";
 * import { peerCommand } from "vkshare/ipc";
 *
 * const [program, ...args] = peerCommand(new URL("./consumer.ts", import.meta.url), [address]);
 * const child = spawn(program, args, { stdio: "inherit" });
 * ```
 */
export function peerCommand(script: string | URL, args?: readonly string[]): string[] {
  // deno-lint-ignore no-explicit-any
  const execPath: string = (globalThis as any).process?.execPath ?? "deno";
  const deno = "Deno" in globalThis && !("Bun" in globalThis);
  return [execPath, ...(deno ? ["run", "-A"] : []), scriptArgument(script), ...(args ?? [])];
}
