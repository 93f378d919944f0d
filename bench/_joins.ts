/**
 * Session churn: how many sessions a second can come and go. Each cycle opens a WebSocket
 * (`wamp.2.json`), sends HELLO, waits for WELCOME, sends GOODBYE, waits for the router's GOODBYE,
 * closes the socket and waits for the close to complete; `CONCURRENCY` cycles run at once. The
 * baseline does the same on the bare relay's /echo path: connect, the same two frames echoed
 * back one after the other, close. Relay and router alternate in windows of the same run
 * (bench/_alternate.ts), so the ratio holds on a noisy machine.
 * @module
 */
import {
  alternate,
  type AlternateOptions,
  busyFields,
  cpuRatios,
  latencyFields,
  type Load,
  perSecond,
  ratioFields,
  roundRatios,
  type Totals,
} from "./_alternate.ts";
import { startServerChild } from "./_child.ts";
import { closedLoop, type LoadResult, type Requester } from "./_load.ts";
import { type Emit, note } from "./_report.ts";
import type { Rig } from "./_rigs.ts";
import { runtime } from "./_runtime.ts";
import { JSON_HELLO } from "./_ws_client.ts";
import { median, round, sig } from "./_stats.ts";

export interface JoinsOptions {
  /** Measured time per server, split over the alternating windows. */
  seconds: number;
}

/** Cycles in flight at any time. */
const CONCURRENCY = 16;
const ROUNDS = 6;
const WARMUP_MS = 1_000;
const LEAD_IN_MS = 100;
/** A cycle that takes longer than this is given up and counted as an error. */
const CYCLE_MS = 10_000;
const GOODBYE = JSON.stringify([6, {}, "wamp.close.close_realm"]);

interface Errors {
  count: number;
  first: string | undefined;
}

/**
 * One cycle on a fresh socket: `protocols` offered, HELLO sent on open, GOODBYE when the first
 * reply `isFirst`, close when the second reply `isSecond`; `done` once the socket is closed (or
 * the cycle failed, counted in `errors`).
 */
function cycle(
  url: string,
  protocols: string[],
  isFirst: (d: string) => boolean,
  isSecond: (d: string) => boolean,
  errors: Errors,
  done: () => void,
): void {
  const ws = new WebSocket(url, protocols);
  let step = 0;
  let finished = false;
  const finish = (error?: string) => {
    if (finished) return;
    finished = true;
    clearTimeout(timer);
    if (error !== undefined) {
      errors.count++;
      errors.first ??= error;
      ws.onclose = ws.onerror = ws.onmessage = null;
      if (ws.readyState !== WebSocket.CLOSED) ws.close();
    }
    done();
  };
  const timer = setTimeout(() => finish(`cycle not done within ${CYCLE_MS} ms (step ${step})`), CYCLE_MS);
  ws.onopen = () => ws.send(JSON_HELLO);
  ws.onmessage = (e: MessageEvent<string>) => {
    const d = String(e.data);
    if (step === 0 && isFirst(d)) {
      step = 1;
      ws.send(GOODBYE);
    } else if (step === 1 && isSecond(d)) {
      step = 2;
      ws.close(1000);
    } else finish(`unexpected frame at step ${step}: ${d.slice(0, 120)}`);
  };
  ws.onerror = () => finish(`WebSocket error at step ${step}`);
  ws.onclose = (e) => finish(step === 2 ? undefined : `closed (${e.code}) at step ${step}`);
}

/**
 * One requester whose every request is a cycle; closedLoop keeps CONCURRENCY of them in flight.
 * A failed cycle still completes the request (and is counted apart): the run reports it.
 */
function rigOf(request: (done: () => void) => void): Rig {
  const requester: Requester = { request };
  return { callers: [requester], close: async () => {} };
}

export async function runJoins(opts: JoinsOptions, emit: Emit): Promise<void> {
  note(`joins on ${runtime}: connect + HELLO/WELCOME + GOODBYE + close, ${CONCURRENCY} at a time, relay /echo and router in turns`);
  const [router, relay] = await Promise.all([
    startServerChild("bench/router_server.ts", []),
    startServerChild("bench/relay_server.ts", []),
  ]);
  try {
    const routerErrors: Errors = { count: 0, first: undefined };
    const relayErrors: Errors = { count: 0, first: undefined };
    const echoUrl = new URL("echo", relay.url).href;
    const routerRig = rigOf((done) =>
      cycle(router.url, ["wamp.2.json"], (d) => d.startsWith("[2,"), (d) => d.startsWith("[6,"), routerErrors, done)
    );
    const relayRig = rigOf((done) => cycle(echoUrl, [], (d) => d === JSON_HELLO, (d) => d === GOODBYE, relayErrors, done));
    const alt: AlternateOptions = { seconds: opts.seconds, rounds: ROUNDS, warmupMs: WARMUP_MS, leadInMs: LEAD_IN_MS };
    const load: Load<LoadResult> = (rig, phases) => closedLoop(rig.callers, CONCURRENCY, phases);
    const [base, wamp] = await alternate({ server: relay, rig: relayRig }, { server: router, rig: routerRig }, load, alt);
    const ratios = roundRatios(base, wamp);
    const cpu = cpuRatios(base, wamp);
    const usPer = (t: Totals<LoadResult>) => (t.serverCpuS * 1e6) / t.completed;
    const common = { runtime, serializer: "json", concurrency: CONCURRENCY };
    if (relayErrors.count > 0) note(`joins: ${relayErrors.count} relay cycles failed (first: ${relayErrors.first})`);
    if (routerErrors.count > 0) note(`joins: ${routerErrors.count} router cycles failed (first: ${routerErrors.first})`);
    emit({
      bench: "relay_connect",
      ...common,
      connects_per_s: round(perSecond(base)),
      ...latencyFields(base),
      relay_cpu_us_per_connect: sig(usPer(base)),
      errors: relayErrors.count,
      ...busyFields(base, "server_cpu_pct"),
    });
    emit({
      bench: "joins",
      ...common,
      joins_per_s: round(perSecond(wamp)),
      ...latencyFields(wamp),
      ...ratioFields(ratios),
      router_cpu_us_per_join: sig(usPer(wamp)),
      cpu_ratio_vs_relay: sig(median(cpu)),
      errors: routerErrors.count,
      ...busyFields(wamp, "router_cpu_pct"),
    });
  } finally {
    await Promise.all([router.stop(), relay.stop()]);
  }
}
