/**
 * Measures the same load on two servers (the relay baseline and the router), or more, in alternating
 * windows, A B B A A B, after a warm-up of each: on a noisy machine both then see the same
 * conditions, so their ratio holds even when the absolute figures drift. CPU of each server
 * (from /proc) and of this process is metered over each measured window and summed.
 * @module
 */
import type { ServerChild } from "./_child.ts";
import { CpuMeter, NoiseMeter } from "./_cpu.ts";
import type { LoadResult, Phases } from "./_load.ts";
import type { Rig } from "./_rigs.ts";
import { median, round, Samples, sig } from "./_stats.ts";

export interface Side {
  readonly server: ServerChild;
  readonly rig: Rig;
}

export type Load<R extends LoadResult> = (rig: Rig, phases: Phases) => Promise<R>;

/** One side's figures, pooled over its windows. */
export interface Totals<R extends LoadResult> {
  readonly windows: R[];
  completed: number;
  seconds: number;
  readonly samples: Samples;
  serverCpuS: number;
  /** The server's CPU seconds in each window. */
  readonly serverCpuByWindow: number[];
  genCpuS: number;
  /** CPU used by other processes on the machine during the windows. */
  othersCpuS: number;
}

export interface AlternateOptions {
  /** Total measured time per side, split over `rounds` windows. */
  seconds: number;
  rounds: number;
  warmupMs: number;
  /** Un-measured lead-in of each window (the load reaches its steady state). */
  leadInMs: number;
}

export function perSecond(t: Totals<LoadResult>): number {
  return t.completed / t.seconds;
}

export function serverCorePct(t: Totals<LoadResult>): number {
  return (100 * t.serverCpuS) / t.seconds;
}

export function othersCorePct(t: Totals<LoadResult>): number {
  return (100 * t.othersCpuS) / t.seconds;
}

export function genCorePct(t: Totals<LoadResult>): number {
  return (100 * t.genCpuS) / t.seconds;
}

export async function alternate<R extends LoadResult>(
  a: Side,
  b: Side,
  load: Load<R>,
  opts: AlternateOptions,
): Promise<[Totals<R>, Totals<R>]> {
  const [ta, tb] = await alternateAll([a, b], load, opts);
  return [ta!, tb!];
}

/** As `alternate`, over any number of sides taking turns, each round starting one later: A B C, B C A, C A B, ... */
export async function alternateAll<R extends LoadResult>(
  sides: readonly Side[],
  load: Load<R>,
  opts: AlternateOptions,
): Promise<Totals<R>[]> {
  const fresh = (): Totals<R> => ({
    windows: [],
    completed: 0,
    seconds: 0,
    samples: new Samples(),
    serverCpuS: 0,
    serverCpuByWindow: [],
    genCpuS: 0,
    othersCpuS: 0,
  });
  const totals = sides.map(fresh);
  const pids = [...new Set(sides.map((s) => s.server.pid))];
  for (const side of sides) await load(side.rig, { warmupMs: 0, measureMs: opts.warmupMs });
  const windowMs = (opts.seconds * 1000) / opts.rounds;
  for (let round = 0; round < opts.rounds; round++) {
    // The side to start rotates each round: in a fixed order the side measured right after
    // another read ~4 % more CPU per call (two identical routers, Node, five runs each way).
    for (let k = 0; k < sides.length; k++) {
      const i = (round + k) % sides.length;
      const side = sides[i]!;
      const t = totals[i]!;
      const server = new CpuMeter(side.server.pid);
      const gen = new CpuMeter("self");
      const noise = new NoiseMeter([...pids, "self"]);
      const r = await load(side.rig, {
        warmupMs: opts.leadInMs,
        measureMs: windowMs,
        samples: t.samples,
        onMeasureStart() {
          server.start();
          gen.start();
          noise.start();
        },
        onMeasureEnd() {
          const used = server.stop().cpuSeconds;
          t.serverCpuS += used;
          t.serverCpuByWindow.push(used);
          t.genCpuS += gen.stop().cpuSeconds;
          t.othersCpuS += noise.stop().cpuSeconds;
        },
      });
      t.windows.push(r);
      t.completed += r.completed;
      t.seconds += windowMs / 1000;
    }
  }
  return totals;
}

/** Server CPU per completed request of `b` over that of `a`, round by round. */
export function cpuRatios(a: Totals<LoadResult>, b: Totals<LoadResult>): number[] {
  const per = (t: Totals<LoadResult>, i: number) => t.serverCpuByWindow[i]! / t.windows[i]!.completed;
  return b.windows.map((_, i) => per(b, i) / per(a, i));
}

/** Throughput of `b` over `a`, round by round (window i of each ran back to back). */
export function roundRatios(a: Totals<LoadResult>, b: Totals<LoadResult>): number[] {
  return b.windows.map((w, i) => w.perSecond / a.windows[i]!.perSecond);
}

// --- fields of the JSON lines, shared by the scenarios that alternate ---

/** Latency percentiles of a side's samples. */
export function latencyFields(t: Totals<LoadResult>): { p50_ms: number | null; p99_ms: number | null } {
  return { p50_ms: sig(t.samples.quantile(0.5)), p99_ms: sig(t.samples.quantile(0.99)) };
}

/**
 * The median of per-window ratios against the relay (one window disturbed by a burst elsewhere
 * on the machine does not move it), and their spread.
 */
export function ratioFields(ratios: readonly number[]): { ratio_vs_relay: number | null; ratio_min: number | null; ratio_max: number | null } {
  return { ratio_vs_relay: sig(median(ratios)), ratio_min: sig(Math.min(...ratios)), ratio_max: sig(Math.max(...ratios)) };
}

type BusyFields<K extends string> = Record<K, number | null> & { loadgen_cpu_pct: number | null; others_cpu_pct: number | null };

/** Who was busy during a side's windows, in % of one core: its server, the load generator, the rest. */
export function busyFields<K extends "server_cpu_pct" | "router_cpu_pct">(
  t: Totals<LoadResult>,
  serverKey: K,
): BusyFields<K> {
  return {
    [serverKey]: round(serverCorePct(t)),
    loadgen_cpu_pct: round(genCorePct(t)),
    others_cpu_pct: round(othersCorePct(t)),
    // A computed key widens to `string` in TypeScript; the object has exactly these keys.
  } as BusyFields<K>;
}
