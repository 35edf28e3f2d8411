// cli/_args.ts's helpers that need no process of their own: how a script names itself to a child
// process (a path for a file, the URL otherwise). parseCli and invokeAs run through every CLI in
// tests/cli_test.ts and tests/cli/main_test.ts.
import { assertEquals } from "@std/assert";
import { parseBytes } from "../../cli/_args.ts";
import { scriptArgument } from "../../ipc/peer.ts";
import { test } from "../_harness.ts";

test("scriptArgument: a file URL becomes its path (decoded); an http(s) URL stays a URL", () => {
  assertEquals(scriptArgument("file:///opt/my%20app/cli/doctor.ts"), "/opt/my app/cli/doctor.ts");
  assertEquals(
    scriptArgument("http://127.0.0.1:8000/cli/doctor.ts"),
    "http://127.0.0.1:8000/cli/doctor.ts",
  );
  assertEquals(
    scriptArgument("https://jsr.io/@vkshare/vkshare/0.2.0/cli/doctor.ts"),
    "https://jsr.io/@vkshare/vkshare/0.2.0/cli/doctor.ts",
  );
});

test("parseBytes: integers with a binary unit (B, KiB, MiB, GiB, K, M, G; any case), or null", () => {
  assertEquals(parseBytes("65536"), 65536);
  assertEquals(parseBytes("64KiB"), 65536);
  assertEquals(parseBytes("16 MiB"), 16 * 2 ** 20);
  assertEquals(parseBytes("1gib"), 2 ** 30);
  assertEquals(parseBytes("4K"), 4096);
  assertEquals(parseBytes("2G"), 2 ** 31);
  for (const bad of ["", "MiB", "1.5MiB", "-4", "64MB", "64 kb", "1e6", "99999999999999999GiB"]) {
    assertEquals(parseBytes(bad), null, bad);
  }
});
