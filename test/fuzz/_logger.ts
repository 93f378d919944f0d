/**
 * A logger for fuzzed routers: formats every record as the console logger would (text and
 * JSON, so a client value that cannot be formatted fails here as it would in production) and
 * keeps error-level records, which a fuzzed router should never need to write.
 * @module
 */
import type { LogFields, Logger, LogLevel } from "../../src/platform/logger.ts";

export class FormattingLogger implements Logger {
  readonly errors: string[] = [];

  log(level: LogLevel, msg: string, fields?: LogFields): void {
    JSON.stringify({ level, msg, ...fields });
    const text = fields
      ? Object.entries(fields).map(([k, v]) => `${k}=${typeof v === "string" ? v : JSON.stringify(v)}`).join(" ")
      : "";
    if (level === "error") this.errors.push(`${msg} ${text}`.slice(0, 300));
  }
}
