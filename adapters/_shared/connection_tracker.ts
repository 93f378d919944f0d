/**
 * Tracks a server's open connections so `RunningServer.close()` can close them gracefully,
 * force the stragglers after a grace period, and resolve only when all are gone.
 * @module
 */

export interface Closable {
  /** Graceful close (WebSocket close frame / TCP flush and FIN). */
  close(): void;
  /** Immediate teardown, for peers that do not finish the graceful close in time. */
  abort(): void;
}

export class ConnectionTracker {
  readonly #open = new Set<Closable>();
  #waiters: Array<() => void> = [];

  add(c: Closable): void {
    this.#open.add(c);
  }

  delete(c: Closable): void {
    if (!this.#open.delete(c) || this.#open.size > 0) return;
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const w of waiters) w();
  }

  /** Resolves when no connection is open, or after `ms` (true when empty). */
  whenEmpty(ms: number): Promise<boolean> {
    if (this.#open.size === 0) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.#waiters = this.#waiters.filter((w) => w !== done);
        resolve(false);
      }, ms);
      const done = (): void => {
        clearTimeout(timer);
        resolve(true);
      };
      this.#waiters.push(done);
    });
  }

  /** Closes every connection gracefully, then aborts what is still open after `graceMs`. */
  async closeAll(graceMs: number): Promise<void> {
    for (const c of [...this.#open]) c.close();
    if (await this.whenEmpty(graceMs)) return;
    for (const c of [...this.#open]) c.abort();
    await this.whenEmpty(graceMs);
  }
}
