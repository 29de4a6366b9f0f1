"""Server commands: INFO, CONFIG, DBSIZE, FLUSHDB/FLUSHALL, SWAPDB, TIME, LASTSAVE, SHUTDOWN, DEBUG."""

from __future__ import annotations

import os
import platform
import resource
import sys
import time
from typing import Any

from .. import REDIS_VERSION, __version__, errors
from ..errors import CommandError
from ..persistence import propagate
from ..protocol.writer import OK, Status, Verbatim
from .args import parse_float, parse_int
from .memory import overhead_data
from .registry import all_commands, command, container, total_calls

SRV = "server"


def _human(n: float) -> str:
    # bytesToHuman
    for unit, size in (("G", 1024**3), ("M", 1024**2), ("K", 1024)):
        if n >= size:
            return "%.2f%s" % (n / size, unit)
    return "%dB" % n


def rss_bytes() -> int:
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except OSError:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def _total_memory() -> int:
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError):
        return 0


# INFO sections: name -> function(server) -> list of "field:value" lines.
SECTIONS: dict[str, Any] = {}
DEFAULT_SECTIONS = ["server", "clients", "memory", "persistence", "stats", "replication", "cpu",
                    "modules", "errorstats", "cluster", "keyspace"]
# genRedisInfoString's order: whatever order they are asked in, sections come out in this one.
ALL_SECTIONS = ["server", "clients", "memory", "persistence", "stats", "replication", "cpu",
                "modules", "commandstats", "errorstats", "latencystats", "cluster", "keyspace"]

# Redis reports its executable as an absolute path taken at start.
_EXECUTABLE = os.path.abspath(sys.argv[0]) if sys.argv and sys.argv[0] else ""


def section(name: str) -> Any:
    def reg(fn: Any) -> Any:
        SECTIONS[name] = fn
        return fn
    return reg


@section("server")
def _server(s: Any) -> list[str]:
    up = s.uptime()
    cfg_file = s.config.file
    return [
        "redis_version:%s" % REDIS_VERSION,
        "crabcache_version:%s" % __version__,
        "redis_git_sha1:00000000",
        "redis_git_dirty:0",
        "redis_build_id:0",
        "redis_mode:standalone",
        "os:%s %s %s" % (platform.system(), platform.release(), platform.machine()),
        "arch_bits:64",
        "monotonic_clock:POSIX clock_gettime",
        "multiplexing_api:epoll",
        "atomicvar_api:c11-builtin",
        "gcc_version:0.0.0",
        "python_version:%s" % platform.python_version(),
        "process_id:%d" % os.getpid(),
        "process_supervised:no",
        "run_id:%s" % s.run_id,
        "tcp_port:%d" % s.tcp_port,
        "server_time_usec:%d" % int(time.time() * 1_000_000),
        "uptime_in_seconds:%d" % up,
        "uptime_in_days:%d" % (up // 86400),
        "hz:%d" % s.config["hz"],
        "configured_hz:%d" % s.config["hz"],
        "lru_clock:%d" % s.lru_clock,
        "executable:%s" % _EXECUTABLE,
        "config_file:%s" % (os.path.abspath(cfg_file) if cfg_file else ""),
        "io_threads_active:0",  # one thread, as Redis with io-threads 1
    ]


@section("clients")
def _clients(s: Any) -> list[str]:
    sessions = list(s.clients.values())
    return [
        "connected_clients:%d" % len(sessions),
        "cluster_connections:0",
        "maxclients:%d" % s.config["maxclients"],
        "client_recent_max_input_buffer:%d" % max((x.query_bytes for x in sessions), default=0),
        "client_recent_max_output_buffer:%d" % max((x.output_bytes for x in sessions), default=0),
        "blocked_clients:%d" % sum(1 for x in sessions if x.blocked is not None),
        "tracking_clients:%d" % sum(1 for x in sessions if x.tracking is not None),
        "clients_in_timeout_table:%d" % sum(1 for x in sessions if x.blocked is not None),
    ]


def _lua_memory(vm: Any, fresh: int) -> int:
    """Bytes the Lua state holds (lua_gc LUA_GCCOUNT, as Redis reads it).  Our
    VMs are created on first use; until then, what a fresh Redis VM reports."""
    if vm is None:
        return fresh
    try:
        return int(vm.rt.eval("collectgarbage('count')") * 1024)
    except Exception:  # a VM in a bad state must not break INFO
        return fresh


def _scripting_memory(s: Any) -> dict[str, int]:
    eng = getattr(s, "scripting", None)
    if eng is None:
        return {"vm_eval": 32768, "vm_functions": 33792, "scripts_eval": 0, "functions": 0,
                "scripts": 0, "libraries": 0, "functions_count": 0}
    scripts_mem = sum(sys.getsizeof(sha) + sys.getsizeof(sc.body) for sha, sc in eng.scripts.items())
    if eng.scripts:
        scripts_mem += sys.getsizeof(eng.scripts)
    funcs_mem = sum(sys.getsizeof(lib.name) + sys.getsizeof(lib.code) + sys.getsizeof(lib.functions)
                    for lib in eng.libraries.values())
    funcs_mem += sys.getsizeof(eng.libraries) + sys.getsizeof(eng.functions)
    return {
        "vm_eval": _lua_memory(eng._eval_vm, 32768),
        "vm_functions": _lua_memory(eng._func_vm, 33792),
        "scripts_eval": scripts_mem,
        "functions": funcs_mem,
        "scripts": len(eng.scripts),
        "libraries": len(eng.libraries),
        "functions_count": sum(len(lib.functions) for lib in eng.libraries.values()),
    }


@section("memory")
def _memory(s: Any) -> list[str]:
    # The same figures MEMORY STATS reports (getMemoryOverheadData in Redis);
    # used_memory is what maxmemory compares against (keyspace.eviction's meter).
    ms = overhead_data(s)
    used = ms[b"total.allocated"]
    peak = ms[b"peak.allocated"]
    startup = ms[b"startup.allocated"]
    overhead = ms[b"overhead.total"]
    dataset = ms[b"dataset.bytes"]
    rss = rss_bytes()
    total = _total_memory()
    maxmem = s.config["maxmemory"]
    lua = _scripting_memory(s)
    vm_total = lua["vm_eval"] + lua["vm_functions"]
    scripts_total = lua["scripts_eval"] + lua["functions"]
    # pymalloc has no allocated/active/resident split like jemalloc's: what we
    # count is all "active", and the process RSS is what is resident.
    alloc = used
    frag = rss / used if used else 1.0
    aof_buf = sum(map(len, s.aof_buf))
    return [
        "used_memory:%d" % used,
        "used_memory_human:%s" % _human(used),
        "used_memory_rss:%d" % rss,
        "used_memory_rss_human:%s" % _human(rss),
        "used_memory_peak:%d" % peak,
        "used_memory_peak_human:%s" % _human(peak),
        "used_memory_peak_perc:%.2f%%" % (100.0 * used / peak if peak else 100.0),
        "used_memory_overhead:%d" % overhead,
        "used_memory_startup:%d" % startup,
        "used_memory_dataset:%d" % dataset,
        "used_memory_dataset_perc:%.2f%%" % ms[b"dataset.percentage"],
        "allocator_allocated:%d" % alloc,
        "allocator_active:%d" % alloc,
        "allocator_resident:%d" % rss,
        "total_system_memory:%d" % total,
        "total_system_memory_human:%s" % _human(total),
        "used_memory_lua:%d" % lua["vm_eval"],
        "used_memory_vm_eval:%d" % lua["vm_eval"],
        "used_memory_lua_human:%s" % _human(lua["vm_eval"]),
        "used_memory_scripts_eval:%d" % lua["scripts_eval"],
        "number_of_cached_scripts:%d" % lua["scripts"],
        "number_of_functions:%d" % lua["functions_count"],
        "number_of_libraries:%d" % lua["libraries"],
        "used_memory_vm_functions:%d" % lua["vm_functions"],
        "used_memory_vm_total:%d" % vm_total,
        "used_memory_vm_total_human:%s" % _human(vm_total),
        "used_memory_functions:%d" % lua["functions"],
        "used_memory_scripts:%d" % scripts_total,
        "used_memory_scripts_human:%s" % _human(scripts_total),
        "maxmemory:%d" % maxmem,
        "maxmemory_human:%s" % _human(maxmem),
        "maxmemory_policy:%s" % s.config["maxmemory-policy"],
        "allocator_frag_ratio:1.00",
        "allocator_frag_bytes:0",
        "allocator_rss_ratio:%.2f" % frag,
        "allocator_rss_bytes:%d" % (rss - alloc),
        "rss_overhead_ratio:1.00",
        "rss_overhead_bytes:0",
        "mem_fragmentation_ratio:%.2f" % frag,
        "mem_fragmentation_bytes:%d" % (rss - used),
        # Our eviction meter counts every byte (the AOF buffer included).
        "mem_not_counted_for_evict:0",
        "mem_replication_backlog:0",
        "mem_total_replication_buffers:0",
        "mem_clients_slaves:0",
        "mem_clients_normal:%d" % ms[b"clients.normal"],
        "mem_cluster_links:0",
        "mem_aof_buffer:%d" % aof_buf,
        "mem_allocator:pymalloc",
        "active_defrag_running:0",  # no active defrag, as Redis with activedefrag no
        "lazyfree_pending_objects:0",  # everything is freed at once
        "lazyfreed_objects:0",
    ]


@section("persistence")
def _persistence(s: Any) -> list[str]:
    return [
        "loading:0",
        "async_loading:0",
        # Copy-on-write of the forked child is not measured; the child does not
        # report its progress (Redis's figures while no child runs).
        "current_cow_peak:0",
        "current_cow_size:0",
        "current_cow_size_age:0",
        "current_fork_perc:0.00",
        "current_save_keys_processed:0",
        "current_save_keys_total:0",
        # The rdb_* fields come from persistence.snapshot when it is loaded.
        *(s.hooks["info_rdb"]() if "info_rdb" in s.hooks else [
            "rdb_changes_since_last_save:%d" % s.dirty,
            "rdb_bgsave_in_progress:0",
            "rdb_last_save_time:%d" % s.lastsave,
            "rdb_last_bgsave_status:ok",
            "rdb_last_bgsave_time_sec:-1",
            "rdb_current_bgsave_time_sec:-1",
            "rdb_saves:0",
            "rdb_last_cow_size:0",
            "rdb_last_load_keys_expired:0",
            "rdb_last_load_keys_loaded:0",
        ]),
        # The aof_* fields come from persistence.aof when it is loaded.
        *(s.hooks["info_aof"]() if "info_aof" in s.hooks else [
            "aof_enabled:0",
            "aof_rewrite_in_progress:0",
            "aof_rewrite_scheduled:0",
            "aof_last_rewrite_time_sec:-1",
            "aof_current_rewrite_time_sec:-1",
            "aof_last_bgrewrite_status:ok",
            "aof_rewrites:0",
            "aof_rewrites_consecutive_failures:0",
            "aof_last_write_status:ok",
            "aof_last_cow_size:0",
            "module_fork_in_progress:0",
            "module_fork_last_cow_size:0",
        ]),
    ]


@section("stats")
def _stats(s: Any) -> list[str]:
    st = s.stats
    pubsub = s.hooks.get("pubsub_counts", lambda: (0, 0, 0))()
    tracking = s.hooks.get("tracking_counts", lambda: (0, 0, 0))()
    rdb = s.hooks.get("rdb_state")
    evict_total, evict_current = st.eviction_exceeded_us(time.monotonic())
    return [
        "total_connections_received:%d" % st.total_connections_received,
        "total_commands_processed:%d" % total_calls(),
        "instantaneous_ops_per_sec:%d" % st.inst_ops.value(),
        "total_net_input_bytes:%d" % st.total_net_input_bytes,
        "total_net_output_bytes:%d" % st.total_net_output_bytes,
        # No replication: nothing flows to or from replicas.
        "total_net_repl_input_bytes:0",
        "total_net_repl_output_bytes:0",
        "instantaneous_input_kbps:%.2f" % (st.inst_net_input.value() / 1024),
        "instantaneous_output_kbps:%.2f" % (st.inst_net_output.value() / 1024),
        "instantaneous_input_repl_kbps:0.00",
        "instantaneous_output_repl_kbps:0.00",
        "rejected_connections:%d" % st.rejected_connections,
        "sync_full:0",
        "sync_partial_ok:0",
        "sync_partial_err:0",
        "expired_keys:%d" % st.expired_keys,
        "expired_stale_perc:%.2f" % (st.expired_stale_perc * 100),
        "expired_time_cap_reached_count:%d" % st.expired_time_cap_reached_count,
        "expire_cycle_cpu_milliseconds:%d" % (st.expire_cycle_time_used_us // 1000),
        "evicted_keys:%d" % st.evicted_keys,
        "evicted_clients:%d" % st.evicted_clients,
        "total_eviction_exceeded_time:%d" % (evict_total // 1000),
        "current_eviction_exceeded_time:%d" % (evict_current // 1000),
        "keyspace_hits:%d" % st.keyspace_hits,
        "keyspace_misses:%d" % st.keyspace_misses,
        "pubsub_channels:%d" % pubsub[0],
        "pubsub_patterns:%d" % pubsub[1],
        "pubsubshard_channels:%d" % pubsub[2],
        "latest_fork_usec:%d" % getattr(rdb, "latest_fork_usec", 0),
        "total_forks:%d" % getattr(rdb, "total_forks", 0),
        "migrate_cached_sockets:0",  # MIGRATE opens a connection per call, caches none
        "slave_expires_tracked_keys:0",
        # No active defragmentation, as Redis with activedefrag no.
        "active_defrag_hits:0",
        "active_defrag_misses:0",
        "active_defrag_key_hits:0",
        "active_defrag_key_misses:0",
        "total_active_defrag_time:0",
        "current_active_defrag_time:0",
        "tracking_total_keys:%d" % tracking[0],
        "tracking_total_items:%d" % tracking[1],
        "tracking_total_prefixes:%d" % tracking[2],
        "unexpected_error_replies:%d" % st.unexpected_error_replies,
        "total_error_replies:%d" % st.total_error_replies,
        "dump_payload_sanitizations:%d" % st.dump_payload_sanitizations,
        "total_reads_processed:%d" % st.total_reads_processed,
        "total_writes_processed:%d" % st.total_writes_processed,
        # One thread does all I/O, as Redis with io-threads 1.
        "io_threaded_reads_processed:0",
        "io_threaded_writes_processed:0",
        # Output goes out through trio sends of each batch, not Redis's resizable
        # per-client reply buffer: there is nothing to shrink or expand, so 0.
        "reply_buffer_shrinks:0",
        "reply_buffer_expands:0",
    ]


@section("replication")
def _replication(s: Any) -> list[str]:
    return [
        "role:master",
        "connected_slaves:0",
        "master_failover_state:no-failover",
        "master_replid:%s" % s.run_id,
        "master_replid2:0000000000000000000000000000000000000000",
        "master_repl_offset:0",
        "second_repl_offset:-1",
        "repl_backlog_active:0",
        "repl_backlog_size:%d" % s.config["repl-backlog-size"],
        "repl_backlog_first_byte_offset:0",
        "repl_backlog_histlen:0",
    ]


@section("cpu")
def _cpu(s: Any) -> list[str]:
    ru = resource.getrusage(resource.RUSAGE_SELF)
    ch = resource.getrusage(resource.RUSAGE_CHILDREN)
    try:
        th = resource.getrusage(resource.RUSAGE_THREAD)  # type: ignore[attr-defined]
    except (AttributeError, OSError, ValueError):
        th = ru
    return [
        "used_cpu_sys:%.6f" % ru.ru_stime,
        "used_cpu_user:%.6f" % ru.ru_utime,
        "used_cpu_sys_children:%.6f" % ch.ru_stime,
        "used_cpu_user_children:%.6f" % ch.ru_utime,
        "used_cpu_sys_main_thread:%.6f" % th.ru_stime,
        "used_cpu_user_main_thread:%.6f" % th.ru_utime,
    ]


@section("modules")
def _modules(s: Any) -> list[str]:
    return []  # no modules loaded


@section("errorstats")
def _errorstats(s: Any) -> list[str]:
    return ["errorstat_%s:count=%d" % kv for kv in s.stats.errorstats.items()]


@section("cluster")
def _cluster(s: Any) -> list[str]:
    return ["cluster_enabled:0"]


@section("keyspace")
def _keyspace(s: Any) -> list[str]:
    return [
        "db%d:keys=%d,expires=%d,avg_ttl=%d" % (db.index, db.size, db.nttl, db.avg_ttl)
        for db in s.dbs if db.size
    ]


@section("commandstats")
def _commandstats(s: Any) -> list[str]:
    out = []
    for cmd in all_commands():
        for c in [cmd, *cmd.subcommands.values()]:
            if c.calls or c.rejected_calls or c.failed_calls:
                out.append(
                    "cmdstat_%s:calls=%d,usec=%d,usec_per_call=%.2f,rejected_calls=%d,failed_calls=%d"
                    % (c.name, c.calls, c.usec, c.usec / c.calls if c.calls else 0.0,
                       c.rejected_calls, c.failed_calls))
    return out


@section("latencystats")
def _latencystats(s: Any) -> list[str]:
    from .introspection import latencystats_lines  # (introspection imports this module)

    return latencystats_lines(s)


_TITLES = {"cpu": "CPU", "errorstats": "Errorstats", "commandstats": "Commandstats",
           "latencystats": "Latencystats"}


def info_text(server: Any, args: list[bytes]) -> bytes:
    names = {a.decode("latin-1").lower() for a in args}
    if not names or "default" in names:
        names.update(DEFAULT_SECTIONS)
    if "all" in names or "everything" in names:
        names.update(ALL_SECTIONS)  # no module sections: "all" and "everything" agree
    parts = []
    for n in ALL_SECTIONS:
        if n in names:
            lines = SECTIONS[n](server)
            parts.append("# %s\r\n%s" % (_TITLES.get(n, n.capitalize()), "".join(line + "\r\n" for line in lines)))
    return "\r\n".join(parts).encode()


@command("info", -1, "loading stale", group=SRV, tips="nondeterministic_output", summary="Get information and statistics about the server")
def info(c: Any, argv: list[bytes]) -> Any:
    return Verbatim(info_text(c.server, argv[1:]))


@command("dbsize", 1, "readonly fast", group=SRV, summary="Return the number of keys in the selected database")
def dbsize(c: Any, argv: list[bytes]) -> Any:
    return c.db.size


def _flush_mode(argv: list[bytes]) -> None:
    if len(argv) > 2:
        raise CommandError(errors.SYNTAX)
    if len(argv) == 2 and argv[1].lower() not in (b"async", b"sync"):
        raise CommandError(errors.SYNTAX)


@command("flushdb", -1, "write", group=SRV, summary="Remove all keys from the current database")
def flushdb(c: Any, argv: list[bytes]) -> Any:
    _flush_mode(argv)
    c.server.dirty += c.db.flush()
    propagate.force(c, argv)  # even an empty db's FLUSHDB reaches the AOF, as in Redis
    return OK


@command("flushall", -1, "write", group=SRV, summary="Remove all keys from all databases")
def flushall(c: Any, argv: list[bytes]) -> Any:
    _flush_mode(argv)
    for db in c.server.dbs:
        c.server.dirty += db.flush()
    c.server.dirty += 1
    for fn in c.server.hooks.get("flushall", ()):  # e.g. rewrite dump.rdb when save points are set
        fn()
    return OK


@command("swapdb", 3, "write fast", group=SRV, since="4.0.0", summary="Swap two Redis databases")
def swapdb(c: Any, argv: list[bytes]) -> Any:
    dbs = c.server.dbs
    try:
        a = parse_int(argv[1])
    except CommandError:
        raise CommandError("ERR invalid first DB index") from None
    try:
        b = parse_int(argv[2])
    except CommandError:
        raise CommandError("ERR invalid second DB index") from None
    if not (0 <= a < len(dbs) and 0 <= b < len(dbs)):
        raise CommandError(errors.DB_INDEX)
    if a != b:
        da, db = dbs[a], dbs[b]
        da.swap_contents(db)  # the contents, not the objects: sessions keep pointing at "db n"
        # A watched key that exists in either database now holds something else
        # (touchAllWatchedKeysInDb); blocked clients may find their key ready.
        da.touch_watched(db)
        db.touch_watched(da)
        for d in (da, db):
            for key in list(d.blocking):
                d.signal_ready(key)
    c.server.dirty += 1  # SWAPDB n n counts (and is propagated) too, as in Redis
    return OK


@command("time", 1, "loading stale fast", group=SRV, since="2.6.0", tips="nondeterministic_output")
def time_(c: Any, argv: list[bytes]) -> Any:
    us = int(time.time() * 1_000_000)
    return [b"%d" % (us // 1_000_000), b"%d" % (us % 1_000_000)]


@command("lastsave", 1, "loading stale fast", group=SRV, tips="nondeterministic_output")
def lastsave(c: Any, argv: list[bytes]) -> Any:
    return c.server.lastsave


@command("shutdown", -1, "admin noscript loading stale no_multi sentinel allow_busy", group=SRV)
def shutdown(c: Any, argv: list[bytes]) -> Any:
    save: bool | None = None
    for a in argv[1:]:
        opt = a.lower()
        if opt == b"nosave":
            save = False
        elif opt == b"save":
            save = True
        elif opt in (b"now", b"force", b"abort"):
            if opt == b"abort":
                raise CommandError("ERR No shutdown in progress.")
        else:
            raise CommandError(errors.SYNTAX)
    if c.server.shutdown_requested is not None:
        c.server.shutdown_requested(save, True)
    # Redis closes the connection without a reply when it shuts down.
    c.close_after_reply = True
    return _NoReply()


class _NoReply(Status):
    def __init__(self) -> None:
        self.text = b""
        self.raw = b""


# --- CONFIG -----------------------------------------------------------------------

container("config", group=SRV, summary="A container for server configuration commands")


@command("config|get", -3, "admin noscript loading stale", group=SRV, since="2.0.0")
def config_get(c: Any, argv: list[bytes]) -> Any:
    return c.server.config.get(argv[2:])


@command("config|set", -4, "admin noscript loading stale", group=SRV, since="2.0.0")
def config_set(c: Any, argv: list[bytes]) -> Any:
    if len(argv) % 2:
        raise CommandError("ERR Unknown option or number of arguments for CONFIG SET - '%s'"
                           % argv[-1].decode("latin-1"))
    pairs = [(argv[i].decode("latin-1"), argv[i + 1].decode("latin-1")) for i in range(2, len(argv), 2)]
    try:
        c.server.config.set_many(pairs)
    except ValueError as e:
        raise CommandError(str(e)) from None
    return OK


@command("config|resetstat", 2, "admin noscript loading stale", group=SRV, since="2.0.0")
def config_resetstat(c: Any, argv: list[bytes]) -> Any:
    # resetServerStats + resetCommandTableStats + resetErrorTableStats.
    c.server.stats.reset()
    from .introspection import latency_histograms_reset  # (introspection imports this module)

    latency_histograms_reset()  # resetCommandTableStats frees the histograms
    rdb = c.server.hooks.get("rdb_state")
    if rdb is not None:
        rdb.saves = rdb.total_forks = rdb.latest_fork_usec = 0
    aof = c.server.hooks.get("aof_state")
    if aof is not None:
        aof.rewrites = aof.consecutive_failures = 0
    for cmd in all_commands():
        for x in [cmd, *cmd.subcommands.values()]:
            x.calls = x.ns = x.rejected_calls = x.failed_calls = 0
    return OK


@command("config|rewrite", 2, "admin noscript loading stale", group=SRV, since="2.8.0")
def config_rewrite(c: Any, argv: list[bytes]) -> Any:
    try:
        c.server.config.rewrite()
    except (ValueError, OSError) as e:
        raise CommandError(str(e)) from None
    return OK


@command("config|help", 2, "loading stale", group=SRV, since="5.0.0")
def config_help(c: Any, argv: list[bytes]) -> Any:
    lines = [
        "CONFIG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "GET <pattern>",
        "    Return parameters matching the glob-like <pattern> and their values.",
        "SET <directive> <value>",
        "    Set the configuration <directive> to <value>.",
        "RESETSTAT",
        "    Reset statistics reported by the INFO command.",
        "REWRITE",
        "    Rewrite the configuration file.",
        "HELP",
        "    Prints this help.",
    ]
    return [Status(line) for line in lines]


# --- DEBUG ------------------------------------------------------------------------

DEBUG_DISABLED = (
    'ERR DEBUG command not allowed. If the enable-debug-command option is set to "local", you can '
    "run it from a local connection, otherwise you need to set this option in the configuration "
    "file, and then restart the server."
)


def _debug_allowed(c: Any) -> bool:
    mode = c.server.config["enable-debug-command"]
    if mode == "yes":
        return True
    return mode == "local" and (c.kind == "unix" or c.addr.startswith(("127.", "[::1]")))


class _Sleep:
    pass


@command("debug", -2, "admin noscript loading stale", group=SRV, summary="A container for debugging commands")
def debug(c: Any, argv: list[bytes]) -> Any:
    if not _debug_allowed(c):
        raise CommandError(DEBUG_DISABLED)
    sub = argv[1].lower()
    if sub == b"sleep" and len(argv) == 3:
        secs = parse_float(argv[2])
        # DEBUG SLEEP blocks the whole server, as in Redis (that is its purpose).
        time.sleep(max(0.0, secs))
        return OK
    if sub == b"error" and len(argv) == 3:
        return CommandError(argv[2].decode("latin-1"))
    if sub == b"set-active-expire" and len(argv) == 3:
        c.server.active_expire_enabled = parse_int(argv[2]) != 0
        return OK
    if sub == b"jmap" or sub == b"quicklist-packed-threshold":
        return OK
    fn = c.server.hooks.get("debug_" + sub.decode("latin-1"))
    if fn is not None:
        return fn(c, argv)
    raise CommandError("ERR Unknown subcommand or wrong number of arguments for '%s'. Try DEBUG HELP."
                       % argv[1].decode("latin-1"))
