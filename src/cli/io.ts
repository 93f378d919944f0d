/**
 * Everything the CLI needs from its runtime, filled in by each `bin/<runtime>.ts`, so the CLI
 * itself stays in the runtime-neutral core.
 * @module
 */
import type { Serve } from "../platform/listener.ts";
import type { Storage } from "../platform/storage.ts";

export interface CliIO {
  readTextFile(path: string): Promise<string>;
  /** The runtime adapter's `serve`. */
  serve: Serve;
  /** Calls `handler` on SIGINT and SIGTERM. */
  onShutdownSignal(handler: () => void): void;
  /** Writes one line (the newline is added) to standard output. */
  stdout(line: string): void;
  /** Writes one line (the newline is added) to standard error. */
  stderr(line: string): void;
  /**
   * Opens (creating if needed) the durable store at `path`: the runtime's SQLite adapter
   * (`adapters/<runtime>/sqlite_storage.ts`). Needed when a realm is secured or the admin
   * realm is configured; without it such a configuration does not start.
   */
  openStorage?(path: string): Promise<Storage>;
  /** E.g. `node v24.1.0`, shown by `--version` and in the start-up log. */
  runtimeName: string;
}
