"""
Router shutdown as autobahn-python sees it. See common.py for the command line and the output.

Scenario:
- router_shutdown: two sessions join and the script prints the check "joined"; whoever runs the
  script then shuts the router down. Both sessions must be closed by the router's GOODBYE with
  reason wamp.close.system_shutdown (autobahn answers it) and their transports must close.
"""

import asyncio

from common import run, wait_for

WAIT_FOR_SHUTDOWN = 8.0


async def router_shutdown(opts, r, t):
    clients = [await t.connect(), await t.connect()]
    r.check("joined", True, sessions=[c.details.session for c in clients])
    await wait_for(asyncio.gather(*(asyncio.shield(c.gone) for c in clients)), "the router to close both sessions",
                   WAIT_FOR_SHUTDOWN)
    r.eq("leave reasons", [c.left.reason if c.left else None for c in clients],
         ["wamp.close.system_shutdown", "wamp.close.system_shutdown"])


SCENARIOS = {"router_shutdown": router_shutdown}

if __name__ == "__main__":
    run("autobahn-python router shutdown interop check", SCENARIOS)
