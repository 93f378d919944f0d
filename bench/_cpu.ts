/**
 * CPU time of a process from /proc/<pid>/stat (Linux): user + system time, in seconds.
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

/**
 * CPU seconds `pid` (or "self") has used; NaN when /proc is not readable. Where the kernel
 * keeps per-thread scheduler statistics, the sum of /proc/<pid>/task/<tid>/schedstat (ns, all
 * live threads) is used: /proc/<pid>/stat counts in clock ticks (10 ms), too coarse for windows
 * of a second at a few percent of a core. Both count the same time (utime + stime is derived
 * from it), so the fallback only loses precision.
 */
export function cpuSeconds(pid: number | "self"): number {
  const precise = schedstatSeconds(pid);
  return Number.isNaN(precise) ? statSeconds(pid) : precise;
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

/** Sum of the first field (on-CPU ns) of every thread's schedstat, in seconds; NaN if unavailable. */
function schedstatSeconds(pid: number | "self"): number {
  let tids: string[];
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch {
    return Number.NaN;
  }
  let ns = 0;
  for (const tid of tids) {
    try {
      ns += Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, "utf8").split(" ")[0]);
    } catch {
      // A thread that ended between the listing and the read; its time is gone from both.
    }
  }
  return Number.isFinite(ns) && tids.length > 0 ? ns / 1e9 : Number.NaN;
}

/** Measures the CPU seconds `pid` spends between start() and stop(), and the wall time. */
export class CpuMeter {
  readonly #pid: number | "self";
  #cpu0 = 0;
  #t0 = 0;

  constructor(pid: number | "self") {
    this.#pid = pid;
  }

  start(): void {
    this.#cpu0 = cpuSeconds(this.#pid);
    this.#t0 = performance.now();
  }

  /** CPU seconds used since start(), and the share of one core (0..n). */
  stop(): { cpuSeconds: number; corePct: number } {
    const cpu = cpuSeconds(this.#pid) - this.#cpu0;
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
  #ours0 = 0;
  #t0 = 0;

  constructor(pids: readonly (number | "self")[]) {
    this.#pids = pids;
  }

  #ours(): number {
    let sum = 0;
    for (const p of this.#pids) sum += cpuSeconds(p);
    return sum;
  }

  start(): void {
    this.#busy0 = machineBusySeconds();
    this.#ours0 = this.#ours();
    this.#t0 = performance.now();
  }

  /** Others' CPU in seconds since start(), and as a share of one core. */
  stop(): { cpuSeconds: number; corePct: number } {
    const others = machineBusySeconds() - this.#busy0 - (this.#ours() - this.#ours0);
    const wall = (performance.now() - this.#t0) / 1000;
    return { cpuSeconds: Math.max(0, others), corePct: (100 * Math.max(0, others)) / wall };
  }
}
