"""
The Session Meta API with autobahn-python against the router. Give each run a realm of its own
(--realm): the counts below are exact. See common.py for the command line and the output.

Scenarios:
- session_meta: wamp.session.count (with and without filter_authroles), wamp.session.list and
  wamp.session.get for two autobahn sessions; get of an unknown id is refused with
  wamp.error.no_such_session.
- session_events: wamp.session.on_join carries the joining session's details and
  wamp.session.on_leave [session, authid, authrole] when it leaves.
- session_kill: wamp.session.kill closes the other session with GOODBYE wamp.close.killed,
  which autobahn-python sees as its leave reason (and answers).
"""

import asyncio

from autobahn.wamp.exception import ApplicationError

from common import run, wait_for


async def session_meta(opts, r, t):
    a = await t.connect()
    b = await t.connect()
    ids = sorted([a.details.session, b.details.session])
    s = a.session
    r.eq("count", await s.call("wamp.session.count"), 2)
    r.eq("count filter_authroles [anonymous]", await s.call("wamp.session.count", ["anonymous"]), 2)
    r.eq("count filter_authroles [nobody]", await s.call("wamp.session.count", ["nobody"]), 0)
    r.eq("list", sorted(await s.call("wamp.session.list")), ids)
    d = await s.call("wamp.session.get", b.details.session)
    got = {k: d.get(k) for k in ("session", "authid", "authrole", "authmethod")}
    r.eq("get", got, {
        "session": b.details.session,
        "authid": b.details.authid,
        "authrole": b.details.authrole,
        "authmethod": b.details.authmethod,
    })
    r.eq("get: transport", {k: d.get("transport", {}).get(k) for k in ("type", "serializer")},
         {"type": opts.transport, "serializer": opts.serializer})
    try:
        await s.call("wamp.session.get", 1)
        r.check("get unknown session", False)
    except ApplicationError as e:
        r.eq("get unknown session", e.error, "wamp.error.no_such_session")


async def session_events(opts, r, t):
    watcher = await t.connect()
    loop = asyncio.get_running_loop()
    joined, left = loop.create_future(), loop.create_future()
    await watcher.session.subscribe(lambda details: joined.done() or joined.set_result(details), "wamp.session.on_join")
    await watcher.session.subscribe(lambda *a: left.done() or left.set_result(list(a)), "wamp.session.on_leave")
    newcomer = await t.connect()
    info = await wait_for(joined, "wamp.session.on_join")
    r.eq("on_join details", {k: info.get(k) for k in ("session", "authid", "authrole")},
         {"session": newcomer.details.session, "authid": newcomer.details.authid, "authrole": newcomer.details.authrole})
    await newcomer.close()
    r.eq("on_leave [session, authid, authrole]", await wait_for(left, "wamp.session.on_leave"),
         [newcomer.details.session, newcomer.details.authid, newcomer.details.authrole])


async def session_kill(opts, r, t):
    killer = await t.connect()
    victim = await t.connect()
    await killer.session.call("wamp.session.kill", victim.details.session, reason="wamp.close.killed", message="bye")
    await wait_for(asyncio.shield(victim.gone), "the killed session's transport to close")
    r.eq("victim's leave reason", [victim.left.reason, victim.left.message] if victim.left else None,
         ["wamp.close.killed", "bye"])
    r.eq("count after kill", await killer.session.call("wamp.session.count"), 1)


SCENARIOS = {
    "session_meta": session_meta,
    "session_events": session_events,
    "session_kill": session_kill,
}

if __name__ == "__main__":
    run("autobahn-python Session Meta API interop checks", SCENARIOS)
