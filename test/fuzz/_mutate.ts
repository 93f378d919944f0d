/**
 * Mutations of valid encodings: bit flips, truncation, insertion, deletion, duplication and
 * overwrites, as arbitraries that take the frame to mutate.
 * @module
 */
import fc from "fast-check";
import { concat } from "../_support/bytes.ts";

export type Mutation =
  | { op: "flip"; at: number; bit: number }
  | { op: "truncate"; at: number }
  | { op: "insert"; at: number; bytes: number[] }
  | { op: "delete"; at: number; count: number }
  | { op: "duplicate"; at: number; count: number }
  | { op: "set"; at: number; byte: number };

/** `at` is a fraction of the length, so a mutation applies to frames of any size. */
export const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ op: fc.constant("flip" as const), at: fc.nat(), bit: fc.nat(7) }),
  fc.record({ op: fc.constant("truncate" as const), at: fc.nat() }),
  fc.record({
    op: fc.constant("insert" as const),
    at: fc.nat(),
    bytes: fc.array(fc.oneof(fc.nat(255), fc.constantFrom(0x00, 0x7f, 0x80, 0xc1, 0xff, 0x5b, 0x5d, 0x7b, 0x22, 0x5c)), {
      minLength: 1,
      maxLength: 8,
    }),
  }),
  fc.record({ op: fc.constant("delete" as const), at: fc.nat(), count: fc.integer({ min: 1, max: 8 }) }),
  fc.record({ op: fc.constant("duplicate" as const), at: fc.nat(), count: fc.integer({ min: 1, max: 16 }) }),
  fc.record({ op: fc.constant("set" as const), at: fc.nat(), byte: fc.constantFrom(0x00, 0x7f, 0x80, 0xc1, 0xff, 0x9f, 0xbf) }),
);

export const mutations: fc.Arbitrary<Mutation[]> = fc.array(mutation, { minLength: 1, maxLength: 4 });

export function mutateBytes(input: Uint8Array, ms: readonly Mutation[]): Uint8Array {
  let b: Uint8Array = input.slice();
  for (const m of ms) {
    const at = b.length === 0 ? 0 : m.at % (b.length + 1);
    switch (m.op) {
      case "flip":
        if (at < b.length) b[at] = b[at]! ^ (1 << m.bit);
        break;
      case "truncate":
        b = b.slice(0, at);
        break;
      case "insert":
        b = concat([b.subarray(0, at), Uint8Array.from(m.bytes), b.subarray(at)]);
        break;
      case "delete":
        b = concat([b.subarray(0, at), b.subarray(at + m.count)]);
        break;
      case "duplicate":
        b = concat([b.subarray(0, at + m.count), b.subarray(at)]);
        break;
      case "set":
        if (at < b.length) b[at] = m.byte;
        break;
    }
  }
  return b;
}

/** The same mutations on text, per UTF-16 code unit (a flip may make lone surrogates). */
export function mutateText(input: string, ms: readonly Mutation[]): string {
  let s = input;
  for (const m of ms) {
    const at = s.length === 0 ? 0 : m.at % (s.length + 1);
    switch (m.op) {
      case "flip":
        if (at < s.length) s = s.slice(0, at) + String.fromCharCode(s.charCodeAt(at) ^ (1 << (m.bit * 2))) + s.slice(at + 1);
        break;
      case "truncate":
        s = s.slice(0, at);
        break;
      case "insert":
        s = s.slice(0, at) + String.fromCharCode(...m.bytes) + s.slice(at);
        break;
      case "delete":
        s = s.slice(0, at) + s.slice(at + m.count);
        break;
      case "duplicate":
        s = s.slice(0, at) + s.slice(at, at + m.count) + s.slice(at);
        break;
      case "set":
        if (at < s.length) s = s.slice(0, at) + String.fromCharCode(m.byte) + s.slice(at + 1);
        break;
    }
  }
  return s;
}
