// The few declarations of node:fs that the tests and tools use, so that type checking needs no
// @types/node (see assert.d.ts).
export function readFileSync(path: string | URL, encoding: "utf8"): string;
export function readFileSync(path: string | URL): Uint8Array;
export function writeFileSync(
  path: string,
  data: string | Uint8Array,
  options?: { flag?: string },
): void;
export function mkdtempSync(prefix: string): string;
export function rmSync(path: string, options?: { recursive?: boolean; force?: boolean }): void;
export function mkdirSync(path: string, options?: { recursive?: boolean; mode?: number }): void;
export function readdirSync(path: string, options?: { recursive?: boolean }): string[];
export function statSync(path: string): { size: number; mode: number };
export function realpathSync(path: string): string;
export function chmodSync(path: string, mode: number): void;
export function openSync(path: string, flags: string | number): number;
/** What fstatSync says of an open file. */
export interface Stats {
  readonly size: number;
  isFile(): boolean;
  isDirectory(): boolean;
  isFIFO(): boolean;
}
export function fstatSync(fd: number): Stats;
export function readSync(
  fd: number,
  buffer: Uint8Array,
  offset: number,
  length: number,
  position: number | null,
): number;
export function writeSync(
  fd: number,
  buffer: Uint8Array,
  offset?: number,
  length?: number,
  position?: number,
): number;
export function closeSync(fd: number): void;
export function existsSync(path: string): boolean;
export function unlinkSync(path: string): void;
export function symlinkSync(target: string, path: string): void;
