/**
 * The operations the benchmark runner times through vkshare, each the counterpart of the op of
 * the same name in the C reference (bench/reference/vkbench.c): the same setup before the cold
 * run, the same span timed, the same cleanup outside it.
 *
 * @module
 */
import { MemoryProperty } from "../core/mod.ts";
import { out64 } from "../core/out_params.ts";
import { lib as cudaLib } from "../cuda/driver.ts";
import { CudaContext } from "../cuda/mod.ts";
import {
  CU_EXTERNAL_MEMORY_HANDLE_TYPE,
  CU_EXTERNAL_SEMAPHORE_HANDLE_TYPE,
  CUDA_EXTERNAL_MEMORY_HANDLE_DESC,
  CUDA_EXTERNAL_SEMAPHORE_HANDLE_DESC,
} from "../ffi/cuda.ts";
import { Arena, encode, KeptStruct, link } from "../ffi/layout.ts";
import { libc } from "../ffi/libc.ts";
import { libffiCallOf } from "../ffi/libffi.ts";
import type { Pointer } from "../ffi/mod.ts";
import { rt } from "../ffi/runtime.ts";
import {
  VK_KHR_external_fence_fd,
  VK_KHR_external_memory_fd,
  VK_KHR_external_semaphore_fd,
} from "../ffi/vk_commands.ts";
import {
  VkExportFenceCreateInfo,
  VkExportMemoryAllocateInfo,
  VkExportSemaphoreCreateInfo,
  VkExternalBufferProperties,
  VkFenceCreateInfo,
  VkFenceGetFdInfoKHR,
  VkImportFenceFdInfoKHR,
  VkImportMemoryFdInfoKHR,
  VkImportSemaphoreFdInfoKHR,
  VkMemoryAllocateInfo,
  VkMemoryGetFdInfoKHR,
  VkPhysicalDeviceExternalBufferInfo,
  VkSemaphoreCreateInfo,
  VkSemaphoreGetFdInfoKHR,
  VkSemaphoreSignalInfo,
  VkSemaphoreTypeCreateInfo,
  VkSemaphoreWaitInfo,
} from "../ffi/vk_structs.ts";
import { vk } from "../ffi/vulkan.ts";
import { GlBuffer, GlContext, GlSemaphore, probeGl } from "../gl/mod.ts";
import {
  type Device,
  DeviceMemory,
  Fence,
  OwnedFd,
  type PhysicalDevice,
  Semaphore,
  type SyncExport,
} from "../mod.ts";
import {
  describeFd,
  externalBufferProperties,
  externalFenceProperties,
  externalSemaphoreProperties,
  isOpenFd,
} from "../share/mod.ts";
import { chooseMemoryType } from "../share/plan.ts";
import { duration } from "./report.ts";

/** One timed run of an operation, in ns (a batch op: the mean of its batch). */
export type Once = () => number;

/** An operation as the runner sees it. */
export interface Op {
  /** The name, shared with the C reference (`mem.import`). */
  name: string;
  /** What it times, for the report. */
  title: string;
  /** Whether it is measured per size. */
  sized: boolean;
  /** Calls per sample, for calls too short to time one by one. */
  batch?: number;
  /** The C op it is compared with (default: its own name; null: none). */
  reference?: string | null;
  /** Why it cannot run on `pd` (a missing capability), or null. */
  unsupported(pd: PhysicalDevice): string | null;
  /**
   * Makes what the op needs on `a` and `b` (two devices just created) and returns the timed
   * run; dispose the result after the last run.
   */
  prepare(a: Device, b: Device, size: number): Once & Disposable;
  /** What to add to the row's notes once it was measured (the phases of a composite op). */
  notes?(): string[];
  /** A target of `p50 ≤ ratio × C` in place of the usual `max(1.10 × C, C + 2 µs)`. */
  ratio?: number;
}

const ms2ns = 1e6;
const OPAQUE_FD = 1;
const fdOut = () => new Int32Array(new ArrayBuffer(4));
const time = (fn: () => void): number => {
  const t0 = performance.now();
  fn();
  return (performance.now() - t0) * ms2ns;
};
const disposer = (once: Once, ...held: (Disposable | null)[]): Once & Disposable =>
  Object.assign(once, {
    [Symbol.dispose]() {
      for (const h of held.reverse()) h?.[Symbol.dispose]();
    },
  });

/** The mean time of `n` calls of `fn`, in ns. */
const perCall = (n: number, fn: () => void): number =>
  time(() => {
    for (let i = 0; i < n; i++) fn();
  }) / n;

/** The time `make` takes, in ns; what it made is disposed after, outside the timed span. */
const timeMade = (make: () => Disposable): number => {
  let made: Disposable | undefined;
  const t = time(() => made = make());
  made![Symbol.dispose]();
  return t;
};

const semaphoreSupport = (pd: PhysicalDevice, type: "binary" | "timeline"): string | null => {
  if (type === "timeline" && !pd.timelineSemaphores) return "no timelineSemaphore feature";
  const c = externalSemaphoreProperties(pd, { handleType: "OPAQUE_FD", semaphoreType: type });
  return c.exportable && c.importable
    ? null
    : c.unsupported ?? `${type} semaphores are not exportable as OPAQUE_FD`;
};
const fenceSupport = (pd: PhysicalDevice): string | null => {
  const c = externalFenceProperties(pd, { handleType: "OPAQUE_FD" });
  return c.exportable && c.importable ? null : c.unsupported ?? "fences are not exportable";
};
const memorySupport = (pd: PhysicalDevice): string | null => {
  const c = externalBufferProperties(pd, { handleType: "OPAQUE_FD" });
  return c.exportable && c.importable ? null : c.unsupported ?? "OPAQUE_FD is not exportable";
};
let cudaWhy: string | null | undefined;
const cudaSupport = (pd: PhysicalDevice): string | null => {
  if (cudaWhy !== undefined) return cudaWhy;
  try {
    CudaContext.forVulkan(pd)[Symbol.dispose]();
    cudaWhy = null;
  } catch (e) {
    cudaWhy = (e as Error).name === "LibraryLoadError"
      ? "no CUDA driver (libcuda.so.1)"
      : (e as Error).message.split("\n")[0];
  }
  return cudaWhy;
};

/** Why `pd` has nothing to map (no host-visible, coherent memory type), or null. */
const mapSupport = (pd: PhysicalDevice): string | null =>
  pd.memoryTypes.some((t) => t.flags.includes("HOST_VISIBLE") && t.flags.includes("HOST_COHERENT"))
    ? null
    : "no host-visible memory type";
/** Memory `map()` can map. */
const mappable = (a: Device, size: number) =>
  DeviceMemory.allocate(a, { size, properties: ["HOST_VISIBLE", "HOST_COHERENT"] });

const exportable = (a: Device, size: number) =>
  DeviceMemory.allocate(a, { size, exportAs: "OPAQUE_FD", properties: ["DEVICE_LOCAL"] });

/** The capability query and the bare FFI call under it: the cheapest vkshare call. */
const query: Op = {
  name: "query",
  title: "capability query (externalBufferProperties)",
  sized: false,
  batch: 1000,
  unsupported: () => null,
  prepare: (a) => {
    const pd = a.physicalDevice;
    return disposer(() =>
      perCall(1000, () =>
        externalBufferProperties(pd, {
          handleType: "OPAQUE_FD",
          usage: ["TRANSFER_SRC", "TRANSFER_DST"],
        }))
    );
  },
};

const queryFfi: Op = {
  name: "query.ffi",
  title: "the same query as a bare FFI call (no vkshare code)",
  sized: false,
  batch: 1000,
  reference: "query",
  unsupported: () => null,
  prepare: (a) => {
    const arena = new Arena();
    const info = encode(VkPhysicalDeviceExternalBufferInfo, { usage: 3, handleType: 1 }, arena);
    const props = encode(VkExternalBufferProperties, {}, arena);
    const call = vk().vkGetPhysicalDeviceExternalBufferProperties!;
    const h = a.physicalDevice.handle;
    return disposer(() => perCall(1000, () => call(h, info.bytes, props.bytes)), arena);
  },
};

/**
 * The same bare call through a function pointer (vkGetInstanceProcAddr, then the runtime's
 * pointer wrapper: libffi or `Deno.UnsafeFnPointer` on Deno, `CFunction` on Bun, libffi on
 * Node), as every extension command is called: the runtime's own share of a call is this row
 * minus query.ffi.
 */
const queryFnPointer: Op = {
  name: "query.fnpointer",
  title:
    "the same query as a bare call through a function pointer (how extension commands are called)",
  sized: false,
  batch: 1000,
  reference: "query",
  unsupported: () => null,
  prepare: (a) => {
    const { arena, call, args: [h, info, props] } = queryThroughPointer(a);
    return disposer(() => perCall(1000, () => call(h, info, props)), arena);
  },
};

/**
 * The query's function from vkGetInstanceProcAddr, through the runtime's pointer wrapper, with
 * its arguments (their structs in `arena`).
 */
function queryThroughPointer(a: Device) {
  const arena = new Arena();
  const info = encode(VkPhysicalDeviceExternalBufferInfo, { usage: 3, handleType: 1 }, arena);
  const props = encode(VkExternalBufferProperties, {}, arena);
  const name = new TextEncoder().encode("vkGetPhysicalDeviceExternalBufferProperties\0");
  const p = vk().vkGetInstanceProcAddr(a.physicalDevice.instance.handle, name);
  const call = rt.fn(p, { parameters: ["pointer", "buffer", "buffer"], result: "void" } as const);
  const args = [a.physicalDevice.handle, info.bytes, props.bytes] as const;
  return { arena, call, args };
}

/**
 * query.fnpointer's floor where function pointers go through libffi (Deno and Node with
 * VKSHARE_FNPTR=libffi, or without the trampoline): libffi's `ffi_call` alone, its cif and
 * arguments prepared (the runtime's call of `ffi_call`, and libffi's), so that what vkshare adds
 * to a call through a pointer is query.fnpointer minus this.
 */
const queryFfiCall: Op = {
  name: "query.ffi_call",
  title: "the same query as libffi's ffi_call alone (its cif and arguments prepared once)",
  sized: false,
  batch: 1000,
  reference: "query",
  unsupported: () =>
    rt.fnPointers === "libffi"
      ? null
      : `${rt.name} calls function pointers through ${
        rt.fnPointers === "trampoline" ? "vkshare's trampoline" : rt.fnPointers
      }, not libffi${rt.name === "bun" ? "" : " (VKSHARE_FNPTR=libffi runs this row)"}`,
  prepare: (a) => {
    const { arena, call: fn, args } = queryThroughPointer(a);
    fn(...args);
    // The call holds libffi's buffers; its slots hold the structs' addresses, in `arena`.
    const call = libffiCallOf(fn)!;
    return disposer(() => perCall(1000, call), arena);
  },
};

/** What a bare export row exports. */
type ExportKind = "memory" | "binary" | "timeline" | "fence";

/**
 * The bare get-fd call of `held` (exported from `a` as OPAQUE_FD): vkGetMemoryFdKHR,
 * vkGetSemaphoreFdKHR or vkGetFenceFdKHR through this runtime's FFI, its info encoded into
 * `arena` once. The call writes the fd into its argument and returns the VkResult.
 */
function bareGetFd(
  a: Device,
  held: DeviceMemory | Semaphore | Fence,
  arena: Arena,
): (fd: Int32Array) => number {
  const dev = a.live;
  let get: (device: Pointer, info: Uint8Array, fd: Int32Array) => number, info: Uint8Array;
  if (held instanceof DeviceMemory) {
    get = a.extension(VK_KHR_external_memory_fd).vkGetMemoryFdKHR;
    info = encode(VkMemoryGetFdInfoKHR, { memory: held.handle, handleType: OPAQUE_FD }, arena)
      .bytes;
  } else if (held instanceof Fence) {
    get = a.extension(VK_KHR_external_fence_fd).vkGetFenceFdKHR;
    info = encode(VkFenceGetFdInfoKHR, { fence: held.handle, handleType: OPAQUE_FD }, arena).bytes;
  } else {
    get = a.extension(VK_KHR_external_semaphore_fd).vkGetSemaphoreFdKHR;
    info = encode(VkSemaphoreGetFdInfoKHR, { semaphore: held.handle, handleType: OPAQUE_FD }, arena)
      .bytes;
  }
  return (fd) => get(dev, info, fd);
}

/**
 * The export call as a bare FFI call (an arena made once, no checks, no OwnedFd, no descriptor):
 * vkGetMemoryFdKHR, vkGetSemaphoreFdKHR (binary or timeline) or vkGetFenceFdKHR.
 */
function bareExport(name: string, reference: string, what: ExportKind): Op {
  const noun = what === "memory" || what === "fence" ? what : `${what} semaphore`;
  return {
    name,
    title: `the ${noun} export as a bare FFI call (no vkshare code)`,
    sized: what === "memory",
    reference,
    unsupported: what === "memory"
      ? memorySupport
      : what === "fence"
      ? fenceSupport
      : (pd) => semaphoreSupport(pd, what),
    prepare: (a, _b, size) => {
      const arena = new Arena();
      const out = fdOut();
      const close = libc().close;
      const held = what === "memory"
        ? exportable(a, size)
        : what === "fence"
        ? Fence.create(a, { exportAs: "OPAQUE_FD" })
        : Semaphore.create(a, { type: what, exportAs: "OPAQUE_FD" });
      const getFd = bareGetFd(a, held, arena);
      return disposer(
        () => {
          const t = time(() => getFd(out));
          close(out[0]);
          return t;
        },
        held,
        arena,
      );
    },
  };
}

// ---- bare FFI rows: the same driver calls as C, through this runtime's FFI, no vkshare code ----
// Where the driver call itself is slower in this process than in C's (NVIDIA's allocations and
// imports are), these rows show it: the runtime's share, not vkshare's. Structs are encoded
// before the timed span, as C's are initialised; a handle or fd that changes per sample is
// rewritten in a KeptStruct.

/** C's `device_local_type`: the first DEVICE_LOCAL memory type (the first type without one). */
const deviceLocalType = (d: Device): number => {
  const pd = d.physicalDevice;
  const all = (1 << pd.memoryTypes.length) - 1;
  return chooseMemoryType(
    pd.name,
    pd.memoryTypes,
    all,
    0,
    undefined,
    "",
    MemoryProperty.DEVICE_LOCAL,
  );
};

function bareOp(
  name: string,
  reference: string,
  title: string,
  sized: boolean,
  unsupported: (pd: PhysicalDevice) => string | null,
  prepare: (a: Device, b: Device, size: number, arena: Arena) => Once,
): Op {
  return {
    name,
    title: `${title} as bare FFI calls (no vkshare code)`,
    sized,
    reference,
    unsupported,
    prepare: (a, b, size) => {
      const arena = new Arena();
      return disposer(prepare(a, b, size, arena), arena);
    },
  };
}

/** C's VkMemoryAllocateInfo of exportable memory (OPAQUE_FD, its device-local type). */
const exportableInfo = (a: Device, size: number, arena: Arena): Uint8Array =>
  encode(VkMemoryAllocateInfo, {
    pNext: [link(VkExportMemoryAllocateInfo, { handleTypes: OPAQUE_FD })],
    allocationSize: BigInt(size),
    memoryTypeIndex: deviceLocalType(a),
  }, arena).bytes;

/** The bare allocation of C's mem.alloc, and C's import of mem.import. */
const bareMemory: Op[] = [
  bareOp(
    "mem.alloc.ffi",
    "mem.alloc",
    "the allocation",
    true,
    memorySupport,
    (a, _b, size, arena) => {
      const info = exportableInfo(a, size, arena);
      const out = out64(), d = a.handle;
      return () => {
        const t = time(() => vk().vkAllocateMemory(d, info, null, out));
        vk().vkFreeMemory(d, out[0], null);
        return t;
      };
    },
  ),
  bareOp("mem.free.ffi", "mem.free", "the free", true, memorySupport, (a, _b, size, arena) => {
    const info = exportableInfo(a, size, arena);
    const out = out64(), d = a.handle;
    return () => {
      if (vk().vkAllocateMemory(d, info, null, out) !== 0) {
        throw new Error("mem.free.ffi: no memory");
      }
      const m = out[0];
      return time(() => vk().vkFreeMemory(d, m, null));
    };
  }),
  bareOp("mem.import.ffi", "mem.import", "the import", true, memorySupport, (a, b, size, arena) => {
    const m = exportable(a, size);
    arena.keep(m);
    const getFd = bareGetFd(a, m, arena);
    const importInfo = new KeptStruct(VkImportMemoryFdInfoKHR, { handleType: OPAQUE_FD, fd: -1 });
    const info = new KeptStruct(VkMemoryAllocateInfo, {
      allocationSize: BigInt(size),
      memoryTypeIndex: m.memoryTypeIndex,
    });
    // The import struct is kept apart: chained by address, its fd rewritten per sample.
    info.setU64("pNext", importInfo.address);
    const fd = fdOut(), out = out64();
    return () => {
      getFd(fd);
      importInfo.setI32("fd", fd[0]);
      const t = time(() => vk().vkAllocateMemory(b.handle, info.bytes, null, out));
      vk().vkFreeMemory(b.handle, out[0], null);
      return t;
    };
  }),
];

/** The bare create of `<prefix>.create` and import of `<prefix>.import`: C's calls. */
function bareSync(kind: "binary" | "timeline" | "fence"): Op[] {
  const prefix = kind === "binary" ? "sem" : kind === "timeline" ? "tsem" : "fence";
  const what = kind === "fence" ? "fence" : `${kind} semaphore`;
  const unsupported = kind === "fence"
    ? fenceSupport
    : (pd: PhysicalDevice) => semaphoreSupport(pd, kind);
  /** The create info of an exportable (or not) object of this kind. */
  const createInfo = (exportable: boolean, arena: Arena) =>
    kind === "fence"
      ? encode(VkFenceCreateInfo, {
        pNext: exportable ? [link(VkExportFenceCreateInfo, { handleTypes: OPAQUE_FD })] : [],
      }, arena).bytes
      : encode(VkSemaphoreCreateInfo, {
        pNext: [
          link(VkSemaphoreTypeCreateInfo, { semaphoreType: kind === "timeline" ? 1 : 0 }),
          ...(exportable ? [link(VkExportSemaphoreCreateInfo, { handleTypes: OPAQUE_FD })] : []),
        ],
      }, arena).bytes;
  const create = (d: Device, info: Uint8Array, out: BigUint64Array) =>
    kind === "fence"
      ? vk().vkCreateFence(d.handle, info, null, out)
      : vk().vkCreateSemaphore(d.handle, info, null, out);
  const destroy = (d: Device, h: bigint) =>
    kind === "fence"
      ? vk().vkDestroyFence(d.handle, h, null)
      : vk().vkDestroySemaphore(d.handle, h, null);
  return [
    bareOp(
      `${prefix}.create.ffi`,
      `${prefix}.create`,
      `the ${what} create`,
      false,
      unsupported,
      (a, _b, _s, arena) => {
        const info = createInfo(true, arena), out = out64();
        return () => {
          const t = time(() => create(a, info, out));
          destroy(a, out[0]);
          return t;
        };
      },
    ),
    bareOp(
      `${prefix}.import.ffi`,
      `${prefix}.import`,
      `the ${what} create and import`,
      false,
      unsupported,
      (a, b, _s, arena) => {
        const info = createInfo(false, arena), out = out64(), fd = fdOut();
        // The two kinds' calls differ in names only: the exported object, its import struct
        // and command, by kind.
        const held = kind === "fence"
          ? Fence.create(a, { exportAs: "OPAQUE_FD" })
          : Semaphore.create(a, { type: kind, exportAs: "OPAQUE_FD" });
        arena.keep(held);
        const k = kind === "fence"
          ? {
            table: VK_KHR_external_fence_fd,
            import: "vkImportFenceFdKHR",
            importInfo: VkImportFenceFdInfoKHR,
            field: "fence",
          }
          : {
            table: VK_KHR_external_semaphore_fd,
            import: "vkImportSemaphoreFdKHR",
            importInfo: VkImportSemaphoreFdInfoKHR,
            field: "semaphore",
          };
        type Call = (...args: unknown[]) => number;
        const put = (b.extension(k.table) as unknown as Record<string, Call>)[k.import];
        const get = bareGetFd(a, held, arena);
        const imp = new KeptStruct(k.importInfo as typeof VkImportFenceFdInfoKHR, {
          handleType: OPAQUE_FD,
          fd: -1,
        });
        const getFd = () => {
          get(fd);
          imp.setI32("fd", fd[0]);
        };
        const importFd = (h: bigint) => {
          imp.setU64(k.field as "fence", h);
          return put(b.live, imp.bytes);
        };
        return () => {
          getFd();
          const t = time(() => {
            create(b, info, out);
            importFd(out[0]);
          });
          destroy(b, out[0]);
          return t;
        };
      },
    ),
  ];
}

/** The bare host signal and wait of timeline.signal_wait. */
const bareTimeline: Op = bareOp(
  "timeline.signal_wait.ffi",
  "timeline.signal_wait",
  "the host signal and wait",
  false,
  (pd) => semaphoreSupport(pd, "timeline"),
  (a, b, _s, arena) => {
    const s = Semaphore.create(a, { type: "timeline", exportAs: "OPAQUE_FD" });
    using e = s.exportFd("OPAQUE_FD");
    const sb = Semaphore.importFd(b, e.fd, e.descriptor);
    arena.keep(s);
    arena.keep(sb);
    const signal = new KeptStruct(VkSemaphoreSignalInfo, { semaphore: s.handle, value: 0n });
    const wait = new KeptStruct(VkSemaphoreWaitInfo, { pSemaphores: [sb.handle], pValues: [0n] });
    let v = 0n;
    return () => {
      const n = ++v;
      signal.setU64("value", n);
      wait.setU64Element("pValues", 0, n);
      return time(() => {
        vk().vkSignalSemaphore!(a.live, signal.bytes);
        if (vk().vkWaitSemaphores!(b.live, wait.bytes, 10_000_000_000n) !== 0) {
          throw new Error(`timeline.signal_wait.ffi: no value ${n}`);
        }
      });
    };
  },
);

const memory: Op[] = [
  {
    name: "mem.alloc",
    title: "allocate exportable memory (OPAQUE_FD)",
    sized: true,
    unsupported: memorySupport,
    prepare: (a, _b, size) => disposer(() => timeMade(() => exportable(a, size))),
  },
  {
    name: "mem.export",
    title: "export memory as an fd",
    sized: true,
    unsupported: memorySupport,
    prepare: (a, _b, size) => {
      const m = exportable(a, size);
      return disposer(() => timeMade(() => m.exportFd("OPAQUE_FD")), m);
    },
  },
  bareExport("mem.export.ffi", "mem.export", "memory"),
  {
    name: "mem.import",
    title: "import the fd into a second device",
    sized: true,
    unsupported: memorySupport,
    prepare: (a, b, size) => {
      const m = exportable(a, size);
      return disposer(() => {
        using e = m.exportFd("OPAQUE_FD");
        return timeMade(() => DeviceMemory.importFd(b, e.fd, e.descriptor));
      }, m);
    },
  },
  {
    name: "mem.map",
    title: "map host-visible memory (the first map)",
    sized: true,
    unsupported: mapSupport,
    prepare: (a, _b, size) => {
      const m = mappable(a, size);
      return disposer(() => {
        const t = time(() => m.map());
        m.unmap();
        return t;
      }, m);
    },
  },
  {
    name: "mem.map.ffi",
    title: "the first map as bare FFI calls: vkMapMemory and the runtime's ArrayBuffer over it",
    sized: true,
    reference: "mem.map",
    unsupported: mapSupport,
    prepare: (a, _b, size) => {
      const m = mappable(a, size);
      const out = new BigUint64Array(new ArrayBuffer(8));
      const bytes = new Uint8Array(out.buffer);
      const d = a.handle;
      return disposer(() => {
        let view: Uint8Array | undefined;
        const t = time(() => {
          vk().vkMapMemory(d, m.handle, 0n, 0xffff_ffff_ffff_ffffn, 0, bytes);
          view = new Uint8Array(rt.view(rt.pointer(out[0]), size));
        });
        // Detached before the unmap, as vkshare's unmap() does (and as any script must, so
        // that no view is left over unmapped memory).
        (view!.buffer as ArrayBuffer).transfer(0);
        vk().vkUnmapMemory(d, m.handle);
        return t;
      }, m);
    },
  },
  {
    name: "mem.map.again",
    title: "map() of memory already mapped (the same view comes back)",
    sized: true,
    batch: 100,
    reference: null,
    unsupported: mapSupport,
    prepare: (a, _b, size) => {
      const m = mappable(a, size);
      m.map();
      return disposer(() => perCall(100, () => m.map()), m);
    },
  },
  {
    name: "mem.free",
    title: "free exportable memory",
    sized: true,
    unsupported: memorySupport,
    prepare: (a, _b, size) =>
      disposer(() => {
        const m = exportable(a, size);
        return time(() => m[Symbol.dispose]());
      }),
  },
];

/** Create, export and import ops of a semaphore or fence kind, named `<prefix>.create` etc. */
function syncOps<T extends Disposable & { exportFd(h: "OPAQUE_FD"): SyncExport }>(
  prefix: string,
  what: string,
  make: (d: Device) => T,
  importInto: (d: Device, e: SyncExport) => Disposable,
  unsupported: (pd: PhysicalDevice) => string | null,
): Op[] {
  return [
    {
      name: `${prefix}.create`,
      title: `create an exportable ${what}`,
      sized: false,
      unsupported,
      prepare: (a) => disposer(() => timeMade(() => make(a))),
    },
    {
      name: `${prefix}.export`,
      title: `export a ${what}`,
      sized: false,
      unsupported,
      prepare: (a) => {
        const s = make(a);
        return disposer(() => timeMade(() => s.exportFd("OPAQUE_FD")), s);
      },
    },
    {
      name: `${prefix}.import`,
      title: `import a ${what} into a new one on a second device`,
      sized: false,
      unsupported,
      prepare: (a, b) => {
        const s = make(a);
        return disposer(() => {
          using e = s.exportFd("OPAQUE_FD");
          return timeMade(() => importInto(b, e));
        }, s);
      },
    },
  ];
}

const semaphoreOps = (type: "binary" | "timeline"): Op[] =>
  syncOps(
    type === "timeline" ? "tsem" : "sem",
    `${type} semaphore`,
    (d) => Semaphore.create(d, { type, exportAs: "OPAQUE_FD" }),
    (d, e) => Semaphore.importFd(d, e.fd, e.descriptor),
    (pd) => semaphoreSupport(pd, type),
  );

const fences: Op[] = syncOps(
  "fence",
  "fence",
  (d) => Fence.create(d, { exportAs: "OPAQUE_FD" }),
  (d, e) => Fence.importFd(d, e.fd, e.descriptor),
  fenceSupport,
);

const timeline: Op = {
  name: "timeline.signal_wait",
  title: "timeline: host signal on one device, wait on the other",
  sized: false,
  unsupported: (pd) => semaphoreSupport(pd, "timeline"),
  prepare: (a, b) => {
    const s = Semaphore.create(a, { type: "timeline", exportAs: "OPAQUE_FD" });
    using e = s.exportFd("OPAQUE_FD");
    const sb = Semaphore.importFd(b, e.fd, e.descriptor);
    let v = 0n;
    return disposer(
      () => {
        const n = ++v;
        return time(() => {
          s.signal(n);
          if (sb.wait(n, 10_000) !== "signaled") throw new Error(`timeline: no value ${n}`);
        });
      },
      s,
      sb,
    );
  },
};

/** The p50 of `xs` (ns), as the report writes durations. */
const p50 = (xs: number[]): string => duration([...xs].sort((x, y) => x - y)[xs.length >> 1]);

/**
 * One cycle of tests/sync/soak_test.ts, as vkbench's sync.soak makes it: a binary semaphore
 * created, exported, imported, signaled by a submission on A and waited by one on B (a fence on
 * the host); a timeline one created, exported, imported, signaled through B and read through A;
 * a fence created, exported, imported; then the six objects disposed. The phases' p50s go to the
 * row's notes, beside C's.
 */
function syncSoak(): Op {
  const phases: number[][] = [[], [], [], []];
  return {
    name: "sync.soak",
    title: "sync soak: one cycle (binary, timeline, fence: create, export, import, use; dispose)",
    sized: false,
    ratio: 1.15,
    unsupported: (pd) =>
      semaphoreSupport(pd, "binary") ?? semaphoreSupport(pd, "timeline") ?? fenceSupport(pd),
    prepare: (a, b) => {
      const done = Fence.create(b);
      let n = 0;
      return disposer(() => {
        n++;
        const t = [performance.now()];
        const sa = Semaphore.create(a, { exportAs: "OPAQUE_FD" });
        const se = sa.exportFd();
        const sb = Semaphore.importFd(b, se.fd, se.descriptor);
        a.queue().submit({ signal: [sa] });
        b.queue().submit({ wait: [sb], fence: done });
        if (done.wait(10_000) !== "signaled") throw new Error("sync.soak: no signal");
        done.reset();
        t.push(performance.now());
        const ta = Semaphore.create(a, {
          type: "timeline",
          initialValue: n,
          exportAs: "OPAQUE_FD",
        });
        const te = ta.exportFd();
        const tb = Semaphore.importFd(b, te.fd, te.descriptor);
        tb.signal(n + 1);
        if (ta.value !== BigInt(n + 1)) {
          throw new Error("sync.soak: the timeline read another value");
        }
        t.push(performance.now());
        const fa = Fence.create(a, { exportAs: "OPAQUE_FD" });
        const fe = fa.exportFd();
        const fb = Fence.importFd(b, fe.fd, fe.descriptor);
        t.push(performance.now());
        for (const x of [fb, fa, tb, ta, sb, sa]) x[Symbol.dispose]();
        t.push(performance.now());
        for (let i = 0; i < 4; i++) phases[i].push((t[i + 1] - t[i]) * ms2ns);
        return (t[4] - t[0]) * ms2ns;
      }, done);
    },
    notes: () =>
      phases[0].length
        ? [
          `vkshare per cycle (p50 over every round's cycles, warm-up included): binary ${
            p50(phases[0])
          }, timeline ${p50(phases[1])}, fence ${p50(phases[2])}, disposals ${p50(phases[3])}`,
        ]
        : [],
  };
}

const cuda: Op[] = [
  {
    name: "cuda.memory",
    title: "CUDA: import memory (cuImportExternalMemory)",
    sized: true,
    unsupported: (pd) => memorySupport(pd) ?? cudaSupport(pd),
    prepare: (a, _b, size) => {
      const ctx = CudaContext.forVulkan(a);
      const m = exportable(a, size);
      return disposer(
        () => {
          using e = m.exportFd("OPAQUE_FD");
          return timeMade(() => ctx.importMemory(e.fd, e.descriptor));
        },
        ctx,
        m,
      );
    },
  },
  {
    name: "cuda.semaphore",
    title: "CUDA: import a timeline semaphore (cuImportExternalSemaphore)",
    sized: false,
    unsupported: (pd) => semaphoreSupport(pd, "timeline") ?? cudaSupport(pd),
    prepare: (a) => {
      const ctx = CudaContext.forVulkan(a);
      const s = Semaphore.create(a, { type: "timeline", exportAs: "OPAQUE_FD" });
      return disposer(
        () => {
          using e = s.exportFd("OPAQUE_FD");
          return timeMade(() => ctx.importSemaphore(e.fd, e.descriptor));
        },
        ctx,
        s,
      );
    },
  },
];

const gl: Op = {
  name: "gl.import",
  title: "GL: import memory as a buffer (glImportMemoryFdEXT, glNamedBufferStorageMemEXT)",
  sized: true,
  unsupported: (pd) => {
    const gl = probeGl(pd);
    return memorySupport(pd) ?? (typeof gl === "string" ? gl : null);
  },
  prepare: (a, _b, size) => {
    const ctx = GlContext.create({ deviceUUID: a.physicalDevice });
    const m = exportable(a, size);
    return disposer(
      () => {
        using e = m.exportFd("OPAQUE_FD");
        return timeMade(() => GlBuffer.import(ctx, e.fd, e.descriptor));
      },
      m,
      ctx,
    );
  },
};

/** Why GL cannot hand semaphores to and from `pd`'s Vulkan, or null. */
const glSemaphoreSupport = (pd: PhysicalDevice): string | null => {
  const facts = probeGl(pd);
  if (typeof facts === "string") return facts;
  return semaphoreSupport(pd, "binary")
    ?? (facts.extensions.includes("GL_EXT_semaphore_fd")
      ? null
      : `${facts.name} has no GL_EXT_semaphore_fd`);
};

/**
 * The GL semaphore round trip: Vulkan signals a binary semaphore, GL waits for it and signals
 * another, Vulkan waits for that with a fence. Both semaphores are imported into GL once.
 */
const glSemaphore: Op = {
  name: "gl.semaphore",
  title:
    "GL: semaphore round trip (Vulkan signal, glWaitSemaphoreEXT, glSignalSemaphoreEXT, Vulkan fence wait)",
  sized: false,
  unsupported: glSemaphoreSupport,
  prepare: (a) => {
    const ctx = GlContext.create({ deviceUUID: a.physicalDevice });
    const toGl = Semaphore.create(a, { exportAs: "OPAQUE_FD" });
    const toVulkan = Semaphore.create(a, { exportAs: "OPAQUE_FD" });
    const fence = Fence.create(a);
    const imported = [toGl, toVulkan].map((s) => {
      using e = s.exportFd("OPAQUE_FD");
      return GlSemaphore.import(ctx, e.fd, e.descriptor);
    });
    const queue = a.queue();
    const waitBack = [{ semaphore: toVulkan, stage: "ALL_COMMANDS" as const }];
    return disposer(
      () => {
        const t = time(() => {
          queue.submit({ signal: [toGl] });
          imported[0].wait();
          imported[1].signal();
          queue.submit({ wait: waitBack, fence });
          if (fence.wait(10_000) !== "signaled") throw new Error("gl.semaphore: no signal back");
        });
        fence.reset();
        return t;
      },
      ctx,
      toGl,
      toVulkan,
      fence,
      ...imported,
    );
  },
};

/**
 * The bare CUDA imports of cuda.memory and cuda.semaphore: C's calls through this runtime's FFI,
 * the device's primary context made current once (as C's setup does), the handle description
 * encoded before the timed span with only its fd rewritten per sample.
 */
function bareCudaImport(what: "memory" | "semaphore"): Op {
  return {
    name: `cuda.${what}.ffi`,
    title: `the CUDA ${what} import as a bare FFI call (no vkshare code)`,
    sized: what === "memory",
    reference: `cuda.${what}`,
    unsupported: (pd) =>
      (what === "memory" ? memorySupport(pd) : semaphoreSupport(pd, "timeline"))
        ?? cudaSupport(pd),
    prepare: (a, _b, size) => {
      const cu = cudaLib();
      const ordinal = (() => {
        using c = CudaContext.forVulkan(a);
        return c.device.ordinal;
      })();
      const ctx = out64();
      cu.cuDevicePrimaryCtxRetain(ctx, ordinal);
      cu.cuCtxPushCurrent_v2(ctx[0]);
      const arena = new Arena();
      const held = what === "memory"
        ? exportable(a, size)
        : Semaphore.create(a, { type: "timeline", exportAs: "OPAQUE_FD" });
      const getFd = bareGetFd(a, held, arena);
      // The import and destroy calls and the handle description, of memory or a semaphore.
      const c = what === "memory"
        ? {
          desc: new KeptStruct(CUDA_EXTERNAL_MEMORY_HANDLE_DESC, {
            type: CU_EXTERNAL_MEMORY_HANDLE_TYPE.OPAQUE_FD,
            handle: -1,
            size: BigInt(size),
            flags: 0,
          }),
          import: cu.cuImportExternalMemory,
          destroy: cu.cuDestroyExternalMemory,
        }
        : {
          desc: new KeptStruct(CUDA_EXTERNAL_SEMAPHORE_HANDLE_DESC, {
            type: CU_EXTERNAL_SEMAPHORE_HANDLE_TYPE.TIMELINE_SEMAPHORE_FD,
            handle: -1,
            flags: 0,
          }),
          import: cu.cuImportExternalSemaphore,
          destroy: cu.cuDestroyExternalSemaphore,
        };
      const fd = fdOut(), ext = out64();
      const once = () => {
        getFd(fd);
        c.desc.setI32("handle", fd[0]);
        const t = time(() => c.import(ext, c.desc.bytes));
        c.destroy(ext[0]);
        return t;
      };
      return disposer(once, held, arena, {
        [Symbol.dispose]() {
          cu.cuCtxPopCurrent_v2(out64());
          cu.cuDevicePrimaryCtxRelease_v2(ordinal);
        },
      });
    },
  };
}

const bareCuda: Op[] = [bareCudaImport("memory"), bareCudaImport("semaphore")];

/**
 * What vkshare adds to the calls above, each alone: the fd hygiene of DRIVERS.md (is it open,
 * close-on-exec, what it is, a dup imported in its place) and the counter read of a timeline
 * signal's check. No C side: they are the difference between the two.
 */
const pieces: Op[] = [
  {
    name: "piece.fcntl",
    title: "piece: fcntl(F_GETFD) through FFI (is it open, is it close-on-exec)",
    sized: false,
    batch: 100,
    reference: null,
    unsupported: () => null,
    prepare: () => disposer(() => perCall(100, () => isOpenFd(0))),
  },
  {
    name: "piece.readlink",
    title: "piece: readlink(/proc/self/fd/N) through FFI (what the fd is: describeFd)",
    sized: false,
    batch: 100,
    reference: null,
    unsupported: () => null,
    prepare: () => disposer(() => perCall(100, () => describeFd(0))),
  },
  {
    name: "piece.dup_close",
    title: "piece: a close-on-exec dup and its close through FFI (an import's dup)",
    sized: false,
    batch: 100,
    reference: null,
    unsupported: () => null,
    prepare: () => disposer(() => perCall(100, () => OwnedFd.dupOf(0).close())),
  },
  {
    name: "piece.counter",
    title:
      "piece: a timeline semaphore's counter (vkGetSemaphoreCounterValue), as a signal's check reads it",
    sized: false,
    reference: null,
    unsupported: (pd) => pd.timelineSemaphores ? null : "no timelineSemaphore feature",
    prepare: (a) => {
      const s = Semaphore.create(a, { type: "timeline" });
      return disposer(() => time(() => s.value), s);
    },
  },
];

/** Every operation, in report order. */
export const OPS: readonly Op[] = besideTheirReference([
  query,
  queryFfi,
  queryFnPointer,
  queryFfiCall,
  ...memory,
  ...bareMemory,
  ...semaphoreOps("binary"),
  bareExport("sem.export.ffi", "sem.export", "binary"),
  ...bareSync("binary"),
  ...semaphoreOps("timeline"),
  bareExport("tsem.export.ffi", "tsem.export", "timeline"),
  ...bareSync("timeline"),
  ...fences,
  bareExport("fence.export.ffi", "fence.export", "fence"),
  ...bareSync("fence"),
  timeline,
  bareTimeline,
  syncSoak(),
  ...cuda,
  ...bareCuda,
  gl,
  glSemaphore,
  ...pieces,
]);

/** `ops` with each bare row (`x.ffi`) moved right after the row it is the bare call of. */
function besideTheirReference(ops: Op[]): Op[] {
  const bare = ops.filter((o) => o.name.endsWith(".ffi") && o.reference && o.reference !== o.name);
  const rest = ops.filter((o) => !bare.includes(o));
  for (const b of bare) {
    const at = rest.findIndex((o) => o.name === b.reference);
    rest.splice(at < 0 ? rest.length : at + 1, 0, b);
  }
  return rest;
}
