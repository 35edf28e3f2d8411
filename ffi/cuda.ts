/**
 * libcuda (the CUDA driver API), through the same FFI layer as libvulkan: opened on first use
 * only, from `VKSHARE_LIBCUDA`, a path given by the caller, or `libcuda.so.1`. No CUDA toolkit
 * and no compilation: libcuda.so.1 comes with the NVIDIA driver.
 *
 * Symbols are the ABI names that cuda.h's macros resolve to (`cuMemFree` is `cuMemFree_v2`,
 * `cuDeviceGetUuid` is `cuDeviceGetUuid_v2`). Opaque handles (CUcontext, CUstream,
 * CUexternalMemory, CUexternalSemaphore) are pointers and CUdeviceptr is `unsigned long long`:
 * all are passed as 64-bit integers, which on the LP64 ABIs vkshare supports (x86_64, aarch64)
 * travel exactly like pointers. Out-parameters are typed arrays.
 *
 * The struct layouts are declared here and checked against cuda.h by a C compiler
 * (`deno task layouts` writes tests/ffi/cuda_layouts.{c,json}).
 *
 * @module
 */
import { array, defineStruct, i32, struct, u16, u32, u64, u8, union, voidPtr } from "./layout.ts";
import type {
  ArrayField,
  BigIntField,
  FieldType,
  NumberField,
  StructDef,
  StructField,
  UnionField,
  VoidPtrField,
} from "./layout.ts";
import { openFirst } from "./library.ts";
import type { FunctionsOf, Library } from "./types.ts";

/** libcuda symbols, each parameter with its C type. */
export const CUDA = {
  cuInit: { parameters: ["u32"], result: "i32" }, // unsigned int Flags
  cuDriverGetVersion: { parameters: ["buffer"], result: "i32" }, // int* driverVersion
  cuGetErrorName: { parameters: ["i32", "buffer"], result: "i32" }, // CUresult, const char**
  cuGetErrorString: { parameters: ["i32", "buffer"], result: "i32" }, // CUresult, const char**
  cuDeviceGetCount: { parameters: ["buffer"], result: "i32" }, // int* count
  cuDeviceGet: { parameters: ["buffer", "i32"], result: "i32" }, // CUdevice*, int ordinal
  cuDeviceGetName: { parameters: ["buffer", "i32", "i32"], result: "i32" }, // char*, int len, CUdevice
  cuDeviceGetUuid_v2: { parameters: ["buffer", "i32"], result: "i32" }, // CUuuid*, CUdevice
  cuDeviceGetAttribute: { parameters: ["buffer", "i32", "i32"], result: "i32" }, // int*, attrib, CUdevice
  cuDeviceTotalMem_v2: { parameters: ["buffer", "i32"], result: "i32" }, // size_t*, CUdevice
  cuDevicePrimaryCtxRetain: { parameters: ["buffer", "i32"], result: "i32" }, // CUcontext*, CUdevice
  cuDevicePrimaryCtxRelease_v2: { parameters: ["i32"], result: "i32" }, // CUdevice
  cuCtxPushCurrent_v2: { parameters: ["u64"], result: "i32" }, // CUcontext
  cuCtxPopCurrent_v2: { parameters: ["buffer"], result: "i32" }, // CUcontext*
  cuCtxGetCurrent: { parameters: ["buffer"], result: "i32" }, // CUcontext*
  cuCtxSetCurrent: { parameters: ["u64"], result: "i32" }, // CUcontext
  cuCtxSynchronize: { parameters: [], result: "i32" },
  cuStreamCreate: { parameters: ["buffer", "u32"], result: "i32" }, // CUstream*, unsigned int Flags
  cuStreamDestroy_v2: { parameters: ["u64"], result: "i32" }, // CUstream
  cuStreamQuery: { parameters: ["u64"], result: "i32" }, // CUstream
  cuStreamSynchronize: { parameters: ["u64"], result: "i32" }, // CUstream
  cuImportExternalMemory: { parameters: ["buffer", "buffer"], result: "i32" }, // CUexternalMemory*, const CUDA_EXTERNAL_MEMORY_HANDLE_DESC*
  cuExternalMemoryGetMappedBuffer: {
    parameters: [
      "buffer", // CUdeviceptr* devPtr
      "u64", // CUexternalMemory extMem
      "buffer", // const CUDA_EXTERNAL_MEMORY_BUFFER_DESC* bufferDesc
    ],
    result: "i32",
  },
  cuDestroyExternalMemory: { parameters: ["u64"], result: "i32" }, // CUexternalMemory
  cuMemFree_v2: { parameters: ["u64"], result: "i32" }, // CUdeviceptr
  cuMemcpyHtoD_v2: { parameters: ["u64", "buffer", "usize"], result: "i32" }, // CUdeviceptr dst, const void* src, size_t
  cuMemcpyDtoH_v2: { parameters: ["buffer", "u64", "usize"], result: "i32" }, // void* dst, CUdeviceptr src, size_t
  cuMemsetD32_v2: { parameters: ["u64", "u32", "usize"], result: "i32" }, // CUdeviceptr, unsigned int, size_t N
  cuImportExternalSemaphore: { parameters: ["buffer", "buffer"], result: "i32" }, // CUexternalSemaphore*, const CUDA_EXTERNAL_SEMAPHORE_HANDLE_DESC*
  cuDestroyExternalSemaphore: { parameters: ["u64"], result: "i32" }, // CUexternalSemaphore
  cuSignalExternalSemaphoresAsync: {
    parameters: [
      "buffer", // const CUexternalSemaphore* extSemArray
      "buffer", // const CUDA_EXTERNAL_SEMAPHORE_SIGNAL_PARAMS* paramsArray
      "u32", // unsigned int numExtSems
      "u64", // CUstream stream
    ],
    result: "i32",
  },
  cuWaitExternalSemaphoresAsync: {
    parameters: [
      "buffer", // const CUexternalSemaphore* extSemArray
      "buffer", // const CUDA_EXTERNAL_SEMAPHORE_WAIT_PARAMS* paramsArray
      "u32", // unsigned int numExtSems
      "u64", // CUstream stream
    ],
    result: "i32",
  },
  cuMemGetAllocationGranularity: {
    parameters: [
      "buffer", // size_t* granularity
      "buffer", // const CUmemAllocationProp* prop
      "u32", // CUmemAllocationGranularity_flags option
    ],
    result: "i32",
  },
  cuMemCreate: {
    parameters: [
      "buffer", // CUmemGenericAllocationHandle* handle
      "usize", // size_t size
      "buffer", // const CUmemAllocationProp* prop
      "u64", // unsigned long long flags
    ],
    result: "i32",
  },
  cuMemRelease: { parameters: ["u64"], result: "i32" }, // CUmemGenericAllocationHandle
  cuMemAddressReserve: {
    parameters: [
      "buffer", // CUdeviceptr* ptr
      "usize", // size_t size
      "usize", // size_t alignment
      "u64", // CUdeviceptr addr
      "u64", // unsigned long long flags
    ],
    result: "i32",
  },
  cuMemAddressFree: { parameters: ["u64", "usize"], result: "i32" }, // CUdeviceptr, size_t
  cuMemMap: {
    parameters: [
      "u64", // CUdeviceptr ptr
      "usize", // size_t size
      "usize", // size_t offset
      "u64", // CUmemGenericAllocationHandle handle
      "u64", // unsigned long long flags
    ],
    result: "i32",
  },
  cuMemUnmap: { parameters: ["u64", "usize"], result: "i32" }, // CUdeviceptr, size_t
  cuMemSetAccess: {
    parameters: [
      "u64", // CUdeviceptr ptr
      "usize", // size_t size
      "buffer", // const CUmemAccessDesc* desc
      "usize", // size_t count
    ],
    result: "i32",
  },
  cuMemExportToShareableHandle: {
    parameters: [
      "buffer", // void* shareableHandle (an int for a POSIX fd)
      "u64", // CUmemGenericAllocationHandle handle
      "u32", // CUmemAllocationHandleType handleType
      "u64", // unsigned long long flags
    ],
    result: "i32",
  },
} as const;

/**
 * The environment variable that names the libcuda to load.
 *
 * @example
 * ```ts
 * Deno.env.get(LIBCUDA_ENV); // "VKSHARE_LIBCUDA": a libcuda to load instead of libcuda.so.1
 * ```
 *
 * @category CUDA
 */
export const LIBCUDA_ENV = "VKSHARE_LIBCUDA";

/**
 * What to install to get libcuda.
 *
 * @example
 * ```ts
 * console.error(CUDA_INSTALL_HINT); // where libcuda comes from
 * ```
 *
 * @category CUDA
 */
export const CUDA_INSTALL_HINT =
  "libcuda.so.1 comes with the NVIDIA driver (on Debian: the libcuda1 package); vkshare needs no CUDA toolkit";

const libs = new Map<string, Library<typeof CUDA>>();

/**
 * The libcuda functions; opens the library on the first call (throws LibraryLoadError). With
 * `path`, that file is opened (once) instead of `VKSHARE_LIBCUDA` or the usual names.
 */
export function cuda(path?: string): FunctionsOf<typeof CUDA> {
  const key = path ?? "";
  let lib = libs.get(key);
  if (!lib) {
    const paths = path ? [path] : ["libcuda.so.1", "libcuda.so"];
    lib = openFirst("libcuda", path ? "" : LIBCUDA_ENV, paths, CUDA, CUDA_INSTALL_HINT);
    libs.set(key, lib);
  }
  return lib.symbols;
}

/** `CUDA_SUCCESS`. */
export const CUDA_SUCCESS = 0;
/** `CUDA_ERROR_NOT_READY`: cuStreamQuery's answer while work is pending. */
export const CUDA_ERROR_NOT_READY = 600;
/** `CU_STREAM_DEFAULT`: a stream that synchronizes with the legacy default stream. */
export const CU_STREAM_DEFAULT = 0;
/** `CUDA_EXTERNAL_MEMORY_DEDICATED`. */
export const CUDA_EXTERNAL_MEMORY_DEDICATED = 1;
/** `CUexternalMemoryHandleType`. */
export const CU_EXTERNAL_MEMORY_HANDLE_TYPE = { OPAQUE_FD: 1, DMABUF_FD: 9 } as const;
/** `CUexternalSemaphoreHandleType`. */
export const CU_EXTERNAL_SEMAPHORE_HANDLE_TYPE = {
  OPAQUE_FD: 1,
  TIMELINE_SEMAPHORE_FD: 9,
} as const;
/** `CU_MEM_HANDLE_TYPE_POSIX_FILE_DESCRIPTOR`. */
export const CU_MEM_HANDLE_TYPE_POSIX_FILE_DESCRIPTOR = 1;
/** `CU_MEM_ALLOCATION_TYPE_PINNED`. */
export const CU_MEM_ALLOCATION_TYPE_PINNED = 1;
/** `CU_MEM_LOCATION_TYPE_DEVICE`. */
export const CU_MEM_LOCATION_TYPE_DEVICE = 1;
/** `CU_MEM_ACCESS_FLAGS_PROT_READWRITE`. */
export const CU_MEM_ACCESS_FLAGS_PROT_READWRITE = 3;
/** `CU_MEM_ALLOC_GRANULARITY_MINIMUM`. */
export const CU_MEM_ALLOC_GRANULARITY_MINIMUM = 0;
/** `CUdevice_attribute` values vkshare reads. */
export const CU_DEVICE_ATTRIBUTE = {
  PCI_BUS_ID: 33,
  VIRTUAL_MEMORY_MANAGEMENT_SUPPORTED: 102,
  HANDLE_TYPE_POSIX_FILE_DESCRIPTOR_SUPPORTED: 103,
  TIMELINE_SEMAPHORE_INTEROP_SUPPORTED: 114,
} as const;

const uint = (): NumberField => u32("unsigned int");
const ull = (): BigIntField => u64("unsigned long long");
// `union { int fd; struct { void* handle; const void* name; } win32; const void* nvSci...; }`
const fdUnion = (): UnionField<NumberField> => union("union", 16, 8, i32("int"));

/** `CUDA_EXTERNAL_MEMORY_HANDLE_DESC`: what cuImportExternalMemory imports. */
export const CUDA_EXTERNAL_MEMORY_HANDLE_DESC: StructDef<
  "CUDA_EXTERNAL_MEMORY_HANDLE_DESC",
  {
    type: NumberField;
    handle: UnionField<NumberField>;
    size: BigIntField;
    flags: NumberField;
    reserved: ArrayField<NumberField>;
  },
  never
> = defineStruct("CUDA_EXTERNAL_MEMORY_HANDLE_DESC", {
  type: u32("CUexternalMemoryHandleType"),
  handle: fdUnion(),
  size: ull(),
  flags: uint(),
  reserved: array(uint(), 16),
});

/** `CUDA_EXTERNAL_MEMORY_BUFFER_DESC`: the range cuExternalMemoryGetMappedBuffer maps. */
export const CUDA_EXTERNAL_MEMORY_BUFFER_DESC: StructDef<
  "CUDA_EXTERNAL_MEMORY_BUFFER_DESC",
  { offset: BigIntField; size: BigIntField; flags: NumberField; reserved: ArrayField<NumberField> },
  never
> = defineStruct("CUDA_EXTERNAL_MEMORY_BUFFER_DESC", {
  offset: ull(),
  size: ull(),
  flags: uint(),
  reserved: array(uint(), 16),
});

/** `CUDA_EXTERNAL_SEMAPHORE_HANDLE_DESC`: what cuImportExternalSemaphore imports. */
export const CUDA_EXTERNAL_SEMAPHORE_HANDLE_DESC: StructDef<
  "CUDA_EXTERNAL_SEMAPHORE_HANDLE_DESC",
  {
    type: NumberField;
    handle: UnionField<NumberField>;
    flags: NumberField;
    reserved: ArrayField<NumberField>;
  },
  never
> = defineStruct(
  "CUDA_EXTERNAL_SEMAPHORE_HANDLE_DESC",
  {
    type: u32("CUexternalSemaphoreHandleType"),
    handle: fdUnion(),
    flags: uint(),
    reserved: array(uint(), 16),
  },
);

/**
 * The anonymous `params` of `CUDA_EXTERNAL_SEMAPHORE_SIGNAL_PARAMS` (named by a typedef in the
 * layout check): `fence` is `struct { unsigned long long value; }`, the timeline value.
 */
export const CUDA_EXTERNAL_SEMAPHORE_SIGNAL_PARAMS_params: StructDef<
  "CUDA_EXTERNAL_SEMAPHORE_SIGNAL_PARAMS_params",
  {
    fence: BigIntField;
    nvSciSync: FieldType<unknown, unknown>;
    keyedMutex: FieldType<unknown, unknown>;
    reserved: ArrayField<NumberField>;
  },
  never
> = defineStruct(
  "CUDA_EXTERNAL_SEMAPHORE_SIGNAL_PARAMS_params",
  {
    fence: u64("struct { unsigned long long value; }"),
    nvSciSync: union("union", 8, 8),
    keyedMutex: union("struct { unsigned long long key; }", 8, 8),
    reserved: array(uint(), 12),
  },
);

/** `CUDA_EXTERNAL_SEMAPHORE_SIGNAL_PARAMS`: one semaphore's part of a signal. */
export const CUDA_EXTERNAL_SEMAPHORE_SIGNAL_PARAMS: StructDef<
  "CUDA_EXTERNAL_SEMAPHORE_SIGNAL_PARAMS",
  {
    params: StructField<typeof CUDA_EXTERNAL_SEMAPHORE_SIGNAL_PARAMS_params>;
    flags: NumberField;
    reserved: ArrayField<NumberField>;
  },
  never
> = defineStruct(
  "CUDA_EXTERNAL_SEMAPHORE_SIGNAL_PARAMS",
  {
    params: struct(CUDA_EXTERNAL_SEMAPHORE_SIGNAL_PARAMS_params, "struct"),
    flags: uint(),
    reserved: array(uint(), 16),
  },
);

/** The anonymous `params` of `CUDA_EXTERNAL_SEMAPHORE_WAIT_PARAMS` (see the signal's). */
export const CUDA_EXTERNAL_SEMAPHORE_WAIT_PARAMS_params: StructDef<
  "CUDA_EXTERNAL_SEMAPHORE_WAIT_PARAMS_params",
  {
    fence: BigIntField;
    nvSciSync: FieldType<unknown, unknown>;
    keyedMutex: FieldType<unknown, unknown>;
    reserved: ArrayField<NumberField>;
  },
  never
> = defineStruct(
  "CUDA_EXTERNAL_SEMAPHORE_WAIT_PARAMS_params",
  {
    fence: u64("struct { unsigned long long value; }"),
    nvSciSync: union("union", 8, 8),
    keyedMutex: union("struct { unsigned long long key; unsigned int timeoutMs; }", 16, 8),
    reserved: array(uint(), 10),
  },
);

/** `CUDA_EXTERNAL_SEMAPHORE_WAIT_PARAMS`: one semaphore's part of a wait. */
export const CUDA_EXTERNAL_SEMAPHORE_WAIT_PARAMS: StructDef<
  "CUDA_EXTERNAL_SEMAPHORE_WAIT_PARAMS",
  {
    params: StructField<typeof CUDA_EXTERNAL_SEMAPHORE_WAIT_PARAMS_params>;
    flags: NumberField;
    reserved: ArrayField<NumberField>;
  },
  never
> = defineStruct(
  "CUDA_EXTERNAL_SEMAPHORE_WAIT_PARAMS",
  {
    params: struct(CUDA_EXTERNAL_SEMAPHORE_WAIT_PARAMS_params, "struct"),
    flags: uint(),
    reserved: array(uint(), 16),
  },
);

/** `CUmemLocation`. */
export const CUmemLocation: StructDef<
  "CUmemLocation",
  { type: NumberField; id: NumberField },
  never
> = defineStruct("CUmemLocation", {
  type: u32("CUmemLocationType"),
  id: i32("int"),
});

/** The anonymous `allocFlags` of `CUmemAllocationProp` (named by a typedef in the layout check). */
export const CUmemAllocationProp_allocFlags: StructDef<
  "CUmemAllocationProp_allocFlags",
  {
    compressionType: NumberField;
    gpuDirectRDMACapable: NumberField;
    usage: NumberField;
    reserved: ArrayField<NumberField>;
  },
  never
> = defineStruct("CUmemAllocationProp_allocFlags", {
  compressionType: u8("unsigned char"),
  gpuDirectRDMACapable: u8("unsigned char"),
  usage: u16("unsigned short"),
  reserved: array(u8("unsigned char"), 4),
});

/** `CUmemAllocationProp`: what cuMemCreate allocates. */
export const CUmemAllocationProp: StructDef<
  "CUmemAllocationProp",
  {
    type: NumberField;
    requestedHandleTypes: NumberField;
    location: StructField<typeof CUmemLocation>;
    win32HandleMetaData: VoidPtrField;
    allocFlags: StructField<typeof CUmemAllocationProp_allocFlags>;
  },
  never
> = defineStruct("CUmemAllocationProp", {
  type: u32("CUmemAllocationType"),
  requestedHandleTypes: u32("CUmemAllocationHandleType"),
  location: struct(CUmemLocation),
  win32HandleMetaData: voidPtr(),
  allocFlags: struct(CUmemAllocationProp_allocFlags, "struct"),
});

/** `CUmemAccessDesc`: who may access a mapped range, and how. */
export const CUmemAccessDesc: StructDef<
  "CUmemAccessDesc",
  { location: StructField<typeof CUmemLocation>; flags: NumberField },
  never
> = defineStruct("CUmemAccessDesc", {
  location: struct(CUmemLocation),
  flags: u32("CUmemAccess_flags"),
});

/** Every CUDA struct vkshare declares, in the order the layout check prints them. */
export const CUDA_STRUCTS = [
  CUDA_EXTERNAL_MEMORY_HANDLE_DESC,
  CUDA_EXTERNAL_MEMORY_BUFFER_DESC,
  CUDA_EXTERNAL_SEMAPHORE_HANDLE_DESC,
  CUDA_EXTERNAL_SEMAPHORE_SIGNAL_PARAMS_params,
  CUDA_EXTERNAL_SEMAPHORE_SIGNAL_PARAMS,
  CUDA_EXTERNAL_SEMAPHORE_WAIT_PARAMS_params,
  CUDA_EXTERNAL_SEMAPHORE_WAIT_PARAMS,
  CUmemLocation,
  CUmemAllocationProp_allocFlags,
  CUmemAllocationProp,
  CUmemAccessDesc,
] as const;

/** The typedefs that name cuda.h's anonymous nested structs for the layout check. */
export const CUDA_TYPEDEFS: Readonly<Record<string, string>> = {
  CUDA_EXTERNAL_SEMAPHORE_SIGNAL_PARAMS_params:
    "((CUDA_EXTERNAL_SEMAPHORE_SIGNAL_PARAMS*)0)->params",
  CUDA_EXTERNAL_SEMAPHORE_WAIT_PARAMS_params: "((CUDA_EXTERNAL_SEMAPHORE_WAIT_PARAMS*)0)->params",
  CUmemAllocationProp_allocFlags: "((CUmemAllocationProp*)0)->allocFlags",
};
