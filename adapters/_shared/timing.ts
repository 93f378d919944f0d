/**
 * Shutdown timings shared by the adapters.
 * @module
 */

/** How long `RunningServer.close()` waits for graceful closes before it forces them. */
export const CLOSE_GRACE_MS = 1000;

/**
 * How long a TCP connection we have closed (FIN sent) may wait for the peer's FIN before we tear
 * it down, so a peer that never closes cannot hold the socket forever. Not shorter: destroying a
 * socket with unread input sends RST, which can make the peer discard our last bytes.
 */
export const HALF_CLOSE_LINGER_MS = 5000;

/**
 * How long a connection we have closed may take to flush what is still queued. A peer that
 * stopped reading (a slow consumer, a dead peer) cannot hold the socket and its buffer longer.
 */
export const CLOSE_FLUSH_MS = 10_000;
