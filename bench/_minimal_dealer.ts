/**
 * The floor of the CPU-per-call benchmark, served by the relay child (bench/relay_server.ts) on
 * `/min-callee?ser=NAME` and `/min-caller?ser=NAME`: the least any WAMP dealer must do per call
 * and no more. Each CALL is decoded with the connection's serializer, given an invocation id
 * that maps back to its caller and request id, and encoded again as an INVOCATION; each YIELD is
 * decoded, matched, and encoded again as a RESULT. No sessions, validation, options, limits or
 * error handling: frames that are not a CALL or a YIELD of a call in flight are dropped.
 *
 * The bare relay shows what the runtime's WebSocket I/O costs; this shows what decoding and
 * encoding every message whole adds on top. A router must read enough of each message to route
 * it and must not pass on a frame it has not checked, but it need not decode a payload it only
 * forwards: Junction's MessagePack path reads the header elements and skips over the payload
 * (serializer/binary_payload.ts), so there it can cost less than this floor. The router's CPU
 * per call is reported against both.
 * @module
 */
import { serializerForSubprotocol } from "../src/serializer/registry.ts";
import type { Serializer } from "../src/serializer/types.ts";

export interface MinimalSock {
  send(data: string | Uint8Array, binary: boolean): void;
}

interface Pending {
  readonly caller: MinimalSock;
  readonly ser: Serializer;
  readonly requestId: unknown;
}

const CALL = 48;
const YIELD = 70;
const INVOCATION = 68;
const RESULT = 50;

export class MinimalDealer {
  #callee: { sock: MinimalSock; ser: Serializer } | undefined;
  readonly #pending = new Map<number, Pending>();
  #nextId = 1;

  calleeOpened(sock: MinimalSock, ser: Serializer): void {
    this.#callee = { sock, ser };
    this.#pending.clear();
  }

  calleeClosed(sock: MinimalSock): void {
    if (this.#callee?.sock === sock) this.#callee = undefined;
  }

  fromCaller(sock: MinimalSock, ser: Serializer, data: string | Uint8Array): void {
    const m = ser.decode(data) as unknown[];
    const callee = this.#callee;
    if (!Array.isArray(m) || m[0] !== CALL || !callee) return;
    const id = this.#nextId++;
    this.#pending.set(id, { caller: sock, ser, requestId: m[1] });
    const invocation: unknown[] = [INVOCATION, id, 1, {}];
    for (let i = 4; i < m.length; i++) invocation.push(m[i]);
    callee.sock.send(callee.ser.encode(invocation), callee.ser.binary);
  }

  fromCallee(ser: Serializer, data: string | Uint8Array): void {
    const m = ser.decode(data) as unknown[];
    if (!Array.isArray(m) || m[0] !== YIELD) return;
    const p = this.#pending.get(m[1] as number);
    if (!p) return;
    this.#pending.delete(m[1] as number);
    const result: unknown[] = [RESULT, p.requestId, {}];
    for (let i = 3; i < m.length; i++) result.push(m[i]);
    p.caller.send(p.ser.encode(result), p.ser.binary);
  }
}

/** The serializer named by `?ser=` in a `/min-*` URL (JSON when absent or unknown). */
export function minimalSerializer(url: string | undefined): Serializer {
  const name = /[?&]ser=([a-z]+)/.exec(url ?? "")?.[1];
  return serializerForSubprotocol(`wamp.2.${name ?? "json"}`) ?? serializerForSubprotocol("wamp.2.json")!;
}
