/**
 * Vulkan and CUDA on one GPU, sharing memory and semaphores through libcuda, with no compilation.
 *
 *     deno run -A examples/cuda_interop.ts [--size BYTES] [--semaphores timeline|binary]
 *
 * 1. Vulkan fills a buffer of exported memory (16 chunks, each its own 32-bit value) and signals
 *    an exported semaphore.
 * 2. CUDA imports the memory and the semaphore (the CUDA device is the one whose UUID is the
 *    Vulkan deviceUUID), waits on the semaphore, reads the buffer back and checks every byte.
 * 3. CUDA writes a new pattern and signals; Vulkan waits, copies the buffer to host-visible
 *    memory, and checks every byte.
 * 4. The other direction: CUDA allocates exportable memory (cuMemCreate), fills it and exports
 *    it; Vulkan imports it and checks every byte.
 *
 * Each step prints its latency. Where there is no CUDA driver, it says so and exits with 0.
 *
 * @module
 */
import { parseCli } from "../cli/_args.ts";
import { type CudaBuffer, CudaContext } from "../cuda/mod.ts";
import {
  CommandBuffer,
  Device,
  DeviceMemory,
  Fence,
  GpuBuffer,
  LibraryLoadError,
  Semaphore,
} from "../mod.ts";
import { openGpu, stepRecorder, type TimedStep } from "./_setup.ts";
import { firstWrong, frameValue } from "./pipeline.ts";

const CHUNKS = 16;

/** Options of {@linkcode runCudaInterop}. */
export interface CudaInteropOptions {
  /** Bytes shared, a multiple of 64 (default 1 MiB). */
  size?: number;
  /** The semaphores: one timeline semaphore (values 1, 2) or two binary ones (default timeline). */
  semaphores?: "timeline" | "binary";
  /** Called with a line per step. */
  log?: (line: string) => void;
  /** How long any one wait may take, in ms (default 10,000). */
  timeoutMs?: number;
}

/** One step of the exchange and how long it took. */
export type CudaInteropStep = TimedStep;

/**
 * Runs the exchange between `device` and the CUDA device that is the same GPU; throws on a wrong
 * byte or a wait that times out. Returns each step with its latency.
 */
export function runCudaInterop(
  device: Device,
  options: CudaInteropOptions = {},
): CudaInteropStep[] {
  const size = options.size ?? 1 << 20;
  const timeline = (options.semaphores ?? "timeline") === "timeline";
  const timeoutMs = options.timeoutMs ?? 10_000;
  const log = options.log ?? (() => {});
  if (size % (4 * CHUNKS)) throw new RangeError(`size must be a multiple of ${4 * CHUNKS}`);
  const steps: CudaInteropStep[] = [];
  const step = stepRecorder(steps, log);
  // Pattern n, as Vulkan's fill writes it: chunk c of 16 holds frameValue(n, c).
  const fillPattern = (buffer: CudaBuffer, n: number) => {
    for (let c = 0; c < CHUNKS; c++) {
      buffer.fill32(frameValue(n, c), { offset: (c * size) / CHUNKS, count: size / CHUNKS / 4 });
    }
  };
  const check = (bytes: Uint8Array, n: number, who: string) => {
    const at = firstWrong(bytes, n, size);
    if (at >= 0) throw new Error(`${who}: byte ${at} is ${bytes[at]}, not pattern ${n}'s`);
  };

  using cuda = step(
    "CUDA: the context of the Vulkan device's GPU (UUID match)",
    () => CudaContext.forVulkan(device),
  );
  // Vulkan's side: the shared buffer, a host-visible copy of it, the semaphores.
  using buffer = GpuBuffer.create(device, { size, external: "OPAQUE_FD" });
  using memory = DeviceMemory.allocate(device, { for: buffer, exportAs: "OPAQUE_FD" });
  using host = GpuBuffer.create(device, { size });
  using hostMemory = DeviceMemory.allocate(device, {
    for: host,
    properties: ["HOST_VISIBLE", "HOST_COHERENT"],
  });
  const bytes = hostMemory.map().subarray(0, size);
  using toCuda = Semaphore.create(device, {
    type: timeline ? "timeline" : "binary",
    exportAs: "OPAQUE_FD",
  });
  using toVulkan = timeline ? null : Semaphore.create(device, { exportAs: "OPAQUE_FD" });
  using cmd = CommandBuffer.create(device);
  using fence = Fence.create(device);
  const queue = device.queue();

  // CUDA's side: the imports.
  using shared = step(`CUDA: import ${size} bytes of Vulkan memory (OPAQUE_FD)`, () => {
    using exp = memory.exportFd("OPAQUE_FD");
    return cuda.importMemory(exp.fd, exp.descriptor);
  });
  using cudaBuffer = shared.mapBuffer({ size });
  const importSemaphore = (s: Semaphore) => {
    using exp = s.exportFd("OPAQUE_FD");
    return cuda.importSemaphore(exp.fd, exp.descriptor);
  };
  using cudaToCuda = step(
    `CUDA: import the ${timeline ? "timeline" : "binary"} semaphore(s)`,
    () => importSemaphore(toCuda),
  );
  using cudaToVulkan = toVulkan && importSemaphore(toVulkan);
  using stream = cuda.createStream();

  step("Vulkan: fill pattern 1, release the buffer, signal", () => {
    cmd.record((r) => {
      for (let c = 0; c < CHUNKS; c++) {
        r.fill(buffer, frameValue(1, c), { offset: (c * size) / CHUNKS, size: size / CHUNKS });
      }
      r.release(buffer);
    });
    queue.submit({
      commandBuffers: [cmd],
      signal: [timeline ? { semaphore: toCuda, value: 1 } : toCuda],
      fence,
    });
  });
  step("CUDA: wait on the semaphore", () => {
    stream.wait(timeline ? { semaphore: cudaToCuda, value: 1 } : cudaToCuda);
    if (stream.synchronize(timeoutMs) === "timeout") {
      throw new Error(`CUDA: Vulkan's signal did not arrive within ${timeoutMs} ms`);
    }
  });
  step("CUDA: read and check every byte", () => check(cudaBuffer.read(), 1, "CUDA"));
  step("CUDA: write pattern 2, signal", () => {
    fillPattern(cudaBuffer, 2);
    stream.signal(timeline ? { semaphore: cudaToCuda, value: 2 } : cudaToVulkan!);
  });
  step("Vulkan: wait on the semaphore, acquire, copy to host memory", () => {
    if (fence.wait(timeoutMs) === "timeout") throw new Error("Vulkan: the fill did not finish");
    fence.reset();
    cmd.record((r) => {
      r.acquire(buffer);
      r.copy(buffer, host, { size });
      r.hostRead(host, { size });
    });
    queue.submit({
      wait: [
        timeline
          ? { semaphore: toCuda, value: 2, stage: "TRANSFER" }
          : { semaphore: toVulkan!, stage: "TRANSFER" },
      ],
      commandBuffers: [cmd],
      fence,
    });
    if (fence.wait(timeoutMs) === "timeout") {
      throw new Error(`Vulkan: CUDA's signal did not arrive within ${timeoutMs} ms`);
    }
  });
  step("Vulkan: check every byte", () => check(bytes, 2, "Vulkan"));

  // The other direction: CUDA's memory in Vulkan.
  using cudaMemory = step(
    `CUDA: allocate ${size} exportable bytes (cuMemCreate)`,
    () => cuda.allocateExportable(size),
  );
  step("CUDA: write pattern 3", () => {
    fillPattern(cudaMemory.buffer, 3);
    cuda.synchronize();
  });
  using fromCuda = GpuBuffer.create(device, { size, external: "OPAQUE_FD" });
  using imported = step(`Vulkan: import CUDA's ${cudaMemory.size} bytes (OPAQUE_FD)`, () => {
    using exp = cudaMemory.exportFd(device, { for: fromCuda });
    return DeviceMemory.importFd(device, exp.fd, exp.descriptor, { for: fromCuda });
  });
  step("Vulkan: copy to host memory and check every byte", () => {
    fence.reset();
    cmd.record((r) => {
      r.copy(fromCuda, host, { size });
      r.hostRead(host, { size });
    });
    queue.submit({ commandBuffers: [cmd], fence });
    if (fence.wait(timeoutMs) === "timeout") throw new Error("Vulkan: the copy did not finish");
    check(bytes, 3, "Vulkan (CUDA's memory)");
  });
  void imported;
  return steps;
}

/** Why this machine cannot run the exchange (no libcuda, no CUDA device), or null. */
export function noCuda(device: Device): string | null {
  try {
    CudaContext.forVulkan(device)[Symbol.dispose]();
    return null;
  } catch (e) {
    if (e instanceof LibraryLoadError) return "no CUDA driver (libcuda.so.1)";
    return `no CUDA device for ${device.physicalDevice.name}: ${(e as Error).message}`;
  }
}

if (import.meta.main) {
  const cli = parseCli({
    name: "examples/cuda_interop.ts",
    summary:
      "Vulkan and CUDA share memory and semaphores both ways on an NVIDIA GPU (libcuda, matched by\nUUID); every byte is checked on both sides. Without libcuda it says so and does nothing.",
    flags: {
      semaphores: {
        type: "string",
        value: "TYPE",
        description: "timeline or binary",
        default: "timeline",
      },
      size: {
        type: "string",
        value: "BYTES",
        description: `a multiple of ${4 * CHUNKS}`,
        default: String(1 << 20),
      },
    },
  });
  const semaphores = cli.choice("semaphores", ["timeline", "binary"] as const);
  const size = cli.bytes("size", { min: 4 * CHUNKS, max: 2 ** 34, multipleOf: 4 * CHUNKS });
  using gpu = openGpu("vkshare cuda_interop");
  const { pd } = gpu;
  using device = Device.create(pd);
  const why = noCuda(device);
  if (why) cli.skip(`${pd.name}: ${why}`);
  else {
    console.log(
      `${pd.name} (${
        pd.driverName ?? "driver"
      } ${pd.driverVersionString}), deviceUUID ${pd.deviceUUID}: ${size} bytes, ${semaphores} semaphores`,
    );
    const steps = runCudaInterop(device, { size, semaphores, log: (l) => console.log(`  ${l}`) });
    const total = steps.reduce((s, x) => s + x.ms, 0);
    console.log(`OK: every byte checked on both sides and both ways, ${total.toFixed(3)} ms`);
  }
}
