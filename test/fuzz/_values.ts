/**
 * Value arbitraries for fuzzed WAMP messages: plain leaves every serializer carries, awkward
 * numbers and strings, nested lists and dicts, huge strings, deep nesting, exotic wire values
 * (`Exotic`) and references to ids the router handed out earlier in the run (`Ref`).
 * @module
 */
import fc from "fast-check";
import { EXOTIC_COUNT, Exotic } from "./_exotics.ts";

/**
 * An id resolved when the step runs, from what the fuzzed clients have seen so far: `next` is
 * the acting client's next request id, `req` one it used, `sub`/`reg`/`pub` ids from
 * SUBSCRIBED/REGISTERED/PUBLISHED, `inv` an INVOCATION id the acting client was sent,
 * `session` a fuzzed session's id. `k` picks among them.
 */
export type RefPool = "next" | "req" | "sub" | "reg" | "inv" | "pub" | "session";
export class Ref {
  readonly pool: RefPool;
  readonly k: number;
  constructor(pool: RefPool, k: number) {
    this.pool = pool;
    this.k = k;
  }
  toJSON(): string {
    return `<ref ${this.pool} ${this.k}>`;
  }
}

export const ref = (pool: RefPool): fc.Arbitrary<Ref> => fc.nat(1_000).map((k) => new Ref(pool, k));

export const exotic: fc.Arbitrary<Exotic> = fc.nat(EXOTIC_COUNT - 1).map((i) => new Exotic(i));

/** Numbers at and around the edges of WAMP's id range, and non-integers. */
export const awkwardNumber: fc.Arbitrary<number> = fc.constantFrom(
  0, -1, 1, 2, 2 ** 31, 2 ** 32, 2 ** 53 - 1, 2 ** 53, 2 ** 53 + 2, 2 ** 64, -(2 ** 53), 1.5, -0.5, 1e300, -1e300,
  Number.MIN_VALUE, 0.1,
);

/** Strings the router must treat with care: empty, URI-ish edge cases, unicode, control chars. */
export const awkwardString: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom("", " ", ".", "..", "a..b", "a.", ".a", "a b", "a#b", "wamp", "wamp.", "\u0000", "\u0000AQID",
    "\u0000!!", "__proto__", "constructor", "toString", "\ud800", "é.ü", "a".repeat(300)),
  fc.string({ maxLength: 12, unit: "binary" }),
);

/** A huge string (1 kB .. 1 MB); rare, they cost time (1 MB about once per 400 leaves). */
export const hugeString: fc.Arbitrary<string> = fc.oneof(
  { arbitrary: fc.constant(1_000), weight: 6 },
  { arbitrary: fc.constant(70_000), weight: 2 },
  { arbitrary: fc.constant(1_000_000), weight: 1 },
).map((n) => "x".repeat(n));

export const plainLeaf: fc.Arbitrary<unknown> = fc.oneof(
  { arbitrary: fc.string({ maxLength: 10 }), weight: 3 },
  { arbitrary: fc.integer(), weight: 2 },
  { arbitrary: fc.double({ noNaN: true, noDefaultInfinity: true }), weight: 1 },
  { arbitrary: fc.boolean(), weight: 1 },
  { arbitrary: fc.constant(null), weight: 1 },
  { arbitrary: fc.uint8Array({ maxLength: 12 }).map((b) => new Uint8Array(b)), weight: 1 },
  { arbitrary: awkwardNumber, weight: 1 },
  { arbitrary: awkwardString, weight: 1 },
);

/** Any leaf, including exotic wire values and the occasional huge string. */
export const leaf: fc.Arbitrary<unknown> = fc.oneof(
  { arbitrary: plainLeaf, weight: 32 },
  { arbitrary: exotic, weight: 8 },
  { arbitrary: hugeString, weight: 1 },
);

const key = fc.oneof(
  { arbitrary: fc.string({ maxLength: 8 }), weight: 4 },
  { arbitrary: fc.constantFrom("__proto__", "constructor", "", "acknowledge", "match", "progress", "mode"), weight: 1 },
);

/** A dict that keeps a `__proto__` key as an own key (as the decoders produce it). */
export function dictOf(entries: readonly (readonly [string, unknown])[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of entries) {
    Object.defineProperty(out, k, { value: v, enumerable: true, writable: true, configurable: true });
  }
  return out;
}

/** Composite values over a choice of leaves. */
export interface Values {
  readonly leaf: fc.Arbitrary<unknown>;
  readonly tree: fc.Arbitrary<unknown>;
  readonly list: fc.Arbitrary<unknown[]>;
  readonly dict: fc.Arbitrary<Record<string, unknown>>;
  /** Any value at all, for positions where the shape wants something else. */
  readonly anyValue: fc.Arbitrary<unknown>;
  /** Whether exotic wire values may appear. */
  readonly hostile: boolean;
}

function valuesOver(leafArb: fc.Arbitrary<unknown>, hostile: boolean): Values {
  const tree = fc.letrec<{ node: unknown }>((tie) => ({
    node: fc.oneof(
      { depthSize: "small", withCrossShrink: true },
      { arbitrary: leafArb, weight: 4 },
      { arbitrary: fc.array(tie("node"), { maxLength: 4 }), weight: 1 },
      { arbitrary: fc.array(fc.tuple(key, tie("node")), { maxLength: 4 }).map(dictOf), weight: 1 },
    ),
  })).node;
  const list = fc.array(tree, { maxLength: 4 });
  const dict = fc.array(fc.tuple(key, tree), { maxLength: 4 }).map(dictOf);
  return { leaf: leafArb, tree, list, dict, anyValue: fc.oneof(leafArb, list, dict), hostile };
}

/** Values every serializer carries as they are. */
export const plainValues: Values = valuesOver(plainLeaf, false);
/** Values with exotic wire values and huge strings among the leaves. */
export const hostileValues: Values = valuesOver(leaf, true);
