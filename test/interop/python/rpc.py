"""
RPC with autobahn-python against the router: a callee session and a caller session on the same
realm, each on its own connection. See common.py for the command line and the output.

Scenarios:
- call_args: positional and keyword arguments (nested lists and dicts, null, unicode, floats)
  in both directions; a plain return value and a CallResult with args and kwargs.
- binary: bytes in args and kwargs both ways (every byte value, 10,001 bytes, empty, and
  1 MiB + 1 byte); the callee checks it received bytes, the caller that it got bytes back; then
  the same through a callee on another serializer (msgpack for a json caller, json otherwise).
- callee_error: an ApplicationError raised by the callee with a custom URI, args and kwargs
  reaches the caller as such.
- procedure_already_exists: a second REGISTER of the same URI is refused.
- no_such_procedure: a CALL of an unregistered URI, and of one after UNREGISTER.
- progressive: progressive call results through details.progress / CallOptions(on_progress),
  in order and before the final result; without on_progress the callee sees no progress.
- cancel: cancelling the caller's future sends CANCEL (autobahn sends no mode: the router's
  default, killnowait); the callee's running invocation is interrupted, the caller's pending
  request is answered (so autobahn forgets it) and both sessions keep working.
- call_timeout: CallOptions(timeout=N) (autobahn sends N as the CALL's timeout option, in
  milliseconds): the dealer cancels the slow invocation (INTERRUPT to the callee) and the caller
  gets wamp.error.timeout.
- shared_registration: two callees registering with invoke="roundrobin" take turns; a third
  asking for another policy is refused with wamp.error.procedure_already_exists.
- pattern_registration: prefix and wildcard registrations with details.procedure, and an exact
  registration winning over a prefix one.
"""

import asyncio

from autobahn.wamp.exception import ApplicationError
from autobahn.wamp.types import CallOptions, CallResult, RegisterOptions

from common import run, wait_for

BYTES_A = bytes(range(256))
BYTES_B = bytes(((i * 31 + 7 + (i >> 8)) & 0xFF) for i in range(10001))
BYTES_BIG = BYTES_A * 4096 + b"\x7f"


async def call_args(opts, r, t):
    callee = await t.connect()
    caller = await t.connect()

    def echo(*args, **kwargs):
        return CallResult(*args, **kwargs)

    await callee.session.register(echo, "com.interop.rpc.echo")
    await callee.session.register(lambda a, b: a + b, "com.interop.rpc.add")

    r.eq("plain return", await caller.session.call("com.interop.rpc.add", 2, 3), 5)
    args = [1, "zwei \u00fc\u4e09 \U0001F600", None, True, 2.5, -(2 ** 53), [1, [2, {"x": []}]], {"nested": {"k": [1, "2"]}}]
    kwargs = {"k": "v", "n": None, "list": [1, 2], "dict": {"a": {"b": False}}, "empty": {}}
    res = await caller.session.call("com.interop.rpc.echo", *args, **kwargs)
    r.check("CallResult", isinstance(res, CallResult), got=type(res).__name__)
    r.eq("args", list(res.results), args)
    r.eq("kwargs", res.kwresults, kwargs)
    only_kw = await caller.session.call("com.interop.rpc.echo", a=1)
    r.eq("kwargs only", [list(only_kw.results), only_kw.kwresults], [[], {"a": 1}])
    r.eq("no arguments", await caller.session.call("com.interop.rpc.echo"), None)


async def binary(opts, r, t):
    callee = await t.connect()
    caller = await t.connect()
    seen = {}

    def bin_echo(*args, **kwargs):
        seen["types"] = [type(a).__name__ for a in args] + [type(kwargs.get("blob")).__name__]
        return CallResult(*args, blob=kwargs.get("blob"), extra=bytes([0, 255, 0]))

    await callee.session.register(bin_echo, "com.interop.rpc.binary")
    res = await caller.session.call("com.interop.rpc.binary", BYTES_A, BYTES_B, blob=b"\x00\x01\xfe\xff")
    r.eq("callee got bytes", seen.get("types"), ["bytes", "bytes", "bytes"])
    r.eq("arg 0 (every byte value)", res.results[0], BYTES_A)
    r.eq("arg 1 (10001 bytes)", res.results[1], BYTES_B)
    r.eq("kwarg blob", res.kwresults.get("blob"), b"\x00\x01\xfe\xff")
    r.eq("callee's own bytes", res.kwresults.get("extra"), bytes([0, 255, 0]))
    empty = await caller.session.call("com.interop.rpc.binary", b"", blob=b"")
    r.eq("empty bytes", [empty.results[0], empty.kwresults.get("blob")], [b"", b""])
    big = await caller.session.call("com.interop.rpc.binary", BYTES_BIG)
    r.eq("1 MiB + 1 byte (64-bit WebSocket lengths, large RawSocket frames)", big.results[0], BYTES_BIG)

    # Across serializers: a callee speaking another serializer than the caller.
    other = "msgpack" if opts.serializer == "json" else "json"
    foreign = await t.connect(serializer=other)
    await foreign.session.register(bin_echo, "com.interop.rpc.binary_foreign")
    res = await caller.session.call("com.interop.rpc.binary_foreign", BYTES_A, BYTES_B, blob=b"\x00")
    r.eq("across serializers: callee got bytes", seen.get("types"), ["bytes", "bytes", "bytes"])
    r.eq("across serializers: bytes back", [res.results[0], res.results[1], res.kwresults.get("blob")], [BYTES_A, BYTES_B, b"\x00"])


async def callee_error(opts, r, t):
    callee = await t.connect()
    caller = await t.connect()

    def fail(*args, **kwargs):
        raise ApplicationError("com.interop.error.custom", "first", 2, [3], reason="because", data={"n": 1})

    await callee.session.register(fail, "com.interop.rpc.fail")
    try:
        got = await caller.session.call("com.interop.rpc.fail", 1)
        r.check("raises", False, got=got)
    except ApplicationError as e:
        r.eq("error uri", e.error, "com.interop.error.custom")
        r.eq("error args", list(e.args), ["first", 2, [3]])
        r.eq("error kwargs", e.kwargs, {"reason": "because", "data": {"n": 1}})

    def crash():
        raise ValueError("not an ApplicationError")

    await callee.session.register(crash, "com.interop.rpc.crash")
    try:
        await caller.session.call("com.interop.rpc.crash")
        r.check("runtime error raises", False)
    except ApplicationError as e:
        # autobahn-python turns any other exception into wamp.error.runtime_error.
        r.eq("runtime error uri", e.error, "wamp.error.runtime_error")


async def procedure_already_exists(opts, r, t):
    a = await t.connect()
    b = await t.connect()
    reg = await a.session.register(lambda: "a", "com.interop.rpc.taken")
    for who, s in (("other session", b.session), ("same session", a.session)):
        try:
            await s.register(lambda: "b", "com.interop.rpc.taken")
            r.check("refused ({})".format(who), False)
        except ApplicationError as e:
            r.eq("refused ({})".format(who), e.error, "wamp.error.procedure_already_exists")
    r.eq("first registration still serves", await b.session.call("com.interop.rpc.taken"), "a")
    await reg.unregister()
    await b.session.register(lambda: "b", "com.interop.rpc.taken")
    r.eq("free again after unregister", await a.session.call("com.interop.rpc.taken"), "b")


async def no_such_procedure(opts, r, t):
    callee = await t.connect()
    caller = await t.connect()
    for label in ("never registered", "after unregister"):
        if label == "after unregister":
            reg = await callee.session.register(lambda: 1, "com.interop.rpc.gone")
            r.eq("registered", await caller.session.call("com.interop.rpc.gone"), 1)
            await reg.unregister()
        try:
            await caller.session.call("com.interop.rpc.gone", 1, k=2)
            r.check(label, False)
        except ApplicationError as e:
            r.eq(label, e.error, "wamp.error.no_such_procedure")


async def progressive(opts, r, t):
    callee = await t.connect()
    caller = await t.connect()
    saw_progress = []

    async def countdown(n, details=None):
        saw_progress.append(details.progress is not None)
        if details.progress:
            for i in range(n):
                details.progress(i, chunk=b"\x00" + bytes([i]))
                await asyncio.sleep(0)
        return CallResult("done", total=n)

    await callee.session.register(countdown, "com.interop.rpc.countdown", options=RegisterOptions(details_arg="details"))
    got = []
    res = await caller.session.call(
        "com.interop.rpc.countdown", 3,
        options=CallOptions(on_progress=lambda *a, **kw: got.append([list(a), kw.get("chunk")])),
    )
    r.eq("progressive results in order", got, [[[0], b"\x00\x00"], [[1], b"\x00\x01"], [[2], b"\x00\x02"]])
    r.eq("final result", [list(res.results), res.kwresults], [["done"], {"total": 3}])
    plain = await caller.session.call("com.interop.rpc.countdown", 2)
    r.eq("without on_progress: final result only", list(plain.results), ["done"])
    r.eq("callee saw details.progress only when asked", saw_progress, [True, False])


async def cancel(opts, r, t):
    callee = await t.connect()
    caller = await t.connect()
    loop = asyncio.get_running_loop()
    started = loop.create_future()
    interrupted = loop.create_future()

    async def slow():
        started.set_result(None)
        try:
            await asyncio.sleep(30)
            return "finished"
        except asyncio.CancelledError:
            interrupted.set_result(True)
            raise

    await callee.session.register(slow, "com.interop.rpc.slow")
    await callee.session.register(lambda: "still here", "com.interop.rpc.ping")
    call = caller.session.call("com.interop.rpc.slow")
    await wait_for(started, "the INVOCATION")
    call.cancel()  # autobahn's canceller sends CANCEL
    r.check("callee interrupted", await wait_for(interrupted, "INTERRUPT at the callee") is True)
    # The router answers the CANCEL with ERROR; autobahn then drops its pending call request.
    for _ in range(100):
        if not caller.session._call_reqs:
            break
        await asyncio.sleep(0.02)
    r.eq("caller's request answered", sorted(caller.session._call_reqs), [])
    r.eq("caller still works", await caller.session.call("com.interop.rpc.ping"), "still here")
    r.check("callee still attached", callee.session.is_attached())


async def call_timeout(opts, r, t):
    callee = await t.connect()
    caller = await t.connect()
    loop = asyncio.get_running_loop()
    interrupted = loop.create_future()

    async def slow():
        try:
            await asyncio.sleep(30)
            return "finished"
        except asyncio.CancelledError:
            interrupted.set_result(True)
            raise

    await callee.session.register(slow, "com.interop.rpc.too_slow")
    started = loop.time()
    try:
        got = await caller.session.call("com.interop.rpc.too_slow", options=CallOptions(timeout=200))
        r.check("caller gets wamp.error.timeout", False, got=got)
    except ApplicationError as e:
        r.eq("caller gets wamp.error.timeout", e.error, "wamp.error.timeout")
    elapsed = loop.time() - started
    r.check("after about the timeout", 0.15 <= elapsed < 3.0, got=round(elapsed, 3))
    r.check("callee interrupted", await wait_for(interrupted, "INTERRUPT at the callee") is True)


async def shared_registration(opts, r, t):
    one = await t.connect()
    two = await t.connect()
    three = await t.connect()
    caller = await t.connect()
    rr = RegisterOptions(invoke="roundrobin")
    await one.session.register(lambda: "one", "com.interop.rpc.shared", options=rr)
    await two.session.register(lambda: "two", "com.interop.rpc.shared", options=rr)
    got = [await caller.session.call("com.interop.rpc.shared") for _ in range(4)]
    r.eq("roundrobin takes turns", got, ["one", "two", "one", "two"])
    try:
        await three.session.register(lambda: "three", "com.interop.rpc.shared", options=RegisterOptions(invoke="first"))
        r.check("other policy refused", False)
    except ApplicationError as e:
        r.eq("other policy refused", e.error, "wamp.error.procedure_already_exists")


async def pattern_registration(opts, r, t):
    callee = await t.connect()
    caller = await t.connect()

    def who(tag):
        def endpoint(*args, details=None, **kwargs):
            return [tag, details.procedure, list(args)]
        return endpoint

    ro = lambda match=None: RegisterOptions(match=match, details_arg="details")  # noqa: E731
    await callee.session.register(who("prefix"), "com.interop.pat", options=ro("prefix"))
    await callee.session.register(who("wildcard"), "com.interop..wild", options=ro("wildcard"))
    await callee.session.register(who("exact"), "com.interop.pat.exact", options=ro())
    r.eq("prefix", await caller.session.call("com.interop.pat.a.b", 1), ["prefix", "com.interop.pat.a.b", [1]])
    r.eq("wildcard", await caller.session.call("com.interop.any.wild", 2), ["wildcard", "com.interop.any.wild", [2]])
    exact = await caller.session.call("com.interop.pat.exact")
    r.eq("exact wins over prefix", exact[0], "exact")
    try:
        await caller.session.call("com.interop.x.y.wild")
        r.check("wildcard matches one component only", False)
    except ApplicationError as e:
        r.eq("wildcard matches one component only", e.error, "wamp.error.no_such_procedure")


SCENARIOS = {
    "call_args": call_args,
    "binary": binary,
    "callee_error": callee_error,
    "procedure_already_exists": procedure_already_exists,
    "no_such_procedure": no_such_procedure,
    "progressive": progressive,
    "cancel": cancel,
    "call_timeout": call_timeout,
    "shared_registration": shared_registration,
    "pattern_registration": pattern_registration,
}

if __name__ == "__main__":
    run("autobahn-python RPC interop checks", SCENARIOS)
