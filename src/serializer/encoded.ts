/**
 * A payload element (Arguments or ArgumentsKw) of a received message that was checked but not
 * decoded. The router only forwards a payload, so a decoder may leave it as the bytes it came
 * in: a peer with the same serializer gets those bytes again (no decode, no encode), and only
 * a peer that needs values (another serializer, the router's own sessions, event retention)
 * decodes them, once. The bytes are those of the received frame: an `EncodedValue` is valid
 * while that frame is handled, and whatever keeps a payload longer keeps `value()`.
 * @module
 */
import type { SerializerName } from "./types.ts";
import type { Dict } from "../wamp/validate.ts";

export class EncodedValue {
  readonly serializer: SerializerName;
  /** What the bytes encode: Arguments is a list, ArgumentsKw a dict (decoders check this). */
  readonly kind: "list" | "dict";
  /**
   * The frame the value was read from, and where in it: one encoded value exactly, with no
   * array header around it. Kept as a range, not a view: making a view costs more than reading
   * the whole of a small value.
   */
  readonly source: Uint8Array;
  readonly start: number;
  readonly end: number;
  /** An empty list or dict, which the spec lets a message leave out. */
  readonly empty: boolean;
  readonly #decode: (bytes: Uint8Array) => unknown;
  #value: unknown[] | Dict | undefined;

  constructor(
    serializer: SerializerName,
    kind: "list" | "dict",
    source: Uint8Array,
    start: number,
    end: number,
    empty: boolean,
    decode: (bytes: Uint8Array) => unknown,
  ) {
    this.serializer = serializer;
    this.kind = kind;
    this.source = source;
    this.start = start;
    this.end = end;
    this.empty = empty;
    this.#decode = decode;
  }

  /** The decoded value, decoded on the first call (a fan-out to many peers decodes once). */
  value(): unknown[] | Dict {
    this.#value ??= this.#decode(this.source.subarray(this.start, this.end)) as unknown[] | Dict;
    return this.#value;
  }
}

/** Arguments as the core carries them: a list, or a received one still encoded. */
export type Args = unknown[] | EncodedValue;
/** ArgumentsKw as the core carries them: a dict, or a received one still encoded. */
export type Kwargs = Dict | EncodedValue;

/** Arguments as values, for what keeps them past the handling of their frame. */
export function argsValue(args: Args | undefined): unknown[] | undefined {
  return args instanceof EncodedValue ? (args.value() as unknown[]) : args;
}

/** ArgumentsKw as values, for what keeps them past the handling of their frame. */
export function kwargsValue(kwargs: Kwargs | undefined): Dict | undefined {
  return kwargs instanceof EncodedValue ? (kwargs.value() as Dict) : kwargs;
}

/**
 * `message` with each `EncodedValue` element decoded, except those of serializer `keep` (which
 * that serializer writes out as they are). The same array when there is nothing to decode.
 * Encoded values only ever stand at the top level of a message, as its payload elements.
 */
export function decodeElements(message: readonly unknown[], keep?: SerializerName): readonly unknown[] {
  let copy: unknown[] | undefined;
  for (let i = 0; i < message.length; i++) {
    const item = message[i];
    if (item instanceof EncodedValue && item.serializer !== keep) {
      copy ??= message.slice();
      copy[i] = item.value();
    }
  }
  return copy ?? message;
}
