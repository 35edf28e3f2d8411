/**
 * The access protocol between processes: begin and end every use of a shared image or buffer,
 * as Dawn's `SharedTextureMemory` does. The owner (the process that exported it) keeps the state
 * ({@linkcode AccessLedger}: one writer or many readers, the layout, whether it was ever written);
 * peers ask it for access over the share socket that carried the offer.
 *
 * Each participant signals its own timeline semaphore when an access's work is done. Where the
 * devices share timeline semaphores (OPAQUE_FD), a peer's access waits on the GPU for the owner's
 * relay timeline, which the owner signals after every end the access must follow; elsewhere
 * (lavapipe: no semaphore fds) every end is handed off on the host, after its work finished.
 *
 * @module
 */
import type { AccessName, ImageLayoutName, PipelineStageName } from "../core/enums.ts";
import { ImageLayout } from "../core/enums.ts";
import { ErrnoError, ProtocolError, ShareError, show } from "../core/errors.ts";
import { SHARE_RULES, type ShareRule } from "../core/rules.ts";
import type { Flags, Recorder } from "../memory/command_buffer.ts";
import type { GpuBuffer } from "../memory/gpu_buffer.ts";
import { GpuImage } from "../memory/gpu_image.ts";
import { AccessLedger, type AccessMode, type AccessPoint } from "../share/access.ts";
import { externalSemaphoreProperties } from "../share/capabilities.ts";
import type { SyncDescriptor } from "../share/descriptor.ts";
import type { OwnedFd } from "../share/fd.ts";
import { Semaphore } from "../sync/semaphore.ts";
import type { Device, SemaphoreSignal, SemaphoreWait } from "../vulkan/device.ts";
import type { Received, ShareSocket } from "./socket.ts";

/**
 * The version of the access messages.
 *
 * @example
 * ```ts
 * ACCESS_VERSION; // 1
 * ```
 *
 * @category Processes
 */
export const ACCESS_VERSION = 1;

/**
 * How ends reach the next access: `timeline` (on the GPU, through shared timeline semaphores) or
 * `host` (each end is reported after its work finished).
 *
 * @example
 * ```ts
 * const s: AccessSync = owner.sync; // "host" on lavapipe
 * ```
 *
 * @category Processes
 */
export type AccessSync = "timeline" | "host";

/**
 * Options of {@linkcode AccessOwner.create} and {@linkcode AccessPeer.join}.
 *
 * @example
 * ```ts
 * const options: AccessOptions = { image, label: "frame", timeoutMs: 5_000 };
 * ```
 *
 * @category Processes
 */
export interface AccessOptions {
  /** The shared image (this process's: the exporter's, or the importer's twin). */
  image?: GpuImage;
  /** The shared buffer (instead of an image). */
  buffer?: GpuBuffer;
  /** A name for messages (default: the resource's label). */
  label?: string;
  /** `auto` (default: timeline semaphores where both devices share them) or `host`. */
  sync?: "auto" | "host";
  /** How long a reply, or an access's work before a host handoff, may take (default 10,000). */
  timeoutMs?: number;
}

/**
 * Barrier options of {@linkcode AccessGrant.acquire}.
 *
 * @example
 * ```ts
 * const o: AccessAcquireOptions = { newLayout: "TRANSFER_DST_OPTIMAL", dstStage: "TRANSFER" };
 * ```
 *
 * @category Processes
 */
export interface AccessAcquireOptions {
  /** The image's layout for the access (a write's choice, default GENERAL; a read's is the grant's). */
  newLayout?: ImageLayoutName;
  /** The stages that use it (default: transfer). */
  dstStage?: Flags<PipelineStageName>;
  /** Their accesses (default: transfer reads and writes). */
  dstAccess?: Flags<AccessName>;
}

/**
 * Barrier options of {@linkcode AccessGrant.release}.
 *
 * @example
 * ```ts
 * const o: AccessReleaseOptions = { layout: "TRANSFER_SRC_OPTIMAL", srcStage: "TRANSFER" };
 * ```
 *
 * @category Processes
 */
export interface AccessReleaseOptions {
  /** The layout the access left it in (default: the one acquire moved it to). */
  oldLayout?: ImageLayoutName;
  /** The layout it is handed on in, which the end reports (default: oldLayout). */
  layout?: ImageLayoutName;
  /** The stages whose work must finish first (default: transfer). */
  srcStage?: Flags<PipelineStageName>;
  /** Their writes to make available (default: transfer writes; [] for a read). */
  srcAccess?: Flags<AccessName>;
}

/**
 * One granted access: what its submission waits for and signals, the layout it starts from, and
 * the barriers that take the resource from the last user and hand it to the next.
 *
 * @example
 * ```ts
 * const a = await peer.begin("read");
 * cmd.record((r) => {
 *   a.acquire(r, { dstStage: "TRANSFER", dstAccess: "TRANSFER_READ" });
 *   r.copyImageToBuffer(twin, staging);
 *   a.release(r, { srcStage: "TRANSFER", srcAccess: [] });
 * });
 * device.queue().submit({ wait: a.wait, commandBuffers: [cmd], signal: [a.signal] });
 * await peer.end(a);
 * ```
 *
 * @category Processes
 */
export class AccessGrant {
  /** Names the access in its end. */
  readonly token: number;
  /** Read or write. */
  readonly mode: AccessMode;
  /** The layout the image is in now (`UNDEFINED`: never written; and for a buffer). */
  readonly layout: ImageLayoutName;
  /** Whether the contents were written (false: a write starts from undefined contents). */
  readonly initialized: boolean;
  /** What the access's submission waits for (`Queue.submit`'s `wait`). */
  readonly wait: SemaphoreWait[];
  /** What it signals when done (`Queue.submit`'s `signal`; or `signal()` it from the host). */
  readonly signal: SemaphoreSignal & { semaphore: Semaphore; value: bigint };
  readonly #resource: GpuImage | GpuBuffer;
  #acquired: ImageLayoutName | null = null;
  #released: ImageLayoutName | null = null;

  /** @ignore Made by {@linkcode AccessOwner.begin} and {@linkcode AccessPeer.begin}. */
  constructor(
    grant: { token: number; mode: AccessMode; layout: ImageLayoutName; initialized: boolean },
    wait: SemaphoreWait[],
    signal: { semaphore: Semaphore; value: bigint },
    resource: GpuImage | GpuBuffer,
  ) {
    this.token = grant.token;
    this.mode = grant.mode;
    this.layout = grant.layout;
    this.initialized = grant.initialized;
    this.wait = wait;
    this.signal = signal;
    this.#resource = resource;
  }

  /**
   * Records the barrier that takes the resource over: from `VK_QUEUE_FAMILY_EXTERNAL` in the
   * layout the last writer left (to `newLayout`: a write's choice, default `GENERAL`; a read
   * stays in {@linkcode AccessGrant.layout}), or, for contents nobody wrote, from `UNDEFINED`.
   */
  acquire(r: Recorder, options?: AccessAcquireOptions): Recorder {
    options ??= {};
    const dst = { dstStage: options.dstStage, dstAccess: options.dstAccess };
    if (!isImage(this.#resource)) {
      return this.initialized ? r.acquire(this.#resource, dst) : r;
    }
    const newLayout = options.newLayout ?? (this.mode === "read" ? this.layout : "GENERAL");
    if (this.mode === "read" && newLayout !== this.layout) {
      throw new ShareError(
        "ACCESS_LAYOUT",
        `a read stays in the layout the writer left (${this.layout}), not ${newLayout}: readers share the image`,
        this.layout,
        newLayout,
      );
    }
    this.#acquired = newLayout;
    if (this.initialized) {
      return r.acquireImage(this.#resource, { layout: this.layout, newLayout, ...dst });
    }
    return r.imageBarrier({
      image: this.#resource,
      oldLayout: "UNDEFINED",
      newLayout,
      srcStage: "TOP_OF_PIPE",
      dstStage: options.dstStage ?? "ALL_COMMANDS",
      dstAccess: options.dstAccess ?? [],
    });
  }

  /**
   * Records the barrier that hands the resource on: to `VK_QUEUE_FAMILY_EXTERNAL`, moving an
   * image from `oldLayout` (default: where {@linkcode AccessGrant.acquire} left it) to `layout`
   * (default: no transition), the layout the end reports.
   */
  release(r: Recorder, options?: AccessReleaseOptions): Recorder {
    options ??= {};
    const src = { srcStage: options.srcStage, srcAccess: options.srcAccess };
    if (!isImage(this.#resource)) return r.release(this.#resource, src);
    const oldLayout = options.oldLayout ?? this.#acquired ?? this.layout;
    const layout = options.layout ?? oldLayout;
    this.#released = layout;
    return r.releaseImage(this.#resource, { oldLayout, layout, ...src });
  }

  /** The layout {@linkcode AccessGrant.release} left the image in, or null before it. */
  get releasedLayout(): ImageLayoutName | null {
    return this.#released;
  }
}

function isImage(r: GpuImage | GpuBuffer): r is GpuImage {
  return r instanceof GpuImage;
}

/** The resource and its kind from options (exactly one of image and buffer). */
function resourceOf(options: AccessOptions): GpuImage | GpuBuffer {
  const r = options.image ?? options.buffer;
  if (!r || (options.image && options.buffer)) {
    throw new TypeError("access: give the shared `image` or `buffer` (one of them)");
  }
  return r;
}

/** Whether `device` can export and import timeline semaphores as OPAQUE_FD. */
function sharesTimelines(device: Device, sync: AccessOptions["sync"]): boolean {
  if (sync === "host") return false;
  if (sync !== undefined && sync !== "auto") {
    throw new RangeError(`sync: expected "auto" or "host", got ${show(sync)}`);
  }
  const c = externalSemaphoreProperties(device.physicalDevice, {
    handleType: "OPAQUE_FD",
    semaphoreType: "timeline",
  });
  return c.exportable && c.importable;
}

/** The timeline semaphore a participant signals at each access's end. */
function ownTimeline(device: Device, exported: boolean): Semaphore {
  if (!device.timelineSemaphores) {
    throw new ShareError(
      "HANDLE_TYPE_UNSUPPORTED",
      `${device.label} has no timeline semaphores (Vulkan 1.2's timelineSemaphore feature), which every access's end signals`,
    );
  }
  return Semaphore.create(device, {
    type: "timeline",
    ...(exported ? { exportAs: "OPAQUE_FD" } : {}),
  });
}

/** The end's value, after checking the access's signal was submitted. */
function submittedValue(a: AccessGrant): bigint {
  if (a.signal.semaphore.highestSignal < a.signal.value) {
    throw new RangeError(
      `end: the access's signal (value ${a.signal.value}) was never submitted: pass access.signal to Queue.submit's \`signal\` (or signal it from the host) before ending the access`,
    );
  }
  return a.signal.value;
}

/** Waits on the host until `w` is signaled, or throws after `timeoutMs`. */
async function hostWait(w: { semaphore: Semaphore; value: bigint }, timeoutMs: number) {
  if (await w.semaphore.waitAsync(w.value, timeoutMs) === "timeout") {
    throw new Error(
      `access: ${w.semaphore.label} did not reach ${w.value} within ${timeoutMs} ms (an access's work that did not finish)`,
    );
  }
}

/** A timeline value on the wire: a decimal string of an integer from 1 to 2^64-1, or null. */
function parseValue(v: unknown): bigint | null {
  if (v === null || v === undefined) return null;
  if (typeof v !== "string" || !/^[0-9]{1,20}$/.test(v) || BigInt(v) === 0n) {
    throw new ProtocolError("json", `a timeline value is a decimal string, not ${show(v)}`);
  }
  const value = BigInt(v);
  if (value > 0xffff_ffff_ffff_ffffn) {
    throw new ProtocolError("json", `timeline value ${v} is over 2^64-1`);
  }
  return value;
}

/** A peer known to the owner: its imported timeline (timeline sync), or none (host sync). */
interface OwnerPeer {
  semaphore: Semaphore | null;
  /** Whether its session ended (its timeline is kept: later accesses may wait for its ends). */
  left: boolean;
}

/**
 * The owner of a shared image or buffer: keeps its access state, takes part in it itself
 * ({@linkcode AccessOwner.begin}, {@linkcode AccessOwner.end}), and serves peers' requests on
 * share sockets ({@linkcode AccessOwner.serve}).
 *
 * @example
 * ```ts
 * using owner = AccessOwner.create(device, { image });
 * await sendOffer(socket, { label: "frame", memory: exp, image });
 * const serving = owner.serve(socket); // until the peer leaves
 * const w = await owner.begin("write");
 * // record w.acquire(r, ...), the writes, w.release(r, { layout: "TRANSFER_SRC_OPTIMAL" }), submit
 * await owner.end(w);
 * ```
 *
 * @category Processes
 */
export class AccessOwner implements Disposable {
  /** The device. */
  readonly device: Device;
  /** How ends reach the next access, for peers that share timelines too. */
  readonly sync: AccessSync;
  readonly #ledger: AccessLedger;
  readonly #resource: GpuImage | GpuBuffer;
  readonly #own: Semaphore;
  readonly #relay: Semaphore | null;
  readonly #timeoutMs: number;
  #ownValue = 0n;
  #relayValue = 0n;
  #peers = new Map<number, OwnerPeer>();
  #nextWho = 1;
  #disposed = false;

  /** @ignore Made by {@linkcode AccessOwner.create}. */
  private constructor(device: Device, options: AccessOptions, timeline: boolean) {
    this.device = device;
    this.#resource = resourceOf(options);
    this.#timeoutMs = options.timeoutMs ?? 10_000;
    const label = options.label ?? this.#resource.label;
    this.#ledger = new AccessLedger({ label, image: isImage(this.#resource) });
    this.#own = ownTimeline(device, false);
    try {
      this.#relay = timeline ? ownTimeline(device, true) : null;
    } catch (e) {
      this.#own[Symbol.dispose]();
      throw e;
    }
    this.sync = this.#relay ? "timeline" : "host";
  }

  /** Starts keeping the access state of `options.image` (or `buffer`), never written yet. */
  static create(device: Device, options: AccessOptions): AccessOwner {
    resourceOf(options);
    return new AccessOwner(device, options, sharesTimelines(device, options.sync));
  }

  /** The layout the last write left the image in (`UNDEFINED` before one). */
  get layout(): ImageLayoutName {
    return this.#ledger.layout;
  }

  /** Whether a write has ended. */
  get initialized(): boolean {
    return this.#ledger.initialized;
  }

  /** The participant holding a write (0: the owner), or null. */
  get writer(): number | null {
    return this.#ledger.writer;
  }

  /** How many reads are held. */
  get readers(): number {
    return this.#ledger.readers;
  }

  /** How many peers are being served (joined, and not gone). */
  get peers(): number {
    let n = 0;
    for (const p of this.#peers.values()) if (!p.left) n++;
    return n;
  }

  /** Begins an access of the owner's own, or refuses it by rule (see AccessLedger). */
  begin(mode: AccessMode): Promise<AccessGrant> {
    this.#alive();
    const g = this.#ledger.begin(0, mode);
    const signal = { semaphore: this.#own, value: ++this.#ownValue };
    return Promise.resolve(new AccessGrant(g, this.#waitsFor(g.after), signal, this.#resource));
  }

  /** Ends the owner's access `a` (after its signal was submitted). */
  end(a: AccessGrant, options?: { layout?: ImageLayoutName }): Promise<void> {
    this.#alive();
    const value = submittedValue(a);
    const layout = options?.layout ?? a.releasedLayout ?? undefined;
    this.#ledger.end(0, a.token, { ...(layout ? { layout } : {}), value });
    return Promise.resolve();
  }

  /**
   * Serves one peer on `socket` (after the offer): answers its join, then each begin and end,
   * until it leaves (its accesses then end: see AccessLedger.abandon). A refusal by rule is
   * sent to the peer; a malformed message ends the session with a ProtocolError and closes the
   * socket.
   */
  async serve(socket: ShareSocket): Promise<void> {
    this.#alive();
    let who: number | null = null;
    try {
      who = await this.#welcome(socket);
      for (;;) {
        const r = await this.#next(socket);
        if (!r) return;
        const reply = await this.#answer(who, r);
        try {
          await socket.send(reply, [], { timeoutMs: this.#timeoutMs });
        } catch (e) {
          // A peer that left before its answer came is a peer that left.
          if (socket.closed || (e instanceof ErrnoError && (e.errno === 32 || e.errno === 104))) {
            return;
          }
          throw e;
        }
      }
    } catch (e) {
      socket.close(); // the session is over: the peer learns it at once, not at a timeout
      throw e;
    } finally {
      if (who !== null) {
        this.#ledger.abandon(who);
        this.#peers.get(who)!.left = true;
      }
    }
  }

  /** The next request, or null when the peer left (or the owner was disposed). */
  async #next(socket: ShareSocket): Promise<Received | null> {
    let r: Received;
    try {
      r = await socket.receive({ timeoutMs: Infinity });
    } catch (e) {
      // The peer left, or this process closed the socket.
      if ((e instanceof ProtocolError && e.reason === "closed") || socket.closed) return null;
      throw e;
    }
    if (r.fds.length) {
      r.fds.forEach((f) => f.close());
      throw new ProtocolError("fd-count", `an access request carries no fds, ${r.fds.length} came`);
    }
    return this.#disposed ? null : r;
  }

  /** Answers a join: imports the peer's timeline (where both share them), sends the relay's. */
  async #welcome(socket: ShareSocket): Promise<number> {
    const { message: m, fds } = await socket.expect("access-join", { timeoutMs: this.#timeoutMs });
    let peer: OwnerPeer;
    try {
      checkJoin(m, fds, isImage(this.#resource) ? "image" : "buffer");
      const theirs = m.timeline as SyncDescriptor | null;
      peer = {
        semaphore: this.#relay && theirs ? Semaphore.importFd(this.device, fds[0], theirs) : null,
        left: false,
      };
    } catch (e) {
      fds.forEach((f) => f.close());
      await socket.send(refusalOf(e as Error));
      throw e;
    }
    fds.forEach((f) => f.close());
    const who = this.#nextWho++;
    this.#peers.set(who, peer);
    using relay = peer.semaphore ? this.#relay!.exportFd("OPAQUE_FD") : null;
    await socket.send(
      {
        type: "access-welcome",
        version: ACCESS_VERSION,
        who,
        label: this.#ledger.label,
        sync: peer.semaphore ? "timeline" : "host",
        relay: relay?.descriptor ?? null,
      },
      relay ? [relay.fd] : [],
      { timeoutMs: this.#timeoutMs },
    );
    return who;
  }

  /** The reply to one request: a grant, an end's ack, or a refusal by rule. */
  async #answer(who: number, r: Received): Promise<Record<string, unknown>> {
    const m = r.message as Record<string, unknown> | null;
    if (m === null || typeof m !== "object" || Array.isArray(m)) {
      throw new ProtocolError("json", `an access request is an object, not ${show(m)}`);
    }
    try {
      if (m.type === "access-begin") return await this.#grant(who, m.mode);
      if (m.type === "access-end") return this.#ended(who, m);
    } catch (e) {
      if (!(e instanceof ShareError)) throw e;
      return refusalOf(e);
    }
    throw new ProtocolError(
      "unexpected",
      `an access request is a begin or an end, not ${show(m.type)}`,
    );
  }

  /** Grants peer `who` an access: its wait is one relay value (a join of every end it follows). */
  async #grant(who: number, mode: unknown): Promise<Record<string, unknown>> {
    if (mode !== "read" && mode !== "write") {
      throw new ProtocolError("json", `an access's mode is "read" or "write", not ${show(mode)}`);
    }
    const g = this.#ledger.begin(who, mode);
    let wait: bigint | null = null;
    try {
      const waits = this.#waitsFor(g.after);
      if (waits.length && this.#peers.get(who)!.semaphore) {
        wait = ++this.#relayValue;
        this.device.queue().submit({
          wait: waits,
          signal: [{ semaphore: this.#relay!, value: wait }],
        });
      } else {
        for (const w of waits) {
          await hostWait(w, this.#timeoutMs);
        }
      }
    } catch (e) {
      this.#ledger.cancel(g.token);
      throw e;
    }
    return {
      type: "access-grant",
      token: g.token,
      mode,
      layout: g.layout,
      initialized: g.initialized,
      wait: wait === null ? null : String(wait),
    };
  }

  /** Ends peer `who`'s access as its message says. */
  #ended(who: number, m: Record<string, unknown>): Record<string, unknown> {
    const token = m.token;
    if (typeof token !== "number" || !Number.isSafeInteger(token)) {
      throw new ProtocolError("json", `an end names its access's token, not ${show(token)}`);
    }
    const layout = m.layout ?? undefined;
    if (
      layout !== undefined && (typeof layout !== "string" || !Object.hasOwn(ImageLayout, layout))
    ) {
      throw new ProtocolError("json", `an end's layout is a layout name, not ${show(layout)}`);
    }
    const value = parseValue(m.value);
    if (value !== null && !this.#peers.get(who)!.semaphore) {
      throw new ProtocolError(
        "json",
        "a peer that hands off on the host ends with no timeline value",
      );
    }
    this.#ledger.end(who, token, {
      ...(layout ? { layout: layout as ImageLayoutName } : {}),
      value,
    });
    return { type: "access-ended", token };
  }

  /** The waits for `points`, on this process's semaphores (its own and its peers'). */
  #waitsFor(points: readonly AccessPoint[]): { semaphore: Semaphore; value: bigint }[] {
    return points.map((p) => {
      const semaphore = p.who === 0 ? this.#own : this.#peers.get(p.who)?.semaphore;
      if (!semaphore) throw new Error(`access: no timeline of participant ${p.who}`);
      return { semaphore, value: p.value };
    });
  }

  #alive(): void {
    if (this.#disposed) throw new Error(`the access owner of ${this.#ledger.label} is disposed`);
  }

  /** Destroys its timelines and its peers' (after the device finished with them). */
  [Symbol.dispose](): void {
    if (this.#disposed) return;
    this.#disposed = true;
    for (const p of this.#peers.values()) p.semaphore?.[Symbol.dispose]();
    this.#relay?.[Symbol.dispose]();
    this.#own[Symbol.dispose]();
  }
}

/** The refusal message for `e`: its rule and values where it is a ShareError. */
function refusalOf(e: Error): Record<string, unknown> {
  if (!(e instanceof ShareError)) return { type: "access-refused", rule: null, message: e.message };
  const wire = (v: unknown) => (typeof v === "bigint" ? String(v) : v ?? null);
  return {
    type: "access-refused",
    rule: e.rule,
    message: e.message,
    expected: wire(e.expected),
    actual: wire(e.actual),
  };
}

/** A join's fields: this version, the owner's kind of resource, a timeline descriptor with its fd or none. */
function checkJoin(m: Record<string, unknown>, fds: readonly OwnedFd[], kind: string): void {
  if (m.version !== ACCESS_VERSION) {
    throw new ProtocolError(
      "version",
      `access version ${show(m.version)}; this vkshare reads ${ACCESS_VERSION}`,
    );
  }
  if (m.resource !== kind) {
    throw new ProtocolError(
      "unexpected",
      `the peer joins for a ${show(m.resource)}; this owner shares a ${kind}`,
    );
  }
  const t = m.timeline ?? null;
  if (t !== null && (typeof t !== "object" || Array.isArray(t))) {
    throw new ProtocolError("json", `a join's timeline is a descriptor or null, not ${show(t)}`);
  }
  if (fds.length !== (t === null ? 0 : 1)) {
    throw new ProtocolError(
      "fd-count",
      `a join with${t === null ? "out" : ""} a timeline carries ${
        t === null ? 0 : 1
      } fd, ${fds.length} came`,
    );
  }
}

/**
 * A peer of a shared image or buffer: joins its owner's access protocol on the socket that
 * carried the offer, then begins and ends each access through the owner.
 *
 * @example
 * ```ts
 * using offer = await receiveOffer(socket, { device });
 * using twin = GpuImage.fromTarget(device, offer.image);
 * using memory = DeviceMemory.importFd(device, offer.memory!.fd, offer.memory!.descriptor, { for: twin });
 * using peer = await AccessPeer.join(socket, device, { image: twin });
 * const a = await peer.begin("read"); // ShareError ACCESS_UNINITIALIZED before any write
 * ```
 *
 * @category Processes
 */
export class AccessPeer implements Disposable {
  /** The device. */
  readonly device: Device;
  /** How this peer's ends reach the others. */
  readonly sync: AccessSync;
  /** The participant number the owner gave it. */
  readonly who: number;
  readonly #socket: ShareSocket;
  readonly #resource: GpuImage | GpuBuffer;
  readonly #own: Semaphore;
  readonly #relay: Semaphore | null;
  readonly #timeoutMs: number;
  #ownValue = 0n;
  #disposed = false;

  /** @ignore Made by {@linkcode AccessPeer.join}. */
  private constructor(
    socket: ShareSocket,
    options: AccessOptions,
    who: number,
    own: Semaphore,
    relay: Semaphore | null,
  ) {
    this.device = own.device;
    this.#socket = socket;
    this.#resource = resourceOf(options);
    this.#timeoutMs = options.timeoutMs ?? 10_000;
    this.who = who;
    this.#own = own;
    this.#relay = relay;
    this.sync = relay ? "timeline" : "host";
  }

  /** Joins the owner's access protocol on `socket` (the offer's), for `options.image` or `buffer`. */
  static async join(
    socket: ShareSocket,
    device: Device,
    options: AccessOptions,
  ): Promise<AccessPeer> {
    const resource = resourceOf(options);
    const timeoutMs = options.timeoutMs ?? 10_000;
    const exported = sharesTimelines(device, options.sync);
    const own = ownTimeline(device, exported);
    let relay: Semaphore | null = null;
    try {
      {
        using exp = exported ? own.exportFd("OPAQUE_FD") : null;
        await socket.send(
          {
            type: "access-join",
            version: ACCESS_VERSION,
            resource: isImage(resource) ? "image" : "buffer",
            timeline: exp?.descriptor ?? null,
          },
          exp ? [exp.fd] : [],
          { timeoutMs },
        );
      }
      const { message: m, fds } = await reply(socket, "access-welcome", timeoutMs);
      try {
        relay = welcomeRelay(device, m, fds, exported);
      } finally {
        fds.forEach((f) => f.close());
      }
      return new AccessPeer(socket, options, m.who as number, own, relay);
    } catch (e) {
      relay?.[Symbol.dispose]();
      own[Symbol.dispose]();
      throw e;
    }
  }

  /** Asks the owner for an access; a refusal by rule is a ShareError (ACCESS_…). */
  async begin(mode: AccessMode): Promise<AccessGrant> {
    this.#alive();
    if (mode !== "read" && mode !== "write") {
      throw new RangeError(`mode: expected "read" or "write", got ${show(mode)}`);
    }
    await this.#socket.send({ type: "access-begin", mode }, [], { timeoutMs: this.#timeoutMs });
    const { message: g } = await reply(this.#socket, "access-grant", this.#timeoutMs);
    const wait = parseValue(g.wait);
    if (wait !== null && !this.#relay) {
      throw new ProtocolError("json", "a grant to a host-handoff peer has no wait");
    }
    const layout = g.layout as ImageLayoutName;
    if (
      typeof g.token !== "number" || !Object.hasOwn(ImageLayout, layout)
      || typeof g.initialized !== "boolean"
    ) {
      throw new ProtocolError(
        "json",
        `a grant names a token, a layout and initialized: ${show(g)}`,
      );
    }
    const grant = { token: g.token, mode, layout, initialized: g.initialized };
    const waits = wait === null ? [] : [{ semaphore: this.#relay!, value: wait }];
    return new AccessGrant(
      grant,
      waits,
      { semaphore: this.#own, value: ++this.#ownValue },
      this.#resource,
    );
  }

  /**
   * Ends access `a` (after its signal was submitted): with timeline sync at once, else after its
   * work finished (a host handoff). A refusal by rule is a ShareError.
   */
  async end(a: AccessGrant, options?: { layout?: ImageLayoutName }): Promise<void> {
    this.#alive();
    const value = submittedValue(a);
    if (!this.#relay) await hostWait(a.signal, this.#timeoutMs);
    const layout = options?.layout ?? a.releasedLayout ?? null;
    await this.#socket.send(
      { type: "access-end", token: a.token, layout, value: this.#relay ? String(value) : null },
      [],
      { timeoutMs: this.#timeoutMs },
    );
    await reply(this.#socket, "access-ended", this.#timeoutMs);
  }

  #alive(): void {
    if (this.#disposed) throw new Error(`access peer ${this.who} is disposed`);
  }

  /** Destroys its timelines (after the device finished with them); the socket stays open. */
  [Symbol.dispose](): void {
    if (this.#disposed) return;
    this.#disposed = true;
    this.#relay?.[Symbol.dispose]();
    this.#own[Symbol.dispose]();
  }
}

/** The owner's reply of `type`; a refusal becomes its ShareError (or a ProtocolError). */
async function reply(socket: ShareSocket, type: string, timeoutMs: number) {
  const r = await socket.receive({ timeoutMs });
  const m = r.message as Record<string, unknown> | null;
  if (m !== null && typeof m === "object" && m.type === type) {
    return r as Received & { message: Record<string, unknown> };
  }
  r.fds.forEach((f) => f.close());
  if (m?.type === "access-refused") {
    const message = typeof m.message === "string" ? m.message : "refused";
    if (typeof m.rule === "string" && Object.hasOwn(SHARE_RULES, m.rule)) {
      const said = message.replace(`${m.rule}: `, "");
      throw new ShareError(
        m.rule as ShareRule,
        said,
        m.expected ?? undefined,
        m.actual ?? undefined,
      );
    }
    throw new ProtocolError("unexpected", `the owner refused: ${message}`);
  }
  throw new ProtocolError(
    "unexpected",
    `expected "${type}", got ${JSON.stringify(m).slice(0, 200)}`,
  );
}

/** The owner's relay timeline from its welcome (imported), or null for a host handoff. */
function welcomeRelay(
  device: Device,
  m: Record<string, unknown>,
  fds: OwnedFd[],
  exported: boolean,
) {
  if (m.version !== ACCESS_VERSION || typeof m.who !== "number") {
    throw new ProtocolError(
      "json",
      `a welcome of access version ${ACCESS_VERSION} names the peer's number`,
    );
  }
  if (m.sync === "timeline" && exported && fds.length === 1 && m.relay) {
    return Semaphore.importFd(device, fds[0], m.relay as SyncDescriptor);
  }
  if (m.sync === "host" && fds.length === 0) return null;
  throw new ProtocolError("json", `a welcome with sync ${show(m.sync)} and ${fds.length} fd(s)`);
}
