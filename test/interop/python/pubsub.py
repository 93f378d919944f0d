"""
Publish & Subscribe with autobahn-python against the router. See common.py for the command line
and the output.

Scenarios:
- exclude_me: a publisher subscribed to its own topic gets no event by default (publisher
  exclusion is the default), and gets it with PublishOptions(exclude_me=False); other
  subscribers get both.
- acknowledge: PublishOptions(acknowledge=True) resolves with a Publication whose id matches
  the EVENT's publication id; without acknowledge autobahn resolves nothing; a PUBLISH the
  router refuses (reserved wamp.* topic) rejects an acknowledged publish with
  wamp.error.invalid_uri.
- payload: args, kwargs and bytes (every byte value, and 10,001 bytes) in events, received
  as sent; an event with neither args nor kwargs.
- pattern_subscription: prefix and wildcard subscriptions, with details.topic naming the
  concrete topic; an exact subscription and a prefix one both get a matching event.
- exclude_eligible: subscriber black- and whitelisting by session id (exclude, eligible) and
  by authid and authrole (exclude_authid, eligible_authrole).
- retain: PublishOptions(retain=True) keeps the last event; a later
  SubscribeOptions(get_retained=True) gets it with details.retained, one without does not.
- unsubscribe: no events after unsubscribe.
"""

import asyncio

from autobahn.wamp.exception import ApplicationError
from autobahn.wamp.types import PublishOptions, SubscribeOptions

from common import run, settle, wait_for

BYTES_A = bytes(range(256))
BYTES_B = bytes(((i * 31 + 7 + (i >> 8)) & 0xFF) for i in range(10001))


class Inbox:
    """Events a handler received, with a way to wait for the next one."""

    def __init__(self):
        self.items = []
        self._waiter = None

    def handler(self, tag=None):
        def on_event(*args, **kwargs):
            item = {"tag": tag, "args": list(args), "kwargs": {k: v for k, v in kwargs.items() if k != "details"}}
            if "details" in kwargs:
                d = kwargs["details"]
                item["topic"] = d.topic
                item["publication"] = d.publication
                item["retained"] = d.retained
            self.items.append(item)
            if self._waiter is not None and not self._waiter.done():
                self._waiter.set_result(None)
        return on_event

    async def wait(self, n, what):
        while len(self.items) < n:
            self._waiter = asyncio.get_running_loop().create_future()
            await wait_for(self._waiter, what)
        return self.items


async def exclude_me(opts, r, t):
    pub = await t.connect()
    other = await t.connect()
    mine, theirs = Inbox(), Inbox()
    await pub.session.subscribe(mine.handler(), "com.interop.ps.excl")
    await other.session.subscribe(theirs.handler(), "com.interop.ps.excl")
    # Acknowledged, so the router has dispatched when the publish resolves.
    await pub.session.publish("com.interop.ps.excl", "default", options=PublishOptions(acknowledge=True))
    await theirs.wait(1, "the first event at the other subscriber")
    await pub.session.publish("com.interop.ps.excl", "included", options=PublishOptions(acknowledge=True, exclude_me=False))
    await mine.wait(1, "the exclude_me=false event at the publisher")
    await theirs.wait(2, "the second event at the other subscriber")
    await settle()
    r.eq("publisher gets only exclude_me=false", [e["args"] for e in mine.items], [["included"]])
    r.eq("other subscriber gets both", [e["args"] for e in theirs.items], [["default"], ["included"]])


async def acknowledge(opts, r, t):
    pub = await t.connect()
    sub = await t.connect()
    inbox = Inbox()
    await sub.session.subscribe(inbox.handler(), "com.interop.ps.ack", options=SubscribeOptions(details_arg="details"))
    publication = await pub.session.publish("com.interop.ps.ack", 1, options=PublishOptions(acknowledge=True))
    r.check("Publication with an id", publication is not None and isinstance(publication.id, int) and publication.id > 0,
            got=getattr(publication, "id", None))
    events = await inbox.wait(1, "the acknowledged event")
    r.eq("EVENT carries the same publication id", events[0]["publication"], getattr(publication, "id", None))
    nobody = await pub.session.publish("com.interop.ps.nobody", options=PublishOptions(acknowledge=True))
    r.check("acknowledged with no subscribers", nobody is not None and isinstance(nobody.id, int), got=getattr(nobody, "id", None))
    r.eq("unacknowledged publish resolves to None", pub.session.publish("com.interop.ps.ack", 2), None)
    await inbox.wait(2, "the unacknowledged event")
    try:
        await pub.session.publish("wamp.interop.forbidden", options=PublishOptions(acknowledge=True))
        r.check("refused publish rejects", False)
    except ApplicationError as e:
        r.eq("refused publish rejects", e.error, "wamp.error.invalid_uri")


async def payload(opts, r, t):
    pub = await t.connect()
    sub = await t.connect()
    inbox = Inbox()
    await sub.session.subscribe(inbox.handler(), "com.interop.ps.payload")
    args = [1, "zwei \u00fc\u4e09", None, [True, {"x": 2.5}], BYTES_A]
    kwargs = {"blob": BYTES_B, "nested": {"b": b"\x00\xff", "n": None}, "empty": b""}
    ack = PublishOptions(acknowledge=True)
    await pub.session.publish("com.interop.ps.payload", *args, options=ack, **kwargs)
    await pub.session.publish("com.interop.ps.payload", options=ack)
    events = await inbox.wait(2, "the payload events")
    r.eq("args", events[0]["args"], args)
    r.eq("kwargs", events[0]["kwargs"], kwargs)
    r.eq("empty event", [events[1]["args"], events[1]["kwargs"]], [[], {}])


async def pattern_subscription(opts, r, t):
    pub = await t.connect()
    sub = await t.connect()
    inbox = Inbox()
    so = lambda match=None: SubscribeOptions(match=match, details_arg="details")  # noqa: E731
    await sub.session.subscribe(inbox.handler("prefix"), "com.interop.pp", options=so("prefix"))
    await sub.session.subscribe(inbox.handler("wildcard"), "com.interop..wc", options=so("wildcard"))
    await sub.session.subscribe(inbox.handler("exact"), "com.interop.pp.exact", options=so())
    ack = PublishOptions(acknowledge=True)
    await pub.session.publish("com.interop.pp.a.b", 1, options=ack)
    await pub.session.publish("com.interop.x.wc", 2, options=ack)
    await pub.session.publish("com.interop.x.y.wc", 3, options=ack)  # matches no pattern
    await pub.session.publish("com.interop.pp.exact", 4, options=ack)
    await inbox.wait(4, "the pattern events")
    await settle()
    got = sorted(([e["tag"], e["topic"], e["args"]] for e in inbox.items), key=lambda x: (x[2], x[0]))
    r.eq("events by subscription", got, [
        ["prefix", "com.interop.pp.a.b", [1]],
        ["wildcard", "com.interop.x.wc", [2]],
        ["exact", "com.interop.pp.exact", [4]],
        ["prefix", "com.interop.pp.exact", [4]],
    ])


async def exclude_eligible(opts, r, t):
    pub = await t.connect()
    subs = [await t.connect() for _ in range(3)]
    inboxes = [Inbox() for _ in subs]
    for s, box in zip(subs, inboxes):
        await s.session.subscribe(box.handler(), "com.interop.ps.bw")
    ids = [s.details.session for s in subs]
    ack = lambda **kw: PublishOptions(acknowledge=True, **kw)  # noqa: E731
    await pub.session.publish("com.interop.ps.bw", "exclude 0", options=ack(exclude=[ids[0]]))
    await pub.session.publish("com.interop.ps.bw", "eligible 1", options=ack(eligible=[ids[1]]))
    await pub.session.publish("com.interop.ps.bw", "exclude authid of 2", options=ack(exclude_authid=[subs[2].details.authid]))
    await pub.session.publish("com.interop.ps.bw", "eligible anonymous, exclude 1",
                              options=ack(eligible_authrole=["anonymous"], exclude=[ids[1]]))
    await pub.session.publish("com.interop.ps.bw", "end", options=ack())
    for i, box in enumerate(inboxes):
        await box.wait(1, "the last event at subscriber {}".format(i))
        while box.items[-1]["args"] != ["end"]:
            await box.wait(len(box.items) + 1, "the last event at subscriber {}".format(i))
    r.eq("subscriber 0", [e["args"][0] for e in inboxes[0].items], ["exclude authid of 2", "eligible anonymous, exclude 1", "end"])
    r.eq("subscriber 1", [e["args"][0] for e in inboxes[1].items], ["exclude 0", "eligible 1", "exclude authid of 2", "end"])
    r.eq("subscriber 2", [e["args"][0] for e in inboxes[2].items], ["exclude 0", "eligible anonymous, exclude 1", "end"])


async def retain(opts, r, t):
    pub = await t.connect()
    ack = PublishOptions(acknowledge=True, retain=True)
    await pub.session.publish("com.interop.ps.retained", "old", options=ack)
    await pub.session.publish("com.interop.ps.retained", "last", b"\x00\xff", options=ack)
    late = await t.connect()
    inbox, plain = Inbox(), Inbox()
    await late.session.subscribe(inbox.handler(), "com.interop.ps.retained",
                                 options=SubscribeOptions(get_retained=True, details_arg="details"))
    await late.session.subscribe(plain.handler(), "com.interop.ps.retained", options=SubscribeOptions(match="prefix"))
    events = await inbox.wait(1, "the retained event")
    await settle(0.1)
    r.eq("retained event", [events[0]["args"], events[0]["topic"], events[0]["retained"]],
         [["last", b"\x00\xff"], "com.interop.ps.retained", True])
    r.eq("only the last one", len(inbox.items), 1)
    r.eq("not without get_retained", plain.items, [])


async def unsubscribe(opts, r, t):
    pub = await t.connect()
    sub = await t.connect()
    inbox = Inbox()
    subscription = await sub.session.subscribe(inbox.handler(), "com.interop.ps.unsub")
    ack = PublishOptions(acknowledge=True)
    await pub.session.publish("com.interop.ps.unsub", "before", options=ack)
    await inbox.wait(1, "the event before unsubscribe")
    await subscription.unsubscribe()
    await pub.session.publish("com.interop.ps.unsub", "after", options=ack)
    await settle(0.1)
    r.eq("no event after unsubscribe", [e["args"] for e in inbox.items], [["before"]])


SCENARIOS = {
    "exclude_me": exclude_me,
    "acknowledge": acknowledge,
    "payload": payload,
    "pattern_subscription": pattern_subscription,
    "exclude_eligible": exclude_eligible,
    "retain": retain,
    "unsubscribe": unsubscribe,
}

if __name__ == "__main__":
    run("autobahn-python Pub/Sub interop checks", SCENARIOS)
