"""INFO: the fields Redis 7.0.15 prints, in its order, and values that move as Redis's do.

The expected field lists below are what ``redis-server`` 7.0.15 prints with
``--save "" --appendonly no`` and no replicas (conditional fields -- loading_*,
the aof_* of a running AOF, slaveN -- are absent in that state).  Every test
runs against real Redis too, which is what keeps these lists honest.  A server
may print more fields (CrabCache adds crabcache_version, python_version) but
never fewer, and never in another order.
"""

from __future__ import annotations

import time

import pytest
import redis

FIELDS: dict[str, list[str]] = {
    "server": [
        "redis_version", "redis_git_sha1", "redis_git_dirty", "redis_build_id", "redis_mode", "os",
        "arch_bits", "monotonic_clock", "multiplexing_api", "atomicvar_api", "gcc_version",
        "process_id", "process_supervised", "run_id", "tcp_port", "server_time_usec",
        "uptime_in_seconds", "uptime_in_days", "hz", "configured_hz", "lru_clock", "executable",
        "config_file", "io_threads_active",
    ],
    "clients": [
        "connected_clients", "cluster_connections", "maxclients", "client_recent_max_input_buffer",
        "client_recent_max_output_buffer", "blocked_clients", "tracking_clients",
        "clients_in_timeout_table",
    ],
    "memory": [
        "used_memory", "used_memory_human", "used_memory_rss", "used_memory_rss_human",
        "used_memory_peak", "used_memory_peak_human", "used_memory_peak_perc",
        "used_memory_overhead", "used_memory_startup", "used_memory_dataset",
        "used_memory_dataset_perc", "allocator_allocated", "allocator_active", "allocator_resident",
        "total_system_memory", "total_system_memory_human", "used_memory_lua",
        "used_memory_vm_eval", "used_memory_lua_human", "used_memory_scripts_eval",
        "number_of_cached_scripts", "number_of_functions", "number_of_libraries",
        "used_memory_vm_functions", "used_memory_vm_total", "used_memory_vm_total_human",
        "used_memory_functions", "used_memory_scripts", "used_memory_scripts_human", "maxmemory",
        "maxmemory_human", "maxmemory_policy", "allocator_frag_ratio", "allocator_frag_bytes",
        "allocator_rss_ratio", "allocator_rss_bytes", "rss_overhead_ratio", "rss_overhead_bytes",
        "mem_fragmentation_ratio", "mem_fragmentation_bytes", "mem_not_counted_for_evict",
        "mem_replication_backlog", "mem_total_replication_buffers", "mem_clients_slaves",
        "mem_clients_normal", "mem_cluster_links", "mem_aof_buffer", "mem_allocator",
        "active_defrag_running", "lazyfree_pending_objects", "lazyfreed_objects",
    ],
    "persistence": [
        "loading", "async_loading", "current_cow_peak", "current_cow_size", "current_cow_size_age",
        "current_fork_perc", "current_save_keys_processed", "current_save_keys_total",
        "rdb_changes_since_last_save", "rdb_bgsave_in_progress", "rdb_last_save_time",
        "rdb_last_bgsave_status", "rdb_last_bgsave_time_sec", "rdb_current_bgsave_time_sec",
        "rdb_saves", "rdb_last_cow_size", "rdb_last_load_keys_expired", "rdb_last_load_keys_loaded",
        "aof_enabled", "aof_rewrite_in_progress", "aof_rewrite_scheduled",
        "aof_last_rewrite_time_sec", "aof_current_rewrite_time_sec", "aof_last_bgrewrite_status",
        "aof_rewrites", "aof_rewrites_consecutive_failures", "aof_last_write_status",
        "aof_last_cow_size", "module_fork_in_progress", "module_fork_last_cow_size",
    ],
    "stats": [
        "total_connections_received", "total_commands_processed", "instantaneous_ops_per_sec",
        "total_net_input_bytes", "total_net_output_bytes", "total_net_repl_input_bytes",
        "total_net_repl_output_bytes", "instantaneous_input_kbps", "instantaneous_output_kbps",
        "instantaneous_input_repl_kbps", "instantaneous_output_repl_kbps", "rejected_connections",
        "sync_full", "sync_partial_ok", "sync_partial_err", "expired_keys", "expired_stale_perc",
        "expired_time_cap_reached_count", "expire_cycle_cpu_milliseconds", "evicted_keys",
        "evicted_clients", "total_eviction_exceeded_time", "current_eviction_exceeded_time",
        "keyspace_hits", "keyspace_misses", "pubsub_channels", "pubsub_patterns",
        "pubsubshard_channels", "latest_fork_usec", "total_forks", "migrate_cached_sockets",
        "slave_expires_tracked_keys", "active_defrag_hits", "active_defrag_misses",
        "active_defrag_key_hits", "active_defrag_key_misses", "total_active_defrag_time",
        "current_active_defrag_time", "tracking_total_keys", "tracking_total_items",
        "tracking_total_prefixes", "unexpected_error_replies", "total_error_replies",
        "dump_payload_sanitizations", "total_reads_processed", "total_writes_processed",
        "io_threaded_reads_processed", "io_threaded_writes_processed", "reply_buffer_shrinks",
        "reply_buffer_expands",
    ],
    "replication": [
        "role", "connected_slaves", "master_failover_state", "master_replid", "master_replid2",
        "master_repl_offset", "second_repl_offset", "repl_backlog_active", "repl_backlog_size",
        "repl_backlog_first_byte_offset", "repl_backlog_histlen",
    ],
    "cpu": [
        "used_cpu_sys", "used_cpu_user", "used_cpu_sys_children", "used_cpu_user_children",
        "used_cpu_sys_main_thread", "used_cpu_user_main_thread",
    ],
    "modules": [],
    "cluster": ["cluster_enabled"],
}

TITLES = {"server": "Server", "clients": "Clients", "memory": "Memory", "persistence": "Persistence",
          "stats": "Stats", "replication": "Replication", "cpu": "CPU", "modules": "Modules",
          "commandstats": "Commandstats", "errorstats": "Errorstats", "latencystats": "Latencystats",
          "cluster": "Cluster", "keyspace": "Keyspace"}
DEFAULT = ["Server", "Clients", "Memory", "Persistence", "Stats", "Replication", "CPU", "Modules",
           "Errorstats", "Cluster", "Keyspace"]
ALL = ["Server", "Clients", "Memory", "Persistence", "Stats", "Replication", "CPU", "Modules",
       "Commandstats", "Errorstats", "Latencystats", "Cluster", "Keyspace"]


def info_raw(c: redis.Redis, *args: str) -> str:
    """INFO's text as sent (RESP2 bulk or RESP3 verbatim), without redis-py's parsing."""
    conn = c.connection_pool.get_connection()
    try:
        conn.send_command("INFO", *args)
        out = conn.read_response()
    finally:
        c.connection_pool.release(conn)
    return out.decode() if isinstance(out, bytes) else str(out)


def sections(text: str) -> dict[str, list[tuple[str, str]]]:
    """{title: [(field, value), ...]} in the order printed."""
    out: dict[str, list[tuple[str, str]]] = {}
    cur: list[tuple[str, str]] | None = None
    for line in text.split("\r\n"):
        if line.startswith("# "):
            cur = out.setdefault(line[2:], [])
        elif line:
            assert cur is not None, "field before any section header: %r" % line
            name, _, value = line.partition(":")
            cur.append((name, value))
    return out


def stats(c: redis.Redis) -> dict[str, str]:
    return dict(sections(info_raw(c, "stats"))["Stats"])


def is_subsequence(want: list[str], got: list[str]) -> bool:
    it = iter(got)
    return all(name in it for name in want)


@pytest.mark.parametrize("name", sorted(FIELDS))
def test_section_fields_in_redis_order(r, name):
    got = sections(info_raw(r, name))
    assert list(got) == [TITLES[name]]
    fields = [f for f, _ in got[TITLES[name]]]
    missing = [f for f in FIELDS[name] if f not in fields]
    assert not missing
    assert is_subsequence(FIELDS[name], fields), fields


@pytest.mark.parametrize("arg", ["all", "everything"])
def test_all_sections_fields_in_redis_order(r, arg):
    got = sections(info_raw(r, arg))
    assert list(got) == ALL
    for name, want in FIELDS.items():
        fields = [f for f, _ in got[TITLES[name]]]
        assert is_subsequence(want, fields), (name, fields)


def test_section_order_is_fixed(r):
    assert list(sections(info_raw(r))) == DEFAULT
    assert list(sections(info_raw(r, "default"))) == DEFAULT
    # Asked in any order, sections come out in Redis's.
    assert list(sections(info_raw(r, "keyspace", "server", "clients"))) == ["Server", "Clients", "Keyspace"]
    assert list(sections(info_raw(r, "CPU", "Stats"))) == ["Stats", "CPU"]
    assert list(sections(info_raw(r, "commandstats", "default"))) == [
        "Server", "Clients", "Memory", "Persistence", "Stats", "Replication", "CPU", "Modules",
        "Commandstats", "Errorstats", "Cluster", "Keyspace"]
    assert list(sections(info_raw(r, "latencystats"))) == ["Latencystats"]
    assert info_raw(r, "nosuchsection") == ""


def test_keyspace_commandstats_errorstats_lines(r):
    r.execute_command("CONFIG", "RESETSTAT")
    r.set("k", "v", px=100000)
    r.get("k")
    with pytest.raises(redis.ResponseError):
        r.execute_command("NOSUCHCMD")
    text = info_raw(r, "everything")
    got = sections(text)
    ks = dict(got["Keyspace"])
    assert ks["db0"].startswith("keys=1,expires=1,avg_ttl=")
    cmd = dict(got["Commandstats"])
    assert cmd["cmdstat_get"].startswith("calls=1,usec=")
    assert [p.split("=")[0] for p in cmd["cmdstat_get"].split(",")] == [
        "calls", "usec", "usec_per_call", "rejected_calls", "failed_calls"]
    assert dict(got["Errorstats"]) == {"errorstat_ERR": "count=1"}


def test_value_formats(r):
    st = stats(r)
    for f in ("instantaneous_input_kbps", "instantaneous_output_kbps", "instantaneous_input_repl_kbps",
              "instantaneous_output_repl_kbps", "expired_stale_perc"):
        whole, _, frac = st[f].partition(".")
        assert whole.isdigit() and len(frac) == 2, (f, st[f])
    for f in ("total_net_repl_input_bytes", "sync_full", "evicted_clients", "active_defrag_hits",
              "io_threaded_reads_processed", "io_threaded_writes_processed", "migrate_cached_sockets"):
        assert st[f] == "0", f
    mem = dict(sections(info_raw(r, "memory"))["Memory"])
    assert mem["used_memory_peak_perc"].endswith("%") and mem["used_memory_dataset_perc"].endswith("%")
    assert int(mem["used_memory_vm_total"]) == int(mem["used_memory_vm_eval"]) + int(mem["used_memory_vm_functions"])
    assert mem["used_memory_lua"] == mem["used_memory_vm_eval"]
    assert int(mem["used_memory_scripts"]) == int(mem["used_memory_scripts_eval"]) + int(mem["used_memory_functions"])


def test_instantaneous_ops_per_sec_while_busy(r):
    end = time.monotonic() + 1.2
    n = 0
    while time.monotonic() < end:
        r.ping()
        n += 1
    st = stats(r)
    assert n > 20
    assert int(st["instantaneous_ops_per_sec"]) > 0
    assert float(st["instantaneous_input_kbps"]) > 0
    assert float(st["instantaneous_output_kbps"]) > 0


def test_instantaneous_ops_per_sec_falls_when_idle(r):
    end = time.monotonic() + 0.5
    while time.monotonic() < end:
        r.ping()
    time.sleep(2.0)  # more than the 16 samples of 100 ms the rate averages
    # Only our one INFO (and nothing else) ran in the last 1.6 s.
    assert int(stats(r)["instantaneous_ops_per_sec"]) <= 2


@pytest.mark.parametrize("n", [50])
def test_reads_and_writes_processed_grow_per_round_trip(r, n):
    before = stats(r)
    for _ in range(n):
        r.ping()
    after = stats(r)
    assert int(after["total_reads_processed"]) - int(before["total_reads_processed"]) >= n
    assert int(after["total_writes_processed"]) - int(before["total_writes_processed"]) >= n
    assert int(after["total_commands_processed"]) - int(before["total_commands_processed"]) >= n


def test_config_resetstat_zeroes_stats(r):
    r.set("a", "1")
    r.get("a")
    r.get("missing")
    with pytest.raises(redis.ResponseError):
        r.execute_command("NOSUCHCMD")
    end = time.monotonic() + 0.5
    while time.monotonic() < end:
        r.ping()
    before = stats(r)
    assert int(before["total_reads_processed"]) > 10 and int(before["keyspace_hits"]) >= 1
    assert int(before["instantaneous_ops_per_sec"]) > 0
    r.execute_command("CONFIG", "RESETSTAT")
    st = stats(r)
    # Only RESETSTAT's reply and the INFO read happened since the reset.
    assert int(st["total_reads_processed"]) <= 2
    assert int(st["total_writes_processed"]) <= 2
    assert int(st["total_commands_processed"]) <= 1
    assert int(st["instantaneous_ops_per_sec"]) < int(before["instantaneous_ops_per_sec"])
    assert int(st["total_net_input_bytes"]) < int(before["total_net_input_bytes"])
    for f in ("total_connections_received", "keyspace_hits", "keyspace_misses", "expired_keys",
              "total_error_replies", "total_forks", "latest_fork_usec", "expired_time_cap_reached_count",
              "expire_cycle_cpu_milliseconds", "evicted_keys", "rejected_connections"):
        assert st[f] == "0", f
    assert st["expired_stale_perc"] == "0.00"
    assert sections(info_raw(r, "errorstats"))["Errorstats"] == []
    names = {f for f, _ in sections(info_raw(r, "commandstats"))["Commandstats"]}
    assert names <= {"cmdstat_config|resetstat", "cmdstat_info"}


def test_config_resetstat_zeroes_rdb_saves_and_forks(r):
    r.set("a", "1")
    r.bgsave()
    deadline = time.monotonic() + 10
    while True:
        p = dict(sections(info_raw(r, "persistence"))["Persistence"])
        if p["rdb_bgsave_in_progress"] == "0" and p["rdb_saves"] != "0":
            break
        assert time.monotonic() < deadline
        time.sleep(0.05)
    assert int(stats(r)["total_forks"]) >= 1
    r.execute_command("CONFIG", "RESETSTAT")
    p = dict(sections(info_raw(r, "persistence"))["Persistence"])
    assert p["rdb_saves"] == "0" and p["aof_rewrites"] == "0"
    assert p["rdb_last_bgsave_status"] == "ok"  # not a statistic: it stays
    st = stats(r)
    assert st["total_forks"] == "0" and st["latest_fork_usec"] == "0"


def test_active_expiry_stats(r):
    r.execute_command("CONFIG", "RESETSTAT")
    p = r.pipeline(transaction=False)
    for i in range(500):
        p.set("exp:%d" % i, "v", px=1)
    p.execute()
    deadline = time.monotonic() + 5
    while int(stats(r)["expired_keys"]) < 500:
        assert time.monotonic() < deadline
        time.sleep(0.05)
    st = stats(r)
    # The cycles that found the stale keys pushed the running estimate up.
    assert float(st["expired_stale_perc"]) > 0
    assert int(st["expire_cycle_cpu_milliseconds"]) >= 0
