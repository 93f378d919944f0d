/**
 * WAMP RawSocket (spec "RawSocket Transport"; checklist §4.4): the 4-byte handshake and the
 * length-prefixed frames, over byte chunks cut anywhere. Pure and synchronous: the adapter feeds
 * what the socket read and writes/closes as the returned events say.
 *
 * Payloads handed out are fresh copies (each byte is copied once, however the input was
 * chunked), so an adapter may reuse its read buffer and a retained message never pins a socket
 * chunk.
 * @module
 */

export const RAWSOCKET_MAGIC = 0x7f;

/** Handshake error codes (EEEE in the router's error reply). 0 is never sent. */
export const RAWSOCKET_ERROR_SERIALIZER_UNSUPPORTED = 1;
export const RAWSOCKET_ERROR_MAX_LENGTH_UNACCEPTABLE = 2;
export const RAWSOCKET_ERROR_RESERVED_BITS = 3;
export const RAWSOCKET_ERROR_MAX_CONNECTIONS = 4;

/** Frame types (TTT). 3..7 are reserved and fail the connection. */
export const RAWSOCKET_FRAME_MESSAGE = 0;
export const RAWSOCKET_FRAME_PING = 1;
export const RAWSOCKET_FRAME_PONG = 2;

/** Smallest and largest announceable limits: 2^(9+LLLL) for LLLL 0..15. */
export const RAWSOCKET_MIN_LENGTH = 512;
export const RAWSOCKET_MAX_LENGTH = 1 << 24;

const ERROR_REASONS: Readonly<Record<number, string>> = {
  [RAWSOCKET_ERROR_SERIALIZER_UNSUPPORTED]: "serializer unsupported",
  [RAWSOCKET_ERROR_MAX_LENGTH_UNACCEPTABLE]: "maximum message length unacceptable",
  [RAWSOCKET_ERROR_RESERVED_BITS]: "use of reserved bits (unsupported feature)",
  [RAWSOCKET_ERROR_MAX_CONNECTIONS]: "maximum connection count reached",
};

export function rawSocketErrorReason(code: number): string {
  return ERROR_REASONS[code] ?? `reserved error code ${code}`;
}

/** The largest LLLL whose limit 2^(9+LLLL) does not exceed `maxLength` (0 below 512, 15 above 16 MiB). */
export function lengthExponentFor(maxLength: number): number {
  if (!(maxLength >= 0)) throw new RangeError("maxLength must be a non-negative number");
  let exponent = 0;
  while (exponent < 15 && 2 ** (10 + exponent) <= maxLength) exponent++;
  return exponent;
}

export function maxLengthForExponent(exponent: number): number {
  if (!Number.isInteger(exponent) || exponent < 0 || exponent > 15) {
    throw new RangeError("length exponent must be an integer in 0..15");
  }
  return 2 ** (9 + exponent);
}

function handshakeBytes(second: number): Uint8Array {
  return Uint8Array.of(RAWSOCKET_MAGIC, second, 0, 0);
}

function checkNibble(value: number, what: string): void {
  if (!Number.isInteger(value) || value < 0 || value > 15) throw new RangeError(`${what} must be in 0..15`);
}

/** The 4 bytes a client sends first. */
export function clientHandshake(serializerId: number, lengthExponent: number): Uint8Array {
  checkNibble(serializerId, "serializer id");
  checkNibble(lengthExponent, "length exponent");
  return handshakeBytes((lengthExponent << 4) | serializerId);
}

/** The router's success reply: its own limit, the client's serializer echoed. */
export function serverHandshakeReply(serializerId: number, lengthExponent: number): Uint8Array {
  return clientHandshake(serializerId, lengthExponent);
}

/** The router's error reply; the router closes the connection after writing it. */
export function handshakeErrorReply(errorCode: number): Uint8Array {
  checkNibble(errorCode, "error code");
  return handshakeBytes(errorCode << 4);
}

export type ServerHandshakeResult =
  | { ok: true; serializerId: number; lengthExponent: number; maxLength: number }
  /** `errorCode` 0: the reply itself is malformed (bad magic, reserved bytes), not a router error. */
  | { ok: false; errorCode: number; reason: string };

/** Client side: reads the router's 4-byte reply to `clientHandshake`. */
export function parseServerHandshake(reply: Uint8Array): ServerHandshakeResult {
  if (reply.length < 4) return { ok: false, errorCode: 0, reason: "handshake reply shorter than 4 bytes" };
  if (reply[0] !== RAWSOCKET_MAGIC) return { ok: false, errorCode: 0, reason: "handshake reply: bad magic" };
  if (reply[2] !== 0 || reply[3] !== 0) {
    return { ok: false, errorCode: 0, reason: "handshake reply: reserved bytes not zero" };
  }
  const second = reply[1]!;
  const low = second & 0x0f;
  const high = second >> 4;
  if (low === 0) return { ok: false, errorCode: high, reason: rawSocketErrorReason(high) };
  return { ok: true, serializerId: low, lengthExponent: high, maxLength: maxLengthForExponent(high) };
}

/** Header + payload in one allocation. `X` (25th length bit) is used only for exactly 2^24 bytes. */
export function encodeFrame(frameType: number, payload: Uint8Array): Uint8Array {
  const length = payload.length;
  if (length > RAWSOCKET_MAX_LENGTH) throw new RangeError(`RawSocket frame payload over 16 MiB: ${length}`);
  const frame = new Uint8Array(4 + length);
  if (length === RAWSOCKET_MAX_LENGTH) {
    frame[0] = 0x08 | frameType;
  } else {
    frame[0] = frameType;
    frame[1] = length >>> 16;
    frame[2] = (length >>> 8) & 0xff;
    frame[3] = length & 0xff;
  }
  frame.set(payload, 4);
  return frame;
}

export type RawSocketFrameEvent =
  | { type: "message"; payload: Uint8Array }
  /** Write `pong` (the complete PONG frame) right away: exactly one PONG per PING. */
  | { type: "ping"; payload: Uint8Array; pong: Uint8Array }
  | { type: "pong"; payload: Uint8Array }
  /** Close the connection without writing anything more; later input is ignored. */
  | { type: "fail"; reason: string };

export type RawSocketEvent =
  | RawSocketFrameEvent
  /** Write `reply`; the connection is open. */
  | { type: "handshake"; serializerId: number; peerMaxLength: number; reply: Uint8Array }
  /** Write `reply`, then close. */
  | { type: "handshake_error"; errorCode: number; reason: string; reply: Uint8Array };

export type RawSocketClientEvent =
  | RawSocketFrameEvent
  | { type: "handshake"; serializerId: number; peerMaxLength: number }
  /** The router refused (`errorCode` from its reply); close. */
  | { type: "handshake_error"; errorCode: number; reason: string };

/** Splits a byte stream into frames. Reads each header and payload byte once. */
class FrameReader {
  readonly #limit: number;
  readonly #header = new Uint8Array(4);
  #headerFill = 0;
  #payload: Uint8Array | undefined;
  #payloadFill = 0;
  #frameType = 0;

  constructor(limit: number) {
    this.#limit = limit;
  }

  /** Appends the events for `chunk[start..]`; returns false once the stream has failed. */
  read(chunk: Uint8Array, start: number, events: RawSocketFrameEvent[], pongLimit: number): boolean {
    const end = chunk.length;
    let i = start;
    while (i < end) {
      const pending = this.#payload;
      if (pending !== undefined) {
        const take = Math.min(pending.length - this.#payloadFill, end - i);
        pending.set(chunk.subarray(i, i + take), this.#payloadFill);
        this.#payloadFill += take;
        i += take;
        if (this.#payloadFill === pending.length) {
          this.#payload = undefined;
          if (!this.#emit(pending, events, pongLimit)) return false;
        }
        continue;
      }
      let b0: number, b1: number, b2: number, b3: number;
      if (this.#headerFill === 0 && end - i >= 4) {
        b0 = chunk[i]!;
        b1 = chunk[i + 1]!;
        b2 = chunk[i + 2]!;
        b3 = chunk[i + 3]!;
        i += 4;
      } else {
        const header = this.#header;
        while (this.#headerFill < 4 && i < end) header[this.#headerFill++] = chunk[i++]!;
        if (this.#headerFill < 4) return true;
        this.#headerFill = 0;
        b0 = header[0]!;
        b1 = header[1]!;
        b2 = header[2]!;
        b3 = header[3]!;
      }
      if (b0 & 0xf0) return fail(events, "frame header: reserved bits (RRRR) set");
      const frameType = b0 & 0x07;
      if (frameType > RAWSOCKET_FRAME_PONG) {
        return fail(events, `frame header: reserved frame type ${frameType}`);
      }
      let length = (b1 << 16) | (b2 << 8) | b3;
      if (b0 & 0x08) {
        // X is the 25th length bit: only a length of exactly 2^24 may use it.
        if (length !== 0) return fail(events, "frame header: X bit set with a non-zero 24-bit length");
        length = RAWSOCKET_MAX_LENGTH;
      }
      if (length > this.#limit) {
        return fail(events, `frame of ${length} bytes exceeds the announced limit of ${this.#limit}`);
      }
      this.#frameType = frameType;
      if (end - i >= length) {
        const payload = chunk.slice(i, i + length);
        i += length;
        if (!this.#emit(payload, events, pongLimit)) return false;
      } else {
        // Allocated once at its final size (bounded by our limit), then filled as bytes arrive.
        const payload = new Uint8Array(length);
        payload.set(chunk.subarray(i, end));
        this.#payload = payload;
        this.#payloadFill = end - i;
        i = end;
      }
    }
    return true;
  }

  #emit(payload: Uint8Array, events: RawSocketFrameEvent[], pongLimit: number): boolean {
    switch (this.#frameType) {
      case RAWSOCKET_FRAME_MESSAGE:
        events.push({ type: "message", payload });
        return true;
      case RAWSOCKET_FRAME_PING:
        // The PONG must repeat the payload, and nothing we send may exceed the peer's limit.
        if (payload.length > pongLimit) {
          return fail(events, `PING of ${payload.length} bytes: its PONG would exceed the peer's limit`);
        }
        events.push({ type: "ping", payload, pong: encodeFrame(RAWSOCKET_FRAME_PONG, payload) });
        return true;
      default:
        events.push({ type: "pong", payload });
        return true;
    }
  }
}

function fail(events: { type: string }[], reason: string): false {
  (events as RawSocketFrameEvent[]).push({ type: "fail", reason });
  return false;
}

type State = "handshake" | "open" | "closed";

/** What both ends share once the handshake is done: frame reading and limit-checked sending. */
abstract class RawSocketEndpoint<E extends RawSocketEvent | RawSocketClientEvent> {
  /** Our receive limit, as announced (a power of two, 512 B .. 16 MiB). */
  readonly maxLength: number;
  readonly lengthExponent: number;
  protected state: State = "handshake";
  protected peerLimit: number | undefined;
  protected chosenSerializer: number | undefined;
  readonly #reader: FrameReader;
  readonly #handshake = new Uint8Array(4);
  #handshakeFill = 0;

  constructor(maxLength: number) {
    this.lengthExponent = lengthExponentFor(maxLength);
    this.maxLength = maxLengthForExponent(this.lengthExponent);
    this.#reader = new FrameReader(this.maxLength);
  }

  get isOpen(): boolean {
    return this.state === "open";
  }
  get isClosed(): boolean {
    return this.state === "closed";
  }
  /** The serializer id agreed in the handshake. */
  get serializerId(): number | undefined {
    return this.chosenSerializer;
  }
  /** The largest payload the peer accepts (known once the handshake is done). */
  get peerMaxLength(): number | undefined {
    return this.peerLimit;
  }

  /** Feeds bytes read from the socket; returns what to do, in order. Never throws on input. */
  receive(chunk: Uint8Array): E[] {
    const events: E[] = [];
    if (this.state === "closed") return events;
    let i = 0;
    if (this.state === "handshake") {
      while (this.#handshakeFill < 4 && i < chunk.length) {
        this.#handshake[this.#handshakeFill++] = chunk[i++]!;
      }
      // Bad magic fails at once, without waiting for (or answering) the rest.
      if (this.#handshakeFill > 0 && this.#handshake[0] !== RAWSOCKET_MAGIC) {
        this.state = "closed";
        fail(events, "handshake: first byte is not 0x7F");
        return events;
      }
      if (this.#handshakeFill < 4) return events;
      if (!this.completeHandshake(this.#handshake, events)) {
        this.state = "closed";
        return events;
      }
      this.state = "open";
    }
    // Frames pipelined right behind the handshake are read too.
    // Both event unions include every frame event, so the reader may append to this array.
    const sink = events as unknown as RawSocketFrameEvent[];
    if (!this.#reader.read(chunk, i, sink, this.peerLimit ?? 0)) this.state = "closed";
    return events;
  }

  /** Handles the peer's 4 handshake bytes; returns false when the connection is over. */
  protected abstract completeHandshake(bytes: Uint8Array, events: E[]): boolean;

  /** True when a payload of this size may be sent to the peer now. */
  canSend(byteLength: number): boolean {
    return this.state === "open" && byteLength <= (this.peerLimit ?? 0);
  }

  /**
   * A WAMP message frame. Throws a RangeError when the peer's limit forbids it: check `canSend`
   * first and decide what to do instead (drop an event, error a call; checklist §4.4).
   */
  frameMessage(payload: Uint8Array): Uint8Array {
    return this.#frame(RAWSOCKET_FRAME_MESSAGE, payload);
  }

  framePing(payload: Uint8Array): Uint8Array {
    return this.#frame(RAWSOCKET_FRAME_PING, payload);
  }

  #frame(frameType: number, payload: Uint8Array): Uint8Array {
    if (this.state !== "open") throw new Error(`RawSocket not open (${this.state})`);
    if (!this.canSend(payload.length)) {
      throw new RangeError(
        `payload of ${payload.length} bytes exceeds the peer's limit of ${this.peerLimit}`,
      );
    }
    return encodeFrame(frameType, payload);
  }
}

export interface RawSocketServerOptions {
  /** Our receive limit in bytes; rounded down to a power of two in 512 B .. 16 MiB and announced. */
  maxLength: number;
  serializerSupported(id: number): boolean;
  /** Refuse clients announcing a smaller limit (error 2). Default: accept any. */
  minPeerMaxLength?: number;
  /** Asked once the handshake is otherwise acceptable; false refuses with error 4. */
  admit?(): boolean;
}

/** The router's end of one RawSocket connection. */
export class RawSocketServerProtocol extends RawSocketEndpoint<RawSocketEvent> {
  readonly #options: RawSocketServerOptions;

  constructor(options: RawSocketServerOptions) {
    super(options.maxLength);
    this.#options = options;
  }

  protected completeHandshake(bytes: Uint8Array, events: RawSocketEvent[]): boolean {
    const second = bytes[1]!;
    const serializerId = second & 0x0f;
    const peerMaxLength = maxLengthForExponent(second >> 4);
    let errorCode = 0;
    if (bytes[2] !== 0 || bytes[3] !== 0) errorCode = RAWSOCKET_ERROR_RESERVED_BITS;
    else if (serializerId === 0 || !this.#options.serializerSupported(serializerId)) {
      errorCode = RAWSOCKET_ERROR_SERIALIZER_UNSUPPORTED;
    } else if (peerMaxLength < (this.#options.minPeerMaxLength ?? 0)) {
      errorCode = RAWSOCKET_ERROR_MAX_LENGTH_UNACCEPTABLE;
    } else if (this.#options.admit && !this.#options.admit()) errorCode = RAWSOCKET_ERROR_MAX_CONNECTIONS;
    if (errorCode !== 0) {
      events.push({
        type: "handshake_error",
        errorCode,
        reason: rawSocketErrorReason(errorCode),
        reply: handshakeErrorReply(errorCode),
      });
      return false;
    }
    this.chosenSerializer = serializerId;
    this.peerLimit = peerMaxLength;
    events.push({
      type: "handshake",
      serializerId,
      peerMaxLength,
      reply: serverHandshakeReply(serializerId, this.lengthExponent),
    });
    return true;
  }
}

export interface RawSocketClientOptions {
  serializerId: number;
  /** Our receive limit in bytes, rounded down as for the server. */
  maxLength: number;
}

/** A client's end (tests, load generator): send `handshake` first, then feed the socket's bytes. */
export class RawSocketClientProtocol extends RawSocketEndpoint<RawSocketClientEvent> {
  readonly handshake: Uint8Array;

  constructor(options: RawSocketClientOptions) {
    super(options.maxLength);
    this.handshake = clientHandshake(options.serializerId, this.lengthExponent);
  }

  protected completeHandshake(bytes: Uint8Array, events: RawSocketClientEvent[]): boolean {
    const result = parseServerHandshake(bytes);
    if (!result.ok) {
      if (result.errorCode === 0) fail(events, result.reason);
      else events.push({ type: "handshake_error", errorCode: result.errorCode, reason: result.reason });
      return false;
    }
    const requested = this.handshake[1]! & 0x0f;
    if (result.serializerId !== requested) {
      fail(events, `handshake reply: serializer ${result.serializerId} echoed, ${requested} requested`);
      return false;
    }
    this.chosenSerializer = result.serializerId;
    this.peerLimit = result.maxLength;
    events.push({ type: "handshake", serializerId: result.serializerId, peerMaxLength: result.maxLength });
    return true;
  }
}
