// Addresses of C functions for the function-pointer tests: libc's dlopen and dlsym, opened once,
// as vkGet*ProcAddr gives a Vulkan command's.
import { rt } from "../../ffi/runtime.ts";

/** `s` as a NUL-terminated C string. */
export const z = (s: string): Uint8Array => new TextEncoder().encode(`${s}\0`);

/** libc's dlopen, dlsym and getpid, opened once (for the life of the process). */
export const libdl = rt.open(
  "libc.so.6",
  {
    dlopen: { parameters: ["buffer", "i32"], result: "pointer" },
    dlsym: { parameters: ["pointer", "buffer"], result: "pointer" },
    getpid: { parameters: [], result: "i32" },
  } as const,
).symbols;

/** The address of `name` in `library` (dlopen with RTLD_NOW, then dlsym). */
export const symbolAddress = (library: string, name: string): ReturnType<typeof libdl.dlsym> =>
  libdl.dlsym(libdl.dlopen(z(library), 2), z(name));
