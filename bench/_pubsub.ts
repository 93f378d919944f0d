/**
 * Pub/Sub load through the router (one publisher, N subscribers on one topic), or through the
 * bare relay's fan-out (bench/relay_server.ts) as its baseline.
 * - `windowed`: as fast as the slowest subscriber allows (the publisher stays at most `window`
 *   events ahead of it, so nothing queues without bound); gives delivered events/s.
 * - `fixedRate`: a steady publication rate with the send time in the payload; gives latency.
 * @module
 */
import type { Serializer } from "../src/serializer/types.ts";
import type { Phases } from "./_load.ts";
import { Samples } from "./_stats.ts";
import { RelayFanOut } from "./_relay_client.ts";
import { WampClient } from "./_ws_client.ts";

const TOPIC = "com.example.tick";
const DRAIN_MS = 5_000;

export interface PubSubRig {
  readonly subscribers: number;
  /** Runs `windowed` and `fixedRate` on the same sessions. */
  windowed(window: number, phases: Phases): Promise<{ eventsPerS: number; publicationsPerS: number }>;
  fixedRate(ratePerS: number, phases: Phases): Promise<{ p50Ms: number; p99Ms: number; delivered: number; expected: number }>;
  close(): Promise<void>;
}

/** What a rig drives: publications in, `deliver(i, args)` per event at subscriber `i`. */
interface PubSubEnds {
  publish(args: unknown[]): void;
  close(): Promise<void>;
}

type Deliver = (i: number, args: unknown[]) => void;

export function pubSubRig(url: string, ser: Serializer, subscribers: number): Promise<PubSubRig> {
  return rigOver(subscribers, async (deliver) => {
    const publisher = await WampClient.connect(url, ser);
    const subs = await Promise.all(Array.from({ length: subscribers }, () => WampClient.connect(url, ser)));
    await Promise.all(subs.map((s, i) => s.subscribe(TOPIC, (args) => deliver(i, args))));
    return {
      publish: (args) => publisher.publish(TOPIC, args),
      close: async () => void (await Promise.all([publisher, ...subs].map((c) => c.close()))),
    };
  });
}

/** The same load through the bare relay's fan-out. */
export function relayPubSubRig(url: string, ser: Serializer, subscribers: number): Promise<PubSubRig> {
  return rigOver(subscribers, async (deliver) => {
    const fanOut = await RelayFanOut.connect(url, ser, subscribers, deliver);
    return { publish: (args) => fanOut.publish(TOPIC, args), close: () => fanOut.close() };
  });
}

async function rigOver(subscribers: number, connect: (deliver: Deliver) => Promise<PubSubEnds>): Promise<PubSubRig> {
  const received = new Array<number>(subscribers).fill(0);
  let onEvent: Deliver = () => {};
  const ends = await connect((i, args) => {
    received[i]!++;
    onEvent(i, args);
  });
  const total = () => received.reduce((a, b) => a + b, 0);
  const slowest = () => Math.min(...received);
  const reset = () => received.fill(0);

  /** Resolves once every subscriber has every publication, or after DRAIN_MS. */
  const drained = (published: number) =>
    new Promise<void>((resolve) => {
      const deadline = performance.now() + DRAIN_MS;
      const poll = setInterval(() => {
        if (slowest() >= published || performance.now() > deadline) {
          clearInterval(poll);
          resolve();
        }
      }, 5);
    });

  return {
    subscribers,

    async windowed(window, phases) {
      reset();
      let published = 0;
      let delivered0 = 0;
      let published0 = 0;
      let delivered = 0;
      let pubs = 0;
      let open = true;
      const pump = () => {
        while (open && published - slowest() < window) ends.publish([published++]);
      };
      onEvent = pump;
      const start = setTimeout(() => {
        delivered0 = total();
        published0 = published;
        phases.onMeasureStart?.();
      }, phases.warmupMs);
      const ended = new Promise<void>((resolve) =>
        setTimeout(() => {
          open = false;
          delivered = total() - delivered0;
          pubs = published - published0;
          phases.onMeasureEnd?.();
          resolve();
        }, phases.warmupMs + phases.measureMs)
      );
      pump();
      await ended;
      clearTimeout(start);
      await drained(published);
      onEvent = () => {};
      const s = phases.measureMs / 1000;
      return { eventsPerS: delivered / s, publicationsPerS: pubs / s };
    },

    async fixedRate(ratePerS, phases) {
      reset();
      const t0 = performance.now();
      const measureStart = t0 + phases.warmupMs;
      const end = measureStart + phases.measureMs;
      const samples = new Samples();
      let published = 0;
      let measuredPubs = 0;
      onEvent = (_i, args) => {
        const sent = args[0] as number;
        if (sent >= measureStart && sent < end) samples.add(performance.now() - sent);
      };
      let measuring = false;
      await new Promise<void>((resolve) => {
        const ticker = setInterval(() => {
          const now = performance.now();
          if (now >= end) {
            clearInterval(ticker);
            phases.onMeasureEnd?.();
            resolve();
            return;
          }
          if (!measuring && now >= measureStart) {
            measuring = true;
            phases.onMeasureStart?.();
          }
          const due = Math.floor(((now - t0) * ratePerS) / 1000);
          for (; published < due; published++) {
            const t = performance.now();
            if (t >= measureStart) measuredPubs++;
            ends.publish([t]);
          }
        }, 1);
      });
      await drained(published);
      onEvent = () => {};
      return {
        p50Ms: samples.quantile(0.5),
        p99Ms: samples.quantile(0.99),
        delivered: samples.count,
        expected: measuredPubs * subscribers,
      };
    },

    close: () => ends.close(),
  };
}
