/**
 * A minimal reproduction, for Deno's issue tracker, of the runtime's share of an FFI call: the
 * same C function (libc's `getpid`, then `memcmp` with two buffers and a length, the shape of a
 * Vulkan call) called through its `Deno.dlopen` symbol and through a `Deno.UnsafeFnPointer` made
 * from its address, as every Vulkan extension command must be called (its address comes from
 * vkGetDeviceProcAddr). No vkshare code, no Vulkan.
 *
 *     deno run --allow-ffi bench/deno_fnpointer.ts [--calls N]
 *
 * Prints ns per call for each path, and the ratio.
 *
 * @module
 */
import { parseCli } from "../cli/_args.ts";

const cli = parseCli({
  name: "bench/deno_fnpointer.ts",
  summary:
    "Times one libc function through its Deno.dlopen symbol and through Deno.UnsafeFnPointer\n(made from the same address): the per-call cost the runtime adds to a function pointer.",
  flags: {
    calls: { type: "string", value: "N", description: "calls per timing", default: "1000000" },
  },
});
const calls = cli.int("calls", { min: 1000, max: 1e9 });
if (typeof Deno === "undefined") {
  console.error("bench/deno_fnpointer.ts: this reproduction is for Deno (run it with deno run)");
  process.exit(2);
}

const signatures = {
  getpid: { parameters: [], result: "i32" },
  memcmp: { parameters: ["buffer", "buffer", "usize"], result: "i32" },
} as const;
const lib = Deno.dlopen("libc.so.6", signatures);
const addresses = Deno.dlopen(
  "libc.so.6",
  {
    getpid: { type: "pointer" },
    memcmp: { type: "pointer" },
  } as const,
);

const a = new Uint8Array(64), b = new Uint8Array(64);
const viaPointer = {
  getpid: new Deno.UnsafeFnPointer(
    addresses.symbols.getpid as Deno.PointerObject<typeof signatures.getpid>,
    signatures.getpid,
  ),
  memcmp: new Deno.UnsafeFnPointer(
    addresses.symbols.memcmp as Deno.PointerObject<typeof signatures.memcmp>,
    signatures.memcmp,
  ),
};

function nsPerCall(fn: () => unknown): number {
  for (let i = 0; i < 10_000; i++) fn(); // warm up: the JIT and Deno's fast calls
  const t0 = performance.now();
  for (let i = 0; i < calls; i++) fn();
  return ((performance.now() - t0) * 1e6) / calls;
}

const rows = [
  ["getpid()", () => lib.symbols.getpid(), () => viaPointer.getpid.call()],
  [
    "memcmp(buffer, buffer, 64)",
    () => lib.symbols.memcmp(a, b, 64n),
    () => viaPointer.memcmp.call(a, b, 64n),
  ],
] as const;
console.log(`Deno ${Deno.version.deno} (V8 ${Deno.version.v8}), ${calls} calls each`);
for (const [what, dlopen, pointer] of rows) {
  const d = nsPerCall(dlopen), p = nsPerCall(pointer);
  console.log(
    `${what.padEnd(28)} Deno.dlopen ${d.toFixed(1).padStart(7)} ns   UnsafeFnPointer ${
      p.toFixed(1).padStart(7)
    } ns   ${(p / d).toFixed(1)}x`,
  );
}
lib.close();
addresses.close();
