// The cross-process op matrix's operations (tests/ipc/matrix_test.ts writes, tools/matrix_peer.ts
// reads): real writes (copy, fill, clear, blit, compute, draw) and real reads (copy, blit,
// compute, sampled) of a buffer, a buffer suballocated in a larger memory, or an OPTIMAL RGBA8
// image of 64 x 64, each with the barriers that hand it to VK_QUEUE_FAMILY_EXTERNAL and take it
// back. Every writer leaves word i = valueAt(i, seed) (fill and clear: valueAt(0, seed) in every
// word), which the reader checks. The shaders are tools/shaders/ (SPIR-V: tools/spirv.ts).
import type { ImageLayoutName } from "../core/mod.ts";
import { boundBuffer } from "../memory/mod.ts";
import type { Recorder } from "../memory/mod.ts";
import { ComputePipeline, DrawPipeline } from "../memory/mod.ts";
import { type Device, DeviceMemory, GpuBuffer, GpuImage } from "../mod.ts";
import { SPIRV } from "./shaders/spirv.ts";

export const W = 64, H = 64, WORDS = W * H, BYTES = WORDS * 4;
export const WRITES = ["copy", "fill", "clear", "blit", "compute", "draw"] as const;
export const READS = ["copy", "blit", "compute", "sampled"] as const;
export const RESOURCES = ["buffer", "suballocated", "image"] as const;
export const SYNCS = ["binary", "timeline", "host"] as const;
export type WriteOp = typeof WRITES[number];
export type ReadOp = typeof READS[number];
export type ResourceKind = typeof RESOURCES[number];
export type SyncKind = typeof SYNCS[number];

/** One scenario of the matrix, named cross_process.<write>.<read>.<resource>.<sync>. */
export interface Scenario {
  write: WriteOp;
  read: ReadOp;
  resource: ResourceKind;
  sync: SyncKind;
}

const BUFFER_WRITES: WriteOp[] = ["copy", "fill", "compute"];
const BUFFER_READS: ReadOp[] = ["copy", "compute"];
const IMAGE_WRITES: WriteOp[] = ["copy", "clear", "blit", "compute", "draw"];
const IMAGE_READS: ReadOp[] = ["copy", "blit", "compute", "sampled"];

/** Every scenario: buffers (plain and suballocated) 3 writes x 2 reads, images 5 x 4, x 3 syncs. */
export function scenarios(): Scenario[] {
  const list: Scenario[] = [];
  for (const sync of SYNCS) {
    for (const resource of RESOURCES) {
      const image = resource === "image";
      for (const write of image ? IMAGE_WRITES : BUFFER_WRITES) {
        for (const read of image ? IMAGE_READS : BUFFER_READS) {
          list.push({ write, read, resource, sync });
        }
      }
    }
  }
  return list;
}

/** The scenario's test name. */
export const scenarioName = (s: Scenario): string =>
  `cross_process.${s.write}.${s.read}.${s.resource}.${s.sync}`;

/** The word the shaders write at index i for `seed` (tools/shaders/value.glsl). */
export function valueAt(i: number, seed: number): number {
  let x = (Math.imul(i, 2654435761 | 0) ^ seed) >>> 0;
  x = (x ^ (x >>> 15)) >>> 0;
  x = Math.imul(x, 2246822519 | 0) >>> 0;
  return (x ^ (x >>> 13)) >>> 0;
}

/** The words the resource holds after `write` with `seed`. */
export function expected(write: WriteOp, seed: number): Uint32Array {
  const flat = write === "fill" || write === "clear";
  return Uint32Array.from({ length: WORDS }, (_, i) => valueAt(flat ? 0 : i, seed));
}

/** The first wrong word's index in `got` (-1: none). */
export function firstWrong(got: Uint32Array, write: WriteOp, seed: number): number {
  const want = expected(write, seed);
  return got.findIndex((w, i) => w !== want[i]);
}

export const BUFFER_USAGE = ["TRANSFER_SRC", "TRANSFER_DST", "STORAGE_BUFFER"] as const;
export const IMAGE_USAGE = [
  "TRANSFER_SRC",
  "TRANSFER_DST",
  "STORAGE",
  "SAMPLED",
  "COLOR_ATTACHMENT",
] as const;

/** The layout each write leaves the image in (what it reports to the reader). */
export const WRITE_LAYOUT: Record<WriteOp, ImageLayoutName> = {
  copy: "TRANSFER_DST_OPTIMAL",
  fill: "UNDEFINED",
  clear: "TRANSFER_DST_OPTIMAL",
  blit: "TRANSFER_DST_OPTIMAL",
  compute: "GENERAL",
  draw: "COLOR_ATTACHMENT_OPTIMAL",
};

/** The layout each read needs the image in. */
const READ_LAYOUT: Record<ReadOp, ImageLayoutName> = {
  copy: "TRANSFER_SRC_OPTIMAL",
  blit: "TRANSFER_SRC_OPTIMAL",
  compute: "GENERAL",
  sampled: "SHADER_READ_ONLY_OPTIMAL",
};

type Stage = "TRANSFER" | "COMPUTE_SHADER" | "COLOR_ATTACHMENT_OUTPUT";
const WRITE_STAGE: Record<
  WriteOp,
  [Stage, "TRANSFER_WRITE" | "SHADER_WRITE" | "COLOR_ATTACHMENT_WRITE"]
> = {
  copy: ["TRANSFER", "TRANSFER_WRITE"],
  fill: ["TRANSFER", "TRANSFER_WRITE"],
  clear: ["TRANSFER", "TRANSFER_WRITE"],
  blit: ["TRANSFER", "TRANSFER_WRITE"],
  compute: ["COMPUTE_SHADER", "SHADER_WRITE"],
  draw: ["COLOR_ATTACHMENT_OUTPUT", "COLOR_ATTACHMENT_WRITE"],
};
const READ_STAGE: Record<ReadOp, [Stage, "TRANSFER_READ" | "SHADER_READ"]> = {
  copy: ["TRANSFER", "TRANSFER_READ"],
  blit: ["TRANSFER", "TRANSFER_READ"],
  compute: ["COMPUTE_SHADER", "SHADER_READ"],
  sampled: ["COMPUTE_SHADER", "SHADER_READ"],
};

/** A host-visible, coherent buffer of `size` bytes (default BYTES): staging and results. */
export function hostBuffer(device: Device, size?: number): GpuBuffer {
  return boundBuffer(device, {
    size: size ?? BYTES,
    usage: [...BUFFER_USAGE],
    memory: { properties: ["HOST_VISIBLE", "HOST_COHERENT"], dedicated: false },
  });
}

/** The shared resource of one scenario on the writer's side, and its exportable memory. */
export function makeShared(
  device: Device,
  kind: ResourceKind,
): {
  resource: GpuBuffer | GpuImage;
  memory: DeviceMemory;
  range?: { offset: number; size: number };
} & Disposable {
  if (kind !== "suballocated") {
    const resource = kind === "image"
      ? GpuImage.create(device, {
        width: W,
        height: H,
        usage: [...IMAGE_USAGE],
        external: "OPAQUE_FD",
      })
      : GpuBuffer.create(device, { size: BYTES, usage: [...BUFFER_USAGE], external: "OPAQUE_FD" });
    const memory = DeviceMemory.allocate(device, { for: resource, exportAs: "OPAQUE_FD" });
    const dispose = () => (memory[Symbol.dispose](), resource[Symbol.dispose]());
    return { resource, memory, [Symbol.dispose]: dispose };
  }
  // Three buffers' worth of plain memory, the shared buffer in the middle one.
  const bits = (() => {
    using probe = GpuBuffer.create(device, {
      size: BYTES,
      usage: [...BUFFER_USAGE],
      external: "OPAQUE_FD",
    });
    return probe.requirements.memoryTypeBits;
  })();
  const allowed = device.physicalDevice.memoryTypes.filter((t) => bits & (1 << t.index));
  const type = (allowed.find((t) => t.flags.includes("DEVICE_LOCAL")) ?? allowed[0]).index;
  const memory = DeviceMemory.allocate(device, {
    size: 3 * BYTES,
    exportAs: "OPAQUE_FD",
    memoryTypeIndex: type,
  });
  const range = { offset: BYTES, size: BYTES };
  const buffer = GpuBuffer.create(device, {
    size: BYTES,
    usage: [...BUFFER_USAGE],
    external: "OPAQUE_FD",
  });
  buffer.bind(memory, range.offset);
  return {
    resource: buffer,
    memory,
    range,
    [Symbol.dispose]: () => (buffer[Symbol.dispose](), memory[Symbol.dispose]()),
  };
}

/** The pipelines, staging and local images one process's ops use. */
export class Ops implements Disposable {
  readonly device: Device;
  readonly staging: GpuBuffer;
  readonly out: GpuBuffer;
  readonly local: GpuImage;
  #pipelines = new Map<string, ComputePipeline | DrawPipeline>();
  #owned: Disposable[] = [];

  constructor(device: Device) {
    this.device = device;
    this.staging = hostBuffer(device);
    this.out = hostBuffer(device);
    this.local = GpuImage.create(device, { width: W, height: H, usage: [...IMAGE_USAGE] });
    this.#owned.push(this.staging, this.out, this.local);
    this.#owned.push(DeviceMemory.allocate(device, { for: this.local }));
  }

  /** The compute pipeline of `shader` (made once). */
  compute(
    shader: string,
    bindings: ("storage-buffer" | "storage-image" | "sampled-image")[],
  ): ComputePipeline {
    let p = this.#pipelines.get(shader);
    if (!p) {
      p = ComputePipeline.create(this.device, { code: SPIRV[shader], bindings, pushBytes: 12 });
      this.#pipelines.set(shader, p);
    }
    return p as ComputePipeline;
  }

  /** The draw pipeline (made once). */
  draw(): DrawPipeline {
    let p = this.#pipelines.get("draw");
    if (!p) {
      p = DrawPipeline.create(this.device, {
        vertex: SPIRV["fullscreen.vert"],
        fragment: SPIRV["value.frag"],
        width: W,
        height: H,
        pushBytes: 12,
      });
      this.#pipelines.set("draw", p);
    }
    return p as DrawPipeline;
  }

  /** Fills the staging buffer with valueAt(i, seed) (the copy and blit writes' source). */
  stage(seed: number): void {
    const m = this.staging.memory!.map();
    new Uint32Array(m.buffer, m.byteOffset, WORDS).set(expected("copy", seed));
  }

  /**
   * Records `write` into `target` with `seed`, then its release to VK_QUEUE_FAMILY_EXTERNAL (an
   * image stays in WRITE_LAYOUT[write]). Call stage(seed) first for copy and blit.
   */
  recordWrite(r: Recorder, write: WriteOp, target: GpuBuffer | GpuImage, seed: number): void {
    const [stage, access] = WRITE_STAGE[write];
    const push = new Uint32Array([seed, WORDS, W]);
    if (target instanceof GpuBuffer) {
      if (write === "copy") r.copy(this.staging, target);
      else if (write === "fill") r.fill(target, valueAt(0, seed));
      else {r.dispatch(this.compute("buffer_write.comp", ["storage-buffer"]), {
          bindings: [target],
          groups: [WORDS / 64],
          push,
        });}
      r.release(target, { srcStage: stage, srcAccess: access });
      return;
    }
    const layout = WRITE_LAYOUT[write];
    r.imageBarrier({
      image: target,
      oldLayout: "UNDEFINED",
      newLayout: layout,
      srcStage: "TOP_OF_PIPE",
      dstStage: stage,
      dstAccess: access,
    });
    if (write === "copy") r.copyBufferToImage(this.staging, target);
    else if (write === "clear") r.clearImage(target, unorm(valueAt(0, seed)));
    else if (write === "blit") this.#blitFromLocal(r, target);
    else if (write === "compute") {
      r.dispatch(this.compute("image_write.comp", ["storage-image"]), {
        bindings: [target],
        groups: [W / 8, H / 8],
        push,
      });
    } else r.draw(this.draw(), { target, vertices: 3, push });
    r.releaseImage(target, { oldLayout: layout, layout, srcStage: stage, srcAccess: access });
  }

  /** Copies the staging buffer into the local image, then blits that onto `target`. */
  #blitFromLocal(r: Recorder, target: GpuImage): void {
    this.#localTo(r, "TRANSFER_DST_OPTIMAL", "UNDEFINED");
    r.copyBufferToImage(this.staging, this.local);
    this.#localTo(r, "TRANSFER_SRC_OPTIMAL", "TRANSFER_DST_OPTIMAL");
    r.blitImage(this.local, target);
  }

  /** Blits `source` onto the local image, then copies that into `out`. */
  #blitToLocal(r: Recorder, source: GpuImage): void {
    this.#localTo(r, "TRANSFER_DST_OPTIMAL", "UNDEFINED");
    r.blitImage(source, this.local);
    this.#localTo(r, "TRANSFER_SRC_OPTIMAL", "TRANSFER_DST_OPTIMAL");
    r.copyImageToBuffer(this.local, this.out);
  }

  /** A transfer barrier of the local image from `from` (UNDEFINED: discarded) to `to`. */
  #localTo(r: Recorder, to: ImageLayoutName, from: ImageLayoutName): void {
    const first = from === "UNDEFINED";
    r.imageBarrier({
      image: this.local,
      oldLayout: from,
      newLayout: to,
      srcStage: first ? "TOP_OF_PIPE" : "TRANSFER",
      ...(first ? {} : { srcAccess: "TRANSFER_WRITE" as const }),
      dstStage: "TRANSFER",
      dstAccess: to === "TRANSFER_DST_OPTIMAL" ? "TRANSFER_WRITE" : "TRANSFER_READ",
    });
  }

  /**
   * Records the acquire of `source` from VK_QUEUE_FAMILY_EXTERNAL (an image from `layout`, the
   * writer's), `read` of it into `out`, and the barrier that makes `out` readable by the host.
   */
  recordRead(
    r: Recorder,
    read: ReadOp,
    source: GpuBuffer | GpuImage,
    layout: ImageLayoutName,
  ): void {
    const [stage, access] = READ_STAGE[read];
    const push = new Uint32Array([0, WORDS, W]);
    if (source instanceof GpuBuffer) {
      r.acquire(source, { dstStage: stage, dstAccess: access });
      if (read === "copy") r.copy(source, this.out);
      else {r.dispatch(this.compute("buffer_copy.comp", ["storage-buffer", "storage-buffer"]), {
          bindings: [source, this.out],
          groups: [WORDS / 64],
          push,
        });}
    } else {
      r.acquireImage(source, {
        layout,
        newLayout: READ_LAYOUT[read],
        dstStage: stage,
        dstAccess: access,
      });
      if (read === "copy") r.copyImageToBuffer(source, this.out);
      else if (read === "blit") this.#blitToLocal(r, source);
      else {
        const shader = read === "compute" ? "image_load.comp" : "image_sample.comp";
        const kind = read === "compute" ? "storage-image" : "sampled-image";
        r.dispatch(this.compute(shader, [kind, "storage-buffer"]), {
          bindings: [source, this.out],
          groups: [W / 8, H / 8],
          push,
        });
      }
    }
    const shader = stage === "COMPUTE_SHADER";
    r.barrier({
      buffer: this.out,
      srcStage: shader ? "COMPUTE_SHADER" : "TRANSFER",
      srcAccess: shader ? "SHADER_WRITE" : "TRANSFER_WRITE",
      dstStage: "HOST",
      dstAccess: "HOST_READ",
    });
  }

  /** The words `out` holds (after the read's submission finished). */
  result(): Uint32Array {
    const m = this.out.memory!.map();
    return new Uint32Array(m.slice(0, BYTES).buffer);
  }

  [Symbol.dispose](): void {
    for (const p of this.#pipelines.values()) p[Symbol.dispose]();
    for (const o of this.#owned.reverse()) o[Symbol.dispose]();
  }
}

/** The four unorm8 channels of `v` as floats (a clear color that stores exactly `v`). */
function unorm(v: number): [number, number, number, number] {
  return [0, 8, 16, 24].map((s) => ((v >>> s) & 0xff) / 255) as [number, number, number, number];
}
