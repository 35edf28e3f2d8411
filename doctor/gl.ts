/**
 * The doctor's OpenGL paths: whether a GL context on a Vulkan device's GPU imports its OPAQUE_FD
 * memory (GL_EXT_memory_object_fd), binary semaphores (GL_EXT_semaphore_fd) and timelines
 * (GL_NV_timeline_semaphore too), which handoff applies, and with `--prove` each run end to end.
 *
 * @module
 */
import { GL_TIMELINES, GlBuffer, GlContext, GlSemaphore } from "../gl/mod.ts";
import { DeviceMemory } from "../memory/device_memory.ts";
import { GpuBuffer } from "../memory/gpu_buffer.ts";
import { Transfer } from "../memory/transfer.ts";
import type { GlFacts } from "../share/gl_plan.ts";
import { Fence } from "../sync/fence.ts";
import { Semaphore } from "../sync/semaphore.ts";
import { Device } from "../vulkan/device.ts";
import type { PhysicalDevice } from "../vulkan/instance.ts";
import { type Proof, proofFailed, proofOf, type Verdict } from "./proof.ts";

/**
 * Into GL: the verdict, why not, which handoff applies, and with `--prove` its run.
 *
 * @example
 * ```ts
 * const gl: GlPathReport | undefined = sharePaths(pd).find((p) => p.gl)?.gl;
 * console.log(gl?.verdict, gl?.handoff); // "works" "host" on Mesa
 * ```
 */
export interface GlPathReport {
  /** `works`, or `not-offered` with the cause. */
  verdict: Verdict;
  /** Why not. */
  cause?: string;
  /** How GL and Vulkan hand work over: semaphores (GL_EXT_semaphore_fd), or the host (glFinish, a fence wait). */
  handoff?: "semaphore" | "host";
  /** With `--prove`, the run. */
  proof?: Proof;
}

/** The GL verdict of `pd`'s OPAQUE_FD memory path (whose Vulkan verdict is `vulkan`). */
export function glMemoryPath(
  pd: PhysicalDevice,
  gl: GlFacts | string,
  vulkan: Verdict,
  prove: boolean,
): GlPathReport {
  if (typeof gl === "string") return { verdict: "not-offered", cause: gl };
  if (vulkan !== "works") return { verdict: "not-offered", cause: "Vulkan does not export it" };
  const handoff = gl.extensions.includes("GL_EXT_semaphore_fd") ? "semaphore" : "host";
  return { verdict: "works", handoff, ...(prove ? { proof: proveGlMemory(pd) } : {}) };
}

/** The GL verdict of `pd`'s OPAQUE_FD semaphore path of `type`. */
export function glSemaphorePath(
  pd: PhysicalDevice,
  gl: GlFacts | string,
  vulkan: Verdict,
  prove: boolean,
  type: "binary" | "timeline",
): GlPathReport {
  if (typeof gl === "string") return { verdict: "not-offered", cause: gl };
  if (!gl.extensions.includes("GL_EXT_semaphore_fd")) {
    return {
      verdict: "not-offered",
      cause:
        `${gl.name} has no GL_EXT_semaphore_fd: GL and Vulkan hand off through the host (GlContext.finish after GL's work, a fence wait before GL's)`,
      handoff: "host",
    };
  }
  if (type === "timeline" && !gl.extensions.includes(GL_TIMELINES)) {
    return {
      verdict: "not-offered",
      cause: `${gl.name} has no ${GL_TIMELINES}: hand binary semaphores to GL instead`,
      handoff: "semaphore",
    };
  }
  if (vulkan !== "works") return { verdict: "not-offered", cause: "Vulkan does not export it" };
  const proof = type === "binary" ? proveGlSemaphores : proveGlTimeline;
  return { verdict: "works", handoff: "semaphore", ...(prove ? { proof: proof(pd) } : {}) };
}

/**
 * 64 KiB written by Vulkan, exported, imported into GL as a buffer and read back through GL,
 * bytes checked, 20 times; the p50 covers the export, the import and the read.
 */
function proveGlMemory(pd: PhysicalDevice): Proof {
  const runs = 20, size = 65536;
  try {
    using device = Device.create(pd);
    using gl = GlContext.create({ deviceUUID: pd });
    using src = GpuBuffer.create(device, { size, external: "OPAQUE_FD" });
    using memory = DeviceMemory.allocate(device, { for: src, exportAs: "OPAQUE_FD" });
    using transfer = Transfer.create(device);
    const pattern = new Uint8Array(size).map((_, i) => (i * 13 + 5) & 0xff);
    transfer.write(src, pattern);
    const times: number[] = [];
    let ok = true;
    for (let i = 0; i < runs; i++) {
      const t0 = performance.now();
      using exp = memory.exportFd("OPAQUE_FD");
      using buffer = GlBuffer.import(gl, exp.fd, exp.descriptor);
      const back = buffer.read();
      times.push(performance.now() - t0);
      ok &&= back.every((v, j) => v === pattern[j]);
    }
    return proofOf(
      ok,
      times,
      `64 KiB exported, imported into GL (${gl.platform} platform) as a buffer, read back through GL, bytes checked (${runs} runs)`,
    );
  } catch (e) {
    return proofFailed(e);
  }
}

/**
 * Two binary semaphores imported into GL; Vulkan signals one, GL waits for it and signals the
 * other, Vulkan waits for that with a fence (10 s at most), 20 times: the round trip's p50.
 */
function proveGlSemaphores(pd: PhysicalDevice): Proof {
  const runs = 20;
  try {
    using device = Device.create(pd);
    using gl = GlContext.create({ deviceUUID: pd });
    using fence = Fence.create(device);
    const times: number[] = [];
    let ok = true;
    for (let i = 0; i < runs; i++) {
      using toGl = Semaphore.create(device, { exportAs: "OPAQUE_FD" });
      using toVulkan = Semaphore.create(device, { exportAs: "OPAQUE_FD" });
      using a = toGl.exportFd("OPAQUE_FD");
      using b = toVulkan.exportFd("OPAQUE_FD");
      using glToGl = GlSemaphore.import(gl, a.fd, a.descriptor);
      using glToVulkan = GlSemaphore.import(gl, b.fd, b.descriptor);
      const t0 = performance.now();
      device.queue().submit({ signal: [toGl] });
      glToGl.wait();
      glToVulkan.signal();
      device.queue().submit({ wait: [{ semaphore: toVulkan, stage: "ALL_COMMANDS" }], fence });
      ok &&= fence.wait(10_000) === "signaled";
      times.push(performance.now() - t0);
      fence.reset();
      gl.finish();
    }
    return proofOf(
      ok,
      times,
      `Vulkan signaled, GL waited and signaled back, Vulkan's fence saw it (binary OPAQUE_FD semaphores, ${runs} runs)`,
    );
  } catch (e) {
    return proofFailed(e);
  }
}

/**
 * A timeline imported into GL; GL waits for Vulkan's value and signals the next, Vulkan's host
 * waits for that (10 s at most), 20 times: the round trip's p50.
 */
function proveGlTimeline(pd: PhysicalDevice): Proof {
  const runs = 20;
  try {
    using device = Device.create(pd);
    using gl = GlContext.create({ deviceUUID: pd });
    using timeline = Semaphore.create(device, { type: "timeline", exportAs: "OPAQUE_FD" });
    using e = timeline.exportFd("OPAQUE_FD");
    using inGl = GlSemaphore.import(gl, e.fd, e.descriptor);
    const times: number[] = [];
    let ok = true;
    for (let v = 1n; v < 2n * BigInt(runs); v += 2n) {
      const t0 = performance.now();
      timeline.signal(v);
      inGl.wait({ value: v });
      inGl.signal({ value: v + 1n });
      ok &&= timeline.wait(v + 1n, 10_000) === "signaled";
      times.push(performance.now() - t0);
    }
    return proofOf(
      ok,
      times,
      `Vulkan signaled, GL waited and signaled the next value, Vulkan's host saw it (an OPAQUE_FD timeline, ${runs} runs)`,
    );
  } catch (e) {
    return proofFailed(e);
  }
}
