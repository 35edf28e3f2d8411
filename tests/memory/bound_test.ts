// boundBuffer/boundImage: a buffer or image with memory of its own in one call, bound, mapped or
// exported through `.memory`, and disposed together; a refused allocation leaves nothing behind.
import { assert, assertEquals, assertThrows } from "@std/assert";
import { boundBuffer, boundImage } from "../../memory/mod.ts";
import { Device, DeviceMemory, GpuBuffer, ShareError } from "../../mod.ts";
import { test } from "../_harness.ts";
import { assertNoFdLeak, cannotShare, caps, openFdSet } from "../_memory.ts";
import { forEachDevice } from "../_vk.ts";

test(
  "boundBuffer: bound memory of its own, mapped, disposed with the buffer",
  {
    skip: caps.hostVisible ? false : "no host-visible memory type",
  },
  forEachDevice((pd) => {
    using d = Device.create(pd);
    const buffer = boundBuffer(d, {
      size: 65536,
      memory: { properties: ["HOST_VISIBLE", "HOST_COHERENT"] },
    });
    const memory = buffer.memory!;
    assert(memory instanceof DeviceMemory);
    assertEquals(buffer.memoryOffset, 0);
    assert(memory.size >= 65536);
    memory.map().fill(7);
    buffer[Symbol.dispose]();
    assert(buffer.disposed && memory.disposed, "the memory goes with the buffer");
    buffer[Symbol.dispose](); // twice is fine
  }),
);

test(
  "boundBuffer and boundImage: exportable memory, imported into another device",
  {
    skip: cannotShare("OPAQUE_FD"),
  },
  forEachDevice((pd) => {
    using a = Device.create(pd), b = Device.create(pd);
    using buffer = boundBuffer(a, {
      size: 65536,
      external: "OPAQUE_FD",
      memory: { exportAs: "OPAQUE_FD" },
    });
    using exp = buffer.memory!.exportFd();
    using other = boundBuffer(b, { size: 65536, external: "OPAQUE_FD" }); // its own memory
    assert(other.memory !== null);
    using target = GpuBuffer.create(b, { size: 65536, external: "OPAQUE_FD" });
    using _m = DeviceMemory.importFd(b, exp.fd, exp.descriptor, { for: target });
    using image = boundImage(a, {
      width: 64,
      height: 64,
      external: "OPAQUE_FD",
      memory: { exportAs: "OPAQUE_FD" },
    });
    assert(image.memory !== null && image.memory.size >= image.requirements.size);
  }),
);

test(
  "boundBuffer: a refused allocation is the ShareError of its rule, and leaks no fd",
  forEachDevice((pd) => {
    using d = Device.create(pd);
    const fds = openFdSet();
    const e = assertThrows(
      () =>
        boundBuffer(d, { size: 4096, memory: { properties: ["PROTECTED", "LAZILY_ALLOCATED"] } }),
      ShareError,
    );
    assertEquals(e.rule, "NO_MEMORY_TYPE");
    assertNoFdLeak(fds);
  }),
);
