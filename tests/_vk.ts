// Fixtures for tests that talk to a real Vulkan driver: one instance with the Khronos validation
// layer, shared by every test of the process, and a test fails if the layer reported an error
// during it.
//
// One shared instance, because NVIDIA's driver (580.159.04, H200) refuses the 31st
// vkCreateInstance of a process with VK_ERROR_INCOMPATIBLE_DRIVER, even when every earlier
// instance was destroyed (tools/diag/instance_loop.c shows it in plain C). A suite that made an
// instance per test would fail there for no fault of its own.
import { assert, assertStringIncludes, assertThrows } from "@std/assert";
import { libc } from "../ffi/libc.ts";
import { vk } from "../ffi/vulkan.ts";
import { Instance, type PhysicalDevice, ShareError, type ShareRule } from "../mod.ts";

// libvulkan and libc are loaded once per process and never closed: open them before the tests,
// so that the resource sanitizer does not count them against the first test that uses them.
vk();
libc();

let shared: Instance | undefined;

/**
 * The process's validated instance, created on first use (outside any test's resource count)
 * and destroyed when the process exits.
 */
export function sharedInstance(): Instance {
  if (!shared || shared.disposed) {
    shared = Instance.create({ validation: true, applicationName: "vkshare tests" });
    globalThis.addEventListener("unload", () => shared?.[Symbol.dispose]());
  }
  return shared;
}
sharedInstance();

/** Runs `fn` with the shared validated instance; fails on a validation error during `fn`. */
export function withInstance(
  fn: (instance: Instance) => void | Promise<void>,
): () => Promise<void> {
  return async () => {
    const instance = sharedInstance();
    instance.validationMessages.length = 0;
    await fn(instance);
    instance.assertNoValidationErrors();
  };
}

/** Runs `fn` once per physical device of the shared validated instance. */
export function forEachDevice(
  fn: (pd: PhysicalDevice, instance: Instance) => void | Promise<void>,
): () => Promise<void> {
  return withInstance(async (instance) => {
    const devices = instance.physicalDevices();
    if (devices.length === 0) throw new Error("no Vulkan device: run deno task setup");
    for (const pd of devices) await fn(pd, instance);
  });
}

/** Asserts that `fn` throws a ShareError for `rule` (or one of them), whose message has `includes`. */
export function assertRule(
  fn: () => unknown,
  rule: ShareRule | ShareRule[],
  includes?: string,
): ShareError {
  const e = assertThrows(fn, ShareError);
  const rules = Array.isArray(rule) ? rule : [rule];
  assert(rules.includes(e.rule), `expected ${rules.join(" or ")}, got ${e.message}`);
  if (includes) assertStringIncludes(e.message, includes);
  return e;
}
