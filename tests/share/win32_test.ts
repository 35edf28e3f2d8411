// Windows handles (the _win32 handle types): OwnedHandle's rules, the export-once rule, and the
// typed API's refusals where the driver has no _win32 extension (every Linux driver: nothing here
// can make a real Windows handle, so the exports and imports themselves run only on Windows).
import { assert, assertEquals, assertThrows } from "@std/assert";
import { rt } from "../../ffi/runtime.ts";
import {
  DeviceMemory,
  Fence,
  FenceHandleType,
  LibraryLoadError,
  MemoryHandleType,
  OwnedHandle,
  Semaphore,
  SemaphoreHandleType,
  type SyncDescriptor,
  WIN32_HANDLE_TYPES,
  win32HandleKind,
} from "../../mod.ts";
import { checkWin32Export } from "../../share/handle.ts";
import { test } from "../_harness.ts";
import { cannotShare, withTwoDevices } from "../_memory.ts";
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
  },
);

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

test(
  "memory: exportWin32 of memory not exportable so is NOT_EXPORTABLE; importWin32 without the extension names it",
  { skip: cannotShare("OPAQUE_FD") },
  withTwoDevices((a, b) => {
    using m = DeviceMemory.allocate(a, { size: 65536, exportAs: "OPAQUE_FD" });
    assertRule(() => m.exportWin32("OPAQUE_WIN32"), "NOT_EXPORTABLE", "OPAQUE_WIN32");
    assertRule(() => m.exportWin32("OPAQUE_WIN32_KMT"), "NOT_EXPORTABLE");
    assertThrows(() => m.exportWin32("OPAQUE_FD" as "OPAQUE_WIN32"), RangeError, "Windows");
    assertRule(
      () => DeviceMemory.allocate(a, { size: 65536, exportAs: "OPAQUE_WIN32" }),
      "HANDLE_TYPE_UNSUPPORTED",
      "VK_KHR_external_memory_win32",
    );
    using exp = m.exportFd();
    const d = { ...exp.descriptor, handleType: "OPAQUE_WIN32_KMT" as const };
    const h = OwnedHandle.adopt(0x1000n, "kmt");
    assertRule(
      () => DeviceMemory.importWin32(b, h, d),
      "HANDLE_TYPE_UNSUPPORTED",
      "VK_KHR_external_memory_win32",
    );
    // Every broken rule is named: the source's own too.
    assertRule(
      () => DeviceMemory.importWin32(b, { handle: h, name: "x" }, d),
      "HANDLE_TYPE_UNSUPPORTED",
      "also breaks: WIN32_HANDLE",
    );
    // The fd export through importWin32, and a Windows descriptor through importFd, are refused.
    assertRule(() => DeviceMemory.importWin32(b, h, exp.descriptor), "HANDLE_TYPE_UNSUPPORTED");
    assertRule(() => DeviceMemory.importFd(b, exp.fd, d), "HANDLE_TYPE_UNSUPPORTED", "importWin32");
    assertEquals(h.state, "open", "an import never closes the caller's handle");
    assertEquals(exp.fd.state, "open", "nor a refused fd");
  }),
);

test(
  "semaphores and fences: exportWin32 of one not exportable so is NOT_EXPORTABLE; importWin32 without the extension names it",
  withTwoDevices((a, b) => {
    using s = Semaphore.create(a);
    using f = Fence.create(a);
    assertRule(() => s.exportWin32("OPAQUE_WIN32"), "NOT_EXPORTABLE", "OPAQUE_WIN32");
    assertRule(() => s.exportWin32("D3D12_FENCE"), "NOT_EXPORTABLE");
    assertRule(() => f.exportWin32("OPAQUE_WIN32_KMT"), "NOT_EXPORTABLE");
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
    assertRule(
      () => Semaphore.importWin32(b, h, descriptor("semaphore", "OPAQUE_WIN32_KMT")),
      "HANDLE_TYPE_UNSUPPORTED",
      "VK_KHR_external_semaphore_win32",
    );
    assertRule(
      () => Fence.importWin32(b, h, descriptor("fence", "OPAQUE_WIN32_KMT")),
      "HANDLE_TYPE_UNSUPPORTED",
      "VK_KHR_external_fence_win32",
    );
    using into = Semaphore.create(b);
    assertRule(
      () =>
        into.importWin32({ name: "Global\\\\sem" }, descriptor("semaphore", "OPAQUE_WIN32_KMT")),
      "WIN32_HANDLE",
    );
    assertEquals(h.state, "open");
  }),
);
