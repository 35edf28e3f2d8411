/**
 * The trampoline: a shared object of one function, written here byte by byte, that lets a
 * runtime call a C function pointer as fast as it calls a `dlopen` symbol.
 *
 * Deno calls a `Deno.dlopen` symbol through its fast path (about 70 ns on the H100), a
 * `Deno.UnsafeFnPointer` without one (1.3-2.4 µs), and libffi's `ffi_call` costs about 60 ns
 * more than the symbol it is bound as. Every Vulkan extension command is a function pointer. The
 * trampoline is a symbol, `vks_call(fn, a, b, ...)`, that moves each integer argument one
 * register down and jumps to `fn`: the runtime binds it once per signature (the pointer first,
 * then the command's parameters) and every call is a fast symbol call plus eight instructions.
 *
 * The code (x86-64 System V; 29 bytes, fixed: nothing a caller passes is written into it):
 *
 *     mov r11, rdi; mov rdi, rsi; mov rsi, rdx; mov rdx, rcx; mov rcx, r8; mov r8, r9
 *     mov r9, [rsp+8]; jmp r11
 *
 * Floating-point arguments stay in their xmm registers, and the return value (rax or xmm0) is
 * `fn`'s own. The target goes through r11 (scratch, never an argument), so that al, which a
 * variadic callee reads as its count of vector registers, is the caller's. A jump, not a call:
 * `fn` returns straight to the caller, with the stack as the caller left it.
 *
 * A signature fits when `fn` takes at most 6 integer or pointer arguments and at most 8
 * floating-point ones (nothing of `fn`'s on the stack); the seventh integer argument of the
 * trampoline is read from the stack into r9. Others go through libffi.
 *
 * The image is an ELF64 shared object with no section headers: a read-and-execute segment (the
 * headers, a GNU property note, the symbol and hash tables, the code), a read-write one (the
 * dynamic section, which glibc's loader relocates in place), PT_DYNAMIC, PT_GNU_STACK (without it
 * glibc would ask for an executable stack), and PT_NOTE and PT_GNU_PROPERTY over the note. The
 * note marks the code as shadow-stack safe (x86 feature SHSTK: it jumps, so `fn` returns to the
 * return address the caller's call pushed), so that a process with CET shadow stacks on can load
 * it; not IBT, whose indirect-branch targets start with `endbr64` (no Linux enables IBT for user
 * programs). A backend writes it to a memfd and opens it by `/proc/self/fd/N`, then by its
 * soname.
 *
 * @module
 */
import { compileOwn } from "./own_code.ts";
import type { NativeType, SymbolTable } from "./types.ts";

/**
 * The variable that picks how function pointers are called: `trampoline` (the default), `libffi`,
 * or on Deno `deno` (`Deno.UnsafeFnPointer`).
 */
export const FNPTR_ENV = "VKSHARE_FNPTR";

/** The trampoline's symbol. */
export const TRAMPOLINE_SYMBOL = "vks_call";

/** The image's DT_SONAME: once loaded, `dlopen` of this name finds it without a file. */
export const TRAMPOLINE_SONAME = "libvkshare-trampoline.so";

/** The x86-64 code of {@linkcode TRAMPOLINE_SYMBOL}, one instruction a row. */
const X86_64_INSTRUCTIONS: readonly (readonly number[])[] = [
  [0x49, 0x89, 0xfb], // mov r11, rdi
  [0x48, 0x89, 0xf7], // mov rdi, rsi
  [0x48, 0x89, 0xd6], // mov rsi, rdx
  [0x48, 0x89, 0xca], // mov rdx, rcx
  [0x4c, 0x89, 0xc1], // mov rcx, r8
  [0x4d, 0x89, 0xc8], // mov r8, r9
  [0x4c, 0x8b, 0x4c, 0x24, 0x08], // mov r9, [rsp+8]
  [0x41, 0xff, 0xe3], // jmp r11
];

/** The x86-64 code of {@linkcode TRAMPOLINE_SYMBOL}, as the module's comment spells it. */
export const TRAMPOLINE_X86_64: readonly number[] = X86_64_INSTRUCTIONS.flat();

/** One key per signature, for a backend's bindings of the symbol (`u32,buffer>i32`). */
export function signatureKey(params: readonly NativeType[], result: NativeType): string {
  return `${params.join(",")}>${result}`;
}

const FLOAT: ReadonlySet<NativeType> = new Set(["f32", "f64"]);

/**
 * Why the trampoline cannot call a function of these parameters (one of `fn`'s arguments would
 * be on the stack), or null when it can.
 */
export function trampolineRefusal(parameters: readonly NativeType[]): string | null {
  const floats = parameters.filter((t) => FLOAT.has(t)).length;
  const integers = parameters.length - floats;
  if (integers > 6) return `${integers} integer or pointer arguments (the trampoline takes 6)`;
  if (floats > 8) return `${floats} floating-point arguments (the trampoline takes 8)`;
  return null;
}

const PAGE = 0x1000;
const EHDR = 64, PHDR = 56, PHNUM = 6, SYM = 24, DYN = 16;
const PT_LOAD = 1, PT_DYNAMIC = 2, PT_NOTE = 4, PT_GNU_STACK = 0x6474e551;
const PT_GNU_PROPERTY = 0x6474e553;
const PF_X = 1, PF_W = 2, PF_R = 4;
const DT = { NULL: 0, HASH: 4, STRTAB: 5, SYMTAB: 6, STRSZ: 10, SYMENT: 11, SONAME: 14 };

const align = (n: number, to: number) => Math.ceil(n / to) * to;

/** Where each part of the image lies (file offsets; the read-only part's addresses are equal). */
function imageLayout(strtab: Uint8Array, code: readonly number[]) {
  const note = align(EHDR + PHDR * PHNUM, 8);
  const hash = note + GNU_PROPERTY_NOTE.length;
  const symtab = align(hash + 4 * 4, 8); // nbucket, nchain, one bucket, two chains
  const strings = symtab + 2 * SYM;
  const text = align(strings + strtab.length, 16);
  const dynamic = align(text + code.length, 8);
  const dynEntries = 7;
  return { note, hash, symtab, strings, text, dynamic, dynBytes: DYN * dynEntries };
}

/**
 * The note of the x86 features the code is safe for (`.note.gnu.property`, as `ld` writes it for
 * `-z shstk`): NT_GNU_PROPERTY_TYPE_0 of owner "GNU", one GNU_PROPERTY_X86_FEATURE_1_AND property
 * whose 4 bytes say SHSTK (2), padded to 8.
 */
export const GNU_PROPERTY_NOTE: readonly number[] = [
  ...[4, 0, 0, 0], // n_namesz: "GNU\0"
  ...[16, 0, 0, 0], // n_descsz: one property of 8 bytes and its data, padded
  ...[5, 0, 0, 0], // n_type: NT_GNU_PROPERTY_TYPE_0
  ...[0x47, 0x4e, 0x55, 0], // "GNU\0"
  ...[0x02, 0, 0, 0xc0], // pr_type: GNU_PROPERTY_X86_FEATURE_1_AND
  ...[4, 0, 0, 0], // pr_datasz
  ...[2, 0, 0, 0], // pr_data: GNU_PROPERTY_X86_FEATURE_1_SHSTK
  ...[0, 0, 0, 0], // padding to 8
];

/**
 * The ELF64 image (little-endian, `machine` 62 for x86-64) of a shared object whose one global
 * function {@linkcode TRAMPOLINE_SYMBOL} is `code`.
 */
export function trampolineImage(
  code: readonly number[] = TRAMPOLINE_X86_64,
  machine = 62,
): Uint8Array {
  const enc = new TextEncoder();
  const strtab = enc.encode(`\0${TRAMPOLINE_SYMBOL}\0${TRAMPOLINE_SONAME}\0`);
  const soname = 1 + TRAMPOLINE_SYMBOL.length + 1;
  const at = imageLayout(strtab, code);
  const size = at.dynamic + at.dynBytes;
  const bytes = new Uint8Array(size);
  const v = new DataView(bytes.buffer);
  const u16 = (o: number, x: number) => v.setUint16(o, x, true);
  const u32 = (o: number, x: number) => v.setUint32(o, x, true);
  const u64 = (o: number, x: number) => v.setBigUint64(o, BigInt(x), true);
  // The ELF header.
  bytes.set([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0], 0); // ELF, 64-bit, little-endian, v1, SysV
  u16(16, 3); // ET_DYN
  u16(18, machine);
  u32(20, 1); // EV_CURRENT
  u64(32, EHDR); // e_phoff
  u16(52, EHDR);
  u16(54, PHDR);
  u16(56, PHNUM);
  u16(58, 64); // e_shentsize (no sections)
  // The program headers: the read-only part, the dynamic section a page above, PT_DYNAMIC,
  // PT_GNU_STACK (a stack that is not executable), the property note as PT_NOTE and as
  // PT_GNU_PROPERTY (what glibc 2.32 and later read).
  const dynAddress = PAGE + at.dynamic;
  const phdr = (i: number, type: number, flags: number, off: number, addr: number, len: number) => {
    const o = EHDR + PHDR * i;
    u32(o, type);
    u32(o + 4, flags);
    u64(o + 8, off);
    u64(o + 16, addr);
    u64(o + 24, addr);
    u64(o + 32, len);
    u64(o + 40, len);
    u64(o + 48, type === PT_LOAD ? PAGE : type === PT_GNU_STACK ? 16 : 8);
  };
  phdr(0, PT_LOAD, PF_R | PF_X, 0, 0, at.dynamic);
  phdr(1, PT_LOAD, PF_R | PF_W, at.dynamic, dynAddress, at.dynBytes);
  phdr(2, PT_DYNAMIC, PF_R | PF_W, at.dynamic, dynAddress, at.dynBytes);
  phdr(3, PT_GNU_STACK, PF_R | PF_W, 0, 0, 0);
  phdr(4, PT_NOTE, PF_R, at.note, at.note, GNU_PROPERTY_NOTE.length);
  phdr(5, PT_GNU_PROPERTY, PF_R, at.note, at.note, GNU_PROPERTY_NOTE.length);
  bytes.set(GNU_PROPERTY_NOTE, at.note);
  // The SysV hash table: one bucket, whose chain is the one symbol (index 1).
  [1, 2, 1, 0, 0].forEach((x, i) => u32(at.hash + 4 * i, x));
  // The symbol table: the null symbol, then the function (global, STT_FUNC, in "section" 1: any
  // index but SHN_UNDEF and SHN_ABS, so that the loader adds the load address).
  const sym = at.symtab + SYM;
  u32(sym, 1);
  bytes[sym + 4] = 0x12; // STB_GLOBAL << 4 | STT_FUNC
  u16(sym + 6, 1);
  u64(sym + 8, at.text);
  u64(sym + 16, code.length);
  bytes.set(strtab, at.strings);
  bytes.set(code, at.text);
  // The dynamic section.
  const dyn: [number, number][] = [
    [DT.HASH, at.hash],
    [DT.STRTAB, at.strings],
    [DT.SYMTAB, at.symtab],
    [DT.STRSZ, strtab.length],
    [DT.SYMENT, SYM],
    [DT.SONAME, soname],
    [DT.NULL, 0],
  ];
  dyn.forEach(([tag, value], i) => {
    u64(at.dynamic + DYN * i, tag);
    u64(at.dynamic + DYN * i + 8, value);
  });
  return bytes;
}

/** libc's calls that {@linkcode openTrampoline} needs, as a symbol table for a backend to open. */
export const MEMFD_CALLS = {
  memfd_create: { parameters: ["buffer", "u32"], result: "i32" },
  write: { parameters: ["i32", "buffer", "usize"], result: "isize" },
  close: { parameters: ["i32"], result: "i32" },
} as const satisfies SymbolTable;

/** The libc calls that {@linkcode openTrampoline} needs, as a backend binds them. */
export interface MemfdCalls {
  /** `memfd_create(name, flags)`: a new fd, or -1. */
  memfd_create(name: Uint8Array, flags: number): number;
  /** `write(fd, bytes, length)`: the count written, or -1. */
  write(fd: number, bytes: Uint8Array, length: bigint): number | bigint;
  /** `close(fd)`. */
  close(fd: number): number;
}

const MFD_CLOEXEC = 1;

/** Why the trampoline cannot run on this OS and architecture (`rt.os`, `rt.arch`), or null. */
export function platformRefusal(os: string, arch: string): string | null {
  return os === "linux" && arch === "x86_64"
    ? null
    : `its code is x86-64 Linux's, and this is ${os} ${arch}`;
}

/** What {@linkcode openTrampoline} gives: the opened library, or why it did not open. */
export type Opened<L> = { library: L } | { refused: string };

/**
 * The trampoline opened by `open`: the image written into a new memfd (close-on-exec), given to
 * `open` as `/proc/self/fd/N`, the memfd closed after. Where a step fails (no memfd, a short
 * write, or `open` throws: a kernel that refuses executable memfds, a runtime that refuses the
 * path or a symbol), the step and its error; the memfd is closed either way.
 */
export function openTrampoline<L>(libc: MemfdCalls, open: (path: string) => L): Opened<L> {
  const fd = libc.memfd_create(new TextEncoder().encode("vkshare-trampoline\0"), MFD_CLOEXEC);
  if (fd < 0) return { refused: "memfd_create failed" };
  try {
    const image = trampolineImage();
    for (let done = 0; done < image.length;) {
      const rest = image.subarray(done);
      const n = Number(libc.write(fd, rest, BigInt(rest.length)));
      if (n <= 0) return { refused: "writing its image into a memfd failed" };
      done += n;
    }
    return { library: open(`/proc/self/fd/${fd}`) };
  } catch (e) {
    const said = String((e as Error)?.message ?? e).replace(/\s+/g, " ").slice(0, 200);
    return { refused: `the runtime did not open its image from a memfd: ${said}` };
  } finally {
    libc.close(fd);
  }
}

/**
 * `(a0, ..., an-1) => sym(first, a0, ..., an-1)`: a function pointer's call through the
 * trampoline's binding `sym`, the pointer first. Code of its own where it can be made, so that
 * its call of `sym` stays monomorphic (`own_code.ts` says why); a shared closure otherwise.
 */
export function pointerFirst(
  sym: (...a: unknown[]) => unknown,
  first: unknown,
  arity: number,
): (...a: unknown[]) => unknown {
  const names = Array.from({ length: arity }, (_, i) => `a${i}`);
  const make = compileOwn(
    "p",
    `const { sym, first } = p;\nreturn (${names.join(", ")}) => sym(${
      ["first", ...names].join(", ")
    });`,
  );
  if (make) return make({ sym, first }) as (...a: unknown[]) => unknown;
  return (...a) => sym(first, ...a);
}
