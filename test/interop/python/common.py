"""
Shared plumbing for the autobahn-python interop scripts (rpc.py, pubsub.py, meta.py, auth.py).

Each script is run by test/e2e/autobahn_python_test.ts as

    /usr/bin/python3 SCRIPT --transport websocket|rawsocket --url URL --serializer json|msgpack|cbor
                     [--realm REALM] [script options] SCENARIO [SCENARIO ...]   (or "all")

with URL ws://127.0.0.1:PORT/ws for WebSocket and rs://127.0.0.1:PORT for RawSocket. It prints
one JSON line per check on stdout:

    {"scenario": "rpc_args", "check": "kwargs", "ok": true, "got": ..., "expected": ...}

and exits 1 when any check failed (2 on bad arguments). A scenario that raises or times out
prints one failing check named "completes" with the error.

Sessions are autobahn-python's own asyncio `Session` (autobahn.asyncio.wamp), connected
through its WebSocket or RawSocket client factories with one serializer; authentication uses
autobahn's authenticators (AuthTicket, AuthWampCra, AuthCryptoSign, AuthScram) exactly as an
application would, through `Session.add_authenticator`.
"""

import argparse
import asyncio
import base64
import json
import sys
import traceback

import txaio

txaio.use_asyncio()

from autobahn.asyncio import rawsocket as _ab_rawsocket  # noqa: E402
from autobahn.asyncio.rawsocket import WampRawSocketClientFactory  # noqa: E402
from autobahn.asyncio.wamp import Session  # noqa: E402
from autobahn.asyncio.websocket import WampWebSocketClientFactory  # noqa: E402
from autobahn.rawsocket.util import parse_url as parse_rs_url  # noqa: E402
from autobahn.wamp import serializer as ab_serializer  # noqa: E402
from autobahn.wamp.types import ComponentConfig  # noqa: E402
from autobahn.websocket.util import parse_url as parse_ws_url  # noqa: E402

# autobahn-python 22.7.1 (Debian 12's python3-autobahn) cannot open any asyncio RawSocket
# session: its client protocol lacks the `transport_details` property that
# autobahn/wamp/protocol.py reads on WELCOME ("AttributeError: 'WampRawSocketClientProtocol'
# object has no attribute 'transport_details'", crossbario/autobahn-python#1592, fixed upstream by
# #1593 in August 2022, after 22.7.1). This client-side shim adds the property #1593 added, only where it is missing;
# it touches nothing on the wire.
RAWSOCKET_SHIM = not hasattr(_ab_rawsocket.WampRawSocketClientProtocol, "transport_details")
if RAWSOCKET_SHIM:
    _ab_rawsocket.PrefixProtocol.transport_details = property(lambda self: getattr(self, "_transport_details", None))

SCENARIO_TIMEOUT = 10.0
STEP_TIMEOUT = 5.0


def make_serializer(name):
    if name == "json":
        return ab_serializer.JsonSerializer()
    if name == "msgpack":
        return ab_serializer.MsgPackSerializer()
    if name == "cbor":
        return ab_serializer.CBORSerializer()
    raise ValueError("unknown serializer {!r}".format(name))


def parse_args(description, extra=None):
    p = argparse.ArgumentParser(description=description)
    p.add_argument("--transport", choices=["websocket", "rawsocket"], required=True)
    p.add_argument("--url", required=True, help="ws://HOST:PORT/PATH or rs://HOST:PORT")
    p.add_argument("--serializer", choices=["json", "msgpack", "cbor"], required=True)
    p.add_argument("--realm", default="realm1")
    if extra:
        extra(p)
    p.add_argument("scenarios", nargs="+", help='scenario names, or "all"')
    return p.parse_args()


# --- reporting ---


def _jsonable(v):
    """Values as they appear in a check line: bytes become {"bytes": len, "b64": ...}."""
    if isinstance(v, (bytes, bytearray)):
        b = bytes(v)
        return {"bytes": len(b), "b64": base64.b64encode(b[:64]).decode("ascii")}
    if isinstance(v, dict):
        return {str(k): _jsonable(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_jsonable(x) for x in v]
    if v is None or isinstance(v, (bool, int, float, str)):
        return v
    return repr(v)


class Report:
    def __init__(self):
        self.failures = 0
        self.scenario = "?"

    def check(self, name, ok, **info):
        ok = bool(ok)
        if not ok:
            self.failures += 1
        line = {"scenario": self.scenario, "check": name, "ok": ok}
        line.update({k: _jsonable(v) for k, v in info.items()})
        print(json.dumps(line, sort_keys=False), flush=True)
        return ok

    def eq(self, name, got, expected):
        """Equality; bytes only equal bytes (a base64 string in place of bytes fails)."""
        return self.check(name, _same(got, expected), got=got, expected=expected)


def _same(a, b):
    if isinstance(b, (bytes, bytearray)):
        return isinstance(a, (bytes, bytearray)) and bytes(a) == bytes(b)
    if isinstance(b, dict):
        return isinstance(a, dict) and set(a) == set(b) and all(_same(a[k], b[k]) for k in b)
    if isinstance(b, (list, tuple)):
        return isinstance(a, (list, tuple)) and len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    if isinstance(b, bool) or isinstance(a, bool):
        return type(a) is type(b) and a == b
    return a == b


# --- sessions ---


class Refused(Exception):
    """The session did not open: ABORT (reason, message) or the transport closed."""

    def __init__(self, reason, message=None):
        super().__init__("{} {}".format(reason, message or ""))
        self.reason = reason
        self.message = message


class _ClientSession(Session):
    def __init__(self, config, client):
        super().__init__(config)
        self._client = client

    def on_connect(self):
        # Only called without authenticators (anonymous): join with autobahn's defaults.
        self.join(self.config.realm)

    def on_join(self, details):
        if not self._client.joined.done():
            self._client.joined.set_result(details)

    def on_leave(self, details):
        self._client.left = details
        if not self._client.joined.done():
            self._client.joined.set_exception(Refused(details.reason, details.message))
        self.disconnect()

    def on_disconnect(self):
        if not self._client.joined.done():
            self._client.joined.set_exception(Refused("transport closed"))
        if not self._client.gone.done():
            self._client.gone.set_result(None)


class Client:
    """One autobahn-python session over its own connection."""

    def __init__(self, loop):
        self.joined = loop.create_future()
        self.gone = loop.create_future()
        self.session = None
        self.details = None
        self.left = None
        self.transport = None

    async def close(self):
        s = self.session
        try:
            if s is not None and s.is_attached():
                s.leave()
            elif self.transport is not None:
                self.transport.close()
            await asyncio.wait_for(asyncio.shield(self.gone), STEP_TIMEOUT)
        except Exception:
            if self.transport is not None:
                self.transport.close()


async def connect(opts, realm=None, authenticators=(), serializer=None):
    """Opens a session (anonymous, or with autobahn authenticators). Raises Refused."""
    loop = asyncio.get_running_loop()
    client = Client(loop)
    realm = realm or opts.realm

    def make_session():
        s = _ClientSession(ComponentConfig(realm=realm), client)
        for a in authenticators:
            s.add_authenticator(a)
        client.session = s
        return s

    ser = make_serializer(serializer or opts.serializer)
    if opts.transport == "websocket":
        _secure, host, port, _resource, _path, _params = parse_ws_url(opts.url)
        factory = WampWebSocketClientFactory(make_session, url=opts.url, serializers=[ser])
        factory.setProtocolOptions(openHandshakeTimeout=STEP_TIMEOUT, closeHandshakeTimeout=1.0, failByDrop=False)
    else:
        _secure, host, port = parse_rs_url(opts.url)
        factory = WampRawSocketClientFactory(make_session, serializer=ser)
    transport, _protocol = await asyncio.wait_for(loop.create_connection(factory, host, port), STEP_TIMEOUT)
    client.transport = transport
    try:
        client.details = await asyncio.wait_for(asyncio.shield(client.joined), STEP_TIMEOUT)
    except BaseException:
        transport.close()
        raise
    return client


async def close_all(clients):
    await asyncio.gather(*(c.close() for c in clients if c is not None), return_exceptions=True)


class Tracker:
    """Connects sessions for a scenario and closes them all at its end."""

    def __init__(self, opts):
        self.opts = opts
        self.clients = []

    async def connect(self, **kw):
        c = await connect(self.opts, **kw)
        self.clients.append(c)
        return c

    async def close(self):
        await close_all(self.clients)


async def settle(delay=0.05):
    """Lets frames in flight arrive (used only before asserting that something did NOT happen)."""
    await asyncio.sleep(delay)


async def wait_for(fut, what, timeout=STEP_TIMEOUT):
    try:
        return await asyncio.wait_for(fut, timeout)
    except asyncio.TimeoutError:
        raise TimeoutError("timed out after {}s waiting for {}".format(timeout, what))


# --- running scenarios ---


def run(description, scenarios, extra_args=None):
    """Parses the command line and runs the chosen scenarios in order."""
    opts = parse_args(description, extra_args)
    names = list(scenarios) if opts.scenarios == ["all"] else opts.scenarios
    unknown = [n for n in names if n not in scenarios]
    if unknown:
        print("unknown scenario(s) {}; known: {}".format(unknown, ", ".join(scenarios)), file=sys.stderr)
        sys.exit(2)
    report = Report()

    async def main():
        for name in names:
            report.scenario = name
            tracker = Tracker(opts)
            try:
                await asyncio.wait_for(scenarios[name](opts, report, tracker), SCENARIO_TIMEOUT)
            except Exception as e:  # a crash or timeout is a failed check, never a silent pass
                report.check("completes", False, error="{}: {}".format(type(e).__name__, e),
                             traceback=traceback.format_exc(limit=6))
            finally:
                await tracker.close()

    asyncio.run(main())
    sys.exit(1 if report.failures else 0)
