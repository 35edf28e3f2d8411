/**
 * libc's Unix-domain sockets, for passing fds between processes: `socket`, `bind`, `listen`,
 * `accept4`, `connect`, `sendmsg`/`recvmsg` with SCM_RIGHTS ancillary data, `poll`,
 * `getsockopt(SO_PEERCRED)`, and the struct layouts they take (`msghdr`, `iovec`, `cmsghdr`,
 * `sockaddr_un`, `pollfd`, `ucred`), checked against the C compiler like the Vulkan ones. Opened
 * on first use only: a script that never shares across processes never loads it.
 *
 * @module
 */
import { bytes, defineStruct, i16, i32, u16, u32, u64, voidPtr } from "./layout.ts";
import type { BigIntField, BytesField, NumberField, StructDef, VoidPtrField } from "./layout.ts";
import type { AnyStruct } from "./layout.ts";
import { dirent, statfs } from "./libc.ts";
import { openFirst } from "./library.ts";
import type { FunctionsOf, Library } from "./types.ts";

/** The socket calls, each parameter with its C type. */
export const LIBC_SOCKET = {
  socket: {
    parameters: [
      "i32", // int domain
      "i32", // int type
      "i32", // int protocol
    ],
    result: "i32",
  },
  bind: {
    parameters: [
      "i32", // int sockfd
      "buffer", // const struct sockaddr* addr
      "u32", // socklen_t addrlen
    ],
    result: "i32",
  },
  listen: {
    parameters: [
      "i32", // int sockfd
      "i32", // int backlog
    ],
    result: "i32",
  },
  accept4: {
    parameters: [
      "i32", // int sockfd
      "buffer", // struct sockaddr* addr
      "buffer", // socklen_t* addrlen
      "i32", // int flags
    ],
    result: "i32",
  },
  connect: {
    parameters: [
      "i32", // int sockfd
      "buffer", // const struct sockaddr* addr
      "u32", // socklen_t addrlen
    ],
    result: "i32",
  },
  sendmsg: {
    parameters: [
      "i32", // int sockfd
      "buffer", // const struct msghdr* msg
      "i32", // int flags
    ],
    result: "isize", // ssize_t
  },
  recvmsg: {
    parameters: [
      "i32", // int sockfd
      "buffer", // struct msghdr* msg
      "i32", // int flags
    ],
    result: "isize", // ssize_t
  },
  poll: {
    parameters: [
      "buffer", // struct pollfd* fds
      "u64", // nfds_t nfds
      "i32", // int timeout
    ],
    result: "i32",
  },
  getsockopt: {
    parameters: [
      "i32", // int sockfd
      "i32", // int level
      "i32", // int optname
      "buffer", // void* optval
      "buffer", // socklen_t* optlen
    ],
    result: "i32",
  },
  shutdown: {
    parameters: [
      "i32", // int sockfd
      "i32", // int how
    ],
    result: "i32",
  },
  unlink: {
    parameters: [
      "buffer", // const char* pathname
    ],
    result: "i32",
  },
  mkdir: {
    parameters: [
      "buffer", // const char* pathname
      "u32", // mode_t mode
    ],
    result: "i32",
  },
  rmdir: {
    parameters: [
      "buffer", // const char* pathname
    ],
    result: "i32",
  },
  chmod: {
    parameters: [
      "buffer", // const char* pathname
      "u32", // mode_t mode
    ],
    result: "i32",
  },
  getuid: {
    parameters: [],
    result: "u32", // uid_t
  },
  setgroups: {
    parameters: [
      "usize", // size_t size
      "pointer", // const gid_t* list
    ],
    result: "i32",
  },
  setgid: {
    parameters: [
      "u32", // gid_t gid
    ],
    result: "i32",
  },
  setuid: {
    parameters: [
      "u32", // uid_t uid
    ],
    result: "i32",
  },
} as const;

/** `AF_UNIX` */
export const AF_UNIX = 1;
/** `SOCK_SEQPACKET`: messages with boundaries, over a connection. */
export const SOCK_SEQPACKET = 5;
/** `SOCK_NONBLOCK` (x86_64 and aarch64). */
export const SOCK_NONBLOCK = 0o4000;
/** `SOCK_CLOEXEC` (x86_64 and aarch64). */
export const SOCK_CLOEXEC = 0o2000000;
/** `SOL_SOCKET` */
export const SOL_SOCKET = 1;
/** `SCM_RIGHTS` */
export const SCM_RIGHTS = 1;
/** `SO_PEERCRED` (x86_64 and aarch64). */
export const SO_PEERCRED = 17;
/** `MSG_NOSIGNAL`: a closed peer is EPIPE, not SIGPIPE. */
export const MSG_NOSIGNAL = 0x4000;
/** `MSG_DONTWAIT` */
export const MSG_DONTWAIT = 0x40;
/** `MSG_CMSG_CLOEXEC`: received fds are close-on-exec from the start. */
export const MSG_CMSG_CLOEXEC = 0x40000000;
/** `MSG_TRUNC`: the message was longer than the buffer. */
export const MSG_TRUNC = 0x20;
/** `MSG_CTRUNC`: the ancillary data was longer than its buffer (fds were dropped). */
export const MSG_CTRUNC = 0x8;
/** `POLLIN` */
export const POLLIN = 0x1;
/** `POLLOUT` */
export const POLLOUT = 0x4;
/** `POLLERR` */
export const POLLERR = 0x8;
/** `POLLHUP` */
export const POLLHUP = 0x10;
/** `POLLRDHUP`: the peer shut down its writing half (or closed). */
export const POLLRDHUP = 0x2000;
/** `SHUT_RDWR` */
export const SHUT_RDWR = 2;

/** `struct iovec` */
export const iovec: StructDef<
  "struct iovec",
  { iov_base: VoidPtrField; iov_len: BigIntField },
  never
> = defineStruct("struct iovec", {
  iov_base: voidPtr("void*"),
  iov_len: u64("size_t"),
});

/** `struct msghdr` */
export const msghdr: StructDef<
  "struct msghdr",
  {
    msg_name: VoidPtrField;
    msg_namelen: NumberField;
    msg_iov: VoidPtrField;
    msg_iovlen: BigIntField;
    msg_control: VoidPtrField;
    msg_controllen: BigIntField;
    msg_flags: NumberField;
  },
  never
> = defineStruct("struct msghdr", {
  msg_name: voidPtr("void*"),
  msg_namelen: u32("socklen_t"),
  msg_iov: voidPtr("struct iovec*"),
  msg_iovlen: u64("size_t"),
  msg_control: voidPtr("void*"),
  msg_controllen: u64("size_t"),
  msg_flags: i32("int"),
});

/** `struct cmsghdr` (its data follows, aligned to `size_t`). */
export const cmsghdr: StructDef<
  "struct cmsghdr",
  { cmsg_len: BigIntField; cmsg_level: NumberField; cmsg_type: NumberField },
  never
> = defineStruct("struct cmsghdr", {
  cmsg_len: u64("size_t"),
  cmsg_level: i32("int"),
  cmsg_type: i32("int"),
});

/** `struct sockaddr_un`: a family and a path of at most 107 bytes (or an abstract name). */
export const sockaddr_un: StructDef<
  "struct sockaddr_un",
  { sun_family: NumberField; sun_path: BytesField },
  never
> = defineStruct("struct sockaddr_un", {
  sun_family: u16("sa_family_t"),
  sun_path: { ...bytes(108), c: "char" }, // bytes: an abstract name starts with NUL
});

/** `struct pollfd` */
export const pollfd: StructDef<
  "struct pollfd",
  { fd: NumberField; events: NumberField; revents: NumberField },
  never
> = defineStruct("struct pollfd", {
  fd: i32("int"),
  events: i16("short"),
  revents: i16("short"),
});

/** `struct ucred` (SO_PEERCRED). */
export const ucred: StructDef<
  "struct ucred",
  { pid: NumberField; uid: NumberField; gid: NumberField },
  never
> = defineStruct("struct ucred", {
  pid: i32("pid_t"),
  uid: u32("uid_t"),
  gid: u32("gid_t"),
});

/** Every libc struct declared here, for the layout check. */
export const LIBC_STRUCTS: readonly AnyStruct[] = [
  iovec,
  msghdr,
  cmsghdr,
  sockaddr_un,
  pollfd,
  ucred,
  dirent,
  statfs,
];

/** The headers that declare them (`_GNU_SOURCE` for `struct ucred`). */
export const LIBC_HEADERS = [
  "sys/socket.h",
  "sys/un.h",
  "poll.h",
  "dirent.h",
  "sys/statfs.h",
] as const;

/** `CMSG_ALIGN(n)`: ancillary data is aligned to `size_t`. */
export function cmsgAlign(n: number): number {
  return (n + 7) & ~7;
}

/** `CMSG_LEN(n)`: a cmsghdr and `n` bytes of data. */
export function cmsgLen(n: number): number {
  return cmsgAlign(cmsghdr.size) + n;
}

/** `CMSG_SPACE(n)`: the room a cmsghdr with `n` bytes of data takes, padding included. */
export function cmsgSpace(n: number): number {
  return cmsgAlign(cmsghdr.size) + cmsgAlign(n);
}

let lib: Library<typeof LIBC_SOCKET> | undefined;

/** The socket functions; opens libc for them on the first call. */
export function libcSocket(): FunctionsOf<typeof LIBC_SOCKET> {
  lib ??= openFirst(
    "libc",
    "VKSHARE_LIBC",
    ["libc.so.6", "libc.so"],
    LIBC_SOCKET,
    "vkshare needs glibc's libc.so.6 (Linux)",
  );
  return lib.symbols;
}
