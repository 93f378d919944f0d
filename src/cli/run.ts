/**
 * The `junction` command, runtime-neutral: each `bin/<runtime>.ts` passes its argv and a
 * {@link CliIO} and exits with the code this resolves to.
 *
 * Exit codes: 0 after a clean stop (or --help/--version), 1 when the server fails (a port in
 * use, say), 2 for a usage or configuration error, which is reported before anything listens.
 * @module
 */
import { ConfigError } from "../config/config_error.ts";
import type { RunningServer } from "../platform/listener.ts";
import { parseConfig, toRouterOptions, toServeOptions } from "../config/load.ts";
import { defaultConfig, type JunctionConfig } from "../config/schema.ts";
import { DEFAULT_STORAGE_PATH } from "../config/security_schema.ts";
import { consoleLogger, type Logger } from "../platform/logger.ts";
import type { Storage } from "../platform/storage.ts";
import { Router } from "../router/router.ts";
import { buildSecurity, needsSecurity, type SecuritySetup } from "../security/build.ts";
import { VERSION } from "../version.ts";
import { parseArgs } from "./args.ts";
import type { CliIO } from "./io.ts";
import { applyArgs } from "./overrides.ts";
import { usage } from "./usage.ts";

export type { CliIO } from "./io.ts";

export async function runCli(argv: readonly string[], io: CliIO): Promise<number> {
  const parsed = parseArgs(argv);
  if (!parsed.ok) {
    io.stderr(`junction: ${parsed.error}`);
    io.stderr("Run junction --help for usage");
    return 2;
  }
  const { args } = parsed;
  if (args.help) {
    io.stdout(usage());
    return 0;
  }
  if (args.version) {
    io.stdout(`junction ${VERSION} (${io.runtimeName})`);
    return 0;
  }

  const loaded = args.configPath === undefined ? defaultConfig() : await loadConfigFile(args.configPath, io);
  if (!loaded) return 2;
  const cfg = applyArgs(loaded, args);
  const logger = consoleLogger(cfg.log.format, cfg.log.level);

  // Listen for the signal before serving, so a signal during start-up is not lost.
  let requestStop!: () => void;
  const stopRequested = new Promise<void>((resolve) => (requestStop = resolve));
  io.onShutdownSignal(() => requestStop());

  const durable = await openDurableState(cfg, args.dataPath, io, logger);
  if (!durable) return 1;
  const { storage, security } = durable;
  const routerOptions = toRouterOptions(cfg, security);
  const router = new Router({ ...routerOptions, logger, ...(storage ? { storage } : {}) });
  security?.attach(router);
  // Persisted realm state (retained events, history) is loaded before anyone can join.
  await router.ready();
  let server: RunningServer;
  try {
    server = await io.serve(router, toServeOptions(cfg));
  } catch (err) {
    logger.log("error", "cannot listen", { error: errorText(err) });
    await router.shutdown();
    await storage?.close();
    return 1;
  }
  logger.log("info", "listening", {
    websocket: `ws://${urlHost(server.host)}:${server.port}${cfg.transports.websocket.path}`,
    rawsocket: server.rawSocketPort === null ? "off" : `tcp://${urlHost(cfg.transports.rawsocket.host)}:${server.rawSocketPort}`,
    realms: (routerOptions.realms ?? []).map((r) => r.name).join(","),
    version: VERSION,
    runtime: io.runtimeName,
  });

  await stopRequested;
  return await stop(router, server, storage, logger);
}

/**
 * Opens the durable store and builds the realms' security. The store's file is `--data`, else
 * `storage.path`, else `junction.db` in the working directory when a realm is secured, the
 * admin realm is configured, or a realm keeps event history (all of which must survive a
 * restart, so memory will not do).
 * Without any of these, nothing is opened and the router keeps its state in memory.
 * @returns undefined after logging why start-up cannot go on
 */
async function openDurableState(
  cfg: JunctionConfig,
  dataPath: string | undefined,
  io: CliIO,
  logger: Logger,
): Promise<{ storage: Storage | undefined; security: SecuritySetup | undefined } | undefined> {
  const secured = needsSecurity(cfg);
  const durable = secured || cfg.realms.some((r) => (r.history?.length ?? 0) > 0);
  const path = dataPath ?? cfg.storage?.path ?? (durable ? DEFAULT_STORAGE_PATH : undefined);
  if (path === undefined) return { storage: undefined, security: undefined };
  if (!io.openStorage) {
    logger.log("error", "this runtime's CLI cannot open durable storage", { path });
    return undefined;
  }
  let storage: Storage;
  try {
    storage = await io.openStorage(path);
  } catch (err) {
    logger.log("error", "cannot open the data file", { path, error: errorText(err) });
    return undefined;
  }
  logger.log("info", "durable state", { path });
  if (!secured) return { storage, security: undefined };
  try {
    return { storage, security: await buildSecurity(cfg, storage, { logger }) };
  } catch (err) {
    logger.log("error", "cannot load the security model", { path, error: errorText(err) });
    await storage.close();
    return undefined;
  }
}

/** GOODBYE to every session first, then the listeners: clients learn why they were dropped. */
async function stop(router: Router, server: RunningServer, storage: Storage | undefined, logger: Logger): Promise<number> {
  logger.log("info", "stopping", { sessions: router.sessionCount });
  try {
    await router.shutdown();
    await server.close();
    await storage?.close();
  } catch (err) {
    logger.log("error", "unclean stop", { error: errorText(err) });
    return 1;
  }
  logger.log("info", "stopped");
  return 0;
}

/** The checked configuration, or undefined after reporting every problem on stderr. */
async function loadConfigFile(path: string, io: CliIO): Promise<JunctionConfig | undefined> {
  let text: string;
  try {
    text = await io.readTextFile(path);
  } catch (err) {
    io.stderr(`junction: cannot read the configuration file: ${path}: ${errorText(err)}`);
    return undefined;
  }
  try {
    return parseConfig(text, path);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    for (const problem of err.problems) io.stderr(problem);
    const n = err.problems.length;
    io.stderr(`junction: not started: ${n} ${n === 1 ? "problem" : "problems"} in the configuration`);
    return undefined;
  }
}

/** IPv6 literals take brackets inside a URL. */
function urlHost(host: string): string {
  return host.includes(":") && !host.startsWith("[") ? `[${host}]` : host;
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
