// Transfer: writes, reads, fills and copies on the device's queue, with exact lengths and ranges.
import { assertEquals, assertThrows } from "@std/assert";
import { DeviceMemory, GpuBuffer, Transfer } from "../mod.ts";
import { test } from "./_harness.ts";
import { pattern, withTwoDevices } from "./_memory.ts";

test(
  "write, read, fill and copy move exactly the bytes asked for",
  withTwoDevices((a) => {
    using src = GpuBuffer.create(a, { size: 4096 });
    using dst = GpuBuffer.create(a, { size: 4096 });
    using _m1 = DeviceMemory.allocate(a, { for: src, properties: ["DEVICE_LOCAL"] });
    using _m2 = DeviceMemory.allocate(a, { for: dst, properties: ["DEVICE_LOCAL"] });
    using t = Transfer.create(a);
    t.fill(src, 0);
    t.write(src, new Uint8Array([7, 8, 9]), 5);
    assertEquals(
      t.read(src, { size: 3 }),
      new Uint8Array([0, 0, 0]),
      "a read of 3 bytes is 3 bytes",
    );
    assertEquals(t.read(src, { offset: 4, size: 5 }), new Uint8Array([0, 7, 8, 9, 0]));
    const p = pattern(1000, 9);
    t.write(src, p, 100);
    t.copy(src, dst, { srcOffset: 100, dstOffset: 12, size: 1000 });
    assertEquals(t.read(dst, { offset: 12, size: 1000 }), p);
    t.fill(dst, 0x04030201, { offset: 8, size: 8 });
    assertEquals(t.read(dst, { offset: 8, size: 8 }), new Uint8Array([1, 2, 3, 4, 1, 2, 3, 4]));
    assertEquals(t.read(dst).length, 4096);
    assertThrows(() => t.read(dst, { offset: 4000, size: 200 }), RangeError, "do not fit");
    assertThrows(() => t.write(dst, new Uint8Array(10), 4090), RangeError, "do not fit");
    assertThrows(() => t.fill(dst, 1, { offset: 2, size: 4 }), RangeError, "multiples of 4");
    assertThrows(() => t.fill(dst, -1), RangeError, "uint32");
  }),
);
