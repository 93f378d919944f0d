/**
 * Junction: a WAMP router core that runs unchanged on Bun, Deno, Node and edge runtimes.
 * This entry exports the runtime-neutral API only; the socket adapters live in
 * `adapters/<runtime>/serve.ts`.
 *
 * @example
 * ```ts
 * import { Router } from "./mod.ts";
 * import { serve } from "./adapters/bun/serve.ts";
 * const router = new Router({ realms: [{ name: "realm1" }] });
 * const server = await serve(router, { port: 8080, rawSocketPort: 8081 });
 * ```
 * @module
 */

export { Router } from "./src/router/router.ts";
export type { RealmOptions, RouterOptions } from "./src/router/options.ts";
export type { Realm } from "./src/router/realm.ts";
export type {
  Acceptor,
  ByteConnection,
  ConnectionSink,
  MessageConnection,
  SendResult,
  TransportInfo,
} from "./src/platform/transport.ts";
export { type Clock, systemClock } from "./src/platform/clock.ts";
export { type RandomSource, webRandom } from "./src/platform/random.ts";
export { consoleLogger, type Logger, type LogLevel, nullLogger } from "./src/platform/logger.ts";
export type { Serializer, SerializerName } from "./src/serializer/types.ts";
export { chooseSubprotocol, SUPPORTED_SUBPROTOCOLS } from "./src/serializer/registry.ts";
export type { RunningServer, Serve, ServeOptions } from "./src/platform/listener.ts";
export { MemoryStorage, type Storage, type StorageEntry, type StorageKey } from "./src/platform/storage.ts";
export { DEFAULT_LIMITS, type Limits } from "./src/router/limits.ts";
export type { Authenticator, AuthOutcome, HelloInfo, Identity } from "./src/auth/types.ts";
export type { Action, Authorizer } from "./src/auth/authorizer.ts";
export type { CredentialStore, UserRecord } from "./src/auth/credentials.ts";
export { realmAuthenticator } from "./src/auth/policy.ts";
export { parseConfig, toRouterOptions, toServeOptions } from "./src/config/load.ts";
export { VERSION } from "./src/version.ts";
