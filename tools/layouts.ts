// Regenerates tests/layouts.c from the struct declarations and tests/layouts.json by compiling and
// running it (needs cc and the Vulkan headers: apt-get install gcc libvulkan-dev).
//   deno task layouts
import { LIBC_HEADERS, LIBC_STRUCTS } from "../ffi/libc_socket.ts";
import { VK_STRUCTS } from "../ffi/vk_structs.ts";
import { compileAndRun, cSource, haveCompiler } from "../tests/_layout_c.ts";

const root = new URL("../tests/", import.meta.url);
const source = cSource(VK_STRUCTS, ["vulkan/vulkan.h"]);
Deno.writeTextFileSync(new URL("layouts.c", root), source);
if (!haveCompiler()) {
  console.error("layouts: no cc or no Vulkan headers: install gcc and libvulkan-dev");
  Deno.exit(1);
}
const json = JSON.stringify(JSON.parse(compileAndRun(source)), null, 1) + "\n";
Deno.writeTextFileSync(new URL("layouts.json", root), json);
console.log(
  `layouts: ${VK_STRUCTS.length} structs written to tests/layouts.c and tests/layouts.json`,
);

const libcSource = cSource(LIBC_STRUCTS, LIBC_HEADERS, ["_GNU_SOURCE"]);
Deno.writeTextFileSync(new URL("libc_layouts.c", root), libcSource);
const libcJson = JSON.stringify(JSON.parse(compileAndRun(libcSource)), null, 1) + "\n";
Deno.writeTextFileSync(new URL("libc_layouts.json", root), libcJson);
console.log(
  `layouts: ${LIBC_STRUCTS.length} libc structs written to tests/libc_layouts.c and tests/libc_layouts.json`,
);
