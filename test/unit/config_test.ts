import assert from "node:assert/strict";
import { test } from "../_support/harness.ts";
import { ConfigError } from "../../src/config/config_error.ts";
import { parseConfig, toRouterOptions, toServeOptions } from "../../src/config/load.ts";
import { defaultConfig } from "../../src/config/schema.ts";

/** The problems `text` is rejected with; fails when it is accepted. */
function problems(text: string): readonly string[] {
  try {
    parseConfig(text, "config.json");
  } catch (err) {
    assert.ok(err instanceof ConfigError, `expected a ConfigError, got ${String(err)}`);
    assert.equal(err.message, err.problems.join("\n"));
    return err.problems;
  }
  assert.fail(`accepted: ${text}`);
}

function onlyProblem(text: string): string {
  const found = problems(text);
  assert.equal(found.length, 1, found.join("\n"));
  return found[0]!;
}

test("config: the embedded defaults", () => {
  const d = defaultConfig();
  assert.deepEqual(d.realms, [{ name: "realm1", uriCheck: "loose", strictRequestIds: false }]);
  assert.equal(d.autoCreateRealms, false);
  assert.equal(d.helloTimeoutMs, 10_000);
  assert.deepEqual(d.transports.websocket, { host: "127.0.0.1", port: 8080, path: "/ws", maxMessageSize: 16777216 });
  assert.deepEqual(d.transports.rawsocket, { enabled: true, host: "127.0.0.1", port: 8081, maxMessageSize: 16777216 });
  assert.deepEqual(d.log, { format: "text", level: "info" });
});

test("config: an empty object means the defaults, and defaults are fresh copies", () => {
  assert.deepEqual(parseConfig("{}", "config.json"), defaultConfig());
  defaultConfig().realms.push({ name: "x", uriCheck: "loose", strictRequestIds: false });
  assert.equal(defaultConfig().realms.length, 1);
});

test("config: missing keys take defaults key by key", () => {
  const cfg = parseConfig(
    '\uFEFF{"realms": [{"name": "com.example", "uriCheck": "strict"}], "transports": {"websocket": {"port": 9000}}}',
    "config.json",
  );
  assert.deepEqual(cfg.realms, [{ name: "com.example", uriCheck: "strict", strictRequestIds: false }]);
  assert.deepEqual(cfg.transports.websocket, { host: "127.0.0.1", port: 9000, path: "/ws", maxMessageSize: 16777216 });
  assert.equal(cfg.transports.rawsocket.port, 8081);
  assert.equal(cfg.log.level, "info");
});

test("config: a valid full file is taken as written", () => {
  const file = {
    realms: [
      { name: "realm1", uriCheck: "loose", strictRequestIds: false },
      { name: "com.example.app", uriCheck: "strict", strictRequestIds: true },
    ],
    autoCreateRealms: true,
    helloTimeoutMs: 2500,
    transports: {
      websocket: { host: "0.0.0.0", port: 80, path: "/wamp", maxMessageSize: 1048576 },
      rawsocket: { enabled: false, host: "::1", port: 0, maxMessageSize: 65536 },
    },
    log: { format: "json", level: "debug" },
  };
  assert.deepEqual(parseConfig(JSON.stringify(file, null, 2), "config.json"), file);
});

test("config: an unknown key is named with its path, with a hint for a typo", () => {
  assert.equal(
    onlyProblem('{"transports": {"websocket": {"prot": 80}}}'),
    'config.json: transports.websocket.prot: unknown key (did you mean "port"?)',
  );
  assert.equal(onlyProblem('{"colour": "blue"}'), "config.json: colour: unknown key");
  assert.equal(onlyProblem('{"realms": [{"name": "a", "extra": 1}]}'), "config.json: realms[0].extra: unknown key");
});

test("config: a wrong type names the key, what was expected and what was found", () => {
  assert.equal(
    onlyProblem('{"transports": {"websocket": {"port": "80a"}}}'),
    'config.json: transports.websocket.port: expected an integer from 0 to 65535, found "80a"',
  );
  assert.equal(
    onlyProblem('{"autoCreateRealms": "yes"}'),
    'config.json: autoCreateRealms: expected true or false, found "yes"',
  );
  assert.equal(onlyProblem('{"realms": {}}'), "config.json: realms: expected a list of realm objects, found an object");
  assert.equal(onlyProblem("[1, 2]"), "config.json: expected a JSON object, found a list");
  assert.equal(
    onlyProblem('{"transports": {"websocket": {"path": "ws"}}}'),
    'config.json: transports.websocket.path: expected a URL path starting with "/", found "ws"',
  );
});

test("config: out-of-range numbers", () => {
  assert.equal(
    onlyProblem('{"transports": {"rawsocket": {"port": 65536}}}'),
    "config.json: transports.rawsocket.port: expected an integer from 0 to 65535, found 65536",
  );
  assert.equal(
    onlyProblem('{"transports": {"websocket": {"port": -1}}}'),
    "config.json: transports.websocket.port: expected an integer from 0 to 65535, found -1",
  );
  assert.equal(
    onlyProblem('{"transports": {"websocket": {"port": 80.5}}}'),
    "config.json: transports.websocket.port: expected an integer from 0 to 65535, found 80.5",
  );
  assert.match(onlyProblem('{"transports": {"rawsocket": {"maxMessageSize": 33554432}}}'), /rawsocket\.maxMessageSize: expected an integer from 512 to 16777216, found 33554432$/);
  assert.match(onlyProblem('{"helloTimeoutMs": 0}'), /^config\.json: helloTimeoutMs: expected an integer from 1 to \d+, found 0$/);
});

test("config: a value outside an enumeration lists the choices", () => {
  assert.equal(
    onlyProblem('{"log": {"format": "xml"}}'),
    'config.json: log.format: expected one of "text", "json", found "xml"',
  );
  assert.equal(
    onlyProblem('{"log": {"level": "verbose"}}'),
    'config.json: log.level: expected one of "debug", "info", "warn", "error", found "verbose"',
  );
  assert.equal(
    onlyProblem('{"realms": [{"name": "r", "uriCheck": "lax"}]}'),
    'config.json: realms[0].uriCheck: expected one of "loose", "strict", found "lax"',
  );
});

test("config: realm names must be WAMP URIs and are required", () => {
  for (const bad of ["a b", "a..b", ".a", "a.", "a#b", ""]) {
    assert.match(
      onlyProblem(JSON.stringify({ realms: [{ name: bad }] })),
      /^config\.json: realms\[0\]\.name: expected a WAMP URI .*, found ".*"$/,
      bad,
    );
  }
  assert.match(onlyProblem('{"realms": [{"name": 7}]}'), /realms\[0\]\.name: expected a WAMP URI .*, found 7$/);
  assert.match(onlyProblem('{"realms": [{}]}'), /^config\.json: realms\[0\]\.name: missing, expected a WAMP URI/);
  assert.match(onlyProblem('{"realms": ["realm1"]}'), /^config\.json: realms\[0\]: expected a realm object .*, found "realm1"$/);
});

test("config: duplicate realm names", () => {
  assert.equal(
    onlyProblem('{"realms": [{"name": "a"}, {"name": "b"}, {"name": "a"}]}'),
    'config.json: realms[2].name: duplicate realm "a", already defined at realms[0]',
  );
});

test("config: invalid JSON", () => {
  assert.match(onlyProblem('{"realms": [}'), /^config\.json: invalid JSON: .+/);
  assert.match(onlyProblem(""), /^config\.json: invalid JSON: /);
});

test("config: every problem is listed, one line each", () => {
  const text = JSON.stringify({
    realms: [{ name: "x" }, { name: "x" }, { name: "bad uri" }],
    helloTimeoutMs: "soon",
    transports: {
      websocket: { port: "80a", prot: 1, host: "", path: "/", maxMessageSize: 1 },
      rawsocket: { enabled: "no", port: 1e6 },
      tcp: {},
    },
    log: { format: "xml", level: "loud", colour: true },
    extra1: 1,
    extra2: 2,
  });
  const found = problems(text);
  const expected = [
    "realms[1].name: duplicate",
    "realms[2].name: expected a WAMP URI",
    "helloTimeoutMs: expected an integer",
    "transports.websocket.port: expected an integer",
    "transports.websocket.prot: unknown key",
    "transports.websocket.host: expected a host name",
    "transports.websocket.maxMessageSize: expected an integer from 512",
    "transports.rawsocket.enabled: expected true or false",
    "transports.rawsocket.port: expected an integer",
    "transports.tcp: unknown key",
    "log.format: expected one of",
    "log.level: expected one of",
    "log.colour: unknown key",
    "extra1: unknown key",
    "extra2: unknown key",
  ];
  assert.equal(found.length, expected.length, found.join("\n"));
  for (const e of expected) {
    assert.ok(found.some((p) => p.startsWith(`config.json: ${e}`)), `no "${e}" in:\n${found.join("\n")}`);
  }
});

test("config: mapped to router and serve options", () => {
  const cfg = parseConfig(
    JSON.stringify({
      realms: [{ name: "r1", strictRequestIds: true }],
      autoCreateRealms: true,
      helloTimeoutMs: 500,
      transports: { websocket: { host: "::", port: 1, path: "/x", maxMessageSize: 4096 }, rawsocket: { host: "127.0.0.2", port: 2, maxMessageSize: 1024 } },
    }),
    "config.json",
  );
  assert.deepEqual(toRouterOptions(cfg), {
    realms: [{ name: "r1", uriCheck: "loose", strictRequestIds: true }],
    autoCreateRealms: true,
    helloTimeoutMs: 500,
    rawSocketMaxLength: 1024,
  });
  assert.deepEqual(toServeOptions(cfg), {
    host: "::",
    port: 1,
    path: "/x",
    maxMessageSize: 4096,
    rawSocketPort: 2,
    rawSocketHost: "127.0.0.2",
  });
  const off = parseConfig('{"transports": {"rawsocket": {"enabled": false}}}', "c.json");
  assert.equal(toServeOptions(off).rawSocketPort, null);
});

test("config: realm options, history topics and limits reach the router", () => {
  const cfg = parseConfig(
    JSON.stringify({
      realms: [{ name: "r1", allowDisclose: false, metaApi: false, history: [{ uri: "t.news", limit: 5 }, { uri: "t.", match: "prefix", limit: 2 }] }],
      limits: { messagesPerSecond: 50000, idlePingMs: 0 },
    }),
    "config.json",
  );
  const opts = toRouterOptions(cfg);
  assert.deepEqual(opts.realms, [{
    name: "r1",
    uriCheck: "loose",
    strictRequestIds: false,
    allowDisclose: false,
    metaApi: false,
    history: [{ uri: "t.news", match: "exact", limit: 5 }, { uri: "t.", match: "prefix", limit: 2 }],
  }]);
  assert.deepEqual(opts.limits, { messagesPerSecond: 50000, idlePingMs: 0 });
  assert.throws(() => parseConfig('{"limits": {"messagesPerSec": 1}}', "c.json"), /limits\.messagesPerSec: unknown key/);
  assert.throws(() => parseConfig('{"limits": {"messagesPerSecond": -1}}', "c.json"), /limits\.messagesPerSecond/);
  assert.throws(() => parseConfig('{"realms": [{"name": "r", "history": [{"uri": "t"}]}]}', "c.json"), /history\[0\]\.limit/);
});
