/**
 * kernel32.dll, for what Windows handles need: `CloseHandle` (the counterpart of libc's `close`
 * for an NT handle vkshare owns) and `GetLastError`. Opened on first use only, so a script that
 * never closes a Windows handle never loads it; off Windows it is not there, and opening it is a
 * LibraryLoadError that says so.
 *
 * @module
 */
import { openFirst } from "./library.ts";
import type { FunctionsOf, Library } from "./types.ts";

/** The kernel32 functions vkshare calls. A HANDLE is pointer-sized: a u64 on 64-bit Windows. */
export const KERNEL32 = {
  CloseHandle: { parameters: ["u64"], result: "i32" }, // BOOL CloseHandle(HANDLE hObject)
  GetLastError: { parameters: [], result: "u32" }, // DWORD GetLastError(void)
} as const;

let lib: Library<typeof KERNEL32> | undefined;

/** kernel32.dll's functions, opened on first use (`VKSHARE_KERNEL32` overrides the path). */
export function kernel32(): FunctionsOf<typeof KERNEL32> {
  lib ??= openFirst(
    "kernel32",
    "VKSHARE_KERNEL32",
    ["kernel32.dll"],
    KERNEL32,
    "kernel32.dll is part of Windows: Windows handles (the _win32 handle types) exist only there",
  );
  return lib.symbols;
}
