/**
 * End to end, the batched WebSocket subprotocols (spec "Batched WebSocket Transport"):
 * `wamp.2.json.batched` (every message followed by the byte 0x1E) and `wamp.2.msgpack.batched` /
 * `wamp.2.cbor.batched` (every message prefixed by its length as a 32-bit big-endian integer),
 * over a real loopback WebSocket. No client library speaks them, so the client here frames
 * batches itself, independently of the router's src/serializer/batched.ts, and checks the
 * framing of everything the router sends.
 * @module
 */
import assert from "node:assert/strict";
import { test } from "../_support/harness.ts";
import { serializerForSubprotocol } from "../../src/serializer/registry.ts";
import type { Serializer } from "../../src/serializer/types.ts";
import {
  ABORT,
  assertBytes,
  AsyncQueue,
  bytes,
  CALL,
  EVENT,
  HELLO,
  INVOCATION,
  PUBLISH,
  PUBLISHED,
  REGISTER,
  REGISTERED,
  RESULT,
  show,
  SUBSCRIBE,
  SUBSCRIBED,
  T,
  TRANSPORTS,
  withRouter,
  withTimeout,
  WS_JSON,
  YIELD,
} from "./_advanced.ts";

const RS = 0x1e;
const ROLES = { roles: { publisher: {}, subscriber: {}, caller: {}, callee: {} } };
const PROTOCOLS = ["wamp.2.json.batched", "wamp.2.msgpack.batched", "wamp.2.cbor.batched"] as const;

const utf8 = new TextEncoder();

/** Frames messages as one batch: JSON text with 0x1E after each, or length-prefixed binary. */
function frameBatch(ser: Serializer, messages: readonly (readonly unknown[])[]): string | Uint8Array {
  if (!ser.binary) return messages.map((m) => (ser.encode(m) as string) + String.fromCharCode(RS)).join("");
  const parts = messages.map((m) => ser.encode(m) as Uint8Array);
  const out = new Uint8Array(parts.reduce((n, p) => n + 4 + p.byteLength, 0));
  const view = new DataView(out.buffer);
  let at = 0;
  for (const p of parts) {
    view.setUint32(at, p.byteLength);
    out.set(p, at + 4);
    at += 4 + p.byteLength;
  }
  return out;
}

/** Splits one WebSocket message from the router; fails the test on bad framing. */
function parseBatch(ser: Serializer, data: string | Uint8Array): unknown[][] {
  if (!ser.binary) {
    assert.equal(typeof data, "string", "a JSON batch arrives in a text frame");
    const text = data as string;
    assert.ok(text.length > 0 && text.charCodeAt(text.length - 1) === RS, `every JSON message ends with 0x1E: ${show(text)}`);
    return text.slice(0, -1).split(String.fromCharCode(RS)).map((p) => ser.decode(p) as unknown[]);
  }
  assert.ok(data instanceof Uint8Array, "a binary batch arrives in a binary frame");
  const bin = data as Uint8Array;
  const view = new DataView(bin.buffer, bin.byteOffset, bin.byteLength);
  const out: unknown[][] = [];
  let at = 0;
  while (at < bin.byteLength) {
    assert.ok(bin.byteLength - at >= 4, "a whole length prefix");
    const len = view.getUint32(at);
    assert.ok(at + 4 + len <= bin.byteLength, `length prefix ${len} within the batch`);
    out.push(ser.decode(bin.subarray(at + 4, at + 4 + len)) as unknown[]);
    at += 4 + len;
  }
  assert.ok(out.length > 0, "a batch holds at least one message");
  return out;
}

class BatchedClient {
  readonly ws: WebSocket;
  readonly ser: Serializer;
  readonly protocol: string;
  readonly inbox = new AsyncQueue<unknown[]>();
  /** How many WebSocket messages the router sent. */
  frames = 0;
  readonly closed: Promise<void>;
  #requestId = 0;

  constructor(ws: WebSocket, protocol: string) {
    this.ws = ws;
    this.protocol = protocol;
    this.ser = serializerForSubprotocol(protocol)!;
    ws.binaryType = "arraybuffer";
    this.closed = new Promise((resolve) => ws.addEventListener("close", () => {
      this.inbox.end();
      resolve();
    }));
    ws.addEventListener("message", (ev: MessageEvent) => {
      this.frames++;
      const data = typeof ev.data === "string" ? ev.data : new Uint8Array(ev.data as ArrayBuffer);
      try {
        for (const m of parseBatch(this.ser, data)) this.inbox.push(m);
      } catch (e) {
        this.inbox.push(["bad batch from the router", String(e)]);
      }
    });
  }

  static async open(url: string, protocols: string[]): Promise<BatchedClient> {
    const ws = new WebSocket(url, protocols);
    const opened = new Promise<void>((resolve, reject) => {
      ws.addEventListener("open", () => resolve());
      ws.addEventListener("error", () => reject(new Error(`WebSocket ${protocols.join(",")} failed to open`)));
    });
    await withTimeout(opened, `WebSocket open (${protocols.join(",")})`);
    return new BatchedClient(ws, ws.protocol);
  }

  nextRequestId(): number {
    return ++this.#requestId;
  }

  /** Sends these messages as one batch (one WebSocket message). */
  send(...messages: unknown[][]): void {
    this.ws.send(frameBatch(this.ser, messages));
  }

  sendRaw(data: string | Uint8Array): void {
    this.ws.send(data);
  }

  next(what: string, ms = 5000): Promise<unknown[]> {
    return this.inbox.take(`${what} on ${this.protocol}`, ms);
  }

  async expect(code: number, what: string): Promise<unknown[]> {
    const m = await this.next(what);
    assert.equal(m[0], code, `${this.protocol}: expected ${what}, got ${show(m)}`);
    return m;
  }

  async join(): Promise<number> {
    this.send([HELLO, "realm1", ROLES]);
    return (await this.expect(2, "WELCOME"))[1] as number;
  }

  close(): void {
    if (this.ws.readyState === WebSocket.OPEN || this.ws.readyState === WebSocket.CONNECTING) this.ws.close();
  }
}

for (const protocol of PROTOCOLS) {
  test(`batched ${protocol}: negotiated; HELLO/WELCOME; every router message is a well-framed batch`, async () => {
    await withRouter(async ({ s, track }) => {
      const c = track(await BatchedClient.open(s.url, [protocol, "wamp.2.json"]));
      assert.equal(c.ws.protocol, protocol, "the client's first choice is taken");
      const id = await c.join();
      assert.ok(Number.isSafeInteger(id) && id > 0);
      const r = c.nextRequestId();
      c.send([SUBSCRIBE, r, {}, "e2e.t"]);
      assert.equal((await c.expect(SUBSCRIBED, "SUBSCRIBED"))[1], r);
    });
  }, T);

  test(`batched ${protocol}: a call between a batched callee and an unbatched caller, binary intact`, async () => {
    await withRouter(async ({ s, track, raw }) => {
      const callee = track(await BatchedClient.open(s.url, [protocol]));
      await callee.join();
      callee.send([REGISTER, callee.nextRequestId(), {}, "e2e.echo"]);
      await callee.expect(REGISTERED, "REGISTERED");
      const caller = await raw(WS_JSON);
      const blob = bytes(777, 4);
      const r = caller.request(CALL, {}, "e2e.echo", [blob, "x"], { k: 1 });
      const inv = await callee.expect(INVOCATION, "INVOCATION");
      assertBytes((inv[4] as unknown[])[0], blob, "INVOCATION args[0]");
      assert.deepEqual([(inv[4] as unknown[])[1], inv[5]], ["x", { k: 1 }]);
      callee.send([YIELD, inv[1], {}, inv[4] as unknown[], inv[5] as Record<string, unknown>]);
      const res = await caller.expect(RESULT, "RESULT");
      assert.equal(res[1], r);
      assertBytes((res[3] as unknown[])[0], blob, "RESULT args[0]");

      // And the other way round: a batched caller.
      const bcaller = track(await BatchedClient.open(s.url, [protocol]));
      await bcaller.join();
      const r2 = bcaller.nextRequestId();
      bcaller.send([CALL, r2, {}, "e2e.echo", ["y"]]);
      const inv2 = await callee.expect(INVOCATION, "INVOCATION 2");
      callee.send([YIELD, inv2[1], {}, ["y!"]]);
      assert.deepEqual(await bcaller.expect(RESULT, "RESULT"), [RESULT, r2, {}, ["y!"]]);
    });
  }, T);

  test(`batched ${protocol}: an event reaches a batched subscriber from RawSocket and batched publishers`, async () => {
    await withRouter(async ({ s, track, raw }) => {
      const sub = track(await BatchedClient.open(s.url, [protocol]));
      await sub.join();
      sub.send([SUBSCRIBE, sub.nextRequestId(), {}, "e2e.t"]);
      const sid = (await sub.expect(SUBSCRIBED, "SUBSCRIBED"))[2];
      const pub = await raw(TRANSPORTS.find((t) => t.name === "rawsocket/cbor")!);
      const blob = bytes(64, 2);
      const r = pub.request(PUBLISH, { acknowledge: true }, "e2e.t", [blob]);
      const ack = await pub.expect(PUBLISHED, "PUBLISHED");
      assert.equal(ack[1], r);
      const ev = await sub.expect(EVENT, "EVENT");
      assert.deepEqual(ev.slice(0, 4), [EVENT, sid, ack[2], {}]);
      assertBytes((ev[4] as unknown[])[0], blob, "EVENT payload");

      const bpub = track(await BatchedClient.open(s.url, [protocol]));
      await bpub.join();
      bpub.send([PUBLISH, 1, { acknowledge: true }, "e2e.t", ["from a batched publisher"], { b: blob }]);
      const ack2 = await bpub.expect(PUBLISHED, "PUBLISHED");
      const ev2 = await sub.expect(EVENT, "EVENT 2");
      assert.deepEqual(ev2.slice(0, 5), [EVENT, sid, ack2[2], {}, ["from a batched publisher"]]);
      assertBytes((ev2[5] as Record<string, unknown>).b, blob, "EVENT kwargs.b");
    });
  }, T);

  test(`batched ${protocol}: several messages in one WebSocket message are handled in order`, async () => {
    await withRouter(async ({ s, track }) => {
      const c = track(await BatchedClient.open(s.url, [protocol]));
      const other = track(await BatchedClient.open(s.url, [protocol]));
      await other.join();
      other.send([SUBSCRIBE, 1, {}, "e2e.b"], [SUBSCRIBE, 2, {}, "e2e.a"]);
      await other.expect(SUBSCRIBED, "SUBSCRIBED 1");
      await other.expect(SUBSCRIBED, "SUBSCRIBED 2");
      c.send(
        [HELLO, "realm1", ROLES],
        [SUBSCRIBE, 1, {}, "e2e.a"],
        [SUBSCRIBE, 2, {}, "e2e.b"],
        [PUBLISH, 3, { acknowledge: true }, "e2e.a", [1]],
        [PUBLISH, 4, { acknowledge: true }, "e2e.b", [2]],
      );
      const codes: unknown[] = [];
      for (let i = 0; i < 5; i++) codes.push((await c.next(`answer ${i + 1}`)).slice(0, 2));
      assert.equal((codes[0] as unknown[])[0], 2, "WELCOME first");
      assert.deepEqual(codes.slice(1), [[SUBSCRIBED, 1], [SUBSCRIBED, 2], [PUBLISHED, 3], [PUBLISHED, 4]]);
      // The other session sees the events in publication order.
      assert.deepEqual((await other.expect(EVENT, "EVENT a"))[4], [1]);
      assert.deepEqual((await other.expect(EVENT, "EVENT b"))[4], [2]);
    });
  }, T);
}

const MALFORMED: Record<(typeof PROTOCOLS)[number], Array<[string, string | Uint8Array]>> = {
  "wamp.2.json.batched": [
    ["an empty batch", ""],
    ["a message without the trailing 0x1E", "[16,1,{},\"e2e.t\"]"],
    ["a message that is not JSON", "not json\u001e"],
    ["a binary frame", utf8.encode("[16,1,{},\"e2e.t\"]\u001e")],
  ],
  "wamp.2.msgpack.batched": [
    ["an empty batch", new Uint8Array(0)],
    ["a length prefix cut short", new Uint8Array([0, 0])],
    ["a length beyond the batch", new Uint8Array([0, 0, 0, 9, 0x91])],
    ["a message that is not MessagePack", new Uint8Array([0, 0, 0, 1, 0xc1])],
    ["a text frame", "[16,1,{},\"e2e.t\"]"],
  ],
  "wamp.2.cbor.batched": [
    ["an empty batch", new Uint8Array(0)],
    ["a length prefix cut short", new Uint8Array([0, 0, 0])],
    ["a length beyond the batch", new Uint8Array([0, 0, 1, 0, 0x80])],
    ["a message that is not CBOR", new Uint8Array([0, 0, 0, 1, 0xff])],
    ["a text frame", "[16,1,{},\"e2e.t\"]"],
  ],
};

for (const protocol of PROTOCOLS) {
  test(`batched ${protocol}: a malformed batch gets ABORT protocol_violation and the transport closes`, async () => {
    await withRouter(async ({ s, track }) => {
      for (const [what, frame] of MALFORMED[protocol]) {
        const c = track(await BatchedClient.open(s.url, [protocol]));
        await c.join();
        c.sendRaw(frame);
        // Nothing after the malformed batch is processed.
        c.send([SUBSCRIBE, c.nextRequestId(), {}, "e2e.t"]);
        const m = await c.next(`ABORT for ${what}`);
        assert.equal(m[0], ABORT, `${what}: got ${show(m)}`);
        assert.equal(m[2], "wamp.error.protocol_violation", `${what}: ${show(m)}`);
        await withTimeout(c.closed, `${what}: the transport to close`);
        assert.equal(c.inbox.size, 0, `${what}: nothing after ABORT`);
      }
      // Before HELLO, too.
      const c = track(await BatchedClient.open(s.url, [protocol]));
      c.sendRaw(MALFORMED[protocol][0]![1]);
      const m = await c.next("ABORT for an empty batch before HELLO");
      assert.deepEqual([m[0], m[2]], [ABORT, "wamp.error.protocol_violation"], show(m));
      await withTimeout(c.closed, "the transport to close");
    });
  }, T);
}

test("batched: a client offering only unknown subprotocols is refused; batched names are case-sensitive", async () => {
  await withRouter(async ({ s }) => {
    for (const offered of [["wamp.2.ubjson.batched"], ["WAMP.2.JSON.BATCHED"]]) {
      const ws = new WebSocket(s.url, offered);
      const outcome = await withTimeout(
        new Promise<string>((resolve) => {
          ws.addEventListener("open", () => resolve(`open with "${ws.protocol}"`));
          ws.addEventListener("error", () => resolve("refused"));
          ws.addEventListener("close", () => resolve("refused"));
        }),
        `the upgrade offering ${offered}`,
      );
      if (ws.readyState === WebSocket.OPEN) ws.close();
      assert.equal(outcome, "refused", `offering ${offered.join(",")}`);
    }
  });
}, T);
