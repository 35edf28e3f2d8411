// Run by import_heap_test.ts in a process of its own: `count` export/import/free cycles of 4 KiB
// OPAQUE_FD memory between two devices, printing the JS heap after a full collection at each
// tenth (JSON lines: {"cycles", "heapMB", "rssMB"}). Deno needs --v8-flags=--expose-gc, Node
// --expose-gc.
// @ts-types="../../cli/_node/fs.d.ts"
import { readFileSync } from "node:fs";
import { Device, DeviceMemory, Instance } from "../../mod.ts";

const count = Number(process.argv[2] ?? 4000);
// deno-lint-ignore no-explicit-any
const g = globalThis as any;
const collect = () => ("Bun" in g ? g.Bun.gc(true) : g.gc());
const sample = (cycles: number) => {
  collect();
  collect();
  const rss = Number(readFileSync("/proc/self/statm", "utf8").split(" ")[1]) * 4096;
  console.log(JSON.stringify({
    cycles,
    heapMB: process.memoryUsage().heapUsed / 2 ** 20,
    rssMB: rss / 2 ** 20,
  }));
};

using instance = Instance.create();
const pd = instance.physicalDevices()[0];
using a = Device.create(pd), b = Device.create(pd);
for (let k = 1; k <= count; k++) {
  using m = DeviceMemory.allocate(a, { size: 4096, exportAs: "OPAQUE_FD" });
  using e = m.exportFd();
  using _n = DeviceMemory.importFd(b, e.fd, e.descriptor);
  if (k % (count / 10) === 0) sample(k);
}
