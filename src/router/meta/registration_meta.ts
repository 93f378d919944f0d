/**
 * Registration Meta API (spec "Registration Meta API"): `wamp.registration.list`, `lookup`,
 * `match`, `get`, `list_callees`, `count_callees`, Crossbar's `remove_callee`, and the events
 * `on_create`, `on_register`, `on_unregister`, `on_delete`.
 * @module
 */
import type { Session } from "../../session/session.ts";
import type { MatchPolicy } from "../../wamp/uri_check.ts";
import * as U from "../../wamp/uris.ts";
import type { Dict } from "../../wamp/validate.ts";
import type { RegistrationInfo } from "../realm_events.ts";
import {
  bind,
  E_NO_SUCH_SESSION,
  idParam,
  isoTime,
  idsByMatch,
  isShown,
  lookupParams,
  MetaError,
  optionalReasonParam,
  stringParam,
} from "./call.ts";
import type { MetaClient } from "./meta_client.ts";
import type { SessionDirectory } from "./session_meta.ts";

/** What the dealer answers about its registrations. */
export interface RegistrationQueries {
  registrations(): Iterable<RegistrationInfo>;
  getRegistration(id: number): RegistrationInfo | undefined;
  lookupRegistration(uri: string, match: MatchPolicy): RegistrationInfo | undefined;
  /** The registration a CALL of `uri` would go to (spec "Pattern-based Registration" precedence). */
  matchRegistration(uri: string): RegistrationInfo | undefined;
  /** Detaches a callee (spec "Registration Revocation"); false when it was not attached. */
  removeCallee(registrationId: number, session: Session, reason?: string): boolean;
}

/** RegistrationDetails (spec "wamp.registration.get"). */
export function registrationDetails(r: RegistrationInfo): Dict {
  return { id: r.id, created: isoTime(r.created), uri: r.uri, match: r.match, invoke: r.invoke };
}

export class RegistrationMeta {
  readonly #client: MetaClient;

  constructor(client: MetaClient, dealer: RegistrationQueries, realm: SessionDirectory) {
    this.#client = client;
    const shown = (r: RegistrationInfo | undefined) => r !== undefined && isShown(r.uri) ? r : undefined;
    const get = (p: Map<string, unknown>): RegistrationInfo => {
      const id = idParam(p, "registration_id");
      const r = shown(dealer.getRegistration(id));
      if (!r) throw new MetaError(U.E_NO_SUCH_REGISTRATION, `no registration ${id} in this realm`);
      return r;
    };
    client.register("wamp.registration.list", (c) => {
      bind(c, []);
      return { args: [idsByMatch(dealer.registrations())] };
    });
    client.register("wamp.registration.lookup", (c) => {
      const { uri, match } = lookupParams(c, "procedure");
      return { args: [shown(dealer.lookupRegistration(uri, match))?.id ?? null] };
    });
    client.register("wamp.registration.match", (c) => {
      const uri = stringParam(bind(c, ["procedure"], 1), "procedure");
      return { args: [shown(dealer.matchRegistration(uri))?.id ?? null] };
    });
    client.register("wamp.registration.get", (c) => ({ args: [registrationDetails(get(bind(c, ["registration_id"], 1)))] }));
    client.register("wamp.registration.list_callees", (c) => ({
      args: [get(bind(c, ["registration_id"], 1)).callees.map((s) => s.id)],
    }));
    client.register("wamp.registration.count_callees", (c) => ({
      args: [get(bind(c, ["registration_id"], 1)).callees.length],
    }));
    // Crossbar's `wamp.registration.remove_callee(registration_id, callee_id, reason=None)`:
    // the callee is told with UNREGISTERED when it announced registration_revocation (spec
    // "Registration Revocation"); the dealer decides that.
    client.register("wamp.registration.remove_callee", (c) => {
      const p = bind(c, ["registration_id", "callee_id", "reason"], 2);
      const reg = get(p);
      const calleeId = idParam(p, "callee_id");
      const reason = optionalReasonParam(p);
      const callee = realm.session(calleeId);
      if (!callee || !reg.callees.includes(callee) || !dealer.removeCallee(reg.id, callee, reason)) {
        throw new MetaError(E_NO_SUCH_SESSION, `session ${calleeId} is not a callee of registration ${reg.id}`);
      }
    });
  }

  created(session: Session, reg: RegistrationInfo): void {
    if (isShown(reg.uri)) this.#client.publish("wamp.registration.on_create", [session.id, registrationDetails(reg)]);
  }

  registered(session: Session, reg: RegistrationInfo): void {
    if (isShown(reg.uri)) this.#client.publish("wamp.registration.on_register", [session.id, reg.id]);
  }

  unregistered(session: Session, reg: RegistrationInfo): void {
    if (isShown(reg.uri)) this.#client.publish("wamp.registration.on_unregister", [session.id, reg.id]);
  }

  deleted(session: Session, reg: RegistrationInfo): void {
    if (isShown(reg.uri)) this.#client.publish("wamp.registration.on_delete", [session.id, reg.id]);
  }
}
