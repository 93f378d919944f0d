/**
 * Live fuzz of a running router: starts `junction` (the CLI of a runtime) as a child process
 * on loopback, then sends fuzzed frames (mutated, malformed and well-formed WAMP messages,
 * mostly after a valid HELLO) over every serializer and transport at once, from several
 * connections each, reconnecting whenever the router closes one. Every 100k frames and at the
 * end it checks that the router process lives, that its RSS (/proc/<pid>/status VmRSS) stays
 * under a limit, and that two clean clients still complete a call and a publication.
 *
 *   node_modules/.bin/bun bench/fuzz.ts [--count N] [--router bun|node|deno] [--concurrency C]
 *       [--seed S] [--check-every N] [--rss-limit-mb M] [--max-seconds S] [--keep-going]
 *
 * --count: frames per serializer and transport (default 1,000,000; six combinations run at
 *   once, so JSON peers also receive what MessagePack and CBOR peers sent).
 * --router: the runtime whose CLI serves (default: the runtime running this script).
 * --concurrency: connections per combination (default 4).
 * --keep-going: after the router dies, record the crash, start a new one and go on.
 *
 * Progress goes to stderr; the last stdout line is a JSON summary: frames, time, crashes (with
 * the exception line), RSS samples, health checks, the router's error output by kind (uncaught
 * exceptions and runtime warnings included), and per combination the frames by kind,
 * connections, ABORT reasons and anomalies (what a client saw that the router must never send:
 * undecodable or malformed messages, messages after ABORT). `ok` is true only when none of
 * those went wrong. Exit code 0 when ok, 1 when not, 2 when the fuzzer itself failed.
 * @module
 */
import process from "node:process";
import { cborSerializer } from "../src/serializer/cbor.ts";
import { jsonSerializer } from "../src/serializer/json.ts";
import { msgpackSerializer } from "../src/serializer/msgpack.ts";
import type { Serializer } from "../src/serializer/types.ts";
import { FrameSource, sampleTemplates } from "../test/fuzz/_live_frames.ts";
import { type ComboStats, comboStats, fuzzWorker } from "../test/fuzz/_live_fuzz.ts";
import { healthCheck } from "../test/fuzz/_live_health.ts";
import type { Transport } from "../test/fuzz/_live_conn.ts";
import { type LiveRouter, type RuntimeName, startLiveRouter } from "../test/fuzz/_live_router.ts";
import { emptyPools } from "../test/fuzz/_refs.ts";

interface Options {
  count: number;
  router: RuntimeName;
  concurrency: number;
  seed: number;
  checkEvery: number;
  rssLimitMb: number;
  maxSeconds: number;
  keepGoing: boolean;
}

const g = globalThis as Record<string, unknown>;
const here: RuntimeName = g["Deno"] ? "deno" : g["Bun"] ? "bun" : "node";

function parseOptions(argv: readonly string[]): Options {
  const o: Options = {
    count: 1_000_000,
    router: here,
    concurrency: 4,
    seed: 1,
    checkEvery: 100_000,
    rssLimitMb: 1_024,
    maxSeconds: 4 * 3_600,
    keepGoing: false,
  };
  const num = (flag: string, v: string | undefined): number => {
    const n = Number(v);
    if (v === undefined || !Number.isFinite(n) || n < 0) throw new Error(`${flag} needs a non-negative number`);
    return n;
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    switch (a) {
      case "--count": o.count = num(a, argv[++i]); break;
      case "--concurrency": o.concurrency = Math.max(1, num(a, argv[++i])); break;
      case "--seed": o.seed = num(a, argv[++i]); break;
      case "--check-every": o.checkEvery = Math.max(1_000, num(a, argv[++i])); break;
      case "--rss-limit-mb": o.rssLimitMb = num(a, argv[++i]); break;
      case "--max-seconds": o.maxSeconds = num(a, argv[++i]); break;
      case "--keep-going": o.keepGoing = true; break;
      case "--router": {
        const r = argv[++i];
        if (r !== "bun" && r !== "node" && r !== "deno") throw new Error("--router must be bun, node or deno");
        o.router = r;
        break;
      }
      case "--": break;
      default: throw new Error(`unknown argument ${a}`);
    }
  }
  return o;
}

interface Crash {
  afterFrames: number;
  exit: string;
  /** The first line of the exception the runtime printed, when there is one. */
  exception: string | null;
  errors: string[];
  tail: string[];
}

async function main(): Promise<number> {
  const opts = parseOptions(process.argv.slice(2));
  const started = performance.now();
  const deadline = started + opts.maxSeconds * 1_000;
  let router: LiveRouter = await startLiveRouter(opts.router);
  const templates = sampleTemplates(opts.seed);
  const serializers: Serializer[] = [jsonSerializer, msgpackSerializer, cborSerializer];
  const transports: Transport[] = ["websocket", "rawsocket"];
  const combos: ComboStats[] = [];
  const rss: { frames: number; mb: number }[] = [];
  const health: { frames: number; ok: boolean; ms: number; error?: string }[] = [];
  const crashes: Crash[] = [];
  const routerErrorKinds = new Map<string, number>();
  let routerErrorCount = 0;
  let total = 0;
  let stop = false;
  let stopReason: string | undefined;
  let nextCheck = opts.checkEvery;
  let checking: Promise<void> | undefined;
  let restarting: Promise<void> | undefined;

  const sampleRss = () => {
    const mb = router.rssMb();
    if (mb !== undefined) rss.push({ frames: total, mb });
    if (mb !== undefined && mb > opts.rssLimitMb) {
      stop = true;
      stopReason = `router RSS ${mb} MB over the limit of ${opts.rssLimitMb} MB`;
    }
  };
  const collectErrors = (r: LiveRouter) => {
    routerErrorCount += r.errorCount();
    for (const k of r.errorKinds()) routerErrorKinds.set(k.line, (routerErrorKinds.get(k.line) ?? 0) + k.count);
  };
  /** Notices a dead router: records the crash, restarts it (--keep-going) or stops. */
  const checkAlive = async (): Promise<boolean> => {
    const exit = router.exited();
    if (exit === undefined) return true;
    if (restarting) {
      await restarting;
      return router.exited() === undefined;
    }
    const tail = router.tail();
    const exception = tail.find((l) => /^\s*(Uncaught )?\w*(Error|Exception)\b/.test(l)) ?? null;
    crashes.push({ afterFrames: total, exit, exception, errors: router.errorLines.slice(0, 5), tail: tail.slice(-12) });
    collectErrors(router);
    if (!opts.keepGoing || crashes.length >= 20) {
      stop = true;
      stopReason = `the router died (${exit})`;
      return false;
    }
    restarting = (async () => {
      router = await startLiveRouter(opts.router);
    })();
    await restarting;
    restarting = undefined;
    return true;
  };
  const runCheck = async (final: boolean) => {
    if (!(await checkAlive())) return;
    const t0 = performance.now();
    try {
      await healthCheck({ wsUrl: router.wsUrl, rawSocketPort: router.rawSocketPort }, health.length + 1);
      health.push({ frames: total, ok: true, ms: Math.round(performance.now() - t0) });
    } catch (e) {
      const alive = await checkAlive();
      health.push({ frames: total, ok: false, ms: Math.round(performance.now() - t0), error: String(e).slice(0, 300) });
      if (alive && (final || !opts.keepGoing)) {
        stop = true;
        stopReason = `health check failed: ${String(e).slice(0, 200)}`;
      }
    }
    sampleRss();
    process.stderr.write(
      `fuzz: ${total} frames, ${((performance.now() - started) / 1000).toFixed(0)} s, RSS ${rss.at(-1)?.mb ?? "?"} MB, ` +
        `health ${health.at(-1)?.ok ? "ok" : "FAILED"}, crashes ${crashes.length}\n`,
    );
  };

  sampleRss();
  const workers: Promise<void>[] = [];
  let seed = opts.seed * 1_000;
  for (const transport of transports) {
    for (const ser of serializers) {
      const stats = comboStats(transport, ser.name);
      combos.push(stats);
      const pools = emptyPools();
      for (let w = 0; w < opts.concurrency; w++) {
        const source = new FrameSource(ser, templates, ++seed);
        workers.push(fuzzWorker({
          transport,
          ser,
          source,
          stats,
          pools,
          count: opts.count,
          target: () => ({ wsUrl: router.wsUrl, rawSocketPort: router.rawSocketPort }),
          stopped: () => {
            if (!stop && performance.now() > deadline) {
              stop = true;
              stopReason = `--max-seconds ${opts.maxSeconds} reached`;
            }
            return stop;
          },
          onFrame: () => {
            total++;
            if (total >= nextCheck && !checking) {
              nextCheck += opts.checkEvery;
              checking = runCheck(false).finally(() => (checking = undefined));
            }
          },
        }));
      }
    }
  }
  // A watchdog for a router that dies between health checks: workers then only fail to connect.
  const watchdog = setInterval(() => void checkAlive(), 1_000);
  await Promise.all(workers);
  clearInterval(watchdog);
  if (checking) await checking;
  if (!stop) await runCheck(true);
  else await checkAlive();
  collectErrors(router);
  const alive = router.exited() === undefined;
  await router.stop();

  const seconds = (performance.now() - started) / 1_000;
  const rssMb = rss.map((s) => s.mb);
  const failedChecks = health.filter((h) => !h.ok);
  const ok = stopReason === undefined && crashes.length === 0 && failedChecks.length === 0 && health.length > 0 &&
    routerErrorCount === 0 &&
    combos.every((c) => c.frames >= opts.count && c.anomalies === 0);
  const summary = {
    ok,
    stopReason: stopReason ?? null,
    router: opts.router,
    fuzzer: here,
    countPerCombination: opts.count,
    frames: total,
    seconds: Math.round(seconds),
    framesPerSecond: Math.round(total / seconds),
    routerAlive: alive,
    crashes,
    rssMb: { first: rssMb[0] ?? null, max: rssMb.length ? Math.max(...rssMb) : null, last: rssMb.at(-1) ?? null, limit: opts.rssLimitMb, samples: rss },
    healthChecks: { total: health.length, failed: failedChecks.length, maxMs: Math.max(0, ...health.map((h) => h.ms)), failures: failedChecks.slice(0, 5) },
    // Error-level log lines and anything else the router printed that is not a log line (an
    // uncaught exception, a runtime warning), by kind (digits blanked), most frequent first.
    routerErrorLines: routerErrorCount,
    routerErrorKinds: [...routerErrorKinds].map(([line, count]) => ({ line, count })).sort((a, b) => b.count - a.count).slice(0, 15),
    combinations: combos,
  };
  console.log(JSON.stringify(summary));
  return ok ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (e) => {
    console.error(e instanceof Error ? e.stack : String(e));
    process.exit(2);
  },
);
