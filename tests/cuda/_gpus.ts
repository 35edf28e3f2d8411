// The child of tests/cuda/two_gpus_test.ts, run under another CUDA_VISIBLE_DEVICES: prints one
// JSON line: for each Vulkan device that is a CUDA device, its deviceUUID and the CUDA ordinal
// CudaContext.forVulkan picked here; then shares memory both ways with the last one
// (examples/cuda_interop.ts, every byte checked) and says so.
import { CudaContext, cudaDevices } from "../../cuda/mod.ts";
import { runCudaInterop } from "../../examples/cuda_interop.ts";
import { Device, Instance } from "../../mod.ts";

using instance = Instance.create();
const uuids = new Set(cudaDevices().map((d) => d.uuid));
const pds = instance.physicalDevices().filter((p) => uuids.has(p.deviceUUID));
const picked = pds.map((pd) => {
  using cuda = CudaContext.forVulkan(pd);
  return { deviceUUID: pd.deviceUUID, ordinal: cuda.device.ordinal, uuid: cuda.device.uuid };
});
using device = Device.create(pds.at(-1)!);
runCudaInterop(device, { size: 1 << 20 });
console.log(JSON.stringify({ picked, checked: pds.at(-1)!.deviceUUID }));
