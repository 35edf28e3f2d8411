/**
 * The benchmark report: a Markdown table of warm and cold latencies with the ratio against C
 * and the targets, and an SVG chart of p50 latency against size for each sized operation.
 *
 * @module
 */
import type { Results, Row, Stats } from "./run.ts";

/** A duration in ns, readable: `37 ns`, `4.4 µs`, `1.63 ms`. */
export function duration(ns: number): string {
  if (ns < 1000) return `${ns.toFixed(ns < 10 ? 1 : 0)} ns`;
  if (ns < 1e6) return `${(ns / 1e3).toFixed(ns < 1e4 ? 2 : 1)} µs`;
  if (ns < 1e9) return `${(ns / 1e6).toFixed(ns < 1e7 ? 2 : 1)} ms`;
  return `${(ns / 1e9).toFixed(2)} s`;
}

/** A size in bytes: `4 KiB`, `1 GiB`. */
export function bytes(n: number): string {
  for (const [u, f] of [["GiB", 2 ** 30], ["MiB", 2 ** 20], ["KiB", 2 ** 10]] as const) {
    if (n >= f && n % f === 0) return `${n / f} ${u}`;
  }
  return `${n} B`;
}

const p = (s: Stats | undefined) => (s ? duration(s.p50) : "–");

/** The report as Markdown. */
export function markdown(r: Results): string {
  const f = r.fingerprint;
  const compared = r.rows.filter((x) => x.target);
  const met = compared.filter((x) => x.target!.met).length;
  const lines = [
    `# vkshare benchmarks: ${f.gpu}, ${f.runtime} ${f.runtimeVersion}`,
    "",
    `${f.gpu} (${f.deviceType}), ${
      f.driverName ?? "driver"
    } ${f.driverVersion}, Vulkan ${f.vulkanApiVersion}, deviceUUID ${f.deviceUUID}; ${f.runtime} ${f.runtimeVersion}; Linux ${f.kernel}; C reference: ${
      f.compiler ?? "not built"
    }; ${f.date}. ${r.rounds} interleaved rounds per row (vkshare, then C in a new process).`,
    "",
    `Warm: after a warm-up, on the same two devices; cold: the first call after the devices were created (one per round). Targets met: ${met} of ${compared.length}.`,
    "",
    "| operation | size | vkshare p50 | p90 | p99 | C p50 | vkshare / C | target | cold vkshare | cold C |",
    "|---|---|---|---|---|---|---|---|---|---|",
  ];
  for (const x of r.rows) {
    const v = x.vkshare, c = x.c;
    lines.push(
      `| ${x.op} | ${x.size === null ? "" : bytes(x.size)} | ${p(v?.warm)} | ${
        v ? duration(v.warm.p90) : "–"
      } | ${v ? duration(v.warm.p99) : "–"} | ${p(c?.warm)} | ${
        x.ratio === null ? "–" : `${x.ratio.toFixed(2)}×`
      } | ${x.target ? (x.target.met ? "met" : "**missed**") : "–"} | ${p(v?.cold)} | ${
        p(c?.cold)
      } |`,
    );
  }
  const notes = r.rows.filter((x) => x.notes.length);
  if (notes.length) {
    lines.push("", "Notes:", "");
    for (const x of notes) {
      lines.push(`- ${x.op}${x.size === null ? "" : ` ${bytes(x.size)}`}: ${x.notes.join("; ")}`);
    }
  }
  lines.push("", "Operations:", "");
  for (const name of [...new Set(r.rows.map((x) => x.op))]) {
    lines.push(`- ${name}: ${r.rows.find((x) => x.op === name)!.title}`);
  }
  return lines.join("\n") + "\n";
}

/** An SVG chart: one panel per sized operation, p50 against size, vkshare and C, log-log. */
export function svg(r: Results): string {
  const names = [...new Set(r.rows.filter((x) => x.size !== null && x.vkshare).map((x) => x.op))];
  const W = 300, H = 220, M = { l: 58, r: 10, t: 28, b: 36 }, cols = 3;
  const rows = Math.max(1, Math.ceil(names.length / cols));
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W * cols}" height="${
      H * rows + 40
    }" font-family="sans-serif" font-size="11">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="8" y="18" font-size="14">${
      esc(r.fingerprint.gpu)
    }, ${r.fingerprint.runtime} ${r.fingerprint.runtimeVersion}: warm p50 latency against size (log-log). Solid: vkshare; dashed: C.</text>`,
  ];
  names.forEach((name, i) => {
    const pts = r.rows.filter((x) => x.op === name && x.size !== null && x.vkshare);
    const ox = (i % cols) * W, oy = 40 + Math.floor(i / cols) * H;
    const xs = pts.map((x) => Math.log2(x.size!));
    const ys = pts.flatMap((x) => [x.vkshare!.warm.p50, x.c?.warm.p50 ?? x.vkshare!.warm.p50])
      .map(Math.log10);
    const [x0, x1] = [Math.min(...xs), Math.max(...xs, Math.min(...xs) + 1)];
    const [y0, y1] = [Math.floor(Math.min(...ys)), Math.ceil(Math.max(...ys, Math.min(...ys) + 1))];
    const X = (v: number) => ox + M.l + ((v - x0) / (x1 - x0)) * (W - M.l - M.r);
    const Y = (v: number) => oy + H - M.b - ((v - y0) / (y1 - y0)) * (H - M.t - M.b);
    out.push(
      `<text x="${ox + M.l}" y="${oy + 16}" font-weight="bold">${esc(name)}</text>`,
      `<rect x="${ox + M.l}" y="${oy + M.t}" width="${W - M.l - M.r}" height="${
        H - M.t - M.b
      }" fill="none" stroke="#999"/>`,
    );
    for (let e = y0; e <= y1; e++) {
      out.push(
        `<text x="${ox + M.l - 4}" y="${Y(e) + 4}" text-anchor="end">${duration(10 ** e)}</text>`,
      );
    }
    pts.forEach((x) => {
      out.push(
        `<text x="${X(Math.log2(x.size!))}" y="${oy + H - M.b + 14}" text-anchor="middle">${
          bytes(x.size!)
        }</text>`,
      );
    });
    const line = (get: (x: Row) => number | undefined, dash: string, color: string) => {
      const d = pts.filter((x) => get(x) !== undefined).map((x, j) =>
        `${j ? "L" : "M"}${X(Math.log2(x.size!)).toFixed(1)},${Y(Math.log10(get(x)!)).toFixed(1)}`
      ).join(" ");
      if (d) out.push(`<path d="${d}" fill="none" stroke="${color}" stroke-width="2" ${dash}/>`);
    };
    line((x) => x.vkshare?.warm.p50, "", "#1f77b4");
    line((x) => x.c?.warm.p50, 'stroke-dasharray="5,4"', "#d62728");
  });
  out.push("</svg>");
  return out.join("\n") + "\n";
}

function esc(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}
