// The examples run as a user runs them, in a child process, and print the truth (the README's
// blocks: readme_test.ts).
// @ts-types="../cli/_node/child_process.d.ts"
import { spawnSync } from "node:child_process";

import { assert, assertEquals, assertStringIncludes } from "@std/assert";
import { cudaDevices } from "../cuda/mod.ts";
import {
  externalBufferProperties,
  externalSemaphoreProperties,
  formatFeatures,
} from "../share/mod.ts";
import { assertSkipLine, runScript, test } from "./_harness.ts";
import { cannotShare } from "./_memory.ts";
import { sharedInstance } from "./_vk.ts";

function run(script: string, ...args: string[]): { code: number; out: string; err: string } {
  return runScript(new URL(`../examples/${script}`, import.meta.url).pathname, args);
}

test("caps.ts says, per device, what buffer memory, semaphores and fences export and import", () => {
  const r = run("caps.ts", "--json");
  assertEquals(r.code, 0, r.err);
  const printed = JSON.parse(r.out);
  const pds = sharedInstance().physicalDevices();
  assertEquals(
    printed.map((d: { deviceUUID: string }) => d.deviceUUID),
    pds.map((pd) => pd.deviceUUID),
  );
  pds.forEach((pd, i) => {
    const opaque = externalBufferProperties(pd, { handleType: "OPAQUE_FD" });
    const want = [opaque.exportable && "export", opaque.importable && "import"].filter(Boolean);
    assertEquals(printed[i].memory.OPAQUE_FD.filter((x: string) => x !== "dedicated-only"), want);
  });
  const text = run("caps.ts");
  assertEquals(text.code, 0, text.err);
  for (const pd of pds) assertStringIncludes(text.out, `${pd.name} (deviceUUID ${pd.deviceUUID})`);
  assert(/buffer memory OPAQUE_FD +(export|import|-)/.test(text.out), text.out);
});

test(
  "share_memory.ts verifies every byte across two devices (copy path and map path)",
  { skip: cannotShare("OPAQUE_FD") },
  () => {
    for (const args of [["--size", "1048576"], ["--size", "65536", "--host-visible"]]) {
      const r = run("share_memory.ts", ...args);
      assertEquals(r.code, 0, r.err + r.out);
      assertStringIncludes(r.out, `OK: all ${args[1]} bytes written through A were read through B`);
      assertStringIncludes(r.out, "import it into device B");
    }
  },
);

test(
  "pipeline.ts runs the best mode this device has, validated, and verifies every frame",
  { skip: cannotShare("OPAQUE_FD") },
  () => {
    const r = run("pipeline.ts", "--validate", "--frames", "20", "--size", "65536");
    assertEquals(r.code, 0, r.err + r.out);
    assertStringIncludes(r.out, "frame 20: 65536 bytes verified");
    assertStringIncludes(r.out, "OK: 20 frames verified");
    assert(/(timeline|binary|host) mode, 20 frames of 65536 bytes/.test(r.out), r.out);
  },
);

test(
  "image_readers.ts: one writer and two readers in three processes pass frames of an OPTIMAL image, validated, every byte checked, fds flat",
  { skip: cannotShare("OPAQUE_FD") },
  () => {
    // 200 frames here (1,000 on the GPU machine: the note has its line); the fd counts are
    // compared from frame 99 on, after the runtimes' own start-up fds.
    const r = run("image_readers.ts", "--frames", "200", "--size", "64x32", "--validate");
    assertEquals(r.code, 0, r.err + r.out);
    const line = JSON.parse(r.out.trim().split("\n").at(-1)!);
    assertEquals([line.frames, line.readers, line.wrongFrames, line.readerExits], [200, 2, 0, [
      0,
      0,
    ]]);
    assertEquals(line.validated, true);
    const caps = externalSemaphoreProperties(sharedInstance().physicalDevices()[0], {
      handleType: "OPAQUE_FD",
      semaphoreType: "timeline",
    });
    assertEquals(line.sync, caps.exportable && caps.importable ? "timeline" : "host");
    for (const counts of [line.fds.writer, ...line.fds.readers]) {
      assertEquals(counts.length, 2);
      assertEquals(counts[0], counts[1], `fds flat: ${JSON.stringify(line.fds)}`);
    }
  },
);

test("image_readers.ts checks its arguments before it makes a device: --help 0, a bad --size 2", () => {
  const help = run("image_readers.ts", "--help");
  assertEquals(help.code, 0, help.err);
  assertStringIncludes(help.out, "--readers N");
  const bad = run("image_readers.ts", "--size", "wide");
  assertEquals(bad.code, 2, bad.err);
  assertStringIncludes(bad.err, "--size: expected WxH");
});

test("share_gl.ts shares a buffer and a texture both ways, in one process and with another", () => {
  for (const args of [["--size", "65536"], ["--process", "--frames", "5", "--size", "65536"]]) {
    const r = run("share_gl.ts", ...args);
    if (r.code === 77) {
      assertSkipLine(r.err, "examples/share_gl.ts", "");
      continue;
    }
    assertEquals(r.code, 0, r.err + r.out);
    assertStringIncludes(
      r.out,
      args[0] === "--process"
        ? "OK: 5 frames of 65536 bytes"
        : "OK: every byte checked on both sides and both ways",
    );
  }
});

// Whether libcuda is here, asked before the tests (a library opened inside one is a leak to Deno).
const haveCuda = cudaDevices({ optional: true }).length > 0;

test("cuda_interop.ts checks every byte both ways, or skips (77) saying there is no CUDA driver", () => {
  const r = run("cuda_interop.ts", "--size", "65536");
  if (haveCuda) {
    assertEquals(r.code, 0, r.err + r.out);
    assertStringIncludes(r.out, "OK: every byte checked on both sides and both ways");
    assertStringIncludes(r.out, "Vulkan: import CUDA's");
  } else {
    assertEquals(r.code, 77, r.err + r.out);
    assertSkipLine(r.err, "examples/cuda_interop.ts", "no CUDA driver (libcuda.so.1)");
  }
});

const noNumpy = spawnSync("python3", ["-c", "import numpy"]).status === 0
  ? false
  : "python3 has no numpy";

test(
  "torch_frames.ts, the host-copy baseline with numpy: every element checked on both sides, fds flat",
  { skip: noNumpy },
  () => {
    const r = run(
      "torch_frames.ts",
      ...["--mode", "host-copy", "--compute", "numpy", "--frames", "40", "--size", "262144"],
      ...["--ring", "2"],
    );
    assertEquals(r.code, 0, r.err + r.out);
    assertStringIncludes(r.out, "host-copy: 40 frames of 262144 bytes, 2 in flight, Python on cpu");
    const fds = r.out.match(/fds: script (\d+) → (\d+), Python (\d+) → (\d+)/);
    assert(fds, r.out);
    assertEquals([fds[1], fds[3]], [fds[2], fds[4]]);
  },
);

const torchOnGpu = spawnSync("python3", [
  "-c",
  "import sys, torch; sys.exit(0 if torch.cuda.is_available() else 1)",
]).status === 0;

test(
  "torch_frames.ts: without PyTorch on a CUDA GPU, zero-copy skips (77), saying why in one line",
  {
    skip: torchOnGpu
      ? "python3 has PyTorch on a CUDA GPU (tests/python/torch_test.ts runs it)"
      : false,
  },
  () => {
    const r = run("torch_frames.ts", "--frames", "2", "--size", "4096", "--mode", "zero-copy");
    assertEquals(r.code, 77, r.err + r.out);
    assertSkipLine(r.err, "examples/torch_frames.ts", "zero-copy: ");
    assert(
      /(no python3|has no PyTorch|sees no CUDA GPU|libcuda|no CUDA device)/.test(r.err),
      r.err,
    );
    assert(!r.out.includes("frame latency"), r.out);
  },
);

const noCupy = spawnSync("python3", ["-c", "import cupy"]).status === 0
  ? "python3 has CuPy (tests/python/torch_test.ts runs it)"
  : false;

test(
  "torch_frames.ts --consumer: a package Python lacks skips (77) naming it; an unknown one is a usage error (2)",
  { skip: noCupy },
  () => {
    const r = run("torch_frames.ts", "--frames", "2", "--size", "4096", "--consumer", "cupy");
    assertEquals(r.code, 77, r.err + r.out);
    assertSkipLine(r.err, "examples/torch_frames.ts", "zero-copy: ");
    assert(/(no python3|has no CuPy|libcuda|no CUDA device)/.test(r.err), r.err);
    const bad = run("torch_frames.ts", "--consumer", "numba");
    assertEquals(bad.code, 2, bad.err);
    assertStringIncludes(bad.err, "--consumer: expected one of torch, cupy, jax, torch-cai");
  },
);

test(
  "torch_tensor.ts: without PyTorch on a CUDA GPU it skips (77), saying why in one line; bad sizes are usage errors (2)",
  {
    skip: torchOnGpu
      ? "python3 has PyTorch on a CUDA GPU (tests/python/torch_test.ts runs it)"
      : false,
  },
  () => {
    const r = run("torch_tensor.ts", "--size", "4096");
    assertEquals(r.code, 77, r.err + r.out);
    assertSkipLine(r.err, "examples/torch_tensor.ts", "");
    assert(
      /(no python3|has no PyTorch|sees no CUDA GPU|libcuda|no CUDA device)/.test(r.err),
      r.err,
    );
    const bad = run("torch_tensor.ts", "--size", "0");
    assertEquals(bad.code, 2, bad.err);
    assertStringIncludes(bad.err, "--size");
  },
);

test("share_image.ts: RGBA and NV12, optimal and linear, every plane checked, or the reason it cannot", () => {
  for (const format of ["rgba", "nv12"]) {
    for (const tiling of ["optimal", "linear", "drm"]) {
      const r = run(
        "share_image.ts",
        "--format",
        format,
        "--tiling",
        tiling,
        "--width",
        "64",
        "--height",
        "32",
      );
      const shared = /OK: every byte of every plane written on A was read on B/.test(r.out);
      assertEquals(r.code, shared ? 0 : 77, r.err + r.out);
      if (!shared) assertSkipLine(r.err, "examples/share_image.ts", "cannot share this image: ");
      // What lavapipe answers: RGBA shares; NV12 from Mesa 25; DRM modifiers nowhere.
      const pd = sharedInstance().physicalDevices()[0];
      if (pd.name.startsWith("llvmpipe") && format === "rgba" && tiling !== "drm") {
        assertStringIncludes(r.out, "OK: every byte");
      }
      if (pd.name.startsWith("llvmpipe") && tiling === "drm") {
        assertStringIncludes(r.err, "no VK_EXT_image_drm_format_modifier");
      }
    }
  }
});

test("share_image.ts --disjoint: NV12 with a memory per plane, every plane checked, or the reason it cannot", () => {
  const pd = sharedInstance().physicalDevices()[0];
  for (const tiling of ["optimal", "linear"] as const) {
    const r = run(
      "share_image.ts",
      "--format",
      "nv12",
      "--tiling",
      tiling,
      "--disjoint",
      "--width",
      "64",
      "--height",
      "32",
    );
    if (formatFeatures(pd, "G8_B8R8_2PLANE_420_UNORM")[tiling].includes("DISJOINT")) {
      // (Mesa 25's lavapipe, and the H200.)
      assertEquals(r.code, 0, r.err + r.out);
      assertStringIncludes(r.out, "import each plane's memory into B, bound to its plane");
      assertStringIncludes(r.out, "OK: every byte of every plane written on A was read on B");
    } else {
      assertEquals(r.code, 77, r.err + r.out);
      assertSkipLine(r.err, "examples/share_image.ts", "no DISJOINT feature");
    }
  }
  // Refused before any device: a one-plane format.
  const bad = run("share_image.ts", "--format", "rgba", "--disjoint");
  assertEquals(bad.code, 2);
  assertStringIncludes(bad.err, "--disjoint needs a multi-plane format");
});

test("share_memory.ts --handle DMA_BUF and pipeline.ts --mode timeline: shared, or skipped (77) in one line with the rule", () => {
  const pd = sharedInstance().physicalDevices()[0];
  const dmaBuf = externalBufferProperties(pd, { handleType: "DMA_BUF" });
  const r = run("share_memory.ts", "--handle", "DMA_BUF", "--size", "65536");
  if (dmaBuf.exportable && dmaBuf.importable) assertEquals(r.code, 0, r.err + r.out);
  else {
    assertEquals(r.code, 77, r.err + r.out);
    assertSkipLine(r.err, "examples/share_memory.ts", "HANDLE_TYPE_UNSUPPORTED: ");
    assert(!r.err.includes("HANDLE_TYPE_UNSUPPORTED: HANDLE_TYPE_UNSUPPORTED"), r.err);
    assertStringIncludes(r.err, "vkshare doctor"); // the next step
  }
  const timeline = externalSemaphoreProperties(pd, {
    handleType: "OPAQUE_FD",
    semaphoreType: "timeline",
  });
  const p = run("pipeline.ts", "--mode", "timeline", "--frames", "5");
  if (timeline.exportable && timeline.importable) assertEquals(p.code, 0, p.err + p.out);
  else {
    assertEquals(p.code, 77, p.err + p.out);
    assertSkipLine(p.err, "examples/pipeline.ts", "HANDLE_TYPE_UNSUPPORTED: ");
  }
});
