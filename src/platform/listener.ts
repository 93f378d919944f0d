/**
 * The listener port: the options and handle every runtime adapter's `serve()` shares, and what
 * the command line calls. Types only: each runtime's `adapters/<rt>/serve.ts` implements
 * {@link Serve}.
 * @module
 */
import type { Acceptor } from "./transport.ts";

export interface ServeOptions {
  /** Interface to bind; default `127.0.0.1`. */
  host?: string;
  /** WebSocket/HTTP port; default 8080; 0 picks an ephemeral port. */
  port?: number;
  /** Path that accepts WebSocket upgrades; default `/ws`. */
  path?: string;
  /** RawSocket TCP port; default 8081; 0 picks an ephemeral port; `null` disables RawSocket. */
  rawSocketPort?: number | null;
  /** Interface for the RawSocket listener; defaults to `host`. */
  rawSocketHost?: string;
  /** Largest inbound WebSocket message in bytes; default 16 MiB. Larger ones close with 1009. */
  maxMessageSize?: number;
  /** Handles every HTTP request that is not a WebSocket upgrade on `path`; default: 404. */
  fetch?: (req: Request) => Response | Promise<Response>;
}

export interface RunningServer {
  readonly host: string;
  /** The bound WebSocket/HTTP port (the real one when 0 was asked for). */
  readonly port: number;
  /** The bound RawSocket port, or `null` when RawSocket is disabled. */
  readonly rawSocketPort: number | null;
  /**
   * Stops listening and closes every open connection (WebSockets with 1001, TCP after flushing),
   * forcing whatever has not closed after a short grace period. The caller lets the core say
   * GOODBYE first.
   */
  close(): Promise<void>;
}

/** The signature of `serve` exported by `adapters/<rt>/serve.ts`. */
export type Serve = (acceptor: Acceptor, opts?: ServeOptions) => Promise<RunningServer>;
