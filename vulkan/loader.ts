/**
 * What the Vulkan loader will see on this machine, read the way the loader reads it (Linux): the
 * environment variables in force, the ICD manifests in its search path, the paths the variables
 * name that do not exist, and whether NVIDIA's driver would find the GL dispatch library it
 * needs. Used to explain a failed `vkCreateInstance` and by `cli/setup.ts` to decide what (if
 * anything) to install.
 *
 * @module
 */
import { fileTypeAt, listDir } from "../ffi/libc.ts";
import { rt } from "../ffi/runtime.ts";
import { LIBVULKAN_ENV } from "../ffi/vulkan.ts";

/** The environment variables that change what the Vulkan loader (or vkshare) loads. */
export const LOADER_VARIABLES = [
  "VK_DRIVER_FILES",
  "VK_ICD_FILENAMES",
  "VK_ADD_DRIVER_FILES",
  "VK_LOADER_DRIVERS_SELECT",
  "VK_LOADER_DRIVERS_DISABLE",
  "VK_LAYER_PATH",
  "VK_ADD_LAYER_PATH",
  "VK_INSTANCE_LAYERS",
  "VK_LOADER_LAYERS_DISABLE",
  LIBVULKAN_ENV,
] as const;

/** What the loader will see (see {@linkcode diagnoseLoader}). */
export interface LoaderDiagnosis {
  /** The variables of {@linkcode LOADER_VARIABLES} that are set, with their values. */
  variables: Record<string, string>;
  /** The ICD manifests the loader would read, by full path. */
  manifests: string[];
  /** Where it looked (the variables' paths, or the default search path). */
  searched: string[];
  /** Paths named by `VK_DRIVER_FILES`, `VK_ICD_FILENAMES`, `VK_ADD_DRIVER_FILES` or `VKSHARE_LIBVULKAN` that do not exist, each with its variable. */
  missing: { variable: string; path: string }[];
  /** Whether one of the manifests is NVIDIA's. */
  nvidia: boolean;
  /** Whether libGLdispatch.so.0 (libglvnd, which NVIDIA's Vulkan driver loads) is installed. */
  glvnd: boolean;
}

/** The values of `env` that the loader would see (undefined when unset or empty). */
type Env = (name: string) => string | undefined;

function exists(path: string): boolean {
  return fileTypeAt(path) !== null;
}

function jsonFiles(dir: string): string[] {
  return (listDir(dir) ?? []).filter((n) => n.endsWith(".json")).map((n) => `${dir}/${n}`);
}

/** The manifests a path list names: files as they are, directories by their `*.json`. */
function manifestsIn(list: string, variable: string, missing: LoaderDiagnosis["missing"]) {
  const found: string[] = [];
  for (const p of list.split(":").filter(Boolean)) {
    const inDir = listDir(p);
    if (inDir !== null) found.push(...jsonFiles(p));
    else if (exists(p)) found.push(p);
    else missing.push({ variable, path: p });
  }
  return found;
}

/**
 * Reads what the Vulkan loader would load, without loading it. `env` reads the environment
 * (default: this process's).
 *
 * @example
 * ```ts
 * const d = diagnoseLoader();
 * if (d.manifests.length === 0) console.log("no Vulkan driver is installed");
 * ```
 */
export function diagnoseLoader(env?: Env): LoaderDiagnosis {
  env ??= (n) => rt.env(n) || undefined;
  const variables: Record<string, string> = {};
  for (const v of LOADER_VARIABLES) {
    const value = env(v);
    if (value !== undefined) variables[v] = value;
  }
  const missing: LoaderDiagnosis["missing"] = [];
  const lib = variables[LIBVULKAN_ENV];
  if (lib !== undefined && lib.includes("/") && !exists(lib)) {
    missing.push({ variable: LIBVULKAN_ENV, path: lib });
  }
  // VK_DRIVER_FILES replaces the search path; VK_ICD_FILENAMES is its older name.
  const only = variables.VK_DRIVER_FILES !== undefined
    ? "VK_DRIVER_FILES"
    : variables.VK_ICD_FILENAMES !== undefined
    ? "VK_ICD_FILENAMES"
    : undefined;
  let searched: string[];
  let manifests: string[];
  if (only) {
    searched = variables[only].split(":").filter(Boolean);
    manifests = manifestsIn(variables[only], only, missing);
  } else {
    const home = env("HOME");
    const config = (env("XDG_CONFIG_DIRS") ?? "/etc/xdg").split(":");
    const data = (env("XDG_DATA_DIRS") ?? "/usr/local/share:/usr/share").split(":");
    const dataHome = env("XDG_DATA_HOME") ?? (home ? `${home}/.local/share` : undefined);
    searched = [
      ...config.map((d) => `${d}/vulkan/icd.d`),
      "/etc/vulkan/icd.d",
      ...(dataHome ? [`${dataHome}/vulkan/icd.d`] : []),
      ...data.map((d) => `${d}/vulkan/icd.d`),
    ].filter((d, i, all) => d && all.indexOf(d) === i);
    manifests = searched.flatMap(jsonFiles);
  }
  if (variables.VK_ADD_DRIVER_FILES !== undefined) {
    manifests.push(...manifestsIn(variables.VK_ADD_DRIVER_FILES, "VK_ADD_DRIVER_FILES", missing));
  }
  const libDirs = [
    `/usr/lib/${rt.arch}-linux-gnu`,
    "/usr/lib64",
    "/usr/lib",
    "/lib64",
    `/lib/${rt.arch}-linux-gnu`,
  ];
  return {
    variables,
    manifests,
    searched,
    missing,
    nvidia: manifests.some((m) => /nvidia/i.test(m)),
    glvnd: libDirs.some((d) => exists(`${d}/libGLdispatch.so.0`)),
  };
}

/**
 * The likely causes of a `vkCreateInstance` that failed with `VK_ERROR_INCOMPATIBLE_DRIVER` or
 * `VK_ERROR_INITIALIZATION_FAILED`, one line each, from a diagnosis and the number of instances
 * this process created before.
 *
 * @example
 * ```ts
 * console.log(instanceFailureCauses(diagnoseLoader(), 0).join("\n"));
 * ```
 */
export function instanceFailureCauses(d: LoaderDiagnosis, createdBefore: number): string[] {
  const causes: string[] = [];
  for (const m of d.missing) causes.push(`${m.variable} names ${m.path}, which does not exist`);
  const vars = Object.entries(d.variables).map(([k, v]) => `${k}=${v}`);
  if (d.manifests.length === 0 && d.missing.some((m) => m.variable !== LIBVULKAN_ENV)) {
    causes.push("so the loader found no ICD manifest: unset the variable, or point it at one");
  } else if (d.manifests.length === 0) {
    causes.push(
      `no ICD manifest (a driver's *.json) was found in ${d.searched.join(", ") || "(nothing)"}: `
        + "install a Vulkan driver (Mesa's software one: sudo apt-get install -y mesa-vulkan-drivers)",
    );
  } else {
    causes.push(`the driver(s) of ${d.manifests.join(", ")} could not start on this machine`);
  }
  if (vars.length) causes.push(`in force: ${vars.join(" ")}`);
  if (d.nvidia && !d.glvnd) {
    causes.push(
      "NVIDIA's Vulkan driver needs the GL dispatch libraries (libglvnd), and libGLdispatch.so.0 is not installed: sudo apt-get install -y libglvnd0 libglx0",
    );
  }
  if (createdBefore >= 30) {
    causes.push(
      `this process created ${createdBefore} instances before: NVIDIA's driver refuses a process's 31st vkCreateInstance even when the earlier ones were destroyed; share one instance`,
    );
  }
  return causes;
}
