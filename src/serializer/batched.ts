/**
 * Batched WebSocket framing (spec "Batched WebSocket Transport"): `wamp.2.json.batched` ends
 * every message with the byte 0x1E; the binary variants put a 32-bit big-endian length before
 * each message. A WebSocket message carries one or more WAMP messages; an empty batch fails
 * the transport.
 * @module
 */

const RECORD_SEPARATOR = "\u001e";

/** Splits one WebSocket message into the frames of the messages it carries, or says why it cannot. */
export function splitBatch(binary: boolean, data: Uint8Array | string): Array<Uint8Array | string> | string {
  if (!binary) {
    if (typeof data !== "string") return "a binary frame arrived on a JSON batched connection";
    if (!data.endsWith(RECORD_SEPARATOR)) return "a JSON batch must end every message with 0x1E";
    const parts = data.slice(0, -1).split(RECORD_SEPARATOR);
    if (parts.length === 1 && parts[0] === "") return "an empty batch";
    return parts;
  }
  if (typeof data === "string") return "a text frame arrived on a binary batched connection";
  const out: Uint8Array[] = [];
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  let at = 0;
  while (at < data.byteLength) {
    if (data.byteLength - at < 4) return "a batch ends inside a length prefix";
    const len = view.getUint32(at);
    at += 4;
    if (len > data.byteLength - at) return `a batched message claims ${len} bytes but the batch holds fewer`;
    out.push(data.subarray(at, at + len));
    at += len;
  }
  if (out.length === 0) return "an empty batch";
  return out;
}

/** One encoded message as a batch of one. */
export function wrapBatch(encoded: Uint8Array | string): Uint8Array | string {
  if (typeof encoded === "string") return encoded + RECORD_SEPARATOR;
  const out = new Uint8Array(encoded.byteLength + 4);
  new DataView(out.buffer).setUint32(0, encoded.byteLength);
  out.set(encoded, 4);
  return out;
}
