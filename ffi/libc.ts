/**
 * libc, through the same FFI layer as libvulkan: the few calls vkshare needs to own file
 * descriptors safely (close, dup, fcntl, kcmp), to read what an fd refers to (readlink on
 * /proc/self/fd, lseek), and to map page-aligned host memory (mmap). Opened on first use only.
 *
 * Variadic functions (`fcntl`, `open`, `syscall`) are declared with fixed integer arguments:
 * on the Linux ABIs vkshare supports (x86_64, aarch64) integer arguments of a variadic call
 * are passed exactly like those of a fixed one.
 *
 * @module
 */
import { cString } from "./cstring.ts";
import { array, bytes, defineStruct, u16, u64, u8 } from "./layout.ts";
import type { ArrayField, BigIntField, BytesField, NumberField, StructDef } from "./layout.ts";
import { openFirst } from "./library.ts";
import { rt } from "./runtime.ts";
import type { FunctionsOf, Library } from "./types.ts";

/** libc symbols, each parameter with its C type. */
export const LIBC = {
  close: {
    parameters: [
      "i32", // int fd
    ],
    result: "i32",
  },
  dup: {
    parameters: [
      "i32", // int oldfd
    ],
    result: "i32",
  },
  fcntl: {
    parameters: [
      "i32", // int fd
      "i32", // int cmd
      "i32", // int arg (variadic)
    ],
    result: "i32",
  },
  open: {
    parameters: [
      "buffer", // const char* pathname
      "i32", // int flags
      "u32", // mode_t mode (variadic)
    ],
    result: "i32",
  },
  memfd_create: {
    parameters: [
      "buffer", // const char* name
      "u32", // unsigned int flags
    ],
    result: "i32",
    optional: true, // glibc 2.27
  },
  ftruncate: {
    parameters: [
      "i32", // int fd
      "i64", // off_t length
    ],
    result: "i32",
  },
  lseek: {
    parameters: [
      "i32", // int fd
      "i64", // off_t offset
      "i32", // int whence
    ],
    result: "i64", // off_t
  },
  readlink: {
    parameters: [
      "buffer", // const char* pathname
      "buffer", // char* buf
      "usize", // size_t bufsiz
    ],
    result: "isize", // ssize_t
  },
  mmap: {
    parameters: [
      "pointer", // void* addr
      "usize", // size_t length
      "i32", // int prot
      "i32", // int flags
      "i32", // int fd
      "i64", // off_t offset
    ],
    result: "pointer", // void*
  },
  munmap: {
    parameters: [
      "pointer", // void* addr
      "usize", // size_t length
    ],
    result: "i32",
  },
  getpid: {
    parameters: [],
    result: "i32", // pid_t
  },
  syscall: {
    parameters: [
      "i64", // long number
      "i64", // long (variadic)
      "i64", // long (variadic)
      "i64", // long (variadic)
      "i64", // long (variadic)
      "i64", // long (variadic)
    ],
    result: "i64", // long
  },
  __errno_location: {
    parameters: [],
    result: "pointer", // int*
  },
  pread: {
    parameters: [
      "i32", // int fd
      "buffer", // void* buf
      "usize", // size_t count
      "i64", // off_t offset
    ],
    result: "isize", // ssize_t
  },
  fstat: {
    parameters: [
      "i32", // int fd
      "buffer", // struct stat* statbuf
    ],
    result: "i32",
  },
  umask: {
    parameters: [
      "u32", // mode_t mask
    ],
    result: "u32", // mode_t
  },
  opendir: {
    parameters: [
      "buffer", // const char* name
    ],
    result: "pointer", // DIR*
  },
  readdir: {
    parameters: [
      "pointer", // DIR* dirp
    ],
    result: "pointer", // struct dirent*
  },
  closedir: {
    parameters: [
      "pointer", // DIR* dirp
    ],
    result: "i32",
  },
  fstatfs: {
    parameters: [
      "i32", // int fd
      "buffer", // struct statfs* buf
    ],
    result: "i32",
  },
} as const;

/**
 * `struct dirent` (glibc, 64-bit Linux), for the names that `readdir` returns. Checked against
 * the compiler with the other libc layouts.
 */
export const dirent: StructDef<
  "struct dirent",
  {
    d_ino: BigIntField;
    d_off: BigIntField;
    d_reclen: NumberField;
    d_type: NumberField;
    d_name: BytesField;
  },
  never
> = defineStruct("struct dirent", {
  d_ino: u64("ino_t"),
  d_off: u64("off_t"),
  d_reclen: u16("unsigned short"),
  d_type: u8("unsigned char"),
  d_name: { ...bytes(256), c: "char" },
});

/**
 * `struct statfs` (glibc, 64-bit Linux): what `fstatfs` says of the filesystem behind an fd. Its
 * `f_type` (the filesystem's magic number) is the kernel's own answer, which no file's name can
 * change. Checked against the compiler with the other libc layouts.
 */
export const statfs: StructDef<
  "struct statfs",
  {
    f_type: BigIntField;
    f_bsize: BigIntField;
    f_blocks: BigIntField;
    f_bfree: BigIntField;
    f_bavail: BigIntField;
    f_files: BigIntField;
    f_ffree: BigIntField;
    f_fsid: BytesField;
    f_namelen: BigIntField;
    f_frsize: BigIntField;
    f_flags: BigIntField;
    f_spare: ArrayField<BigIntField>;
  },
  never
> = defineStruct("struct statfs", {
  f_type: u64("__fsword_t"),
  f_bsize: u64("__fsword_t"),
  f_blocks: u64("fsblkcnt_t"),
  f_bfree: u64("fsblkcnt_t"),
  f_bavail: u64("fsblkcnt_t"),
  f_files: u64("fsfilcnt_t"),
  f_ffree: u64("fsfilcnt_t"),
  f_fsid: { ...bytes(8), c: "fsid_t", align: 4 },
  f_namelen: u64("__fsword_t"),
  f_frsize: u64("__fsword_t"),
  f_flags: u64("__fsword_t"),
  f_spare: array(u64("__fsword_t"), 4),
});

/** The dma-buf filesystem's magic number (`DMA_BUF_MAGIC`, linux/magic.h): "DMAB". */
export const DMA_BUF_MAGIC = 0x444d4142n;

/**
 * The filesystem magic number of the file `fd` refers to (`fstatfs`'s `f_type`), or null when
 * it is not open.
 */
export function filesystemType(fd: number): bigint | null {
  const buf = statfsScratch;
  if (libc().fstatfs(fd, buf) < 0) return null;
  return new DataView(buf.buffer).getBigUint64(statfs.offsets.f_type, true);
}

// filesystemType's struct statfs, read right after the call.
const statfsScratch = new Uint8Array(new ArrayBuffer(statfs.size));

/** The names in directory `path` (without `.` and `..`), or null when it cannot be opened. */
export function listDir(path: string): string[] | null {
  const c = libc();
  const dir = c.opendir(cString(path));
  if (rt.address(dir) === 0n) return null;
  const names: string[] = [];
  try {
    for (;;) {
      const e = c.readdir(dir);
      if (rt.address(e) === 0n) break;
      const name = rt.cstring(e, dirent.offsets.d_name);
      if (name !== "." && name !== "..") names.push(name);
    }
  } finally {
    c.closedir(dir);
  }
  return names.sort();
}

/** `offsetof(struct stat, st_mode)` per architecture (checked against cc by the layout test). */
export const STAT_MODE_OFFSET: Readonly<Record<string, number>> = { x86_64: 24, aarch64: 16 };
/** `O_PATH`: an fd that names a file without opening it (the same on x86_64 and aarch64). */
export const O_PATH = 0o10000000;

/** `O_NOFOLLOW` per architecture (it differs: x86_64 0o400000, aarch64 0o100000). */
const O_NOFOLLOW: Readonly<Record<string, number>> = { x86_64: 0o400000, aarch64: 0o100000 };

/**
 * The file type bits (`st_mode & S_IFMT`) of the file at `path`: `0o140000` for a socket,
 * `0o100000` for a regular file, `0o120000` for a symbolic link when `follow` is false (the link
 * itself, not what it names); null when it does not exist.
 */
export function fileTypeAt(path: string, follow = true): number | null {
  const c = libc();
  const flags = O_PATH | O_CLOEXEC | (follow ? 0 : O_NOFOLLOW[rt.arch] ?? O_NOFOLLOW.x86_64);
  const fd = c.open(cString(path), flags, 0);
  if (fd < 0) return null;
  try {
    const st = new Uint8Array(new ArrayBuffer(256));
    if (c.fstat(fd, st) < 0) return null;
    return new DataView(st.buffer).getUint32(STAT_MODE_OFFSET[rt.arch] ?? 24, true) & 0o170000;
  } finally {
    c.close(fd);
  }
}

/** A file's identity: fstat's st_dev and st_ino. */
export type FileId = { dev: bigint; ino: bigint };

/**
 * The device and inode numbers of the file `fd` refers to (`st_dev`, `st_ino`: the first two
 * fields of `struct stat` on x86_64 and aarch64), or null when it is not open.
 */
export function fileId(fd: number): FileId | null {
  const st = statScratch;
  if (libc().fstat(fd, st) < 0) return null;
  return { dev: st[0], ino: st[1] };
}

// fileId's struct stat, read right after the call: 256 bytes, more than either architecture's.
const statScratch = new BigUint64Array(new ArrayBuffer(256));

/** fcntl commands and flags (the same on every Linux architecture). */
export const F_GETFD = 1;
/** `F_SETFD` */
export const F_SETFD = 2;
/** `F_DUPFD_CLOEXEC` */
export const F_DUPFD_CLOEXEC = 1030;
/** `F_GET_SEALS` (memfd seals). */
export const F_GET_SEALS = 1034;
/** `F_SEAL_SEAL`: no more seals can be added. */
export const F_SEAL_SEAL = 1;
/** `F_SEAL_SHRINK`: the file cannot shrink. */
export const F_SEAL_SHRINK = 2;
/** `F_SEAL_GROW`: the file cannot grow. */
export const F_SEAL_GROW = 4;
/** `FD_CLOEXEC` */
export const FD_CLOEXEC = 1;
/** `O_RDONLY` */
export const O_RDONLY = 0;
/** `O_RDWR` */
export const O_RDWR = 2;
/** `O_CLOEXEC` (x86_64 and aarch64). */
export const O_CLOEXEC = 0o2000000;
/** `MFD_CLOEXEC` */
export const MFD_CLOEXEC = 1;
/** `SEEK_END` */
export const SEEK_END = 2;
/** `PROT_READ | PROT_WRITE` */
export const PROT_READ_WRITE = 3;
/** `MAP_PRIVATE | MAP_ANONYMOUS` (x86_64 and aarch64). */
export const MAP_PRIVATE_ANONYMOUS = 0x22;
/** `KCMP_FILE` */
export const KCMP_FILE = 0;

/** Linux system call numbers that glibc has no wrapper for, per architecture. */
export const SYSCALLS: Readonly<
  Record<string, { kcmp: number; pidfd_open: number; pidfd_getfd: number }>
> = {
  x86_64: { kcmp: 312, pidfd_open: 434, pidfd_getfd: 438 },
  aarch64: { kcmp: 272, pidfd_open: 434, pidfd_getfd: 438 },
};

/** The install hint when libc cannot be opened (it always can on glibc systems). */
const LIBC_HINT = "vkshare needs glibc's libc.so.6 (Linux)";

let lib: Library<typeof LIBC> | undefined;

/** The libc functions; opens libc on the first call. */
export function libc(): FunctionsOf<typeof LIBC> {
  lib ??= openFirst("libc", "VKSHARE_LIBC", ["libc.so.6", "libc.so"], LIBC, LIBC_HINT);
  return lib.symbols;
}

/** The calling thread's `errno`, read right after a failed call. */
export function errno(): number {
  const p = libc().__errno_location();
  return new Int32Array(rt.view(p, 4))[0];
}
