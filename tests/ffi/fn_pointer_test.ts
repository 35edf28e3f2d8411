// How function pointers are called (rt.fn): on Deno and Node through vkshare's trampoline (a
// symbol that jumps to the pointer) on x86-64 Linux, through libffi's ffi_call with
// VKSHARE_FNPTR=libffi or for a signature the trampoline does not take, on Deno through
// Deno.UnsafeFnPointer with VKSHARE_FNPTR=deno; on Bun through CFunction. Every native type is
// called through a pointer to libc or libm and checked against the same function called by
// symbol; each path then shares memory between two Vulkan devices through the extension
// commands.
// @ts-types="../../cli/_node/child_process.d.ts"
import { spawnSync } from "node:child_process";
// @ts-types="../../cli/_node/fs.d.ts"
import { existsSync } from "node:fs";

import { assert, assertEquals } from "@std/assert";
import { LIBFFI_X86_64 } from "../../ffi/libffi.ts";
import { refuseOwnCode } from "../../ffi/own_code.ts";
import { rt } from "../../ffi/runtime.ts";
import { compileAndRun, haveCC } from "../../tools/layout_c.ts";
import { scriptCommand, test } from "../_harness.ts";
import { cannotShare } from "../_memory.ts";
import { libdl, symbolAddress, z } from "./_symbols.ts";

const deno = rt.name === "deno";

const call = <const P extends readonly string[], const R extends string>(
  lib: string,
  name: string,
  parameters: P,
  result: R,
) =>
  rt.fn(symbolAddress(lib, name), { parameters, result } as never) as unknown as (
    ...a: unknown[]
  ) => unknown;

/** Every native type through a pointer to libc or libm, against the answer by symbol. */
function checkEveryType(): void {
  assertEquals(call("libc.so.6", "abs", ["i32"], "i32")(-42), 42);
  assertEquals(call("libc.so.6", "labs", ["i64"], "i64")(-(2n ** 40n)), 2n ** 40n);
  assertEquals(call("libc.so.6", "strlen", ["buffer"], "usize")(z("vkshare")), 7n);
  assertEquals(call("libc.so.6", "toupper", ["i32"], "i32")(0x61), 0x41);
  const a = z("abcdef"), b = z("abcdeg");
  assert(
    (call("libc.so.6", "memcmp", ["buffer", "buffer", "usize"], "i32")(a, b, 6) as number) < 0,
  );
  assertEquals(call("libc.so.6", "memcmp", ["buffer", "buffer", "usize"], "i32")(a, b, 5), 0);
  const at = call("libc.so.6", "memchr", ["buffer", "i32", "usize"], "pointer")(a, 0x64, 6);
  assertEquals(rt.address(at as never) - rt.address(rt.pointerOf(a)), 3n);
  assertEquals(
    call("libc.so.6", "memchr", ["buffer", "i32", "usize"], "pointer")(a, 0x7a, 6),
    null,
  );
  assertEquals(call("libc.so.6", "strtod", ["buffer", "pointer"], "f64")(z("2.5e3"), null), 2500);
  assertEquals(call("libm.so.6", "sqrtf", ["f32"], "f32")(6.25), 2.5);
  assertEquals(call("libm.so.6", "pow", ["f64", "f64"], "f64")(2, 10), 1024);
  assertEquals(call("libc.so.6", "getpid", [], "i32")(), libdl.getpid());
  // A small buffer asked again after garbage collection still has its address.
  const small = new Uint8Array([1, 2, 3, 0]);
  const len = call("libc.so.6", "strlen", ["buffer"], "usize");
  let junk: unknown[] = [];
  for (let r = 0; r < 5; r++) junk = Array.from({ length: 100_000 }, (_, i) => ({ i }));
  assertEquals([len(small), junk.length], [3n, 100_000]);
}

/**
 * One function called again and again with arguments that change place, repeat, turn null or
 * come as addresses: a slot that keeps its last address must be rewritten whenever its argument
 * changes.
 */
function checkChangingArguments(): void {
  const cmp = call("libc.so.6", "memcmp", ["buffer", "buffer", "usize"], "i32");
  const a = z("abcdef"), b = z("abcdeg");
  const sign = (x: unknown) => Math.sign(x as number);
  const seen = [cmp(a, b, 6), cmp(a, b, 6), cmp(b, a, 6), cmp(b, a, 6), cmp(a, a, 6), cmp(b, b, 6)];
  assertEquals(seen.map(sign), [-1, -1, 1, 1, 0, 0]);
  const chr = call("libc.so.6", "memchr", ["pointer", "i32", "usize"], "pointer");
  const pa = rt.pointerOf(a), pb = rt.pointerOf(b);
  const found = [chr(pa, 0x66, 6), chr(pb, 0x67, 6), chr(pb, 0x66, 6), chr(pa, 0x67, 6)];
  assertEquals(
    found.map((p) => p === null ? null : rt.address(p as never)),
    [rt.address(pa) + 5n, rt.address(pb) + 5n, null, null],
  );
  // A buffer given as its address, then the view itself, then null (strtod's end pointer).
  const strtod = call("libc.so.6", "strtod", ["buffer", "buffer"], "f64");
  const end = new BigUint64Array(1), text = z("4.5x");
  assertEquals(strtod(text, end), 4.5);
  assertEquals(end[0], rt.address(rt.pointerOf(text)) + 3n);
  end[0] = 0n;
  assertEquals(strtod(rt.address(rt.pointerOf(text)), null), 4.5);
  assertEquals([strtod(text, end), end[0]], [4.5, rt.address(rt.pointerOf(text)) + 3n]);
  assertEquals(strtod(z("7"), null), 7);
}

/**
 * The trampoline's edges: splice takes six integer arguments (its sixth, the flags, read from
 * the stack into r9: an unknown flag is EINVAL, so it must arrive), getnameinfo seven (past the
 * trampoline: libffi calls it).
 */
function checkArgumentCounts(): void {
  using libc = rt.open(
    "libc.so.6",
    {
      pipe: { parameters: ["buffer"], result: "i32" },
      write: { parameters: ["i32", "buffer", "usize"], result: "isize" },
      read: { parameters: ["i32", "buffer", "usize"], result: "isize" },
      close: { parameters: ["i32"], result: "i32" },
    } as const,
  );
  const { pipe, write, read, close } = libc.symbols;
  const splice = call(
    "libc.so.6",
    "splice",
    ["i32", "pointer", "i32", "pointer", "usize", "u32"],
    "isize",
  );
  const from = new Int32Array(2), to = new Int32Array(2);
  assertEquals([pipe(from), pipe(to)], [0, 0]);
  try {
    assertEquals(write(from[1], z("abc"), 3), 3n);
    assertEquals(splice(from[0], null, to[1], null, 3n, 0x100), -1n, "SPLICE flag 0x100: EINVAL");
    assertEquals(splice(from[0], null, to[1], null, 3n, 0), 3n);
    const back = new Uint8Array(3);
    assertEquals(read(to[0], back, 3), 3n);
    assertEquals(new TextDecoder().decode(back), "abc");
  } finally {
    [...from, ...to].forEach((fd) => close(fd));
  }
  const getnameinfo = call(
    "libc.so.6",
    "getnameinfo",
    ["buffer", "u32", "buffer", "u32", "buffer", "u32", "i32"],
    "i32",
  );
  // sockaddr_in: AF_INET, port 8080 (big-endian), 127.0.0.1; NI_NUMERICHOST | NI_NUMERICSERV.
  const sa = new Uint8Array([2, 0, 0x1f, 0x90, 127, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0]);
  const host = new Uint8Array(64), serv = new Uint8Array(32);
  assertEquals(getnameinfo(sa, 16, host, 64, serv, 32, 3), 0);
  const text = (b: Uint8Array) => new TextDecoder().decode(b.subarray(0, b.indexOf(0)));
  assertEquals([text(host), text(serv)], ["127.0.0.1", "8080"]);
}

// On Deno's trampoline, a signature of no Vulkan extension table (libc's here) is bound when its
// first function is made: a library handle that stays open, by design (ffi/deno_trampoline.ts).
const bindsSignatures = { sanitizeResources: false };

test(
  "each native type crosses a function pointer as it crosses a symbol, on this runtime's path",
  bindsSignatures,
  () => {
    checkEveryType();
    checkChangingArguments();
    checkArgumentCounts();
  },
);

test(
  "where code cannot be made from strings, the shared wrappers call every type the same",
  bindsSignatures,
  () => {
    refuseOwnCode(true);
    try {
      // Function pointers (libffi on Deno and Node, CFunction and its wrapper on Bun)...
      checkEveryType();
      checkChangingArguments();
      checkArgumentCounts();
      // ...and symbols (their argument converters on Bun and Node).
      using libc = rt.open(
        "libc.so.6",
        {
          memcmp: { parameters: ["buffer", "buffer", "usize"], result: "i32" },
          labs: { parameters: ["i64"], result: "i64" },
        } as const,
      );
      const a = z("abcdef"), b = z("abcdeg");
      assertEquals(Math.sign(libc.symbols.memcmp(a, b, 6) as number), -1);
      assertEquals(Math.sign(libc.symbols.memcmp(b, a, 6n) as number), 1);
      assertEquals(libc.symbols.labs(-7), 7n);
    } finally {
      refuseOwnCode(false);
    }
  },
);

const ffiHeader = "/usr/include/x86_64-linux-gnu/ffi.h";
const noHeader = !haveCC()
  ? "no cc"
  : !existsSync(ffiHeader)
  ? `no ${ffiHeader} (libffi-dev)`
  : false;

test("ffi_cif's size and FFI_DEFAULT_ABI are ffi.h's", { skip: noHeader }, () => {
  const out = compileAndRun(
    '#include <ffi.h>\n#include <stdio.h>\nint main(void) { printf("[%zu, %d]", sizeof(ffi_cif), (int)FFI_DEFAULT_ABI); return 0; }\n',
  );
  assertEquals(JSON.parse(out), [LIBFFI_X86_64.cifBytes, LIBFFI_X86_64.abi]);
});

function roundTrip(fnptr: string | undefined): { code: number; out: string; err: string } {
  const [cmd, ...args] = scriptCommand(new URL("./_fnptr_round_trip.ts", import.meta.url).pathname);
  // Unset is the empty value: Deno's spawnSync passes on a variable that `env` leaves out.
  const env = { ...process.env, VKSHARE_FNPTR: fnptr ?? "" };
  const r = spawnSync(cmd, args, { encoding: "utf8", env });
  return { code: r.status ?? -1, out: r.stdout, err: r.stderr };
}

test(
  "each path shares memory between two devices through the extension commands",
  { skip: cannotShare("OPAQUE_FD") },
  () => {
    const asks = (p: string, path: string) => [p, path, `VKSHARE_FNPTR=${p} asks for ${path}`];
    // Unset, the child takes this process's path (unless this process was asked for another).
    const asked = (process.env.VKSHARE_FNPTR ?? "") !== "";
    const here = asked ? [] : [[undefined, rt.fnPointers, rt.fnPointersWhy]];
    const paths = deno
      ? [...here, asks("libffi", "libffi"), asks("deno", "UnsafeFnPointer")]
      : rt.name === "node"
      ? [...here, asks("libffi", "libffi")]
      : [[undefined, "CFunction", null]];
    for (const [fnptr, want, why] of paths) {
      const r = roundTrip(fnptr ?? undefined);
      assertEquals(r.code, 0, r.err);
      assertEquals(
        r.out,
        `fnPointers ${want}\nwhy ${why}\nbytes equal\n`,
        `VKSHARE_FNPTR=${fnptr}`,
      );
    }
    if (deno) {
      // A value it does not know is named, and the path is the unset variable's.
      const [r, unset] = [roundTrip("nonsense"), roundTrip(undefined)];
      assertEquals([r.code, unset.code], [0, 0], r.err + unset.err);
      assertEquals(r.out, unset.out);
      assert(
        r.err.includes('VKSHARE_FNPTR="nonsense" is none of trampoline, libffi and deno'),
        r.err,
      );
    }
  },
);

test(
  "on x86-64 Linux, Deno and Node call function pointers through the trampoline, Bun through CFunction",
  {
    skip: rt.os !== "linux" || rt.arch !== "x86_64"
      ? `the trampoline is x86-64 Linux code, and this is ${rt.os} ${rt.arch}`
      : process.env.VKSHARE_FNPTR && process.env.VKSHARE_FNPTR !== "trampoline"
      ? `VKSHARE_FNPTR=${process.env.VKSHARE_FNPTR} asks for another path`
      : false,
  },
  () => {
    const want = rt.name === "bun" ? "CFunction" : "trampoline";
    assertEquals([rt.fnPointers, rt.fnPointersWhy], [want, null]);
  },
);
