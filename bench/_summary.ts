/**
 * The human-readable table printed after the JSON lines.
 * @module
 */
import type { Line } from "./_report.ts";

function num(v: unknown, unit = ""): string {
  if (typeof v !== "number") return "";
  return v.toLocaleString("en-US", { maximumSignificantDigits: 4 }) + unit;
}

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => (r[c] ?? "").length)));
  return rows.map((r) => r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join("  ")).join("\n");
}

/** scenario, throughput, p50, p99, router CPU per message, ratio vs relay; undefined: not shown. */
function e2eRow(l: Line): string[] | undefined {
  const ser = String(l.serializer);
  switch (l.bench) {
    case "relay":
      return [`relay ${ser} ${l.callers}x${l.inflight}`, num(l.round_trips_per_s, "/s"), num(l.p50_ms), num(l.p99_ms), "", ""];
    case "rpc":
      return [`rpc ${ser} ${l.callers}x${l.inflight}`, num(l.calls_per_s, "/s"), num(l.p50_ms), num(l.p99_ms), "", num(l.ratio_vs_relay)];
    case "rpc_cpu":
      return [
        `rpc ${ser} @${l.offered_calls_per_s}/s${l.call_bytes !== undefined ? ` ${l.call_bytes} B` : ""}`,
        num(l.achieved_calls_per_s, "/s"),
        num(l.p50_ms),
        num(l.p99_ms),
        // In parentheses: the minimal dealer's CPU per call over the relay's (the floor).
        num(l.router_cpu_us_per_call, ` us/call (floor ${num(l.floor_ratio_vs_relay)})`),
        num(l.ratio_vs_relay),
      ];
    case "pubsub":
      // In parentheses: CPU per event over the relay fan-out's.
      return [`pubsub ${ser} 1->${l.subscribers}`, num(l.events_per_s, " ev/s"), "", "", num(l.router_cpu_us_per_event, ` us/ev (${num(l.cpu_ratio_vs_relay)})`), num(l.ratio_vs_relay)];
    case "pubsub_latency":
      return [`pubsub ${ser} 1->${l.subscribers} @${l.publications_per_s}/s`, "", num(l.p50_ms), num(l.p99_ms), num(l.router_cpu_us_per_event, ` us/ev (${num(l.cpu_ratio_vs_relay)})`), ""];
    default:
      return undefined;
  }
}

const SESSION_BENCHES = new Set(["idle_memory_relay", "idle_memory", "relay_connect", "joins"]);

/** scenario, figure, p50, p99, server CPU per connection, ratio vs relay; undefined: not shown. */
function sessionRow(l: Line): string[] | undefined {
  switch (l.bench) {
    case "idle_memory_relay":
      return [`relay: ${num(l.connections)} idle connections`, num(l.bytes_per_idle_session, " B/conn"), "", "", "", ""];
    case "idle_memory":
      return [`router: ${num(l.sessions)} idle sessions`, num(l.bytes_per_idle_session, " B/session"), "", "", "", num(l.ratio_vs_relay)];
    case "relay_connect":
      return [`relay: connect + 2 echoes + close, ${l.concurrency} at once`, num(l.connects_per_s, "/s"), num(l.p50_ms), num(l.p99_ms), num(l.relay_cpu_us_per_connect, " us"), ""];
    case "joins":
      return [
        `router: connect + HELLO + GOODBYE + close, ${l.concurrency} at once`,
        num(l.joins_per_s, "/s"),
        num(l.p50_ms),
        num(l.p99_ms),
        num(l.router_cpu_us_per_join, ` us (${num(l.cpu_ratio_vs_relay)})`),
        num(l.ratio_vs_relay),
      ];
    default:
      return undefined;
  }
}

export function summary(lines: readonly Line[]): string {
  const out: string[] = [];
  const micro = lines.filter((l) => l.bench === "micro");
  if (micro.length > 0) {
    out.push(`Micro (${micro[0]!.runtime}), per operation; x baseline = ns / ns of JSON.parse(JSON.stringify(CALL))`);
    out.push(table([["task", "ns/op", "x baseline"], ...micro.map((l) => [String(l.task), num(l.ns_per_op), num(l.x_baseline)])]));
  }
  const e2e = lines.filter((l) => l.bench !== "micro" && !SESSION_BENCHES.has(l.bench));
  if (e2e.length > 0) {
    if (out.length > 0) out.push("");
    out.push(`End to end (${e2e[0]!.runtime}, loopback); vs relay = router / bare relay; others % = CPU other processes used (noise)`);
    const rows = [["scenario", "throughput", "p50 ms", "p99 ms", "router CPU", "vs relay", "others %"]];
    for (const l of e2e) {
      const row = e2eRow(l);
      if (row) rows.push([...row, num(l.others_cpu_pct)]);
    }
    out.push(table(rows));
  }
  const sessions = lines.filter((l) => SESSION_BENCHES.has(l.bench));
  if (sessions.length > 0) {
    if (out.length > 0) out.push("");
    out.push(`Sessions (${sessions[0]!.runtime}, loopback, JSON); memory is the server's RSS growth after GC; server CPU per connection (x relay)`);
    const rows = [["scenario", "figure", "p50 ms", "p99 ms", "server CPU", "vs relay", "others %"]];
    for (const l of sessions) {
      const row = sessionRow(l);
      if (row) rows.push([...row, num(l.others_cpu_pct)]);
    }
    out.push(table(rows));
  }
  return out.join("\n");
}
