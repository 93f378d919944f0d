import assert from "node:assert/strict";
import { test } from "../_support/harness.ts";
import { type CliArgs, parseArgs } from "../../src/cli/args.ts";
import { applyArgs } from "../../src/cli/overrides.ts";
import { usage } from "../../src/cli/usage.ts";
import { defaultConfig } from "../../src/config/schema.ts";

function ok(argv: string[]): CliArgs {
  const r = parseArgs(argv);
  if (!r.ok) assert.fail(`rejected ${argv.join(" ")}: ${r.error}`);
  return r.args;
}

function error(argv: string[]): string {
  const r = parseArgs(argv);
  if (r.ok) assert.fail(`accepted ${argv.join(" ")}`);
  return r.error;
}

test("cli args: none", () => {
  assert.deepEqual(ok([]), { help: false, version: false });
});

test("cli args: every flag, as two arguments and with =", () => {
  const expected: CliArgs = {
    help: false,
    version: false,
    configPath: "conf/junction.json",
    host: "0.0.0.0",
    port: 9000,
    rawSocketPort: 0,
    logFormat: "json",
    logLevel: "debug",
  };
  assert.deepEqual(
    ok(["--config", "conf/junction.json", "--host", "0.0.0.0", "--port", "9000", "--rawsocket-port", "0", "--log-format", "json", "--log-level", "debug"]),
    expected,
  );
  assert.deepEqual(
    ok(["--config=conf/junction.json", "--host=0.0.0.0", "--port=9000", "--rawsocket-port=0", "--log-format=json", "--log-level=debug"]),
    expected,
  );
});

test("cli args: help, version, --no-rawsocket; the last of a repeated flag wins", () => {
  assert.equal(ok(["--help"]).help, true);
  assert.equal(ok(["-h"]).help, true);
  assert.equal(ok(["--version"]).version, true);
  assert.equal(ok(["-v"]).version, true);
  assert.equal(ok(["--no-rawsocket"]).rawSocketPort, null);
  assert.equal(ok(["--port", "1", "--port", "2"]).port, 2);
  for (const level of ["debug", "info", "warn", "error"]) assert.equal(ok(["--log-level", level]).logLevel, level);
  assert.equal(ok(["--log-format", "text"]).logFormat, "text");
  assert.equal(ok(["--port", "65535"]).port, 65535);
});

test("cli args: unknown flags and stray arguments", () => {
  assert.equal(error(["--prot", "80"]), "Unknown flag: --prot");
  assert.equal(error(["-x"]), "Unknown flag: -x");
  assert.equal(error(["--port=1", "--verbose=yes"]), "Unknown flag: --verbose");
  assert.match(error(["serve"]), /^Unexpected argument: "serve"/);
});

test("cli args: bad values name the flag", () => {
  for (const bad of ["80a", "-1", "65536", "0x50", "1e3", " 80", ""]) {
    assert.match(error(["--port=" + bad]), /^(Invalid|Missing) value for --port: expected a port from 0 to 65535/, bad);
  }
  assert.equal(error(["--rawsocket-port", "abc"]), 'Invalid value for --rawsocket-port: expected a port from 0 to 65535, found "abc"');
  assert.equal(error(["--log-format", "xml"]), 'Invalid value for --log-format: expected one of text, json, found "xml"');
  assert.equal(error(["--log-level", "loud"]), 'Invalid value for --log-level: expected one of debug, info, warn, error, found "loud"');
  assert.equal(error(["--help=yes"]), 'Invalid value for --help: it takes no value, found "yes"');
  assert.equal(error(["--no-rawsocket=1"]), 'Invalid value for --no-rawsocket: it takes no value, found "1"');
});

test("cli args: a flag missing its value", () => {
  assert.equal(error(["--config"]), "Missing value for --config: expected a file path");
  assert.equal(error(["--config="]), "Missing value for --config: expected a file path");
  assert.equal(error(["--host", "--port", "1"]), "Missing value for --host: expected a host name or IP address");
  assert.equal(error(["--port"]), "Missing value for --port: expected a port from 0 to 65535");
  assert.equal(error(["--rawsocket-port"]), "Missing value for --rawsocket-port: expected a port from 0 to 65535");
  assert.equal(error(["--log-format"]), "Missing value for --log-format: expected one of text, json");
  assert.equal(error(["--log-level"]), "Missing value for --log-level: expected one of debug, info, warn, error");
});

test("cli args: --rawsocket-port and --no-rawsocket conflict", () => {
  assert.equal(error(["--rawsocket-port", "1", "--no-rawsocket"]), "Conflicting flags: --rawsocket-port and --no-rawsocket");
});

test("cli args: flags override the configuration", () => {
  const base = defaultConfig();
  base.transports.rawsocket.enabled = false;
  const cfg = applyArgs(base, ok(["--host", "::1", "--port", "0", "--rawsocket-port", "0", "--log-format", "json", "--log-level", "warn"]));
  assert.deepEqual(cfg.transports.websocket, { host: "::1", port: 0, path: "/ws", maxMessageSize: 16777216 });
  assert.deepEqual(cfg.transports.rawsocket, { enabled: true, host: "::1", port: 0, maxMessageSize: 16777216 });
  assert.deepEqual(cfg.log, { format: "json", level: "warn" });
  assert.equal(base.transports.websocket.host, "127.0.0.1", "the input is not changed");

  assert.equal(applyArgs(defaultConfig(), ok(["--no-rawsocket"])).transports.rawsocket.enabled, false);
  assert.deepEqual(applyArgs(defaultConfig(), ok([])), defaultConfig());
});

test("cli args: the usage text lists every flag", () => {
  const text = usage();
  for (const flag of ["--config", "--host", "--port", "--rawsocket-port", "--no-rawsocket", "--log-format", "--log-level", "--help", "--version"]) {
    assert.ok(text.includes(flag), flag);
  }
});
