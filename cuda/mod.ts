/**
 * CUDA interop through libcuda (the CUDA driver API), with no compilation and no CUDA toolkit:
 * Vulkan memory and semaphores exported as OPAQUE_FD are imported into CUDA, and CUDA memory
 * created exportable is imported into Vulkan.
 *
 * - {@linkcode CudaContext.forVulkan} picks the CUDA device whose UUID is the Vulkan device's
 *   `deviceUUID` (the same GPU), and retains its primary context until dispose.
 * - {@linkcode CudaContext.importMemory} / {@linkcode CudaContext.importSemaphore}: the same
 *   checks as the Vulkan imports before CUDA sees the fd (descriptor, UUIDs, an open fd not
 *   consumed, the export's size, dedicated flag and fd kind). On success the fd is CUDA's (an
 *   OwnedFd is marked consumed); on failure it is still the caller's.
 * - {@linkcode CudaStream}: waits and signals of imported semaphores, ordered with the
 *   synchronous copy helpers of {@linkcode CudaBuffer} (a stream created this way synchronizes
 *   with CUDA's legacy default stream, which those helpers use).
 * - {@linkcode CudaContext.allocateExportable}: `cuMemCreate` with a POSIX fd handle type,
 *   mapped read-write in the context, exported with `cuMemExportToShareableHandle` as an
 *   OPAQUE_FD that `DeviceMemory.importFd` takes.
 *
 * Every CUresult other than CUDA_SUCCESS is a {@linkcode CudaError} with the name
 * `cuGetErrorName` gives.
 *
 * @example
 * ```ts
 * using cuda = CudaContext.forVulkan(device);
 * using exp = memory.exportFd("OPAQUE_FD");
 * using ext = cuda.importMemory(exp.fd, exp.descriptor);
 * using buf = ext.mapBuffer();
 * buf.read(0, 16); // the first 16 bytes, as CUDA sees them
 * ```
 *
 * @module
 */
export { CUDA_INSTALL_HINT, LIBCUDA_ENV } from "../ffi/cuda.ts";
export { CudaBuffer } from "./buffer.ts";
export { CudaContext } from "./context.ts";
export type { CudaContextOptions, VulkanIdentity } from "./context.ts";
export { cudaDevices, cudaDriverVersion } from "./driver.ts";
export type {
  CudaDeviceAttribute,
  CudaDeviceInfo,
  CudaLibraryOptions,
  CudaScope,
} from "./driver.ts";
export { CudaExternalMemory } from "./external_memory.ts";
export { CudaExternalSemaphore } from "./external_semaphore.ts";
export { CudaMemory } from "./memory.ts";
export { CudaStream } from "./stream.ts";
export type { CudaSemaphoreOp, CudaSyncResult } from "./stream.ts";
