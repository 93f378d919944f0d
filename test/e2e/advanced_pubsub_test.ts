/**
 * End to end, the Advanced Profile PubSub features the router announces in WELCOME
 * (src/wamp/features.ts, BROKER_FEATURES): publisher exclusion and identification, subscriber
 * black- and whitelisting (all six keys), pattern-based subscriptions, event retention,
 * subscription revocation, payload passthru; and event history (`event_history`, announced with
 * the meta API) through `wamp.subscription.get_events`, for the topics a realm configures.
 *
 * Layout as in advanced_rpc_test.ts: "raw frames over <cell>" on all six transport x serializer
 * cells, "autobahn ..." and "wampy ..." with the real clients where they implement the feature,
 * and "options and refusals" over WebSocket/JSON with raw frames.
 *
 * What the clients lack: Wampy 8.0.2 drops `exclude_me: false` from PUBLISH options (only a
 * truthy exclude_me reaches the wire) and announces no subscription_revocation; AutobahnJS
 * announces no payload_passthru_mode.
 *
 * test/unit/features_test.ts lists the tests here that cover each flag.
 * @module
 */
import assert from "node:assert/strict";
import { test } from "../_support/harness.ts";
import {
  type Any,
  assertBytes,
  AUTOBAHN_TRANSPORTS,
  AsyncQueue,
  authidRoles,
  bytes,
  ERROR,
  EVENT,
  idOf,
  type Peer,
  PUBLISH,
  PUBLISHED,
  show,
  SUBSCRIBE,
  T,
  TRANSPORTS,
  type Transport,
  UNSUBSCRIBED,
  WAMPY_TRANSPORTS,
  withRouter,
  withTimeout,
  without,
  WS_JSON,
} from "./_advanced.ts";

type Dict = Record<string, unknown>;

/** Publishes with acknowledge and returns the publication id (EVENTs to others precede PUBLISHED). */
async function publish(pub: Peer, topic: string, options: Dict = {}, args?: unknown[], kwargs?: Dict): Promise<number> {
  const rest: unknown[] = args === undefined ? [] : kwargs === undefined ? [args] : [args, kwargs];
  const r = pub.request(PUBLISH, { ...options, acknowledge: true }, topic, ...rest);
  const m = await pub.next();
  assert.deepEqual(m.slice(0, 2), [PUBLISHED, r], `${pub.label}: PUBLISH ${topic} ${show(options)}: got ${show(m)}`);
  return m[2] as number;
}

/**
 * The EVENT a subscriber got before a barrier, or undefined when it got none. Call it after
 * the publisher's PUBLISHED: an EVENT for that publication was written before.
 */
async function eventAt(sub: Peer): Promise<unknown[] | undefined> {
  const r = sub.request(PUBLISH, { acknowledge: true }, "e2e.barrier");
  const m = await sub.next();
  if (m[0] === PUBLISHED && m[1] === r) return undefined;
  assert.equal(m[0], EVENT, `${sub.label}: expected EVENT or the barrier, got ${show(m)}`);
  const after = await sub.next();
  assert.deepEqual(after.slice(0, 2), [PUBLISHED, r], `${sub.label}: one EVENT only, then the barrier; got ${show(after)}`);
  return m;
}

/** Which of `subs` (by name) got an EVENT for one acknowledged publication. */
async function receivers(pub: Peer, subs: Record<string, Peer>, topic: string, options: Dict): Promise<string[]> {
  await publish(pub, topic, options, ["x"]);
  const got: string[] = [];
  for (const [name, s] of Object.entries(subs)) if (await eventAt(s)) got.push(name);
  return got;
}

const details = (m: unknown[] | undefined): Dict => (m?.[3] ?? {}) as Dict;

// =====================================================================================
// publisher_exclusion
// =====================================================================================

for (const t of TRANSPORTS) {
  test(`publisher_exclusion: raw frames over ${t.name}`, async () => {
    await withRouter(async (c) => {
      const pub = await c.raw(t);
      const sub = await c.raw(t);
      const sid = await pub.subscribe("e2e.t");
      await sub.subscribe("e2e.t");
      // Default: the publisher gets nothing (PUBLISHED is the first thing it sees).
      const p1 = await publish(pub, "e2e.t", {}, [1]);
      assert.deepEqual(await sub.expect(EVENT, "EVENT"), [EVENT, sid, p1, {}, [1]]);
      // exclude_me: false: the publisher gets its own event, before PUBLISHED.
      const r = pub.request(PUBLISH, { acknowledge: true, exclude_me: false }, "e2e.t", [2]);
      const own = await pub.expect(EVENT, "its own EVENT");
      assert.deepEqual(await pub.next(), [PUBLISHED, r, own[2]]);
      assert.deepEqual(own.slice(3), [{}, [2]]);
      assert.equal((await sub.expect(EVENT, "EVENT"))[2], own[2]);
    });
  }, T);
}

for (const t of AUTOBAHN_TRANSPORTS) {
  test(`publisher_exclusion: autobahn exclude_me over ${t.name}`, async () => {
    await withRouter(async (c) => {
      const pub = await c.autobahn(t);
      const mine = new AsyncQueue<Any>();
      await pub.session.subscribe("e2e.t", (args: unknown[], _k: unknown, d: Any) => mine.push({ args, d }));
      const p1 = await pub.session.publish("e2e.t", [1], {}, { acknowledge: true });
      const p2 = await pub.session.publish("e2e.t", [2], {}, { acknowledge: true, exclude_me: false });
      const ev = await mine.take("its own event", 5000);
      assert.deepEqual(ev.args, [2]);
      assert.equal(ev.d.publication, p2.id, "the excluded p1 never arrived");
      assert.notEqual(p1.id, p2.id);
    });
  }, T);
}

for (const t of WAMPY_TRANSPORTS) {
  test(`publisher_exclusion: wampy publisher is excluded by default over ${t.name}`, async () => {
    await withRouter(async (c) => {
      const pub = await c.wampy(t);
      const sub = await c.wampy(t);
      const mine = new AsyncQueue<Any>();
      const theirs = new AsyncQueue<Any>();
      await pub.wampy.subscribe("e2e.t", (e: Any) => mine.push(e));
      await sub.wampy.subscribe("e2e.t", (e: Any) => theirs.push(e));
      await pub.wampy.publish("e2e.t", [1]);
      assert.deepEqual((await theirs.take("EVENT at the other subscriber", 5000)).argsList, [1]);
      await pub.wampy.publish("e2e.barrier", [0]); // an own EVENT would have arrived before this PUBLISHED
      assert.equal(mine.size, 0);
    });
  }, T);
}

test("publisher_exclusion: options and refusals over websocket/json (raw frames)", async () => {
  await withRouter(async (c) => {
    const pub = await c.raw(WS_JSON);
    await pub.subscribe("e2e.t");
    await publish(pub, "e2e.t", { exclude_me: true });
    pub.request(PUBLISH, { acknowledge: true, exclude_me: "no" }, "e2e.t");
    await pub.expectError(PUBLISH, "wamp.error.invalid_argument", "exclude_me: \"no\"");
    pub.request(PUBLISH, { exclude_me: "no" }, "e2e.t"); // unacknowledged: no answer at all
    await pub.barrier("no answer to an unacknowledged, refused PUBLISH");
  });
}, T);

// =====================================================================================
// publisher_identification
// =====================================================================================

for (const t of TRANSPORTS) {
  test(`publisher_identification: raw frames over ${t.name}`, async () => {
    await withRouter(async (c) => {
      const pub = await c.raw(t, { authid: "pat" });
      const sub = await c.raw(t);
      await sub.subscribe("e2e.t");
      await publish(pub, "e2e.t", { disclose_me: true }, [1]);
      assert.deepEqual(details(await sub.expect(EVENT, "EVENT")), { publisher: pub.id, publisher_authid: "pat", publisher_authrole: "anonymous" });
      await publish(pub, "e2e.t", {}, [2]);
      assert.deepEqual(details(await sub.expect(EVENT, "EVENT")), {}, "not disclosed unless asked");
    });
  }, T);
}

for (const t of AUTOBAHN_TRANSPORTS) {
  test(`publisher_identification: autobahn disclose_me over ${t.name}`, async () => {
    await withRouter(async (c) => {
      const pub = await c.autobahn(t, { authid: "pat" });
      const sub = await c.autobahn(t);
      const q = new AsyncQueue<Any>();
      await sub.session.subscribe("e2e.t", (_a: unknown, _k: unknown, d: Any) => q.push(d));
      await pub.session.publish("e2e.t", [1], {}, { acknowledge: true, disclose_me: true });
      const d = await q.take("EVENT", 5000);
      assert.deepEqual([d.publisher, d.publisher_authid, d.publisher_authrole], [pub.id, "pat", "anonymous"]);
      await pub.session.publish("e2e.t", [2], {}, { acknowledge: true });
      assert.equal((await q.take("EVENT", 5000)).publisher, undefined);
    });
  }, T);
}

for (const t of WAMPY_TRANSPORTS) {
  test(`publisher_identification: wampy disclose_me over ${t.name}`, async () => {
    await withRouter(async (c) => {
      const pub = await c.wampy(t, { authid: "pat" });
      const sub = await c.wampy(t);
      const q = new AsyncQueue<Any>();
      await sub.wampy.subscribe("e2e.t", (e: Any) => q.push(e));
      await pub.wampy.publish("e2e.t", [1], { disclose_me: true });
      const e = await q.take("EVENT", 5000);
      assert.equal(idOf(e.details.publisher), pub.id);
      assert.equal(e.details.publisher_authid, "pat");
    });
  }, T);
}

test("publisher_identification: options and refusals over websocket/json (raw frames)", async () => {
  await withRouter(async (c) => {
    const pub = await c.raw(WS_JSON);
    const sub = await c.raw(WS_JSON);
    await sub.subscribe("e2e.t");
    await publish(pub, "e2e.t", { disclose_me: false });
    assert.deepEqual(details(await sub.expect(EVENT, "EVENT")), {});
    pub.request(PUBLISH, { acknowledge: true, disclose_me: 1 }, "e2e.t");
    await pub.expectError(PUBLISH, "wamp.error.invalid_argument", "disclose_me: 1");
    pub.request(PUBLISH, { disclose_me: 1 }, "e2e.t");
    await pub.barrier("no answer to an unacknowledged, refused PUBLISH");
    await sub.barrier("no EVENT for refused publications");
  });
}, T);

// =====================================================================================
// subscriber_blackwhite_listing
// =====================================================================================

for (const t of TRANSPORTS) {
  test(`subscriber_blackwhite_listing: eligible and exclude, raw frames over ${t.name}`, async () => {
    await withRouter(async (c) => {
      const pub = await c.raw(t);
      const subs = { a: await c.raw(t), b: await c.raw(t), c: await c.raw(t) };
      for (const s of Object.values(subs)) await s.subscribe("e2e.t");
      const { a, b } = subs;
      assert.deepEqual(await receivers(pub, subs, "e2e.t", { eligible: [a.id, b.id] }), ["a", "b"]);
      assert.deepEqual(await receivers(pub, subs, "e2e.t", { exclude: [b.id] }), ["a", "c"]);
      assert.deepEqual(await receivers(pub, subs, "e2e.t", { eligible: [a.id, b.id], exclude: [b.id] }), ["a"]);
    });
  }, T);
}

for (const t of AUTOBAHN_TRANSPORTS) {
  test(`subscriber_blackwhite_listing: autobahn eligible, exclude and authid lists over ${t.name}`, async () => {
    await withRouter(async (c) => {
      const pub = await c.autobahn(t);
      const names = ["ann", "bob", "cid"] as const;
      const clients = [];
      const got: Record<string, unknown[]> = { ann: [], bob: [], cid: [] };
      for (const n of names) {
        const s = await c.autobahn(t, { authid: n });
        await s.session.subscribe("e2e.t", (args: unknown[]) => got[n]!.push(args[0]));
        clients.push(s);
      }
      const [ann, bob] = clients;
      await pub.session.publish("e2e.t", [1], {}, { acknowledge: true, eligible: [ann!.id, bob!.id], exclude: [bob!.id] });
      await pub.session.publish("e2e.t", [2], {}, { acknowledge: true, exclude_authid: ["ann"] });
      await pub.session.publish("e2e.t", [3], {}, { acknowledge: true, eligible_authid: ["cid"] });
      await pub.session.publish("e2e.t", [4], {}, { acknowledge: true }); // everyone: the end marker
      for (const n of names) {
        const deadline = Date.now() + 5000;
        while (!got[n]!.includes(4) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
      }
      assert.deepEqual(got, { ann: [1, 4], bob: [2, 4], cid: [2, 3, 4] });
    });
  }, T);
}

for (const t of WAMPY_TRANSPORTS) {
  test(`subscriber_blackwhite_listing: wampy eligible and exclude over ${t.name}`, async () => {
    await withRouter(async (c) => {
      const pub = await c.wampy(t);
      const a = await c.wampy(t);
      const b = await c.wampy(t);
      const qa = new AsyncQueue<Any>();
      const qb = new AsyncQueue<Any>();
      await a.wampy.subscribe("e2e.t", (e: Any) => qa.push(e.argsList[0]));
      await b.wampy.subscribe("e2e.t", (e: Any) => qb.push(e.argsList[0]));
      await pub.wampy.publish("e2e.t", [1], { eligible: [a.id] });
      await pub.wampy.publish("e2e.t", [2], { exclude: [a.id] });
      await pub.wampy.publish("e2e.t", [3], { eligible: [a.id], exclude: [a.id] }); // nobody
      await pub.wampy.publish("e2e.t", [4]);
      assert.deepEqual([await qa.take("a", 5000), await qa.take("a", 5000)], [1, 4]);
      assert.deepEqual([await qb.take("b", 5000), await qb.take("b", 5000)], [2, 4]);
    });
  }, T);
}

test("subscriber_blackwhite_listing: all six keys, combinations and refusals over websocket/json (raw frames)", async () => {
  await withRouter(async (c) => {
    const pub = await c.raw(WS_JSON, { authid: "pub@user" });
    const subs = {
      ann: await c.raw(WS_JSON, { authid: "ann@admin" }),
      bob: await c.raw(WS_JSON, { authid: "bob@user" }),
      cid: await c.raw(WS_JSON, { authid: "cid@user" }),
    };
    for (const s of Object.values(subs)) await s.subscribe("e2e.t");
    const { ann, bob } = subs;
    const cases: Array<[Dict, string[]]> = [
      [{}, ["ann", "bob", "cid"]],
      [{ eligible: [ann.id] }, ["ann"]],
      [{ exclude: [ann.id] }, ["bob", "cid"]],
      [{ eligible_authid: ["bob@user"] }, ["bob"]],
      [{ exclude_authid: ["bob@user"] }, ["ann", "cid"]],
      [{ eligible_authrole: ["admin"] }, ["ann"]],
      [{ exclude_authrole: ["admin"] }, ["bob", "cid"]],
      // Every present list must agree (AND of the six conditions).
      [{ eligible_authrole: ["user"], exclude_authid: ["cid@user"] }, ["bob"]],
      [{ eligible: [ann.id, bob.id], eligible_authrole: ["user"] }, ["bob"]],
      [{ eligible_authid: ["ann@admin", "cid@user"], exclude_authrole: ["admin"] }, ["cid"]],
      // Exclusion wins over eligibility; an empty eligible list admits nobody.
      [{ eligible: [ann.id], exclude: [ann.id] }, []],
      [{ eligible: [] }, []],
      [{ eligible_authrole: [] }, []],
      [{ exclude: [] }, ["ann", "bob", "cid"]],
      // Unknown ids and names change nothing.
      [{ exclude: [123456789], exclude_authid: ["nobody"] }, ["ann", "bob", "cid"]],
    ];
    for (const [options, expected] of cases) {
      assert.deepEqual(await receivers(pub, subs, "e2e.t", options), expected, `PUBLISH.Options ${show(options)}`);
    }

    // The publisher is excluded even when eligible, unless exclude_me is false.
    await pub.subscribe("e2e.t");
    const all = { ...subs, pub };
    assert.deepEqual(await receivers(pub, all, "e2e.t", { eligible: [pub.id, ann.id] }), ["ann"]);
    const r = pub.request(PUBLISH, { acknowledge: true, eligible: [pub.id], exclude_me: false }, "e2e.t");
    await pub.expect(EVENT, "its own EVENT when eligible and exclude_me is false");
    assert.equal((await pub.next())[1], r);

    // Wrong types: invalid_argument when acknowledged, silence otherwise; nobody gets an EVENT.
    for (const bad of [
      { eligible: "x" },
      { eligible: [1.5] },
      { exclude: [0] },
      { exclude: ["1"] },
      { eligible_authid: [1] },
      { exclude_authid: "ann" },
      { eligible_authrole: [null] },
      { exclude_authrole: {} },
    ]) {
      pub.request(PUBLISH, { acknowledge: true, ...bad }, "e2e.t", [0]);
      await pub.expectError(PUBLISH, "wamp.error.invalid_argument", `PUBLISH.Options ${show(bad)}`);
      pub.request(PUBLISH, bad, "e2e.t", [0]);
    }
    await pub.barrier("no answer to unacknowledged refused PUBLISHes");
    for (const s of Object.values(subs)) await s.barrier("no EVENT from refused PUBLISHes");
  }, { realms: [{ name: "realm1", authenticator: authidRoles }] });
}, T);

// =====================================================================================
// pattern_based_subscription
// =====================================================================================

/** Reads `n` EVENTs and returns them by subscription id. */
async function eventsBySubscription(sub: Peer, n: number): Promise<Map<number, unknown[]>> {
  const out = new Map<number, unknown[]>();
  for (let i = 0; i < n; i++) {
    const m = await sub.expect(EVENT, `EVENT ${i + 1} of ${n}`);
    assert.ok(!out.has(m[1] as number), `two EVENTs for subscription ${m[1]}`);
    out.set(m[1] as number, m);
  }
  return out;
}

for (const t of TRANSPORTS) {
  test(`pattern_based_subscription: prefix and wildcard with details.topic, raw frames over ${t.name}`, async () => {
    await withRouter(async (c) => {
      const pub = await c.raw(t);
      const sub = await c.raw(t);
      const exact = await sub.subscribe("e2e.p.x.y");
      const prefix = await sub.subscribe("e2e.p", { match: "prefix" });
      const wild = await sub.subscribe("e2e.p..y", { match: "wildcard" });
      const p = await publish(pub, "e2e.p.x.y", {}, [1]);
      const evs = await eventsBySubscription(sub, 3);
      assert.deepEqual(evs.get(exact), [EVENT, exact, p, {}, [1]]);
      assert.deepEqual(evs.get(prefix), [EVENT, prefix, p, { topic: "e2e.p.x.y" }, [1]]);
      assert.deepEqual(evs.get(wild), [EVENT, wild, p, { topic: "e2e.p.x.y" }, [1]]);
      const p2 = await publish(pub, "e2e.px", {}, [2]); // a plain string prefix
      assert.deepEqual(await sub.expect(EVENT, "prefix EVENT"), [EVENT, prefix, p2, { topic: "e2e.px" }, [2]]);
      await publish(pub, "e2e.q.x.y");
      await publish(pub, "e2e.other.x.y.z");
      await sub.barrier("no EVENT for topics no pattern matches");
    });
  }, T);
}

for (const t of AUTOBAHN_TRANSPORTS) {
  test(`pattern_based_subscription: autobahn prefix and wildcard subscriptions over ${t.name}`, async () => {
    await withRouter(async (c) => {
      const pub = await c.autobahn(t);
      const sub = await c.autobahn(t);
      const q = new AsyncQueue<string>();
      await sub.session.subscribe("e2e.p", (_a: unknown, _k: unknown, d: Any) => q.push(`prefix ${d.topic}`), { match: "prefix" });
      await sub.session.subscribe("e2e..y", (_a: unknown, _k: unknown, d: Any) => q.push(`wildcard ${d.topic}`), { match: "wildcard" });
      await pub.session.publish("e2e.p.a", [], {}, { acknowledge: true });
      assert.equal(await q.take("prefix event", 5000), "prefix e2e.p.a");
      await pub.session.publish("e2e.x.y", [], {}, { acknowledge: true });
      assert.equal(await q.take("wildcard event", 5000), "wildcard e2e.x.y");
    });
  }, T);
}

for (const t of WAMPY_TRANSPORTS) {
  test(`pattern_based_subscription: wampy prefix and wildcard subscriptions over ${t.name}`, async () => {
    await withRouter(async (c) => {
      const pub = await c.wampy(t);
      const sub = await c.wampy(t);
      const q = new AsyncQueue<string>();
      await sub.wampy.subscribe("e2e.p", (e: Any) => q.push(`prefix ${e.details.topic}`), { match: "prefix" });
      await sub.wampy.subscribe("e2e..y", (e: Any) => q.push(`wildcard ${e.details.topic}`), { match: "wildcard" });
      await pub.wampy.publish("e2e.p.a", [1]);
      assert.equal(await q.take("prefix event", 5000), "prefix e2e.p.a");
      await pub.wampy.publish("e2e.x.y", [1]);
      assert.equal(await q.take("wildcard event", 5000), "wildcard e2e.x.y");
    });
  }, T);
}

test("pattern_based_subscription: options and refusals over websocket/json (raw frames)", async () => {
  await withRouter(async (c) => {
    const sub = await c.raw(WS_JSON);
    const other = await c.raw(WS_JSON);
    const pub = await c.raw(WS_JSON);
    // Subscriptions are per (topic, match); the same pair from two sessions shares the id.
    const e = await sub.subscribe("e2e.s", { match: "exact" });
    const p = await sub.subscribe("e2e.s", { match: "prefix" });
    const w = await sub.subscribe("e2e.s", { match: "wildcard" });
    assert.equal(new Set([e, p, w]).size, 3);
    assert.equal(await other.subscribe("e2e.s", { match: "prefix" }), p, "shared subscription id");
    assert.equal(await sub.subscribe("e2e.s"), e, "subscribing again returns the same subscription");
    await sub.subscribe("e2e.dot.", { match: "prefix" }); // a prefix may end with an empty component
    await publish(pub, "e2e.dot.x");
    assert.equal(details(await sub.expect(EVENT, "EVENT for the dotted prefix")).topic, "e2e.dot.x");
    // Wildcards match whole components, with equal component counts.
    await sub.subscribe("e2e..z", { match: "wildcard" });
    await publish(pub, "e2e.a.b.z");
    await publish(pub, "e2e.z");
    await sub.barrier("no wildcard match across a different number of components");

    for (const [options, topic, uri, what] of [
      [{ match: "fuzzy" }, "e2e.x", "wamp.error.invalid_argument", "match: \"fuzzy\""],
      [{ match: 2 }, "e2e.x", "wamp.error.invalid_argument", "match: 2"],
      [{}, "e2e..x", "wamp.error.invalid_uri", "empty component in an exact subscription"],
      [{ match: "prefix" }, "e2e..x", "wamp.error.invalid_uri", "empty inner component in a prefix"],
      [{ match: "wildcard" }, "e2e.#.x", "wamp.error.invalid_uri", "# in a wildcard pattern"],
    ] as Array<[Dict, string, string, string]>) {
      sub.request(SUBSCRIBE, options, topic);
      await sub.expectError(SUBSCRIBE, uri, what);
    }
    pub.request(PUBLISH, { acknowledge: true }, "e2e..x");
    await pub.expectError(PUBLISH, "wamp.error.invalid_uri", "a PUBLISH topic is never a pattern");
    // Meta topics may be subscribed with patterns.
    await sub.subscribe("wamp.subscription", { match: "prefix" });
  });
}, T);

// =====================================================================================
// event_retention
// =====================================================================================

for (const t of TRANSPORTS) {
  test(`event_retention: retain and get_retained, raw frames over ${t.name}`, async () => {
    await withRouter(async (c) => {
      const pub = await c.raw(t);
      const p = await publish(pub, "e2e.r", { retain: true }, [21.5], { unit: "C" });
      const late = await c.raw(t);
      const sid = await late.subscribe("e2e.r", { get_retained: true });
      assert.deepEqual(await late.expect(EVENT, "the retained EVENT"), [EVENT, sid, p, { retained: true }, [21.5], { unit: "C" }]);
      const plain = await c.raw(t);
      await plain.subscribe("e2e.r");
      await plain.barrier("no retained event without get_retained");
      // Live events after that are ordinary.
      const p2 = await publish(pub, "e2e.r", {}, [22]);
      assert.deepEqual(await late.expect(EVENT, "live EVENT"), [EVENT, sid, p2, {}, [22]]);
    });
  }, T);
}

for (const t of AUTOBAHN_TRANSPORTS) {
  test(`event_retention: autobahn retain and get_retained over ${t.name}`, async () => {
    await withRouter(async (c) => {
      const pub = await c.autobahn(t);
      const p = await pub.session.publish("e2e.r", ["kept"], {}, { acknowledge: true, retain: true });
      const sub = await c.autobahn(t);
      const q = new AsyncQueue<Any>();
      await sub.session.subscribe("e2e.r", (args: unknown[], _k: unknown, d: Any) => q.push({ args, d }), { get_retained: true });
      const ev = await q.take("the retained event", 5000);
      assert.deepEqual(ev.args, ["kept"]);
      assert.equal(ev.d.retained, true);
      assert.equal(ev.d.publication, p.id);
    });
  }, T);
}

for (const t of WAMPY_TRANSPORTS) {
  test(`event_retention: wampy subscriber with get_retained over ${t.name}`, async () => {
    // Wampy 8.0.2 reads `retain` from publish options but never puts it on the wire, so the
    // retained event comes from a raw publisher here.
    await withRouter(async (c) => {
      const pub = await c.raw(t);
      await publish(pub, "e2e.r", { retain: true }, ["kept"]);
      const sub = await c.wampy(t);
      const q = new AsyncQueue<Any>();
      await sub.wampy.subscribe("e2e.r", (e: Any) => q.push(e), { get_retained: true });
      const ev = await q.take("the retained event", 5000);
      assert.deepEqual(ev.argsList, ["kept"]);
      assert.equal(ev.details.retained, true);
    });
  }, T);
}

test("event_retention: options and refusals over websocket/json (raw frames)", async () => {
  await withRouter(async (c) => {
    const pub = await c.raw(WS_JSON, { authid: "pub@user" });
    // The most recent retained event wins; an unretained publication does not replace it.
    await publish(pub, "e2e.r", { retain: true }, [1]);
    const p2 = await publish(pub, "e2e.r", { retain: true }, [2]);
    await publish(pub, "e2e.r", {}, [3]);
    await publish(pub, "e2e.r", { retain: false }, [4]);
    const s1 = await c.raw(WS_JSON, { authid: "ann@admin" });
    const sid = await s1.subscribe("e2e.r", { get_retained: true });
    assert.deepEqual(await s1.expect(EVENT, "the retained EVENT"), [EVENT, sid, p2, { retained: true }, [2]]);
    await s1.barrier("one retained event only");
    await s1.subscribe("e2e.none", { get_retained: true });
    await s1.barrier("nothing retained on a topic never retained");
    await s1.subscribe("e2e.r", { get_retained: false });
    await s1.barrier("no retained event for get_retained: false");

    // Never a retained event the subscriber would not have received (black/white lists).
    await publish(pub, "e2e.admins", { retain: true, eligible_authrole: ["admin"] }, ["secret"]);
    const user = await c.raw(WS_JSON, { authid: "bob@user" });
    await user.subscribe("e2e.admins", { get_retained: true });
    await user.barrier("no retained event the subscriber is not eligible for");
    const admin = await c.raw(WS_JSON, { authid: "cid@admin" });
    await admin.subscribe("e2e.admins", { get_retained: true });
    assert.deepEqual((await admin.expect(EVENT, "retained EVENT for an eligible subscriber")).slice(3), [{ retained: true }, ["secret"]]);

    // Publisher exclusion applies to its own retained event.
    await publish(pub, "e2e.mine", { retain: true }, ["own"]);
    await pub.subscribe("e2e.mine", { get_retained: true });
    await pub.barrier("the publisher does not get its own retained event (exclude_me)");
    await publish(pub, "e2e.mine2", { retain: true, exclude_me: false }, ["own"]);
    await pub.subscribe("e2e.mine2", { get_retained: true });
    assert.equal(details(await pub.expect(EVENT, "own retained event with exclude_me false")).retained, true);

    // A pattern subscription gets the retained event of every matching topic, with its topic.
    const pat = await c.raw(WS_JSON, { authid: "dan@user" });
    const psid = await pat.subscribe("e2e.mine", { match: "prefix", get_retained: true });
    const got = [await pat.expect(EVENT, "retained 1"), await pat.expect(EVENT, "retained 2")];
    assert.deepEqual(got.map((m) => m[1]), [psid, psid]);
    assert.deepEqual(got.map((m) => details(m).topic).sort(), ["e2e.mine", "e2e.mine2"]);
    assert.ok(got.every((m) => details(m).retained === true));
    await pat.barrier("one retained event per matching topic");

    // Refusals.
    pub.request(PUBLISH, { acknowledge: true, retain: "yes" }, "e2e.r");
    await pub.expectError(PUBLISH, "wamp.error.invalid_argument", "retain: \"yes\"");
    pub.request(SUBSCRIBE, { get_retained: 1 }, "e2e.r");
    await pub.expectError(SUBSCRIBE, "wamp.error.invalid_argument", "get_retained: 1");
  }, { realms: [{ name: "realm1", authenticator: authidRoles }] });
}, T);

// =====================================================================================
// subscription_revocation (through the meta API's wamp.subscription.remove_subscriber)
// =====================================================================================

for (const t of TRANSPORTS) {
  test(`subscription_revocation: remove_subscriber sends UNSUBSCRIBED 0 over ${t.name}`, async () => {
    await withRouter(async (c) => {
      const sub = await c.raw(t);
      const admin = await c.raw(t);
      const sid = await sub.subscribe("e2e.t");
      await admin.callOk("wamp.subscription.remove_subscriber", [sid, sub.id], { reason: "e2e.moved" });
      assert.deepEqual(await sub.expect(UNSUBSCRIBED, "the revocation"), [UNSUBSCRIBED, 0, { subscription: sid, reason: "e2e.moved" }]);
      await publish(admin, "e2e.t");
      await sub.barrier("no EVENT after the revocation");
    });
  }, T);
}

for (const t of AUTOBAHN_TRANSPORTS) {
  test(`subscription_revocation: autobahn subscriber sees on_unsubscribe with the reason over ${t.name}`, async () => {
    await withRouter(async (c) => {
      const sub = await c.autobahn(t);
      const admin = await c.autobahn(t);
      const s = await sub.session.subscribe("e2e.t", () => {});
      await withTimeout<Any>(admin.session.call("wamp.subscription.remove_subscriber", [s.id, sub.id], { reason: "e2e.moved" }), "remove_subscriber");
      assert.equal(await withTimeout<Any>(s.on_unsubscribe, "on_unsubscribe"), "e2e.moved");
      assert.equal(s.active, false);
      assert.deepEqual(sub.internalErrors, [], "autobahn accepted the revocation");
    });
  }, T);
}

test("subscription_revocation: options and refusals over websocket/json (raw frames)", async () => {
  await withRouter(async (c) => {
    const admin = await c.raw(WS_JSON);
    const quiet = await c.raw(WS_JSON, { features: without("subscription_revocation") });
    const loud = await c.raw(WS_JSON);
    const sid = await quiet.subscribe("e2e.t");
    assert.equal(await loud.subscribe("e2e.t"), sid);
    // A subscriber without the feature is told nothing; it just gets no more events.
    await admin.callOk("wamp.subscription.remove_subscriber", [sid, quiet.id]);
    await quiet.barrier("no UNSUBSCRIBED for a subscriber without subscription_revocation");
    await publish(admin, "e2e.t", {}, [1]);
    await quiet.barrier("no EVENT after the revocation");
    assert.deepEqual((await loud.expect(EVENT, "the other subscriber still gets events")).slice(4), [[1]]);
    // Without a reason, Details has only the subscription.
    await admin.callOk("wamp.subscription.remove_subscriber", [sid, loud.id]);
    assert.deepEqual(await loud.expect(UNSUBSCRIBED, "revocation"), [UNSUBSCRIBED, 0, { subscription: sid }]);
    // Errors: unknown subscription; a session that is not (any longer) a subscriber.
    const unknown = await admin.call("wamp.subscription.remove_subscriber", [sid, loud.id]);
    assert.equal(unknown[0], ERROR, show(unknown));
    assert.equal(unknown[4], "wamp.error.no_such_subscription", "the subscription went with its last subscriber");
    const sid2 = await loud.subscribe("e2e.u");
    const notSub = await admin.call("wamp.subscription.remove_subscriber", [sid2, quiet.id]);
    assert.equal(notSub[0], ERROR, show(notSub));
    // Revoked subscribers may subscribe again.
    await quiet.subscribe("e2e.t");
  });
}, T);

// =====================================================================================
// payload_passthru_mode
// =====================================================================================

const PPT = { ppt_scheme: "x_e2e", ppt_serializer: "cbor", ppt_cipher: "xsalsa20poly1305", ppt_keyid: "key-1" };

for (const t of TRANSPORTS) {
  test(`payload_passthru_mode: PUBLISH ppt_* reaches EVENT.Details with the payload untouched, raw frames over ${t.name}`, async () => {
    await withRouter(async (c) => {
      const pub = await c.raw(t);
      const sub = await c.raw(t);
      const sid = await sub.subscribe("e2e.t");
      const psid = await sub.subscribe("e2e", { match: "prefix" });
      const blob = bytes(1000, 3);
      const p = await publish(pub, "e2e.t", PPT, [blob]);
      const evs = await eventsBySubscription(sub, 2);
      assert.deepEqual(evs.get(sid)!.slice(0, 4), [EVENT, sid, p, PPT]);
      assert.deepEqual(evs.get(psid)!.slice(0, 4), [EVENT, psid, p, { ...PPT, topic: "e2e.t" }]);
      assertBytes((evs.get(sid)![4] as unknown[])[0], blob, "EVENT payload");
    });
  }, T);
}

for (const t of WAMPY_TRANSPORTS) {
  test(`payload_passthru_mode: wampy publisher and subscriber with ppt_serializer cbor over ${t.name}`, async () => {
    await withRouter(async (c) => {
      const pub = await c.wampy(t);
      const sub = await c.wampy(t);
      const q = new AsyncQueue<Any>();
      await sub.wampy.subscribe("e2e.t", (e: Any) => q.push(e));
      await pub.wampy.publish("e2e.t", { argsList: [1, "two"], argsDict: { k: "v" } }, { ppt_scheme: "x_e2e", ppt_serializer: "cbor" });
      const e = await q.take("the passthru event", 5000);
      assert.equal(e.details.ppt_scheme, "x_e2e");
      assert.equal(e.details.ppt_serializer, "cbor");
      assert.deepEqual(e.argsList, [1, "two"]);
      assert.deepEqual(e.argsDict, { k: "v" });
    });
  }, T);
}

test("payload_passthru_mode: options and refusals for publications over websocket/json (raw frames)", async () => {
  await withRouter(async (c) => {
    const pub = await c.raw(WS_JSON);
    const sub = await c.raw(WS_JSON, { features: without("payload_passthru_mode") });
    await sub.subscribe("e2e.t");
    for (const [options, what] of [
      [{ ppt_serializer: "cbor" }, "ppt_serializer without ppt_scheme"],
      [{ ppt_scheme: "" }, "empty ppt_scheme"],
      [{ ppt_scheme: 7 }, "ppt_scheme not a string"],
      [{ ppt_scheme: "x_e2e", ppt_keyid: 1 }, "ppt_keyid not a string"],
    ] as Array<[Dict, string]>) {
      pub.request(PUBLISH, { acknowledge: true, ...options }, "e2e.t", [bytes(2)]);
      await pub.expectError(PUBLISH, "wamp.error.invalid_argument", what);
    }
    await sub.barrier("no EVENT for refused publications");
    // A subscriber without the feature cannot be detected (spec): it gets the event as is.
    await publish(pub, "e2e.t", { ppt_scheme: "mqtt" }, [bytes(2)]);
    assert.deepEqual(details(await sub.expect(EVENT, "EVENT")), { ppt_scheme: "mqtt" });
    // A publisher without the feature is aborted.
    sub.request(PUBLISH, { ppt_scheme: "x_e2e" }, "e2e.t", [bytes(2)]);
    await sub.expectAbort("wamp.error.protocol_violation", "ppt PUBLISH without the feature");
  });
}, T);

// =====================================================================================
// event_history (wamp.subscription.get_events), for the topics a realm configures
// =====================================================================================

const HISTORY_REALM = {
  realms: [{ name: "realm1", history: [{ uri: "e2e.h", match: "exact" as const, limit: 3 }, { uri: "e2e.hp", match: "prefix" as const, limit: 10 }] }],
};

async function historyScenario(c: { raw(t: Transport): Promise<Peer> }, t: Transport): Promise<void> {
  const pub = await c.raw(t);
  const pubs: number[] = [];
  for (let i = 1; i <= 5; i++) pubs.push(await publish(pub, "e2e.h", {}, [i], { n: i }));
  const sub = await c.raw(t);
  const sid = await sub.subscribe("e2e.h");
  const events = await sub.callOk("wamp.subscription.get_events", [sid]);
  assert.equal(events.length, 3, `the last 3 of 5 events are kept: ${show(events)}`);
  assert.deepEqual(events.map((e) => (e as Dict).publication), pubs.slice(2));
  const first = events[0] as Dict;
  assert.equal(first.subscription, sid);
  assert.deepEqual(first.args, [3]);
  assert.deepEqual(first.kwargs, { n: 3 });
  assert.equal(typeof first.timestamp, "string");
  assert.ok(!Number.isNaN(Date.parse(first.timestamp as string)), `RFC 3339 timestamp: ${first.timestamp}`);
  const newest = await sub.callOk("wamp.subscription.get_events", [sid], { reverse: true, limit: 1 });
  assert.deepEqual(newest.map((e) => (e as Dict).publication), [pubs[4]]);
}

for (const t of TRANSPORTS) {
  test(`event_history: wamp.subscription.get_events, raw frames over ${t.name}`, async () => {
    await withRouter(async (c) => historyScenario(c, t), HISTORY_REALM);
  }, T);
}

for (const t of AUTOBAHN_TRANSPORTS) {
  test(`event_history: autobahn calls wamp.subscription.get_events over ${t.name}`, async () => {
    await withRouter(async (c) => {
      const pub = await c.autobahn(t);
      for (let i = 1; i <= 4; i++) await pub.session.publish("e2e.hp.a", [i], {}, { acknowledge: true });
      const sub = await c.autobahn(t);
      const s = await sub.session.subscribe("e2e.hp", () => {}, { match: "prefix" });
      const res = await withTimeout<Any>(sub.session.call("wamp.subscription.get_events", [s.id], { limit: 2, reverse: true }), "get_events");
      // Several events: autobahn wraps the list of results in a Result.
      const list = res instanceof Object && "args" in res ? res.args : res;
      assert.deepEqual(list.map((e: Any) => e.args[0]), [4, 3]);
    }, HISTORY_REALM);
  }, T);
}

test("event_history: filters and refusals over websocket/json (raw frames)", async () => {
  await withRouter(async (c) => {
    const pub = await c.raw(WS_JSON);
    const pubs: number[] = [];
    for (const topic of ["e2e.hp.a", "e2e.hp.b", "e2e.hp.a", "e2e.hp.b"]) pubs.push(await publish(pub, topic, {}, [topic]));
    const sub = await c.raw(WS_JSON);
    const sid = await sub.subscribe("e2e.hp", { match: "prefix" });
    const ids = async (kwargs: Dict) => (await sub.callOk("wamp.subscription.get_events", [sid], kwargs)).map((e) => (e as Dict).publication);
    assert.deepEqual(await ids({}), pubs);
    assert.deepEqual(await ids({ topic: "e2e.hp.b" }), [pubs[1], pubs[3]]);
    assert.deepEqual(await ids({ after_publication: pubs[1] }), pubs.slice(2));
    assert.deepEqual(await ids({ from_publication: pubs[1], until_publication: pubs[2] }), [pubs[1], pubs[2]]);
    assert.deepEqual(await ids({ before_publication: pubs[1] }), [pubs[0]]);
    assert.deepEqual(await ids({ from_time: "2000-01-01T00:00:00Z" }), pubs);
    assert.deepEqual(await ids({ before_time: "2000-01-01T00:00:00Z" }), []);

    // No history kept for a subscription; unknown subscription; bad filters.
    const other = await sub.subscribe("e2e.nohistory");
    const e1 = await sub.call("wamp.subscription.get_events", [other]);
    assert.deepEqual(e1.slice(0, 1), [ERROR], show(e1));
    assert.equal(e1[4], "wamp.error.history_unavailable");
    const e2 = await sub.call("wamp.subscription.get_events", [123456789]);
    assert.equal(e2[4], "wamp.error.no_such_subscription");
    const e3 = await sub.call("wamp.subscription.get_events", [sid], { limit: 0 });
    assert.equal(e3[4], "wamp.error.invalid_argument");
    const e4 = await sub.call("wamp.subscription.get_events", [sid], { from_time: "yesterday" });
    assert.equal(e4[4], "wamp.error.invalid_argument");
  }, HISTORY_REALM);
}, T);
