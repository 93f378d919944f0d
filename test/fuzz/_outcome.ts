/**
 * What decoding one frame did: a value, or a thrown Error. Anything else (a non-Error thrown,
 * a value `validateClientMessage` chokes on, a decode that takes too long) is a finding.
 * @module
 */
import type { Serializer } from "../../src/serializer/types.ts";
import { validateClientMessage } from "../../src/wamp/validate.ts";

/** A decode slower than this on a small frame counts as a hang. */
export const DECODE_HANG_MS = 1_000;

export type DecodeOutcome = { ok: true; value: unknown } | { ok: false; error: Error };

/** Decodes and checks the contract; throws an Error describing any breach. */
export function decodeChecked(ser: Serializer, frame: Uint8Array | string): DecodeOutcome {
  const started = performance.now();
  let outcome: DecodeOutcome;
  try {
    outcome = { ok: true, value: ser.decode(frame) };
  } catch (e) {
    if (!(e instanceof Error)) throw new Error(`${ser.name}.decode threw a non-Error: ${String(e)} (${typeof e})`);
    outcome = { ok: false, error: e };
  }
  const took = performance.now() - started;
  if (took > DECODE_HANG_MS) throw new Error(`${ser.name}.decode took ${took.toFixed(0)} ms on ${frame.length} units`);
  if (outcome.ok) {
    let verdict: unknown;
    try {
      verdict = validateClientMessage(outcome.value);
    } catch (e) {
      throw new Error(`validateClientMessage threw on a value ${ser.name}.decode returned: ${String(e)}`);
    }
    if (verdict !== undefined && typeof verdict !== "string") {
      throw new Error(`validateClientMessage returned ${typeof verdict}`);
    }
  }
  return outcome;
}
