// What CUDA does with imports that vkshare's checks would refuse (run where libcuda is): each bad
// import goes straight to cuImportExternalMemory/cuImportExternalSemaphore, and the script prints
// the CUresult, whether the fd is still open afterwards, and whether the context still imports.
//   deno run -A tools/diag/cuda_import_failure.ts
import { parseCli } from "../../cli/_args.ts";
import { CudaContext } from "../../cuda/mod.ts";
import {
  cuda,
  CUDA_EXTERNAL_MEMORY_HANDLE_DESC,
  CUDA_EXTERNAL_SEMAPHORE_HANDLE_DESC,
} from "../../ffi/cuda.ts";
import { Arena, encode } from "../../ffi/layout.ts";
import { libc, O_CLOEXEC, O_RDONLY } from "../../ffi/libc.ts";
import { rt } from "../../ffi/runtime.ts";
import { cString } from "../../ffi/vulkan.ts";
import { Device, DeviceMemory, GpuBuffer, Instance, Semaphore } from "../../mod.ts";
import { isOpenFd } from "../../share/mod.ts";

parseCli({
  name: "tools/diag/cuda_import_failure.ts",
  summary:
    "What CUDA does with imports that vkshare's checks would refuse: prints each CUresult, whether\nthe fd is still open, and whether the context still imports (needs libcuda).",
  flags: {},
});

using instance = Instance.create();
const pd = instance.physicalDevices()[0];
using device = Device.create(pd);
using ctx = CudaContext.forVulkan(device);
const cu = cuda();
const name = (r: number) => {
  const p = new BigUint64Array(1);
  if (cu.cuGetErrorName(r, p) !== 0 || p[0] === 0n) return `CUresult ${r}`;
  return `${rt.cstring(rt.pointer(p[0]))} (${r})`;
};

function rawMemory(fd: number, size: bigint, dedicated = false): number {
  using arena = new Arena();
  const d = encode(CUDA_EXTERNAL_MEMORY_HANDLE_DESC, {
    type: 1,
    handle: fd,
    size,
    flags: dedicated ? 1 : 0,
  }, arena);
  const out = new BigUint64Array(1);
  const r = ctx.run(() => cu.cuImportExternalMemory(out, d.bytes));
  if (r === 0) ctx.run(() => cu.cuDestroyExternalMemory(out[0]));
  return r;
}
function rawSemaphore(fd: number, type: number): number {
  using arena = new Arena();
  const d = encode(CUDA_EXTERNAL_SEMAPHORE_HANDLE_DESC, { type, handle: fd }, arena);
  const out = new BigUint64Array(1);
  const r = ctx.run(() => cu.cuImportExternalSemaphore(out, d.bytes));
  if (r === 0) ctx.run(() => cu.cuDestroyExternalSemaphore(out[0]));
  return r;
}
function stillImports(): string {
  using buf = GpuBuffer.create(device, { size: 65536, external: "OPAQUE_FD" });
  using mem = DeviceMemory.allocate(device, { for: buf, exportAs: "OPAQUE_FD" });
  const exp = mem.exportFd();
  try {
    using ext = ctx.importMemory(exp.fd, exp.descriptor);
    using b = ext.mapBuffer();
    b.read(0, 16);
  } catch (e) {
    exp.fd.close();
    return `memory import fails: ${(e as Error).message.slice(0, 120)}`;
  }
  using s = Semaphore.create(device, { type: "timeline", exportAs: "OPAQUE_FD" });
  const se = s.exportFd();
  try {
    ctx.importSemaphore(se.fd!, se.descriptor)[Symbol.dispose]();
  } catch (e) {
    se.fd?.close();
    return `semaphore import fails: ${(e as Error).message.slice(0, 120)}`;
  }
  return "still imports";
}
function report(what: string, fd: number, r: number) {
  const open = fd >= 0 && isOpenFd(fd);
  console.log(`${what}: ${name(r)}; fd ${fd} ${open ? "still open" : "closed"}; ${stillImports()}`);
  if (open) libc().close(fd);
}

using buf = GpuBuffer.create(device, { size: 1 << 20, external: "OPAQUE_FD" });
using mem = DeviceMemory.allocate(device, { for: buf, exportAs: "OPAQUE_FD" });
const size = BigInt(mem.size);
const fresh = () => mem.exportFd().fd.release();
let fd = fresh();
report("memory, size x2", fd, rawMemory(fd, size * 2n));
fd = fresh();
report("memory, size / 2", fd, rawMemory(fd, size / 2n));
fd = fresh();
report("memory, dedicated flag on a plain allocation", fd, rawMemory(fd, size, true));
fd = libc().open(cString("/dev/null"), O_RDONLY | O_CLOEXEC, 0);
report("memory, /dev/null", fd, rawMemory(fd, size));
report("memory, fd -1", -1, rawMemory(-1, size));
using sb = Semaphore.create(device, { type: "binary", exportAs: "OPAQUE_FD" });
using st = Semaphore.create(device, { type: "timeline", exportAs: "OPAQUE_FD" });
fd = sb.exportFd().fd!.release();
report("semaphore, binary fd as TIMELINE_SEMAPHORE_FD", fd, rawSemaphore(fd, 9));
fd = st.exportFd().fd!.release();
report("semaphore, timeline fd as OPAQUE_FD", fd, rawSemaphore(fd, 1));
fd = fresh();
report("semaphore, a memory fd", fd, rawSemaphore(fd, 1));
fd = libc().open(cString("/dev/null"), O_RDONLY | O_CLOEXEC, 0);
report("semaphore, /dev/null", fd, rawSemaphore(fd, 1));

// Which ranges cuExternalMemoryGetMappedBuffer maps, for a plain and a dedicated 1 MiB import.
for (const dedicated of [false, true]) {
  using b2 = GpuBuffer.create(device, { size: 1 << 20, external: "OPAQUE_FD" });
  using m2 = DeviceMemory.allocate(device, { for: b2, exportAs: "OPAQUE_FD", dedicated });
  using e2 = m2.exportFd();
  using ext = ctx.importMemory(e2.fd, e2.descriptor);
  const seen: string[] = [];
  for (const [offset, size] of [[0, 4096], [4096, 4096], [65536, 65536], [0x50000, 0x10000]]) {
    try {
      ext.mapBuffer({ offset, size })[Symbol.dispose]();
      seen.push(`${offset}+${size} ok`);
    } catch (e) {
      seen.push(`${offset}+${size} ${(e as Error).message.match(/CUDA_ERROR_\w+/)?.[0]}`);
    }
  }
  console.log(
    `mapBuffer, ${dedicated ? "dedicated" : "plain"} ${m2.size} bytes: ${seen.join("; ")}`,
  );
}
