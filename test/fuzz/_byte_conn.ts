/**
 * A fake TCP connection for Router.acceptBytes: records what the router writes, parses it as
 * a RawSocket client would, and notes every misstep (a write after close, output that does not
 * parse, a frame over the limit we announced).
 * @module
 */
import { RawSocketClientProtocol, type RawSocketClientEvent } from "../../src/framing/rawsocket.ts";
import type { ByteConnection, ConnectionSink } from "../../src/platform/transport.ts";
import type { Router } from "../../src/router/router.ts";
import { serializerForRawSocketId } from "../../src/serializer/registry.ts";
import { routerMessageProblem } from "./_shapes.ts";

const text = new TextDecoder();

export class FakeByteConn {
  readonly problems: string[] = [];
  /** Decoded WAMP messages the router sent. */
  readonly messages: unknown[][] = [];
  /** Payloads of PONG frames the router sent. */
  readonly pongs: Uint8Array[] = [];
  closed = false;
  #notified = false;
  /** Parses the router's output; set once our handshake is known. */
  #client: RawSocketClientProtocol | undefined;
  #serializerId = 0;
  readonly #pending: Uint8Array[] = [];
  readonly sink: ConnectionSink;

  constructor(router: Router) {
    const conn: ByteConnection = {
      info: { kind: "rawsocket" },
      write: (chunk) => {
        if (this.closed) {
          this.problems.push("the router wrote after closing the connection");
          return "closed";
        }
        this.#fromRouter(chunk.slice());
        return "ok";
      },
      close: () => {
        this.closed = true;
      },
    };
    this.sink = router.acceptBytes(conn);
  }

  /** Our handshake (the first 4 bytes we sent), which says how to read the router's output. */
  handshakeSent(bytes: Uint8Array): void {
    if (this.#client || bytes.length < 4) return;
    this.#serializerId = bytes[1]! & 0x0f;
    this.#client = new RawSocketClientProtocol({ serializerId: this.#serializerId, maxLength: 2 ** (9 + (bytes[1]! >> 4)) });
    for (const c of this.#pending.splice(0)) this.#fromRouter(c);
  }

  #fromRouter(chunk: Uint8Array): void {
    if (!this.#client) {
      this.#pending.push(chunk);
      return;
    }
    for (const ev of this.#client.receive(chunk)) this.#event(ev);
  }

  #event(ev: RawSocketClientEvent): void {
    switch (ev.type) {
      case "fail":
        this.problems.push(`the router's output is not valid RawSocket: ${ev.reason}`);
        return;
      case "ping":
        this.problems.push("the router sent an unsolicited PING");
        return;
      case "pong":
        this.pongs.push(ev.payload);
        return;
      case "message": {
        const ser = serializerForRawSocketId(this.#serializerId);
        if (!ser) {
          this.problems.push("the router sent a message on a serializer it should have refused");
          return;
        }
        let m: unknown;
        try {
          m = ser.decode(ser.binary ? ev.payload : text.decode(ev.payload));
        } catch (e) {
          this.problems.push(`the router sent an undecodable message: ${String(e)}`);
          return;
        }
        const problem = routerMessageProblem(m);
        if (problem) this.problems.push(`the router sent a malformed message (${problem})`);
        else this.messages.push(m as unknown[]);
        return;
      }
      default:
        return;
    }
  }

  /** Feeds bytes as the socket would; returns what the router threw, if anything. */
  deliver(chunk: Uint8Array): unknown {
    if (this.closed) return undefined;
    try {
      this.sink.message(chunk);
    } catch (e) {
      return e ?? new Error("undefined was thrown");
    }
    return undefined;
  }

  /** The socket is gone (after the router's close, or the peer's); reported once. */
  settle(): unknown {
    if (this.#notified) return undefined;
    this.#notified = true;
    this.closed = true;
    try {
      this.sink.closed();
    } catch (e) {
      return e ?? new Error("undefined was thrown");
    }
    return undefined;
  }
}
