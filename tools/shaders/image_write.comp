#version 450
// Stores valueAt(y * width + x, seed), as four unorm8 channels, into each texel of an RGBA8 image.
#extension GL_GOOGLE_include_directive : require
layout(local_size_x = 8, local_size_y = 8) in;
layout(set = 0, binding = 0, rgba8) uniform writeonly image2D dst;
layout(push_constant) uniform Push { uint seed; uint count; uint width; } pc;
#include "value.glsl"
void main() {
  ivec2 p = ivec2(gl_GlobalInvocationID.xy);
  ivec2 size = imageSize(dst);
  if (p.x < size.x && p.y < size.y) imageStore(dst, p, unpackUnorm4x8(valueAt(uint(p.y) * pc.width + uint(p.x), pc.seed)));
}
