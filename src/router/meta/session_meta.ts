/**
 * Session Meta API (spec "Session Meta API"): `wamp.session.count`, `list`, `get`, `kill`,
 * `kill_by_authid`, `kill_by_authrole`, `kill_all`, and the events `wamp.session.on_join` and
 * `wamp.session.on_leave`. The realm's internal sessions are never listed (the realm keeps
 * them out of its session table) and never reported.
 * @module
 */
import type { Session } from "../../session/session.ts";
import * as U from "../../wamp/uris.ts";
import type { Dict } from "../../wamp/validate.ts";
import {
  bind,
  callerOf,
  E_NO_SUCH_SESSION,
  idParam,
  type MetaCall,
  MetaError,
  type MetaResult,
  optionalReasonParam,
  optionalStringListParam,
  optionalStringParam,
  stringParam,
} from "./call.ts";
import type { MetaClient } from "./meta_client.ts";

/** The realm's client sessions, as the meta API reads them. */
export interface SessionDirectory {
  sessions(): Iterable<Session>;
  session(id: number): Session | undefined;
}

export const ON_JOIN = "wamp.session.on_join";
export const ON_LEAVE = "wamp.session.on_leave";

/**
 * SessionDetails (spec "wamp.session.on_join" / "wamp.session.get"): the five auth keys plus the
 * optional, implementation-defined `transport` dict; `realm` as Crossbar and Nexus add it.
 */
export function sessionDetails(s: Session): Dict {
  const auth = s.auth;
  const info = s.peer.info;
  return {
    session: s.id,
    realm: s.realm?.name,
    authid: auth?.authid ?? "",
    authrole: auth?.authrole ?? "",
    authmethod: auth?.authmethod ?? "",
    authprovider: auth?.authprovider ?? "",
    transport: {
      type: info.kind,
      serializer: s.peer.serializer,
      ...(info.remoteAddress !== undefined ? { remote_address: info.remoteAddress } : {}),
      ...(info.remotePort !== undefined ? { remote_port: info.remotePort } : {}),
    },
  };
}

export class SessionMeta {
  readonly #client: MetaClient;
  readonly #realm: SessionDirectory;
  /** Sessions being closed by kill_all, whose leaving publishes nothing. */
  readonly #quiet = new Set<Session>();

  constructor(client: MetaClient, realm: SessionDirectory) {
    this.#client = client;
    this.#realm = realm;
    client.register("wamp.session.count", (c) => ({ args: [this.#filtered(bind(c, ["filter_authroles"])).length] }));
    client.register("wamp.session.list", (c) => ({
      args: [this.#filtered(bind(c, ["filter_authroles"])).map((s) => s.id)],
    }));
    client.register("wamp.session.get", (c) => {
      const id = idParam(bind(c, ["session_id"], 1), "session_id");
      const s = realm.session(id);
      if (!s) throw new MetaError(E_NO_SUCH_SESSION, `no session ${id} in this realm`);
      return { args: [sessionDetails(s)] };
    });
    client.register("wamp.session.kill", (c) => {
      const p = bind(c, ["session_id", "reason", "message"], 1);
      const id = idParam(p, "session_id");
      const how = closing(p);
      // Spec: "Specifying the caller's own session will result in a wamp.error.no_such_session
      // since no other session with that ID exists."
      const victim = id === callerOf(c) ? undefined : realm.session(id);
      if (!victim) throw new MetaError(E_NO_SUCH_SESSION, `no other session ${id} in this realm`);
      kill(victim, how);
    });
    client.register("wamp.session.kill_by_authid", (c) => {
      const p = bind(c, ["authid", "reason", "message"], 1);
      const authid = stringParam(p, "authid");
      // Spec (ap_05_meta_api_sessions.md): the result is the list of killed session ids.
      return { args: [this.#killWhere(c, closing(p), (s) => s.auth?.authid === authid).map((s) => s.id)] };
    });
    client.register("wamp.session.kill_by_authrole", (c) => {
      const p = bind(c, ["authrole", "reason", "message"], 1);
      const authrole = stringParam(p, "authrole");
      return { args: [this.#killWhere(c, closing(p), (s) => s.auth?.authrole === authrole).length] };
    });
    client.register("wamp.session.kill_all", (c) => {
      const how = closing(bind(c, ["reason", "message"]));
      // Spec "wamp.session.kill_all": closing every session "will not generate session meta
      // events or testament events, since no subscribers would remain to receive these events".
      const victims = this.#others(c);
      for (const v of victims) {
        this.#quiet.add(v);
        kill(v, how);
        this.#quiet.delete(v);
      }
      return { args: [victims.length] } satisfies MetaResult;
    });
  }

  /** Whether this session is leaving through kill_all (nothing is published for it). */
  isQuiet(session: Session): boolean {
    return this.#quiet.has(session);
  }

  joined(session: Session): void {
    this.#client.publish(ON_JOIN, [sessionDetails(session)]);
  }

  /** Spec "wamp.session.on_leave": `[session|id, authid|string, authrole|string]`. */
  left(session: Session): void {
    this.#client.publish(ON_LEAVE, [session.id, session.auth?.authid ?? "", session.auth?.authrole ?? ""]);
  }

  /**
   * Spec: only sessions "with an authrole from this list" count. An empty list filters nothing,
   * as in Crossbar (`if filter_authroles:`) and Nexus (`len(filter) == 0`).
   */
  #filtered(p: Map<string, unknown>): Session[] {
    const roles = optionalStringListParam(p, "filter_authroles");
    const all = [...this.#realm.sessions()];
    if (!roles || roles.length === 0) return all;
    return all.filter((s) => roles.includes(s.auth?.authrole ?? ""));
  }

  /** Every session but the caller (spec: "the caller's session is excluded"). */
  #others(c: MetaCall): Session[] {
    const caller = callerOf(c);
    return [...this.#realm.sessions()].filter((s) => s.id !== caller);
  }

  #killWhere(c: MetaCall, how: Closing, pick: (s: Session) => boolean): Session[] {
    const victims = this.#others(c).filter(pick);
    for (const v of victims) kill(v, how);
    return victims;
  }
}

interface Closing {
  readonly reason: string;
  readonly message: string | undefined;
}

/**
 * The GOODBYE a killed session gets. The spec text names `wamp.close.normal` as the default
 * reason; we send `wamp.close.killed` as Crossbar, Nexus and Bondy do, which says what happened.
 */
function closing(p: Map<string, unknown>): Closing {
  return { reason: optionalReasonParam(p) ?? U.CLOSE_KILLED, message: optionalStringParam(p, "message") };
}

function kill(victim: Session, how: Closing): void {
  // Spec: without a message, GOODBYE.Details carries none. Session.goodbye always writes
  // Details.message, so the closest we can send is an empty one.
  victim.goodbye(how.reason, how.message);
}
