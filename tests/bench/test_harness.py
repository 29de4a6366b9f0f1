"""The benchmark harness's parsing and reporting (no servers, no timing)."""

from __future__ import annotations

import hiredis
import pytest

from bench import memory, rb, report, suites
from bench.startup import StartupResult

CSV = '''"test","rps","avg_latency_ms","min_latency_ms","p50_latency_ms","p95_latency_ms","p99_latency_ms","max_latency_ms"
"LPUSH (needed to benchmark LRANGE)","100000.00","0.247","0.056","0.247","0.287","0.351","0.439"
"LRANGE_100 (first 100 elements)","80000.00","0.346","0.112","0.303","0.407","2.007","2.367"
"MSET (10 keys)","50000.00","0.5","0.1","0.4","0.6","0.9","1.2"
'''


def test_parse_csv_skips_header_and_filler_rows():
    rows = rb.parse_csv(CSV)
    assert [r.test for r in rows] == ["LRANGE_100", "MSET"]
    assert rows[0].rps == 80000.0
    assert rows[0].p50_ms == 0.303
    assert rows[0].p99_ms == 2.007
    assert rows[1].max_ms == 1.2


def test_parse_csv_ignores_junk():
    assert rb.parse_csv("") == []
    assert rb.parse_csv("WARNING: Could not fetch server CONFIG\n") == []


def test_error_text_prefers_server_error():
    err = "Error from server: ERR unknown command 'LPUSH', with args beginning with: 'mylist'\n"
    assert rb.error_text(err, "", 1).startswith("ERR unknown command 'LPUSH'")
    assert rb.error_text("", "", 1) == "redis-benchmark exit status 1"
    assert "refused" in rb.error_text("Could not connect to Redis at 127.0.0.1:1: Connection refused", "", 1)


def test_build_argv():
    argv = rb.build_argv("rb", 7500, "get", 50, 1000, pipeline=16, datasize=4096, keyspace=1000000)
    assert argv[:2] == ["rb", "-h"]
    s = " ".join(argv)
    assert "-p 7500" in s and "-c 50" in s and "-n 1000" in s and "-P 16" in s
    assert "--csv" in s and "-t get" in s and "-d 4096" in s and "-r 1000000" in s
    assert "-d" not in rb.build_argv("rb", 1, "get", 1, 1)


def test_default_list_matches_redis_benchmark_7():
    assert len(rb.DEFAULT_TESTS) == 19
    assert rb.DEFAULT_TESTS[0] == "ping_inline" and rb.DEFAULT_TESTS[-1] == "mset"


def test_suites_build_labels_are_unique():
    jobs = suites.build(suites.ALL_SUITES, 1000, idle=10000)
    labels = [j.label for j in jobs]
    assert len(labels) == len(set(labels))
    assert "GET -P 16" in labels and "SET c=1000" in labels and "GET +10000 idle" in labels
    big = [j for j in jobs if j.suite == "clients" and j.clients == 1000][0]
    assert big.requests >= 100 * 1000  # every connection gets requests
    with pytest.raises(ValueError):
        suites.build(["nope"], 10)


def _row(test: str, rps: float, p99: float = 1.0) -> rb.Row:
    return rb.Row(test, rps, 0.5, 0.1, 0.4, 0.8, p99, 2.0)


def _samples(job: suites.Job, crab: list, redis: list) -> list[report.Sample]:
    out = []
    for i, (a, b) in enumerate(zip(crab, redis)):
        for server, v in (("crabcache", a), ("redis", b)):
            if isinstance(v, str):
                out.append(report.Sample(job, server, i, None, v))
            else:
                out.append(report.Sample(job, server, i, _row(job.test.upper(), v[0], v[1])))
    return out


def test_summarize_takes_medians_and_ratio():
    job = suites.Job("p1", "get")
    s = report.summarize(_samples(job, [(80, 1), (100, 3), (90, 2)], [(100, 1), (120, 1), (110, 1)]))
    assert len(s) == 1
    assert s[0].stats["crabcache"].rps == 90
    assert s[0].stats["crabcache"].p99 == 2
    assert s[0].ratio() == pytest.approx(90 / 110)
    assert s[0].p99_ratio() == pytest.approx(2.0)


def test_cpu_ratio():
    job = suites.Job("p1", "get")
    samples = [report.Sample(job, "crabcache", 0, _row("GET", 80), None, 4.0),
               report.Sample(job, "redis", 0, _row("GET", 100), None, 2.0)]
    s = report.summarize(samples)[0]
    assert s.stats["crabcache"].cpu_us == 4.0
    assert s.cpu_ratio() == pytest.approx(0.5)
    assert report.summary_rows([s])[0]["cpu_ratio"] == "0.5000"
    assert "| 4.0 | 2.0 | 0.50x |" in report.markdown([s], [], [], [], {})
    no_cpu = report.summarize([report.Sample(job, "crabcache", 0, _row("GET", 80)),
                               report.Sample(job, "redis", 0, _row("GET", 100))])[0]
    assert no_cpu.cpu_ratio() is None


def test_summarize_keeps_errors():
    job = suites.Job("p1", "lpush")
    s = report.summarize(_samples(job, ["ERR unknown command", (50, 1)], [(100, 1), (100, 1)]))[0]
    assert s.errors["crabcache"] == "ERR unknown command"
    assert s.stats["crabcache"].n == 1  # the round that worked still counts
    s = report.summarize(_samples(job, ["ERR x"], [(100, 1)]))[0]
    assert s.stats["crabcache"] is None and s.ratio() is None


def test_targets_and_markdown():
    samples = []
    for t, ratio in (("set", 0.9), ("get", 0.85), ("lpush", "ERR unknown command 'LPUSH'")):
        job = suites.Job("p1", t)
        crab = [ratio] if isinstance(ratio, str) else [(100 * ratio, 1.5)]
        samples += _samples(job, crab, [(100, 1.0)])
    samples += _samples(suites.Job("clients", "get", clients=1000), [(50, 9)], [(100, 5)])
    summaries = report.summarize(samples)
    mem = [memory.MemResult("crabcache", "string", 10, 100, 3100), memory.MemResult("redis", "string", 10, 100, 1100)]
    st = [StartupResult("python -c 'import trio, hiredis'", [0.1, 0.1]), StartupResult("crabcache-server to PONG", [0.12])]
    p1 = [t for t in report.check_targets(summaries, mem, st) if t.name.startswith("SET/GET 50 clients -P 1 ")][0]
    assert p1.met is True
    assert p1.value == "SET 0.90x, GET 0.85x"
    every = [t for t in report.check_targets(summaries, mem, st) if t.name.startswith("every")][0]
    assert every.met is False and "LPUSH" in every.value
    p99 = [t for t in report.check_targets(summaries, mem, st) if t.name.startswith("p99")][0]
    assert p99.met is True and "1.50x" in p99.value
    rss = [t for t in report.check_targets(summaries, mem, st) if t.name.startswith("RSS")][0]
    assert rss.met is True and rss.value.startswith("2.82x")
    md = report.markdown(summaries, mem, st, report.check_targets(summaries, mem, st), {"cpu": "test"})
    assert "| GET -P 1 | 85 | 100 | **0.85x** |" in md
    assert "| LPUSH -P 1 | ERROR | 100 |" in md
    assert "Errors:" in md
    assert "string x 10" in md
    assert "crabcache-server to PONG | 120.0 |" in md


def test_csv_rows_have_all_fields(tmp_path):
    job = suites.Job("p16", "set", pipeline=16)
    summaries = report.summarize(_samples(job, [(10, 1)], [(20, 1)]))
    rows = report.summary_rows(summaries)
    assert set(rows[0]) == set(report.SUMMARY_FIELDS)
    assert rows[0]["ratio"] == "0.5000"
    path = tmp_path / "r.csv"
    report.write_csv(str(path), rows, report.SUMMARY_FIELDS)
    assert path.read_text().splitlines()[0].startswith("suite,label,test")


@pytest.mark.parametrize("case", memory.CASES)
def test_memory_batches_are_valid_resp(case):
    n = 2500
    total_items = 0
    for payload, nrep in memory._batches(case, n):
        r = hiredis.Reader()
        r.feed(payload)
        cmds = []
        while (c := r.gets()) is not False:
            cmds.append(c)
        assert len(cmds) == nrep
        for c in cmds:
            total_items += 1 if case == "string" else (len(c) - 2) // (1 if case == "set" else 2)
            if case == "string":
                assert len(c[1]) == 16 and len(c[2]) == 32
    assert total_items == n


def test_chart_writes_png(tmp_path):
    pytest.importorskip("matplotlib")
    from bench import chart

    samples = _samples(suites.Job("p1", "get"), [(80, 1)], [(100, 1)])
    for c in (1, 50):
        samples += _samples(suites.Job("clients", "get", clients=c), [(80, 1)], [(100, 1)])
    path = tmp_path / "c.png"
    assert chart.draw(str(path), report.summarize(samples))
    assert path.read_bytes()[:4] == b"\x89PNG"
