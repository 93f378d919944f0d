/**
 * A small callback-based WAMP client over the global `WebSocket` (Node 24, Bun, Deno), for load
 * generation: just enough of the Basic Profile for the benchmarks (HELLO, REGISTER and a callee
 * that answers at once, CALL, SUBSCRIBE, PUBLISH). The hot paths take callbacks, not promises,
 * so the load generator spends its time on the wire and the serializer.
 * @module
 */
import type { Serializer } from "../src/serializer/types.ts";

type Message = unknown[];
export type Invocation = (args: unknown[], kwargs: Record<string, unknown>) => unknown[];
export type EventHandler = (args: unknown[]) => void;

const ROLES = { caller: {}, callee: {}, publisher: {}, subscriber: {} };
/** A JSON HELLO to realm1 with every client role, for benchmarks that join with raw frames. */
export const JSON_HELLO = JSON.stringify([1, "realm1", { roles: ROLES }]);
const CONNECT_MS = 10_000;

export class WampClient {
  readonly #ws: WebSocket;
  readonly #ser: Serializer;
  readonly #pending = new Map<number, (msg: Message) => void>();
  readonly #procedures = new Map<number, Invocation>();
  readonly #subscriptions = new Map<number, EventHandler>();
  #nextId = 1;
  #onError: (err: Error) => void = () => {};

  private constructor(ws: WebSocket, ser: Serializer) {
    this.#ws = ws;
    this.#ser = ser;
  }

  /** Opens a WebSocket with `wamp.2.<serializer>` and joins `realm`. */
  static connect(url: string, serializer: Serializer, realm = "realm1"): Promise<WampClient> {
    const ws = new WebSocket(url, [`wamp.2.${serializer.name}`]);
    ws.binaryType = "arraybuffer";
    const client = new WampClient(ws, serializer);
    return new Promise<WampClient>((resolve, reject) => {
      const timer = setTimeout(() => fail(new Error(`no WELCOME from ${url} within ${CONNECT_MS} ms`)), CONNECT_MS);
      const fail = (err: Error) => {
        clearTimeout(timer);
        ws.close();
        reject(err);
      };
      client.#onError = fail;
      ws.onerror = () => client.#onError(new Error(`WebSocket error on ${url}`));
      ws.onclose = (e) => client.#onError(new Error(`WebSocket closed (${e.code} ${e.reason})`));
      ws.onopen = () => client.#send([1, realm, { roles: ROLES }]);
      ws.onmessage = (e: MessageEvent<string | ArrayBuffer>) => client.#receive(e.data);
      client.#welcome = () => {
        clearTimeout(timer);
        client.#onError = (err) => {
          throw err;
        };
        resolve(client);
      };
    });
  }

  #welcome: () => void = () => {};

  /** Where failures go after the session is up (default: thrown, which ends the benchmark). */
  set onError(handler: (err: Error) => void) {
    this.#onError = handler;
  }

  /** Registers `uri`; each INVOCATION is answered with YIELD carrying `handler`'s result. */
  register(uri: string, handler: Invocation): Promise<void> {
    return this.#request([64, this.#nextId++, {}, uri], (reply) => {
      this.#procedures.set(reply[2] as number, handler);
    });
  }

  subscribe(uri: string, handler: EventHandler): Promise<void> {
    return this.#request([32, this.#nextId++, {}, uri], (reply) => {
      this.#subscriptions.set(reply[2] as number, handler);
    });
  }

  /** CALL; `done` gets the RESULT message. */
  call(uri: string, args: unknown[], kwargs: Record<string, unknown>, done: (result: Message) => void): void {
    const id = this.#nextId++;
    this.#pending.set(id, done);
    this.#send([48, id, {}, uri, args, kwargs]);
  }

  /** PUBLISH without acknowledgement. */
  publish(uri: string, args: unknown[]): void {
    this.#send([16, this.#nextId++, {}, uri, args]);
  }

  /** Closes the socket and waits (at most 2 s) for the close to complete. */
  close(): Promise<void> {
    if (this.#ws.readyState === WebSocket.CLOSED) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, 2_000);
      this.#onError = () => {};
      this.#ws.onclose = () => {
        clearTimeout(timer);
        resolve();
      };
      this.#ws.close(1000);
    });
  }

  #request(msg: Message, onReply: (reply: Message) => void): Promise<void> {
    return new Promise((resolve) => {
      this.#pending.set(msg[1] as number, (reply) => {
        onReply(reply);
        resolve();
      });
      this.#send(msg);
    });
  }

  #send(msg: Message): void {
    // The DOM typing wants ArrayBuffer-backed views; the serializers return plain Uint8Arrays.
    this.#ws.send(this.#ser.encode(msg) as string | Uint8Array<ArrayBuffer>);
  }

  #receive(data: string | ArrayBuffer): void {
    const msg = this.#ser.decode(typeof data === "string" ? data : new Uint8Array(data)) as Message;
    switch (msg[0]) {
      case 36: // EVENT [36, subscription, publication, details, args]
        this.#subscriptions.get(msg[1] as number)?.((msg[4] as unknown[] | undefined) ?? []);
        return;
      case 68: { // INVOCATION [68, request, registration, details, args, kwargs]
        const handler = this.#procedures.get(msg[2] as number);
        if (!handler) return this.#onError(new Error(`INVOCATION for unknown registration ${msg[2]}`));
        const result = handler((msg[4] as unknown[] | undefined) ?? [], (msg[5] as Record<string, unknown> | undefined) ?? {});
        this.#send([70, msg[1], {}, result]);
        return;
      }
      case 50: // RESULT [50, request, details, args]
      case 33: // SUBSCRIBED [33, request, subscription]
      case 65: { // REGISTERED [65, request, registration]
        const id = msg[1] as number;
        const done = this.#pending.get(id);
        this.#pending.delete(id);
        done?.(msg);
        return;
      }
      case 2: // WELCOME
        return this.#welcome();
      default: // ABORT, GOODBYE, ERROR: none is expected in a benchmark
        return this.#onError(new Error(`unexpected WAMP message: ${JSON.stringify(msg).slice(0, 200)}`));
    }
  }
}
