// cli/setup.ts diagnoses before it installs: a wrong variable is named and nothing installed;
// a missing validation layer asks for that package alone; a working machine needs nothing.
// Runs the tool as a child process with this runtime (--dry-run: it never installs here).
// @ts-types="../../cli/_node/child_process.d.ts"
import { spawnSync } from "node:child_process";
// @ts-types="../../cli/_node/fs.d.ts"
import { mkdtempSync, rmSync } from "node:fs";
// @ts-types="../../cli/_node/os.d.ts"
import { tmpdir } from "node:os";

import { assert, assertEquals, assertStringIncludes } from "@std/assert";
import { diagnoseLoader } from "../../vulkan/loader.ts";
import { scriptCommand, test } from "../_harness.ts";
import { sharedInstance } from "../_vk.ts";

const SETUP = new URL("../../cli/setup.ts", import.meta.url).pathname;

/** Runs the tool with `env` changed; an undefined value unsets the variable. */
function setup(args: string[], env: Record<string, string | undefined> = {}) {
  // Through env(1): Deno's spawnSync adds `env` to its own environment, so it cannot unset.
  const unset = Object.keys(env).filter((k) => env[k] === undefined).flatMap((k) => ["-u", k]);
  const set = Object.entries(env).filter(([, v]) => v !== undefined).map(([k, v]) => `${k}=${v}`);
  const r = spawnSync("env", [...unset, ...set, ...scriptCommand(SETUP, args)], {
    encoding: "utf8",
  });
  return { code: r.status ?? -1, out: r.stdout, err: r.stderr };
}

test("setup: a machine that runs the tests needs nothing, and says what it found", () => {
  const r = setup(["--for-tests", "--dry-run"]);
  assertEquals([r.code, r.err], [0, ""]);
  const names = sharedInstance().physicalDevices().map((pd) => pd.name);
  const lines = r.out.trimEnd().split("\n");
  assertEquals(
    lines.at(-1),
    `setup: ready: ${names.length} Vulkan device(s) (${
      names.join("; ")
    }), VK_LAYER_KHRONOS_validation`,
  );
  // --dry-run says what it found, a line each, and what it would install.
  assertStringIncludes(lines[0], "setup: found libvulkan: ");
  assert(lines.includes(`setup: found devices: ${names.join("; ")}`), r.out);
  assert(lines.includes("setup: found VK_LAYER_KHRONOS_validation: installed"), r.out);
  assert(lines.includes("setup: would install: nothing (--dry-run: nothing installed)"), r.out);
  // Without --dry-run, a ready machine says so in one line.
  const plain = setup(["--for-tests"]);
  assertEquals([plain.code, plain.out.trimEnd().split("\n").length], [0, 1], plain.out);
});

test("setup: VK_DRIVER_FILES or VKSHARE_LIBVULKAN naming nothing is said, and nothing installed", () => {
  for (const v of ["VK_DRIVER_FILES", "VK_ICD_FILENAMES"]) {
    const r = setup(["--for-tests"], {
      VK_DRIVER_FILES: undefined,
      VK_ICD_FILENAMES: undefined,
      [v]: "/nonexistent/icd.json",
    });
    assertEquals(r.code, 1, r.err);
    assertStringIncludes(r.err, `${v}=/nonexistent/icd.json names /nonexistent/icd.json`);
    assert(!r.err.includes("apt-get"), r.err);
  }
  const r = setup([], { VKSHARE_LIBVULKAN: "/nonexistent/libvulkan.so.1" });
  assertEquals(r.code, 1);
  assertStringIncludes(r.err, "VKSHARE_LIBVULKAN=/nonexistent/libvulkan.so.1 does not exist");
  assert(!r.err.includes("apt-get"), r.err);
});

test("setup: only the validation layer missing asks for that package alone", () => {
  // The loader finds layers through XDG_DATA_DIRS: an empty one hides the installed layer; the
  // driver stays, named by VK_DRIVER_FILES.
  const empty = mkdtempSync(`${tmpdir()}/vkshare-setup-`);
  try {
    const drivers = process.env.VK_DRIVER_FILES ?? diagnoseLoader().manifests.join(":");
    const r = setup(["--for-tests", "--dry-run"], {
      XDG_DATA_DIRS: empty,
      XDG_CONFIG_DIRS: empty,
      VK_DRIVER_FILES: drivers,
      VK_LAYER_PATH: undefined,
    });
    assertEquals(r.code, 1, r.err);
    assertStringIncludes(r.err, "the tests need VK_LAYER_KHRONOS_validation");
    assertStringIncludes(r.out, "setup: found VK_LAYER_KHRONOS_validation: not installed");
    assertStringIncludes(r.out, "setup: would install: vulkan-validationlayers (");
    // Without --for-tests, the same machine is ready.
    const plain = setup(["--dry-run"], { XDG_DATA_DIRS: empty, VK_DRIVER_FILES: drivers });
    assertEquals(plain.code, 0, plain.err);
  } finally {
    rmSync(empty, { recursive: true });
  }
});

test("setup: --help prints the usage and exits 0; an unknown flag exits 2", () => {
  const help = setup(["--help"]);
  assertEquals(help.code, 0);
  assertStringIncludes(help.out, "usage: cli/setup.ts");
  const bad = setup(["--bogus"]);
  assertEquals(bad.code, 2);
  assertStringIncludes(bad.err, "--bogus");
  assertEquals(bad.err.trimEnd().split("\n").length, 1, bad.err);
  assert(bad.err.startsWith("cli/setup.ts: ") && bad.err.trimEnd().endsWith("(see --help)"));
});
