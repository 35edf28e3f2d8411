// node:path's join, for the tests, without @types/node (see _node_assert.d.ts).
export function join(...parts: string[]): string;
