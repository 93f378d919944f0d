/**
 * An ordered queue of outbound byte chunks, for runtimes whose TCP write may take only part of a
 * chunk (Bun) or is asynchronous (Deno). Chunks are kept by reference: the core hands over
 * ownership when it writes.
 * @module
 */

export class ChunkQueue {
  #chunks: Uint8Array[] = [];
  #head = 0;
  /** Bytes of the head chunk already written. */
  #offset = 0;
  #size = 0;

  /** Bytes still to write. */
  get size(): number {
    return this.#size;
  }

  get isEmpty(): boolean {
    return this.#size === 0;
  }

  push(chunk: Uint8Array): void {
    if (chunk.byteLength === 0) return;
    this.#chunks.push(chunk);
    this.#size += chunk.byteLength;
  }

  /** The unwritten part of the head chunk, or undefined when empty. */
  peek(): Uint8Array | undefined {
    const c = this.#chunks[this.#head];
    if (c === undefined) return undefined;
    return this.#offset === 0 ? c : c.subarray(this.#offset);
  }

  /** Marks `n` bytes of the head chunk as written (n never exceeds `peek().byteLength`). */
  consume(n: number): void {
    const c = this.#chunks[this.#head];
    if (c === undefined || n <= 0) return;
    this.#size -= n;
    this.#offset += n;
    if (this.#offset < c.byteLength) return;
    this.#offset = 0;
    this.#head++;
    // Compact now and then so the array does not grow without bound.
    if (this.#head > 1024 || this.#head === this.#chunks.length) {
      this.#chunks = this.#chunks.slice(this.#head);
      this.#head = 0;
    }
  }

  clear(): void {
    this.#chunks = [];
    this.#head = 0;
    this.#offset = 0;
    this.#size = 0;
  }
}
