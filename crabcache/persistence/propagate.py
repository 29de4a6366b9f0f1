"""Command propagation: what a write leaves behind for the AOF (Redis's
``propagate`` / ``alsoPropagate`` / ``rewriteClientCommandVector``).

Rules of this module:

* ``server.prop`` is a ``Propagator`` only while something consumes the
  stream (the AOF); it is None otherwise, and every entry point here is then
  a single attribute test, so propagation costs nothing with AOF off.
* ``dispatch.call`` brackets every command with ``enter``/``leave``.  A
  command that changed ``server.dirty`` is propagated as the client sent it,
  unless its handler said otherwise with ``rewrite(c, argv, ...)``: then
  exactly those commands are propagated (none: ``prevent``), even when the
  dirty counter did not move (FLUSHDB of an empty db, as Redis's
  forceCommandPropagation).  EXEC, EVAL and FCALL never propagate themselves:
  the commands they run do.
* ``also(server, db, argv)`` adds a command now, ahead of the current
  command's own (a key deleted by lazy expiry or eviction: DEL/UNLINK).
* An execution unit is the outermost ``call`` (or, outside any call, one
  ``also``/``rewrite``: active expiry, a blocked client served later).  When
  it ends its commands go to the sink in order, wrapped in MULTI/EXEC when
  there is more than one (propagatePendingCommands in Redis 7.0), each with
  the index of the database it ran in.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable

if TYPE_CHECKING:
    from ..server.state import Server

MULTI = [b"MULTI"]
EXEC = [b"EXEC"]
Op = tuple[int, list[bytes]]
# These never propagate themselves; what they run does (Redis's call() skips
# EXEC explicitly; scripts and functions replicate their effects since 7.0).
SELF_SILENT = frozenset(("exec", "eval", "evalsha", "eval_ro", "evalsha_ro", "fcall", "fcall_ro"))


class Propagator:
    """Collects one execution unit's commands and hands them to ``sink``
    (``one(db, argv)`` takes a unit of a single command: the common case)."""

    __slots__ = ("sink", "one", "ops", "depth", "override")

    def __init__(self, sink: Callable[[list[Op]], None], one: Callable[[int, list[bytes]], None]) -> None:
        self.sink = sink
        self.one = one
        self.ops: list[Op] = []  # the current unit's commands so far
        self.depth = 0  # nesting of call()
        self.override: list[Op] | None = None  # the running command's rewrite, if any

    def enter(self) -> Any:
        self.depth += 1
        saved = self.override
        self.override = None
        return saved

    def leave(self, c: Any, cmd: Any, argv: list[bytes], dirtied: bool, saved: Any) -> None:
        rw = self.override
        self.override = saved
        self.depth -= 1
        if rw is None and not self.depth and not self.ops:
            # The common case, a top-level write on its own: straight to the file's buffer.
            if dirtied and cmd.name not in SELF_SILENT:
                self.one(c.db.index, argv)
            return
        if rw is not None:
            self.ops.extend(rw)
        elif dirtied and cmd.name not in SELF_SILENT:
            self.ops.append((c.db.index, list(argv)))
        if not self.depth and self.ops:
            self.flush()

    def rewrite(self, db: int, argvs: tuple[list[bytes], ...]) -> None:
        ops = [(db, a) for a in argvs]
        if self.depth:
            if self.override is None:
                self.override = ops
            else:
                self.override.extend(ops)
        else:
            self.ops.extend(ops)
            self.flush()

    def also(self, db: int, argv: list[bytes]) -> None:
        self.ops.append((db, argv))
        if not self.depth:
            self.flush()

    def flush(self) -> None:
        ops = self.ops
        self.ops = []
        if len(ops) > 1:
            ops.insert(0, (ops[0][0], MULTI))
            ops.append((-1, EXEC))
        self.sink(ops)


def rewrite(c: Any, *argvs: list[bytes]) -> None:
    """Propagate ``argvs`` (in c's database) instead of the running command."""
    p = c.server.prop
    if p is not None:
        p.rewrite(c.db.index, argvs)


def prevent(c: Any) -> None:
    """The running command propagates nothing itself (preventCommandPropagation)."""
    p = c.server.prop
    if p is not None:
        p.rewrite(c.db.index, ())


def force(c: Any, argv: list[bytes]) -> None:
    """Propagate the command as sent even if it changed nothing (forceCommandPropagation)."""
    p = c.server.prop
    if p is not None and p.override is None:
        p.rewrite(c.db.index, (list(argv),))


def also(server: "Server", db: int, argv: list[bytes]) -> None:
    """alsoPropagate: an extra command now, before the running command's own."""
    p = server.prop
    if p is not None:
        p.also(db, argv)


def deleted(server: "Server", db: int, key: bytes, lazy_param: str) -> None:
    """A key removed by expiry or eviction: DEL, or UNLINK when ``lazy_param``
    (lazyfree-lazy-expire / -eviction) is on (propagateDeletion)."""
    p = server.prop
    if p is not None:
        p.also(db, [b"UNLINK" if server.config[lazy_param] else b"DEL", key])


def ms(n: int) -> bytes:
    return b"%d" % n
