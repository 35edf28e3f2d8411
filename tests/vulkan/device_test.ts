// Device: which extensions it enables, queues, extension tables, errors that name the extension
// and the device.
import {
  assert,
  assertEquals,
  assertExists,
  assertStringIncludes,
  assertThrows,
} from "@std/assert";
import { makeVersion } from "../../core/mod.ts";
import { VK_KHR_external_fence_fd, VK_KHR_external_memory_fd } from "../../ffi/vk_commands.ts";
import { Device, DisposedError, MissingExtensionError } from "../../mod.ts";
import { EXTERNAL_EXTENSIONS } from "../../vulkan/mod.ts";
import { test } from "../_harness.ts";
import { forEachDevice } from "../_vk.ts";

test(
  "by default a device enables every external extension its GPU offers (and DRM format modifiers from Vulkan 1.2)",
  forEachDevice((pd) => {
    using device = Device.create(pd);
    const drm = pd.hasExtension("VK_EXT_image_drm_format_modifier")
      && pd.apiVersion >= makeVersion(1, 2) && pd.instance.apiVersion >= makeVersion(1, 2);
    assertEquals(
      [...device.extensions].sort(),
      [
        ...EXTERNAL_EXTENSIONS.filter((e) => pd.hasExtension(e)),
        ...(drm ? ["VK_EXT_image_drm_format_modifier"] : []),
      ].sort(),
    );
    assertEquals(device.timelineSemaphores, pd.timelineSemaphores);
    assertExists(device.queue(0));
    device.waitIdle();
  }),
);

test(
  "an extension table loads when enabled and is refused when not",
  forEachDevice((pd) => {
    using device = Device.create(pd, { extensions: ["VK_KHR_external_memory_fd"] });
    const fd = device.extension(VK_KHR_external_memory_fd);
    assertEquals(typeof fd.vkGetMemoryFdKHR, "function");
    assert(device.extension(VK_KHR_external_memory_fd) === fd, "loaded once");
    const e = assertThrows(() => device.extension(VK_KHR_external_fence_fd), MissingExtensionError);
    assertEquals(e.extension, "VK_KHR_external_fence_fd");
    assert(e.message.includes(pd.name));
  }),
);

test(
  "asking for an extension the GPU lacks names it and the device",
  forEachDevice((pd) => {
    const e = assertThrows(
      () => Device.create(pd, { extensions: ["VK_vkshare_missing"] }),
      MissingExtensionError,
      "VK_vkshare_missing",
    );
    assertEquals(e.device, pd.name);
  }),
);

test("Device.create of no physical device is a TypeError that says what to pass, and why none", () => {
  // `instance.physicalDevices()[0]` where the drivers found no device.
  const none = assertThrows(
    () => Device.create(undefined as never),
    TypeError,
    "expected a PhysicalDevice",
  );
  assertStringIncludes(none.message, "found no device (vkshare doctor says why)");
  const other = assertThrows(
    () => Device.create({ name: "GPU" } as never),
    TypeError,
    'got {"name":"GPU"}',
  );
  assert(!other.message.includes("found no device"), other.message);
});

test(
  "bad queue options are RangeErrors",
  forEachDevice((pd) => {
    assertThrows(() => Device.create(pd, { queueFamily: 99 }), RangeError, "queueFamily");
    assertThrows(() => Device.create(pd, { queueCount: 0 }), RangeError, "queueCount");
    using device = Device.create(pd, { extensions: [] });
    assertThrows(() => device.queue(1), RangeError, "queue: index 1");
  }),
);

test(
  "dispose is idempotent; a disposed device refuses work",
  forEachDevice((pd) => {
    const device = Device.create(pd, { extensions: [] });
    device[Symbol.dispose]();
    device[Symbol.dispose]();
    assertThrows(() => device.waitIdle(), DisposedError, pd.name);
    assertThrows(() => device.extension(VK_KHR_external_memory_fd), DisposedError);
  }),
);
