import assert from "node:assert/strict";
import { test } from "../_support/harness.ts";
import { FakeClock } from "../_support/fake_clock.ts";
import { SeededRandom } from "../_support/seeded_random.ts";
import { MemoryClient } from "../_support/memory_client.ts";
import { Router } from "../../src/router/router.ts";
import type { RealmOptions } from "../../src/router/options.ts";
import { Broker, type HistoryTopic } from "../../src/router/broker.ts";
import { parseHistoryQuery } from "../../src/router/history_query.ts";
import { type RealmObserver, silentObserver, type SubscriptionInfo } from "../../src/router/realm_events.ts";
import { MemoryStorage, type Storage } from "../../src/platform/storage.ts";
import type { Peer } from "../../src/session/peer.ts";
import { Session } from "../../src/session/session.ts";
import { BROKER_FEATURES } from "../../src/wamp/features.ts";

type Features = Record<string, boolean>;
type Details = Record<string, unknown>;

const ALL: Features = {
  publisher_identification: true,
  subscriber_blackwhite_listing: true,
  publisher_exclusion: true,
  pattern_based_subscription: true,
  event_retention: true,
  subscription_revocation: true,
  payload_passthru_mode: true,
};

function setup(opts: { storage?: Storage; realm?: Partial<RealmOptions>; clock?: FakeClock; seed?: number } = {}) {
  const clock = opts.clock ?? new FakeClock();
  const storage = opts.storage ?? new MemoryStorage();
  const router = new Router({
    realms: [{ name: "realm1", ...opts.realm }],
    clock,
    random: new SeededRandom(opts.seed ?? 11),
    storage,
  });
  const realm = router.realm("realm1")!;
  const join = (features: Features = ALL, authid?: string, protocol = "wamp.2.json") => {
    const c = new MemoryClient(router, protocol);
    const roles = { publisher: { features }, subscriber: { features }, caller: {}, callee: {} };
    const w = c.hello("realm1", authid ? { roles, authid } : { roles });
    assert.equal(w[0], 2, `expected WELCOME, got ${JSON.stringify(w)}`);
    return c;
  };
  const session = (c: MemoryClient) => realm.session(c.sessionId)!;
  /** Sessions are all "anonymous" until authentication lands; tests set roles directly. */
  const setRole = (c: MemoryClient, authrole: string) => {
    const s = session(c);
    s.auth = { ...s.auth!, authrole };
  };
  return { clock, storage, router, realm, join, session, setRole };
}

function subscribe(c: MemoryClient, topic: string, options: Details = {}): number {
  const r = c.request(32, options, topic);
  const m = c.take();
  assert.equal(m[0], 33, `SUBSCRIBE ${topic} ${JSON.stringify(options)} -> ${JSON.stringify(m)}`);
  assert.equal(m[1], r);
  return m[2] as number;
}

/** Publishes with acknowledge and returns the publication id. */
function publish(c: MemoryClient, topic: string, options: Details = {}, args?: unknown[], kwargs?: Details): number {
  const rest = kwargs ? [args ?? [], kwargs] : args ? [args] : [];
  const r = c.request(16, { ...options, acknowledge: true }, topic, ...rest);
  const m = c.take();
  assert.equal(m[0], 17, `PUBLISH ${topic} ${JSON.stringify(options)} -> ${JSON.stringify(m)}`);
  assert.equal(m[1], r);
  return m[2] as number;
}

function assertError(c: MemoryClient, type: number, req: number, uri: string, messageIncludes?: string) {
  const m = c.take();
  assert.deepEqual(m.slice(0, 5), [8, type, req, {}, uri], JSON.stringify(m));
  if (messageIncludes) assert.match(String((m[5] as unknown[])[0]), new RegExp(messageIncludes));
}

function received(clients: MemoryClient[]): boolean[] {
  return clients.map((c) => {
    const got = c.inbox.length > 0;
    if (got) assert.equal(c.take()[0], 36);
    assert.equal(c.inbox.length, 0);
    return got;
  });
}

// --- features ---

test("broker: WELCOME announces the broker features that work, event_history with the meta API", () => {
  const { router } = setup();
  const c = new MemoryClient(router);
  const w = c.hello("realm1", { roles: { subscriber: {} } });
  const features = ((w[2] as Details).roles as Record<string, { features: Features }>).broker!.features;
  for (const f of [
    "publisher_exclusion",
    "publisher_identification",
    "subscriber_blackwhite_listing",
    "pattern_based_subscription",
    "event_retention",
    "subscription_revocation",
    "payload_passthru_mode",
  ]) {
    assert.equal(features[f], true, f);
  }
  // The meta API adds its own flags to the broker role; every BROKER_FEATURES flag is there.
  for (const [f, on] of Object.entries(BROKER_FEATURES)) assert.equal(features[f], on, f);
  assert.equal(features["event_history"], true, "wamp.subscription.get_events serves it");
});

// --- publisher identification ---

test("broker: disclose_me puts publisher, publisher_authid and publisher_authrole in EVENT.Details", () => {
  const { join, setRole } = setup();
  const sub = join();
  const pub = join(ALL, "alice");
  setRole(pub, "writer");
  const subId = subscribe(sub, "t.id");
  const p1 = publish(pub, "t.id", { disclose_me: true }, ["x"]);
  assert.deepEqual(sub.take(), [36, subId, p1, {
    publisher: pub.sessionId,
    publisher_authid: "alice",
    publisher_authrole: "writer",
  }, ["x"]]);
  const p2 = publish(pub, "t.id", { disclose_me: false });
  assert.deepEqual(sub.take(), [36, subId, p2, {}]);
  publish(pub, "t.id");
  assert.deepEqual(sub.take()[3], {}, "no disclosure by default");
  const r = pub.request(16, { acknowledge: true, disclose_me: "yes" }, "t.id");
  assertError(pub, 16, r, "wamp.error.invalid_argument", "disclose_me must be a boolean");
  pub.request(16, { disclose_me: 1 }, "t.id");
  assert.equal(pub.inbox.length, 0, "unacknowledged refusal is silent");
  assert.equal(sub.inbox.length, 0, "and nothing is delivered");
});

// --- black and white listing ---

test("broker: eligible and exclude by session id intersect and subtract", () => {
  const { join } = setup();
  const [a, b, c, d] = [join(), join(), join(), join()];
  const pub = join();
  for (const s of [a, b, c, d]) subscribe(s, "t.bw");
  const ids = [a, b, c].map((s) => s.sessionId);
  publish(pub, "t.bw", { eligible: ids, exclude: [a.sessionId] });
  assert.deepEqual(received([a, b, c, d]), [false, true, true, false]);
  publish(pub, "t.bw", { exclude: [b.sessionId, d.sessionId] });
  assert.deepEqual(received([a, b, c, d]), [true, false, true, false]);
  publish(pub, "t.bw", { eligible: [] });
  assert.deepEqual(received([a, b, c, d]), [false, false, false, false], "an empty eligible list admits nobody");
  publish(pub, "t.bw", { exclude: [] });
  assert.deepEqual(received([a, b, c, d]), [true, true, true, true]);
});

test("broker: eligible/exclude by authid and authrole; every present list must agree", () => {
  const { join, setRole } = setup();
  const a = join(ALL, "ann");
  const b = join(ALL, "bob");
  const c = join(ALL, "cid");
  setRole(a, "admin");
  setRole(b, "admin");
  setRole(c, "user");
  const pub = join(ALL, "pub");
  const all = [a, b, c];
  for (const s of all) subscribe(s, "t.auth");
  publish(pub, "t.auth", { eligible_authrole: ["admin"] });
  assert.deepEqual(received(all), [true, true, false]);
  publish(pub, "t.auth", { exclude_authrole: ["admin"] });
  assert.deepEqual(received(all), [false, false, true]);
  publish(pub, "t.auth", { eligible_authid: ["ann", "cid"] });
  assert.deepEqual(received(all), [true, false, true]);
  publish(pub, "t.auth", { exclude_authid: ["ann"] });
  assert.deepEqual(received(all), [false, true, true]);
  publish(pub, "t.auth", { eligible_authrole: ["admin"], eligible_authid: ["bob", "cid"] });
  assert.deepEqual(received(all), [false, true, false], "eligible lists intersect");
  publish(pub, "t.auth", { eligible_authrole: ["admin", "user"], exclude_authid: ["bob"], exclude: [c.sessionId] });
  assert.deepEqual(received(all), [true, false, false], "exclude lists subtract");
  publish(pub, "t.auth", { eligible: [a.sessionId], exclude_authrole: ["admin"] });
  assert.deepEqual(received(all), [false, false, false], "exclusion wins over eligibility");
});

test("broker: exclude_me still applies to an eligible publisher; exclude_me false lets it through", () => {
  const { join } = setup();
  const pub = join();
  const other = join();
  subscribe(pub, "t.me");
  subscribe(other, "t.me");
  publish(pub, "t.me", { eligible: [pub.sessionId, other.sessionId] });
  assert.deepEqual(received([pub, other]), [false, true]);
  pub.request(16, { eligible: [pub.sessionId], exclude_me: false }, "t.me");
  assert.deepEqual(received([pub, other]), [true, false]);
  const r = pub.request(16, { acknowledge: true, exclude_me: "no" }, "t.me");
  assertError(pub, 16, r, "wamp.error.invalid_argument", "exclude_me");
});

test("broker: black/white lists of the wrong type are refused (acknowledged) or dropped (not)", () => {
  const { join } = setup();
  const sub = join();
  const pub = join();
  subscribe(sub, "t.types");
  const bad: Array<[string, unknown, string]> = [
    ["exclude", 5, "list of session ids"],
    ["exclude", ["x"], "list of session ids"],
    ["eligible", [0], "list of session ids"],
    ["eligible", [1.5], "list of session ids"],
    ["eligible", "1", "list of session ids"],
    ["exclude_authid", "ann", "list of strings"],
    ["exclude_authid", [1], "list of strings"],
    ["eligible_authid", [null], "list of strings"],
    ["exclude_authrole", {}, "list of strings"],
    ["eligible_authrole", [["admin"]], "list of strings"],
  ];
  for (const [key, value, why] of bad) {
    const r = pub.request(16, { acknowledge: true, [key]: value }, "t.types", [1]);
    assertError(pub, 16, r, "wamp.error.invalid_argument", `${key} must be a ${why}`);
    pub.request(16, { [key]: value }, "t.types", [1]);
    assert.equal(pub.inbox.length, 0, `${key}: unacknowledged refusal is silent`);
    assert.equal(sub.inbox.length, 0, `${key}: nothing delivered`);
  }
});

// --- pattern-based subscription ---

test("broker: prefix and wildcard subscriptions get events with the concrete topic", () => {
  const { join } = setup();
  const exact = join();
  const prefix = join();
  const wild = join();
  const pub = join();
  const se = subscribe(exact, "com.app.user.created");
  const sp = subscribe(prefix, "com.app", { match: "prefix" });
  const sw = subscribe(wild, "com.app..created", { match: "wildcard" });
  const p = publish(pub, "com.app.user.created", {}, [1]);
  assert.deepEqual(exact.take(), [36, se, p, {}, [1]], "exact subscriptions get no topic");
  assert.deepEqual(prefix.take(), [36, sp, p, { topic: "com.app.user.created" }, [1]]);
  assert.deepEqual(wild.take(), [36, sw, p, { topic: "com.app.user.created" }, [1]]);
  publish(pub, "com.apple.pie");
  assert.deepEqual(prefix.take()[3], { topic: "com.apple.pie" }, "prefix is a plain string prefix");
  publish(pub, "com.app.user.created.late");
  assert.equal(wild.inbox.length, 0, "wildcards match the same number of components");
  assert.equal(prefix.take()[0], 36);
  publish(pub, "com.app.order.created");
  assert.deepEqual(received([exact, prefix, wild]), [false, true, true]);
});

test("broker: one EVENT per matching subscription, same publication id, never two per subscription", () => {
  const { join } = setup();
  const s = join();
  const pub = join();
  const ids = [
    subscribe(s, "a.b.c"),
    subscribe(s, "a.b", { match: "prefix" }),
    subscribe(s, "a", { match: "prefix" }),
    subscribe(s, "a..c", { match: "wildcard" }),
    subscribe(s, "..c", { match: "wildcard" }),
  ];
  assert.equal(new Set(ids).size, 5);
  const p = publish(pub, "a.b.c");
  const events = [s.take(), s.take(), s.take(), s.take(), s.take()];
  assert.equal(s.inbox.length, 0);
  assert.deepEqual(events.map((e) => e[1]).sort(), [...ids].sort());
  for (const e of events) assert.equal(e[2], p);
});

test("broker: subscriptions are shared per (uri, match); match values and pattern URIs are checked", () => {
  const { join } = setup();
  const a = join();
  const b = join();
  const p1 = subscribe(a, "x.y", { match: "prefix" });
  assert.equal(subscribe(b, "x.y", { match: "prefix" }), p1, "same uri and match: same subscription");
  const e1 = subscribe(a, "x.y");
  assert.equal(subscribe(b, "x.y", { match: "exact" }), e1, "match exact is the default");
  assert.notEqual(e1, p1);
  assert.notEqual(subscribe(a, "x.y", { match: "wildcard" }), p1);
  assert.equal(subscribe(a, "x.y"), e1, "subscribing again gives the same id");
  const bad = a.request(32, { match: "regex" }, "x.*");
  assertError(a, 32, bad, "wamp.error.invalid_argument", 'match must be "exact", "prefix" or "wildcard", found string "regex"');
  const bad2 = a.request(32, { match: 1 }, "x.y");
  assertError(a, 32, bad2, "wamp.error.invalid_argument", "number 1");
  const uris: Array<[string, string, boolean]> = [
    ["a..b", "exact", false],
    ["a..b", "wildcard", true],
    ["..", "wildcard", true],
    ["a..b", "prefix", false],
    ["com.app.", "prefix", true],
    ["com.app.", "exact", false],
    ["a b", "prefix", false],
    ["a#b", "wildcard", false],
  ];
  for (const [uri, match, ok] of uris) {
    const r = a.request(32, { match }, uri);
    const m = a.take();
    if (ok) assert.equal(m[0], 33, `${match} ${uri}`);
    else assert.deepEqual(m.slice(0, 5), [8, 32, r, {}, "wamp.error.invalid_uri"], `${match} ${uri}`);
  }
});

test("broker: strict URI check applies to patterns", () => {
  const { join } = setup({ realm: { uriCheck: "strict" } });
  const a = join();
  subscribe(a, "com.app..x", { match: "wildcard" });
  subscribe(a, "com.app.", { match: "prefix" });
  const r = a.request(32, { match: "prefix" }, "com.App");
  assertError(a, 32, r, "wamp.error.invalid_uri", "not a valid prefix topic URI");
});

test("broker: wamp.* meta topics can be subscribed (exact and pattern) but only internal sessions publish there", () => {
  const { join, router } = setup();
  const a = join();
  const se = subscribe(a, "wamp.session.on_join");
  const sp = subscribe(a, "wamp.subscription.", { match: "prefix" });
  const r = a.request(16, { acknowledge: true }, "wamp.session.on_join", [1]);
  assertError(a, 16, r, "wamp.error.invalid_uri", "reserved");
  // An internal session (the meta API) publishing through the normal path.
  const sent: unknown[][] = [];
  const peer: Peer = {
    info: { kind: "local" },
    serializer: "json",
    send: (m) => {
      sent.push([...m]);
      return "ok";
    },
    close: () => {},
  };
  const internal = new Session(router, peer, { internal: true });
  internal.receive([1, "realm1", { roles: { publisher: {} } }]);
  assert.equal(sent[0]![0], 2);
  internal.receive([16, 1, { acknowledge: true }, "wamp.session.on_join", [{ session: 1 }]]);
  assert.equal(sent[1]![0], 17);
  assert.deepEqual(a.take(), [36, se, sent[1]![2], {}, [{ session: 1 }]]);
  internal.receive([16, 2, {}, "wamp.subscription.on_create", [1, {}]]);
  const ev = a.take();
  assert.equal(ev[1], sp);
  assert.deepEqual(ev[3], { topic: "wamp.subscription.on_create" });
});

// --- event retention ---

test("broker: a retained event reaches a later subscriber that asks, after SUBSCRIBED, with retained: true", () => {
  const { join } = setup();
  const pub = join(ALL, "sensor");
  const p1 = publish(pub, "t.temp", { retain: true }, [20]);
  const p2 = publish(pub, "t.temp", { retain: true, disclose_me: true }, [21], { unit: "C" });
  publish(pub, "t.temp", {}, [99]);
  const late = join();
  const r = late.request(32, { get_retained: true }, "t.temp");
  const subscribed = late.take();
  assert.deepEqual(subscribed.slice(0, 2), [33, r]);
  assert.deepEqual(late.take(), [36, subscribed[2], p2, {
    publisher: pub.sessionId,
    publisher_authid: "sensor",
    publisher_authrole: "anonymous",
    retained: true,
  }, [21], { unit: "C" }], "the last retained publication wins, not the last publication");
  assert.equal(late.inbox.length, 0);
  assert.notEqual(p1, p2);
  const plain = join();
  subscribe(plain, "t.temp");
  assert.equal(plain.inbox.length, 0, "no get_retained, no retained event");
  subscribe(plain, "t.temp", { get_retained: false });
  assert.equal(plain.inbox.length, 0);
  const none = join();
  subscribe(none, "t.never", { get_retained: true });
  assert.equal(none.inbox.length, 0);
});

test("broker: retained events honour the original black/white lists and publisher exclusion", () => {
  const { join, setRole } = setup();
  const pub = join();
  const admin = join();
  setRole(admin, "admin");
  const user = join();
  publish(pub, "t.secret", { retain: true, eligible_authrole: ["admin"] }, ["s"]);
  subscribe(user, "t.secret", { get_retained: true });
  assert.equal(user.inbox.length, 0, "the user would not have received it");
  subscribe(admin, "t.secret", { get_retained: true });
  assert.deepEqual(admin.take()[4], ["s"]);
  publish(pub, "t.ex", { retain: true, exclude: [user.sessionId] });
  subscribe(user, "t.ex", { get_retained: true });
  assert.equal(user.inbox.length, 0);
  subscribe(pub, "t.ex", { get_retained: true });
  assert.equal(pub.inbox.length, 0, "the publisher excluded itself (exclude_me default)");
  publish(pub, "t.mine", { retain: true, exclude_me: false });
  subscribe(pub, "t.mine", { get_retained: true });
  assert.equal(pub.take()[0], 36);
});

test("broker: pattern subscriptions get the retained event of every matching topic, with its topic", () => {
  const { join } = setup();
  const pub = join();
  const pa = publish(pub, "sensor.a.temp", { retain: true }, [1]);
  const pb = publish(pub, "sensor.b.temp", { retain: true }, [2]);
  publish(pub, "sensor.b.humidity", { retain: true }, [3]);
  publish(pub, "other.a.temp", { retain: true }, [4]);
  const s = join();
  const id = subscribe(s, "sensor..temp", { match: "wildcard", get_retained: true });
  assert.deepEqual(s.take(), [36, id, pa, { retained: true, topic: "sensor.a.temp" }, [1]]);
  assert.deepEqual(s.take(), [36, id, pb, { retained: true, topic: "sensor.b.temp" }, [2]]);
  assert.equal(s.inbox.length, 0);
  const idp = subscribe(s, "sensor.", { match: "prefix", get_retained: true });
  assert.deepEqual([s.take(), s.take(), s.take()].map((e) => [e[1], (e[3] as Details).topic]), [
    [idp, "sensor.a.temp"],
    [idp, "sensor.b.temp"],
    [idp, "sensor.b.humidity"],
  ]);
});

test("broker: retain and get_retained must be booleans", () => {
  const { join } = setup();
  const c = join();
  const r1 = c.request(16, { acknowledge: true, retain: "true" }, "t.r");
  assertError(c, 16, r1, "wamp.error.invalid_argument", "retain must be a boolean");
  const r2 = c.request(32, { get_retained: 1 }, "t.r");
  assertError(c, 32, r2, "wamp.error.invalid_argument", "get_retained must be a boolean");
  const other = join();
  subscribe(other, "t.r", { get_retained: true });
  assert.equal(other.inbox.length, 0, "the refused publication was not retained");
});

test("broker: retained events survive a restart through storage", async () => {
  const storage = new MemoryStorage();
  const first = setup({ storage });
  const pub = first.join(ALL, "sensor", "wamp.2.msgpack");
  const bin = new Uint8Array([0, 1, 2, 250]);
  const p1 = publish(pub, "t.kept", { retain: true, disclose_me: true, eligible_authid: ["reader"] }, [bin, 2 ** 40], { k: "v" });
  const p2 = publish(pub, "t.kept2", { retain: true });
  await first.realm.broker.flush();
  assert.equal((await storage.list(["retained", "realm1"])).length, 2);

  const second = setup({ storage, seed: 99 });
  await second.realm.broker.load();
  await second.realm.broker.load(); // idempotent
  const reader = second.join(ALL, "reader", "wamp.2.cbor");
  const id = subscribe(reader, "t.kept", { get_retained: true });
  assert.deepEqual(reader.take(), [36, id, p1, {
    publisher: pub.sessionId,
    publisher_authid: "sensor",
    publisher_authrole: "anonymous",
    retained: true,
  }, [bin, 2 ** 40], { k: "v" }]);
  const stranger = second.join(ALL, "stranger");
  subscribe(stranger, "t.kept", { get_retained: true });
  assert.equal(stranger.inbox.length, 0, "eligibility is stored with the event");
  const id2 = subscribe(stranger, "t.", { match: "prefix", get_retained: true });
  assert.deepEqual(stranger.take(), [36, id2, p2, { retained: true, topic: "t.kept2" }]);
  assert.equal(stranger.inbox.length, 0);
});

test("broker: a topic retained again before load finished keeps the newer event", async () => {
  const storage = new MemoryStorage();
  const first = setup({ storage });
  publish(first.join(), "t.race", { retain: true }, ["old"]);
  await first.realm.broker.flush();
  const second = setup({ storage, seed: 5 });
  publish(second.join(), "t.race", { retain: true }, ["new"]);
  await second.realm.broker.load();
  const s = second.join();
  subscribe(s, "t.race", { get_retained: true });
  assert.deepEqual(s.take()[4], ["new"]);
  await second.realm.broker.flush();
  const third = setup({ storage, seed: 6 });
  await third.realm.broker.load();
  const t = third.join();
  subscribe(t, "t.race", { get_retained: true });
  assert.deepEqual(t.take()[4], ["new"], "the newer event was also written last");
});

test("broker: unreadable stored retained events are skipped with a warning", async () => {
  const storage = new MemoryStorage();
  await storage.set(["retained", "realm1", "t.bad"], new Uint8Array([0xc1]));
  await storage.set(["retained", "realm1", "t.bad2"], new Uint8Array([0x92, 0x01, 0x80]));
  const warnings: string[] = [];
  const router = new Router({
    realms: [{ name: "realm1" }],
    clock: new FakeClock(),
    random: new SeededRandom(1),
    storage,
    logger: { log: (level, msg) => level === "warn" && warnings.push(msg) },
  });
  await router.realm("realm1")!.broker.load();
  assert.equal(warnings.length, 2);
});

test("broker: a failing storage write is logged and never reaches the publisher", async () => {
  const storage = new MemoryStorage();
  const failing: Storage = Object.assign(Object.create(storage) as Storage, {
    set: () => Promise.reject(new Error("disk full")),
    list: storage.list.bind(storage),
  });
  const errors: unknown[] = [];
  const router = new Router({
    realms: [{ name: "realm1" }],
    clock: new FakeClock(),
    random: new SeededRandom(1),
    storage: failing,
    logger: { log: (level, msg, fields) => level === "error" && errors.push([msg, fields]) },
  });
  const c = new MemoryClient(router);
  c.hello();
  publish(c, "t.fail", { retain: true });
  await router.realm("realm1")!.broker.flush();
  assert.equal(errors.length, 1);
  assert.match(JSON.stringify(errors[0]), /disk full/);
  const s = new MemoryClient(router);
  s.hello();
  subscribe(s, "t.fail", { get_retained: true });
  assert.equal(s.take()[0], 36, "still retained in memory");
});

// --- subscription revocation ---

test("broker: removeSubscriber revokes with UNSUBSCRIBED 0 for subscribers that announced it", () => {
  const { join, realm, session } = setup();
  const able = join();
  const plain = join({});
  const pub = join();
  const id = subscribe(able, "t.rev");
  assert.equal(subscribe(plain, "t.rev"), id);
  const broker = realm.broker;
  assert.equal(broker.removeSubscriber(id, session(able), "no longer authorized"), true);
  assert.deepEqual(able.take(), [35, 0, { subscription: id, reason: "no longer authorized" }]);
  assert.equal(broker.removeSubscriber(id, session(able)), false, "not subscribed any more");
  assert.equal(broker.removeSubscriber(12345, session(plain)), false, "no such subscription");
  assert.equal(broker.removeSubscriber(id, session(plain)), true);
  assert.equal(plain.inbox.length, 0, "no UNSUBSCRIBED to a subscriber without the feature");
  publish(pub, "t.rev");
  assert.deepEqual(received([able, plain]), [false, false]);
  assert.equal(broker.subscriptionCount, 0);
  const id2 = subscribe(able, "t.rev2");
  broker.removeSubscriber(id2, session(able));
  assert.deepEqual(able.take(), [35, 0, { subscription: id2 }], "no reason key when none is given");
  const r = able.request(34, id2);
  assertError(able, 34, r, "wamp.error.no_such_subscription");
});

// --- queries and observer ---

test("broker: subscriptions, getSubscription, lookupSubscription, matchSubscriptions, subscriptionCount", () => {
  const { join, realm, session, clock } = setup();
  const a = join();
  const b = join();
  const broker = realm.broker;
  const ex = subscribe(a, "q.a.b");
  clock.advance(1_000);
  const px = subscribe(b, "q.a", { match: "prefix" });
  subscribe(a, "q.a", { match: "prefix" });
  const wc = subscribe(b, "q..b", { match: "wildcard" });
  subscribe(b, "q.other");
  assert.equal(broker.subscriptionCount, 4);
  assert.equal([...broker.subscriptions()].length, 4);
  const info = broker.getSubscription(px)!;
  assert.equal(info.id, px);
  assert.equal(info.uri, "q.a");
  assert.equal(info.match, "prefix");
  assert.equal(info.created, clock.now());
  assert.deepEqual([...info.subscribers].map((s) => s.id).sort(), [a.sessionId, b.sessionId].sort());
  assert.equal(broker.getSubscription(ex)!.created, clock.now() - 1_000);
  assert.equal(broker.getSubscription(999), undefined);
  assert.equal(broker.lookupSubscription("q.a", "prefix")?.id, px);
  assert.equal(broker.lookupSubscription("q.a", "exact"), undefined);
  assert.equal(broker.lookupSubscription("q..b", "wildcard")?.id, wc);
  assert.deepEqual(broker.matchSubscriptions("q.a.b").map((s) => s.id).sort(), [ex, px, wc].sort());
  assert.deepEqual(broker.matchSubscriptions("nothing"), []);
  realm.leave(session(b));
  assert.deepEqual([...broker.getSubscription(px)!.subscribers].map((s) => s.id), [a.sessionId]);
  assert.equal(broker.getSubscription(wc), undefined, "its only subscriber left");
  assert.equal(broker.subscriptionCount, 2);
});

test("broker: observer hears create before subscribe, unsubscribe before delete, on leave and revocation too", () => {
  const { join, realm, session } = setup();
  const calls: string[] = [];
  const who = new Map<number, string>();
  const note = (what: string) => (s: { id: number }, sub: SubscriptionInfo) =>
    calls.push(`${what} ${who.get(s.id)} ${sub.uri} ${sub.subscribers.size}`);
  const observer: RealmObserver = {
    sessionJoined() {},
    sessionLeft() {},
    subscriptionCreated: note("create"),
    subscribed: note("subscribe"),
    unsubscribed: note("unsubscribe"),
    subscriptionDeleted: note("delete"),
    registrationCreated() {},
    registered() {},
    unregistered() {},
    registrationDeleted() {},
  };
  realm.context.observer = observer;
  const a = join();
  const b = join();
  who.set(a.sessionId, "A").set(b.sessionId, "B");
  const id = subscribe(a, "o.t");
  subscribe(b, "o.t");
  subscribe(b, "o.t");
  subscribe(a, "o.", { match: "prefix" });
  assert.deepEqual(calls.splice(0), [
    "create A o.t 1",
    "subscribe A o.t 1",
    "subscribe B o.t 2",
    "create A o. 1",
    "subscribe A o. 1",
  ]);
  a.request(34, id);
  assert.equal(a.take()[0], 35);
  assert.deepEqual(calls.splice(0), ["unsubscribe A o.t 1"]);
  realm.broker.removeSubscriber(id, session(b));
  assert.deepEqual(calls.splice(0), ["unsubscribe B o.t 0", "delete B o.t 0"]);
  a.drop();
  assert.deepEqual(calls.splice(0), ["unsubscribe A o. 0", "delete A o. 0"]);
});

test("broker: SUBSCRIBED reaches a session before the meta events about its own subscription", () => {
  const { join, realm } = setup();
  const a = join();
  const order: string[] = [];
  realm.context.observer = {
    ...silentObserver,
    subscriptionCreated: () => order.push(`create after ${a.inbox.map((m) => m[0]).join(",")}`),
  };
  subscribe(a, "o.first");
  assert.deepEqual(order, ["create after 33"]);
});

// --- payload passthru mode ---

test("broker: ppt_* options are copied to EVENT.Details and the binary payload is forwarded untouched", () => {
  const { join } = setup();
  const json = join(ALL, undefined, "wamp.2.json");
  const cbor = join(ALL, undefined, "wamp.2.cbor");
  const pub = join(ALL, undefined, "wamp.2.msgpack");
  const id = subscribe(json, "t.ppt");
  subscribe(cbor, "t.ppt");
  const blob = new Uint8Array([0xde, 0xad, 0xbe, 0xef, 0]);
  const ppt = { ppt_scheme: "wamp.eth", ppt_serializer: "cbor", ppt_cipher: "xsalsa20poly1305", ppt_keyid: "0xabc" };
  const p = publish(pub, "t.ppt", ppt, [blob]);
  assert.deepEqual(json.take(), [36, id, p, ppt, [blob]]);
  assert.deepEqual(cbor.take(), [36, id, p, ppt, [blob]]);
  const p2 = publish(pub, "t.ppt", { ppt_scheme: "mqtt" }, [blob]);
  assert.deepEqual(json.take(), [36, id, p2, { ppt_scheme: "mqtt" }, [blob]]);
  cbor.take();
});

test("broker: invalid ppt_* options are refused; ppt from a publisher that did not announce it is a protocol violation", () => {
  const { join } = setup();
  const sub = join();
  subscribe(sub, "t.ppt");
  const pub = join();
  for (const [options, why] of [
    [{ ppt_scheme: 1 }, "ppt_scheme must be a string"],
    [{ ppt_scheme: "x", ppt_keyid: ["k"] }, "ppt_keyid must be a string"],
    [{ ppt_serializer: "cbor" }, "ppt_scheme is required"],
    [{ ppt_scheme: "", ppt_cipher: "aes256gcm" }, "ppt_scheme is required"],
  ] as const) {
    const r = pub.request(16, { acknowledge: true, ...options }, "t.ppt", [new Uint8Array([1])]);
    assertError(pub, 16, r, "wamp.error.invalid_argument", why);
    pub.request(16, options, "t.ppt", [new Uint8Array([1])]);
    assert.equal(pub.inbox.length, 0);
  }
  assert.equal(sub.inbox.length, 0);
  const unaware = join({});
  unaware.request(16, { ppt_scheme: "mqtt" }, "t.ppt", [new Uint8Array([1])]);
  const abort = unaware.take();
  assert.equal(abort[0], 3);
  assert.equal(abort[2], "wamp.error.protocol_violation");
  assert.match(String((abort[1] as Details).message), /payload_passthru_mode/);
  assert.equal(sub.inbox.length, 0);
});

// --- event history ---

const HISTORY: HistoryTopic[] = [
  { uri: "h.log.auth", match: "exact", limit: 3 },
  { uri: "h.log", match: "prefix", limit: 10 },
  { uri: "h..basket", match: "wildcard", limit: 10 },
];

/**
 * A broker with history topics beside the realm's own one (realms do not pass history options
 * yet), driven directly with the sessions of joined clients.
 */
function historySetup(storage = new MemoryStorage(), seed = 21) {
  const env = setup({ storage, seed });
  const broker = new Broker(env.realm.context, { historyTopics: HISTORY });
  let req = 1000;
  const sub = (c: MemoryClient, topic: string, options: Details = {}) => {
    broker.subscribe(env.session(c), ++req, options, topic);
    const m = c.take();
    assert.equal(m[0], 33, JSON.stringify(m));
    return m[2] as number;
  };
  const pub = (c: MemoryClient, topic: string, options: Details = {}, args?: unknown[], kwargs?: Details) => {
    broker.publish(env.session(c), ++req, { ...options, acknowledge: true }, topic, args, kwargs);
    const m = c.take();
    assert.equal(m[0], 17, JSON.stringify(m));
    return m[2] as number;
  };
  return { ...env, broker, sub, pub };
}

test("broker: event history is kept per configured subscription, even without subscribers, as the spec's example", () => {
  const { join, broker, sub, pub, clock } = historySetup();
  const p = join(ALL, "logger");
  const ids = [
    pub(p, "h.log.auth", {}, ["login"]),
    pub(p, "h.log.basket", {}, ["b1"]),
    pub(p, "h.log.basket", {}, ["b2"], { n: 2 }),
    pub(p, "h.log.basket", { disclose_me: true }, ["b3"]),
    pub(p, "h.log.checkout", {}, ["c"]),
  ];
  clock.advance(5);
  const s = join();
  const exact = sub(s, "h.log.auth");
  const prefix = sub(s, "h.log", { match: "prefix" });
  const wild = sub(s, "h..basket", { match: "wildcard" });
  const auth = broker.eventHistory(exact)!;
  assert.deepEqual(auth, [{
    timestamp: new Date(clock.now() - 5).toISOString(),
    subscription: exact,
    publication: ids[0],
    details: {},
    args: ["login"],
  }]);
  assert.deepEqual(broker.eventHistory(prefix)!.map((e) => e.publication), ids);
  const basket = broker.eventHistory(wild)!;
  assert.deepEqual(basket.map((e) => e.publication), ids.slice(1, 4));
  assert.deepEqual(basket[1], {
    timestamp: new Date(clock.now() - 5).toISOString(),
    subscription: wild,
    publication: ids[2],
    details: { topic: "h.log.basket" },
    args: ["b2"],
    kwargs: { n: 2 },
  });
  assert.deepEqual(basket[2]!.details, {
    publisher: p.sessionId,
    publisher_authid: "logger",
    publisher_authrole: "anonymous",
    topic: "h.log.basket",
  });
  const other = sub(s, "h.log.basket");
  assert.equal(broker.eventHistory(other), undefined, "no history configured for that (uri, match)");
  assert.equal(broker.eventHistory(424242), undefined, "no such subscription");
});

test("broker: event history keeps the last `limit` events and applies the query filters", () => {
  const { join, broker, sub, pub, clock } = historySetup();
  const p = join();
  const t0 = clock.now();
  const ids: number[] = [];
  for (let i = 0; i < 5; i++) {
    ids.push(pub(p, "h.log.auth", {}, [i]));
    clock.advance(1_000);
  }
  const s = join();
  const id = sub(s, "h.log.auth");
  const pubs = (q: Parameters<Broker["eventHistory"]>[1]) => broker.eventHistory(id, q)!.map((e) => e.publication);
  const kept = ids.slice(2);
  assert.deepEqual(pubs({}), kept, "limit 3 keeps the newest three");
  assert.deepEqual(pubs({ reverse: true }), [...kept].reverse());
  assert.deepEqual(pubs({ limit: 2 }), kept.slice(0, 2));
  assert.deepEqual(pubs({ reverse: true, limit: 1 }), [ids[4]]);
  assert.deepEqual(pubs({ from_time: t0 + 3_000 }), ids.slice(3));
  assert.deepEqual(pubs({ after_time: t0 + 3_000 }), ids.slice(4));
  assert.deepEqual(pubs({ before_time: t0 + 3_000 }), ids.slice(2, 3));
  assert.deepEqual(pubs({ until_time: t0 + 3_000 }), ids.slice(2, 4));
  assert.deepEqual(pubs({ from_publication: ids[3] }), ids.slice(3));
  assert.deepEqual(pubs({ after_publication: ids[3] }), ids.slice(4));
  assert.deepEqual(pubs({ before_publication: ids[3] }), ids.slice(2, 3));
  assert.deepEqual(pubs({ until_publication: ids[3] }), ids.slice(2, 4));
  assert.deepEqual(pubs({ after_publication: ids[2], before_publication: ids[4] }), [ids[3]]);
  assert.deepEqual(pubs({ after_publication: ids[4], before_publication: ids[2] }), []);
  assert.deepEqual(pubs({ from_publication: ids[0] }), [], "a publication no longer kept selects nothing");
  assert.deepEqual(pubs({ topic: "h.log.auth", limit: 10 }), kept);
  assert.deepEqual(pubs({ topic: "h.other" }), []);
});

test("broker: event history skips session-id lists and re-applies authid/authrole lists to the requester", () => {
  const { join, broker, sub, pub, session, setRole } = historySetup();
  const p = join();
  const admin = join(ALL, "root");
  setRole(admin, "admin");
  const user = join(ALL, "joe");
  const all = pub(p, "h.log.x", {}, ["all"]);
  pub(p, "h.log.x", { exclude: [user.sessionId] }, ["by session"]);
  pub(p, "h.log.x", { eligible: [admin.sessionId] }, ["by session"]);
  const admins = pub(p, "h.log.x", { eligible_authrole: ["admin"] }, ["admins"]);
  const notJoe = pub(p, "h.log.x", { exclude_authid: ["joe"] }, ["not joe"]);
  const id = sub(user, "h.log", { match: "prefix" });
  assert.deepEqual(broker.eventHistory(id)!.map((e) => e.publication), [all, admins, notJoe]);
  assert.deepEqual(broker.eventHistory(id, {}, session(user))!.map((e) => e.publication), [all]);
  assert.deepEqual(broker.eventHistory(id, {}, session(admin))!.map((e) => e.publication), [all, admins, notJoe]);
});

test("broker: event history survives a restart through storage and keeps trimming", async () => {
  const storage = new MemoryStorage();
  const first = historySetup(storage);
  const p = first.join(ALL, "writer", "wamp.2.cbor");
  const bin = new Uint8Array([7, 7, 0]);
  const before = [
    first.pub(p, "h.log.auth", {}, [bin], { big: 2 ** 50 }),
    first.pub(p, "h.log.auth", { ppt_scheme: "mqtt" }, [bin]),
  ];
  await first.broker.flush();
  const keys = (await storage.list(["history", "realm1"])).map((e) => e.key);
  assert.equal(keys.length, 4, "two events, each in the exact and the prefix history");
  assert.ok(keys.every((k) => k.length === 4 && /^\d{16}-\d{10}$/.test(k[3]!)), JSON.stringify(keys));
  assert.deepEqual(new Set(keys.map((k) => k[2])), new Set(["h.log.auth", "h.log"]));

  const second = historySetup(storage, 77);
  await second.broker.load();
  const q = second.join();
  const id = second.sub(q, "h.log.auth");
  const history = second.broker.eventHistory(id)!;
  assert.deepEqual(history.map((e) => e.publication), before);
  assert.deepEqual(history[0]!.args, [bin]);
  assert.deepEqual(history[0]!.kwargs, { big: 2 ** 50 });
  assert.deepEqual(history[1]!.details, { ppt_scheme: "mqtt" });
  const p2 = second.join();
  const after = [second.pub(p2, "h.log.auth", {}, [3]), second.pub(p2, "h.log.auth", {}, [4])];
  assert.deepEqual(second.broker.eventHistory(id)!.map((e) => e.publication), [before[1], ...after]);
  await second.broker.flush();
  assert.equal((await storage.list(["history", "realm1", "h.log.auth"])).length, 3, "trimmed in storage too");
  assert.equal((await storage.list(["history", "realm1", "h.log"])).length, 4);

  const third = historySetup(storage, 78);
  await third.broker.load();
  const id3 = third.sub(third.join(), "h.log", { match: "prefix" });
  assert.deepEqual(third.broker.eventHistory(id3)!.map((e) => e.publication), [...before, ...after]);
});

test("broker: history loading trims to a smaller limit and ignores topics no longer configured", async () => {
  const storage = new MemoryStorage();
  const first = historySetup(storage);
  const p = first.join();
  const ids: number[] = [];
  for (let i = 0; i < 6; i++) ids.push(first.pub(p, "h.log.z", {}, [i]));
  await first.broker.flush();
  const env = setup({ storage, seed: 3 });
  const broker = new Broker(env.realm.context, { historyTopics: [{ uri: "h.log", match: "prefix", limit: 2 }] });
  await broker.load();
  await broker.flush();
  const s = env.join();
  broker.subscribe(env.session(s), 1, { match: "prefix" }, "h.log");
  const id = s.take()[2] as number;
  assert.deepEqual(broker.eventHistory(id)!.map((e) => e.publication), ids.slice(4));
  assert.equal((await storage.list(["history", "realm1", "h.log"])).length, 2);
  assert.equal((await storage.list(["history", "realm1", "h..basket"])).length, 0);
});

test("broker: history configuration errors name the entry", () => {
  const { realm } = setup();
  const bad: Array<[HistoryTopic, RegExp]> = [
    [{ uri: "a..b", match: "exact", limit: 1 }, /historyTopics\[0\]\.uri must be a valid exact topic URI/],
    [{ uri: "a.b", match: "regex" as "exact", limit: 1 }, /historyTopics\[0\]\.match/],
    [{ uri: "a.b", match: "exact", limit: 0 }, /historyTopics\[0\]\.limit must be a positive integer, found number 0/],
    [{ uri: "a.b", match: "exact", limit: 1.5 }, /limit/],
  ];
  for (const [topic, why] of bad) {
    assert.throws(() => new Broker(realm.context, { historyTopics: [topic] }), why);
  }
  assert.throws(
    () => new Broker(realm.context, { historyTopics: [HISTORY[0]!, HISTORY[0]!] }),
    /historyTopics\[1\] repeats exact topic "h.log.auth"/,
  );
});

test("broker: parseHistoryQuery reads the get_events kwargs and names what is wrong", () => {
  const ok = parseHistoryQuery({
    reverse: true,
    limit: 5,
    from_time: "2024-01-02T03:04:05Z",
    after_time: "2024-01-02T03:04:05.250+01:00",
    before_time: "2024-01-02t03:04:05z",
    until_time: "2024-01-02 03:04:05.5Z",
    topic: "a.b",
    from_publication: 1,
    after_publication: 2,
    before_publication: 3,
    until_publication: 2 ** 53,
    unknown: "ignored",
  });
  assert.deepEqual(ok, {
    query: {
      reverse: true,
      limit: 5,
      from_time: Date.UTC(2024, 0, 2, 3, 4, 5),
      after_time: Date.UTC(2024, 0, 2, 2, 4, 5, 250),
      before_time: Date.UTC(2024, 0, 2, 3, 4, 5),
      until_time: Date.UTC(2024, 0, 2, 3, 4, 5, 500),
      topic: "a.b",
      from_publication: 1,
      after_publication: 2,
      before_publication: 3,
      until_publication: 2 ** 53,
    },
  });
  assert.deepEqual(parseHistoryQuery({}), { query: {} });
  const bad: Array<[Details, string]> = [
    [{ reverse: "yes" }, "reverse must be a boolean"],
    [{ limit: 0 }, "limit must be a positive integer"],
    [{ limit: 2.5 }, "limit must be a positive integer"],
    [{ from_time: "yesterday" }, "from_time must be an RFC 3339 timestamp"],
    [{ until_time: "2024-01-02" }, "until_time must be an RFC 3339"],
    [{ after_time: 1700000000000 }, "after_time must be an RFC 3339"],
    [{ before_time: "2024-13-45T99:00:00Z" }, "before_time"],
    [{ topic: 5 }, "topic must be a URI string"],
    [{ from_publication: "1" }, "from_publication must be a publication id"],
    [{ until_publication: 0 }, "until_publication"],
  ];
  for (const [kwargs, why] of bad) {
    const r = parseHistoryQuery(kwargs);
    assert.ok("error" in r && r.error.includes(why), `${JSON.stringify(kwargs)} -> ${JSON.stringify(r)}`);
  }
});

test("broker: clients may not subscribe in the reserved junction.* namespace", () => {
  const router = new Router({ realms: [{ name: "realm1" }], clock: new FakeClock(), random: new SeededRandom(2) });
  const c = new MemoryClient(router);
  c.hello();
  const r = c.request(32, {}, "junction.user.on_add");
  assert.deepEqual(c.take().slice(0, 5), [8, 32, r, {}, "wamp.error.invalid_uri"]);
  c.request(32, {}, "wamp.session.on_join");
  assert.equal(c.take()[0], 33, "meta topics stay open to subscribers");
});
