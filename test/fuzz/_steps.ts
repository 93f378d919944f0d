/**
 * Arbitrary steps for the session fuzzer (_session_run.ts).
 * @module
 */
import fc from "fast-check";
import { benign, FEATURES, hostile } from "./_messages.ts";
import { mutations } from "./_mutate.ts";
import { PROTOCOLS, type RawFrame, type Step } from "./_session_run.ts";

const connIndex = fc.nat(7);

const rawFrame: fc.Arbitrary<RawFrame> = fc.oneof(
  { arbitrary: fc.record({ kind: fc.constant("mutated" as const), message: benign.wellFormedMessage, mutations }), weight: 4 },
  { arbitrary: fc.record({ kind: fc.constant("bytes" as const), bytes: fc.uint8Array({ maxLength: 40 }).map((b) => new Uint8Array(b)) }), weight: 1 },
  { arbitrary: fc.record({ kind: fc.constant("text" as const), text: fc.string({ unit: "binary", maxLength: 40 }) }), weight: 1 },
);

/** Relative weights of the kinds of step. */
export interface StepMix {
  readonly wellFormed: number;
  /** Well-formed requests with few blind YIELD/ERROR, and answers to real INVOCATIONs. */
  readonly request: number;
  readonly answer: number;
  readonly benign: number;
  readonly hostile: number;
  readonly raw: number;
  readonly batch: number;
  readonly drop: number;
  readonly open: number;
  readonly advance: number;
}

/** Everything, often: sessions live a few steps. */
export const CHAOS: StepMix = { wellFormed: 20, request: 0, answer: 2, benign: 30, hostile: 10, raw: 8, batch: 4, drop: 3, open: 4, advance: 4 };
/** Mostly well-formed traffic, so sessions live long enough to build state (calls in flight, subscriptions). */
export const DEEP: StepMix = { wellFormed: 5, request: 70, answer: 12, benign: 4, hostile: 3, raw: 2, batch: 3, drop: 1, open: 3, advance: 3 };

export function stepArb(mix: StepMix): fc.Arbitrary<Step> {
  const send = (message: fc.Arbitrary<unknown>) => fc.record({ kind: fc.constant("send" as const), conn: connIndex, message });
  return fc.oneof(
    { arbitrary: send(benign.wellFormedMessage), weight: mix.wellFormed },
    { arbitrary: send(benign.request), weight: mix.request },
    {
      arbitrary: fc.record({
        kind: fc.constant("answer" as const),
        conn: connIndex,
        k: fc.nat(9),
        how: fc.constantFrom("yield" as const, "yield" as const, "progress" as const, "error" as const),
        payload: fc.array(fc.oneof(fc.string({ maxLength: 4 }), fc.integer()), { maxLength: 2 }),
      }),
      weight: mix.answer,
    },
    { arbitrary: send(benign.fuzzMessage), weight: mix.benign },
    { arbitrary: send(hostile.fuzzMessage), weight: mix.hostile },
    { arbitrary: fc.record({ kind: fc.constant("raw" as const), conn: connIndex, frame: rawFrame, wrap: fc.boolean() }), weight: mix.raw },
    {
      arbitrary: fc.record({
        kind: fc.constant("batch" as const),
        conn: connIndex,
        messages: fc.array(benign.fuzzMessage, { minLength: 1, maxLength: 4 }),
      }),
      weight: mix.batch,
    },
    { arbitrary: fc.record({ kind: fc.constant("drop" as const), conn: connIndex }), weight: mix.drop },
    { arbitrary: fc.record({ kind: fc.constant("open" as const), protocol: fc.nat(PROTOCOLS.length - 1) }), weight: mix.open },
    { arbitrary: fc.record({ kind: fc.constant("advance" as const), ms: fc.constantFrom(1, 500, 2_500, 10_000, 60_000) }), weight: mix.advance },
  );
}

export interface Scenario {
  readonly seed: number;
  /** Clients that join before the random steps: protocol, and features announced for every role. */
  readonly joined: readonly { readonly protocol: number; readonly features: readonly string[] }[];
  readonly steps: readonly Step[];
}

export function scenarioArb(mix: StepMix, maxSteps: number): fc.Arbitrary<Scenario> {
  return fc.record({
    seed: fc.nat(),
    joined: fc.array(fc.record({ protocol: fc.nat(PROTOCOLS.length - 1), features: fc.subarray([...FEATURES]) }), {
      minLength: 1,
      maxLength: 3,
    }),
    steps: fc.array(stepArb(mix), { minLength: 1, maxLength: maxSteps, size: "max" }),
  });
}
