/**
 * Fuzzing the session state machine through the router: random sequences of well-formed and
 * malformed WAMP messages, raw frames, batches, disconnects and passing time from several
 * clients at once (see _session_run.ts for every rule checked after each step). Two mixes:
 * chaos (everything, sessions die young) and deep (mostly valid traffic, so calls, progressive
 * results, cancels, subscriptions and testaments build up before something goes wrong).
 */
import process from "node:process";
import fc from "fast-check";
import { test } from "../_support/harness.ts";
import { checkAsync } from "./_fc.ts";
import { fuzzStats, PROTOCOLS, SessionFuzzRun } from "./_session_run.ts";
import { CHAOS, DEEP, type Scenario, scenarioArb } from "./_steps.ts";

async function play(s: Scenario): Promise<void> {
  const run = new SessionFuzzRun(s.seed);
  try {
    await run.setUp();
    for (const j of s.joined) await run.openJoined(PROTOCOLS[j.protocol]!, j.features);
    for (const st of s.steps) await run.run(st);
    await run.finish();
  } finally {
    run.dispose();
  }
}

function printStats(): void {
  if (!process.env["FUZZ_STATS"]) return;
  console.log([...fuzzStats].sort((a, b) => b[1] - a[1]).map(([k, v]) => `${v}\t${k}`).join("\n"));
  fuzzStats.clear();
}

test("fuzz session (chaos): no exception escapes, violations get one ABORT then a close, bystanders keep working, no state is left", async () => {
  await checkAsync(fc.asyncProperty(scenarioArb(CHAOS, 40), play), { numRuns: 200, seed: 21 });
  printStats();
});

test("fuzz session (deep): long-lived fuzzed sessions keep to the same rules", async () => {
  await checkAsync(fc.asyncProperty(scenarioArb(DEEP, 60), play), { numRuns: 250, seed: 22 });
  printStats();
});
