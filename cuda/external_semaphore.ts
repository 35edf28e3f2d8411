/**
 * `CudaExternalSemaphore`: a Vulkan semaphore imported into CUDA.
 *
 * @module
 */
import { Resource } from "../core/resource.ts";
import type { CudaScope } from "./driver.ts";

/**
 * A Vulkan semaphore imported into CUDA (`CUexternalSemaphore`).
 *
 * @example
 * ```ts
 * using sem = cuda.importSemaphore(semExp.fd, semExp.descriptor);
 * stream.wait({ semaphore: sem, value: 1 });
 * ```
 *
 * @category CUDA
 */
export class CudaExternalSemaphore extends Resource {
  /** The context it was imported into. */
  readonly context: CudaScope;
  /** The `CUexternalSemaphore` handle. */
  readonly handle: bigint;
  /** The Vulkan semaphore's type. */
  readonly type: "binary" | "timeline";

  /** @ignore @internal */
  constructor(context: CudaScope, handle: bigint, type: "binary" | "timeline") {
    super();
    this.context = context;
    this.handle = handle;
    this.type = type;
    this.adopt(context);
  }

  /** `CUDA timeline semaphore 0x...`. */
  get label(): string {
    return `CUDA ${this.type} semaphore 0x${this.handle.toString(16)}`;
  }

  /** Destroys the import (`cuDestroyExternalSemaphore`). */
  protected destroy(): void {
    this.context.run((cu) =>
      this.context.check(cu.cuDestroyExternalSemaphore(this.handle), "cuDestroyExternalSemaphore")
    );
  }
}
