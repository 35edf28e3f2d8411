// Diagnostic: creates and destroys instances (and optionally devices, memory, transfers) in a
// loop, and prints where a create first fails, with the process's open fd count.
//   deno run -A tools/diag/stress_devices.ts [--iterations N] [--validation] [--devices K] [--memory] [--transfer]
import { parseCli } from "../../cli/_args.ts";
import { Device, DeviceMemory, GpuBuffer, Instance, Transfer } from "../../mod.ts";

const cli = parseCli({
  name: "tools/diag/stress_devices.ts",
  summary:
    "Creates and destroys instances (and devices, memory, transfers) in a loop; prints where a\ncreate first fails, with the open fd count.",
  flags: {
    iterations: { type: "string", value: "N", description: "loop count", default: "100" },
    validation: { type: "boolean", description: "instances with the validation layer" },
    devices: { type: "string", value: "K", description: "devices per instance", default: "0" },
    memory: { type: "boolean", description: "allocate exportable memory on each device" },
    transfer: { type: "boolean", description: "and copy through it" },
  },
});
const n = cli.int("iterations", { min: 1 });
const flag = (f: string) => cli.flag(f.slice(2));
const devices = cli.int("devices", { min: 0, max: 1000 });
const fds = () => [...Deno.readDirSync("/proc/self/fd")].length;
for (let it = 0; it < n; it++) {
  try {
    using instance = Instance.create({ validation: flag("--validation") });
    const pd = instance.physicalDevices()[0];
    for (let k = 0; k < devices; k++) {
      using d = Device.create(pd);
      if (flag("--memory")) {
        using buf = GpuBuffer.create(d, { size: 65536, external: "OPAQUE_FD" });
        using _m = DeviceMemory.allocate(d, { for: buf, exportAs: "OPAQUE_FD" });
        if (flag("--transfer")) {
          using t = Transfer.create(d);
          t.fill(buf, 1);
        }
      } else if (flag("--transfer")) {
        using _t = Transfer.create(d);
      }
    }
  } catch (e) {
    console.log(`iteration ${it}: ${(e as Error).message}; fds ${fds()}`);
    Deno.exit(1);
  }
}
console.log(`${n} iterations ok; fds ${fds()}`);
