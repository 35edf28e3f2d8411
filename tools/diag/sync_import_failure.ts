// What a failed semaphore or fence import leaves behind (run on a driver with semaphore fds):
// after vkImportSemaphoreFdKHR/vkImportFenceFdKHR refuses /dev/null, can the same object, a new
// object, and the device still import a valid fd, and still signal and wait?
//   deno run -A tools/diag/sync_import_failure.ts
import { parseCli } from "../../cli/_args.ts";
import { libc, O_CLOEXEC, O_RDONLY } from "../../ffi/libc.ts";
import { cString } from "../../ffi/vulkan.ts";
import { Device, Fence, Instance, OwnedFd, Semaphore } from "../../mod.ts";

parseCli({
  name: "tools/diag/sync_import_failure.ts",
  summary:
    "What a failed semaphore or fence import leaves behind: after the driver refuses /dev/null, can\nthe same object, a new one and the device still import, signal and wait?",
  flags: {},
});

const result: Record<string, string> = {};
function attempt(what: string, fn: () => unknown): void {
  try {
    fn();
    result[what] = "ok";
  } catch (e) {
    result[what] = (e as Error).message.split(": nothing")[0].slice(0, 160);
  }
}
using instance = Instance.create();
const pd = instance.physicalDevices()[0];
using a = Device.create(pd);
using b = Device.create(pd);
using devnull = OwnedFd.adopt(libc().open(cString("/dev/null"), O_RDONLY | O_CLOEXEC, 0));
for (const type of ["binary", "timeline"] as const) {
  using sa = Semaphore.create(a, { type, exportAs: "OPAQUE_FD" });
  using s1 = Semaphore.create(b, { type });
  const { fdKind: _k, ...bare } = sa.descriptor("OPAQUE_FD");
  attempt(`${type}: /dev/null into s1`, () => s1.importFd(devnull, bare));
  const e1 = sa.exportFd();
  attempt(`${type}: valid fd into the same s1`, () => s1.importFd(e1.fd, e1.descriptor));
  e1.fd?.close();
  const e2 = sa.exportFd();
  attempt(`${type}: valid fd into a new semaphore`, () => {
    using s2 = Semaphore.importFd(b, e2.fd, e2.descriptor);
    if (type === "timeline") {
      sa.signal(5);
      if (s2.wait(5, 1000) !== "signaled") throw new Error("no signal seen");
    }
  });
  e2.fd?.close();
  attempt(`${type}: s1 still signals and waits (own payload)`, () => {
    using f = Fence.create(b);
    if (type === "binary") {
      b.queue().submit({ signal: [s1] });
      b.queue().submit({ wait: [s1], fence: f });
    } else {
      b.queue().submit({ signal: [{ semaphore: s1, value: 1 }], fence: f });
    }
    if (f.wait(1000) !== "signaled") throw new Error("timeout");
  });
}
{
  using fa = Fence.create(a, { exportAs: "OPAQUE_FD" });
  using f1 = Fence.create(b);
  attempt("fence: /dev/null into f1", () => f1.importFd(devnull, fa.descriptor("OPAQUE_FD")));
  const e1 = fa.exportFd();
  attempt("fence: valid fd into the same f1", () => f1.importFd(e1.fd, e1.descriptor));
  e1.fd?.close();
  const e2 = fa.exportFd();
  attempt(
    "fence: valid fd into a new fence",
    () => Fence.importFd(b, e2.fd, e2.descriptor)[Symbol.dispose](),
  );
  e2.fd?.close();
}
console.log(
  JSON.stringify({ device: pd.name, driver: pd.driverVersionString, ...result }, null, 1),
);
