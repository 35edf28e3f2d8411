// Fixtures for tests that talk to a real Vulkan driver: every instance runs with the Khronos
// validation layer, and a test fails if the layer reported any error during it.
import { libc } from "../ffi/libc.ts";
import { vk } from "../ffi/vulkan.ts";
import { Instance, type PhysicalDevice } from "../mod.ts";

// libvulkan and libc are loaded once per process and never closed: open them before the tests,
// so that the resource sanitizer does not count them against the first test that uses them.
vk();
libc();

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
