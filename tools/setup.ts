// Makes sure this machine can run vkshare: a Vulkan loader, at least one Vulkan device, and (with
// --for-tests) the Khronos validation layer. Where they are missing on Debian/Ubuntu and we run as
// root, installs Mesa's software driver (lavapipe) with apt-get; otherwise stops with the one
// command that installs it. Run by `deno task demo` and `deno task test` (and their Bun
// counterparts) before anything else; node: modules keep it runnable on both.
// @ts-types="../tests/_node_child_process.d.ts"
import { spawnSync } from "node:child_process";
// @ts-types="../tests/_node_fs.d.ts"
import { readFileSync } from "node:fs";
import { availableLayers, Instance, VALIDATION_LAYER } from "../mod.ts";

const forTests = process.argv.slice(2).includes("--for-tests");
const packages = [
  "libvulkan1",
  "mesa-vulkan-drivers",
  ...(forTests ? ["vulkan-validationlayers"] : []),
];
const command = `sudo apt-get install -y ${packages.join(" ")}`;

function missing(): string | undefined {
  try {
    using instance = Instance.create();
    if (instance.physicalDevices().length === 0) return "the Vulkan loader found no device";
    if (forTests && !availableLayers().some((l) => l.name === VALIDATION_LAYER)) {
      return `the tests need ${VALIDATION_LAYER}`;
    }
    return undefined;
  } catch (e) {
    return (e as Error).message.split("\n")[0];
  }
}

function debianLike(): boolean {
  try {
    const os = readFileSync("/etc/os-release", "utf8");
    return /^(ID|ID_LIKE)=.*\b(debian|ubuntu)\b/m.test(os);
  } catch {
    return false;
  }
}

function run(cmd: string, args: string[]): boolean {
  console.error(`setup: ${cmd} ${args.join(" ")}`);
  const r = spawnSync(cmd, args, {
    env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" },
    stdio: "inherit",
  });
  return r.status === 0;
}

const why = missing();
if (why !== undefined) {
  console.error(`setup: ${why}`);
  if (process.platform === "linux" && debianLike() && process.getuid?.() === 0) {
    console.error("setup: installing Mesa's software Vulkan driver (lavapipe)");
    const ok = run("apt-get", ["update", "-q"])
      && run("apt-get", ["install", "-y", "-q", "--no-install-recommends", ...packages]);
    const still = ok ? missing() : "apt-get failed";
    if (still !== undefined) {
      console.error(`setup: still not ready: ${still}`);
      process.exit(1);
    }
    console.error("setup: ready");
  } else {
    console.error(`setup: install a Vulkan driver, then run this again:\n  ${command}`);
    process.exit(1);
  }
}
