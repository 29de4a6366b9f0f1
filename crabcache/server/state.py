"""Process-wide server state, free of I/O: config, databases, clients, statistics.

Handlers reach it as ``session.server``.  Nothing here imports trio; the trio
side (``server.app``) owns sockets and tasks and plugs itself in through the
few callables stored here (``request_shutdown``).
"""

from __future__ import annotations

import os
import time
from typing import TYPE_CHECKING, Any, Callable

from .. import __version__
from ..config import Config
from ..keyspace.db import Database

if TYPE_CHECKING:
    from .session import Session


# Modules that need per-server state or hooks append a setup function here at
# import time; every Server calls them all when it is created.
SETUP: list[Callable[["Server"], None]] = []


STATS_METRIC_SAMPLES = 16  # Redis's STATS_METRIC_SAMPLES: the ring each instantaneous metric averages


class InstMetric:
    """One instantaneous metric (Redis's inst_metric): a ring of per-second rates.

    ``sample`` is called every 100 ms by the server's sampler task (serverCron's
    trackInstantaneousMetric) with the counter's current value; ``value`` is
    the mean of the last 16 rates (getInstantaneousMetric), so about 1.6 s of
    history.  Integer arithmetic as in Redis.
    """

    __slots__ = ("samples", "idx", "last_time_ms", "last_count")

    def __init__(self, now_ms: int) -> None:
        self.samples = [0] * STATS_METRIC_SAMPLES
        self.idx = 0
        self.last_time_ms = now_ms
        self.last_count = 0

    def sample(self, now_ms: int, count: int) -> None:
        elapsed = now_ms - self.last_time_ms
        delta = count - self.last_count
        self.samples[self.idx] = delta * 1000 // elapsed if elapsed > 0 else 0
        self.idx = (self.idx + 1) % STATS_METRIC_SAMPLES
        self.last_time_ms = now_ms
        self.last_count = count

    def value(self) -> int:
        return sum(self.samples) // STATS_METRIC_SAMPLES


class Stats:
    """Counters INFO stats reports; CONFIG RESETSTAT zeroes them (resetServerStats)."""

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self.total_connections_received = 0
        self.rejected_connections = 0
        self.expired_keys = 0
        self.evicted_keys = 0
        self.keyspace_hits = 0
        self.keyspace_misses = 0
        self.total_net_input_bytes = 0
        self.total_net_output_bytes = 0
        self.total_reads_processed = 0  # reads from client sockets (INFO stats)
        self.total_writes_processed = 0  # sends to client sockets
        self.total_error_replies = 0
        self.errorstats: dict[str, int] = {}
        # Active expiry, recorded by the cron around Database.active_expire:
        # a running estimate of the share of sampled TTL keys found stale (0..1,
        # 5% weight to each cycle), cycles stopped by their time budget, time spent.
        self.expired_stale_perc = 0.0
        self.expired_time_cap_reached_count = 0
        self.expire_cycle_time_used_us = 0
        # Time spent over maxmemory (sampled every 100 ms by server.app's sampler):
        # the total of finished episodes and the start of the current one (0: none).
        self.total_eviction_exceeded_us = 0
        self.eviction_exceeded_start = 0.0
        # Counters of features CrabCache does not have, kept so INFO prints
        # what an idle Redis prints and RESETSTAT has something to zero:
        self.evicted_clients = 0  # maxmemory-clients is inert
        self.dump_payload_sanitizations = 0  # RESTORE payloads are always checked whole, not counted
        self.unexpected_error_replies = 0
        # INFO's instantaneous_* figures (sampled every 100 ms by server.app's sampler).
        now = int(time.monotonic() * 1000)
        self.inst_ops = InstMetric(now)
        self.inst_net_input = InstMetric(now)
        self.inst_net_output = InstMetric(now)

    def sample(self, now_ms: int, commands: int) -> None:
        """trackInstantaneousMetric for each metric; ``now_ms`` is time.monotonic()
        in ms, ``commands`` total_commands_processed."""
        self.inst_ops.sample(now_ms, commands)
        self.inst_net_input.sample(now_ms, self.total_net_input_bytes)
        self.inst_net_output.sample(now_ms, self.total_net_output_bytes)

    def eviction_exceeded_us(self, now: float) -> tuple[int, int]:
        """(total, current) microseconds over maxmemory, the current episode included."""
        cur = int((now - self.eviction_exceeded_start) * 1e6) if self.eviction_exceeded_start else 0
        return self.total_eviction_exceeded_us + cur, cur


class Clock:
    """Wall-clock milliseconds; tests swap in ``ManualClock`` to control time."""

    def now_ms(self) -> int:
        return int(time.time() * 1000)


class ManualClock(Clock):
    def __init__(self, start_ms: int | None = None) -> None:
        self.ms = int(time.time() * 1000) if start_ms is None else start_ms

    def now_ms(self) -> int:
        return self.ms

    def advance(self, ms: int) -> None:
        self.ms += ms


class Server:
    """Everything a command may need beyond its own connection."""

    # Set by the modules that own them, at SETUP (declared here for the type checker).
    pubsub: Any  # commands.pubsub.PubSub
    oom_state: bool  # keyspace.eviction: the last OOM verdict (scripts read it)
    startup_memory: int  # keyspace.eviction: used memory at start (MEMORY STATS, DOCTOR)

    def __init__(self, config: Config | None = None) -> None:
        self.config = config or Config()
        self.version = __version__
        self.clock: Clock = Clock()
        self.now_ms: Callable[[], int] = self.clock.now_ms
        self.dbs = [Database(self, i) for i in range(self.config["databases"])]
        self.clients: dict[int, "Session"] = {}  # id -> session, in connection order
        self.next_client_id = 1
        self.stats = Stats()
        self.start_time = time.time()
        self.start_monotonic = time.monotonic()
        self.lastsave = int(time.time())
        self.dirty = 0  # writes since the last save
        self.active_expire_enabled = True
        # Redis's server.lruclock (seconds, 24 bits), refreshed by the cron, and
        # whether maxmemory-policy is an LFU one (per-key access data differs).
        self.lru_clock = (self.now_ms() // 1000) & ((1 << 24) - 1)
        self.lfu = "lfu" in self.config["maxmemory-policy"]
        self.tracking_on = False  # set by the client-side caching module when anyone tracks
        self.ready_keys: list[tuple[Database, bytes]] = []  # keys that may unblock clients
        self.notify_flags = ""
        self.run_id = os.urandom(20).hex()
        self.shutdown_requested: Callable[[bool | None, bool], None] | None = None
        self.tcp_port = self.config["port"]
        self.hooks: dict[str, Any] = {}  # late-bound services (pubsub, tracking, scripting ...)
        # Read on the hot path; the introspection and tracking modules keep them current.
        self.gate: Callable[..., Any] | None = None  # pre-execution check while paused/monitored
        self.busy: Any = None  # the script running past busy-reply-threshold (scripting.engine)
        # The last BGSAVE failed (persistence.snapshot); hooks["misconf"] says
        # whether writes must stop (stop-writes-on-bgsave-error, save points).
        self.disk_error = False
        # CLIENT PAUSE in effect until this time.monotonic(): keys don't expire meanwhile.
        self.pause_end = 0.0
        # Set only while maxmemory is non-zero (eviction module): (c, cmd, argv) -> error or None.
        self.oom_guard: Callable[..., Any] | None = None
        # The AOF's propagator while appendonly is on (persistence.propagate); None
        # keeps call() and the fast lane free of it.
        self.prop: Any = None
        # Its commands not yet written; the connection calls aof_flush() before
        # a batch's replies go out when there are any (persistence.aof).
        self.aof_buf: list[bytes] = []
        self.aof_flush: Callable[[], None] = lambda: None
        self.slow_ns = 1 << 62  # call() hands commands at least this slow to hooks["after_call"]
        self.current_client: "Session | None" = None  # whose batch of commands is running
        self.before_sleep: list[Callable[[], None]] = []  # one-shot work after the current batch
        self.held: list[Any] = []  # connections whose replies wait for the round's end (connection.RoundEnd)
        self.config.listeners.append(self._on_config_change)
        self._on_config_change("notify-keyspace-events", None)
        for fn in SETUP:
            fn(self)

    def set_clock(self, clock: Clock) -> None:
        self.clock = clock
        self.now_ms = clock.now_ms
        self.tick_lru_clock()

    def tick_lru_clock(self) -> None:
        self.lru_clock = (self.now_ms() // 1000) & ((1 << 24) - 1)

    def _on_config_change(self, name: str, old: Any) -> None:
        if name == "notify-keyspace-events":
            self.notify_flags = self.config["notify-keyspace-events"]
        elif name == "maxmemory-policy":
            self.lfu = "lfu" in self.config["maxmemory-policy"]

    def new_client_id(self) -> int:
        cid = self.next_client_id
        self.next_client_id += 1
        return cid

    # --- hooks other modules fill in -------------------------------------------
    def expiry_paused(self) -> bool:
        """CLIENT PAUSE is on: keys past their TTL are not reclaimed (Redis 7.0)."""
        return bool(self.pause_end) and time.monotonic() < self.pause_end

    def notify(self, db: Database, cls: str, event: bytes, key: bytes) -> None:
        """Keyspace notification (notifyKeyspaceEvent); cheap when disabled."""
        if self.notify_flags and cls in self.notify_flags:
            fn = self.hooks.get("notify")
            if fn is not None:
                fn(db, cls, event, key)

    def invalidate_key(self, key: bytes) -> None:
        fn = self.hooks.get("invalidate")
        if fn is not None:
            fn(key)

    def invalidate_all(self) -> None:
        fn = self.hooks.get("invalidate_all")
        if fn is not None:
            fn()

    def uptime(self) -> int:
        return int(time.monotonic() - self.start_monotonic)
