// The few declarations of node:assert/strict that tests/_assert.ts uses, so that type checking
// needs no @types/node (which would have to come from npm on every machine, the GPU one included).
declare class AssertionError extends Error {
  constructor(options: { message?: string });
}
declare const assert: {
  ok(value: unknown, message?: string): void;
  deepStrictEqual(actual: unknown, expected: unknown, message?: string): void;
  notDeepStrictEqual(actual: unknown, expected: unknown, message?: string): void;
  strictEqual(actual: unknown, expected: unknown, message?: string): void;
  match(value: string, regExp: RegExp, message?: string): void;
  AssertionError: typeof AssertionError;
};
export default assert;
