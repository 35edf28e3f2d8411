// node:path's join, for the tests, without @types/node (see assert.d.ts).
export function join(...parts: string[]): string;
