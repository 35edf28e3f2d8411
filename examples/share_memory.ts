/**
 * Two Vulkan devices share a buffer through an exported fd: the script writes a pattern through
 * the first and verifies every byte through the second, printing each step and its latency.
 *
 *     deno run -A examples/share_memory.ts [--size BYTES] [--handle OPAQUE_FD|DMA_BUF]
 *
 * Device-local memory is written and read with transfer copies; `--host-visible` maps it instead.
 *
 * @module
 */
import { EXIT, parseCli } from "../cli/_args.ts";
import type { MemoryHandleTypeName } from "../core/mod.ts";
import { Device, DeviceMemory, GpuBuffer, Transfer } from "../mod.ts";
import { openGpu, step } from "./_setup.ts";

const cli = parseCli({
  name: "examples/share_memory.ts",
  summary:
    "Two Vulkan devices share a buffer through an exported fd: a pattern is written through the\nfirst and every byte is checked through the second, each step with its latency.",
  flags: {
    size: {
      type: "string",
      value: "BYTES",
      description: "buffer size, a multiple of 4",
      default: String(16 << 20),
    },
    handle: {
      type: "string",
      value: "TYPE",
      description: "OPAQUE_FD or DMA_BUF",
      default: "OPAQUE_FD",
    },
    "host-visible": { type: "boolean", description: "map host-visible memory instead of copying" },
  },
});
const size = cli.bytes("size", { min: 4, max: 2 ** 34, multipleOf: 4 });
const handleType: MemoryHandleTypeName = cli.choice("handle", ["OPAQUE_FD", "DMA_BUF"] as const);
const hostVisible = cli.flag("host-visible");

using gpu = openGpu("vkshare share_memory");
const { pd } = gpu;
console.log(`${pd.name} (${pd.driverName ?? "driver"} ${pd.driverVersionString}), ${size} bytes`);
const properties = hostVisible
  ? ["HOST_VISIBLE", "HOST_COHERENT"] as const
  : ["DEVICE_LOCAL"] as const;

using a = step("create device A (exporter)", () => Device.create(pd));
using b = step("create device B (importer)", () => Device.create(pd));
using bufA = GpuBuffer.create(a, { size, external: handleType });
const memA = step(
  `allocate exportable ${handleType} memory on A`,
  () => DeviceMemory.allocate(a, { for: bufA, exportAs: handleType, properties: [...properties] }),
);
console.log(
  `  memory type ${memA.memoryTypeIndex} [${memA.properties.join(", ")}]${
    memA.dedicatedTo ? ", dedicated" : ""
  }`,
);
using exported = step("export an fd (vkGetMemoryFdKHR)", () => memA.exportFd(handleType));
console.log(`  fd ${exported.fd.fd}: ${JSON.stringify(exported.descriptor)}`);
using bufB = GpuBuffer.create(b, { size, external: handleType });
step(
  "import it into device B (checked, through a dup)",
  () => DeviceMemory.importFd(b, exported.fd, exported.descriptor, { for: bufB }),
);

const pattern = new Uint8Array(size);
for (let i = 0; i < size; i++) pattern[i] = (i * 31 + (i >>> 8)) & 0xff;
using ta = Transfer.create(a);
using tb = Transfer.create(b);
step(
  "write a pattern through A",
  () => hostVisible ? memA.map().set(pattern) : ta.write(bufA, pattern),
);
const seen = step(
  "read it back through B",
  () => hostVisible ? bufB.memory!.map().slice() : tb.read(bufB),
);
let bad = 0;
for (let i = 0; i < size; i++) if (seen[i] !== pattern[i]) bad++;
if (bad) {
  console.error(`FAILED: ${bad} of ${size} bytes differ`);
  process.exit(EXIT.failed);
}
console.log(`OK: all ${size} bytes written through A were read through B`);
