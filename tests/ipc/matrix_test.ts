// The cross-process op matrix, after the CTS's dEQP-VK.synchronization.cross_instance: each test
// cross_process.<write>.<read>.<resource>.<sync> writes with a real operation here (copy, fill,
// clear, blit, compute, draw) into a buffer, a buffer suballocated in a larger memory, or an
// OPTIMAL image, and hands it to another process (tools/matrix_peer.ts, this runtime), which
// reads it with another (copy, blit, compute through a storage binding, sampled) after binary or
// timeline semaphore waits on the GPU (the semaphores exported with the memory), or after a host
// handoff, and checks every word. The image goes across in the layout its writer left it in; the
// reader transitions it from there. Both processes run the validation layer.
// @ts-types="../../cli/_node/fs.d.ts"
import { mkdtempSync, rmSync } from "node:fs";
// @ts-types="../../cli/_node/os.d.ts"
import { tmpdir } from "node:os";

import { assertEquals } from "@std/assert";
import { sendOffer, ShareServer, type ShareSocket } from "../../ipc/mod.ts";
import { CommandBuffer, Device, Fence, GpuImage, Semaphore } from "../../mod.ts";
import { externalImageFormatProperties, externalSemaphoreProperties } from "../../share/mod.ts";
import {
  IMAGE_USAGE,
  makeShared,
  Ops,
  type Scenario,
  scenarioName,
  scenarios,
  WRITE_LAYOUT,
} from "../../tools/ops.ts";
import { type Child, startScript, test } from "../_harness.ts";
import { cannotShare } from "../_memory.ts";
import { sharedInstance, withInstance } from "../_vk.ts";

const PEER = new URL("../../tools/matrix_peer.ts", import.meta.url).pathname;
const pd = sharedInstance().physicalDevices()[0];

/** Why a scenario cannot run on this device, or false. */
function cannotRun(s: Scenario): string | false {
  const memory = cannotShare("OPAQUE_FD");
  if (memory) return memory;
  if (s.sync !== "host") {
    const c = externalSemaphoreProperties(pd, { handleType: "OPAQUE_FD", semaphoreType: s.sync });
    if (!(c.exportable && c.importable)) {
      return `${pd.name} does not share ${s.sync} semaphores as OPAQUE_FD${
        c.unsupported ? ` (${c.unsupported})` : ""
      }`;
    }
  }
  if (s.resource === "image") {
    const c = externalImageFormatProperties(pd, {
      handleType: "OPAQUE_FD",
      format: "R8G8B8A8_UNORM",
      usage: [...IMAGE_USAGE],
    });
    if (!(c.exportable && c.importable)) {
      return `${pd.name} does not share R8G8B8A8_UNORM OPTIMAL images with storage, sampled and color-attachment usage as OPAQUE_FD`;
    }
  }
  return false;
}

/** The reading process, its socket, and this process's device and ops (one for the file). */
interface Reader {
  child: Child;
  socket: ShareSocket;
  device: Device;
  ops: Ops;
  dir: string;
}
let reader: Promise<Reader> | null = null;

function startReader(): Promise<Reader> {
  reader ??= (async () => {
    const dir = mkdtempSync(`${tmpdir()}/vkshare-matrix-`);
    using server = ShareServer.listen({ at: `${dir}/s.sock` });
    const env = { VKSHARE_PEER_DEVICE_UUID: pd.deviceUUID, VKSHARE_VALIDATE: "1" };
    const child = startScript(PEER, [`${dir}/s.sock`], [], env);
    const socket = await server.accept({ timeoutMs: 30_000 });
    const device = Device.create(pd);
    return { child, socket, device, ops: new Ops(device), dir };
  })();
  return reader;
}

let seed = 1;

/** Writes `s.write` here, hands the resource over as `s.sync` says, and returns the reader's answer. */
async function run(s: Scenario): Promise<{ wrong: number; error: string | null; fds: number }> {
  const { socket, device, ops } = await startReader();
  const mySeed = seed++;
  using shared = makeShared(device, s.resource);
  using semaphore = s.sync === "host"
    ? null
    : Semaphore.create(device, { type: s.sync, exportAs: "OPAQUE_FD" });
  using fence = Fence.create(device);
  using cmd = CommandBuffer.create(device);
  ops.stage(mySeed);
  cmd.record((r) => ops.recordWrite(r, s.write, shared.resource, mySeed));
  const signal = semaphore ? [{ semaphore, ...(s.sync === "timeline" ? { value: 1 } : {}) }] : [];
  device.queue().submit({ commandBuffers: [cmd], signal, fence });
  if (!semaphore) assertEquals(await fence.waitAsync(30_000), "signaled", "the write finished");
  const layout = s.resource === "image" ? WRITE_LAYOUT[s.write] : "UNDEFINED";
  await socket.send({ type: "scenario", ...s, seed: mySeed, layout });
  {
    using exp = shared.memory.exportFd();
    using sem = semaphore?.exportFd("OPAQUE_FD");
    const image = shared.resource instanceof GpuImage ? { image: shared.resource } : {};
    await sendOffer(socket, {
      label: scenarioName(s),
      memory: exp,
      ...(shared.range ? { range: shared.range } : {}),
      ...image,
      semaphores: sem ? [sem] : [],
    });
  }
  const { message } = await socket.expect("read", { timeoutMs: 60_000 });
  assertEquals(await fence.waitAsync(30_000), "signaled");
  return message as { wrong: number; error: string | null; fds: number };
}

const fdCounts: number[] = [];

// The reader process lives across the tests (one for the file): not a leak of any one test.
const sanitize = { sanitizeResources: false, sanitizeOps: false };

for (const s of scenarios()) {
  test(
    scenarioName(s),
    { skip: cannotRun(s), ...sanitize },
    withInstance(async () => {
      const r = await run(s);
      assertEquals(r.error, null, `the reader failed: ${r.error}`);
      assertEquals(r.wrong, -1, `word ${r.wrong} is not what ${s.write} wrote`);
      fdCounts.push(r.fds);
    }),
  );
}

test(
  "the matrix's reader leaves cleanly, with as many fds open after its last scenario as after its fifth",
  sanitize,
  async () => {
    if (!reader) return; // every scenario skipped: no reader was started
    const { child, socket, device, ops, dir } = await reader;
    await socket.send({ type: "stop" });
    const exit = await child.exited;
    socket.close();
    ops[Symbol.dispose]();
    device[Symbol.dispose]();
    rmSync(dir, { recursive: true, force: true });
    assertEquals(exit.code, 0, exit.err);
    if (fdCounts.length > 5) {
      assertEquals(fdCounts.at(-1), fdCounts[4], `fds: ${fdCounts.join(" ")}`);
    }
  },
);
