/**
 * One test API for the three runtimes: test files call `test(name, fn)` and this module hands
 * the definition to the runtime's own runner (`Deno.test`, `bun:test`, `node:test`). Test code
 * may use Node-compatible APIs (`node:assert`, `node:net`, ...), which all three provide; the
 * core in `src/` may not.
 * @module
 */

export type TestFn = () => void | Promise<void>;
export interface TestOptions {
  /** Milliseconds before the runner fails the test; e2e tests set a generous one. */
  timeout?: number;
  /** Skip with a reason (shown by the runner). */
  skip?: string | false;
}

export type RuntimeName = "deno" | "bun" | "node";

// deno-lint-ignore no-explicit-any
const g = globalThis as any; // any: reads runtime globals that no single type set describes

export const runtime: RuntimeName = g.Deno ? "deno" : g.Bun ? "bun" : "node";

type Register = (name: string, fn: TestFn, opts: TestOptions) => void;

async function makeRegister(): Promise<Register> {
  if (runtime === "deno") {
    return (name, fn, opts) =>
      g.Deno.test({
        name,
        fn,
        ignore: Boolean(opts.skip),
        // e2e tests keep sockets and timers that the router owns past a single test body.
        sanitizeOps: false,
        sanitizeResources: false,
      });
  }
  if (runtime === "bun") {
    const bun = await import("bun:test" as string);
    return (name, fn, opts) => {
      if (opts.skip) bun.test.skip(name, fn);
      else bun.test(name, fn, opts.timeout ?? 20_000);
    };
  }
  const nodeTest = await import("node:test");
  return (name, fn, opts) => {
    nodeTest.test(name, { skip: opts.skip || false, timeout: opts.timeout ?? 20_000 }, fn);
  };
}

const register = await makeRegister();

export function test(name: string, fn: TestFn, opts: TestOptions = {}): void {
  register(name, fn, opts);
}
