/**
 * Micro-benchmarks (tinybench, in process): serializer encode/decode, message validation, and
 * the router core driven in memory. Each task runs BATCH operations per sample so the timer's
 * own cost stays small; figures are per operation, and `x_baseline` compares each to
 * `JSON.parse(JSON.stringify(CALL))` measured in the same run.
 * @module
 */
import { Bench } from "tinybench";
import { cborSerializer } from "../src/serializer/cbor.ts";
import { jsonSerializer } from "../src/serializer/json.ts";
import { msgpackSerializer } from "../src/serializer/msgpack.ts";
import { validateClientMessage } from "../src/wamp/validate.ts";
import { CALL, checkRigs, EVENT_1K, fanOutRig, rpcRig } from "./_micro_fixtures.ts";
import { type Emit, note } from "./_report.ts";
import { runtime } from "./_runtime.ts";
import { round, sig } from "./_stats.ts";

export interface MicroOptions {
  /** Time budget per task in ms. */
  taskMs: number;
}

const BATCH = 50;
const BASELINE = "baseline JSON.parse(JSON.stringify(CALL))";

/** Keeps results alive so no engine can drop the work as dead code. */
let sink: unknown;

function batched(op: () => unknown): () => void {
  return () => {
    for (let i = 0; i < BATCH; i++) sink = op();
  };
}

export function runMicro(opts: MicroOptions, emit: Emit): void {
  checkRigs();
  const bench = new Bench({ time: opts.taskMs, warmupTime: Math.min(100, opts.taskMs), iterations: 10 });
  bench.add(BASELINE, batched(() => JSON.parse(JSON.stringify(CALL))));
  for (const ser of [jsonSerializer, msgpackSerializer, cborSerializer]) {
    const call = ser.encode(CALL);
    const event = ser.encode(EVENT_1K);
    bench.add(`encode CALL ${ser.name}`, batched(() => ser.encode(CALL)));
    bench.add(`decode CALL ${ser.name}`, batched(() => ser.decode(call)));
    const decodeMessage = ser.decodeMessage;
    if (decodeMessage) {
      // What the router does with a received CALL: the payload may stay encoded, and goes out
      // again in an INVOCATION as it came.
      const received = decodeMessage(call) as unknown[];
      const invocation = [68, 1234567, 7654321, {}, ...received.slice(4)];
      bench.add(`decodeMessage CALL ${ser.name}`, batched(() => decodeMessage(call)));
      bench.add(`encode INVOCATION from it ${ser.name}`, batched(() => ser.encode(invocation)));
    }
    bench.add(`encode EVENT 1KiB ${ser.name}`, batched(() => ser.encode(EVENT_1K)));
    bench.add(`decode EVENT 1KiB ${ser.name}`, batched(() => ser.decode(event)));
  }
  bench.add("validateClientMessage CALL", batched(() => validateClientMessage(CALL)));
  const rpc = rpcRig();
  bench.add("router in-memory RPC round trip", batched(() => rpc.roundTrip()));
  const fan = fanOutRig(8);
  bench.add("router in-memory PUBLISH to 8 subscribers", batched(() => fan.publish()));

  note(`micro on ${runtime}: ${bench.tasks.length} tasks, ~${opts.taskMs} ms each`);
  bench.runSync();
  const nsPerOp = new Map<string, number>();
  for (const task of bench.tasks) {
    const r = task.result;
    if (r.state !== "completed") throw new Error(`${task.name}: ${r.state === "errored" ? r.error.message : r.state}`);
    nsPerOp.set(task.name, (r.latency.mean * 1e6) / BATCH);
  }
  const base = nsPerOp.get(BASELINE)!;
  for (const task of bench.tasks) {
    const r = task.result;
    if (r.state !== "completed") continue;
    const ns = nsPerOp.get(task.name)!;
    emit({
      bench: "micro",
      runtime,
      task: task.name,
      ns_per_op: sig(ns),
      ops_per_s: round(1e9 / ns),
      rme_pct: sig(r.latency.rme, 2),
      x_baseline: sig(ns / base),
    });
  }
  void sink;
}
