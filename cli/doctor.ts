/**
 * `deno task doctor` (`bun run doctor`): proves or explains every sharing path on this machine.
 *
 *     deno run -A cli/doctor.ts [doctor] [--json] [--prove] [--only PATHS]
 *     deno run -A cli/doctor.ts --explain FILE|- [--device N]
 *
 * Without `--explain`: the environment (libvulkan, the loader's manifests and variables, the
 * validation layer, kcmp, the fd limit, libcuda and its devices by UUID), then for each device
 * every path of the POSIX handle types (memory, images, host memory, binary and timeline
 * semaphores, fences; into another VkDevice or process, and into CUDA) with its verdict and why.
 * `--prove` runs every path that works end to end (memory, semaphores, fences, CUDA); the image
 * verdicts say they come from the capability queries. Exit 0 when every path asked about (all, or `--only`) works, 1 otherwise.
 *
 * With `--explain`: a descriptor or an offer as vkshare writes them (JSON), planned against
 * device N without an fd and without importing: every rule an import would break, with expected
 * and actual values. Exit 0 when none is broken, 1 otherwise.
 *
 * @module
 */
// @ts-types="./_node/fs.d.ts"
import { readFileSync } from "node:fs";

import {
  CudaContext,
  DeviceMemory,
  Fence,
  Instance,
  type PlanResult,
  Semaphore,
  SHARE_RULES,
} from "../mod.ts";
import { Device } from "../mod.ts";
import { parseCli, scriptArgument } from "./_args.ts";
import { doctor, type DoctorReport, type PathReport, serveImport } from "./_doctor.ts";

const cli = parseCli({
  name: "cli/doctor.ts",
  summary:
    "Proves or explains every sharing path on this machine: the environment, then each device's\npaths (memory, images, host memory, semaphores, fences; into another device, process or CUDA)\nwith a verdict and its causes. Exit 0 when every path asked about works, 1 when one does not.",
  positionals: true,
  flags: {
    json: { type: "boolean", description: "print the report as JSON (schema vkshare-doctor/1)" },
    prove: {
      type: "boolean",
      description: "run the paths end to end (memory, semaphores, fences, CUDA), with their p50",
    },
    only: {
      type: "string",
      value: "PATHS",
      description: "the paths asked about, e.g. memory:OPAQUE_FD,fence:SYNC_FD (default: all)",
    },
    explain: {
      type: "string",
      value: "FILE",
      description: "a descriptor or offer (JSON; - for stdin): the rules an import would break",
    },
    device: {
      type: "string",
      value: "N",
      description: "the device to explain against",
      default: "0",
    },
    cuda: {
      type: "string",
      value: "N",
      description: "with --explain: the CUDA device (ordinal) to explain against instead",
    },
    "serve-import": {
      type: "string",
      value: "SOCKET",
      description: "internal: the other process of --prove (imports what is offered at SOCKET)",
    },
    "serve-device": {
      type: "string",
      value: "UUID",
      description:
        "internal: the deviceUUID --serve-import imports into (by UUID: processes may order GPUs differently)",
    },
  },
});
if (cli.positionals.length > 1 || (cli.positionals[0] ?? "doctor") !== "doctor") {
  cli.fail(
    `unexpected argument ${JSON.stringify(cli.positionals.at(-1))}: the only command is doctor`,
  );
}
const deviceIndex = cli.int("device", { min: 0, max: 63 });
const cudaOrdinal = cli.string("cuda") === undefined ? null : cli.int("cuda", { min: 0, max: 63 });
const only = cli.string("only")?.split(",").map((s) => s.trim()).filter(Boolean);
for (const o of only ?? []) {
  if (!/^[a-z ]+:[A-Z_]+$/.test(o)) {
    cli.fail(`--only: expected OBJECT:HANDLE_TYPE, got ${JSON.stringify(o)}`);
  }
}
const explainFrom = cli.string("explain");
let explainInput: unknown;
if (explainFrom !== undefined) {
  try {
    const text = explainFrom === "-"
      ? new TextDecoder().decode(await readAll())
      : readFileSync(explainFrom, "utf8");
    explainInput = JSON.parse(text);
  } catch (e) {
    cli.fail(`--explain: cannot read ${explainFrom}: ${(e as Error).message.split("\n")[0]}`);
  }
}

async function readAll(): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  // deno-lint-ignore no-explicit-any
  for await (const c of (globalThis as any).process.stdin) chunks.push(c);
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const c of chunks) out.set(c, at), at += c.length;
  return out;
}

const exit = (code: number): never => {
  // deno-lint-ignore no-explicit-any
  (globalThis as any).process.exit(code);
  throw new Error("unreachable");
};

if (cudaOrdinal !== null && explainInput === undefined) cli.fail("--cuda goes with --explain");

if (explainInput !== undefined && cudaOrdinal !== null) {
  const items = explainItems(explainInput);
  let cuda: CudaContext;
  try {
    cuda = CudaContext.create({ ordinal: cudaOrdinal });
  } catch (e) {
    console.log(
      `explain: cannot explain into CUDA device ${cudaOrdinal}: ${
        (e as Error).message.split("\n")[0]
      }`,
    );
    exit(1);
  }
  using _cuda = cuda!;
  const results = items.map((it) => ({
    ...it,
    result: it.object === "fence"
      ? {
        ok: false as const,
        broken: [{ rule: "HANDLE_TYPE_UNSUPPORTED", message: "CUDA imports no Vulkan fences" }],
      }
      : cuda!.planImport(it.object, null, it.descriptor),
  }));
  explained(`CUDA device ${cudaOrdinal} "${cuda!.device.name}" (UUID ${cuda!.device.uuid})`, {
    cuda: { ordinal: cudaOrdinal, name: cuda!.device.name, uuid: cuda!.device.uuid },
  }, results);
}

using instance = Instance.create({ applicationName: "vkshare doctor" });

if (explainInput !== undefined) {
  const pd = instance.physicalDevices()[deviceIndex];
  if (!pd) {
    cli.fail(
      `--device: ${deviceIndex} is not a device here (there are ${instance.physicalDevices().length})`,
    );
  }
  using device = Device.create(pd);
  const items = explainItems(explainInput);
  const results = items.map((it) => ({ ...it, result: plan(device, it) }));
  explained(`device ${deviceIndex} "${pd.name}"`, {
    device: { index: deviceIndex, name: pd.name, deviceUUID: pd.deviceUUID },
  }, results);
}

/** Prints an explanation (text or --json) and exits 0 when no rule is broken, 1 otherwise. */
function explained(
  into: string,
  target: Record<string, unknown>,
  results: (ExplainItem & {
    result: { ok: true } | { ok: false; broken: readonly { rule: string; message: string }[] };
  })[],
): never {
  if (cli.flag("json")) {
    console.log(JSON.stringify(
      {
        schema: "vkshare-doctor-explain/1",
        ...target,
        imports: results.map((r) => ({
          what: r.what,
          ok: r.result.ok,
          broken: r.result.ok ? [] : r.result.broken,
        })),
      },
      (_k, v) => (typeof v === "bigint" ? String(v) : v),
      1,
    ));
  } else {
    console.log(
      `explain: imports into ${into} (no fd given: the fd's own rules are not judged)`,
    );
    for (const r of results) {
      if (r.result.ok) {
        console.log(`  ${r.what}: no rule broken`);
        continue;
      }
      console.log(`  ${r.what}: ${r.result.broken.length} rule(s) broken`);
      for (const b of r.result.broken) {
        console.log(`    ${b.rule}: ${b.message}`);
        const x = SHARE_RULES[b.rule as keyof typeof SHARE_RULES];
        if (x) console.log(`      (the rule: ${x.explains})`);
      }
    }
  }
  return exit(results.every((r) => r.result.ok) ? 0 : 1);
}

interface ExplainItem {
  what: string;
  object: "memory" | "semaphore" | "fence";
  descriptor: unknown;
}

/** The descriptors of `input`: one descriptor, or the ones an offer carries. */
function explainItems(input: unknown): ExplainItem[] {
  const o = input as Record<string, unknown> | null;
  if (o === null || typeof o !== "object" || Array.isArray(o)) {
    return cli.fail("--explain: expected a descriptor or an offer (a JSON object)");
  }
  if (o.type === "offer") {
    const items: ExplainItem[] = [];
    if (o.memory) {
      items.push({ what: "the offer's memory", object: "memory", descriptor: o.memory });
    }
    for (const [key, object] of [["semaphores", "semaphore"], ["fences", "fence"]] as const) {
      const list = Array.isArray(o[key]) ? o[key] as unknown[] : [];
      list.forEach((d, i) =>
        items.push({ what: `the offer's ${key}[${i}]`, object, descriptor: d })
      );
    }
    return items;
  }
  const object = o.object === "semaphore" || o.object === "fence" ? o.object : "memory";
  return [{ what: `the ${object} descriptor`, object, descriptor: o }];
}

function plan(device: Device, it: ExplainItem): PlanResult {
  if (it.object === "memory") return DeviceMemory.planImport(device, null, it.descriptor);
  if (it.object === "semaphore") return Semaphore.planImport(device, null, it.descriptor);
  return Fence.planImport(device, null, it.descriptor);
}

const serveAt = cli.string("serve-import");
if (serveAt !== undefined) {
  const uuid = cli.string("serve-device") ?? cli.fail("--serve-import needs --serve-device UUID");
  await serveImport(instance, serveAt, uuid);
  exit(0);
}

const self = scriptArgument(import.meta.url);
const report = await doctor(instance, cli.flag("prove"), (address, device) => [
  // deno-lint-ignore no-explicit-any
  (globalThis as any).process.execPath,
  ...("Bun" in globalThis ? [] : ["run", "-A"]),
  self,
  "--serve-import",
  address,
  "--serve-device",
  device,
]);
const key = (p: PathReport) => `${p.object}:${p.handleType}`;
const asked = (p: PathReport) =>
  !only || only.some((o) => o === key(p) || o === `${p.object.split(" ").at(-1)}:${p.handleType}`);
const ok = report.devices.every((d) => d.paths.filter(asked).every((p) => p.verdict === "works"));
if (cli.flag("json")) {
  console.log(JSON.stringify(report, (_k, v) => (typeof v === "bigint" ? String(v) : v), 1));
} else printReport(report);
exit(ok ? 0 : 1);

function printReport(r: DoctorReport): void {
  const e = r.environment;
  console.log(`vkshare doctor (${r.schema})`);
  console.log(
    `  runtime: ${e.runtime} ${e.runtimeVersion}; libvulkan ${e.libvulkan}, loader ${e.loaderVersion}`,
  );
  console.log(`  ICD manifests: ${e.manifests.join(", ") || "none"}`);
  const vars = Object.entries(e.variables);
  console.log(
    `  variables: ${vars.length ? vars.map(([k, v]) => `${k}=${v}`).join(" ") : "none set"}`,
  );
  console.log(
    `  validation layer: ${e.validationLayer ?? "not installed"}; kcmp: ${
      e.kcmp ? "works" : "refused"
    }; pidfd_getfd: ${e.pidfdGetfd === true ? "works" : e.pidfdGetfd}${
      e.ptraceScope === null ? "" : ` (ptrace_scope ${e.ptraceScope})`
    }; fd limit: ${e.fdLimit ?? "?"}`,
  );
  console.log(
    `  CUDA: ${
      "unavailable" in e.cuda
        ? e.cuda.unavailable
        : `driver ${e.cuda.driverVersion}, ${
          e.cuda.devices.map((d) => `${d.ordinal} ${d.name} ${d.uuid}`).join("; ")
        }`
    }`,
  );
  for (const d of r.devices) {
    console.log(`\ndevice ${d.index}: ${d.name} (${d.driver}), deviceUUID ${d.deviceUUID}`);
    console.log(`  extensions: ${d.extensions.join(", ") || "none of the external ones"}`);
    for (const q of d.quirks) console.log(`  note: ${q}`);
    const w = Math.max(...d.paths.map((p) => `${p.object} ${p.detail} ${p.handleType}`.length));
    for (const p of d.paths) {
      const name = `${p.object}${p.detail ? ` ${p.detail}` : ""} ${p.handleType}`.padEnd(w + 1);
      const verdict = p.verdict === "works"
        ? "works"
        : p.verdict === "fails"
        ? "DOES NOT"
        : "not offered";
      const proof = p.proof === null
        ? " (from capability queries)"
        : "notRun" in p.proof
        ? ` (${p.proof.notRun})`
        : p.proof.ok
        ? ` (proved: ${p.proof.what}; p50 ${p.proof.p50Us} µs)`
        : ` (PROOF FAILED: ${p.proof.what})`;
      console.log(`  ${name} ${verdict.padEnd(11)}${p.verdict === "works" ? proof : ""}`);
      if (p.processProof && "ok" in p.processProof) {
        const q = p.processProof;
        console.log(
          `      ${q.ok ? "proved" : "PROOF FAILED"} between processes: ${q.what}${
            q.ok ? `; p50 ${q.p50Us} µs` : ""
          }`,
        );
      }
      for (const c of p.causes) console.log(`      ${c}`);
      if (p.cuda) {
        const q = p.cuda.proof;
        const proved = !q
          ? ""
          : "notRun" in q
          ? ` (${q.notRun})`
          : q.ok
          ? ` (proved: ${q.what}; p50 ${q.p50Us} µs)`
          : ` (PROOF FAILED: ${q.what})`;
        console.log(
          `      into CUDA: ${
            p.cuda.verdict === "works" ? `works${proved}` : p.cuda.cause ?? p.cuda.verdict
          }`,
        );
      }
    }
  }
  if (r.pairs.length) {
    console.log("\nbetween devices (what the first exports and the second imports):");
    const w = Math.max(...r.pairs.map((p) => `${p.object} ${p.handleType}`.length));
    for (const p of r.pairs) {
      console.log(
        `  device ${p.from} → device ${p.to}  ${`${p.object} ${p.handleType}`.padEnd(w)}  ${
          p.verdict === "works" ? "shareable" : "NOT SHAREABLE"
        }`,
      );
      for (const c of p.causes) console.log(`      ${c}`);
      if (p.proof) console.log(`      proved: ${p.proof.what}`);
    }
  }
  const s = r.summary;
  console.log(
    `\n${s.works} paths work, ${s.fails} do not, ${s["not-offered"]} are not offered here`,
  );
}
