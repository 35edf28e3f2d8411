// A static file server of one folder on 127.0.0.1, for CI's check that scripts run when loaded
// over HTTP (`deno run -A http://127.0.0.1:PORT/examples/caps.ts`).
//   node .ci/serve.mjs FOLDER PORT
import fs from "node:fs";
import http from "node:http";
import path from "node:path";

const [root, port] = [path.resolve(process.argv[2]), Number(process.argv[3])];
const types = { ".ts": "application/typescript", ".js": "text/javascript", ".json": "application/json" };
http.createServer((req, res) => {
  const file = path.join(root, decodeURIComponent(new URL(req.url, "http://x").pathname));
  if (!file.startsWith(root + path.sep) || !fs.statSync(file, { throwIfNoEntry: false })?.isFile()) {
    res.writeHead(404).end();
    return;
  }
  res.writeHead(200, { "content-type": types[path.extname(file)] ?? "text/plain" });
  fs.createReadStream(file).pipe(res);
}).listen(port, "127.0.0.1", () => console.log(`serving ${root} on http://127.0.0.1:${port}/`));
