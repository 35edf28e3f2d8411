// The other process of the cross-process tests (run by tests/ipc/process_test.ts with the same runtime):
//   export <socket>         exports 64 KiB of memory holding a pattern, offers it, then waits to be
//                           killed
//   import-hang <socket>    receives an offer, imports it, then waits to be killed without acking
//   import-loop <socket> N [plain|bound] [W]  N times: receive an offer, import it (bound to a
//                           new buffer, or with "plain" the memory alone), free it, ack; then
//                           reports the fds it opened in the second half and left open, and the
//                           p50 of each cycle's phases after the first W (ns: receive, import,
//                           free, ack). N "until": until an offer without memory, the phases
//                           and fds counted from the first offer labelled "handoff ..." on (the
//                           bench's: a warm-up of its own length before them)
//   import-into <socket> UUID  on the device whose deviceUUID is UUID: receives an offer (checked
//                           against that device), imports its memory, prints one JSON line
//                           (imported, or the refusal's rule and message; its fd count before
//                           and after; whether the device still allocates)
//   import-ranges <socket> N  N times: receives an offer of memory with a range ("range I"),
//                           imports the memory, binds a buffer at the range, reads it and checks
//                           it holds pattern(size, I); then sends one message with every wrong
//                           byte's index (-1: none) and its fd count after the first and the last
//   hold-memfd              opens a memfd holding "vkshare", prints "pid fd", waits to be killed
//   connect <socket>        connects (to an abstract name: `@name`), prints what happened
//   listen <path>           listens at <path>, prints "listening", waits for a signal
import { libc, MFD_CLOEXEC } from "../ffi/libc.ts";
import { cString } from "../ffi/vulkan.ts";
import { receiveOffer, sendOffer, ShareServer, ShareSocket } from "../ipc/mod.ts";
import { bufferInRange } from "../memory/mod.ts";
import { Device, DeviceMemory, GpuBuffer, Instance, ShareError, Transfer } from "../mod.ts";
import { describeFd } from "../share/mod.ts";
// @ts-types="../cli/_node/fs.d.ts"
import { readdirSync } from "node:fs";
import { pattern } from "./pattern.ts";

const [command, where, count, how, skip] = process.argv.slice(2);
const at = where?.startsWith("@") ? { abstract: where.slice(1) } : where;
const SIZE = 65536;
const forever = () => new Promise(() => setInterval(() => {}, 1 << 30));
const fdSet = () => new Set(readdirSync("/proc/self/fd").map(Number));

if (command === "hold-memfd") {
  const fd = libc().memfd_create!(cString("vkshare-peer"), MFD_CLOEXEC);
  const data = new TextEncoder().encode("vkshare");
  libc().ftruncate(fd, BigInt(data.length));
  console.log(`${process.pid} ${fd}`);
  await forever();
}

if (command === "listen") {
  ShareServer.listen({ at: at! });
  console.log("listening");
  await forever();
}

if (command === "connect") {
  try {
    using s = await ShareSocket.connect(at!, { timeoutMs: 5000 });
    const r = await s.receive({ timeoutMs: 5000 });
    console.log(`received ${JSON.stringify(r.message)}`);
  } catch (e) {
    console.log(`refused: ${(e as Error).message}`);
  }
  process.exit(0);
}

using instance = Instance.create();
// The test's device, by UUID (tests/_vk.ts sets VKSHARE_PEER_DEVICE_UUID): with two GPUs (or two
// drivers) two processes can enumerate them in different orders.
const wanted = command === "import-into" ? count : process.env.VKSHARE_PEER_DEVICE_UUID;
const pd = wanted ? instance.deviceFor(wanted) : instance.physicalDevices()[0];
using device = Device.create(pd);
// Deno 2.9 opens a socketpair of its own about 0.5 s after it starts, whatever the script does
// (seen with strace; DENO_NO_UPDATE_CHECK does not stop it). On a loaded machine it fell inside
// import-loop's counted half, so that loop starts 2 s into the process, before it connects
// (the exporter's clock starts after accept: nothing it times includes this wait).
if (command === "import-loop") {
  while (performance.now() < 2000) await new Promise((r) => setTimeout(r, 50));
}
using socket = await ShareSocket.connect(at!, { timeoutMs: 10_000 });

if (command === "export") {
  using buffer = GpuBuffer.create(device, { size: SIZE, external: "OPAQUE_FD" });
  using memory = DeviceMemory.allocate(device, { for: buffer, exportAs: "OPAQUE_FD" });
  using transfer = Transfer.create(device);
  transfer.write(buffer, pattern(SIZE, 7));
  {
    using exp = memory.exportFd();
    await sendOffer(socket, { label: "pattern 7", memory: exp });
  }
  console.log("offered");
  await forever();
}

if (command === "import-hang") {
  using offer = await receiveOffer(socket, { device });
  using buffer = GpuBuffer.create(device, { size: SIZE, external: "OPAQUE_FD" });
  using _m = DeviceMemory.importFd(device, offer.memory!.fd, offer.memory!.descriptor, {
    for: buffer,
  });
  console.log("imported");
  await forever();
}

if (command === "import-ranges") {
  using transfer = Transfer.create(device);
  const wrong: number[] = [];
  const fds: number[] = [];
  for (let i = 0; i < Number(count); i++) {
    using offer = await receiveOffer(socket, { device, timeoutMs: 30_000 });
    const seed = Number(offer.label.split(" ")[1]);
    using memory = DeviceMemory.importFd(device, offer.memory!.fd, offer.memory!.descriptor);
    using buffer = bufferInRange(memory, offer.range!);
    const want = pattern(offer.range!.size, seed);
    const got = transfer.read(buffer);
    wrong.push(got.findIndex((b, j) => b !== want[j]));
    if (i === 0) fds.push(fdSet().size);
  }
  fds.push(fdSet().size);
  await socket.send({ type: "ranges", wrong, fds });
  await socket.expect("done", { timeoutMs: 10_000 });
}

if (command === "import-into") {
  const before = fdSet().size;
  let result: Record<string, unknown>;
  try {
    using offer = await receiveOffer(socket, { device, timeoutMs: 30_000 });
    using _m = DeviceMemory.importFd(device, offer.memory!.fd, offer.memory!.descriptor);
    result = { imported: true };
  } catch (e) {
    if (!(e instanceof ShareError)) throw e;
    result = { rule: e.rule, message: e.message };
  }
  let allocates = true;
  try {
    DeviceMemory.allocate(device, { size: 4096 })[Symbol.dispose]();
  } catch {
    allocates = false;
  }
  console.log(JSON.stringify({ ...result, before, after: fdSet().size, allocates }));
}

if (command === "import-loop") {
  const until = count === "until";
  const n = until ? Infinity : Number(count);
  let before = new Set<number>();
  let measuring = false;
  // Each cycle's phases in ns, as vkbench.c's consumer times its own: receive (waiting
  // included), import, free, ack; the same order too (the ack after the free).
  const phases = {
    receive: [] as number[],
    import: [] as number[],
    free: [] as number[],
    ack: [] as number[],
  };
  for (let i = 0; i < n; i++) {
    // From the middle on (or the first counted offer, taken before each until then): the
    // driver's and the runtime's own first-use fds are open by then.
    if (until ? !measuring : i === Math.floor(n / 2)) before = fdSet();
    const t0 = performance.now();
    const offer = await receiveOffer(socket, { device });
    const t1 = performance.now();
    if (until && offer.memory === null) {
      offer[Symbol.dispose]();
      break;
    }
    measuring = until ? measuring || offer.label.startsWith("handoff") : i >= Number(skip ?? 0);
    // "plain": the memory alone, as bench/reference/vkbench.c's handoff imports it.
    const buffer = how === "plain"
      ? null
      : GpuBuffer.create(device, { size: SIZE, external: "OPAQUE_FD" });
    const m = DeviceMemory.importFd(device, offer.memory!.fd, offer.memory!.descriptor, {
      ...(buffer ? { for: buffer } : {}),
    });
    const t2 = performance.now();
    m[Symbol.dispose]();
    buffer?.[Symbol.dispose]();
    offer[Symbol.dispose]();
    const t3 = performance.now();
    await socket.send({ type: "ack", i });
    const t4 = performance.now();
    const ns = (t: number) => Math.round(t * 1e6);
    if (!measuring) continue;
    phases.receive.push(ns(t1 - t0)), phases.import.push(ns(t2 - t1));
    phases.free.push(ns(t3 - t2)), phases.ack.push(ns(t4 - t3));
  }
  const left = [...fdSet()].filter((fd) => !before.has(fd)).map((fd) => `${fd}: ${describeFd(fd)}`);
  const p50 = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const medians = Object.fromEntries(Object.entries(phases).map(([k, v]) => [k, p50(v)]));
  await socket.send({
    type: "fds",
    before: before.size,
    after: fdSet().size,
    left,
    phases: medians,
  });
  await socket.expect("done", { timeoutMs: 10_000 });
}
