#!/usr/bin/env python3
"""A Python peer of vkshare's share socket: Vulkan memory and timeline semaphores from a Deno or
Bun script, imported into CUDA and handed to PyTorch without a copy.

Standard library and ctypes only. PyTorch is imported only by the functions that make tensors or
read torch's current stream; CuPy or anything else that reads ``__cuda_array_interface__`` works
with :func:`cuda_array`.

The protocol is the one ``ipc/socket.ts`` and ``ipc/offer.ts`` define, with the same rules:

- a message is one ``SOCK_SEQPACKET`` packet: a 16-byte header (``VKSH``, version, 0, fd count,
  body length; little-endian) and a UTF-8 JSON body of at most 64 KiB, with at most 16 fds
  (SCM_RIGHTS);
- a malformed, truncated or unexpected message is a :class:`ProtocolError` whose ``reason`` is the
  TypeScript side's (``magic``, ``version``, ``fd-count``, ``length``, ``json``, ``truncated``,
  ``closed``, ``unexpected``), and every fd that came with it is closed before it is raised;
- both ends check the other's uid (SO_PEERCRED) and refuse other users unless allowed;
- every wait has a timeout: a wait that expires is a ``TimeoutError`` (errno ETIMEDOUT) that says
  what was awaited;
- received fds are close-on-exec (``MSG_CMSG_CLOEXEC``);
- an offer is ``{"type": "offer", "version": 1, "label", "memory", "semaphores", "fences"}``, its
  fds in that order; a refused offer closes every fd that came with it.

Run ``python3 python/vkshare_peer.py --help`` for the command line (tests and examples use it).
"""

from __future__ import annotations

import array
import ctypes
import errno
import json
import os
import re
import secrets
import select
import socket
import stat
import struct
import sys
import time
from typing import Any, Callable, Iterable, Optional, Sequence

SOCKET_PROTOCOL_VERSION = 1
OFFER_VERSION = 1
DESCRIPTOR_VERSION = 1
SYNC_DESCRIPTOR_VERSION = 1
MAX_MESSAGE_BYTES = 64 * 1024
MAX_MESSAGE_FDS = 16
MAGIC = 0x48534B56  # "VKSH", little-endian
HEADER = struct.Struct("<IHHII")  # magic, version, 0, fd count, body length: 16 bytes
DEFAULT_TIMEOUT = 10.0

# Linux values (socket has most of them; these are the ones it may lack).
_POLLRDHUP = getattr(select, "POLLRDHUP", 0x2000)
_MSG_CMSG_CLOEXEC = getattr(socket, "MSG_CMSG_CLOEXEC", 0x40000000)
_SO_PEERCRED = getattr(socket, "SO_PEERCRED", 17)

MEMORY_HANDLE_TYPES = (
    "OPAQUE_FD", "OPAQUE_WIN32", "OPAQUE_WIN32_KMT", "D3D11_TEXTURE", "D3D11_TEXTURE_KMT",
    "D3D12_HEAP", "D3D12_RESOURCE", "HOST_ALLOCATION", "HOST_MAPPED_FOREIGN_MEMORY", "DMA_BUF",
    "ANDROID_HARDWARE_BUFFER", "ZIRCON_VMO", "RDMA_ADDRESS", "SCREEN_BUFFER",
)


# ---- errors -------------------------------------------------------------------------------------


class ProtocolError(Exception):
    """A message broke the protocol; ``reason`` is the TypeScript ProtocolError's."""

    def __init__(self, reason: str, message: str):
        super().__init__(f"PROTOCOL_{reason.upper().replace('-', '_')}: {message}")
        self.reason = reason


class ShareError(Exception):
    """A sharing rule checked before CUDA saw the call; ``rule`` is the TypeScript ShareError's."""

    def __init__(self, rule: str, message: str, expected: Any = None, actual: Any = None):
        super().__init__(f"{rule}: {message}")
        self.rule = rule
        self.expected = expected
        self.actual = actual


class CudaError(Exception):
    """A libcuda call failed: ``call``, the CUresult ``code`` and its ``name``, and the values."""

    def __init__(self, call: str, code: int, name: str, details: dict):
        shown = ", ".join(f"{k}={v}" for k, v in details.items())
        super().__init__(f"{call} failed: {name} ({code})" + (f" [{shown}]" if shown else ""))
        self.call = call
        self.code = code
        self.name = name
        self.details = details


def _show(v: Any) -> str:
    try:
        return json.dumps(v)[:200]
    except (TypeError, ValueError):
        return repr(v)[:200]


def _timeout(what: str, seconds: float) -> TimeoutError:
    ms = "infinite" if seconds == float("inf") else f"{seconds * 1000:.0f}"
    return TimeoutError(errno.ETIMEDOUT, f"{what}: nothing within {ms} ms")


# ---- fds ----------------------------------------------------------------------------------------


# The Fd that owns each fd number now (share/fd.ts keeps the same): an import given the bare
# number of an owned fd takes that Fd, so that it never closes the number CUDA now owns.
_OWNERS: dict = {}


class Fd:
    """An fd this process owns: closed once by :meth:`close`, or handed on by :meth:`take`."""

    def __init__(self, fd: int, label: str):
        self.fd = fd
        self.label = label
        self.state = "open"
        # The number was free again, so a listed owner lost its fd behind its back.
        stale = _OWNERS.get(fd)
        if stale is not None:
            stale.state = "closed"
        _OWNERS[fd] = self

    def _done(self) -> None:
        if _OWNERS.get(self.fd) is self:
            del _OWNERS[self.fd]

    def take(self) -> int:
        """The number, now the taker's (an import that succeeded): close() leaves it alone."""
        if self.state != "open":
            raise ValueError(f"{self.label} is {self.state}")
        self.state = "consumed"
        self._done()
        return self.fd

    def close(self) -> None:
        """Closes the fd unless it was closed or taken already (idempotent)."""
        if self.state == "open":
            self.state = "closed"
            self._done()
            os.close(self.fd)

    def __enter__(self) -> "Fd":
        return self

    def __exit__(self, *_: Any) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Fd({self.fd}, {self.label!r}, {self.state})"


def _taken(fd: Any) -> None:
    """After an import took ``fd`` (an :class:`Fd`, or a bare number): its owner is taken, so
    that closing it later closes nothing."""
    owner = fd if isinstance(fd, Fd) else _OWNERS.get(fd)
    if owner is not None and owner.state == "open":
        owner.take()


def describe_fd(fd: int) -> Optional[str]:
    """What ``fd`` refers to (its /proc/self/fd link), or None when it is not open."""
    try:
        return os.readlink(f"/proc/self/fd/{fd}")
    except OSError:
        return None


def open_fds() -> list:
    """This process's open fds (the listing's own fd left out)."""
    listing = os.listdir("/proc/self/fd")
    return sorted(int(f) for f in listing if describe_fd(int(f)) is not None)


# ---- the packet ---------------------------------------------------------------------------------


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def parse_packet(data: bytes, flags: int, fd_count: int) -> Any:
    """Checks a received packet (recvmsg's ``flags``, ``fd_count`` fds with it) and returns its
    JSON body; raises the ProtocolError that ``ipc/socket.ts``'s parsePacket raises otherwise."""
    n = len(data)
    if flags & socket.MSG_CTRUNC:
        said = struct.unpack_from("<I", data, 8)[0] if n >= HEADER.size else -1
        raise ProtocolError(
            "truncated",
            f"a message of {said} fd(s) arrived with {fd_count}: this process could not take the "
            "rest (out of file descriptors? EMFILE: raise ulimit -n or close some)"
            if 0 <= said <= MAX_MESSAGE_FDS
            else f"a message came with more than {MAX_MESSAGE_FDS} fds: the rest were dropped",
        )
    if flags & socket.MSG_TRUNC:
        raise ProtocolError(
            "truncated", f"a message was longer than {HEADER.size + MAX_MESSAGE_BYTES} bytes"
        )
    if n == 0:
        raise ProtocolError("closed", "the peer closed the connection")
    if n < HEADER.size:
        raise ProtocolError("length", f"a message of {n} bytes is shorter than its header")
    magic, version, reserved, count, length = HEADER.unpack_from(data)
    if magic != MAGIC:
        raise ProtocolError("magic", "not a vkshare message (its first bytes are not VKSH)")
    if version != SOCKET_PROTOCOL_VERSION:
        raise ProtocolError(
            "version", f"message version {version}; this peer speaks {SOCKET_PROTOCOL_VERSION}"
        )
    if reserved != 0:
        raise ProtocolError(
            "version",
            f"header bytes 6-7 are reserved and 0 in version {SOCKET_PROTOCOL_VERSION}, "
            f"got {reserved}",
        )
    if count != fd_count:
        raise ProtocolError("fd-count", f"the message says {count} fd(s), {fd_count} came with it")
    body = n - HEADER.size
    if body > MAX_MESSAGE_BYTES:
        raise ProtocolError(
            "length", f"a message body of {body} bytes: at most {MAX_MESSAGE_BYTES} are allowed"
        )
    if length != body:
        raise ProtocolError("length", f"the message says {length} bytes of body, {body} came")
    try:
        return json.loads(data[HEADER.size:].decode("utf-8"), parse_constant=_reject_constant)
    except (UnicodeDecodeError, ValueError) as e:
        raise ProtocolError("json", f"the message body is not JSON: {e}") from None
    except RecursionError:
        # 64 KiB of "[" nests deeper than Python's stack allows (JavaScript's JSON.parse takes it).
        raise ProtocolError("json", "the message body nests too deeply for this peer") from None


def encode_message(message: Any, fd_count: int) -> bytes:
    """The packet for ``message`` with ``fd_count`` fds; ValueError for what the protocol cannot
    carry (as the TypeScript side's RangeError)."""
    if fd_count > MAX_MESSAGE_FDS:
        raise ValueError(f"send: {fd_count} fds, at most {MAX_MESSAGE_FDS}")
    body = json.dumps(message, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
    raw = body.encode("utf-8")
    if len(raw) > MAX_MESSAGE_BYTES:
        raise ValueError(f"send: {len(raw)} bytes of JSON, at most {MAX_MESSAGE_BYTES}")
    return HEADER.pack(MAGIC, SOCKET_PROTOCOL_VERSION, 0, fd_count, len(raw)) + raw


# ---- sockets ------------------------------------------------------------------------------------


def _address(at: str) -> str:
    """``@name`` is a name in the abstract namespace; anything else a path."""
    if not isinstance(at, str) or not at:
        raise ValueError(f"socket address: expected a path or @name, got {at!r}")
    if "\0" in at:
        raise ValueError("socket path: contains a NUL byte")
    raw = ("\0" + at[1:]) if at.startswith("@") else at
    if len(raw.encode()) > 107:
        raise ValueError(f"socket path: {len(raw.encode())} bytes, sockaddr_un holds 107")
    return raw


def _peer_of(s: socket.socket) -> tuple:
    pid, uid, gid = struct.unpack("3i", s.getsockopt(socket.SOL_SOCKET, _SO_PEERCRED, 12))
    return pid, uid, gid


def _check_peer(peer: tuple, allow_uids: Optional[Sequence[int]], what: str) -> None:
    allowed = list(allow_uids) if allow_uids is not None else [os.getuid()]
    if peer[1] not in allowed:
        raise PermissionError(
            errno.EACCES,
            f"{what}: peer pid {peer[0]} runs as uid {peer[1]}; allowed: "
            + ", ".join(map(str, allowed)),
        )


def _wait(fd: int, events: int, deadline: float, what: str, seconds: float) -> int:
    """Polls ``fd`` for ``events`` until ``deadline`` (time.monotonic()); returns the revents."""
    p = select.poll()
    p.register(fd, events)
    while True:
        left = deadline - time.monotonic()
        if left <= 0 and deadline != float("inf"):
            raise _timeout(what, seconds)
        ms = None if deadline == float("inf") else max(0, int(left * 1000) + 1)
        try:
            ready = p.poll(ms)
        except InterruptedError:
            continue
        if ready:
            return ready[0][1]


def _deadline(timeout: Optional[float]) -> tuple:
    seconds = DEFAULT_TIMEOUT if timeout is None else float(timeout)
    if not seconds >= 0:
        raise ValueError(f"timeout: expected >= 0 seconds, got {timeout!r}")
    return seconds, time.monotonic() + seconds


class Received:
    """A message and the fds that came with it (owned: close them, or take them)."""

    def __init__(self, message: Any, fds: list):
        self.message = message
        self.fds = fds

    def close(self) -> None:
        """Closes every fd not taken."""
        for f in self.fds:
            f.close()


class ShareSocket:
    """A connected share socket (``SOCK_SEQPACKET``): sends and receives messages with fds."""

    def __init__(self, sock: socket.socket, peer: tuple):
        sock.setblocking(False)
        self._sock = sock
        self.fd = sock.fileno()
        self.peer = {"pid": peer[0], "uid": peer[1], "gid": peer[2]}
        self.label = f"ShareSocket {self.fd} (peer pid {peer[0]}, uid {peer[1]})"
        self.closed = False

    @classmethod
    def connect(
        cls, at: str, timeout: Optional[float] = None, allow_uids: Optional[Sequence[int]] = None
    ) -> "ShareSocket":
        """Connects to a server at ``at`` (a path, or ``@name``), retrying until it listens or
        ``timeout`` seconds pass, and checks the server's uid."""
        seconds, deadline = _deadline(timeout)
        raw = _address(at)
        while True:
            s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)  # close-on-exec: PEP 446
            s.setblocking(False)  # a full backlog is EAGAIN (retried), not a wait without end
            ok = False
            try:
                try:
                    s.connect(raw)
                    peer = _peer_of(s)
                    _check_peer(peer, allow_uids, f"connect({at})")
                    ok = True
                    return cls(s, peer)
                except (FileNotFoundError, ConnectionRefusedError, BlockingIOError) as e:
                    if time.monotonic() >= deadline:
                        if isinstance(e, BlockingIOError):
                            raise _timeout(f"connect({at})", seconds) from None
                        raise type(e)(e.errno, f"connect({at}): {e.strerror}") from None
            finally:
                if not ok:
                    s.close()
            time.sleep(0.005)

    def send(self, message: Any, fds: Iterable = (), timeout: Optional[float] = None) -> None:
        """Sends ``message`` (JSON) with ``fds`` (ints or :class:`Fd`; the kernel duplicates them
        into the peer: the caller still owns its own). Waits at most ``timeout`` for room."""
        self._alive()
        numbers = [f.fd if isinstance(f, Fd) else int(f) for f in fds]
        packet = encode_message(message, len(numbers))
        seconds, deadline = _deadline(timeout)
        anc = [(socket.SOL_SOCKET, socket.SCM_RIGHTS, array.array("i", numbers))] if numbers else []
        while True:
            try:
                self._sock.sendmsg([packet], anc, socket.MSG_NOSIGNAL)
                return
            except (BlockingIOError, InterruptedError):
                _wait(self.fd, select.POLLOUT, deadline, f"send on {self.label}", seconds)

    def send_raw(self, packet: bytes, fds: Sequence[int] = ()) -> None:
        """Sends one packet as it is (tests use it to send malformed messages)."""
        self._alive()
        anc = [(socket.SOL_SOCKET, socket.SCM_RIGHTS, array.array("i", fds))] if fds else []
        self._sock.sendmsg([packet], anc, socket.MSG_NOSIGNAL)

    def receive(self, timeout: Optional[float] = None) -> Received:
        """Receives one message and its fds, waiting at most ``timeout`` seconds. A malformed
        message, or a peer that closed the connection, is a ProtocolError; its fds are closed."""
        self._alive()
        seconds, deadline = _deadline(timeout)
        space = socket.CMSG_SPACE(4 * MAX_MESSAGE_FDS)
        while True:
            try:
                data, anc, flags, _ = self._sock.recvmsg(
                    HEADER.size + MAX_MESSAGE_BYTES + 1, space, _MSG_CMSG_CLOEXEC
                )
                break
            except (BlockingIOError, InterruptedError):
                _wait(self.fd, select.POLLIN, deadline, f"receive on {self.label}", seconds)
        pid = self.peer["pid"]
        fds = []
        for level, kind, payload in anc:
            if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
                got = array.array("i")
                got.frombytes(payload[: len(payload) - len(payload) % 4])
                fds.extend(Fd(n, f"fd {len(fds) + i} of a message from pid {pid}")
                           for i, n in enumerate(got))
        try:
            # A SEQPACKET read of 0 bytes is either an empty packet or the end of the connection.
            if len(data) == 0 and not self._peer_closed():
                raise ProtocolError("length", "an empty message (0 bytes): not a vkshare message")
            return Received(parse_packet(data, flags, len(fds)), fds)
        except BaseException:
            for f in fds:
                f.close()
            raise

    def expect(self, kind: str, timeout: Optional[float] = None) -> Received:
        """Receives one message and checks that it is an object whose ``type`` is ``kind``."""
        r = self.receive(timeout)
        m = r.message
        if not isinstance(m, dict) or m.get("type") != kind:
            r.close()
            raise ProtocolError(
                "unexpected", f'{self.label}: expected a "{kind}" message, got {_show(m)}'
            )
        return r

    def _peer_closed(self) -> bool:
        p = select.poll()
        p.register(self.fd, select.POLLIN | _POLLRDHUP)
        ready = p.poll(0)
        return bool(ready) and bool(ready[0][1] & (select.POLLHUP | _POLLRDHUP | select.POLLERR))

    def close(self) -> None:
        """Shuts the connection down and closes the socket (idempotent)."""
        if self.closed:
            return
        self.closed = True
        try:
            self._sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self._sock.close()

    def _alive(self) -> None:
        if self.closed:
            raise ValueError(f"{self.label} is closed")

    def __enter__(self) -> "ShareSocket":
        return self

    def __exit__(self, *_: Any) -> None:
        self.close()


class ShareServer:
    """A listening share socket: a 0600 socket file in a private 0700 directory (or ``@name``)."""

    def __init__(self, sock: socket.socket, address: str, directory: Optional[str],
                 allow_uids: Optional[Sequence[int]]):
        sock.setblocking(False)
        self._sock = sock
        self.fd = sock.fileno()
        self.address = address
        self.refused: list = []
        self._dir = directory
        self._allow = allow_uids
        self.closed = False

    @classmethod
    def listen(cls, at: Optional[str] = None,
               allow_uids: Optional[Sequence[int]] = None) -> "ShareServer":
        """Listens at ``at`` (a path that must not exist, or ``@name``); by default at a new
        socket file in a private directory under ``$XDG_RUNTIME_DIR`` (else /tmp). A socket file
        nobody listens on any more (left by a killed server) is replaced."""
        directory = None
        if at is None:
            base = os.environ.get("XDG_RUNTIME_DIR") or "/tmp"
            directory = f"{base}/vkshare-{secrets.token_hex(8)}"
            os.mkdir(directory, 0o700)
            at = f"{directory}/vkshare.sock"
        raw = _address(at)
        s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        try:
            try:
                _bind_private(s, raw)
            except OSError as e:
                if e.errno == errno.EADDRINUSE and not at.startswith("@") and _stale(at):
                    os.unlink(at)
                    _bind_private(s, raw)
                elif e.errno == errno.EADDRINUSE:
                    listens = "" if at.startswith("@") else " and a server listens there"
                    raise OSError(e.errno, f"{at} exists already{listens}: stop it, or choose "
                                  "another path") from None
                else:
                    raise OSError(e.errno, f"bind({at}): {e.strerror}") from None
            s.listen(16)
        except BaseException:
            s.close()
            if directory:
                os.rmdir(directory)
            raise
        return cls(s, at, directory, allow_uids)

    def accept(self, timeout: Optional[float] = None) -> ShareSocket:
        """Accepts one connection from an allowed uid, waiting at most ``timeout`` seconds. A peer
        of another uid is closed, recorded in ``refused`` (newest last, 100 at most), and the wait
        goes on, until the timeout (which a stream of refused peers does not outlast)."""
        if self.closed:
            raise ValueError(f"the server at {self.address} is closed")
        seconds, deadline = _deadline(timeout)
        while True:
            try:
                s, _ = self._sock.accept()
            except (BlockingIOError, InterruptedError):
                last = f"; refused meanwhile: {self.refused[-1]}" if self.refused else ""
                _wait(self.fd, select.POLLIN, deadline, f"accept on {self.address}{last}", seconds)
                continue
            try:
                peer = _peer_of(s)
                _check_peer(peer, self._allow, f"accept({self.address})")
            except OSError as e:
                s.close()
                self.refused.append(e)
                del self.refused[:-100]
                # A stream of refused peers does not outlast the timeout.
                if time.monotonic() >= deadline:
                    raise _timeout(f"accept on {self.address}; refused meanwhile: {e}", seconds)
                continue
            return ShareSocket(s, peer)

    def close(self) -> None:
        """Stops listening; removes the socket file and its private directory (idempotent)."""
        if self.closed:
            return
        self.closed = True
        self._sock.close()
        if not self.address.startswith("@"):
            try:
                os.unlink(self.address)
            except FileNotFoundError:
                pass
        if self._dir:
            os.rmdir(self._dir)

    def __enter__(self) -> "ShareServer":
        return self

    def __exit__(self, *_: Any) -> None:
        self.close()


def _bind_private(s: socket.socket, raw: str) -> None:
    old = os.umask(0o177)  # the bind makes the file 0600: no later chmod through a symlink
    try:
        s.bind(raw)
    finally:
        os.umask(old)


def _stale(path: str) -> bool:
    """Whether ``path`` is a socket file nobody listens on (connect: ECONNREFUSED)."""
    try:
        if not stat.S_ISSOCK(os.lstat(path).st_mode):
            return False  # never remove what is not a socket
    except OSError:
        return False
    probe = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    try:
        probe.connect(path)
        return False
    except ConnectionRefusedError:
        return True
    except OSError:
        return False
    finally:
        probe.close()


# ---- descriptors and offers ---------------------------------------------------------------------

_MEMORY_FIELDS = ("version", "handleType", "size", "memoryTypeIndex", "memoryProperties",
                  "dedicated", "deviceUUID", "driverUUID", "deviceName", "fdKind")
_SYNC_FIELDS = ("version", "object", "handleType", "semaphoreType", "deviceUUID", "driverUUID",
                "deviceName", "fdKind")


def _bad(message: str, expected: Any = None, actual: Any = None) -> ShareError:
    return ShareError("BAD_DESCRIPTOR", message, expected, actual)


def _is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _printable(v: Any) -> bool:
    """A peer's text that a message or a terminal can show as it is: no control characters
    (ESC, OSC, CR-LF), as share/descriptor.ts requires."""
    return isinstance(v, str) and not any(
        ord(c) < 0x20 or 0x7f <= ord(c) <= 0x9f for c in v)


_UUID = re.compile(r"([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})?")


def _uuid(v: Any) -> bool:
    return isinstance(v, str) and _UUID.fullmatch(v) is not None


def _is_u32(v: Any, low: int = 0) -> bool:
    return _is_int(v) and low <= v <= 0xFFFFFFFF


_PLANE_FIELDS = ("offset", "size", "rowPitch", "arrayPitch", "depthPitch")
_IMAGE_FIELDS = ("kind", "imageType", "format", "extent", "mipLevels", "arrayLayers", "tiling",
                 "usage", "flags", "externalHandleTypes", "externalHandleTypesNV",
                 "drmFormatModifier", "planeLayouts")
_BUFFER_FIELDS = ("kind", "size", "usage", "flags", "externalHandleTypes")


def _dedicated(v: Any) -> Optional[dict]:
    """The checked description of a dedicated allocation's buffer or image (share/descriptor.ts's
    parseDedicatedTarget: every field of its type and range, no other), or None."""
    if v is None:
        return None
    where = "descriptor.dedicated"
    if not isinstance(v, dict) or v.get("kind") not in ("image", "buffer"):
        raise _bad(f'{where}: expected an image\'s or a buffer\'s description, got {_show(v)}')
    fields = _IMAGE_FIELDS if v["kind"] == "image" else _BUFFER_FIELDS
    for k in v:
        if k not in fields:
            raise _bad(f"{where}.{k}: not a field (it has {', '.join(fields)})", list(fields), k)
    # A usage of no flag breaks Vulkan's "usage-requiredbitmask": one flag at least.
    checks: dict = {"usage": lambda x: _is_u32(x, 1), "flags": _is_u32,
                    "externalHandleTypes": _is_u32}
    if v["kind"] == "buffer":
        checks["size"] = lambda x: _is_int(x) and 0 < x <= 2**53 - 1
    else:
        checks.update({
            "imageType": lambda x: x in (0, 1, 2),
            "format": lambda x: _is_u32(x, 1),
            "extent": lambda x: isinstance(x, dict) and set(x) == {"width", "height", "depth"}
            and all(_is_u32(x[k], 1) for k in x),
            "mipLevels": lambda x: _is_u32(x, 1),
            "arrayLayers": lambda x: _is_u32(x, 1),
            "tiling": lambda x: x in (0, 1, 1000158000),
        })
        for k, ok in (("externalHandleTypesNV", _is_u32),
                      ("drmFormatModifier",
                       lambda x: isinstance(x, str) and re.fullmatch(r"0x[0-9a-f]{16}", x)),
                      ("planeLayouts",
                       lambda x: isinstance(x, list) and 1 <= len(x) <= 4 and all(
                           isinstance(p, dict) and set(p) == set(_PLANE_FIELDS)
                           and all(_is_int(p[f]) and 0 <= p[f] <= 2**53 - 1 for f in p)
                           for p in x))):
            if k in v and not ok(v[k]):
                raise _bad(f"{where}.{k}: expected {k} of its type, got {_show(v[k])}")
    for k, ok in checks.items():
        if not ok(v.get(k)):
            raise _bad(f"{where}.{k}: expected a value of its type and range, got "
                       f"{_show(v.get(k))}")
    return json.loads(json.dumps(v))


def _fields(given: Any, fields: Sequence[str]) -> dict:
    if not isinstance(given, dict):
        raise _bad(f"descriptor: expected an object, got {_show(given)}")
    for k in given:
        if k not in fields:
            raise _bad(f"descriptor.{k}: not a field of this descriptor (it has "
                       f"{', '.join(fields)})", list(fields), k)
    return dict(given)


def _check(d: dict, key: str, ok: Callable[[Any], bool], want: str, optional: bool = False):
    v = d.get(key)
    if optional and key not in d:
        return
    if not ok(v):
        raise _bad(f"descriptor.{key}: expected {want}, got {_show(v)}", want, v)


def parse_memory_descriptor(given: Any) -> dict:
    """The checked copy of a memory descriptor (``share/descriptor.ts``'s rules): a ShareError
    BAD_DESCRIPTOR (SIZE_MISMATCH for the size) names the field otherwise."""
    if isinstance(given, dict) and "object" in given:
        raise _bad(f"the descriptor is of a {_show(given['object'])}, not of memory")
    d = _fields(given, _MEMORY_FIELDS)
    if d.get("version") != DESCRIPTOR_VERSION or not _is_int(d.get("version")):
        raise _bad(f"descriptor.version is {_show(d.get('version'))}; this peer reads version "
                   f"{DESCRIPTOR_VERSION}", DESCRIPTOR_VERSION, d.get("version"))
    _check(d, "handleType", lambda v: v in MEMORY_HANDLE_TYPES,
           "one of " + ", ".join(MEMORY_HANDLE_TYPES))
    size = d.get("size")
    if not (_is_int(size) and 0 < size <= 2**53 - 1):
        raise ShareError("SIZE_MISMATCH", f"descriptor.size must be a positive integer, got "
                         f"{_show(size)}")
    _check(d, "memoryTypeIndex", lambda v: _is_int(v) and v >= 0, "a non-negative integer")
    _check(d, "memoryProperties",
           lambda v: isinstance(v, list) and all(isinstance(x, str) for x in v),
           "a list of strings", optional=True)
    for k in ("deviceUUID", "driverUUID"):
        _check(d, k, _uuid, "a UUID (8-4-4-4-12 lower-case hex digits)")
    _check(d, "deviceName", _printable, "a string without control characters")
    _check(d, "fdKind", _printable, "a string without control characters", optional=True)
    d["dedicated"] = _dedicated(d.get("dedicated"))
    d.setdefault("memoryProperties", [])
    return d


# As share/descriptor.ts: the fd handle types and the Windows ones (which this peer, on Linux,
# never imports; a descriptor naming one is well-formed all the same).
_SYNC_HANDLE_TYPES = ("OPAQUE_FD", "SYNC_FD", "OPAQUE_WIN32", "OPAQUE_WIN32_KMT", "D3D12_FENCE")


def parse_sync_descriptor(given: Any, obj: str) -> dict:
    """The checked copy of a semaphore (``obj="semaphore"``) or fence descriptor."""
    if not isinstance(given, dict):
        raise _bad(f'descriptor: expected the exporter\'s descriptor or "SYNC_FD", got '
                   f"{_show(given)}")
    d = _fields(given, _SYNC_FIELDS)
    if d.get("version") != SYNC_DESCRIPTOR_VERSION or not _is_int(d.get("version")):
        raise _bad(f"descriptor.version is {_show(d.get('version'))}; this peer reads "
                   f"{SYNC_DESCRIPTOR_VERSION}", SYNC_DESCRIPTOR_VERSION, d.get("version"))
    if d.get("object") != obj:
        raise _bad(f"the descriptor is of a {_show(d.get('object'))}, not a {obj}", obj,
                   d.get("object"))
    _check(d, "handleType", lambda v: v in _SYNC_HANDLE_TYPES,
           "one of " + ", ".join(_SYNC_HANDLE_TYPES))
    if obj == "fence" and d["handleType"] == "D3D12_FENCE":
        raise _bad("descriptor.handleType: D3D12_FENCE is a semaphore handle type, not a fence's")
    _check(d, "semaphoreType", lambda v: v in ("binary", "timeline"), "one of binary, timeline",
           optional=obj != "semaphore")
    for k in ("deviceUUID", "driverUUID"):
        _check(d, k, _uuid, "a UUID (8-4-4-4-12 lower-case hex digits)")
    _check(d, "deviceName", _printable, "a string without control characters")
    _check(d, "fdKind", _printable, "a string without control characters", optional=True)
    return d


class ReceivedExport:
    """One received export: its fd (owned) and the exporter's descriptor."""

    def __init__(self, fd: Fd, descriptor: dict):
        self.fd = fd
        self.descriptor = descriptor


class ReceivedOffer:
    """A received offer; :meth:`close` (or leaving its ``with``) closes every fd not taken."""

    def __init__(self, label: str, memory: Optional[ReceivedExport], semaphores: list,
                 fences: list, fds: list, memory_range: Optional[dict] = None):
        self.label = label
        self.memory = memory
        self.range = memory_range  # {"offset", "size"} inside the memory, or None
        self.semaphores = semaphores
        self.fences = fences
        self._fds = fds

    def close(self) -> None:
        for f in self._fds:
            f.close()

    def __enter__(self) -> "ReceivedOffer":
        return self

    def __exit__(self, *_: Any) -> None:
        self.close()


def check_range(memory_range: Any, memory_size: Any) -> dict:
    """``memory_range`` as ``{"offset", "size"}`` inside ``memory_size`` bytes, as
    ``share/range.ts`` checks it: ShareError RANGE_OUT_OF_BOUNDS otherwise."""
    r = memory_range if isinstance(memory_range, dict) else {}
    offset, size = r.get("offset"), r.get("size")
    if not (_is_int(offset) and offset >= 0 and _is_int(size) and size >= 1):
        raise ShareError("RANGE_OUT_OF_BOUNDS",
                         "a range of the offer's memory is { offset, size }: integers, offset "
                         f">= 0 and size >= 1; got {_show(memory_range)}", "{ offset, size }",
                         memory_range)
    total = memory_size if _is_int(memory_size) else 0
    if offset + size > total:
        raise ShareError("RANGE_OUT_OF_BOUNDS",
                         f"the range {offset} + {size} ends at byte {offset + size}, past the end "
                         f"of the offer's memory ({total} bytes)", total, offset + size)
    return {"offset": offset, "size": size}


def _export_parts(x: Any) -> tuple:
    """(fd, descriptor) from a pair or from anything with ``fd`` and ``descriptor``."""
    if isinstance(x, tuple):
        return x
    return x.fd, x.descriptor


def send_offer(sock: ShareSocket, label: str, memory: Any = None, semaphores: Sequence = (),
               fences: Sequence = (), timeout: Optional[float] = None,
               memory_range: Optional[dict] = None) -> None:
    """Offers ``memory`` (an (fd, descriptor) pair, or an object with both, such as
    :class:`CudaMemory`'s export) and the semaphores and fences that guard it; with
    ``memory_range`` (``{"offset", "size"}``, inside the memory: RANGE_OUT_OF_BOUNDS), the bytes
    of the memory the offer is about."""
    parts = ([_export_parts(memory)] if memory is not None else [])
    if memory_range is not None:
        if not parts:
            raise ValueError("an offer's range is a range of its memory: offer the memory too")
        memory_range = check_range(memory_range, parts[0][1].get("size"))
    sync = [_export_parts(s) for s in semaphores] + [_export_parts(f) for f in fences]
    sock.send(
        {
            "type": "offer",
            "version": OFFER_VERSION,
            "label": label,
            "memory": parts[0][1] if parts else None,
            **({"range": memory_range} if memory_range is not None else {}),
            "semaphores": [d for _, d in sync[: len(semaphores)]],
            "fences": [d for _, d in sync[len(semaphores):]],
        },
        [fd for fd, _ in parts + sync],
        timeout,
    )


def receive_offer(sock: ShareSocket, timeout: Optional[float] = None,
                  device_uuid: Optional[str] = None,
                  device_name: str = "this peer's device") -> ReceivedOffer:
    """Receives an offer. With ``device_uuid`` (the importing GPU's), checks it before anything is
    imported: OPAQUE_FD memory and sync objects must come from that GPU, and the refusal names
    both devices. Any refusal closes every fd that came with the offer."""
    r = sock.expect("offer", timeout)
    m, fds = r.message, r.fds
    try:
        version = m.get("version")
        if version != OFFER_VERSION or not _is_int(version):
            raise ProtocolError("version",
                                f"offer version {_show(version)}; this peer reads {OFFER_VERSION}")
        memory = m.get("memory")
        semaphores, fences = m.get("semaphores"), m.get("fences")
        if not isinstance(m.get("label"), str) or not isinstance(semaphores, list) \
                or not isinstance(fences, list):
            raise ProtocolError("json",
                                "an offer needs a label and lists of semaphores and fences")
        if not _printable(m["label"]):
            raise ProtocolError("json",
                                f"the offer's label {_show(m['label'])} has control characters")
        if memory is not None and not isinstance(memory, dict):
            raise ProtocolError("json",
                                f"the offer's memory is {_show(memory)}, not a descriptor")
        for what, items in (("semaphores", semaphores), ("fences", fences)):
            for i, x in enumerate(items):
                if not isinstance(x, dict):
                    raise ProtocolError(
                        "json", f"the offer's {what}[{i}] is {_show(x)}, not a descriptor")
        want = (1 if memory is not None else 0) + len(semaphores) + len(fences)
        if len(fds) != want:
            raise ProtocolError("fd-count",
                                f"the offer lists {want} export(s), {len(fds)} fd(s) came")
        if device_uuid is not None:
            opaque = ([memory] if memory is not None and memory.get("handleType") == "OPAQUE_FD"
                      else []) + [s for s in semaphores + fences
                                  if s.get("handleType") == "OPAQUE_FD"]
            for d in opaque:
                if d.get("deviceUUID") != device_uuid:
                    raise ShareError(
                        "UUID_MISMATCH",
                        f"the offer comes from {_show(d.get('deviceName'))} (deviceUUID "
                        f"{_show(d.get('deviceUUID'))}); this process imports into "
                        f'"{device_name}" (deviceUUID {device_uuid}): OPAQUE_FD needs the same '
                        "device", device_uuid, d.get("deviceUUID"))
        if memory is not None:
            size = memory.get("size")
            if not (_is_int(size) and size > 0):
                raise ShareError("SIZE_MISMATCH", f"the offered memory has size {_show(size)}")
        memory_range = m.get("range")
        if memory_range is not None:
            if memory is None:
                raise ProtocolError("json", "the offer names a range but offers no memory")
            memory_range = check_range(memory_range, memory.get("size"))
        it = iter(fds)
        return ReceivedOffer(
            m["label"],
            ReceivedExport(next(it), memory) if memory is not None else None,
            [ReceivedExport(next(it), d) for d in semaphores],
            [ReceivedExport(next(it), d) for d in fences],
            fds,
            memory_range,
        )
    except BaseException:
        for f in fds:
            f.close()
        raise


# ---- CUDA (libcuda through ctypes) --------------------------------------------------------------
# The layouts are cuda.h's, checked against the compiler's output in tests/ffi/cuda_layouts.json
# (tests/python/peer_test.ts compares them).

_u32, _u64, _i32 = ctypes.c_uint32, ctypes.c_uint64, ctypes.c_int32


class _FdUnion(ctypes.Union):
    _fields_ = [("fd", ctypes.c_int), ("win32", ctypes.c_void_p * 2),
                ("nvSciBufObject", ctypes.c_void_p)]


class CUDA_EXTERNAL_MEMORY_HANDLE_DESC(ctypes.Structure):
    _fields_ = [("type", _u32), ("handle", _FdUnion), ("size", _u64), ("flags", _u32),
                ("reserved", _u32 * 16)]


class CUDA_EXTERNAL_MEMORY_BUFFER_DESC(ctypes.Structure):
    _fields_ = [("offset", _u64), ("size", _u64), ("flags", _u32), ("reserved", _u32 * 16)]


class CUDA_EXTERNAL_SEMAPHORE_HANDLE_DESC(ctypes.Structure):
    _fields_ = [("type", _u32), ("handle", _FdUnion), ("flags", _u32), ("reserved", _u32 * 16)]


class CUDA_EXTERNAL_SEMAPHORE_SIGNAL_PARAMS_params(ctypes.Structure):
    _fields_ = [("fence", _u64), ("nvSciSync", _u64), ("keyedMutex", _u64),
                ("reserved", _u32 * 12)]


class CUDA_EXTERNAL_SEMAPHORE_SIGNAL_PARAMS(ctypes.Structure):
    _fields_ = [("params", CUDA_EXTERNAL_SEMAPHORE_SIGNAL_PARAMS_params), ("flags", _u32),
                ("reserved", _u32 * 16)]


class _KeyedMutexWait(ctypes.Structure):
    _fields_ = [("key", _u64), ("timeoutMs", _u32)]


class CUDA_EXTERNAL_SEMAPHORE_WAIT_PARAMS_params(ctypes.Structure):
    _fields_ = [("fence", _u64), ("nvSciSync", _u64), ("keyedMutex", _KeyedMutexWait),
                ("reserved", _u32 * 10)]


class CUDA_EXTERNAL_SEMAPHORE_WAIT_PARAMS(ctypes.Structure):
    _fields_ = [("params", CUDA_EXTERNAL_SEMAPHORE_WAIT_PARAMS_params), ("flags", _u32),
                ("reserved", _u32 * 16)]


class CUmemLocation(ctypes.Structure):
    _fields_ = [("type", _u32), ("id", _i32)]


class CUmemAllocationProp_allocFlags(ctypes.Structure):
    _fields_ = [("compressionType", ctypes.c_ubyte), ("gpuDirectRDMACapable", ctypes.c_ubyte),
                ("usage", ctypes.c_ushort), ("reserved", ctypes.c_ubyte * 4)]


class CUmemAllocationProp(ctypes.Structure):
    _fields_ = [("type", _u32), ("requestedHandleTypes", _u32), ("location", CUmemLocation),
                ("win32HandleMetaData", ctypes.c_void_p),
                ("allocFlags", CUmemAllocationProp_allocFlags)]


class CUmemAccessDesc(ctypes.Structure):
    _fields_ = [("location", CUmemLocation), ("flags", _u32)]


CUDA_STRUCTS = (CUDA_EXTERNAL_MEMORY_HANDLE_DESC, CUDA_EXTERNAL_MEMORY_BUFFER_DESC,
                CUDA_EXTERNAL_SEMAPHORE_HANDLE_DESC, CUDA_EXTERNAL_SEMAPHORE_SIGNAL_PARAMS_params,
                CUDA_EXTERNAL_SEMAPHORE_SIGNAL_PARAMS, CUDA_EXTERNAL_SEMAPHORE_WAIT_PARAMS_params,
                CUDA_EXTERNAL_SEMAPHORE_WAIT_PARAMS, CUmemLocation,
                CUmemAllocationProp_allocFlags, CUmemAllocationProp, CUmemAccessDesc)

CU_EXTERNAL_MEMORY_HANDLE_TYPE_OPAQUE_FD = 1
CU_EXTERNAL_SEMAPHORE_HANDLE_TYPE_OPAQUE_FD = 1
CU_EXTERNAL_SEMAPHORE_HANDLE_TYPE_TIMELINE_SEMAPHORE_FD = 9
CUDA_EXTERNAL_MEMORY_DEDICATED = 1
CU_MEM_HANDLE_TYPE_POSIX_FILE_DESCRIPTOR = 1
CU_MEM_ALLOCATION_TYPE_PINNED = 1
CU_MEM_LOCATION_TYPE_DEVICE = 1
CU_MEM_ACCESS_FLAGS_PROT_READWRITE = 3
CU_DEVICE_ATTRIBUTE_VIRTUAL_MEMORY_MANAGEMENT_SUPPORTED = 102
CU_DEVICE_ATTRIBUTE_HANDLE_TYPE_POSIX_FILE_DESCRIPTOR_SUPPORTED = 103
CU_DEVICE_ATTRIBUTE_TIMELINE_SEMAPHORE_INTEROP_SUPPORTED = 114

_P, _PP = ctypes.c_void_p, ctypes.POINTER(ctypes.c_void_p)
# name: (argument types); every function returns CUresult (int).
_CUDA_FUNCTIONS = {
    "cuInit": (ctypes.c_uint,),
    "cuGetErrorName": (ctypes.c_int, ctypes.POINTER(ctypes.c_char_p)),
    "cuDeviceGetCount": (ctypes.POINTER(ctypes.c_int),),
    "cuDeviceGet": (ctypes.POINTER(ctypes.c_int), ctypes.c_int),
    "cuDeviceGetName": (ctypes.c_char_p, ctypes.c_int, ctypes.c_int),
    "cuDeviceGetUuid_v2": (ctypes.c_char_p, ctypes.c_int),
    "cuDeviceGetAttribute": (ctypes.POINTER(ctypes.c_int), ctypes.c_int, ctypes.c_int),
    "cuDevicePrimaryCtxRetain": (_PP, ctypes.c_int),
    "cuDevicePrimaryCtxRelease_v2": (ctypes.c_int,),
    "cuCtxPushCurrent_v2": (_P,),
    "cuCtxPopCurrent_v2": (_PP,),
    "cuImportExternalMemory": (_PP, ctypes.POINTER(CUDA_EXTERNAL_MEMORY_HANDLE_DESC)),
    "cuExternalMemoryGetMappedBuffer": (ctypes.POINTER(ctypes.c_uint64), _P,
                                        ctypes.POINTER(CUDA_EXTERNAL_MEMORY_BUFFER_DESC)),
    "cuDestroyExternalMemory": (_P,),
    "cuImportExternalSemaphore": (_PP, ctypes.POINTER(CUDA_EXTERNAL_SEMAPHORE_HANDLE_DESC)),
    "cuDestroyExternalSemaphore": (_P,),
    "cuSignalExternalSemaphoresAsync": (_PP, ctypes.POINTER(CUDA_EXTERNAL_SEMAPHORE_SIGNAL_PARAMS),
                                        ctypes.c_uint, _P),
    "cuWaitExternalSemaphoresAsync": (_PP, ctypes.POINTER(CUDA_EXTERNAL_SEMAPHORE_WAIT_PARAMS),
                                      ctypes.c_uint, _P),
    "cuMemFree_v2": (ctypes.c_uint64,),
    "cuMemcpyDtoH_v2": (_P, ctypes.c_uint64, ctypes.c_size_t),
    "cuMemcpyHtoD_v2": (ctypes.c_uint64, _P, ctypes.c_size_t),
    "cuStreamSynchronize": (_P,),
    "cuCtxSynchronize": (),
    "cuMemGetAllocationGranularity": (ctypes.POINTER(ctypes.c_size_t),
                                      ctypes.POINTER(CUmemAllocationProp), ctypes.c_int),
    "cuMemCreate": (ctypes.POINTER(ctypes.c_uint64), ctypes.c_size_t,
                    ctypes.POINTER(CUmemAllocationProp), ctypes.c_uint64),
    "cuMemRelease": (ctypes.c_uint64,),
    "cuMemExportToShareableHandle": (_P, ctypes.c_uint64, ctypes.c_int, ctypes.c_uint64),
    "cuMemAddressReserve": (ctypes.POINTER(ctypes.c_uint64), ctypes.c_size_t, ctypes.c_size_t,
                            ctypes.c_uint64, ctypes.c_uint64),
    "cuMemAddressFree": (ctypes.c_uint64, ctypes.c_size_t),
    "cuMemMap": (ctypes.c_uint64, ctypes.c_size_t, ctypes.c_size_t, ctypes.c_uint64,
                 ctypes.c_uint64),
    "cuMemUnmap": (ctypes.c_uint64, ctypes.c_size_t),
    "cuMemSetAccess": (ctypes.c_uint64, ctypes.c_size_t, ctypes.POINTER(CUmemAccessDesc),
                       ctypes.c_size_t),
    "cuMemRetainAllocationHandle": (ctypes.POINTER(ctypes.c_uint64), _P),
    "cuMemGetAddressRange_v2": (ctypes.POINTER(ctypes.c_uint64), ctypes.POINTER(ctypes.c_size_t),
                                ctypes.c_uint64),
    "cuMemcpyDtoDAsync_v2": (ctypes.c_uint64, ctypes.c_uint64, ctypes.c_size_t, _P),
}

_live_imports = {"memory": 0, "semaphore": 0}


def import_counts() -> dict:
    """How many CUDA imports of Vulkan memory and semaphores this process holds open now."""
    return dict(_live_imports)


CUDA_INSTALL_HINT = ("no libcuda.so.1: install the NVIDIA driver (libcuda1), or name the library "
                     "in VKSHARE_LIBCUDA")


class Cuda:
    """libcuda.so.1 (or ``$VKSHARE_LIBCUDA``), initialised; ``check`` turns a CUresult into a
    CudaError."""

    _loaded: Optional["Cuda"] = None

    def __init__(self, path: Optional[str] = None):
        name = path or os.environ.get("VKSHARE_LIBCUDA") or "libcuda.so.1"
        try:
            self.lib = ctypes.CDLL(name)
        except OSError as e:
            raise OSError(errno.ENOENT, f"{name}: {e}; {CUDA_INSTALL_HINT}") from None
        for fn, args in _CUDA_FUNCTIONS.items():
            f = getattr(self.lib, fn)
            f.argtypes = list(args)
            f.restype = ctypes.c_int
        self.check(self.lib.cuInit(0), "cuInit")

    @classmethod
    def get(cls) -> "Cuda":
        """The process's one instance."""
        if cls._loaded is None:
            cls._loaded = cls()
        return cls._loaded

    def error_name(self, code: int) -> str:
        s = ctypes.c_char_p()
        if self.lib.cuGetErrorName(code, ctypes.byref(s)) != 0 or not s.value:
            return f"CUresult {code}"
        return s.value.decode()

    def check(self, code: int, call: str, **details: Any) -> None:
        if code != 0:
            raise CudaError(call, code, self.error_name(code), details)

    def devices(self) -> list:
        """Every CUDA device: ``{"ordinal", "name", "uuid"}`` (the UUID in Vulkan's format)."""
        n = ctypes.c_int()
        self.check(self.lib.cuDeviceGetCount(ctypes.byref(n)), "cuDeviceGetCount")
        out = []
        for i in range(n.value):
            dev = ctypes.c_int()
            self.check(self.lib.cuDeviceGet(ctypes.byref(dev), i), "cuDeviceGet", ordinal=i)
            name = ctypes.create_string_buffer(256)
            self.check(self.lib.cuDeviceGetName(name, 256, dev), "cuDeviceGetName", ordinal=i)
            raw = ctypes.create_string_buffer(16)
            self.check(self.lib.cuDeviceGetUuid_v2(raw, dev), "cuDeviceGetUuid_v2", ordinal=i)
            out.append({"ordinal": i, "name": name.value.decode(), "uuid": uuid_string(raw.raw)})
        return out


def uuid_string(b: bytes) -> str:
    """16 bytes as Vulkan's UUID string (``core/out_params.ts``'s uuidString)."""
    h = b.hex()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:32]}"


class CudaContext:
    """The primary context of the CUDA device that is the GPU with Vulkan ``deviceUUID`` (the one
    PyTorch uses for ``cuda:<ordinal>``). Each call makes it current and then restores the
    thread's context."""

    def __init__(self, device: dict, cuda: Cuda):
        self.cuda = cuda
        self.device = device
        self.ordinal = device["ordinal"]
        ctx = ctypes.c_void_p()
        cuda.check(cuda.lib.cuDevicePrimaryCtxRetain(ctypes.byref(ctx), self.ordinal),
                   "cuDevicePrimaryCtxRetain", device=device["name"])
        self._ctx = ctx
        self.closed = False
        self.label = f'CUDA device {self.ordinal} "{device["name"]}"'

    @classmethod
    def for_uuid(cls, device_uuid: str, device_name: str = "the Vulkan device") -> "CudaContext":
        """The context of the CUDA device whose UUID is ``device_uuid``: found by UUID, so it is
        right whatever CUDA_VISIBLE_DEVICES does to the order. ShareError UUID_MISMATCH when no
        CUDA device is that GPU (naming every device libcuda sees)."""
        cuda = Cuda.get()
        devices = cuda.devices()
        for d in devices:
            if d["uuid"] == device_uuid:
                return cls(d, cuda)
        seen = ", ".join(f'{d["ordinal"]} "{d["name"]}" (UUID {d["uuid"]})' for d in devices)
        raise ShareError("UUID_MISMATCH",
                         f'no CUDA device is {device_name} (deviceUUID {device_uuid}); libcuda '
                         f"sees {seen or 'none'}", device_uuid, [d["uuid"] for d in devices])

    def run(self, fn: Callable[[Any], Any]) -> Any:
        """Runs ``fn(lib)`` with this context current."""
        if self.closed:
            raise ValueError(f"{self.label} is closed")
        lib = self.cuda.lib
        self.cuda.check(lib.cuCtxPushCurrent_v2(self._ctx), "cuCtxPushCurrent_v2")
        try:
            return fn(lib)
        finally:
            lib.cuCtxPopCurrent_v2(ctypes.byref(ctypes.c_void_p()))

    def attribute(self, attribute: int) -> int:
        v = ctypes.c_int()
        self.cuda.check(self.cuda.lib.cuDeviceGetAttribute(ctypes.byref(v), attribute,
                                                           self.ordinal),
                        "cuDeviceGetAttribute", attribute=attribute)
        return v.value

    def _check_origin(self, d: dict) -> None:
        if d["handleType"] != "OPAQUE_FD":
            raise ShareError("HANDLE_TYPE_UNSUPPORTED",
                             f"{self.label} imports OPAQUE_FD here, not {d['handleType']}",
                             "OPAQUE_FD", d["handleType"])
        if d["deviceUUID"] != self.device["uuid"]:
            raise ShareError(
                "UUID_MISMATCH",
                f"the export comes from {_show(d['deviceName'])} (deviceUUID "
                f"{d['deviceUUID']}); {self.label} has UUID {self.device['uuid']}: OPAQUE_FD "
                "needs the same GPU", self.device["uuid"], d["deviceUUID"])

    def import_memory(self, fd: Any, descriptor: Any) -> "CudaExternalMemory":
        """Imports Vulkan memory exported as OPAQUE_FD (``cuImportExternalMemory``), with the
        descriptor's size and dedicated flag, after the descriptor's rules (ShareError). On
        success the fd is CUDA's (an :class:`Fd`, or the one that owns a bare number, is marked
        taken); on failure it is still the caller's."""
        d = parse_memory_descriptor(descriptor)
        self._check_origin(d)
        number = _importable_fd(fd, "OPAQUE_FD memory")
        desc = CUDA_EXTERNAL_MEMORY_HANDLE_DESC()
        desc.type = CU_EXTERNAL_MEMORY_HANDLE_TYPE_OPAQUE_FD
        desc.handle.fd = number
        desc.size = d["size"]
        desc.flags = CUDA_EXTERNAL_MEMORY_DEDICATED if d["dedicated"] is not None else 0
        handle = ctypes.c_void_p()
        self.run(lambda lib: self.cuda.check(
            lib.cuImportExternalMemory(ctypes.byref(handle), ctypes.byref(desc)),
            "cuImportExternalMemory", fd=number, size=d["size"],
            dedicated=d["dedicated"] is not None))
        _taken(fd)
        return CudaExternalMemory(self, handle, d)

    def import_semaphore(self, fd: Any, descriptor: Any) -> "CudaExternalSemaphore":
        """Imports a Vulkan semaphore exported as OPAQUE_FD (``cuImportExternalSemaphore``): a
        timeline one as TIMELINE_SEMAPHORE_FD. The fd's fate is :meth:`import_memory`'s."""
        d = parse_sync_descriptor(descriptor, "semaphore")
        self._check_origin(d)
        timeline = d["semaphoreType"] == "timeline"
        interop = CU_DEVICE_ATTRIBUTE_TIMELINE_SEMAPHORE_INTEROP_SUPPORTED
        if timeline and not self.attribute(interop):
            raise ShareError("HANDLE_TYPE_UNSUPPORTED", f"{self.label}: "
                             "CU_DEVICE_ATTRIBUTE_TIMELINE_SEMAPHORE_INTEROP_SUPPORTED is 0")
        number = _importable_fd(fd, f"OPAQUE_FD {d['semaphoreType']} semaphore")
        desc = CUDA_EXTERNAL_SEMAPHORE_HANDLE_DESC()
        desc.type = (CU_EXTERNAL_SEMAPHORE_HANDLE_TYPE_TIMELINE_SEMAPHORE_FD if timeline
                     else CU_EXTERNAL_SEMAPHORE_HANDLE_TYPE_OPAQUE_FD)
        desc.handle.fd = number
        handle = ctypes.c_void_p()
        self.run(lambda lib: self.cuda.check(
            lib.cuImportExternalSemaphore(ctypes.byref(handle), ctypes.byref(desc)),
            "cuImportExternalSemaphore", fd=number, semaphoreType=d["semaphoreType"]))
        _taken(fd)
        return CudaExternalSemaphore(self, handle, d["semaphoreType"])

    def check_vulkan_device(self, vulkan: dict) -> None:
        """ShareError UUID_MISMATCH unless ``vulkan["deviceUUID"]`` is this GPU's."""
        if vulkan.get("deviceUUID") != self.device["uuid"]:
            raise ShareError("UUID_MISMATCH",
                             f'the Vulkan device "{vulkan.get("deviceName")}" (deviceUUID '
                             f'{vulkan.get("deviceUUID")}) is not {self.label} (UUID '
                             f'{self.device["uuid"]}): the UUIDs must match',
                             self.device["uuid"], vulkan.get("deviceUUID"))

    def vulkan_descriptor(self, size: int, vulkan: dict) -> dict:
        """The descriptor of an OPAQUE_FD export of ``size`` bytes of this GPU's memory, for the
        Vulkan device ``vulkan`` names (its ``memoryTypeIndex`` and ``driverUUID``: CUDA has
        neither)."""
        return {
            "version": DESCRIPTOR_VERSION,
            "handleType": "OPAQUE_FD",
            "size": size,
            "memoryTypeIndex": int(vulkan["memoryTypeIndex"]),
            "memoryProperties": ["DEVICE_LOCAL"],
            "dedicated": None,
            "deviceUUID": self.device["uuid"],
            "driverUUID": str(vulkan.get("driverUUID", "")),
            "deviceName": self.device["name"],
        }

    def export_range(self, ptr: int, nbytes: int, vulkan: dict) -> "RangeExport":
        """The CUDA allocation that holds ``nbytes`` at device address ``ptr`` (memory someone
        else allocated through CUDA's VMM, ``cuMemCreate``: PyTorch's expandable segments, say),
        exported as an OPAQUE_FD (``cuMemRetainAllocationHandle``,
        ``cuMemExportToShareableHandle``) with the range's offset inside it, for the Vulkan
        device ``vulkan`` names. NVIDIA-specific: the Vulkan spec covers OPAQUE_FD from Vulkan
        only, and NVIDIA's driver imports CUDA's too. ShareError NOT_CUDA_VMM for memory from
        cudaMalloc (no shareable handle), SPANS_ALLOCATIONS when the range runs into another
        allocation (an offer is one allocation)."""
        if not (_is_int(ptr) and ptr > 0 and _is_int(nbytes) and nbytes > 0):
            raise ValueError(f"export_range: expected a device address and a positive size, "
                             f"got {_show(ptr)} and {_show(nbytes)}")
        self.check_vulkan_device(vulkan)
        handle, base, size, out = ctypes.c_uint64(), ctypes.c_uint64(), ctypes.c_size_t(), \
            ctypes.c_int(-1)

        def export(lib: Any) -> None:
            code = lib.cuMemRetainAllocationHandle(ctypes.byref(handle), ctypes.c_void_p(ptr))
            if code != 0:
                raise ShareError(
                    "NOT_CUDA_VMM", f"the memory at {ptr:#x} was not allocated through CUDA's "
                    "virtual memory management (cuMemCreate), so it has no shareable handle "
                    f"(cuMemRetainAllocationHandle: {self.cuda.error_name(code)}). PyTorch "
                    "allocates that way with PYTORCH_CUDA_ALLOC_CONF=expandable_segments:True, "
                    "set before torch is imported", "memory from cuMemCreate",
                    self.cuda.error_name(code))
            try:
                self.cuda.check(lib.cuMemGetAddressRange_v2(ctypes.byref(base),
                                                            ctypes.byref(size), ptr),
                                "cuMemGetAddressRange_v2", ptr=hex(ptr))
                _check_one_allocation(ptr, nbytes, base.value, size.value)
                self.cuda.check(lib.cuMemExportToShareableHandle(
                    ctypes.byref(out), handle.value, CU_MEM_HANDLE_TYPE_POSIX_FILE_DESCRIPTOR, 0),
                    "cuMemExportToShareableHandle", size=size.value)
            finally:
                lib.cuMemRelease(handle.value)  # the exported fd keeps the memory alive
        self.run(export)
        os.set_inheritable(out.value, False)
        fd = Fd(out.value, f"CUDA export of the {size.value}-byte allocation at {base.value:#x}")
        return RangeExport(fd, self.vulkan_descriptor(size.value, vulkan), ptr - base.value,
                           nbytes)

    def allocate_exportable(self, size: int) -> "CudaMemory":
        """Device memory that can be exported as a POSIX fd (``cuMemCreate``), mapped read-write
        here; its size is rounded up to the allocation granularity."""
        return CudaMemory(self, size)

    def close(self) -> None:
        """Releases the primary context (idempotent)."""
        if not self.closed:
            self.closed = True
            self.cuda.lib.cuDevicePrimaryCtxRelease_v2(self.ordinal)

    def __enter__(self) -> "CudaContext":
        return self

    def __exit__(self, *_: Any) -> None:
        self.close()


def _check_one_allocation(ptr: int, nbytes: int, base: int, size: int) -> None:
    """ShareError SPANS_ALLOCATIONS unless [ptr, ptr + nbytes) lies in [base, base + size)."""
    if ptr + nbytes > base + size:
        beyond = ptr + nbytes - (base + size)
        raise ShareError(
            "SPANS_ALLOCATIONS", f"the {nbytes} bytes at {ptr:#x} run {beyond} bytes past the end "
            f"of the CUDA allocation that holds their start ({size} bytes at {base:#x}): the rest "
            "lies in other allocations, and an offer is one allocation. Share a tensor that fits "
            "in one (PyTorch's expandable segments are 2 MiB for tensors up to 1 MiB and 20 MiB "
            "above), or copy it into one", size - (ptr - base), nbytes)


class RangeExport:
    """An OPAQUE_FD of a whole CUDA allocation (``fd``, the caller's; ``descriptor`` for the
    Vulkan import) and the range in it that was asked for (``offset``, ``nbytes``)."""

    def __init__(self, fd: Fd, descriptor: dict, offset: int, nbytes: int):
        self.fd, self.descriptor, self.offset, self.nbytes = fd, descriptor, offset, nbytes

    def close(self) -> None:
        self.fd.close()

    def __enter__(self) -> "RangeExport":
        return self

    def __exit__(self, *_: Any) -> None:
        self.close()


def export_tensor(context: CudaContext, tensor: Any, vulkan: dict) -> RangeExport:
    """A contiguous torch tensor that torch allocated itself (with expandable segments: CUDA
    VMM), exported for Vulkan as :meth:`CudaContext.export_range` does: ShareError
    NOT_CONTIGUOUS, DEVICE_MISMATCH (a tensor on another GPU or the CPU), NOT_CUDA_VMM or
    SPANS_ALLOCATIONS. The caller orders torch's writes before Vulkan's reads (a
    synchronize, or a semaphore)."""
    where = getattr(tensor, "device", None)
    if getattr(where, "type", None) != "cuda" or where.index != context.ordinal:
        raise ShareError("DEVICE_MISMATCH", f"the tensor is on {where}, not cuda:"
                         f"{context.ordinal} ({context.label}, the Vulkan device's GPU)",
                         f"cuda:{context.ordinal}", str(where))
    if not tensor.is_contiguous():
        raise ShareError("NOT_CONTIGUOUS", f"the tensor (shape {tuple(tensor.shape)}, strides "
                         f"{tensor.stride()}) is not contiguous: share tensor.contiguous()",
                         "contiguous", list(tensor.stride()))
    return context.export_range(tensor.data_ptr(), tensor.numel() * tensor.element_size(), vulkan)


def cuda_unavailable(device_uuid: str, device_name: str = "the Vulkan device") -> Optional[str]:
    """Why this process cannot use the CUDA device that is the Vulkan device ``device_uuid`` (no
    libcuda, no such device), or None."""
    try:
        CudaContext.for_uuid(device_uuid, device_name).close()
    except (OSError, ShareError, CudaError) as e:
        return str(e)
    return None


def _fd_number(fd: Any) -> int:
    if isinstance(fd, Fd):
        if fd.state != "open":
            raise ShareError("FD_CONSUMED", f"{fd.label} is {fd.state}: an import needs an open fd")
        return fd.fd
    # An int past C's int would be cut by ctypes to another fd (2**40 to 0).
    if not _is_int(fd) or not 0 <= fd <= 0x7FFFFFFF:
        raise ShareError("FD_NOT_OPEN", f"fd: expected an open fd number, got {_show(fd)}",
                         "an open fd", fd)
    return fd


# What CUDA imports: what NVIDIA's drivers export (Vulkan's and CUDA's own), each a descriptor of
# /dev/nvidiactl (share/plan.ts takes the same for a CUDA import).
CUDA_EXPORT_KIND = "/dev/nvidiactl"


def _importable_fd(fd: Any, what: str) -> int:
    """The number of ``fd`` after the checks the TypeScript side makes before CUDA sees it: an
    open fd (FD_NOT_OPEN) of the kind NVIDIA's exports are (FD_KIND_MISMATCH: never a pipe,
    socket, eventfd, regular file, directory, memfd or another device)."""
    number = _fd_number(fd)
    try:
        st = os.fstat(number)
        link = os.readlink(f"/proc/self/fd/{number}")
    except OSError:
        raise ShareError("FD_NOT_OPEN", f"fd {number} is not open", "an open fd",
                         number) from None
    kind = link.split(" ")[0] if link.startswith("/dev/") else link
    if not stat.S_ISCHR(st.st_mode) or kind != CUDA_EXPORT_KIND:
        raise ShareError("FD_KIND_MISMATCH",
                         f"fd {number} is {_show(link)}, not an {what} export of NVIDIA's driver "
                         f"(a {CUDA_EXPORT_KIND} descriptor)", CUDA_EXPORT_KIND, link)
    return number


def _stream_handle(stream: Any) -> ctypes.c_void_p:
    """A CUstream from an int, a torch.cuda.Stream (``cuda_stream``) or a CuPy stream (``ptr``);
    None is the legacy default stream."""
    if stream is None:
        return ctypes.c_void_p(0)
    for attr in ("cuda_stream", "ptr", "handle"):
        if hasattr(stream, attr):
            return ctypes.c_void_p(int(getattr(stream, attr)))
    return ctypes.c_void_p(int(stream))


class CudaExternalMemory:
    """Vulkan memory imported into CUDA (``CUexternalMemory``)."""

    def __init__(self, context: CudaContext, handle: ctypes.c_void_p, descriptor: dict):
        self.context = context
        self.handle = handle
        self.descriptor = descriptor
        self.size = descriptor["size"]
        self._mapped: list = []
        self.closed = False
        _live_imports["memory"] += 1

    def map(self, offset: int = 0, size: Optional[int] = None) -> int:
        """Maps ``size`` bytes at ``offset`` (default: all) as a device pointer
        (``cuExternalMemoryGetMappedBuffer``); freed when this import is closed."""
        size = self.size - offset if size is None else size
        if offset < 0 or size <= 0 or offset + size > self.size:
            raise ValueError(f"map: offset {offset} + size {size} is outside the {self.size} "
                             "bytes imported")
        if self.descriptor["dedicated"] and offset:
            raise ShareError("ALIGNMENT", f"map: a dedicated import maps at offset 0 only (CUDA "
                             f"refuses offset {offset})", 0, offset)
        desc = CUDA_EXTERNAL_MEMORY_BUFFER_DESC()
        desc.offset, desc.size = offset, size
        ptr = ctypes.c_uint64()
        self.context.run(lambda lib: self.context.cuda.check(
            lib.cuExternalMemoryGetMappedBuffer(ctypes.byref(ptr), self.handle,
                                                ctypes.byref(desc)),
            "cuExternalMemoryGetMappedBuffer", offset=offset, size=size))
        self._mapped.append(ptr.value)
        return ptr.value

    def close(self) -> None:
        """Frees the mappings and destroys the import (idempotent). Tensors made from a mapping
        must be gone first."""
        if self.closed:
            return
        self.closed = True
        _live_imports["memory"] -= 1

        def destroy(lib: Any) -> None:
            for p in self._mapped:
                lib.cuMemFree_v2(p)
            self.context.cuda.check(lib.cuDestroyExternalMemory(self.handle),
                                    "cuDestroyExternalMemory")
        self.context.run(destroy)

    def __enter__(self) -> "CudaExternalMemory":
        return self

    def __exit__(self, *_: Any) -> None:
        self.close()


class CudaExternalSemaphore:
    """A Vulkan semaphore imported into CUDA (``CUexternalSemaphore``): waits and signals are
    queued on a stream; the host does not wait."""

    def __init__(self, context: CudaContext, handle: ctypes.c_void_p, kind: str):
        self.context = context
        self.handle = handle
        self.type = kind
        self.closed = False
        _live_imports["semaphore"] += 1

    def wait(self, value: int = 0, stream: Any = None) -> None:
        """Queues a wait on ``stream`` (int, torch or CuPy stream; None: the default stream) for
        the timeline to reach ``value`` (a binary semaphore: for its signal)."""
        params = CUDA_EXTERNAL_SEMAPHORE_WAIT_PARAMS()
        params.params.fence = value if self.type == "timeline" else 0
        h = _stream_handle(stream)
        arr = (ctypes.c_void_p * 1)(self.handle)
        self.context.run(lambda lib: self.context.cuda.check(
            lib.cuWaitExternalSemaphoresAsync(arr, ctypes.byref(params), 1, h),
            "cuWaitExternalSemaphoresAsync", value=value, stream=h.value or 0))

    def signal(self, value: int = 0, stream: Any = None) -> None:
        """Queues a signal of ``value`` (a timeline's; ignored for a binary semaphore) on
        ``stream``, after the work queued there before it."""
        params = CUDA_EXTERNAL_SEMAPHORE_SIGNAL_PARAMS()
        params.params.fence = value if self.type == "timeline" else 0
        h = _stream_handle(stream)
        arr = (ctypes.c_void_p * 1)(self.handle)
        self.context.run(lambda lib: self.context.cuda.check(
            lib.cuSignalExternalSemaphoresAsync(arr, ctypes.byref(params), 1, h),
            "cuSignalExternalSemaphoresAsync", value=value, stream=h.value or 0))

    def close(self) -> None:
        """Destroys the import (idempotent)."""
        if not self.closed:
            self.closed = True
            _live_imports["semaphore"] -= 1
            self.context.run(lambda lib: self.context.cuda.check(
                lib.cuDestroyExternalSemaphore(self.handle), "cuDestroyExternalSemaphore"))

    def __enter__(self) -> "CudaExternalSemaphore":
        return self

    def __exit__(self, *_: Any) -> None:
        self.close()


class CudaMemory:
    """CUDA memory exportable as a POSIX fd (``cuMemCreate``), mapped read-write at ``ptr``."""

    def __init__(self, context: CudaContext, size: int):
        self.context = context
        for a, name in ((CU_DEVICE_ATTRIBUTE_VIRTUAL_MEMORY_MANAGEMENT_SUPPORTED,
                         "VIRTUAL_MEMORY_MANAGEMENT_SUPPORTED"),
                        (CU_DEVICE_ATTRIBUTE_HANDLE_TYPE_POSIX_FILE_DESCRIPTOR_SUPPORTED,
                         "HANDLE_TYPE_POSIX_FILE_DESCRIPTOR_SUPPORTED")):
            if not context.attribute(a):
                raise ShareError("HANDLE_TYPE_UNSUPPORTED", f"{context.label} cannot allocate "
                                 f"exportable memory: CU_DEVICE_ATTRIBUTE_{name} is 0")
        if not (_is_int(size) and size > 0):
            raise ValueError(f"size: expected a positive integer, got {size!r}")
        prop = CUmemAllocationProp()
        prop.type = CU_MEM_ALLOCATION_TYPE_PINNED
        prop.requestedHandleTypes = CU_MEM_HANDLE_TYPE_POSIX_FILE_DESCRIPTOR
        prop.location.type = CU_MEM_LOCATION_TYPE_DEVICE
        prop.location.id = context.ordinal
        self._prop = prop
        check = context.cuda.check
        g = ctypes.c_size_t()
        context.run(lambda lib: check(lib.cuMemGetAllocationGranularity(ctypes.byref(g),
                                                                        ctypes.byref(prop), 0),
                                      "cuMemGetAllocationGranularity"))
        self.granularity = g.value
        self.size = (size + g.value - 1) // g.value * g.value
        handle, va = ctypes.c_uint64(), ctypes.c_uint64()
        self.handle = None
        self.ptr = 0
        self.closed = False

        def create(lib: Any) -> None:
            check(lib.cuMemCreate(ctypes.byref(handle), self.size, ctypes.byref(prop), 0),
                  "cuMemCreate", size=self.size)
            self.handle = handle.value
            check(lib.cuMemAddressReserve(ctypes.byref(va), self.size, 0, 0, 0),
                  "cuMemAddressReserve", size=self.size)
            self.ptr = va.value
            check(lib.cuMemMap(va.value, self.size, 0, handle.value, 0), "cuMemMap",
                  size=self.size)
            access = CUmemAccessDesc()
            access.location.type = CU_MEM_LOCATION_TYPE_DEVICE
            access.location.id = context.ordinal
            access.flags = CU_MEM_ACCESS_FLAGS_PROT_READWRITE
            check(lib.cuMemSetAccess(va.value, self.size, ctypes.byref(access), 1),
                  "cuMemSetAccess", size=self.size)
        try:
            context.run(create)
        except BaseException:
            self._release()
            raise

    def export_fd(self, vulkan: dict) -> tuple:
        """An OPAQUE_FD of this memory (``cuMemExportToShareableHandle``; the fd is the caller's)
        and the descriptor a Vulkan import needs. ``vulkan`` names the importing Vulkan device:
        its ``deviceUUID`` (which must be this GPU's), ``driverUUID``, ``deviceName`` and the
        ``memoryTypeIndex`` to import with (CUDA has no driverUUID or memory types)."""
        self.context.check_vulkan_device(vulkan)
        out = ctypes.c_int(-1)
        self.context.run(lambda lib: self.context.cuda.check(
            lib.cuMemExportToShareableHandle(ctypes.byref(out), self.handle,
                                             CU_MEM_HANDLE_TYPE_POSIX_FILE_DESCRIPTOR, 0),
            "cuMemExportToShareableHandle", size=self.size))
        os.set_inheritable(out.value, False)
        return (Fd(out.value, f"CUDA export of {self.size} bytes"),
                self.context.vulkan_descriptor(self.size, vulkan))

    def _release(self) -> None:
        def release(lib: Any) -> None:
            if self.ptr:
                lib.cuMemUnmap(self.ptr, self.size)
                lib.cuMemAddressFree(self.ptr, self.size)
            if self.handle is not None:
                lib.cuMemRelease(self.handle)
        self.context.run(release)
        self.ptr, self.handle = 0, None

    def close(self) -> None:
        """Unmaps and releases the memory (idempotent); an exported fd keeps it alive."""
        if not self.closed:
            self.closed = True
            self._release()

    def __enter__(self) -> "CudaMemory":
        return self

    def __exit__(self, *_: Any) -> None:
        self.close()


# ---- zero-copy arrays and tensors ---------------------------------------------------------------

_TYPESTR = {"float32": "<f4", "float16": "<f2", "float64": "<f8", "int32": "<i4",
            "uint32": "<u4", "int64": "<i8", "uint8": "|u1", "int8": "|i1", "int16": "<i2",
            "uint16": "<u2"}


class cuda_array:  # noqa: N801 (a plain holder of the interface)
    """Device memory described by ``__cuda_array_interface__`` (version 3): what torch.as_tensor,
    CuPy and Numba take without a copy. It keeps ``owner`` (the import) alive while it lives."""

    def __init__(self, ptr: int, shape: Sequence[int], dtype: str = "float32",
                 owner: Any = None, readonly: bool = False):
        if dtype not in _TYPESTR:
            raise ValueError(f"dtype: expected one of {', '.join(_TYPESTR)}, got {dtype!r}")
        self.owner = owner
        self.__cuda_array_interface__ = {
            "shape": tuple(int(s) for s in shape),
            "typestr": _TYPESTR[dtype],
            "data": (int(ptr), bool(readonly)),
            "version": 3,
            # No stream: the memory is ready as far as CUDA knows; ordering with Vulkan is the
            # semaphores' work, on the consumer's own stream.
            "stream": None,
        }


def as_tensor(ptr: int, nbytes: int, dtype: str = "float32", owner: Any = None,
              device_index: Optional[int] = None) -> Any:
    """A torch tensor over ``nbytes`` of device memory at ``ptr``, without a copy (through
    ``__cuda_array_interface__``; the tensor keeps ``owner`` alive). Needs PyTorch."""
    import torch  # optional: only here

    itemsize = int(_TYPESTR[dtype][2:])
    if nbytes % itemsize:
        raise ValueError(f"{nbytes} bytes is not a whole number of {dtype}")
    t = torch.as_tensor(cuda_array(ptr, (nbytes // itemsize,), dtype, owner), device="cuda"
                        if device_index is None else f"cuda:{device_index}")
    if t.data_ptr() != ptr:
        raise RuntimeError(f"torch copied the memory (data_ptr {t.data_ptr():#x}, not {ptr:#x})")
    return t



# ---- DLPack: frames that torch, CuPy, JAX and NumPy take with from_dlpack -----------------------
# dlpack.h 1.1 (dmlc/dlpack), by hand as the CUDA structs above; the capsules through the C API
# (ctypes.pythonapi). A consumer renames the capsule it takes to "used_dltensor[_versioned]" and
# calls the deleter when it is done; a capsule nobody took calls it from its destructor.

kDLCPU, kDLCUDA = 1, 2
DLPACK_VERSION = (1, 1)
_DLPACK_FLAG_READ_ONLY = 1
_DL_DTYPES = {"float32": (2, 32), "float16": (2, 16), "float64": (2, 64), "int32": (0, 32),
              "uint32": (1, 32), "int64": (0, 64), "uint8": (1, 8), "int8": (0, 8),
              "int16": (0, 16), "uint16": (1, 16)}  # (DLDataTypeCode, bits)


class DLDevice(ctypes.Structure):
    _fields_ = [("device_type", ctypes.c_int32), ("device_id", ctypes.c_int32)]


class DLDataType(ctypes.Structure):
    _fields_ = [("code", ctypes.c_uint8), ("bits", ctypes.c_uint8), ("lanes", ctypes.c_uint16)]


class DLTensor(ctypes.Structure):
    _fields_ = [("data", ctypes.c_void_p), ("device", DLDevice), ("ndim", ctypes.c_int32),
                ("dtype", DLDataType), ("shape", ctypes.POINTER(ctypes.c_int64)),
                ("strides", ctypes.POINTER(ctypes.c_int64)), ("byte_offset", ctypes.c_uint64)]


_DLDeleter = ctypes.CFUNCTYPE(None, ctypes.c_void_p)


class DLManagedTensor(ctypes.Structure):
    _fields_ = [("dl_tensor", DLTensor), ("manager_ctx", ctypes.c_void_p),
                ("deleter", _DLDeleter)]


class DLPackVersion(ctypes.Structure):
    _fields_ = [("major", ctypes.c_uint32), ("minor", ctypes.c_uint32)]


class DLManagedTensorVersioned(ctypes.Structure):
    _fields_ = [("version", DLPackVersion), ("manager_ctx", ctypes.c_void_p),
                ("deleter", _DLDeleter), ("flags", ctypes.c_uint64), ("dl_tensor", DLTensor)]


DLPACK_STRUCTS = (DLDevice, DLDataType, DLTensor, DLManagedTensor, DLPackVersion,
                  DLManagedTensorVersioned)

# What each capsule holds (its managed tensor, shape and strides arrays, and the frame, which
# keeps the import alive), by the managed tensor's address; and how many were deleted.
_dlpack_live: dict = {}
_dlpack_counts = {"made": 0, "deleted": 0}
_CAPSULE_NAMES = {False: b"dltensor", True: b"dltensor_versioned"}  # kept: capsules point at them


def _dlpack_delete(address: int) -> None:
    """The managed tensors' deleter (the consumer's call, or an untaken capsule's)."""
    if _dlpack_live.pop(address, None) is not None:
        _dlpack_counts["deleted"] += 1


_dlpack_deleter = _DLDeleter(_dlpack_delete)
_CapsuleDestructor = ctypes.CFUNCTYPE(None, ctypes.c_void_p)


def _capsule_destroyed(capsule: int) -> None:
    """A capsule's destructor: one nobody took (still named dltensor[_versioned]) deletes its
    tensor; a taken one is its consumer's to delete."""
    api = _capsule_api()
    for name in _CAPSULE_NAMES.values():
        if api.PyCapsule_IsValid(capsule, name):
            _dlpack_delete(api.PyCapsule_GetPointer(capsule, name))
            return


_capsule_destructor = _CapsuleDestructor(_capsule_destroyed)


_capsule_functions: Any = None


def _capsule_api() -> Any:
    """ctypes.pythonapi with the capsule functions declared, once (raw pointers: no reference
    counts are touched, which a destructor must not do)."""
    global _capsule_functions
    if _capsule_functions is None:
        api = ctypes.pythonapi
        api.PyCapsule_New.restype = ctypes.py_object
        api.PyCapsule_New.argtypes = [ctypes.c_void_p, ctypes.c_char_p, _CapsuleDestructor]
        api.PyCapsule_IsValid.restype = ctypes.c_int
        api.PyCapsule_IsValid.argtypes = [ctypes.c_void_p, ctypes.c_char_p]
        api.PyCapsule_GetPointer.restype = ctypes.c_void_p
        api.PyCapsule_GetPointer.argtypes = [ctypes.c_void_p, ctypes.c_char_p]
        api.PyCapsule_SetName.restype = ctypes.c_int
        api.PyCapsule_SetName.argtypes = [ctypes.c_void_p, ctypes.c_char_p]
        _capsule_functions = api
    return _capsule_functions


def dlpack_counts() -> dict:
    """How many DLPack tensors were made and deleted, and how many are held now."""
    return {**_dlpack_counts, "live": len(_dlpack_live)}


def _dlpack_stream(stream: Any, device_type: int) -> Optional[int]:
    """The CUstream a ``__dlpack__`` consumer names (None: no wait to queue), as the array API
    says: for CUDA, None is the legacy default stream (1), 1 and 2 the legacy and per-thread
    default streams, -1 no synchronization, 0 refused; a CPU frame takes None only."""
    if device_type == kDLCPU:
        if stream is not None:
            raise ValueError(f"__dlpack__: stream must be None for a CPU frame, got {stream!r}")
        return None
    if stream is None:
        return 1
    if not isinstance(stream, int) or isinstance(stream, bool) or stream < -1 or stream == 0:
        raise ValueError(f"__dlpack__: stream {stream!r} is not a CUDA stream (-1, 1, 2 or a "
                         "handle above 2; 0 is ambiguous and refused)")
    return None if stream == -1 else stream


class dlpack_frame:  # noqa: N801 (a plain holder of the protocol)
    """Memory that ``torch.from_dlpack``, ``cupy.from_dlpack``, ``jax.numpy.from_dlpack`` and
    ``numpy.from_dlpack`` take without a copy: ``__dlpack__`` (versioned capsules, and legacy ones
    for consumers that ask for no version) and ``__dlpack_device__``. ``ready``, a
    (CudaExternalSemaphore, value) pair, is the producer's signal: each ``__dlpack__`` queues the
    wait for it on the consumer's stream (none with ``stream=-1``), so no host waits. The frame
    keeps ``owner`` (the import) alive while it or a capsule of it lives."""

    def __init__(self, ptr: int, shape: Sequence[int], dtype: str = "float32",
                 device: Sequence[int] = (kDLCUDA, 0), owner: Any = None,
                 readonly: bool = False, ready: Optional[tuple] = None):
        if dtype not in _DL_DTYPES:
            raise ValueError(f"dtype: expected one of {', '.join(_DL_DTYPES)}, got {dtype!r}")
        self.ptr, self.shape, self.dtype = int(ptr), tuple(int(x) for x in shape), dtype
        self.device = (int(device[0]), int(device[1]))
        self.owner, self.readonly, self.ready = owner, readonly, ready
        if self.device[0] not in (kDLCPU, kDLCUDA):
            raise ValueError(f"device: kDLCPU (1) or kDLCUDA (2), got {self.device[0]}")

    def __dlpack_device__(self) -> tuple:
        return self.device

    def __dlpack__(self, *, stream: Any = None, max_version: Optional[tuple] = None,
                   dl_device: Optional[tuple] = None, copy: Optional[bool] = None) -> Any:
        if copy:
            raise BufferError("__dlpack__: copy=True, but a shared frame is not copied by its "
                              "producer: take it with copy=False or None, then copy it")
        if dl_device is not None and tuple(dl_device) != self.device:
            raise BufferError(f"__dlpack__: the frame is on device {self.device}, not "
                              f"{tuple(dl_device)}: take it where it is, then move it")
        on = _dlpack_stream(stream, self.device[0])
        if on is not None and self.ready is not None:
            semaphore, value = self.ready
            semaphore.wait(value, stream=on)
        versioned = max_version is not None and int(max_version[0]) >= DLPACK_VERSION[0]
        return _dlpack_capsule(self, versioned)


def _dlpack_capsule(frame: dlpack_frame, versioned: bool) -> Any:
    """A capsule of a new managed tensor over ``frame`` (compact, row-major)."""
    m = DLManagedTensorVersioned() if versioned else DLManagedTensor()
    n = len(frame.shape)
    shape = (ctypes.c_int64 * max(n, 1))(*frame.shape)
    strides = (ctypes.c_int64 * max(n, 1))()
    step = 1
    for i in reversed(range(n)):
        strides[i], step = step, step * frame.shape[i]
    t = m.dl_tensor
    t.data = frame.ptr if step else None  # a tensor of no elements points at nothing
    t.device = DLDevice(*frame.device)
    t.ndim = n
    code, bits = _DL_DTYPES[frame.dtype]
    t.dtype = DLDataType(code, bits, 1)
    t.shape = ctypes.cast(shape, ctypes.POINTER(ctypes.c_int64))
    t.strides = ctypes.cast(strides, ctypes.POINTER(ctypes.c_int64))
    m.deleter = _dlpack_deleter
    if versioned:
        m.version = DLPackVersion(*DLPACK_VERSION)
        m.flags = _DLPACK_FLAG_READ_ONLY if frame.readonly else 0
    address = ctypes.addressof(m)
    _dlpack_live[address] = (m, shape, strides, frame)
    _dlpack_counts["made"] += 1
    try:
        return _capsule_api().PyCapsule_New(address, _CAPSULE_NAMES[versioned],
                                            _capsule_destructor)
    except BaseException:
        _dlpack_delete(address)
        raise

# ---- the command line (tests and examples) ------------------------------------------------------

USAGE = """usage: vkshare_peer.py COMMAND [ARGS]

A peer of vkshare's share socket, for tests and scripts.

commands:
  receive ADDRESS N         connect, receive N messages; print one JSON line each: the message
                            or the ProtocolError's reason, the fds' close-on-exec flags, and
                            whether this process's fd count is back where it was
  offers ADDRESS N [UUID]   connect, receive N offers (receive_offer, checked against deviceUUID
                            UUID when given); print one JSON line each
  offer-memfd ADDRESS TEXT  connect, offer a memfd holding TEXT as OPAQUE_FD memory, wait for ack
  offer-cuda ADDRESS        connect, receive a "want" message (size, and the Vulkan device's
                            deviceUUID, driverUUID, deviceName, memoryTypeIndex), allocate CUDA
                            memory on that GPU, fill it with bytes (i * 7 + 3) mod 256, offer it
                            (OPAQUE_FD) and wait for ack
  connect ADDRESS [UID]     connect (allowing only UID when given), print what happened
  listen ADDRESS [UID]      listen (allowing only UID when given), accept one peer within 2 s,
                            print what happened
  timeout ADDRESS MS        connect, wait MS ms for a message that does not come, print the error
  layouts                   print the ctypes layouts of the CUDA and DLPack structs as JSON
  dlpack-check              exercise the DLPack producer without CUDA (a ctypes consumer, numpy
                            where installed, untaken capsules, refusals, the waits queued on a
                            consumer's stream); print what was seen as JSON
  range-check               exercise export_tensor's and export_range's rules without CUDA
                            (stand-in tensors and allocations); print the refusals as JSON
  constants                 print the CUDA and protocol constants this peer uses as JSON
  devices                   print the CUDA devices (ordinal, name, UUID) as JSON

ADDRESS is a socket path, or @name for the abstract namespace.
"""


def _layouts() -> dict:
    out = {}
    for s in CUDA_STRUCTS + DLPACK_STRUCTS:
        offsets, sizes = {}, {}
        for name, _ in s._fields_:
            f = getattr(s, name)
            offsets[name], sizes[name] = f.offset, f.size
        out[s.__name__] = {"size": ctypes.sizeof(s), "align": ctypes.alignment(s),
                           "offsets": offsets, "sizes": sizes}
    return out


class _Waits:
    """A stand-in for a CudaExternalSemaphore that records the waits queued on it."""

    def __init__(self) -> None:
        self.waits: list = []

    def wait(self, value: int, stream: Any = None) -> None:
        self.waits.append([value, stream])


# The names a consumer gives the capsules it took (kept: a capsule keeps a pointer to its name).
_USED_NAMES = {False: b"used_dltensor", True: b"used_dltensor_versioned"}


def _take_capsule(capsule: Any, versioned: bool) -> tuple:
    """What a consumer does with a capsule, in ctypes (no numpy): takes its tensor, renames the
    capsule used_..., reads the tensor, calls the deleter. Returns the tensor's data address,
    shape, strides, flags (None for a legacy capsule), device and dtype."""
    api = _capsule_api()
    raw = id(capsule)  # CPython: the object's address (the capsule stays alive here)
    address = api.PyCapsule_GetPointer(raw, _CAPSULE_NAMES[versioned])
    api.PyCapsule_SetName(raw, _USED_NAMES[versioned])
    m = (DLManagedTensorVersioned if versioned else DLManagedTensor).from_address(address)
    t = m.dl_tensor
    out = (t.data, [t.shape[i] for i in range(t.ndim)], [t.strides[i] for i in range(t.ndim)],
           m.flags if versioned else None, [t.device.device_type, t.device.device_id],
           [t.dtype.code, t.dtype.bits, t.dtype.lanes])
    m.deleter(address)
    return out


def _dlpack_check() -> dict:
    """The DLPack producer without CUDA: host frames taken by a ctypes consumer (and by numpy
    where it is installed), capsules nobody takes, the refusals, and the waits a CUDA frame
    queues on the stream its consumer names. One dict of what was seen (dlpack-check)."""
    import gc
    import weakref

    out: dict = {}
    buf = (ctypes.c_float * 12)(*range(12))
    owner = type("Owner", (), {})()
    gone = weakref.ref(owner)
    f = dlpack_frame(ctypes.addressof(buf), (3, 4), device=(kDLCPU, 0), owner=owner,
                     readonly=True)
    del owner
    out["taken"] = [_take_capsule(f.__dlpack__(max_version=(1, 0)), True),
                    _take_capsule(f.__dlpack__(), False)]
    out["address"] = ctypes.addressof(buf)
    fds = len(open_fds())
    for _ in range(10_000):
        f.__dlpack__(max_version=DLPACK_VERSION)
    gc.collect()
    out["untaken"] = {**dlpack_counts(), "fds_flat": len(open_fds()) == fds}
    refusals = []
    for kw in ({"copy": True}, {"dl_device": (kDLCUDA, 0)}, {"stream": 5}):
        try:
            f.__dlpack__(**kw)
            refusals.append(None)
        except (BufferError, ValueError) as e:
            refusals.append([e.__class__.__name__, str(e)])
    out["refusals"] = refusals
    try:
        import numpy as np

        asked: list = []

        class Spy:  # what numpy asks of the frame (NumPy 1.x: a legacy capsule)
            def __dlpack_device__(self) -> tuple:
                return f.__dlpack_device__()

            def __dlpack__(self, **kw: Any) -> Any:
                asked.append(sorted(kw))
                return f.__dlpack__(**kw)

        a = np.from_dlpack(Spy())
        out["numpy"] = {"version": np.__version__, "asked": asked[0],
                        "same": a.ctypes.data == ctypes.addressof(buf), "values": a.tolist(),
                        "writeable": bool(a.flags.writeable)}
        del a
    except ImportError:
        out["numpy"] = None
    sem = _Waits()
    g = dlpack_frame(0x7000_0000, (4,), "uint8", device=(kDLCUDA, 0), ready=(sem, 7))
    for stream in (None, 1, 2, 0x1234, -1):
        g.__dlpack__(stream=stream, max_version=(1, 0))
    try:
        g.__dlpack__(stream=0)
    except ValueError as e:
        out["stream0"] = str(e)
    out["waits"] = sem.waits
    del f, g, buf
    gc.collect()
    out["after"] = {**dlpack_counts(), "owner_gone": gone() is None}
    return out

def _range_check() -> dict:
    """export_tensor's and export_range's rules, on stand-ins (no CUDA): each case's rule and
    message, or None where it passes the rules."""
    class Device:  # a torch.device's fields
        def __init__(self, kind: str, index: Optional[int]):
            self.type, self.index = kind, index

        def __str__(self) -> str:
            return self.type if self.index is None else f"{self.type}:{self.index}"

    class Tensor:  # the torch.Tensor methods export_tensor reads
        def __init__(self, device: Device, contiguous: bool):
            self.device, self.shape, self._contiguous = device, (4, 8), contiguous

        def is_contiguous(self) -> bool:
            return self._contiguous

        def stride(self) -> tuple:
            return (8, 1) if self._contiguous else (1, 4)

    context = type("Context", (), {"ordinal": 0, "label": 'CUDA device 0 "stand-in"'})()

    def outcome(fn: Callable[[], Any]) -> Any:
        try:
            fn()
        except ShareError as e:
            return [e.rule, str(e), e.expected, e.actual]
        except AttributeError:
            return None  # past the rules: the stand-in has no data_ptr (CUDA's part)
        return None

    cases = {
        "cpu": lambda: export_tensor(context, Tensor(Device("cpu", None), True), {}),
        "other_gpu": lambda: export_tensor(context, Tensor(Device("cuda", 1), True), {}),
        "strided": lambda: export_tensor(context, Tensor(Device("cuda", 0), False), {}),
        "fits": lambda: export_tensor(context, Tensor(Device("cuda", 0), True), {}),
        "inside": lambda: _check_one_allocation(0x1000 + 512, 1024, 0x1000, 2 << 20),
        "to_the_end": lambda: _check_one_allocation(0x1000 + 1024, (2 << 20) - 1024, 0x1000,
                                                    2 << 20),
        "past_the_end": lambda: _check_one_allocation(0x1000 + 1024, 2 << 20, 0x1000, 2 << 20),
    }
    return {name: outcome(fn) for name, fn in cases.items()}


def _cloexec(fd: int) -> bool:
    import fcntl
    return bool(fcntl.fcntl(fd, fcntl.F_GETFD) & fcntl.FD_CLOEXEC)


def _say(**kv: Any) -> None:
    print(json.dumps(kv), flush=True)


def main(argv: Sequence[str]) -> int:
    if not argv or argv[0] in ("-h", "--help"):
        print(USAGE, end="")
        return 0
    command, args = argv[0], list(argv[1:])
    need = {"receive": 2, "offers": 2, "offer-memfd": 2, "offer-cuda": 1, "connect": 1, "listen": 1,
            "timeout": 2, "layouts": 0, "constants": 0, "devices": 0, "dlpack-check": 0,
            "range-check": 0}
    if command not in need:
        print(f"vkshare_peer.py: unknown command {command!r}\n\n{USAGE}", end="", file=sys.stderr)
        return 2
    if len(args) < need[command] or any(a.startswith("--") for a in args):
        print(f"vkshare_peer.py {command}: expected {need[command]} argument(s), got {args}\n",
              file=sys.stderr)
        return 2
    if command == "layouts":
        _say(**_layouts())
        return 0
    if command == "dlpack-check":
        _say(**_dlpack_check())
        return 0
    if command == "range-check":
        _say(**_range_check())
        return 0
    if command == "constants":
        _say(**{k: v for k, v in globals().items()
                if k.isupper() and isinstance(v, int) and not k.startswith("_")})
        return 0
    if command == "devices":
        print(json.dumps(Cuda.get().devices()))
        return 0
    if command == "listen":
        allow = [int(args[1])] if len(args) > 1 else None
        with ShareServer.listen(args[0], allow_uids=allow) as server:
            _say(listening=server.address)
            try:
                with server.accept(timeout=2.0):
                    _say(accepted=True)
            except OSError as e:
                _say(error=e.__class__.__name__, errno=e.errno, message=str(e),
                     refused=[str(r) for r in server.refused])
        return 0
    if command == "connect":
        allow = [int(args[1])] if len(args) > 1 else None
        try:
            with ShareSocket.connect(args[0], timeout=5.0, allow_uids=allow):
                _say(connected=True)
        except OSError as e:
            _say(error=e.__class__.__name__, errno=e.errno, message=str(e))
        return 0
    with ShareSocket.connect(args[0], timeout=10.0) as sock:
        if command == "timeout":
            t0 = time.monotonic()
            try:
                sock.receive(timeout=int(args[1]) / 1000)
                _say(error=None)
            except TimeoutError as e:
                _say(error="TimeoutError", errno=e.errno, message=str(e),
                     waited_ms=round((time.monotonic() - t0) * 1000))
            return 0
        if command == "offer-cuda":
            want = sock.expect("want", timeout=30.0).message
            with CudaContext.for_uuid(want["deviceUUID"], want["deviceName"]) as ctx:
                with ctx.allocate_exportable(int(want["size"])) as mem:
                    data = bytes((i * 7 + 3) % 256 for i in range(mem.size))
                    ctx.run(lambda lib: ctx.cuda.check(
                        lib.cuMemcpyHtoD_v2(mem.ptr, data, len(data)), "cuMemcpyHtoD_v2"))
                    fd, descriptor = mem.export_fd(want)
                    with fd:
                        send_offer(sock, "from CUDA", memory=(fd, descriptor))
                    sock.expect("ack", timeout=30.0)
                    _say(offered=mem.size, device=ctx.label, fds=len(open_fds()))
            return 0
        if command == "offer-memfd":
            text = args[1].encode()
            fd = os.memfd_create("vkshare-python-peer", os.MFD_CLOEXEC)
            with Fd(fd, "memfd") as f:
                os.write(fd, text)
                send_offer(sock, "from python", memory=(f, {
                    "version": DESCRIPTOR_VERSION, "handleType": "OPAQUE_FD", "size": len(text),
                    "memoryTypeIndex": 0, "memoryProperties": [], "dedicated": None,
                    "deviceUUID": "python", "driverUUID": "python", "deviceName": "a memfd",
                    "fdKind": "memfd"}))
            sock.expect("ack", timeout=10.0)
            _say(acked=True, fds=len(open_fds()))
            return 0
        for _ in range(int(args[1])):
            before = open_fds()
            seen: dict = {}
            try:
                if command == "offers":
                    uuid = args[2] if len(args) > 2 else None
                    with receive_offer(sock, timeout=10.0, device_uuid=uuid) as offer:
                        fds = [e.fd for e in ([offer.memory] if offer.memory else [])
                               + offer.semaphores + offer.fences]
                        seen = {"label": offer.label, "range": offer.range}
                        seen.update(cloexec=[_cloexec(f.fd) for f in fds],
                                    kinds=[describe_fd(f.fd) for f in fds])
                else:
                    r = sock.receive(timeout=10.0)
                    seen = {"message": r.message, "cloexec": [_cloexec(f.fd) for f in r.fds],
                            "kinds": [describe_fd(f.fd) for f in r.fds]}
                    r.close()
            except ProtocolError as e:
                seen = {"reason": e.reason, "message": str(e)}
            except ShareError as e:
                seen = {"rule": e.rule, "message": str(e)}
            _say(**seen, fds_back=open_fds() == before)
        return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
