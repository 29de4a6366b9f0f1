"""Per-command latency histograms (Redis 7.0's latency tracking), against
CrabCache and real Redis: LATENCY HISTOGRAM's cumulative power-of-two buckets
(each call in its own bucket), its reply shape in RESP2 and RESP3, which
commands it names, INFO latencystats, ``latency-tracking`` and
``latency-tracking-info-percentiles``, and CONFIG RESETSTAT.

Latencies come from DEBUG SLEEP, chosen well inside a bucket: 12 ms is in
(8454, 16908] usec, 100 ms in (67633, 135266] usec.
"""

from __future__ import annotations

import re

import redis


def _hist(rr: redis.Redis, *names: str) -> dict[bytes, dict[bytes, object]]:
    """LATENCY HISTOGRAM as {name: {b"calls": n, b"histogram_usec": {usec: cumulative}}}."""
    got = rr.execute_command("LATENCY", "HISTOGRAM", *names)
    if isinstance(got, list):  # RESP2: flat arrays of pairs
        got = dict(zip(got[::2], got[1::2]))
    out = {}
    for name, entry in got.items():
        if isinstance(entry, list):
            entry = dict(zip(entry[::2], entry[1::2]))
        h = entry[b"histogram_usec"]
        if isinstance(h, list):
            h = dict(zip(h[::2], h[1::2]))
        out[name] = {b"calls": entry[b"calls"], b"histogram_usec": h}
    return out


def test_each_call_in_its_own_bucket(rr):
    rr.execute_command("CONFIG", "RESETSTAT")
    rr.execute_command("DEBUG", "SLEEP", "0.1")
    rr.execute_command("DEBUG", "SLEEP", "0.012")
    rr.execute_command("DEBUG", "SLEEP", "0.1")
    # cumulative counts, only at the levels where they grow
    assert _hist(rr, "debug") == {b"debug": {b"calls": 3, b"histogram_usec": {16908: 1, 135266: 3}}}


def test_reply_bytes_resp2_and_resp3(raw):
    setup = b"CONFIG RESETSTAT\r\nDEBUG SLEEP 0.1\r\nDEBUG SLEEP 0.1\r\nDEBUG SLEEP 0.012\r\n"
    replies = b"+OK\r\n+OK\r\n+OK\r\n+OK\r\n"
    out = raw(setup + b"LATENCY HISTOGRAM debug nosuch DEBUG\r\n")
    entry = b"$5\r\ndebug\r\n*4\r\n$5\r\ncalls\r\n:3\r\n$14\r\nhistogram_usec\r\n*4\r\n:16908\r\n:1\r\n:135266\r\n:3\r\n"
    assert out == replies + b"*4\r\n" + entry + entry  # a name asked twice is answered twice
    out = raw(b"HELLO 3\r\n" + setup + b"LATENCY HISTOGRAM debug\r\n")
    assert out.endswith(replies + b"%1\r\n$5\r\ndebug\r\n%2\r\n$5\r\ncalls\r\n:3\r\n$14\r\nhistogram_usec\r\n"
                        b"%2\r\n:16908\r\n:1\r\n:135266\r\n:3\r\n")
    assert raw(b"LATENCY HISTOGRAM nosuch\r\n") == b"*0\r\n"


def test_pipelined_runs_record_every_call(r, rr):
    rr.execute_command("CONFIG", "RESETSTAT")
    p = r.pipeline(transaction=False)
    for i in range(200):
        p.set("k%d" % (i % 7), "v")
    for i in range(50):
        p.get("k%d" % (i % 7))
    p.execute()
    h = _hist(rr, "set", "get")
    assert h[b"set"][b"calls"] == 200 and h[b"get"][b"calls"] == 50
    for name, n in ((b"set", 200), (b"get", 50)):
        counts = list(h[name][b"histogram_usec"].values())
        assert counts == sorted(counts) and counts[-1] == n  # cumulative
        assert all(k in LEVELS for k in h[name][b"histogram_usec"])
    stats = rr.execute_command("INFO", "commandstats").decode()
    assert "cmdstat_set:calls=200," in stats and "cmdstat_get:calls=50," in stats


LEVELS = [1, 2, 4, 8, 16, 33, 66, 132, 264, 528, 1056, 2113, 4227, 8454, 16908, 33816, 67633, 135266,
          270532, 541065, 1073741]


def test_containers_stand_for_their_subcommands(rr):
    rr.execute_command("CONFIG", "RESETSTAT")
    rr.execute_command("CONFIG", "GET", "hz")
    rr.execute_command("CONFIG", "GET", "port")
    h = _hist(rr, "config")
    assert set(h) == {b"config|resetstat", b"config|get"}
    assert h[b"config|get"][b"calls"] == 2
    assert set(_hist(rr, "CONFIG|GET", "config|nosuch", "lpush")) == {b"config|get"}
    assert set(_hist(rr)) >= {b"config|resetstat", b"config|get", b"latency|histogram"}


def test_resetstat_forgets_the_histograms(rr):
    rr.execute_command("DEBUG", "SLEEP", "0")
    assert b"debug" in _hist(rr, "debug")
    rr.execute_command("CONFIG", "RESETSTAT")
    assert _hist(rr, "debug") == {}
    # (a command is recorded when it ends: the LATENCY HISTOGRAM just above, not this one)
    assert set(_hist(rr)) == {b"config|resetstat", b"latency|histogram"}


INFO_LINE = re.compile(r"^latency_percentiles_usec_([a-z|]+):(p[0-9.]+=[0-9]+\.[0-9]{3}(,|$))+$")


def test_info_latencystats(rr, config_restore):
    rr.execute_command("CONFIG", "RESETSTAT")
    rr.execute_command("DEBUG", "SLEEP", "0.1")
    text = rr.execute_command("INFO", "latencystats").decode()
    lines = text.split("\r\n")
    assert lines[0] == "# Latencystats"
    assert all(INFO_LINE.match(line) for line in lines[1:] if line), lines
    debug = [line for line in lines if line.startswith("latency_percentiles_usec_debug:")]
    assert len(debug) == 1
    values = dict(kv.split("=") for kv in debug[0].split(":")[1].split(","))
    assert list(values) == ["p50", "p99", "p99.9"]
    for v in values.values():  # a 100 ms call: Redis says its own HDR bucket, within the power of two
        assert 100000 <= float(v) <= 135266.303
    config_restore("latency-tracking-info-percentiles", "0 12.5 100")
    text = rr.execute_command("INFO", "latencystats").decode()
    debug = [line for line in text.split("\r\n") if line.startswith("latency_percentiles_usec_debug:")]
    assert re.match(r"^latency_percentiles_usec_debug:p0=[0-9.]+,p12\.5=[0-9.]+,p100=[0-9.]+$", debug[0])


def test_latency_tracking_off(rr, config_restore):
    rr.execute_command("CONFIG", "RESETSTAT")
    rr.execute_command("DEBUG", "SLEEP", "0.012")
    config_restore("latency-tracking", "no")
    rr.execute_command("DEBUG", "SLEEP", "0.1")  # not recorded
    assert rr.execute_command("INFO", "latencystats") == b"# Latencystats\r\n"
    assert _hist(rr, "debug") == {b"debug": {b"calls": 1, b"histogram_usec": {16908: 1}}}
    assert rr.execute_command("CONFIG", "SET", "latency-tracking", "yes") == b"OK"
    rr.execute_command("DEBUG", "SLEEP", "0.1")
    assert _hist(rr, "debug") == {b"debug": {b"calls": 2, b"histogram_usec": {16908: 1, 135266: 2}}}
