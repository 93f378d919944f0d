/**
 * Loopback clients that exist on Node, Bun and Deno alike: the global WebSocket, and `node:net`
 * for raw TCP and hand-written HTTP.
 * @module
 */
import { connect, type Socket } from "node:net";
import { concat } from "../_support/bytes.ts";

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Polls until `cond` holds; throws after `ms` so a broken adapter fails instead of hanging. */
export async function waitFor(cond: () => boolean, what: string, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(5);
  }
}

export function withTimeout<T>(p: Promise<T>, what: string, ms = 5000): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

export class WsClient {
  readonly ws: WebSocket;
  readonly #inbox: Array<string | ArrayBuffer> = [];
  readonly #waiting: Array<(m: string | ArrayBuffer) => void> = [];
  readonly closed: Promise<{ code: number; reason: string }>;

  private constructor(ws: WebSocket) {
    this.ws = ws;
    ws.onmessage = (ev: MessageEvent) => {
      const data = ev.data as string | ArrayBuffer;
      const w = this.#waiting.shift();
      if (w) w(data);
      else this.#inbox.push(data);
    };
    this.closed = new Promise((resolve) => {
      ws.addEventListener("close", (ev) => resolve({ code: ev.code, reason: ev.reason }));
    });
  }

  static open(url: string, protocols: string[]): Promise<WsClient> {
    const ws = new WebSocket(url, protocols);
    ws.binaryType = "arraybuffer";
    const client = new WsClient(ws);
    return withTimeout(
      new Promise((resolve, reject) => {
        ws.onopen = () => resolve(client);
        ws.onerror = () => reject(new Error(`WebSocket to ${url} failed`));
      }),
      "WebSocket open",
    );
  }

  next(): Promise<string | ArrayBuffer> {
    const m = this.#inbox.shift();
    if (m !== undefined) return Promise.resolve(m);
    return withTimeout(new Promise((resolve) => this.#waiting.push(resolve)), "WebSocket message");
  }
}

export function tcpConnect(port: number): Promise<Socket> {
  return withTimeout(
    new Promise((resolve, reject) => {
      const s = connect({ host: "127.0.0.1", port }, () => {
        s.off("error", reject);
        resolve(s);
      });
      s.once("error", reject);
    }),
    "TCP connect",
  );
}

/** Starts reading now; resolves with `n` bytes (or everything until EOF when `n` is undefined). */
export function readBytes(socket: Socket, n?: number, ms = 15000): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  let got = 0;
  return withTimeout(
    new Promise<Uint8Array>((resolve, reject) => {
      const done = (): void => {
        socket.off("data", onData);
        resolve(concat(chunks, got));
      };
      const onData = (chunk: Uint8Array): void => {
        chunks.push(new Uint8Array(chunk));
        got += chunk.byteLength;
        if (n !== undefined && got >= n) done();
      };
      socket.on("data", onData);
      socket.once("end", () => (n === undefined ? done() : reject(new Error(`EOF after ${got} of ${n} bytes`))));
      socket.once("error", reject);
    }),
    `${n ?? "all"} bytes from TCP`,
    ms,
  );
}

/** Sends a hand-written HTTP/1.1 request and returns the response status, headers and body. */
export async function rawHttp(
  port: number,
  request: string,
): Promise<{ status: number; head: string; body: string }> {
  const socket = await tcpConnect(port);
  try {
    socket.write(request);
    const text = await withTimeout(
      new Promise<string>((resolve, reject) => {
        let buf = "";
        const check = (): void => {
          const end = buf.indexOf("\r\n\r\n");
          if (end < 0) return;
          // 101 has no body; other answers say how long theirs is (or end the connection).
          if (buf.startsWith("HTTP/1.1 101")) return resolve(buf);
          const len = /\r\ncontent-length:\s*(\d+)/i.exec(buf.slice(0, end));
          if (len && buf.length - end - 4 >= Number(len[1])) resolve(buf);
        };
        socket.setEncoding("utf8");
        socket.on("data", (s: string) => {
          buf += s;
          check();
        });
        socket.once("end", () => resolve(buf));
        socket.once("error", reject);
      }),
      "raw HTTP response",
    );
    const end = text.indexOf("\r\n\r\n");
    const head = text.slice(0, end);
    return { status: Number(head.split(" ")[1]), head, body: text.slice(end + 4) };
  } finally {
    socket.destroy();
  }
}

export function upgradeRequest(port: number, path: string, protocols: string | undefined): string {
  return (
    `GET ${path} HTTP/1.1\r\n` +
    `Host: 127.0.0.1:${port}\r\n` +
    "Upgrade: websocket\r\n" +
    "Connection: Upgrade\r\n" +
    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n" +
    "Sec-WebSocket-Version: 13\r\n" +
    (protocols === undefined ? "" : `Sec-WebSocket-Protocol: ${protocols}\r\n`) +
    "\r\n"
  );
}

export function pattern(n: number, seed: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = (i * 31 + seed + (i >> 8)) & 0xff;
  return out;
}

/** Byte equality with a short message instead of a multi-megabyte diff. */
export function sameBytes(a: Uint8Array, b: Uint8Array): string | undefined {
  if (a.byteLength !== b.byteLength) return `length ${a.byteLength} != ${b.byteLength}`;
  for (let i = 0; i < a.byteLength; i++) if (a[i] !== b[i]) return `first difference at byte ${i}`;
  return undefined;
}

/** A client-to-server binary frame with an all-zero mask key, so the payload goes as is. */
export function maskedBinaryFrame(payload: Uint8Array): Uint8Array {
  return maskedFrame(0x2, payload);
}

export function maskedTextFrame(text: string): Uint8Array {
  return maskedFrame(0x1, new TextEncoder().encode(text));
}

/** A client frame with an all-zero mask key (so the payload goes as is). */
function maskedFrame(opcode: number, payload: Uint8Array): Uint8Array {
  const head = new Uint8Array(2 + 8 + 4);
  head[0] = 0x80 | opcode; // FIN + opcode
  head[1] = 0x80 | 127; // masked, 64-bit length follows
  new DataView(head.buffer).setBigUint64(2, BigInt(payload.byteLength));
  return concat([head, payload]);
}
