// Regenerates tests/layouts.c from the struct declarations and tests/layouts.json by compiling and
// running it (needs cc and the Vulkan headers: apt-get install gcc libvulkan-dev).
//   deno task layouts
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
