/**
 * The structs and calls of compute and draw (Vulkan 1.0 core): shader modules, descriptor sets,
 * pipeline layouts, compute and graphics pipelines, image views, samplers, render passes and
 * framebuffers, and the commands that use them. The structs are checked against the C headers
 * with the rest ({@linkcode PIPELINE_STRUCTS}, tools/layouts.ts); the functions take plain values
 * and return handles, so that memory/pipeline.ts touches no raw memory.
 *
 * @module
 */
import {
  type AnyStruct,
  Arena,
  array,
  bool32,
  count,
  cstr,
  defineStruct,
  encode,
  encodeArray,
  f32,
  handle,
  i32,
  pNext,
  struct,
  structPtr,
  sType,
  u32,
  u64,
  valueArray,
  voidPtr,
} from "./layout.ts";
import type { Pointer } from "./types.ts";
import { VkImageSubresourceLayers, VkImageSubresourceRange, VkOffset3D } from "./vk_structs.ts";
import { vk } from "./vulkan.ts";

const ST = {
  IMAGE_VIEW_CREATE_INFO: 15,
  SHADER_MODULE_CREATE_INFO: 16,
  PIPELINE_SHADER_STAGE_CREATE_INFO: 18,
  PIPELINE_VERTEX_INPUT_STATE_CREATE_INFO: 19,
  PIPELINE_INPUT_ASSEMBLY_STATE_CREATE_INFO: 20,
  PIPELINE_VIEWPORT_STATE_CREATE_INFO: 22,
  PIPELINE_RASTERIZATION_STATE_CREATE_INFO: 23,
  PIPELINE_MULTISAMPLE_STATE_CREATE_INFO: 24,
  PIPELINE_COLOR_BLEND_STATE_CREATE_INFO: 26,
  GRAPHICS_PIPELINE_CREATE_INFO: 28,
  COMPUTE_PIPELINE_CREATE_INFO: 29,
  PIPELINE_LAYOUT_CREATE_INFO: 30,
  SAMPLER_CREATE_INFO: 31,
  DESCRIPTOR_SET_LAYOUT_CREATE_INFO: 32,
  DESCRIPTOR_POOL_CREATE_INFO: 33,
  DESCRIPTOR_SET_ALLOCATE_INFO: 34,
  WRITE_DESCRIPTOR_SET: 35,
  FRAMEBUFFER_CREATE_INFO: 37,
  RENDER_PASS_CREATE_INFO: 38,
  RENDER_PASS_BEGIN_INFO: 43,
} as const;

const VkShaderModuleCreateInfo = defineStruct("VkShaderModuleCreateInfo", {
  sType: sType(),
  pNext: pNext(),
  flags: u32("VkShaderModuleCreateFlags"),
  codeSize: u64("size_t"),
  pCode: voidPtr("const uint32_t*"),
}, { sType: ST.SHADER_MODULE_CREATE_INFO });

const VkPipelineShaderStageCreateInfo = defineStruct("VkPipelineShaderStageCreateInfo", {
  sType: sType(),
  pNext: pNext(),
  flags: u32("VkPipelineShaderStageCreateFlags"),
  stage: u32("VkShaderStageFlagBits"),
  module: handle("VkShaderModule"),
  pName: cstr(),
  pSpecializationInfo: voidPtr("const VkSpecializationInfo*"),
}, { sType: ST.PIPELINE_SHADER_STAGE_CREATE_INFO });

const VkComputePipelineCreateInfo = defineStruct("VkComputePipelineCreateInfo", {
  sType: sType(),
  pNext: pNext(),
  flags: u32("VkPipelineCreateFlags"),
  stage: struct(VkPipelineShaderStageCreateInfo),
  layout: handle("VkPipelineLayout"),
  basePipelineHandle: handle("VkPipeline"),
  basePipelineIndex: i32(),
}, { sType: ST.COMPUTE_PIPELINE_CREATE_INFO });

const VkDescriptorSetLayoutBinding = defineStruct("VkDescriptorSetLayoutBinding", {
  binding: u32(),
  descriptorType: u32("VkDescriptorType"),
  descriptorCount: u32(),
  stageFlags: u32("VkShaderStageFlags"),
  pImmutableSamplers: voidPtr("const VkSampler*"),
});

const VkDescriptorSetLayoutCreateInfo = defineStruct("VkDescriptorSetLayoutCreateInfo", {
  sType: sType(),
  pNext: pNext(),
  flags: u32("VkDescriptorSetLayoutCreateFlags"),
  bindingCount: count(),
  pBindings: structPtr(VkDescriptorSetLayoutBinding, "bindingCount"),
}, { sType: ST.DESCRIPTOR_SET_LAYOUT_CREATE_INFO });

const VkPushConstantRange = defineStruct("VkPushConstantRange", {
  stageFlags: u32("VkShaderStageFlags"),
  offset: u32(),
  size: u32(),
});

const VkPipelineLayoutCreateInfo = defineStruct("VkPipelineLayoutCreateInfo", {
  sType: sType(),
  pNext: pNext(),
  flags: u32("VkPipelineLayoutCreateFlags"),
  setLayoutCount: count(),
  pSetLayouts: valueArray(
    handle("VkDescriptorSetLayout"),
    "setLayoutCount",
    "const VkDescriptorSetLayout*",
  ),
  pushConstantRangeCount: count(),
  pPushConstantRanges: structPtr(VkPushConstantRange, "pushConstantRangeCount"),
}, { sType: ST.PIPELINE_LAYOUT_CREATE_INFO });

const VkDescriptorPoolSize = defineStruct("VkDescriptorPoolSize", {
  type: u32("VkDescriptorType"),
  descriptorCount: u32(),
});

const VkDescriptorPoolCreateInfo = defineStruct("VkDescriptorPoolCreateInfo", {
  sType: sType(),
  pNext: pNext(),
  flags: u32("VkDescriptorPoolCreateFlags"),
  maxSets: u32(),
  poolSizeCount: count(),
  pPoolSizes: structPtr(VkDescriptorPoolSize, "poolSizeCount"),
}, { sType: ST.DESCRIPTOR_POOL_CREATE_INFO });

const VkDescriptorSetAllocateInfo = defineStruct("VkDescriptorSetAllocateInfo", {
  sType: sType(),
  pNext: pNext(),
  descriptorPool: handle("VkDescriptorPool"),
  descriptorSetCount: count(),
  pSetLayouts: valueArray(
    handle("VkDescriptorSetLayout"),
    "descriptorSetCount",
    "const VkDescriptorSetLayout*",
  ),
}, { sType: ST.DESCRIPTOR_SET_ALLOCATE_INFO });

const VkDescriptorImageInfo = defineStruct("VkDescriptorImageInfo", {
  sampler: handle("VkSampler"),
  imageView: handle("VkImageView"),
  imageLayout: u32("VkImageLayout"),
});

const VkDescriptorBufferInfo = defineStruct("VkDescriptorBufferInfo", {
  buffer: handle("VkBuffer"),
  offset: u64("VkDeviceSize"),
  range: u64("VkDeviceSize"),
});

const VkWriteDescriptorSet = defineStruct("VkWriteDescriptorSet", {
  sType: sType(),
  pNext: pNext(),
  dstSet: handle("VkDescriptorSet"),
  dstBinding: u32(),
  dstArrayElement: u32(),
  descriptorCount: u32(),
  descriptorType: u32("VkDescriptorType"),
  pImageInfo: structPtr(VkDescriptorImageInfo),
  pBufferInfo: structPtr(VkDescriptorBufferInfo),
  pTexelBufferView: voidPtr("const VkBufferView*"),
}, { sType: ST.WRITE_DESCRIPTOR_SET });

const VkComponentMapping = defineStruct("VkComponentMapping", {
  r: u32("VkComponentSwizzle"),
  g: u32("VkComponentSwizzle"),
  b: u32("VkComponentSwizzle"),
  a: u32("VkComponentSwizzle"),
});

const VkImageViewCreateInfo = defineStruct("VkImageViewCreateInfo", {
  sType: sType(),
  pNext: pNext(),
  flags: u32("VkImageViewCreateFlags"),
  image: handle("VkImage"),
  viewType: u32("VkImageViewType"),
  format: u32("VkFormat"),
  components: struct(VkComponentMapping),
  subresourceRange: struct(VkImageSubresourceRange),
}, { sType: ST.IMAGE_VIEW_CREATE_INFO });

const VkSamplerCreateInfo = defineStruct("VkSamplerCreateInfo", {
  sType: sType(),
  pNext: pNext(),
  flags: u32("VkSamplerCreateFlags"),
  magFilter: u32("VkFilter"),
  minFilter: u32("VkFilter"),
  mipmapMode: u32("VkSamplerMipmapMode"),
  addressModeU: u32("VkSamplerAddressMode"),
  addressModeV: u32("VkSamplerAddressMode"),
  addressModeW: u32("VkSamplerAddressMode"),
  mipLodBias: f32(),
  anisotropyEnable: bool32(),
  maxAnisotropy: f32(),
  compareEnable: bool32(),
  compareOp: u32("VkCompareOp"),
  minLod: f32(),
  maxLod: f32(),
  borderColor: u32("VkBorderColor"),
  unnormalizedCoordinates: bool32(),
}, { sType: ST.SAMPLER_CREATE_INFO });

const VkImageBlit = defineStruct("VkImageBlit", {
  srcSubresource: struct(VkImageSubresourceLayers),
  srcOffsets: array(struct(VkOffset3D), 2),
  dstSubresource: struct(VkImageSubresourceLayers),
  dstOffsets: array(struct(VkOffset3D), 2),
});

const VkAttachmentDescription = defineStruct("VkAttachmentDescription", {
  flags: u32("VkAttachmentDescriptionFlags"),
  format: u32("VkFormat"),
  samples: u32("VkSampleCountFlagBits"),
  loadOp: u32("VkAttachmentLoadOp"),
  storeOp: u32("VkAttachmentStoreOp"),
  stencilLoadOp: u32("VkAttachmentLoadOp"),
  stencilStoreOp: u32("VkAttachmentStoreOp"),
  initialLayout: u32("VkImageLayout"),
  finalLayout: u32("VkImageLayout"),
});

const VkAttachmentReference = defineStruct("VkAttachmentReference", {
  attachment: u32(),
  layout: u32("VkImageLayout"),
});

const VkSubpassDescription = defineStruct("VkSubpassDescription", {
  flags: u32("VkSubpassDescriptionFlags"),
  pipelineBindPoint: u32("VkPipelineBindPoint"),
  inputAttachmentCount: u32(),
  pInputAttachments: voidPtr("const VkAttachmentReference*"),
  colorAttachmentCount: count(),
  pColorAttachments: structPtr(VkAttachmentReference, "colorAttachmentCount"),
  pResolveAttachments: voidPtr("const VkAttachmentReference*"),
  pDepthStencilAttachment: voidPtr("const VkAttachmentReference*"),
  preserveAttachmentCount: u32(),
  pPreserveAttachments: voidPtr("const uint32_t*"),
});

const VkRenderPassCreateInfo = defineStruct("VkRenderPassCreateInfo", {
  sType: sType(),
  pNext: pNext(),
  flags: u32("VkRenderPassCreateFlags"),
  attachmentCount: count(),
  pAttachments: structPtr(VkAttachmentDescription, "attachmentCount"),
  subpassCount: count(),
  pSubpasses: structPtr(VkSubpassDescription, "subpassCount"),
  dependencyCount: u32(),
  pDependencies: voidPtr("const VkSubpassDependency*"),
}, { sType: ST.RENDER_PASS_CREATE_INFO });

const VkFramebufferCreateInfo = defineStruct("VkFramebufferCreateInfo", {
  sType: sType(),
  pNext: pNext(),
  flags: u32("VkFramebufferCreateFlags"),
  renderPass: handle("VkRenderPass"),
  attachmentCount: count(),
  pAttachments: valueArray(handle("VkImageView"), "attachmentCount", "const VkImageView*"),
  width: u32(),
  height: u32(),
  layers: u32(),
}, { sType: ST.FRAMEBUFFER_CREATE_INFO });

const VkOffset2D = defineStruct("VkOffset2D", { x: i32(), y: i32() });
const VkExtent2D = defineStruct("VkExtent2D", { width: u32(), height: u32() });
const VkRect2D = defineStruct("VkRect2D", {
  offset: struct(VkOffset2D),
  extent: struct(VkExtent2D),
});

const VkRenderPassBeginInfo = defineStruct("VkRenderPassBeginInfo", {
  sType: sType(),
  pNext: pNext(),
  renderPass: handle("VkRenderPass"),
  framebuffer: handle("VkFramebuffer"),
  renderArea: struct(VkRect2D),
  clearValueCount: u32(),
  pClearValues: voidPtr("const VkClearValue*"),
}, { sType: ST.RENDER_PASS_BEGIN_INFO });

const VkViewport = defineStruct("VkViewport", {
  x: f32(),
  y: f32(),
  width: f32(),
  height: f32(),
  minDepth: f32(),
  maxDepth: f32(),
});

const VkPipelineVertexInputStateCreateInfo = defineStruct("VkPipelineVertexInputStateCreateInfo", {
  sType: sType(),
  pNext: pNext(),
  flags: u32("VkPipelineVertexInputStateCreateFlags"),
  vertexBindingDescriptionCount: u32(),
  pVertexBindingDescriptions: voidPtr("const VkVertexInputBindingDescription*"),
  vertexAttributeDescriptionCount: u32(),
  pVertexAttributeDescriptions: voidPtr("const VkVertexInputAttributeDescription*"),
}, { sType: ST.PIPELINE_VERTEX_INPUT_STATE_CREATE_INFO });

const VkPipelineInputAssemblyStateCreateInfo = defineStruct(
  "VkPipelineInputAssemblyStateCreateInfo",
  {
    sType: sType(),
    pNext: pNext(),
    flags: u32("VkPipelineInputAssemblyStateCreateFlags"),
    topology: u32("VkPrimitiveTopology"),
    primitiveRestartEnable: bool32(),
  },
  { sType: ST.PIPELINE_INPUT_ASSEMBLY_STATE_CREATE_INFO },
);

const VkPipelineViewportStateCreateInfo = defineStruct("VkPipelineViewportStateCreateInfo", {
  sType: sType(),
  pNext: pNext(),
  flags: u32("VkPipelineViewportStateCreateFlags"),
  viewportCount: count(),
  pViewports: structPtr(VkViewport, "viewportCount"),
  scissorCount: count(),
  pScissors: structPtr(VkRect2D, "scissorCount"),
}, { sType: ST.PIPELINE_VIEWPORT_STATE_CREATE_INFO });

const VkPipelineRasterizationStateCreateInfo = defineStruct(
  "VkPipelineRasterizationStateCreateInfo",
  {
    sType: sType(),
    pNext: pNext(),
    flags: u32("VkPipelineRasterizationStateCreateFlags"),
    depthClampEnable: bool32(),
    rasterizerDiscardEnable: bool32(),
    polygonMode: u32("VkPolygonMode"),
    cullMode: u32("VkCullModeFlags"),
    frontFace: u32("VkFrontFace"),
    depthBiasEnable: bool32(),
    depthBiasConstantFactor: f32(),
    depthBiasClamp: f32(),
    depthBiasSlopeFactor: f32(),
    lineWidth: f32(),
  },
  { sType: ST.PIPELINE_RASTERIZATION_STATE_CREATE_INFO },
);

const VkPipelineMultisampleStateCreateInfo = defineStruct("VkPipelineMultisampleStateCreateInfo", {
  sType: sType(),
  pNext: pNext(),
  flags: u32("VkPipelineMultisampleStateCreateFlags"),
  rasterizationSamples: u32("VkSampleCountFlagBits"),
  sampleShadingEnable: bool32(),
  minSampleShading: f32(),
  pSampleMask: voidPtr("const VkSampleMask*"),
  alphaToCoverageEnable: bool32(),
  alphaToOneEnable: bool32(),
}, { sType: ST.PIPELINE_MULTISAMPLE_STATE_CREATE_INFO });

const VkPipelineColorBlendAttachmentState = defineStruct("VkPipelineColorBlendAttachmentState", {
  blendEnable: bool32(),
  srcColorBlendFactor: u32("VkBlendFactor"),
  dstColorBlendFactor: u32("VkBlendFactor"),
  colorBlendOp: u32("VkBlendOp"),
  srcAlphaBlendFactor: u32("VkBlendFactor"),
  dstAlphaBlendFactor: u32("VkBlendFactor"),
  alphaBlendOp: u32("VkBlendOp"),
  colorWriteMask: u32("VkColorComponentFlags"),
});

const VkPipelineColorBlendStateCreateInfo = defineStruct("VkPipelineColorBlendStateCreateInfo", {
  sType: sType(),
  pNext: pNext(),
  flags: u32("VkPipelineColorBlendStateCreateFlags"),
  logicOpEnable: bool32(),
  logicOp: u32("VkLogicOp"),
  attachmentCount: count(),
  pAttachments: structPtr(VkPipelineColorBlendAttachmentState, "attachmentCount"),
  blendConstants: array(f32(), 4),
}, { sType: ST.PIPELINE_COLOR_BLEND_STATE_CREATE_INFO });

const VkGraphicsPipelineCreateInfo = defineStruct("VkGraphicsPipelineCreateInfo", {
  sType: sType(),
  pNext: pNext(),
  flags: u32("VkPipelineCreateFlags"),
  stageCount: count(),
  pStages: structPtr(VkPipelineShaderStageCreateInfo, "stageCount"),
  pVertexInputState: structPtr(VkPipelineVertexInputStateCreateInfo),
  pInputAssemblyState: structPtr(VkPipelineInputAssemblyStateCreateInfo),
  pTessellationState: voidPtr("const VkPipelineTessellationStateCreateInfo*"),
  pViewportState: structPtr(VkPipelineViewportStateCreateInfo),
  pRasterizationState: structPtr(VkPipelineRasterizationStateCreateInfo),
  pMultisampleState: structPtr(VkPipelineMultisampleStateCreateInfo),
  pDepthStencilState: voidPtr("const VkPipelineDepthStencilStateCreateInfo*"),
  pColorBlendState: structPtr(VkPipelineColorBlendStateCreateInfo),
  pDynamicState: voidPtr("const VkPipelineDynamicStateCreateInfo*"),
  layout: handle("VkPipelineLayout"),
  renderPass: handle("VkRenderPass"),
  subpass: u32(),
  basePipelineHandle: handle("VkPipeline"),
  basePipelineIndex: i32(),
}, { sType: ST.GRAPHICS_PIPELINE_CREATE_INFO });

/**
 * The structs of this module, for the layout check against the C headers (tools/layouts.ts,
 * tests/ffi/layout_test.ts).
 *
 * @example
 * ```ts
 * PIPELINE_STRUCTS.map((s) => s.name); // ["VkShaderModuleCreateInfo", ...]
 * ```
 */
export const PIPELINE_STRUCTS: readonly AnyStruct[] = [
  VkShaderModuleCreateInfo,
  VkPipelineShaderStageCreateInfo,
  VkComputePipelineCreateInfo,
  VkDescriptorSetLayoutBinding,
  VkDescriptorSetLayoutCreateInfo,
  VkPushConstantRange,
  VkPipelineLayoutCreateInfo,
  VkDescriptorPoolSize,
  VkDescriptorPoolCreateInfo,
  VkDescriptorSetAllocateInfo,
  VkDescriptorImageInfo,
  VkDescriptorBufferInfo,
  VkWriteDescriptorSet,
  VkComponentMapping,
  VkImageViewCreateInfo,
  VkSamplerCreateInfo,
  VkImageBlit,
  VkAttachmentDescription,
  VkAttachmentReference,
  VkSubpassDescription,
  VkRenderPassCreateInfo,
  VkFramebufferCreateInfo,
  VkOffset2D,
  VkExtent2D,
  VkRect2D,
  VkRenderPassBeginInfo,
  VkViewport,
  VkPipelineVertexInputStateCreateInfo,
  VkPipelineInputAssemblyStateCreateInfo,
  VkPipelineViewportStateCreateInfo,
  VkPipelineRasterizationStateCreateInfo,
  VkPipelineMultisampleStateCreateInfo,
  VkPipelineColorBlendAttachmentState,
  VkPipelineColorBlendStateCreateInfo,
  VkGraphicsPipelineCreateInfo,
];

/** A VkResult check: negative codes throw through `fail` (the caller's error type). */
type Fail = (r: number, call: string) => never;

const out = () => new BigUint64Array(1);
/** @ignore The VkShaderStageFlagBits of the stages vkshare's pipelines use. */
export const SHADER_STAGES: { vertex: number; fragment: number; compute: number } = {
  vertex: 0x1,
  fragment: 0x10,
  compute: 0x20,
};
const COLOR_ASPECT = 0x1;
const ALL = {
  aspectMask: COLOR_ASPECT,
  baseMipLevel: 0,
  levelCount: 1,
  baseArrayLayer: 0,
  layerCount: 1,
};

/**
 * The descriptor types vkshare's pipelines bind: `VK_DESCRIPTOR_TYPE_STORAGE_BUFFER`,
 * `STORAGE_IMAGE` and `COMBINED_IMAGE_SAMPLER`.
 *
 * @example
 * ```ts
 * DESCRIPTOR_TYPES["storage-buffer"]; // 7
 * ```
 */
export const DESCRIPTOR_TYPES = {
  "storage-buffer": 7,
  "storage-image": 3,
  "sampled-image": 1,
} as const;

/** @ignore A shader module of `words` (SPIR-V). */
export function createShaderModule(device: Pointer, words: Uint32Array, fail: Fail): bigint {
  using arena = new Arena();
  const info = encode(
    VkShaderModuleCreateInfo,
    { codeSize: words.byteLength, pCode: words },
    arena,
  );
  const o = out();
  const r = vk().vkCreateShaderModule(device, info.bytes, null, o);
  if (r < 0) fail(r, "vkCreateShaderModule");
  return o[0];
}

/**
 * @ignore A descriptor set layout (one binding per entry of `types`, at its index, for
 * `stages`) and a pipeline layout with it and `pushBytes` of push constants.
 */
export function createLayouts(
  device: Pointer,
  types: readonly number[],
  stages: number,
  pushBytes: number,
  fail: Fail,
): { setLayout: bigint; layout: bigint } {
  using arena = new Arena();
  const o = out();
  const bindings = types.map((t, i) => ({
    binding: i,
    descriptorType: t,
    descriptorCount: 1,
    stageFlags: stages,
  }));
  const r = vk().vkCreateDescriptorSetLayout(
    device,
    encode(VkDescriptorSetLayoutCreateInfo, { pBindings: bindings }, arena).bytes,
    null,
    o,
  );
  if (r < 0) fail(r, "vkCreateDescriptorSetLayout");
  const setLayout = o[0];
  const push = pushBytes ? [{ stageFlags: stages, offset: 0, size: pushBytes }] : [];
  const info = encode(VkPipelineLayoutCreateInfo, {
    pSetLayouts: [setLayout],
    pPushConstantRanges: push,
  }, arena);
  const r2 = vk().vkCreatePipelineLayout(device, info.bytes, null, o);
  if (r2 < 0) {
    vk().vkDestroyDescriptorSetLayout(device, setLayout, null);
    fail(r2, "vkCreatePipelineLayout");
  }
  return { setLayout, layout: o[0] };
}

/** @ignore A compute pipeline of `module`'s `main`. */
export function createComputePipeline(
  device: Pointer,
  module: bigint,
  layout: bigint,
  fail: Fail,
): bigint {
  using arena = new Arena();
  const stage = { stage: SHADER_STAGES.compute, module, pName: "main" };
  const info = encode(VkComputePipelineCreateInfo, { stage, layout, basePipelineIndex: -1 }, arena);
  const o = out();
  const r = vk().vkCreateComputePipelines(device, 0n, 1, info.bytes, null, o);
  if (r < 0) fail(r, "vkCreateComputePipelines");
  return o[0];
}

/**
 * @ignore A render pass of one color attachment of `format`, kept in `layout` from start to end
 * (loaded as it is, stored).
 */
export function createRenderPass(
  device: Pointer,
  format: number,
  layout: number,
  fail: Fail,
): bigint {
  using arena = new Arena();
  const attachment = {
    format,
    samples: 1,
    loadOp: 0, // LOAD
    storeOp: 0, // STORE
    stencilLoadOp: 2, // DONT_CARE
    stencilStoreOp: 1, // DONT_CARE
    initialLayout: layout,
    finalLayout: layout,
  };
  const subpass = { pipelineBindPoint: 0, pColorAttachments: [{ attachment: 0, layout }] };
  const info = encode(
    VkRenderPassCreateInfo,
    { pAttachments: [attachment], pSubpasses: [subpass] },
    arena,
  );
  const o = out();
  const r = vk().vkCreateRenderPass(device, info.bytes, null, o);
  if (r < 0) fail(r, "vkCreateRenderPass");
  return o[0];
}

/**
 * @ignore A graphics pipeline drawing `vertex` and `fragment` (their `main`s) into `renderPass`'s
 * color attachment: no vertex input, triangles, no culling, one sample, no blending, a
 * viewport and scissor of `width` × `height`.
 */
export function createGraphicsPipeline(
  device: Pointer,
  shaders: { vertex: bigint; fragment: bigint },
  layout: bigint,
  renderPass: bigint,
  size: { width: number; height: number },
  fail: Fail,
): bigint {
  using arena = new Arena();
  const { width, height } = size;
  const info = encode(VkGraphicsPipelineCreateInfo, {
    pStages: [
      { stage: SHADER_STAGES.vertex, module: shaders.vertex, pName: "main" },
      { stage: SHADER_STAGES.fragment, module: shaders.fragment, pName: "main" },
    ],
    pVertexInputState: {},
    pInputAssemblyState: { topology: 3 }, // TRIANGLE_LIST
    pViewportState: {
      pViewports: [{ x: 0, y: 0, width, height, minDepth: 0, maxDepth: 1 }],
      pScissors: [{ offset: { x: 0, y: 0 }, extent: { width, height } }],
    },
    pRasterizationState: { polygonMode: 0, cullMode: 0, frontFace: 0, lineWidth: 1 },
    pMultisampleState: { rasterizationSamples: 1 },
    pColorBlendState: { pAttachments: [{ colorWriteMask: 0xf }] },
    layout,
    renderPass,
    basePipelineIndex: -1,
  }, arena);
  const o = out();
  const r = vk().vkCreateGraphicsPipelines(device, 0n, 1, info.bytes, null, o);
  if (r < 0) fail(r, "vkCreateGraphicsPipelines");
  return o[0];
}

/** @ignore A 2D view of mip level 0, layer 0, of `image` (`format`), identity swizzle. */
export function createImageView(
  device: Pointer,
  image: bigint,
  format: number,
  fail: Fail,
): bigint {
  using arena = new Arena();
  const info = encode(
    VkImageViewCreateInfo,
    { image, viewType: 1, format, subresourceRange: ALL },
    arena,
  );
  const o = out();
  const r = vk().vkCreateImageView(device, info.bytes, null, o);
  if (r < 0) fail(r, "vkCreateImageView");
  return o[0];
}

/** @ignore A nearest-filtering, clamp-to-edge sampler (texelFetch ignores it; the binding needs one). */
export function createSampler(device: Pointer, fail: Fail): bigint {
  using arena = new Arena();
  const info = encode(VkSamplerCreateInfo, {
    addressModeU: 2,
    addressModeV: 2,
    addressModeW: 2,
    maxAnisotropy: 1,
    maxLod: 0,
  }, arena);
  const o = out();
  const r = vk().vkCreateSampler(device, info.bytes, null, o);
  if (r < 0) fail(r, "vkCreateSampler");
  return o[0];
}

/** @ignore A framebuffer of `view` for `renderPass`. */
export function createFramebuffer(
  device: Pointer,
  renderPass: bigint,
  view: bigint,
  size: { width: number; height: number },
  fail: Fail,
): bigint {
  using arena = new Arena();
  const info = encode(
    VkFramebufferCreateInfo,
    { renderPass, pAttachments: [view], width: size.width, height: size.height, layers: 1 },
    arena,
  );
  const o = out();
  const r = vk().vkCreateFramebuffer(device, info.bytes, null, o);
  if (r < 0) fail(r, "vkCreateFramebuffer");
  return o[0];
}

/** One binding of a descriptor set: a buffer's whole range, or an image view (with a sampler). */
export type DescriptorWrite =
  | { type: number; buffer: bigint }
  | { type: number; view: bigint; layout: number; sampler?: bigint };

/**
 * @ignore A descriptor pool of one set of `types`, the set (of `setLayout`), and `writes` into
 * it (binding i = writes[i]). Destroying the pool frees the set.
 */
export function createDescriptorSet(
  device: Pointer,
  setLayout: bigint,
  types: readonly number[],
  writes: readonly DescriptorWrite[],
  fail: Fail,
): { pool: bigint; set: bigint } {
  using arena = new Arena();
  const o = out();
  const sizes = types.map((t) => ({ type: t, descriptorCount: 1 }));
  const r = vk().vkCreateDescriptorPool(
    device,
    encode(VkDescriptorPoolCreateInfo, { maxSets: 1, pPoolSizes: sizes }, arena).bytes,
    null,
    o,
  );
  if (r < 0) fail(r, "vkCreateDescriptorPool");
  const pool = o[0];
  const a = vk().vkAllocateDescriptorSets(
    device,
    encode(VkDescriptorSetAllocateInfo, { descriptorPool: pool, pSetLayouts: [setLayout] }, arena)
      .bytes,
    o,
  );
  if (a < 0) {
    vk().vkDestroyDescriptorPool(device, pool, null);
    fail(a, "vkAllocateDescriptorSets");
  }
  const set = o[0];
  const infos = writes.map((w, i) => ({
    dstSet: set,
    dstBinding: i,
    descriptorCount: 1,
    descriptorType: w.type,
    ...("buffer" in w
      ? { pBufferInfo: { buffer: w.buffer, offset: 0n, range: 0xffff_ffff_ffff_ffffn } }
      : { pImageInfo: { sampler: w.sampler ?? 0n, imageView: w.view, imageLayout: w.layout } }),
  }));
  const slot = encodeArray(VkWriteDescriptorSet, infos, arena, "vkUpdateDescriptorSets");
  const bytes = slot.bytes.subarray(slot.offset, slot.offset + slot.size);
  vk().vkUpdateDescriptorSets(device, infos.length, bytes, 0, null);
  return { pool, set };
}

/**
 * @ignore Records binding `pipeline` (compute or graphics) with `set` and `push` (its push
 * constants, if any) on `cmd`.
 */
export function cmdBind(
  cmd: Pointer,
  bind: {
    point: "compute" | "graphics";
    pipeline: bigint;
    layout: bigint;
    set: bigint | null;
    stages: number;
  },
  push: Uint32Array | null,
): void {
  const point = bind.point === "compute" ? 1 : 0;
  vk().vkCmdBindPipeline(cmd, point, bind.pipeline);
  if (bind.set !== null) {
    vk().vkCmdBindDescriptorSets(
      cmd,
      point,
      bind.layout,
      0,
      1,
      new BigUint64Array([bind.set]),
      0,
      null,
    );
  }
  if (push && push.length) {
    vk().vkCmdPushConstants(
      cmd,
      bind.layout,
      bind.stages,
      0,
      push.byteLength,
      new Uint8Array(push.buffer, push.byteOffset, push.byteLength),
    );
  }
}

/** @ignore Records a render pass over `framebuffer` with `draw` vertices drawn in it. */
export function cmdDrawPass(
  cmd: Pointer,
  pass: { renderPass: bigint; framebuffer: bigint; width: number; height: number },
  vertices: number,
): void {
  using arena = new Arena();
  const info = encode(VkRenderPassBeginInfo, {
    renderPass: pass.renderPass,
    framebuffer: pass.framebuffer,
    renderArea: { offset: { x: 0, y: 0 }, extent: { width: pass.width, height: pass.height } },
  }, arena);
  vk().vkCmdBeginRenderPass(cmd, info.bytes, 0);
  vk().vkCmdDraw(cmd, vertices, 1, 0, 0);
  vk().vkCmdEndRenderPass(cmd);
}

/** @ignore Records a blit of mip level 0, layer 0, of `src` onto the same of `dst` (nearest). */
export function cmdBlit(
  cmd: Pointer,
  src: { image: bigint; layout: number; width: number; height: number },
  dst: { image: bigint; layout: number; width: number; height: number },
): void {
  using arena = new Arena();
  const layers = { aspectMask: COLOR_ASPECT, mipLevel: 0, baseArrayLayer: 0, layerCount: 1 };
  const corner = (w: number, h: number) => [{ x: 0, y: 0, z: 0 }, { x: w, y: h, z: 1 }];
  const region = encode(VkImageBlit, {
    srcSubresource: layers,
    srcOffsets: corner(src.width, src.height),
    dstSubresource: layers,
    dstOffsets: corner(dst.width, dst.height),
  }, arena);
  vk().vkCmdBlitImage(cmd, src.image, src.layout, dst.image, dst.layout, 1, region.bytes, 0);
}

/** @ignore Records a clear of mip level 0, layer 0, of `image` (in `layout`) to `rgba` (floats). */
export function cmdClear(
  cmd: Pointer,
  image: bigint,
  layout: number,
  rgba: readonly number[],
): void {
  using arena = new Arena();
  const color = new Uint8Array(new Float32Array([rgba[0], rgba[1], rgba[2], rgba[3]]).buffer);
  const range = encode(VkImageSubresourceRange, ALL, arena);
  vk().vkCmdClearColorImage(cmd, image, layout, color, 1, range.bytes);
}

/** @ignore Records a dispatch of `groups` workgroups. */
export function cmdDispatch(cmd: Pointer, groups: readonly [number, number, number]): void {
  vk().vkCmdDispatch(cmd, groups[0], groups[1], groups[2]);
}

/** @ignore Destroys what `kind` names (null handles are skipped). */
export function destroy(
  device: Pointer,
  kind:
    | "shader"
    | "setLayout"
    | "layout"
    | "pipeline"
    | "pool"
    | "view"
    | "sampler"
    | "renderPass"
    | "framebuffer",
  h: bigint,
): void {
  if (!h) return;
  const v = vk();
  ({
    shader: () => v.vkDestroyShaderModule(device, h, null),
    setLayout: () => v.vkDestroyDescriptorSetLayout(device, h, null),
    layout: () => v.vkDestroyPipelineLayout(device, h, null),
    pipeline: () => v.vkDestroyPipeline(device, h, null),
    pool: () => v.vkDestroyDescriptorPool(device, h, null),
    view: () => v.vkDestroyImageView(device, h, null),
    sampler: () => v.vkDestroySampler(device, h, null),
    renderPass: () => v.vkDestroyRenderPass(device, h, null),
    framebuffer: () => v.vkDestroyFramebuffer(device, h, null),
  })[kind]();
}
