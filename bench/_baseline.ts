/**
 * Run-over-run comparison: `--save FILE` keeps a run's comparable figures, `--compare FILE`
 * checks a later run against them.
 *
 * Only the ratios against a baseline server are judged (`ratio_vs_relay`, `cpu_ratio_vs_relay`,
 * and rpc_cpu's `ratio_vs_floor` against the minimal dealer): baseline and router are measured
 * in alternating windows of the same run, so these hold on a noisy machine where absolute
 * figures move by 2x. `bytes_per_idle_session` (absolute) and micro's
 * `x_baseline` (tasks timed one after the other, not alternated) are kept and shown, but only
 * for information. A ratio is a regression when it got worse by
 * more than the tolerance (in %, relative to the saved value); which way is worse depends on the
 * figure: throughput ratios (calls/s, joins/s) are worse when lower, cost ratios (CPU, memory)
 * when higher.
 * @module
 */
import { readFileSync, writeFileSync, mkdirSync } from "node:fs";
import { dirname } from "node:path";
import type { Line } from "./_report.ts";

/** Keys: `bench|runtime|serializer|shape|figure` (empty parts stay empty). */
export interface Baseline {
  readonly version: 1;
  readonly runtime: string;
  readonly date: string;
  readonly args: readonly string[];
  readonly figures: Record<string, number>;
}

type Direction = "higher_better" | "lower_better" | "info";

const FIGURES = ["ratio_vs_relay", "cpu_ratio_vs_relay", "ratio_vs_floor", "x_baseline", "bytes_per_idle_session"] as const;

/** Which way a figure of a bench is better; "info": shown, never a regression. */
function direction(bench: string, figure: string): Direction {
  // Absolute memory; and micro's ratios, whose tasks run one after the other rather than in
  // alternating windows, so a burst of other work during one task moves its ratio by 2x.
  if (figure === "bytes_per_idle_session" || figure === "x_baseline") return "info";
  if (figure === "ratio_vs_relay" && (bench === "rpc" || bench === "joins" || bench === "pubsub")) return "higher_better";
  // rpc_cpu and idle_memory ratios, cpu_ratio_vs_relay, ratio_vs_floor: cost, lower is better.
  return "lower_better";
}

/** What distinguishes lines of the same bench within a run. */
function shape(l: Line): string {
  switch (l.bench) {
    case "micro":
      return String(l.task);
    case "rpc":
    case "relay":
      return `${l.callers}x${l.inflight}`;
    case "rpc_cpu":
      // Lines from before call_bytes existed were all small calls.
      return l.call_bytes !== undefined && Number(l.call_bytes) >= 512
        ? `${l.callers}@${l.offered_calls_per_s}/s,${l.call_bytes}B`
        : `${l.callers}@${l.offered_calls_per_s}/s`;
    case "pubsub":
    case "pubsub_latency":
      return `1->${l.subscribers}`;
    case "joins":
    case "relay_connect":
      return `c${l.concurrency}`;
    default:
      return "";
  }
}

/** The comparable figures of a run, keyed as in `Baseline.figures`; non-finite values are left out. */
export function figuresOf(lines: readonly Line[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const l of lines) {
    for (const f of FIGURES) {
      const v = l[f];
      if (typeof v !== "number" || !Number.isFinite(v)) continue;
      if (f === "x_baseline" && v === 1 && l.bench === "micro" && String(l.task).startsWith("baseline")) continue;
      const key = [l.bench, String(l.runtime ?? ""), l.serializer === undefined ? "" : String(l.serializer), shape(l), f].join("|");
      out[key] = v;
    }
  }
  return out;
}

export function saveBaseline(file: string, lines: readonly Line[], runtime: string, args: readonly string[]): number {
  const figures = figuresOf(lines);
  const sorted = Object.fromEntries(Object.entries(figures).sort(([a], [b]) => a.localeCompare(b)));
  const data: Baseline = { version: 1, runtime, date: new Date().toISOString(), args, figures: sorted };
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, JSON.stringify(data, null, 2) + "\n");
  return Object.keys(sorted).length;
}

/** Reads and checks a saved baseline; throws with a readable message when it is not one. */
export function loadBaseline(file: string): Baseline {
  const data = JSON.parse(readFileSync(file, "utf8")) as Partial<Baseline>;
  if (data.version !== 1 || typeof data.figures !== "object" || data.figures === null) {
    throw new Error(`${file}: not a bench baseline (expected {"version": 1, "figures": {...}})`);
  }
  for (const [k, v] of Object.entries(data.figures)) {
    if (typeof v !== "number" || k.split("|").length !== 5) throw new Error(`${file}: bad figure ${JSON.stringify(k)}: ${JSON.stringify(v)}`);
  }
  return data as Baseline;
}

export interface Comparison {
  readonly table: string;
  readonly regressions: number;
  readonly compared: number;
}

function fmt(v: number | undefined): string {
  return v === undefined ? "-" : v.toLocaleString("en-US", { maximumSignificantDigits: 4, useGrouping: false });
}

/**
 * Old vs new for every figure in either; `tolerancePct`: how much worse (relative to the old
 * value) a ratio may get before it counts as a regression. Figures only in one side (e.g. a
 * run with `--only`) are listed but not judged.
 */
export function compare(base: Baseline, lines: readonly Line[], tolerancePct: number): Comparison {
  const now = figuresOf(lines);
  const keys = [...new Set([...Object.keys(base.figures), ...Object.keys(now)])].sort((a, b) => a.localeCompare(b));
  const rows = [["bench", "runtime", "serializer", "shape", "figure", "old", "new", "change", "verdict"]];
  let regressions = 0;
  let compared = 0;
  for (const key of keys) {
    const [bench, runtime, ser, shp, figure] = key.split("|") as [string, string, string, string, string];
    const old = base.figures[key];
    const cur = now[key];
    let change = "";
    let verdict: string;
    if (old === undefined) verdict = "new";
    else if (cur === undefined) verdict = "not run";
    else {
      const dir = direction(bench, figure);
      const pct = old === 0 ? 0 : ((cur - old) / Math.abs(old)) * 100;
      change = `${pct >= 0 ? "+" : ""}${pct.toFixed(1)}%`;
      const worse = dir === "higher_better" ? -pct : pct;
      if (dir === "info") verdict = "info";
      else {
        compared++;
        if (worse > tolerancePct) {
          verdict = "REGRESSION";
          regressions++;
        } else verdict = worse < -tolerancePct ? "better" : "ok";
      }
    }
    rows.push([bench, runtime, ser, shp, figure, fmt(old), fmt(cur), change, verdict]);
  }
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  const numeric = new Set([5, 6, 7]);
  const table = rows.map((r) => r.map((cell, c) => (numeric.has(c) ? cell.padStart(widths[c]!) : cell.padEnd(widths[c]!))).join("  ").trimEnd()).join("\n");
  return { table, regressions, compared };
}
