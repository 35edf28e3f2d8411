// The documentation as a reader uses it (README.md, CONTRIBUTING.md, CHANGELOG.md, docs/): every
// `ts` block runs as written, as a script of its own with this runtime (Deno or Bun), its
// "vkshare" imports pointed at this checkout, and prints what its comments say where a test below
// checks it; every relative link and every file path a page names exists in the repository, and
// none points outside it; the README fits a screen's worth of scrolling (300 lines); every
// VKSHARE_* variable the code reads is in the README's one table. A block that needs a capability
// says so above it (`<!-- needs: OPAQUE_FD memory -->`) and is skipped, naming what is missing,
// where the first device lacks it.
// @ts-types="../cli/_node/fs.d.ts"
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
// @ts-types="../cli/_node/os.d.ts"
import { tmpdir } from "node:os";

import { assert, assertEquals, assertStringIncludes } from "@std/assert";
import { externalBufferProperties, relayRefusal } from "../share/mod.ts";
import { type Block, tsBlocks } from "../tools/blocks.ts";
import { runScript, test } from "./_harness.ts";
import { cannotShare, caps } from "./_memory.ts";
import { cannotShareFence, cannotShareSemaphore, noTimeline } from "./_sync.ts";
import { sharedInstance } from "./_vk.ts";

const root = new URL("../", import.meta.url);
const PAGES = [
  "README.md",
  "CONTRIBUTING.md",
  "CHANGELOG.md",
  ...readdirSync(new URL("docs/", root).pathname).filter((f) => f.endsWith(".md")).sort()
    .map((f) => `docs/${f}`),
];
const text = (page: string) => readFileSync(new URL(page, root), "utf8");

/** Why a block that needs `needs` cannot run here, or false. */
function missing(needs: string | null): string | false {
  if (needs === null) return false;
  if (needs === "OPAQUE_FD memory") return cannotShare("OPAQUE_FD");
  if (needs === "OPAQUE_WIN32 memory") return cannotShare("OPAQUE_WIN32");
  if (needs === "HOST_ALLOCATION memory") {
    return caps.host.importable ? false : caps.host.why ?? `${caps.name} imports no host memory`;
  }
  if (needs === "OPAQUE_FD relays") {
    const pd = sharedInstance().physicalDevices()[0];
    const again = externalBufferProperties(pd, { handleType: "OPAQUE_FD" });
    return cannotShare("OPAQUE_FD") || relayRefusal(pd)
      || (again.exportFromImportedHandleTypes.includes("OPAQUE_FD")
        ? false
        : `${pd.name} cannot export imported OPAQUE_FD memory again`);
  }
  if (needs === "OPAQUE_FD timeline semaphores") {
    return cannotShareSemaphore("timeline", "OPAQUE_FD");
  }
  if (needs === "OPAQUE_FD fences") return cannotShareFence("OPAQUE_FD");
  if (needs === "timeline semaphores") return noTimeline;
  throw new Error(`unknown need "${needs}"`);
}

/** The package's import specifiers ("vkshare", "vkshare/cuda", ...) → this checkout's modules. */
const SPECIFIERS: [string, string][] = Object.entries(
  JSON.parse(text("deno.json")).exports as Record<string, string>,
).map(([key, path]) => [key === "." ? "vkshare" : `vkshare${key.slice(1)}`, path]);

/** `code` with its package imports pointed at this checkout. */
export function againstCheckout(code: string): string {
  return code.replace(/from "(vkshare(?:\/[a-z]+)?)"/g, (m, spec: string) => {
    const path = SPECIFIERS.find(([s]) => s === spec)?.[1];
    return path ? `from "${new URL(path, root)}"` : m;
  });
}

/** Runs `code` as a script of its own. */
function run(code: string): { code: number; out: string; err: string } {
  const dir = mkdtempSync(`${tmpdir()}/vkshare-docs-`);
  const file = `${dir}/example.ts`;
  writeFileSync(file, againstCheckout(code));
  try {
    return runScript(file);
  } finally {
    rmSync(dir, { recursive: true });
  }
}

const blocks: (Block & { page: string })[] = PAGES.flatMap((page) =>
  tsBlocks(text(page)).map((b) => ({ ...b, page }))
);

test("the pages' ts blocks are found, each a whole program importing the package by name", () => {
  assert(blocks.length >= 12, `${blocks.length} blocks`);
  for (const b of blocks) {
    assert(/from "vkshare(\/[a-z]+)?"/.test(b.code), `${b.page}:${b.line} imports no "vkshare"`);
  }
  assertEquals(
    againstCheckout(`import { a } from "vkshare";\nimport { b } from "vkshare/cuda";\n`),
    `import { a } from "${new URL("mod.ts", root)}";\nimport { b } from "${new URL(
      "cuda/mod.ts",
      root,
    )}";\n`,
  );
  // The extractor itself, on a made-up page: a heading inside another block is that block's text.
  const page =
    "# A\n```ts\nx\n```\n```sh\n# not a heading\n```\n## B\n<!-- needs: OPAQUE_FD memory -->\n\n```ts\ny\n```\n";
  assertEquals(tsBlocks(page), [
    { heading: "A", code: "x\n", needs: null, line: 3 },
    { heading: "B", code: "y\n", needs: "OPAQUE_FD memory", line: 12 },
  ]);
});

/** What a block prints, where a test checks it: by page and heading. */
const expected: Record<string, (out: string) => void> = {
  "README.md#A first script": (out) => assertEquals(out, "Uint8Array(4) [ 1, 2, 3, 4 ]\n"),
  "docs/doctor.md#As a library": (out) => assertEquals(out, "true\n"),
  "docs/images.md#A dma-buf from elsewhere": (out) => {
    const pd = sharedInstance().physicalDevices()[0];
    const imports = externalBufferProperties(pd, { handleType: "DMA_BUF" }).importable;
    assertEquals(out, imports ? "imports here\n" : "HANDLE_TYPE_UNSUPPORTED\n");
  },
  "docs/memory.md#Between two devices": (out) =>
    assertStringIncludes(out, "Uint8Array(4) [ 1, 2, 3, 4 ]"),
  "docs/memory.md#Host memory": (out) => assertStringIncludes(out, "Uint8Array(4) [ 7, 7, 7, 7 ]"),
  "docs/memory.md#Relays": (out) => assertStringIncludes(out, "Uint8Array(3) [ 7, 8, 9 ]"),
  "docs/sync.md#Two devices, one timeline": (out) =>
    assertEquals(out.split("\n").slice(0, 2).join("\n"), "timeout\nsignaled 1n"),
  "docs/processes.md#Sharing between processes": (out) =>
    assertStringIncludes(out, "Uint8Array(4) [ 1, 2, 3, 4 ]"),
  "docs/images.md#Images: multi-plane formats and DRM format modifiers": (out) =>
    assertEquals(out, "true\n"),
  "docs/cuda.md#Sharing with CUDA": (out) =>
    assert(
      out === "no CUDA driver here\n"
        || out.includes("done signaled\nUint8Array(4) [ 120, 86, 52, 18 ]"),
      out,
    ),
  "docs/gl.md#Sharing with OpenGL": (out) =>
    assert(
      out.startsWith("no GL here: ")
        || out.includes("Uint8Array(4) [ 1, 2, 3, 4 ]\nUint8Array(4) [ 9, 8, 7, 6 ]"),
      out,
    ),
  "docs/gl.md#Timelines": (out) =>
    assert(out.startsWith("no GL timelines here: ") || out === "signaled\n", out),
  "docs/gl.md#Dma-bufs": (out) =>
    assert(
      /^EGL takes RGBA8 dma-bufs: 0x[0-9a-f]{16}/.test(out) || out === "no dma-buf textures here\n",
      out,
    ),
  "docs/capabilities.md#What a device can share": (out) => assertStringIncludes(out, "OPAQUE_FD"),
};

test("every checked block is a block of its page", () => {
  const have = new Set(blocks.map((b) => `${b.page}#${b.heading}`));
  for (const key of Object.keys(expected)) assert(have.has(key), `no ts block at ${key}`);
});

blocks.forEach((b) => {
  const name = `${b.page}:${b.line} ("${b.heading}") runs as written`;
  test(name, { skip: missing(b.needs) }, () => {
    const r = run(b.code);
    assertEquals(r.code, 0, `${r.err}\n${r.out}`);
    expected[`${b.page}#${b.heading}`]?.(r.out);
  });
});

/** A page's text outside its fenced blocks, and its fenced blocks' text, apart. */
function split(markdown: string): { prose: string; fenced: string } {
  const prose: string[] = [], fenced: string[] = [];
  let inside = false;
  for (const l of markdown.split("\n")) {
    if (/^```/.test(l)) inside = !inside;
    else (inside ? fenced : prose).push(l);
  }
  return { prose: prose.join("\n"), fenced: fenced.join("\n") };
}

/** GitHub's anchor of a heading: lower case, punctuation dropped, spaces to hyphens. */
export function anchorOf(heading: string): string {
  return heading.toLowerCase().replace(/[^\p{L}\p{N} _-]/gu, "").replace(/ /g, "-");
}

const anchors = (page: string) =>
  new Set(
    split(text(page)).prose.split("\n").filter((l) => /^#+ /.test(l))
      .map((l) => anchorOf(l.replace(/^#+ /, ""))),
  );

/** The repository's top folders and files, which a path a page names starts with. */
const TOP = readdirSync(root.pathname).filter((f) => !f.startsWith(".") && f !== "node_modules")
  .concat(".ci");

/** Whether `pattern` (a path, with `{a,b}`, `*` and `<name>` allowed) names a file that exists. */
function exists(pattern: string): boolean {
  const brace = pattern.match(/\{([^}]*)\}/);
  if (brace) {
    return brace[1].split(",").every((alt) => exists(pattern.replace(brace[0], alt)));
  }
  if (!/[*<]/.test(pattern)) return existsSync(new URL(pattern, root).pathname);
  const dir = pattern.slice(0, pattern.lastIndexOf("/") + 1);
  const re = new RegExp(
    `^${pattern.slice(dir.length).replace(/[.]/g, "\\.").replace(/\*|<[^>]+>/g, ".+")}$`,
  );
  return existsSync(new URL(dir, root).pathname)
    && readdirSync(new URL(dir, root).pathname).some((f) => re.test(f));
}

test("every relative link of every page leads to a file (and heading) of the repository", () => {
  for (const page of PAGES) {
    for (const [, target] of split(text(page)).prose.matchAll(/\]\(([^)\s]+)\)/g)) {
      if (/^[a-z]+:/.test(target)) continue; // https:, mailto:
      const [path, anchor] = target.split("#");
      const file = path === "" ? new URL(page, root) : new URL(path, new URL(page, root));
      assert(file.href.startsWith(root.href), `${page}: ${target} is outside the repository`);
      assert(existsSync(file.pathname), `${page}: ${target}: no such file`);
      if (anchor) {
        const at = file.href.slice(root.href.length);
        assert(anchors(at).has(anchor), `${page}: ${target}: ${at} has no heading #${anchor}`);
      }
    }
  }
});

test("every file path a page names exists in the repository, and none is outside it", () => {
  let checked = 0;
  for (const page of PAGES) {
    const { prose, fenced } = split(text(page));
    const named = [
      ...[...prose.matchAll(/`([^`\n]+)`/g)].map((m) => m[1].split(/\s+/)[0]),
      ...fenced.split(/\s+/),
    ];
    for (const raw of named) {
      const path = raw.replace(/^\.\//, "").replace(/[:,;.)]+$/, "");
      assert(!/^\.\.\//.test(raw) && !raw.includes("shared/"), `${page} names ${raw}`);
      const [top] = path.split("/");
      if (!path.includes("/") || !TOP.includes(top)) continue;
      if (!/\.(ts|md|json|c|py|sh|svg|d\.ts)$|\/$|\}$/.test(path)) continue;
      assert(exists(path), `${page} names ${path}, which is not in the repository`);
      checked++;
    }
    assert(!text(page).includes("DRIVERS.md"), `${page} names DRIVERS.md, outside the repository`);
  }
  assert(checked > 30, `only ${checked} paths checked`);
});

test("the README fits in 300 lines", () => {
  const lines = text("README.md").split("\n").length;
  assert(lines <= 300, `README.md has ${lines} lines`);
});

test("every VKSHARE_* variable the code reads is in the README's table, and only those", () => {
  const sources = [
    "core",
    "vulkan",
    "share",
    "memory",
    "sync",
    "ipc",
    "cuda",
    "ffi",
    "cli",
    "tools",
  ]
    .flatMap((dir) =>
      (readdirSync(new URL(`${dir}/`, root).pathname, { recursive: true }) as string[])
        .filter((f) => /\.(ts|sh)$/.test(f)).map((f) => text(`${dir}/${f}`))
    )
    .concat(text("python/vkshare_peer.py"), text("tests/_vk.ts"));
  const used = new Set(
    sources.flatMap((s) => [...s.matchAll(/VKSHARE_[A-Z0-9_]+/g)].map((m) => m[0])),
  );
  const table = new Set(
    [...text("README.md").matchAll(/^\| `(VKSHARE_[A-Z0-9_]+)` +\|/gm)].map((m) => m[1]),
  );
  assertEquals([...table].sort(), [...used].sort());
});
