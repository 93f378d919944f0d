/**
 * The router announces in WELCOME exactly the Advanced Profile features the end-to-end suite
 * covers (issue: "A test compares the WELCOME feature flags with the list of features the suite
 * covers, so the router never announces what it does not do").
 *
 * COVERAGE below names, for every feature flag of the broker and dealer roles, the test files and
 * the tests in them that exercise it with real clients and raw frames. This test joins a router,
 * reads WELCOME.Details.roles.{broker,dealer}.features and fails when
 * - a flag is announced that COVERAGE does not list (announced but not covered), or
 * - COVERAGE lists a flag that is no longer announced (covered but not announced), or
 * - a listed file is missing or has no test of the listed name (read from the file's text).
 * To announce a new feature: write its tests, then add it here and to src/wamp/features.ts.
 *
 * Names are the literal first argument of `test(...)` in the file, template placeholders
 * included (the matrix tests are named `... over ${t.name}`).
 * @module
 */
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { test } from "../_support/harness.ts";
import { FakeClock } from "../_support/fake_clock.ts";
import { MemoryClient } from "../_support/memory_client.ts";
import { SeededRandom } from "../_support/seeded_random.ts";
import type { RealmOptions } from "../../src/router/options.ts";
import { Router } from "../../src/router/router.ts";

type Role = "broker" | "dealer";

interface Coverage {
  /** Path from the repository root. */
  readonly file: string;
  /** Test names in that file. */
  readonly tests: readonly string[];
}

const COVERAGE: Readonly<Record<Role, Readonly<Record<string, readonly Coverage[]>>>> = {
  broker: {
    publisher_exclusion: [{ file: "test/e2e/advanced_pubsub_test.ts", tests: [
      "publisher_exclusion: raw frames over ${t.name}",
      "publisher_exclusion: autobahn exclude_me over ${t.name}",
      "publisher_exclusion: wampy publisher is excluded by default over ${t.name}",
      "publisher_exclusion: options and refusals over websocket/json (raw frames)",
    ] }],
    publisher_identification: [{ file: "test/e2e/advanced_pubsub_test.ts", tests: [
      "publisher_identification: raw frames over ${t.name}",
      "publisher_identification: autobahn disclose_me over ${t.name}",
      "publisher_identification: wampy disclose_me over ${t.name}",
      "publisher_identification: options and refusals over websocket/json (raw frames)",
    ] }],
    subscriber_blackwhite_listing: [{ file: "test/e2e/advanced_pubsub_test.ts", tests: [
      "subscriber_blackwhite_listing: eligible and exclude, raw frames over ${t.name}",
      "subscriber_blackwhite_listing: autobahn eligible, exclude and authid lists over ${t.name}",
      "subscriber_blackwhite_listing: wampy eligible and exclude over ${t.name}",
      "subscriber_blackwhite_listing: all six keys, combinations and refusals over websocket/json (raw frames)",
    ] }],
    pattern_based_subscription: [{ file: "test/e2e/advanced_pubsub_test.ts", tests: [
      "pattern_based_subscription: prefix and wildcard with details.topic, raw frames over ${t.name}",
      "pattern_based_subscription: autobahn prefix and wildcard subscriptions over ${t.name}",
      "pattern_based_subscription: wampy prefix and wildcard subscriptions over ${t.name}",
      "pattern_based_subscription: options and refusals over websocket/json (raw frames)",
    ] }],
    event_retention: [{ file: "test/e2e/advanced_pubsub_test.ts", tests: [
      "event_retention: retain and get_retained, raw frames over ${t.name}",
      "event_retention: autobahn retain and get_retained over ${t.name}",
      "event_retention: wampy subscriber with get_retained over ${t.name}",
      "event_retention: options and refusals over websocket/json (raw frames)",
    ] }],
    subscription_revocation: [{ file: "test/e2e/advanced_pubsub_test.ts", tests: [
      "subscription_revocation: remove_subscriber sends UNSUBSCRIBED 0 over ${t.name}",
      "subscription_revocation: autobahn subscriber sees on_unsubscribe with the reason over ${t.name}",
      "subscription_revocation: options and refusals over websocket/json (raw frames)",
    ] }],
    payload_passthru_mode: [{ file: "test/e2e/advanced_pubsub_test.ts", tests: [
      "payload_passthru_mode: PUBLISH ppt_* reaches EVENT.Details with the payload untouched, raw frames over ${t.name}",
      "payload_passthru_mode: wampy publisher and subscriber with ppt_serializer cbor over ${t.name}",
      "payload_passthru_mode: options and refusals for publications over websocket/json (raw frames)",
    ] }],
    event_history: [{ file: "test/e2e/advanced_pubsub_test.ts", tests: [
      "event_history: wamp.subscription.get_events, raw frames over ${t.name}",
      "event_history: autobahn calls wamp.subscription.get_events over ${t.name}",
      "event_history: filters and refusals over websocket/json (raw frames)",
    ] }],
    session_meta_api: [{ file: "test/e2e/meta_api_test.ts", tests: [
      "session_meta_api: on_join, get and on_leave for a session over ${t.name} (raw frames)",
      "session_meta_api: an autobahn monitor sees on_join and on_leave over ${t.name}",
      "session_meta_api: a wampy monitor sees on_join and on_leave over ${t.name}",
      "session_meta_api: count, list, get and their refusals over websocket/json (raw frames)",
      "session_meta_api: kill, kill_by_authid, kill_by_authrole, kill_all and their refusals over websocket/json (raw frames)",
      "session_meta_api: a kill without message sends GOODBYE without Details.message",
      "session_meta_api: an autobahn session killed through wamp.session.kill closes with the reason over ${t.name}",
    ] }],
    subscription_meta_api: [{ file: "test/e2e/meta_api_test.ts", tests: [
      "subscription_meta_api: events and procedures, raw frames over ${t.name}",
      "subscription_meta_api: an autobahn monitor sees subscription events over ${t.name}",
      "subscription_meta_api: every procedure, shared subscriptions and refusals over websocket/json (raw frames)",
    ] }],
  },
  dealer: {
    progressive_call_results: [{ file: "test/e2e/advanced_rpc_test.ts", tests: [
      "progressive_call_results: raw frames over ${t.name}",
      "progressive_call_results: autobahn caller with receive_progress over ${t.name}",
      "progressive_call_results: wampy caller with progress_callback over ${t.name}",
      "progressive_call_results: options and refusals over websocket/json (raw frames)",
      "progressive_call_results: an autobahn-js callee (progressive results without call_canceling) streams to an autobahn-js caller",
    ] }],
    progressive_call_invocations: [{ file: "test/e2e/advanced_rpc_test.ts", tests: [
      "progressive_call_invocations: raw frames over ${t.name}",
      "progressive_call_invocations: wampy progressiveCall over ${t.name}",
      "progressive_call_invocations: a caller that does not announce it is aborted (wampy as it ships)",
      "progressive_call_invocations: options and refusals over websocket/json (raw frames)",
      "progressive_call_invocations: continuations are accepted in a strictRequestIds realm",
    ] }],
    call_timeout: [{ file: "test/e2e/advanced_rpc_test.ts", tests: [
      "call_timeout: raw frames over ${t.name}",
      "call_timeout: autobahn caller and callee over ${t.name}",
      "call_timeout: wampy caller and callee over ${t.name}",
      "call_timeout: options and refusals over websocket/json (raw frames)",
    ] }],
    call_canceling: [{ file: "test/e2e/advanced_rpc_test.ts", tests: [
      "call_canceling: skip, killnowait and kill with raw frames over ${t.name}",
      "call_canceling: autobahn cancel in kill mode over ${t.name}",
      "call_canceling: wampy cancel in skip and killnowait modes over ${t.name}",
      "call_canceling: options and refusals over websocket/json (raw frames)",
    ] }],
    caller_identification: [{ file: "test/e2e/advanced_rpc_test.ts", tests: [
      "caller_identification: raw frames over ${t.name}",
      "caller_identification: autobahn disclose_me and disclose_caller over ${t.name}",
      "caller_identification: wampy disclose_me over ${t.name}",
      "caller_identification: options and refusals over websocket/json (raw frames)",
      "caller_identification: a realm with allowDisclose false refuses disclose_me (raw and autobahn)",
    ] }],
    pattern_based_registration: [{ file: "test/e2e/advanced_rpc_test.ts", tests: [
      "pattern_based_registration: raw frames over ${t.name}",
      "pattern_based_registration: autobahn prefix and wildcard registrations over ${t.name}",
      "pattern_based_registration: wampy prefix and wildcard registrations over ${t.name}",
      "pattern_based_registration: options and refusals over websocket/json (raw frames), spec precedence vectors",
    ] }],
    shared_registration: [{ file: "test/e2e/advanced_rpc_test.ts", tests: [
      "shared_registration: roundrobin with raw frames over ${t.name}",
      "shared_registration: autobahn callees, roundrobin and first/last failover over ${t.name}",
      "shared_registration: wampy callees, roundrobin over ${t.name}",
      "shared_registration: options and refusals over websocket/json (raw frames)",
    ] }],
    sharded_registration: [{ file: "test/e2e/advanced_rpc_test.ts", tests: [
      "sharded_registration: runmode partition with rkey, raw frames over ${t.name}",
      "sharded_registration: autobahn caller with runmode and rkey over ${t.name}",
      "sharded_registration: options and refusals over websocket/json (raw frames)",
    ] }],
    registration_revocation: [{ file: "test/e2e/advanced_rpc_test.ts", tests: [
      "registration_revocation: remove_callee sends UNREGISTERED 0 over ${t.name}",
      "registration_revocation: autobahn callee sees on_unregister with the reason over ${t.name}",
      "registration_revocation: options and refusals over websocket/json (raw frames)",
    ] }],
    payload_passthru_mode: [{ file: "test/e2e/advanced_rpc_test.ts", tests: [
      "payload_passthru_mode: ppt_* options and the binary payload round trip, raw frames over ${t.name}",
      "payload_passthru_mode: wampy caller and callee with ppt_serializer cbor over ${t.name}",
      "payload_passthru_mode: options and refusals for calls over websocket/json (raw frames)",
      "payload_passthru_mode: YIELD with ppt_* from a callee that did not announce it is a protocol violation",
      "payload_passthru_mode: YIELD with ppt_* toward a caller without the feature gets feature_not_supported at the callee",
    ] }],
    session_meta_api: [{ file: "test/e2e/meta_api_test.ts", tests: [
      "session_meta_api: on_join, get and on_leave for a session over ${t.name} (raw frames)",
      "session_meta_api: an autobahn monitor sees on_join and on_leave over ${t.name}",
      "session_meta_api: a wampy monitor sees on_join and on_leave over ${t.name}",
      "session_meta_api: count, list, get and their refusals over websocket/json (raw frames)",
      "session_meta_api: kill, kill_by_authid, kill_by_authrole, kill_all and their refusals over websocket/json (raw frames)",
      "session_meta_api: a kill without message sends GOODBYE without Details.message",
      "session_meta_api: an autobahn session killed through wamp.session.kill closes with the reason over ${t.name}",
    ] }],
    registration_meta_api: [{ file: "test/e2e/meta_api_test.ts", tests: [
      "registration_meta_api: events and procedures, raw frames over ${t.name}",
      "registration_meta_api: an autobahn monitor sees registration events; lookup and match over ${t.name}",
      "registration_meta_api: every procedure, shared registrations and refusals over websocket/json (raw frames)",
    ] }],
    testament_meta_api: [{ file: "test/e2e/meta_api_test.ts", tests: [
      "testament_meta_api: a testament is published when the transport is lost, raw frames over ${t.name}",
      "testament_meta_api: an autobahn session's testament reaches an autobahn subscriber over ${t.name}",
      "testament_meta_api: scopes, order, flush, options, GOODBYE, kill_all and refusals over websocket/json (raw frames)",
    ] }],
  },
};

/** Covered flags that exist only with the realm's meta API (RealmOptions.metaApi, default true). */
const NEEDS_META_API: Readonly<Record<Role, readonly string[]>> = {
  broker: ["session_meta_api", "subscription_meta_api", "event_history"],
  dealer: ["session_meta_api", "registration_meta_api", "testament_meta_api"],
};

const ROOT = new URL("../../", import.meta.url);

/** The feature flags a realm announces, as "role.flag"; every announced value must be true. */
function announced(realm: RealmOptions): Set<string> {
  const router = new Router({ realms: [realm], clock: new FakeClock(), random: new SeededRandom(7) });
  const client = new MemoryClient(router);
  const welcome = client.hello(realm.name);
  assert.equal(welcome[0], 2, `WELCOME expected, got ${JSON.stringify(welcome)}`);
  const roles = (welcome[2] as { roles?: Record<string, { features?: Record<string, unknown> }> }).roles ?? {};
  const out = new Set<string>();
  for (const role of ["broker", "dealer"] as const) {
    for (const [flag, value] of Object.entries(roles[role]?.features ?? {})) {
      assert.equal(value, true, `WELCOME.Details.roles.${role}.features.${flag} is ${JSON.stringify(value)}; announce features with true`);
      out.add(`${role}.${flag}`);
    }
  }
  assert.deepEqual(Object.keys(roles).filter((r) => r !== "broker" && r !== "dealer"), [], "router roles are broker and dealer");
  client.drop();
  return out;
}

function covered(exclude: Readonly<Record<Role, readonly string[]>> = { broker: [], dealer: [] }): Set<string> {
  const out = new Set<string>();
  for (const role of ["broker", "dealer"] as const) {
    for (const flag of Object.keys(COVERAGE[role])) if (!exclude[role].includes(flag)) out.add(`${role}.${flag}`);
  }
  return out;
}

function compare(announcedFlags: Set<string>, coveredFlags: Set<string>, realm: string): void {
  const notCovered = [...announcedFlags].filter((f) => !coveredFlags.has(f)).sort();
  const notAnnounced = [...coveredFlags].filter((f) => !announcedFlags.has(f)).sort();
  assert.deepEqual(notCovered, [], `${realm}: WELCOME announces features no test covers (add tests and list them in COVERAGE, or stop announcing them)`);
  assert.deepEqual(notAnnounced, [], `${realm}: COVERAGE lists features WELCOME no longer announces (remove them from COVERAGE)`);
}

/** The test names declared in a file: the literal first argument of every `test(...)` call. */
function testNames(text: string): Set<string> {
  const names = new Set<string>();
  for (const m of text.matchAll(/\btest\(\s*(["'`])((?:\\.|(?!\1)[^\\])*)\1/g)) names.add(m[2]!);
  return names;
}

test("features: WELCOME announces exactly the feature flags the suite covers", () => {
  compare(announced({ name: "realm1" }), covered(), "a realm with the meta API");
});

test("features: a realm without the meta API announces exactly the covered flags that do not need it", () => {
  compare(announced({ name: "realm1", metaApi: false }), covered(NEEDS_META_API), "a realm with metaApi false");
});

test("features: every file and test named in the coverage table exists", () => {
  const cache = new Map<string, Set<string>>();
  const missing: string[] = [];
  for (const role of ["broker", "dealer"] as const) {
    for (const [flag, entries] of Object.entries(COVERAGE[role])) {
      assert.ok(entries.length > 0, `${role}.${flag}: no coverage listed`);
      for (const { file, tests } of entries) {
        const url = new URL(file, ROOT);
        assert.ok(existsSync(url), `${role}.${flag}: ${file} does not exist`);
        let names = cache.get(file);
        if (!names) cache.set(file, (names = testNames(readFileSync(url, "utf8"))));
        assert.ok(tests.length > 0, `${role}.${flag}: no tests listed in ${file}`);
        for (const t of tests) if (!names.has(t)) missing.push(`${role}.${flag}: ${file} has no test "${t}"`);
      }
    }
  }
  assert.deepEqual(missing, []);
});

test("features: every covered flag has a transport x serializer matrix test and a real-client test", () => {
  const gaps: string[] = [];
  for (const role of ["broker", "dealer"] as const) {
    for (const [flag, entries] of Object.entries(COVERAGE[role])) {
      const all = entries.flatMap((e) => e.tests);
      if (!all.some((t) => t.includes("${t.name}"))) gaps.push(`${role}.${flag}: no test over every transport and serializer`);
      if (!all.some((t) => /\b(autobahn|wampy)\b/.test(t))) gaps.push(`${role}.${flag}: no test with autobahn or wampy`);
    }
  }
  assert.deepEqual(gaps, []);
});
