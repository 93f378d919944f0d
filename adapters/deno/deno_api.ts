/**
 * The slice of the `Deno` namespace the adapter uses, declared locally so these files also
 * type-check in programs compiled by tsc without Deno's types (e.g. `tsc -p tsconfig.json`
 * reaching them through a test helper). `deno check` checks the slice against the real namespace.
 * @module
 */

export interface DenoNetAddr {
  readonly transport: "tcp" | "udp";
  readonly hostname: string;
  readonly port: number;
}

export interface DenoServeOptions {
  hostname: string;
  port: number;
  onListen(addr: DenoNetAddr): void;
}

export type DenoServeHandler = (
  req: Request,
  info: { readonly remoteAddr: DenoNetAddr },
) => Response | Promise<Response>;

export interface DenoHttpServer {
  readonly addr: DenoNetAddr;
  /** Stops listening, waits for in-flight requests. */
  shutdown(): Promise<void>;
}

export interface DenoTcpConn {
  readonly remoteAddr: DenoNetAddr;
  read(p: Uint8Array): Promise<number | null>;
  /** May write fewer bytes than offered. */
  write(p: Uint8Array): Promise<number>;
  closeWrite(): Promise<void>;
  close(): void;
  setNoDelay(noDelay?: boolean): void;
}

export interface DenoTcpListener {
  readonly addr: DenoNetAddr;
  accept(): Promise<DenoTcpConn>;
  close(): void;
}

export interface DenoApi {
  serve(options: DenoServeOptions, handler: DenoServeHandler): DenoHttpServer;
  upgradeWebSocket(req: Request): { socket: WebSocket; response: Response };
  listen(options: { hostname: string; port: number; transport: "tcp" }): DenoTcpListener;
}

export function denoApi(): DenoApi {
  return (globalThis as unknown as { Deno: DenoApi }).Deno;
}

// Under `deno check` this fails to compile if the real `Deno` no longer fits the slice above;
// under tsc `RealDeno` is the slice itself and nothing is checked.
type RealDeno = typeof globalThis extends { Deno: infer D } ? D : DenoApi;
export const conformsToDeno: (real: RealDeno) => DenoApi = (real) => real;
