#version 450
// Reads word i of the source buffer and writes it into word i of the destination, for i < count.
layout(local_size_x = 64) in;
layout(set = 0, binding = 0, std430) readonly buffer Src { uint words[]; } src;
layout(set = 0, binding = 1, std430) writeonly buffer Dst { uint words[]; } dst;
layout(push_constant) uniform Push { uint seed; uint count; uint width; } pc;
void main() {
  uint i = gl_GlobalInvocationID.x;
  if (i < pc.count) dst.words[i] = src.words[i];
}
