/**
 * A publication kept beyond its delivery: the retained event of a topic (spec "Event
 * Retention") or an entry of event history (spec "Event History"). Stored as MessagePack bytes
 * (src/serializer/msgpack.ts), which carries binary payloads and 53-bit ids unchanged.
 * @module
 */
import { msgpackSerializer } from "../serializer/msgpack.ts";
import { type Dict, isDict, isId } from "../wamp/validate.ts";
import { filterToOptions, parseSubscriberFilter, type SubscriberFilter } from "./subscriber_filter.ts";

export interface KeptEvent {
  readonly publication: number;
  /** The concrete topic published to. */
  readonly topic: string;
  /** Milliseconds since the epoch, from the realm's clock. */
  readonly timestamp: number;
  /** EVENT.Details the publication contributed (publisher identity, ppt_*). */
  readonly details: Dict;
  readonly args: unknown[] | undefined;
  readonly kwargs: Dict | undefined;
  /** Black/white lists of the original publication, re-applied at each later delivery. */
  readonly filter: SubscriberFilter | undefined;
}

/** Format version of stored records, first element of the encoded list. */
const VERSION = 1;

/** Encodes a kept event and the owner's extra fields (which must not reuse the event's keys). */
export function encodeKept(ev: KeptEvent, extra: Dict = {}): Uint8Array {
  const record: Dict = {
    ...extra,
    publication: ev.publication,
    topic: ev.topic,
    timestamp: ev.timestamp,
    details: ev.details,
  };
  // msgpack has no "undefined": absent stays absent rather than becoming nil.
  if (ev.args !== undefined) record["args"] = ev.args;
  if (ev.kwargs !== undefined) record["kwargs"] = ev.kwargs;
  if (ev.filter) record["filter"] = filterToOptions(ev.filter);
  const bytes = msgpackSerializer.encode([VERSION, record]);
  // The msgpack serializer is binary; the Serializer interface also admits text for JSON.
  if (typeof bytes === "string") throw new TypeError("msgpack encoding gave text");
  return bytes;
}

/** Decodes what encodeKept wrote; undefined for bytes it cannot trust (logged by the caller). */
export function decodeKept(bytes: Uint8Array): { event: KeptEvent; record: Dict } | undefined {
  let decoded: unknown;
  try {
    decoded = msgpackSerializer.decode(bytes);
  } catch {
    return undefined;
  }
  if (!Array.isArray(decoded) || decoded[0] !== VERSION || !isDict(decoded[1])) return undefined;
  const r = decoded[1];
  const { publication, topic, timestamp, details, args, kwargs, filter } = r;
  if (!isId(publication) || typeof topic !== "string" || typeof timestamp !== "number" || !isDict(details)) {
    return undefined;
  }
  if ((args !== undefined && !Array.isArray(args)) || (kwargs !== undefined && !isDict(kwargs))) return undefined;
  if (filter !== undefined && !isDict(filter)) return undefined;
  const parsed = filter === undefined ? { filter: undefined } : parseSubscriberFilter(filter);
  if ("error" in parsed) return undefined;
  return {
    event: { publication, topic, timestamp, details, args, kwargs, filter: parsed.filter },
    record: r,
  };
}
