/**
 * The slice of Bun's API the adapter uses, declared locally (as hono does) so these files also
 * type-check in programs compiled without bun-types, e.g. `tsc -p tsconfig.json` reaching them
 * through a test helper. `tsc -p tsconfig.bun.json` checks the slice against the real bun-types.
 * @module
 */

export interface BunSocketAddress {
  readonly address: string;
  readonly port: number;
}

export interface BunServerWebSocket<T> {
  /** 1 = open; Bun reports 3 as soon as close() or terminate() was called. */
  readonly readyState: number;
  data: T;
  binaryType?: "nodebuffer" | "arraybuffer" | "uint8array" | "blob";
  /** Bytes sent (> 0), -1 when queued behind backpressure, 0 when dropped. */
  sendText(data: string): number;
  sendBinary(data: Uint8Array<ArrayBuffer>): number;
  getBufferedAmount(): number;
  /** Runs `fn` with this socket corked: what it sends goes out in one write when it returns. */
  cork<R>(fn: (ws: BunServerWebSocket<T>) => R): R;
  ping(data?: string | Uint8Array): number;
  close(code?: number, reason?: string): void;
  terminate(): void;
}

export interface BunWebSocketHandler<T> {
  maxPayloadLength?: number;
  backpressureLimit?: number;
  closeOnBackpressureLimit?: boolean;
  perMessageDeflate?: boolean;
  open?(ws: BunServerWebSocket<T>): void;
  message?(ws: BunServerWebSocket<T>, message: string | Uint8Array): void;
  drain?(ws: BunServerWebSocket<T>): void;
  pong?(ws: BunServerWebSocket<T>, data: Uint8Array): void;
  close?(ws: BunServerWebSocket<T>, code: number, reason: string): void;
}

export interface BunServer<T> {
  readonly port: number | undefined;
  upgrade(req: Request, options: { headers?: Record<string, string>; data: T }): boolean;
  requestIP(req: Request): BunSocketAddress | null;
  stop(closeActiveConnections?: boolean): Promise<void>;
}

export interface BunServeOptions<T> {
  hostname: string;
  port: number;
  fetch(req: Request, server: BunServer<T>): Response | Promise<Response> | undefined;
  websocket: BunWebSocketHandler<T>;
}

export interface BunSocket<T> {
  data: T;
  readonly remoteAddress: string;
  readonly remotePort: number;
  /** Bytes written, possibly fewer than offered; -1 when the socket is closed. */
  write(data: Uint8Array<ArrayBuffer>): number;
  end(): void;
  terminate(): void;
  setNoDelay(noDelay?: boolean): boolean;
}

export interface BunSocketHandler<T> {
  open?(socket: BunSocket<T>): void;
  data?(socket: BunSocket<T>, data: Uint8Array): void;
  drain?(socket: BunSocket<T>): void;
  end?(socket: BunSocket<T>): void;
  close?(socket: BunSocket<T>, error?: Error): void;
  error?(socket: BunSocket<T>, error: Error): void;
}

export interface BunListenOptions<T> {
  hostname: string;
  port: number;
  exclusive?: boolean;
  allowHalfOpen?: boolean;
  socket: BunSocketHandler<T>;
}

export interface BunTcpListener {
  readonly port: number;
  stop(closeActiveConnections?: boolean): void;
}

/** `W` is the per-WebSocket data, `S` the per-TCP-socket data. */
export interface BunApi<W, S> {
  serve(options: BunServeOptions<W>): BunServer<W>;
  listen(options: BunListenOptions<S>): BunTcpListener;
}

export function bunApi<W, S>(): BunApi<W, S> {
  return (globalThis as unknown as { Bun: BunApi<W, S> }).Bun;
}

// Where bun-types are loaded (tsconfig.bun.json) this fails to compile if the real `Bun` no
// longer fits the slice above; elsewhere `RealBun` is the slice itself and nothing is checked.
type Probe = BunApi<{ readonly ws: true }, { readonly tcp: true }>;
type RealBun = typeof globalThis extends { Bun: infer B } ? B : Probe;
export const conformsToBun: (real: RealBun) => Probe = (real) => real;
