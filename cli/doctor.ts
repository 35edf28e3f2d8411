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
 * verdicts say they come from the capability queries. `--only` reports the paths asked about
 * alone. Exit 0 unless a path asked about (all, or `--only`) is offered but DOES NOT work, 1 then;
 * a path this driver does not offer is no failure, unless `--strict` (then only "works" is).
 * The verdicts are a library call too: `sharePaths` and `doctorReport` of `vkshare/doctor`.
 *
 * With `--explain`: a descriptor or an offer as vkshare writes them (JSON), planned against
 * device N without an fd and without importing: every rule an import would break, with expected
 * and actual values. Exit 0 when none is broken, 1 otherwise (or when one could not be judged).
 * Exit 2 on a usage error, 77 when what it needs is missing (`--cuda` without libcuda).
 *
 * @module
 */

import { CudaContext } from "../cuda/mod.ts";
import {
  type DoctorReport,
  doctorReport,
  type PathReport,
  type Proof,
  serveImport,
  tryTakingFd,
} from "../doctor/report.ts";
import { DeviceMemory, Fence, Instance, Semaphore } from "../mod.ts";
import { Device, ProtocolError } from "../mod.ts";
import { type PlanResult, SHARE_RULES } from "../share/mod.ts";
import { parseCli, printableText } from "./_args.ts";
import {
  ExplainInputError,
  type ExplainItem,
  explainItems,
  judge,
  offerRefused,
  readExplainInput,
  type Verdict,
} from "./_explain.ts";

/** What `--only` names: a path's object (or its last word: `semaphore`), and a handle type. */
const ONLY_OBJECTS = [
  "memory",
  "image",
  "host memory",
  "binary semaphore",
  "timeline semaphore",
  "semaphore",
  "fence",
];
const ONLY_HANDLE_TYPES = ["OPAQUE_FD", "DMA_BUF", "HOST_ALLOCATION", "SYNC_FD"];

const cli = parseCli({
  name: "cli/doctor.ts",
  summary:
    "Proves or explains every sharing path on this machine: the environment, then each device's\npaths (memory, images, host memory, semaphores, fences; into another device, process or CUDA)\nwith a verdict and its causes. Exit 0 unless a path asked about is offered and does not work\n(1; --strict: or is not offered), 2 on a usage error, 77 when what it needs is missing.",
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
      description:
        "report only these paths, e.g. memory:OPAQUE_FD,semaphore:SYNC_FD,fence:SYNC_FD (default: all)",
    },
    strict: {
      type: "boolean",
      description: "a path that is not offered here counts as not working (exit 1)",
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
      hidden: true,
    },
    "serve-pidfd": {
      type: "string",
      value: "PID FD",
      description:
        "internal: the child process of the torch IPC probe (takes fd FD of process PID with pidfd_getfd)",
      hidden: true,
    },
    "serve-device": {
      type: "string",
      value: "UUID",
      description:
        "internal: the deviceUUID --serve-import imports into (by UUID: processes may order GPUs differently)",
      hidden: true,
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
  const [object, handleType] = o.split(":");
  if (!ONLY_OBJECTS.includes(object) || !ONLY_HANDLE_TYPES.includes(handleType)) {
    cli.fail(
      `--only: expected OBJECT:HANDLE_TYPE (OBJECT one of ${
        ONLY_OBJECTS.join(", ")
      }; HANDLE_TYPE one of ${ONLY_HANDLE_TYPES.join(", ")}), got ${JSON.stringify(o)}`,
    );
  }
}
const explainFrom = cli.string("explain");
let explainInput: unknown;
if (explainFrom !== undefined) {
  let text: string;
  try {
    text = await readExplainInput(explainFrom);
  } catch (e) {
    if (!(e instanceof ExplainInputError)) throw e;
    cli.fail(`--explain: ${e.message}`);
  }
  try {
    explainInput = JSON.parse(text!);
  } catch (e) {
    cli.fail(`--explain: ${explainFrom} is not JSON: ${(e as Error).message.split("\n")[0]}`);
  }
}

const exit = (code: number): never => {
  // deno-lint-ignore no-explicit-any
  (globalThis as any).process.exit(code);
  throw new Error("unreachable");
};

if (cudaOrdinal !== null && explainInput === undefined) cli.fail("--cuda goes with --explain");

// The torch IPC probe's child (doctor/report.ts): before any device is made.
const pidfdProbe = cli.string("serve-pidfd");
if (pidfdProbe !== undefined) {
  const [pid, fd] = pidfdProbe.split(" ").map(Number);
  if (!(pid > 0 && fd >= 0)) {
    cli.fail(`--serve-pidfd: expected "PID FD", got ${JSON.stringify(pidfdProbe)}`);
  }
  console.log(tryTakingFd(pid, fd));
  exit(0);
}

/**
 * Explains `explainInput`'s descriptors into the target `into` names, each planned by `plan`: an
 * offer that receiveOffer refuses is one verdict of its own.
 */
function explainAll(
  into: string,
  target: Record<string, unknown>,
  plan: (it: ExplainItem) => PlanResult,
): never {
  let items: ExplainItem[];
  try {
    items = explainItems(explainInput);
  } catch (e) {
    if (e instanceof ExplainInputError) cli.fail(`--explain: ${e.message}`);
    if (!(e instanceof ProtocolError)) throw e;
    return explained(into, target, [{ what: "the offer", verdict: offerRefused(e) }]);
  }
  return explained(
    into,
    target,
    items.map((it) => ({ what: it.what, verdict: judge(() => plan(it)) })),
  );
}

if (explainInput !== undefined && cudaOrdinal !== null) {
  let cuda: CudaContext;
  try {
    cuda = CudaContext.create({ ordinal: cudaOrdinal });
  } catch (e) {
    cli.skip(
      `cannot explain into CUDA device ${cudaOrdinal}: ${
        printableText((e as Error).message.split("\n")[0])
      }`,
    );
  }
  using _cuda = cuda!;
  explainAll(`CUDA device ${cudaOrdinal} "${cuda!.device.name}" (UUID ${cuda!.device.uuid})`, {
    cuda: { ordinal: cudaOrdinal, name: cuda!.device.name, uuid: cuda!.device.uuid },
  }, (it) =>
    it.object === "fence"
      ? {
        ok: false,
        broken: [{ rule: "HANDLE_TYPE_UNSUPPORTED", message: "CUDA imports no Vulkan fences" }],
      }
      : cuda!.planImport(it.object, null, it.descriptor));
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
  explainAll(`device ${deviceIndex} "${pd.name}"`, {
    device: { index: deviceIndex, name: pd.name, deviceUUID: pd.deviceUUID },
  }, (it) => plan(device, it));
}

/**
 * Prints an explanation (text or --json) and exits: 0 when no rule is broken, 1 when one is or
 * when an explanation could not be made (an error that is not a broken rule: said, without a
 * stack trace).
 */
function explained(
  into: string,
  target: Record<string, unknown>,
  results: { what: string; verdict: Verdict }[],
): never {
  if (cli.flag("json")) {
    console.log(JSON.stringify(
      {
        schema: "vkshare-doctor-explain/1",
        ...target,
        imports: results.map(({ what, verdict: v }) => ({
          what,
          ok: "ok" in v && v.ok,
          broken: "broken" in v ? v.broken : [],
          ...("unjudged" in v ? { unjudged: v.unjudged } : {}),
        })),
      },
      (_k, v) => (typeof v === "bigint" ? String(v) : v),
      1,
    ));
  } else {
    console.log(`explain: imports into ${into} (no fd given: the fd's own rules are not judged)`);
    for (const { what, verdict: v } of results) {
      if ("unjudged" in v) {
        console.log(`  ${what}: could not be judged: ${printableText(v.unjudged)}`);
      } else if (v.ok) console.log(`  ${what}: no rule broken`);
      else {
        console.log(`  ${what}: ${v.broken.length} rule(s) broken`);
        for (const b of v.broken) {
          console.log(`    ${b.rule}: ${printableText(b.message)}`);
          const x = SHARE_RULES[b.rule as keyof typeof SHARE_RULES];
          if (x) console.log(`      (the rule: ${x.explains})`);
        }
      }
    }
  }
  const verdicts = results.map((r) => r.verdict);
  return exit(verdicts.every((v) => "ok" in v && v.ok) ? 0 : 1);
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

const report = await doctorReport(instance, { prove: cli.flag("prove") });
const shown = only ? onlyAsked(report, only) : report;
const proofFailed = (q: Proof | null | undefined) => !!q && "ok" in q && !q.ok;
const failing = (p: PathReport) =>
  p.verdict === "fails" || (cli.flag("strict") && p.verdict === "not-offered")
  || proofFailed(p.proof) || proofFailed(p.processProof) || proofFailed(p.cuda?.proof)
  || proofFailed(p.fromCuda?.proof);
const ok = !shown.devices.some((d) => d.paths.some(failing));
if (cli.flag("json")) {
  console.log(JSON.stringify(shown, (_k, v) => (typeof v === "bigint" ? String(v) : v), 1));
} else printReport(shown);
exit(ok ? 0 : 1);

/** `r` with only the paths (and pairs) `only` names, and its summary of those. */
function onlyAsked(r: DoctorReport, only: readonly string[]): DoctorReport {
  const asked = (p: { object: string; handleType: string }) =>
    only.some((o) =>
      o === `${p.object}:${p.handleType}` || o === `${p.object.split(" ").at(-1)}:${p.handleType}`
    );
  const devices = r.devices.map((d) => ({ ...d, paths: d.paths.filter(asked) }));
  const summary: DoctorReport["summary"] = { "works": 0, "fails": 0, "not-offered": 0 };
  for (const d of devices) for (const p of d.paths) summary[p.verdict]++;
  return { ...r, devices, pairs: r.pairs.filter(asked), summary };
}

function printReport(r: DoctorReport): void {
  const e = r.environment;
  console.log(`vkshare doctor (${r.schema})`);
  console.log(
    `  runtime: ${e.runtime} ${e.runtimeVersion} (function pointers: ${e.fnPointers}${
      e.fnPointersWhy ? `, not the trampoline: ${e.fnPointersWhy}` : ""
    }); libvulkan ${e.libvulkan}, loader ${e.loaderVersion}`,
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
    `  PyTorch's own CUDA IPC (a child taking its parent's fds with pidfd_getfd): ${
      e.torchIpc === true ? "works here" : `refused here (${e.torchIpc})`
    }; vkshare's socket (SCM_RIGHTS) does not need it`,
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
      if (p.gl) printGl(p.gl);
      if (p.cuda) {
        const proved = proofText(p.cuda.proof);
        console.log(
          `      into CUDA: ${
            p.cuda.verdict === "works" ? `works${proved}` : p.cuda.cause ?? p.cuda.verdict
          }`,
        );
      }
      if (p.fromCuda) {
        const f = p.fromCuda;
        console.log(
          `      from CUDA (cuMemCreate allocations, PyTorch's expandable segments; ${f.vendor}-specific): ${
            f.verdict === "works" ? `works${proofText(f.proof)}` : f.cause ?? f.verdict
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

/** The GL line of a path: works (and its handoff, and proof), or why not. */
function printGl(g: NonNullable<PathReport["gl"]>): void {
  const proved = proofText(g.proof);
  const handoff = g.handoff === "semaphore"
    ? ", handoff by GL semaphores"
    : g.handoff === "host"
    ? ", handoff by the host (glFinish, a fence wait)"
    : "";
  console.log(
    `      into GL: ${g.verdict === "works" ? `works${handoff}${proved}` : g.cause ?? g.verdict}`,
  );
}

/** A proof of CUDA or GL, as the doctor prints it after "works" ("" without one). */
function proofText(q: PathReport["proof"] | undefined): string {
  return !q
    ? ""
    : "notRun" in q
    ? ` (${q.notRun})`
    : q.ok
    ? ` (proved: ${q.what}; p50 ${q.p50Us} µs)`
    : ` (PROOF FAILED: ${q.what})`;
}
