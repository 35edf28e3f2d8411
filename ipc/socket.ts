/**
 * Share sockets: Unix-domain `SOCK_SEQPACKET` connections that carry small JSON messages and file
 * descriptors (SCM_RIGHTS) between processes, for handing exported memory, semaphores and fences
 * to another process. Neither Deno nor Bun can pass an fd; vkshare does it through libc.
 *
 * - Every wait has a timeout, and waiting never blocks the script: sockets are non-blocking, and
 *   a wait polls them in slices of at most 1 ms between turns of the event loop. A wait that
 *   expires is an ErrnoError `ETIMEDOUT` that says what was awaited.
 * - A message is one packet: a 16-byte header (`VKSH`, version, fd count, body length) and a UTF-8
 *   JSON body. A malformed, truncated or unexpected message is a {@linkcode ProtocolError}, and
 *   every fd that came with it is closed.
 * - A socket file is created 0600 in a private 0700 directory (or in the abstract namespace, on
 *   request). Both ends check the other's uid (SO_PEERCRED) and refuse other users by default.
 *
 * @module
 */
import { ErrnoError, ProtocolError } from "../core/errors.ts";
import { eventLoopTurn } from "../core/time.ts";
import { Arena, encode } from "../ffi/layout.ts";
import { errno, fileTypeAt, libc } from "../ffi/libc.ts";
import {
  AF_UNIX,
  cmsghdr,
  cmsgLen,
  cmsgSpace,
  iovec,
  libcSocket,
  MSG_CMSG_CLOEXEC,
  MSG_CTRUNC,
  MSG_DONTWAIT,
  MSG_NOSIGNAL,
  MSG_TRUNC,
  msghdr,
  POLLERR,
  pollfd,
  POLLHUP,
  POLLIN,
  POLLOUT,
  POLLRDHUP,
  SCM_RIGHTS,
  SHUT_RDWR,
  SO_PEERCRED,
  SOCK_CLOEXEC,
  SOCK_NONBLOCK,
  SOCK_SEQPACKET,
  sockaddr_un,
  SOL_SOCKET,
  ucred,
} from "../ffi/libc_socket.ts";
import { rt } from "../ffi/runtime.ts";
import { cString } from "../ffi/vulkan.ts";
import { OwnedFd } from "../share/fd.ts";

/**
 * The version of the share socket's message framing.
 *
 * @example
 * ```ts
 * SOCKET_PROTOCOL_VERSION; // 1: in every message header
 * ```
 *
 * @category Processes
 */
export const SOCKET_PROTOCOL_VERSION = 1;
/**
 * The most bytes of JSON one message may carry.
 *
 * @example
 * ```ts
 * MAX_MESSAGE_BYTES; // 65536: a body longer than this is refused
 * ```
 *
 * @category Processes
 */
export const MAX_MESSAGE_BYTES = 64 * 1024;
/**
 * The most fds one message may carry.
 *
 * @example
 * ```ts
 * MAX_MESSAGE_FDS; // 16 fds at most with one message
 * ```
 *
 * @category Processes
 */
export const MAX_MESSAGE_FDS = 16;

const MAGIC = 0x48534b56; // "VKSH", little-endian
const HEADER = 16;
const EAGAIN = 11;
const EINTR = 4;

// What recvmsg(2) and sendmsg(2) can fail with on a Unix socket (Linux). errno is read by a second
// call after the first returned -1, and the runtime may run native code between the two (a
// collection, an allocation) that leaves another value there: ENOENT was seen once, on Deno,
// which neither call returns. A value outside these is taken as EAGAIN: wait, and ask again (the
// wait itself ends on a hang-up, an error or the timeout).
const RECVMSG_ERRNOS = new Set([9, 111, 104, 14, 4, 22, 12, 107, 88, 11]);
const SENDMSG_ERRNOS = new Set([
  13,
  11,
  9,
  104,
  89,
  14,
  4,
  22,
  106,
  90,
  105,
  12,
  107,
  88,
  95,
  32,
  109,
]);

/**
 * @ignore @internal Whether `errno`, read after `call` returned -1, is one `call` can return (else
 * the runtime overwrote it, and the call is retried as after EAGAIN).
 */
export function callErrno(call: "recvmsg" | "sendmsg", errno: number): number {
  return (call === "recvmsg" ? RECVMSG_ERRNOS : SENDMSG_ERRNOS).has(errno) ? errno : EAGAIN;
}
const ETIMEDOUT = 110;
const EACCES = 13;
const EADDRINUSE = 98;
const ECONNREFUSED = 111;
const ECONNRESET = 104;
const S_IFSOCK = 0o140000;

/** Binds `fd` to `a` with a umask of 0177 (a socket file is then 0600); 0 or the errno. */
function bindPrivate(fd: number, a: { bytes: Uint8Array; length: number }): number {
  const c = libc();
  const old = c.umask(0o177);
  try {
    return libcSocket().bind(fd, a.bytes, a.length) < 0 ? errno() : 0;
  } finally {
    c.umask(old);
  }
}

/** What holds `path`, which a bind found taken (a live server's socket, or not a socket). */
function whatIsAt(path: string): string {
  const type = fileTypeAt(path, false);
  if (type === S_IFSOCK) return "a server listens there";
  if (type === 0o120000) {
    return "it is a symbolic link, which vkshare neither follows nor replaces";
  }
  const names: Record<number, string> = {
    0o100000: "a regular file",
    0o040000: "a directory",
    0o010000: "a FIFO",
    0o020000: "a character device",
    0o060000: "a block device",
  };
  return `it is ${names[type ?? -1] ?? "something"}, not a socket`;
}

/** Whether `path` is a socket file that nobody listens on (connect: ECONNREFUSED). */
function isStaleSocket(path: string, a: { bytes: Uint8Array; length: number }): boolean {
  // Never remove what is not a socket (a symbolic link, even to a dead one, is not).
  if (fileTypeAt(path, false) !== S_IFSOCK) return false;
  const probe = newSocket();
  try {
    return libcSocket().connect(probe, a.bytes, a.length) < 0 && errno() === ECONNREFUSED;
  } finally {
    libc().close(probe);
  }
}

/**
 * Where a server listens: a filesystem path, or a name in the abstract namespace.
 *
 * @example
 * ```ts
 * const at: SocketAddress = { abstract: "vkshare-demo" }; // or a filesystem path
 * ```
 *
 * @category Processes
 */
export type SocketAddress = string | { abstract: string };

/**
 * Who is at the other end (SO_PEERCRED).
 *
 * @example
 * ```ts
 * const p: PeerCredentials = socket.peer;
 * console.log(`pid ${p.pid}, uid ${p.uid}`);
 * ```
 *
 * @category Processes
 */
export interface PeerCredentials {
  /** The peer's process id. */
  pid: number;
  /** Its user id. */
  uid: number;
  /** Its group id. */
  gid: number;
}

/**
 * A message and the fds that came with it (owned: close them, or hand them to an import).
 *
 * @example
 * ```ts
 * const r: Received = await socket.receive({ timeoutMs: 1_000 });
 * for (const fd of r.fds) fd.close();
 * ```
 *
 * @category Processes
 */
export interface Received {
  /** The JSON body, parsed. */
  message: unknown;
  /** The fds, in the order they were sent. */
  fds: OwnedFd[];
}

/**
 * Options of a wait.
 *
 * @example
 * ```ts
 * await socket.receive({ timeoutMs: Infinity } satisfies WaitOptions);
 * ```
 *
 * @category Processes
 */
export interface WaitOptions {
  /** How long to wait, in ms (default 10,000; Infinity waits for ever). */
  timeoutMs?: number;
}

/**
 * Options of {@linkcode ShareServer.listen} and {@linkcode ShareSocket.connect}.
 *
 * @example
 * ```ts
 * using socket = await ShareSocket.connect(path, { allowUids: [0, 1000] });
 * ```
 *
 * @category Processes
 */
export interface SecurityOptions {
  /** User ids allowed at the other end (default: only this process's own uid). */
  allowUids?: readonly number[];
}

function fail(call: string, what: string): never {
  throw new ErrnoError(call, errno(), what);
}

function address(a: SocketAddress, arena: Arena): { bytes: Uint8Array; length: number } {
  let path: Uint8Array;
  if (typeof a === "string") {
    if (a.length === 0) throw new RangeError("socket path: empty");
    path = new TextEncoder().encode(a);
    if (path.includes(0)) throw new RangeError("socket path: contains a NUL byte");
  } else {
    const name = new TextEncoder().encode(a.abstract);
    path = new Uint8Array(name.length + 1); // a leading NUL marks the abstract namespace
    path.set(name, 1);
  }
  if (path.length > 107) {
    throw new RangeError(`socket path: ${path.length} bytes, sockaddr_un holds 107`);
  }
  const e = encode(sockaddr_un, { sun_family: AF_UNIX, sun_path: path }, arena);
  // An abstract name is exactly as long as given: no trailing NUL counted.
  return { bytes: e.bytes, length: 2 + path.length + (typeof a === "string" ? 1 : 0) };
}

function describe(a: SocketAddress): string {
  return typeof a === "string" ? a : `@${a.abstract}`;
}

function newSocket(): number {
  const fd = libcSocket().socket(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) fail("socket(AF_UNIX, SOCK_SEQPACKET)", "");
  return fd;
}

function peerOf(fd: number): PeerCredentials {
  using arena = new Arena();
  const out = encode(ucred, {}, arena);
  const len = new Uint32Array([ucred.size]);
  if (libcSocket().getsockopt(fd, SOL_SOCKET, SO_PEERCRED, out.bytes, len) < 0) {
    fail("getsockopt(SO_PEERCRED)", `fd=${fd}`);
  }
  return out.decode();
}

function checkPeer(
  peer: PeerCredentials,
  allow: readonly number[] | undefined,
  what: string,
): void {
  const allowed = allow ?? [libcSocket().getuid()];
  if (!allowed.includes(peer.uid)) {
    throw new ErrnoError(
      what,
      EACCES,
      `peer pid ${peer.pid} runs as uid ${peer.uid}; allowed: ${allowed.join(", ")}`,
    );
  }
}

/** The longest a wait blocks the thread in one poll before it gives the event loop a turn. */
const SLICE_MS = 1;

// Scratch for pollOnce, which is synchronous: one struct pollfd for the whole module.
const pollBuffer = new Uint8Array(new ArrayBuffer(pollfd.size));
const pollView = new DataView(pollBuffer.buffer);

/** One poll of `fd` for `events`, waiting at most `ms`: its revents, 0 for none, -1 on error. */
function pollOnce(fd: number, events: number, ms: number): number {
  pollView.setInt32(0, fd, true);
  pollView.setInt16(4, events, true);
  pollView.setInt16(6, 0, true);
  const r = libcSocket().poll(pollBuffer, 1n, ms);
  return r < 0 ? -1 : r > 0 ? pollView.getInt16(6, true) : 0;
}

/**
 * Waits until `fd` is ready for `events`: a poll that does not block first, then poll slices of
 * at most {@linkcode SLICE_MS} (which return as soon as the fd is ready) with a turn of the event
 * loop between them. A wait that lasts sleeps in poll: it costs no CPU. Returns the revents;
 * throws ETIMEDOUT when `timeoutMs` passes first.
 */
async function ready(fd: number, events: number, timeoutMs: number, what: string): Promise<number> {
  if (!(timeoutMs >= 0)) throw new RangeError(`timeoutMs: expected >= 0, got ${timeoutMs}`);
  const end = performance.now() + timeoutMs;
  for (let first = true;; first = false) {
    const revents = pollOnce(fd, events, first ? 0 : SLICE_MS);
    if (revents < 0 && errno() !== EINTR) fail("poll", what);
    if (revents > 0) return revents;
    if (performance.now() >= end) {
      throw new ErrnoError("poll", ETIMEDOUT, `${what}: nothing within ${timeoutMs} ms`);
    }
    await eventLoopTurn();
  }
}

/**
 * A connected share socket: sends and receives messages with fds.
 *
 * @example
 * ```ts
 * using s = await ShareSocket.connect("/run/user/1000/vkshare-x/vkshare.sock");
 * await s.send({ hello: 1 }, [exported.fd]);
 * const { message, fds } = await s.receive({ timeoutMs: 5000 });
 * ```
 *
 * @category Processes
 */
export class ShareSocket implements Disposable {
  /** The socket's fd (closed on dispose). */
  readonly fd: number;
  /** Who is at the other end. */
  readonly peer: PeerCredentials;
  /** `ShareSocket to pid N`, for messages. */
  readonly label: string;
  #closed = false;

  /** @ignore @internal Wraps a connected socket. */
  constructor(fd: number, peer: PeerCredentials) {
    this.fd = fd;
    this.peer = peer;
    this.label = `ShareSocket ${fd} (peer pid ${peer.pid}, uid ${peer.uid})`;
  }

  /**
   * Connects to a {@linkcode ShareServer}, retrying until it listens or `timeoutMs` passes, and
   * checks the server's uid.
   */
  static async connect(
    at: SocketAddress,
    options?: WaitOptions & SecurityOptions,
  ): Promise<ShareSocket> {
    options ??= {};
    const timeoutMs = options.timeoutMs ?? 10_000;
    const end = performance.now() + timeoutMs;
    for (;;) {
      const fd = newSocket();
      let ok = false;
      try {
        using arena = new Arena();
        const a = address(at, arena);
        let r = libcSocket().connect(fd, a.bytes, a.length);
        if (r < 0 && errno() === EAGAIN) {
          // A full backlog: wait for the server, then ask again.
          r = -1;
        } else if (r < 0) {
          const e = errno();
          const retry = e === 2 || e === ECONNREFUSED; // ENOENT: not listening yet
          if (!retry || performance.now() >= end) {
            throw new ErrnoError("connect", e, describe(at));
          }
        }
        if (r === 0) {
          const peer = peerOf(fd);
          checkPeer(peer, options.allowUids, `connect(${describe(at)})`);
          ok = true;
          return new ShareSocket(fd, peer);
        }
      } finally {
        if (!ok) libc().close(fd);
      }
      if (performance.now() >= end) {
        throw new ErrnoError(
          "connect",
          ETIMEDOUT,
          `${describe(at)}: no server within ${timeoutMs} ms`,
        );
      }
      await new Promise((r) => setTimeout(r, 5));
    }
  }

  /** Whether {@linkcode ShareSocket.close} has run. */
  get closed(): boolean {
    return this.#closed;
  }

  /**
   * Sends `message` (JSON) with `fds` (duplicated into the peer by the kernel: the caller still
   * owns and closes its own). Waits at most `timeoutMs` for room in the socket.
   */
  send(
    message: unknown,
    fds?: readonly (OwnedFd | number)[],
    options?: WaitOptions,
  ): Promise<void> {
    return this.sendJson(() => JSON.stringify(message), fds, options);
  }

  /**
   * @ignore @internal Sends the JSON text `json()` returns (called once the socket is known to be
   * alive) as {@linkcode ShareSocket.send} sends a message's: sendOffer writes an offer's text
   * from its descriptors' kept JSON.
   */
  async sendJson(
    json: () => string,
    fds?: readonly (OwnedFd | number)[],
    options?: WaitOptions,
  ): Promise<void> {
    fds ??= [];
    options ??= {};
    this.#alive();
    if (fds.length > MAX_MESSAGE_FDS) {
      throw new RangeError(`send: ${fds.length} fds, at most ${MAX_MESSAGE_FDS}`);
    }
    // One set of send buffers per socket, reused as the receive buffers are; a send that starts
    // while another waits for room gets its own.
    const tx = this.#tx && !this.#sending ? this.#tx : newSendBuffers();
    if (!this.#tx) this.#tx = tx;
    const mine = tx === this.#tx;
    if (mine) this.#sending = true;
    try {
      const text = json();
      const { read, written } = utf8.encodeInto(text, tx.packet.subarray(HEADER));
      // encodeInto stops at the end of the buffer (one byte more than a body may have).
      const length = read < text.length ? utf8.encode(text).length : written;
      if (length > MAX_MESSAGE_BYTES) {
        throw new RangeError(`send: ${length} bytes of JSON, at most ${MAX_MESSAGE_BYTES}`);
      }
      const h = tx.packetView;
      h.setUint32(0, MAGIC, true);
      h.setUint16(4, SOCKET_PROTOCOL_VERSION, true);
      h.setUint16(6, 0, true);
      h.setUint32(8, fds.length, true);
      h.setUint32(12, length, true);
      const numbers = fds.map((f) => (typeof f === "number" ? f : f.fd));
      await this.#sendFrom(tx, HEADER + length, numbers, options);
    } finally {
      if (mine) this.#sending = false;
      if (!mine || this.#closed) tx.arena[Symbol.dispose]();
    }
  }

  #tx: SendBuffers | undefined;
  #sending = false;

  /** @ignore @internal Sends one packet as it is (the tests use it to send malformed messages). */
  async sendRaw(
    packet: Uint8Array,
    fds: readonly number[],
    options?: WaitOptions,
  ): Promise<void> {
    options ??= {};
    this.#alive();
    // Buffers of this packet's size: the tests send more than a message may hold.
    const tx = newSendBuffers(Math.max(packet.length, 1), Math.max(fds.length, 1));
    try {
      tx.packet.set(packet);
      await this.#sendFrom(tx, packet.length, fds, options);
    } finally {
      tx.arena[Symbol.dispose]();
    }
  }

  /** Sends the first `length` bytes of `tx.packet` with `fds` (SCM_RIGHTS). */
  async #sendFrom(
    tx: SendBuffers,
    length: number,
    fds: readonly number[],
    options: WaitOptions,
  ): Promise<void> {
    const m = tx.msgView;
    tx.iovView.setBigUint64(8, BigInt(length), true); // iov_len
    if (fds.length) {
      const c = tx.controlView;
      c.setBigUint64(0, BigInt(cmsgLen(4 * fds.length)), true);
      c.setInt32(8, SOL_SOCKET, true);
      c.setInt32(12, SCM_RIGHTS, true);
      for (let i = 0; i < fds.length; i++) c.setInt32(cmsghdr.size + 4 * i, fds[i], true);
      m.setBigUint64(msghdr.offsets.msg_control, tx.controlAddress, true);
      m.setBigUint64(msghdr.offsets.msg_controllen, BigInt(cmsgSpace(4 * fds.length)), true);
    } else {
      m.setBigUint64(msghdr.offsets.msg_control, 0n, true);
      m.setBigUint64(msghdr.offsets.msg_controllen, 0n, true);
    }
    for (;;) {
      const n = libcSocket().sendmsg(this.fd, tx.msg, MSG_NOSIGNAL | MSG_DONTWAIT);
      if (n >= 0n) return;
      const e = callErrno("sendmsg", errno());
      if (e !== EAGAIN && e !== EINTR) {
        throw new ErrnoError(
          "sendmsg",
          e,
          `${this.label}, ${fds.length} fd(s) [${fds.join(", ")}]`,
        );
      }
      await ready(this.fd, POLLOUT, options.timeoutMs ?? 10_000, `send on ${this.label}`);
    }
  }

  /**
   * Receives one message and its fds, waiting at most `timeoutMs`. A malformed message, or a
   * peer that closed the connection, is a {@linkcode ProtocolError}; its fds are closed.
   */
  async receive(options?: WaitOptions): Promise<Received> {
    options ??= {};
    this.#alive();
    // One set of receive buffers per socket, reused (a 64 KiB packet buffer per message made
    // Deno's RSS grow by megabytes per thousand messages); a second receive running at the same
    // time on the same socket gets its own.
    const rx = this.#rx && !this.#receiving ? this.#rx : newReceiveBuffers();
    if (!this.#rx) this.#rx = rx;
    const mine = rx === this.#rx;
    if (mine) this.#receiving = true;
    try {
      return await this.#receiveInto(rx, options);
    } finally {
      if (mine) this.#receiving = false;
      // Buffers of their own, or the socket's after a close that came during this receive.
      if (!mine || this.#closed) rx.arena[Symbol.dispose]();
    }
  }

  #rx: ReceiveBuffers | undefined;
  #receiving = false;

  async #receiveInto(rx: ReceiveBuffers, options: WaitOptions): Promise<Received> {
    const { packet, control, msg } = rx;
    let n: bigint;
    for (;;) {
      // The kernel writes the control length and the flags back: set them for each call.
      msg.view.setBigUint64(msghdr.offsets.msg_controllen, BigInt(control.length), true);
      msg.view.setInt32(msghdr.offsets.msg_flags, 0, true);
      n = libcSocket().recvmsg(this.fd, msg.bytes, MSG_CMSG_CLOEXEC | MSG_DONTWAIT);
      if (n >= 0n) break;
      const e = callErrno("recvmsg", errno());
      // A peer gone mid-stream is one event, whatever the kernel says of it (an end of file,
      // or a reset when it died with data unread): the peer closed the connection.
      if (e === ECONNRESET) {
        n = 0n;
        break;
      }
      if (e !== EAGAIN && e !== EINTR) throw new ErrnoError("recvmsg", e, this.label);
      const rev = await ready(
        this.fd,
        POLLIN,
        options.timeoutMs ?? 10_000,
        `receive on ${this.label}`,
      );
      if (rev & (POLLERR | POLLHUP) && !(rev & POLLIN)) {
        n = 0n;
        break;
      }
    }
    const controlLength = Number(msg.view.getBigUint64(msghdr.offsets.msg_controllen, true));
    const flags = msg.view.getInt32(msghdr.offsets.msg_flags, true);
    const fds = receivedFds(control, controlLength, this.peer.pid);
    try {
      const length = Number(n! < 0n ? 0n : n!);
      // A SEQPACKET read of 0 bytes is either an empty packet or the end of the connection.
      if (length === 0 && !this.#peerClosed()) {
        throw new ProtocolError("length", "an empty message (0 bytes): not a vkshare message");
      }
      return { message: parsePacket(packet, length, flags, fds.length), fds };
    } catch (e) {
      for (const f of fds) f.close();
      throw e;
    }
  }

  /** Receives one message and checks that it is an object with `type` equal to `type`. */
  async expect(
    type: string,
    options?: WaitOptions,
  ): Promise<Received & { message: Record<string, unknown> }> {
    options ??= {};
    const r = await this.receive(options);
    const m = r.message as Record<string, unknown> | null;
    if (m === null || typeof m !== "object" || m.type !== type) {
      for (const f of r.fds) f.close();
      throw new ProtocolError(
        "unexpected",
        `${this.label}: expected a "${type}" message, got ${
          JSON.stringify(r.message).slice(0, 200)
        }`,
      );
    }
    return r as Received & { message: Record<string, unknown> };
  }

  /** Whether the peer has shut the connection down (poll: POLLHUP or POLLRDHUP, no wait). */
  #peerClosed(): boolean {
    const revents = pollOnce(this.fd, POLLIN | POLLRDHUP, 0);
    return revents < 0 || (revents & (POLLHUP | POLLRDHUP | POLLERR)) !== 0;
  }

  /** Shuts the connection down and closes the socket (idempotent). */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    if (!this.#receiving) this.#rx?.arena[Symbol.dispose]();
    if (!this.#sending) this.#tx?.arena[Symbol.dispose]();
    libcSocket().shutdown(this.fd, SHUT_RDWR);
    libc().close(this.fd);
  }

  /** Same as {@linkcode ShareSocket.close}. */
  [Symbol.dispose](): void {
    this.close();
  }

  #alive(): void {
    if (this.#closed) throw new Error(`${this.label} is closed`);
  }
}

/** What one recvmsg needs: the packet and control buffers and the msghdr that points at them. */
interface ReceiveBuffers {
  arena: Arena;
  packet: Uint8Array;
  control: Uint8Array;
  msg: { bytes: Uint8Array; view: DataView };
}

/** What one sendmsg needs: the packet and control buffers and the msghdr that points at them. */
interface SendBuffers {
  arena: Arena;
  packet: Uint8Array;
  packetView: DataView;
  controlView: DataView;
  controlAddress: bigint;
  iovView: DataView;
  msg: Uint8Array;
  msgView: DataView;
}

const utf8 = new TextEncoder();

function newSendBuffers(
  bytes = HEADER + MAX_MESSAGE_BYTES + 1,
  fds = MAX_MESSAGE_FDS,
): SendBuffers {
  const arena = new Arena();
  const packet = new Uint8Array(new ArrayBuffer(bytes));
  const control = arena.alloc(cmsgSpace(4 * fds), 8);
  const iov = encode(iovec, { iov_base: packet, iov_len: packet.length }, arena);
  const m = encode(msghdr, { msg_iov: iov.bytes, msg_iovlen: 1 }, arena);
  arena.keep(packet);
  return {
    arena,
    packet,
    packetView: new DataView(packet.buffer),
    controlView: new DataView(control.bytes.buffer, control.bytes.byteOffset + control.offset),
    controlAddress: control.address,
    iovView: new DataView(iov.bytes.buffer, iov.bytes.byteOffset, iovec.size),
    msg: m.bytes,
    msgView: new DataView(m.bytes.buffer, m.bytes.byteOffset, msghdr.size),
  };
}

function newReceiveBuffers(): ReceiveBuffers {
  const arena = new Arena();
  const packet = new Uint8Array(new ArrayBuffer(HEADER + MAX_MESSAGE_BYTES + 1));
  const control = new Uint8Array(new ArrayBuffer(cmsgSpace(4 * MAX_MESSAGE_FDS)));
  const iov = encode(iovec, { iov_base: packet, iov_len: packet.length }, arena);
  const m = encode(msghdr, {
    msg_iov: iov.bytes,
    msg_iovlen: 1,
    msg_control: control,
    msg_controllen: control.length,
  }, arena);
  arena.keep(packet);
  arena.keep(control);
  return {
    arena,
    packet,
    control,
    msg: { bytes: m.bytes, view: new DataView(m.bytes.buffer, m.bytes.byteOffset, msghdr.size) },
  };
}

/** The fds in SCM_RIGHTS control messages, owned. */
function receivedFds(control: Uint8Array, length: number, pid: number): OwnedFd[] {
  const v = new DataView(control.buffer, control.byteOffset, control.byteLength);
  const out: OwnedFd[] = [];
  for (let off = 0; off + cmsghdr.size <= length;) {
    const len = Number(v.getBigUint64(off, true));
    if (len < cmsghdr.size) break;
    if (v.getInt32(off + 8, true) === SOL_SOCKET && v.getInt32(off + 12, true) === SCM_RIGHTS) {
      for (let p = off + cmsghdr.size; p + 4 <= off + len; p += 4) {
        // recvmsg ran with MSG_CMSG_CLOEXEC: each fd is close-on-exec already.
        out.push(
          OwnedFd.received(
            v.getInt32(p, true),
            `fd ${out.length} of a message from pid ${pid}`,
            true,
          ),
        );
      }
    }
    off += cmsgSpace(len - cmsghdr.size);
  }
  return out;
}

// A body that is not UTF-8 is refused, not patched with U+FFFD (one decoder: making one per
// message cost microseconds).
const strictUtf8 = new TextDecoder("utf-8", { fatal: true });

/**
 * @ignore @internal Checks a received packet of `n` bytes (recvmsg's `flags`, `fdCount` fds with it);
 * returns its JSON body, or throws the ProtocolError that says what is wrong.
 */
export function parsePacket(
  packet: Uint8Array,
  n: number,
  flags: number,
  fdCount: number,
): unknown {
  if (flags & MSG_CTRUNC) {
    // The kernel drops fds that do not fit the control buffer, and also those this process has
    // no room for (RLIMIT_NOFILE): the header tells which.
    const said = n >= HEADER
      ? new DataView(packet.buffer, packet.byteOffset).getUint32(8, true)
      : -1;
    throw new ProtocolError(
      "truncated",
      said >= 0 && said <= MAX_MESSAGE_FDS
        ? `a message of ${said} fd(s) arrived with ${fdCount}: this process could not take the rest (out of file descriptors? EMFILE: raise ulimit -n or close some)`
        : `a message came with more than ${MAX_MESSAGE_FDS} fds: the rest were dropped`,
    );
  }
  if (flags & MSG_TRUNC) {
    throw new ProtocolError(
      "truncated",
      `a message was longer than ${HEADER + MAX_MESSAGE_BYTES} bytes`,
    );
  }
  if (n === 0) {
    throw new ProtocolError("closed", "the peer closed the connection");
  }
  if (n < HEADER) {
    throw new ProtocolError("length", `a message of ${n} bytes is shorter than its header`);
  }
  const h = new DataView(packet.buffer, packet.byteOffset, n);
  if (h.getUint32(0, true) !== MAGIC) {
    throw new ProtocolError("magic", "not a vkshare message (its first bytes are not VKSH)");
  }
  const version = h.getUint16(4, true);
  if (version !== SOCKET_PROTOCOL_VERSION) {
    throw new ProtocolError(
      "version",
      `message version ${version}; this vkshare speaks ${SOCKET_PROTOCOL_VERSION}`,
    );
  }
  const reserved = h.getUint16(6, true);
  if (reserved !== 0) {
    throw new ProtocolError(
      "version",
      `header bytes 6-7 are reserved and 0 in version ${SOCKET_PROTOCOL_VERSION}, got ${reserved}`,
    );
  }
  const count = h.getUint32(8, true);
  if (count !== fdCount) {
    throw new ProtocolError("fd-count", `the message says ${count} fd(s), ${fdCount} came with it`);
  }
  const length = h.getUint32(12, true);
  if (n - HEADER > MAX_MESSAGE_BYTES) {
    throw new ProtocolError(
      "length",
      `a message body of ${n - HEADER} bytes: at most ${MAX_MESSAGE_BYTES} are allowed`,
    );
  }
  if (length !== n - HEADER) {
    throw new ProtocolError(
      "length",
      `the message says ${length} bytes of body, ${n - HEADER} came`,
    );
  }
  try {
    return JSON.parse(strictUtf8.decode(packet.subarray(HEADER, n)));
  } catch (e) {
    throw new ProtocolError("json", `the message body is not JSON: ${(e as Error).message}`);
  }
}

/**
 * Options of {@linkcode ShareServer.listen}.
 *
 * @example
 * ```ts
 * using server = ShareServer.listen({ at: { abstract: "my-app" }, allowUids: [1000], cleanupOnSignal: true });
 * ```
 *
 * @category Processes
 */
export interface ListenOptions extends SecurityOptions {
  /**
   * Whether SIGINT and SIGTERM, while the server is open, remove its socket file and directory
   * and end the process with 130 or 143 (default true). Set false when the script handles these
   * signals itself (and closes the server).
   */
  cleanupOnSignal?: boolean;
  /**
   * Where to listen: a path (which must not exist), or `{ abstract: name }`. Default: a new
   * socket file in a private directory (under `$XDG_RUNTIME_DIR`, else `/tmp`).
   */
  at?: SocketAddress;
}

/**
 * A listening share socket.
 *
 * @example
 * ```ts
 * using server = ShareServer.listen();
 * console.log(server.address); // give this to the other process
 * using peer = await server.accept({ timeoutMs: 30_000 });
 * ```
 *
 * @category Processes
 */
export class ShareServer implements Disposable {
  /** The socket's fd. */
  readonly fd: number;
  /** Where it listens (pass it to {@linkcode ShareSocket.connect}). */
  readonly address: SocketAddress;
  /**
   * The peers {@linkcode ShareServer.accept} refused (their uid is not allowed), newest last (at
   * most 100): each was closed, and the wait went on.
   */
  readonly refused: ErrnoError[] = [];
  readonly #dir: string | null;
  readonly #allow: readonly number[] | undefined;
  #closed = false;

  /** @ignore Made by the class's own static methods. */
  private constructor(
    fd: number,
    at: SocketAddress,
    dir: string | null,
    allow?: readonly number[],
  ) {
    this.fd = fd;
    this.address = at;
    this.#dir = dir;
    this.#allow = allow;
  }

  /**
   * Listens on `at` (see {@linkcode ListenOptions}). The socket file is made 0600 by the bind
   * itself (under a umask of 0177), so no later chmod can be led through a symlink; a socket
   * file at an explicit path that nobody listens on any more (left by a killed server) is
   * replaced. Until it is closed, SIGINT and SIGTERM remove the file and its directory, then end
   * the process (130, 143), unless `cleanupOnSignal` is false.
   */
  static listen(options?: ListenOptions): ShareServer {
    options ??= {};
    const s = libcSocket();
    let dir: string | null = null;
    let at = options.at;
    if (at === undefined) {
      const base = rt.env("XDG_RUNTIME_DIR") || "/tmp";
      const rand = Array.from(
        crypto.getRandomValues(new Uint8Array(8)),
        (b) => b.toString(16).padStart(2, "0"),
      ).join("");
      dir = `${base}/vkshare-${rand}`;
      if (s.mkdir(cString(dir), 0o700) < 0) fail("mkdir", dir);
      at = `${dir}/vkshare.sock`;
    }
    const fd = newSocket();
    try {
      using arena = new Arena();
      const a = address(at, arena);
      let e = bindPrivate(fd, a);
      if (e === EADDRINUSE && typeof at === "string" && isStaleSocket(at, a)) {
        s.unlink(cString(at));
        e = bindPrivate(fd, a);
      }
      if (e !== 0) {
        throw new ErrnoError(
          "bind",
          e,
          e === EADDRINUSE
            ? `${describe(at)} exists already${
              typeof at === "string" ? `: ${whatIsAt(at)}` : ""
            }: stop it or remove it, or choose another path`
            : describe(at),
        );
      }
      if (s.listen(fd, 16) < 0) fail("listen", describe(at));
    } catch (e) {
      libc().close(fd);
      if (dir) s.rmdir(cString(dir));
      throw e;
    }
    const server = new ShareServer(fd, at, dir, options.allowUids);
    if (options.cleanupOnSignal !== false) server.#watchSignals();
    return server;
  }

  #unwatch: (() => void)[] = [];

  #watchSignals(): void {
    for (const [signal, code] of [["SIGINT", 130], ["SIGTERM", 143]] as const) {
      this.#unwatch.push(rt.onSignal(signal, () => {
        this.close();
        rt.exit(code);
      }));
    }
  }

  /**
   * Accepts one connection from an allowed uid, waiting at most `timeoutMs` in all. A peer of a
   * uid not allowed is closed, recorded in {@linkcode ShareServer.refused} (an ErrnoError EACCES
   * naming its pid and uid), and the wait goes on; the timeout's message names the last refusal.
   */
  async accept(options?: WaitOptions): Promise<ShareSocket> {
    options ??= {};
    if (this.#closed) throw new Error(`the server at ${describe(this.address)} is closed`);
    const timeoutMs = options.timeoutMs ?? 10_000;
    const end = performance.now() + timeoutMs;
    for (;;) {
      const fd = libcSocket().accept4(this.fd, null, null, SOCK_NONBLOCK | SOCK_CLOEXEC);
      if (fd >= 0) {
        let peer: PeerCredentials;
        try {
          peer = peerOf(fd);
          checkPeer(peer, this.#allow, `accept(${describe(this.address)})`);
        } catch (e) {
          // A peer that is not allowed is closed and recorded; the wait goes on for the one
          // that is (any local user can connect to an abstract name, or try to). A stream of
          // them neither outlasts the timeout nor holds the event loop: one turn after each.
          libc().close(fd);
          this.#refuse(e as ErrnoError);
          if (performance.now() >= end) {
            throw new ErrnoError("accept4", ETIMEDOUT, this.#waitLabel(timeoutMs));
          }
          await eventLoopTurn();
          continue;
        }
        return new ShareSocket(fd, peer);
      }
      const e = errno();
      if (e !== EAGAIN && e !== EINTR) throw new ErrnoError("accept4", e, describe(this.address));
      await ready(this.fd, POLLIN, Math.max(0, end - performance.now()), this.#waitLabel());
    }
  }

  /** Records a refused peer's error (the newest 100). */
  #refuse(e: ErrnoError): void {
    this.refused.push(e);
    if (this.refused.length > 100) this.refused.shift();
  }

  /** What an accept waits for, and the last refusal (for a timeout's message). */
  #waitLabel(timeoutMs?: number): string {
    const refused = this.refused.length
      ? `; refused meanwhile: ${this.refused.at(-1)!.message}`
      : "";
    const within = timeoutMs === undefined ? "" : `: no allowed peer within ${timeoutMs} ms`;
    return `accept on ${describe(this.address)}${within}${refused}`;
  }

  /** Stops listening, and removes the socket file and its private directory (idempotent). */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const u of this.#unwatch.splice(0)) u();
    libc().close(this.fd);
    const s = libcSocket();
    if (typeof this.address === "string") s.unlink(cString(this.address));
    if (this.#dir) s.rmdir(cString(this.#dir));
  }

  /** Same as {@linkcode ShareServer.close}. */
  [Symbol.dispose](): void {
    this.close();
  }
}
