"""INFO's statistics without sockets: the instantaneous-metric ring, the expiry
cycle's figures recorded by the cron, the sampler, section order, RESETSTAT."""

from __future__ import annotations

import time

import crabcache.commands  # noqa: F401  (registers commands)
from crabcache.commands.server import info_text
from crabcache.dispatch import execute
from crabcache.server import app
from crabcache.server.session import Session
from crabcache.server.state import STATS_METRIC_SAMPLES, InstMetric, Server


def fields(server: Server, section: str) -> dict[str, str]:
    text = info_text(server, [section.encode()]).decode()
    return dict(line.split(":", 1) for line in text.split("\r\n")[1:] if line)


def test_inst_metric_is_the_mean_of_16_rates():
    m = InstMetric(0)
    assert m.value() == 0
    m.sample(100, 50)  # 50 events in 100 ms: 500/s
    assert m.value() == 500 // STATS_METRIC_SAMPLES
    t, n = 100, 50
    for _ in range(STATS_METRIC_SAMPLES):
        t += 100
        n += 100
        m.sample(t, n)  # 1000/s
    assert m.value() == 1000  # the ring holds only the last 16
    m.sample(t, n + 5)  # no time elapsed: counts as 0, as Redis
    assert m.value() == 1000 * 15 // 16


def test_stats_sample_feeds_ops_and_net_metrics():
    s = Server()
    st = s.stats
    t0 = st.inst_ops.last_time_ms
    st.total_net_input_bytes = 10240
    st.total_net_output_bytes = 20480
    st.sample(t0 + 100, 30)
    assert st.inst_ops.value() == 300 // 16
    assert fields(s, "stats")["instantaneous_input_kbps"] == "%.2f" % ((102400 // 16) / 1024)
    assert fields(s, "stats")["instantaneous_output_kbps"] == "%.2f" % ((204800 // 16) / 1024)


def test_reset_clears_counters_and_rings():
    s = Server()
    st = s.stats
    st.total_reads_processed = st.total_writes_processed = 7
    st.expired_time_cap_reached_count = 3
    st.expired_stale_perc = 0.5
    st.sample(st.inst_ops.last_time_ms + 100, 100)
    s.hooks["rdb_state"].saves = 2
    s.hooks["rdb_state"].total_forks = 2
    c = Session(s)
    execute(c, [b"CONFIG", b"RESETSTAT"])
    st = s.stats
    f = fields(s, "stats")
    assert f["total_reads_processed"] == "0" and f["total_writes_processed"] == "0"
    assert f["instantaneous_ops_per_sec"] == "0"
    assert f["expired_stale_perc"] == "0.00" and f["expired_time_cap_reached_count"] == "0"
    assert f["total_forks"] == "0"
    assert fields(s, "persistence")["rdb_saves"] == "0"


def volatile(db, prefix: bytes, count: int, when: int) -> None:
    for i in range(count):
        db.set(prefix + b"%d" % i, b"v")
        db.set_expire(prefix + b"%d" % i, when)


def test_active_expire_counts_the_keys_it_sampled():
    s = Server()
    db = s.dbs[0]
    now = s.now_ms()
    volatile(db, b"dead", 30, now - 1)
    volatile(db, b"live", 10, now + 100_000)
    # 75% stale: the pass keeps going round the whole ring and reclaims all.
    n, seen = db.active_expire(now, time.perf_counter() + 10, time.perf_counter)
    assert n == 30
    assert seen == 40
    assert db.nttl == 10


def test_active_expire_partial_pass_counts_only_the_walked_slots():
    s = Server()
    db = s.dbs[0]
    now = s.now_ms()
    volatile(db, b"live", 200, now + 100_000)
    n, seen = db.active_expire(now, time.perf_counter() + 10, time.perf_counter)
    assert n == 0
    assert 20 <= seen < 200  # one group of >= 20, nothing stale: the pass stops


def test_expire_stats_running_average_and_cap():
    s = Server()
    st = s.stats
    app._expire_stats(st, 0.0, 0.002, 100, 100, capped=True)
    assert abs(st.expired_stale_perc - 0.05) < 1e-9
    assert st.expired_time_cap_reached_count == 1
    assert st.expire_cycle_time_used_us == 2000
    app._expire_stats(st, 0.0, 0.0, 0, 0, capped=False)  # nothing sampled: decays
    assert abs(st.expired_stale_perc - 0.0475) < 1e-9
    f = fields(s, "stats")
    assert f["expired_stale_perc"] == "4.75"
    assert f["expire_cycle_cpu_milliseconds"] == "2"


def test_sampler_times_eviction_over_the_limit():
    s = Server()

    class FakeEvictor:
        oom = True
        running = False

    s.eviction = FakeEvictor()  # type: ignore[attr-defined]
    s.oom_guard = lambda *a: None
    app.sample_stats(s)
    st = s.stats
    assert st.eviction_exceeded_start
    st.eviction_exceeded_start -= 0.5  # half a second ago
    total, cur = st.eviction_exceeded_us(time.monotonic())
    assert total >= 500_000 and cur >= 500_000
    FakeEvictor.oom = False
    app.sample_stats(s)
    assert not st.eviction_exceeded_start
    assert st.total_eviction_exceeded_us >= 500_000
    f = fields(s, "stats")
    assert int(f["total_eviction_exceeded_time"]) >= 500 and f["current_eviction_exceeded_time"] == "0"


def test_sections_come_out_in_redis_order():
    s = Server()
    text = info_text(s, [b"keyspace", b"latencystats", b"server"]).decode()
    heads = [line for line in text.split("\r\n") if line.startswith("#")]
    assert heads == ["# Server", "# Latencystats", "# Keyspace"]
    text = info_text(s, [b"everything"]).decode()
    heads = [line for line in text.split("\r\n") if line.startswith("#")]
    assert heads == ["# Server", "# Clients", "# Memory", "# Persistence", "# Stats", "# Replication",
                     "# CPU", "# Modules", "# Commandstats", "# Errorstats", "# Latencystats",
                     "# Cluster", "# Keyspace"]
    f = fields(s, "server")
    assert f["redis_version"] == "7.0.15" and "crabcache_version" in f


def test_total_commands_processed_counts_commands_and_subcommands():
    server = Server()
    c = Session(server)
    before = int(fields(server, "stats")["total_commands_processed"])
    for argv in ([b"SET", b"k", b"1"], [b"GET", b"k"], [b"CLIENT", b"ID"], [b"CONFIG", b"GET", b"hz"]):
        execute(c, argv)
    # INFO itself is counted once it has run (Redis counts a command after it returns).
    assert int(fields(server, "stats")["total_commands_processed"]) == before + 4
