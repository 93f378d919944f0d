/**
 * The meta API's WAMP client: an internal session on a LocalPeer that says HELLO, REGISTERs
 * procedures, answers INVOCATIONs with YIELD or ERROR and PUBLISHes events, every one as a WAMP
 * message through Session.receive, so the router treats it like any client (and authorization,
 * when it lands, applies to it too).
 *
 * Work is queued and run in a microtask, never inside the call that reported it: the dealer
 * records an invocation only after INVOCATION was handed to the callee, and the broker and the
 * dealer report changes in the middle of their own updates (realm_events.ts: observers must not
 * re-enter them). One FIFO keeps answers and events in the order they were caused.
 * @module
 */
import type { Logger } from "../../platform/logger.ts";
import { LocalPeer } from "../../session/local_peer.ts";
import { Session, type SessionHost } from "../../session/session.ts";
import * as C from "../../wamp/codes.ts";
import { type Dict, isDict, isId, MAX_ID } from "../../wamp/validate.ts";
import { appendPayload } from "../messages.ts";
import { E_RUNTIME_ERROR, type MetaCall, MetaError, type MetaHandler, type MetaResult } from "./call.ts";

/** Roles the meta session announces in HELLO. */
const META_ROLES: Dict = {
  caller: {},
  callee: { features: { caller_identification: true } },
  publisher: {},
  subscriber: {},
};

type Task = () => void;

export class MetaClient {
  readonly session: Session;
  readonly #logger: Logger;
  #lastRequestId = 0;
  /** REGISTER request id -> the procedure and its handler, until REGISTERED. */
  readonly #registering = new Map<number, { procedure: string; handler: MetaHandler }>();
  /** Registration id -> handler. */
  readonly #handlers = new Map<number, MetaHandler>();
  readonly #procedures = new Set<string>();
  #queue: Task[] = [];
  #scheduled = false;

  constructor(host: SessionHost, realm: string) {
    this.#logger = host.logger;
    const peer = new LocalPeer((m) => this.#receive(m), () => {
      this.#logger.log("error", "the meta API session was closed; meta procedures and events stop", { realm });
    });
    this.session = new Session(host, peer, { internal: true });
    // WELCOME (or ABORT) arrives synchronously through the LocalPeer.
    this.session.receive([C.HELLO, realm, { roles: META_ROLES, agent: host.agent }]);
  }

  /** Procedures registered so far (REGISTERED received). */
  get procedures(): ReadonlySet<string> {
    return this.#procedures;
  }

  /**
   * Registers a procedure. The answer arrives synchronously: the realm dispatches REGISTER in
   * the same step. disclose_caller asks the dealer for INVOCATION.Details.caller, which the
   * procedures that act on "the caller" (kill, testaments) need.
   */
  register(procedure: string, handler: MetaHandler): void {
    const requestId = this.#nextRequestId();
    this.#registering.set(requestId, { procedure, handler });
    this.session.receive([C.REGISTER, requestId, { disclose_caller: true }, procedure]);
  }

  /**
   * Publishes an event (queued; see the module comment). Options are PUBLISH.Options. Meta
   * events go out whether or not anyone subscribes: the broker may keep event history for a
   * meta topic, and a publication nobody hears costs the broker one index lookup.
   */
  publish(topic: string, args: unknown[], kwargs?: Dict, options: Dict = {}): void {
    this.#enqueue(() => {
      const publish: unknown[] = [C.PUBLISH, this.#nextRequestId(), options, topic];
      appendPayload(publish, args, kwargs);
      this.session.receive(publish);
    });
  }

  #receive(m: readonly unknown[]): void {
    switch (m[0]) {
      case C.WELCOME:
        return;
      case C.REGISTERED: {
        const pending = this.#registering.get(m[1] as number);
        if (!pending) return;
        this.#registering.delete(m[1] as number);
        this.#handlers.set(m[2] as number, pending.handler);
        this.#procedures.add(pending.procedure);
        return;
      }
      case C.INVOCATION:
        this.#enqueue(() => this.#invoke(m));
        return;
      case C.ERROR: {
        const pending = m[1] === C.REGISTER ? this.#registering.get(m[2] as number) : undefined;
        if (pending) this.#registering.delete(m[2] as number);
        this.#logger.log("error", "the meta API session got an ERROR", {
          request: C.messageName(m[1] as number),
          error: m[4],
          ...(pending ? { procedure: pending.procedure } : {}),
          ...(Array.isArray(m[5]) ? { args: m[5] } : {}),
        });
        return;
      }
      default:
        // PUBLISHED never comes (no acknowledge); ABORT and GOODBYE end the session, which the
        // LocalPeer's close reports.
        return;
    }
  }

  #invoke(m: readonly unknown[]): void {
    const invocationId = m[1] as number;
    const handler = this.#handlers.get(m[2] as number);
    const details = isDict(m[3]) ? m[3] : {};
    const call: MetaCall = {
      caller: isId(details["caller"]) ? details["caller"] : undefined,
      args: Array.isArray(m[4]) ? m[4] : [],
      kwargs: isDict(m[5]) ? m[5] : {},
    };
    if (!handler) {
      this.#fail(invocationId, new MetaError(E_RUNTIME_ERROR, "no meta procedure is bound to this registration"));
      return;
    }
    let out: ReturnType<MetaHandler>;
    try {
      out = handler(call);
    } catch (e) {
      this.#fail(invocationId, e);
      return;
    }
    if (out instanceof Promise) {
      out.then((r) => this.#yield(invocationId, r), (e) => this.#fail(invocationId, e));
    } else {
      this.#yield(invocationId, out);
    }
  }

  #yield(invocationId: number, result: MetaResult | void): void {
    const yielded: unknown[] = [C.YIELD, invocationId, {}];
    appendPayload(yielded, result?.args, result?.kwargs);
    this.session.receive(yielded);
  }

  #fail(invocationId: number, e: unknown): void {
    if (e instanceof MetaError) {
      this.session.receive([C.ERROR, C.INVOCATION, invocationId, {}, e.uri, [e.message]]);
      return;
    }
    this.#logger.log("error", "a meta procedure failed", { error: e instanceof Error ? e.stack ?? e.message : String(e) });
    this.session.receive([C.ERROR, C.INVOCATION, invocationId, {}, E_RUNTIME_ERROR, ["the meta procedure failed"]]);
  }

  #enqueue(task: Task): void {
    this.#queue.push(task);
    if (this.#scheduled) return;
    this.#scheduled = true;
    queueMicrotask(() => this.#drain());
  }

  #drain(): void {
    // Tasks may queue more tasks (a kill causes on_leave); they run in this same pass.
    for (let i = 0; i < this.#queue.length; i++) {
      if (!this.session.alive) break;
      try {
        this.#queue[i]!();
      } catch (e) {
        this.#logger.log("error", "meta API task failed", { error: e instanceof Error ? e.stack ?? e.message : String(e) });
      }
    }
    this.#queue = [];
    this.#scheduled = false;
  }

  /** Request ids are sequential from 1 (spec "IDs"), so a strictRequestIds realm accepts them. */
  #nextRequestId(): number {
    this.#lastRequestId = this.#lastRequestId >= MAX_ID ? 1 : this.#lastRequestId + 1;
    return this.#lastRequestId;
  }
}
