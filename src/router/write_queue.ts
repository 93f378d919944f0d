/**
 * Storage writes of one broker, in the order they were made (architecture.md "Data flow": the
 * routing step stays synchronous; storage is an explicit async edge). A failed write is
 * logged and never reaches a session's path; the next write still runs.
 * @module
 */
import type { Logger } from "../platform/logger.ts";
import type { Storage } from "../platform/storage.ts";

export class WriteQueue {
  readonly #storage: Storage;
  readonly #logger: Logger;
  #tail: Promise<void> = Promise.resolve();

  constructor(storage: Storage, logger: Logger) {
    this.#storage = storage;
    this.#logger = logger;
  }

  /** Runs `op` after every write queued before it; `what` names it in the log on failure. */
  enqueue(what: string, op: (storage: Storage) => Promise<void>): void {
    this.#tail = this.#tail.then(() => op(this.#storage)).catch((e: unknown) => {
      this.#logger.log("error", "storage write failed", {
        what,
        error: e instanceof Error ? e.message : String(e),
      });
    });
  }

  /** Resolves once every write queued so far has finished (or failed and been logged). */
  flush(): Promise<void> {
    return this.#tail;
  }
}
