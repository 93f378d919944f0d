/**
 * The two well-behaved sessions a session fuzz run keeps beside the fuzzed ones: a callee of
 * `good.proc` subscribed to `good.topic` (MessagePack) and a caller/publisher (JSON). They must
 * get nothing while the fuzz runs and still complete a call and a publication at the end.
 * Methods throw an Error saying what went wrong.
 * @module
 */
import type { Router } from "../../src/router/router.ts";
import { flushMicrotasks } from "./_escapes.ts";
import { FuzzConn } from "./_fuzz_conn.ts";
import { show } from "./_show.ts";

const GOOD_PROC = "good.proc";
const GOOD_TOPIC = "good.topic";
const ROLES = { publisher: {}, subscriber: {}, caller: {}, callee: {} };

export class GoodPair {
  readonly callee: FuzzConn;
  readonly caller: FuzzConn;
  #seen = { callee: 0, caller: 0 };

  constructor(router: Router) {
    this.callee = new FuzzConn(router, "wamp.2.msgpack", -1);
    this.caller = new FuzzConn(router, "wamp.2.json", -2);
  }

  async setUp(): Promise<void> {
    await this.#request(this.callee, [1, "realm1", { roles: ROLES, authid: "good-callee" }], 2);
    await this.#request(this.caller, [1, "realm1", { roles: ROLES, authid: "good-caller" }], 2);
    await this.#request(this.callee, [64, 1, {}, GOOD_PROC], 65);
    await this.#request(this.callee, [32, 2, {}, GOOD_TOPIC], 33);
  }

  async #send(c: FuzzConn, message: unknown[]): Promise<void> {
    const thrown = c.deliver(c.frame(c.ser.encode(message)));
    if (thrown !== undefined) throw new Error(`good client ${c.id}: the router threw on ${show(message)}: ${String(thrown)}`);
    await flushMicrotasks();
  }

  /** What `c` got since the last sync. */
  #fresh(c: FuzzConn): unknown[][] {
    return c.received.slice(c === this.callee ? this.#seen.callee : this.#seen.caller);
  }

  #sync(): void {
    this.#seen = { callee: this.callee.received.length, caller: this.caller.received.length };
  }

  /** Sends and expects exactly one answer of type `answer`. */
  async #request(c: FuzzConn, message: unknown[], answer: number): Promise<void> {
    this.#sync();
    await this.#send(c, message);
    const got = this.#fresh(c);
    if (got.length !== 1 || got[0]![0] !== answer) {
      throw new Error(`good client ${c.id}: ${show(message)} got ${show(got)}, expected one message of type ${answer}`);
    }
    this.#sync();
  }

  /** Nothing reached them (nothing the fuzzed clients do is routed to them) and they are connected. */
  quietProblem(): string | undefined {
    for (const c of [this.callee, this.caller]) {
      if (!c.open) return `good client ${c.id} was disconnected`;
      const got = this.#fresh(c);
      if (got.length > 0) return `good client ${c.id} got ${show(got)}`;
      if (c.problems.length > 0) return c.problems[0];
    }
    return undefined;
  }

  /** A call (INVOCATION, YIELD, RESULT) and an acknowledged publication (PUBLISHED, EVENT) go through. */
  async callAndPublish(): Promise<void> {
    const { callee, caller } = this;
    const args = [1, "two", new Uint8Array([3, 4])];
    this.#sync();
    await this.#send(caller, [48, 10, {}, GOOD_PROC, args]);
    const inv = this.#fresh(callee);
    if (inv.length !== 1 || inv[0]![0] !== 68) throw new Error(`good call: the callee got ${show(inv)}`);
    if (show(inv[0]![4]) !== show(args)) throw new Error(`good call: INVOCATION arguments ${show(inv[0]![4])}`);
    this.#sync();
    await this.#send(callee, [70, inv[0]![1], {}, ["ok"]]);
    const res = this.#fresh(caller);
    if (res.length !== 1 || show(res[0]) !== show([50, 10, {}, ["ok"]])) throw new Error(`good call: the caller got ${show(res)}`);
    this.#sync();
    await this.#send(caller, [16, 11, { acknowledge: true }, GOOD_TOPIC, ["news"]]);
    const ack = this.#fresh(caller);
    const ev = this.#fresh(callee);
    if (ack.length !== 1 || ack[0]![0] !== 17 || ack[0]![1] !== 11) throw new Error(`good publication: the publisher got ${show(ack)}`);
    if (ev.length !== 1 || ev[0]![0] !== 36 || ev[0]![2] !== ack[0]![2] || show(ev[0]![4]) !== show(["news"])) {
      throw new Error(`good publication: the subscriber got ${show(ev)}`);
    }
    this.#sync();
  }
}
