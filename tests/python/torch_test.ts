// PyTorch, CuPy and JAX in another process, on the GPU: Vulkan frames handed to torch without a
// copy (CUDA imports the memory and two timeline semaphores; Python's loop never waits on the
// host), through the CUDA array interface and through DLPack for each package, the host-copy
// baseline through numpy and torch, CUDA memory offered back by the Python peer and imported into
// Vulkan, and tensors torch allocated itself imported into Vulkan (or refused by rule). Skipped where python3 has no PyTorch with a CUDA GPU, or no libcuda (our
// machines and CI, which run the numpy baseline in tests/examples_test.ts); run on the GPU machine.
// @ts-types="../../cli/_node/child_process.d.ts"
import { spawnSync } from "node:child_process";

import { assert, assertEquals, assertStringIncludes } from "@std/assert";
import { describeResult, runTorchFrames } from "../../examples/torch_frames.ts";
import { runTorchTensor, TensorRefused } from "../../examples/torch_tensor.ts";
import { libcSocket } from "../../ffi/libc_socket.ts";
import { receiveOffer, ShareServer } from "../../ipc/mod.ts";
import { Device, DeviceMemory, GpuBuffer, Transfer } from "../../mod.ts";
import { runScript, startCommand, test } from "../_harness.ts";
import { sharedInstance } from "../_vk.ts";

const PEER = new URL("../../python/vkshare_peer.py", import.meta.url).pathname;
const pd = sharedInstance().physicalDevices()[0];
const noTorch: string | false = (() => {
  const r = spawnSync("python3", [
    "-c",
    "import sys\ntry:\n import torch\nexcept ImportError:\n sys.exit(3)\nsys.exit(0 if torch.cuda.is_available() else 4)",
  ]);
  return r.status === 0
    ? false
    : r.status === 3
    ? "python3 has no PyTorch"
    : r.status === 4
    ? "PyTorch sees no CUDA GPU"
    : "no python3";
})();
/** Why python3 cannot run `package` on the GPU, or false. */
function noPackage(module: string, name: string): string | false {
  if (noTorch === "no python3") return noTorch;
  const r = spawnSync("python3", ["-c", `import ${module}`]);
  return r.status === 0 ? false : `python3 has no ${name}`;
}

const noCuda: string | false = spawnSync("python3", [PEER, "devices"]).status === 0
  ? false
  : "python3 cannot open libcuda.so.1 (no NVIDIA driver)";

test(
  "zero-copy frames to PyTorch in another process (the CUDA array interface): every element checked on both sides, no host wait in Python's loop, fds flat",
  { skip: noTorch },
  async () => {
    using device = Device.create(pd);
    for (const ring of [1, 2]) {
      const r = await runTorchFrames(device, {
        mode: "zero-copy",
        consumer: "torch-cai",
        frames: 200,
        size: 1 << 20,
        ring,
      });
      console.log(describeResult(r).map((l) => `  ${l}`).join("\n"));
      assertEquals([r.frames, r.ring, r.consumer], [200, ring, "torch-cai"]);
      assert(/^cuda:\d+$/.test(r.pythonDevice), r.pythonDevice);
      assertStringIncludes(r.pythonSync, "raised nothing");
      assert(r.offerToTensorMs! > 0 && r.pythonImportMs! > 0);
      assertEquals(r.fds.after, r.fds.before, "the script's fds");
      assertEquals(r.pythonFds.after, r.pythonFds.before, "Python's fds");
    }
  },
);

for (
  const [consumer, missing] of [
    ["torch", noTorch],
    ["cupy", noCuda || noPackage("cupy", "CuPy")],
    ["jax", noCuda || noPackage("jax", "JAX")],
  ] as const
) {
  test(
    `DLPack frames to ${consumer} in another process: zero-copy, every element checked on both sides, unconsumed capsules freed, fds flat`,
    { skip: missing },
    async () => {
      using device = Device.create(pd);
      for (const ring of consumer === "torch" ? [1, 2] : [1]) {
        const r = await runTorchFrames(device, {
          mode: "zero-copy",
          consumer,
          frames: 200,
          size: 1 << 20,
          ring,
        });
        console.log(describeResult(r).map((l) => `  ${l}`).join("\n"));
        assertEquals([r.consumer, r.frames, r.samePointer], [consumer, 200, 200]);
        if (consumer === "torch") assertStringIncludes(r.pythonSync, "raised nothing");
        assertEquals(r.fds.after, r.fds.before, "the script's fds");
        assertEquals(r.pythonFds.after, r.pythonFds.before, "Python's fds");
        const u = r.unconsumed!;
        assertEquals(u.count, 10_000);
        assertEquals(u.after, u.before, "what 10,000 untaken capsules held");
        assertEquals(u.before.imports, { memory: 1, semaphore: 2 });
      }
    },
  );
}

test(
  "a tensor torch allocated itself (expandable segments) is read by Vulkan in another process at its offset, byte for byte",
  { skip: noTorch },
  async () => {
    using device = Device.create(pd);
    const pad = (2 << 20) + 512;
    const r = await runTorchTensor(device, { size: 4 << 20, pad, torchIpc: true });
    console.log(`  ${JSON.stringify(r)}`);
    assertEquals(r.nbytes, 4 << 20);
    assert(r.offset >= pad && r.offset + r.nbytes <= r.allocationSize, JSON.stringify(r));
    assert(r.torchIpc !== null, "torch.multiprocessing's outcome");
  },
);

test(
  "as another user (no ptrace rights over the producer), torch's tensor still reaches Vulkan over the socket; torch.multiprocessing's outcome is reported",
  {
    skip: noTorch
      || (libcSocket().getuid() !== 0
        ? "not root: cannot run the consumers as another user"
        : false),
  },
  () => {
    // A child process: the example drops its own privileges, which the test runner must keep.
    const script = new URL("../../examples/torch_tensor.ts", import.meta.url).pathname;
    const r = runScript(script, ["--torch-ipc", "--consumer-uid", "65534"]);
    assertEquals(r.code, 0, r.err + r.out);
    assertStringIncludes(r.out, "imported into Vulkan, copied and checked");
    const torch = r.out.split("\n").find((l) => l.startsWith("torch.multiprocessing"));
    assert(torch, r.out);
    console.log(`  as uid 65534: ${torch}`);
  },
);

test(
  "torch tensors Vulkan cannot take are refused by rule: one spanning allocations, one from cudaMalloc",
  { skip: noTorch },
  async () => {
    using device = Device.create(pd);
    for (
      const [options, rule] of [
        [{ size: 64 << 20 }, "SPANS_ALLOCATIONS"],
        [{ size: 1 << 20, expandable: false }, "NOT_CUDA_VMM"],
      ] as const
    ) {
      const e = await runTorchTensor(device, options).then(
        () => null,
        (e: unknown) => e,
      );
      assert(e instanceof TensorRefused, String(e));
      assertEquals(e.rule, rule, e.message);
      console.log(`  ${e.message}`);
    }
  },
);

test(
  "the host-copy baseline with torch on the GPU: every element checked on both sides, fds flat",
  { skip: noTorch },
  async () => {
    using device = Device.create(pd);
    const r = await runTorchFrames(device, { mode: "host-copy", frames: 100, size: 1 << 20 });
    console.log(describeResult(r).map((l) => `  ${l}`).join("\n"));
    assert(/^cuda:\d+$/.test(r.pythonDevice), r.pythonDevice);
    assertEquals(r.fds.after, r.fds.before);
    assertEquals(r.pythonFds.after, r.pythonFds.before);
  },
);

test(
  "CUDA memory allocated and offered by the Python peer imports into Vulkan, byte for byte",
  { skip: noCuda },
  async () => {
    using device = Device.create(pd);
    using server = ShareServer.listen();
    const child = startCommand(["python3", PEER, "offer-cuda", server.address as string]);
    using socket = await server.accept({ timeoutMs: 30_000 });
    const size = 1 << 20;
    using buffer = GpuBuffer.create(device, { size, external: "OPAQUE_FD" });
    const types = pd.memoryTypes;
    const bits = buffer.requirements.memoryTypeBits;
    const memoryTypeIndex =
      types.find((t) => (bits & (1 << t.index)) && t.flags.includes("DEVICE_LOCAL"))!.index;
    await socket.send({
      type: "want",
      size,
      deviceUUID: pd.deviceUUID,
      driverUUID: pd.driverUUID,
      deviceName: pd.name,
      memoryTypeIndex,
    });
    {
      using offer = await receiveOffer(socket, { timeoutMs: 30_000, device });
      const d = offer.memory!.descriptor;
      assertEquals([d.handleType, d.deviceUUID, d.memoryTypeIndex], [
        "OPAQUE_FD",
        pd.deviceUUID,
        memoryTypeIndex,
      ]);
      assert(d.size >= size, `${d.size} bytes`);
      using _m = DeviceMemory.importFd(device, offer.memory!.fd, d, { for: buffer });
      using t = Transfer.create(device);
      const bytes = t.read(buffer);
      const at = bytes.findIndex((b, i) => b !== (i * 7 + 3) % 256);
      assertEquals(at, -1, `byte ${at} is ${bytes[at]}`);
    }
    await socket.send({ type: "ack" });
    const r = await child.exited;
    assertEquals(r.code, 0, r.err);
    assertStringIncludes(r.out, '"offered"');
  },
);
