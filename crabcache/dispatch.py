"""The dispatcher: one place that turns an argument list into a reply.

Every check Redis's processCommand makes before running a command happens here,
once, in Redis's order and with Redis's words: unknown command or subcommand,
arity, authentication, OOM, RESP2 subscribed-mode restrictions, then MULTI
queuing.  A rejection inside MULTI also marks the transaction so EXEC aborts.

``execute`` is synchronous: on one trio thread a handler that does not await
runs atomically, which is the guarantee Redis gives.  Handlers that must wait
return a ``Deferred``; the connection awaits it (dispatch itself never does).
"""

from __future__ import annotations

from time import perf_counter_ns
from typing import TYPE_CHECKING, Any

from . import errors
from .commands.registry import COMMANDS, Command
from .errors import CommandError
from .protocol.writer import QUEUED

if TYPE_CHECKING:
    from .server.session import Session


class Deferred:
    """A reply that is not ready yet (BLPOP, WAIT, CLIENT PAUSE ...).

    The connection task awaits ``wait()`` and sends what it returns.  Until
    then that connection reads no further commands, exactly as a blocked
    Redis client.
    """

    async def wait(self) -> Any:  # pragma: no cover - interface
        raise NotImplementedError


def resolve(c: "Session", argv: list[bytes]) -> Command:
    """Find the command for ``argv`` and check its arity; raise Redis's error if not."""
    name = argv[0]
    cmd = COMMANDS.get(name)
    if cmd is None:
        cmd = COMMANDS.get(name.lower())
        if cmd is None:
            raise errors.unknown_command(name, argv[1:])
    if cmd.subcommands:  # a container: CLIENT, CONFIG, OBJECT, COMMAND ...
        if len(argv) >= 2:
            sub = cmd.subcommands.get(argv[1].lower())
            if sub is None:
                raise errors.unknown_subcommand(argv[1], cmd.name)
            cmd = sub
        elif cmd.handler is None:
            raise errors.wrong_arity(cmd.name)
    a = cmd.arity
    n = len(argv)
    if (a > 0 and n != a) or n < -a:
        raise errors.wrong_arity(cmd.name)
    return cmd


def execute(c: "Session", argv: list[bytes]) -> Any:
    """Run one client command through every check; returns the reply value."""
    server = c.server
    try:
        cmd = resolve(c, argv)
    except CommandError as e:
        return reject(c, None, e)
    if not c.authenticated and not cmd.noauth:
        return reject(c, cmd, CommandError(errors.NOAUTH))
    if c.multi is not None and not cmd.multi_control:
        c.multi.append((cmd, argv))
        return QUEUED
    if not c.resp3 and not cmd.pubsub_ok and (c.channels or c.patterns or c.shard_channels):
        return reject(c, cmd, errors.pubsub_context(cmd.name))
    return call(c, cmd, argv)


def call(c: "Session", cmd: Command, argv: list[bytes]) -> Any:
    """Run a resolved command and keep its statistics (Redis's call())."""
    c.last_cmd = cmd.name.encode()
    t0 = perf_counter_ns()
    try:
        reply = cmd.handler(c, argv)  # type: ignore[misc]
    except CommandError as e:
        reply = e
        cmd.failed_calls += 1
        count_error(c, e)
    cmd.calls += 1
    cmd.usec += (perf_counter_ns() - t0) // 1000
    c.server.stats.total_commands_processed += 1
    return reply


def reject(c: "Session", cmd: Command | None, e: CommandError) -> CommandError:
    """A command refused before running (rejectCommand): counts, and poisons MULTI."""
    if c.multi is not None:
        c.multi_error = True
    if cmd is not None:
        cmd.rejected_calls += 1
    count_error(c, e)
    return e


def count_error(c: "Session", e: CommandError) -> None:
    stats = c.server.stats
    stats.total_error_replies += 1
    prefix = e.message.split(" ", 1)[0]
    stats.errorstats[prefix] = stats.errorstats.get(prefix, 0) + 1
