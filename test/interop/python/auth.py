"""
Authentication with autobahn-python's own authenticators against secured realms. See common.py
for the command line and the output. The users below are the ones
test/e2e/autobahn_python_test.ts puts into the realms' security models.

--realm (default "secure"): users whose secrets the router derived itself, as it does for
  users of the configuration file or the admin API (src/security/: PBKDF2 keys for ticket and
  WAMP-CRA; WAMP-SCRAM credentials with Argon2id holding keys for both SCRAM dialects, the
  spec's and autobahn-python's, src/auth/derive.ts `convention: "both"`).
--crossbar-realm (default "secure.crossbar"): a WAMP-SCRAM user whose credential was derived
  the way autobahn-python's AuthScram and Crossbar derive it, and only that way, as for a user
  imported from Crossbar (SaltedPassword = the base64 text of the Argon2id output;
  src/auth/derive.ts `convention: "autobahn"`).

Scenarios:
- ticket: AuthTicket joins with authid/authrole/authmethod in WELCOME; the realm's grants apply
  (register and call under com.secure., not_authorized elsewhere); a wrong ticket is refused.
- wampcra: AuthWampCra with a salted challenge (non-default iterations and keylen, which
  autobahn's derive_key must take from the CHALLENGE); wrong secret and unknown authid get the
  same refusal.
- cryptosign: AuthCryptoSign from a private key (authextra.pubkey); an unknown key is refused.
- scram: AuthScram (authmethod "scram", kdf argon2id-13) joins, and autobahn checks the
  server signature in WELCOME (it ABORTs the join otherwise); a wrong password and an unknown
  authid (mock challenge) are refused.
- scram_router_derived: AuthScram for a user whose WAMP-SCRAM credential the router derived
  from a configured password: joins (the router checks the credential's autobahn-python keys
  in the "scram" dialect, see src/auth/scram.ts) and autobahn verifies the server signature;
  a wrong password is refused.
- anonymous: a HELLO without authmethods is refused with wamp.error.no_auth_method.
"""

from autobahn.wamp.auth import AuthCryptoSign, AuthScram, AuthTicket, AuthWampCra
from autobahn.wamp.exception import ApplicationError

from common import Refused, run

TICKET = ("alice", "alice-ticket")
CRA = ("carol", "carol-cra-secret")
CRYPTOSIGN_SEED = "4d57d97a68f555696620a6d849c0ce582568518d729eb753dc7c732de2804510"
CRYPTOSIGN_PUBKEY = "1adfc8bfe1d35616e64dffbd900096f23b066f914c8c2ffbb66f6075b96e116d"
STRANGER_SEED = "09" * 32
SCRAM = ("sam", "sam-scram-p\u00e4ss")
AUTH_FAILED = "wamp.error.authentication_failed"


def extra_args(p):
    p.set_defaults(realm="secure")
    p.add_argument("--crossbar-realm", default="secure.crossbar")


async def join(t, authenticator, realm=None):
    """(client, None) when the session opened (closed at the scenario's end); (None, Refused) when not."""
    try:
        return await t.connect(realm=realm, authenticators=[authenticator]), None
    except Refused as e:
        return None, e


def welcome(r, label, client, refused, authid, authrole, authmethod):
    if client is None:
        return r.check(label, False, error="refused: {} {}".format(refused.reason, refused.message))
    d = client.details
    return r.eq(label, [d.authid, d.authrole, d.authmethod], [authid, authrole, authmethod])


def refusal(r, label, client, refused):
    """The router's uniform refusal: ABORT wamp.error.authentication_failed "authentication failed"."""
    if client is not None:
        return r.check(label, False, error="joined as {}".format(client.details.authid))
    return r.eq(label, [refused.reason, refused.message], [AUTH_FAILED, "authentication failed"])


async def ticket(opts, r, t):
    c, e = await join(t, AuthTicket(authid=TICKET[0], ticket=TICKET[1]))
    if welcome(r, "joins", c, e, "alice", "app", "ticket"):
        await c.session.register(lambda x: x, "com.secure.echo")
        r.eq("granted: register and call com.secure.*", await c.session.call("com.secure.echo", b"\x00\x01"), b"\x00\x01")
        try:
            await c.session.register(lambda: 1, "com.other.proc")
            r.check("not granted: register com.other.proc", False)
        except ApplicationError as err:
            r.eq("not granted: register com.other.proc", err.error, "wamp.error.not_authorized")
    c, e = await join(t, AuthTicket(authid=TICKET[0], ticket="wrong"))
    refusal(r, "wrong ticket", c, e)


async def wampcra(opts, r, t):
    c, e = await join(t, AuthWampCra(authid=CRA[0], secret=CRA[1]))
    welcome(r, "joins", c, e, "carol", "app", "wampcra")
    c, e = await join(t, AuthWampCra(authid=CRA[0], secret="wrong"))
    refusal(r, "wrong secret", c, e)
    c, e = await join(t, AuthWampCra(authid="nobody", secret=CRA[1]))
    refusal(r, "unknown authid", c, e)


async def cryptosign(opts, r, t):
    c, e = await join(t, AuthCryptoSign(authid="dave", privkey=CRYPTOSIGN_SEED))
    welcome(r, "joins", c, e, "dave", "device", "cryptosign")
    r.eq("autobahn announced the expected public key",
         AuthCryptoSign(authid="dave", privkey=CRYPTOSIGN_SEED).authextra.get("pubkey"), CRYPTOSIGN_PUBKEY)
    c, e = await join(t, AuthCryptoSign(authid="dave", privkey=STRANGER_SEED))
    refusal(r, "unknown key", c, e)


async def scram(opts, r, t):
    c, e = await join(t, AuthScram(authid=SCRAM[0], password=SCRAM[1]), realm=opts.crossbar_realm)
    if welcome(r, "joins (server signature verified by autobahn)", c, e, "sam", "app", "scram"):
        r.check("WELCOME authextra has scram_server_signature", "scram_server_signature" in (c.details.authextra or {}),
                got=c.details.authextra)
    c, e = await join(t, AuthScram(authid=SCRAM[0], password="wrong"), realm=opts.crossbar_realm)
    refusal(r, "wrong password", c, e)
    c, e = await join(t, AuthScram(authid="nobody", password=SCRAM[1]), realm=opts.crossbar_realm)
    refusal(r, "unknown authid (mock challenge)", c, e)


async def scram_router_derived(opts, r, t):
    c, e = await join(t, AuthScram(authid=SCRAM[0], password=SCRAM[1]))
    welcome(r, "joins (server signature verified by autobahn)", c, e, "sam", "app", "scram")
    c, e = await join(t, AuthScram(authid=SCRAM[0], password="wrong"))
    refusal(r, "wrong password", c, e)


async def anonymous(opts, r, t):
    try:
        c = await t.connect()
        r.check("refused", False, error="joined as {}".format(c.details.authid))
    except Refused as e:
        r.eq("refused", e.reason, "wamp.error.no_auth_method")


SCENARIOS = {
    "ticket": ticket,
    "wampcra": wampcra,
    "cryptosign": cryptosign,
    "scram": scram,
    "scram_router_derived": scram_router_derived,
    "anonymous": anonymous,
}

if __name__ == "__main__":
    run("autobahn-python authentication interop checks", SCENARIOS, extra_args)
