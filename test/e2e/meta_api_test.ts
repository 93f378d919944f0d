/**
 * End to end, the meta API the router announces in WELCOME (src/wamp/features.ts,
 * META_FEATURES): the Session Meta API (`session_meta_api`, broker and dealer), the
 * Registration Meta API (`registration_meta_api`, dealer), the Subscription Meta API
 * (`subscription_meta_api`, broker) and testaments (`testament_meta_api`, dealer). The router
 * serves them through an internal session (src/router/meta/); clients call and subscribe as
 * they would for any procedure or topic.
 *
 * Layout as in advanced_rpc_test.ts: the core scenario on all six transport x serializer cells
 * with raw frames, with AutobahnJS and Wampy where they fit, and the full procedure/argument/
 * refusal matrix over WebSocket/JSON with raw frames.
 *
 * test/unit/features_test.ts lists the tests here that cover each flag.
 * @module
 */
import assert from "node:assert/strict";
import { test } from "../_support/harness.ts";
import {
  type Any,
  AUTOBAHN_TRANSPORTS,
  AsyncQueue,
  authidRoles,
  CALL,
  ERROR,
  EVENT,
  GOODBYE,
  idOf,
  type Peer,
  RESULT,
  PUBLISH,
  show,
  T,
  TRANSPORTS,
  type Transport,
  WAMPY_TRANSPORTS,
  WELCOME,
  withRouter,
  withTimeout,
  WS_JSON,
} from "./_advanced.ts";

type Dict = Record<string, unknown>;

const SESSION_DETAIL_KEYS = ["authid", "authmethod", "authprovider", "authrole", "session"];

/**
 * A raw session subscribed to some meta topics; `take(topic)` returns the next event's
 * Arguments for that topic (events of other topics are kept for later).
 */
class Monitor {
  readonly peer: Peer;
  readonly #topics = new Map<number, string>();
  readonly #queues = new Map<string, AsyncQueue<unknown[]>>();

  constructor(peer: Peer) {
    this.peer = peer;
  }

  static async on(peer: Peer, topics: string[]): Promise<Monitor> {
    const m = new Monitor(peer);
    for (const t of topics) {
      m.#topics.set(await peer.subscribe(t), t);
      m.#queues.set(t, new AsyncQueue());
    }
    void m.#run();
    return m;
  }

  async #run(): Promise<void> {
    for (;;) {
      let msg: unknown[];
      try {
        msg = await this.peer.next(60_000);
      } catch {
        for (const q of this.#queues.values()) q.end();
        return;
      }
      const topic = msg[0] === EVENT ? this.#topics.get(msg[1] as number) : undefined;
      if (topic) this.#queues.get(topic)!.push([...((msg[4] as unknown[]) ?? []), ...(msg[5] ? [msg[5]] : [])]);
      else this.others.push(msg);
    }
  }

  /** Messages other than the monitored events, in order. */
  readonly others = new AsyncQueue<unknown[]>();

  /** A CALL from the monitoring session; its RESULT or ERROR. */
  async call(procedure: string, args: unknown[] = [], kwargs: Dict = {}): Promise<unknown[]> {
    const r = this.peer.request(CALL, {}, procedure, args, kwargs);
    const m = await this.others.take(`the answer to ${procedure}`, 5000);
    assert.ok((m[0] === RESULT && m[1] === r) || (m[0] === ERROR && m[2] === r), `answer to CALL ${procedure}: ${show(m)}`);
    return m;
  }

  take(topic: string, ms = 5000): Promise<unknown[]> {
    return this.#queues.get(topic)!.take(`a ${topic} event`, ms);
  }

  pending(topic: string): number {
    return this.#queues.get(topic)!.size;
  }
}

/** Something that calls and returns the RESULT or ERROR message: a Peer or a Monitor. */
interface Caller {
  call(procedure: string, args?: unknown[], kwargs?: Dict): Promise<unknown[]>;
}

/** Calls a meta procedure that must succeed; returns RESULT.Arguments. */
async function meta(p: Caller, procedure: string, args: unknown[] = [], kwargs: Dict = {}): Promise<unknown[]> {
  const m = await p.call(procedure, args, kwargs);
  assert.equal(m[0], RESULT, `${procedure} ${show(args)} ${show(kwargs)} failed: ${show(m)}`);
  return (m[3] as unknown[] | undefined) ?? [];
}

async function metaError(p: Caller, procedure: string, args: unknown[], kwargs: Dict, uri: string): Promise<void> {
  const m = await p.call(procedure, args, kwargs);
  assert.equal(m[0], ERROR, `${procedure} ${show(args)} ${show(kwargs)}: expected ERROR ${uri}, got ${show(m)}`);
  assert.equal(m[4], uri, `${procedure} ${show(args)} ${show(kwargs)}: ${show(m)}`);
}

/** The next message of a killed raw session: GOODBYE; it replies, as a client should. */
async function expectKilled(p: Peer, reason: string, message?: string): Promise<unknown[]> {
  const m = await p.expect(GOODBYE, `GOODBYE ${reason}`);
  assert.equal(m[2], reason, show(m));
  if (message !== undefined) assert.equal((m[1] as Dict).message, message, show(m));
  p.send([GOODBYE, {}, "wamp.close.goodbye_and_out"]);
  return m;
}

// =====================================================================================
// session_meta_api
// =====================================================================================

for (const t of TRANSPORTS) {
  test(`session_meta_api: on_join, get and on_leave for a session over ${t.name} (raw frames)`, async () => {
    await withRouter(async (c) => {
      const mon = await Monitor.on(await c.raw(t), ["wamp.session.on_join", "wamp.session.on_leave"]);
      const joiner = await c.raw(t, { authid: "jo" });
      const [details] = await mon.take("wamp.session.on_join") as [Dict];
      assert.deepEqual(SESSION_DETAIL_KEYS.map((k) => details[k]), ["jo", "anonymous", "static", "anonymous", joiner.id]);
      assert.equal(typeof details.transport, "object", `optional transport dict: ${show(details)}`);
      const [got] = await meta(mon, "wamp.session.get", [joiner.id]) as [Dict];
      assert.deepEqual(SESSION_DETAIL_KEYS.map((k) => got[k]), SESSION_DETAIL_KEYS.map((k) => details[k]));
      joiner.close(); // transport lost
      assert.deepEqual(await mon.take("wamp.session.on_leave"), [joiner.id, "jo", "anonymous"]);
    });
  }, T);
}

for (const t of AUTOBAHN_TRANSPORTS) {
  test(`session_meta_api: an autobahn monitor sees on_join and on_leave over ${t.name}`, async () => {
    await withRouter(async (c) => {
      const mon = await c.autobahn(t);
      const joins = new AsyncQueue<Dict>();
      const leaves = new AsyncQueue<unknown[]>();
      await mon.session.subscribe("wamp.session.on_join", (args: Dict[]) => joins.push(args[0]!));
      await mon.session.subscribe("wamp.session.on_leave", (args: unknown[]) => leaves.push(args));
      const other = await c.autobahn(t, { authid: "amy" });
      const j = await joins.take("on_join", 5000);
      assert.deepEqual([j.session, j.authid, j.authrole], [other.id, "amy", "anonymous"]);
      assert.equal(await mon.session.call("wamp.session.count"), 2);
      const list = await mon.session.call("wamp.session.list");
      assert.deepEqual([...list].sort(), [mon.id, other.id].sort());
      await other.close(); // GOODBYE
      assert.deepEqual(await leaves.take("on_leave", 5000), [other.id, "amy", "anonymous"]);
      assert.equal(await mon.session.call("wamp.session.count"), 1);
    });
  }, T);
}

for (const t of WAMPY_TRANSPORTS) {
  test(`session_meta_api: a wampy monitor sees on_join and on_leave over ${t.name}`, async () => {
    await withRouter(async (c) => {
      const mon = await c.wampy(t);
      const events = new AsyncQueue<Any>();
      await mon.wampy.subscribe("wamp.session.on_join", (e: Any) => events.push(["join", e.argsList]));
      await mon.wampy.subscribe("wamp.session.on_leave", (e: Any) => events.push(["leave", e.argsList]));
      const other = await c.raw(t, { authid: "wes" });
      const [kind, [d]] = await events.take("on_join", 5000);
      assert.equal(kind, "join");
      assert.deepEqual([idOf(d.session), d.authid], [other.id, "wes"]);
      other.close();
      const [kind2, args] = await events.take("on_leave", 5000);
      assert.deepEqual([kind2, idOf(args[0]), args[1], args[2]], ["leave", other.id, "wes", "anonymous"]);
      const count = await mon.wampy.call("wamp.session.count");
      assert.equal(count.argsList[0], 1);
    });
  }, T);
}

test("session_meta_api: count, list, get and their refusals over websocket/json (raw frames)", async () => {
  await withRouter(async (c) => {
    const admin = await c.raw(WS_JSON, { authid: "root@admin" });
    const a = await c.raw(WS_JSON, { authid: "ann@user" });
    const b = await c.raw(WS_JSON, { authid: "bob@user" });
    const g = await c.raw(WS_JSON, { authid: "gus@guest" });
    assert.deepEqual(await meta(admin, "wamp.session.count"), [4]);
    assert.deepEqual(await meta(admin, "wamp.session.count", [["user"]]), [2]);
    assert.deepEqual(await meta(admin, "wamp.session.count", [["user", "guest"]]), [3]);
    assert.deepEqual(await meta(admin, "wamp.session.count", [[]]), [4], "an empty filter filters nothing");
    assert.deepEqual(await meta(admin, "wamp.session.count", [["nobody"]]), [0]);
    assert.deepEqual(await meta(admin, "wamp.session.count", [], { filter_authroles: ["admin"] }), [1]);
    const [all] = await meta(admin, "wamp.session.list") as [number[]];
    assert.deepEqual([...all].sort(), [admin.id, a.id, b.id, g.id].sort());
    const [users] = await meta(admin, "wamp.session.list", [["user"]]) as [number[]];
    assert.deepEqual([...users].sort(), [a.id, b.id].sort());
    const [d] = await meta(admin, "wamp.session.get", [g.id]) as [Dict];
    assert.deepEqual([d.session, d.authid, d.authrole, d.authmethod, d.authprovider], [g.id, "gus@guest", "guest", "anonymous", "e2e"]);
    assert.deepEqual(await meta(admin, "wamp.session.get", [admin.id]).then((r) => (r[0] as Dict).session), admin.id, "own session");

    await metaError(admin, "wamp.session.get", [123456789], {}, "wamp.error.no_such_session");
    await metaError(admin, "wamp.session.get", [], {}, "wamp.error.invalid_argument");
    await metaError(admin, "wamp.session.get", ["x"], {}, "wamp.error.invalid_argument");
    await metaError(admin, "wamp.session.count", ["user"], {}, "wamp.error.invalid_argument");
    await metaError(admin, "wamp.session.list", [[1]], {}, "wamp.error.invalid_argument");

    // The meta procedures live in the reserved namespace: nobody else may register there.
    admin.request(64, {}, "wamp.session.count");
    await admin.expectError(64, "wamp.error.invalid_uri", "REGISTER in wamp.*");
    admin.request(PUBLISH, { acknowledge: true }, "wamp.session.on_join", [{}]);
    await admin.expectError(PUBLISH, "wamp.error.invalid_uri", "PUBLISH in wamp.*");
  }, { realms: [{ name: "realm1", authenticator: authidRoles }] });
}, T);

test("session_meta_api: kill, kill_by_authid, kill_by_authrole, kill_all and their refusals over websocket/json (raw frames)", async () => {
  await withRouter(async (c) => {
    const admin = await c.raw(WS_JSON, { authid: "root@admin" });
    const mon = await Monitor.on(await c.raw(WS_JSON, { authid: "mon@monitor" }), ["wamp.session.on_leave"]);

    // kill with reason and message.
    const v1 = await c.raw(WS_JSON, { authid: "v1@user" });
    assert.deepEqual(await meta(admin, "wamp.session.kill", [v1.id], { reason: "e2e.close.bye", message: "go away" }), []);
    assert.deepEqual(await expectKilled(v1, "e2e.close.bye", "go away"), [GOODBYE, { message: "go away" }, "e2e.close.bye"]);
    assert.deepEqual(await mon.take("wamp.session.on_leave"), [v1.id, "v1@user", "user"]);
    // Without a reason: wamp.close.killed (Junction's choice, as Crossbar, Nexus and Bondy; the
    // spec text says wamp.close.normal).
    const v2 = await c.raw(WS_JSON, { authid: "v2@user" });
    await meta(admin, "wamp.session.kill", [v2.id]);
    await expectKilled(v2, "wamp.close.killed");
    await mon.take("wamp.session.on_leave");
    // Refusals: own session, unknown session, bad reason, bad arguments.
    await metaError(admin, "wamp.session.kill", [admin.id], {}, "wamp.error.no_such_session");
    await metaError(admin, "wamp.session.kill", [123456789], {}, "wamp.error.no_such_session");
    const v3 = await c.raw(WS_JSON, { authid: "v3@user" });
    await metaError(admin, "wamp.session.kill", [v3.id], { reason: "not a uri" }, "wamp.error.invalid_uri");
    await metaError(admin, "wamp.session.kill", [v3.id], { reason: "" }, "wamp.error.invalid_uri");
    await metaError(admin, "wamp.session.kill", [v3.id], { colour: "red" }, "wamp.error.invalid_argument");
    await metaError(admin, "wamp.session.kill", [], {}, "wamp.error.invalid_argument");
    await v3.barrier("v3 survived the refused kills");

    // kill_by_authid: the killed ids; the caller is spared even with that authid.
    const twinA = await c.raw(WS_JSON, { authid: "twin@user" });
    const twinB = await c.raw(WS_JSON, { authid: "twin@user" });
    const me = await c.raw(WS_JSON, { authid: "twin@user" });
    const [killed] = await meta(me, "wamp.session.kill_by_authid", ["twin@user"], { message: "twins out" }) as [number[]];
    assert.deepEqual([...killed].sort(), [twinA.id, twinB.id].sort());
    await expectKilled(twinA, "wamp.close.killed", "twins out");
    await expectKilled(twinB, "wamp.close.killed", "twins out");
    await me.barrier("the caller survives kill_by_authid");
    assert.deepEqual(await meta(admin, "wamp.session.kill_by_authid", ["nobody"]), [[]]);
    await metaError(admin, "wamp.session.kill_by_authid", ["twin@user"], { reason: "bad reason" }, "wamp.error.invalid_uri");
    await metaError(admin, "wamp.session.kill_by_authid", [7], {}, "wamp.error.invalid_argument");
    for (let i = 0; i < 2; i++) await mon.take("wamp.session.on_leave");

    // kill_by_authrole: a count.
    const g1 = await c.raw(WS_JSON, { authid: "g1@guest" });
    const g2 = await c.raw(WS_JSON, { authid: "g2@guest" });
    assert.deepEqual(await meta(admin, "wamp.session.kill_by_authrole", ["guest"], { reason: "e2e.close.guests" }), [2]);
    await expectKilled(g1, "e2e.close.guests");
    await expectKilled(g2, "e2e.close.guests");
    assert.deepEqual(await meta(admin, "wamp.session.kill_by_authrole", ["admin"]), [0], "the caller is spared");
    await metaError(admin, "wamp.session.kill_by_authrole", ["guest"], { reason: 5 }, "wamp.error.invalid_uri");
    const leaves = [await mon.take("wamp.session.on_leave"), await mon.take("wamp.session.on_leave")];
    assert.deepEqual(leaves.map((l) => l[0]).sort(), [g1.id, g2.id].sort());

    // kill_all: a count; no on_leave events.
    await metaError(admin, "wamp.session.kill_all", [], { reason: "no uri" }, "wamp.error.invalid_uri");
    const rest = [v3, me];
    assert.deepEqual(await meta(admin, "wamp.session.kill_all", [], { reason: "e2e.close.all", message: "everyone" }), [3]);
    for (const p of rest) await expectKilled(p, "e2e.close.all", "everyone");
    const g = await mon.others.take("GOODBYE at the monitor", 5000);
    assert.deepEqual(g, [GOODBYE, { message: "everyone" }, "e2e.close.all"]);
    assert.deepEqual(await meta(admin, "wamp.session.count"), [1]);
    assert.equal(mon.pending("wamp.session.on_leave"), 0, "kill_all published no on_leave");
  }, { realms: [{ name: "realm1", authenticator: authidRoles }] });
}, T);

test("session_meta_api: a kill without message sends GOODBYE without Details.message", async () => {
  // Spec "wamp.session.kill" (and kill_by_authid, kill_by_authrole, kill_all): "if not
  // provided ... the message is omitted from the GOODBYE sent to the closed session".
  await withRouter(async (c) => {
    const admin = await c.raw(WS_JSON);
    const victim = await c.raw(WS_JSON);
    await meta(admin, "wamp.session.kill", [victim.id]);
    const m = await expectKilled(victim, "wamp.close.killed");
    assert.deepEqual(m[1], {}, `GOODBYE.Details of a kill without message: ${show(m)}`);
  });
}, T);

for (const t of AUTOBAHN_TRANSPORTS) {
  test(`session_meta_api: an autobahn session killed through wamp.session.kill closes with the reason over ${t.name}`, async () => {
    await withRouter(async (c) => {
      const admin = await c.raw(WS_JSON);
      const victim = await c.autobahn(t);
      await meta(admin, "wamp.session.kill", [victim.id], { reason: "e2e.close.kicked", message: "bye" });
      const closed = await withTimeout(victim.closed, "the autobahn session to close");
      assert.equal(closed.details.reason, "e2e.close.kicked", show(closed));
      assert.equal(closed.details.message, "bye");
      assert.deepEqual(await meta(admin, "wamp.session.count"), [1]);
    });
  }, T);
}

// =====================================================================================
// registration_meta_api
// =====================================================================================

for (const t of TRANSPORTS) {
  test(`registration_meta_api: events and procedures, raw frames over ${t.name}`, async () => {
    await withRouter(async (c) => {
      const mon = await Monitor.on(await c.raw(t), [
        "wamp.registration.on_create",
        "wamp.registration.on_register",
        "wamp.registration.on_unregister",
        "wamp.registration.on_delete",
      ]);
      const callee = await c.raw(t);
      const reg = await callee.register("e2e.proc", { match: "prefix", invoke: "roundrobin" });
      const [sid, info] = await mon.take("wamp.registration.on_create") as [number, Dict];
      assert.equal(sid, callee.id);
      assert.deepEqual([info.id, info.uri, info.match, info.invoke], [reg, "e2e.proc", "prefix", "roundrobin"]);
      assert.ok(!Number.isNaN(Date.parse(info.created as string)), `created: ${show(info.created)}`);
      assert.deepEqual(await mon.take("wamp.registration.on_register"), [callee.id, reg]);
      const m = mon;
      assert.deepEqual(await meta(m, "wamp.registration.get", [reg]), [info]);
      assert.deepEqual(await meta(m, "wamp.registration.list"), [{ exact: [], prefix: [reg], wildcard: [] }]);
      assert.deepEqual(await meta(m, "wamp.registration.list_callees", [reg]), [[callee.id]]);
      assert.deepEqual(await meta(m, "wamp.registration.count_callees", [reg]), [1]);
      callee.request(66, reg);
      await callee.expect(67, "UNREGISTERED");
      assert.deepEqual(await mon.take("wamp.registration.on_unregister"), [callee.id, reg]);
      assert.deepEqual(await mon.take("wamp.registration.on_delete"), [callee.id, reg]);
    });
  }, T);
}

for (const t of AUTOBAHN_TRANSPORTS) {
  test(`registration_meta_api: an autobahn monitor sees registration events; lookup and match over ${t.name}`, async () => {
    await withRouter(async (c) => {
      const mon = await c.autobahn(t);
      const events = new AsyncQueue<unknown[]>();
      for (const e of ["on_create", "on_register", "on_unregister", "on_delete"]) {
        await mon.session.subscribe(`wamp.registration.${e}`, (args: unknown[]) => events.push([e, ...args]));
      }
      const callee = await c.autobahn(t);
      const reg = await callee.session.register("e2e.ab.proc", () => 1);
      const [e1, s1, d1] = await events.take("on_create", 5000) as [string, number, Dict];
      assert.deepEqual([e1, s1, d1.id, d1.uri, d1.match, d1.invoke], ["on_create", callee.id, reg.id, "e2e.ab.proc", "exact", "single"]);
      assert.deepEqual(await events.take("on_register", 5000), ["on_register", callee.id, reg.id]);
      assert.equal(await mon.session.call("wamp.registration.lookup", ["e2e.ab.proc"]), reg.id);
      assert.equal(await mon.session.call("wamp.registration.match", ["e2e.ab.proc"]), reg.id);
      assert.equal(await mon.session.call("wamp.registration.lookup", ["e2e.ab.proc", { match: "prefix" }]), null);
      await callee.close(); // leaving unregisters
      assert.deepEqual(await events.take("on_unregister", 5000), ["on_unregister", callee.id, reg.id]);
      assert.deepEqual(await events.take("on_delete", 5000), ["on_delete", callee.id, reg.id]);
    });
  }, T);
}

test("registration_meta_api: every procedure, shared registrations and refusals over websocket/json (raw frames)", async () => {
  await withRouter(async (c) => {
    const m = await c.raw(WS_JSON);
    const mon = await Monitor.on(await c.raw(WS_JSON), [
      "wamp.registration.on_create",
      "wamp.registration.on_register",
      "wamp.registration.on_unregister",
      "wamp.registration.on_delete",
    ]);
    const a = await c.raw(WS_JSON);
    const b = await c.raw(WS_JSON);
    const exact = await a.register("e2e.m.x");
    const prefix = await a.register("e2e.m", { match: "prefix" });
    const wild = await a.register("e2e..x", { match: "wildcard" });
    const shared = await a.register("e2e.m.shared", { invoke: "first" });
    assert.equal(await b.register("e2e.m.shared", { invoke: "first" }), shared);
    for (let i = 0; i < 4; i++) await mon.take("wamp.registration.on_create");
    for (let i = 0; i < 5; i++) await mon.take("wamp.registration.on_register");
    assert.equal(mon.pending("wamp.registration.on_create"), 0, "a second callee creates nothing");

    const [lists] = await meta(m, "wamp.registration.list") as [Dict];
    assert.deepEqual(
      [(lists.exact as number[]).sort(), lists.prefix, lists.wildcard],
      [[exact, shared].sort(), [prefix], [wild]],
      "the meta API's own wamp.* registrations are not listed",
    );
    assert.deepEqual(await meta(m, "wamp.registration.lookup", ["e2e.m.x"]), [exact]);
    assert.deepEqual(await meta(m, "wamp.registration.lookup", ["e2e.m", { match: "prefix" }]), [prefix]);
    assert.deepEqual(await meta(m, "wamp.registration.lookup", ["e2e..x", { match: "wildcard" }]), [wild]);
    assert.deepEqual(await meta(m, "wamp.registration.lookup", ["e2e.none"]), [null]);
    assert.deepEqual(await meta(m, "wamp.registration.lookup", ["wamp.session.count"]), [null], "wamp.* is not shown");
    // match: the registration a CALL would reach (exact > prefix > wildcard).
    assert.deepEqual(await meta(m, "wamp.registration.match", ["e2e.m.x"]), [exact]);
    assert.deepEqual(await meta(m, "wamp.registration.match", ["e2e.m.y"]), [prefix]);
    assert.deepEqual(await meta(m, "wamp.registration.match", ["e2e.q.x"]), [wild]);
    assert.deepEqual(await meta(m, "wamp.registration.match", ["zzz"]), [null]);
    assert.deepEqual(await meta(m, "wamp.registration.list_callees", [shared]), [[a.id, b.id]]);
    assert.deepEqual(await meta(m, "wamp.registration.count_callees", [shared]), [2]);
    const [d] = await meta(m, "wamp.registration.get", [shared]) as [Dict];
    assert.deepEqual([d.id, d.uri, d.match, d.invoke], [shared, "e2e.m.shared", "exact", "first"]);

    for (const proc of ["wamp.registration.get", "wamp.registration.list_callees", "wamp.registration.count_callees"]) {
      await metaError(m, proc, [123456789], {}, "wamp.error.no_such_registration");
      await metaError(m, proc, ["x"], {}, "wamp.error.invalid_argument");
    }
    await metaError(m, "wamp.registration.lookup", ["e2e.m", { match: "fuzzy" }], {}, "wamp.error.invalid_argument");
    await metaError(m, "wamp.registration.lookup", [], {}, "wamp.error.invalid_argument");
    await metaError(m, "wamp.registration.list", [1], {}, "wamp.error.invalid_argument");

    // One callee of a shared registration leaves: on_unregister only; the last: on_delete too.
    a.close();
    const unregs = [];
    for (let i = 0; i < 4; i++) unregs.push(await mon.take("wamp.registration.on_unregister"));
    assert.ok(unregs.every((u) => u[0] === a.id));
    const deletes = [];
    for (let i = 0; i < 3; i++) deletes.push((await mon.take("wamp.registration.on_delete"))[1]);
    assert.deepEqual(deletes.sort(), [exact, prefix, wild].sort());
    assert.deepEqual(await meta(m, "wamp.registration.list_callees", [shared]), [[b.id]]);
    await b.goodbye();
    assert.deepEqual(await mon.take("wamp.registration.on_unregister"), [b.id, shared]);
    assert.deepEqual(await mon.take("wamp.registration.on_delete"), [b.id, shared]);
    assert.deepEqual(await meta(m, "wamp.registration.list"), [{ exact: [], prefix: [], wildcard: [] }]);
  });
}, T);

// =====================================================================================
// subscription_meta_api
// =====================================================================================

for (const t of TRANSPORTS) {
  test(`subscription_meta_api: events and procedures, raw frames over ${t.name}`, async () => {
    await withRouter(async (c) => {
      const mon = await Monitor.on(await c.raw(t), [
        "wamp.subscription.on_create",
        "wamp.subscription.on_subscribe",
        "wamp.subscription.on_unsubscribe",
        "wamp.subscription.on_delete",
      ]);
      const sub = await c.raw(t);
      const id = await sub.subscribe("e2e..t", { match: "wildcard" });
      const [s1, info] = await mon.take("wamp.subscription.on_create") as [number, Dict];
      assert.equal(s1, sub.id);
      assert.deepEqual([info.id, info.uri, info.match], [id, "e2e..t", "wildcard"]);
      assert.ok(!Number.isNaN(Date.parse(info.created as string)), `created: ${show(info.created)}`);
      assert.deepEqual(await mon.take("wamp.subscription.on_subscribe"), [sub.id, id]);
      const m = mon;
      assert.deepEqual(await meta(m, "wamp.subscription.get", [id]), [info]);
      assert.deepEqual(await meta(m, "wamp.subscription.list_subscribers", [id]), [[sub.id]]);
      assert.deepEqual(await meta(m, "wamp.subscription.count_subscribers", [id]), [1]);
      assert.deepEqual(await meta(m, "wamp.subscription.lookup", ["e2e..t", { match: "wildcard" }]), [id]);
      assert.deepEqual(await meta(m, "wamp.subscription.match", ["e2e.x.t"]), [[id]]);
      sub.request(34, id);
      await sub.expect(35, "UNSUBSCRIBED");
      assert.deepEqual(await mon.take("wamp.subscription.on_unsubscribe"), [sub.id, id]);
      assert.deepEqual(await mon.take("wamp.subscription.on_delete"), [sub.id, id]);
    });
  }, T);
}

for (const t of AUTOBAHN_TRANSPORTS) {
  test(`subscription_meta_api: an autobahn monitor sees subscription events over ${t.name}`, async () => {
    await withRouter(async (c) => {
      const mon = await c.autobahn(t);
      const events = new AsyncQueue<unknown[]>();
      for (const e of ["on_create", "on_subscribe", "on_unsubscribe", "on_delete"]) {
        await mon.session.subscribe(`wamp.subscription.${e}`, (args: unknown[]) => events.push([e, ...args]));
      }
      const sub = await c.autobahn(t);
      const s = await sub.session.subscribe("e2e.ab.topic", () => {});
      const [e1, s1, d1] = await events.take("on_create", 5000) as [string, number, Dict];
      assert.deepEqual([e1, s1, d1.id, d1.uri, d1.match], ["on_create", sub.id, s.id, "e2e.ab.topic", "exact"]);
      assert.deepEqual(await events.take("on_subscribe", 5000), ["on_subscribe", sub.id, s.id]);
      assert.equal(await mon.session.call("wamp.subscription.count_subscribers", [s.id]), 1);
      await sub.session.unsubscribe(s);
      assert.deepEqual(await events.take("on_unsubscribe", 5000), ["on_unsubscribe", sub.id, s.id]);
      assert.deepEqual(await events.take("on_delete", 5000), ["on_delete", sub.id, s.id]);
    });
  }, T);
}

test("subscription_meta_api: every procedure, shared subscriptions and refusals over websocket/json (raw frames)", async () => {
  await withRouter(async (c) => {
    const m = await c.raw(WS_JSON);
    const mon = await Monitor.on(await c.raw(WS_JSON), ["wamp.subscription.on_create", "wamp.subscription.on_subscribe", "wamp.subscription.on_unsubscribe", "wamp.subscription.on_delete"]);
    const a = await c.raw(WS_JSON);
    const b = await c.raw(WS_JSON);
    const exact = await a.subscribe("e2e.s.x");
    const prefix = await a.subscribe("e2e.s", { match: "prefix" });
    const wild = await a.subscribe("e2e..x", { match: "wildcard" });
    assert.equal(await b.subscribe("e2e.s.x"), exact);
    for (let i = 0; i < 3; i++) await mon.take("wamp.subscription.on_create");
    for (let i = 0; i < 4; i++) await mon.take("wamp.subscription.on_subscribe");
    assert.equal(mon.pending("wamp.subscription.on_create"), 0);

    assert.deepEqual(await meta(m, "wamp.subscription.list"), [{ exact: [exact], prefix: [prefix], wildcard: [wild] }], "wamp.* subscriptions are not listed");
    assert.deepEqual(await meta(m, "wamp.subscription.lookup", ["e2e.s.x"]), [exact]);
    assert.deepEqual(await meta(m, "wamp.subscription.lookup", ["e2e.s", { match: "prefix" }]), [prefix]);
    assert.deepEqual(await meta(m, "wamp.subscription.lookup", ["e2e.s"]), [null]);
    const [all] = await meta(m, "wamp.subscription.match", ["e2e.s.x"]) as [number[]];
    assert.deepEqual([...all].sort(), [exact, prefix, wild].sort(), "match returns every matching subscription");
    assert.deepEqual(await meta(m, "wamp.subscription.match", ["zzz"]), [null]);
    const [subs] = await meta(m, "wamp.subscription.list_subscribers", [exact]) as [number[]];
    assert.deepEqual([...subs].sort(), [a.id, b.id].sort());
    assert.deepEqual(await meta(m, "wamp.subscription.count_subscribers", [exact]), [2]);
    const [d] = await meta(m, "wamp.subscription.get", [prefix]) as [Dict];
    assert.deepEqual([d.id, d.uri, d.match], [prefix, "e2e.s", "prefix"]);

    for (const proc of ["wamp.subscription.get", "wamp.subscription.list_subscribers", "wamp.subscription.count_subscribers"]) {
      await metaError(m, proc, [123456789], {}, "wamp.error.no_such_subscription");
      await metaError(m, proc, [], {}, "wamp.error.invalid_argument");
    }
    await metaError(m, "wamp.subscription.lookup", ["e2e.s", { match: 3 }], {}, "wamp.error.invalid_argument");
    await metaError(m, "wamp.subscription.match", [7], {}, "wamp.error.invalid_argument");

    a.close();
    for (let i = 0; i < 3; i++) assert.equal((await mon.take("wamp.subscription.on_unsubscribe"))[0], a.id);
    const deleted = [(await mon.take("wamp.subscription.on_delete"))[1], (await mon.take("wamp.subscription.on_delete"))[1]];
    assert.deepEqual(deleted.sort(), [prefix, wild].sort(), "the shared subscription stays while b holds it");
    assert.deepEqual(await meta(m, "wamp.subscription.list_subscribers", [exact]), [[b.id]]);
  });
}, T);

// =====================================================================================
// testament_meta_api
// =====================================================================================

async function testamentScenario(c: { raw(t: Transport, o?: { authid?: string }): Promise<Peer> }, t: Transport): Promise<void> {
  const heir = await c.raw(t);
  const sid = await heir.subscribe("e2e.will");
  const dying = await c.raw(t, { authid: "old" });
  assert.deepEqual(await meta(dying, "wamp.session.add_testament", ["e2e.will", ["gone", 1], { who: "old" }]), []);
  dying.close(); // the transport is lost, no GOODBYE
  const ev = await heir.expect(EVENT, "the testament");
  assert.deepEqual([ev[1], ev[3], ev[4], ev[5]], [sid, {}, ["gone", 1], { who: "old" }]);
}

for (const t of TRANSPORTS) {
  test(`testament_meta_api: a testament is published when the transport is lost, raw frames over ${t.name}`, async () => {
    await withRouter(async (c) => testamentScenario(c, t));
  }, T);
}

for (const t of AUTOBAHN_TRANSPORTS) {
  test(`testament_meta_api: an autobahn session's testament reaches an autobahn subscriber over ${t.name}`, async () => {
    await withRouter(async (c) => {
      const heir = await c.autobahn(t);
      const got = new AsyncQueue<unknown[]>();
      await heir.session.subscribe("e2e.will", (args: unknown[], kwargs: Dict) => got.push([args, kwargs]));
      const dying = await c.autobahn(t);
      await dying.session.call("wamp.session.add_testament", ["e2e.will", ["bye"], { from: "ab" }]);
      dying.kill();
      assert.deepEqual(await got.take("the testament", 5000), [["bye"], { from: "ab" }]);
    });
  }, T);
}

test("testament_meta_api: scopes, order, flush, options, GOODBYE, kill_all and refusals over websocket/json (raw frames)", async () => {
  await withRouter(async (c) => {
    const heir = await c.raw(WS_JSON);
    await heir.subscribe("e2e.will");
    const evs = async (n: number) => {
      const out = [];
      for (let i = 0; i < n; i++) out.push(((await heir.expect(EVENT, `testament ${i + 1}`))[4] as unknown[])[0]);
      return out;
    };

    // Detached scope first, then destroyed, each in insertion order; keyword arguments too.
    const a = await c.raw(WS_JSON);
    await meta(a, "wamp.session.add_testament", ["e2e.will", ["destroyed-1"], {}]);
    await meta(a, "wamp.session.add_testament", ["e2e.will", ["detached-1"], {}], { scope: "detached" });
    await meta(a, "wamp.session.add_testament", [], { topic: "e2e.will", args: ["destroyed-2"], scope: "destroyed" });
    await meta(a, "wamp.session.add_testament", ["e2e.will", ["detached-2"]], { scope: "detached" });
    a.close();
    assert.deepEqual(await evs(4), ["detached-1", "detached-2", "destroyed-1", "destroyed-2"]);

    // Flushing a scope empties it (and answers how many it removed).
    const b = await c.raw(WS_JSON);
    await meta(b, "wamp.session.add_testament", ["e2e.will", ["kept"]], { scope: "detached" });
    await meta(b, "wamp.session.add_testament", ["e2e.will", ["flushed-1"]]);
    await meta(b, "wamp.session.add_testament", ["e2e.will", ["flushed-2"]]);
    const flushed = await meta(b, "wamp.session.flush_testaments");
    assert.ok(flushed.length === 0 || flushed[0] === 2, `flush_testaments answered ${show(flushed)}`);
    await b.goodbye(); // a clean GOODBYE publishes them too
    assert.deepEqual(await evs(1), ["kept"]);
    await heir.barrier("flushed testaments are not published");

    // publish_options are honoured (here: exclude_authid keeps it from a subscriber).
    const picky = await c.raw(WS_JSON, { authid: "picky" });
    const psid = await picky.subscribe("e2e.will");
    const d = await c.raw(WS_JSON);
    await meta(d, "wamp.session.add_testament", ["e2e.will", ["opts"], {}], { publish_options: { exclude_authid: ["picky"] } });
    d.close();
    assert.deepEqual(await evs(1), ["opts"]);
    await picky.barrier("excluded by the testament's publish options");
    void psid;

    // Killed sessions leave their testaments; kill_all does not publish them.
    const admin = await c.raw(WS_JSON);
    const k = await c.raw(WS_JSON);
    await meta(k, "wamp.session.add_testament", ["e2e.will", ["killed"]]);
    await meta(admin, "wamp.session.kill", [k.id]);
    await expectKilled(k, "wamp.close.killed");
    assert.deepEqual(await evs(1), ["killed"]);
    const q = await c.raw(WS_JSON);
    await meta(q, "wamp.session.add_testament", ["e2e.will", ["kill_all"]]);

    // Refusals.
    await metaError(q, "wamp.session.add_testament", ["e2e.will", [], {}], { scope: "forever" }, "wamp.error.invalid_argument");
    await metaError(q, "wamp.session.add_testament", ["not a uri", [], {}], {}, "wamp.error.invalid_uri");
    await metaError(q, "wamp.session.add_testament", ["wamp.session.on_leave", [], {}], {}, "wamp.error.invalid_uri");
    await metaError(q, "wamp.session.add_testament", ["e2e.will", "x", {}], {}, "wamp.error.invalid_argument");
    await metaError(q, "wamp.session.add_testament", [], {}, "wamp.error.invalid_argument");
    await metaError(q, "wamp.session.flush_testaments", [], { scope: "later" }, "wamp.error.invalid_argument");

    // kill_all publishes no testaments: the caller, the only session left, would hear them.
    await admin.subscribe("e2e.will");
    assert.ok((await meta(admin, "wamp.session.kill_all"))[0] as number >= 3);
    await admin.barrier("no testament from kill_all");
    await expectKilled(heir, "wamp.close.killed");
  });
}, T);

// =====================================================================================
// announcement and a realm without the meta API
// =====================================================================================

test("meta API: WELCOME announces it per realm; a realm with metaApi false announces and serves none of it", async () => {
  await withRouter(async (c) => {
    const on = await c.raw(WS_JSON);
    const roles = (on.welcome[2] as Dict).roles as Record<string, { features: Dict }>;
    assert.equal(roles.broker!.features.session_meta_api, true);
    assert.equal(roles.dealer!.features.session_meta_api, true);
    assert.equal(roles.broker!.features.subscription_meta_api, true);
    assert.equal(roles.dealer!.features.registration_meta_api, true);
    assert.equal(roles.dealer!.features.testament_meta_api, true);

    const off = await c.raw(WS_JSON, { realm: "quiet" });
    const offRoles = (off.welcome[2] as Dict).roles as Record<string, { features: Dict }>;
    for (const role of ["broker", "dealer"]) {
      for (const flag of ["session_meta_api", "subscription_meta_api", "registration_meta_api", "testament_meta_api", "event_history"]) {
        assert.equal(offRoles[role]!.features[flag], undefined, `${role}.${flag} announced by a realm without the meta API`);
      }
    }
    off.request(CALL, {}, "wamp.session.count");
    await off.expectError(CALL, "wamp.error.no_such_procedure", "no meta procedures in that realm");
    assert.equal(off.welcome[0], WELCOME);
  }, { realms: [{ name: "realm1" }, { name: "quiet", metaApi: false }] });
}, T);
