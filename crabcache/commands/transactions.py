"""Transactions: MULTI, EXEC, DISCARD, WATCH, UNWATCH.

Rules of this module:

* Queuing is the dispatcher's job.  Between MULTI and EXEC every command that
  passes the checks (arity, auth, subscribed mode, no_multi ...) is appended
  to ``session.multi`` as ``(cmd, argv)`` and answered QUEUED; a rejection
  sets ``session.multi_error`` and EXEC then answers EXECABORT.  MULTI, EXEC,
  DISCARD, WATCH, QUIT and RESET run at once (``Command.multi_control``).
* EXEC runs the queue through ``dispatch.call`` with ``session.in_exec`` set:
  nothing runs in between (one trio thread, no await), blocking commands act
  as their non-blocking forms, and every reply -- errors included -- goes into
  the array.  MONITOR, SLOWLOG, commandstats, keyspace events and client-side
  caching see each inner command as Redis shows them.  While it runs the
  session is still "in MULTI" (CLIENT INFO shows ``x``), as in Redis.
* WATCH puts the session in ``db.watchers[key]``.  The keyspace sets
  ``session.watch_dirty`` on every change (``db.set/delete/modified``,
  expiry, FLUSH* of a key that exists, SWAPDB, RENAME, MOVE); EXEC also fails
  when a watched key that was alive at WATCH time has logically expired since,
  even if nobody touched it (Redis's isWatchedKeyExpired).
* A key that is already logically expired when WATCHed is reclaimed on the
  spot, so its removal later is "no change" (Redis keeps an "expired at WATCH"
  mark instead; the outcome is the same, only the ``expired`` event comes
  sooner).
* Every watch goes at EXEC, DISCARD, UNWATCH, RESET and disconnect.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .. import dispatch, errors
from ..errors import CommandError
from ..protocol.writer import NULL_ARRAY, OK
from ..server import state
from .registry import command

if TYPE_CHECKING:
    from ..server.session import Session
    from ..server.state import Server

TX = "transactions"


def watch_key(c: Session, key: bytes) -> None:
    """Watch ``key`` in the session's current database (watchForKey)."""
    db = c.db
    mark = (db, key)
    if mark in c.watched:
        return
    if db.nttl:
        db.lookup(key)  # reclaim it now if it is logically expired (see module rules)
    sessions = db.watchers.get(key)
    if sessions is None:
        sessions = db.watchers[key] = set()
    sessions.add(c)
    c.watched.add(mark)


def unwatch_all(c: Session) -> None:
    """Forget every watched key of ``c`` and its dirty mark (unwatchAllKeys)."""
    for db, key in c.watched:
        sessions = db.watchers.get(key)
        if sessions is not None:
            sessions.discard(c)
            if not sessions:
                del db.watchers[key]
    c.watched.clear()
    c.watch_dirty = False


def discard_transaction(c: Session) -> None:
    c.multi = None
    c.multi_error = False
    unwatch_all(c)


def abort_exec(c: Session, message: str) -> CommandError:
    """execCommandAbort: EXEC refused before it ran (OOM, MISCONF): the queue
    is dropped and the error says why."""
    discard_transaction(c)
    return CommandError(errors.EXECABORT_BECAUSE + message)


def watched_key_expired(c: Session) -> bool:
    """A watched key alive at WATCH time whose TTL has passed since."""
    now = c.server.now_ms()
    for db, key in c.watched:
        if db.nttl:
            when = db.get_ttl(key)
            if when is not None and when <= now:
                return True
    return False


@command("multi", 1, "noscript loading stale fast allow_busy", group=TX, since="1.2.0",
         summary="Start a transaction block")
def multi(c: Any, argv: list[bytes]) -> Any:
    if c.multi is not None:
        raise CommandError(errors.MULTI_NESTED)
    c.multi = []
    c.multi_error = False
    return OK


@command("exec", 1, "noscript loading stale skip_slowlog", group=TX, since="1.2.0",
         summary="Execute all commands issued after MULTI")
def exec_(c: Any, argv: list[bytes]) -> Any:
    queue = c.multi
    if queue is None:
        raise CommandError(errors.EXEC_WITHOUT_MULTI)
    if c.multi_error:
        discard_transaction(c)
        raise CommandError(errors.EXECABORT)
    if c.watch_dirty or (c.watched and watched_key_expired(c)):
        discard_transaction(c)
        return NULL_ARRAY
    unwatch_all(c)  # as Redis: unwatch first, nothing the queue does can abort it now
    c.multi = None
    c.multi_error = False
    return _run_queue(c, queue, 0, [])


def _run_queue(c: Any, queue: list[Any], i: int, replies: list[Any]) -> Any:
    """Run ``queue[i:]``; a command that has to wait (a script past
    busy-reply-threshold) suspends the EXEC into a Deferred.  Nothing else can
    interleave meanwhile: while a script is busy the dispatcher refuses
    everyone else's commands, so the transaction stays atomic."""
    c.in_exec = True
    try:
        while i < len(queue):
            cmd, args = queue[i]
            i += 1
            if c.acl is not None:  # ACL rules may have changed since queuing (commands/acl.py)
                e = c.server.hooks["acl_exec_check"](c, cmd, args)
                if e is not None:
                    replies.append(e)
                    continue
            r = dispatch.call(c, cmd, args)
            if isinstance(r, dispatch.Deferred):
                return _ExecRest(c, queue, i, replies, r)
            replies.append(r)
    finally:
        c.in_exec = False
    return replies


class _ExecRest(dispatch.Deferred):
    def __init__(self, c: Any, queue: list[Any], i: int, replies: list[Any], pending: Any) -> None:
        self.c, self.queue, self.i, self.replies, self.pending = c, queue, i, replies, pending

    async def wait(self) -> Any:
        rest: Any = self
        while isinstance(rest, _ExecRest):
            rest.replies.append(await rest.pending.wait())
            rest = _run_queue(rest.c, rest.queue, rest.i, rest.replies)
        return rest


@command("discard", 1, "noscript loading stale fast allow_busy", group=TX, since="2.0.0",
         summary="Discard all commands issued after MULTI")
def discard(c: Any, argv: list[bytes]) -> Any:
    if c.multi is None:
        raise CommandError(errors.DISCARD_WITHOUT_MULTI)
    discard_transaction(c)
    return OK


@command("watch", -2, "noscript loading stale fast allow_busy", keys=(1, -1, 1), group=TX,
         since="2.2.0", summary="Monitor changes to keys to determine execution of a MULTI/EXEC block")
def watch(c: Any, argv: list[bytes]) -> Any:
    if c.multi is not None:
        raise CommandError(errors.WATCH_IN_MULTI)
    for key in argv[1:]:
        watch_key(c, key)
    return OK


@command("unwatch", 1, "noscript loading stale fast allow_busy", group=TX, since="2.2.0",
         summary="Forget about all watched keys")
def unwatch(c: Any, argv: list[bytes]) -> Any:
    unwatch_all(c)
    return OK


def _on_reset(c: Session) -> None:
    discard_transaction(c)


def setup(server: Server) -> None:
    server.hooks.setdefault("reset", []).append(_on_reset)
    server.hooks.setdefault("on_disconnect", []).append(unwatch_all)


state.SETUP.append(setup)
