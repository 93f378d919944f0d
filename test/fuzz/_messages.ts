/**
 * Arbitrary client messages built from the shape table (_shapes.ts): well-formed ones with a
 * vocabulary that reaches deep into the router (real topics, procedures, meta API, options,
 * ids the router handed out), and malformed ones: wrong arity, wrong element types, bad ids
 * (0, 2^53+1, floats, negative), unknown and router-only types, non-lists. `benign` keeps to
 * values every serializer carries; `hostile` adds exotic wire values and huge strings.
 * @module
 */
import fc from "fast-check";
import { CLIENT_SHAPE, CLIENT_SHAPES, type Kind, ROUTER_ONLY, type Shape } from "./_shapes.ts";
import { awkwardNumber, awkwardString, dictOf, exotic, hostileValues, plainValues, ref, type Values } from "./_values.ts";

export const FUZZ_TOPICS = [
  "fz.t1", "fz.t2", "fz.t1.x", "fz", "fz..t", "fz.t1.", "Fz.T", "fz t", "fz.#", "fz.ü", "",
  "wamp.session.on_join", "wamp.session.on_leave", "wamp.subscription.on_create", "wamp.registration.on_create",
  "wamp.x",
] as const;

/**
 * Procedures, meta API included. Left out on purpose: `wamp.session.kill_all` and
 * `kill_by_authrole`, which may (correctly) end the well-behaved sessions the test watches.
 */
export const FUZZ_PROCEDURES = [
  "fz.p1", "fz.p2", "fz.p1.x", "fz", "fz..p", "fz.p.", "wamp.nope",
  "wamp.session.count", "wamp.session.list", "wamp.session.get", "wamp.session.kill", "wamp.session.kill_by_authid",
  "wamp.session.add_testament", "wamp.session.flush_testaments",
  "wamp.registration.list", "wamp.registration.lookup", "wamp.registration.match", "wamp.registration.get",
  "wamp.registration.list_callees", "wamp.registration.count_callees", "wamp.registration.remove_callee",
  "wamp.subscription.list", "wamp.subscription.lookup", "wamp.subscription.match", "wamp.subscription.get",
  "wamp.subscription.list_subscribers", "wamp.subscription.count_subscribers", "wamp.subscription.get_events",
  "wamp.subscription.remove_subscriber",
] as const;

export const REALMS = ["realm1", "realm1", "realm1", "strict.realm", "nope.realm", "bad realm", "", "wamp.realm"] as const;

export const OPTION_KEYS = [
  "acknowledge", "exclude_me", "exclude", "eligible", "exclude_authid", "eligible_authid", "exclude_authrole",
  "eligible_authrole", "disclose_me", "retain", "get_retained", "match", "invoke", "disclose_caller",
  "forward_timeout", "receive_progress", "progress", "timeout", "runmode", "rkey", "mode", "ppt_scheme",
  "ppt_serializer", "ppt_cipher", "ppt_keyid", "concurrency", "x_custom",
] as const;

const OPTION_VALUES = [
  true, false, "exact", "prefix", "wildcard", "regex", "skip", "kill", "killnowait", "single", "roundrobin",
  "random", "first", "last", "partition", "wamp", "x", "json", "msgpack", "cbor", "mqtt", 0, 1, 100, 5_000, -1,
  1.5, 2 ** 53, null, "", "a.b",
] as const;

export const FEATURES = [
  "progressive_call_results", "progressive_call_invocations", "call_canceling", "call_timeout",
  "registration_revocation", "subscription_revocation", "payload_passthru_mode", "publisher_exclusion",
  "caller_identification", "pattern_based_registration",
] as const;

const ROLE_NAMES = ["publisher", "subscriber", "caller", "callee", "broker", "dealer"] as const;
const CLOSE_REASONS = ["wamp.close.close_realm", "wamp.close.goodbye_and_out", "wamp.close.system_shutdown", "x", ""] as const;

const topic = fc.oneof(
  { arbitrary: fc.constantFrom("fz.t1", "fz.t2"), weight: 6 },
  { arbitrary: fc.constantFrom(...FUZZ_TOPICS), weight: 6 },
  { arbitrary: awkwardString, weight: 1 },
);
const procedure = fc.oneof(
  { arbitrary: fc.constantFrom("fz.p1", "fz.p2"), weight: 8 },
  { arbitrary: fc.constantFrom(...FUZZ_PROCEDURES), weight: 6 },
  { arbitrary: awkwardString, weight: 1 },
);

/** Ids for a field: mostly a reference to something real, sometimes any id in range. */
function idFor(code: number, field: number): fc.Arbitrary<unknown> {
  const anyId = fc.oneof(fc.integer({ min: 1, max: 20 }), fc.constantFrom(2 ** 53, 2 ** 53 - 1));
  const pick = (...pools: Parameters<typeof ref>[0][]) =>
    fc.oneof({ arbitrary: fc.oneof(...pools.map(ref)), weight: 12 }, { arbitrary: anyId, weight: 1 });
  if (field === 1 && [16, 32, 34, 48, 64, 66].includes(code)) return pick("next", "next", "next", "next", "req");
  if (code === 49) return pick("req", "req", "next");
  if (code === 70 || (code === 8 && field === 2)) return pick("inv");
  if (code === 34) return pick("sub");
  if (code === 66) return pick("reg");
  return anyId;
}

export interface MessageArbitraries {
  /** A well-formed message of one shape (trailing payload present or not). */
  wellFormed(shape: Shape): fc.Arbitrary<unknown[]>;
  /** Well-formed messages, weighted toward the ones that build state (subscribe, register, call...). */
  readonly wellFormedMessage: fc.Arbitrary<unknown[]>;
  /** As wellFormedMessage, with few YIELD/ERROR (answers come from "answer" steps instead). */
  readonly request: fc.Arbitrary<unknown[]>;
  /** Any fuzzed message: mostly well formed, often not. */
  readonly fuzzMessage: fc.Arbitrary<unknown>;
}

function messageArbitraries(v: Values): MessageArbitraries {
  const optionValue = fc.oneof(
    { arbitrary: fc.constantFrom(...OPTION_VALUES), weight: 10 },
    { arbitrary: fc.array(fc.oneof(ref("session"), fc.constantFrom("x", 1, "anonymous")), { maxLength: 3 }), weight: 1 },
    { arbitrary: v.hostile ? exotic : v.leaf, weight: 3 },
    { arbitrary: v.leaf, weight: 1 },
  );
  const options = fc.oneof(
    { arbitrary: fc.constant({}), weight: 4 },
    { arbitrary: fc.array(fc.tuple(fc.constantFrom(...OPTION_KEYS), optionValue), { maxLength: 3 }).map(dictOf), weight: 6 },
    { arbitrary: v.dict, weight: 1 },
  );
  const role = fc.oneof(
    { arbitrary: fc.constant({}), weight: 2 },
    {
      arbitrary: fc.subarray([...FEATURES]).map((fs) => ({ features: Object.fromEntries(fs.map((f) => [f, true])) })),
      weight: 4,
    },
    { arbitrary: v.anyValue, weight: 1 },
  );
  const strip = (d: Record<string, unknown>) => dictOf(Object.entries(d).filter(([, x]) => x !== undefined));
  const helloDetails = fc.oneof(
    {
      arbitrary: fc.record({
        roles: fc.oneof(
          { arbitrary: fc.tuple(role, role, role, role).map(([p, s, c, e]) => ({ publisher: p, subscriber: s, caller: c, callee: e })), weight: 8 },
          { arbitrary: fc.array(fc.tuple(fc.constantFrom(...ROLE_NAMES), role), { maxLength: 3 }).map(dictOf), weight: 2 },
          { arbitrary: v.anyValue, weight: 1 },
        ),
        authid: fc.oneof(fc.constant(undefined), fc.string({ maxLength: 6 }), v.leaf),
        agent: fc.oneof(fc.constant(undefined), awkwardString, v.leaf),
        authmethods: fc.oneof(fc.constant(undefined), fc.constant(["anonymous"]), v.anyValue),
      }, { requiredKeys: ["roles"] }).map(strip),
      weight: 12,
    },
    { arbitrary: v.dict, weight: 1 },
  );
  const args = fc.oneof(
    { arbitrary: v.list, weight: 4 },
    {
      arbitrary: fc.array(fc.oneof(ref("session"), ref("sub"), ref("reg"), topic, procedure, v.tree), { minLength: 1, maxLength: 3 }),
      weight: 3,
    },
  );
  const kwargs = fc.oneof(
    { arbitrary: v.dict, weight: 3 },
    {
      arbitrary: fc.record({ topic, args: v.list, kwargs: v.dict, scope: fc.constantFrom("detached", "destroyed", "x") })
        .map((r) => dictOf(Object.entries(r))),
      weight: 1,
    },
  );

  /** A well-formed value of `kind` for field `field` (1-based) of message `code`. */
  const fieldValue = (code: number, field: number, kind: Kind): fc.Arbitrary<unknown> => {
    switch (kind) {
      case "id":
        return idFor(code, field);
      case "int":
        return fc.oneof({ arbitrary: fc.constant(68), weight: 8 }, { arbitrary: fc.constantFrom(0, 48, 16, 1, 2 ** 53 + 2), weight: 1 });
      case "dict":
        return code === 1 ? helloDetails : options;
      case "uri":
        if (code === 1) return fc.constantFrom(...REALMS);
        if (code === 3 || code === 6 || code === 8) return fc.oneof(fc.constantFrom(...CLOSE_REASONS), awkwardString);
        if (code === 48 || code === 64) return procedure;
        return topic;
      case "string":
        return fc.oneof(fc.string({ maxLength: 8 }), awkwardString);
      case "list":
        return args;
    }
  };

  const wellFormed = (shape: Shape): fc.Arbitrary<unknown[]> => {
    // A dict after the required fields is the ArgumentsKw of a payload.
    const parts = shape.fields.map((k, i) => (k === "dict" && i >= shape.required ? kwargs : fieldValue(shape.code, i + 1, k)));
    return fc.tuple(fc.integer({ min: shape.required, max: shape.fields.length }), fc.tuple(...parts)).map(
      ([n, values]) => [shape.code, ...values.slice(0, n)],
    );
  };

  /** A value that is not of `kind`. */
  const wrongValue = (kind: Kind): fc.Arbitrary<unknown> => {
    const base = fc.oneof(awkwardNumber, awkwardString, fc.constant(null), fc.boolean(), v.list, v.dict,
      fc.uint8Array({ maxLength: 4 }).map((b) => new Uint8Array(b)), v.hostile ? exotic : v.leaf);
    return base.filter((x) => {
      switch (kind) {
        case "id":
          return !(typeof x === "number" && Number.isInteger(x) && x >= 1 && x <= 2 ** 53);
        case "int":
          return !(typeof x === "number" && Number.isInteger(x) && x >= 0);
        case "dict":
          return typeof x !== "object" || x === null || Array.isArray(x) || x instanceof Uint8Array;
        case "uri":
        case "string":
          return typeof x !== "string";
        case "list":
          return !Array.isArray(x);
      }
    });
  };

  const shapeArb = fc.constantFrom(...CLIENT_SHAPES);

  /** Right shape except one element of the wrong type. */
  const wrongType = shapeArb.chain((s) =>
    fc.tuple(wellFormed(s), fc.nat(s.fields.length - 1)).chain(([m, i]) =>
      wrongValue(s.fields[i]!).map((x) => {
        const out = m.slice();
        while (out.length <= i + 1) out.push(s.fields[out.length - 1] === "list" ? [] : {});
        out[i + 1] = x;
        return out;
      })
    )
  );

  /** Right types but too few or too many elements. */
  const wrongArity = shapeArb.chain((s) =>
    fc.tuple(wellFormed(s), fc.boolean(), fc.array(v.anyValue, { minLength: 1, maxLength: 3 }), fc.nat(s.required)).map(
      ([m, longer, extra, keep]) => {
        if (!longer) return m.slice(0, Math.min(keep, s.required));
        const full = m.slice();
        while (full.length < s.fields.length + 1) full.push(s.fields[full.length - 1] === "list" ? [] : {});
        return [...full, ...extra];
      },
    )
  );

  /** An id field set to 0, 2^53+1 (past the range), a float or a negative number. */
  const badId = shapeArb.filter((s) => s.fields.includes("id")).chain((s) =>
    fc.tuple(wellFormed(s), fc.constantFrom(0, 2 ** 53 + 2, 2 ** 64, 1.5, -1, -(2 ** 53), 0.5)).map(([m, bad]) => {
      const out = m.slice();
      out[s.fields.indexOf("id") + 1] = bad;
      return out;
    })
  );

  const strangeType = fc.oneof(
    fc.tuple(fc.constantFrom(0, 7, 9, 15, 18, 99, 255, 256, -1, 2 ** 31, 2 ** 53 + 2, 1.5), v.list).map(([c, rest]) => [c, ...rest]),
    fc.tuple(fc.constantFrom(...ROUTER_ONLY), v.list).map(([c, rest]) => [c, ...rest]),
    fc.tuple(fc.constantFrom("1", "HELLO", null, true, [1], { c: 1 }), v.list).map(([c, rest]) => [c, ...rest]),
  );

  const notAList: fc.Arbitrary<unknown> = fc.oneof(fc.constant([]), v.dict, awkwardString, awkwardNumber, fc.constant(null),
    fc.boolean(), fc.uint8Array({ maxLength: 8 }).map((b) => new Uint8Array(b)));

  const weighted = (weights: readonly (readonly [number, number])[]) =>
    fc.oneof(...weights.map(([code, weight]) => ({ arbitrary: wellFormed(CLIENT_SHAPE.get(code)!), weight })));
  const wellFormedMessage = weighted([
    [1, 2], [3, 1], [5, 1], [6, 2], [8, 4], [16, 8], [32, 8], [34, 3], [48, 12], [49, 3], [64, 8], [66, 2], [70, 10],
  ]);
  const request = weighted([
    [1, 1], [3, 1], [6, 2], [8, 1], [16, 10], [32, 10], [34, 3], [48, 16], [49, 4], [64, 10], [66, 2], [70, 1],
  ]);

  const fuzzMessage = fc.oneof(
    { arbitrary: wellFormedMessage, weight: 20 },
    { arbitrary: wrongType, weight: 2 },
    { arbitrary: wrongArity, weight: 2 },
    { arbitrary: badId, weight: 1 },
    { arbitrary: strangeType, weight: 1 },
    { arbitrary: notAList, weight: 1 },
  );
  return { wellFormed, wellFormedMessage, request, fuzzMessage };
}

/** Messages of plain values: they reach deep into the router's state. */
export const benign: MessageArbitraries = messageArbitraries(plainValues);
/** Messages with exotic wire values and huge strings. */
export const hostile: MessageArbitraries = messageArbitraries(hostileValues);
