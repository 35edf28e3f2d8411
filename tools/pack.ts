/**
 * Builds the npm package `vkshare` with `deno pack`: the JavaScript of every module of the package
 * and its `.d.ts`, then the npm metadata `deno pack` cannot express (the unscoped name, the
 * `vkshare` bin). It fails where `deno pack` warns, or where any module comes without its types.
 *
 *     deno run -A tools/pack.ts [--out DIR] [--allow-dirty]     (deno task pack)
 *
 * `deno pack` writes a module's `.d.ts` from its fast-check form, and fast check reaches only the
 * modules a public type leads to: a module whose exports serve only the implementation would get
 * none. So the pack runs with a configuration (`.pack.json`, written beside deno.json and removed
 * after) whose exports name every module of the package; the npm `exports` are then deno.json's
 * own, and nothing else is reachable from outside.
 *
 * @module
 */
// @ts-types="../cli/_node/child_process.d.ts"
import { spawnSync } from "node:child_process";
// @ts-types="../cli/_node/fs.d.ts"
import { chmodSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";

import { parseCli } from "../cli/_args.ts";

/** deno.json's fields that the package is made from. */
export interface DenoConfig {
  /** The JSR name (`@vkshare/vkshare`). */
  name: string;
  /** The version. */
  version: string;
  /** The license. */
  license?: string;
  /** The entry points, by subpath. */
  exports: Record<string, string>;
  /** What is published: folders and files. */
  publish: { include: string[]; exclude?: string[] };
}

/** The npm name of the package. */
export const NPM_NAME = "vkshare";
/** The command the package installs, and the module it runs. */
export const BIN = { vkshare: "./cli/main.js" } as const;

/** Every TypeScript module of the package: the `.ts` files (not `.d.ts`) under what is published. */
export function packageModules(config: DenoConfig, files: readonly string[]): string[] {
  const included = (f: string) =>
    config.publish.include.some((i) => i.endsWith("/") ? f.startsWith(i) : f === i)
    && !(config.publish.exclude ?? []).some((e) => f.startsWith(e));
  return files.filter((f) => f.endsWith(".ts") && !f.endsWith(".d.ts") && included(f)).sort();
}

/** The configuration `deno pack` runs with: deno.json, its exports joined by every module. */
export function packConfig(config: DenoConfig, modules: readonly string[]): DenoConfig {
  const exports = { ...config.exports };
  const targets = new Set(Object.values(exports));
  for (const m of modules) {
    if (!targets.has(`./${m}`)) exports[`./${m.replace(/\.ts$/, "")}`] = `./${m}`;
  }
  return { ...config, exports };
}

/**
 * The npm package.json: `deno pack`'s, with deno.json's exports only (each with its types), the
 * npm name, the bin, and what a reader of the npm page needs.
 */
export function npmManifest(
  packed: { exports: Record<string, unknown>; [k: string]: unknown },
  config: DenoConfig,
): Record<string, unknown> {
  const exports: Record<string, unknown> = {};
  for (const key of Object.keys(config.exports)) {
    if (!(key in packed.exports)) throw new Error(`deno pack gave no export "${key}"`);
    exports[key] = packed.exports[key];
  }
  return {
    name: NPM_NAME,
    version: config.version,
    description:
      "Share GPU memory and synchronization between Vulkan devices, processes and CUDA, from Deno, Bun or Node 26 (FFI, nothing to compile)",
    keywords: ["vulkan", "gpu", "external-memory", "dma-buf", "cuda", "ffi", "deno", "bun"],
    license: config.license,
    type: "module",
    main: packed.main,
    types: packed.types,
    exports,
    bin: BIN,
    engines: { deno: ">=2.9", bun: ">=1.4" },
  };
}

/** The files under `dir`, relative to it. */
function filesUnder(dir: string): string[] {
  return (readdirSync(dir, { recursive: true }) as string[]).map(String);
}

function run(cmd: string, args: string[], cwd?: string): { status: number | null; out: string } {
  // NO_COLOR: deno pack's lines are read below, and read plain.
  const env = { ...process.env, NO_COLOR: "1" };
  const r = spawnSync(cmd, args, { encoding: "utf8", env, ...(cwd ? { cwd } : {}) });
  if (r.error) throw new Error(`${cmd}: ${r.error.message}`);
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
}

if (import.meta.main) {
  const cli = parseCli({
    name: "tools/pack.ts",
    summary:
      "Builds the npm package vkshare (vkshare-VERSION.tgz) with deno pack: every module's JavaScript\nand .d.ts, the npm name and the vkshare bin. Fails where deno pack warns or a module has no types.",
    flags: {
      out: { type: "string", value: "DIR", description: "where the tarball goes", default: "." },
      "allow-dirty": { type: "boolean", description: "pack uncommitted changes too" },
    },
  });
  const root = new URL("..", import.meta.url).pathname;
  const outDir = cli.string("out")!;
  const config: DenoConfig = JSON.parse(readFileSync(`${root}deno.json`, "utf8"));
  const modules = packageModules(config, filesUnder(root).filter((f) => !f.startsWith("node_")));
  const stage = `${outDir}/.vkshare-pack`;
  rmSync(stage, { recursive: true, force: true });
  mkdirSync(stage, { recursive: true });
  const packJson = `${root}.pack.json`;
  writeFileSync(packJson, JSON.stringify(packConfig(config, modules), null, 2));
  let packed: { status: number | null; out: string };
  try {
    const deno = "Deno" in globalThis ? Deno.execPath() : "deno";
    packed = run(deno, [
      "pack",
      "--config",
      packJson,
      "--output",
      `${stage}/raw.tgz`,
      ...(cli.flag("allow-dirty") ? ["--allow-dirty"] : []),
    ], root);
  } finally {
    rmSync(packJson, { force: true });
  }
  // Anything deno pack says beyond its progress is a warning ("Could not generate types ...", a
  // slow type), except that a declaration file (cli/_node/*.d.ts) is its own types, copied as is.
  const warned = packed.out.split("\n").filter((l) =>
    l.trim() !== ""
    && !/^(Packing |Check |✓ |\s+\d+ (modules|assets) collected$)/.test(l)
    && !/^Could not generate types for 'file:[^']*\.d\.ts'/.test(l)
  );
  if (packed.status !== 0 || warned.length) {
    console.error(
      `tools/pack.ts: deno pack ${packed.status !== 0 ? "failed" : "warned"}:\n${packed.out}`,
    );
    process.exit(1);
  }
  const untar = run("tar", ["-xzf", `${stage}/raw.tgz`, "-C", stage]);
  if (untar.status !== 0) throw new Error(`tar: ${untar.out}`);
  const pkg = `${stage}/package`;
  const files = filesUnder(pkg);
  const js = files.filter((f) => f.endsWith(".js"));
  const untyped = js.filter((f) => !files.includes(f.replace(/\.js$/, ".d.ts")));
  if (js.length !== modules.length || untyped.length) {
    console.error(
      `tools/pack.ts: ${modules.length} modules, ${js.length} .js files; without a .d.ts: ${
        untyped.join(", ") || "none"
      }`,
    );
    process.exit(1);
  }
  const manifest = npmManifest(JSON.parse(readFileSync(`${pkg}/package.json`, "utf8")), config);
  writeFileSync(`${pkg}/package.json`, `${JSON.stringify(manifest, null, 2)}\n`);
  chmodSync(`${pkg}/${BIN.vkshare.slice(2)}`, 0o755);
  const tarball = `${outDir}/${NPM_NAME}-${config.version}.tgz`;
  const tar = run("tar", [
    "-czf",
    tarball,
    "--sort=name",
    "--owner=0",
    "--group=0",
    "--numeric-owner",
    "--mtime=1985-10-26 08:15Z",
    "-C",
    stage,
    "package",
  ]);
  if (tar.status !== 0) throw new Error(`tar: ${tar.out}`);
  rmSync(stage, { recursive: true, force: true });
  console.log(
    `${tarball}: ${NPM_NAME}@${config.version}, ${js.length} modules, each with its .d.ts; bin vkshare`,
  );
}
