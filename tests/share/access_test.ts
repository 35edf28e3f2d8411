// The access protocol's rules (share/access.ts), without a driver: one writer or many readers,
// the layout each access starts from and ends in, "uninitialized" before the first write, the
// ends each access waits for, and what a participant that leaves takes with it.
import { assertEquals, assertStringIncludes } from "@std/assert";
import { ShareError } from "../../mod.ts";
import { AccessLedger, MAX_HELD_ACCESSES } from "../../share/mod.ts";
import { test } from "../_harness.ts";

function refusal(fn: () => unknown): ShareError {
  try {
    fn();
  } catch (e) {
    if (e instanceof ShareError) return e;
    throw e;
  }
  throw new Error("expected a refusal");
}

const image = () => new AccessLedger({ label: "frame", image: true });

test("a read of contents nobody wrote is refused (ACCESS_UNINITIALIZED); a write starts from UNDEFINED", () => {
  const l = image();
  const e = refusal(() => l.begin(1, "read"));
  assertEquals(e.rule, "ACCESS_UNINITIALIZED");
  assertStringIncludes(e.message, "frame: nobody has written its contents yet");
  const w = l.begin(1, "write");
  assertEquals([w.layout, w.initialized, w.after], ["UNDEFINED", false, []]);
  l.end(1, w.token, { layout: "TRANSFER_SRC_OPTIMAL", value: 5n });
  assertEquals([l.layout, l.initialized, l.writer, l.readers], [
    "TRANSFER_SRC_OPTIMAL",
    true,
    null,
    0,
  ]);
});

test("one writer at a time: a second write and any read during a write are refused (ACCESS_WRITER_ACTIVE)", () => {
  const l = image();
  const w = l.begin(0, "write");
  for (const [who, mode] of [[1, "write"], [2, "read"], [0, "write"]] as const) {
    const e = refusal(() => l.begin(who, mode));
    assertEquals([e.rule, e.actual], ["ACCESS_WRITER_ACTIVE", "the owner"]);
  }
  l.end(0, w.token, { layout: "GENERAL", value: 1n });
  assertEquals(l.begin(2, "read").layout, "GENERAL");
});

test("many readers at once, each from the writer's layout and end; a write waits for every read (ACCESS_READERS_ACTIVE until they end)", () => {
  const l = image();
  const w = l.begin(0, "write");
  l.end(0, w.token, { layout: "SHADER_READ_ONLY_OPTIMAL", value: 3n });
  const r1 = l.begin(1, "read"), r2 = l.begin(2, "read");
  for (const r of [r1, r2]) {
    assertEquals([r.layout, r.initialized, r.after], ["SHADER_READ_ONLY_OPTIMAL", true, [{
      who: 0,
      value: 3n,
    }]]);
  }
  assertEquals(l.readers, 2);
  const e = refusal(() => l.begin(0, "write"));
  assertEquals([e.rule, e.actual], ["ACCESS_READERS_ACTIVE", 2]);
  l.end(1, r1.token, { value: 7n });
  l.end(2, r2.token, { value: null }); // handed off on the host: nothing to wait for
  const next = l.begin(1, "write");
  assertEquals(next.after, [{ who: 0, value: 3n }, { who: 1, value: 7n }]);
  assertEquals(next.layout, "SHADER_READ_ONLY_OPTIMAL");
});

test("an access ends once, by its holder (ACCESS_NOT_HELD); a refused end leaves it held", () => {
  const l = image();
  const w = l.begin(1, "write");
  assertEquals(
    refusal(() => l.end(2, w.token, { layout: "GENERAL", value: 1n })).rule,
    "ACCESS_NOT_HELD",
  );
  assertEquals(
    refusal(() => l.end(1, 99, { layout: "GENERAL", value: 1n })).rule,
    "ACCESS_NOT_HELD",
  );
  assertEquals(
    refusal(() => l.end(1, w.token, { layout: "UNDEFINED", value: 1n })).rule,
    "ACCESS_LAYOUT",
  );
  assertEquals(l.writer, 1);
  l.end(1, w.token, { layout: "GENERAL", value: 1n });
  assertEquals(
    refusal(() => l.end(1, w.token, { layout: "GENERAL", value: 2n })).rule,
    "ACCESS_NOT_HELD",
  );
});

test("layouts: a read ends where it began, a write not in UNDEFINED or a made-up name, a buffer in none (ACCESS_LAYOUT)", () => {
  const l = image();
  const w = l.begin(0, "write");
  const bad = refusal(() => l.end(0, w.token, { layout: "SIDEWAYS" as never, value: 1n }));
  assertEquals([bad.rule, bad.actual], ["ACCESS_LAYOUT", "SIDEWAYS"]);
  l.end(0, w.token, { layout: "TRANSFER_SRC_OPTIMAL", value: 1n });
  const r = l.begin(1, "read");
  const e = refusal(() => l.end(1, r.token, { layout: "GENERAL", value: 1n }));
  assertEquals([e.rule, e.expected, e.actual], [
    "ACCESS_LAYOUT",
    "TRANSFER_SRC_OPTIMAL",
    "GENERAL",
  ]);
  l.end(1, r.token, { value: 1n }); // no layout: the one it began in
  const buffer = new AccessLedger({ label: "buf", image: false });
  const bw = buffer.begin(0, "write");
  assertEquals(
    refusal(() => buffer.end(0, bw.token, { layout: "GENERAL", value: 1n })).rule,
    "ACCESS_LAYOUT",
  );
  buffer.end(0, bw.token, { value: 1n });
  assertEquals(buffer.begin(1, "read").layout, "UNDEFINED");
});

test("each participant's ends name increasing timeline values (ACCESS_SIGNAL_ORDER)", () => {
  const l = image();
  const w = l.begin(1, "write");
  l.end(1, w.token, { layout: "GENERAL", value: 4n });
  const r = l.begin(1, "read");
  const e = refusal(() => l.end(1, r.token, { value: 4n }));
  assertEquals([e.rule, e.expected, e.actual], ["ACCESS_SIGNAL_ORDER", "> 4", 4n]);
  l.end(1, r.token, { value: 5n });
  const other = l.begin(2, "read"); // another participant's timeline has its own order
  l.end(2, other.token, { value: 1n });
});

test("a writer that leaves mid-write leaves the contents uninitialized; readers that leave free the next write", () => {
  const l = image();
  const w = l.begin(0, "write");
  l.end(0, w.token, { layout: "GENERAL", value: 1n });
  l.begin(1, "read");
  l.begin(1, "read");
  l.abandon(1);
  assertEquals(l.readers, 0);
  l.begin(2, "write");
  l.abandon(2);
  assertEquals([l.initialized, l.layout, l.writer], [false, "UNDEFINED", null]);
  const e = refusal(() => l.begin(1, "read"));
  assertEquals(e.rule, "ACCESS_UNINITIALIZED");
  assertStringIncludes(e.message, "its last writer left before ending its write");
});

test("a mode other than read or write is a RangeError", () => {
  let threw = false;
  try {
    image().begin(0, "append" as never);
  } catch (e) {
    threw = e instanceof RangeError;
  }
  assertEquals(threw, true);
});

test("a participant holds at most MAX_HELD_ACCESSES at once (ACCESS_LIMIT); others are not limited by it", () => {
  const l = image();
  const w = l.begin(0, "write");
  l.end(0, w.token, { layout: "GENERAL", value: 1n });
  const held = Array.from({ length: MAX_HELD_ACCESSES }, () => l.begin(1, "read"));
  const e = refusal(() => l.begin(1, "read"));
  assertEquals([e.rule, e.actual], ["ACCESS_LIMIT", MAX_HELD_ACCESSES]);
  l.begin(2, "read");
  l.end(1, held[0].token, { value: null });
  l.begin(1, "read");
});
