/**
 * A stand-in for the router behind the adapters: echoes what it gets, obeys a few text commands,
 * and records what the adapter did, so the contract test can look at both ends.
 * @module
 */
import type {
  Acceptor,
  ByteConnection,
  ConnectionSink,
  MessageConnection,
  SendResult,
  TransportInfo,
} from "../../src/platform/transport.ts";

export const SUPPORTED = ["wamp.2.json", "wamp.2.cbor"] as const;

export interface ConnRecord {
  readonly info: TransportInfo;
  readonly protocol: string | undefined;
  readonly received: Array<Uint8Array | string>;
  readonly results: SendResult[];
  closedCount: number;
  drains: number;
  /** What `send` returned right after the connection closed itself (WebSocket only). */
  sendAfterClose?: SendResult;
}

export class StubAcceptor implements Acceptor {
  readonly messages: ConnRecord[] = [];
  readonly bytes: ConnRecord[] = [];
  /** Written to each new byte connection before anything else. */
  greeting: Uint8Array | undefined;
  /** Close each new byte connection right after the greeting (tests flush-before-close). */
  closeAfterGreeting = false;

  chooseSubprotocol(offered: readonly string[]): string | undefined {
    return offered.find((p) => (SUPPORTED as readonly string[]).includes(p));
  }

  acceptMessages(conn: MessageConnection): ConnectionSink {
    const rec = record(conn.info, conn.protocol);
    this.messages.push(rec);
    return {
      message(data) {
        rec.received.push(data);
        // "close:<code>:<reason>" asks the server side to close, twice (must be idempotent).
        if (typeof data === "string" && data.startsWith("close:")) {
          const [, code, reason] = data.split(":");
          conn.close(Number(code), reason);
          conn.close(Number(code), reason);
          rec.sendAfterClose = conn.send("too late");
          return;
        }
        // "burst:<count>:<bytes>[:close]" sends `count` frames at once (see burstFrame), then
        // closes with 1000 if asked: the frames of one turn, in order, before the close.
        if (typeof data === "string" && data.startsWith("burst:")) {
          const [, count, bytes, then] = data.split(":");
          for (let i = 0; i < Number(count); i++) rec.results.push(conn.send(burstFrame(i, Number(bytes))));
          if (then === "close") conn.close(1000, "done");
          return;
        }
        rec.results.push(conn.send(data));
      },
      drain: () => void rec.drains++,
      closed: () => void rec.closedCount++,
    };
  }

  acceptBytes(conn: ByteConnection): ConnectionSink {
    const rec = record(conn.info, undefined);
    this.bytes.push(rec);
    if (this.greeting) rec.results.push(conn.write(this.greeting));
    if (this.closeAfterGreeting) {
      conn.close();
      conn.close();
    }
    return {
      message(chunk) {
        rec.received.push(chunk);
        if (typeof chunk !== "string") rec.results.push(conn.write(chunk));
      },
      drain: () => void rec.drains++,
      closed: () => void rec.closedCount++,
    };
  }
}

/**
 * Frame `i` of a burst: every 10th a text frame holding `i`, every 50th (from the 25th) 20,000
 * bytes (past the Bun adapter's batch), the others `bytes` bytes, each filled with `i & 255`.
 */
export function burstFrame(i: number, bytes: number): Uint8Array | string {
  if (i % 10 === 0) return String(i);
  return new Uint8Array(i % 50 === 25 ? 20_000 : bytes).fill(i & 255);
}

function record(info: TransportInfo, protocol: string | undefined): ConnRecord {
  return { info, protocol, received: [], results: [], closedCount: 0, drains: 0 };
}
