/**
 * `wamp.2.json`. Binary values travel as strings: `"\u0000"` + standard base64 (WAMP basic
 * profile, "Binary conversion of JSON strings"; see the checklist §4.4), anywhere in a message.
 * @module
 */

import { decodeBase64, encodeBase64 } from "./base64.ts";
import { decodeElements } from "./encoded.ts";
import { joinJsonTail, jsonTailText } from "./json_tail.ts";
import type { RawTail, Serializer } from "./types.ts";

// Invalid UTF-8 must fail (a protocol violation), not turn into U+FFFD.
const utf8 = new TextDecoder("utf-8", { fatal: true });

/** As `setOwn` in msgpack.ts, repeated so JSON users do not load msgpackr. */
function setOwn(target: Record<string, unknown>, key: string, value: unknown): void {
  // An own "__proto__" key (legal from JSON.parse) must not become a prototype change.
  if (key === "__proto__") {
    Object.defineProperty(target, key, { value, writable: true, enumerable: true, configurable: true });
  } else target[key] = value;
}

/**
 * Replaces every `Uint8Array` by its `"\0"`+base64 string. Copy-on-write: returns the very same
 * object when nothing below it is binary, so the common case allocates nothing and
 * `JSON.stringify` runs without a (slow) replacer.
 */
function binaryToStrings(value: unknown): unknown {
  if (typeof value === "string") {
    // Under the JSON binary convention such a string would read as base64 bytes on the other
    // side; it can only come from a MessagePack or CBOR peer, and JSON cannot carry it.
    if (value.charCodeAt(0) === 0) throw new TypeError("a string starting with U+0000 cannot be carried by JSON");
    return value;
  }
  if (typeof value !== "object" || value === null) return value;
  if (value instanceof Uint8Array) return "\u0000" + encodeBase64(value);
  if (Array.isArray(value)) {
    let copy: unknown[] | undefined;
    for (let i = 0; i < value.length; i++) {
      const item: unknown = value[i];
      const mapped = binaryToStrings(item);
      if (mapped !== item) {
        copy ??= value.slice();
        copy[i] = mapped;
      }
    }
    return copy ?? value;
  }
  const proto: unknown = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) {
    return value; // Dates and other class instances: JSON.stringify handles them (toJSON) as usual
  }
  const record = value as Record<string, unknown>;
  let copy: Record<string, unknown> | undefined;
  // for-in builds no key array; with the prototype checked above it sees only own keys
  // (Object.prototype has no enumerable properties).
  for (const key in record) {
    const item = record[key];
    const mapped = binaryToStrings(item);
    if (mapped !== item) {
      copy ??= { ...record };
      setOwn(copy, key, mapped);
    }
  }
  return copy ?? record;
}

function reviveBinary(_key: string, value: unknown): unknown {
  return typeof value === "string" && value.charCodeAt(0) === 0 ? decodeBase64(value.slice(1)) : value;
}

function encode(message: readonly unknown[]): string {
  return JSON.stringify(binaryToStrings(decodeElements(message)));
}

/**
 * Encodes a message whose last `clean` elements came unchanged from a JSON frame without binary
 * strings: JSON.parse made them, so they hold no Uint8Array and no string starting with U+0000,
 * and only the leading elements need binaryToStrings. The walk costs as much as the encoding
 * itself for a small message.
 */
function encodeWithCleanTail(message: readonly unknown[], clean: number): string {
  let copy: unknown[] | undefined;
  for (let i = 0; i < message.length - clean; i++) {
    const item = message[i];
    const mapped = binaryToStrings(item);
    if (mapped !== item) {
      copy ??= message.slice();
      copy[i] = mapped;
    }
  }
  return JSON.stringify(copy ?? message);
}

const BACKSLASH = 0x5c;

/** The uncut tails of small clean frames, one per element count (1 or 2; 0 is never asked). */
const CLEAN_TAILS: readonly RawTail[] = [0, 1, 2].map((count) => Object.freeze({ serializer: "json", count, encoded: undefined }));

export const jsonSerializer: Serializer = {
  name: "json",
  binary: false,
  rawSocketId: 1,

  encode,

  decode(frame: Uint8Array | string): unknown {
    const text = typeof frame === "string" ? frame : utf8.decode(frame);
    // JSON text cannot hold a raw U+0000 (control characters must be escaped), so a binary
    // string always shows up as the 6-char escape; only then pay for a reviver.
    const value: unknown = text.includes("\\u0000") ? JSON.parse(text, reviveBinary) : JSON.parse(text);
    return value;
  },

  tail(frame: Uint8Array | string, from: number, count: number): RawTail | undefined {
    // RawSocket delivers JSON as bytes; cutting those would need a second UTF-8 decode.
    if (typeof frame !== "string") return undefined;
    const encoded = jsonTailText(frame, from);
    return encoded === undefined ? undefined : { serializer: "json", count, encoded };
  },

  uncutTail(frame: Uint8Array | string, count: number): RawTail | undefined {
    // As in decode: a binary string shows up as the escape; without one, the tail is clean. In
    // a byte frame (RawSocket) any backslash, escape or not, is taken as a possible one.
    const clean = typeof frame === "string" ? !frame.includes("\\u0000") : frame.indexOf(BACKSLASH) === -1;
    return clean ? (CLEAN_TAILS[count] ?? { serializer: "json", count, encoded: undefined }) : undefined;
  },

  encodeWithTail(message: readonly unknown[], tail: RawTail): string {
    if (tail.serializer !== "json" || tail.encoded instanceof Uint8Array) return encode(message);
    if (tail.encoded === undefined) return encodeWithCleanTail(message, tail.count);
    return joinJsonTail(encode(message.slice(0, message.length - tail.count)), tail.encoded);
  },
};
