// The struct encoder and decoder (ffi/layout.ts): C ABI layout rules, value checks that name the
// struct and field, counts derived from arrays, typed pNext chains, pointers kept alive.
import { assertEquals, assertThrows } from "@std/assert";
import {
  Arena,
  array,
  bytes,
  chars,
  count,
  cstr,
  cstrArray,
  defineStruct,
  encode,
  encodeFlat,
  i32,
  keptEncoding,
  KeptStruct,
  keysOf,
  link,
  readStructAt,
  u32,
  u64,
  u8,
  valueArray,
} from "../../ffi/layout.ts";
import { rt } from "../../ffi/runtime.ts";
import {
  VkApplicationInfo,
  VkBindImageMemoryInfo,
  VkBindImagePlaneMemoryInfo,
  VkDeviceCreateInfo,
  VkExportMemoryAllocateInfo,
  VkFenceCreateInfo,
  VkImageMemoryRequirementsInfo2,
  VkImagePlaneMemoryRequirementsInfo,
  VkImportMemoryFdInfoKHR,
  VkInstanceCreateInfo,
  VkMemoryAllocateInfo,
  VkPhysicalDeviceIDProperties,
  VkSemaphoreWaitInfo,
  VkSubmitInfo,
} from "../../ffi/vk_structs.ts";
import { test } from "../_harness.ts";

test("layout follows the C ABI: padding before aligned fields, tail padding", () => {
  const S = defineStruct("S", { a: u8(), b: u64(), c: u32(), d: array(u8(), 3) });
  assertEquals(S.offsets, { a: 0, b: 8, c: 16, d: 20 });
  assertEquals(S.size, 24);
  assertEquals(S.align, 8);
  const T = defineStruct("T", { x: u8(), y: chars(5) });
  assertEquals([T.size, T.align], [6, 1]);
});

test("encoder writes sType and values, decoder reads them back", () => {
  using arena = new Arena();
  const e = encode(VkMemoryAllocateInfo, { allocationSize: 1n << 40n, memoryTypeIndex: 3 }, arena);
  const dv = new DataView(e.bytes.buffer, e.bytes.byteOffset, e.bytes.byteLength);
  assertEquals(dv.getInt32(0, true), 5); // VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO
  assertEquals(e.decode(), { allocationSize: 1n << 40n, memoryTypeIndex: 3 });
});

test("encoder rejects what C cannot hold, naming the struct and field", () => {
  using arena = new Arena();
  const s = (v: unknown) => ({ memoryTypeIndex: v }) as never;
  assertThrows(
    () => encode(VkMemoryAllocateInfo, s(2 ** 32), arena),
    RangeError,
    "VkMemoryAllocateInfo.memoryTypeIndex",
  );
  assertThrows(
    () => encode(VkMemoryAllocateInfo, s(-1), arena),
    RangeError,
    "VkMemoryAllocateInfo.memoryTypeIndex",
  );
  assertThrows(
    () => encode(VkMemoryAllocateInfo, s(1.5), arena),
    TypeError,
    "VkMemoryAllocateInfo.memoryTypeIndex",
  );
  assertThrows(() => encode(VkMemoryAllocateInfo, s("1"), arena), TypeError, "needs an integer");
  assertThrows(
    () => encode(VkMemoryAllocateInfo, { allocationSize: -1n }, arena),
    RangeError,
    "VkMemoryAllocateInfo.allocationSize",
  );
  assertThrows(
    () => encode(VkMemoryAllocateInfo, { allocationSize: 2 ** 60 }, arena),
    RangeError,
    "pass VkDeviceSize as a bigint",
  );
  assertThrows(
    () => encode(VkImportMemoryFdInfoKHR, { fd: 2 ** 31 }, arena),
    RangeError,
    "VkImportMemoryFdInfoKHR.fd",
  );
  assertThrows(
    () => encode(VkApplicationInfo, { pApplicationName: "a\0b" }, arena),
    TypeError,
    "VkApplicationInfo.pApplicationName: a C string cannot hold a NUL",
  );
  assertThrows(
    () => encode(VkInstanceCreateInfo, { ppEnabledLayerNames: ["ok", "x\0"] }, arena),
    TypeError,
    "VkInstanceCreateInfo.ppEnabledLayerNames[1]",
  );
  assertThrows(
    () => encode(VkMemoryAllocateInfo, { memoryTypeIdx: 1 } as never, arena),
    TypeError,
    'VkMemoryAllocateInfo has no field "memoryTypeIdx"',
  );
  const Fixed = defineStruct("Fixed", { name: chars(4), id: bytes(2) });
  assertThrows(() => encode(Fixed, { name: "abcd" }, arena), RangeError, "Fixed.name");
  assertThrows(() => encode(Fixed, { id: [1, 2, 3] }, arena), RangeError, "Fixed.id");
  assertThrows(() => encode(Fixed, { id: [256] }, arena), RangeError, "Fixed.id[0]");
});

test("counts are derived from arrays, and a wrong count is refused", () => {
  using arena = new Arena();
  const e = encode(VkInstanceCreateInfo, { ppEnabledExtensionNames: ["A", "BB"] }, arena);
  const d = e.decode();
  assertEquals(d.enabledExtensionCount, 2);
  assertEquals(d.ppEnabledExtensionNames, ["A", "BB"]);
  assertEquals(d.enabledLayerCount, 0);
  assertThrows(
    () =>
      encode(
        VkInstanceCreateInfo,
        { enabledExtensionCount: 3, ppEnabledExtensionNames: ["A"] },
        arena,
      ),
    RangeError,
    "VkInstanceCreateInfo.enabledExtensionCount",
  );
  const Q = defineStruct("Q", { n: count(), p: valueArray(i32(), "n", "const int32_t*") });
  assertEquals(encode(Q, { p: [-1, 7] }, arena).decode(), { n: 2, p: [-1, 7] });
});

test("pointer fields reach memory that stays alive while the arena does", () => {
  using arena = new Arena();
  const e = encode(VkInstanceCreateInfo, {
    pApplicationInfo: { pApplicationName: "héllo", apiVersion: 42 },
  }, arena);
  // Garbage that would reuse freed memory, then read through the pointers C would follow.
  for (let i = 0; i < 1000; i++) new Uint8Array(new ArrayBuffer(4096)).fill(0xee);
  const back = readStructAt(VkInstanceCreateInfo, rt.pointer(e.address));
  assertEquals(back.pApplicationInfo[0].pApplicationName, "héllo");
  assertEquals(back.pApplicationInfo[0].apiVersion, 42);
  const S = defineStruct("S", { s: cstr(), n: count(), names: cstrArray("n") });
  assertEquals(encode(S, { s: null, names: [] }, arena).decode(), { s: null, n: 0, names: [] });
});

test("pNext chains only take structs that extend the target, each once", () => {
  using arena = new Arena();
  const ok = encode(VkMemoryAllocateInfo, {
    pNext: [
      link(VkExportMemoryAllocateInfo, { handleTypes: 1 }),
      link(VkImportMemoryFdInfoKHR, { fd: 7 }),
    ],
  }, arena);
  const chained = ok.chained(VkImportMemoryFdInfoKHR);
  assertEquals(chained.fd, 7);
  assertEquals(ok.chained(VkExportMemoryAllocateInfo).handleTypes, 1);
  assertThrows(
    // @ts-expect-error: the type system refuses it too
    () => encode(VkDeviceCreateInfo, { pNext: [link(VkImportMemoryFdInfoKHR, { fd: 1 })] }, arena),
    TypeError,
    "VkImportMemoryFdInfoKHR cannot extend VkDeviceCreateInfo",
  );
  assertThrows(
    () =>
      encode(VkMemoryAllocateInfo, {
        pNext: [link(VkImportMemoryFdInfoKHR, { fd: 1 }), link(VkImportMemoryFdInfoKHR, { fd: 2 })],
      }, arena),
    TypeError,
    "appears twice",
  );
  assertThrows(() => ok.chained(VkPhysicalDeviceIDProperties), Error, "not in the pNext chain");
});

test("encodeFlat: a struct of plain values in bytes of its own; one that points at memory is refused", () => {
  const b = encodeFlat(VkImportMemoryFdInfoKHR, { handleType: 1, fd: 7 });
  assertEquals(b.byteLength, VkImportMemoryFdInfoKHR.size);
  assertEquals(b.byteOffset, 0);
  using arena = new Arena();
  const same = encode(VkImportMemoryFdInfoKHR, { handleType: 1, fd: 7 }, arena);
  assertEquals([...b], [...same.bytes]);
  assertThrows(
    () => encodeFlat(VkMemoryAllocateInfo, { pNext: [link(VkExportMemoryAllocateInfo, {})] }),
    TypeError,
    "points at memory",
  );
});

test("KeptStruct: a field, an fd field and an array element rewritten in place; the address is the bytes'", () => {
  const wait = new KeptStruct(VkSemaphoreWaitInfo, { pSemaphores: [7n], pValues: [1n] });
  assertEquals(wait.address, rt.address(rt.pointerOf(wait.bytes)));
  wait.setU64Element("pValues", 0, 0x1234_5678_9abcn);
  wait.setU64("pSemaphores", wait.address); // any 64-bit value: only the field changes
  const view = new DataView(wait.bytes.buffer, wait.bytes.byteOffset, VkSemaphoreWaitInfo.size);
  assertEquals(view.getBigUint64(VkSemaphoreWaitInfo.offsets.pSemaphores, true), wait.address);
  assertEquals(view.getUint32(VkSemaphoreWaitInfo.offsets.semaphoreCount, true), 1);
  const values = view.getBigUint64(VkSemaphoreWaitInfo.offsets.pValues, true);
  assertEquals(
    new DataView(rt.view(rt.pointer(values), 8)).getBigUint64(0, true),
    0x1234_5678_9abcn,
  );
  // Only the elements of the array given: no write past it, and no "element" of a scalar field.
  assertThrows(
    () => wait.setU64Element("pValues", 1, 0n),
    RangeError,
    "element 1 of an array of 1",
  );
  assertThrows(() => wait.setU64Element("flags", 0, 0n), RangeError, "of an array of 0");
  const imp = new KeptStruct(VkImportMemoryFdInfoKHR, { handleType: 1, fd: -1 });
  imp.setI32("fd", 42);
  assertEquals(imp.bytes.slice(0), encodeFlat(VkImportMemoryFdInfoKHR, { handleType: 1, fd: 42 }));
});

test("KeptStruct: 32-bit fields and array elements take the whole unsigned range", () => {
  const submit = new KeptStruct(VkSubmitInfo, {
    pWaitSemaphores: [1n, 2n],
    pWaitDstStageMask: [0, 0],
  });
  submit.setU32("waitSemaphoreCount", 1);
  submit.setU32Element("pWaitDstStageMask", 1, 0x8000_0001);
  const view = new DataView(submit.bytes.buffer, submit.bytes.byteOffset, VkSubmitInfo.size);
  assertEquals(view.getUint32(VkSubmitInfo.offsets.waitSemaphoreCount, true), 1);
  const masks = view.getBigUint64(VkSubmitInfo.offsets.pWaitDstStageMask, true);
  const elements = new DataView(rt.view(rt.pointer(masks), 8));
  assertEquals([elements.getUint32(0, true), elements.getUint32(4, true)], [0, 0x8000_0001]);
  assertThrows(
    () => submit.setU32Element("pWaitDstStageMask", 2, 0),
    RangeError,
    "element 2 of an array of 2",
  );
});

test("keptEncoding: made once per owner and key, a throw not kept, the oldest of 33 keys dropped", () => {
  const a = {}, b = {};
  let made = 0;
  const make = (flags: number) => (arena: Arena) => {
    made++;
    return encode(VkFenceCreateInfo, { flags }, arena).bytes;
  };
  const first = keptEncoding(a, "fence 1", make(1));
  assertEquals(keptEncoding(a, "fence 1", make(1)), first);
  assertEquals(made, 1);
  const flagsAt = first.byteOffset + VkFenceCreateInfo.offsets.flags;
  assertEquals(new DataView(first.buffer).getUint32(flagsAt, true), 1);
  keptEncoding(b, "fence 1", make(1)); // another owner: its own
  assertEquals(made, 2);
  const boom = () => {
    throw new RangeError("bad option");
  };
  assertThrows(() => keptEncoding(a, "bad", boom), RangeError, "bad option");
  assertThrows(() => keptEncoding(a, "bad", boom), RangeError, "bad option");
  for (let i = 0; i < 32; i++) keptEncoding(a, `fence ${i + 2}`, make(0));
  assertEquals(made, 34);
  keptEncoding(a, "fence 1", make(1)); // dropped by the 33rd key: made again
  assertEquals(made, 35);
});

test("keysOf: a key for every pair of listed names (or undefined), none for anything else", () => {
  const key = keysOf("fence", ["OPAQUE_FD", "SYNC_FD"], ["true", "false"]);
  assertEquals(key("OPAQUE_FD", "false"), "fence OPAQUE_FD false");
  assertEquals(key("SYNC_FD", "true"), "fence SYNC_FD true");
  assertEquals(key(undefined, "false"), "fence undefined false");
  assertEquals(key("OPAQUE_FD", undefined), "fence OPAQUE_FD undefined");
  // Another name, a name of the other list, a list of names, another type: no key.
  assertEquals(key("DMA_BUF", "false"), undefined);
  assertEquals(key("true", "false"), undefined);
  assertEquals(key(["OPAQUE_FD"] as unknown as string, "false"), undefined);
  assertEquals(key("OPAQUE_FD", 1 as unknown as string), undefined);
  assertEquals(key("__proto__", "false"), undefined);
});

test("the disjoint-plane structs survive an encode and a decode, sType and chain included", () => {
  using arena = new Arena();
  const bind = encode(VkBindImageMemoryInfo, {
    pNext: [link(VkBindImagePlaneMemoryInfo, { planeAspect: 0x20 })],
    image: 0xabc1n,
    memory: 0xabc2n,
    memoryOffset: 1n << 33n,
  }, arena);
  const b = bind.decode();
  assertEquals([b.image, b.memory, b.memoryOffset], [0xabc1n, 0xabc2n, 1n << 33n]);
  assertEquals(bind.chained(VkBindImagePlaneMemoryInfo).planeAspect, 0x20);
  const dv = new DataView(bind.bytes.buffer, bind.bytes.byteOffset);
  assertEquals(dv.getInt32(0, true), 1000157001); // VK_STRUCTURE_TYPE_BIND_IMAGE_MEMORY_INFO
  const req = encode(VkImageMemoryRequirementsInfo2, {
    pNext: [link(VkImagePlaneMemoryRequirementsInfo, { planeAspect: 0x40 })],
    image: 0xabc3n,
  }, arena);
  assertEquals(req.decode().image, 0xabc3n);
  assertEquals(req.chained(VkImagePlaneMemoryRequirementsInfo).planeAspect, 0x40);
  // Each extends only its own struct.
  assertThrows(() =>
    encode(VkMemoryAllocateInfo, {
      pNext: [link(VkBindImagePlaneMemoryInfo as never, { planeAspect: 0x10 })],
    } as never, arena)
  );
});
