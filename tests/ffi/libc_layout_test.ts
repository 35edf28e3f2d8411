// The libc struct layouts of fd passing (msghdr, iovec, cmsghdr, sockaddr_un, pollfd, ucred) and
// the CMSG_* macros, against the C compiler; without cc, against its committed output.
// @ts-types="../../cli/_node/fs.d.ts"
import { readFileSync } from "node:fs";

import { assertEquals } from "@std/assert";
import { STAT_MODE_OFFSET } from "../../ffi/libc.ts";
import { cmsgLen, cmsgSpace, LIBC_HEADERS, LIBC_STRUCTS } from "../../ffi/libc_socket.ts";
import { rt } from "../../ffi/runtime.ts";
import { compileAndRun, computed, cSource, haveCC } from "../../tools/layout_c.ts";
import { test } from "../_harness.ts";

const here = new URL("./", import.meta.url);
const committedSource = readFileSync(new URL("libc_layouts.c", here), "utf8");
const committed = JSON.parse(readFileSync(new URL("libc_layouts.json", here), "utf8"));
const cc = haveCC();

test("libc_layouts.c is generated from the current declarations (deno task layouts)", () => {
  assertEquals(committedSource, cSource(LIBC_STRUCTS, LIBC_HEADERS, ["_GNU_SOURCE"]));
});

test("every libc layout equals the compiler's committed output", () => {
  assertEquals(computed(LIBC_STRUCTS), committed);
});

test(
  "every libc layout, and CMSG_LEN/CMSG_SPACE, equal what cc computes now",
  { skip: cc ? false : "no cc" },
  () => {
    assertEquals(computed(LIBC_STRUCTS), JSON.parse(compileAndRun(committedSource)));
    const counts = [1, 2, 3, 4, 7, 16, 253];
    const program = [
      "#include <stdio.h>",
      "#include <sys/socket.h>",
      "int main(void) {",
      '  printf("[");',
      ...counts.map((n, i) =>
        `  printf("%s[%zu, %zu]", ${
          i ? '", "' : '""'
        }, (size_t)CMSG_LEN(${n} * sizeof(int)), (size_t)CMSG_SPACE(${n} * sizeof(int)));`
      ),
      '  printf("]\\n");',
      "  return 0;",
      "}",
    ].join("\n");
    assertEquals(
      counts.map((n) => [cmsgLen(4 * n), cmsgSpace(4 * n)]),
      JSON.parse(compileAndRun(program)),
    );
  },
);

test(
  "offsetof(struct stat, st_mode) and the first two fields (st_dev, st_ino) equal what cc computes",
  { skip: cc ? false : "no cc" },
  () => {
    const program = [
      "#include <stdio.h>",
      "#include <stddef.h>",
      "#include <sys/stat.h>",
      "int main(void) {",
      '  printf("[%zu, %zu, %zu, %zu]\\n", offsetof(struct stat, st_mode), offsetof(struct stat, st_dev), offsetof(struct stat, st_ino), (size_t)(sizeof(struct stat) <= 256));',
      "  return 0;",
      "}",
    ].join("\n");
    assertEquals(JSON.parse(compileAndRun(program)), [STAT_MODE_OFFSET[rt.arch], 0, 8, 1]);
  },
);
