// The lifetime rules every vkshare object follows: an idempotent [Symbol.dispose], children
// disposed before their parent, and a DisposedError (instead of a driver crash) on use after
// dispose.
import { DisposedError } from "./errors.ts";

/** Warns that `label` was left undestroyed, and why. */
function warnKept(label: string, why: string): void {
  console.warn(`vkshare: ${label} was left undestroyed: ${why}`);
}

/**
 * An object that owns a Vulkan handle (or another native resource) and its children.
 *
 * @example
 * ```ts
 * using device = Device.create(pd); // a Resource: disposed with its children, then the VkDevice
 * device.assertAlive();
 * ```
 *
 * @category Vulkan objects
 */
export abstract class Resource implements Disposable {
  #disposed = false;
  // Made with the first child (most objects never have one).
  #children: Set<Resource> | undefined;
  #parent: Resource | undefined;
  // Why the object must outlive its dispose (set by keep()), or undefined.
  #kept: string | undefined;

  /** What the object is, for messages: `Device "llvmpipe (LLVM 15.0.7, 256 bits)"`. */
  abstract readonly label: string;

  /** Registers this object as a child of `parent`, to be disposed before it. */
  protected adopt(parent: Resource | undefined): void {
    this.#parent = parent;
    if (parent) (parent.#children ??= new Set()).add(this);
  }

  /** Whether `[Symbol.dispose]()` has run (on this object or on a parent). */
  get disposed(): boolean {
    return this.#disposed;
  }

  /** Throws a DisposedError when the object was disposed. */
  protected alive(): void {
    if (this.#disposed) throw new DisposedError(this.label);
  }

  /** Throws a DisposedError when the object (or a parent) was disposed. */
  assertAlive(): void {
    this.alive();
  }

  /**
   * Frees the native resource; called once, after every child is disposed, unless the object
   * is kept (it may call {@linkcode Resource.keep} itself, and then frees nothing).
   */
  protected abstract destroy(): void;

  /** Whether it is kept past its dispose ({@linkcode Resource.keep}). */
  protected get kept(): boolean {
    return this.#kept !== undefined;
  }

  /**
   * Leaves this object, and every object it belongs to (its device, its instance), undestroyed
   * at dispose, with a warning that names `why`: something that cannot be taken back still
   * depends on them (memory that JavaScript may still read, GPU work that cannot finish).
   * Destroying a parent would free it all the same.
   */
  protected keep(why: string): void {
    this.#kept ??= why;
    this.#parent?.keep(why);
  }

  /** Disposes the children (newest first), then this object. Safe to call twice. */
  [Symbol.dispose](): void {
    if (this.#disposed) return;
    this.#disposed = true;
    if (this.#children?.size) {
      for (const c of [...this.#children].reverse()) c[Symbol.dispose]();
      this.#children.clear();
    }
    try {
      // destroy() may find a reason to keep the object (and then frees nothing).
      if (this.#kept === undefined) this.destroy();
      if (this.#kept !== undefined) warnKept(this.label, this.#kept);
    } finally {
      if (this.#parent) this.#parent.#children!.delete(this);
      this.#parent = undefined;
    }
  }
}
