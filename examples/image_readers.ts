/**
 * One writer and several readers of an OPTIMAL image, each in its own process, under the access
 * protocol (`AccessOwner`, `AccessPeer`): the writer begins a write, copies frame n into the
 * image and ends it in a layout of its choice (TRANSFER_SRC_OPTIMAL and GENERAL in turn); each
 * reader begins a read, which starts from the layout the writer reported (a queue family
 * acquire from VK_QUEUE_FAMILY_EXTERNAL), copies the image out and checks every byte. The reads
 * run at the same time; the next write begins when every reader has ended its read.
 *
 *     deno run -A examples/image_readers.ts [--frames N] [--readers N] [--size WxH] [--validate]
 *
 * Where the devices share timeline semaphores, every wait is on the GPU; elsewhere (lavapipe)
 * each end is a host handoff. The writer prints one line of JSON: the frames, the sync, the
 * frame time, the wrong frames (none), and each process's fd count after frame 9 and after the
 * last (flat; every process starts its frames 1 s in, once its runtime's own start-up fds are
 * open). `--validate` turns the Khronos validation layer on in every process and fails on
 * anything it reports.
 *
 * @module
 */
// @ts-types="../cli/_node/child_process.d.ts"
import { spawn } from "node:child_process";
// @ts-types="../cli/_node/fs.d.ts"
import { readdirSync } from "node:fs";
import { parseCli } from "../cli/_args.ts";
import type { ImageLayoutName } from "../core/mod.ts";
import {
  type AccessGrant,
  AccessOwner,
  AccessPeer,
  peerCommand,
  receiveOffer,
  sendOffer,
  ShareServer,
  ShareSocket,
} from "../ipc/mod.ts";
import { boundBuffer, imageBytes } from "../memory/mod.ts";
import { CommandBuffer, Device, DeviceMemory, type GpuBuffer, GpuImage } from "../mod.ts";
import { pattern } from "../tools/pattern.ts";
import { openGpu } from "./_setup.ts";

const LAYOUTS: ImageLayoutName[] = ["TRANSFER_SRC_OPTIMAL", "GENERAL"];
const fds = () => readdirSync("/proc/self/fd").length;

/** Resolves once this process has run for 1 s: its runtime's own start-up fds are open. */
async function settled(): Promise<void> {
  while (performance.now() < 1000) await new Promise((r) => setTimeout(r, 20));
}

/** What the writer tells the readers of each frame. */
interface FrameMessage {
  frame?: number;
  layout?: string;
  base?: number;
  last?: number;
}

function hostBuffer(device: Device, size: number): GpuBuffer {
  return boundBuffer(device, {
    size,
    usage: ["TRANSFER_SRC", "TRANSFER_DST"],
    memory: { properties: ["HOST_VISIBLE", "HOST_COHERENT"], dedicated: false },
  });
}

/** Records and submits one access's copy: into the image (a write) or out of it (a read). */
function copyUnder(
  device: Device,
  cmd: CommandBuffer,
  a: AccessGrant,
  image: GpuImage,
  staging: GpuBuffer,
  layout?: ImageLayoutName,
): void {
  cmd.record((r) => {
    if (a.mode === "write") {
      a.acquire(r, {
        newLayout: "TRANSFER_DST_OPTIMAL",
        dstStage: "TRANSFER",
        dstAccess: "TRANSFER_WRITE",
      });
      r.copyBufferToImage(staging, image);
      a.release(r, { layout });
    } else {
      a.acquire(r, { dstStage: "TRANSFER", dstAccess: "TRANSFER_READ" });
      r.copyImageToBuffer(image, staging, { layout: a.layout });
      r.hostRead(staging);
      a.release(r, { srcStage: "TRANSFER", srcAccess: [] });
    }
  });
  device.queue().submit({ wait: a.wait, commandBuffers: [cmd], signal: [a.signal] });
}

/** A reader: imports the offered image, joins, and reads each frame the writer announces. */
async function read(address: string, validate: boolean, timeoutMs: number): Promise<void> {
  const at = address.startsWith("@") ? { abstract: address.slice(1) } : address;
  using gpu = openGpu("vkshare image_readers reader", { validation: validate });
  using device = Device.create(gpu.pd);
  using socket = await ShareSocket.connect(at, { timeoutMs });
  using offer = await receiveOffer(socket, { device, timeoutMs });
  using twin = GpuImage.fromTarget(device, offer.image);
  using _memory = DeviceMemory.importFd(device, offer.memory!.fd, offer.memory!.descriptor, {
    for: twin,
  });
  using peer = await AccessPeer.join(socket, device, { image: twin, timeoutMs });
  using frames = await ShareSocket.connect(at, { timeoutMs });
  await frames.send({ type: "reader", who: peer.who });
  const bytes = imageBytes(twin);
  using staging = hostBuffer(device, bytes);
  using cmd = CommandBuffer.create(device);
  const counts: number[] = [];
  await settled();
  for (;;) {
    const m = (await frames.receive({ timeoutMs })).message as FrameMessage;
    if (m.frame === undefined) break;
    const a = await peer.begin("read");
    if (a.layout !== m.layout) {
      throw new Error(`frame ${m.frame}: granted ${a.layout}, the writer reported ${m.layout}`);
    }
    copyUnder(device, cmd, a, twin, staging);
    await peer.end(a);
    if (await a.signal.semaphore.waitAsync(a.signal.value, timeoutMs) === "timeout") {
      throw new Error(`frame ${m.frame}: the read did not finish in ${timeoutMs} ms`);
    }
    const got = staging.memory!.map().subarray(0, bytes);
    const want = pattern(bytes, m.frame);
    const wrong = got.findIndex((b: number, i: number) => b !== want[i]);
    if (m.frame === m.base || m.frame === m.last) counts.push(fds());
    await frames.send({ type: "done", frame: m.frame, wrong });
  }
  if (validate) gpu.instance.assertNoValidationErrors();
  await frames.send({ type: "fds", counts });
}

/** Starts `n` readers and serves each one's accesses; returns their frame sockets. */
async function startReaders(
  n: number,
  owner: AccessOwner,
  offer: () => Promise<(s: ShareSocket) => Promise<void>>,
  validate: boolean,
  timeoutMs: number,
) {
  const server = ShareServer.listen();
  const address = typeof server.address === "string"
    ? server.address
    : `@${server.address.abstract}`;
  const readers = [];
  for (let i = 0; i < n; i++) {
    const [program, ...args] = peerCommand(new URL(import.meta.url), [
      "--read",
      address,
      ...(validate ? ["--validate"] : []),
    ]);
    const child = spawn(program, args, { stdio: ["ignore", "inherit", "inherit"] });
    const exited = new Promise<number>((ok) =>
      child.on("exit", (code: number | null) => ok(code ?? 1))
    );
    const access = await server.accept({ timeoutMs });
    await (await offer())(access);
    const serving = owner.serve(access);
    const frames = await server.accept({ timeoutMs });
    await frames.expect("reader", { timeoutMs });
    readers.push({ access, frames, serving, exited });
  }
  server.close();
  return readers;
}

/** The writer: exports the image, starts the readers, writes every frame, collects the checks. */
async function write(
  options: { frames: number; readers: number; width: number; height: number; validate: boolean },
) {
  const timeoutMs = 30_000;
  using gpu = openGpu("vkshare image_readers", { validation: options.validate });
  using device = Device.create(gpu.pd);
  using image = GpuImage.create(device, {
    width: options.width,
    height: options.height,
    external: "OPAQUE_FD",
  });
  using memory = DeviceMemory.allocate(device, { for: image, exportAs: "OPAQUE_FD" });
  using owner = AccessOwner.create(device, { image, label: "frame", timeoutMs });
  const offer = () =>
    Promise.resolve(async (s: ShareSocket) => {
      using exp = memory.exportFd();
      await sendOffer(s, { label: "frame", memory: exp, image });
    });
  const readers = await startReaders(options.readers, owner, offer, options.validate, timeoutMs);
  const bytes = options.width * options.height * 4;
  using staging = hostBuffer(device, bytes);
  using cmd = CommandBuffer.create(device);
  const frameMs: number[] = [];
  const counts: number[] = [];
  let wrong = 0;
  // The fd counts compared: after frame 9 (the first frames make what is reused) and after the
  // last. Deno opens a socketpair of its own about 0.5 s after it starts, so every process
  // starts its frames 1 s in (settled), here and in the readers (startUp).
  const base = Math.min(9, options.frames - 1);
  await settled();
  for (let f = 0; f < options.frames; f++) {
    const t0 = performance.now();
    staging.memory!.map().set(pattern(bytes, f));
    const layout = LAYOUTS[f % LAYOUTS.length];
    const w = await owner.begin("write");
    copyUnder(device, cmd, w, image, staging, layout);
    await owner.end(w);
    await Promise.all(
      readers.map((r) =>
        r.frames.send({ type: "frame", frame: f, layout, base, last: options.frames - 1 })
      ),
    );
    for (const r of readers) {
      const d = (await r.frames.expect("done", { timeoutMs })).message;
      if (d.frame !== f || d.wrong !== -1) wrong++;
    }
    frameMs.push(performance.now() - t0);
    if (f === base || f === options.frames - 1) counts.push(fds());
  }
  return {
    readers,
    frameMs,
    counts,
    wrong,
    sync: owner.sync,
    device: gpu.pd.name,
    validate: options.validate,
    instance: gpu.instance,
  };
}

if (import.meta.main) {
  const cli = parseCli({
    name: "examples/image_readers.ts",
    summary:
      "One writer and N readers of an OPTIMAL image, in N+1 processes, under the access protocol.",
    flags: {
      frames: { type: "string", value: "N", description: "frames", default: "1000" },
      readers: { type: "string", value: "N", description: "reader processes", default: "2" },
      size: { type: "string", value: "WxH", description: "the image's size", default: "256x256" },
      validate: {
        type: "boolean",
        description: "enable the validation layer in every process; fail on anything it reports",
      },
      read: {
        type: "string",
        value: "ADDRESS",
        description: "be a reader of the writer at ADDRESS",
        hidden: true,
      },
    },
  });
  const validate = cli.flag("validate");
  const address = cli.string("read");
  if (address !== undefined) {
    await read(address, validate, 30_000);
  } else {
    const frames = cli.int("frames", { min: 1, max: 1_000_000 });
    const readers = cli.int("readers", { min: 1, max: 8 });
    const size = cli.string("size") ?? "256x256";
    const m = size.match(/^(\d{1,5})x(\d{1,5})$/);
    if (!m || +m[1] < 1 || +m[2] < 1) cli.fail(`--size: expected WxH, like 256x256, got ${size}`);
    await report(await write({ frames, readers, width: +m![1], height: +m![2], validate }));
  }
}

/** Ends the readers, collects their fd counts and exits, and prints the writer's line. */
async function report(r: Awaited<ReturnType<typeof write>>) {
  await Promise.all(r.readers.map((x) => x.frames.send({ type: "stop" })));
  const readerFds: number[][] = [];
  for (const x of r.readers) {
    readerFds.push(
      (await x.frames.expect("fds", { timeoutMs: 30_000 })).message.counts as number[],
    );
  }
  const codes = await Promise.all(r.readers.map((x) => x.exited));
  for (const x of r.readers) {
    x.access.close();
    x.frames.close();
    await x.serving;
  }
  if (r.validate) r.instance.assertNoValidationErrors();
  const sorted = [...r.frameMs].sort((a, b) => a - b);
  const line = {
    frames: r.frameMs.length,
    readers: r.readers.length,
    device: r.device,
    sync: r.sync,
    frameP50Ms: +sorted[Math.floor(sorted.length / 2)].toFixed(3),
    wrongFrames: r.wrong,
    fds: { writer: r.counts, readers: readerFds },
    readerExits: codes,
    validated: r.validate,
  };
  console.log(JSON.stringify(line));
  const flat = [r.counts, ...readerFds].every((c) => c[0] === c[c.length - 1]);
  if (r.wrong || !flat || codes.some((c) => c !== 0)) process.exit(1);
}
