// The Python peer (python/vkshare_peer.py) against the TypeScript side over real share sockets:
// the TypeScript side's malformed messages and offers are refused for the same reasons and with
// every fd closed; received fds are close-on-exec; offers cross both ways; uids are checked at
// both ends; waits end on time; its ctypes CUDA layouts equal the compiler's. python3 and its
// standard library only: no GPU, no CUDA, no PyTorch.
// @ts-types="../../cli/_node/fs.d.ts"
import { readFileSync, statSync } from "node:fs";
// @ts-types="../../cli/_node/child_process.d.ts"
import { spawnSync } from "node:child_process";

import { assert, assertEquals, assertStringIncludes } from "@std/assert";
import {
  CU_DEVICE_ATTRIBUTE,
  CU_EXTERNAL_MEMORY_HANDLE_TYPE,
  CU_EXTERNAL_SEMAPHORE_HANDLE_TYPE,
  CU_MEM_ACCESS_FLAGS_PROT_READWRITE,
  CU_MEM_ALLOCATION_TYPE_PINNED,
  CU_MEM_HANDLE_TYPE_POSIX_FILE_DESCRIPTOR,
  CU_MEM_LOCATION_TYPE_DEVICE,
  CUDA_EXTERNAL_MEMORY_DEDICATED,
} from "../../ffi/cuda.ts";
import { libc, MFD_CLOEXEC } from "../../ffi/libc.ts";
import { cString } from "../../ffi/vulkan.ts";
import {
  MAX_MESSAGE_BYTES,
  MAX_MESSAGE_FDS,
  OFFER_VERSION,
  receiveOffer,
  ShareServer,
  ShareSocket,
  SOCKET_PROTOCOL_VERSION,
} from "../../ipc/mod.ts";
import { OwnedFd } from "../../mod.ts";
import { describeFd, DESCRIPTOR_VERSION, SYNC_DESCRIPTOR_VERSION } from "../../share/mod.ts";
import { startCommand, test } from "../_harness.ts";
import { assertNoFdLeak, openFdSet } from "../_memory.ts";
import { header, MALFORMED_OFFERS, MALFORMED_PACKETS } from "../ipc/_malformed.ts";
import "../_vk.ts"; // opens libc before the tests

const PEER = new URL("../../python/vkshare_peer.py", import.meta.url).pathname;
const noPython = spawnSync("python3", ["--version"]).status === 0 ? false : "no python3";

function memfd(name: string): OwnedFd {
  return OwnedFd.adopt(libc().memfd_create!(cString(name), MFD_CLOEXEC), name);
}

/** Runs the peer with `args`; resolves with its JSON lines once it exits 0. */
function peer(...args: string[]) {
  const child = startCommand(["python3", PEER, ...args]);
  return {
    child,
    async lines(): Promise<Record<string, unknown>[]> {
      const r = await child.exited;
      assertEquals(r.code, 0, `vkshare_peer.py ${args.join(" ")}: ${r.err}`);
      return r.out.trim().split("\n").filter((l) => l).map((l) => JSON.parse(l));
    },
  };
}

test(
  "the Python peer refuses the TypeScript side's malformed messages for the same reasons, closing their fds",
  { skip: noPython },
  async () => {
    using server = ShareServer.listen();
    const p = peer("receive", server.address as string, String(MALFORMED_PACKETS.length + 2));
    using socket = await server.accept({ timeoutMs: 30_000 });
    using m = memfd("vkshare-to-python");
    for (const [packet, n] of MALFORMED_PACKETS) {
      await socket.sendRaw(packet, Array(n).fill(m.fd));
    }
    // JSON nested deeper than Python's stack: still a ProtocolError there, not a crash.
    const deep = "[".repeat(30_000) + "]".repeat(30_000);
    await socket.sendRaw(header(0x48534b56, 1, 1, deep.length, deep), [m.fd]);
    await socket.send({ type: "hello", list: [1, "two"] }, [m, m]);
    const got = await p.lines();
    assertEquals(got.length, MALFORMED_PACKETS.length + 2);
    assertEquals(got.slice(0, -1).map((g) => g.reason), [
      ...MALFORMED_PACKETS.map(([, , r]) => r),
      "json",
    ]);
    for (const g of got) assertEquals(g.fds_back, true, `fds left open in python: ${g.message}`);
    // A well-formed message after them all: its fds arrive close-on-exec, and are the memfd.
    const last = got.at(-1)!;
    assertEquals(last.message, { type: "hello", list: [1, "two"] });
    assertEquals(last.cloexec, [true, true]);
    for (const k of last.kinds as string[]) assertStringIncludes(k, "vkshare-to-python");
  },
);

test(
  "the Python peer refuses malformed offers as receiveOffer does, and an offer from another GPU by UUID",
  { skip: noPython },
  async () => {
    using server = ShareServer.listen();
    const uuid = "00000000-1111-2222-3333-444444444444";
    const p = peer("offers", server.address as string, String(MALFORMED_OFFERS.length + 4), uuid);
    using socket = await server.accept({ timeoutMs: 30_000 });
    using m = memfd("vkshare-offer");
    for (const [offer, n] of MALFORMED_OFFERS) {
      await socket.send({ type: "offer", ...offer }, Array(n).fill(m));
    }
    const descriptor = (deviceUUID: string) => ({
      version: 1,
      handleType: "OPAQUE_FD",
      size: 4096,
      memoryTypeIndex: 0,
      memoryProperties: ["DEVICE_LOCAL"],
      dedicated: null,
      deviceUUID,
      driverUUID: "d",
      deviceName: "GPU 7",
    });
    const offer = (deviceUUID: string) => ({
      type: "offer",
      version: 1,
      label: "frames",
      memory: descriptor(deviceUUID),
      semaphores: [],
      fences: [],
    });
    await socket.send(offer("ffffffff-1111-2222-3333-444444444444"), [m]);
    await socket.send(offer(uuid), [m]);
    await socket.send({ ...offer(uuid), range: { offset: 1024, size: 2048 } }, [m]);
    await socket.send({ ...offer(uuid), range: { offset: 1024, size: 4096 } }, [m]);
    const got = await p.lines();
    assertEquals(got.slice(0, MALFORMED_OFFERS.length).map((g) => g.reason), [
      ...MALFORMED_OFFERS.map(([, , r]) => r),
    ]);
    const [refused, taken, ranged, outside] = got.slice(MALFORMED_OFFERS.length);
    assertEquals(refused.rule, "UUID_MISMATCH");
    assertStringIncludes(refused.message as string, '"GPU 7"');
    assertStringIncludes(refused.message as string, uuid);
    assertEquals(taken.label, "frames");
    assertEquals(taken.cloexec, [true]);
    // A range inside the memory is the offer's; one past its end is refused by the same rule.
    assertEquals([taken.range, ranged.range], [null, { offset: 1024, size: 2048 }]);
    assertEquals(outside.rule, "RANGE_OUT_OF_BOUNDS");
    for (const g of got) assertEquals(g.fds_back, true, JSON.stringify(g));
  },
);

test("an offer from the Python peer arrives in TypeScript with its fd and descriptor", {
  skip: noPython,
}, async () => {
  const before = openFdSet();
  {
    using server = ShareServer.listen();
    const p = peer("offer-memfd", server.address as string, "made in python");
    using socket = await server.accept({ timeoutMs: 30_000 });
    {
      using offer = await receiveOffer(socket, { timeoutMs: 30_000 });
      assertEquals(offer.label, "from python");
      const d = offer.memory!.descriptor;
      assertEquals([d.handleType, d.size, d.fdKind], ["OPAQUE_FD", 14, "memfd"]);
      const fd = offer.memory!.fd.fd;
      assertStringIncludes(describeFd(fd)!, "vkshare-python-peer");
      assertEquals(readFileSync(`/proc/self/fd/${fd}`, "utf8"), "made in python");
      await socket.send({ type: "ack" });
    }
    const [done] = await p.lines();
    assertEquals(done.acked, true);
  }
  assertNoFdLeak(before);
});

test(
  "uids are checked at both ends: the Python peer refuses a server or a client it was not told to allow",
  { skip: noPython },
  async () => {
    const other = String(process.getuid!() + 12345);
    // As the client: the TypeScript server's uid is not allowed.
    {
      using server = ShareServer.listen();
      const p = peer("connect", server.address as string, other);
      const [r] = await p.lines();
      assertEquals([r.error, r.errno], ["PermissionError", 13]);
      assertStringIncludes(
        r.message as string,
        `runs as uid ${process.getuid!()}; allowed: ${other}`,
      );
    }
    // As the server: the TypeScript client is refused, recorded, and the wait ends on time.
    {
      const at = `@vkshare-python-${process.pid}`;
      const p = peer("listen", at, other);
      await p.child.line("listening");
      using _s = await ShareSocket.connect({ abstract: at.slice(1) }, { timeoutMs: 5_000 });
      const [, r] = await p.lines();
      assertEquals([r.error, r.errno], ["TimeoutError", 110]);
      assertStringIncludes((r.refused as string[])[0], `pid ${process.pid} runs as uid`);
    }
    // Allowed by default: the same uid; the socket file is 0600 while it listens.
    {
      using dir = tempDir();
      const at = `${dir.path}/python.sock`;
      const p = peer("listen", at);
      await p.child.line("listening");
      assertEquals(statSync(at).mode & 0o777, 0o600);
      using _s = await ShareSocket.connect(at, { timeoutMs: 5_000 });
      const [, r] = await p.lines();
      assertEquals(r.accepted, true);
    }
  },
);

test("the Python peer's fds have one owner: an import given a bare number takes its Fd", {
  skip: noPython,
}, () => {
  // What import_memory and import_semaphore do after CUDA took the fd (no CUDA needed for it).
  const script = String.raw`
import json, os, sys
sys.path.insert(0, os.path.dirname(sys.argv[1]))
import vkshare_peer as vk

owner = vk.Fd(os.dup(0), "a received fd")
n = owner.fd
vk._taken(n)  # an import given the bare number
os.close(n)  # CUDA closes it, some day
victim = os.dup(0)  # the next file at that number
owner.close()
out = {"state": owner.state, "same": victim == n, "victim_open": vk.describe_fd(victim) is not None}
lost = vk.Fd(os.dup(0), "closed behind its back")
os.close(lost.fd)
nxt = vk.Fd(os.dup(0), "the next file")
lost.close()
out.update(lost=lost.state, next_open=vk.describe_fd(nxt.fd) is not None)
nxt.close()
os.close(victim)
print(json.dumps(out))
`;
  const r = spawnSync("python3", ["-c", script, PEER], { encoding: "utf8" });
  assertEquals(r.status, 0, r.stderr);
  assertEquals(JSON.parse(r.stdout), {
    state: "consumed",
    same: true,
    victim_open: true,
    lost: "closed",
    next_open: true,
  });
});

test("the Python peer's accept ends on time while refused peers keep coming", {
  skip: noPython,
}, () => {
  // Three peers of this uid wait in the backlog of a server that allows another uid only.
  const script = String.raw`
import json, os, socket, sys
sys.path.insert(0, os.path.dirname(sys.argv[1]))
import vkshare_peer as vk

at = "@vkshare-refused-%d" % os.getpid()
with vk.ShareServer.listen(at, allow_uids=[os.getuid() + 12345]) as server:
    peers = []
    for _ in range(3):
        c = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        c.connect("\0" + at[1:])
        peers.append(c)
    try:
        server.accept(timeout=0)
        out = {"accepted": True}
    except TimeoutError as e:
        out = {"errno": e.errno, "message": str(e), "refused": len(server.refused)}
    print(json.dumps(out))
`;
  const r = spawnSync("python3", ["-c", script, PEER], { encoding: "utf8" });
  assertEquals(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout);
  // The first refusal ends a wait whose time is up; the other two stay queued.
  assertEquals([out.errno, out.refused], [110, 1]);
  assertStringIncludes(out.message, "refused meanwhile");
});

test("the Python peer's waits end on time with ETIMEDOUT, saying what was awaited", {
  skip: noPython,
}, async () => {
  using server = ShareServer.listen();
  const p = peer("timeout", server.address as string, "100");
  using _socket = await server.accept({ timeoutMs: 30_000 });
  const [r] = await p.lines();
  assertEquals([r.error, r.errno], ["TimeoutError", 110]);
  assertStringIncludes(r.message as string, "receive on ShareSocket");
  assertStringIncludes(r.message as string, "nothing within 100 ms");
  assert((r.waited_ms as number) >= 90, `waited ${r.waited_ms} ms`);
});

test(
  "the Python peer's ctypes CUDA and DLPack structs equal the compiler's layouts (tests/ffi/cuda_layouts.json, tests/python/dlpack_layouts.json)",
  {
    skip: noPython,
  },
  async () => {
    const [py] = await peer("layouts").lines();
    // dlpack_layouts.json: cc's offsetof and sizeof of dlpack.h 1.1's structs (dmlc/dlpack; LP64).
    const json = (path: string) => JSON.parse(readFileSync(new URL(path, import.meta.url), "utf8"));
    const c = { ...json("../ffi/cuda_layouts.json"), ...json("./dlpack_layouts.json") } as Record<
      string,
      Record<string, unknown>
    >;
    assertEquals(Object.keys(py).sort(), Object.keys(c).sort());
    for (const [name, layout] of Object.entries(c)) {
      const { sType: _, ...rest } = layout;
      assertEquals(py[name], rest, name);
    }
  },
);

test(
  "the Python peer's constants are vkshare's (ffi/cuda.ts, ipc/)",
  { skip: noPython },
  async () => {
    const [py] = await peer("constants").lines();
    const ts: Record<string, number> = {
      SOCKET_PROTOCOL_VERSION,
      OFFER_VERSION,
      DESCRIPTOR_VERSION,
      SYNC_DESCRIPTOR_VERSION,
      MAX_MESSAGE_BYTES,
      MAX_MESSAGE_FDS,
      MAGIC: new DataView(new TextEncoder().encode("VKSH").buffer).getUint32(0, true),
      CU_EXTERNAL_MEMORY_HANDLE_TYPE_OPAQUE_FD: CU_EXTERNAL_MEMORY_HANDLE_TYPE.OPAQUE_FD,
      CU_EXTERNAL_SEMAPHORE_HANDLE_TYPE_OPAQUE_FD: CU_EXTERNAL_SEMAPHORE_HANDLE_TYPE.OPAQUE_FD,
      CU_EXTERNAL_SEMAPHORE_HANDLE_TYPE_TIMELINE_SEMAPHORE_FD:
        CU_EXTERNAL_SEMAPHORE_HANDLE_TYPE.TIMELINE_SEMAPHORE_FD,
      CUDA_EXTERNAL_MEMORY_DEDICATED,
      CU_MEM_HANDLE_TYPE_POSIX_FILE_DESCRIPTOR,
      CU_MEM_ALLOCATION_TYPE_PINNED,
      CU_MEM_LOCATION_TYPE_DEVICE,
      CU_MEM_ACCESS_FLAGS_PROT_READWRITE,
      CU_DEVICE_ATTRIBUTE_VIRTUAL_MEMORY_MANAGEMENT_SUPPORTED:
        CU_DEVICE_ATTRIBUTE.VIRTUAL_MEMORY_MANAGEMENT_SUPPORTED,
      CU_DEVICE_ATTRIBUTE_HANDLE_TYPE_POSIX_FILE_DESCRIPTOR_SUPPORTED:
        CU_DEVICE_ATTRIBUTE.HANDLE_TYPE_POSIX_FILE_DESCRIPTOR_SUPPORTED,
      CU_DEVICE_ATTRIBUTE_TIMELINE_SEMAPHORE_INTEROP_SUPPORTED:
        CU_DEVICE_ATTRIBUTE.TIMELINE_SEMAPHORE_INTEROP_SUPPORTED,
    };
    assertEquals(py, ts);
  },
);

test("the Python peer's command line: --help, and exit 2 on an unknown command or flag", {
  skip: noPython,
}, () => {
  const run = (...a: string[]) => spawnSync("python3", [PEER, ...a], { encoding: "utf8" });
  const help = run("--help");
  assertEquals(help.status, 0);
  assertStringIncludes(help.stdout, "usage: vkshare_peer.py");
  assertEquals(run("frobnicate").status, 2);
  assertEquals(run("receive", "/x", "1", "--fast").status, 2);
});

function tempDir() {
  const path = spawnSync("mktemp", ["-d"], { encoding: "utf8" }).stdout.trim();
  return { path, [Symbol.dispose]: () => void spawnSync("rm", ["-rf", path]) };
}

test(
  "the Python peer checks an fd and a descriptor as the TypeScript side does, before CUDA sees them",
  {
    skip: noPython,
  },
  () => {
    const script = String.raw`
import json, os, socket, sys, tempfile
sys.path.insert(0, os.path.dirname(sys.argv[1]))
import vkshare_peer as vk

def rule(fn):
    try:
        fn()
        return "accepted"
    except vk.ShareError as e:
        return e.rule

r, w = os.pipe()
a, b = socket.socketpair()
unsealed = os.memfd_create("claims-2^53", 0)
d = tempfile.mkdtemp()
dirfd = os.open(d, os.O_RDONLY)
null = os.open("/dev/null", os.O_RDONLY)
fds = {"pipe": r, "socket": a.fileno(), "eventfd": os.eventfd(0) if hasattr(os, "eventfd") else r,
       "/dev/null": null, "directory": dirfd, "memfd": unsealed, "closed": 987654,
       "2^40": 2**40, "-1": -1, "true": True}
print(json.dumps({k: rule(lambda v=v: vk._importable_fd(v, "OPAQUE_FD memory")) for k, v in fds.items()}))
good = {"version": 1, "handleType": "OPAQUE_FD", "size": 4096, "memoryTypeIndex": 0,
        "deviceUUID": "00000000-0000-0000-0000-000000000001",
        "driverUUID": "00000000-0000-0000-0000-000000000002", "deviceName": "a GPU"}
bad = {"name": {**good, "deviceName": "\x1b]0;owned\x07\r\n"},
       "uuid": {**good, "deviceUUID": "\x1b[2J"},
       "dedicated {}": {**good, "dedicated": {}},
       "usage 0": {**good, "dedicated": {"kind": "buffer", "size": 4096, "usage": 0, "flags": 0,
                                          "externalHandleTypes": 1}},
       "dedicated extra": {**good, "dedicated": {"kind": "buffer", "size": 1, "usage": 0, "flags": 0,
                                                 "externalHandleTypes": 1, "x": 1}},
       "good": good,
       "good dedicated": {**good, "dedicated": {"kind": "buffer", "size": 4096, "usage": 3,
                                                "flags": 0, "externalHandleTypes": 1}}}
print(json.dumps({k: rule(lambda v=v: vk.parse_memory_descriptor(v)) for k, v in bad.items()}))
`;
    const r = spawnSync("python3", ["-c", script, PEER], { encoding: "utf8" });
    assertEquals(r.status, 0, r.stderr);
    const [fds, descriptors] = r.stdout.trim().split("\n").map((l) => JSON.parse(l));
    for (const kind of ["pipe", "socket", "eventfd", "/dev/null", "directory", "memfd"]) {
      assertEquals(fds[kind], "FD_KIND_MISMATCH", kind);
    }
    for (const n of ["closed", "2^40", "-1", "true"]) assertEquals(fds[n], "FD_NOT_OPEN", n);
    assertEquals(descriptors, {
      "name": "BAD_DESCRIPTOR",
      "uuid": "BAD_DESCRIPTOR",
      "dedicated {}": "BAD_DESCRIPTOR",
      "usage 0": "BAD_DESCRIPTOR",
      "dedicated extra": "BAD_DESCRIPTOR",
      "good": "accepted",
      "good dedicated": "accepted",
    });
  },
);
