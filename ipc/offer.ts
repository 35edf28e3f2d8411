/**
 * The share protocol on a {@linkcode ShareSocket}: an exporter offers memory (and the semaphores
 * and fences that guard it) as one message with their fds; the importer checks the descriptors
 * against its own device before anything is imported, and acknowledges.
 *
 * An offer is `{ type: "offer", version, label, memory, semaphores, fences }` (and `range`, when
 * it is about some bytes of the memory), its fds in that order (memory first). A refused offer
 * closes every fd that came with it.
 *
 * @module
 */
import { printable, ProtocolError, show } from "../core/errors.ts";
import {
  type DedicatedTarget,
  type MemoryDescriptor,
  parseDedicatedTarget,
  parseMemoryDescriptor,
  parseSyncSource,
  type SyncDescriptor,
} from "../share/descriptor.ts";
import type { MemoryExport, SyncExport } from "../share/execute.ts";
import type { OwnedFd } from "../share/fd.ts";
import { sameExporter, vulkanImporter } from "../share/plan.ts";
import { checkRange, type MemoryRange } from "../share/range.ts";
import { descriptorJson } from "../share/registry.ts";
import type { Device } from "../vulkan/device.ts";
import type { ShareSocket, WaitOptions } from "./socket.ts";

/**
 * The version of the offer message.
 *
 * @example
 * ```ts
 * OFFER_VERSION; // 1: the offer message format this vkshare writes and reads
 * ```
 *
 * @category Processes
 */
export const OFFER_VERSION = 1;

/**
 * What an exporter offers (its exports' fds stay the exporter's: the kernel copies them).
 *
 * @example
 * ```ts
 * const offer: Offer = { label: "frames", memory: memExport, semaphores: [semExport] };
 * await sendOffer(socket, offer);
 * ```
 *
 * @category Processes
 */
export interface Offer {
  /** A name for what is shared (for messages and logs). */
  label: string;
  /** Exported memory. */
  memory?: MemoryExport;
  /**
   * The bytes of `memory` the offer is about (a buffer suballocated in it): the importer binds a
   * buffer there (`bufferInRange`). Checked against the memory's size (RANGE_OUT_OF_BOUNDS).
   */
  range?: MemoryRange;
  /**
   * The image the memory is bound to, whose description the importer needs to make its own
   * (`GpuImage.fromTarget(device, offer.image)`). Sent whether or not the export is dedicated;
   * without it, the memory's dedicated image (if any) is sent.
   */
  image?: { describe(): DedicatedTarget };
  /** Exported semaphores. */
  semaphores?: readonly SyncExport[];
  /** Exported fences. */
  fences?: readonly SyncExport[];
}

/**
 * One received export: its fd (owned) and its descriptor.
 *
 * @example
 * ```ts
 * const m: ReceivedExport<MemoryDescriptor> | null = offer.memory;
 * m?.fd.state; // "open": the fd is this process's
 * ```
 *
 * @category Processes
 */
export interface ReceivedExport<D> {
  /** The fd, to hand to an import (which consumes it) or to close. */
  fd: OwnedFd;
  /** The exporter's descriptor. */
  descriptor: D;
}

/**
 * A received offer; disposing it closes every fd no import consumed.
 *
 * @example
 * ```ts
 * using offer: ReceivedOffer = await receiveOffer(socket);
 * console.log(offer.label, offer.semaphores.length);
 * ```
 *
 * @category Processes
 */
export interface ReceivedOffer extends Disposable {
  /** The exporter's label. */
  label: string;
  /** The memory, if offered. */
  memory: ReceivedExport<MemoryDescriptor> | null;
  /** The bytes of the memory the offer is about, when it names a range (inside the memory). */
  range: MemoryRange | null;
  /**
   * The description of the image the memory is bound to, when the exporter sent one (or its
   * export is dedicated to an image): what `GpuImage.fromTarget` makes the importer's from.
   */
  image: Extract<DedicatedTarget, { kind: "image" }> | null;
  /** The semaphores, in order. */
  semaphores: ReceivedExport<SyncDescriptor>[];
  /** The fences, in order. */
  fences: ReceivedExport<SyncDescriptor>[];
}

/**
 * Sends `offer` with its fds.
 *
 * @example
 * ```ts
 * using exp = memory.exportFd("OPAQUE_FD");
 * await sendOffer(socket, { label: "frame 0", memory: exp });
 * ```
 *
 * @category Processes
 */
export async function sendOffer(
  socket: ShareSocket,
  offer: Offer,
  options?: WaitOptions,
): Promise<void> {
  options ??= {};
  const sync = [...(offer.semaphores ?? []), ...(offer.fences ?? [])];
  for (const s of sync) {
    if (s.fd === null) {
      throw new RangeError(
        `an already-signaled SYNC_FD ${s.descriptor.object} export has no fd to send`,
      );
    }
  }
  if (offer.range !== undefined && !offer.memory) {
    throw new RangeError("an offer's range is a range of its memory: offer the memory too");
  }
  const range = offer.range === undefined
    ? undefined
    : checkRange(offer.range, offer.memory!.descriptor.size, `the offer's memory`);
  const fds = [
    ...(offer.memory ? [offer.memory.fd] : []),
    ...sync.map((s) => s.fd!),
  ];
  await socket.sendJson(() => offerJson(offer, range), fds, options);
}

/**
 * The offer message's JSON, as `JSON.stringify` writes it, with each descriptor's kept JSON
 * (descriptorJson): an offer's text costs a few string joins instead of walking its descriptors.
 */
function offerJson(offer: Offer, range: MemoryRange | undefined): string {
  const list = (xs: readonly { descriptor: unknown }[] | undefined) =>
    `[${(xs ?? []).map((x) => descriptorJson(x.descriptor)).join(",")}]`;
  // A field as JSON.stringify writes it in an object: left out when its value has no JSON.
  const field = (key: string, value: unknown) => {
    const text = JSON.stringify(value);
    return text === undefined ? "" : `"${key}":${text},`;
  };
  return `{"type":"offer","version":${OFFER_VERSION},${field("label", offer.label)}"memory":${
    descriptorJson(offer.memory?.descriptor)
  },${field("range", range)}"image":${JSON.stringify(imageOf(offer))},"semaphores":${
    list(offer.semaphores)
  },"fences":${list(offer.fences)}}`;
}

/**
 * Receives an offer. With `device`, checks it before anything is imported: OPAQUE_FD memory,
 * semaphores and fences must come from the same device and driver (UUIDs), and a refusal names
 * both devices. A descriptor that is not an object is a ProtocolError.
 * Any refusal closes every fd that came with the offer.
 *
 * @example
 * ```ts
 * using offer = await receiveOffer(socket, { timeoutMs: 5_000, device });
 * using memory = DeviceMemory.importFd(device, offer.memory!.fd, offer.memory!.descriptor);
 * ```
 *
 * @category Processes
 */
export async function receiveOffer(
  socket: ShareSocket,
  options?: WaitOptions & { device?: Device },
): Promise<ReceivedOffer> {
  options ??= {};
  const { message: m, fds } = await socket.expect("offer", options);
  try {
    const { label, memory, range, image, semaphores, fences } = parseOffer(m);
    const want = (memory ? 1 : 0) + semaphores.length + fences.length;
    if (fds.length !== want) {
      throw new ProtocolError(
        "fd-count",
        `the offer lists ${want} export(s), ${fds.length} fd(s) came`,
      );
    }
    if (options.device) refuseOtherDevice(options.device, memory, semaphores, fences);
    let i = 0;
    const take = <D>(d: D): ReceivedExport<D> => ({ fd: fds[i++], descriptor: d });
    const received = {
      label,
      memory: memory ? take(memory) : null,
      range,
      image,
      semaphores: semaphores.map(take),
      fences: fences.map(take),
      [Symbol.dispose]: () => fds.forEach((f) => f.close()),
    };
    return received;
  } catch (e) {
    fds.forEach((f) => f.close());
    throw e;
  }
}

/**
 * An offer message's fields, checked as {@linkcode receiveOffer} checks them before it looks at
 * its fds: this version, a printable label, a memory descriptor or none (and a range inside it,
 * or none: RANGE_OUT_OF_BOUNDS), and lists of semaphore and fence descriptors (each an object;
 * what is in it is checked by the import). A ProtocolError (`version`, `json`) says what is wrong
 * otherwise.
 *
 * @example
 * ```ts
 * const { memory, semaphores } = parseOffer(JSON.parse(text)); // what `vkshare doctor --explain` reads
 * ```
 *
 * @category Processes
 */
export function parseOffer(m: Record<string, unknown>): {
  label: string;
  memory: MemoryDescriptor | null;
  range: MemoryRange | null;
  image: Extract<DedicatedTarget, { kind: "image" }> | null;
  semaphores: SyncDescriptor[];
  fences: SyncDescriptor[];
} {
  if (m.version !== OFFER_VERSION) {
    throw new ProtocolError(
      "version",
      `offer version ${show(m.version)}; this vkshare reads ${OFFER_VERSION}`,
    );
  }
  const memory = (m.memory ?? null) as MemoryDescriptor | null;
  const semaphores = m.semaphores as SyncDescriptor[];
  const fences = m.fences as SyncDescriptor[];
  if (typeof m.label !== "string" || !Array.isArray(semaphores) || !Array.isArray(fences)) {
    throw new ProtocolError("json", "an offer needs a label and lists of semaphores and fences");
  }
  if (!printable(m.label)) {
    throw new ProtocolError("json", `the offer's label ${show(m.label)} has control characters`);
  }
  const isRecord = (x: unknown) => x !== null && typeof x === "object" && !Array.isArray(x);
  if (memory !== null && !isRecord(memory)) {
    throw new ProtocolError("json", `the offer's memory is ${show(memory)}, not a descriptor`);
  }
  for (const [what, list] of [["semaphores", semaphores], ["fences", fences]] as const) {
    const i = list.findIndex((x) => !isRecord(x));
    if (i >= 0) {
      throw new ProtocolError(
        "json",
        `the offer's ${what}[${i}] is ${show(list[i])}, not a descriptor`,
      );
    }
  }
  return {
    label: m.label,
    memory,
    range: offeredRange(m.range, memory),
    image: offeredImage(m.image),
    semaphores,
    fences,
  };
}

/** An offer's range: none, or one inside its memory (RANGE_OUT_OF_BOUNDS). */
function offeredRange(v: unknown, memory: MemoryDescriptor | null): MemoryRange | null {
  if (v === undefined || v === null) return null;
  if (!memory) throw new ProtocolError("json", "the offer names a range but offers no memory");
  const size = typeof memory.size === "number" ? memory.size : 0;
  return checkRange(v, size, "the offer's memory");
}

type ImageTarget = Extract<DedicatedTarget, { kind: "image" }>;

/** An offer's image description: checked as `GpuImage.fromTarget` checks one (BAD_DESCRIPTOR). */
function offeredImage(v: unknown): ImageTarget | null {
  if (v === undefined || v === null) return null;
  const target = parseDedicatedTarget(v, "offer.image");
  if (target.kind !== "image") {
    throw new ProtocolError("json", `the offer's image describes a ${target.kind}, not an image`);
  }
  return target;
}

/** What `offer` says of the image: its `image`, else its memory's dedicated image, else null. */
function imageOf(offer: Offer): ImageTarget | null {
  const d = offer.image?.describe() ?? offer.memory?.descriptor.dedicated;
  return d?.kind === "image" ? d : null;
}

/**
 * With a device: each descriptor checked as the import will check it (BAD_DESCRIPTOR,
 * SIZE_MISMATCH for a size that is not one), and an opaque one refused unless it was exported by
 * this device (the import plan's UUID_MISMATCH), before the caller holds any fd.
 */
function refuseOtherDevice(
  device: Device,
  memory: MemoryDescriptor | null,
  semaphores: readonly SyncDescriptor[],
  fences: readonly SyncDescriptor[],
): void {
  const dev = vulkanImporter(device.physicalDevice);
  if (memory) sameExporter("memory", parseMemoryDescriptor(memory), dev);
  for (const s of semaphores) sameExporter("semaphore", parseSyncSource(s, "semaphore"), dev);
  for (const f of fences) sameExporter("fence", parseSyncSource(f, "fence"), dev);
}
