/**
 * Command-line flags win over the configuration file.
 * @module
 */
import type { JunctionConfig } from "../config/schema.ts";
import type { CliArgs } from "./args.ts";

/** A copy of `cfg` with the flags in `args` applied. */
export function applyArgs(cfg: JunctionConfig, args: CliArgs): JunctionConfig {
  const websocket = { ...cfg.transports.websocket };
  const rawsocket = { ...cfg.transports.rawsocket };
  const log = { ...cfg.log };
  if (args.host !== undefined) {
    websocket.host = args.host;
    rawsocket.host = args.host;
  }
  if (args.port !== undefined) websocket.port = args.port;
  if (args.rawSocketPort === null) rawsocket.enabled = false;
  else if (args.rawSocketPort !== undefined) {
    // Naming a port asks for the listener, even if the file turned it off.
    rawsocket.port = args.rawSocketPort;
    rawsocket.enabled = true;
  }
  if (args.logFormat) log.format = args.logFormat;
  if (args.logLevel) log.level = args.logLevel;
  return { ...cfg, transports: { websocket, rawsocket }, log };
}
