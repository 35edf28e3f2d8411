// Two devices that are not the same GPU, with real UUIDs (not forged ones): exports of one are
// refused by the other with a ShareError naming both devices, before any driver import, in this
// process and in another; every fd of a refused offer is closed; both devices still allocate; the
// doctor lists both and calls the pair not shareable, and its --prove shows who refused. Here
// that is two lavapipes at once (.ci/run loads Mesa 22 and 25 together: two drivers, two
// deviceUUIDs); on a machine with two GPUs the same tests run on them. With one device (or
// devices of one GPU), they are skipped.
import { assert, assertEquals, assertStringIncludes, assertThrows } from "@std/assert";
import { pairReports } from "../../doctor/report.ts";
import { receiveOffer, sendOffer, ShareServer } from "../../ipc/mod.ts";
import { Device, DeviceMemory, GpuBuffer, Semaphore, ShareError, Transfer } from "../../mod.ts";
import { externalBufferProperties, externalSemaphoreProperties } from "../../share/mod.ts";
import { startScript, test } from "../_harness.ts";
import { assertNoFdLeak, openFdSet, pattern } from "../_memory.ts";
import { sharedInstance } from "../_vk.ts";

const pds = sharedInstance().physicalDevices();
const [gpu0, gpu1] = (() => {
  const a = pds[0];
  const b = pds.find((p) => p.deviceUUID !== a?.deviceUUID);
  return [a, b];
})();
const skip = gpu1
  ? false
  : `${pds.length} device(s) of one GPU here: needs two (two GPUs, or two drivers: .ci/run loads Mesa 22 and 25 together)`;
const memorySkip = skip
  || (!externalBufferProperties(gpu0, { handleType: "OPAQUE_FD" }).exportable
    ? `${gpu0.name} exports no OPAQUE_FD memory`
    : false);
const timelineSkip = skip
  || (!gpu0.timelineSemaphores
      || !externalSemaphoreProperties(gpu0, { handleType: "OPAQUE_FD", semaphoreType: "timeline" })
        .exportable
    ? `${gpu0.name} exports no OPAQUE_FD timeline semaphore (lavapipe has no semaphore fds)`
    : false);
const PEER = new URL("../../tools/peer.ts", import.meta.url).pathname;

/** A ShareError UUID_MISMATCH that names both devices by UUID. */
function assertNamesBoth(e: ShareError): void {
  assertEquals(e.rule, "UUID_MISMATCH");
  assertStringIncludes(e.message, gpu0.deviceUUID);
  assertStringIncludes(e.message, gpu1!.deviceUUID);
}

test(
  "two GPUs: memory of one is refused by the other before any driver import, naming both; both still allocate",
  {
    skip: memorySkip,
  },
  () => {
    using a = Device.create(gpu0);
    using b = Device.create(gpu1!);
    using src = GpuBuffer.create(a, { size: 65536, external: "OPAQUE_FD" });
    using mem = DeviceMemory.allocate(a, { for: src, exportAs: "OPAQUE_FD" });
    using t = Transfer.create(a);
    t.write(src, pattern(65536, 5));
    using exp = mem.exportFd("OPAQUE_FD");
    using dst = GpuBuffer.create(b, { size: 65536, external: "OPAQUE_FD" });
    const e = assertThrows(
      () => DeviceMemory.importFd(b, exp.fd, exp.descriptor, { for: dst }),
      ShareError,
    );
    assertNamesBoth(e);
    assertEquals(exp.fd.state, "open", "a refusal consumes nothing");
    // Both devices still allocate, and the refused export still imports where it belongs.
    DeviceMemory.allocate(a, { size: 4096 })[Symbol.dispose]();
    DeviceMemory.allocate(b, { size: 4096 })[Symbol.dispose]();
    using a2 = Device.create(gpu0);
    using back = GpuBuffer.create(a2, { size: 65536, external: "OPAQUE_FD" });
    using _m = DeviceMemory.importFd(a2, exp.fd, exp.descriptor, { for: back });
    using t2 = Transfer.create(a2);
    assertEquals(t2.read(back), pattern(65536, 5));
  },
);

test("two GPUs: a timeline semaphore of one is refused by the other, naming both", {
  skip: timelineSkip,
}, () => {
  using a = Device.create(gpu0);
  using b = Device.create(gpu1!);
  using sem = Semaphore.create(a, { type: "timeline", exportAs: "OPAQUE_FD" });
  using exp = sem.exportFd("OPAQUE_FD");
  const e = assertThrows(() => Semaphore.importFd(b, exp.fd!, exp.descriptor), ShareError);
  assertNamesBoth(e);
  assertEquals(exp.fd!.state, "open");
  using again = Semaphore.create(b, { type: "timeline" });
  again.signal(1);
  assertEquals(again.value, 1n, "the importer still works");
});

test(
  "two GPUs: an offer to another process on the other GPU is refused there before import, its fds closed",
  {
    skip: memorySkip,
  },
  async () => {
    using a = Device.create(gpu0);
    using src = GpuBuffer.create(a, { size: 65536, external: "OPAQUE_FD" });
    using mem = DeviceMemory.allocate(a, { for: src, exportAs: "OPAQUE_FD" });
    const before = openFdSet();
    {
      using server = ShareServer.listen();
      const child = startScript(PEER, ["import-into", server.address as string, gpu1!.deviceUUID]);
      using socket = await server.accept({ timeoutMs: 30_000 });
      {
        using exp = mem.exportFd("OPAQUE_FD");
        await sendOffer(socket, { label: "to the other GPU", memory: exp });
      }
      const r = await child.exited;
      assertEquals(r.code, 0, r.err);
      const seen = JSON.parse(r.out.trim().split("\n").at(-1)!);
      assertEquals(seen.rule, "UUID_MISMATCH", r.out);
      assertStringIncludes(seen.message, gpu0.deviceUUID);
      assertStringIncludes(seen.message, gpu1!.deviceUUID);
      assertEquals(seen.after, seen.before, "the refused offer's fd was closed in the importer");
      assertEquals(seen.allocates, true);
    }
    assertNoFdLeak(before);
    DeviceMemory.allocate(a, { size: 4096 })[Symbol.dispose]();
  },
);

test("two GPUs: the same offer to a process on the same GPU imports (the refusal is the UUIDs')", {
  skip: memorySkip,
}, async () => {
  using a = Device.create(gpu0);
  using src = GpuBuffer.create(a, { size: 65536, external: "OPAQUE_FD" });
  using mem = DeviceMemory.allocate(a, { for: src, exportAs: "OPAQUE_FD" });
  using server = ShareServer.listen();
  const child = startScript(PEER, ["import-into", server.address as string, gpu0.deviceUUID]);
  using socket = await server.accept({ timeoutMs: 30_000 });
  {
    using exp = mem.exportFd("OPAQUE_FD");
    await sendOffer(socket, { label: "to the same GPU", memory: exp });
  }
  const r = await child.exited;
  assertEquals(r.code, 0, r.err);
  assertEquals(JSON.parse(r.out.trim().split("\n").at(-1)!).imported, true, r.out);
});

test("two GPUs: receiveOffer in this process refuses the other GPU's offer and closes its fds", {
  skip: memorySkip,
}, async () => {
  using a = Device.create(gpu0);
  using b = Device.create(gpu1!);
  using src = GpuBuffer.create(a, { size: 65536, external: "OPAQUE_FD" });
  using mem = DeviceMemory.allocate(a, { for: src, exportAs: "OPAQUE_FD" });
  using server = ShareServer.listen();
  const [x, y] = await Promise.all([
    import("../../ipc/mod.ts").then((m) => m.ShareSocket.connect(server.address)),
    server.accept(),
  ]);
  using _x = x;
  using _y = y;
  const before = openFdSet();
  {
    using exp = mem.exportFd("OPAQUE_FD");
    await sendOffer(x, { label: "frames", memory: exp });
  }
  const e = await receiveOffer(y, { device: b }).then(() => null, (e) => e);
  assert(e instanceof ShareError, String(e));
  assertNamesBoth(e);
  assertNoFdLeak(before);
});

test(
  "two GPUs: the doctor calls each pair not shareable (UUID_MISMATCH), and --prove shows vkshare refused it",
  {
    skip: memorySkip,
  },
  () => {
    const pairs = pairReports(pds, true);
    const i0 = pds.indexOf(gpu0), i1 = pds.indexOf(gpu1!);
    for (const [from, to] of [[i0, i1], [i1, i0]]) {
      const p = pairs.find((x) =>
        x.from === from && x.to === to && x.object === "memory" && x.handleType === "OPAQUE_FD"
      );
      assert(p, `no pair ${from} → ${to}: ${JSON.stringify(pairs)}`);
      assertEquals(p.verdict, "fails");
      assert(p.causes.some((c) => c.startsWith("UUID_MISMATCH:")), p.causes.join("\n"));
      assertStringIncludes(p.causes.join("\n"), pds[from].deviceUUID);
      assertStringIncludes(p.causes.join("\n"), pds[to].deviceUUID);
      assertEquals(p.proof?.refusedBy, "vkshare");
      assertEquals(p.proof?.rule, "UUID_MISMATCH");
      assertEquals([p.proof?.fdStillOpen, p.proof?.bothStillAllocate], [true, true]);
    }
  },
);
