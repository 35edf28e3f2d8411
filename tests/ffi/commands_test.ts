// Every command of ffi/vk_commands.ts (the core table and each extension table) is declared as
// its header prototype says: the same parameters, in order, each commented with its C
// declaration, and a native type of the right size for it. Checked against vulkan_core.h,
// vulkan_win32.h and vulkan_android.h (no driver needed).
// @ts-types="../../cli/_node/fs.d.ts"
import { readFileSync } from "node:fs";

import { assert, assertEquals } from "@std/assert";
import { haveCompiler } from "../../tools/layout_c.ts";
import { test } from "../_harness.ts";

const HEADERS = ["vulkan_core.h", "vulkan_win32.h", "vulkan_android.h"];
const source = readFileSync(new URL("../../ffi/vk_commands.ts", import.meta.url), "utf8");

/** The prototypes of the headers: command name -> its parameters' declarations, normalized. */
function prototypes(): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const h of HEADERS) {
    const text = readFileSync(`/usr/include/vulkan/${h}`, "utf8");
    for (const m of text.matchAll(/VKAPI_ATTR [\w\s*]+? VKAPI_CALL (vk\w+)\(([^;]*?)\);/g)) {
      const params = m[2].split(",").map((p) => p.replace(/\s+/g, " ").trim()).filter(Boolean);
      out.set(m[1], params.length === 1 && params[0] === "void" ? [] : params);
    }
  }
  return out;
}

/** The commands of vk_commands.ts: name -> [native type, commented C declaration][]. */
function declared(): Map<string, [string, string][]> {
  const out = new Map<string, [string, string][]>();
  for (const m of source.matchAll(/(vk\w+): \{\s*parameters: \[([^\]]*)\]/g)) {
    const params = [...m[2].matchAll(/"(\w+)",\s*\/\/\s*([^\n]+)/g)].map((p) =>
      [p[1], p[2].replace(/\s+/g, " ").trim()] as [string, string]
    );
    out.set(m[1], params);
  }
  return out;
}

const SIZE: Record<string, number> = {
  pointer: 8,
  buffer: 8,
  function: 8,
  u64: 8,
  i64: 8,
  usize: 8,
  u32: 4,
  i32: 4,
  f32: 4,
  u8: 1,
};

test(
  "every command's parameters are declared as in its header, with a native type of their size",
  { skip: haveCompiler() ? false : "no Vulkan headers" },
  () => {
    const protos = prototypes();
    const mine = declared();
    assert(mine.size > 40, `found ${mine.size} commands`);
    for (const [name, params] of mine) {
      const proto = protos.get(name);
      assert(proto, `${name} is in no header`);
      assertEquals(params.map(([, c]) => c), proto, name);
      for (const [native, c] of params) {
        const pointer = c.includes("*")
          || /^(VkInstance|VkPhysicalDevice|VkDevice|VkQueue|VkCommandBuffer|HANDLE) /.test(c);
        const is64 = pointer
          || /^(uint64_t|VkDeviceSize|VkDeviceMemory|VkSemaphore|VkFence|VkBuffer|VkImage|VkCommandPool|VkDebugUtilsMessengerEXT) /
            .test(c)
          // The non-dispatchable handles of compute and draw (64-bit on 64-bit platforms).
          || /^(VkShaderModule|VkDescriptorSetLayout|VkPipelineLayout|VkPipelineCache|VkPipeline|VkDescriptorPool|VkImageView|VkSampler|VkRenderPass|VkFramebuffer) /
            .test(c);
        assertEquals(SIZE[native], is64 ? 8 : 4, `${name}: ${native} for ${c}`);
      }
    }
  },
);
