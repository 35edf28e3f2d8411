// Ranges inside shared memory (share/range.ts): the rules without a driver, and on a real driver
// a buffer bound at an offered range, a misaligned one refused, and an offer's range checked on
// both ends (a refused offer closes its fds). The cross-process run is in
// tests/ipc/process_test.ts.
import { assertEquals, assertRejects } from "@std/assert";
import { receiveOffer, sendOffer, ShareServer, ShareSocket } from "../../ipc/mod.ts";
import { bufferInRange } from "../../memory/mod.ts";
import { Device, DeviceMemory, GpuBuffer, ShareError, Transfer } from "../../mod.ts";
import { checkRange, checkRangeAlignment } from "../../share/mod.ts";
import { test } from "../_harness.ts";
import { cannotShare, openFds, pattern } from "../_memory.ts";
import { assertRule, forEachDevice } from "../_vk.ts";

const rule = (fn: () => unknown) => {
  try {
    fn();
  } catch (e) {
    if (e instanceof ShareError) return e.rule;
    throw e;
  }
  return null;
};

test("a range lies inside its memory: two integers, offset ≥ 0, size ≥ 1, ending at the memory's end at most", () => {
  assertEquals(checkRange({ offset: 0, size: 4096 }, 4096, "m"), { offset: 0, size: 4096 });
  assertEquals(checkRange({ offset: 4095, size: 1, extra: 1 }, 4096, "m"), {
    offset: 4095,
    size: 1,
  });
  for (
    const bad of [
      null,
      7,
      {},
      { offset: -1, size: 1 },
      { offset: 0, size: 0 },
      { offset: 0.5, size: 1 },
      { offset: "0", size: 1 },
      { offset: 2 ** 53, size: 1 },
      { offset: 4096, size: 1 },
      { offset: 1, size: 4096 },
    ]
  ) {
    assertEquals(
      rule(() => checkRange(bad, 4096, "m")),
      "RANGE_OUT_OF_BOUNDS",
      JSON.stringify(bad),
    );
  }
  checkRangeAlignment({ offset: 512, size: 1 }, 256, "b");
  assertEquals(
    rule(() => checkRangeAlignment({ offset: 320, size: 1 }, 256, "b")),
    "RANGE_MISALIGNED",
  );
});

test(
  "bufferInRange: a buffer at an offset of exported memory, its bytes where the range says; misaligned and outside ranges refused",
  { skip: cannotShare("OPAQUE_FD") },
  forEachDevice((pd) => {
    using device = Device.create(pd);
    using mem = DeviceMemory.allocate(device, {
      size: 1 << 20,
      exportAs: "OPAQUE_FD",
      properties: [],
    });
    using t = Transfer.create(device);
    using whole = bufferInRange(mem, { offset: 0, size: 1 << 20 });
    t.write(whole, pattern(1 << 20, 3));
    using part = bufferInRange(mem, { offset: 65536, size: 4096 });
    assertEquals(t.read(part), pattern(1 << 20, 3).subarray(65536, 65536 + 4096));
    const align = part.requirements.alignment;
    if (align > 1) {
      assertRule(() => bufferInRange(mem, { offset: 1, size: 64 }), "RANGE_MISALIGNED");
    }
    assertRule(() => bufferInRange(mem, { offset: 1 << 20, size: 64 }), "RANGE_OUT_OF_BOUNDS");
  }),
);

test(
  "an offer's range: checked before it is sent, and on arrival (a bad one closes the offer's fds)",
  { skip: cannotShare("OPAQUE_FD") },
  forEachDevice(async (pd) => {
    using device = Device.create(pd);
    using buffer = GpuBuffer.create(device, { size: 65536, external: "OPAQUE_FD" });
    using mem = DeviceMemory.allocate(device, { for: buffer, exportAs: "OPAQUE_FD" });
    using server = ShareServer.listen();
    using client = await ShareSocket.connect(server.address);
    using peer = await server.accept();
    using exp = mem.exportFd();
    const size = exp.descriptor.size;
    await assertRejects(
      () => sendOffer(client, { label: "x", memory: exp, range: { offset: size, size: 1 } }),
      ShareError,
    );
    await sendOffer(client, { label: "x", memory: exp, range: { offset: 4096, size: 8192 } });
    {
      using got = await receiveOffer(peer, { device });
      assertEquals(got.range, { offset: 4096, size: 8192 });
    }
    // A sender that lies about the range (past the memory): refused, its fd closed.
    const fds = openFds();
    await client.send({
      type: "offer",
      version: 1,
      label: "lie",
      memory: exp.descriptor,
      range: { offset: 0, size: size + 1 },
      semaphores: [],
      fences: [],
    }, [exp.fd]);
    const e = await assertRejects(() => receiveOffer(peer, { device }), ShareError);
    assertEquals(e.rule, "RANGE_OUT_OF_BOUNDS");
    assertEquals(openFds(), fds, "the received fd was closed");
    await assertRejects(
      () => sendOffer(client, { label: "x", range: { offset: 0, size: 1 } }),
      RangeError,
    );
  }),
);
