"""The dispatcher: one place that turns an argument list into a reply.

Every check Redis's processCommand makes before running a command happens here,
once, in Redis's order and with Redis's words: unknown command or subcommand,
arity, authentication, ACL permissions, OOM, MISCONF, RESP2 subscribed-mode restrictions, the gate
(CLIENT PAUSE, MONITOR clients; absent otherwise), then MULTI queuing.  A
rejection inside MULTI also marks the transaction so EXEC aborts.

``execute`` is synchronous: on one trio thread a handler that does not await
runs atomically, which is the guarantee Redis gives.  Handlers that must wait
return a ``Deferred``; the connection awaits it (dispatch itself never does).
"""

from __future__ import annotations

from time import perf_counter_ns
from typing import TYPE_CHECKING, Any

from . import errors
from .errors import CommandError
from .protocol.writer import BULK_HEADERS, ENCODERS, QUEUED, Status, encode_other

if TYPE_CHECKING:
    from .server.session import Session

# Latency tracking (Redis 7.0's latencystats, LATENCY HISTOGRAM): every command
# has ``hist``, a list of 21 power-of-two buckets, and each call adds 1 to
# ``hist[LAT_BUCKET[(ns // 1000 * 1000 // 129).bit_length()]]``.  Redis
# records a call's whole microseconds (as ns, at least 1) in an HDR histogram
# (2 significant digits) and LATENCY HISTOGRAM reports it by the levels
# 1024 ns * 2**i; a value belongs to level 2**k while v < 129 * 2**(k-7) (the
# level plus its HDR bucket), hence the // 129.  Buckets below 1024 ns join the
# first, those past 2**30 ns the last (Redis clamps at 1 s).  The lists, the
# latency-tracking switch and the readers live in commands/introspection.py.
LAT_BUCKET = [max(0, min(20, bl - 3)) for bl in range(128)]


class Deferred:
    """A reply that is not ready yet (BLPOP, WAIT, CLIENT PAUSE ...).

    The connection task awaits ``wait()`` and sends what it returns.  Until
    then that connection reads no further commands, exactly as a blocked
    Redis client.  ``wait()`` may return ``RETRY``: the connection then runs
    the same command again from the top, checks included (a command held by
    CLIENT PAUSE is processed afresh, as Redis does with postponed clients).
    """

    async def wait(self) -> Any:  # pragma: no cover - interface
        raise NotImplementedError


RETRY = object()  # see Deferred


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
    """Run one client command through every check; returns the reply value.

    Afterwards the session's ``plain`` is recomputed: a command that takes
    the full path is the only kind that can change it (see ``run_batch``).
    """
    r = _execute_checked(c, argv, COMMANDS.get(argv[0]))
    c.refresh()
    return r


def run_batch(c: "Session", cmds: list[list[bytes]], i: int, out: list[bytes]) -> tuple[int, Any]:
    """Run ``cmds[i:]`` (one read's commands), appending each encoded reply
    to ``out``.  This is the hot path.

    Returns ``(len(cmds), None)`` when all ran, or ``(j, deferred)`` when
    ``cmds[j]`` must wait (BLPOP, WAIT, CLIENT PAUSE ...): the connection
    awaits it, adds its reply and calls again from ``j + 1``.  Stops early
    when the client is to be closed.

    The fast lane: while the session is ``plain`` (authenticated, not in
    MULTI, not subscribed in RESP2, no tracking, no busy script, no CLIENT
    PAUSE or MONITOR, CLIENT REPLY on, no ACL restriction: see
    ``Session.refresh``) every check after arity but maxmemory's would pass
    (that one, when set, runs inline: ``server.oom_guard``), so a data
    command (``Command.lane_lo/lane_hi``) found under its name as sent (the
    table holds lower- and upper-case names) is run right here -- ``call``
    inlined, minus the tracking hook that ``plain`` rules out -- and its reply
    encoded inline when it is one of the common types.  Everything else goes
    through ``execute``, after which ``plain``, the slowlog threshold, the
    OOM guard and ``server.prop`` are read again (only such commands change
    them).  While the AOF is on (``server.prop``), each lane command
    propagates as in ``call`` (in ``run_same`` too).

    Lane commands are timed with one clock read each: a command's time runs
    from the previous command's end, so it also carries the encoding of the
    reply before it (a few hundred ns).  INFO commandstats and SLOWLOG see
    that; a second clock read per command would cost more than it tells.
    A run of the same command goes to ``run_same`` (one clock read per run).
    """
    server = c.server
    get = COMMANDS.get
    clock = perf_counter_ns
    plain = c.plain
    slow_ns = server.slow_ns
    guard = server.oom_guard
    prop = server.prop  # the AOF is on: each command propagates as in call
    n = len(cmds)
    mark = clock()
    while i < n:
        argv = cmds[i]
        cmd = get(argv[0])
        if plain and cmd is not None and cmd.lane_lo <= len(argv) <= cmd.lane_hi:
            c.last_cmd = cmd  # CLIENT LIST cmd=, set at lookup as Redis does
            if guard is None and i + 1 < n and cmds[i + 1][0] == argv[0]:
                # A run of the same command (a pipelined bulk load or read).
                i, r, mark = run_same(c, cmd, cmds, i, out, mark)
                if r is not None:
                    return i, r
                continue
            oom = guard(c, cmd, argv) if guard is not None else None  # maxmemory: evict, maybe OOM
            if oom is not None:
                r = reject(c, cmd, oom)
            else:
                if prop is not None:
                    dirty = server.dirty
                    saved = prop.enter()
                try:
                    r = cmd.handler(c, argv)  # type: ignore[misc]
                except CommandError as e:
                    r = failed(c, cmd, e)
                except Exception as e:  # noqa: BLE001  (as in call)
                    r = internal_error(c, cmd, e)
                if prop is not None:
                    prop.leave(c, cmd, argv, server.dirty > dirty, saved)
                now = clock()
                ns = now - mark
                mark = now
                cmd.calls += 1
                cmd.ns += ns
                cmd.hist[LAT_BUCKET[(ns // 1000 * 1000 // 129).bit_length()]] += 1
                if ns >= slow_ns:
                    r = server.hooks["after_call"](c, cmd, argv, ns // 1000, r)
        else:
            r = execute(c, argv)
            plain = c.plain
            slow_ns = server.slow_ns
            guard = server.oom_guard
            prop = server.prop
            mark = clock()
        ty = type(r)
        if plain:
            if ty is bytes:
                m = len(r)  # header, value, CRLF as three parts: the final join copies once
                out.extend((BULK_HEADERS[m] if m < 1024 else b"$%d\r\n" % m, r, b"\r\n"))
            elif ty is Status:
                out.append(r.raw)
            elif ty is int:
                out.append(b":%d\r\n" % r)
            else:
                enc = ENCODERS.get(ty)
                if enc is None and isinstance(r, Deferred):
                    return i, r
                (enc or encode_other)(r, out, c.resp3)
        else:
            if isinstance(r, Deferred):
                return i, r
            emit(c, r, out)
            if c.close_after_reply:
                return n, None
        if server.ready_keys:  # a write made a key some blocked client waits for
            server.hooks["serve_ready"]()
        i += 1
    return n, None


def run_same(c: "Session", cmd: Command, cmds: list[list[bytes]], i: int, out: list[bytes],
             mark: int) -> tuple[int, Any, int]:
    """``run_batch``'s lane for a run of one command: ``cmds[i:]`` while each
    has the same name (as sent) and a lane arity.  Returns ``(j, None, t)``
    with ``cmds[j]`` the first command not run and ``t`` the clock at the end,
    or ``(j, deferred, t)`` when ``cmds[j]`` must wait.

    Everything per command stays per command -- the handler, its error
    counting, the encoding, serving clients a write has made ready -- except
    the lookup, the lane checks and the clock: the run is timed as a whole,
    and commandstats, SLOWLOG and the latency histogram give each command an
    equal share of it (the histogram records the run's mean once per command).
    (A pipelined run is one read's worth of commands, so the share is as
    close as the one-clock-read lane already is.)  The caller has set
    ``c.last_cmd``; only a plain session without maxmemory gets here.
    """
    server = c.server
    name = cmds[i][0]
    lo = cmd.lane_lo
    hi = cmd.lane_hi
    handler = cmd.handler
    resp3 = c.resp3
    append = out.append
    extend = out.extend
    n = len(cmds)
    # A run handler (GET, SET) takes the run's plain common case in one loop;
    # the loop below goes on from the first command it left.
    # (While the AOF is on, a write's run handler is skipped: it does not propagate.)
    prop = server.prop
    j = i if cmd.run is None or (prop is not None and cmd.write) else cmd.run(c, cmds, i, out)
    deferred = None
    while j < n:
        argv = cmds[j]
        if argv[0] != name or not lo <= len(argv) <= hi:
            break
        if prop is not None:  # as in call
            dirty = server.dirty
            saved = prop.enter()
        try:
            r = handler(c, argv)  # type: ignore[misc]
        except CommandError as e:
            r = failed(c, cmd, e)
        except Exception as e:  # noqa: BLE001  (as in call)
            r = internal_error(c, cmd, e)
        if prop is not None:
            prop.leave(c, cmd, argv, server.dirty > dirty, saved)
        ty = type(r)  # encoded as in run_batch's lane; inlined in both (a call per reply costs ~7%)
        if ty is bytes:
            m = len(r)
            extend((BULK_HEADERS[m] if m < 1024 else b"$%d\r\n" % m, r, b"\r\n"))
        elif ty is Status:
            append(r.raw)
        elif ty is int:
            append(b":%d\r\n" % r)
        else:
            enc = ENCODERS.get(ty)
            if enc is None and isinstance(r, Deferred):
                deferred = r
                break
            (enc or encode_other)(r, out, resp3)
        if server.ready_keys:  # a write made a key some blocked client waits for
            server.hooks["serve_ready"]()
        j += 1
    now = perf_counter_ns()
    k = j - i + (deferred is not None)  # a parked command has run (it counts, as in call)
    ns = now - mark
    cmd.calls += k
    cmd.ns += ns
    # The latency histogram gets k records of the run's mean, the same equal share.
    cmd.hist[LAT_BUCKET[(ns // k // 1000 * 1000 // 129).bit_length()]] += k
    if ns >= server.slow_ns and ns // k >= server.slow_ns:
        after = server.hooks["after_call"]
        for argv in cmds[i:i + k]:
            after(c, cmd, argv, ns // k // 1000, None)
    return j, deferred, now


def emit(c: "Session", reply: Any, out: list[bytes]) -> None:
    """Encode one reply into ``out`` unless CLIENT REPLY OFF / SKIP drops it.
    The CLIENT REPLY command itself set the mode, and its own reply obeys it."""
    mode = c.reply_mode
    if mode == b"on":
        ENCODERS.get(type(reply), encode_other)(reply, out, c.resp3)
    elif mode == b"skip-next":
        c.reply_mode = b"skip"
    elif mode == b"skip":
        c.reply_mode = b"on"


def _execute_checked(c: "Session", argv: list[bytes], cmd: "Command | None") -> Any:
    server = c.server
    if cmd is None or cmd.subcommands:
        try:
            cmd = resolve(c, argv)
        except CommandError as err:
            # An arity error names a known command: Redis counts it in its rejected_calls.
            known = _known(argv) if err.message.startswith("ERR wrong number") else None
            return reject(c, known, err)
    else:
        a = cmd.arity
        n = len(argv)
        if (a > 0 and n != a) or n < -a:
            return reject(c, cmd, errors.wrong_arity(cmd.name))
    c.last_cmd = cmd  # CLIENT LIST cmd=, set at lookup as Redis does
    if not c.authenticated and not cmd.noauth:
        return reject(c, cmd, CommandError(errors.NOAUTH))
    multi = c.multi
    if multi is not None and cmd.multi_control and "no_multi" in cmd.flags:
        return reject(c, cmd, CommandError(errors.NOT_IN_MULTI))
    if c.acl is not None:
        # A user with less than every permission (ACL module): NOPERM, or None.
        e = c.acl.check(c, cmd, argv)
        if e is not None:
            return reject(c, cmd, e)
    if server.oom_guard is not None:
        # Only while maxmemory is set: evicts as the policy says, then refuses
        # a command that may grow memory if still over the limit (OOM).
        e = server.oom_guard(c, cmd, argv)
        if e is not None:
            return reject(c, cmd, e)
    if server.disk_error and (cmd.write or cmd.name == "ping" or (cmd.name == "exec" and _queued_write(c))):
        # The last BGSAVE failed: with stop-writes-on-bgsave-error and save
        # points on, writes (and PING, as Redis) get MISCONF.
        msg = server.hooks["misconf"]()
        if msg is not None:
            if cmd.name == "exec":  # rejectCommand on EXEC is execCommandAbort
                from .commands.transactions import abort_exec

                return reject(c, cmd, abort_exec(c, msg))
            return reject(c, cmd, CommandError(msg))
    if not c.resp3 and not cmd.pubsub_ok and (c.channels or c.patterns or c.shard_channels):
        return reject(c, cmd, errors.pubsub_context(cmd.name))
    if server.busy is not None:
        # A script ran past busy-reply-threshold (scripting.engine): until it
        # ends only allow_busy commands run, the rest get -BUSY.
        e = server.busy.reject(c, cmd, argv)
        if e is not None:
            return reject(c, cmd, e)
    if server.gate is not None:
        # Only while CLIENT PAUSE is on or a MONITOR is attached: may park the
        # command (a Deferred) or refuse it; None lets it through.
        r = server.gate(c, cmd, argv)
        if r is not None:
            return r
    if multi is not None and not cmd.multi_control:
        multi.append((cmd, argv))
        return QUEUED
    return call(c, cmd, argv)


def call(c: "Session", cmd: Command, argv: list[bytes]) -> Any:
    """Run a resolved command and keep its statistics (Redis's call()).

    Also the way to run a command on a client's behalf from inside another
    one (EXEC, scripts): set ``c.in_exec`` while doing so, and every effect --
    WATCH, keyspace events, client-side caching, MONITOR, SLOWLOG,
    commandstats -- happens exactly as for a command the client sent; errors
    come back as values.
    """
    server = c.server
    prop = server.prop  # None unless the AOF is on (persistence.propagate)
    if prop is not None:
        dirty = server.dirty
        saved = prop.enter()
    t0 = perf_counter_ns()
    try:
        reply = cmd.handler(c, argv)  # type: ignore[misc]
    except CommandError as e:
        reply = failed(c, cmd, e)
    except Exception as e:  # noqa: BLE001
        # A bug in one handler must not take the server (and everyone's data)
        # down: log it, answer this client with an error, carry on.
        reply = internal_error(c, cmd, e)
    ns = perf_counter_ns() - t0
    if prop is not None:  # a write goes to the AOF as Redis propagates it
        prop.leave(c, cmd, argv, server.dirty > dirty, saved)  # SAVE lowers it
    # Per-command counts only: INFO's total_commands_processed is their sum
    # (registry.total_calls), one increment less on the hot path.
    cmd.calls += 1
    cmd.ns += ns
    cmd.hist[LAT_BUCKET[(ns // 1000 * 1000 // 129).bit_length()]] += 1
    if ns >= c.server.slow_ns:  # SLOWLOG / LATENCY / MONITOR want it (MONITOR makes it 0)
        reply = c.server.hooks["after_call"](c, cmd, argv, ns // 1000, reply)
    if c.tracking is not None:  # client-side caching: remember keys, flush own invalidations
        reply = c.server.hooks["tracking_call"](c, cmd, argv, reply)
    return reply


def _queued_write(c: "Session") -> bool:
    return c.multi is not None and any(q.write for q, _ in c.multi)


def failed(c: "Session", cmd: Command, e: CommandError) -> CommandError:
    """A handler raised Redis's error: count it (failed_calls, errorstats); it is the reply."""
    cmd.failed_calls += 1
    count_error(c, e)
    return e


def internal_error(c: "Session", cmd: Command, e: BaseException) -> CommandError:
    import traceback

    log = c.server.hooks.get("log")
    text = "".join(traceback.format_exception(type(e), e, e.__traceback__))
    if log is not None:
        log.warning("Internal error in '%s': %s" % (cmd.name, text))
    return failed(c, cmd, CommandError("ERR internal error while running '%s': %s" % (cmd.name, type(e).__name__)))


def _known(argv: list[bytes]) -> Command | None:
    # The command (or subcommand) an arity error is about.
    cmd = COMMANDS.get(argv[0]) or COMMANDS.get(argv[0].lower())
    if cmd is not None and cmd.subcommands and len(argv) > 1:
        return cmd.subcommands.get(argv[1].lower())
    return cmd


def reject(c: "Session", cmd: Command | None, e: CommandError) -> CommandError:
    """A command refused before running (rejectCommand): counts, and poisons MULTI."""
    if c.multi is not None:
        c.multi_error = True
    if cmd is not None:
        cmd.rejected_calls += 1
    count_error(c, e)
    return e


def count_error(c: "Session", e: CommandError) -> None:
    # From here on the error is a reply value.  A raised one carries a traceback
    # whose frames hold it (``r = failed(c, cmd, e)``), the session and the batch:
    # a reference cycle per error reply, left to the cyclic GC.  Without it the
    # error (and a closed client) is freed by reference counting.
    e.__traceback__ = None
    stats = c.server.stats
    stats.total_error_replies += 1
    prefix = e.message.split(" ", 1)[0]
    stats.errorstats[prefix] = stats.errorstats.get(prefix, 0) + 1


# Last, on purpose: importing the command table imports every command module,
# and those use this module's names (Deferred, RETRY, call, reject ...).
from .commands.registry import COMMANDS, Command  # noqa: E402
