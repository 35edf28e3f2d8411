// Windows handles (the _win32 handle types): OwnedHandle's rules, the export-once rule, and the
// typed API's refusals where the driver has no _win32 extension (every Linux driver: nothing here
// can make a real Windows handle, so the exports and imports themselves run only on Windows).
import { assert, assertEquals, assertThrows } from "@std/assert";
import { FenceHandleType, MemoryHandleType, SemaphoreHandleType } from "../../core/mod.ts";
import { rt } from "../../ffi/runtime.ts";
import {
  DeviceMemory,
  Fence,
  LibraryLoadError,
  MissingExtensionError,
  OwnedHandle,
  Semaphore,
  type SyncDescriptor,
  VkError,
} from "../../mod.ts";
import {
  checkWin32Export,
  checkWin32Source,
  finishWin32Export,
  win32Source,
} from "../../share/handle.ts";
import { WIN32_HANDLE_TYPES, win32HandleKind } from "../../share/mod.ts";
import { test } from "../_harness.ts";
import { cannotShare, stillAllocates, withTwoDevices } from "../_memory.ts";
import { assertRule } from "../_vk.ts";

test("Windows handle types: each object's are its enum's, NT or KMT as the spec defines them", () => {
  const enums = {
    memory: MemoryHandleType,
    semaphore: SemaphoreHandleType,
    fence: FenceHandleType,
  };
  for (const [object, table] of Object.entries(WIN32_HANDLE_TYPES)) {
    for (const [t, kind] of Object.entries(table)) {
      assert(t in enums[object as keyof typeof enums], `${object} ${t}`);
      assertEquals(kind, t.endsWith("_KMT") ? "kmt" : "nt", `${object} ${t}`);
      assertEquals(win32HandleKind(object as "memory", t), kind);
    }
  }
  assertEquals(win32HandleKind("fence", "D3D12_FENCE"), undefined);
  assertEquals(win32HandleKind("memory", "OPAQUE_FD"), undefined);
  assertEquals(win32HandleKind("memory", "toString"), undefined);
});

test("OwnedHandle: a HANDLE value only; a KMT handle closes without a call; release hands it on", () => {
  for (const v of [0, 0n, -1, 0xffff_ffff_ffff_ffffn, 1.5, "7", 2n ** 64n]) {
    assertThrows(() => OwnedHandle.adopt(v as bigint, "kmt"), RangeError, "HANDLE");
  }
  assertThrows(() => OwnedHandle.adopt(8n, "other" as "nt"), TypeError, "kind");
  const k = OwnedHandle.adopt(0x40n, "kmt");
  assertEquals([k.handle, k.kind, k.state, k.label], [0x40n, "kmt", "open", "KMT handle 0x40"]);
  k.close();
  k[Symbol.dispose]();
  assertEquals(k.state, "closed");
  assertThrows(() => k.handle, TypeError, "closed");
  const r = OwnedHandle.adopt(0x44, "nt", "a D3D12 heap");
  assertEquals(r.release(), 0x44n);
  assertEquals(r.state, "released");
  r[Symbol.dispose](); // nothing to close: it was handed on
  assertThrows(() => r.release(), TypeError, "released");
});

test(
  "OwnedHandle: an NT handle closes through kernel32's CloseHandle; without kernel32 it stays open",
  {
    skip: rt.os === "windows"
      ? "on Windows, CloseHandle is there (and needs a real handle)"
      : false,
  },
  () => {
    const h = OwnedHandle.adopt(0x88n, "nt");
    const e = assertThrows(() => h.close(), LibraryLoadError);
    assertEquals(e.library, "kernel32");
    assert(e.message.includes("kernel32.dll"), e.message);
    assertEquals(h.state, "open", "a failed close leaves the handle the caller's");
    h.release();
    // A dispose never throws: inside `using`, the block's own error is the one that comes out.
    const warned: string[] = [];
    const warn = console.warn;
    console.warn = (m: string) => warned.push(m);
    try {
      const fromBlock = assertThrows(() => {
        using _h = OwnedHandle.adopt(0x8cn, "nt", "an NT handle of a test");
        throw new RangeError("the block's own error");
      }, RangeError);
      assertEquals(fromBlock.message, "the block's own error");
    } finally {
      console.warn = warn;
    }
    assertEquals(warned.length, 1);
    assert(warned[0].includes("an NT handle of a test was left open"), warned[0]);
  },
);

test("a Windows handle import's source that is not a handle or a name is WIN32_HANDLE, not an fd rule", () => {
  for (const bad of [null, undefined, 7, "h", {}, { handle: 7n }, { name: "" }]) {
    const e = assertThrows(() =>
      checkWin32Source("memory", "OPAQUE_WIN32", win32Source(bad as never))
    );
    assertEquals((e as { rule?: string }).rule, "WIN32_HANDLE", String(bad));
  }
});

test("WIN32_EXPORTED_ONCE: an NT handle type is exported once per object; a KMT one again", () => {
  const done = new Set<string>();
  checkWin32Export("memory", "Memory (test)", "OPAQUE_WIN32", done);
  done.add("OPAQUE_WIN32");
  const e = assertThrows(() => checkWin32Export("memory", "Memory (test)", "OPAQUE_WIN32", done));
  assertEquals((e as { rule?: string }).rule, "WIN32_EXPORTED_ONCE");
  checkWin32Export("memory", "Memory (test)", "D3D12_HEAP", done); // another handle type
  done.add("OPAQUE_WIN32_KMT");
  checkWin32Export("memory", "Memory (test)", "OPAQUE_WIN32_KMT", done); // the same global handle
  done.add("D3D12_FENCE");
  assertThrows(() => checkWin32Export("semaphore", "Semaphore (test)", "D3D12_FENCE", done));
});

test("the Windows export epilogue: the handle owned, NULL is BAD_EXPORT, a failed call a VkError, an NT handle once", () => {
  const exported = new Set<string>();
  const facts = (handleType: string, value: bigint, r = 0) => ({
    object: "memory" as const,
    label: "Memory (test)",
    handleType,
    exported,
    call: "vkGetMemoryWin32HandleKHR",
    get: (out: Uint8Array) => {
      new DataView(out.buffer, out.byteOffset).setBigUint64(0, value, true);
      return r;
    },
    details: () => ({ test: true }),
    describe: () => ({ handleType }),
  });
  using kmt = finishWin32Export(facts("OPAQUE_WIN32_KMT", 0x7000n));
  assertEquals([kmt.handle.handle, kmt.handle.kind, kmt.handle.state], [0x7000n, "kmt", "open"]);
  assertEquals(kmt.handle.label, "OPAQUE_WIN32_KMT export of Memory (test)");
  assert(Object.isFrozen(kmt.descriptor));
  const bad = assertThrows(() => finishWin32Export(facts("OPAQUE_WIN32_KMT", 0n)));
  assertEquals((bad as { rule?: string }).rule, "BAD_EXPORT");
  assertThrows(() => finishWin32Export(facts("OPAQUE_WIN32", 0x8000n, -2)), VkError, "VK_ERROR");
  assert(!exported.has("OPAQUE_WIN32"), "a failed export is not counted");
  const nt = finishWin32Export(facts("OPAQUE_WIN32", 0x8000n));
  assertEquals(nt.handle.kind, "nt");
  nt.handle.release(); // not a real handle: never CloseHandle'd
  const twice = assertThrows(() => finishWin32Export(facts("OPAQUE_WIN32", 0x9000n)));
  assertEquals((twice as { rule?: string }).rule, "WIN32_EXPORTED_ONCE");
  assertThrows(() => finishWin32Export(facts("OPAQUE_FD", 0x9000n)), RangeError, "Windows");
});

test(
  "memory: without VK_KHR_external_memory_win32, exportWin32 and importWin32 are a MissingExtensionError naming it; an fd import refuses a Windows descriptor",
  { skip: cannotShare("OPAQUE_FD") },
  withTwoDevices((a, b) => {
    using m = DeviceMemory.allocate(a, { size: 65536, exportAs: "OPAQUE_FD" });
    const missing = (fn: () => unknown) => {
      const e = assertThrows(fn, MissingExtensionError);
      assertEquals(e.extension, "VK_KHR_external_memory_win32");
    };
    missing(() => m.exportWin32("OPAQUE_WIN32"));
    missing(() => m.exportWin32("OPAQUE_WIN32_KMT"));
    assertThrows(() => m.exportWin32("OPAQUE_FD" as "OPAQUE_WIN32"), RangeError, "Windows");
    assertRule(
      () => DeviceMemory.allocate(a, { size: 65536, exportAs: "OPAQUE_WIN32" }),
      "HANDLE_TYPE_UNSUPPORTED",
      "VK_KHR_external_memory_win32",
    );
    using exp = m.exportFd();
    const d = { ...exp.descriptor, handleType: "OPAQUE_WIN32_KMT" as const };
    const h = OwnedHandle.adopt(0x1000n, "kmt");
    missing(() => DeviceMemory.importWin32(b, h, d));
    missing(() => DeviceMemory.importWin32(b, { name: "Local\\frames" }, d));
    assertRule(() => DeviceMemory.importFd(b, exp.fd, d), "HANDLE_TYPE_UNSUPPORTED", "importWin32");
    assertEquals(h.state, "open", "a refused import leaves the caller's handle");
    assertEquals(exp.fd.state, "open", "and the refused fd");
    stillAllocates(b);
  }),
);

test(
  "semaphores and fences: without the _win32 extensions, exportWin32 and importWin32 are a MissingExtensionError naming them",
  withTwoDevices((a, b) => {
    using s = Semaphore.create(a);
    using f = Fence.create(a);
    const missing = (fn: () => unknown, extension: string) => {
      const e = assertThrows(fn, MissingExtensionError);
      assertEquals(e.extension, extension);
    };
    const SEM = "VK_KHR_external_semaphore_win32", FENCE = "VK_KHR_external_fence_win32";
    missing(() => s.exportWin32("OPAQUE_WIN32"), SEM);
    missing(() => s.exportWin32("D3D12_FENCE"), SEM);
    missing(() => f.exportWin32("OPAQUE_WIN32_KMT"), FENCE);
    assertThrows(() => f.exportWin32("D3D12_FENCE" as "OPAQUE_WIN32"), RangeError, "fence");
    const pd = a.physicalDevice;
    const ids = pd.ids;
    const descriptor = (object: "semaphore" | "fence", handleType: string): SyncDescriptor => ({
      version: 1,
      object,
      handleType: handleType as SyncDescriptor["handleType"],
      ...(object === "semaphore" ? { semaphoreType: "binary" as const } : {}),
      deviceUUID: ids.deviceUUID,
      driverUUID: ids.driverUUID,
      deviceName: pd.name,
    });
    const h = OwnedHandle.adopt(0x2000n, "kmt");
    missing(() => Semaphore.importWin32(b, h, descriptor("semaphore", "OPAQUE_WIN32_KMT")), SEM);
    missing(() => Fence.importWin32(b, h, descriptor("fence", "OPAQUE_WIN32_KMT")), FENCE);
    using into = Semaphore.create(b);
    missing(
      () => into.importWin32({ name: "Global\\sem" }, descriptor("semaphore", "OPAQUE_WIN32")),
      SEM,
    );
    assertEquals(h.state, "open");
  }),
);
