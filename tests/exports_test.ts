// The package's entry points (deno.json "exports"): the main one, "./cuda", "./ipc", "./ffi" and
// "./cli" (the `vkshare` command: tests/cli/main_test.ts).
// Each resolves; the IPC and CUDA names are the main export's own objects; the FFI vocabulary is
// under "./ffi" only (no driver needed).
// @ts-types="../cli/_node/fs.d.ts"
import { readFileSync } from "node:fs";

import { assert, assertEquals } from "@std/assert";
import * as cuda from "../cuda/mod.ts";
import * as ffi from "../ffi/mod.ts";
import * as ipc from "../ipc/mod.ts";
import * as main from "../mod.ts";
import { test } from "./_harness.ts";

const config = JSON.parse(readFileSync(new URL("../deno.json", import.meta.url), "utf8"));

test("deno.json exports the main module, ./cuda, ./ipc, ./ffi and ./cli", () => {
  assertEquals(config.exports, {
    ".": "./mod.ts",
    "./cuda": "./cuda/mod.ts",
    "./ipc": "./ipc/mod.ts",
    "./ffi": "./ffi/mod.ts",
    "./cli": "./cli/main.ts",
  });
});

test("./ipc and ./cuda export the main module's own objects", () => {
  const m = main as Record<string, unknown>;
  for (const [name, value] of [...Object.entries(ipc), ...Object.entries(cuda)]) {
    assert(name in m, `${name} is not in the main export`);
    assert(m[name] === value, `${name} differs from the main export's`);
  }
  assert("ShareServer" in ipc && "receiveOffer" in ipc && "takeFd" in ipc);
  assert("CudaContext" in cuda);
});

test("the FFI vocabulary is under ./ffi, not in the main export", () => {
  assert(typeof ffi.rt.name === "string" && typeof ffi.libvulkanPath === "function");
  const mod = readFileSync(new URL("../mod.ts", import.meta.url), "utf8");
  for (
    const name of [
      "ForeignFunction",
      "FunctionOf",
      "FunctionsOf",
      "SymbolTable",
      "NativeType",
      "ParamOf",
    ]
  ) {
    assert(!new RegExp(`\\b${name}\\b`).test(mod), `mod.ts exports ${name}`);
  }
});
