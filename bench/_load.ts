/**
 * Load shapes for request/response benchmarks, independent of what carries the requests:
 * a closed loop (each caller keeps a fixed window of requests in flight) and an open loop at a
 * fixed offered rate. Both run a warm-up, then a measured window, then let what is in flight
 * finish; both stop by themselves (a guard timer fails a run that stalls).
 * @module
 */
import { Samples } from "./_stats.ts";

export interface Requester {
  /** Sends one request; `done` runs when its answer arrives. */
  request(done: () => void): void;
}

export interface Phases {
  warmupMs: number;
  measureMs: number;
  /** Where latency samples go (shared across windows to pool them); a fresh store otherwise. */
  samples?: Samples;
  /** Called when the measured window opens and closes (CPU meters). */
  onMeasureStart?(): void;
  onMeasureEnd?(): void;
}

export interface LoadResult {
  /** Answers received inside the measured window. */
  completed: number;
  perSecond: number;
  p50Ms: number;
  p99Ms: number;
}

export interface PacedResult extends LoadResult {
  /** Requests not sent because `maxOutstanding` were already in flight. */
  skipped: number;
}

const STALL_MS = 15_000;

/** Every requester keeps `inflight` requests outstanding until the measured window closes. */
export function closedLoop(requesters: readonly Requester[], inflight: number, phases: Phases): Promise<LoadResult> {
  const t0 = performance.now();
  const measureStart = t0 + phases.warmupMs;
  const end = measureStart + phases.measureMs;
  const samples = phases.samples ?? new Samples();
  let completed = 0;
  let outstanding = 0;
  return new Promise((resolve, reject) => {
    const timers = windowTimers(phases);
    const guard = setTimeout(() => {
      timers.clear();
      reject(new Error(`closed loop stalled with ${outstanding} requests outstanding`));
    }, phases.warmupMs + phases.measureMs + STALL_MS);
    const fire = (r: Requester): void => {
      const start = performance.now();
      outstanding++;
      r.request(() => {
        outstanding--;
        const t = performance.now();
        if (t >= measureStart && t <= end) {
          completed++;
          if (start >= measureStart) samples.add(t - start);
        }
        if (t < end) fire(r);
        else if (outstanding === 0) {
          clearTimeout(guard);
          timers.done();
          resolve(result(completed, phases.measureMs, samples));
        }
      });
    };
    for (const r of requesters) for (let i = 0; i < inflight; i++) fire(r);
  });
}

/**
 * Sends `ratePerS` requests a second, round-robin over the requesters, on a 1 ms tick. When
 * `maxOutstanding` requests are in flight the due ones are skipped (counted), not queued.
 */
export function paced(
  requesters: readonly Requester[],
  ratePerS: number,
  maxOutstanding: number,
  phases: Phases,
): Promise<PacedResult> {
  const t0 = performance.now();
  const measureStart = t0 + phases.warmupMs;
  const end = measureStart + phases.measureMs;
  const samples = phases.samples ?? new Samples();
  let issued = 0;
  let skipped = 0;
  let completed = 0;
  let outstanding = 0;
  let next = 0;
  return new Promise((resolve, reject) => {
    const timers = windowTimers(phases);
    let ticker: ReturnType<typeof setInterval> | undefined;
    const finish = () => {
      clearTimeout(guard);
      timers.done();
      resolve({ ...result(completed, phases.measureMs, samples), skipped });
    };
    const guard = setTimeout(() => {
      clearInterval(ticker);
      timers.clear();
      reject(new Error(`paced load stalled with ${outstanding} requests outstanding`));
    }, phases.warmupMs + phases.measureMs + STALL_MS);
    const fire = (r: Requester): void => {
      const start = performance.now();
      outstanding++;
      r.request(() => {
        outstanding--;
        const t = performance.now();
        if (t >= measureStart && t <= end) {
          completed++;
          if (start >= measureStart) samples.add(t - start);
        }
        if (t >= end && outstanding === 0 && ticker === undefined) finish();
      });
    };
    ticker = setInterval(() => {
      const now = performance.now();
      if (now >= end) {
        clearInterval(ticker);
        ticker = undefined;
        if (outstanding === 0) finish();
        return;
      }
      const due = Math.floor(((now - t0) * ratePerS) / 1000);
      for (; issued < due; issued++) {
        if (outstanding >= maxOutstanding) {
          if (now >= measureStart) skipped += due - issued;
          issued = due;
          break;
        }
        fire(requesters[next++ % requesters.length]!);
      }
    }, 1);
  });
}

/** Runs the window callbacks on time; `done` runs any that a timer has not run yet. */
function windowTimers(phases: Phases): { done(): void; clear(): void } {
  let started = false;
  let ended = false;
  const start = () => {
    if (started) return;
    started = true;
    phases.onMeasureStart?.();
  };
  const end = () => {
    start();
    if (ended) return;
    ended = true;
    phases.onMeasureEnd?.();
  };
  const a = setTimeout(start, phases.warmupMs);
  const b = setTimeout(end, phases.warmupMs + phases.measureMs);
  const clear = () => {
    clearTimeout(a);
    clearTimeout(b);
  };
  return {
    done() {
      clear();
      end();
    },
    clear,
  };
}

function result(completed: number, measureMs: number, samples: Samples): LoadResult {
  return {
    completed,
    perSecond: (completed * 1000) / measureMs,
    p50Ms: samples.quantile(0.5),
    p99Ms: samples.quantile(0.99),
  };
}
