// node:os's tmpdir and release, for the tests and tools, without @types/node (see _node_assert.d.ts).
export function tmpdir(): string;
export function release(): string;
