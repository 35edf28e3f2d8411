// Two CUDA GPUs: the CUDA device of each Vulkan device is found by UUID, not by position, also
// when CUDA_VISIBLE_DEVICES reverses CUDA's order; memory shared with each is checked byte for
// byte; the Python peer hands out tensors on the cuda:N that is that GPU. Skipped with fewer
// than two CUDA devices (everywhere but a two-GPU machine).
// @ts-types="../../cli/_node/child_process.d.ts"
import { spawnSync } from "node:child_process";

import { assert, assertEquals } from "@std/assert";
import { CudaContext, type CudaDeviceInfo, cudaDevices } from "../../cuda/mod.ts";
import { runCudaInterop } from "../../examples/cuda_interop.ts";
import { runTorchFrames, TorchUnavailable } from "../../examples/torch_frames.ts";
import { Device, LibraryLoadError } from "../../mod.ts";
import { scriptCommand, test } from "../_harness.ts";
import { sharedInstance } from "../_vk.ts";

const cuda: CudaDeviceInfo[] = (() => {
  try {
    return cudaDevices();
  } catch (e) {
    if (e instanceof LibraryLoadError) return [];
    throw e;
  }
})();
const skip = cuda.length >= 2 ? false : `${cuda.length} CUDA device(s) here: needs two GPUs`;
const pds = sharedInstance().physicalDevices().filter((p) =>
  cuda.some((d) => d.uuid === p.deviceUUID)
);
/** CUDA_VISIBLE_DEVICES with CUDA's order reversed. */
const reversed = cuda.map((d) => d.ordinal).reverse().join(",");

test(
  "two GPUs: each Vulkan device's CUDA context is the CUDA device with its UUID; memory checked both ways on each",
  {
    skip,
  },
  () => {
    assert(pds.length >= 2, `${pds.length} Vulkan devices are CUDA devices`);
    for (const pd of pds) {
      using ctx = CudaContext.forVulkan(pd);
      assertEquals(ctx.device.uuid, pd.deviceUUID);
      assertEquals(ctx.device.ordinal, cuda.find((d) => d.uuid === pd.deviceUUID)!.ordinal);
      using device = Device.create(pd);
      const steps = runCudaInterop(device, { size: 1 << 20 });
      assert(steps.length > 0);
      console.log(`  ${pd.name} ${pd.deviceUUID} → CUDA ${ctx.device.ordinal}: every byte checked`);
    }
  },
);

test(
  `two GPUs: under CUDA_VISIBLE_DEVICES=${
    reversed || "1,0"
  } the UUID still picks the right CUDA device`,
  {
    skip,
  },
  () => {
    const [cmd, ...args] = scriptCommand(new URL("./_gpus.ts", import.meta.url).pathname);
    const r = spawnSync(cmd, args, {
      encoding: "utf8",
      env: { ...process.env, CUDA_VISIBLE_DEVICES: reversed },
    });
    assertEquals(r.status, 0, r.stderr);
    const seen = JSON.parse(r.stdout.trim().split("\n").at(-1)!) as {
      picked: { deviceUUID: string; ordinal: number; uuid: string }[];
    };
    assertEquals(seen.picked.length, cuda.length);
    for (const p of seen.picked) {
      assertEquals(p.uuid, p.deviceUUID, "the CUDA device picked is that GPU");
      // CUDA's ordinals are reversed there: ordinal k here is n-1-k there.
      const here = cuda.find((d) => d.uuid === p.deviceUUID)!.ordinal;
      assertEquals(p.ordinal, cuda.length - 1 - here);
    }
  },
);

test(
  "two GPUs: the Python peer's tensor is on the cuda:N of the offer's GPU, in either CUDA order",
  {
    skip,
  },
  async () => {
    const envs: Record<string, string>[] = [{}, { CUDA_VISIBLE_DEVICES: reversed }];
    for (const env of envs) {
      for (const pd of pds) {
        using device = Device.create(pd);
        const here = cuda.find((d) => d.uuid === pd.deviceUUID)!.ordinal;
        const want = "CUDA_VISIBLE_DEVICES" in env ? cuda.length - 1 - here : here;
        try {
          const r = await runTorchFrames(device, {
            mode: "zero-copy",
            frames: 20,
            size: 1 << 20,
            env,
          });
          assertEquals(r.pythonDevice, `cuda:${want}`, JSON.stringify(env));
        } catch (e) {
          if (e instanceof TorchUnavailable) return console.log(`  not run: ${e.reason}`);
          throw e;
        }
      }
    }
  },
);
