// Host pointers (VK_EXT_external_memory_host): bytes written in JS appear through Vulkan and
// back; alignment is checked; the host memory outlives its dispose while Vulkan uses it; a shared
// allocation (a memfd mapping, for another process) is what its file holds.
// @ts-types="../../cli/_node/fs.d.ts"
import { readFileSync, writeFileSync } from "node:fs";

import { assert, assertEquals, assertStringIncludes, assertThrows } from "@std/assert";
import { rt } from "../../ffi/runtime.ts";
import { DeviceMemory, GpuBuffer, HostAllocation, ShareError, Transfer } from "../../mod.ts";
import { describeFd } from "../../share/mod.ts";
import { test } from "../_harness.ts";
import { assertNoFdLeak, caps, openFdSet, pattern, withTwoDevices } from "../_memory.ts";

const skip = caps.host.importable
  ? false
  : caps.host.why ?? `${caps.name} cannot import host memory`;

test(
  "host pointer import: JS bytes seen by Vulkan, Vulkan writes seen by JS",
  { skip },
  withTwoDevices((a) => {
    const align = a.physicalDevice.minImportedHostPointerAlignment!;
    const host = HostAllocation.create(65536, align);
    assertEquals(host.address % BigInt(align), 0n);
    const p = pattern(65536, 7);
    host.bytes.set(p);
    using buffer = GpuBuffer.create(a, { size: 65536, external: "HOST_ALLOCATION" });
    using memory = DeviceMemory.importHostPointer(a, host, { for: buffer });
    assertEquals(memory.importedAs, 0x80);
    using t = Transfer.create(a);
    assertEquals(t.read(buffer), p, "JS → Vulkan");
    t.fill(buffer, 0xa5a5a5a5);
    assert(host.bytes.every((x) => x === 0xa5), "Vulkan → JS");
    // dispose the host allocation first: JS loses its view, Vulkan keeps the memory
    host[Symbol.dispose]();
    assertEquals(host.bytes.length, 0);
    t.fill(buffer, 0x01010101);
    assert(t.read(buffer, { size: 16 }).every((x) => x === 1), "still usable from Vulkan");
  }),
);

test(
  "host pointer import refuses unaligned pointers and sizes, and buffers not declared external",
  { skip },
  withTwoDevices((a) => {
    const align = Number(a.physicalDevice.minImportedHostPointerAlignment!);
    using host = HostAllocation.create(4 * align, align);
    for (const view of [host.bytes.subarray(1, 1 + align), host.bytes.subarray(0, align - 1)]) {
      const e = assertThrows(() => DeviceMemory.importHostPointer(a, view), ShareError);
      assertEquals(e.rule, "ALIGNMENT");
    }
    using plain = GpuBuffer.create(a, { size: align });
    const e = assertThrows(
      () => DeviceMemory.importHostPointer(a, host, { for: plain }),
      ShareError,
    );
    assertEquals(e.rule, "NOT_EXTERNAL");
    // an aligned view of it imports
    using m = DeviceMemory.importHostPointer(a, host.bytes.subarray(align, 3 * align));
    assertEquals(m.size, 2 * align);
  }),
);

/** An aligned view of `size` bytes in a new ArrayBuffer (resizable up to 64 MiB when asked). */
function alignedView(size: number, align: number, resizable: boolean): Uint8Array {
  const ab = resizable
    ? new ArrayBuffer(size + align, { maxByteLength: 64 << 20 })
    : new ArrayBuffer(size + align);
  const at = Number(rt.address(rt.pointerOf(new Uint8Array(ab))) % BigInt(align));
  return new Uint8Array(ab, (align - at) % align, size);
}

test(
  "a view of a fixed-length ArrayBuffer imports; one of a resizable ArrayBuffer is refused first",
  { skip },
  withTwoDevices((a) => {
    const align = Number(a.physicalDevice.minImportedHostPointerAlignment!);
    const view = alignedView(4 * align, align, false);
    view.set(pattern(4 * align, 3));
    using buffer = GpuBuffer.create(a, { size: 4 * align, external: "HOST_ALLOCATION" });
    using _m = DeviceMemory.importHostPointer(a, view, { for: buffer });
    using t = Transfer.create(a);
    assertEquals(t.read(buffer), view, "JS → Vulkan");
    // A resize() would unmap pages under the GPU (lavapipe then crashes): refused, as planned.
    const growing = alignedView(4 * align, align, true);
    for (const f of [DeviceMemory.importHostPointer, DeviceMemory.planHostImport]) {
      const e = assertThrows(() => f(a, growing), TypeError);
      assertStringIncludes(e.message, "resizable ArrayBuffer (maxByteLength 67108864)");
      assertStringIncludes(e.message, "HostAllocation.create");
    }
    (growing.buffer as ArrayBuffer & { resize(n: number): void }).resize(0);
    assertEquals(t.read(buffer), view, "the imported view is untouched");
  }),
);

test("a host allocation whose bytes were transferred away: zero pages replace it at dispose", () => {
  const before = openFdSet();
  for (const shared of [false, true]) {
    const host = shared ? HostAllocation.createShared(65536) : HostAllocation.create(65536);
    host.bytes.fill(5);
    // The script hands the bytes to another ArrayBuffer (as a postMessage to a Worker would).
    const moved = new Uint8Array((host.bytes.buffer as ArrayBuffer).transfer());
    assertEquals([host.bytes.length, moved.length, moved[7]], [0, 65536, 5]);
    host[Symbol.dispose]();
    assertEquals(host.bytes.length, 0);
    assert(moved.every((x) => x === 0), "the transferred buffer reads zeros, not freed memory");
    moved[7] = 1; // and writes land in pages of their own
    assertEquals(moved[7], 1);
  }
  assertNoFdLeak(before, "the shared allocation's memfd is closed");
});

test(
  "a transferred host allocation imported into Vulkan: kept for Vulkan, then zero pages",
  { skip },
  withTwoDevices((a) => {
    const align = a.physicalDevice.minImportedHostPointerAlignment!;
    const host = HostAllocation.create(65536, align);
    host.bytes.fill(6);
    const buffer = GpuBuffer.create(a, { size: 65536, external: "HOST_ALLOCATION" });
    const memory = DeviceMemory.importHostPointer(a, host, { for: buffer });
    const moved = new Uint8Array((host.bytes.buffer as ArrayBuffer).transfer());
    host[Symbol.dispose]();
    using t = Transfer.create(a);
    t.fill(buffer, 0x03030303);
    assert(moved.every((x) => x === 3), "Vulkan's writes, seen through the transferred buffer");
    buffer[Symbol.dispose]();
    memory[Symbol.dispose]();
    assert(moved.every((x) => x === 0), "zero pages once the last import is freed");
  }),
);

test("a shared host allocation is a memfd mapping: what JS writes is in the file, and back", () => {
  const before = openFdSet();
  {
    using shared = HostAllocation.createShared(10_000, "vkshare-shared-test");
    assertEquals(shared.size, 12288); // whole pages
    const path = `/proc/self/fd/${shared.fd!.fd}`;
    assertStringIncludes(describeFd(shared.fd!.fd)!, "vkshare-shared-test");
    shared.bytes.set(pattern(12288, 3));
    // A private mapping's writes would stay in this process's copy of the pages.
    assertEquals(new Uint8Array(readFileSync(path)), pattern(12288, 3));
    writeFileSync(path, new Uint8Array([9, 8, 7]), { flag: "r+" });
    assertEquals([...shared.bytes.subarray(0, 4)], [9, 8, 7, pattern(4, 3)[3]]);
  }
  assertNoFdLeak(before, "dispose closes the memfd");
  assertThrows(() => HostAllocation.createShared(0), RangeError);
});

test(
  "a shared host allocation imports into Vulkan: its writes land in the memfd",
  { skip },
  withTwoDevices((a) => {
    const align = a.physicalDevice.minImportedHostPointerAlignment!;
    using shared = HostAllocation.createShared(65536);
    assertEquals(shared.address % BigInt(align), 0n);
    using buffer = GpuBuffer.create(a, { size: 65536, external: "HOST_ALLOCATION" });
    using _m = DeviceMemory.importHostPointer(a, shared, { for: buffer });
    using t = Transfer.create(a);
    t.fill(buffer, 0x5a5a5a5a);
    const file = new Uint8Array(readFileSync(`/proc/self/fd/${shared.fd!.fd}`));
    assert(file.every((x) => x === 0x5a), "Vulkan → memfd");
  }),
);
