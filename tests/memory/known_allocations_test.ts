// Plain allocations planned once (memory/known_allocations.ts): the same options' values on the
// same device are not planned or encoded again; every other allocation still is, and every error
// is the one planning gives.
import { assert, assertEquals, assertThrows } from "@std/assert";
import { fastPaths } from "../../ffi/layout.ts";
import { KNOWN_ALLOCATIONS_MAX, knownAllocation } from "../../memory/known_allocations.ts";
import { Device, DeviceMemory, DisposedError, GpuBuffer } from "../../mod.ts";
import { test } from "../_harness.ts";
import { cannotShare } from "../_memory.ts";
import { forEachDevice } from "../_vk.ts";

type Options = Parameters<typeof DeviceMemory.allocate>[1];

/** The message `fn` throws, with the fast paths on or off. */
function thrown(on: boolean, fn: () => unknown): string {
  const was = fastPaths.enabled;
  fastPaths.enabled = on;
  try {
    fn();
  } catch (e) {
    return `${(e as Error).name}: ${(e as Error).message}`;
  } finally {
    fastPaths.enabled = was;
  }
  throw new Error("expected a throw");
}

test(
  "a plain allocation's plan is kept by its options' values; other values, targets and other devices are planned in full",
  { skip: cannotShare("OPAQUE_FD") },
  forEachDevice((pd) => {
    using d = Device.create(pd);
    using other = Device.create(pd);
    const opts = (): Options => ({
      size: 65536,
      exportAs: "OPAQUE_FD",
      properties: ["DEVICE_LOCAL"],
    });
    assertEquals(knownAllocation(d, opts()), undefined, "nothing allocated yet");
    using m1 = DeviceMemory.allocate(d, opts());
    const k = knownAllocation(d, opts());
    assert(k, "kept after the first allocation, found with a new options object");
    assertEquals(k.plan, { size: 65536n, memoryTypeIndex: m1.memoryTypeIndex, dedicated: false });
    assertEquals(k.exportMask, 1);
    // The second allocation, from the kept plan, is the same memory and exports.
    using m2 = DeviceMemory.allocate(d, opts());
    assertEquals([m2.size, m2.memoryTypeIndex, m2.exportHandleTypes], [
      65536,
      m1.memoryTypeIndex,
      1,
    ]);
    assert(m2.handle !== m1.handle);
    using e = m2.exportFd();
    assert(e.fd.fd >= 0);
    assert(knownAllocation(d, opts())?.info === k.info, "one entry, not a new one per call");
    // Any other value is another entry, not made yet.
    const others: Options[] = [
      { size: 65536n, exportAs: "OPAQUE_FD", properties: ["DEVICE_LOCAL"] },
      { size: 65536, properties: ["DEVICE_LOCAL"] },
      { size: 65536, exportAs: "OPAQUE_FD" },
      { size: 65536, exportAs: ["OPAQUE_FD"], properties: ["DEVICE_LOCAL"], dedicated: false },
      { size: 65536, exportAs: "OPAQUE_FD", memoryTypeIndex: m1.memoryTypeIndex },
      { size: 131072, exportAs: "OPAQUE_FD", properties: ["DEVICE_LOCAL"] },
    ];
    for (const [i, o] of others.entries()) {
      assertEquals(knownAllocation(d, o), undefined, `others[${i}]`);
    }
    assertEquals(knownAllocation(other, opts()), undefined, "another device");
    // An array naming the same handle type is the same value.
    assert(knownAllocation(d, { ...opts(), exportAs: ["OPAQUE_FD"] })?.info === k.info);
    // A target is never kept.
    using buf = GpuBuffer.create(d, { size: 65536, external: "OPAQUE_FD" });
    using bound = DeviceMemory.allocate(d, { for: buf, exportAs: "OPAQUE_FD" });
    assertEquals(knownAllocation(d, { for: buf, exportAs: "OPAQUE_FD" }), undefined);
    assertEquals(bound.size >= 65536, true);
  }),
);

test(
  "a device with kept allocations refuses bad options with planning's own errors",
  forEachDevice((pd) => {
    using d = Device.create(pd);
    using _m = DeviceMemory.allocate(d, { size: 4096 });
    using _n = DeviceMemory.allocate(d, { size: 4096, properties: ["DEVICE_LOCAL"] });
    assert(knownAllocation(d, { size: 4096 }));
    const bad: unknown[] = [
      { size: 4096, exportAs: "NOPE" },
      { size: 4096, properties: ["DEVICE_LOCAL", "NOPE"] },
      { size: 4096, properties: "DEVICE_LOCAL" },
      { size: -1 },
      { size: 0 },
      { size: 4096.5 },
      { size: "4096" },
      { size: 4096, memoryTypeIndex: 99 },
      { size: 4096, memoryTypeIndex: -1 },
      { size: 4096, dedicated: true },
      { size: 4096, dedicated: "yes" },
      { size: 4096, exportAs: "OPAQUE_FD", exportAsNV: "OPAQUE_WIN32" },
      null,
      undefined,
    ];
    for (const o of bad) {
      const run = () => DeviceMemory.allocate(d, o as Options);
      assertEquals(thrown(true, run), thrown(false, run), String(JSON.stringify(o)));
    }
    // A disposed device is refused, kept allocations or not.
    const gone = Device.create(pd);
    DeviceMemory.allocate(gone, { size: 4096 })[Symbol.dispose]();
    gone[Symbol.dispose]();
    assertThrows(() => knownAllocation(gone, { size: 4096 }), DisposedError);
    assertThrows(() => DeviceMemory.allocate(gone, { size: 4096 }), DisposedError);
  }),
);

test(
  "no allocation is kept with the fast paths off, and a device keeps a bounded number",
  forEachDevice((pd) => {
    using d = Device.create(pd);
    const was = fastPaths.enabled;
    fastPaths.enabled = false;
    try {
      DeviceMemory.allocate(d, { size: 4096 })[Symbol.dispose]();
      assertEquals(knownAllocation(d, { size: 4096 }), undefined);
    } finally {
      fastPaths.enabled = was;
    }
    assertEquals(knownAllocation(d, { size: 4096 }), undefined, "nothing kept while off");
    for (let i = 1; i <= KNOWN_ALLOCATIONS_MAX; i++) {
      DeviceMemory.allocate(d, { size: 4096 * i })[Symbol.dispose]();
    }
    assert(knownAllocation(d, { size: 4096 }), "the first still kept at the bound");
    DeviceMemory.allocate(d, { size: 4096 * (KNOWN_ALLOCATIONS_MAX + 1) })[Symbol.dispose]();
    assertEquals(knownAllocation(d, { size: 4096 }), undefined, "forgotten past the bound");
    assert(knownAllocation(d, { size: 4096 * (KNOWN_ALLOCATIONS_MAX + 1) }));
  }),
);
