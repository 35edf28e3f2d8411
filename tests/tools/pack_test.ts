// tools/pack.ts's decisions, without running deno pack (CI packs, publishes to a local registry
// and installs by name: .ci/package): which modules are the package's, the configuration that
// gives each its .d.ts, and the npm manifest.
import { assertEquals, assertThrows } from "@std/assert";
import { BIN, type DenoConfig, npmManifest, packageModules, packConfig } from "../../tools/pack.ts";
import { test } from "../_harness.ts";

const config: DenoConfig = {
  name: "@vkshare/vkshare",
  version: "9.8.7",
  license: "MIT",
  exports: { ".": "./mod.ts", "./cli": "./cli/main.ts" },
  publish: { include: ["mod.ts", "core/", "cli/"], exclude: ["tests/"] },
};

test("the package's modules: the .ts files of what is published, no .d.ts, nothing else", () => {
  const files = [
    "mod.ts",
    "core/a.ts",
    "core/b.d.ts",
    "cli/main.ts",
    "cli/_node/fs.d.ts",
    "tests/x_test.ts",
    "tools/pack.ts",
    "core/notes.md",
  ];
  assertEquals(packageModules(config, files), ["cli/main.ts", "core/a.ts", "mod.ts"]);
});

test("deno pack runs with every module an export, so that each gets its .d.ts", () => {
  const c = packConfig(config, ["cli/main.ts", "core/a.ts", "mod.ts"]);
  assertEquals(c.exports, {
    ".": "./mod.ts",
    "./cli": "./cli/main.ts",
    "./core/a": "./core/a.ts",
  });
  assertEquals(config.exports, { ".": "./mod.ts", "./cli": "./cli/main.ts" }, "not changed");
});

test("the npm manifest: the name vkshare, deno.json's exports only, the bin", () => {
  const entry = (p: string) => ({
    types: `./${p}.d.ts`,
    import: `./${p}.js`,
    default: `./${p}.js`,
  });
  const packed = {
    name: "@vkshare/vkshare",
    main: "./mod.js",
    types: "./mod.d.ts",
    exports: { ".": entry("mod"), "./cli": entry("cli/main"), "./core/a": entry("core/a") },
  };
  const m = npmManifest(packed, config);
  assertEquals([m.name, m.version, m.type, m.license], ["vkshare", "9.8.7", "module", "MIT"]);
  assertEquals(m.exports, { ".": entry("mod"), "./cli": entry("cli/main") });
  assertEquals(m.bin, BIN);
  assertEquals(BIN.vkshare, "./cli/main.js");
  assertThrows(
    () => npmManifest({ ...packed, exports: { ".": entry("mod") } }, config),
    Error,
    'deno pack gave no export "./cli"',
  );
});
