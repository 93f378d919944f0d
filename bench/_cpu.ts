/**
 * CPU time of a process from /proc (Linux): user + system time, in seconds.
 * @module
 */
import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";

let ticksPerSecond: number | undefined;

/** `getconf CLK_TCK` (the unit of /proc times), 100 when it cannot be asked. */
export function clockTicks(): number {
  if (ticksPerSecond === undefined) {
    try {
      const n = Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim());
      ticksPerSecond = Number.isInteger(n) && n > 0 ? n : 100;
    } catch {
      ticksPerSecond = 100;
    }
  }
  return ticksPerSecond;
}

/** utime + stime from /proc/<pid>/stat, in seconds (CLK_TCK ticks); NaN without /proc. */
export function statSeconds(pid: number | "self"): number {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, "utf8");
  } catch {
    return Number.NaN;
  }
  // The command name (field 2) is in parentheses and may hold spaces: count after the last ")".
  const fields = text.slice(text.lastIndexOf(")") + 2).split(" ");
  // fields[0] is field 3 (state); utime is field 14, stime field 15.
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  return (utime + stime) / clockTicks();
}

/**
 * One reading of a process's CPU time: /proc/<pid>/stat (clock ticks, 10 ms: too coarse for
 * windows of a second at a few percent of a core) and, where the kernel keeps per-thread
 * scheduler statistics, each live thread's on-CPU time from /proc/<pid>/task/<tid>/schedstat
 * (ns). The stat figure also counts threads that have exited; the thread figures do not.
 */
export interface CpuReading {
  readonly statSeconds: number;
  /** Seconds per thread id; undefined where schedstat is not available. */
  readonly threads: ReadonlyMap<string, number> | undefined;
}

export function cpuReading(pid: number | "self"): CpuReading {
  const stat = statSeconds(pid);
  let tids: string[];
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch {
    return { statSeconds: stat, threads: undefined };
  }
  const threads = new Map<string, number>();
  for (const tid of tids) {
    try {
      const ns = Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, "utf8").split(" ")[0]);
      if (!Number.isFinite(ns)) return { statSeconds: stat, threads: undefined };
      threads.set(tid, ns / 1e9);
    } catch {
      // A thread that ended between the listing and the read: cpuSecondsBetween notices it.
    }
  }
  return { statSeconds: stat, threads: threads.size > 0 ? threads : undefined };
}

/**
 * CPU seconds used between two readings. Precise (the threads' schedstat) when every thread of
 * the first reading is still there in the second; threads started in between count from zero.
 * When a thread ended in between its last part is lost from schedstat (a runtime may stop a
 * helper thread at any time, and summing live threads then goes backwards), so the coarse but
 * complete stat figure is used for that window.
 */
export function cpuSecondsBetween(a: CpuReading, b: CpuReading): number {
  if (a.threads === undefined || b.threads === undefined) return b.statSeconds - a.statSeconds;
  let used = 0;
  for (const [tid, s] of a.threads) {
    const later = b.threads.get(tid);
    if (later === undefined) return b.statSeconds - a.statSeconds;
    used += later - s;
  }
  for (const [tid, s] of b.threads) if (!a.threads.has(tid)) used += s;
  return used;
}

/** Measures the CPU seconds `pid` spends between start() and stop(), and the wall time. */
export class CpuMeter {
  readonly #pid: number | "self";
  #cpu0: CpuReading = { statSeconds: 0, threads: undefined };
  #t0 = 0;

  constructor(pid: number | "self") {
    this.#pid = pid;
  }

  start(): void {
    this.#cpu0 = cpuReading(this.#pid);
    this.#t0 = performance.now();
  }

  /** CPU seconds used since start(), and the share of one core (0..n). */
  stop(): { cpuSeconds: number; corePct: number } {
    const cpu = cpuSecondsBetween(this.#cpu0, cpuReading(this.#pid));
    const wall = (performance.now() - this.#t0) / 1000;
    return { cpuSeconds: cpu, corePct: (100 * cpu) / wall };
  }
}

/**
 * CPU seconds all processes have used, from the first line of /proc/stat: user, nice, system
 * and steal (time the hypervisor gave to other guests). Interrupt time is left out: on loopback
 * most of it is this benchmark's own network traffic. NaN without /proc.
 */
export function machineBusySeconds(): number {
  let text: string;
  try {
    text = readFileSync("/proc/stat", "utf8");
  } catch {
    return Number.NaN;
  }
  // cpu  user nice system idle iowait irq softirq steal guest guest_nice (guest time is in user)
  const f = text.slice(0, text.indexOf("\n")).trim().split(/\s+/).slice(1).map(Number);
  const busy = f[0]! + f[1]! + f[2]! + f[7]!;
  return busy / clockTicks();
}

/**
 * CPU that other processes on the machine used while a benchmark ran (everything but the listed
 * pids): the noise figure that says how far absolute numbers can be trusted.
 */
export class NoiseMeter {
  readonly #pids: readonly (number | "self")[];
  #busy0 = 0;
  #ours0: CpuReading[] = [];
  #t0 = 0;

  constructor(pids: readonly (number | "self")[]) {
    this.#pids = pids;
  }

  start(): void {
    this.#busy0 = machineBusySeconds();
    this.#ours0 = this.#pids.map(cpuReading);
    this.#t0 = performance.now();
  }

  /** Others' CPU in seconds since start(), and as a share of one core. */
  stop(): { cpuSeconds: number; corePct: number } {
    let ours = 0;
    this.#pids.forEach((p, i) => (ours += cpuSecondsBetween(this.#ours0[i]!, cpuReading(p))));
    const others = machineBusySeconds() - this.#busy0 - ours;
    const wall = (performance.now() - this.#t0) / 1000;
    return { cpuSeconds: Math.max(0, others), corePct: (100 * Math.max(0, others)) / wall };
  }
}
