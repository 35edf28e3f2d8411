// Regenerates tests/ffi/layouts.c from the struct declarations and tests/ffi/layouts.json by compiling and
// running it (needs cc and the Vulkan headers: apt-get install gcc libvulkan-dev), and the same for
// the libc structs and, where cuda.h is installed, the CUDA structs.
//   deno task layouts
import { parseCli } from "../cli/_args.ts";
import { CUDA_STRUCTS, CUDA_TYPEDEFS } from "../ffi/cuda.ts";
import { LIBC_HEADERS, LIBC_STRUCTS } from "../ffi/libc_socket.ts";
import { PIPELINE_STRUCTS } from "../ffi/vk_pipeline.ts";
import {
  PLATFORM_HEADERS,
  PLATFORM_PRELUDE,
  PLATFORM_STRUCTS,
} from "../ffi/vk_platform_structs.ts";
import { VK_STRUCTS as CORE_STRUCTS } from "../ffi/vk_structs.ts";
import { compileAndRun, cSource, cudaIncludeDir, haveCompiler } from "./layout_c.ts";

parseCli({
  name: "tools/layouts.ts",
  summary:
    "Regenerates tests/ffi/layouts.{c,json}, tests/ffi/platform_layouts.{c,json}, tests/ffi/libc_layouts.{c,json} and tests/ffi/cuda_layouts.{c,json}\nfrom the struct declarations, by compiling and running the C programs (needs cc and the headers).",
  flags: {},
});

const VK_STRUCTS = [...CORE_STRUCTS, ...PIPELINE_STRUCTS];
const root = new URL("../tests/ffi/", import.meta.url);
const source = cSource(VK_STRUCTS, ["vulkan/vulkan.h"]);
Deno.writeTextFileSync(new URL("layouts.c", root), source);
if (!haveCompiler()) {
  console.error("layouts: no cc or no Vulkan headers: install gcc and libvulkan-dev");
  Deno.exit(1);
}
const json = JSON.stringify(JSON.parse(compileAndRun(source)), null, 1) + "\n";
Deno.writeTextFileSync(new URL("layouts.json", root), json);
console.log(
  `layouts: ${VK_STRUCTS.length} structs written to tests/ffi/layouts.c and tests/ffi/layouts.json`,
);

// The structs of the other platforms' handle types: vulkan_win32.h (Windows' ABI, with the few
// windows.h types given in PLATFORM_PRELUDE) and vulkan_android.h.
const platformSource = cSource(PLATFORM_STRUCTS, PLATFORM_HEADERS, [], {}, PLATFORM_PRELUDE);
Deno.writeTextFileSync(new URL("platform_layouts.c", root), platformSource);
const platformJson = JSON.stringify(JSON.parse(compileAndRun(platformSource)), null, 1) + "\n";
Deno.writeTextFileSync(new URL("platform_layouts.json", root), platformJson);
console.log(
  `layouts: ${PLATFORM_STRUCTS.length} platform structs written to tests/ffi/platform_layouts.c and tests/ffi/platform_layouts.json`,
);

const libcSource = cSource(LIBC_STRUCTS, LIBC_HEADERS, ["_GNU_SOURCE"]);
Deno.writeTextFileSync(new URL("libc_layouts.c", root), libcSource);
const libcJson = JSON.stringify(JSON.parse(compileAndRun(libcSource)), null, 1) + "\n";
Deno.writeTextFileSync(new URL("libc_layouts.json", root), libcJson);
console.log(
  `layouts: ${LIBC_STRUCTS.length} libc structs written to tests/ffi/libc_layouts.c and tests/ffi/libc_layouts.json`,
);

// The CUDA structs, against cuda.h (the CUDA toolkit's header; libcuda itself is not needed).
const cudaDir = cudaIncludeDir();
const cudaSource = cSource(CUDA_STRUCTS, ["cuda.h"], [], CUDA_TYPEDEFS);
Deno.writeTextFileSync(new URL("cuda_layouts.c", root), cudaSource);
if (!cudaDir) {
  console.error("layouts: no cuda.h (CUDA toolkit): tests/ffi/cuda_layouts.json left as it was");
  Deno.exit(1);
}
const cudaJson = JSON.stringify(JSON.parse(compileAndRun(cudaSource, [`-I${cudaDir}`])), null, 1);
Deno.writeTextFileSync(new URL("cuda_layouts.json", root), cudaJson + "\n");
console.log(
  `layouts: ${CUDA_STRUCTS.length} CUDA structs written to tests/ffi/cuda_layouts.c and tests/ffi/cuda_layouts.json (cuda.h in ${cudaDir})`,
);
