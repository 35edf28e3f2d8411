// What the Vulkan loader would see (_loader.ts), read from a made-up environment and real
// directories, and the causes a failed vkCreateInstance names: no driver needed. Also which
// messenger messages are a driver's own reports (instance.ts messageSource).
// @ts-types="../../cli/_node/fs.d.ts"
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
// @ts-types="../../cli/_node/os.d.ts"
import { tmpdir } from "node:os";

import { assert, assertEquals, assertStringIncludes } from "@std/assert";
import { libc } from "../../ffi/libc.ts";
import { messageSource } from "../../vulkan/instance.ts";
import { diagnoseLoader, instanceFailureCauses } from "../../vulkan/loader.ts";
import { test } from "../_harness.ts";

// libc is opened once per process and never closed: open it before the tests' resource counts.
libc();

function envOf(vars: Record<string, string>): (name: string) => string | undefined {
  return (name) => vars[name];
}

test("the loader's view: manifests in VK_DRIVER_FILES (files and directories), missing paths named", () => {
  const dir = mkdtempSync(`${tmpdir()}/vkshare-loader-`);
  try {
    writeFileSync(`${dir}/a_icd.json`, "{}");
    writeFileSync(`${dir}/notes.txt`, "");
    const d = diagnoseLoader(envOf({
      VK_DRIVER_FILES: `${dir}:${dir}/nothing.json`,
      VKSHARE_LIBVULKAN: `${dir}/libvulkan.so.1`,
    }));
    assertEquals(d.manifests, [`${dir}/a_icd.json`]);
    assertEquals(d.missing, [
      { variable: "VKSHARE_LIBVULKAN", path: `${dir}/libvulkan.so.1` },
      { variable: "VK_DRIVER_FILES", path: `${dir}/nothing.json` },
    ]);
    assertEquals(Object.keys(d.variables).sort(), ["VKSHARE_LIBVULKAN", "VK_DRIVER_FILES"]);
    // The older name is read when the newer one is unset.
    const old = diagnoseLoader(envOf({ VK_ICD_FILENAMES: `${dir}/a_icd.json` }));
    assertEquals(old.manifests, [`${dir}/a_icd.json`]);
    assertEquals(old.missing, []);
  } finally {
    rmSync(dir, { recursive: true });
  }
});

test("the loader's view: the default search path follows XDG_DATA_DIRS and HOME", () => {
  const dir = mkdtempSync(`${tmpdir()}/vkshare-loader-`);
  try {
    const icd = `${dir}/share/vulkan/icd.d`;
    mkdirSync(icd, { recursive: true });
    writeFileSync(`${icd}/nvidia_icd.json`, "{}");
    const d = diagnoseLoader(envOf({
      XDG_DATA_DIRS: `${dir}/share`,
      XDG_CONFIG_DIRS: `${dir}/etc`,
      HOME: `${dir}/home`,
    }));
    assert(d.searched.includes(icd), d.searched.join(", "));
    assert(d.searched.includes(`${dir}/home/.local/share/vulkan/icd.d`));
    assert(d.manifests.includes(`${icd}/nvidia_icd.json`));
    assert(d.nvidia);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("a failed vkCreateInstance names its likely causes", () => {
  const base = {
    variables: {},
    manifests: [],
    searched: ["/usr/share/vulkan/icd.d"],
    missing: [],
    nvidia: false,
    glvnd: true,
  };
  const none = instanceFailureCauses(base, 0);
  assertEquals(none.length, 1);
  assertStringIncludes(none[0], "no ICD manifest");
  assertStringIncludes(none[0], "/usr/share/vulkan/icd.d");
  assertStringIncludes(none[0], "mesa-vulkan-drivers");

  const wrongVar = instanceFailureCauses({
    ...base,
    variables: { VK_DRIVER_FILES: "/x.json" },
    missing: [{ variable: "VK_DRIVER_FILES", path: "/x.json" }],
  }, 0).join("\n");
  assertStringIncludes(wrongVar, "VK_DRIVER_FILES names /x.json, which does not exist");
  assertStringIncludes(wrongVar, "unset the variable");
  assertStringIncludes(wrongVar, "in force: VK_DRIVER_FILES=/x.json");
  assert(!wrongVar.includes("apt-get"), "a wrong variable is not a missing package");

  const nvidia = instanceFailureCauses({
    ...base,
    manifests: ["/usr/share/vulkan/icd.d/nvidia_icd.json"],
    nvidia: true,
    glvnd: false,
  }, 30).join("\n");
  assertStringIncludes(nvidia, "libglvnd");
  assertStringIncludes(nvidia, "created 30 instances");
  assert(!instanceFailureCauses({ ...base, nvidia: true }, 29).join("\n").includes("instances"));
});

test("messenger messages: the layer's carry a VUID or id name, a driver's report a source location or none", () => {
  assertEquals(messageSource("VUID-vkAllocateMemory-pAllocateInfo-01714", -123456), "layer");
  assertEquals(messageSource("UNASSIGNED-CoreValidation-DrawState-InvalidImageLayout", 7), "layer");
  assertEquals(messageSource("Loader Message", 0), "layer");
  assertEquals(messageSource("../src/gallium/frontends/lavapipe/lvp_device.c:1799", 0), "driver");
  assertEquals(messageSource("", 0), "driver");
});
