#version 450
// Writes valueAt(y * width + x, seed), as four unorm8 channels, into each fragment's texel.
#extension GL_GOOGLE_include_directive : require
layout(location = 0) out vec4 color;
layout(push_constant) uniform Push { uint seed; uint count; uint width; } pc;
#include "value.glsl"
void main() {
  uvec2 p = uvec2(gl_FragCoord.xy);
  color = unpackUnorm4x8(valueAt(p.y * pc.width + p.x, pc.seed));
}
