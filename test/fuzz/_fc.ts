/**
 * fast-check settings shared by the fuzz properties: a fixed seed (so every run of the suite
 * replays the same cases), a run count sized for a budget of about 2 s per property on a
 * 2-core machine, and a wall-clock cap as a guard. Environment overrides for longer or
 * replayed runs:
 *
 * - `FUZZ_SEED=<int>`: another seed; `FUZZ_PATH=<path>` (with the seed of a failure) replays
 *   exactly the shrunk counterexample fast-check printed.
 * - `FUZZ_RUNS=<factor>`: multiplies every property's run count (e.g. 50 for a soak).
 * - `FUZZ_TIME_MS=<ms>`: a wall-clock cap per property, shrinking included (default: none;
 *   the run counts are what keeps each property near its budget).
 *
 * On failure fast-check's message names the seed and path; `check` adds the replay line.
 * @module
 */
import process from "node:process";
import fc from "fast-check";

export const DEFAULT_SEED = 0x5eed_f022;

function envNumber(name: string): number | undefined {
  const raw = process.env[name];
  if (raw === undefined || raw === "") return undefined;
  const n = Number(raw);
  if (!Number.isFinite(n)) throw new Error(`${name} must be a number, found "${raw}"`);
  return n;
}

export interface FuzzBudget {
  /** Runs at the default scale (FUZZ_RUNS multiplies it). */
  readonly numRuns: number;
  /** A seed of its own, so properties do not all walk the same random stream. */
  readonly seed?: number;
}

/** fast-check parameters for one property. */
export function fuzzParameters<T>(budget: FuzzBudget): fc.Parameters<T> {
  const seed = envNumber("FUZZ_SEED") ?? budget.seed ?? DEFAULT_SEED;
  const scale = envNumber("FUZZ_RUNS") ?? 1;
  const timeMs = envNumber("FUZZ_TIME_MS") ?? 0;
  const path = process.env["FUZZ_PATH"];
  return {
    seed,
    numRuns: Math.max(1, Math.round(budget.numRuns * scale)),
    ...(path ? { path } : {}),
    // Interrupted runs pass or fail on the cases they ran.
    ...(timeMs > 0 ? { interruptAfterTimeLimit: timeMs, markInterruptAsFailure: false } : {}),
  };
}

function report<Ts>(details: fc.RunDetails<Ts>): string {
  const error = details.errorInstance instanceof Error ? details.errorInstance.message : String(details.errorInstance);
  return `${fc.defaultReportMessage(details)}\nreplay: FUZZ_SEED=${details.seed} FUZZ_PATH=${details.counterexamplePath}\n` +
    `--- failure of the shrunk counterexample ---\n${error}`;
}

/** Runs a property; on failure throws fast-check's report plus the line that replays it. */
export function check<Ts extends [unknown, ...unknown[]]>(
  property: fc.IProperty<Ts>,
  budget: FuzzBudget,
): void {
  const details = fc.check(property, fuzzParameters<Ts>(budget));
  if (!details.failed) return;
  throw new Error(report(details));
}

/** As `check`, for async properties. */
export async function checkAsync<Ts extends [unknown, ...unknown[]]>(
  property: fc.IAsyncProperty<Ts>,
  budget: FuzzBudget,
): Promise<void> {
  const details = await fc.check(property, fuzzParameters<Ts>(budget));
  if (!details.failed) return;
  throw new Error(report(details));
}
