// node:os's tmpdir and release, for the tests and tools, without @types/node (see assert.d.ts).
export function tmpdir(): string;
export function release(): string;
