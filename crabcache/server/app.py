"""The trio application: one root nursery holds everything.

    root nursery
    ├── cron                      (active expiry, client timeouts; every 1/hz s)
    ├── sampler                   (INFO's instantaneous_* metrics; every 100 ms)
    ├── signal watcher            (SIGINT/SIGTERM -> shutdown; CLI only)
    └── connections nursery
        ├── accept loop per listener (TCP per bind address, unix socket)
        └── one task per client   (reader, plus its own writer task)

``serve`` reports readiness through ``task_status`` with a ``Running`` handle
(bound addresses, the state, ``shutdown()``), so tests write
``running = await nursery.start(serve, config)``.

Shutdown (signal, SHUTDOWN, or ``Running.shutdown``): stop accepting, stop
reading from clients (each finishes the batch it is running and its replies
go out), give queued output ``crabcache-shutdown-timeout`` seconds to drain,
close everything, return.
"""

from __future__ import annotations

import errno
import os
import signal
import socket
import time
from dataclasses import dataclass, field
from typing import Any

import trio

from .. import REDIS_VERSION, __version__
from ..commands.registry import total_calls
from ..config import Config
from ..log import Log
from .connection import Connection, RoundEnd, handle_client
from .state import Server


@dataclass
class Running:
    server: Server
    addresses: list[tuple[str, int]] = field(default_factory=list)
    unixsocket: str | None = None
    _stop: trio.Event = field(default_factory=trio.Event)

    @property
    def port(self) -> int:
        return self.addresses[0][1]

    def shutdown(self) -> None:
        self._stop.set()


def fifo_scheduling() -> bool:
    """Make trio run each round's runnable tasks in the order they became runnable.

    trio runs a round's batch in that order or reversed, a coin flip per round
    (on purpose: no program should depend on the order).  For a server the order
    is the latency: a connection served first in one round and last in the next
    waits two rounds, and at 50 clients -P 1 that spread was our whole p99 (2.2x
    the p50; SET p99 0.94-1.00 ms, with FIFO 0.74-0.78, throughput unchanged).
    Heads every time is FIFO: every connection keeps its place in every round.
    trio has no public knob for this; its scheduler's coin is the private
    ``trio._core._run._r``, so this checks it is there (True if set) and the
    server just runs with the coin when a trio release moves it.  (Its other
    use, ``uniform``, picks the clock's arbitrary offset: then always 10000 s.)
    ``tests/server/test_fifo_scheduling.py`` checks the order.  Called by the
    command line (``cli.main``); ``serve`` alone, as tests run it in-process,
    keeps trio's coin.
    """
    import random

    from trio._core import _run

    rng = getattr(_run, "_r", None)
    if type(rng) is not random.Random:
        return False
    rng.random = lambda: 0.0  # type: ignore[method-assign]  # "reverse" each batch: pop() then runs it FIFO
    return True


def open_listeners(config: Config, log: Log, ephemeral: bool = False) -> tuple[list[socket.socket], list[tuple[str, int]]]:
    """Bind every ``bind`` address on ``port`` (addresses prefixed '-' are optional)."""
    socks: list[socket.socket] = []
    addrs: list[tuple[str, int]] = []
    port = config["port"]
    if port == 0 and not ephemeral:
        return socks, addrs  # port 0: no TCP, as in Redis
    for spec in config["bind"]:
        optional = spec.startswith("-")
        host = spec.lstrip("-")
        if host == "*":
            host = "0.0.0.0"
        elif host == "::*":
            host = "::"
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        s = socket.socket(family, socket.SOCK_STREAM)
        try:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            if family == socket.AF_INET6:
                s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
            s.bind((host, port if port or not socks else addrs[0][1]))
            s.listen(config["tcp-backlog"])
        except OSError as e:
            s.close()
            if optional and e.errno in (errno.EADDRNOTAVAIL, errno.EAFNOSUPPORT, errno.EPROTONOSUPPORT):
                log.warning("Could not create server TCP listening socket %s:%d: %s" % (host, port, e.strerror))
                continue
            for o in socks:
                o.close()
            raise
        s.setblocking(False)
        socks.append(s)
        addrs.append((host, s.getsockname()[1]))
    return socks, addrs


MAX_ACCEPTS_PER_CALL = 1000  # as Redis


async def _accept_loop(server: Server, lsock: socket.socket, kind: str, nursery: trio.Nursery,
                       registry: set[Connection]) -> None:
    config = server.config
    while True:
        await trio.lowlevel.wait_readable(lsock)
        # Every connection waiting, up to Redis's MAX_ACCEPTS_PER_CALL: their
        # tasks then start in the same round (one accept per wake-up spread a
        # burst of connections over as many rounds).
        started = 0  # their tasks register in server.clients when they first run
        for _ in range(MAX_ACCEPTS_PER_CALL):
            try:
                sock, _ = lsock.accept()
            except (BlockingIOError, InterruptedError):
                break
            except ConnectionAbortedError:
                continue
            except OSError as e:
                if e.errno in (errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM):
                    await trio.sleep(0.01)  # out of descriptors: back off, as Redis logs and retries
                    break
                raise
            if len(server.clients) + started >= config["maxclients"]:
                server.stats.rejected_connections += 1
                try:
                    sock.setblocking(False)
                    sock.send(b"-ERR max number of clients reached\r\n")
                except OSError:
                    pass
                sock.close()
                continue
            nursery.start_soon(handle_client, server, sock, kind, registry)
            started += 1


async def _cron(server: Server) -> None:
    """serverCron: active expiry within a time budget, idle client timeouts."""
    clock = time.perf_counter
    while True:
        hz = server.config["hz"]
        period = 1.0 / hz
        await trio.sleep(period)
        server.tick_lru_clock()
        if server.active_expire_enabled and not server.expiry_paused():
            # Redis spends at most 25% of each cron period on expiry (ACTIVE_EXPIRE_CYCLE_SLOW_TIME_PERC).
            start = clock()
            deadline = start + period * 0.25 * server.config["active-expire-effort"]
            now = server.now_ms()
            sampled = expired = 0
            capped = False
            for db in server.dbs:
                if db.nttl:
                    n, seen = db.active_expire(now, deadline, clock)
                    expired += n
                    sampled += seen
                if clock() > deadline:
                    capped = True
                    break
            _expire_stats(server.stats, start, clock(), sampled, expired, capped)
        timeout = server.config["timeout"]
        if timeout:
            limit = time.monotonic() - timeout
            for s in list(server.clients.values()):
                if (s.last_interaction < limit and not s.subscribed and s.blocked is None):
                    s.kill()
        for fn in server.hooks.get("cron", ()):
            fn()


def _expire_stats(stats: Any, start: float, end: float, sampled: int, expired: int, capped: bool) -> None:
    """activeExpireCycle's INFO stats: stale share (5% weight per cycle), time cap hits, time."""
    perc = expired / sampled if sampled else 0.0
    stats.expired_stale_perc = perc * 0.05 + stats.expired_stale_perc * 0.95
    if capped:
        stats.expired_time_cap_reached_count += 1
    stats.expire_cycle_time_used_us += int((end - start) * 1_000_000)


SAMPLE_PERIOD = 0.1  # Redis samples its instantaneous metrics every 100 ms (run_with_period(100))


async def _sampler(server: Server) -> None:
    """INFO's instantaneous_* rates and the time spent over maxmemory, every 100 ms.

    A task of its own, so the sampling period does not depend on ``hz``; its
    cost is one pass over the command table (~50 us) per tick.
    """
    while True:
        await trio.sleep(SAMPLE_PERIOD)
        sample_stats(server)


def sample_stats(server: Server) -> None:
    now = time.monotonic()
    st = server.stats
    st.sample(int(now * 1000), total_calls())
    # total/current_eviction_exceeded_time: while the evictor is over the limit
    # (its last check failed or it carries on from the cron).
    ev = getattr(server, "eviction", None)
    over = ev is not None and server.oom_guard is not None and (ev.oom or ev.running)
    if over and not st.eviction_exceeded_start:
        st.eviction_exceeded_start = now
    elif not over and st.eviction_exceeded_start:
        st.total_eviction_exceeded_us += int((now - st.eviction_exceeded_start) * 1_000_000)
        st.eviction_exceeded_start = 0.0


async def serve(
    config: Config | None = None,
    *,
    server: Server | None = None,
    log: Log | None = None,
    ephemeral: bool = False,
    signals: bool = False,
    task_status: Any = trio.TASK_STATUS_IGNORED,
) -> None:
    """Run a CrabCache server until shutdown.  ``ephemeral``: port 0 picks a free port."""
    server = server or Server(config)
    config = server.config
    log = log or Log("warning")
    listeners, addrs = open_listeners(config, log, ephemeral)
    unix: socket.socket | None = None
    if config["unixsocket"]:
        path = config["unixsocket"]
        try:
            os.unlink(path)
        except FileNotFoundError:
            pass
        unix = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        unix.bind(path)
        if config["unixsocketperm"]:
            os.chmod(path, config["unixsocketperm"])
        unix.listen(config["tcp-backlog"])
        unix.setblocking(False)
    if not listeners and unix is None:
        raise OSError("Configured to not listen anywhere, exiting.")
    server.tcp_port = addrs[0][1] if addrs else 0
    running = Running(server, addrs, config["unixsocket"] or None)
    registry: set[Connection] = set()
    save_on_exit: list[bool | None] = [None]

    def request_shutdown(save: bool | None = None, now: bool = False) -> None:
        save_on_exit[0] = save
        running._stop.set()

    server.shutdown_requested = request_shutdown
    server.hooks.setdefault("log", log)  # for modules that log outside a request (BGSAVE ...)
    log.notice("Running mode=standalone, port=%d." % server.tcp_port)
    round_end = RoundEnd(server)
    trio.lowlevel.add_instrument(round_end)
    try:
        async with trio.open_nursery() as root:
            root.start_soon(_cron, server)
            root.start_soon(_sampler, server)
            if signals:
                root.start_soon(_signal_watcher, running, log)
            async with trio.open_nursery() as conns:
                with trio.CancelScope() as accepting:
                    async with trio.open_nursery() as acceptors:
                        for s in listeners:
                            acceptors.start_soon(_accept_loop, server, s, "tcp", conns, registry)
                        if unix is not None:
                            acceptors.start_soon(_accept_loop, server, unix, "unix", conns, registry)
                        log.notice("Ready to accept connections")
                        task_status.started(running)
                        await running._stop.wait()
                        accepting.cancel()
                # Stop reading; each connection flushes what it owes, within its deadline.
                for conn in list(registry):
                    if conn.scope is not None:
                        conn.scope.cancel()
                conns.cancel_scope.deadline = trio.current_time() + config["crabcache-shutdown-timeout"] + 1
            for fn in server.hooks.get("shutdown", ()):
                fn(save_on_exit[0])
            root.cancel_scope.cancel()
    finally:
        trio.lowlevel.remove_instrument(round_end)
        for s in listeners:
            s.close()
        if unix is not None:
            unix.close()
            try:
                os.unlink(config["unixsocket"])
            except OSError:
                pass
    log.warning("Redis is now ready to exit, bye bye...")


async def _signal_watcher(running: Running, log: Log) -> None:
    with trio.open_signal_receiver(signal.SIGINT, signal.SIGTERM) as signals:
        async for sig in signals:
            name = "SIGINT" if sig == signal.SIGINT else "SIGTERM"
            log.warning("Received %s scheduling shutdown..." % name)
            log.warning("User requested shutdown...")
            running.shutdown()
            return


def banner(config: Config) -> str:
    return "CrabCache %s (Redis %s compatible), pid=%d, just started" % (__version__, REDIS_VERSION, os.getpid())
