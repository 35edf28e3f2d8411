/**
 * The benchmark report: a Markdown table of warm and cold latencies with the ratio against C
 * and the targets, and an SVG: the ratio of every row against C with its target, then p50
 * latency against size for each sized operation.
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

/**
 * A row's verdict: "met", "runtime" (missed, but within 2 µs of the same call made bare through
 * the runtime's FFI), "missed", or "–" for a row with no target.
 */
export function verdict(x: Row): "met" | "runtime" | "missed" | "–" {
  if (!x.target) return "–";
  return x.target.met ? "met" : x.target.bare?.met ? "runtime" : "missed";
}

/** The rows to show of a run, by operation and size (null for an operation without one). */
export type Pick = readonly [op: string, size: number | null];

/** A run's runtime, capitalized: `Deno`, `Bun`, `Node`. */
function runtimeName(r: Results): string {
  return r.fingerprint.runtime[0].toUpperCase() + r.fingerprint.runtime.slice(1);
}

/**
 * One table of several runs of the same GPU (one per runtime), a row per pick: what the row
 * includes (its title, and its size), then each run's C p50, vkshare p50, ratio and verdict,
 * and the Python/ctypes reference's p50 where a run has it. Each run's C column is the C side
 * of that run.
 */
export function summaryTable(runs: readonly Results[], picks: readonly Pick[]): string {
  const head = ["operation (what the time includes)"];
  for (const r of runs) {
    const rt = runtimeName(r);
    head.push(`C (${rt}'s run)`, rt, `${rt} / C`);
  }
  // The Python/ctypes reference's column, from the first run that has it for a row.
  const python = runs.find((r) => r.rows.some((x) => x.python));
  if (python) head.push(`Python (ctypes, ${runtimeName(python)}'s run)`);
  const lines = [`| ${head.join(" | ")} |`, `|${head.map(() => "---").join("|")}|`];
  for (const [op, size] of picks) {
    const rows = runs.map((r) => r.rows.find((x) => x.op === op && x.size === size));
    const first = rows.find((x) => x !== undefined);
    if (!first) throw new Error(`no run has ${op}${size === null ? "" : ` ${bytes(size)}`}`);
    // A target other than the usual one (the handoff's, the pipeline's, PyTorch's) is named.
    const rule = first.target?.rule;
    const unusual = rule && !rule.startsWith("p50 ≤ max(") ? ` (target: ${rule})` : "";
    const cells = [`${first.title}${size === null ? "" : `, ${bytes(size)}`}${unusual}`];
    for (const x of rows) {
      const ratio = x?.ratio == null ? "–" : `${x.ratio.toFixed(2)}×${x.c ? "" : " its baseline"}`;
      cells.push(p(x?.c?.warm), p(x?.vkshare?.warm), x?.target ? `${ratio} ${verdict(x)}` : ratio);
    }
    if (python) {
      const x = python.rows.find((x) => x.op === op && x.size === size);
      cells.push(p(x?.python?.warm));
    }
    lines.push(`| ${cells.join(" | ")} |`);
  }
  return lines.join("\n");
}

/** The report as Markdown. */
export function markdown(r: Results): string {
  const f = r.fingerprint;
  const compared = r.rows.filter((x) => x.target);
  const met = compared.filter((x) => x.target!.met).length;
  const runtime = compared.filter((x) => !x.target!.met && x.target!.bare?.met).length;
  const lines = [
    `# vkshare benchmarks: ${f.gpu}, ${f.runtime} ${f.runtimeVersion}`,
    "",
    `${f.gpu} (${f.deviceType}), ${
      f.driverName ?? "driver"
    } ${f.driverVersion}, Vulkan ${f.vulkanApiVersion}, deviceUUID ${f.deviceUUID}; ${f.runtime} ${f.runtimeVersion}; Linux ${f.kernel}; C reference: ${
      f.compiler ?? "not built"
    }; ${f.date}. ${r.rounds} interleaved rounds per row (vkshare, then C in a new process).`,
    "",
    `Warm: after a warm-up (at least 250 ms a round, so the runtime's JIT has compiled the path), on the same two devices; cold: the first call after the devices were created (one per round). Targets met: ${met} of ${compared.length}${
      runtime
        ? `; ${runtime} more missed only because the runtime's own call is: vkshare stays within 2 µs of their bare FFI row ("runtime" below)`
        : ""
    }.`,
    "",
    "| operation | size | vkshare p50 | p90 | p99 | C p50 | vkshare / C | target | cold vkshare | cold C | Python (ctypes) p50 |",
    "|---|---|---|---|---|---|---|---|---|---|---|",
  ];
  for (const x of r.rows) {
    const v = x.vkshare, c = x.c;
    lines.push(
      `| ${x.op} | ${x.size === null ? "" : bytes(x.size)} | ${p(v?.warm)} | ${
        v ? duration(v.warm.p90) : "–"
      } | ${v ? duration(v.warm.p99) : "–"} | ${p(c?.warm)} | ${
        x.ratio === null ? "–" : `${x.ratio.toFixed(2)}×`
      } | ${verdict(x) === "missed" ? "**missed**" : verdict(x)} | ${p(v?.cold)} | ${
        p(c?.cold)
      } | ${p(x.python?.warm)} |`,
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

/** `text`, cut to `max` characters with an ellipsis (so that no label runs out of its box). */
function fit(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/** A power of ten of nanoseconds, as an axis tick: `1 ns`, `100 µs`, `10 ms`, `1 s`. */
function tick(ns: number): string {
  const units: [number, string][] = [[1e9, "s"], [1e6, "ms"], [1e3, "µs"], [1, "ns"]];
  const [f, u] = units.find(([f]) => ns >= f) ?? [1, "ns"];
  return `${Math.round(ns / f)} ${u}`;
}

/** A row's name in a chart: its title, and its size when it has one. */
function rowLabel(x: Row): string {
  return `${x.title}${x.size === null ? "" : ` (${bytes(x.size)})`}`;
}

/**
 * The ratio a row must stay under: the target's rule as a ratio of C (it depends on C for the
 * `C + 2 µs` rule), or null for a row with no target.
 */
function targetRatio(x: Row): number | null {
  if (!x.target || !x.c) return null;
  const times = /^p50 ≤ ([\d.]+) × C$/.exec(x.target.rule);
  if (times) return Number(times[1]);
  const base = x.c.warm.p50;
  return Math.max(1.1 * base, base + 2000) / base;
}

/**
 * The SVG report: a ratio chart first (vkshare's p50 over C's for every row that has a C side,
 * the target of each drawn as a tick; green where met, red where missed, grey with no target),
 * then one panel per sized operation, p50 against size (log-log), vkshare and C. Every label is
 * cut to its box; each chart has a legend and axis titles.
 */
export function svg(r: Results): string {
  const f = r.fingerprint;
  const out: string[] = [];
  const width = 1060;
  let y = 0;

  // The ratio chart.
  const ratioRows = r.rows.filter((x) => x.ratio !== null && x.vkshare && x.c);
  const L = 400, R = 60, barH = 16, top = 64;
  const maxRatio = Math.max(
    4,
    ...ratioRows.map((x) => x.ratio!),
    ...ratioRows.map((x) => targetRatio(x) ?? 0),
  );
  const lo = Math.log10(0.5), hi = Math.log10(maxRatio * 1.2);
  const RX = (v: number) => L + ((Math.log10(Math.max(v, 0.5)) - lo) / (hi - lo)) * (width - L - R);
  out.push(
    `<text x="8" y="20" font-size="14">${esc(f.gpu)}, ${esc(f.runtime)} ${esc(f.runtimeVersion)}, ${
      esc(f.date.slice(0, 10))
    }: vkshare p50 / C p50 for each row (log scale)</text>`,
    `<text x="8" y="38">${
      esc(
        fit(`${f.driverName ?? "driver"} ${f.driverVersion}; C: ${f.compiler ?? "not built"}`, 150),
      )
    }</text>`,
  );
  // Legend.
  const lg = (x: number, color: string, label: string) =>
    out.push(
      `<rect x="${x}" y="46" width="12" height="10" fill="${color}"/>`,
      `<text x="${x + 16}" y="55">${label}</text>`,
    );
  lg(L, "#2ca02c", "target met");
  lg(L + 110, "#d62728", "target missed");
  lg(L + 220, "#ff7f0e", "runtime: its bare call is over");
  lg(L + 410, "#999999", "no target");
  out.push(
    `<line x1="${L + 500}" y1="51" x2="${L + 512}" y2="51" stroke="black" stroke-width="2"/>`,
    `<text x="${L + 516}" y="55">target</text>`,
  );
  if (ratioRows.length === 0) {
    out.push(
      `<text x="${L}" y="${
        top + barH - 4
      }">no row has a C side: the C reference was not built here</text>`,
    );
  }
  ratioRows.forEach((x, i) => {
    const ry = top + i * (barH + 4);
    const color = !x.target
      ? "#999999"
      : x.target.met
      ? "#2ca02c"
      : x.target.bare?.met
      ? "#ff7f0e"
      : "#d62728";
    out.push(
      `<text x="${L - 6}" y="${ry + barH - 4}" text-anchor="end">${
        esc(fit(rowLabel(x), 64))
      }</text>`,
      `<rect x="${RX(0.5)}" y="${ry}" width="${
        (RX(x.ratio!) - RX(0.5)).toFixed(1)
      }" height="${barH}" fill="${color}"/>`,
      `<text x="${(RX(x.ratio!) + 4).toFixed(1)}" y="${ry + barH - 4}">${
        x.ratio!.toFixed(2)
      }×</text>`,
    );
    const t = targetRatio(x);
    if (t !== null) {
      out.push(
        `<line x1="${RX(t).toFixed(1)}" y1="${ry - 2}" x2="${RX(t).toFixed(1)}" y2="${
          ry + barH + 2
        }" stroke="black" stroke-width="2"/>`,
      );
    }
  });
  const axisY = top + Math.max(ratioRows.length, 1) * (barH + 4) + 4;
  for (const v of [0.5, 1, 2, 5, 10, 20, 50, 100, 200, 500, 1000]) {
    if (Math.log10(v) > hi) break;
    out.push(
      `<line x1="${RX(v)}" y1="${top - 4}" x2="${RX(v)}" y2="${axisY}" stroke="${
        v === 1 ? "#333" : "#ddd"
      }"/>`,
      `<text x="${RX(v)}" y="${axisY + 14}" text-anchor="middle">${v}×</text>`,
    );
  }
  out.push(
    `<text x="${(L + width - R) / 2}" y="${
      axisY + 30
    }" text-anchor="middle">vkshare p50 / C p50 (1× = as fast as C)</text>`,
  );
  y = axisY + 52;

  // The latency panels: one per sized operation that has points.
  // Operations measured at two sizes or more (one point makes no line: it is in the ratio chart).
  const names = [...new Set(r.rows.filter((x) => x.size !== null && x.vkshare).map((x) => x.op))]
    .filter((n) => r.rows.filter((x) => x.op === n && x.vkshare).length > 1);
  const W = 350, H = 230, M = { l: 74, r: 24, t: 30, b: 44 }, cols = 3;
  out.push(
    `<text x="8" y="${y + 16}" font-size="14">warm p50 latency against size (log-log)</text>`,
    `<line x1="340" y1="${y + 12}" x2="370" y2="${y + 12}" stroke="#1f77b4" stroke-width="2"/>`,
    `<text x="374" y="${y + 16}">vkshare</text>`,
    `<line x1="440" y1="${y + 12}" x2="470" y2="${
      y + 12
    }" stroke="#d62728" stroke-width="2" stroke-dasharray="5,4"/>`,
    `<text x="474" y="${y + 16}">C</text>`,
  );
  y += 28;
  names.forEach((name, i) => {
    const pts = r.rows.filter((x) => x.op === name && x.size !== null && x.vkshare);
    const ox = (i % cols) * W, oy = y + Math.floor(i / cols) * H;
    const xs = pts.map((x) => Math.log2(x.size!));
    const ys = pts.flatMap((x) => [x.vkshare!.warm.p50, x.c?.warm.p50 ?? x.vkshare!.warm.p50])
      .map(Math.log10);
    const [x0, x1] = [Math.min(...xs), Math.max(...xs, Math.min(...xs) + 1)];
    const [y0, y1] = [Math.floor(Math.min(...ys)), Math.ceil(Math.max(...ys, Math.min(...ys) + 1))];
    const X = (v: number) => ox + M.l + ((v - x0) / (x1 - x0)) * (W - M.l - M.r);
    const Y = (v: number) => oy + H - M.b - ((v - y0) / (y1 - y0)) * (H - M.t - M.b);
    out.push(
      `<text x="${ox + M.l}" y="${oy + 18}" font-weight="bold">${
        esc(fit(pts[0].title, 36))
      }</text>`,
      `<rect x="${ox + M.l}" y="${oy + M.t}" width="${W - M.l - M.r}" height="${
        H - M.t - M.b
      }" fill="none" stroke="#999"/>`,
      `<text x="${ox + 12}" y="${
        oy + (H - M.b + M.t) / 2
      }" text-anchor="middle" transform="rotate(-90 ${ox + 12} ${
        oy + (H - M.b + M.t) / 2
      })">p50 latency</text>`,
      `<text x="${ox + (W + M.l - M.r) / 2}" y="${oy + H - 8}" text-anchor="middle">size</text>`,
    );
    for (let e = y0; e <= y1; e++) {
      out.push(
        `<text x="${ox + M.l - 4}" y="${Y(e) + 4}" text-anchor="end">${tick(10 ** e)}</text>`,
      );
    }
    // Size labels from the largest down, each at least 48 px from the one after (the rest
    // would touch).
    let lastX = Infinity;
    [...pts].reverse().forEach((x) => {
      const at = X(Math.log2(x.size!));
      if (lastX - at < 48) return;
      lastX = at;
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
  const height = y + Math.max(1, Math.ceil(names.length / cols)) * H + 10;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" font-size="11">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    ...out,
    "</svg>",
  ].join("\n") + "\n";
}

function esc(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}
