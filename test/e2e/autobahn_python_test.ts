/**
 * Interop with autobahn-python (the reference WAMP client), end to end over loopback: a router
 * on the runtime's own adapter, and the asyncio client scripts of test/interop/python/ run as
 * child processes of Debian's /usr/bin/python3 (packages python3-autobahn 22.7.1,
 * python3-msgpack, python3-cbor2, python3-nacl, python3-argon2; .ci/run installs them). Each
 * script prints one JSON line per check; this file asserts that every check it expects was
 * printed and passed, and that the script exited 0.
 *
 * Matrix: WebSocket and RawSocket x json, msgpack and cbor, which is every serializer both
 * autobahn-python and the router speak (autobahn's ubjson and flatbuffers are not served). Per
 * cell: rpc.py, pubsub.py, meta.py and auth.py, in parallel against one router, then
 * shutdown.py, whose sessions the router's shutdown must close with GOODBYE.
 *
 * Secured realms are built the way src/security/ builds them for the CLI: a SecurityRegistry
 * seeds each realm's model (users, groups, grants, sources) from a configuration section through
 * a SecretDeriver, and gives the realm its Authenticator (src/auth/policy.ts over the model)
 * and Authorizer (the model). Two realms:
 * - "secure": secrets derived as the router derives configured passwords (PBKDF2 for ticket and
 *   WAMP-CRA, here with non-default iterations and key length that the client must take from
 *   the CHALLENGE; WAMP-SCRAM credentials with Argon2id, with cheap parameters, holding keys
 *   for the spec's dialect and for autobahn-python's, src/auth/derive.ts `convention: "both"`),
 *   so autobahn-python's AuthScram logs in as the router-derived user.
 * - "secure.crossbar": a WAMP-SCRAM user whose credential is derived only the way
 *   autobahn-python and Crossbar derive it (src/auth/derive.ts `convention: "autobahn"`), as
 *   for a user imported from Crossbar.
 * The failure throttle is lifted (every cell tries wrong secrets from 127.0.0.1, which the
 * default throttle would start delaying after five).
 *
 * autobahn-python 22.7.1 cannot open an asyncio RawSocket session at all (a client bug,
 * crossbario/autobahn-python#1592, fixed upstream after 22.7.1): common.py adds the missing
 * `transport_details` property on the client protocol when it is missing; nothing on the wire
 * changes.
 *
 * If /usr/bin/python3 cannot import the packages, every test here fails and says what to
 * install: the suite never skips them silently.
 * @module
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { runtime, test } from "../_support/harness.ts";
import { startServer, type TestServer } from "../_support/server.ts";
import { deriveSecret, scramCredential, type ScramConvention } from "../../src/auth/derive.ts";
import { realmAuthenticator } from "../../src/auth/policy.ts";
import { FailureThrottle } from "../../src/auth/throttle.ts";
import { systemClock } from "../../src/platform/clock.ts";
import { nullLogger } from "../../src/platform/logger.ts";
import { webRandom } from "../../src/platform/random.ts";
import { MemoryStorage } from "../../src/platform/storage.ts";
import type { RealmOptions } from "../../src/router/options.ts";
import { SecurityRegistry } from "../../src/security/registry.ts";
import type { SecretDeriver } from "../../src/security/secrets.ts";
import type { SecuritySection } from "../../src/security/seed.ts";

const PYTHON = "/usr/bin/python3";
const SCRIPTS = fileURLToPath(new URL("../interop/python/", import.meta.url));
const DEBIAN_PACKAGES = "python3-autobahn python3-msgpack python3-cbor2 python3-nacl python3-argon2";
const INSTALL_HINT = `install the Debian packages (as root): apt-get update && ` +
  `apt-get install -y --no-install-recommends ${DEBIAN_PACKAGES}`;

const T = { timeout: 60_000 };
/** A script that has not exited by then is killed and its cell fails. */
const SCRIPT_TIMEOUT_MS = 30_000;

const REALM_OPEN = "realm1";
const REALM_META = "interop.meta";
const REALM_SECURE = "secure";
const REALM_CROSSBAR = "secure.crossbar";

// --- the secured realms (users as test/interop/python/auth.py expects them) ---

const CRYPTOSIGN_PUBKEY = "1adfc8bfe1d35616e64dffbd900096f23b066f914c8c2ffbb66f6075b96e116d";
const GRANTS: SecuritySection["grants"] = [
  { roles: ["app"], actions: ["call", "register", "subscribe", "publish"], uri: "com.secure.", match: "prefix" },
];
const SOURCES: SecuritySection["sources"] = [{ cidr: "127.0.0.0/8", authmethods: ["ticket", "wampcra", "cryptosign", "wamp-scram"] }];

const SECURE: SecuritySection = {
  users: [
    { authid: "alice", password: "alice-ticket", authmethods: ["ticket"], groups: ["app"] },
    { authid: "carol", password: "carol-cra-secret", authmethods: ["wampcra"], groups: ["app"] },
    { authid: "dave", cryptosignKeys: [CRYPTOSIGN_PUBKEY], groups: ["device"] },
    { authid: "sam", password: "sam-scram-p\u00e4ss", authmethods: ["wamp-scram"], groups: ["app"] },
  ],
  groups: [{ name: "app" }, { name: "device" }],
  grants: GRANTS,
  sources: SOURCES,
};

/** The same WAMP-SCRAM user, in a realm whose deriver follows autobahn-python's convention. */
const CROSSBAR: SecuritySection = {
  users: [{ authid: "sam", password: "sam-scram-p\u00e4ss", authmethods: ["wamp-scram"], groups: ["app"] }],
  groups: [{ name: "app" }],
  grants: GRANTS,
  sources: SOURCES,
};

/** As src/security/defaults.ts defaultDeriver ("both"), with cheaper and non-default parameters. */
function deriver(convention: ScramConvention): SecretDeriver {
  return {
    derive: (secret) => deriveSecret(secret, { iterations: 1500, keylen: 24 }),
    scram: (password) => scramCredential(password, "argon2id13", { iterations: 2, memory: 1024, convention }),
  };
}

async function securedRealm(name: string, section: SecuritySection, convention: ScramConvention): Promise<RealmOptions> {
  const registry = new SecurityRegistry({
    storage: new MemoryStorage(),
    deriver: deriver(convention),
    authenticatorFor: (store) =>
      realmAuthenticator(store, {
        random: webRandom,
        clock: systemClock,
        throttle: new FailureThrottle(systemClock, { maxFailures: Infinity, refuseAfter: Infinity }),
      }),
    logger: nullLogger,
  });
  await registry.configureSecured(name, section);
  return { name, ...registry.optionsFor(name)! };
}

/** Runs `fn` against a fresh router; `stop` (idempotent) stops it, as the end does anyway. */
async function withRouter(fn: (s: TestServer, stop: () => Promise<void>) => Promise<void>): Promise<void> {
  const realms = [
    { name: REALM_OPEN },
    { name: REALM_META },
    await securedRealm(REALM_SECURE, SECURE, "both"),
    await securedRealm(REALM_CROSSBAR, CROSSBAR, "autobahn"),
  ];
  const s = await startServer({ realms });
  let stopped: Promise<void> | undefined;
  const stop = () => (stopped ??= s.stop());
  try {
    await fn(s, stop);
  } finally {
    await stop();
  }
}

// --- running the scripts ---

interface CheckLine {
  scenario: string;
  check: string;
  ok: boolean;
  [key: string]: unknown;
}

interface ScriptRun {
  readonly command: string;
  readonly code: number | null;
  readonly lines: CheckLine[];
  /** stdout lines that are not check lines. */
  readonly other: string[];
  readonly stderr: string;
  readonly error?: string;
}

/** Runs a script to its end; `onCheck` sees each check line as it is printed. */
function runPython(args: string[], timeoutMs = SCRIPT_TIMEOUT_MS, onCheck?: (line: CheckLine) => void): Promise<ScriptRun> {
  const command = `${PYTHON} ${args.join(" ")}`;
  return new Promise((resolve) => {
    let stdout = "";
    let stderr = "";
    let error: string | undefined;
    const child = spawn(PYTHON, ["-B", ...args], {
      cwd: SCRIPTS,
      stdio: ["ignore", "pipe", "pipe"],
      env: { PATH: "/usr/bin:/bin", LANG: "C.UTF-8", PYTHONDONTWRITEBYTECODE: "1", PYTHONIOENCODING: "utf-8" },
    });
    const timer = setTimeout(() => {
      error = `killed after ${timeoutMs} ms`;
      child.kill("SIGKILL");
    }, timeoutMs);
    let partial = "";
    child.stdout!.setEncoding("utf8").on("data", (d: string) => {
      stdout += d;
      if (!onCheck) return;
      const parts = (partial + d).split("\n");
      partial = parts.pop()!;
      for (const l of parts) {
        const v = parseCheck(l);
        if (v) onCheck(v);
      }
    });
    child.stderr!.setEncoding("utf8").on("data", (d: string) => (stderr += d));
    let done = false;
    const finish = (code: number | null) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      const lines: CheckLine[] = [];
      const other: string[] = [];
      for (const l of stdout.split("\n")) {
        if (l.trim() === "") continue;
        const v = parseCheck(l);
        if (v) lines.push(v);
        else other.push(l);
      }
      resolve({ command, code, lines, other, stderr, ...(error ? { error } : {}) });
    };
    // A process that cannot start emits "error" (and, depending on the runtime, no "close").
    child.on("error", (e) => {
      error = e.message;
      if (child.pid === undefined) finish(null);
    });
    child.on("close", (code) => finish(code));
  });
}

function parseCheck(line: string): CheckLine | undefined {
  try {
    const v = JSON.parse(line);
    return v && typeof v.check === "string" && typeof v.ok === "boolean" ? v : undefined;
  } catch {
    return undefined;
  }
}

let pythonChecked: Promise<string | undefined> | undefined;

/** Why autobahn-python cannot run here, or undefined when it can. */
function pythonProblem(): Promise<string | undefined> {
  pythonChecked ??= (async () => {
    const probe = [
      "import autobahn, msgpack, cbor2, nacl, argon2",
      "from autobahn.wamp import serializer as s",
      "from autobahn.wamp import auth",
      "assert hasattr(s, 'MsgPackSerializer') and hasattr(s, 'CBORSerializer'), 'autobahn lacks its msgpack/cbor serializers'",
      "assert auth.HAS_ARGON, 'autobahn lacks AuthScram (argon2/passlib)'",
      "print(autobahn.__version__)",
    ].join("\n");
    const r = await runPython(["-c", probe], 15_000);
    if (r.code === 0) return undefined;
    const why = [r.error ?? `exit ${r.code}`, r.stderr.trim().split("\n").slice(-1)[0]].filter(Boolean).join(": ");
    return `${PYTHON} cannot run the autobahn-python interop tests (${why}); ${INSTALL_HINT}`;
  })();
  return pythonChecked;
}

async function requirePython(): Promise<void> {
  const problem = await pythonProblem();
  if (problem) assert.fail(problem);
}

// --- the matrix ---

type TransportName = "websocket" | "rawsocket";
type SerializerName = "json" | "msgpack" | "cbor";

const TRANSPORTS: readonly TransportName[] = ["websocket", "rawsocket"];
const SERIALIZERS: readonly SerializerName[] = ["json", "msgpack", "cbor"];

/** Every check each script must print, per scenario, and pass. */
const EXPECTED: Record<string, Record<string, string[]>> = {
  "rpc.py": {
    call_args: ["plain return", "CallResult", "args", "kwargs", "kwargs only", "no arguments"],
    binary: ["callee got bytes", "arg 0 (every byte value)", "arg 1 (10001 bytes)", "kwarg blob", "callee's own bytes", "empty bytes",
      "1 MiB + 1 byte (64-bit WebSocket lengths, large RawSocket frames)",
      "across serializers: callee got bytes", "across serializers: bytes back"],
    callee_error: ["error uri", "error args", "error kwargs", "runtime error uri"],
    procedure_already_exists: ["refused (other session)", "refused (same session)", "first registration still serves", "free again after unregister"],
    no_such_procedure: ["never registered", "registered", "after unregister"],
    progressive: ["progressive results in order", "final result", "without on_progress: final result only", "callee saw details.progress only when asked"],
    cancel: ["callee interrupted", "caller's request answered", "caller still works", "callee still attached"],
    call_timeout: ["caller gets wamp.error.timeout", "after about the timeout", "callee interrupted"],
    shared_registration: ["roundrobin takes turns", "other policy refused"],
    pattern_registration: ["prefix", "wildcard", "exact wins over prefix", "wildcard matches one component only"],
  },
  "pubsub.py": {
    exclude_me: ["publisher gets only exclude_me=false", "other subscriber gets both"],
    acknowledge: [
      "Publication with an id",
      "EVENT carries the same publication id",
      "acknowledged with no subscribers",
      "unacknowledged publish resolves to None",
      "refused publish rejects",
    ],
    payload: ["args", "kwargs", "empty event"],
    pattern_subscription: ["events by subscription"],
    exclude_eligible: ["subscriber 0", "subscriber 1", "subscriber 2"],
    retain: ["retained event", "only the last one", "not without get_retained"],
    unsubscribe: ["no event after unsubscribe"],
  },
  "meta.py": {
    session_meta: [
      "count",
      "count filter_authroles [anonymous]",
      "count filter_authroles [nobody]",
      "list",
      "get",
      "get: transport",
      "get unknown session",
    ],
    session_events: ["on_join details", "on_leave [session, authid, authrole]"],
    session_kill: ["victim's leave reason", "count after kill"],
  },
  "auth.py": {
    ticket: ["joins", "granted: register and call com.secure.*", "not granted: register com.other.proc", "wrong ticket"],
    wampcra: ["joins", "wrong secret", "unknown authid"],
    cryptosign: ["joins", "autobahn announced the expected public key", "unknown key"],
    scram: ["joins (server signature verified by autobahn)", "WELCOME authextra has scram_server_signature", "wrong password", "unknown authid (mock challenge)"],
    scram_router_derived: ["joins (server signature verified by autobahn)", "wrong password"],
    anonymous: ["refused"],
  },
  "shutdown.py": {
    router_shutdown: ["joined", "leave reasons"],
  },
};

/** Run together against one router; shutdown.py runs after them, and stops the router. */
const PARALLEL_SCRIPTS = ["rpc.py", "pubsub.py", "meta.py", "auth.py"];

function scriptArgs(s: TestServer, script: string, transport: TransportName, serializer: SerializerName): string[] {
  const url = transport === "websocket" ? s.url : `rs://127.0.0.1:${s.rawSocketPort}`;
  const realm = script === "auth.py" ? REALM_SECURE : script === "meta.py" ? REALM_META : REALM_OPEN;
  const extra = script === "auth.py" ? ["--crossbar-realm", REALM_CROSSBAR] : [];
  return [script, "--transport", transport, "--url", url, "--serializer", serializer, "--realm", realm, ...extra, "all"];
}

/** Every problem with a script's run: failed, missing or unexpected checks, a bad exit. */
function problemsOf(script: string, run: ScriptRun): string[] {
  const out: string[] = [];
  const expected = EXPECTED[script]!;
  const seen = new Set<string>();
  for (const l of run.lines) {
    const key = `${l.scenario} / ${l.check}`;
    seen.add(key);
    if (!l.ok) out.push(`FAILED ${key}: ${JSON.stringify(l)}`);
    else if (!expected[l.scenario]?.includes(l.check)) out.push(`unexpected check ${key}: ${JSON.stringify(l)}`);
  }
  for (const [scenario, checks] of Object.entries(expected)) {
    for (const c of checks) if (!seen.has(`${scenario} / ${c}`)) out.push(`missing check ${scenario} / ${c}`);
  }
  if (run.code !== 0) out.push(`exit code ${run.code}${run.error ? ` (${run.error})` : ""}`);
  if (out.length > 0) {
    out.push(`  command: ${run.command}`);
    if (run.other.length > 0) out.push(`  other stdout: ${run.other.join("\n").slice(0, 2000)}`);
    if (run.stderr.trim()) out.push(`  stderr (tail): ${run.stderr.trim().slice(-3000)}`);
  }
  return out;
}

test(`autobahn-python (${runtime}): ${PYTHON} can import autobahn with msgpack, cbor2, nacl and argon2`, async () => {
  await requirePython();
}, T);

for (const transport of TRANSPORTS) {
  for (const serializer of SERIALIZERS) {
    test(`autobahn-python ${transport}/${serializer} (${runtime}): RPC, Pub/Sub, session meta, authentication, shutdown`, async () => {
      await requirePython();
      await withRouter(async (s, stop) => {
        const scripts = PARALLEL_SCRIPTS;
        const runs = await Promise.all(scripts.map((script) => runPython(scriptArgs(s, script, transport, serializer))));
        const problems = scripts.flatMap((script, i) => problemsOf(script, runs[i]!).map((p) => `${script}: ${p}`));

        // Router shutdown: once both sessions of shutdown.py joined, stop the router.
        let joined!: () => void;
        const ready = new Promise<void>((resolve) => (joined = resolve));
        const shutdown = runPython(scriptArgs(s, "shutdown.py", transport, serializer), SCRIPT_TIMEOUT_MS, (l) => {
          if (l.check === "joined") joined();
        });
        await Promise.race([ready, shutdown]);
        await stop();
        problems.push(...problemsOf("shutdown.py", await shutdown).map((p) => `shutdown.py: ${p}`));

        if (problems.length > 0) assert.fail(`autobahn-python ${transport}/${serializer}:\n${problems.join("\n")}`);
      });
    }, T);
  }
}
