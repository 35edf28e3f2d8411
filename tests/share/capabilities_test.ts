// Capability queries against the real driver: the spec's invariants on every device, and what
// ../shared/DRIVERS.md measured on lavapipe and on NVIDIA.
import { assert, assertEquals, assertStringIncludes, assertThrows } from "@std/assert";
import {
  capabilityMatrix,
  drmFormatModifiers,
  Instance,
  MissingExtensionError,
  type PhysicalDevice,
} from "../../mod.ts";
import {
  externalBufferProperties,
  externalFenceProperties,
  externalImageFormatProperties,
  externalImageFormatPropertiesNV,
  externalSemaphoreProperties,
} from "../../share/mod.ts";
import { availableInstanceExtensions } from "../../vulkan/mod.ts";
import { test } from "../_harness.ts";
import { forEachDevice } from "../_vk.ts";

const isLavapipe = (pd: PhysicalDevice) => pd.driverName === "llvmpipe";
const isNvidia = (pd: PhysicalDevice) => pd.vendorId === 0x10de;

test(
  "OPAQUE_FD buffers export and import on every device",
  forEachDevice((pd) => {
    const c = externalBufferProperties(pd, {
      handleType: "OPAQUE_FD",
      usage: ["TRANSFER_SRC", "TRANSFER_DST"],
    });
    assert(c.exportable && c.importable, JSON.stringify(c));
    assert(
      c.compatibleHandleTypes.includes("OPAQUE_FD"),
      "compatible types include the type itself",
    );
    if (isLavapipe(pd) || isNvidia(pd)) assertEquals(c.dedicatedOnly, false);
  }),
);

test(
  "DMA_BUF: lavapipe imports only; NVIDIA offers none",
  forEachDevice((pd) => {
    const c = externalBufferProperties(pd, { handleType: "DMA_BUF" });
    if (isNvidia(pd)) {
      assertEquals(c.unsupported, "no VK_EXT_external_memory_dma_buf");
      assertEquals([c.exportable, c.importable], [false, false]);
    }
    if (isLavapipe(pd) && pd.hasExtension("VK_EXT_external_memory_dma_buf")) {
      assertEquals([c.exportable, c.importable], [false, true]);
    }
    if (!pd.hasExtension("VK_EXT_external_memory_dma_buf")) assert(c.unsupported);
  }),
);

test(
  "host allocations import where VK_EXT_external_memory_host is offered",
  forEachDevice((pd) => {
    const c = externalBufferProperties(pd, { handleType: "HOST_ALLOCATION" });
    if (pd.hasExtension("VK_EXT_external_memory_host")) {
      assert(c.importable, JSON.stringify(c));
      // lavapipe says import only; NVIDIA 580 also reports HOST_ALLOCATION as exportable.
      if (isLavapipe(pd)) assertEquals(c.exportable, false);
    } else assertEquals(c.unsupported, "no VK_EXT_external_memory_host");
  }),
);

test(
  "images: OPAQUE_FD 2D RGBA8 optimal is shareable, with real limits",
  forEachDevice((pd) => {
    const c = externalImageFormatProperties(pd, {
      handleType: "OPAQUE_FD",
      format: "R8G8B8A8_UNORM",
    });
    assert(c.supported && c.exportable && c.importable, c.unsupported ?? "not shareable");
    assert(c.maxExtent!.width >= 4096 && c.maxExtent!.height >= 4096);
    assertEquals(c.maxExtent!.depth, 1);
    assert(c.maxResourceSize! > 0);
  }),
);

test(
  "semaphores: what the driver exports, by handle type and semaphore type",
  forEachDevice((pd) => {
    for (const handleType of ["OPAQUE_FD", "SYNC_FD"] as const) {
      for (const semaphoreType of ["binary", "timeline"] as const) {
        const c = externalSemaphoreProperties(pd, { handleType, semaphoreType });
        assertEquals([c.handleType, c.semaphoreType], [handleType, semaphoreType]);
        if (!pd.hasExtension("VK_KHR_external_semaphore_fd")) {
          assertEquals(c.unsupported, "no VK_KHR_external_semaphore_fd");
          continue;
        }
        if (c.exportable || c.importable) assert(c.compatibleHandleTypes.includes(handleType));
        if (isNvidia(pd) && handleType === "OPAQUE_FD") {
          assert(c.exportable && c.importable, `${semaphoreType}: ${JSON.stringify(c)}`);
        }
        // SYNC_FD is binary-only by the spec.
        if (handleType === "SYNC_FD" && semaphoreType === "timeline") assert(!c.exportable);
      }
    }
  }),
);

test(
  "fences: OPAQUE_FD on NVIDIA, none on lavapipe",
  forEachDevice((pd) => {
    const c = externalFenceProperties(pd, { handleType: "OPAQUE_FD" });
    if (isNvidia(pd)) assert(c.exportable && c.importable, JSON.stringify(c));
    if (isLavapipe(pd)) assertEquals(c.unsupported, "no VK_KHR_external_fence_fd");
  }),
);

test(
  "the whole matrix is plain JSON and agrees with the single queries",
  forEachDevice((pd) => {
    const m = capabilityMatrix(pd);
    const back = JSON.parse(JSON.stringify(m));
    assertEquals(back, m);
    assertEquals(m.device.deviceUUID, pd.deviceUUID);
    assertEquals(m.buffers.length, 3 * 4);
    assertEquals(m.images.length, 2 * 2 * 2 * 3);
    assertEquals(m.semaphores.length, 4);
    assertEquals(m.fences.length, 2);
    const row = m.buffers.find((b) =>
      b.handleType === "OPAQUE_FD" && b.usage.includes("STORAGE_BUFFER")
    )!;
    const single = externalBufferProperties(pd, {
      handleType: "OPAQUE_FD",
      usage: row.usage as never,
    });
    assertEquals({ ...single, usage: row.usage, flags: row.flags }, row);
    assertEquals(
      m.hostPointer?.minImportedHostPointerAlignment,
      pd.minImportedHostPointerAlignment === null
        ? undefined
        : Number(pd.minImportedHostPointerAlignment),
    );
    // DRM format modifiers: per format, the single query's list; or why there are none.
    if (pd.hasExtension("VK_EXT_image_drm_format_modifier")) {
      assert(Array.isArray(m.drmFormatModifiers));
      for (const f of m.drmFormatModifiers) {
        assertEquals(
          f.modifiers.map((x) => x.hex),
          drmFormatModifiers(pd, f.format as never).map((x) => x.hex),
        );
      }
    } else {
      assertEquals(m.drmFormatModifiers, { unsupported: "no VK_EXT_image_drm_format_modifier" });
    }
    // The seeds' other handle types: 16 rows; where the device lacks a handle type's extension,
    // the row names it.
    assertEquals(m.otherHandleTypes.length, 7 + 3 + 2 + 4);
    const needs: Record<string, string> = {
      memory: "VK_KHR_external_memory_win32",
      semaphore: "VK_KHR_external_semaphore_win32",
      fence: "VK_KHR_external_fence_win32",
    };
    for (const r of m.otherHandleTypes) {
      const ext = r.handleType === "ANDROID_HARDWARE_BUFFER"
        ? "VK_ANDROID_external_memory_android_hardware_buffer"
        : needs[r.object];
      if (ext && !pd.hasExtension(ext)) assertEquals(r.unsupported, `no ${ext}`, r.handleType);
      if (
        r.object === "image (NV)"
        && !pd.instance.extensions.includes("VK_NV_external_memory_capabilities")
      ) {
        assertStringIncludes(r.unsupported!, "VK_NV_external_memory_capabilities is not");
      }
    }
  }),
);

test(
  "bad query values are RangeErrors naming the parameter",
  forEachDevice((pd) => {
    assertThrows(
      () => externalBufferProperties(pd, { handleType: "FD" as never }),
      RangeError,
      "handleType",
    );
    assertThrows(
      () => externalBufferProperties(pd, { handleType: "OPAQUE_FD", usage: ["STORAGE"] as never }),
      RangeError,
      'usage: unknown flag "STORAGE"',
    );
    assertThrows(
      () => externalImageFormatProperties(pd, { handleType: "OPAQUE_FD", format: "RGBA" as never }),
      RangeError,
      "format",
    );
    assertThrows(
      () =>
        externalSemaphoreProperties(pd, {
          handleType: "OPAQUE_FD",
          semaphoreType: "counting" as never,
        }),
      RangeError,
      "semaphoreType",
    );
  }),
);

test(
  "the NV capability query: a well-formed answer where VK_NV_external_memory_capabilities is offered, a MissingExtensionError naming it where not",
  () => {
    const name = "VK_NV_external_memory_capabilities";
    if (availableInstanceExtensions().includes(name)) {
      using instance = Instance.create({ extensions: [name] });
      for (const pd of instance.physicalDevices()) {
        const cap = externalImageFormatPropertiesNV(pd, { handleType: "OPAQUE_WIN32" });
        assertEquals(typeof cap.supported, "boolean");
        assert(Array.isArray(cap.compatibleHandleTypes));
      }
      return;
    }
    return forEachDevice((pd) => {
      const e = assertThrows(
        () => externalImageFormatPropertiesNV(pd, { handleType: "OPAQUE_WIN32" }),
        MissingExtensionError,
      );
      assertEquals([e.extension, e.code], [name, "MISSING_EXTENSION"]);
      assertStringIncludes(e.message, "does not offer");
    })();
  },
);
