// Run by image_fuzz_test.ts in a process of its own (a crash is its death, not the runner's):
// `count` image descriptions from seed `seed`, each a genuine one with fields changed, given to
// GpuImage.fromTarget; what is made gets the genuine export's memory (imported under the fuzzed
// description) or memory of its own, and a readImage. Prints one JSON line: how each ended.
import {
  Device,
  DeviceMemory,
  GpuImage,
  Instance,
  ShareError,
  Transfer,
  VkError,
} from "../../mod.ts";
import { rgba64 } from "../_image.ts";

const [seed, count] = [Number(process.argv[2] ?? 1), Number(process.argv[3] ?? 3000)];

/** mulberry32: the same cases on every run. */
function rng(s: number) {
  return () => {
    s = (s + 0x6d2b79f5) | 0;
    let t = Math.imul(s ^ (s >>> 15), 1 | s);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const r = rng(seed);
const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)];
const SIDES = [
  0,
  1,
  2,
  3,
  31,
  32,
  63,
  64,
  65,
  4096,
  16384,
  16385,
  65535,
  65536,
  2 ** 31,
  2 ** 32 - 1,
  2 ** 32,
  -1,
  1.5,
  NaN,
  "64",
  null,
];
const COUNTS = [
  0,
  1,
  2,
  6,
  7,
  8,
  31,
  32,
  1000,
  2048,
  2049,
  65536,
  2 ** 32 - 1,
  2 ** 32,
  -1,
  0.5,
  null,
];
const FORMATS = [37, 44, 100, 109, 126, 9, 98, 1000156003, 1000156002, 1000156013, 0, 7777];
const TILINGS = [0, 1, 1000158000, 2, -1];
const bits = () => pick([0, 1, 3, 0x10, 0x200, 0x400, 0xffffffff, Math.floor(r() * 2 ** 32)]);
const plane = () => ({
  offset: pick([0, 64, 4096, 2 ** 40, -1]),
  size: pick([0, 1, 16384, 65536, 2 ** 53]),
  rowPitch: pick([0, 1, 255, 256, 65536, 2 ** 32]),
  arrayPitch: pick([0, 16384]),
  depthPitch: pick([0, 16384]),
});

using instance = Instance.create();
const pd = instance.physicalDevices()[0];
using a = Device.create(pd), b = Device.create(pd);
const base = rgba64();
using genuine = GpuImage.fromTarget(a, base);
using memory = DeviceMemory.allocate(a, { for: genuine, exportAs: "OPAQUE_FD", dedicated: true });
using exp = memory.exportFd();
using tb = Transfer.create(b);

const ended: Record<string, number> = {};
const end = (how: string) => ended[how] = (ended[how] ?? 0) + 1;
const how = (e: unknown) =>
  e instanceof ShareError
    ? e.rule
    : e instanceof VkError
    ? e.code
    : `${(e as Error)?.name}: ${
      (e as Error)?.message?.replace(/0x[0-9a-f]+/g, "0x…").slice(0, 140)
    }`;

for (let i = 0; i < count; i++) {
  const d: Record<string, unknown> = structuredClone(base);
  for (let k = 1 + Math.floor(r() * 3); k > 0; k--) {
    const f = pick([
      "imageType",
      "format",
      "width",
      "height",
      "depth",
      "mipLevels",
      "arrayLayers",
      "tiling",
      "usage",
      "flags",
      "planes",
      "modifier",
    ]);
    const e = d.extent as Record<string, unknown>;
    if (f === "width" || f === "height" || f === "depth") e[f] = pick(SIDES);
    else if (f === "mipLevels" || f === "arrayLayers") d[f] = pick(COUNTS);
    else if (f === "imageType") d[f] = pick([0, 1, 2, 3, -1]);
    else if (f === "format") d[f] = pick(FORMATS);
    else if (f === "tiling") d[f] = pick(TILINGS);
    else if (f === "usage" || f === "flags") d[f] = bits();
    else if (f === "planes") d.planeLayouts = Array.from({ length: pick([0, 1, 2, 5]) }, plane);
    else d.drmFormatModifier = pick(["0x0000000000000000", "0x00ffffffffffffff", "0x1", "x"]);
  }
  let image: GpuImage;
  try {
    image = GpuImage.fromTarget(b, d as never);
  } catch (e) {
    end(`fromTarget: ${how(e)}`);
    continue;
  }
  try {
    // The genuine export's memory under the fuzzed description, or memory of its own (for a
    // disjoint image, each plane's).
    const memories = image.planes.length
      ? image.planes.map((p) => DeviceMemory.allocate(b, { for: p }))
      : [
        r() < 0.5
          ? DeviceMemory.importFd(b, exp.fd.dup(), {
            ...exp.descriptor,
            dedicated: image.describe(),
          })
          : DeviceMemory.allocate(b, { for: image }),
      ];
    using _m = { [Symbol.dispose]: () => memories.forEach((m) => m[Symbol.dispose]()) };
    const bytes = tb.readImage(image);
    end(`read ${bytes.length <= image.requirements.size ? "within" : "PAST"} its memory`);
  } catch (e) {
    end(`bound or read: ${how(e)}`);
  } finally {
    image[Symbol.dispose]();
  }
}
console.log(JSON.stringify({ seed, count, ended }));
