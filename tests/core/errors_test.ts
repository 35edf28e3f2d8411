// Typed errors: names, numbers, commands and values in the message; success codes as values.
import { assert, assertEquals, assertStringIncludes, assertThrows } from "@std/assert";
import {
  enumName,
  enumValue,
  Format,
  formatNameOf,
  ImageTiling,
  ImageType,
} from "../../core/enums.ts";
import { flagMask, flagNames, MemoryHandleType, resultName } from "../../core/mod.ts";
import { openFirst } from "../../ffi/library.ts";
import {
  CudaError,
  DisposedError,
  ErrnoError,
  ImportError,
  LibraryLoadError,
  MissingExtensionError,
  ProtocolError,
  ShareError,
  VkError,
  VkshareError,
} from "../../mod.ts";
import { check } from "../../vulkan/mod.ts";
import { test } from "../_harness.ts";

test("VkError names the result, its number, the command and the values", () => {
  const e = new VkError("vkAllocateMemory", -1000072003, { handleType: "OPAQUE_FD", size: 4096n });
  assertEquals(e.resultName, "VK_ERROR_INVALID_EXTERNAL_HANDLE");
  assertEquals(e.result, -1000072003);
  assertStringIncludes(
    e.message,
    "vkAllocateMemory failed: VK_ERROR_INVALID_EXTERNAL_HANDLE (-1000072003)",
  );
  assertStringIncludes(e.message, "handleType=OPAQUE_FD, size=0x1000");
});

test("check() throws on error codes and returns success codes as values", () => {
  assertEquals(check(0, "x"), 0);
  assertEquals(check(2, "vkWaitForFences"), 2); // VK_TIMEOUT
  assertEquals(check(5, "x"), 5); // VK_INCOMPLETE
  assertThrows(
    () => check(-2, "vkAllocateMemory", { size: 1 }),
    VkError,
    "VK_ERROR_OUT_OF_DEVICE_MEMORY",
  );
  assertEquals(resultName(-424242), "VK_RESULT_-424242");
});

test("a library that cannot load names every path tried and what to install", () => {
  const e = assertThrows(
    () =>
      openFirst(
        "libnothing",
        "VKSHARE_TEST_UNSET_VAR",
        ["/nope/libnothing.so", "libnothing.so.9"],
        {},
        "apt-get install nothing",
      ),
    LibraryLoadError,
  );
  assertEquals(e.tried.map((t) => t.path), ["/nope/libnothing.so", "libnothing.so.9"]);
  assertStringIncludes(e.message, "/nope/libnothing.so");
  assertStringIncludes(e.message, "apt-get install nothing");
});

test("formatNameOf names every format vkshare names, and no other value", () => {
  for (const [name, value] of Object.entries(Format)) assertEquals(formatNameOf(value), name);
  assertEquals(formatNameOf(37), "R8G8B8A8_UNORM");
  assertEquals(formatNameOf(7777), undefined);
});

test("enumName is enumValue's reverse: every name of a table, and undefined for no value of it", () => {
  for (const table of [Format, ImageTiling, ImageType]) {
    for (const [name, value] of Object.entries(table)) {
      assertEquals(enumName(table, value), name);
      assertEquals(enumValue(table as Record<string, number>, name, "t"), value);
    }
  }
  assertEquals(enumName(ImageTiling, 1000158000), "DRM_FORMAT_MODIFIER");
  assertEquals(enumName(ImageTiling, 2), undefined);
});

test("flag masks and names convert both ways and refuse unknown names", () => {
  assertEquals(flagNames(MemoryHandleType, 0x201), ["OPAQUE_FD", "DMA_BUF"]);
  assertEquals(flagNames(MemoryHandleType, 0x80000000), ["0x80000000"]);
  assertEquals(flagMask(MemoryHandleType, ["OPAQUE_FD", "DMA_BUF"], "t"), 0x201);
  assertThrows(
    () => flagMask(MemoryHandleType, ["FD" as never], "handleTypes"),
    RangeError,
    "handleTypes",
  );
  assertThrows(() => flagMask(MemoryHandleType, -1, "handleTypes"), RangeError);
  // Names of Object.prototype are no flag or value of any table.
  for (const name of ["toString", "constructor", "__proto__", "hasOwnProperty"]) {
    assertThrows(() => flagMask(MemoryHandleType, [name as never], "t"), RangeError, "unknown");
    assertThrows(() => enumValue(MemoryHandleType, name as never, "t"), RangeError, "unknown");
  }
});

test("every vkshare error is a VkshareError with a stable code and its class's name", () => {
  const cases: [VkshareError, string, string][] = [
    [new VkError("vkAllocateMemory", -2), "VK_ERROR_OUT_OF_DEVICE_MEMORY", "VkError"],
    [
      new ImportError("vkAllocateMemory", -1000072003, {}, true),
      "VK_ERROR_INVALID_EXTERNAL_HANDLE",
      "ImportError",
    ],
    [new CudaError("cuInit", 100, "CUDA_ERROR_NO_DEVICE"), "CUDA_ERROR_NO_DEVICE", "CudaError"],
    [new ShareError("FD_CONSUMED", "x"), "FD_CONSUMED", "ShareError"],
    [new ProtocolError("fd-count", "x"), "PROTOCOL_FD_COUNT", "ProtocolError"],
    [new ErrnoError("close", 9), "EBADF", "ErrnoError"],
    [
      new MissingExtensionError("VK_X", "gpu", "offered"),
      "MISSING_EXTENSION",
      "MissingExtensionError",
    ],
    [new DisposedError("Device"), "DISPOSED", "DisposedError"],
    [new LibraryLoadError("libx", [], "install x"), "LIBRARY_LOAD", "LibraryLoadError"],
  ];
  for (const [e, code, name] of cases) {
    assert(e instanceof VkshareError && e instanceof Error, name);
    assertEquals([e.code, e.name], [code, name]);
  }
  // VkError and CudaError build their messages alike.
  assertEquals(
    new VkError("vkX", -2, { size: 4096 }, "why").message.replace(
      "VK_ERROR_OUT_OF_DEVICE_MEMORY",
      "N",
    ),
    new CudaError("vkX", -2, "N", { size: 4096 }, "why").message,
  );
});
