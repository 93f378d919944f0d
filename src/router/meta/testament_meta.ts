/**
 * Testaments (spec "Testament", flag `testament_meta_api`): `wamp.session.add_testament` and
 * `wamp.session.flush_testaments`. A session's testaments are published through the meta
 * session, as ordinary PUBLISHes, when the session goes away.
 *
 * When: the spec publishes the `detached` bucket when a session is detached and the
 * `destroyed` bucket when it is destroyed. Junction has no session resumption, so every way of
 * leaving (GOODBYE from either side, a lost transport, ABORT, a kill) detaches and destroys the
 * session at once: both buckets are published, `detached` first (spec: "A Router that does not
 * allow Session Resumption MUST send detached-scope Testaments before destroyed-scope
 * Testaments"). A clean GOODBYE is no exception: the spec's own advice is that a client that
 * shuts down cleanly flushes its testaments first. The two buckets still exist so that
 * flush_testaments can empty one (spec: the router "MUST still use these two separate buckets").
 * Sessions closed by `wamp.session.kill_all` publish nothing (spec "wamp.session.kill_all").
 * @module
 */
import { describe } from "../value_text.ts";
import type { Session } from "../../session/session.ts";
import { isReservedUri, isValidUri, type UriCheck } from "../../wamp/uri_check.ts";
import * as U from "../../wamp/uris.ts";
import type { Dict } from "../../wamp/validate.ts";
import {
  bind,
  callerOf,
  E_NO_SUCH_SESSION,
  invalidArgument,
  type MetaCall,
  MetaError,
  optionalDictParam,
  optionalStringParam,
  type Permission,
} from "./call.ts";
import type { MetaClient } from "./meta_client.ts";
import type { SessionDirectory } from "./session_meta.ts";

type Scope = "detached" | "destroyed";

interface Testament {
  readonly topic: string;
  readonly args: unknown[];
  readonly kwargs: Dict;
  readonly options: Dict;
}

type Buckets = Record<Scope, Testament[]>;

/**
 * PUBLISH options a testament cannot honour (spec: "Not all options may be honoured (for
 * example, acknowledge)"): an acknowledgement would go to the meta session, and disclose_me
 * would disclose the meta session, not the session that left.
 */
const DROPPED_OPTIONS = ["acknowledge", "disclose_me"];

export class TestamentMeta {
  readonly #client: MetaClient;
  readonly #may: Permission;
  readonly #buckets = new Map<Session, Buckets>();

  constructor(client: MetaClient, realm: SessionDirectory, uriCheck: UriCheck, may: Permission) {
    this.#client = client;
    this.#may = may;
    const callerSession = (c: MetaCall): Session => {
      const id = callerOf(c);
      const s = realm.session(id);
      if (!s) throw new MetaError(E_NO_SUCH_SESSION, `the calling session ${id} has left`);
      return s;
    };
    client.register("wamp.session.add_testament", (c) => {
      const p = bind(c, ["topic", "args", "kwargs", "publish_options", "scope"], 1);
      const topic = p.get("topic");
      // Checked now: the meta session may publish in wamp.*, the caller may not.
      if (typeof topic !== "string" || !isValidUri(topic, uriCheck) || isReservedUri(topic)) {
        throw new MetaError(
          U.E_INVALID_URI,
          `"topic" must be a valid topic URI outside the reserved wamp.* namespace, found ${describe(topic)}`,
        );
      }
      const args = p.get("args") ?? [];
      if (!Array.isArray(args)) throw invalidArgument(`"args" must be a list`);
      const kwargs = optionalDictParam(p, "kwargs") ?? {};
      const options = { ...optionalDictParam(p, "publish_options") };
      for (const k of DROPPED_OPTIONS) delete options[k];
      const scope = scopeOf(p);
      const caller = callerSession(c);
      // The meta session publishes it, but on the caller's behalf: the caller must be allowed
      // to publish there, or a testament would route round the realm's authorization.
      if (!may(caller, "publish", topic)) {
        throw new MetaError(U.E_NOT_AUTHORIZED, `not authorized to publish to "${topic}"`);
      }
      this.#bucketsOf(caller)[scope].push({ topic, args, kwargs, options });
    });
    // The spec says flush_testaments "does not return a value"; we return how many were
    // removed, as Crossbar does (a client expecting nothing ignores it).
    client.register("wamp.session.flush_testaments", (c) => {
      const scope = scopeOf(bind(c, ["scope"]));
      const buckets = this.#buckets.get(callerSession(c));
      const n = buckets ? buckets[scope].length : 0;
      if (buckets) buckets[scope] = [];
      return { args: [n] };
    });
  }

  /** The session is going away: publish its testaments, detached first. */
  leaving(session: Session): void {
    const buckets = this.#buckets.get(session);
    if (!buckets) return;
    this.#buckets.delete(session);
    for (const t of [...buckets.detached, ...buckets.destroyed]) {
      // Checked again: grants may have changed since the testament was added.
      if (this.#may(session, "publish", t.topic)) this.#client.publish(t.topic, t.args, t.kwargs, t.options);
    }
  }

  /** The session is going away without its testaments (kill_all). */
  discard(session: Session): void {
    this.#buckets.delete(session);
  }

  #bucketsOf(session: Session): Buckets {
    let b = this.#buckets.get(session);
    if (!b) this.#buckets.set(session, (b = { detached: [], destroyed: [] }));
    return b;
  }
}

/**
 * Spec: `scope` is "detached" or "destroyed", default "destroyed". The spec names no error for
 * another value; it is an invalid argument here (Crossbar says `wamp.error.testament_error`).
 */
function scopeOf(p: Map<string, unknown>): Scope {
  const scope = optionalStringParam(p, "scope") ?? "destroyed";
  if (scope !== "detached" && scope !== "destroyed") {
    throw invalidArgument(`"scope" must be "detached" or "destroyed", found "${scope}"`);
  }
  return scope;
}
