// node:util's parseArgs, for the command lines of the examples, benchmarks and tools, without
// @types/node (see assert.d.ts).
export function parseArgs(config: {
  args?: string[];
  options?: Record<string, { type: "string" | "boolean"; short?: string; multiple?: boolean }>;
  strict?: boolean;
  allowPositionals?: boolean;
}): { values: Record<string, string | boolean | undefined>; positionals: string[] };
