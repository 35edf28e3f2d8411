// Transfer: writes, reads, fills and copies on the device's queue, with exact lengths and ranges.
import { assertEquals, assertThrows } from "@std/assert";
import { FORMAT_TEXEL_BYTES } from "../../core/mod.ts";
import { boundImage, imageBytes } from "../../memory/mod.ts";
import { DeviceMemory, GpuBuffer, GpuImage, Transfer } from "../../mod.ts";
import { test } from "../_harness.ts";
import { cannotShare, pattern, withTwoDevices } from "../_memory.ts";

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

test(
  "writeImage/readImage: an OPTIMAL image's bytes round-trip, every named color format, validated",
  withTwoDevices((a) => {
    using t = Transfer.create(a);
    const formats = [
      "R8_UNORM",
      "R8G8B8A8_UNORM",
      "B8G8R8A8_UNORM",
      "R32_SFLOAT",
      "R16G16B16A16_SFLOAT",
    ] as const;
    for (const format of formats) {
      using image = boundImage(a, { width: 37, height: 19, arrayLayers: 2, format });
      const bytes = imageBytes(image);
      assertEquals(bytes, 37 * 19 * 2 * FORMAT_TEXEL_BYTES[format]);
      // Values every format keeps exactly (finite half floats for R16G16B16A16_SFLOAT).
      const data = pattern(bytes, 3).map((b, i) =>
        format.includes("SFLOAT") ? (i % 2 ? 0x3c : 0) : b
      );
      t.writeImage(image, data);
      assertEquals(t.readImage(image), data, format);
    }
    using image = boundImage(a, { width: 4, height: 4 });
    assertThrows(() => t.writeImage(image, new Uint8Array(10)), RangeError, "holds 64 bytes");
    using noDst = boundImage(a, { width: 4, height: 4, usage: ["TRANSFER_SRC"] });
    assertThrows(() => t.writeImage(noDst, new Uint8Array(64)), RangeError, "TRANSFER_DST");
  }),
);

test(
  "an OPTIMAL image shared between devices (OPAQUE_FD) is checked byte for byte, released and acquired",
  { skip: cannotShare("OPAQUE_FD") },
  withTwoDevices((a, b) => {
    using imageA = boundImage(a, {
      width: 64,
      height: 32,
      external: "OPAQUE_FD",
      memory: { exportAs: "OPAQUE_FD" },
    });
    using exp = imageA.memory!.exportFd();
    using imageB = GpuImage.create(b, { width: 64, height: 32, external: "OPAQUE_FD" });
    using _m = DeviceMemory.importFd(b, exp.fd, exp.descriptor, { for: imageB });
    const data = pattern(imageBytes(imageA), 5);
    using ta = Transfer.create(a), tb = Transfer.create(b);
    ta.writeImage(imageA, data, { release: true });
    assertEquals(tb.readImage(imageB, { acquire: true }), data);
  }),
);

test(
  "an image handed off (releaseImage: to GENERAL, released) and taken back (acquireImage) keeps its bytes",
  withTwoDevices((a) => {
    const width = 16, height = 8;
    using image = boundImage(a, {
      width,
      height,
      format: "R8G8B8A8_UNORM",
      usage: ["TRANSFER_SRC", "TRANSFER_DST"],
      external: cannotShare("OPAQUE_FD") ? [] : "OPAQUE_FD",
    });
    const n = imageBytes(image);
    using src = GpuBuffer.create(a, { size: n });
    using dst = GpuBuffer.create(a, { size: n });
    using _m1 = DeviceMemory.allocate(a, { for: src });
    using _m2 = DeviceMemory.allocate(a, { for: dst });
    using t = Transfer.create(a);
    const p = pattern(n, 21);
    t.write(src, p);
    t.submit((r) =>
      r.imageBarrier({
        image,
        oldLayout: "UNDEFINED",
        newLayout: "TRANSFER_DST_OPTIMAL",
        srcStage: "TOP_OF_PIPE",
        dstStage: "TRANSFER",
        dstAccess: "TRANSFER_WRITE",
      }).copyBufferToImage(src, image).releaseImage(image, { oldLayout: "TRANSFER_DST_OPTIMAL" })
    );
    // Another API would use it here, in GENERAL; then it comes back.
    t.submit((r) =>
      r.acquireImage(image, { newLayout: "TRANSFER_SRC_OPTIMAL", dstAccess: "TRANSFER_READ" })
        .copyImageToBuffer(image, dst)
    );
    assertEquals(t.read(dst), p);
  }),
);
