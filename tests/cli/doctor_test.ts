// The doctor (cli/doctor.ts) on this machine's driver: its JSON validates against
// cli/doctor.schema.json, each verdict is what the capability queries say (with the causes
// lavapipe has: DMA_BUF from Mesa 25 only, import only; no semaphore or fence fds), the exit
// codes, --prove on every path that works (memory, semaphores, fences, CUDA), and --explain naming the rule the import itself raises.
// @ts-types="../../cli/_node/child_process.d.ts"
import { spawnSync } from "node:child_process";
// @ts-types="../../cli/_node/fs.d.ts"
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
// @ts-types="../../cli/_node/os.d.ts"
import { tmpdir } from "node:os";

import { assert, assertEquals, assertStringIncludes } from "@std/assert";
import { cudaDevices } from "../../cuda/mod.ts";
import { noGl } from "../../examples/share_gl.ts";
import { rt } from "../../ffi/runtime.ts";
import { GlContext } from "../../gl/mod.ts";
import { Device, DeviceMemory, ShareError } from "../../mod.ts";
import { externalBufferProperties, externalSemaphoreProperties } from "../../share/mod.ts";
import { runScript, scriptCommand, test } from "../_harness.ts";
import { forEachDevice, sharedInstance } from "../_vk.ts";

const DOCTOR = new URL("../../cli/doctor.ts", import.meta.url).pathname;
// Why each device has no GL, or null: asked before the tests (libEGL opened in one is a leak to Deno).
const glHere = new Map(
  sharedInstance().physicalDevices().map((pd) => {
    using device = Device.create(pd);
    return [pd.deviceUUID, noGl(device)];
  }),
);
const SCHEMA = JSON.parse(
  readFileSync(new URL("../../cli/doctor.schema.json", import.meta.url).pathname, "utf8"),
);

/** The errors of `v` against the subset of JSON Schema the doctor's schema uses. */
function validate(v: unknown, s: Record<string, unknown>, at = "$"): string[] {
  const errors: string[] = [];
  const typeOf = (x: unknown) => (x === null ? "null" : Array.isArray(x) ? "array" : typeof x);
  if (s.enum && !(s.enum as unknown[]).includes(v)) {
    errors.push(`${at}: ${JSON.stringify(v)} not in enum`);
  }
  if (s.type) {
    const types = Array.isArray(s.type) ? s.type : [s.type];
    if (!types.includes(typeOf(v))) errors.push(`${at}: ${typeOf(v)} is not ${types.join("|")}`);
  }
  if (typeOf(v) === "object") {
    const o = v as Record<string, unknown>;
    for (const k of (s.required as string[] | undefined) ?? []) {
      if (!(k in o)) errors.push(`${at}: no ${k}`);
    }
    const props = (s.properties ?? {}) as Record<string, Record<string, unknown>>;
    for (const [k, sub] of Object.entries(props)) {
      if (k in o) errors.push(...validate(o[k], sub, `${at}.${k}`));
    }
  }
  if (typeOf(v) === "array" && s.items) {
    (v as unknown[]).forEach((x, i) =>
      errors.push(...validate(x, s.items as Record<string, unknown>, `${at}[${i}]`))
    );
  }
  return errors;
}

test("the schema validator refuses what it should (it is itself tested)", () => {
  assertEquals(validate({ schema: "vkshare-doctor/1" }, SCHEMA).length > 0, true);
  assertEquals(validate(1, { type: "string" }), ["$: number is not string"]);
  assertEquals(validate("works", { enum: ["works"] }), []);
});

test("doctor --json --prove: the report validates against its schema, and each verdict is the capability query's", () => {
  const r = runScript(DOCTOR, ["--json", "--prove"]);
  assert(r.code === 0 || r.code === 1, r.err);
  const report = JSON.parse(r.out);
  assertEquals(validate(report, SCHEMA), []);
  assertEquals(report.schema, "vkshare-doctor/1");
  return forEachDevice((pd) => {
    const d = report.devices.find((x: { deviceUUID: string; name: string }) =>
      x.deviceUUID === pd.deviceUUID && x.name === pd.name
    );
    assert(d, `${pd.name} is in the report`);
    const path = (object: string, t: string) =>
      d.paths.find((p: { object: string; handleType: string }) =>
        p.object === object && p.handleType === t
      );
    for (const t of ["OPAQUE_FD", "DMA_BUF"] as const) {
      const cap = externalBufferProperties(pd, { handleType: t });
      const p = path("memory", t);
      // One way only (import-only DMA_BUF on Mesa 25) is no path between two devices: not
      // offered, which is no failure.
      const want = cap.exportable && cap.importable ? "works" : "not-offered";
      assertEquals(p.verdict, want, `${t}: ${p.causes.join("; ")}`);
      if (want === "works") {
        assert(p.proof.ok, `${t} proved: ${JSON.stringify(p.proof)}`);
        assert(
          p.processProof.ok,
          `${t} proved between processes: ${JSON.stringify(p.processProof)}`,
        );
      }
      if (!cap.unsupported && want === "not-offered") {
        assert(
          p.causes.some((c: string) => c.includes("import only") || c.includes("export only")),
        );
      }
      if (t === "DMA_BUF" && cap.unsupported && pd.name.startsWith("llvmpipe")) {
        assert(p.causes.some((c: string) => c.includes("Mesa 25")), p.causes.join("; "));
      }
    }
    const sem = externalSemaphoreProperties(pd, {
      handleType: "OPAQUE_FD",
      semaphoreType: "binary",
    });
    const s = path("binary semaphore", "OPAQUE_FD");
    assertEquals(
      s.verdict === "not-offered",
      !(sem.exportable && sem.importable),
      s.causes.join("; "),
    );
    if (sem.unsupported) assertStringIncludes(s.causes.join(" "), "VK_KHR_external_semaphore_fd");
    assertEquals(path("timeline semaphore", "SYNC_FD").verdict, "not-offered");
    // Every path that works was run end to end (semaphores and fences where the device has
    // their fds, CUDA where libcuda is this GPU), and each run checked what it shared.
    type Proof = { ok?: boolean; notRun?: string; what?: string };
    for (
      const p of d.paths as {
        object: string;
        handleType: string;
        verdict: string;
        proof: Proof | null;
        cuda?: { verdict: string; proof?: Proof };
        fromCuda?: { verdict: string; vendor: string; cause?: string; proof?: Proof };
      }[]
    ) {
      if (p.verdict === "works" && p.object !== "image" && p.object !== "host memory") {
        assert(p.proof && p.proof.ok, `${p.object} ${p.handleType}: ${JSON.stringify(p.proof)}`);
      }
      if (p.cuda?.verdict === "works") {
        assert(p.cuda.proof?.ok, `${p.object} into CUDA: ${JSON.stringify(p.cuda.proof)}`);
      }
      // From CUDA: OPAQUE_FD memory only, labelled NVIDIA's; it works where CUDA does on NVIDIA.
      assertEquals(!!p.fromCuda, p.object === "memory" && p.handleType === "OPAQUE_FD");
      if (!p.fromCuda) continue;
      assertEquals(p.fromCuda.vendor, "NVIDIA");
      const nvidia = `${pd.driverName} ${pd.name}`.includes("NVIDIA");
      assertEquals(
        p.fromCuda.verdict,
        p.cuda?.verdict === "works" && nvidia ? "works" : p.cuda?.verdict === "works"
          ? "not-offered"
          : p.cuda?.verdict,
      );
      if (p.fromCuda.verdict === "works") {
        assert(p.fromCuda.proof?.ok, `from CUDA: ${JSON.stringify(p.fromCuda.proof)}`);
      } else assert(p.fromCuda.cause, JSON.stringify(p.fromCuda));
    }
    // Into GL: where a GL context is this GPU, OPAQUE_FD memory works and was run end to end,
    // with the handoff that applies; semaphores only with GL_EXT_semaphore_fd.
    const noGlHere = glHere.get(pd.deviceUUID);
    const m = path("memory", "OPAQUE_FD"), gs = path("binary semaphore", "OPAQUE_FD");
    if (noGlHere || m.verdict !== "works") {
      assertEquals(m.gl.verdict, "not-offered");
    } else {
      using gl = GlContext.create({ deviceUUID: pd });
      assertEquals(m.gl.verdict, "works", JSON.stringify(m.gl));
      assertEquals(m.gl.handoff, gl.sync);
      assert(m.gl.proof?.ok, `memory into GL: ${JSON.stringify(m.gl.proof)}`);
      const semaphores = gl.facts.extensions.includes("GL_EXT_semaphore_fd");
      assertEquals(gs.gl.verdict, semaphores && s.verdict === "works" ? "works" : "not-offered");
      if (!semaphores) assertStringIncludes(gs.gl.cause, "no GL_EXT_semaphore_fd");
      if (gs.gl.verdict === "works") assert(gs.gl.proof?.ok, JSON.stringify(gs.gl.proof));
    }
  })();
});

type Paths = { paths: { object: string; handleType: string; verdict: string }[] }[];

test("doctor: exit 1 only where a path asked about does not work (--strict: or is not offered); --only filters the report", () => {
  const all = runScript(DOCTOR, []);
  const report = JSON.parse(runScript(DOCTOR, ["--json"]).out);
  const devices: Paths = report.devices;
  const verdicts = devices.flatMap((d) => d.paths.map((p) => p.verdict));
  // "Not offered" is no failure: lavapipe (no semaphore fds) and NVIDIA (no DMA_BUF) exit 0.
  assertEquals(all.code, verdicts.includes("fails") ? 1 : 0, all.err);
  assert(verdicts.includes("not-offered"), "every driver here leaves some path not offered");
  assertEquals(runScript(DOCTOR, ["--strict"]).code, verdicts.every((v) => v === "works") ? 0 : 1);
  assertStringIncludes(all.out, "memory buffer OPAQUE_FD");
  assertStringIncludes(all.out, "binary semaphore SYNC_FD");
  // --only: the report holds the paths asked about, alone (text and JSON), and so does the exit.
  const only = runScript(DOCTOR, ["--only", "memory:OPAQUE_FD,semaphore:SYNC_FD"]);
  const lines = only.out.split("\n").filter((l) =>
    /^ {2}(memory|image|host memory|binary semaphore|timeline semaphore|fence) /.test(l)
  );
  assertEquals(lines.length, devices.length * 3, only.out);
  assert(!only.out.includes("fence OPAQUE_FD"), only.out);
  const json = JSON.parse(runScript(DOCTOR, ["--json", "--only", "fence:SYNC_FD"]).out);
  for (const d of json.devices as Paths) {
    assertEquals(d.paths.map((p) => `${p.object}:${p.handleType}`), ["fence:SYNC_FD"]);
  }
  const sum = Object.values(json.summary as Record<string, number>).reduce((a, b) => a + b, 0);
  assertEquals(sum, devices.length);
  const strictFence = runScript(DOCTOR, ["--only", "fence:SYNC_FD", "--strict"]).code;
  const fenceWorks = devices.every((d) =>
    d.paths.find((p) => p.object === "fence" && p.handleType === "SYNC_FD")!.verdict === "works"
  );
  assertEquals(strictFence, fenceWorks ? 0 : 1);
  // Usage errors: one line, exit 2; the internal flags are not in --help.
  for (const args of [["--only", "nonsense"], ["--only", "fence:NOPE"], ["something-else"]]) {
    const r = runScript(DOCTOR, args);
    assertEquals(r.code, 2, args.join(" "));
    assertEquals(r.err.trimEnd().split("\n").length, 1, r.err);
    assert(r.err.trimEnd().endsWith("(see --help)"), r.err);
  }
  const help = runScript(DOCTOR, ["--help"]).out;
  assert(!help.includes("--serve-import") && !help.includes("--serve-device"), help);
  assertStringIncludes(help, "--strict");
});

// CUDA device 0, or null without libcuda: asked here, outside any test, since libcuda stays
// loaded once opened (the resource sanitizer would count it against the test that opened it).
const CUDA_DEVICE_0 = cudaDevices({ optional: true })[0] ?? null;

test(
  "doctor --explain: a corrupted descriptor is refused with the rule the import itself raises, without importing",
  forEachDevice((pd) => {
    using a = Device.create(pd);
    using b = Device.create(pd);
    if (!externalBufferProperties(pd, { handleType: "OPAQUE_FD" }).exportable) return;
    using m = DeviceMemory.allocate(a, { size: 65536, exportAs: "OPAQUE_FD" });
    using exp = m.exportFd();
    const d = exp.descriptor;
    const corrupted: [string, Record<string, unknown>][] = [
      ["UUID_MISMATCH", { ...d, driverUUID: "00000000-0000-0000-0000-000000000000" }],
      ["BAD_DESCRIPTOR", { ...d, version: 2 }],
      ["BAD_DESCRIPTOR", { ...d, extra: 1 }],
      ["SIZE_MISMATCH", { ...d, size: 0 }],
      ["HANDLE_TYPE_UNSUPPORTED", { ...d, handleType: "OPAQUE_WIN32" }],
    ];
    const dir = mkdtempSync(`${tmpdir()}/vkshare-doctor-`);
    try {
      for (const [rule, desc] of corrupted) {
        // The import's own refusal.
        let raised = "";
        try {
          DeviceMemory.importFd(b, exp.fd, desc as never)[Symbol.dispose]();
        } catch (e) {
          raised = e instanceof ShareError ? e.rule : String(e);
        }
        assertEquals(raised, rule, JSON.stringify(desc));
        assertEquals(exp.fd.state, "open", "the import consumed nothing");
        // The plan, in this process, and the doctor's.
        const plan = DeviceMemory.planImport(b, null, desc);
        assert(!plan.ok && plan.broken[0].rule === rule, JSON.stringify(plan));
        const file = `${dir}/d.json`;
        writeFileSync(file, JSON.stringify(desc));
        const r = runScript(DOCTOR, ["--explain", file, "--json", "--device", String(pd.index)]);
        assertEquals(r.code, 1, r.err);
        const out = JSON.parse(r.out);
        assertEquals(out.imports[0].broken[0].rule, rule);
      }
      const file = `${dir}/good.json`;
      writeFileSync(file, JSON.stringify(d));
      const ok = runScript(DOCTOR, ["--explain", file, "--device", String(pd.index)]);
      assertEquals(ok.code, 0, ok.out + ok.err);
      assertStringIncludes(ok.out, "no rule broken");
      // Into CUDA device 0: the same descriptor is fine where CUDA device 0 is this GPU, refused
      // by UUID where it is another, and without libcuda the doctor says it cannot tell.
      const c = runScript(DOCTOR, ["--explain", file, "--cuda", "0", "--json"]);
      const cudaHere = CUDA_DEVICE_0;
      if (!cudaHere) {
        assertEquals(c.code, 77, c.err); // skipped: what it needs (libcuda) is missing here
        assertEquals(c.err.trimEnd().split("\n").length, 1, c.err);
        assertStringIncludes(c.err, "skipped: cannot explain into CUDA device 0");
      } else {
        const out = JSON.parse(c.out);
        assertEquals(out.cuda.uuid, cudaHere.uuid);
        if (cudaHere.uuid === pd.deviceUUID) assertEquals([c.code, out.imports[0].ok], [0, true]);
        else assertEquals(out.imports[0].broken[0].rule, "UUID_MISMATCH");
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }),
);

/** Runs the doctor with `args` through sh, stdin from `stdin` (a shell command) when given. */
function doctorSh(args: string[], stdin?: string) {
  const quote = (a: string) => `'${a.replaceAll("'", "'\\''")}'`;
  const cmd = scriptCommand(DOCTOR, args).map(quote).join(" ");
  const t0 = performance.now();
  const r = spawnSync("sh", ["-c", stdin ? `${stdin} | ${cmd}` : `${cmd} </dev/null`], {
    encoding: "utf8",
  });
  return { code: r.status ?? -1, out: r.stdout, err: r.stderr, ms: performance.now() - t0 };
}

test("doctor --explain reads only a regular file or stdin, at most 4 MiB: anything else is a usage error at once", () => {
  const dir = mkdtempSync(`${tmpdir()}/vkshare-doctor-`);
  try {
    const fifo = `${dir}/fifo`;
    spawnSync("mkfifo", [fifo]);
    const big = `${dir}/big.json`;
    writeFileSync(big, " ".repeat((4 << 20) + 1));
    const cases: [string[], string | undefined, string][] = [
      [["--explain", "/dev/zero"], undefined, "/dev/zero is not a regular file"],
      [["--explain", fifo], undefined, "is a FIFO"],
      [["--explain", dir], undefined, "is a directory"],
      [["--explain", big], undefined, "holds more than 4194304 bytes"],
      [["--explain", "-"], "yes", "stdin holds more than 4194304 bytes"],
      [["--explain", "-"], "echo '{ nope'", "- is not JSON"],
      [["--explain", `${dir}/none.json`], undefined, "cannot open"],
      [["--explain", "-"], "echo '[1]'", "expected a descriptor or an offer"],
    ];
    for (const [args, stdin, says] of cases) {
      const r = doctorSh(args, stdin);
      assertEquals(r.code, 2, `${args.join(" ")}: ${r.out}${r.err}`);
      assertStringIncludes(r.err.split("\n")[0], says);
      assert(!r.err.includes("    at "), `a stack trace: ${r.err}`);
      assert(r.ms < 30_000, `${args.join(" ")} took ${r.ms} ms`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test(
  "doctor --explain: offers receiveOffer refuses are refused; a peer's strings are printed escaped; no error is a stack trace",
  forEachDevice((pd) => {
    if (!externalBufferProperties(pd, { handleType: "OPAQUE_FD" }).exportable) return;
    using a = Device.create(pd);
    using m = DeviceMemory.allocate(a, { size: 65536, exportAs: "OPAQUE_FD" });
    using exp = m.exportFd();
    const d = exp.descriptor;
    const dir = mkdtempSync(`${tmpdir()}/vkshare-doctor-`);
    const explain = (input: unknown, json = true) => {
      const file = `${dir}/in.json`;
      writeFileSync(file, JSON.stringify(input));
      return runScript(DOCTOR, [
        "--explain",
        file,
        "--device",
        String(pd.index),
        ...(json ? ["--json"] : []),
      ]);
    };
    try {
      const offer = {
        type: "offer",
        version: 1,
        label: "x",
        memory: d,
        semaphores: [],
        fences: [],
      };
      assertEquals(explain(offer).code, 0);
      const refused: [Record<string, unknown>, string][] = [
        [{ ...offer, version: 99 }, "PROTOCOL_VERSION"],
        [{ ...offer, semaphores: 1 }, "PROTOCOL_JSON"],
        [{ ...offer, semaphores: "x" }, "PROTOCOL_JSON"],
        [{ ...offer, semaphores: null }, "PROTOCOL_JSON"],
        [{ ...offer, semaphores: {} }, "PROTOCOL_JSON"],
        [{ ...offer, semaphores: [1] }, "PROTOCOL_JSON"],
        [{ ...offer, label: "\u001b]0;evil\u0007" }, "PROTOCOL_JSON"],
      ];
      for (const [o, rule] of refused) {
        const r = explain(o);
        assertEquals(r.code, 1, `${JSON.stringify(o)}: ${r.out}${r.err}`);
        const out = JSON.parse(r.out);
        assertEquals([out.imports.length, out.imports[0].broken[0].rule], [1, rule], r.out);
      }
      // A memory type past the device's: the rule, not a RangeError.
      for (const memoryTypeIndex of [31, 2 ** 31, 1e9]) {
        const r = explain({ ...d, memoryTypeIndex });
        assertEquals(r.code, 1, r.out + r.err);
        assertEquals(JSON.parse(r.out).imports[0].broken[0].rule, "MEMORY_TYPE_MISMATCH");
        assert(!r.err.includes("    at "), r.err);
      }
      // ESC, OSC and CR-LF in a peer's name: refused, and never printed raw.
      const evil = "\u001b]0;owned\u0007\u001b[2J\r\n  the memory descriptor: no rule broken";
      const r = explain({ ...d, deviceName: evil }, false);
      assertEquals(r.code, 1, r.out + r.err);
      assertStringIncludes(r.out, "BAD_DESCRIPTOR");
      assert(!/\p{Cc}/u.test((r.out + r.err).replaceAll("\n", "")), JSON.stringify(r.out));
      assert(!/^ *the memory descriptor: no rule broken$/m.test(r.out), `a forged line: ${r.out}`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }),
);

test("the doctor says whether PyTorch's own CUDA IPC (pidfd_getfd of a parent) would work here", () => {
  const r = runScript(DOCTOR, ["--json", "--only", "memory:OPAQUE_FD"]);
  assert(r.code === 0 || r.code === 1, r.err);
  const e = JSON.parse(r.out).environment;
  // A child of this root process, of the same uid and with no yama here: it may take its fds.
  const plain = spawnSync("cat", ["/proc/sys/kernel/yama/ptrace_scope"]).status !== 0;
  if (process.getuid?.() === 0 && plain) assertEquals(e.torchIpc, true);
  else assert(e.torchIpc === true || /pidfd_getfd failed/.test(e.torchIpc), String(e.torchIpc));
  const text = runScript(DOCTOR, ["--only", "memory:OPAQUE_FD"]);
  assertStringIncludes(text.out, "PyTorch's own CUDA IPC (a child taking its parent's fds");
  assertStringIncludes(text.out, "vkshare's socket (SCM_RIGHTS) does not need it");
});

test("the doctor names how extension commands are called, and why not through the trampoline", () => {
  const args = ["--json", "--only", "memory:OPAQUE_FD"];
  const plain = JSON.parse(runScript(DOCTOR, args).out).environment;
  assertEquals([plain.fnPointers, plain.fnPointersWhy], [rt.fnPointers, rt.fnPointersWhy]);
  // Bun calls them through CFunction, whatever the variable says.
  const asked = { VKSHARE_FNPTR: "libffi" };
  const [path, why] = rt.name === "bun"
    ? ["CFunction", null]
    : ["libffi", "VKSHARE_FNPTR=libffi asks for libffi"];
  const e = JSON.parse(runScript(DOCTOR, args, asked).out).environment;
  assertEquals([e.fnPointers, e.fnPointersWhy], [path, why]);
  const text = runScript(DOCTOR, ["--only", "memory:OPAQUE_FD"], asked).out;
  assertStringIncludes(
    text,
    `(function pointers: ${path}${why ? `, not the trampoline: ${why}` : ""})`,
  );
});

/** Why this test process cannot run its runtime as nobody (to be refused), or false. */
function asNobody(): string | false {
  if (process.getuid?.() !== 0) return "needs root (to run the probe as nobody)";
  if (spawnSync("setpriv", ["--version"]).status !== 0) return "no setpriv (util-linux)";
  const [program] = scriptCommand(DOCTOR);
  const nobody = ["--reuid=65534", "--regid=65534", "--clear-groups", "test", "-x", program];
  if (spawnSync("setpriv", nobody).status !== 0) {
    return "user nobody cannot run this runtime's executable";
  }
  return false;
}

test(
  "the torch IPC probe's child, run as another user, says pidfd_getfd's refusal",
  { skip: asNobody() },
  () => {
    const home = mkdtempSync(`${tmpdir()}/vkshare-nobody-`);
    spawnSync("chown", ["65534:65534", home]);
    try {
      const [program, ...args] = scriptCommand(DOCTOR, ["--serve-pidfd", `${process.pid} 1`]);
      const r = spawnSync("setpriv", [
        "--reuid=65534",
        "--regid=65534",
        "--clear-groups",
        "env",
        `HOME=${home}`,
        `DENO_DIR=${home}/deno`,
        program,
        ...args,
      ], { encoding: "utf8" });
      assertEquals(r.status, 0, String(r.stderr));
      assertStringIncludes(
        String(r.stdout),
        `pidfd_getfd failed: EPERM (1) [fd 1 of pid ${process.pid}]`,
      );
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  },
);
