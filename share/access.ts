/**
 * The access protocol's rules, kept by whoever owns a shared image or buffer (no driver needed):
 * one writer or many readers at a time, the layout each access starts from and must end in,
 * whether the contents were ever written, and which ends of other participants each new access
 * must wait for. Dawn's `SharedTextureMemory` `BeginAccess`/`EndAccess` keep the same state.
 * `vkshare/ipc`'s `AccessOwner` and `AccessPeer` carry it between processes.
 *
 * @module
 */
import { ImageLayout, type ImageLayoutName } from "../core/enums.ts";
import { ShareError, show } from "../core/errors.ts";

/**
 * What an access does with the contents: `read` (many at once) or `write` (one, alone).
 *
 * @example
 * ```ts
 * const mode: AccessMode = "read";
 * ```
 *
 * @category Processes
 */
export type AccessMode = "read" | "write";

/**
 * A point an access waits for: participant `who`'s timeline reaching `value` (its end of an
 * earlier access).
 *
 * @example
 * ```ts
 * const p: AccessPoint = { who: 1, value: 7n }; // participant 1's timeline at 7
 * ```
 *
 * @category Processes
 */
export interface AccessPoint {
  /** The participant (0: the owner). */
  who: number;
  /** The value its timeline semaphore reaches when that access's GPU work is done. */
  value: bigint;
}

/**
 * What {@linkcode AccessLedger.begin} grants.
 *
 * @example
 * ```ts
 * const g: LedgerGrant = ledger.begin(1, "read");
 * g.layout; // the layout the last write ended in
 * ```
 *
 * @category Processes
 */
export interface LedgerGrant {
  /** Names this access in its end. */
  token: number;
  /** Read or write. */
  mode: AccessMode;
  /**
   * The layout the image is in (what the access's first barrier transitions from): `UNDEFINED`
   * for contents nobody wrote, and for a buffer.
   */
  layout: ImageLayoutName;
  /** Whether a write has ended (false: the contents are undefined). */
  initialized: boolean;
  /** The ends this access waits for (none where they were handed off on the host). */
  after: AccessPoint[];
}

/**
 * How an access ended: the layout it left an image in (a write's; a read's must be the one it
 * began in), and the value its participant's timeline reaches when its GPU work is done (null:
 * the work was done before the end was reported: a host handoff).
 *
 * @example
 * ```ts
 * ledger.end(1, grant.token, { layout: "TRANSFER_SRC_OPTIMAL", value: 3n });
 * ```
 *
 * @category Processes
 */
export interface AccessEnd {
  /** The image's layout after the access (images only). */
  layout?: ImageLayoutName;
  /** The participant's timeline value that signals the access's work done, or null. */
  value: bigint | null;
}

/**
 * How many accesses of one resource a participant may hold at once (ACCESS_LIMIT).
 *
 * @example
 * ```ts
 * MAX_HELD_ACCESSES; // 64
 * ```
 *
 * @category Processes
 */
export const MAX_HELD_ACCESSES = 64;

interface Held {
  who: number;
  mode: AccessMode;
  layout: ImageLayoutName;
}

/**
 * The state of one shared image or buffer, kept by its owner, and every rule of the access
 * protocol: {@linkcode AccessLedger.begin} refuses a read of contents nobody wrote
 * (ACCESS_UNINITIALIZED), any access while a write is held (ACCESS_WRITER_ACTIVE), a write while
 * reads are held (ACCESS_READERS_ACTIVE); {@linkcode AccessLedger.end} refuses an access that is
 * not held by the caller (ACCESS_NOT_HELD), a layout that breaks the protocol (ACCESS_LAYOUT) and
 * a timeline value that does not increase (ACCESS_SIGNAL_ORDER).
 *
 * @example
 * ```ts
 * const ledger = new AccessLedger({ label: "frame", image: true });
 * const w = ledger.begin(0, "write"); // layout UNDEFINED, initialized false
 * ledger.end(0, w.token, { layout: "TRANSFER_SRC_OPTIMAL", value: 1n });
 * ledger.begin(1, "read").after; // [{ who: 0, value: 1n }]
 * ```
 *
 * @category Processes
 */
export class AccessLedger {
  /** The resource's name, for messages. */
  readonly label: string;
  /** Whether the resource is an image (it has a layout). */
  readonly image: boolean;
  #layout: ImageLayoutName = "UNDEFINED";
  #initialized = false;
  #held = new Map<number, Held>();
  #nextToken = 1;
  #lastWrite: AccessPoint | null = null;
  #readsSince: AccessPoint[] = [];
  #lastValue = new Map<number, bigint>();
  #writerLeft = false;

  /** A ledger for a resource nobody has written yet. */
  constructor(options: { label: string; image: boolean }) {
    this.label = options.label;
    this.image = options.image;
  }

  /** The layout the last write left the image in (`UNDEFINED` before one, and for a buffer). */
  get layout(): ImageLayoutName {
    return this.#layout;
  }

  /** Whether a write has ended since the resource was made (or its last writer left). */
  get initialized(): boolean {
    return this.#initialized;
  }

  /** The participant holding a write, or null. */
  get writer(): number | null {
    for (const h of this.#held.values()) if (h.mode === "write") return h.who;
    return null;
  }

  /** How many reads are held. */
  get readers(): number {
    let n = 0;
    for (const h of this.#held.values()) if (h.mode === "read") n++;
    return n;
  }

  /** Begins an access of `who` (0: the owner), or refuses it by rule. */
  begin(who: number, mode: AccessMode): LedgerGrant {
    if (mode !== "read" && mode !== "write") {
      throw new RangeError(`mode: expected "read" or "write", got ${show(mode)}`);
    }
    const writer = this.writer;
    if (writer !== null) {
      throw new ShareError(
        "ACCESS_WRITER_ACTIVE",
        `${this.label}: ${
          participant(writer)
        } is writing it; a ${mode} begins after that write ends (endAccess)`,
        "no writer",
        participant(writer),
      );
    }
    if (mode === "write" && this.readers > 0) {
      throw new ShareError(
        "ACCESS_READERS_ACTIVE",
        `${this.label}: ${this.readers} read(s) are held; a write begins after every read ends`,
        0,
        this.readers,
      );
    }
    if (mode === "read" && !this.#initialized) {
      throw new ShareError(
        "ACCESS_UNINITIALIZED",
        `${this.label}: nobody has written its contents yet${
          this.#writerLeft ? " (its last writer left before ending its write)" : ""
        }; read it after a write ends`,
        "initialized",
        "uninitialized",
      );
    }
    this.#checkLimit(who);
    const after = mode === "read"
      ? (this.#lastWrite ? [this.#lastWrite] : [])
      : [...(this.#lastWrite ? [this.#lastWrite] : []), ...this.#readsSince];
    const token = this.#nextToken++;
    this.#held.set(token, { who, mode, layout: this.#layout });
    return { token, mode, layout: this.#layout, initialized: this.#initialized, after };
  }

  /** ACCESS_LIMIT: `who` already holds {@linkcode MAX_HELD_ACCESSES}. */
  #checkLimit(who: number): void {
    let n = 0;
    for (const h of this.#held.values()) if (h.who === who) n++;
    if (n >= MAX_HELD_ACCESSES) {
      throw new ShareError(
        "ACCESS_LIMIT",
        `${this.label}: ${
          participant(who)
        } holds ${n} accesses already; end one before beginning another`,
        `< ${MAX_HELD_ACCESSES}`,
        n,
      );
    }
  }

  /** Ends the access `token` of `who`, or refuses the end by rule (the access stays held). */
  end(who: number, token: number, end: AccessEnd): void {
    const held = this.#held.get(token);
    if (!held || held.who !== who) {
      throw new ShareError(
        "ACCESS_NOT_HELD",
        `${this.label}: ${participant(who)} holds no access ${
          show(token)
        } (ended already, or never begun)`,
        "a held access",
        token,
      );
    }
    const layout = this.#endLayout(held, end.layout);
    const value = end.value;
    if (value !== null) this.#checkValue(who, value);
    this.#held.delete(token);
    const point = value === null ? null : { who, value };
    if (held.mode === "write") {
      this.#layout = layout;
      this.#initialized = true;
      this.#writerLeft = false;
      this.#lastWrite = point;
      this.#readsSince = [];
    } else if (point) this.#readsSince.push(point);
  }

  /** Drops the held access `token` as if it never began (its grant could not be delivered). */
  cancel(token: number): void {
    this.#held.delete(token);
  }

  /**
   * Ends every access `who` holds, as when it left: its reads end (the next write waits for what
   * it reported, no more); an unfinished write leaves the contents undefined (uninitialized).
   */
  abandon(who: number): void {
    for (const [token, h] of this.#held) {
      if (h.who !== who) continue;
      this.#held.delete(token);
      if (h.mode === "write") {
        this.#initialized = false;
        this.#writerLeft = true;
        this.#layout = "UNDEFINED";
      }
    }
  }

  /** The layout an end leaves: a write's (not UNDEFINED), a read's own; a buffer's none. */
  #endLayout(held: Held, layout: ImageLayoutName | undefined): ImageLayoutName {
    if (!this.image) {
      if (layout === undefined || layout === "UNDEFINED") return "UNDEFINED";
      throw new ShareError(
        "ACCESS_LAYOUT",
        `${this.label} is a buffer: its end has no layout (got ${show(layout)})`,
        undefined,
        layout,
      );
    }
    if (held.mode === "read") {
      if (layout === undefined || layout === held.layout) return held.layout;
      throw new ShareError(
        "ACCESS_LAYOUT",
        `${this.label}: a read began in ${held.layout} and must end in it (readers share the image; got ${
          show(layout)
        })`,
        held.layout,
        layout,
      );
    }
    if (
      typeof layout !== "string" || !Object.hasOwn(ImageLayout, layout) || layout === "UNDEFINED"
    ) {
      throw new ShareError(
        "ACCESS_LAYOUT",
        `${this.label}: a write ends in the layout it left the image in, one of ${
          Object.keys(ImageLayout).filter((l) => l !== "UNDEFINED").join(", ")
        } (got ${show(layout)})`,
        "a layout",
        layout,
      );
    }
    return layout;
  }

  #checkValue(who: number, value: bigint): void {
    const last = this.#lastValue.get(who) ?? 0n;
    if (typeof value !== "bigint" || value <= last) {
      throw new ShareError(
        "ACCESS_SIGNAL_ORDER",
        `${this.label}: ${participant(who)}'s end names timeline value ${
          show(value)
        }, not above its last end's ${last}`,
        `> ${last}`,
        value,
      );
    }
    this.#lastValue.set(who, value);
  }
}

/** "the owner" or "participant N", for messages. */
function participant(who: number): string {
  return who === 0 ? "the owner" : `participant ${who}`;
}
