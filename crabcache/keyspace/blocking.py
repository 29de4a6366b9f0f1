"""Clients blocked on keys (BLPOP, BLMOVE, BZPOPMIN ...), the trio way.

Theory of operation:

* A blocking command first tries to run as its non-blocking form.  Only when
  nothing is there, and the client may block (not inside MULTI/EXEC or a
  script, see ``may_block``), does its handler call ``block()``: that
  registers a ``Waiter`` under each key in ``db.blocking[key]`` (a dict used
  as an ordered set, so the first client to block is the first served) and
  returns a ``BlockedCall``, the ``dispatch.Deferred`` the connection awaits.
* A waiter carries ``serve(key)``: a synchronous function that performs the
  command for that client against the now-ready key and returns its reply, or
  None when the key can't serve it (empty, or of another type: a BZPOPMIN
  waiter is skipped by a list push); a ``CommandError`` it raises becomes the
  client's reply.  The data moves the moment it is served,
  inside the writer's turn, exactly as Redis's handleClientsBlockedOnKeys does;
  the parked connection task is only told (a ``trio.Event``) that its reply is
  ready.  Nothing polls.
* Writes that may make a key ready call ``db.signal_ready(key)``, which queues
  the key in ``server.ready_keys`` when someone waits on it; ``db.set`` does
  so itself, so creating a key (a push, RENAME, SMOVE ...) needs nothing more.  The connection
  calls the ``serve_ready`` hook after every *top-level* command, so a push
  inside MULTI/EXEC or a script wakes clients only after it completes.  Serving
  may push elsewhere (BLMOVE) and ready more keys; the loop runs until none is
  left, and never re-enters itself.
* A waiter leaves ``db.blocking`` exactly once, whichever comes first: served,
  timed out (``trio.move_on_after``), CLIENT UNBLOCK, or cancelled because the
  connection went away (the ``finally`` in ``BlockedCall.wait``; the
  connection keeps watching a parked client's socket for EOF, as Redis keeps
  reading blocked clients).  A client that disconnects while blocked leaves
  no trace.
* Timeouts are parsed as Redis 7.0 does (``parse_timeout_ms``): seconds as a
  long double, rounded up to whole milliseconds; 0 means forever.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import trio

from .. import errors
from ..commands import connection as _client_container  # noqa: F401  (declares the CLIENT container)
from ..commands.args import parse_int
from ..commands.registry import command
from ..datatypes.zset import scan_number
from ..dispatch import Deferred
from ..errors import CommandError
from ..protocol.writer import NULL_ARRAY
from ..server import state

if TYPE_CHECKING:
    from ..keyspace.db import Database
    from ..server.session import Session
    from ..server.state import Server

_SPACE = b" \t\n\v\f\r"
_LDBL_MAX = Decimal("1.18973149535723176502e4932")
_LDBL_TRUE_MIN_HALF = Decimal("1.8225997659412373012e-4951")


def parse_timeout_ms(b: bytes) -> int:
    """getTimeoutFromObjectOrReply(UNIT_SECONDS): milliseconds, 0 = block forever.

    Redis reads a long double and takes ``ceil(seconds * 1000)`` as a long
    long, so a tiny positive timeout is 1 ms, a tiny negative one is 0
    (forever), and values past the long long range (inf included) wrap to
    negative and are refused as such.
    """
    if not b or b[0] in _SPACE:
        raise CommandError(errors.TIMEOUT_NOT_FLOAT)
    kind, text, end = scan_number(b)
    if not kind or end != len(b) or kind == "nan":
        raise CommandError(errors.TIMEOUT_NOT_FLOAT)
    if kind == "inf":
        raise CommandError(errors.TIMEOUT_NEGATIVE)
    if kind == "hex":
        neg = text[:1] == b"-"
        try:
            v = Decimal(float.fromhex(text.lstrip(b"+-").decode()))
        except OverflowError:
            raise CommandError(errors.TIMEOUT_NEGATIVE) from None
        v = -v if neg else v
    else:
        v = Decimal(text.decode())
    a = abs(v)
    if a > _LDBL_MAX or (a and a < _LDBL_TRUE_MIN_HALF):
        raise CommandError(errors.TIMEOUT_NOT_FLOAT)  # strtold's ERANGE
    ms = math.ceil(v * 1000)
    if ms < 0 or ms >= 2**63:
        raise CommandError(errors.TIMEOUT_NEGATIVE)
    return ms


def may_block(c: Session) -> bool:
    """Blocking commands act as their non-blocking forms inside EXEC and scripts.

    Whoever runs commands on a client's behalf without a connection to park
    (EXEC, the Lua client) sets ``in_exec`` on that session.
    """
    return not c.in_exec


class Waiter:
    """One blocked client: its keys, how to serve it, and how to wake it."""

    __slots__ = ("db", "done", "event", "keys", "null", "on_delete", "reply", "serve", "session")

    def __init__(self, session: Session, db: Database, keys: list[bytes],
                 serve: Callable[[bytes], Any], null: Any, on_delete: bool = False) -> None:
        self.on_delete = on_delete  # serve() also wants to hear that its key is gone (XREADGROUP)
        self.session = session
        self.db = db
        self.keys = keys
        self.serve = serve
        self.event = trio.Event()
        self.reply: Any = None
        self.done = False
        self.null = null

    def finish(self, reply: Any) -> None:
        """Complete with ``reply``: leave every key's queue and wake the connection."""
        if self.done:
            return
        self.done = True
        self.reply = reply
        self._leave()
        self.event.set()

    def _leave(self) -> None:
        blocking = self.db.blocking
        for k in self.keys:
            q = blocking.get(k)
            if q is not None:
                q.pop(self, None)
                if not q:
                    del blocking[k]
        s = self.session
        if s.blocked is self:
            s.blocked = None
            s.unblock = None

    def client_unblock(self, error: bool) -> None:
        """CLIENT UNBLOCK: reply as a timeout would, or with the UNBLOCKED error."""
        self.finish(CommandError(errors.UNBLOCKED) if error else self.null)


class BlockedCall(Deferred):
    """What a blocked command's handler returns; the connection awaits ``wait()``."""

    __slots__ = ("timeout_ms", "waiter")

    def __init__(self, waiter: Waiter, timeout_ms: int) -> None:
        self.waiter = waiter
        self.timeout_ms = timeout_ms

    async def wait(self) -> Any:
        w = self.waiter
        try:
            if self.timeout_ms:
                with trio.move_on_after(self.timeout_ms / 1000):
                    await w.event.wait()
            else:
                await w.event.wait()
        finally:
            # Timed out, or cancelled because the client is going away.
            if not w.done:
                w.finish(w.null)
        return w.reply


def block(c: Session, keys: Iterable[bytes], timeout_ms: int, serve: Callable[[bytes], Any],
          null: Any = NULL_ARRAY, on_delete: bool = False) -> BlockedCall:
    """Park ``c`` on ``keys`` until ``serve(key)`` returns a reply, or timeout (``null``).
    With ``on_delete``, ``serve`` is also called when a key is deleted (signalDeletedKeyAsReady)."""
    db = c.db
    ks = list(dict.fromkeys(keys))  # a key named twice is waited on once
    w = Waiter(c, db, ks, serve, null, on_delete)
    blocking = db.blocking
    for k in ks:
        q = blocking.get(k)
        if q is None:
            q = blocking[k] = {}
        q[w] = None
    c.blocked = w
    c.unblock = w.client_unblock
    return BlockedCall(w, timeout_ms)


def serve_ready(server: Server) -> None:
    """Serve clients blocked on the keys in ``server.ready_keys`` (handleClientsBlockedOnKeys)."""
    st = server.hooks["blocking"]
    if st["serving"]:
        return
    st["serving"] = True
    try:
        while server.ready_keys:
            batch = server.ready_keys
            server.ready_keys = []
            seen: set[tuple[int, bytes]] = set()
            for db, key in batch:
                mark = (db.index, key)
                if mark in seen:
                    continue
                seen.add(mark)
                q = db.blocking.get(key)
                if not q:
                    continue
                for w in list(q):  # first blocked, first served
                    if w.done:
                        continue
                    if db.lookup(key) is None and not w.on_delete:
                        continue
                    try:
                        reply = w.serve(key)
                    except CommandError as e:
                        reply = e  # the error goes to the blocked client, as in Redis
                    if reply is not None:
                        w.finish(reply)
    finally:
        st["serving"] = False


def _on_disconnect(session: Session) -> None:
    # Normally the cancelled BlockedCall already cleaned up; this covers a
    # session dropped without its connection task being cancelled.
    w = session.blocked
    if isinstance(w, Waiter) and not w.done:
        w.finish(w.null)


def setup(server: Server) -> None:
    server.hooks["blocking"] = {"serving": False}
    server.hooks["serve_ready"] = lambda: serve_ready(server)
    server.hooks.setdefault("on_disconnect", []).append(_on_disconnect)


state.SETUP.append(setup)


# --- CLIENT UNBLOCK --------------------------------------------------------------------


@command("client|unblock", -3, "admin noscript loading stale", group="connection", since="5.0.0",
         summary="Unblock a client blocked in a blocking command from a different connection")
def client_unblock(c: Any, argv: list[bytes]) -> Any:
    if len(argv) > 4:
        raise errors.subcommand_syntax(argv[1].decode("latin-1"), "client")  # as the client spelled it
    error = False
    if len(argv) == 4:
        reason = argv[3].lower()
        if reason == b"error":
            error = True
        elif reason != b"timeout":
            raise CommandError(errors.UNBLOCK_REASON)
    cid = parse_int(argv[2])
    target = c.server.clients.get(cid)
    if target is None or target.blocked is None or target.unblock is None:
        return 0
    target.unblock(error)
    return 1
