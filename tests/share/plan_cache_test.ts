// The plan cache (knownPlan): an import of a vkshare export from its own open OwnedFd, planned
// once, is not planned in full again; every other import still is, so every rule still holds.
import { assert, assertEquals } from "@std/assert";
import { DeviceMemory } from "../../mod.ts";
import { consumedBy } from "../../share/fd.ts";
import { knownPlan } from "../../share/plan.ts";
import { test } from "../_harness.ts";
import { assertNoFdLeak, cannotShare, openFdSet, withTwoDevices } from "../_memory.ts";
import { assertRule } from "../_vk.ts";

test(
  "an accepted import plan is remembered for its export's own open OwnedFd only; consumed, closed or other fds are planned in full and refused",
  { skip: cannotShare("OPAQUE_FD") },
  withTwoDevices((a, b) => {
    using m = DeviceMemory.allocate(a, { size: 65536, exportAs: "OPAQUE_FD" });
    using other = DeviceMemory.allocate(a, { size: 131072, exportAs: "OPAQUE_FD" });
    const fds = openFdSet();
    const key = { importer: b, variant: "memory" };
    using e1 = m.exportFd();
    assertEquals(knownPlan(key, e1.fd, e1.descriptor), undefined, "nothing planned yet");
    const n = e1.fd.number;
    DeviceMemory.importFd(b, e1.fd, e1.descriptor)[Symbol.dispose]();
    // The consumed number's record names the importer (its label made when first read).
    assertEquals(consumedBy(n), `an import into ${b.label}`);
    // Consumed by that import: not known any more, and refused as before the cache.
    assertEquals(knownPlan(key, e1.fd, e1.descriptor), undefined);
    assertRule(() => DeviceMemory.importFd(b, e1.fd, e1.descriptor), "FD_CONSUMED");

    // A new export of the same memory has the same descriptor: its plan is known.
    using e2 = m.exportFd();
    assert(e2.descriptor === e1.descriptor);
    assertEquals(knownPlan(key, e2.fd, e2.descriptor)?.fd, e2.fd.fd);
    // Not for another importer, or with options (a target, an exportAs: no key is given).
    assertEquals(knownPlan({ importer: a, variant: "memory" }, e2.fd, e2.descriptor), undefined);
    // Not for the fd of another export given with this descriptor: planned in full.
    using eo = other.exportFd();
    assertEquals(knownPlan(key, eo.fd, e2.descriptor), undefined);
    assertRule(() => DeviceMemory.importFd(b, eo.fd, e2.descriptor), "SIZE_MISMATCH");
    // Not for a raw number, even the export's own.
    assertEquals(knownPlan(key, e2.fd.fd, e2.descriptor), undefined);
    // The known plan imports; then a closed export is refused.
    DeviceMemory.importFd(b, e2.fd, e2.descriptor)[Symbol.dispose]();
    using e3 = m.exportFd();
    e3.fd.close();
    assertEquals(knownPlan(key, e3.fd, e3.descriptor), undefined);
    assertRule(() => DeviceMemory.importFd(b, e3.fd, e3.descriptor), "FD_NOT_OPEN");
    eo[Symbol.dispose]();
    assertNoFdLeak(fds, "no fd left open by the imports");
  }),
);
