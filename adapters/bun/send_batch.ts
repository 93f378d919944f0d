/**
 * Frames a Bun WebSocket server sends during one turn of the event loop, held per socket and
 * written at the end of the turn, each socket's under one cork: one `send` system call per
 * socket and turn where writing each frame at once costs one per frame.
 *
 * Why: uWS corks only one socket at a time, the one whose input is being read, so a frame for
 * any other socket (each EVENT of a publication, an INVOCATION for a callee, a RESULT for a
 * caller) otherwise goes out by itself, and a publication to N subscribers that arrive in one
 * read costs N system calls per subscriber. Holding them to the end of the turn adds no wait:
 * `setImmediate` runs before the loop sleeps again.
 * @module
 */

/** A socket with frames waiting; `flush` writes them. */
export interface Flushable {
  flush(): void;
}

/** One per server: the sockets with frames waiting, flushed together at the end of the turn. */
export class SendBatch {
  readonly #waiting: Flushable[] = [];
  #scheduled = false;
  readonly #flushAll = (): void => this.flushAll();

  /** `socket` has its first waiting frame of this turn. */
  add(socket: Flushable): void {
    this.#waiting.push(socket);
    if (this.#scheduled) return;
    this.#scheduled = true;
    setImmediate(this.#flushAll);
  }

  flushAll(): void {
    this.#scheduled = false;
    const waiting = this.#waiting;
    // By index: a socket that gets a frame while others are flushed joins the end of the list.
    for (let i = 0; i < waiting.length; i++) {
      try {
        waiting[i]!.flush();
      } catch {
        // A socket's write failing must not keep the others' frames back; its close event follows.
      }
    }
    waiting.length = 0;
  }
}
