// Sharing across real processes (children run with the same runtime as the tests): the
// producer/consumer examples, an exporter killed after the handoff, an importer killed before it
// acknowledges, 1,000 handoffs with flat fd counts on both sides, pidfd_getfd, and a peer of
// another user.
// @ts-types="../../cli/_node/child_process.d.ts"
import { spawnSync } from "node:child_process";
// @ts-types="../../cli/_node/fs.d.ts"
import { existsSync, mkdtempSync, rmSync } from "node:fs";
// @ts-types="../../cli/_node/os.d.ts"
import { tmpdir } from "node:os";

import {
  assert,
  assertEquals,
  assertRejects,
  assertStringIncludes,
  assertThrows,
} from "@std/assert";
import { libcSocket } from "../../ffi/libc_socket.ts";
import { receiveOffer, sendOffer, ShareServer, ShareSocket } from "../../ipc/mod.ts";
import {
  type Device,
  DeviceMemory,
  ErrnoError,
  GpuBuffer,
  ProtocolError,
  takeFd,
  Transfer,
} from "../../mod.ts";
import { describeFd } from "../../share/mod.ts";
import { scriptCommand, startScript, test } from "../_harness.ts";
import {
  cannotShare,
  openFds,
  openFdSet,
  pattern,
  suballocated,
  withTwoDevices,
} from "../_memory.ts";

const here = (f: string) => new URL(f, import.meta.url).pathname;
const PEER = here("../../tools/peer.ts");
/** The child's environment: the GPU of `device`, by UUID (tools/peer.ts picks it so). */
const onGpu = (device: Device) => ({
  VKSHARE_PEER_DEVICE_UUID: device.physicalDevice.deviceUUID,
});
const SIZE = 65536;
const noShare = cannotShare("OPAQUE_FD");

test(
  "producer and consumer in two processes: every frame verified",
  { skip: noShare },
  async () => {
    const dir = mkdtempSync(`${tmpdir()}/vkshare-pc-`);
    try {
      const at = `${dir}/s.sock`;
      const producer = startScript(here("../../examples/producer.ts"), [
        "--socket",
        at,
        "--frames",
        "40",
        "--size",
        "262144",
      ]);
      await producer.line("listening on");
      const consumer = startScript(here("../../examples/consumer.ts"), ["--socket", at]);
      const [p, c] = await Promise.all([producer.exited, consumer.exited]);
      assertEquals(p.code, 0, p.out + p.err);
      assertEquals(c.code, 0, c.out + c.err);
      assertStringIncludes(c.out, "OK: 40 frames of 262144 bytes verified");
      assertStringIncludes(p.out, "OK: 40 frames");
      console.log(`  ${p.out.trim().split("\n").at(-1)}`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
);

test(
  "the producer drops a silent consumer (connected and mute, or ready and never acknowledging) and serves the next",
  { skip: noShare },
  async () => {
    const dir = mkdtempSync(`${tmpdir()}/vkshare-pc-`);
    try {
      const at = `${dir}/s.sock`;
      const producer = startScript(here("../../examples/producer.ts"), [
        "--socket",
        at,
        "--frames",
        "5",
        "--size",
        "65536",
        "--timeout-ms",
        "1500",
      ]);
      await producer.line("listening on");
      // First: a client that connects and says nothing.
      using mute = await ShareSocket.connect(at);
      await producer.line("dropped");
      // Then: one that takes the offer, says ready, and never acknowledges a frame.
      {
        using idle = await ShareSocket.connect(at);
        using _offer = await receiveOffer(idle);
        await idle.expect("start");
        await idle.send({ type: "ready" });
        const t0 = performance.now();
        while (producer.out().split("dropped").length < 3) {
          assert(performance.now() - t0 < 15_000, `not dropped: ${producer.out()}`);
          await new Promise((r) => setTimeout(r, 50));
        }
      }
      // And the real consumer gets every frame.
      const consumer = startScript(here("../../examples/consumer.ts"), ["--socket", at]);
      const [p, c] = await Promise.all([producer.exited, consumer.exited]);
      assertEquals(p.code, 0, p.out + p.err);
      assertEquals(c.code, 0, c.out + c.err);
      assertStringIncludes(c.out, "OK: 5 frames of 65536 bytes verified");
      assertEquals(p.out.split("\n").filter((l) => l.includes("dropped")).length, 2, p.out);
      mute.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
);

test(
  "the exporter is killed (SIGKILL) after the handoff: the imported memory is intact",
  { skip: noShare },
  withTwoDevices(async (device: Device) => {
    using server = ShareServer.listen();
    const child = startScript(PEER, ["export", server.address as string], [], onGpu(device));
    using socket = await server.accept({ timeoutMs: 30_000 });
    using offer = await receiveOffer(socket, { device, timeoutMs: 30_000 });
    using buffer = GpuBuffer.create(device, { size: SIZE, external: "OPAQUE_FD" });
    using _m = DeviceMemory.importFd(device, offer.memory!.fd, offer.memory!.descriptor, {
      for: buffer,
    });
    using t = Transfer.create(device);
    assertEquals(t.read(buffer), pattern(SIZE, 7));
    await child.line("offered");
    child.kill("SIGKILL");
    assertEquals((await child.exited).signal, "SIGKILL");
    assertEquals(t.read(buffer), pattern(SIZE, 7), "after the exporter died");
    const e = await assertRejects(() => socket.receive({ timeoutMs: 5000 }), ProtocolError);
    assertEquals(e.reason, "closed");
  }),
);

test(
  "the importer is killed before it acknowledges: the exporter gets an error, shares again, leaks nothing",
  { skip: noShare },
  withTwoDevices(async (a: Device) => {
    using buffer = GpuBuffer.create(a, { size: SIZE, external: "OPAQUE_FD" });
    using mem = DeviceMemory.allocate(a, { for: buffer, exportAs: "OPAQUE_FD" });
    const before = openFdSet();
    const count = openFds();
    {
      using server = ShareServer.listen();
      const child = startScript(PEER, ["import-hang", server.address as string], [], onGpu(a));
      using socket = await server.accept({ timeoutMs: 30_000 });
      {
        using exp = mem.exportFd();
        await sendOffer(socket, { label: "to be dropped", memory: exp });
      }
      await child.line("imported");
      // A message it never reads: killed with it unread, the kernel reports a reset, not an end
      // of file. Either is the peer closing the connection, on both runtimes.
      await socket.send({ type: "unread" });
      child.kill("SIGKILL");
      await child.exited;
      const e = await assertRejects(() => socket.expect("ack", { timeoutMs: 5000 }), ProtocolError);
      assertEquals(e.reason, "closed");
      const s = await assertRejects(() => socket.send({ type: "more" }), ErrnoError);
      assert(["EPIPE", "ECONNRESET"].includes(s.code), s.message);
    }
    // The exporter goes on: the same memory is shared again, with another process.
    {
      using server = ShareServer.listen();
      const child = startScript(
        PEER,
        ["import-loop", server.address as string, "1"],
        [],
        onGpu(a),
      );
      using socket = await server.accept({ timeoutMs: 30_000 });
      using exp = mem.exportFd();
      await sendOffer(socket, { label: "again", memory: exp });
      await socket.expect("ack", { timeoutMs: 30_000 });
      await socket.expect("fds", { timeoutMs: 30_000 });
      await socket.send({ type: "done" });
      assertEquals((await child.exited).code, 0);
    }
    assertEquals([...openFdSet()].filter((fd) => !before.has(fd)), [], "fds left open");
    assert(openFds() <= count);
  }),
);

test(
  "1,000 handoffs leave the fd counts of both processes unchanged",
  { skip: noShare },
  withTwoDevices(async (a: Device) => {
    using buffer = GpuBuffer.create(a, { size: SIZE, external: "OPAQUE_FD" });
    using mem = DeviceMemory.allocate(a, { for: buffer, exportAs: "OPAQUE_FD" });
    using server = ShareServer.listen();
    const child = startScript(
      PEER,
      ["import-loop", server.address as string, "1000"],
      [],
      onGpu(a),
    );
    using socket = await server.accept({ timeoutMs: 30_000 });
    // From the middle on, so that the driver's and the runtime's first-use fds are open already.
    let before = new Set<number>();
    let count = 0;
    const t0 = performance.now();
    for (let i = 0; i < 1000; i++) {
      if (i === 500) [before, count] = [openFdSet(), openFds()];
      using exp = mem.exportFd();
      await sendOffer(socket, { label: `handoff ${i}`, memory: exp });
      const ack = await socket.expect("ack", { timeoutMs: 30_000 });
      assertEquals(ack.message.i, i);
    }
    const ms = performance.now() - t0;
    const theirs = (await socket.expect("fds", { timeoutMs: 30_000 })).message;
    await socket.send({ type: "done" });
    assertEquals((await child.exited).code, 0);
    const left = [...openFdSet()].filter((fd) => !before.has(fd)).map((fd) =>
      `${fd}: ${describeFd(fd)}`
    );
    console.log(
      `  1,000 handoffs in ${ms.toFixed(0)} ms (${
        (ms / 1000).toFixed(3)
      } ms each); over the last 500: exporter fds ${count} → ${openFds()}, importer ${theirs.before} → ${theirs.after}`,
    );
    assertEquals(left, [], "fds the exporter opened and left open");
    assertEquals(theirs.left, [], "fds the importer opened and left open");
    assert(openFds() <= count, "the exporter's fd count");
    assert((theirs.after as number) <= (theirs.before as number), "the importer's fd count");
  }),
);

test(
  "64 buffers suballocated in one exported 64 MiB memory: each offered as a range and read at its offset in another process",
  { skip: noShare },
  withTwoDevices(async (a: Device) => {
    const MiB = 1 << 20;
    using mem = suballocated(a, 64, MiB);
    using server = ShareServer.listen();
    const child = startScript(
      PEER,
      ["import-ranges", server.address as string, "64"],
      [],
      onGpu(a),
    );
    using socket = await server.accept({ timeoutMs: 30_000 });
    for (let i = 0; i < 64; i++) {
      using exp = mem.exportFd();
      const range = { offset: i * MiB, size: MiB };
      await sendOffer(socket, { label: `range ${i}`, memory: exp, range });
    }
    const r = (await socket.expect("ranges", { timeoutMs: 60_000 })).message as {
      wrong: number[];
      fds: number[];
    };
    await socket.send({ type: "done" });
    assertEquals((await child.exited).code, 0);
    assertEquals(r.wrong, new Array(64).fill(-1), "each range holds its own pattern");
    assertEquals(r.fds[1], r.fds[0], "the importer's fds after the first range and the last");
  }),
);

// Where the kernel lets this process take another's fds (same user; Yama's ptrace_scope).
const ptraceScope = (() => {
  try {
    return spawnSync("cat", ["/proc/sys/kernel/yama/ptrace_scope"], { encoding: "utf8" }).stdout
      .trim();
  } catch {
    return "";
  }
})();

test(
  "pidfd_getfd takes a child's fd",
  {
    skip: ptraceScope === "3"
      ? "kernel.yama.ptrace_scope is 3: no process may take another's fds"
      : false,
  },
  async () => {
    const child = startScript(PEER, ["hold-memfd"]);
    try {
      const [pid, fd] = (await child.line(" ")).trim().split(" ").map(Number);
      assertEquals(pid, child.pid);
      let taken;
      try {
        taken = takeFd(pid, fd);
      } catch (e) {
        // Refused where the kernel forbids it: a clear errno, nothing leaked.
        assert(e instanceof ErrnoError && ["EPERM", "ENOSYS"].includes(e.code), String(e));
        console.log(`  pidfd_getfd refused here: ${e.message}`);
        return;
      }
      using f = taken;
      assertStringIncludes(describeFd(f.fd)!, "vkshare-peer");
      const e = assertThrows(() => takeFd(pid, 9999), ErrnoError);
      assertEquals(e.code, "EBADF");
    } finally {
      child.kill("SIGKILL");
      await child.exited;
    }
  },
);

/** A Node.js script: runs argv[2..] until it prints "listening", sends it argv[1], prints how it ended. */
const WATCH_SIGNAL = `
const [signal, cmd, ...args] = process.argv.slice(1);
const c = require("child_process").spawn(cmd, args, { stdio: ["ignore", "pipe", "inherit"] });
let out = "";
c.stdout.on("data", (d) => { out += d; if (out.includes("listening") && !c.sent) { c.sent = 1; c.kill(signal); } });
c.on("exit", (code, signal) => console.log(JSON.stringify({ code, signal })));
`;

/** Node.js itself on the PATH (where there is none, Deno puts a "node" that is Deno on it). */
const nodeOnPath = (() => {
  try {
    const probe = "typeof Deno === 'undefined' && typeof Bun === 'undefined'";
    return spawnSync("node", ["-p", probe], { encoding: "utf8" }).stdout?.trim() === "true";
  } catch {
    return false;
  }
})();

test(
  "a server's socket file goes on SIGINT/SIGTERM, which end the process with 130/143; a killed server's stale file is replaced",
  {
    skip: !nodeOnPath
      && "no Node.js on the PATH: it watches how the server ends (Deno's node:child_process reports an exit status of 143 as the signal SIGTERM)",
  },
  async () => {
    const dir = mkdtempSync(`${tmpdir()}/vkshare-sig-`);
    const path = `${dir}/s.sock`;
    try {
      for (const signal of ["SIGTERM", "SIGINT"] as const) {
        // Watched by Node.js, which tells an exit status from a death by signal (Deno's
        // node:child_process reports an exit status of 143 as the signal SIGTERM itself).
        const r = spawnSync("node", [
          "-e",
          WATCH_SIGNAL,
          signal,
          ...scriptCommand(PEER, ["listen", path]),
        ], {
          encoding: "utf8",
        });
        assertEquals(r.status, 0, r.stderr);
        assertEquals(JSON.parse(r.stdout), {
          code: signal === "SIGTERM" ? 143 : 130,
          signal: null,
        });
        assert(!existsSync(path), `${signal}: the socket file was removed`);
      }
      // SIGKILL leaves the file; nobody listens on it, so a new server takes the path.
      const child = startScript(PEER, ["listen", path]);
      await child.line("listening");
      child.kill("SIGKILL");
      await child.exited;
      assert(existsSync(path), "SIGKILL leaves the file");
      using server = ShareServer.listen({ at: path });
      using client = await ShareSocket.connect(path);
      using peer = await server.accept();
      assertEquals(peer.peer.pid, process.pid);
      client.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
);

// A peer of another user: run a child as `nobody` (needs root and setpriv), connecting to an
// abstract socket (no file permissions stand in the way, only vkshare's SO_PEERCRED check).
const AS_NOBODY = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--"];
const otherUser = (() => {
  if (libcSocket().getuid() !== 0) return "not root: cannot start a process of another user";
  const run = (args: string[]) => {
    try {
      return spawnSync(AS_NOBODY[0], [...AS_NOBODY.slice(1), ...args], { stdio: "ignore" }).status;
    } catch {
      return -1;
    }
  };
  if (run(["true"]) !== 0) return "setpriv cannot start a process of user nobody here";
  if (run([process.execPath, "--version"]) !== 0) {
    return `user nobody cannot run ${process.execPath} here`;
  }
  if (run(["test", "-r", PEER]) !== 0) return `user nobody cannot read ${PEER} here`;
  return false;
})();

test("a peer of another user is refused by default, and accept() waits on for the real one", {
  skip: otherUser,
}, async () => {
  const name = `vkshare-uid-${process.pid}`;
  using server = ShareServer.listen({ at: { abstract: name } });
  const child = startScript(
    PEER,
    ["connect", `@${name}`],
    AS_NOBODY,
    { DENO_DIR: `${tmpdir()}/vkshare-nobody-deno`, HOME: tmpdir() },
  );
  // Any local user can connect to an abstract name first: that must not make accept() fail.
  const accepted = server.accept({ timeoutMs: 30_000 });
  const r = await child.exited;
  assertStringIncludes(r.out, "refused", r.out + r.err);
  assertEquals(server.refused.length, 1);
  assertEquals(server.refused[0].code, "EACCES");
  assertStringIncludes(server.refused[0].message, "uid 65534");
  using mine = await ShareSocket.connect(server.address);
  using peer = await accepted;
  assertEquals(peer.peer.pid, process.pid);
  mine.close();
});
