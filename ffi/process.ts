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
