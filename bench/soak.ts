/**
 * Soak test: `<runtime> bench/soak.ts --minutes N` (bun, node, or `deno run -A`).
 *
 * Starts the `junction` CLI of the same runtime as a child process (ports 0, bound ports read
 * from its "listening" log line), then for N minutes keeps sessions joining and leaving at a
 * steady rate while background sessions keep steady traffic going. Each visiting session
 * subscribes (to a shared topic and to a topic of its own), registers a procedure of its own,
 * calls (a background service, itself, another visitor), publishes, and leaves one of four ways:
 * GOODBYE, dropping the transport, dropping it in the middle of a call it made, or dropping it
 * when a call to its own procedure arrives.
 *
 * The router's RSS (/proc/<pid>/status VmRSS) is sampled throughout. The baseline is taken after
 * a warm-up, in a quiet moment (no visitors, background traffic on); the final value in the same
 * state at the end. Then the background leaves too and a fresh client checks, through the meta
 * API (wamp.session.count, wamp.registration.list, wamp.subscription.list; polled while it
 * settles), that no session, registration or subscription was left behind. Without the meta API
 * it falls back to what a client can see: the procedures of departed sessions must give
 * wamp.error.no_such_procedure. The router's own log must show as many sessions leaving as
 * joining.
 *
 * Prints progress on stderr and one JSON summary line on stdout. Exit code 0 when nothing leaked
 * and RSS came back to within max(20 %, 10 MB) of the baseline (and no background traffic failed);
 * 1 otherwise.
 *
 * Options: --minutes N (default 1; fractions allowed), --rate JOINS_PER_SEC (default 50),
 * --sample-sec S (RSS sampling period, default 5), --warmup-sec S (default: a quarter of the run,
 * 10..120 s), --gc-trace (Node and Deno: run the router with V8's --trace-gc and report the heap
 * left after each full collection, which tells a leak from memory the allocator keeps; the
 * verdict stays on RSS).
 * @module
 */
import process from "node:process";
import { type Endpoints, type Kind, KINDS, SoakClient, WampError } from "./_soak_client.ts";
import { type FullGc, readRss, type RouterChild, runtime, startRouter } from "./_soak_router.ts";

// --- options ---

interface Options {
  traceGc: boolean;
  minutes: number;
  rate: number;
  sampleSec: number;
  warmupSec: number;
}

function parseOptions(argv: readonly string[]): Options {
  const o: Partial<Options> = {};
  const num = (flag: string, v: string | undefined, min: number, max: number): number => {
    const n = Number(v);
    if (v === undefined || !Number.isFinite(n) || n < min || n > max) {
      process.stderr.write(`soak: ${flag} takes a number from ${min} to ${max}, got ${String(v)}\n`);
      process.exit(2);
    }
    return n;
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const [flag, inline] = a.includes("=") ? [a.slice(0, a.indexOf("=")), a.slice(a.indexOf("=") + 1)] : [a, undefined];
    const value = () => inline ?? argv[++i];
    if (flag === "--minutes") o.minutes = num(flag, value(), 0.05, 24 * 60);
    else if (flag === "--rate") o.rate = num(flag, value(), 1, 2000);
    else if (flag === "--sample-sec") o.sampleSec = num(flag, value(), 0.5, 600);
    else if (flag === "--warmup-sec") o.warmupSec = num(flag, value(), 1, 3600);
    else if (flag === "--gc-trace") o.traceGc = true;
    else {
      process.stderr.write(`soak: unknown argument ${a}\nUsage: bench/soak.ts [--minutes N] [--rate JOINS_PER_SEC] [--sample-sec S] [--warmup-sec S] [--gc-trace]\n`);
      process.exit(2);
    }
  }
  const minutes = o.minutes ?? 1;
  const warmupSec = o.warmupSec ?? Math.min(120, Math.max(10, minutes * 60 * 0.25));
  if (warmupSec >= minutes * 60) {
    process.stderr.write(`soak: the warm-up (${warmupSec} s) must be shorter than the run (${minutes * 60} s)\n`);
    process.exit(2);
  }
  return { minutes, rate: o.rate ?? 50, sampleSec: o.sampleSec ?? 5, warmupSec, traceGc: o.traceGc ?? false };
}

// --- helpers ---

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
const MB = 1024 * 1024;
const mb = (bytes: number | undefined) => (bytes === undefined ? null : Math.round((bytes / MB) * 10) / 10);
const t0 = Date.now();
const elapsed = () => Math.round((Date.now() - t0) / 100) / 10;
const progress = (msg: string) => void process.stderr.write(`[soak ${elapsed()}s] ${msg}\n`);

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  return Promise.race([
    p,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what}: timed out after ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

function percentile(sorted: readonly number[], p: number): number | null {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

/** Counts by key, plus a few sample messages. */
class Tally {
  readonly counts: Record<string, number> = {};
  readonly samples: string[] = [];
  add(key: string, sample?: string): void {
    this.counts[key] = (this.counts[key] ?? 0) + 1;
    if (sample && this.samples.length < 10) this.samples.push(sample.slice(0, 200));
  }
  get total(): number {
    return Object.values(this.counts).reduce((a, b) => a + b, 0);
  }
}

/** A uniform sample of at most `size` items from a stream, plus the last `recent` ones. */
class Reservoir<T> {
  readonly #items: T[] = [];
  readonly #recent: T[] = [];
  #seen = 0;
  readonly size: number;
  readonly recentSize: number;
  constructor(size: number, recentSize: number) {
    this.size = size;
    this.recentSize = recentSize;
  }
  add(x: T): void {
    this.#seen++;
    if (this.#items.length < this.size) this.#items.push(x);
    else {
      const j = Math.floor(Math.random() * this.#seen);
      if (j < this.size) this.#items[j] = x;
    }
    this.#recent.push(x);
    if (this.#recent.length > this.recentSize) this.#recent.shift();
  }
  values(): T[] {
    return [...new Set([...this.#items, ...this.#recent])];
  }
}

/** An array with O(1) add, remove and random pick. */
class PickSet {
  readonly #items: string[] = [];
  readonly #index = new Map<string, number>();
  add(x: string): void {
    if (this.#index.has(x)) return;
    this.#index.set(x, this.#items.length);
    this.#items.push(x);
  }
  delete(x: string): void {
    const i = this.#index.get(x);
    if (i === undefined) return;
    const last = this.#items.pop()!;
    this.#index.delete(x);
    if (i < this.#items.length) {
      this.#items[i] = last;
      this.#index.set(last, i);
    }
  }
  pick(): string | undefined {
    return this.#items.length ? this.#items[Math.floor(Math.random() * this.#items.length)] : undefined;
  }
  get size(): number {
    return this.#items.length;
  }
}

// --- background traffic ---

const BG_TOPIC = "soak.bg";

interface Background {
  readonly stats: {
    echoCalls: number;
    echoFailures: number;
    latenciesMs: number[];
    published: number;
    publishFailures: number;
    received: number;
    /** Background events the (reading) background subscriber missed or got out of order. */
    gaps: number;
    slowInvocations: number;
    skippedTicks: number;
    callback: Tally;
  };
  stop(): Promise<void>;
}

async function startBackground(ep: Endpoints): Promise<Background> {
  const stats: Background["stats"] = {
    echoCalls: 0,
    echoFailures: 0,
    latenciesMs: [],
    published: 0,
    publishFailures: 0,
    received: 0,
    gaps: 0,
    slowInvocations: 0,
    skippedTicks: 0,
    callback: new Tally(),
  };
  const join = async (kind: Kind) => {
    const c = await SoakClient.connect(kind, ep);
    await c.hello();
    return c;
  };
  const callee = await join("rawsocket/msgpack");
  await callee.register("soak.svc.echo", (args) => args);
  await callee.register("soak.svc.slow", async (args) => {
    stats.slowInvocations++;
    await sleep(200);
    return args;
  });
  // Calls back the procedure it is given; that callee drops its transport on the INVOCATION,
  // so the inner call must end with wamp.error.canceled. Its own caller is gone by then too.
  await callee.register("soak.svc.callback", async (args) => {
    const proc = String(args[0]);
    try {
      await callee.call(proc, [], 10_000);
      stats.callback.add("result");
    } catch (e) {
      stats.callback.add(e instanceof WampError ? e.uri : "error", String(e));
    }
    return [];
  });

  const sub = await join("rawsocket/cbor");
  let expected = 0;
  await sub.subscribe(BG_TOPIC, (args) => {
    if (args[0] !== "bg") return;
    if (args[1] !== expected) stats.gaps++;
    expected = (args[1] as number) + 1;
    stats.received++;
  });
  const pub = await join("websocket/json");
  const caller = await join("websocket/cbor");

  let seq = 0;
  let pubBusy = false;
  const pubTimer = setInterval(() => {
    if (pubBusy) {
      stats.skippedTicks++;
      return;
    }
    pubBusy = true;
    pub.publish(BG_TOPIC, ["bg", seq++], { acknowledge: true }).then(
      () => stats.published++,
      () => stats.publishFailures++,
    ).finally(() => (pubBusy = false));
  }, 50);
  let callBusy = false;
  const callTimer = setInterval(() => {
    if (callBusy) {
      stats.skippedTicks++;
      return;
    }
    callBusy = true;
    const n = stats.echoCalls++;
    const started = performance.now();
    caller.call("soak.svc.echo", [n]).then(
      (r) => {
        stats.latenciesMs.push(performance.now() - started);
        if (r[0] !== n) stats.echoFailures++;
      },
      () => stats.echoFailures++,
    ).finally(() => (callBusy = false));
  }, 20);

  return {
    stats,
    async stop() {
      clearInterval(pubTimer);
      clearInterval(callTimer);
      // Let the last requests finish (bounded), then leave with GOODBYE.
      for (let i = 0; i < 100 && (pubBusy || callBusy); i++) await sleep(50);
      await sleep(300);
      await Promise.allSettled([pub, caller, sub, callee].map((c) => c.goodbye(5000)));
    },
  };
}

// --- visiting sessions ---

type Mode = "goodbye" | "drop" | "midCallCaller" | "midCallCallee";
/** 50 % GOODBYE, 25 % dropped transport, 12.5 % each dropped in the middle of a call. */
const MODES: readonly Mode[] = ["goodbye", "drop", "goodbye", "midCallCaller", "goodbye", "drop", "midCallCallee", "goodbye"];
/** Errors a call to another visitor may meet, since that visitor may leave meanwhile. */
const TOLERATED = new Set(["wamp.error.no_such_procedure", "wamp.error.canceled"]);

interface VisitorStats {
  started: number;
  completed: number;
  failed: Tally;
  byMode: Record<Mode, number>;
  calls: number;
  crossCallsTolerated: Tally;
  publishes: number;
  ownEvents: number;
  bgEventsSeen: number;
  skipped: number;
  oddities: number;
}

class Visitors {
  readonly stats: VisitorStats = {
    started: 0,
    completed: 0,
    failed: new Tally(),
    byMode: { goodbye: 0, drop: 0, midCallCaller: 0, midCallCallee: 0 },
    calls: 0,
    crossCallsTolerated: new Tally(),
    publishes: 0,
    ownEvents: 0,
    bgEventsSeen: 0,
    skipped: 0,
    oddities: 0,
  };
  /** Procedures of visitors still there (and answering). */
  readonly live = new PickSet();
  /** Procedures of visitors that left. */
  readonly departed = new Reservoir<string>(300, 100);
  inFlight = 0;
  readonly #ep: Endpoints;
  readonly #rate: number;
  readonly #maxInFlight: number;
  #timer: ReturnType<typeof setInterval> | undefined;
  #origin = 0;
  #base = 0;

  constructor(ep: Endpoints, rate: number) {
    this.#ep = ep;
    this.#rate = rate;
    // A router that stalls must not make the soak open connections without bound.
    this.#maxInFlight = Math.max(200, rate * 20);
  }

  /** Starts visitors at a steady rate (checked every 20 ms, never more than a second's worth at once). */
  resume(): void {
    if (this.#timer) return;
    this.#origin = Date.now();
    this.#base = this.stats.started + this.stats.skipped;
    this.#timer = setInterval(() => {
      const due = this.#base + Math.floor(((Date.now() - this.#origin) / 1000) * this.#rate);
      let n = Math.min(due - (this.stats.started + this.stats.skipped), this.#rate);
      for (; n > 0; n--) {
        if (this.inFlight >= this.#maxInFlight) this.stats.skipped++;
        else this.#launch(this.stats.started++);
      }
    }, 20);
  }

  pause(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  /** Waits (at most `ms`) for every visitor under way to finish. */
  async drain(ms = 30_000): Promise<boolean> {
    const deadline = Date.now() + ms;
    while (this.inFlight > 0 && Date.now() < deadline) await sleep(50);
    return this.inFlight === 0;
  }

  #launch(n: number): void {
    this.inFlight++;
    const mode = MODES[n % MODES.length]!;
    // Transport and serializer cycle independently of the mode.
    const kind = KINDS[Math.floor(n / MODES.length) % KINDS.length]!;
    let client: SoakClient | undefined;
    const run = this.#visit(n, mode, kind, (c) => (client = c));
    withTimeout(run, 30_000, `visitor ${n}`).then(
      () => {
        this.stats.completed++;
        this.stats.byMode[mode]++;
      },
      (e: unknown) => this.stats.failed.add(`${mode}: ${e instanceof WampError ? e.uri : "error"}`, `${kind} ${mode}: ${String(e)}`),
    ).finally(() => {
      if (client) {
        this.stats.oddities += client.oddities;
        if (!client.isClosed) client.destroy();
      }
      this.inFlight--;
    });
  }

  async #visit(n: number, mode: Mode, kind: Kind, keep: (c: SoakClient) => void): Promise<void> {
    const c = await SoakClient.connect(kind, this.#ep);
    keep(c);
    await c.hello();
    const own = `soak.v${n}`;
    const proc = `${own}.proc`;
    await c.subscribe(BG_TOPIC, () => this.stats.bgEventsSeen++);
    let gotOwn!: () => void;
    const ownEvent = new Promise<void>((resolve) => (gotOwn = resolve));
    await c.subscribe(`${own}.topic`, () => {
      this.stats.ownEvents++;
      gotOwn();
    });
    let invoked!: () => void;
    const invocation = new Promise<void>((resolve) => (invoked = resolve));
    await c.register(proc, mode === "midCallCallee" ? () => (invoked(), "drop") : (args) => args);

    // Calls: the background service, itself through the router, and another visitor.
    const echo = await c.call("soak.svc.echo", [n, kind]);
    if (echo[0] !== n || echo[1] !== kind) throw new Error(`echo answered ${JSON.stringify(echo)}`);
    this.stats.calls++;
    if (mode !== "midCallCallee") {
      const self = await c.call(proc, [n]);
      if (self[0] !== n) throw new Error(`own procedure answered ${JSON.stringify(self)}`);
      this.stats.calls++;
      this.live.add(proc);
    }
    const other = this.live.pick();
    if (other !== undefined && other !== proc) {
      try {
        await c.call(other, ["hi"]);
        this.stats.calls++;
      } catch (e) {
        if (!(e instanceof WampError) || !TOLERATED.has(e.uri)) throw e;
        this.stats.crossCallsTolerated.add(e.uri);
      }
    }

    // Publishes: to everyone, and to itself (it must get its own event back).
    await c.publish(BG_TOPIC, ["visitor", n], { acknowledge: true });
    await c.publish(`${own}.topic`, [n], { acknowledge: true, excludeMe: false });
    this.stats.publishes += 2;
    await withTimeout(ownEvent, 5000, "its own event");

    await sleep(200 + Math.random() * 1800);
    this.live.delete(proc);
    this.departed.add(proc);

    switch (mode) {
      case "goodbye":
        await c.goodbye();
        return;
      case "drop":
        c.destroy();
        return;
      case "midCallCaller":
        // The service answers after 200 ms; by then this caller is gone.
        c.callAndForget("soak.svc.slow", [n]);
        await sleep(30);
        c.destroy();
        return;
      case "midCallCallee":
        // The service calls our procedure back; we drop the transport when the INVOCATION comes.
        c.callAndForget("soak.svc.callback", [proc]);
        await withTimeout(invocation, 10_000, "the INVOCATION of its own procedure");
        await withTimeout(c.closed, 5000, "its transport to close");
        return;
    }
  }
}

// --- the check at the end ---

interface LeakReport {
  source: "meta" | "fallback";
  /** Sessions other than the checker; null when unknown. */
  sessions: number | null;
  registrations: number | null;
  subscriptions: number | null;
  metaError?: string;
  departedProbed: number;
  /** Procedures of departed sessions that could still be called (must be 0). */
  departedStillCallable: number;
  /** Background procedures still callable after the background left (must be 0). */
  backgroundStillCallable: number;
  settledAfterMs: number;
}

function listTotal(lists: unknown): number {
  if (!lists || typeof lists !== "object") return Number.NaN;
  return Object.values(lists as Record<string, unknown>).reduce<number>((n, l) => n + (Array.isArray(l) ? l.length : Number.NaN), 0);
}

async function checkLeaks(ep: Endpoints, departed: readonly string[]): Promise<LeakReport> {
  const c = await SoakClient.connect("websocket/json", ep);
  await c.hello();
  const report: LeakReport = {
    source: "meta",
    sessions: null,
    registrations: null,
    subscriptions: null,
    departedProbed: 0,
    departedStillCallable: 0,
    backgroundStillCallable: 0,
    settledAfterMs: 0,
  };
  const started = Date.now();
  // The meta API may lag behind (or be unavailable): poll for up to 15 s.
  for (let i = 0; i < 150; i++) {
    try {
      const [count] = await c.call("wamp.session.count");
      const [regs] = await c.call("wamp.registration.list");
      const [subs] = await c.call("wamp.subscription.list");
      report.sessions = (count as number) - 1; // the checker itself
      report.registrations = listTotal(regs);
      report.subscriptions = listTotal(subs);
    } catch (e) {
      report.source = "fallback";
      report.metaError = String(e);
      report.sessions = report.registrations = report.subscriptions = null;
      break;
    }
    if (report.sessions === 0 && report.registrations === 0 && report.subscriptions === 0) break;
    await sleep(100);
  }
  report.settledAfterMs = Date.now() - started;

  // What any client can see: the procedures of departed sessions are gone.
  const probe = async (proc: string): Promise<boolean> => {
    try {
      await c.call(proc, [], 5000);
      return true;
    } catch (e) {
      return !(e instanceof WampError && e.uri === "wamp.error.no_such_procedure");
    }
  };
  for (const proc of departed) {
    report.departedProbed++;
    if (await probe(proc)) report.departedStillCallable++;
  }
  for (const proc of ["soak.svc.echo", "soak.svc.slow", "soak.svc.callback"]) {
    if (await probe(proc)) report.backgroundStillCallable++;
  }
  await c.goodbye();
  return report;
}

/** Heap left after full collections: the last one before the baseline and before the end, and a trend. */
function heapSummary(gcs: readonly FullGc[], baselineAt: number, finalAt: number) {
  const before = (at: number) => gcs.filter((g) => g.at <= at).at(-1);
  const main = gcs.filter((g) => g.at > baselineAt && g.at <= finalAt);
  const stride = Math.max(1, Math.ceil(gcs.length / 40));
  return {
    fullGcs: gcs.length,
    liveAfterGcAtBaselineMB: before(baselineAt)?.liveMB ?? null,
    liveAfterGcAtEndMB: before(finalAt)?.liveMB ?? null,
    mainPhase: main.length === 0 ? null : {
      fullGcs: main.length,
      minLiveMB: Math.min(...main.map((g) => g.liveMB)),
      maxLiveMB: Math.max(...main.map((g) => g.liveMB)),
      firstLiveMB: main[0]!.liveMB,
      lastLiveMB: main.at(-1)!.liveMB,
    },
    /** [seconds since the soak started, heap MB left after a full GC] */
    samples: gcs.filter((_, i) => i % stride === 0).map((g) => [Math.round((g.at - t0) / 100) / 10, g.liveMB]),
  };
}

// --- main ---

async function main(): Promise<number> {
  const opts = parseOptions(process.argv.slice(2));
  const totalMs = opts.minutes * 60_000;
  progress(`runtime ${runtime}; ${opts.minutes} min at ${opts.rate} joins/s; warm-up ${opts.warmupSec} s`);
  if (opts.traceGc && runtime === "bun") progress("--gc-trace: not available on Bun (JavaScriptCore); ignored");
  const router: RouterChild = await startRouter({ traceGc: opts.traceGc && runtime !== "bun" });
  progress(`router pid ${router.pid} at ${router.endpoints.wsUrl} and tcp://${router.endpoints.rawHost}:${router.endpoints.rawPort}`);

  const samples: Array<[number, number | null]> = [];
  const sample = () => {
    const r = router.rss();
    samples.push([elapsed(), mb(r)]);
    return r;
  };
  sample();
  const sampler = setInterval(sample, opts.sampleSec * 1000);
  /** Median of 3 readings 1 s apart, in a quiet moment. */
  const quietRss = async (): Promise<number | undefined> => {
    await sleep(3000);
    const rs: number[] = [];
    for (let i = 0; i < 3; i++) {
      const r = readRss(router.pid);
      if (r !== undefined) rs.push(r);
      if (i < 2) await sleep(1000);
    }
    rs.sort((a, b) => a - b);
    return rs[1] ?? rs[0];
  };

  const bg = await startBackground(router.endpoints);
  const visitors = new Visitors(router.endpoints, opts.rate);
  const report = setInterval(() => {
    const s = visitors.stats;
    progress(
      `visitors ${s.started} started, ${s.completed} done, ${s.failed.total} failed, ${visitors.inFlight} in flight; ` +
        `bg calls ${bg.stats.echoCalls} (${bg.stats.echoFailures} failed); router RSS ${mb(router.rss())} MB`,
    );
  }, 10_000);

  // Warm-up, then the baseline in a quiet moment (visitors paused, background on).
  visitors.resume();
  await sleep(opts.warmupSec * 1000);
  visitors.pause();
  const drainedWarm = await visitors.drain();
  const baseline = await quietRss();
  const baselineAt = Date.now();
  progress(`baseline RSS ${mb(baseline)} MB after ${opts.warmupSec} s of warm-up`);

  // The rest of the run.
  visitors.resume();
  await sleep(totalMs - opts.warmupSec * 1000);
  visitors.pause();
  const drainedEnd = await visitors.drain();
  const final = await quietRss();
  const finalAt = Date.now();
  const maxRss = Math.max(...samples.map(([, r]) => r ?? 0));
  progress(`final RSS ${mb(final)} MB; the background leaves`);
  clearInterval(report);

  await bg.stop();
  await sleep(2000);
  const routerAliveAtCheck = router.running;
  let leaks: LeakReport | undefined;
  let leakError: string | undefined;
  if (routerAliveAtCheck) {
    try {
      leaks = await checkLeaks(router.endpoints, visitors.departed.values());
    } catch (e) {
      leakError = String(e);
    }
  }
  await sleep(1000);
  clearInterval(sampler);
  const logBalance = { joined: router.log.joined, left: router.log.left };
  const exitCode = await router.stop();

  // --- verdict ---
  const tolerance = baseline === undefined ? 0 : Math.max(0.2 * baseline, 10 * MB);
  const rssOk = baseline !== undefined && final !== undefined && final <= baseline + tolerance;
  const failures: string[] = [];
  if (!routerAliveAtCheck) failures.push("the router died");
  if (leakError) failures.push(`leak check failed: ${leakError}`);
  if (leaks) {
    if (leaks.sessions !== null && leaks.sessions !== 0) failures.push(`${leaks.sessions} sessions left behind`);
    if (leaks.registrations !== null && leaks.registrations !== 0) failures.push(`${leaks.registrations} registrations left behind`);
    if (leaks.subscriptions !== null && leaks.subscriptions !== 0) failures.push(`${leaks.subscriptions} subscriptions left behind`);
    if (leaks.departedStillCallable > 0) failures.push(`${leaks.departedStillCallable} procedures of departed sessions still callable`);
    if (leaks.backgroundStillCallable > 0) failures.push(`${leaks.backgroundStillCallable} background procedures still callable`);
  }
  // With --gc-trace a GC line can cut a log line (counted as unparsed): then the count is not exact.
  const logExact = router.log.unparsed === 0;
  if (logExact && logBalance.joined !== logBalance.left) failures.push(`router log: ${logBalance.joined} joined, ${logBalance.left} left`);
  if (!rssOk) failures.push(`RSS ${mb(final)} MB vs baseline ${mb(baseline)} MB (tolerance ${mb(tolerance)} MB)`);
  if (bg.stats.echoFailures > 0) failures.push(`${bg.stats.echoFailures} background calls failed`);
  if (bg.stats.publishFailures > 0) failures.push(`${bg.stats.publishFailures} background publishes failed`);
  if (bg.stats.gaps > 0) failures.push(`the background subscriber missed ${bg.stats.gaps} events`);
  if (bg.stats.received !== bg.stats.published) failures.push(`background events: ${bg.stats.published} published, ${bg.stats.received} received`);
  if (visitors.stats.failed.total > 0) failures.push(`${visitors.stats.failed.total} visitors failed`);
  const cbUnexpected = Object.entries(bg.stats.callback.counts).filter(([k]) => k !== "wamp.error.canceled");
  if (cbUnexpected.length > 0) failures.push(`calls to a callee that dropped mid-call ended with ${JSON.stringify(Object.fromEntries(cbUnexpected))}`);
  if (!drainedWarm || !drainedEnd) failures.push("visitors did not finish in time");
  if (exitCode !== 0) failures.push(`the router exited with ${exitCode} on SIGTERM`);

  const lat = [...bg.stats.latenciesMs].sort((a, b) => a - b);
  const round = (x: number | null) => (x === null ? null : Math.round(x * 10) / 10);
  // At most ~60 samples in the summary line.
  const stride = Math.max(1, Math.ceil(samples.length / 60));
  const summary = {
    ok: failures.length === 0,
    failures,
    runtime,
    minutes: opts.minutes,
    joinsPerSec: opts.rate,
    warmupSec: opts.warmupSec,
    durationSec: elapsed(),
    visitors: {
      started: visitors.stats.started,
      completed: visitors.stats.completed,
      failed: visitors.stats.failed.counts,
      failedSamples: visitors.stats.failed.samples,
      skipped: visitors.stats.skipped,
      byMode: visitors.stats.byMode,
      calls: visitors.stats.calls,
      crossCallsTolerated: visitors.stats.crossCallsTolerated.counts,
      publishes: visitors.stats.publishes,
      ownEvents: visitors.stats.ownEvents,
      bgEventsSeen: visitors.stats.bgEventsSeen,
      clientOddities: visitors.stats.oddities,
    },
    background: {
      echoCalls: bg.stats.echoCalls,
      echoFailures: bg.stats.echoFailures,
      echoP50Ms: round(percentile(lat, 50)),
      echoP99Ms: round(percentile(lat, 99)),
      echoMaxMs: round(lat.at(-1) ?? null),
      published: bg.stats.published,
      received: bg.stats.received,
      gaps: bg.stats.gaps,
      skippedTicks: bg.stats.skippedTicks,
      slowInvocations: bg.stats.slowInvocations,
      calleeDroppedMidCall: bg.stats.callback.counts,
    },
    leaks: leaks ?? null,
    routerLog: { ...logBalance, exact: logExact, unparsedLines: router.log.unparsed, warn: router.log.warn, error: router.log.error, lastProblems: router.log.lastProblems.slice(-3) },
    rss: {
      baselineMB: mb(baseline),
      finalMB: mb(final),
      deltaMB: baseline !== undefined && final !== undefined ? mb(final - baseline) : null,
      deltaPct: baseline !== undefined && final !== undefined ? Math.round(((final - baseline) / baseline) * 1000) / 10 : null,
      toleranceMB: mb(tolerance),
      tolerance20PctMB: baseline === undefined ? null : mb(0.2 * baseline),
      tolerance10MB: 10,
      maxMB: maxRss,
      withinTolerance: rssOk,
      samples: samples.filter((_, i) => i % stride === 0),
    },
    heap: opts.traceGc && runtime !== "bun" ? heapSummary(router.fullGcs, baselineAt, finalAt) : null,
    routerExitCode: exitCode,
  };
  process.stdout.write(JSON.stringify(summary) + "\n");
  return summary.ok ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    process.stderr.write(`soak: ${e instanceof Error ? e.stack ?? e.message : String(e)}\n`);
    process.exit(1);
  },
);
