// 10,000 export → import → free cycles (memory; semaphores and fences) leave the fd count
// unchanged and memory use flat.
import { assert, assertEquals } from "@std/assert";
import { DeviceMemory, Fence, Semaphore } from "../../mod.ts";
import { test } from "../_harness.ts";
import { cannotShare, openFds, openFdSet, withTwoDevices } from "../_memory.ts";
import { cannotShareFence, cannotShareSemaphore } from "../_sync.ts";

/**
 * Runs `cycle` 500 times to warm up, then 10,000 times; asserts the fd count is unchanged and
 * rss grew less than 128 MiB (a leaked 64 KiB allocation per cycle would be 625 MiB; the
 * validation layer's bookkeeping and the JS heap account for a few tens of MiB: 12.6 on the
 * H200, ~50 on lavapipe).
 */
function soak(what: string, cycle: () => void): void {
  for (let i = 0; i < 500; i++) cycle();
  const fds = openFds();
  const before = openFdSet();
  const rss = process.memoryUsage().rss;
  const t0 = performance.now();
  for (let i = 0; i < 10_000; i++) cycle();
  const ms = performance.now() - t0;
  const grown = process.memoryUsage().rss - rss;
  console.log(
    `  ${what}: 10,000 cycles in ${ms.toFixed(0)} ms (${(ms / 10).toFixed(1)} µs each); rss ${
      (grown / 2 ** 20).toFixed(1)
    } MiB; fds ${fds} → ${openFds()}`,
  );
  // No fd the soak opened is left open. (The count alone can mislead: on Deno, pipes of an
  // earlier test's child process may close during the soak, 91 → 90 on the H200.)
  const left = [...openFdSet()].filter((fd) => !before.has(fd));
  assertEquals(left, [], "fds opened by the soak and left open");
  assert(openFds() <= fds, `open fds ${fds} → ${openFds()}`);
  assert(grown < 128 * 2 ** 20, `rss grew ${(grown / 2 ** 20).toFixed(1)} MiB`);
}

test(
  "soak: 10,000 memory export/import/free cycles, fd count unchanged, memory flat",
  { skip: cannotShare("OPAQUE_FD") },
  withTwoDevices((a, b) => {
    soak("memory", () => {
      using m = DeviceMemory.allocate(a, { size: 65536, exportAs: "OPAQUE_FD" });
      const e = m.exportFd();
      using _i = DeviceMemory.importFd(b, e.fd, e.descriptor);
    });
  }),
);

test(
  "soak: 10,000 semaphore and fence export/import/signal/wait cycles, fd count unchanged",
  {
    skip: cannotShareSemaphore("binary", "OPAQUE_FD")
      || cannotShareSemaphore("timeline", "OPAQUE_FD") || cannotShareFence("OPAQUE_FD"),
  },
  withTwoDevices((a, b) => {
    using done = Fence.create(b);
    let n = 0;
    const ms = { binary: 0, timeline: 0, fence: 0 };
    const timed = (k: keyof typeof ms, t0: number) => (ms[k] += performance.now() - t0);
    soak("semaphores and fences", () => {
      n++;
      let t0 = performance.now();
      // A binary semaphore: A's queue signals, B's queue waits.
      using sa = Semaphore.create(a, { exportAs: "OPAQUE_FD" });
      const se = sa.exportFd();
      using sb = Semaphore.importFd(b, se.fd, se.descriptor);
      a.queue().submit({ signal: [sa] });
      b.queue().submit({ wait: [sb], fence: done });
      assertEquals(done.wait(10_000), "signaled");
      done.reset();
      timed("binary", t0);
      t0 = performance.now();
      // A timeline semaphore: the host signals through B, reads through A.
      using ta = Semaphore.create(a, { type: "timeline", initialValue: n, exportAs: "OPAQUE_FD" });
      const te = ta.exportFd();
      using tb = Semaphore.importFd(b, te.fd, te.descriptor);
      tb.signal(n + 1);
      assertEquals(ta.value, BigInt(n + 1));
      timed("timeline", t0);
      t0 = performance.now();
      // A fence, exported and imported.
      using fa = Fence.create(a, { exportAs: "OPAQUE_FD" });
      const fe = fa.exportFd();
      using _fb = Fence.importFd(b, fe.fd, fe.descriptor);
      timed("fence", t0);
    });
    // Where the time went (without the disposals at the end of each cycle), per cycle.
    console.log(
      `  per cycle: binary signal→wait ${(ms.binary / n * 1000).toFixed(0)} µs, timeline ${
        (ms.timeline / n * 1000).toFixed(0)
      } µs, fence ${(ms.fence / n * 1000).toFixed(0)} µs`,
    );
  }),
);
