/**
 * MessagePack messages whose payload stays encoded (encoded.ts `EncodedValue`): a decoder for
 * the client messages that carry one (CALL, YIELD, PUBLISH, ERROR) that reads only the
 * elements before it and checks the payload with the skipper, and an encoder that writes such
 * elements back as their bytes. On the Bun router a small CALL's decoding and encoding with
 * msgpackr cost about as much again as the WebSocket I/O of the call; skipping over a payload
 * costs a fraction of decoding it, and the few head elements of a message are read and written
 * here directly, as msgpackr's per-call overhead is most of the cost of such small values.
 * @module
 */
import { EncodedValue } from "./encoded.ts";
import { skipMsgpackValues } from "./msgpack_tail.ts";

/** How the parts this module leaves alone are read and written: the serializer's own msgpackr settings. */
export interface MsgpackCodec {
  /** Decodes the one value in `bytes`, a view of a received frame; throws on bytes that do not decode. */
  decode(bytes: Uint8Array): unknown;
  /** Decodes the one value in `bytes[0, end)` of a plain array of the caller's; throws likewise. */
  decodeRange(bytes: Uint8Array, end: number): unknown;
  /** Encodes a value; the bytes may be a view of a buffer that the next call overwrites. */
  encode(value: unknown): Uint8Array;
}

/** Where the payload starts, by message type: the number of elements before it. */
const PAYLOAD_AT: readonly number[] = (() => {
  const at: number[] = [];
  at[8] = 5; // [ERROR, INVOCATION, Request, Details, Error, Arguments, ArgumentsKw]
  at[16] = 4; // [PUBLISH, Request, Options, Topic, Arguments, ArgumentsKw]
  at[48] = 4; // [CALL, Request, Options, Procedure, Arguments, ArgumentsKw]
  at[70] = 3; // [YIELD, Request, Options, Arguments, ArgumentsKw]
  return at;
})();

/**
 * Payloads nested deeper go the eager way: decoding them whole gives the answer it always gave
 * (msgpackr recurses, so a very deep one fails to decode and is a protocol violation), while a
 * skipped-over one would be passed on for the receivers to choke on.
 */
const MAX_LAZY_DEPTH = 64;

const FIXARRAY = 0x90;
const FIXMAP = 0x80;
const FIXSTR = 0xa0;
const ARRAY16 = 0xdc;
const MAP16 = 0xde;
const STR8 = 0xd9;
const UINT8 = 0xcc;
const UINT16 = 0xcd;
const UINT32 = 0xce;
const UINT64 = 0xcf;
const TWO_32 = 0x1_0000_0000;

/**
 * Whether the value at `p` is an empty map or list: `short` is its one-byte header, `wide` the
 * 16-bit-count one, which msgpackr writes for every map (it sizes maps after writing them).
 */
function isEmptyAt(b: Uint8Array, p: number, short: number, wide: number): boolean {
  return b[p] === short || (b[p] === wide && b[p + 1] === 0 && b[p + 2] === 0);
}

function isArrayHead(t: number | undefined): boolean {
  return t !== undefined && ((t & 0xf0) === FIXARRAY || t === ARRAY16 || t === 0xdd);
}

function isMapHead(t: number | undefined): boolean {
  return t !== undefined && ((t & 0xf0) === FIXMAP || t === MAP16 || t === 0xdf);
}

function u32(b: Uint8Array, p: number): number {
  return ((b[p]! << 24) >>> 0) + ((b[p + 1]! << 16) | (b[p + 2]! << 8) | b[p + 3]!);
}

// --- decoding ---

/**
 * The message in `frame` with its payload left encoded, or undefined when the frame is not a
 * well-formed client message with a payload in the expected shape (the caller then decodes it
 * whole, and reports what is wrong with it). The payload must be a list (and a dict) of plain
 * MessagePack: no extension types, well-formed UTF-8 strings, nesting within MAX_LAZY_DEPTH,
 * nothing after it.
 */
export function decodeWithEncodedPayload(frame: Uint8Array, codec: MsgpackCodec): unknown[] | undefined {
  const n = frame[0]! - FIXARRAY;
  if (!(n >= 0 && n < 16)) return undefined;
  const type = frame[1]!;
  const at = type < 0x80 ? PAYLOAD_AT[type] : undefined;
  if (at === undefined || n <= at || n > at + 2) return undefined;
  const head: unknown[] = [type];
  let argsAt = readHead(frame, at, head);
  if (argsAt < 0) {
    // An element the quick reader leaves to msgpackr: the whole head goes to it.
    argsAt = skipMsgpackValues(frame, 2, at - 1);
    if (argsAt < 0) return undefined;
    head.length = 0;
  }
  if (!isArrayHead(frame[argsAt])) return undefined;
  const kwargsAt = skipMsgpackValues(frame, argsAt, 1, true, MAX_LAZY_DEPTH);
  if (kwargsAt < 0) return undefined;
  let end = kwargsAt;
  if (n === at + 2) {
    if (!isMapHead(frame[kwargsAt])) return undefined;
    end = skipMsgpackValues(frame, kwargsAt, 1, true, MAX_LAZY_DEPTH);
  }
  if (end !== frame.length) return undefined;
  if (head.length === 0 && !decodeHead(frame, argsAt, at, codec, head)) return undefined;
  head.push(new EncodedValue("msgpack", "list", frame, argsAt, kwargsAt, isEmptyAt(frame, argsAt, FIXARRAY, ARRAY16), codec.decode));
  if (end !== kwargsAt) {
    head.push(new EncodedValue("msgpack", "dict", frame, kwargsAt, end, isEmptyAt(frame, kwargsAt, FIXMAP, MAP16), codec.decode));
  }
  return head;
}

/**
 * Reads the elements after the type code up to the payload (`at` elements in all) into
 * `into`, for the kinds that nearly every head holds and that read to the value msgpackr gives:
 * integers up to 64 bits, ASCII strings, an empty map (one-byte or 16-bit header). Returns where the payload starts, or -1
 * at any other element (a float, a non-empty map, a string with other characters), which
 * msgpackr then reads.
 */
function readHead(b: Uint8Array, at: number, into: unknown[]): number {
  let p = 2;
  for (let i = 1; i < at; i++) {
    const t = b[p];
    if (t === undefined) return -1;
    if (t <= 0x7f) (into.push(t), (p += 1));
    else if (t === FIXMAP) (into.push({}), (p += 1));
    else if (t === MAP16 && b[p + 1] === 0 && b[p + 2] === 0) (into.push({}), (p += 3));
    else if (t >= FIXSTR && t <= 0xbf) {
      const text = asciiText(b, p + 1, t & 0x1f);
      if (text === undefined) return -1;
      into.push(text);
      p += 1 + (t & 0x1f);
    } else if (t === STR8 && p + 1 < b.length) {
      const text = asciiText(b, p + 2, b[p + 1]!);
      if (text === undefined) return -1;
      into.push(text);
      p += 2 + b[p + 1]!;
    } else if (t === UINT8 && p + 1 < b.length) (into.push(b[p + 1]), (p += 2));
    else if (t === UINT16 && p + 2 < b.length) (into.push((b[p + 1]! << 8) | b[p + 2]!), (p += 3));
    else if (t === UINT32 && p + 4 < b.length) (into.push(u32(b, p + 1)), (p += 5));
    // uint64: exact up to 2^53 (every WAMP id); above that rounded once, as msgpackr's number is.
    else if (t === UINT64 && p + 8 < b.length) (into.push(u32(b, p + 1) * TWO_32 + u32(b, p + 5)), (p += 9));
    else if (t >= 0xe0) (into.push(t - 0x100), (p += 1));
    else return -1;
  }
  return p;
}

/**
 * Recently read head strings (URIs repeat: a caller calls the same few procedures), in a
 * direct-mapped table by hash: a hit costs a hash and a compare, and allocates nothing.
 */
const TEXT_SLOTS = 256;
const textBytes: (Uint8Array | undefined)[] = new Array<Uint8Array | undefined>(TEXT_SLOTS);
const textValues: string[] = new Array<string>(TEXT_SLOTS).fill("");

/** The ASCII string in `b[p, p + len)`, or undefined when it runs past the end or is not ASCII. */
function asciiText(b: Uint8Array, p: number, len: number): string | undefined {
  const end = p + len;
  if (end > b.length) return undefined;
  let h = len;
  for (let k = p; k < end; k++) {
    const c = b[k]!;
    if (c >= 0x80) return undefined;
    h = (Math.imul(h, 31) + c) | 0;
  }
  const slot = h & (TEXT_SLOTS - 1);
  const known = textBytes[slot];
  if (known !== undefined && known.length === len) {
    let same = true;
    for (let k = 0; k < len && same; k++) same = known[k] === b[p + k];
    if (same) return textValues[slot];
  }
  let text = "";
  for (let k = p; k < end; k++) text += String.fromCharCode(b[k]!);
  textBytes[slot] = b.slice(p, end);
  textValues[slot] = text;
  return text;
}

/** Reused for the head of each message: handling is synchronous and never re-entered. */
let headScratch = new Uint8Array(256);

/**
 * The first `count` elements read by msgpackr, as the array they are the start of: the frame's
 * bytes up to `end` with the array header changed to say `count` (a fixarray header is one
 * byte, so the layout is the same).
 */
function decodeHead(frame: Uint8Array, end: number, count: number, codec: MsgpackCodec, into: unknown[]): boolean {
  if (headScratch.length < end) headScratch = new Uint8Array(Math.max(end, 2 * headScratch.length));
  const scratch = headScratch;
  scratch.set(frame.subarray(0, end));
  scratch[0] = FIXARRAY | count;
  try {
    const head = codec.decodeRange(scratch, end);
    if (!Array.isArray(head) || head.length !== count) return false;
    for (const item of head) into.push(item);
    return true;
  } catch {
    return false;
  } finally {
    scratch.fill(0, 0, end);
  }
}

// --- encoding ---

/** Below this, bytes are copied one by one: making a view for `set` costs more. */
const COPY_BY_LOOP = 64;

function copyBytes(from: Uint8Array, start: number, end: number, to: Uint8Array, at: number): void {
  if (end - start < COPY_BY_LOOP) {
    for (let k = start; k < end; k++) to[at++] = from[k]!;
  } else to.set(from.subarray(start, end), at);
}

/** Reused for the head of each outbound message. */
const outHead = new Uint8Array(1024);
/** Room a head element may take in `outHead` (a str8 of 255 bytes and its header). */
const ELEMENT_ROOM = 257;

/**
 * Writes a head element of the kinds readHead reads (plus larger integers), as msgpackr would;
 * -1 for anything else, or when `outHead` has no room for it.
 */
function writeHeadElement(v: unknown, p: number): number {
  const b = outHead;
  if (p + ELEMENT_ROOM > b.length) return -1;
  if (typeof v === "number") {
    if (!Number.isSafeInteger(v) || v < 0) return -1;
    if (v < 0x80) b[p++] = v;
    else if (v < 0x100) (b[p++] = UINT8), (b[p++] = v);
    else if (v < 0x10000) (b[p++] = UINT16), (b[p++] = v >>> 8), (b[p++] = v & 0xff);
    else {
      // Above 2^32 a 64-bit integer, as the serializer's wideIntegersToBigInt makes msgpackr write.
      const wide = v >= TWO_32;
      b[p++] = wide ? UINT64 : UINT32;
      if (wide) {
        const hi = Math.floor(v / TWO_32);
        b[p++] = hi >>> 24, b[p++] = (hi >>> 16) & 0xff, b[p++] = (hi >>> 8) & 0xff, b[p++] = hi & 0xff;
      }
      const lo = v >>> 0;
      b[p++] = lo >>> 24, b[p++] = (lo >>> 16) & 0xff, b[p++] = (lo >>> 8) & 0xff, b[p++] = lo & 0xff;
    }
    return p;
  }
  if (typeof v === "string") {
    const len = v.length;
    if (len > 255) return -1;
    if (len < 32) b[p++] = FIXSTR | len;
    else (b[p++] = STR8), (b[p++] = len);
    for (let k = 0; k < len; k++) {
      const c = v.charCodeAt(k);
      if (c >= 0x80) return -1;
      b[p++] = c;
    }
    return p;
  }
  if (typeof v === "object" && v !== null && Object.getPrototypeOf(v) === Object.prototype) {
    for (const _ in v) return -1;
    b[p++] = FIXMAP;
    return p;
  }
  return -1;
}

/**
 * Encodes `message` whose elements from `from` on are all MessagePack `EncodedValue`s (its
 * payload), writing those as their bytes; undefined when the message is not of that shape
 * (the caller then encodes decoded values).
 */
export function encodeWithEncodedPayload(message: readonly unknown[], from: number, codec: MsgpackCodec): Uint8Array | undefined {
  const total = message.length;
  if (total >= 16) return undefined;
  let payloadBytes = 0;
  for (let i = from; i < total; i++) {
    const item = message[i];
    if (!(item instanceof EncodedValue) || item.serializer !== "msgpack") return undefined;
    payloadBytes += item.end - item.start;
  }
  let headBytes: Uint8Array = outHead;
  let headLength = 1;
  for (let i = 0; i < from && headLength > 0; i++) headLength = writeHeadElement(message[i], headLength);
  if (headLength < 0) {
    headBytes = codec.encode(message.slice(0, from));
    // msgpackr writes a short array with a one-byte header; anything else is not joined.
    if (headBytes[0] !== (FIXARRAY | from)) return undefined;
    headLength = headBytes.length;
  }
  const out = new Uint8Array(headLength + payloadBytes);
  copyBytes(headBytes, 0, headLength, out, 0);
  out[0] = FIXARRAY | total;
  let p = headLength;
  for (let i = from; i < total; i++) {
    const item = message[i] as EncodedValue;
    copyBytes(item.source, item.start, item.end, out, p);
    p += item.end - item.start;
  }
  return out;
}
