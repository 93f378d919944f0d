/**
 * A callee and some callers connected to one server: the router (WAMP) or the bare relay (the
 * same messages, no WAMP), behind the same `Requester` interface.
 * @module
 */
import type { Serializer } from "../src/serializer/types.ts";
import type { Requester } from "./_load.ts";
import { RelayCallee, RelayCaller } from "./_relay_client.ts";
import { WampClient } from "./_ws_client.ts";

export const PROCEDURE = "com.example.add";
const ARGS = [1, 2, "three"];
const KWARGS = { k: "v" };

/** What each call carries: the default is a typical small call. */
export interface CallPayload {
  readonly args: unknown[];
  readonly kwargs: Record<string, unknown>;
}

export const SMALL_PAYLOAD: CallPayload = { args: ARGS, kwargs: KWARGS };

/**
 * About 1 KiB of mixed values, encoded: past the size from which the router forwards a payload
 * between peers of one serializer without encoding it again (src/serializer/types.ts
 * `CUT_MIN_LENGTH`).
 */
export const KIB_PAYLOAD: CallPayload = {
  args: [1, 2, Array.from({ length: 24 }, (_, i) => ({ id: i, name: `item-${i}`, ok: i % 2 === 0 }))],
  kwargs: { note: "x".repeat(64) },
};

/** The encoded size of a CALL carrying `p`, for the report. */
export function payloadBytes(ser: Serializer, p: CallPayload): number {
  const frame = ser.encode([48, 1, {}, PROCEDURE, p.args, p.kwargs]);
  return typeof frame === "string" ? new TextEncoder().encode(frame).byteLength : frame.byteLength;
}

export interface Rig {
  readonly callers: readonly Requester[];
  close(): Promise<void>;
}

export async function wampRig(url: string, ser: Serializer, callers: number, p: CallPayload = SMALL_PAYLOAD): Promise<Rig> {
  const callee = await WampClient.connect(url, ser);
  // The small call is answered with a sum; a large one is echoed, as the relay echoes frames.
  await callee.register(PROCEDURE, p === SMALL_PAYLOAD ? (args) => [(args[0] as number) + (args[1] as number)] : (args) => args);
  const clients = await Promise.all(Array.from({ length: callers }, () => WampClient.connect(url, ser)));
  return {
    callers: clients.map((c) => ({ request: (done) => c.call(PROCEDURE, p.args, p.kwargs, done) })),
    close: async () => void (await Promise.all([callee, ...clients].map((c) => c.close()))),
  };
}

/** `minimal`: the relay's minimal dealer (bench/_minimal_dealer.ts) instead of the bare relay. */
export async function relayRig(url: string, ser: Serializer, callers: number, p: CallPayload = SMALL_PAYLOAD, minimal = false): Promise<Rig> {
  const callee = await RelayCallee.connect(url, ser, p !== SMALL_PAYLOAD, minimal);
  const clients = await Promise.all(Array.from({ length: callers }, () => RelayCaller.connect(url, ser, minimal)));
  return {
    callers: clients.map((c) => ({ request: (done) => c.request(p.args, p.kwargs, done) })),
    close: async () => void (await Promise.all([callee, ...clients].map((c) => c.close()))),
  };
}
