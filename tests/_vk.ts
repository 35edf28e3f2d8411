// Fixtures for tests that talk to a real Vulkan driver: one instance with the Khronos validation
// layer, shared by every test of the process, and a test fails if the layer reported an error
// during it.
//
// One shared instance, because NVIDIA's driver (580.159.04, H200) refuses the 31st
// vkCreateInstance of a process with VK_ERROR_INCOMPATIBLE_DRIVER, even when every earlier
// instance was destroyed (tools/diag/instance_loop.c shows it in plain C). A suite that made an
// instance per test would fail there for no fault of its own.
import { assert, assertStringIncludes, assertThrows } from "@std/assert";
import { makeVersion } from "../core/mod.ts";
import { libc } from "../ffi/libc.ts";
import { libcSocket } from "../ffi/libc_socket.ts";
import { vk } from "../ffi/vulkan.ts";
import { Instance, type PhysicalDevice, ShareError } from "../mod.ts";
import type { ShareRule } from "../share/mod.ts";
import { availableLayers, VALIDATION_LAYER } from "../vulkan/mod.ts";

// libvulkan and libc are loaded once per process and never closed: open them before the tests,
// so that the resource sanitizer does not count them against the first test that uses them.
vk();
libc();
libcSocket();

let shared: Instance | undefined;

/**
 * The process's validated instance, created on first use (outside any test's resource count)
 * and destroyed when the process exits.
 */
export function sharedInstance(): Instance {
  if (!shared || shared.disposed) {
    shared = Instance.create({ validation: true, applicationName: "vkshare tests" });
    process.on("exit", () => shared?.[Symbol.dispose]());
  }
  return shared;
}
// The tests' device is the first one; the processes they start (tools/peer.ts) pick it by UUID,
// since with two GPUs (or two drivers) another process may enumerate them in another order.
const first = sharedInstance().physicalDevices()[0];
if (first) process.env.VKSHARE_PEER_DEVICE_UUID = first.deviceUUID;

/**
 * False positives of validation layers older than the fix, which the tests do not count as
 * errors (each is printed instead): the VUID, the first layer version without the bug, why.
 */
const KNOWN_LAYER_BUGS = [{
  id: "VUID-VkSemaphoreSignalInfo-value-03259",
  fixedIn: makeVersion(1, 3, 296),
  why:
    "vkGetSemaphoreCounterValue on a shared timeline semaphore left an orphaned pending signal in the layer's state (KhronosGroup/Vulkan-ValidationLayers#8396, 2024)",
}];

const layerVersion = (() => {
  const v = availableLayers().find((l) => l.name === VALIDATION_LAYER)?.specVersion ?? "0.0.0";
  const [major, minor, patch] = v.split(".").map(Number);
  return makeVersion(major, minor, patch);
})();

function dropKnownLayerBugs(instance: Instance): void {
  const m = instance.validationMessages;
  for (let i = m.length - 1; i >= 0; i--) {
    const bug = KNOWN_LAYER_BUGS.find((b) => b.id === m[i].id && layerVersion < b.fixedIn);
    if (bug && m[i].severity === "error") {
      console.log(`  (not counted: ${bug.id}, a known bug of this layer: ${bug.why})`);
      m.splice(i, 1);
    }
  }
}

/** Runs `fn` with the shared validated instance; fails on a validation error during `fn`. */
export function withInstance(
  fn: (instance: Instance) => void | Promise<void>,
): () => Promise<void> {
  return async () => {
    const instance = sharedInstance();
    instance.validationMessages.length = 0;
    await fn(instance);
    dropKnownLayerBugs(instance);
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
