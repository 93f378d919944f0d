/**
 * Command-line flags, parsed without touching the process: `argv` in, a result out. Every flag
 * takes its value as the next argument or after `=` (`--port 9000`, `--port=9000`); when a flag
 * is given twice, the last one wins.
 * @module
 */
import type { LogLevel } from "../platform/logger.ts";
import type { LogFormat } from "../config/schema.ts";

// --- types ---

export interface CliArgs {
  configPath?: string;
  /** Overrides the host of both listeners. */
  host?: string;
  /** WebSocket port. */
  port?: number;
  /** RawSocket port, or `null` for `--no-rawsocket`. */
  rawSocketPort?: number | null;
  logFormat?: LogFormat;
  logLevel?: LogLevel;
  /** The SQLite file for durable state (overrides `storage.path`). */
  dataPath?: string;
  help: boolean;
  version: boolean;
}

export type ParseArgsResult = { ok: true; args: CliArgs } | { ok: false; error: string };

// --- parser ---

const LOG_FORMATS: readonly LogFormat[] = ["text", "json"];
const LOG_LEVELS: readonly LogLevel[] = ["debug", "info", "warn", "error"];

/** Parses the arguments after the program name. */
export function parseArgs(argv: readonly string[]): ParseArgsResult {
  const args: CliArgs = { help: false, version: false };
  let rawSocketPortGiven = false;
  let noRawSocket = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const eq = arg.startsWith("--") ? arg.indexOf("=") : -1;
    const flag = eq === -1 ? arg : arg.slice(0, eq);
    // The value of a flag that takes one: after `=`, or the next argument.
    const value = (): string | undefined => {
      if (eq !== -1) return arg.slice(eq + 1);
      const next = argv[i + 1];
      if (next === undefined || (next.startsWith("-") && next.length > 1)) return undefined;
      i++;
      return next;
    };
    const noValue = (): string | undefined =>
      eq === -1 ? undefined : `Invalid value for ${flag}: it takes no value, found "${arg.slice(eq + 1)}"`;

    let error: string | undefined;
    switch (flag) {
      case "--help":
      case "-h":
        error = noValue();
        args.help = true;
        break;
      case "--version":
      case "-v":
        error = noValue();
        args.version = true;
        break;
      case "--config": {
        const v = value();
        if (!v) error = missing(flag, "a file path");
        else args.configPath = v;
        break;
      }
      case "--host": {
        const v = value();
        if (!v) error = missing(flag, "a host name or IP address");
        else args.host = v;
        break;
      }
      case "--port":
      case "--rawsocket-port": {
        const v = value();
        const port = v === undefined ? undefined : parsePort(v);
        if (v === undefined) error = missing(flag, "a port from 0 to 65535");
        else if (port === undefined) error = `Invalid value for ${flag}: expected a port from 0 to 65535, found "${v}"`;
        else if (flag === "--port") args.port = port;
        else {
          args.rawSocketPort = port;
          rawSocketPortGiven = true;
        }
        break;
      }
      case "--no-rawsocket":
        error = noValue();
        args.rawSocketPort = null;
        noRawSocket = true;
        break;
      case "--data": {
        const v = value();
        if (!v) error = missing(flag, "a file path");
        else args.dataPath = v;
        break;
      }
      case "--log-format": {
        const v = value();
        if (v === undefined) error = missing(flag, oneOf(LOG_FORMATS));
        else if (!isOneOf(v, LOG_FORMATS)) error = `Invalid value for ${flag}: expected ${oneOf(LOG_FORMATS)}, found "${v}"`;
        else args.logFormat = v;
        break;
      }
      case "--log-level": {
        const v = value();
        if (v === undefined) error = missing(flag, oneOf(LOG_LEVELS));
        else if (!isOneOf(v, LOG_LEVELS)) error = `Invalid value for ${flag}: expected ${oneOf(LOG_LEVELS)}, found "${v}"`;
        else args.logLevel = v;
        break;
      }
      default:
        error = flag.startsWith("-") ? `Unknown flag: ${flag}` : `Unexpected argument: "${arg}" (flags start with --)`;
    }
    if (error) return { ok: false, error };
  }
  if (rawSocketPortGiven && noRawSocket) {
    return { ok: false, error: "Conflicting flags: --rawsocket-port and --no-rawsocket" };
  }
  return { ok: true, args };
}

// --- helpers ---

function missing(flag: string, what: string): string {
  return `Missing value for ${flag}: expected ${what}`;
}

/** Decimal digits only: `Number()` would also take "0x50", "1e3" and " 80". */
function parsePort(v: string): number | undefined {
  if (!/^\d{1,5}$/.test(v)) return undefined;
  const n = Number(v);
  return n <= 65535 ? n : undefined;
}

function isOneOf<T extends string>(v: string, choices: readonly T[]): v is T {
  return (choices as readonly string[]).includes(v);
}

function oneOf(choices: readonly string[]): string {
  return `one of ${choices.join(", ")}`;
}
