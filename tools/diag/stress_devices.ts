// Diagnostic: creates and destroys instances (and optionally devices, memory, transfers) in a
// loop, and prints where a create first fails, with the process's open fd count.
//   deno run -A tools/diag/stress_devices.ts N [--validation] [--devices K] [--memory] [--transfer]
import { Device, DeviceMemory, GpuBuffer, Instance, Transfer } from "../../mod.ts";

const n = Number(Deno.args[0] ?? 100);
const flag = (f: string) => Deno.args.includes(f);
const i = Deno.args.indexOf("--devices");
const devices = i >= 0 ? Number(Deno.args[i + 1]) : 0;
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
