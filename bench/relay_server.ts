/**
 * The baseline for the end-to-end benchmark: a bare WebSocket relay, no WAMP. One socket on
 * /callee, any number on /caller; every frame from a caller goes to the callee unchanged, and
 * each frame from the callee goes back to the caller whose frame is the oldest unanswered one
 * (FIFO: the bench callee answers in order). It does what a router must do at the least (read
 * a frame, pick a socket, write the frame), so its throughput and CPU per round trip are the
 * ceiling for a router on the same runtime and machine.
 *
 * `/min-callee?ser=NAME` and `/min-caller?ser=NAME` serve the minimal dealer of
 * bench/_minimal_dealer.ts (decode, correlate, encode again): the floor for CPU per call.
 *
 * Every frame from the socket on /fanout-pub goes to every socket on /fanout-sub: the baseline of
 * the Pub/Sub benchmark (a publication to N subscribers, no WAMP).
 *
 * A socket on /echo gets each of its frames sent back to it: the baseline of the join benchmark
 * (bench/_joins.ts), a round trip with one hop like a client's to a router. Plain HTTP
 * `GET /_bench/memory` forces a GC and returns heap figures (bench/_idle_memory.ts).
 *
 * Run as a child: `<runtime> bench/relay_server.ts`; prints `relay listening ws://127.0.0.1:PORT/`,
 * stops on SIGTERM, and by itself after an hour at most.
 * @module
 */
import process from "node:process";
import { MEMORY_PATH, memoryReport, memoryResponse } from "./_idle_memory.ts";
import { MinimalDealer, minimalSerializer } from "./_minimal_dealer.ts";
import type { Serializer } from "../src/serializer/types.ts";

const HOST = "127.0.0.1";
const MAX_LIFETIME_MS = 60 * 60 * 1000;

interface Sock {
  send(data: string | Uint8Array, binary: boolean): void;
}

type Role = "caller" | "callee" | "echo" | "min-caller" | "min-callee" | "fanout-pub" | "fanout-sub";

/**
 * Frames from callers to the callee and back, answers matched FIFO; echo sockets get their own
 * back; `min-*` sockets go through the minimal dealer with the serializer of their URL.
 */
class Switchboard {
  #callee: Sock | undefined;
  #waiting: Sock[] = [];
  readonly #fanOut = new Set<Sock>();
  readonly #dealer = new MinimalDealer();

  opened(sock: Sock, role: Role, ser: Serializer): void {
    if (role === "min-callee") this.#dealer.calleeOpened(sock, ser);
    if (role === "fanout-sub") this.#fanOut.add(sock);
    if (role !== "callee") return;
    this.#callee = sock;
    this.#waiting = [];
  }

  message(sock: Sock, role: Role, ser: Serializer, data: string | Uint8Array, binary: boolean): void {
    if (role === "min-caller") {
      this.#dealer.fromCaller(sock, ser, data);
    } else if (role === "min-callee") {
      this.#dealer.fromCallee(ser, data);
    } else if (role === "echo") {
      sock.send(data, binary);
    } else if (role === "fanout-pub") {
      for (const sub of this.#fanOut) sub.send(data, binary);
    } else if (role === "fanout-sub") {
      // Subscribers only listen.
    } else if (role === "callee") {
      this.#waiting.shift()?.send(data, binary);
    } else if (this.#callee) {
      this.#waiting.push(sock);
      this.#callee.send(data, binary);
    }
  }

  closed(sock: Sock): void {
    if (sock === this.#callee) this.#callee = undefined;
    this.#fanOut.delete(sock);
    this.#dealer.calleeClosed(sock);
  }
}

function roleOf(url: string | undefined): Role {
  const u = url ?? "";
  if (u.includes("/fanout-pub")) return "fanout-pub";
  if (u.includes("/fanout-sub")) return "fanout-sub";
  if (u.includes("/min-callee")) return "min-callee";
  if (u.includes("/min-caller")) return "min-caller";
  return u.includes("/callee") ? "callee" : u.includes("/echo") ? "echo" : "caller";
}

function listening(port: number): void {
  console.log(`relay listening ws://${HOST}:${port}/`);
}

// --- Bun: Bun.serve, as adapters/bun does ---

interface BunWs {
  data: { role: Role; ser: Serializer; sock?: Sock };
  send(data: string | Uint8Array): number;
}
/** The slice of the `Bun` global used here, so this file needs no Bun type package. */
declare const Bun: {
  serve(options: {
    hostname: string;
    port: number;
    fetch(req: Request, server: { upgrade(req: Request, o: { data: BunWs["data"] }): boolean }): Response | undefined;
    websocket: {
      perMessageDeflate: boolean;
      backpressureLimit: number;
      closeOnBackpressureLimit: boolean;
      open(ws: BunWs): void;
      message(ws: BunWs, message: string | Uint8Array): void;
      close(ws: BunWs): void;
    };
  }): { port: number };
};

function serveBun(board: Switchboard): void {
  const server = Bun.serve({
    hostname: HOST,
    port: 0,
    fetch(req, srv) {
      const memory = memoryResponse(req);
      if (memory) return memory;
      if (srv.upgrade(req, { data: { role: roleOf(req.url), ser: minimalSerializer(req.url) } })) return undefined;
      return new Response("WebSocket only\n", { status: 400 });
    },
    websocket: {
      perMessageDeflate: false,
      backpressureLimit: 0,
      closeOnBackpressureLimit: false,
      open(ws) {
        ws.data.sock = { send: (d) => void ws.send(d) };
        board.opened(ws.data.sock, ws.data.role, ws.data.ser);
      },
      message(ws, message) {
        board.message(ws.data.sock!, ws.data.role, ws.data.ser, message, typeof message !== "string");
      },
      close(ws) {
        board.closed(ws.data.sock!);
      },
    },
  });
  listening(server.port);
}

// --- Deno: Deno.serve + Deno.upgradeWebSocket, as adapters/deno does ---

/** The slice of the `Deno` namespace used here. */
declare const Deno: {
  serve(
    options: { hostname: string; port: number; onListen(addr: { port: number }): void },
    handler: (req: Request) => Response,
  ): unknown;
  upgradeWebSocket(req: Request): { socket: WebSocket; response: Response };
};

function serveDeno(board: Switchboard): void {
  Deno.serve({ hostname: HOST, port: 0, onListen: ({ port }) => listening(port) }, (req) => {
    const memory = memoryResponse(req);
    if (memory) return memory;
    const role = roleOf(req.url);
    const ser = minimalSerializer(req.url);
    const { socket, response } = Deno.upgradeWebSocket(req);
    socket.binaryType = "arraybuffer";
    const sock: Sock = { send: (d) => socket.send(d as string | Uint8Array<ArrayBuffer>) };
    socket.onopen = () => board.opened(sock, role, ser);
    socket.onmessage = (e: MessageEvent<string | ArrayBuffer>) => {
      const d = e.data;
      board.message(sock, role, ser, typeof d === "string" ? d : new Uint8Array(d), typeof d !== "string");
    };
    socket.onclose = () => board.closed(sock);
    return response;
  });
}

// --- Node: node:http + ws, as adapters/node does ---

async function serveNode(board: Switchboard): Promise<void> {
  const { createServer } = await import("node:http");
  const { WebSocketServer } = await import("ws");
  const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false, clientTracking: false });
  const http = createServer((req, res) => {
    if (req.url === MEMORY_PATH) res.writeHead(200, { "content-type": "application/json" }).end(memoryReport());
    else res.writeHead(400).end("WebSocket only\n");
  });
  http.on("upgrade", (req, socket, head) => {
    const role = roleOf(req.url);
    const ser = minimalSerializer(req.url);
    wss.handleUpgrade(req, socket, head, (ws) => {
      const sock: Sock = { send: (d, binary) => ws.send(d, { binary }) };
      board.opened(sock, role, ser);
      // The default binaryType ("nodebuffer") delivers every frame, text or binary, as one Buffer
      // (the minimal dealer's JSON serializer decodes a Buffer as UTF-8).
      ws.on("message", (data, binary) => board.message(sock, role, ser, data as Buffer, binary));
      ws.on("close", () => board.closed(sock));
    });
  });
  http.listen(0, HOST, () => {
    const addr = http.address();
    listening(typeof addr === "object" && addr ? addr.port : 0);
  });
}

const g = globalThis as Record<string, unknown>;
const board = new Switchboard();
if (g["Deno"]) serveDeno(board);
else if (g["Bun"]) serveBun(board);
else await serveNode(board);

// An orderly exit on SIGTERM (rather than the default kill) lets `--cpu-prof` write its profile.
process.on("SIGTERM", () => process.exit(0));
setTimeout(() => process.exit(0), MAX_LIFETIME_MS);
