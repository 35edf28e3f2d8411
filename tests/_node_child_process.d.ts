// The few declarations of node:child_process that the tests and tools use, so that type checking
// needs no @types/node (see _node_assert.d.ts).
export function spawnSync(
  command: string,
  args: readonly string[],
  options?: {
    encoding?: "utf8";
    stdio?: "inherit" | "ignore" | readonly ("ignore" | "pipe" | "inherit")[];
    env?: Record<string, string | undefined>;
  },
): { status: number | null; stdout: string; stderr: string };
