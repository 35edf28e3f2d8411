/**
 * Makes sure this machine can run vkshare: a Vulkan loader, at least one Vulkan device, and (with
 * --for-tests) the Khronos validation layer. It diagnoses before it installs anything:
 *
 * - libvulkan loads and a device exists (and the layer, for the tests): nothing to do;
 * - `VKSHARE_LIBVULKAN`, `VK_DRIVER_FILES` or `VK_ICD_FILENAMES` names a path that does not exist,
 *   or a device list that is empty: says so, and installs nothing (a package would not help);
 * - otherwise it installs just the missing packages (the loader, Mesa's software driver
 *   lavapipe, the validation layer) with apt-get where it runs as root on Debian/Ubuntu, and
 *   elsewhere prints the exact command.
 *
 * Run by `deno task demo` and `deno task test` (and their Bun and Node counterparts) before
 * anything else; node: modules keep it runnable on all three.
 *
 *     deno run -A cli/setup.ts [--for-tests] [--dry-run]
 *
 * @module
 */
// @ts-types="./_node/child_process.d.ts"
import { spawnSync } from "node:child_process";
// @ts-types="./_node/fs.d.ts"
import { readFileSync } from "node:fs";
import { versionString } from "../core/enums.ts";
import { rt } from "../ffi/runtime.ts";
import { LIBVULKAN_ENV, libvulkanPath } from "../ffi/vulkan.ts";
import { Instance } from "../mod.ts";
import { diagnoseLoader } from "../vulkan/loader.ts";
import { availableLayers, loaderVersion, VALIDATION_LAYER } from "../vulkan/mod.ts";
import { parseCli } from "./_args.ts";

const cli = parseCli({
  name: "cli/setup.ts",
  summary:
    "Checks that vkshare can run here (libvulkan, a Vulkan device, and with --for-tests the\nvalidation layer); installs only what is missing, with apt-get, when root on Debian/Ubuntu.",
  flags: {
    "for-tests": { type: "boolean", description: "also require the validation layer" },
    "dry-run": {
      type: "boolean",
      description: "say what is missing and what would be installed; install nothing",
    },
  },
});
const forTests = cli.flag("for-tests");
const dryRun = cli.flag("dry-run");

/** What is wrong: a message, and the packages that would mend it (none: no package helps). */
interface Finding {
  why: string;
  packages: string[];
}

/** The devices the last diagnosis saw. */
let deviceNames: string[] = [];

function diagnose(): Finding | undefined {
  const d = diagnoseLoader();
  const named = d.missing.filter((m) => m.variable === LIBVULKAN_ENV);
  if (named.length) {
    return {
      why: `${LIBVULKAN_ENV}=${
        named[0].path
      } does not exist: unset it or point it at libvulkan.so.1`,
      packages: [],
    };
  }
  let devices: number;
  try {
    using instance = Instance.create({ applicationName: "vkshare setup" });
    deviceNames = instance.physicalDevices().map((pd) => pd.name);
    devices = deviceNames.length;
  } catch (e) {
    const message = (e as Error).message;
    if ((e as Error).name === "LibraryLoadError") {
      if (d.variables[LIBVULKAN_ENV]) {
        return { why: `${LIBVULKAN_ENV}: ${message.split("\n").join(" ")}`, packages: [] };
      }
      return { why: "the Vulkan loader (libvulkan.so.1) is not installed", packages: all() };
    }
    devices = 0;
    if (!/VK_ERROR_INCOMPATIBLE_DRIVER|VK_ERROR_INITIALIZATION_FAILED/.test(message)) {
      return { why: message, packages: [] };
    }
  }
  if (devices === 0) {
    const only = d.variables.VK_DRIVER_FILES !== undefined
      ? "VK_DRIVER_FILES"
      : d.variables.VK_ICD_FILENAMES !== undefined
      ? "VK_ICD_FILENAMES"
      : undefined;
    if (only) {
      const gone = d.missing.filter((m) => m.variable === only).map((m) => m.path);
      return {
        why: `${only}=${d.variables[only]} ${
          gone.length ? `names ${gone.join(", ")}, which does not exist` : "names no working driver"
        }: the loader reads only what it names, so installing a driver would not help; unset it or fix it`,
        packages: [],
      };
    }
    return {
      why: d.manifests.length
        ? `the Vulkan drivers installed (${d.manifests.join(", ")}) show no device`
        : "no Vulkan driver is installed",
      packages: ["mesa-vulkan-drivers", ...(forTests && !hasLayer() ? [LAYER_PACKAGE] : [])],
    };
  }
  if (rt.fnPointers === "none") {
    return {
      why: "Node calls Vulkan's extension commands through libffi.so.8, which is not installed",
      packages: ["libffi8"],
    };
  }
  if (forTests && !hasLayer()) {
    return {
      why: `the tests need ${VALIDATION_LAYER}, which is not installed`,
      packages: [LAYER_PACKAGE],
    };
  }
  return undefined;
}

const LAYER_PACKAGE = "vulkan-validationlayers";

function all(): string[] {
  return ["libvulkan1", "mesa-vulkan-drivers", ...(forTests ? [LAYER_PACKAGE] : [])];
}

function hasLayer(): boolean {
  try {
    return availableLayers().some((l) => l.name === VALIDATION_LAYER);
  } catch {
    return false;
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

/** With --dry-run: what was found, a line each (the loader, its manifests, the devices, the layer). */
function describeFound(f: Finding | undefined): void {
  const d = diagnoseLoader();
  const vars = Object.entries(d.variables).map(([k, v]) => `${k}=${v}`);
  let loader = "not loaded";
  try {
    loader = `${libvulkanPath()} (Vulkan ${versionString(loaderVersion())})`;
  } catch (e) {
    loader = `not loaded: ${(e as Error).message.split("\n")[0]}`;
  }
  console.log(`setup: found libvulkan: ${loader}`);
  console.log(`setup: found ICD manifests: ${d.manifests.join(", ") || "none"}`);
  console.log(`setup: found variables: ${vars.join(" ") || "none set"}`);
  console.log(`setup: found devices: ${deviceNames.join("; ") || "none"}`);
  console.log(`setup: found ${VALIDATION_LAYER}: ${hasLayer() ? "installed" : "not installed"}`);
  console.log(
    `setup: would install: ${
      f === undefined ? "nothing" : f.packages.join(" ") || "nothing (a package would not help)"
    } (--dry-run: nothing installed)`,
  );
}

const found = diagnose();
if (dryRun) describeFound(found);
if (found === undefined) {
  // On stdout, so that a script that only wants the problems reads stderr.
  console.log(
    `setup: ready: ${deviceNames.length} Vulkan device(s) (${deviceNames.join("; ")})${
      forTests ? `, ${VALIDATION_LAYER}` : ""
    }`,
  );
} else {
  console.error(`setup: ${found.why}`);
  if (found.packages.length === 0) process.exit(1);
  const install = ["install", "-y", "-q", "--no-install-recommends", ...found.packages];
  if (dryRun) process.exit(1);
  if (process.platform === "linux" && debianLike() && process.getuid?.() === 0) {
    console.error(`setup: installing ${found.packages.join(" ")}`);
    const ok = run("apt-get", ["update", "-q"]) && run("apt-get", install);
    const still = ok ? diagnose() : { why: "apt-get failed", packages: [] };
    if (still !== undefined) {
      console.error(`setup: still not ready: ${still.why}`);
      process.exit(1);
    }
    console.error(
      `setup: ready: ${deviceNames.length} Vulkan device(s) (${deviceNames.join("; ")})`,
    );
  } else {
    const command = `sudo apt-get install -y ${found.packages.join(" ")}`;
    console.error(
      debianLike()
        ? `setup: install ${
          found.packages.length > 1 ? "them" : "it"
        }, then run this again:\n  ${command}`
        : `setup: install ${
          found.packages.join(", ")
        } (the names Debian gives them) with this system's package manager, then run this again`,
    );
    process.exit(1);
  }
}
