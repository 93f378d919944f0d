/**
 * The live fuzzer's worker: connect, join, send a run of fuzzed frames, close, again, until
 * the combination's frame budget is spent. Frames go out back to back (with a pause for
 * backpressure and to let answers in), so most of a connection's frames reach the router
 * after a valid HELLO; the router closing the connection (on every violation) starts the next.
 * @module
 */
import { setImmediate as tick } from "node:timers/promises";
import type { Serializer } from "../../src/serializer/types.ts";
import type { FrameKind, FrameSource } from "./_live_frames.ts";
import { openLiveConn, type Transport } from "./_live_conn.ts";
import type { Pools } from "./_refs.ts";
import { ConnModel } from "./_session_model.ts";

export interface ComboStats {
  readonly transport: Transport;
  readonly serializer: string;
  frames: number;
  readonly kinds: Record<FrameKind, number>;
  connections: number;
  welcomed: number;
  openFailures: number;
  helloFailures: number;
  received: number;
  readonly aborts: Record<string, number>;
  anomalies: number;
  readonly anomalySamples: string[];
}

export function comboStats(transport: Transport, serializer: string): ComboStats {
  return {
    transport,
    serializer,
    frames: 0,
    kinds: { request: 0, malformed: 0, hostile: 0, option: 0, mutated: 0 },
    connections: 0,
    welcomed: 0,
    openFailures: 0,
    helloFailures: 0,
    received: 0,
    aborts: {},
    anomalies: 0,
    anomalySamples: [],
  };
}

export interface WorkerContext {
  readonly transport: Transport;
  readonly ser: Serializer;
  readonly source: FrameSource;
  readonly stats: ComboStats;
  readonly pools: Pools;
  /** Frames this combination may still send; the worker stops at 0. */
  readonly count: number;
  target(): { wsUrl: string; rawSocketPort: number };
  /** True when the fuzz must stop now (router dead and not restarted, deadline, ...). */
  stopped(): boolean;
  /** Called per frame sent (drives the periodic health checks). */
  onFrame(): void;
}

const ROLES = {
  publisher: { features: { publisher_exclusion: true, payload_passthru_mode: true } },
  subscriber: { features: { pattern_based_subscription: true } },
  caller: { features: { progressive_call_results: true, call_canceling: true, call_timeout: true } },
  callee: { features: { progressive_call_results: true, call_canceling: true, registration_revocation: true } },
};
const MAX_BUFFERED = 1 << 20;
const WELCOME_MS = 10_000;

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

function note(stats: ComboStats, what: string): void {
  stats.anomalies++;
  if (stats.anomalySamples.length < 10 && !stats.anomalySamples.includes(what)) stats.anomalySamples.push(what);
}

export async function fuzzWorker(ctx: WorkerContext): Promise<void> {
  const { stats, source, pools } = ctx;
  let failuresInARow = 0;
  while (!ctx.stopped() && stats.frames < ctx.count) {
    const model = new ConnModel();
    let welcomed: (() => void) | undefined;
    const welcome = new Promise<void>((r) => (welcomed = r));
    let conn;
    try {
      conn = await openLiveConn(ctx.transport, ctx.target(), ctx.ser, {
        message(m) {
          stats.received++;
          switch (m[0]) {
            case 2:
              model.joined(m[1] as number, "realm1");
              pools.session.push(m[1] as number);
              welcomed?.();
              return;
            case 3: {
              const reason = String(m[2]);
              stats.aborts[reason] = (stats.aborts[reason] ?? 0) + 1;
              welcomed?.();
              return;
            }
            case 17:
              if (pools.pub.length < 1_000) pools.pub.push(m[2] as number);
              return;
            case 33:
              if (pools.sub.length < 1_000) pools.sub.push(m[2] as number);
              return;
            case 65:
              if (pools.reg.length < 1_000) pools.reg.push(m[2] as number);
              return;
            case 68:
              model.invocations.push(m[1] as number);
              return;
          }
        },
        anomaly: (what) => note(stats, what),
      });
    } catch {
      stats.openFailures++;
      failuresInARow++;
      // The router may be restarting (or gone): back off, bounded.
      await sleep(Math.min(1_000, 10 * failuresInARow));
      continue;
    }
    failuresInARow = 0;
    stats.connections++;
    if (pools.session.length > 1_000) pools.session.splice(0, 500);
    conn.send(ctx.ser.encode([1, "realm1", { roles: ROLES }]));
    const timedOut = await Promise.race([welcome.then(() => false), conn.waitClosed(WELCOME_MS).then(() => true)]);
    if (timedOut || model.phase !== "joined") {
      stats.helloFailures++;
      await conn.close();
      continue;
    }
    stats.welcomed++;
    const frames = 1 + source.int(48);
    for (let i = 0; i < frames && !conn.closed && stats.frames < ctx.count && !ctx.stopped(); i++) {
      const next = source.next(model, pools);
      if (!next) continue;
      conn.send(next.frame);
      stats.frames++;
      stats.kinds[next.kind]++;
      ctx.onFrame();
      if (i % 4 === 3) await tick(); // let answers in: ids for later references
      for (let waited = 0; conn.buffered > MAX_BUFFERED && waited < 5_000 && !conn.closed; waited += 5) await sleep(5);
    }
    // Give the router a moment to answer the last frames (an ABORT is counted, then closed).
    await conn.waitClosed(source.int(4) === 0 ? 20 : 0);
    await conn.close();
  }
}
