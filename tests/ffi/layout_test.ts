// Every struct layout against the C compiler over the Vulkan headers: size, alignment, every field
// offset, the sType value, and each field's C declaration. Without cc and the headers, the layouts
// are compared with the compiler's committed output (tests/ffi/layouts.json).
import { assertEquals } from "@std/assert";
// @ts-types="../../cli/_node/fs.d.ts"
import { readFileSync } from "node:fs";
import { PIPELINE_STRUCTS } from "../../ffi/vk_pipeline.ts";
import { VK_STRUCTS as CORE_STRUCTS } from "../../ffi/vk_structs.ts";
import {
  compileAndRun,
  computed,
  cSource,
  declarations,
  haveCompiler,
  headerDeclarations,
  VULKAN_HEADER,
} from "../../tools/layout_c.ts";
import { test } from "../_harness.ts";

const VK_STRUCTS = [...CORE_STRUCTS, ...PIPELINE_STRUCTS];
const here = new URL("./", import.meta.url);
const committedSource = readFileSync(new URL("layouts.c", here), "utf8");
const committed = JSON.parse(readFileSync(new URL("layouts.json", here), "utf8"));
const cc = haveCompiler();

test("layouts.c is generated from the current declarations (deno task layouts)", () => {
  assertEquals(committedSource, cSource(VK_STRUCTS, ["vulkan/vulkan.h"]));
});

test("every layout equals the compiler's committed output", () => {
  assertEquals(computed(VK_STRUCTS), committed);
});

test(
  "every layout equals what cc computes now",
  { skip: cc ? false : "no cc or Vulkan headers" },
  () => {
    const now = JSON.parse(compileAndRun(committedSource));
    assertEquals(computed(VK_STRUCTS), now);
    assertEquals(committed, now, "tests/ffi/layouts.json is stale: run deno task layouts");
  },
);

test(
  "every field is declared as in vulkan_core.h, in order",
  { skip: cc ? false : "no Vulkan headers" },
  () => {
    const header = readFileSync(VULKAN_HEADER, "utf8");
    for (const s of VK_STRUCTS) {
      assertEquals(declarations(s), headerDeclarations(header, s.name), s.name);
    }
  },
);
