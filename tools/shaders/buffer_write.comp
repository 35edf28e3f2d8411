#version 450
// Writes valueAt(i, seed) into word i of the buffer, for i < count.
#extension GL_GOOGLE_include_directive : require
layout(local_size_x = 64) in;
layout(set = 0, binding = 0, std430) writeonly buffer Dst { uint words[]; } dst;
layout(push_constant) uniform Push { uint seed; uint count; uint width; } pc;
#include "value.glsl"
void main() {
  uint i = gl_GlobalInvocationID.x;
  if (i < pc.count) dst.words[i] = valueAt(i, pc.seed);
}
