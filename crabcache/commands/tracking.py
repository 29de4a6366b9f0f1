"""Client-side caching: CLIENT TRACKING, CACHING, GETREDIR, TRACKINGINFO and invalidation.

Rules of this module:

* A tracking client has ``session.tracking`` set to a ``Tracking``; the
  server-wide ``server.tracking_on`` flag is true while anyone tracks, and
  only then do keyspace writes call ``server.hooks["invalidate"]``.
* Default mode: after a read-only command of a tracking client
  (``dispatch.call`` -> ``hooks["tracking_call"]``; for a script's commands,
  the Lua session carries the caller's ``Tracking`` while the script runs and
  the keys go to the caller, as Redis uses server.current_client; EVAL_RO
  itself remembers nothing), its keys are remembered
  in ``Tracker.table``: key -> ids of clients that may cache it (OPTIN only
  after ``CLIENT CACHING yes``, OPTOUT unless ``CLIENT CACHING no``).  When
  the key changes, each of them gets one invalidation and the key leaves
  the table.  Entries of clients that stopped tracking are dropped lazily,
  as Redis does.
* BCAST mode: nothing is remembered; a changed key that starts with a
  registered prefix is collected per prefix and announced to the prefix's
  clients once per batch (``server.before_sleep``, Redis's beforeSleep), keys
  sorted and deduplicated; NOLOOP clients don't hear of their own writes.
* An invalidation for the client whose command is running is held until its
  reply is built and sent right after it (Redis 7.0's pending invalidations),
  and inside EXEC or a script, until the outer command's reply.
* Delivery: RESP3 -> ``>2 invalidate [keys]`` push on the client or its
  REDIRECT target; RESP2 -> a ``message`` on ``__redis__:invalidate`` to the
  REDIRECT target if it is subscribed to anything.  FLUSHDB/FLUSHALL send a
  null key list.  A vanished REDIRECT target marks the client "broken" and a
  RESP3 client hears ``tracking-redir-broken``.
* ``tracking-table-max-keys`` bounds the table: past it the oldest keys are
  invalidated to make room.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .. import dispatch, errors
from ..errors import CommandError
from ..protocol.writer import OK, Map, Push, Raw, Set, encode
from ..server import state
from . import connection as _client_container  # noqa: F401  (declares the CLIENT container)
from .args import parse_int
from .registry import command, total_calls

if TYPE_CHECKING:
    from ..server.session import Session
    from ..server.state import Server
    from .registry import Command

CONN = "connection"
INVALIDATE_CHANNEL = b"__redis__:invalidate"


class Tracking:
    """One client's tracking mode (the CLIENT_TRACKING_* flags)."""

    __slots__ = (
        "bcast",
        "broken",
        "caching",
        "noloop",
        "optin",
        "optout",
        "pending",
        "prefixes",
        "redirect",
    )

    def __init__(self) -> None:
        self.redirect = 0  # client id, 0 = none
        self.bcast = False
        self.optin = False
        self.optout = False
        self.noloop = False
        self.caching = False  # CLIENT CACHING given for the next command
        self.broken = False  # the REDIRECT target went away
        self.prefixes: list[bytes] = []  # BCAST prefixes ("" = every key)
        self.pending: list[list[bytes] | None] = []  # own invalidations held until the reply


class Bcast:
    """One BCAST prefix: its clients and the keys changed since the last announcement."""

    __slots__ = ("clients", "keys")

    def __init__(self) -> None:
        self.clients: dict[Session, None] = {}
        self.keys: dict[bytes, Any] = {}  # key -> session that changed it last (NOLOOP)


class Tracker:
    """Server-wide tracking state."""

    __slots__ = ("flush_mark", "prefixes", "scheduled", "server", "table", "tracking")

    def __init__(self, server: Server) -> None:
        self.server = server
        self.table: dict[bytes, set[int]] = {}  # key -> client ids that may cache it
        self.prefixes: dict[bytes, Bcast] = {}
        self.tracking: set[Session] = set()
        self.flush_mark = -1  # FLUSHALL empties every db: one null invalidation per command
        self.scheduled = False

    # --- enabling --------------------------------------------------------------
    def update_flag(self) -> None:
        on = bool(self.tracking)
        self.server.tracking_on = on
        if not on:
            self.table.clear()

    def enable(self, c: Session, t: Tracking, prefixes: list[bytes]) -> None:
        c.tracking = t
        self.tracking.add(c)
        if t.bcast:
            for p in prefixes or [b""]:
                if p not in t.prefixes:
                    t.prefixes.append(p)
                bs = self.prefixes.get(p)
                if bs is None:
                    bs = self.prefixes[p] = Bcast()
                bs.clients[c] = None
        self.update_flag()

    def disable(self, c: Session) -> None:
        t = c.tracking
        if t is None:
            return
        for p in t.prefixes:
            bs = self.prefixes.get(p)
            if bs is not None:
                bs.clients.pop(c, None)
                if not bs.clients:
                    del self.prefixes[p]
        c.tracking = None
        self.tracking.discard(c)
        self.update_flag()

    # --- remembering -------------------------------------------------------------
    def after_call(self, c: Session, cmd: Command, argv: list[bytes], reply: Any) -> Any:
        """dispatch.call's tail for a tracking client: remember keys, release held messages."""
        t = c.tracking
        # OPTIN remembers only after CACHING YES, OPTOUT unless CACHING NO.
        wanted = t.caching if t.optin else not (t.optout and t.caching)
        if wanted and "readonly" in cmd.flags and not t.bcast and cmd.group != "scripting":
            table = self.table
            # A script's commands run on the Lua session, which lends the caller's
            # Tracking for the run: the keys are the caller's.
            owner = self.server.current_client if c.kind == "lua" else c
            cid = (owner or c).id
            for i in cmd.key_indexes(argv):
                ids = table.get(argv[i])
                if ids is None:
                    ids = table[argv[i]] = set()
                ids.add(cid)
            limit = self.server.config["tracking-table-max-keys"]
            if limit and len(table) > limit:
                self.evict(limit)
        if c.in_exec:
            return reply
        if t.caching and c.multi is None and cmd.container_name != "client":
            t.caching = False  # CLIENT CACHING covers one command (or one transaction)
        if t.pending and c.tracking is t:
            if isinstance(reply, dispatch.Deferred):
                return reply  # released after a later command
            held = t.pending
            t.pending = []
            out = [encode(reply, c.resp3)]
            for keys in held:
                data = self.message(c, keys)
                if data is not None:
                    target, payload = data
                    if target is c:
                        out.append(payload)
                    else:
                        target.deliver(payload)
            return Raw(b"".join(out))
        return reply

    def evict(self, limit: int) -> None:
        # trackingLimitUsedSlots: invalidate the oldest keys until back under the limit.
        table = self.table
        while len(table) > limit:
            key = next(iter(table))
            self.invalidate(key)

    # --- invalidating ------------------------------------------------------------
    def message(self, c: Session, keys: list[bytes] | None) -> tuple[Session, bytes] | None:
        """Where an invalidation for ``c`` goes and its bytes (sendTrackingMessage)."""
        t = c.tracking
        target = c
        if t is not None and t.redirect:
            target = self.server.clients.get(t.redirect)  # type: ignore[assignment]
            if target is None:
                t.broken = True
                if c.resp3:
                    return c, encode(Push([b"tracking-redir-broken", t.redirect]), True)
                return None
            if not target.resp3:
                if not target.subscribed:
                    return None
                return target, encode(Push([b"message", INVALIDATE_CHANNEL, keys]), False)
        elif not c.resp3:
            return None  # RESP2 without REDIRECT has nowhere to put it
        return target, encode(Push([b"invalidate", keys]), True)

    def send(self, c: Session, keys: list[bytes] | None) -> None:
        t = c.tracking
        if c is self.server.current_client:
            t.pending.append(keys)  # after this command's reply
            return
        data = self.message(c, keys)
        if data is not None:
            data[0].deliver(data[1])

    def invalidate(self, key: bytes) -> None:
        """A key changed (trackingInvalidateKey)."""
        if self.prefixes:
            writer = self.server.current_client
            for prefix, bs in self.prefixes.items():
                if key.startswith(prefix):
                    bs.keys[key] = writer
                    if not self.scheduled:
                        self.scheduled = True
                        self.server.before_sleep.append(self.broadcast)
        ids = self.table.pop(key, None)
        if not ids:
            return
        clients = self.server.clients
        current = self.server.current_client
        for cid in ids:
            s = clients.get(cid)
            if s is None:
                continue
            t = s.tracking
            if t is None or t.bcast or (t.noloop and s is current):
                continue
            self.send(s, [key])

    def invalidate_all(self) -> None:
        """FLUSHDB / FLUSHALL: every tracking client drops its whole cache."""
        mark = total_calls()
        if mark == self.flush_mark:
            return  # FLUSHALL flushes every db in one command: announce it once
        self.flush_mark = mark
        for s in list(self.tracking):
            self.send(s, None)
        self.table.clear()

    def broadcast(self) -> None:
        """Announce the keys gathered per BCAST prefix (trackingBroadcastInvalidationMessages)."""
        self.scheduled = False
        for bs in list(self.prefixes.values()):  # a client cut off on delivery leaves at once
            if not bs.keys:
                continue
            keys = sorted(bs.keys)
            for s in list(bs.clients):
                t = s.tracking
                if t is None:
                    continue
                mine = keys
                if t.noloop:
                    mine = [k for k in keys if bs.keys[k] is not s]
                    if not mine:
                        continue
                data = self.message(s, mine)
                if data is not None:
                    data[0].deliver(data[1])
            bs.keys = {}


def _tracker(c: Any) -> Tracker:
    return c.server.hooks["tracker"]


# --- CLIENT TRACKING / CACHING / GETREDIR / TRACKINGINFO -----------------------------


def _overlaps(a: bytes, b: bytes) -> bool:
    n = min(len(a), len(b))
    return a[:n] == b[:n]


@command("client|tracking", -3, "noscript loading stale", group=CONN, since="6.0.0",
         summary="Enable or disable server assisted client side caching support")
def client_tracking(c: Any, argv: list[bytes]) -> Any:
    redirect = 0
    bcast = optin = optout = noloop = False
    prefixes: list[bytes] = []
    j = 3
    n = len(argv)
    while j < n:
        opt = argv[j].lower()
        more = n - 1 - j
        if opt == b"redirect" and more:
            j += 1
            if redirect:
                raise CommandError(errors.TRACKING_REDIRECT_TWICE)
            redirect = parse_int(argv[j])
            if redirect not in c.server.clients:
                raise CommandError(errors.TRACKING_REDIRECT_MISSING)
        elif opt == b"bcast":
            bcast = True
        elif opt == b"optin":
            optin = True
        elif opt == b"optout":
            optout = True
        elif opt == b"noloop":
            noloop = True
        elif opt == b"prefix" and more:
            j += 1
            prefixes.append(argv[j])
        else:
            raise CommandError(errors.SYNTAX)
        j += 1
    mode = argv[2].lower()
    tracker = _tracker(c)
    old = c.tracking
    if mode == b"on":
        if prefixes and not bcast:
            raise CommandError(errors.TRACKING_PREFIX_NEEDS_BCAST)
        if old is not None and old.bcast != bcast:
            raise CommandError(errors.TRACKING_SWITCH_BCAST)
        if bcast and (optin or optout):
            raise CommandError(errors.TRACKING_BCAST_OPTIN)
        if optin and optout:
            raise CommandError(errors.TRACKING_OPTIN_OPTOUT)
        if old is not None and ((optin and old.optout) or (optout and old.optin)):
            raise CommandError(errors.TRACKING_SWITCH_OPT)
        if bcast:
            existing = old.prefixes if old is not None else []
            for i, p in enumerate(prefixes):
                for e in existing:
                    if _overlaps(p, e):
                        raise errors.prefix_overlap(p, e, existing=True)
                for q in prefixes[i + 1:]:
                    if _overlaps(p, q):
                        raise errors.prefix_overlap(p, q, existing=False)
        t = old if old is not None else Tracking()
        # enableTracking: the mode flags are replaced, prefixes accumulate.
        t.redirect = redirect
        t.bcast, t.optin, t.optout, t.noloop = bcast, optin, optout, noloop
        t.broken = False
        tracker.enable(c, t, prefixes)
    elif mode == b"off":
        tracker.disable(c)
    else:
        raise CommandError(errors.SYNTAX)
    return OK


@command("client|caching", 3, "noscript loading stale", group=CONN, since="6.0.0",
         summary="Instruct the server about tracking or not keys in the next request")
def client_caching(c: Any, argv: list[bytes]) -> Any:
    t = c.tracking
    if t is None:
        raise CommandError(errors.CACHING_NOT_TRACKING)
    opt = argv[2].lower()
    if opt == b"yes":
        if not t.optin:
            raise CommandError(errors.CACHING_YES)
    elif opt == b"no":
        if not t.optout:
            raise CommandError(errors.CACHING_NO)
    else:
        raise CommandError(errors.SYNTAX)
    t.caching = True
    return OK


@command("client|getredir", 2, "noscript loading stale", group=CONN, since="6.0.0",
         summary="Get tracking notifications redirection client ID if any")
def client_getredir(c: Any, argv: list[bytes]) -> Any:
    t = c.tracking
    return -1 if t is None else t.redirect


@command("client|trackinginfo", 2, "noscript loading stale", group=CONN, since="6.2.0",
         summary="Return information about server assisted client side caching for the current connection")
def client_trackinginfo(c: Any, argv: list[bytes]) -> Any:
    t = c.tracking
    if t is None:
        return Map([b"flags", Set([b"off"]), b"redirect", -1, b"prefixes", []])
    flags = [b"on"]
    if t.bcast:
        flags.append(b"bcast")
    if t.optin:
        flags.append(b"optin")
        if t.caching:
            flags.append(b"caching-yes")
    if t.optout:
        flags.append(b"optout")
        if t.caching:
            flags.append(b"caching-no")
    if t.noloop:
        flags.append(b"noloop")
    if t.broken:
        flags.append(b"broken_redirect")
    return Map([b"flags", Set(flags), b"redirect", t.redirect, b"prefixes", sorted(t.prefixes)])


# --- wiring ----------------------------------------------------------------------------


def setup(server: Server) -> None:
    tracker = Tracker(server)
    hooks = server.hooks
    hooks["tracker"] = tracker
    hooks["tracking_call"] = tracker.after_call
    hooks["invalidate"] = tracker.invalidate
    hooks["invalidate_all"] = tracker.invalidate_all
    hooks["tracking_counts"] = lambda: (len(tracker.table), sum(len(v) for v in tracker.table.values()),
                                        len(tracker.prefixes))
    hooks.setdefault("reset", []).append(tracker.disable)
    hooks.setdefault("on_disconnect", []).append(tracker.disable)
    # Keys expired by the active cycle are announced from cron, not after a batch.
    hooks.setdefault("cron", []).append(lambda: tracker.broadcast() if tracker.scheduled else None)


state.SETUP.append(setup)
