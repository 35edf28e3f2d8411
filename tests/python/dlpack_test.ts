// The Python peer's DLPack producer (python/vkshare_peer.py dlpack_frame) without CUDA: host
// frames taken through capsules by a ctypes consumer and by numpy (where it is installed), the
// versioned and the legacy capsule, capsules nobody takes, the refusals the array API asks for,
// and the waits a CUDA frame queues on the stream its consumer names; and the rules of exporting
// a torch tensor to Vulkan (stand-ins for the tensor and the allocation). python3 only.
// @ts-types="../../cli/_node/child_process.d.ts"
import { spawnSync } from "node:child_process";

import { assert, assertEquals, assertStringIncludes } from "@std/assert";
import { test } from "../_harness.ts";

const PEER = new URL("../../python/vkshare_peer.py", import.meta.url).pathname;
const noPython = spawnSync("python3", ["--version"]).status === 0 ? false : "no python3";

interface Taken {
  0: number; // data
  1: number[]; // shape
  2: number[]; // strides (elements)
  3: number | null; // flags (versioned only)
  4: number[]; // device
  5: number[]; // dtype: code, bits, lanes
}

test("DLPack: the producer's capsules, refusals and stream waits, checked without CUDA", {
  skip: noPython,
}, () => {
  const r = spawnSync("python3", [PEER, "dlpack-check"], { encoding: "utf8" });
  assertEquals(r.status, 0, String(r.stderr));
  const d = JSON.parse(String(r.stdout));
  // A 3×4 float32 host frame, taken as a versioned and as a legacy capsule: the same address
  // (zero-copy), row-major strides, read-only flagged in the versioned one only.
  const [versioned, legacy] = d.taken as Taken[];
  for (const t of [versioned, legacy]) {
    assertEquals(t[0], d.address);
    assertEquals([t[1], t[2], t[4], t[5]], [[3, 4], [4, 1], [1, 0], [2, 32, 1]]);
  }
  assertEquals([versioned[3], legacy[3]], [1, null]);
  // 10,000 capsules nobody took: every tensor deleted by its capsule, no fd opened.
  assertEquals(d.untaken.made, d.untaken.deleted);
  assertEquals([d.untaken.live, d.untaken.fds_flat], [0, true]);
  assert(d.untaken.made >= 10_002, `${d.untaken.made} made`);
  // copy=True, another device, and a stream for a host frame are refused.
  const [copy, device, stream] = d.refusals as [string, string][];
  assertEquals(copy[0], "BufferError");
  assertStringIncludes(copy[1], "copy=True");
  assertEquals(device[0], "BufferError");
  assertStringIncludes(device[1], "not (2, 0)");
  assertEquals(stream[0], "ValueError");
  assertStringIncludes(stream[1], "stream must be None for a CPU frame");
  // A CUDA frame: the producer's wait (value 7) queued on each stream its consumer names; None
  // is the legacy default stream (1), -1 queues nothing, and 0 is refused.
  assertEquals(d.waits, [[7, 1], [7, 1], [7, 2], [7, 0x1234]]);
  assertStringIncludes(d.stream0, "0 is ambiguous");
  // Once the frames are gone, so is what they held.
  assertEquals([d.after.live, d.after.owner_gone], [0, true]);
  assertEquals(d.after.made, d.after.deleted);
  if (d.numpy === null) return; // numpy is optional: the ctypes consumer above stands in
  // NumPy takes it without a copy: NumPy 2 asks for a versioned capsule (and so sees the frame
  // read-only), NumPy 1.x (Debian 12's 1.24) for a legacy one.
  const { version, asked, ...seen } = d.numpy;
  assertEquals([seen.same, seen.values], [true, [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9, 10, 11]]]);
  if (asked.includes("max_version")) assertEquals(seen.writeable, false, version);
});

test("torch tensors into Vulkan: export_tensor's and export_range's rules, checked without CUDA", {
  skip: noPython,
}, () => {
  const r = spawnSync("python3", [PEER, "range-check"], { encoding: "utf8" });
  assertEquals(r.status, 0, String(r.stderr));
  const d = JSON.parse(String(r.stdout)) as Record<
    string,
    [string, string, unknown, unknown] | null
  >;
  // A tensor on the CPU or another GPU, and a strided one, are refused before CUDA is asked.
  assertEquals(d.cpu?.slice(2), ["cuda:0", "cpu"]);
  assertEquals(d.other_gpu?.slice(2), ["cuda:0", "cuda:1"]);
  for (const k of ["cpu", "other_gpu"]) assertEquals(d[k]?.[0], "DEVICE_MISMATCH");
  assertEquals(d.strided?.slice(0, 1), ["NOT_CONTIGUOUS"]);
  assertStringIncludes(d.strided![1], "tensor.contiguous()");
  assertEquals(d.fits, null);
  // A range inside its allocation, or up to its last byte, is one allocation; one byte past it
  // is not, and the refusal says by how much and what fits (expected: the bytes left).
  assertEquals([d.inside, d.to_the_end], [null, null]);
  assertEquals(d.past_the_end?.[0], "SPANS_ALLOCATIONS");
  assertEquals(d.past_the_end?.slice(2), [(2 << 20) - 1024, 2 << 20]);
  assertStringIncludes(d.past_the_end![1], "run 1024 bytes past the end");
});
