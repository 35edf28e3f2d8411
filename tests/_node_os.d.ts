// node:os's tmpdir, for the tests, without @types/node (see _node_assert.d.ts).
export function tmpdir(): string;
