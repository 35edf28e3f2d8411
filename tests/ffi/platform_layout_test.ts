// The structs of the other platforms' handle types (ffi/vk_platform_structs.ts): VK_NV_external_memory,
// the _win32 handle types (Windows' ABI: the windows.h types given in PLATFORM_PRELUDE) and
// Android hardware buffers. Each layout equals what cc computes over vulkan_win32.h and
// vulkan_android.h (committed as tests/ffi/platform_layouts.json, so the check also runs without a
// compiler); each field is declared as in the headers; each struct survives an encode/decode.
// @ts-types="../../cli/_node/fs.d.ts"
import { readFileSync } from "node:fs";

import { assertEquals } from "@std/assert";
import { Arena, encode } from "../../ffi/layout.ts";
import {
  PLATFORM_HEADERS,
  PLATFORM_PRELUDE,
  PLATFORM_STRUCTS,
} from "../../ffi/vk_platform_structs.ts";
import {
  compileAndRun,
  computed,
  cSource,
  declarations,
  haveCompiler,
  headerDeclarations,
} from "../../tools/layout_c.ts";
import { test } from "../_harness.ts";

const here = new URL("./", import.meta.url);
const source = () => cSource(PLATFORM_STRUCTS, PLATFORM_HEADERS, [], {}, PLATFORM_PRELUDE);
const committedSource = readFileSync(new URL("platform_layouts.c", here), "utf8");
const committed = JSON.parse(readFileSync(new URL("platform_layouts.json", here), "utf8"));
const cc = haveCompiler();

test("platform_layouts.c is generated from the current declarations (deno task layouts)", () => {
  assertEquals(committedSource, source());
});

test("every platform struct's layout equals the compiler's committed output", () => {
  assertEquals(computed(PLATFORM_STRUCTS), committed);
});

test(
  "every platform struct's layout equals what cc computes now over vulkan_win32.h and vulkan_android.h",
  { skip: cc ? false : "no cc or Vulkan headers" },
  () => {
    const now = JSON.parse(compileAndRun(committedSource));
    assertEquals(computed(PLATFORM_STRUCTS), now);
  },
);

test(
  "every platform struct's field is declared as in its header, in order",
  { skip: cc ? false : "no Vulkan headers" },
  () => {
    const header = PLATFORM_HEADERS.map((h) => readFileSync(`/usr/include/${h}`, "utf8")).join(
      "\n",
    );
    for (const s of PLATFORM_STRUCTS) {
      assertEquals(declarations(s), headerDeclarations(header, s.name), s.name);
    }
  },
);

/** A value for each field a script sets (not sType or pNext), distinct per field. */
function sample(fields: Record<string, { c: string; len?: string; role?: string }>) {
  const v: Record<string, unknown> = {};
  let n = 1;
  for (const [k, f] of Object.entries(fields)) {
    n++;
    if (f.role === "sType" || f.role === "pNext" || f.role === "count") continue;
    if (f.c.endsWith("*") && f.c.includes("uint64_t")) v[k] = [BigInt(n), BigInt(n + 1)];
    else if (f.c.endsWith("*") || f.c === "HANDLE" || f.c === "LPCWSTR") v[k] = BigInt(0x1000 * n);
    else if (/uint64_t|VkDeviceSize|VkFormatFeatureFlags2/.test(f.c)) v[k] = BigInt(n * 1000);
    else if (f.c.startsWith("Vk") && /Mapping|Properties$/.test(f.c)) continue; // nested: zeros
    else if (/^Vk(DeviceMemory|Semaphore|Fence)$/.test(f.c)) v[k] = BigInt(0xabc0 + n);
    else v[k] = n;
  }
  return v;
}

test("every platform struct survives an encode and a decode (values, counts, sType)", () => {
  for (const s of PLATFORM_STRUCTS) {
    using arena = new Arena();
    const value = sample(s.fields as never);
    const e = encode(s, value as never, arena);
    const back = e.decode() as Record<string, unknown>;
    for (const [k, v] of Object.entries(value)) {
      const got = back[k];
      if (Array.isArray(v)) assertEquals((got as bigint[]).map(BigInt), v, `${s.name}.${k}`);
      else assertEquals(got, v, `${s.name}.${k}`);
    }
    if (s.sType !== undefined) {
      assertEquals(new DataView(e.bytes.buffer, e.bytes.byteOffset).getInt32(0, true), s.sType);
    }
  }
});
