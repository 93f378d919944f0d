/**
 * The rules every step's output is held to, per connection: well-formed router messages, at
 * most one ABORT (last, with a spec-named reason, then a close), no close without ABORT except
 * where the spec allows one, and the acting client's expectation (_session_model.ts).
 * @module
 */
import type { FuzzConn } from "./_fuzz_conn.ts";
import { E_PV, type Expect, GOODBYE_AND_OUT, isAllowedAbortReason, type Phase } from "./_session_model.ts";
import { routerMessageProblem } from "./_shapes.ts";
import { show } from "./_show.ts";

export interface StepContext {
  /** The step let time pass (timers fired). */
  readonly timePassed: boolean;
  /** The acting client sent a valid ABORT (a close without reply is then allowed). */
  readonly clientAborted: boolean;
}

/**
 * Why `fresh` (what `conn` got in this step) breaks the rules, or undefined. `expect` is the
 * acting client's expectation; undefined for bystanders.
 */
export function outputProblem(
  conn: FuzzConn,
  fresh: readonly unknown[][],
  phaseBefore: Phase,
  expect: Expect | undefined,
  { timePassed, clientAborted }: StepContext,
): string | undefined {
  const where = `conn ${conn.id} (${conn.protocol}, was ${phaseBefore})`;
  for (const m of fresh) {
    const problem = routerMessageProblem(m);
    if (problem) return `${where}: the router sent a malformed message (${problem}): ${show(m)}`;
  }
  const aborts = fresh.filter((m) => m[0] === 3);
  if (aborts.length > 1) return `${where}: ${aborts.length} ABORTs: ${show(fresh)}`;
  if (aborts.length === 1) {
    if (fresh[fresh.length - 1]![0] !== 3) return `${where}: the router sent messages after ABORT: ${show(fresh)}`;
    if (!isAllowedAbortReason(aborts[0]![2])) return `${where}: ABORT with reason ${show(aborts[0]![2])}`;
    if (!conn.closedByRouter) return `${where}: ABORT without closing the transport`;
  }
  const silentlyClosed = conn.closedByRouter && phaseBefore !== "over" && aborts.length === 0;
  if (expect === undefined) {
    // A bystander: only time may end its session (HELLO timeout, the grace after a kill).
    if (aborts.length > 0 && !timePassed) return `${where}: a bystander got ABORT: ${show(aborts[0])}`;
    if (silentlyClosed && !(timePassed && (phaseBefore === "new" || phaseBefore === "killed"))) {
      return `${where}: the transport of a bystander was closed`;
    }
    return undefined;
  }
  const got = `got ${show(fresh)}, open=${conn.open}`;
  const isAbort = (m: unknown[] | undefined, reason?: string) =>
    m !== undefined && m[0] === 3 && (reason === undefined || m[2] === reason);
  const violation = fresh.length === 1 && isAbort(fresh[0], E_PV) && conn.closedByRouter;
  const quiet = fresh.length === 0 && conn.open;
  switch (expect) {
    case "violation":
      return violation ? undefined : `${where}: expected exactly one ABORT ${E_PV} and a close, ${got}`;
    case "violation-or-nothing":
      return violation || quiet ? undefined : `${where}: expected ABORT ${E_PV} or nothing, ${got}`;
    case "silent-close":
      return fresh.length === 0 && conn.closedByRouter ? undefined : `${where}: expected a close without reply, ${got}`;
    case "welcome":
      return fresh.length === 1 && fresh[0]![0] === 2 && conn.open ? undefined : `${where}: expected WELCOME, ${got}`;
    case "hello-refused":
      return fresh.length === 1 && isAbort(fresh[0]) && conn.closedByRouter ? undefined : `${where}: expected ABORT for the HELLO, ${got}`;
    case "goodbye": {
      const g = fresh[0];
      if (!g || g[0] !== 6 || g[2] !== GOODBYE_AND_OUT || !conn.open) return `${where}: expected GOODBYE ${GOODBYE_AND_OUT}, ${got}`;
      if (fresh.length > 1) return `${where}: messages after the GOODBYE reply, in a closed session: ${show(fresh.slice(1))}`;
      return undefined;
    }
    case "ignored":
      return phaseBefore === "over" || quiet ? undefined : `${where}: expected no reply, ${got}`;
    case "no-abort":
      return aborts.length > 0 || silentlyClosed ? `${where}: a valid message ended the session: ${show(fresh)}` : undefined;
    case "any":
      // Only a client ABORT (or GOODBYE/ABORT after the router's GOODBYE) closes without a reply.
      return silentlyClosed && !clientAborted && phaseBefore !== "killed" ? `${where}: the transport was closed without ABORT` : undefined;
  }
}
