/**
 * Turning a session fuzz step into the frame a client sends, and predicting what the router
 * will decode from it.
 * @module
 */
import { splitBatch } from "../../src/serializer/batched.ts";
import { encodeWithExotics } from "./_exotics.ts";
import type { FuzzConn } from "./_fuzz_conn.ts";
import { type Mutation, mutateBytes, mutateText } from "./_mutate.ts";
import { type Pools, resolveRefs } from "./_refs.ts";
import type { ConnModel } from "./_session_model.ts";
import { concat } from "../_support/bytes.ts";

export type RawFrame =
  | { kind: "mutated"; message: unknown; mutations: Mutation[] }
  | { kind: "bytes"; bytes: Uint8Array }
  | { kind: "text"; text: string };

export type Step =
  | { kind: "open"; protocol: number }
  | { kind: "send"; conn: number; message: unknown }
  | { kind: "raw"; conn: number; frame: RawFrame; wrap: boolean }
  | { kind: "batch"; conn: number; messages: unknown[] }
  | { kind: "drop"; conn: number }
  /** The acting client answers its `k`-th outstanding INVOCATION (a no-op when it has none). */
  | { kind: "answer"; conn: number; k: number; how: "yield" | "progress" | "error"; payload: unknown[] }
  | { kind: "advance"; ms: number };

/** What the router will see for one frame: one decoded value per part, undefined for a part that does not decode. */
export function routerView(conn: FuzzConn, frame: Uint8Array | string): Array<{ value: unknown } | undefined> {
  let parts: Array<Uint8Array | string>;
  if (conn.batched) {
    const split = splitBatch(conn.ser.binary, frame);
    if (typeof split === "string") return [undefined];
    parts = split;
  } else {
    if (conn.ser.binary === (typeof frame === "string")) return [undefined];
    parts = [frame];
  }
  return parts.map((p) => {
    try {
      return { value: conn.ser.decode(p) };
    } catch {
      return undefined;
    }
  });
}

/** The frame for a send/raw/batch/answer step; undefined when there is nothing to send. */
export function frameFor(step: Step, conn: FuzzConn, model: ConnModel, pools: Pools): Uint8Array | string | undefined {
  const encode = (message: unknown): Uint8Array | string | undefined => {
    try {
      return encodeWithExotics(conn.ser, resolveRefs(message, model, pools));
    } catch {
      return undefined; // not carried by this serializer: nothing to send
    }
  };
  switch (step.kind) {
    case "send": {
      const encoded = encode(step.message);
      return encoded === undefined ? undefined : conn.frame(encoded);
    }
    case "batch": {
      if (!conn.batched) return undefined;
      const frames = step.messages.map(encode).filter((f) => f !== undefined).map((f) => conn.frame(f));
      if (frames.length === 0) return undefined;
      return typeof frames[0] === "string" ? (frames as string[]).join("") : concat(frames as Uint8Array[]);
    }
    case "answer": {
      const pending = model.invocations.filter((id) => !model.answered.has(id));
      if (pending.length === 0) return undefined;
      const id = pending[step.k % pending.length]!;
      if (step.how !== "progress") model.answered.add(id);
      const message = step.how === "error"
        ? [8, 68, id, {}, "fz.error.failed", step.payload]
        : [70, id, step.how === "progress" ? { progress: true } : {}, step.payload];
      const encoded = encode(message);
      return encoded === undefined ? undefined : conn.frame(encoded);
    }
    case "raw": {
      let raw: Uint8Array | string;
      if (step.frame.kind === "bytes") raw = step.frame.bytes;
      else if (step.frame.kind === "text") raw = step.frame.text;
      else {
        const encoded = encode(step.frame.message);
        if (encoded === undefined) return undefined;
        raw = typeof encoded === "string" ? mutateText(encoded, step.frame.mutations) : mutateBytes(encoded, step.frame.mutations);
      }
      return step.wrap ? conn.frame(raw) : raw;
    }
    default:
      return undefined;
  }
}
