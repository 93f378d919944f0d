/**
 * Clients of the bare relay (bench/relay_server.ts) that do the same serializer work as the WAMP
 * clients: the caller encodes a CALL-sized message and decodes the reply, the callee decodes
 * each request and encodes a YIELD-sized answer. So the load generator's cost per round trip
 * matches the WAMP runs and the difference is the server.
 * @module
 */
import type { Serializer } from "../src/serializer/types.ts";

const CONNECT_MS = 10_000;

function open(url: string): Promise<WebSocket> {
  const ws = new WebSocket(url);
  ws.binaryType = "arraybuffer";
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      ws.close();
      reject(new Error(`cannot connect to ${url} within ${CONNECT_MS} ms`));
    }, CONNECT_MS);
    ws.onopen = () => {
      clearTimeout(timer);
      resolve(ws);
    };
    ws.onerror = () => {
      clearTimeout(timer);
      reject(new Error(`WebSocket error on ${url}`));
    };
  });
}

function relayUrl(baseUrl: string, role: "caller" | "callee" | "fanout-pub" | "fanout-sub", ser: Serializer, minimal: boolean): string {
  return new URL(minimal ? `min-${role}?ser=${ser.name}` : role, baseUrl).href;
}

function frameOf(data: string | ArrayBuffer): string | Uint8Array {
  return typeof data === "string" ? data : new Uint8Array(data);
}

function closeSocket(ws: WebSocket): Promise<void> {
  if (ws.readyState === WebSocket.CLOSED) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, 2_000);
    ws.onclose = () => {
      clearTimeout(timer);
      resolve();
    };
    ws.close(1000);
  });
}

/**
 * Answers every request: decode, then send back `[70, request, {}, [3]]` encoded, or with
 * `echo` the request's own Arguments and ArgumentsKw (as the router benchmark's echo callee).
 */
export class RelayCallee {
  readonly #ws: WebSocket;

  private constructor(ws: WebSocket, ser: Serializer, echo: boolean) {
    this.#ws = ws;
    ws.onmessage = (e: MessageEvent<string | ArrayBuffer>) => {
      const msg = ser.decode(frameOf(e.data)) as unknown[];
      const reply = echo ? [70, msg[1], {}, ...msg.slice(4)] : [70, msg[1], {}, [3]];
      ws.send(ser.encode(reply) as string | Uint8Array<ArrayBuffer>);
    };
  }

  /** `minimal`: through the relay's minimal dealer (bench/_minimal_dealer.ts) instead of the bare relay. */
  static async connect(baseUrl: string, ser: Serializer, echo = false, minimal = false): Promise<RelayCallee> {
    return new RelayCallee(await open(relayUrl(baseUrl, "callee", ser, minimal)), ser, echo);
  }

  close(): Promise<void> {
    return closeSocket(this.#ws);
  }
}

/** Sends CALL-shaped requests; replies come back in order (FIFO through the relay). */
export class RelayCaller {
  readonly #ws: WebSocket;
  readonly #ser: Serializer;
  readonly #waiting: (() => void)[] = [];
  #nextId = 1;

  private constructor(ws: WebSocket, ser: Serializer) {
    this.#ws = ws;
    this.#ser = ser;
    ws.onmessage = (e: MessageEvent<string | ArrayBuffer>) => {
      ser.decode(frameOf(e.data));
      this.#waiting.shift()?.();
    };
  }

  static async connect(baseUrl: string, ser: Serializer, minimal = false): Promise<RelayCaller> {
    return new RelayCaller(await open(relayUrl(baseUrl, "caller", ser, minimal)), ser);
  }

  request(args: unknown[], kwargs: Record<string, unknown>, done: () => void): void {
    this.#waiting.push(done);
    const msg = [48, this.#nextId++, {}, "com.example.add", args, kwargs];
    this.#ws.send(this.#ser.encode(msg) as string | Uint8Array<ArrayBuffer>);
  }

  close(): Promise<void> {
    return closeSocket(this.#ws);
  }
}

/**
 * A publisher and subscribers through the relay's fan-out (every frame of the publisher goes to
 * every subscriber): the publisher encodes a PUBLISH-shaped message and each subscriber decodes
 * it, as the WAMP clients encode a PUBLISH and decode each EVENT.
 */
export class RelayFanOut {
  readonly #publisher: WebSocket;
  readonly #subscribers: WebSocket[];
  readonly #ser: Serializer;
  #nextId = 1;

  private constructor(publisher: WebSocket, subscribers: WebSocket[], ser: Serializer) {
    this.#publisher = publisher;
    this.#subscribers = subscribers;
    this.#ser = ser;
  }

  /** `deliver(i, args)` for each frame subscriber `i` receives. */
  static async connect(
    baseUrl: string,
    ser: Serializer,
    subscribers: number,
    deliver: (i: number, args: unknown[]) => void,
  ): Promise<RelayFanOut> {
    const subs = await Promise.all(Array.from({ length: subscribers }, () => open(relayUrl(baseUrl, "fanout-sub", ser, false))));
    subs.forEach((ws, i) => {
      ws.onmessage = (e: MessageEvent<string | ArrayBuffer>) => {
        const msg = ser.decode(frameOf(e.data)) as unknown[];
        deliver(i, msg[4] as unknown[]);
      };
    });
    return new RelayFanOut(await open(relayUrl(baseUrl, "fanout-pub", ser, false)), subs, ser);
  }

  publish(topic: string, args: unknown[]): void {
    const msg = [16, this.#nextId++, {}, topic, args];
    this.#publisher.send(this.#ser.encode(msg) as string | Uint8Array<ArrayBuffer>);
  }

  async close(): Promise<void> {
    await Promise.all([this.#publisher, ...this.#subscribers].map(closeSocket));
  }
}
