// The CUDA struct layouts (CUDA_EXTERNAL_MEMORY_HANDLE_DESC, the semaphore signal and wait params,
// CUmemAllocationProp, ...) against cuda.h, compiled by cc where the CUDA toolkit's header is
// installed; everywhere, against the compiler's committed output.
// @ts-types="../../cli/_node/fs.d.ts"
import { readFileSync } from "node:fs";

import { assertEquals } from "@std/assert";
import { CUDA_STRUCTS, CUDA_TYPEDEFS } from "../../ffi/cuda.ts";
import { compileAndRun, computed, cSource, cudaIncludeDir, haveCC } from "../../tools/layout_c.ts";
import { test } from "../_harness.ts";

const here = new URL("./", import.meta.url);
const committedSource = readFileSync(new URL("cuda_layouts.c", here), "utf8");
const committed = JSON.parse(readFileSync(new URL("cuda_layouts.json", here), "utf8"));
const dir = cudaIncludeDir();

test("cuda_layouts.c is generated from the current declarations (deno task layouts)", () => {
  assertEquals(committedSource, cSource(CUDA_STRUCTS, ["cuda.h"], [], CUDA_TYPEDEFS));
});

test("every CUDA layout equals the compiler's committed output", () => {
  assertEquals(computed(CUDA_STRUCTS), committed);
});

test(
  "every CUDA layout equals what cc computes now from cuda.h",
  { skip: !haveCC() ? "no cc" : dir ? false : "no cuda.h (CUDA toolkit)" },
  () => {
    assertEquals(computed(CUDA_STRUCTS), JSON.parse(compileAndRun(committedSource, [`-I${dir}`])));
  },
);
