// cli/_args.ts's helpers that need no process of their own: how a script names itself to a child
// process (a path for a file, the URL otherwise). parseCli and invokeAs run through every CLI in
// tests/cli_test.ts and tests/cli/main_test.ts.
import { assertEquals } from "@std/assert";
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
