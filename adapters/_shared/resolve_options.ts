/**
 * Defaults for {@link ServeOptions}, applied the same way by every adapter.
 * @module
 */
import { textResponse } from "./http.ts";
import type { ServeOptions } from "./serve_options.ts";

export interface ResolvedServeOptions {
  readonly host: string;
  readonly port: number;
  readonly path: string;
  readonly rawSocketPort: number | null;
  readonly rawSocketHost: string;
  readonly maxMessageSize: number;
  readonly fetch: (req: Request) => Response | Promise<Response>;
}

export const DEFAULT_HOST = "127.0.0.1";
export const DEFAULT_PORT = 8080;
export const DEFAULT_PATH = "/ws";
export const DEFAULT_RAWSOCKET_PORT = 8081;
export const DEFAULT_MAX_MESSAGE_SIZE = 16 * 1024 * 1024;

export function notFound(_req: Request): Response {
  return textResponse(404, "Not Found\n");
}

export function resolveServeOptions(opts: ServeOptions = {}): ResolvedServeOptions {
  const host = opts.host ?? DEFAULT_HOST;
  return {
    host,
    port: opts.port ?? DEFAULT_PORT,
    path: opts.path ?? DEFAULT_PATH,
    // `null` means "no RawSocket listener", so only `undefined` takes the default.
    rawSocketPort: opts.rawSocketPort === undefined ? DEFAULT_RAWSOCKET_PORT : opts.rawSocketPort,
    rawSocketHost: opts.rawSocketHost ?? host,
    maxMessageSize: opts.maxMessageSize ?? DEFAULT_MAX_MESSAGE_SIZE,
    fetch: opts.fetch ?? notFound,
  };
}
