#version 450
// Fetches each texel of an RGBA8 sampled image (texelFetch, level 0) and writes it, packed, into
// word y * width + x.
layout(local_size_x = 8, local_size_y = 8) in;
layout(set = 0, binding = 0) uniform sampler2D src;
layout(set = 0, binding = 1, std430) writeonly buffer Dst { uint words[]; } dst;
layout(push_constant) uniform Push { uint seed; uint count; uint width; } pc;
void main() {
  ivec2 p = ivec2(gl_GlobalInvocationID.xy);
  ivec2 size = textureSize(src, 0);
  if (p.x < size.x && p.y < size.y) dst.words[uint(p.y) * pc.width + uint(p.x)] = packUnorm4x8(texelFetch(src, p, 0));
}
