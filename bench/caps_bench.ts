// The cheapest vkshare calls against the bare FFI call under them, so that toolkit overhead and
// FFI overhead can be told apart, as Deno.bench measures them (the full sweep against C is
// bench/run.ts).  deno task bench:micro
import { Arena, encode } from "../ffi/layout.ts";
import {
  VkExternalBufferProperties,
  VkPhysicalDeviceExternalBufferInfo,
} from "../ffi/vk_structs.ts";
import { vk } from "../ffi/vulkan.ts";
import { Instance } from "../mod.ts";
import { externalBufferProperties } from "../share/mod.ts";

const instance = Instance.create();
const pd = instance.physicalDevices()[0];
const arena = new Arena();
const info = encode(VkPhysicalDeviceExternalBufferInfo, { usage: 3, handleType: 1 }, arena);
const props = encode(VkExternalBufferProperties, {}, arena);
const query = vk().vkGetPhysicalDeviceExternalBufferProperties!;

Deno.bench("bare FFI: vkGetPhysicalDeviceExternalBufferProperties", {
  group: "buffer query",
  baseline: true,
}, () => {
  query(pd.handle, info.bytes, props.bytes);
});

Deno.bench("vkshare: externalBufferProperties", { group: "buffer query" }, () => {
  externalBufferProperties(pd, {
    handleType: "OPAQUE_FD",
    usage: ["TRANSFER_SRC", "TRANSFER_DST"],
  });
});
