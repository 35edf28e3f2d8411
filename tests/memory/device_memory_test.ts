// Memory sharing on the real driver: export → import into a second VkDevice, bytes checked on
// both sides, for every handle type the driver can export and import; plain and dedicated;
// host-visible (through map) and device-local (through transfer copies).
import { assert, assertEquals, assertStringIncludes, assertThrows } from "@std/assert";
// @ts-types="../../cli/_node/fs.d.ts"
import { readFileSync } from "node:fs";
import type { MemoryHandleTypeName, MemoryPropertyName } from "../../core/mod.ts";
import {
  Device,
  DeviceMemory,
  GpuBuffer,
  GpuImage,
  Instance,
  OwnedFd,
  ShareError,
  Transfer,
} from "../../mod.ts";
import { externalBufferProperties, relayRefusal } from "../../share/mod.ts";
import { test, warnings } from "../_harness.ts";
import {
  assertNoFdLeak,
  cannotShare,
  caps,
  openFdSet,
  pattern,
  withTwoDevices,
} from "../_memory.ts";
import { forEachDevice } from "../_vk.ts";

const SIZE = 256 * 1024;

type Path = "map" | "copy";

function write(device: Device, buffer: GpuBuffer, bytes: Uint8Array, path: Path): void {
  if (path === "map") buffer.memory!.map().set(bytes, buffer.memoryOffset);
  else {
    using t = Transfer.create(device);
    t.write(buffer, bytes);
  }
}

function read(device: Device, buffer: GpuBuffer, n: number, path: Path): Uint8Array {
  if (path === "map") return buffer.memory!.map().slice(0, n);
  using t = Transfer.create(device);
  return t.read(buffer, { size: n });
}

function assertSameBytes(actual: Uint8Array, expected: Uint8Array, what: string): void {
  assertEquals(actual.length, expected.length, `${what}: length`);
  for (let i = 0; i < expected.length; i++) {
    if (actual[i] !== expected[i]) {
      throw new Error(`${what}: byte ${i} is ${actual[i]}, expected ${expected[i]}`);
    }
  }
}

const KINDS: { name: string; properties: MemoryPropertyName[]; path: Path }[] = [
  { name: "host-visible", properties: ["HOST_VISIBLE", "HOST_COHERENT"], path: "map" },
  { name: "device-local", properties: ["DEVICE_LOCAL"], path: "copy" },
];

for (const t of ["OPAQUE_FD", "DMA_BUF"] as MemoryHandleTypeName[]) {
  test(
    `${t}: export → import into a second device, bytes both ways (plain/dedicated × host-visible/device-local)`,
    { skip: cannotShare(t as "OPAQUE_FD") },
    withTwoDevices((a, b) => {
      const fds = openFdSet();
      for (const kind of KINDS) {
        for (const dedicated of [false, true]) {
          const what = `${t} ${kind.name} ${dedicated ? "dedicated" : "plain"}`;
          using ba = GpuBuffer.create(a, { size: SIZE, external: t });
          using ma = DeviceMemory.allocate(a, {
            for: ba,
            exportAs: t,
            properties: kind.properties,
            dedicated,
          });
          assertEquals(ma.dedicatedTo === ba, dedicated, what);
          using exp = ma.exportFd(t);
          assertEquals(exp.descriptor.dedicated?.kind ?? null, dedicated ? "buffer" : null);
          // the descriptor survives JSON, as it would between processes
          const descriptor = JSON.parse(JSON.stringify(exp.descriptor));
          using bb = GpuBuffer.create(b, { size: SIZE, external: t });
          using mb = DeviceMemory.importFd(b, exp.fd, descriptor, { for: bb });
          assertEquals(exp.fd.state, "consumed", what);
          assertEquals(mb.memoryTypeIndex, ma.memoryTypeIndex);
          assertEquals(bb.memory, mb);

          const p1 = pattern(SIZE, 1);
          write(a, ba, p1, kind.path);
          assertSameBytes(read(b, bb, SIZE, kind.path), p1, `${what}: A → B`);
          const p2 = pattern(SIZE, 2);
          write(b, bb, p2, kind.path);
          assertSameBytes(read(a, ba, SIZE, kind.path), p2, `${what}: B → A`);
        }
      }
      assertNoFdLeak(fds, "open fds after the loop");
    }),
  );
}

test(
  "export twice gives two fds that both import; a dup imports too",
  { skip: cannotShare("OPAQUE_FD") },
  withTwoDevices((a, b) => {
    using ma = DeviceMemory.allocate(a, {
      size: SIZE,
      exportAs: "OPAQUE_FD",
      properties: caps.hostVisible ? ["HOST_VISIBLE", "HOST_COHERENT"] : [],
    });
    using e1 = ma.exportFd();
    using e2 = ma.exportFd();
    assert(e1.fd.fd !== e2.fd.fd, "two exports are two fds");
    using d1 = e1.fd.dup();
    const raw = OwnedFd.dupOf(e2.fd.fd).release(); // a plain number, as from another library
    using m1 = DeviceMemory.importFd(b, e1.fd, e1.descriptor);
    using m2 = DeviceMemory.importFd(b, e2.fd, e2.descriptor);
    using m3 = DeviceMemory.importFd(b, d1, e1.descriptor);
    using m4 = DeviceMemory.importFd(b, raw, e2.descriptor);
    assertEquals([e1.fd.state, e2.fd.state, d1.state], ["consumed", "consumed", "consumed"]);
    if (caps.hostVisible) {
      const p = pattern(4096, 3);
      ma.map().set(p);
      for (const m of [m1, m2, m3, m4]) assertSameBytes(m.map().slice(0, 4096), p, m.label);
    }
  }),
);

test(
  "a relay: memory imported with exportAs is exported again and imported into a third device; the bytes cross both hops; asking for a handle type the driver cannot re-export is refused",
  { skip: cannotShare("OPAQUE_FD") },
  withTwoDevices((a, b, pd) => {
    const again = externalBufferProperties(pd, { handleType: "OPAQUE_FD" })
      .exportFromImportedHandleTypes;
    using c = Device.create(pd);
    using t = Transfer.create(a);
    using src = GpuBuffer.create(a, { size: SIZE, external: "OPAQUE_FD" });
    using ma = DeviceMemory.allocate(a, { for: src, exportAs: "OPAQUE_FD" });
    t.write(src, pattern(SIZE, 9));
    using e1 = ma.exportFd();
    // Not re-exportable without exportAs; not as a handle type the driver does not list.
    const never = (["OPAQUE_FD", "DMA_BUF"] as const).find((x) => !again.includes(x));
    if (never) {
      const r = DeviceMemory.planImport(b, e1.fd, e1.descriptor, { exportAs: never });
      assert(
        !r.ok && r.broken.some((x) => x.rule === "HANDLE_TYPE_UNSUPPORTED"),
        JSON.stringify(r),
      );
    }
    if (!again.includes("OPAQUE_FD")) return; // the driver cannot relay OPAQUE_FD
    // NVIDIA lists OPAQUE_FD but imports nothing then (new memory, zeros): refused, fd kept.
    const quirk = relayRefusal(pd);
    if (quirk) {
      const e = assertThrows(
        () => DeviceMemory.importFd(b, e1.fd, e1.descriptor, { exportAs: "OPAQUE_FD" }),
        ShareError,
      );
      assertEquals([e.rule, e1.fd.state], ["HANDLE_TYPE_UNSUPPORTED", "open"]);
      assert(e.message.includes(quirk), e.message);
      return;
    }
    using bb = GpuBuffer.create(b, { size: SIZE, external: "OPAQUE_FD" });
    using mb = DeviceMemory.importFd(b, e1.fd, e1.descriptor, { for: bb, exportAs: "OPAQUE_FD" });
    using e2 = mb.exportFd("OPAQUE_FD");
    assertEquals(e2.descriptor.deviceUUID, pd.deviceUUID);
    using bc = GpuBuffer.create(c, { size: SIZE, external: "OPAQUE_FD" });
    using _mc = DeviceMemory.importFd(c, e2.fd, e2.descriptor, { for: bc });
    using tc = Transfer.create(c);
    assertSameBytes(tc.read(bc), pattern(SIZE, 9), "two hops");
    // And back the other way: the third device writes, the first reads.
    tc.write(bc, pattern(SIZE, 10));
    assertSameBytes(t.read(src), pattern(SIZE, 10), "back");
  }),
);

test(
  "free the exporter (memory and device) first: the importer still reads the data",
  { skip: cannotShare("OPAQUE_FD") },
  withTwoDevices((a, b) => {
    const p = pattern(SIZE, 4);
    const ba = GpuBuffer.create(a, { size: SIZE, external: "OPAQUE_FD" });
    const ma = DeviceMemory.allocate(a, { for: ba, exportAs: "OPAQUE_FD" });
    {
      using t = Transfer.create(a);
      t.write(ba, p);
    }
    using exp = ma.exportFd();
    using bb = GpuBuffer.create(b, { size: SIZE, external: "OPAQUE_FD" });
    using _mb = DeviceMemory.importFd(b, exp.fd, exp.descriptor, { for: bb });
    a[Symbol.dispose](); // frees ma and ba, then the exporting VkDevice
    assert(ma.disposed && ba.disposed);
    using t = Transfer.create(b);
    assertSameBytes(t.read(bb), p, "after the exporter was freed");
  }),
);

test(
  "images: dedicated and plain, exported and imported; linear host-visible bytes shared",
  { skip: cannotShare("OPAQUE_FD") },
  withTwoDevices((a, b) => {
    for (
      const opts of [
        { tiling: "OPTIMAL" as const, properties: ["DEVICE_LOCAL"] as MemoryPropertyName[] },
        {
          tiling: "LINEAR" as const,
          properties: ["HOST_VISIBLE", "HOST_COHERENT"] as MemoryPropertyName[],
        },
      ]
    ) {
      for (const dedicated of [true, false]) {
        const image = {
          width: 64,
          height: 64,
          format: "R8G8B8A8_UNORM" as const,
          tiling: opts.tiling,
          external: "OPAQUE_FD" as const,
        };
        using ia = GpuImage.create(a, image);
        if (!dedicated && ia.requirements.requiresDedicated) continue;
        using ma = DeviceMemory.allocate(a, {
          for: ia,
          exportAs: "OPAQUE_FD",
          properties: opts.properties,
          dedicated,
        });
        using exp = ma.exportFd();
        assertEquals(exp.descriptor.dedicated?.kind ?? null, dedicated ? "image" : null);
        using ib = GpuImage.create(b, image);
        using mb = DeviceMemory.importFd(b, exp.fd, exp.descriptor, { for: ib });
        assertEquals(ib.memory, mb);
        if (opts.tiling === "LINEAR") {
          const p = pattern(ma.size, 5);
          ma.map().set(p);
          assertSameBytes(mb.map().slice(), p, `linear image ${dedicated ? "dedicated" : "plain"}`);
        }
      }
    }
  }),
);

test(
  "map: a Uint8Array over the memory, detached after unmap and dispose",
  { skip: caps.hostVisible ? false : "no HOST_VISIBLE memory type" },
  withTwoDevices((a) => {
    const m = DeviceMemory.allocate(a, {
      size: 8192,
      properties: ["HOST_VISIBLE", "HOST_COHERENT"],
    });
    const v = m.map();
    assertEquals(v.length, 8192);
    assert(m.map() === v, "map() returns the same view while mapped");
    v[10] = 42;
    m.unmap();
    assertEquals(v.length, 0, "detached after unmap");
    assertEquals(v[10], undefined);
    const w = m.map();
    assertEquals(w[10], 42, "contents kept across unmap/map");
    m[Symbol.dispose]();
    assertEquals(w.length, 0, "detached after dispose");
    assertThrows(() => m.map(), Error, "used after dispose");
  }),
);

test(
  "map: a view the script transferred away keeps the memory, its device and instance, with warnings",
  { skip: caps.hostVisible ? false : "no HOST_VISIBLE memory type" },
  () => {
    // An instance of its own: this test leaves it undestroyed on purpose.
    const instance = Instance.create();
    const device = Device.create(instance.physicalDevices()[0]);
    const m = DeviceMemory.allocate(device, {
      size: 8192,
      properties: ["HOST_VISIBLE", "HOST_COHERENT"],
    });
    const v = m.map();
    v.fill(9);
    // The script hands the mapping to another ArrayBuffer (as a postMessage to a Worker would).
    const moved = new Uint8Array((v.buffer as ArrayBuffer).transfer());
    assertEquals([v.length, moved.length], [0, 8192]);
    const again = m.map();
    assertEquals([again.length, again[100]], [8192, 9], "map() gives a new view of the mapping");
    m.unmap();
    assert(m.mapped, "unmap() leaves it mapped: the transferred view may read it");
    const said = warnings(() => m[Symbol.dispose]());
    assert(m.disposed);
    assertEquals(said.length, 1, said.join("\n"));
    assertStringIncludes(said[0], `${m.label} was left undestroyed`);
    assertStringIncludes(said[0], "slice()");
    assertEquals(moved[100], 9, "still mapped after the memory's dispose");
    moved[0] = 1;
    const parents = warnings(() => {
      device[Symbol.dispose]();
      instance[Symbol.dispose]();
    });
    assertEquals(parents.length, 2, parents.join("\n"));
    assertStringIncludes(parents[0], `${device.label} was left undestroyed`);
    assertStringIncludes(parents[1], "Instance was left undestroyed");
    assertEquals([moved[0], moved[100]], [1, 9], "still mapped after the device's dispose");
  },
);

test(
  "the exported fd is close-on-exec, even where the driver does not set it",
  { skip: cannotShare("OPAQUE_FD") },
  withTwoDevices((a) => {
    using m = DeviceMemory.allocate(a, { size: 4096, exportAs: "OPAQUE_FD" });
    using e = m.exportFd();
    const flags = readFileSync(`/proc/self/fdinfo/${e.fd.fd}`, "utf8").match(/flags:\s+(\d+)/)!;
    assert(parseInt(flags[1], 8) & 0o2000000, `O_CLOEXEC in fdinfo flags ${flags[1]}`);
  }),
);

test(
  "allocate without properties takes the first DEVICE_LOCAL type allowed (not NVIDIA's flagless type 0); properties [] takes the first allowed",
  forEachDevice((pd) => {
    using d = Device.create(pd);
    using buffer = GpuBuffer.create(d, { size: 4096 });
    const bits = buffer.requirements.memoryTypeBits;
    const allowed = pd.memoryTypes.filter((t) => (bits >>> t.index) & 1);
    const local = allowed.find((t) => t.flags.includes("DEVICE_LOCAL")) ?? allowed[0];
    using plain = DeviceMemory.allocate(d, { size: 4096 });
    using forBuffer = DeviceMemory.allocate(d, { for: buffer });
    using first = DeviceMemory.allocate(d, { size: 4096, properties: [] });
    const any = pd.memoryTypes.find((t) => t.flags.includes("DEVICE_LOCAL")) ?? pd.memoryTypes[0];
    assertEquals(
      [plain.memoryTypeIndex, forBuffer.memoryTypeIndex, first.memoryTypeIndex],
      [any.index, local.index, 0],
      JSON.stringify(pd.memoryTypes.map((t) => t.flags)),
    );
  }),
);
