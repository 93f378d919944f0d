/**
 * Catches what escapes asynchronously while a fuzzed router runs (an exception thrown in a
 * `queueMicrotask` callback, a rejected promise nobody handles), so it fails the property that
 * caused it. `queueMicrotask` is wrapped while the trap is set, which attributes microtask
 * exceptions exactly; rejections come from the runtime's hooks (`process` events on Node and
 * Bun, global `unhandledrejection` on Deno). Node's and Bun's test runners see rejections too
 * and fail the test on their own, only without the counterexample.
 * @module
 */
import process from "node:process";

export interface EscapeTrap {
  /** What escaped since the trap was set (or last drained). */
  drain(): unknown[];
  dispose(): void;
}

interface DenoLike {
  readonly Deno?: unknown;
  addEventListener(type: string, fn: (ev: Event) => void): void;
  removeEventListener(type: string, fn: (ev: Event) => void): void;
}

export function trapEscapes(): EscapeTrap {
  const caught: unknown[] = [];
  const original = globalThis.queueMicrotask;
  globalThis.queueMicrotask = (fn: () => void) =>
    original(() => {
      try {
        fn();
      } catch (e) {
        caught.push(e);
      }
    });
  const restore = () => {
    globalThis.queueMicrotask = original;
  };
  const g = globalThis as unknown as DenoLike;
  if (g.Deno) {
    const onError = (ev: Event) => {
      ev.preventDefault();
      caught.push((ev as ErrorEvent).error);
    };
    const onRejection = (ev: Event) => {
      ev.preventDefault();
      caught.push((ev as PromiseRejectionEvent).reason);
    };
    g.addEventListener("error", onError);
    g.addEventListener("unhandledrejection", onRejection);
    return {
      drain: () => caught.splice(0),
      dispose() {
        restore();
        g.removeEventListener("error", onError);
        g.removeEventListener("unhandledrejection", onRejection);
      },
    };
  }
  const onError = (e: unknown) => void caught.push(e);
  process.on("uncaughtException", onError);
  process.on("unhandledRejection", onError);
  return {
    drain: () => caught.splice(0),
    dispose() {
      restore();
      process.off("uncaughtException", onError);
      process.off("unhandledRejection", onError);
    },
  };
}

/** Lets queued microtasks (and the promise chains they start) run. */
export async function flushMicrotasks(turns = 8): Promise<void> {
  for (let i = 0; i < turns; i++) await Promise.resolve();
}
