// Instance: creation, layers and extensions, validation messages routed and collected, typed
// errors, idempotent dispose and use-after-dispose.
import { assert, assertEquals, assertGreater, assertThrows } from "@std/assert";
import { makeVersion } from "../../core/mod.ts";
import { Arena, encode } from "../../ffi/layout.ts";
import { VkBufferCreateInfo } from "../../ffi/vk_structs.ts";
import { vk } from "../../ffi/vulkan.ts";
import { DisposedError, Instance, ShareError, VkError } from "../../mod.ts";
import { Device } from "../../mod.ts";
import {
  availableInstanceExtensions,
  availableLayers,
  loaderVersion,
  VALIDATION_LAYER,
} from "../../vulkan/mod.ts";
import { test } from "../_harness.ts";
import { withInstance } from "../_vk.ts";

test("the loader is Vulkan 1.1 or later and lists the validation layer", () => {
  assert(loaderVersion() >= makeVersion(1, 1));
  assert(availableLayers().some((l) => l.name === VALIDATION_LAYER));
  assert(
    availableInstanceExtensions().includes("VK_EXT_debug_utils")
      || availableInstanceExtensions(VALIDATION_LAYER).includes("VK_EXT_debug_utils"),
  );
});

test(
  "an instance enables validation and sees at least one device",
  withInstance((instance) => {
    assert(instance.validation);
    assert(instance.layers.includes(VALIDATION_LAYER));
    assert(instance.extensions.includes("VK_EXT_debug_utils"));
    assertGreater(instance.physicalDevices().length, 0);
  }),
);

test("validation errors reach the callback and the collected list", () => {
  const seen: string[] = [];
  using instance = Instance.create({ validation: { onMessage: (m) => seen.push(m.id) } });
  using device = Device.create(instance.physicalDevices()[0], { extensions: [] });
  // A buffer of size 0 breaks VUID-VkBufferCreateInfo-size-00912.
  using arena = new Arena();
  const info = encode(VkBufferCreateInfo, { size: 0, usage: 1 }, arena);
  const out = new BigUint64Array(new ArrayBuffer(8));
  const r = vk().vkCreateBuffer(device.handle, info.bytes, null, out);
  if (r === 0 && out[0] !== 0n) vk().vkDestroyBuffer(device.handle, out[0], null);
  const errors = instance.validationErrors;
  assert(
    errors.some((e) => e.id.includes("VkBufferCreateInfo-size")),
    errors.map((e) => e.id).join(", "),
  );
  assert(seen.some((id) => id.includes("VkBufferCreateInfo-size")));
  assertThrows(() => instance.assertNoValidationErrors(), Error, "VkBufferCreateInfo-size");
  assertEquals(errors[0].severity, "error");
});

test("an unknown extension is a VkError naming the result and the values", () => {
  const e = assertThrows(
    () => Instance.create({ extensions: ["VK_vkshare_no_such_extension"] }),
    VkError,
    "VK_ERROR_EXTENSION_NOT_PRESENT",
  );
  assertEquals(e.result, -7);
  assertEquals(e.command, "vkCreateInstance");
  assert(e.message.includes("VK_vkshare_no_such_extension"));
});

test("an unknown layer is a VkError (VK_ERROR_LAYER_NOT_PRESENT)", () => {
  const e = assertThrows(() => Instance.create({ layers: ["VK_LAYER_vkshare_none"] }), VkError);
  assertEquals(e.resultName, "VK_ERROR_LAYER_NOT_PRESENT");
});

test("a bad apiVersion is a RangeError", () => {
  assertThrows(() => Instance.create({ apiVersion: "one" }), RangeError, "apiVersion");
});

test("dispose is idempotent, disposes children, and use after dispose throws", () => {
  const instance = Instance.create();
  const pd = instance.physicalDevices()[0];
  const device = Device.create(pd, { extensions: [] });
  instance[Symbol.dispose]();
  instance[Symbol.dispose]();
  assert(device.disposed);
  assertThrows(() => instance.physicalDevices(), DisposedError, "Instance was used after dispose");
  assertThrows(() => pd.memoryTypes, DisposedError);
  assertThrows(() => device.queue(), DisposedError, "Device");
  device[Symbol.dispose]();
});

test(
  "deviceFor finds each device by its deviceUUID (string or descriptor); an unknown one is a ShareError listing them",
  withInstance((instance) => {
    const pds = instance.physicalDevices();
    for (const pd of pds) {
      assertEquals(
        instance.deviceFor(pd.deviceUUID),
        pds.find((p) => p.deviceUUID === pd.deviceUUID),
      );
      assertEquals(
        instance.deviceFor({ deviceUUID: pd.deviceUUID, deviceName: pd.name }).deviceUUID,
        pd.deviceUUID,
      );
    }
    const e = assertThrows(
      () =>
        instance.deviceFor({
          deviceUUID: "00000000-0000-0000-0000-000000000000",
          deviceName: "GPU 9",
        }),
      ShareError,
    );
    assertEquals(e.rule, "UUID_MISMATCH");
    assert(e.message.includes('("GPU 9")') && e.message.includes(pds[0].deviceUUID), e.message);
    assertThrows(() => instance.deviceFor(null as unknown as string), TypeError);
  }),
);
