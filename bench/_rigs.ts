/**
 * A callee and some callers connected to one server: the router (WAMP) or the bare relay (the
 * same messages, no WAMP), behind the same `Requester` interface.
 * @module
 */
import type { Serializer } from "../src/serializer/types.ts";
import type { Requester } from "./_load.ts";
import { RelayCallee, RelayCaller } from "./_relay_client.ts";
import { WampClient } from "./_ws_client.ts";

export const PROCEDURE = "com.example.add";
const ARGS = [1, 2, "three"];
const KWARGS = { k: "v" };

export interface Rig {
  readonly callers: readonly Requester[];
  close(): Promise<void>;
}

export async function wampRig(url: string, ser: Serializer, callers: number): Promise<Rig> {
  const callee = await WampClient.connect(url, ser);
  await callee.register(PROCEDURE, (args) => [(args[0] as number) + (args[1] as number)]);
  const clients = await Promise.all(Array.from({ length: callers }, () => WampClient.connect(url, ser)));
  return {
    callers: clients.map((c) => ({ request: (done) => c.call(PROCEDURE, ARGS, KWARGS, done) })),
    close: async () => void (await Promise.all([callee, ...clients].map((c) => c.close()))),
  };
}

export async function relayRig(url: string, ser: Serializer, callers: number): Promise<Rig> {
  const callee = await RelayCallee.connect(url, ser);
  const clients = await Promise.all(Array.from({ length: callers }, () => RelayCaller.connect(url, ser)));
  return {
    callers: clients.map((c) => ({ request: (done) => c.request(ARGS, KWARGS, done) })),
    close: async () => void (await Promise.all([callee, ...clients].map((c) => c.close()))),
  };
}
