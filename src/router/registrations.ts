/**
 * The registrations of one realm: who offers which procedure under which match and invocation
 * policy (spec "Pattern-based Registration", "Shared Registration").
 * @module
 */
import type { Session } from "../session/session.ts";
import type { MatchPolicy } from "../wamp/uri_check.ts";
import { PatternIndex } from "./pattern_index.ts";
import type { RegistrationInfo } from "./realm_events.ts";

export const INVOCATION_POLICIES = ["single", "roundrobin", "random", "first", "last"] as const;
export type InvocationPolicy = (typeof INVOCATION_POLICIES)[number];

export function isInvocationPolicy(v: unknown): v is InvocationPolicy {
  return typeof v === "string" && (INVOCATION_POLICIES as readonly string[]).includes(v);
}

/** Per-callee registration options that shape its invocations. */
export interface CalleeOptions {
  /** REGISTER.Options.disclose_caller: this callee wants to know its callers. */
  readonly discloseCaller: boolean;
  /** REGISTER.Options.forward_timeout: the callee enforces CALL timeouts itself. */
  readonly forwardTimeout: boolean;
}

export interface Registration extends RegistrationInfo {
  readonly invoke: InvocationPolicy;
  /** Callees in registration order (spec: `first`/`last` follow it, `roundrobin` cycles it). */
  readonly callees: Session[];
  readonly calleeOptions: Map<Session, CalleeOptions>;
  /** Next index for `roundrobin`. */
  next: number;
}

export class RegistrationTable {
  readonly #index = new PatternIndex<Registration>();
  readonly #byId = new Map<number, Registration>();

  get size(): number {
    return this.#byId.size;
  }

  get(id: number): Registration | undefined {
    return this.#byId.get(id);
  }

  lookup(uri: string, match: MatchPolicy): Registration | undefined {
    return this.#index.get(uri, match);
  }

  /** The registration a CALL of `uri` goes to, by the spec's precedence. */
  best(uri: string): Registration | undefined {
    // Most calls name an exact registration: one map lookup, no match record.
    return this.#index.get(uri, "exact") ?? this.#index.best(uri)?.value;
  }

  all(): IterableIterator<Registration> {
    return this.#byId.values();
  }

  create(id: number, uri: string, match: MatchPolicy, invoke: InvocationPolicy, created: number): Registration {
    const reg: Registration = {
      id,
      uri,
      match,
      invoke,
      created,
      callees: [],
      calleeOptions: new Map(),
      next: 0,
    };
    this.#index.set(uri, match, reg);
    this.#byId.set(id, reg);
    return reg;
  }

  /** Removes a callee; returns true when that left the registration empty (it is deleted). */
  removeCallee(reg: Registration, session: Session): boolean {
    const at = reg.callees.indexOf(session);
    if (at < 0) return false;
    reg.callees.splice(at, 1);
    reg.calleeOptions.delete(session);
    if (reg.next > at) reg.next--;
    if (reg.callees.length > 0) return false;
    this.#byId.delete(reg.id);
    this.#index.delete(reg.uri, reg.match);
    return true;
  }
}
