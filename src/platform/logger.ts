/**
 * Logging port. The core logs structured records; the adapter decides the format (text or
 * JSON lines). Never pass secrets in fields.
 * @module
 */

export type LogLevel = "debug" | "info" | "warn" | "error";
export type LogFields = Record<string, unknown>;

export interface Logger {
  log(level: LogLevel, msg: string, fields?: LogFields): void;
}

export const nullLogger: Logger = { log() {} };

/** A logger writing to `console`, as text lines or JSON lines. */
export function consoleLogger(format: "text" | "json" = "text", minLevel: LogLevel = "info"): Logger {
  const order: Record<LogLevel, number> = { debug: 0, info: 1, warn: 2, error: 3 };
  return {
    log(level, msg, fields) {
      if (order[level] < order[minLevel]) return;
      const time = new Date().toISOString();
      let line: string;
      if (format === "json") {
        line = JSON.stringify({ time, level, msg, ...fields });
      } else {
        const extra = fields
          ? Object.entries(fields).map(([k, v]) => `${k}=${typeof v === "string" ? v : JSON.stringify(v)}`).join(" ")
          : "";
        line = `${time} ${level.toUpperCase()} ${msg}${extra ? " " + extra : ""}`;
      }
      if (level === "error" || level === "warn") console.error(line);
      else console.log(line);
    },
  };
}
