// The few declarations of node:child_process that the tests and tools use, so that type checking
// needs no @types/node (see assert.d.ts).
export function spawnSync(
  command: string,
  args: readonly string[],
  options?: {
    encoding?: "utf8";
    stdio?: "inherit" | "ignore" | readonly ("ignore" | "pipe" | "inherit")[];
    env?: Record<string, string | undefined>;
    cwd?: string;
  },
): { status: number | null; stdout: string; stderr: string; error?: Error };

/** A running child process. */
export interface ChildProcess {
  readonly pid: number | undefined;
  readonly stdout: { on(event: "data", listener: (chunk: Uint8Array) => void): void };
  readonly stderr: { on(event: "data", listener: (chunk: Uint8Array) => void): void };
  on(event: "exit", listener: (code: number | null, signal: string | null) => void): void;
  kill(signal?: string): boolean;
}

export function spawn(
  command: string,
  args: readonly string[],
  options?: { env?: Record<string, string | undefined>; stdio?: readonly ("ignore" | "pipe")[] },
): ChildProcess;
