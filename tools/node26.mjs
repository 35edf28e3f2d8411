#!/usr/bin/env node
// Runs Node 26 with ARGS, from any Node that npm came with (Debian 12's is 18): this Node itself
// where it is 26.1 or later (it has node:ffi), otherwise `npx -y node@26.10.0`. Node 26's Linux
// binary needs libatomic.so.1, which a minimal Debian lacks: where it is missing, this installs
// libatomic1 with apt-get when it runs as root, and otherwise prints the command that does
// (exit 77). `npm run demo:node` and `npm run test:node` start here.
//
//     node tools/node26.mjs [--help] ARGS...
//
// Plain JavaScript, so that an old Node runs it as it is.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";

const VERSION = "26.10.0";
const LIBATOMIC = "libatomic.so.1";
const LIB_DIRS = ["/usr/lib/x86_64-linux-gnu", "/lib/x86_64-linux-gnu", "/usr/lib64", "/usr/lib"];
const USAGE = `usage: node tools/node26.mjs [ARGS...]

Runs Node ${VERSION} (node:ffi) with ARGS: this Node where it is 26.1 or later, else
npx -y node@${VERSION}. Installs libatomic1 first where it is missing and this runs as root.`;

/** Whether this Node is 26.1 or later. */
function isNode26() {
  const [major, minor] = process.versions.node.split(".").map(Number);
  return major > 26 || (major === 26 && minor >= 1);
}

/** Whether the dynamic loader finds libatomic.so.1 (ldconfig's cache, or a library folder). */
function hasLibatomic() {
  for (const ldconfig of ["ldconfig", "/sbin/ldconfig"]) {
    const r = spawnSync(ldconfig, ["-p"], { encoding: "utf8" });
    if (r.status === 0) return r.stdout.includes(LIBATOMIC);
  }
  return LIB_DIRS.some((d) => existsSync(`${d}/${LIBATOMIC}`));
}

/** Installs libatomic1 where it is missing (as root), or says how and exits 77. */
function ensureLibatomic() {
  if (process.platform !== "linux" || hasLibatomic()) return;
  const command = "apt-get install -y libatomic1";
  if (process.getuid?.() !== 0) {
    console.error(`node26: skipped: Node ${VERSION} needs ${LIBATOMIC}: sudo ${command}`);
    process.exit(77);
  }
  console.error(`node26: installing libatomic1 (Node ${VERSION} needs ${LIBATOMIC})`);
  const quiet = { stdio: ["ignore", "ignore", "inherit"] };
  const ok = spawnSync("apt-get", ["update", "-q"], quiet).status === 0
    && spawnSync("apt-get", ["install", "-y", "-q", "--no-install-recommends", "libatomic1"], quiet)
        .status === 0;
  if (!ok || !hasLibatomic()) {
    console.error(`node26: could not install libatomic1: ${command}`);
    process.exit(1);
  }
}

const args = process.argv.slice(2);
if (args[0] === "--help") {
  console.log(USAGE);
  process.exit(0);
}
const [cmd, argv] = isNode26()
  ? [process.execPath, args]
  : (ensureLibatomic(), ["npx", ["-y", `node@${VERSION}`, ...args]]);
const r = spawnSync(cmd, argv, { stdio: "inherit" });
if (r.error) {
  console.error(`node26: could not run ${cmd}: ${r.error.message}`);
  process.exit(1);
}
process.exit(r.status ?? 1);
