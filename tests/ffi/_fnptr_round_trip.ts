// Run by fn_pointer_test.ts with VKSHARE_FNPTR set: prints how function pointers are called (and
// why not through the trampoline), then
// shares 64 KiB between two devices (vkGetMemoryFdKHR and the import are extension commands,
// called through function pointers) and prints whether every byte arrived.
import { rt } from "../../ffi/runtime.ts";
import { Device, DeviceMemory, GpuBuffer, Instance, Transfer } from "../../mod.ts";

console.log(`fnPointers ${rt.fnPointers}`);
console.log(`why ${rt.fnPointersWhy}`);
using instance = Instance.create();
const pd = instance.physicalDevices()[0];
using a = Device.create(pd);
using b = Device.create(pd);
using src = GpuBuffer.create(a, { size: 65536, external: "OPAQUE_FD" });
using mem = DeviceMemory.allocate(a, { for: src, exportAs: "OPAQUE_FD" });
using ta = Transfer.create(a);
const data = new Uint8Array(65536).map((_, i) => (i * 31 + 7) & 0xff);
ta.write(src, data);
using exp = mem.exportFd("OPAQUE_FD");
using dst = GpuBuffer.create(b, { size: 65536, external: "OPAQUE_FD" });
using _imported = DeviceMemory.importFd(b, exp.fd, exp.descriptor, { for: dst });
using tb = Transfer.create(b);
const back = tb.read(dst);
console.log(`bytes ${back.every((v, i) => v === data[i]) ? "equal" : "differ"}`);
