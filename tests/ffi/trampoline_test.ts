// The trampoline's image (ffi/trampoline.ts), read back as glibc's loader reads it: an ELF64
// shared object whose segments are never both writable and executable, whose stack is not
// executable, whose GNU property note says SHSTK, and whose one symbol, found through its hash
// table, is the documented code (disassembled by objdump, and the note read by readelf, where
// binutils is installed). No driver.
// @ts-types="../../cli/_node/child_process.d.ts"
import { spawnSync } from "node:child_process";
// @ts-types="../../cli/_node/fs.d.ts"
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
// @ts-types="../../cli/_node/os.d.ts"
import { tmpdir } from "node:os";

import { assert, assertEquals } from "@std/assert";
import { rt } from "../../ffi/runtime.ts";
import {
  GNU_PROPERTY_NOTE,
  MEMFD_CALLS,
  openTrampoline,
  platformRefusal,
  signatureKey,
  TRAMPOLINE_SONAME,
  TRAMPOLINE_SYMBOL,
  TRAMPOLINE_X86_64,
  trampolineImage,
  trampolineRefusal,
} from "../../ffi/trampoline.ts";
import { test } from "../_harness.ts";
import { assertNoFdLeak, openFdSet } from "../_memory.ts";
import { libdl, symbolAddress } from "./_symbols.ts";

const image = trampolineImage();
const v = new DataView(image.buffer);
const u16 = (o: number) => v.getUint16(o, true);
const u32 = (o: number) => v.getUint32(o, true);
const u64 = (o: number) => Number(v.getBigUint64(o, true));
const cstr = (o: number) => new TextDecoder().decode(image.subarray(o, image.indexOf(0, o)));

interface Segment {
  type: number;
  flags: number;
  offset: number;
  address: number;
  size: number;
  align: number;
}

function segments(): Segment[] {
  return Array.from({ length: u16(56) }, (_, i) => {
    const o = u64(32) + u16(54) * i;
    return {
      type: u32(o),
      flags: u32(o + 4),
      offset: u64(o + 8),
      address: u64(o + 16),
      size: u64(o + 32),
      align: u64(o + 48),
    };
  });
}

/** A loaded address as a file offset, through the PT_LOAD segment that holds it. */
function fileOffset(address: number): number {
  const s = segments().find((s) =>
    s.type === 1 && address >= s.address && address < s.address + s.size
  );
  assert(s, `no segment holds address ${address}`);
  return address - s.address + s.offset;
}

/** The dynamic section's entries, tag -> value. */
function dynamic(): Map<number, number> {
  const d = segments().find((s) => s.type === 2)!;
  const out = new Map<number, number>();
  for (let o = d.offset; u64(o) !== 0; o += 16) out.set(u64(o), u64(o + 8));
  return out;
}

/** The SysV ELF hash of a symbol name. */
function elfHash(name: string): number {
  let h = 0;
  for (const c of new TextEncoder().encode(name)) {
    h = ((h << 4) + c) >>> 0;
    const g = h & 0xf0000000;
    if (g) h ^= g >>> 24;
    h &= ~g >>> 0;
  }
  return h >>> 0;
}

/** The symbol `name` found as the loader finds it: its hash bucket, then its chain. */
function lookup(name: string): { value: number; size: number; info: number; shndx: number } {
  const d = dynamic();
  const hash = fileOffset(d.get(4)!),
    symtab = fileOffset(d.get(6)!),
    strtab = fileOffset(d.get(5)!);
  const nbucket = u32(hash), nchain = u32(hash + 4);
  for (
    let i = u32(hash + 8 + 4 * (elfHash(name) % nbucket));
    i !== 0;
    i = u32(hash + 8 + 4 * nbucket + 4 * i)
  ) {
    assert(i < nchain, `chain index ${i} past nchain ${nchain}`);
    const s = symtab + d.get(11)! * i;
    if (cstr(strtab + u32(s)) === name) {
      return { value: u64(s + 8), size: u64(s + 16), info: image[s + 4], shndx: u16(s + 6) };
    }
  }
  throw new Error(`${name} is not in the hash table`);
}

test("the trampoline's image is an x86-64 ELF shared object glibc's loader accepts", () => {
  assertEquals([...image.subarray(0, 8)], [0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0]);
  assertEquals([u16(16), u16(18), u32(20)], [3, 62, 1]); // ET_DYN, x86-64, EV_CURRENT
  assertEquals([u16(52), u16(54)], [64, 56]); // the sizes of its header and program headers
  const types = segments().map((s) => s.type);
  // PT_LOAD, PT_LOAD, PT_DYNAMIC, PT_GNU_STACK, PT_NOTE, PT_GNU_PROPERTY
  assertEquals(types, [1, 1, 2, 0x6474e551, 4, 0x6474e553]);
  for (const s of segments()) {
    assert((s.flags & 3) !== 3, `segment ${s.type} is both writable and executable`);
    if (s.type === 1) assertEquals(s.offset % s.align, s.address % s.align);
  }
  assertEquals(segments()[3].flags & 1, 0, "the stack is not executable");
  assertEquals(segments()[0].flags, 5, "the code's segment is read and execute");
  const loads = segments().filter((s) => s.type === 1);
  assert(loads[0].address + loads[0].size <= loads[1].address, "the segments do not overlap");
  assertEquals(segments()[2].offset, loads[1].offset, "the dynamic section is in the writable one");
  assertEquals(cstr(fileOffset(dynamic().get(5)!) + dynamic().get(14)!), TRAMPOLINE_SONAME);
});

test("its GNU property note, in the loaded code's segment, says the code is shadow-stack safe", () => {
  const [note, property] = segments().slice(4);
  const loads = segments().filter((s) => s.type === 1);
  for (const s of [note, property]) {
    assertEquals([s.offset, s.address, s.size, s.align], [note.offset, note.offset, 32, 8]);
    assertEquals(s.flags, 4, "read only");
  }
  assert(note.offset + note.size <= loads[0].size, "the loader reads it where it maps it");
  assertEquals([u32(note.offset), u32(note.offset + 4), u32(note.offset + 8)], [4, 16, 5]);
  assertEquals(cstr(note.offset + 12), "GNU");
  // One property: GNU_PROPERTY_X86_FEATURE_1_AND, 4 bytes of data, SHSTK (2) and not IBT (1).
  const p = note.offset + 16;
  assertEquals([u32(p), u32(p + 4), u32(p + 8), u32(p + 12)], [0xc0000002, 4, 2, 0]);
  assertEquals([...image.subarray(note.offset, note.offset + 32)], [...GNU_PROPERTY_NOTE]);
});

test("its one symbol, found through the hash table, is the documented code", () => {
  const sym = lookup(TRAMPOLINE_SYMBOL);
  assertEquals(sym.info, 0x12, "global function");
  assert(sym.shndx !== 0 && sym.shndx !== 0xfff1, "defined, and relative to the load address");
  assertEquals([...image.subarray(fileOffset(sym.value), fileOffset(sym.value) + sym.size)], [
    ...TRAMPOLINE_X86_64,
  ]);
});

const objdump = spawnSync("objdump", ["--version"], { encoding: "utf8" }).status === 0;
const readelf = spawnSync("readelf", ["--version"], { encoding: "utf8" }).status === 0;

/** What binutils' `tool` prints with `args` for `bytes` in a file (its path last); exit 0. */
function binutils(tool: string, args: string[], bytes: Uint8Array): { out: string; err: string } {
  const dir = mkdtempSync(`${tmpdir()}/vkshare-trampoline-`);
  try {
    writeFileSync(`${dir}/image`, bytes);
    const r = spawnSync(tool, [...args, `${dir}/image`], { encoding: "utf8" });
    assertEquals(r.status, 0, r.stderr);
    return { out: r.stdout, err: r.stderr };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test(
  "readelf reads the note as the x86 feature SHSTK",
  { skip: readelf ? false : "no readelf (binutils)" },
  () => {
    const r = binutils("readelf", ["-n", "-l", "-W"], image);
    assertEquals(r.err, "", "readelf found nothing to warn of");
    const at = segments()[5].offset.toString(16);
    assert(new RegExp(`^\\s+GNU_PROPERTY\\s+0x0*${at}\\s`, "m").test(r.out), r.out);
    assert(/NT_GNU_PROPERTY_TYPE_0\s+Properties: x86 feature: SHSTK$/m.test(r.out), r.out);
  },
);

test(
  "objdump reads the code as the eight instructions its comment spells",
  { skip: objdump ? false : "no objdump (binutils)" },
  () => {
    const args = ["-D", "-b", "binary", "-m", "i386:x86-64", "-M", "intel"];
    const r = binutils("objdump", args, new Uint8Array(TRAMPOLINE_X86_64));
    const code = r.out.split("\n").flatMap((l) => {
      const m = l.match(/^\s+[0-9a-f]+:\s+(?:[0-9a-f]{2} )+\s*(.+)$/);
      return m ? [m[1].replace(/\s+/g, " ").trim()] : [];
    });
    assertEquals(code, [
      "mov r11,rdi",
      "mov rdi,rsi",
      "mov rsi,rdx",
      "mov rdx,rcx",
      "mov rcx,r8",
      "mov r8,r9",
      "mov r9,QWORD PTR [rsp+0x8]",
      "jmp r11",
    ]);
  },
);

test("the trampoline takes 6 integer and 8 floating-point arguments, and names what it refuses", () => {
  const ints = (n: number) => Array.from({ length: n }, () => "pointer" as const);
  const floats = (n: number) => Array.from({ length: n }, () => "f64" as const);
  assertEquals(trampolineRefusal([]), null);
  // One binding per signature: the key tells parameters, their order and the result apart.
  assertEquals(signatureKey(["u32", "buffer"], "i32"), "u32,buffer>i32");
  assertEquals(signatureKey([], "void"), ">void");
  const keys = [
    signatureKey(["u32", "buffer"], "i32"),
    signatureKey(["buffer", "u32"], "i32"),
    signatureKey(["u32", "buffer"], "u32"),
    signatureKey(["u32"], "i32"),
  ];
  assertEquals(new Set(keys).size, keys.length);
  assertEquals(trampolineRefusal([...ints(6), ...floats(8)]), null);
  assertEquals(
    trampolineRefusal([...ints(6), "u32"]),
    "7 integer or pointer arguments (the trampoline takes 6)",
  );
  assertEquals(
    trampolineRefusal([...floats(5), "f32", ...floats(3)]),
    "9 floating-point arguments (the trampoline takes 8)",
  );
});

test("the trampoline runs on x86-64 Linux only, and says what else it found", () => {
  assertEquals(platformRefusal("linux", "x86_64"), null);
  assertEquals(
    platformRefusal("linux", "aarch64"),
    "its code is x86-64 Linux's, and this is linux aarch64",
  );
  assertEquals(
    platformRefusal("windows", "x86_64"),
    "its code is x86-64 Linux's, and this is windows x86_64",
  );
});

test(
  "opening the image from a memfd: the library, or the runtime's refusal; no fd left open",
  {
    skip: platformRefusal(rt.os, rt.arch) ?? false,
    // Each opening is a library handle of its own, closed here; Deno's sanitizer sees them.
    sanitizeResources: false,
  },
  () => {
    using libc = rt.open("libc.so.6", MEMFD_CALLS);
    const getpid = symbolAddress("libc.so.6", "getpid");
    const before = openFdSet();
    const call = { vks_call: { parameters: ["pointer"], result: "i32" } } as const;
    const opened = openTrampoline(libc.symbols, (path) => rt.open(path, call));
    assert("library" in opened, JSON.stringify(opened));
    // vks_call(getpid): getpid, with no argument left after the shift.
    assertEquals(opened.library.symbols.vks_call(getpid), libdl.getpid());
    opened.library.close();
    // A symbol the image lacks: the runtime refuses it, and the reason carries its message.
    const missing = { vks_missing: { parameters: [], result: "i32" } } as const;
    const refused = openTrampoline(libc.symbols, (path) => rt.open(path, missing));
    assert("refused" in refused, JSON.stringify(refused));
    assert(
      refused.refused.startsWith("the runtime did not open its image from a memfd: "),
      refused.refused,
    );
    assertNoFdLeak(before, "the memfd is closed after the opening, and after the refusal");
  },
);
