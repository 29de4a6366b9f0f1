"""maxmemory, eviction and MEMORY: behaviour that holds on CrabCache and Redis alike.

Used memory differs between the servers (Redis counts its allocations,
CrabCache its Python heap), so limits are set relative to what INFO says at
the start, with values big enough that per-key overheads don't matter.
"""

from __future__ import annotations

import time

import pytest
import redis
from redis.connection import Connection

OOM = "OOM command not allowed when used memory > 'maxmemory'."
OOM_ERR = redis.exceptions.OutOfMemoryError
OOM_TEXT = OOM[4:]  # redis-py strips the "OOM" code into the exception class
VALUE = b"v" * 10_000


def used(c: redis.Redis) -> int:
    return int(c.info("memory")["used_memory"])


@pytest.fixture
def c(server, config_restore):
    cl = server.client(protocol=2)
    cl.flushall()
    config_restore("maxmemory", "0")
    config_restore("maxmemory-policy", "noeviction")
    config_restore("maxmemory-samples", "5")
    yield cl
    cl.config_set("maxmemory", "0")
    cl.flushall()
    cl.close()


def test_noeviction_refuses_a_big_set_and_serves_reads(c):
    c.set("small", "x")
    c.config_set("maxmemory", used(c) + 1024 * 1024)
    with pytest.raises(OOM_ERR) as e:
        c.set("big", b"x" * (4 * 1024 * 1024))
    assert str(e.value) == OOM_TEXT
    assert c.get("small") == b"x"
    assert c.exists("big") == 0
    assert c.delete("small") == 1  # DEL is no denyoom
    assert int(c.info("stats")["evicted_keys"]) == 0
    info = c.info("memory")
    assert info["maxmemory_policy"] == "noeviction"
    assert int(info["maxmemory"]) > 0


def test_allkeys_lru_keeps_the_dataset_bounded(c):
    before = int(c.info("stats")["evicted_keys"])
    c.config_set("maxmemory-policy", "allkeys-lru")
    limit = used(c) + 4 * 1024 * 1024
    c.config_set("maxmemory", limit)
    p = c.pipeline(transaction=False)
    for i in range(1500):  # 15 MB of values through a 4 MB window
        p.set("key:%d" % i, VALUE)
        if i % 100 == 99:
            assert all(p.execute())
    p.execute()
    n = c.dbsize()
    assert 50 < n < 1000
    assert int(c.info("stats")["evicted_keys"]) - before >= 1500 - n
    assert used(c) < limit + 1024 * 1024


def test_recently_read_key_survives_lru(c):
    c.config_set("maxmemory-policy", "allkeys-lru")
    p = c.pipeline(transaction=False)
    for i in range(200):
        p.set("old:%d" % i, VALUE)
    p.set("hot", VALUE)
    p.execute()
    c.config_set("maxmemory", used(c) + 64 * 1024)
    time.sleep(2.2)  # the LRU clock counts seconds: make the old keys older
    for i in range(50):
        assert c.get("hot") == VALUE
        c.set("new:%d" % i, VALUE)
    assert c.exists("hot") == 1
    gone = 200 - sum(c.exists("old:%d" % i) for i in range(200))
    assert gone >= 30
    assert sum(c.exists("new:%d" % i) for i in range(50)) >= 40


def test_volatile_policy_leaves_persistent_keys(c):
    c.config_set("maxmemory-policy", "volatile-lru")
    p = c.pipeline(transaction=False)
    for i in range(50):
        p.set("keep:%d" % i, VALUE)
    for i in range(100):
        p.set("tmp:%d" % i, VALUE, ex=1000)
    p.execute()
    c.config_set("maxmemory", used(c) + 64 * 1024)
    for i in range(60):
        c.set("more:%d" % i, VALUE)
    assert sum(c.exists("keep:%d" % i) for i in range(50)) == 50
    assert sum(c.exists("tmp:%d" % i) for i in range(100)) <= 85


def test_object_freq_under_lfu(c):
    c.config_set("maxmemory-policy", "allkeys-lfu")
    c.set("k", "v")
    assert c.object("freq", "k") == 5  # LFU_INIT_VAL
    for _ in range(200):
        c.get("k")
    assert c.object("freq", "k") > 5
    c.config_set("maxmemory-policy", "allkeys-lru")
    with pytest.raises(redis.exceptions.ResponseError, match="An LFU maxmemory policy is not selected"):
        c.object("freq", "k")


def test_exec_aborts_when_its_queue_would_grow_memory(server, c):
    a = Connection(port=server.port)
    try:
        a.send_command("MULTI")
        assert a.read_response() == b"OK"
        a.send_command("SET", "a", "b")
        assert a.read_response() == b"QUEUED"
        c.config_set("maxmemory", 1)
        a.send_command("EXEC")
        with pytest.raises(redis.exceptions.ExecAbortError) as e:
            a.read_response()
        assert str(e.value) == "Transaction discarded because of: " + OOM
        a.send_command("DISCARD")  # the transaction is gone
        with pytest.raises(redis.exceptions.ResponseError, match="DISCARD without MULTI"):
            a.read_response()
        a.send_command("MULTI")
        a.read_response()
        a.send_command("GET", "a")  # anything queued while OOM is refused
        with pytest.raises(OOM_ERR) as e:
            a.read_response()
        assert str(e.value) == OOM_TEXT
    finally:
        a.disconnect()
    assert c.exists("a") == 0


def test_scripts_under_oom(c):
    c.set("k", "v")
    c.config_set("maxmemory", 1)
    with pytest.raises(OOM_ERR) as e:
        c.eval("return redis.call('set','a','b')", 0)
    assert str(e.value).startswith(OOM_TEXT + " script: ")
    with pytest.raises(OOM_ERR) as e:
        c.eval("return redis.pcall('set','a','b')", 0)
    assert str(e.value) == OOM_TEXT
    assert c.eval("return redis.call('get','k')", 0) == b"v"
    assert c.eval("#!lua flags=no-writes\nreturn 1", 0) == 1
    with pytest.raises(OOM_ERR) as e:
        c.eval("#!lua\nreturn 1", 0)
    assert str(e.value) == OOM_TEXT
    assert c.eval("#!lua flags=allow-oom\nreturn redis.call('set','a','b')", 0) == b"OK"
    # Once a script has written, it can't be stopped half-way.
    assert c.eval("redis.call('del','zz') return redis.call('set','a','c')", 0) == b"OK"


def test_memory_usage(r):
    r.set("s", "x" * 1000)
    r.rpush("l", *range(100))
    r.hset("h", mapping={"f%d" % i: i for i in range(10)})
    r.sadd("st", *range(20))
    r.zadd("z", {"m%d" % i: i for i in range(20)})
    r.xadd("x", {"f": "v"})
    for k in ("s", "l", "h", "st", "z", "x"):
        n = r.memory_usage(k)
        assert isinstance(n, int) and n > 0, k
    assert r.memory_usage("s") > 1000
    assert r.memory_usage("l", samples=0) > 0
    assert r.memory_usage("missing") is None
    with pytest.raises(redis.exceptions.ResponseError, match="syntax error"):
        r.execute_command("MEMORY", "USAGE", "s", "SAMPLES", "-1")
    with pytest.raises(redis.exceptions.ResponseError, match="syntax error"):
        r.execute_command("MEMORY", "USAGE", "s", "FOO", "1")


def test_memory_stats_doctor_help(rr):
    rr.set("a", "1")
    stats = rr.execute_command("MEMORY", "STATS")
    fields = stats if isinstance(stats, dict) else dict(zip(stats[::2], stats[1::2]))
    assert list(fields)[:3] == [b"peak.allocated", b"total.allocated", b"startup.allocated"]
    assert {b"db.0", b"keys.count", b"dataset.bytes", b"overhead.total", b"fragmentation"} <= set(fields)
    assert fields[b"keys.count"] == 1
    doctor = rr.execute_command("MEMORY", "DOCTOR")
    assert b"Sam" in (doctor if isinstance(doctor, bytes) else str(doctor).encode())
    helps = rr.execute_command("MEMORY", "HELP")
    assert helps[0] == b"MEMORY <subcommand> [<arg> [value] [opt] ...]. Subcommands are:"
    assert len(helps) == 14
    assert rr.execute_command("MEMORY", "PURGE") in (b"OK", "OK")
