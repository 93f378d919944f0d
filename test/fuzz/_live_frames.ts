/**
 * Frames for the live fuzzer: message templates sampled once with fast-check (well-formed
 * requests, malformed and hostile messages), then per frame a cheap seeded pick, references
 * resolved against what the connection has seen, encoding, and now and then a byte mutation.
 * @module
 */
import fc from "fast-check";
import type { Serializer } from "../../src/serializer/types.ts";
import { EXOTIC_COUNT, Exotic, encodeWithExotics } from "./_exotics.ts";
import { benign, hostile, OPTION_KEYS } from "./_messages.ts";
import { type Mutation, mutateBytes, mutateText } from "./_mutate.ts";
import { type Pools, resolveRefs } from "./_refs.ts";
import type { ConnModel } from "./_session_model.ts";

/** mulberry32: fast, seeded, good enough to pick and mutate. */
export class Prng {
  #s: number;
  constructor(seed: number) {
    this.#s = seed >>> 0;
  }
  next(): number {
    let t = (this.#s = (this.#s + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
}

export interface Templates {
  readonly requests: readonly unknown[];
  readonly malformed: readonly unknown[];
  readonly hostile: readonly unknown[];
}

/** Samples the templates (a second or so); the same seed gives the same templates. */
export function sampleTemplates(seed: number, size = 4_096): Templates {
  return {
    requests: fc.sample(benign.request, { seed, numRuns: size }),
    malformed: fc.sample(benign.fuzzMessage, { seed: seed + 1, numRuns: size / 4 }),
    hostile: fc.sample(hostile.fuzzMessage, { seed: seed + 2, numRuns: size / 4 }),
  };
}

/**
 * request: a well-formed request; malformed: wrong shapes and types; hostile: exotic wire
 * values and huge strings anywhere; option: a well-formed request with one option set to an
 * exotic value (the option parsers are where client values meet router code); mutated: a
 * well-formed request's bytes, mutated.
 */
export type FrameKind = "request" | "malformed" | "hostile" | "option" | "mutated";

function randomMutation(r: Prng): Mutation {
  const at = r.int(1 << 30);
  switch (r.int(6)) {
    case 0:
      return { op: "flip", at, bit: r.int(8) };
    case 1:
      return { op: "truncate", at };
    case 2:
      return { op: "insert", at, bytes: Array.from({ length: 1 + r.int(6) }, () => r.int(256)) };
    case 3:
      return { op: "delete", at, count: 1 + r.int(8) };
    case 4:
      return { op: "duplicate", at, count: 1 + r.int(16) };
    default:
      return { op: "set", at, byte: [0x00, 0x7f, 0x80, 0xc1, 0xff, 0x9f, 0xbf][r.int(7)]! };
  }
}

/** The message with one option (Options/Details at index 2, or 3 for ERROR) set to an exotic value. */
function withExoticOption(template: unknown, r: Prng): unknown {
  if (!Array.isArray(template)) return template;
  const at = template[0] === 8 ? 3 : 2;
  const opts: unknown = template[at];
  if (typeof opts !== "object" || opts === null || Array.isArray(opts)) return template;
  const out = template.slice();
  const key = OPTION_KEYS[r.int(OPTION_KEYS.length)]!;
  out[at] = { ...(opts as Record<string, unknown>), [key]: new Exotic(r.int(EXOTIC_COUNT)) };
  return out;
}

/** Picks and encodes frames for one serializer. */
export class FrameSource {
  readonly #ser: Serializer;
  readonly #t: Templates;
  readonly #r: Prng;

  constructor(ser: Serializer, templates: Templates, seed: number) {
    this.#ser = ser;
    this.#t = templates;
    this.#r = new Prng(seed);
  }

  /** Random in [0, n). */
  int(n: number): number {
    return this.#r.int(n);
  }

  /** The next frame (undefined when the picked template is not carried by this serializer). */
  next(model: ConnModel, pools: Pools): { frame: Uint8Array | string; kind: FrameKind } | undefined {
    const r = this.#r;
    const roll = r.next();
    const kind: FrameKind = roll < 0.75 ? "request" : roll < 0.85 ? "malformed" : roll < 0.9 ? "hostile"
      : roll < 0.94 ? "option" : "mutated";
    const list = kind === "malformed" ? this.#t.malformed : kind === "hostile" ? this.#t.hostile : this.#t.requests;
    let template = list[r.int(list.length)];
    if (kind === "option") template = withExoticOption(template, r);
    let frame: Uint8Array | string;
    try {
      frame = encodeWithExotics(this.#ser, resolveRefs(template, model, pools));
    } catch {
      return undefined;
    }
    if (kind === "mutated") {
      const ms = Array.from({ length: 1 + r.int(3) }, () => randomMutation(r));
      frame = typeof frame === "string" ? mutateText(frame, ms) : mutateBytes(frame, ms);
    }
    return { frame, kind };
  }
}
