/**
 * `npm run bench` (Bun), `node bench/run.ts`, `deno run -A bench/run.ts`: micro-benchmarks, then
 * end-to-end load, then sessions (memory per idle session, joins per second), for the runtime
 * running this file. JSON lines on stdout, then a summary.
 *
 * Flags: `--only micro|e2e|sessions`, `--seconds N` (measured window of each end-to-end
 * scenario, default 3; micro tasks get N x 100 ms each), `--sessions N` (idle sessions held
 * open for the memory figure, default 10,000), `--save FILE` (write the run's comparable
 * figures, bench/_baseline.ts), `--compare FILE` (after the run, compare them with a saved file;
 * exit 1 on a regression), `--tolerance PCT` (how much worse a ratio may get, default 15).
 * @module
 */
import process from "node:process";
import { runE2e } from "./e2e.ts";
import { runIdleMemory } from "./_idle_memory.ts";
import { runJoins } from "./_joins.ts";
import { runMicro } from "./micro.ts";
import { type Line, note, printLine } from "./_report.ts";
import { runtimeVersion } from "./_runtime.ts";
import { summary } from "./_summary.ts";
import { type Baseline, compare, loadBaseline, saveBaseline } from "./_baseline.ts";

type Part = "micro" | "e2e" | "sessions";

interface Options {
  only: Part | undefined;
  seconds: number;
  sessions: number;
  save: string | undefined;
  compare: string | undefined;
  tolerance: number;
}

/** How long the idle sessions sit before the memory reading. */
const IDLE_MS = 3_000;

function parse(argv: readonly string[]): Options | string {
  const opts: Options = { only: undefined, seconds: 3, sessions: 10_000, save: undefined, compare: undefined, tolerance: 15 };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const [flag, inline] = arg.split("=", 2) as [string, string | undefined];
    const value = inline ?? argv[++i];
    if (flag === "--only" && (value === "micro" || value === "e2e" || value === "sessions")) opts.only = value;
    else if (flag === "--seconds" && value !== undefined && Number(value) > 0 && Number(value) <= 600) opts.seconds = Number(value);
    else if (flag === "--sessions" && value !== undefined && Number.isInteger(Number(value)) && Number(value) >= 100 && Number(value) <= 100_000) {
      opts.sessions = Number(value);
    } else if (flag === "--save" && value) opts.save = value;
    else if (flag === "--compare" && value) opts.compare = value;
    else if (flag === "--tolerance" && value !== undefined && value !== "" && Number(value) >= 0 && Number(value) <= 1000) opts.tolerance = Number(value);
    else {
      return `usage: bench/run.ts [--only micro|e2e|sessions] [--seconds N (0 < N <= 600)] [--sessions N (100..100000)] [--save FILE] [--compare FILE] [--tolerance PCT (default 15)]; bad argument: ${arg}`;
    }
  }
  return opts;
}

const argv = (globalThis as { Deno?: { args: string[] } }).Deno?.args ?? process.argv.slice(2);
const opts = parse(argv);
if (typeof opts === "string") {
  process.stderr.write(opts + "\n");
  process.exit(2);
}

// Load the baseline first: a bad file should fail now, not after minutes of benchmarks.
let baseline: Baseline | undefined;
if (opts.compare !== undefined) {
  try {
    baseline = loadBaseline(opts.compare);
  } catch (err) {
    process.stderr.write(`--compare: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(2);
  }
}

const lines: Line[] = [];
const emit = (line: Line) => {
  lines.push(line);
  printLine(line);
};

note(`junction benchmarks on ${runtimeVersion()}, ${new Date().toISOString()}`);
let code = 0;
try {
  const runs = (part: Part) => opts.only === undefined || opts.only === part;
  if (runs("micro")) runMicro({ taskMs: opts.seconds * 100 }, emit);
  if (runs("e2e")) await runE2e({ seconds: opts.seconds }, emit);
  if (runs("sessions")) {
    await runIdleMemory({ sessions: opts.sessions, idleMs: IDLE_MS }, emit);
    await runJoins({ seconds: opts.seconds }, emit);
  }
} catch (err) {
  process.stderr.write(`bench failed: ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
  code = 1;
}
process.stdout.write("\n" + summary(lines) + "\n");
if (opts.save !== undefined) {
  if (code !== 0) note(`not saving ${opts.save}: the run failed`);
  else note(`saved ${saveBaseline(opts.save, lines, runtimeVersion(), argv)} figures to ${opts.save}`);
}
if (baseline !== undefined) {
  const result = compare(baseline, lines, opts.tolerance);
  process.stdout.write(`\nCompared with ${opts.compare} (${baseline.runtime}, ${baseline.date}); regression: a ratio worse by more than ${opts.tolerance}%\n`);
  process.stdout.write(result.table + "\n");
  process.stdout.write(`${result.regressions} regression(s) in ${result.compared} compared ratios\n`);
  if (result.regressions > 0) code = 1;
}
// Sockets and children are closed by now; exiting here also ends any straggling timer.
process.exit(code);
