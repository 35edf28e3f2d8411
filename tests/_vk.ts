// Fixtures for tests that talk to a real Vulkan driver: every instance runs with the Khronos
// validation layer, and a test fails if the layer reported any error during it.
import { Instance, type PhysicalDevice } from "../mod.ts";

/** Runs `fn` with a validated instance; fails on any validation error; disposes the instance. */
export function withInstance(
  fn: (instance: Instance) => void | Promise<void>,
): () => Promise<void> {
  return async () => {
    const instance = Instance.create({ validation: true, applicationName: "vkshare tests" });
    try {
      await fn(instance);
      instance.assertNoValidationErrors();
    } finally {
      instance[Symbol.dispose]();
    }
    instance.assertNoValidationErrors(); // messages sent while destroying
  };
}

/** Runs `fn` once per physical device of a validated instance. */
export function forEachDevice(
  fn: (pd: PhysicalDevice, instance: Instance) => void | Promise<void>,
): () => Promise<void> {
  return withInstance(async (instance) => {
    const devices = instance.physicalDevices();
    if (devices.length === 0) throw new Error("no Vulkan device: run deno task setup");
    for (const pd of devices) await fn(pd, instance);
  });
}

/** What the machine's devices offer, probed once (without validation) to decide skips. */
export const probe: { names: string[]; extensions: Set<string>[]; drivers: (string | null)[] } =
  (() => {
    using instance = Instance.create();
    const pds = instance.physicalDevices();
    return {
      names: pds.map((p) => p.name),
      extensions: pds.map((p) => new Set(p.extensionNames)),
      drivers: pds.map((p) => p.driverName),
    };
  })();

/** A skip reason when no device offers `extension`, else false. */
export function needs(extension: string): string | false {
  return probe.extensions.some((s) => s.has(extension)) ? false : `no device offers ${extension}`;
}
