/**
 * What the listeners are started with, as the core sees it. The adapters' `ServeOptions`
 * (adapters/_shared/serve_options.ts) has the same shape; it is restated here because the core
 * may not import from adapters, and TypeScript's structural typing lets one pass as the other.
 * @module
 */
import type { Acceptor } from "../platform/transport.ts";

export interface ListenOptions {
  /** WebSocket listener host. */
  host?: string;
  /** WebSocket port; 0 picks a free one. */
  port?: number;
  /** HTTP path that upgrades to WebSocket. */
  path?: string;
  /** RawSocket TCP port; 0 picks a free one, null turns RawSocket off. */
  rawSocketPort?: number | null;
  rawSocketHost?: string;
  /** Largest WAMP message accepted, in bytes. */
  maxMessageSize?: number;
}

/** A started listener set: where it actually listens (ports resolved when 0 was asked). */
export interface RunningListeners {
  host: string;
  port: number;
  rawSocketPort: number | null;
  close(): Promise<void>;
}

/** An adapter's `serve`, as the CLI calls it. */
export type ServeFn = (acceptor: Acceptor, opts: ListenOptions) => Promise<RunningListeners>;
