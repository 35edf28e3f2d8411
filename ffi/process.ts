/**
 * The parts of a {@linkcode Runtime} that Node's `process` object answers, shared by the Bun and
 * Node backends (Bun implements `process` too): the OS, the architecture, the environment,
 * signals and exit.
 *
 * @module
 */
import type { Runtime } from "./types.ts";

/** The parts of Node's `process` the backends use. */
export interface NodeProcess {
  arch: string;
  platform: string;
  version: string;
  env: Record<string, string | undefined>;
  getBuiltinModule?(id: string): unknown;
  on(signal: string, fn: () => void): void;
  off(signal: string, fn: () => void): void;
  exit(code: number): never;
}

/** The global `process` (Node and Bun). */
export const proc = (globalThis as unknown as { process: NodeProcess }).process;

/** What {@linkcode Runtime} asks that `process` answers. */
export const processParts: Pick<Runtime, "os" | "arch" | "env" | "onSignal" | "exit"> = {
  os: proc.platform === "win32" ? "windows" : proc.platform,
  arch: proc.arch === "x64" ? "x86_64" : proc.arch === "arm64" ? "aarch64" : proc.arch,
  env: (name) => proc.env[name],
  onSignal(signal, fn) {
    proc.on(signal, fn);
    return () => proc.off(signal, fn);
  },
  exit: (code) => proc.exit(code),
};

/**
 * Runs `load` without the one ExperimentalWarning that loading node:ffi prints: vkshare's
 * refusals and skips are one line on stderr, and a script that chose vkshare chose node:ffi
 * (the doctor names the runtime). Every other warning is printed as before.
 */
function quietly<T>(load: () => T): T {
  const p = proc as unknown as { emitWarning: (w: unknown, ...rest: unknown[]) => void };
  const emit = p.emitWarning;
  p.emitWarning = (w, ...rest) => {
    const text = String((w as { message?: string })?.message ?? w);
    const type = typeof rest[0] === "string" ? rest[0] : (rest[0] as { type?: string })?.type;
    if (type === "ExperimentalWarning" && text.startsWith("FFI ")) return;
    emit.call(proc, w, ...rest);
  };
  try {
    return load();
  } finally {
    p.emitWarning = emit;
  }
}

/**
 * Node's `node:ffi` module (Node 26.1 and later), loaded without its ExperimentalWarning; undefined
 * where this Node has none (older, or run with --no-experimental-ffi) or this is not Node.
 */
export function nodeFfi(): unknown {
  if (!proc?.getBuiltinModule) return undefined;
  try {
    return quietly(() => proc.getBuiltinModule!("node:ffi"));
  } catch {
    return undefined;
  }
}
