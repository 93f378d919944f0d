/**
 * End-to-end load on loopback. The router runs as a child process (bench/router_server.ts: the
 * CLI's default setup with the per-session rate limits lifted, on the runtime under test) next
 * to a bare WebSocket relay (bench/relay_server.ts, same runtime), so their CPU is separate from
 * this process, the load generator. Each RPC shape runs on the relay and on the router in
 * alternating windows of the same run and is reported as a ratio.
 * @module
 */
import { jsonSerializer } from "../src/serializer/json.ts";
import { msgpackSerializer } from "../src/serializer/msgpack.ts";
import type { Serializer } from "../src/serializer/types.ts";
import {
  alternate,
  alternateAll,
  type AlternateOptions,
  busyFields,
  cpuRatios,
  latencyFields,
  type Load,
  othersCorePct,
  perSecond,
  ratioFields,
  roundRatios,
  type Side,
  type Totals,
} from "./_alternate.ts";
import { startServerChild, type ServerChild } from "./_child.ts";
import { CpuMeter, NoiseMeter } from "./_cpu.ts";
import { closedLoop, type LoadResult, paced, type PacedResult, type Phases } from "./_load.ts";
import { type PubSubRig, pubSubRig, relayPubSubRig } from "./_pubsub.ts";
import { type Emit, note } from "./_report.ts";
import { type CallPayload, KIB_PAYLOAD, payloadBytes, relayRig, SMALL_PAYLOAD, wampRig } from "./_rigs.ts";
import { runtime } from "./_runtime.ts";
import { median, round, sig } from "./_stats.ts";

export interface E2eOptions {
  /** Measured time of each scenario (per server where there are two). */
  seconds: number;
}

const SHAPES = [{ callers: 1, inflight: 1 }, { callers: 4, inflight: 16 }] as const;
const FIXED_RATE = 5_000;
const FIXED_CALLERS = 4;
const MAX_OUTSTANDING = 256;
const SUBSCRIBERS = 8;
const PUB_WINDOW = 64;
const PUB_RATE = 2_000;
const WARMUP_MS = 1_000;
/** Windows per server in a throughput scenario: short turns track a machine whose load shifts. */
const ROUNDS = 6;
const LEAD_IN_MS = 100;
/**
 * The CPU-per-call scenarios measure twice as long, in twice as many windows: their figure is
 * the one with a target (<= 1.3x the relay on Bun), and a median of six half-second ratios
 * moved by +-0.2 from run to run on the 2-core VM.
 */
const CPU_TIME_FACTOR = 2;

export async function runE2e(opts: E2eOptions, emit: Emit): Promise<void> {
  note(`e2e on ${runtime}: starting the router and the relay as child processes`);
  const [router, relay] = await Promise.all([
    startServerChild("bench/router_server.ts", []),
    startServerChild("bench/relay_server.ts", []),
  ]);
  const alt: AlternateOptions = { seconds: opts.seconds, rounds: ROUNDS, warmupMs: WARMUP_MS, leadInMs: LEAD_IN_MS };
  try {
    for (const ser of [jsonSerializer, msgpackSerializer]) {
      await rpcShapes(router, relay, ser, alt, emit);
      const cpuAlt = { ...alt, seconds: CPU_TIME_FACTOR * alt.seconds, rounds: CPU_TIME_FACTOR * alt.rounds };
      await routerCpu(router, relay, ser, cpuAlt, emit, SMALL_PAYLOAD);
      await routerCpu(router, relay, ser, cpuAlt, emit, KIB_PAYLOAD);
      await pubSub(router, relay, ser, opts.seconds, emit);
    }
  } finally {
    await Promise.all([router.stop(), relay.stop()]);
  }
}

/** Relay and router rigs with `callers` callers each; closed again after `run`. */
async function withRigs<T>(
  router: ServerChild,
  relay: ServerChild,
  ser: Serializer,
  callers: number,
  run: (relaySide: Side, routerSide: Side) => Promise<T>,
  p: CallPayload = SMALL_PAYLOAD,
): Promise<T> {
  const relayR = await relayRig(relay.url, ser, callers, p);
  const routerR = await wampRig(router.url, ser, callers, p);
  try {
    return await run({ server: relay, rig: relayR }, { server: router, rig: routerR });
  } finally {
    await Promise.all([relayR.close(), routerR.close()]);
  }
}

async function rpcShapes(router: ServerChild, relay: ServerChild, ser: Serializer, alt: AlternateOptions, emit: Emit) {
  for (const { callers, inflight } of SHAPES) {
    note(`rpc ${ser.name} ${callers}x${inflight}: relay and router in turns`);
    const closed: Load<LoadResult> = (rig, phases) => closedLoop(rig.callers, inflight, phases);
    const [base, wamp] = await withRigs(router, relay, ser, callers, (a, b) => alternate(a, b, closed, alt));
    const common = { runtime, serializer: ser.name, callers, inflight };
    const ratios = roundRatios(base, wamp);
    emit({
      bench: "relay",
      ...common,
      round_trips_per_s: round(perSecond(base)),
      ...latencyFields(base),
      ...busyFields(base, "server_cpu_pct"),
    });
    emit({
      bench: "rpc",
      ...common,
      calls_per_s: round(perSecond(wamp)),
      ...latencyFields(wamp),
      ...ratioFields(ratios),
      ...busyFields(wamp, "router_cpu_pct"),
    });
  }
}

async function routerCpu(
  router: ServerChild,
  relay: ServerChild,
  ser: Serializer,
  alt: AlternateOptions,
  emit: Emit,
  p: CallPayload,
) {
  const bytes = payloadBytes(ser, p);
  note(`rpc ${ser.name} at ${FIXED_RATE} calls/s, ${bytes}-byte CALL: relay, minimal dealer and router in turns (CPU per call)`);
  const open: Load<PacedResult> = (rig, phases) => paced(rig.callers, FIXED_RATE, MAX_OUTSTANDING, phases);
  const rigs = [
    await relayRig(relay.url, ser, FIXED_CALLERS, p),
    await relayRig(relay.url, ser, FIXED_CALLERS, p, true),
    await wampRig(router.url, ser, FIXED_CALLERS, p),
  ];
  let totals: Totals<PacedResult>[];
  try {
    totals = await alternateAll([{ server: relay, rig: rigs[0]! }, { server: relay, rig: rigs[1]! }, { server: router, rig: rigs[2]! }], open, alt);
  } finally {
    await Promise.all(rigs.map((r) => r.close()));
  }
  const [base, floor, wamp] = totals as [Totals<PacedResult>, Totals<PacedResult>, Totals<PacedResult>];
  const ratios = cpuRatios(base, wamp);
  const usPerCall = (t: Totals<PacedResult>) => (t.serverCpuS * 1e6) / t.completed;
  emit({
    bench: "rpc_cpu",
    runtime,
    serializer: ser.name,
    callers: FIXED_CALLERS,
    offered_calls_per_s: FIXED_RATE,
    call_bytes: bytes,
    achieved_calls_per_s: round(perSecond(wamp)),
    skipped: wamp.windows.reduce((n, w) => n + w.skipped, 0),
    router_cpu_us_per_call: sig(usPerCall(wamp)),
    relay_cpu_us_per_call: sig(usPerCall(base)),
    ...ratioFields(ratios),
    // The minimal dealer: decode, correlate, encode (bench/_minimal_dealer.ts).
    floor_cpu_us_per_call: sig(usPerCall(floor)),
    floor_ratio_vs_relay: sig(median(cpuRatios(base, floor))),
    ratio_vs_floor: sig(median(cpuRatios(floor, wamp))),
    ...latencyFields(wamp),
    relay_achieved_per_s: round(perSecond(base)),
    relay_p50_ms: sig(base.samples.quantile(0.5)),
    relay_p99_ms: sig(base.samples.quantile(0.99)),
    others_cpu_pct: round(othersCorePct(wamp)),
  });
}

type CpuUse = { cpuSeconds: number; corePct: number };
const UNKNOWN_USE: CpuUse = { cpuSeconds: Number.NaN, corePct: Number.NaN };

async function pubSub(router: ServerChild, relay: ServerChild, ser: Serializer, seconds: number, emit: Emit): Promise<void> {
  note(`pubsub ${ser.name}: 1 publisher, ${SUBSCRIBERS} subscribers, through the router and the relay's fan-out`);
  const rigs = [await pubSubRig(router.url, ser, SUBSCRIBERS), await relayPubSubRig(relay.url, ser, SUBSCRIBERS)] as const;
  /** Runs `run` on the router's rig and then the relay's, metering each server's CPU. */
  const both = async <R>(run: (rig: PubSubRig, phases: Phases) => Promise<R>) => {
    const out: { result: R; server: CpuUse; gen: CpuUse; others: CpuUse }[] = [];
    for (const [rig, server] of [[rigs[0], router], [rigs[1], relay]] as const) {
      const serverCpu = new CpuMeter(server.pid);
      const genCpu = new CpuMeter("self");
      const noise = new NoiseMeter([router.pid, relay.pid, "self"]);
      let used = { server: UNKNOWN_USE, gen: UNKNOWN_USE, others: UNKNOWN_USE };
      const result = await run(rig, {
        warmupMs: WARMUP_MS,
        measureMs: seconds * 1000,
        onMeasureStart() {
          serverCpu.start();
          genCpu.start();
          noise.start();
        },
        onMeasureEnd() {
          used = { server: serverCpu.stop(), gen: genCpu.stop(), others: noise.stop() };
        },
      });
      out.push({ result, ...used });
    }
    return out as [(typeof out)[number], (typeof out)[number]];
  };
  try {
    const common = { runtime, serializer: ser.name, publishers: 1, subscribers: SUBSCRIBERS };
    const [thr, relayThr] = await both((rig, phases) => rig.windowed(PUB_WINDOW, phases));
    const perEvent = (m: { result: { eventsPerS: number }; server: CpuUse }) => (m.server.cpuSeconds * 1e6) / (m.result.eventsPerS * seconds);
    emit({
      bench: "pubsub",
      ...common,
      window: PUB_WINDOW,
      events_per_s: round(thr.result.eventsPerS),
      publications_per_s: round(thr.result.publicationsPerS),
      router_cpu_us_per_event: sig(perEvent(thr)),
      relay_events_per_s: round(relayThr.result.eventsPerS),
      relay_cpu_us_per_event: sig(perEvent(relayThr)),
      // Delivered events/s, and CPU per event, over the relay's (one window each, router first).
      ratio_vs_relay: sig(thr.result.eventsPerS / relayThr.result.eventsPerS),
      cpu_ratio_vs_relay: sig(perEvent(thr) / perEvent(relayThr)),
      router_cpu_pct: round(thr.server.corePct),
      loadgen_cpu_pct: round(thr.gen.corePct),
      others_cpu_pct: round(thr.others.corePct),
    });
    const [lat, relayLat] = await both((rig, phases) => rig.fixedRate(PUB_RATE, phases));
    const perExpected = (m: { result: { expected: number }; server: CpuUse }) => (m.server.cpuSeconds * 1e6) / m.result.expected;
    emit({
      bench: "pubsub_latency",
      ...common,
      publications_per_s: PUB_RATE,
      p50_ms: sig(lat.result.p50Ms),
      p99_ms: sig(lat.result.p99Ms),
      delivered: lat.result.delivered,
      expected: lat.result.expected,
      router_cpu_us_per_event: sig(perExpected(lat)),
      relay_p50_ms: sig(relayLat.result.p50Ms),
      relay_p99_ms: sig(relayLat.result.p99Ms),
      relay_cpu_us_per_event: sig(perExpected(relayLat)),
      cpu_ratio_vs_relay: sig(perExpected(lat) / perExpected(relayLat)),
      router_cpu_pct: round(lat.server.corePct),
      others_cpu_pct: round(lat.others.corePct),
    });
  } finally {
    await Promise.all(rigs.map((r) => r.close()));
  }
}
