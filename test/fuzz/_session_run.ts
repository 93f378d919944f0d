/**
 * Runs one fuzzed scenario against a fresh in-memory Router (FuzzClock, seeded randomness):
 * fuzzed clients send well-formed and malformed messages, raw frames and batches, answer
 * invocations, drop their transports and let time pass, while two well-behaved sessions
 * (_good_pair.ts) watch. After every step: nothing escaped (synchronously or in a microtask),
 * no timer out of setTimeout's range, no error logged, and every connection's output keeps the
 * rules (_session_checks.ts). At the end the well-behaved sessions must still call and
 * publish, and once every client is gone the router must hold no state. The first breach ends
 * the run with an Error naming it, followed by the last steps.
 * @module
 */
import { Router } from "../../src/router/router.ts";
import { validateClientMessage } from "../../src/wamp/validate.ts";
import { SeededRandom } from "../_support/seeded_random.ts";
import { FuzzClock } from "./_clock.ts";
import { type EscapeTrap, flushMicrotasks, trapEscapes } from "./_escapes.ts";
import { FuzzConn } from "./_fuzz_conn.ts";
import { GoodPair } from "./_good_pair.ts";
import { FormattingLogger } from "./_logger.ts";
import { FEATURES } from "./_messages.ts";
import { emptyPools, type Pools } from "./_refs.ts";
import { outputProblem } from "./_session_checks.ts";
import { frameFor, routerView, type Step } from "./_session_frames.ts";
import { type Answer, answerFor, answerProblem, ConnModel, type Expect, expectFor, noteReceived, noteSent } from "./_session_model.ts";
import { show } from "./_show.ts";

export type { RawFrame, Step } from "./_session_frames.ts";

export const PROTOCOLS = [
  "wamp.2.json", "wamp.2.msgpack", "wamp.2.cbor", "wamp.2.json.batched", "wamp.2.msgpack.batched", "wamp.2.cbor.batched",
] as const;

const MAX_CONNS = 12;
const REALMS = ["realm1", "strict.realm"] as const;
/** How long the clock runs on after everyone left, before counting pending timers. */
const IDLE_MS = 600_000;

/** Counts of expectations and of router message types, for judging what runs reach (FUZZ_STATS=1). */
export const fuzzStats = new Map<string, number>();
function count(key: string): void {
  fuzzStats.set(key, (fuzzStats.get(key) ?? 0) + 1);
}
function statKey(m: unknown[]): string {
  if (m[0] === 8) return `got ERROR ${String(m[4])}`;
  if (m[0] !== 3) return `got ${String(m[0])}`;
  const text = String((m[1] as { message?: unknown }).message).replace(/[0-9]+/g, "N").slice(0, 50);
  return `got ABORT ${String(m[2])} ${text}`;
}

/** What the acting client did in a step, for the checks after it. */
interface Actor {
  readonly index: number;
  readonly expect: Expect;
  readonly answer: Answer | undefined;
  readonly saysGoodbye: boolean;
  readonly clientAborts: boolean;
}

const isValid = (code: number) => (v: { value: unknown } | undefined) =>
  Array.isArray(v?.value) && v.value[0] === code && validateClientMessage(v.value) === undefined;

export class SessionFuzzRun {
  readonly clock = new FuzzClock();
  readonly logger = new FormattingLogger();
  readonly router: Router;
  readonly conns: FuzzConn[] = [];
  readonly models: ConnModel[] = [];
  readonly pools: Pools = emptyPools();
  readonly good: GoodPair;
  readonly #trace: string[] = [];
  readonly #trap: EscapeTrap;
  #base = { registrations: 0, subscriptions: 0, timers: 0 };

  /** Sets an escape trap: call `dispose` when done, whatever happened. */
  constructor(seed: number) {
    this.#trap = trapEscapes();
    this.router = SessionFuzzRun.#router(this.clock, seed, this.logger);
    this.good = new GoodPair(this.router);
  }

  static #router(clock: FuzzClock, seed: number, logger: FormattingLogger): Router {
    return new Router({
      realms: [{ name: "realm1" }, { name: "strict.realm", strictRequestIds: true, uriCheck: "strict" }],
      clock,
      random: new SeededRandom(seed),
      logger,
    });
  }

  /** Timers a router that never had a client has pending once the clock advanced `ms`. */
  static async #idleTimers(ms: number): Promise<number> {
    const clock = new FuzzClock();
    SessionFuzzRun.#router(clock, 1, new FormattingLogger());
    await flushMicrotasks();
    clock.advance(ms);
    await flushMicrotasks();
    return clock.pending;
  }

  dispose(): void {
    this.#trap.dispose();
  }

  #fail(why: string): never {
    throw new Error(`${why}\n--- trace (last steps) ---\n${this.#trace.slice(-12).join("\n")}`);
  }

  #realmState(): { registrations: number; subscriptions: number } {
    let registrations = 0;
    let subscriptions = 0;
    for (const name of REALMS) {
      const realm = this.router.realm(name)!;
      registrations += realm.dealer.registrationCount;
      subscriptions += realm.broker.subscriptionCount;
    }
    return { registrations, subscriptions };
  }

  /**
   * Notes the router's state before any client (the meta API has registrations) and the
   * timers of an idle twin router, then joins the good pair.
   */
  async setUp(): Promise<void> {
    await flushMicrotasks();
    this.#base = { ...this.#realmState(), timers: await SessionFuzzRun.#idleTimers(IDLE_MS) };
    await this.good.setUp().catch((e: unknown) => this.#fail(String(e)));
  }

  #open(protocol: string): void {
    if (this.conns.length >= MAX_CONNS) return;
    this.conns.push(new FuzzConn(this.router, protocol, this.conns.length));
    this.models.push(new ConnModel());
  }

  /** Opens a fuzzed client and joins realm1, announcing `features` for every role. */
  async openJoined(protocol: string, features: readonly string[] = []): Promise<void> {
    if (this.conns.length >= MAX_CONNS) return;
    this.#open(protocol);
    const role = { features: Object.fromEntries(features.map((f) => [f, true])) };
    const roles = { publisher: role, subscriber: role, caller: role, callee: role };
    await this.run({ kind: "send", conn: this.conns.length - 1, message: [1, "realm1", { roles }] }, true);
  }

  #pickConn(k: number): number | undefined {
    const open = this.conns.map((c, i) => (c.open ? i : -1)).filter((i) => i >= 0);
    if (open.length === 0) return this.conns.length === 0 ? undefined : k % this.conns.length;
    return open[k % open.length];
  }

  /** One step; `exactIndex` addresses a connection by index instead of among the open ones. */
  async run(step: Step, exactIndex = false): Promise<void> {
    this.#trace.push(`step ${this.#trace.length}: ${show(step)}`);
    switch (step.kind) {
      case "open":
        this.#open(PROTOCOLS[step.protocol % PROTOCOLS.length]!);
        await flushMicrotasks();
        return this.#afterStep(undefined, false);
      case "advance":
        this.clock.advance(step.ms);
        await flushMicrotasks();
        return this.#afterStep(undefined, true);
      case "drop": {
        const i = this.#pickConn(step.conn);
        if (i === undefined) return;
        const thrown = this.conns[i]!.drop();
        if (thrown !== undefined) this.#fail(`the router threw when conn ${i} dropped: ${show(thrown)}`);
        this.models[i]!.phase = "over";
        await flushMicrotasks();
        return this.#afterStep(undefined, false);
      }
      default:
        break;
    }
    // With every fuzzed client gone, a new one joins (up to MAX_CONNS) so the run keeps going.
    if (!exactIndex && !this.conns.some((c) => c.open)) {
      await this.openJoined(PROTOCOLS[step.conn % PROTOCOLS.length]!, step.conn % 2 === 1 ? FEATURES : []);
    }
    const i = exactIndex ? step.conn : this.#pickConn(step.conn);
    if (i === undefined) return;
    const conn = this.conns[i]!;
    const model = this.models[i]!;
    const frame = frameFor(step, conn, model, this.pools);
    if (frame === undefined) return;
    const view = routerView(conn, frame);
    const expect: Expect = view.length === 1 ? expectFor(model, view[0]) : "any";
    const actor: Actor = {
      index: i,
      expect,
      answer: view.length === 1 && view[0] !== undefined ? answerFor(model, view[0].value, expect) : undefined,
      saysGoodbye: view.some(isValid(6)),
      // A client ABORT anywhere in a batch may close the transport without a reply.
      clientAborts: view.some(isValid(3)),
    };
    for (const v of view) {
      if (v === undefined) break;
      if (model.phase === "new" && Array.isArray(v.value) && v.value[0] === 1) model.realm = String(v.value[1]);
      noteSent(model, v.value);
    }
    this.#trace[this.#trace.length - 1] +=
      ` -> conn ${i} (${conn.protocol}, ${model.phase}) expects ${expect}; router sees ${show(view.map((v) => v?.value))}`;
    count(`expect ${expect}`);
    const thrown = conn.deliver(frame);
    if (thrown !== undefined) {
      this.#fail(`an exception escaped the router on conn ${i}: ${thrown instanceof Error ? thrown.stack : show(thrown)}`);
    }
    await flushMicrotasks();
    this.#afterStep(actor, false);
  }

  /** Reports closes to the router, then checks what escaped and every connection's new output. */
  #afterStep(actor: Actor | undefined, timePassed: boolean): void {
    for (const c of [...this.conns, this.good.callee, this.good.caller]) {
      const thrown = c.settle();
      if (thrown !== undefined) {
        this.#fail(`an exception escaped the router while conn ${c.id} closed: ${thrown instanceof Error ? thrown.stack : show(thrown)}`);
      }
    }
    const escaped = this.#trap.drain();
    if (escaped.length > 0) {
      const e = escaped[0];
      this.#fail(`an exception escaped the router asynchronously: ${e instanceof Error ? e.stack : show(e)}`);
    }
    if (this.clock.problems.length > 0) this.#fail(this.clock.problems[0]!);
    const quiet = this.good.quietProblem();
    if (quiet) this.#fail(quiet);
    if (this.logger.errors.length > 0) this.#fail(`the router logged an error: ${this.logger.errors[0]}`);
    this.conns.forEach((conn, i) => {
      const model = this.models[i]!;
      const fresh = conn.received.slice(model.seen);
      model.seen = conn.received.length;
      const mine = actor?.index === i ? actor : undefined;
      const problem = outputProblem(conn, fresh, model.phase, mine?.expect, {
        timePassed,
        clientAborted: mine?.clientAborts ?? false,
      });
      if (problem) this.#fail(problem);
      const unanswered = mine?.answer && answerProblem(mine.answer, fresh);
      if (unanswered) this.#fail(`conn ${i} (${conn.protocol}): ${unanswered}: ${show(fresh)}`);
      for (const m of fresh) {
        count(statKey(m));
        noteReceived(model, m, mine?.saysGoodbye ?? false);
        this.#harvest(m);
      }
      if (!conn.open) model.phase = "over";
      if (conn.problems.length > 0) this.#fail(conn.problems[0]!);
    });
  }

  #harvest(m: unknown[]): void {
    const pool = m[0] === 2 ? this.pools.session : m[0] === 17 ? this.pools.pub : m[0] === 33 ? this.pools.sub
      : m[0] === 65 ? this.pools.reg : undefined;
    pool?.push((m[0] === 2 ? m[1] : m[2]) as number);
  }

  /** The well-behaved sessions still call and publish; then everyone leaves and no state may remain. */
  async finish(): Promise<void> {
    this.#trace.push("finish: good call and publication, then everyone leaves");
    await this.good.callAndPublish().catch((e: unknown) => this.#fail(String(e)));
    for (const c of [...this.conns, this.good.callee, this.good.caller]) {
      const thrown = c.drop();
      if (thrown !== undefined) this.#fail(`the router threw when conn ${c.id} dropped: ${show(thrown)}`);
    }
    await flushMicrotasks();
    const escaped = this.#trap.drain();
    if (escaped.length > 0) this.#fail(`an exception escaped the router asynchronously: ${show(escaped[0])}`);
    for (const c of this.conns) if (c.problems.length > 0) this.#fail(c.problems[0]!);
    if (this.router.sessionCount !== 0) this.#fail(`router.sessionCount is ${this.router.sessionCount} with every transport gone`);
    for (const name of REALMS) {
      const n = this.router.realm(name)!.sessionCount;
      if (n !== 0) this.#fail(`realm ${name} still lists ${n} sessions`);
    }
    const state = this.#realmState();
    if (state.registrations !== this.#base.registrations) {
      this.#fail(`${state.registrations} registrations left, ${this.#base.registrations} at start (meta API)`);
    }
    if (state.subscriptions !== this.#base.subscriptions) {
      this.#fail(`${state.subscriptions} subscriptions left, ${this.#base.subscriptions} at start`);
    }
    // Timers that only run while sessions exist (the idle sweep) end at their next tick; then
    // as many may be pending as in a router that never had a client.
    this.clock.advance(IDLE_MS);
    await flushMicrotasks();
    if (this.clock.pending !== this.#base.timers) {
      this.#fail(`${this.clock.pending} timers pending with every client gone, ${this.#base.timers} in a router that had none`);
    }
    if (this.logger.errors.length > 0) this.#fail(`the router logged an error: ${this.logger.errors[0]}`);
  }
}
