/**
 * The stack of enclosing containers that the MessagePack and CBOR skippers keep, as one array
 * reused by every call: a payload check runs for nearly every message, and a fresh array per
 * container would be most of what checking a small payload allocates. The skippers are
 * synchronous and never re-entered, so one stack serves them all.
 * @module
 */

/** Entries kept between calls; a deeper frame's levels are dropped after its check. */
const KEEP = 1024;

export const skipLevels: number[] = [];

/** After a check: lets go of what a very deep frame made the stack grow to. */
export function trimSkipLevels(): void {
  if (skipLevels.length > KEEP) skipLevels.length = KEEP;
}
