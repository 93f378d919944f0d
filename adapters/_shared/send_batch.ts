/**
 * Frames a WebSocket server sends during one turn of the event loop, held per socket and
 * written at the end of the turn: one `send` system call per socket and turn where writing
 * each frame at once costs one per frame.
 *
 * Why: a router's frames mostly go to sockets other than the one being read (each EVENT of a
 * publication, an INVOCATION for a callee, a RESULT for a caller), and Bun (uWS corks only the
 * socket being read) and Node's `ws` (one write per frame) each give such a frame its own
 * system call. Holding them to the end of the turn adds no wait: `setImmediate` runs before
 * the loop sleeps again. Bun holds the frames in its adapter and writes them under one cork;
 * Node corks the TCP socket and uncorks it here.
 * @module
 */

/**
 * At most this many bytes wait in a socket's batch (the size of uWS's cork buffer): past it,
 * batching saves nothing, and a larger frame goes out at once with an exact backpressure status.
 */
export const BATCH_BYTES = 16 * 1024;

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
