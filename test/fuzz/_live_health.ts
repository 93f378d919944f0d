/**
 * The live fuzzer's health check: two clean clients (WebSocket JSON callee and subscriber,
 * RawSocket MessagePack caller and publisher) join, and a call and an acknowledged publication
 * must go through with the right results, all within a timeout.
 * @module
 */
import { connectRawSocket, connectWebSocket, type RawClient } from "../_support/raw_client.ts";

const WAIT_MS = 15_000;

async function nextOf(c: RawClient, type: number, what: string): Promise<unknown[]> {
  // Only the health clients' own traffic reaches them; anything else is a failure too.
  const m = await c.next(WAIT_MS);
  if (m[0] !== type) throw new Error(`${what}: expected type ${type}, got ${JSON.stringify(m).slice(0, 300)}`);
  return m;
}

/** Throws an Error saying what went wrong; resolves when the router served both. */
export async function healthCheck(target: { wsUrl: string; rawSocketPort: number }, n: number): Promise<void> {
  let callee: RawClient | undefined;
  let caller: RawClient | undefined;
  try {
    callee = await connectWebSocket(target.wsUrl, "wamp.2.json", WAIT_MS);
    caller = await connectRawSocket(target.rawSocketPort, "msgpack", { timeoutMs: WAIT_MS });
    for (const [c, who] of [[callee, "callee"], [caller, "caller"]] as const) {
      const w = await c.hello("realm1", { authid: `health-${who}-${n}` }, WAIT_MS);
      if (w[0] !== 2) throw new Error(`health ${who}: HELLO got ${JSON.stringify(w).slice(0, 300)}`);
    }
    const proc = `health.proc.${n}`;
    const topic = `health.topic.${n}`;
    callee.send([64, 1, {}, proc]);
    await nextOf(callee, 65, "REGISTER");
    callee.send([32, 2, {}, topic]);
    await nextOf(callee, 33, "SUBSCRIBE");

    caller.send([48, 1, {}, proc, [n, "x"], { bin: new Uint8Array([1, 2, 3]) }]);
    const inv = await nextOf(callee, 68, "INVOCATION");
    if (JSON.stringify(inv[4]) !== JSON.stringify([n, "x"])) throw new Error(`INVOCATION args ${JSON.stringify(inv[4])}`);
    const kw = inv[5] as { bin?: unknown } | undefined;
    if (!(kw?.bin instanceof Uint8Array) || kw.bin.join() !== "1,2,3") throw new Error("INVOCATION kwargs lost the binary");
    callee.send([70, inv[1], {}, [n + 1]]);
    const result = await nextOf(caller, 50, "RESULT");
    if (result[1] !== 1 || JSON.stringify(result[3]) !== JSON.stringify([n + 1])) {
      throw new Error(`RESULT ${JSON.stringify(result).slice(0, 300)}`);
    }

    caller.send([16, 2, { acknowledge: true }, topic, ["health", n]]);
    const published = await nextOf(caller, 17, "PUBLISHED");
    const event = await nextOf(callee, 36, "EVENT");
    if (event[2] !== published[2] || JSON.stringify(event[4]) !== JSON.stringify(["health", n])) {
      throw new Error(`EVENT ${JSON.stringify(event).slice(0, 300)} for PUBLISHED ${JSON.stringify(published)}`);
    }
    for (const c of [callee, caller]) c.send([6, {}, "wamp.close.close_realm"]);
    await nextOf(callee, 6, "GOODBYE");
    await nextOf(caller, 6, "GOODBYE");
  } finally {
    callee?.close();
    caller?.close();
  }
}
