"""Persistence against CrabCache and real Redis: DUMP/RESTORE (payloads cross
between the two servers in both directions), dump.rdb files written by one
and loaded by the other, SAVE, BGSAVE, SHUTDOWN SAVE/NOSAVE, DEBUG RELOAD.

Servers that write files are dedicated ones (``spawn``) pointed at a
temporary directory: nothing here writes into the working tree.  Real Redis
7.0 refuses CONFIG SET dir unless ``enable-protected-configs`` is on.
"""

from __future__ import annotations

import os
import shutil
import socket
import struct
import subprocess
import tempfile
import time
from typing import Any, Callable

import pytest
import redis

from crabcache.persistence.crc64 import crc64

from conftest import SERVERS, Endpoint

CHECK_RDB = shutil.which("redis-check-rdb")
OKS = (b"OK", "OK", True)  # redis-py leaves some +OK replies as they came


def both(endpoints: dict[str, Endpoint]) -> tuple[redis.Redis, redis.Redis]:
    if "redis" not in endpoints or "crabcache" not in endpoints:
        pytest.skip("needs both servers")
    return endpoints["crabcache"].client(protocol=2), endpoints["redis"].client(protocol=2)


def populate(r: redis.Redis) -> None:
    """Every type and encoding Redis 7.0 writes (run on real Redis: it has every command)."""
    r.set("str", "hello")
    r.set("int", "-300")
    r.set("bigint", "12345678901234567890")
    r.set("long", "abc" * 1000)  # LZF-compressed in files and payloads
    r.set("bin", bytes(range(256)))
    r.set("ttl", "v", px=3_600_000)
    r.rpush("list", "a", "1", "-2", "70000", "x" * 30)
    r.rpush("biglist", *[b"item%d" % i for i in range(3000)])  # several quicklist nodes
    r.hset("hash", mapping={"f": "v", "n": "100"})
    r.hset("bighash", mapping={b"f%d" % i: b"v%d" % i for i in range(600)})
    r.hset("longhash", "f", "v" * 100)
    r.sadd("intset", 1, 70000, -3, 2**40)
    r.sadd("set", "a", "b", "c")
    r.zadd("zset", {"a": 1.5, "b": -2, "c": float("inf"), "d": 0.1})
    r.zadd("bigzset", {b"m%d" % i: i / 7 for i in range(300)})
    r.pexpire("hash", 3_600_000)
    r.execute_command("SELECT", 4)
    r.set("in4", "four")
    r.execute_command("SELECT", 0)


def digest(r: redis.Redis, key: bytes | str) -> bytes:
    return r.execute_command("DEBUG", "DIGEST-VALUE", key)[0]


def signed(body: bytes) -> bytes:
    """A DUMP payload with a valid footer around ``body``."""
    b = body + struct.pack("<H", 10)
    return b + struct.pack("<Q", crc64(b))


# --- DUMP / RESTORE across servers -----------------------------------------------------


def test_dump_restore_both_ways(endpoints):
    crab, real = both(endpoints)
    crab.flushall()
    real.flushall()
    populate(real)
    keys = [k for k in real.keys() if not k.startswith(b"copy:")]
    assert len(keys) == 15
    for k in keys:
        payload = real.dump(k)
        assert crab.restore(k, 0, payload) in OKS
        back = crab.dump(k)
        assert real.restore(b"copy:" + k, 0, back) in OKS
        if k == b"ttl":  # DIGEST-VALUE mixes in the TTL, which the copy lacks
            assert real.get(b"copy:" + k) == real.get(k)
        elif k == b"hash":
            assert real.hgetall(b"copy:" + k) == real.hgetall(k)
        else:
            assert digest(real, b"copy:" + k) == digest(real, k), k
        if k in (b"str", b"int", b"bigint", b"ttl"):
            assert back == payload  # plain strings: the same bytes
    assert crab.get("long") == b"abc" * 1000
    # CrabCache's own values go to Redis
    crab.set("mine", "42")
    crab.set("mine2", "x" * 100)
    for k in ("mine", "mine2"):
        real.restore(k, 0, crab.dump(k))
        assert real.get(k) == crab.get(k)
    assert crab.dump("mine") == bytes.fromhex("00c02a0a00") + crab.dump("mine")[5:]


def test_dump_missing_and_exact_bytes(r, raw):
    assert r.dump("nosuch") is None
    r.set("k", "1")
    assert raw(b"DUMP k\r\n") == b"$13\r\n" + bytes.fromhex("00c0010a002678e7b6d10111fc") + b"\r\n"


def err(r: redis.Redis, *args: Any) -> str:
    with pytest.raises(redis.ResponseError) as e:
        r.execute_command(*args)
    return str(e.value)


def test_restore_errors(r):
    r.set("src", "hello")
    p = r.dump("src")
    assert err(r, "RESTORE", "src", 0, p) == "BUSYKEY Target key name already exists."
    assert err(r, "RESTORE", "k", -1, p) == "Invalid TTL value, must be >= 0"
    assert err(r, "RESTORE", "k", "x", p) == "value is not an integer or out of range"
    assert err(r, "RESTORE", "k", 0, b"junk") == "DUMP payload version or checksum are wrong"
    assert err(r, "RESTORE", "k", 0, p[:-1] + bytes([p[-1] ^ 1])) == "DUMP payload version or checksum are wrong"
    newer = p[:-10] + b"\x0b\x00"
    assert err(r, "RESTORE", "k", 0, newer + struct.pack("<Q", crc64(newer))) == \
        "DUMP payload version or checksum are wrong"
    for body in (b"\x00\x32ab", b"\x63abc", b"\x12\x01\x02\x05abcde", b"\x0f\x00"):
        assert err(r, "RESTORE", "k", 0, signed(body)) == "Bad data format"
    assert err(r, "RESTORE", "k", 0, p, "IDLETIME") == "syntax error"
    assert err(r, "RESTORE", "k", 0, p, "IDLETIME", -1) == "Invalid IDLETIME value, must be >= 0"
    assert err(r, "RESTORE", "k", 0, p, "FREQ", 256) == "Invalid FREQ value, must be >= 0 and <= 255"
    assert err(r, "RESTORE", "k", 0, p, "FREQ", 1, "IDLETIME", 1) == "syntax error"
    assert err(r, "RESTORE", "k", 0, p, "IDLETIME", "x") == "value is not an integer or out of range"
    assert err(r, "RESTORE", "k", 0, p, "bogus") == "syntax error"
    # BUSYKEY is checked before the TTL, the TTL before the payload
    assert err(r, "RESTORE", "src", -1, b"junk") == "BUSYKEY Target key name already exists."
    assert err(r, "RESTORE", "src", -1, b"junk", "REPLACE") == "Invalid TTL value, must be >= 0"
    assert r.get("k") is None


def test_restore_options(r):
    r.set("src", "hello")
    p = r.dump("src")
    assert r.restore("a", 0, p, replace=True, idletime=10) in OKS
    assert r.restore("b", 0, p, frequency=5) in OKS
    assert r.restore("src", 0, r.dump("a"), replace=True) in OKS
    # an absolute TTL in the past: OK, and no key (a replaced one is deleted)
    assert r.execute_command("RESTORE", "gone", 1, p, "ABSTTL") in OKS
    assert r.get("gone") is None
    r.execute_command("RESTORE", "a", 1, p, "ABSTTL", "REPLACE")
    assert r.get("a") is None
    r.execute_command("RESTORE", "t", 60000, p)
    r.execute_command("RESTORE", "t2", int(time.time() * 1000) + 60000, p, "ABSTTL")
    ks = r.info("keyspace")["db0"]
    assert ks["keys"] == 4 and ks["expires"] == 2  # src, b, t, t2
    # a trailing byte after the value is accepted, as Redis does
    assert r.restore("tail", 0, signed(b"\x00\x01ab")) in OKS and r.get("tail") == b"a"


def has(raw: Callable[..., bytes], name: str) -> bool:
    """Does the server know command ``name`` (CrabCache grows command by command)?"""
    n = name.encode()
    return b"$%d\r\n%s\r\n" % (len(n), n) in raw(b"COMMAND INFO %s\r\n" % n)


def test_save_inside_multi_and_bgsave_syntax(raw):
    if not has(raw, "multi"):
        pytest.skip("no MULTI on this server yet")
    assert raw(b"MULTI\r\nSAVE\r\nDISCARD\r\n") == \
        b"+OK\r\n-ERR Command not allowed inside a transaction\r\n+OK\r\n"
    assert raw(b"BGSAVE foo\r\nBGSAVE SCHEDULE x\r\nSAVE x\r\n") == (
        b"-ERR syntax error\r\n-ERR syntax error\r\n-ERR wrong number of arguments for 'save' command\r\n")


# --- files --------------------------------------------------------------------------------


class Disk:
    """A dedicated server whose ``dir`` is a fresh temporary directory."""

    def __init__(self, spawn: Callable[..., Endpoint], name: str, extra: list[str] | None = None,
                 directory: str | None = None) -> None:
        self.dir = directory or tempfile.mkdtemp(prefix="crab-persist-")
        self.name = name
        if name == "redis":
            self.ep = spawn("redis", ["--enable-protected-configs", "yes", *(extra or [])])
            self.ep.client().config_set("dir", self.dir)
        else:
            self.ep = spawn("crabcache", ["--enable-protected-configs", "yes", "--dir", self.dir, *(extra or [])])
        self.c = self.ep.client(protocol=2)

    def path(self, name: str = "dump.rdb") -> str:
        return os.path.join(self.dir, name)

    def persistence(self) -> dict[str, Any]:
        return self.c.info("persistence")

    def wait_bgsave(self) -> dict[str, Any]:
        deadline = time.time() + 20
        while True:
            info = self.persistence()
            if not info["rdb_bgsave_in_progress"] or time.time() > deadline:
                return info
            time.sleep(0.02)


def check_rdb(path: str) -> None:
    if CHECK_RDB is None:
        return
    out = subprocess.run([CHECK_RDB, path], capture_output=True, text=True, timeout=60)
    assert "RDB looks OK" in out.stdout, out.stdout + out.stderr


def test_rdb_files_cross_between_servers(spawn, endpoints):
    if "redis" not in SERVERS or "crabcache" not in SERVERS:
        pytest.skip("needs both servers")
    src = Disk(spawn, "redis")
    populate(src.c)
    src.c.save()
    check_rdb(src.path())
    # Real Redis's file loads into CrabCache at start-up...
    crab = Disk(spawn, "crabcache", directory=src.dir)
    assert crab.c.dbsize() == src.c.dbsize() == 15
    for db, line in src.c.info("keyspace").items():
        mine = crab.c.info("keyspace")[db]
        assert (mine["keys"], mine["expires"]) == (line["keys"], line["expires"])
    assert crab.c.get("long") == b"abc" * 1000
    assert crab.c.execute_command("SELECT", 4) and crab.c.get("in4") == b"four"
    # ...and CrabCache's file loads into real Redis, with the same digest (TTLs included).
    crab.c.config_set("dbfilename", "crab.rdb")
    assert crab.c.save()
    check_rdb(crab.path("crab.rdb"))
    dst = Disk(spawn, "redis", directory=src.dir)
    dst.c.config_set("dbfilename", "crab.rdb")
    assert dst.c.execute_command("DEBUG", "RELOAD", "NOSAVE") in OKS
    assert dst.c.dbsize() == 15
    assert dst.c.execute_command("DEBUG", "DIGEST") == src.c.execute_command("DEBUG", "DIGEST")
    assert dst.c.object("encoding", "bighash") == src.c.object("encoding", "bighash")
    assert dst.c.object("encoding", "intset") == b"intset"


@pytest.fixture(params=SERVERS)
def disk(request, spawn) -> Disk:
    return Disk(spawn, request.param)


def test_save_bgsave_lastsave_and_info(disk):
    c = disk.c
    c.set("k", "v")
    c.set("k2", "v")
    info = disk.persistence()
    assert info["rdb_changes_since_last_save"] >= 2 and info["rdb_last_bgsave_status"] == "ok"
    t0 = int(time.time())
    assert c.save() is True
    assert os.path.exists(disk.path())
    assert t0 - 1 <= c.lastsave().timestamp() <= time.time() + 1
    assert disk.persistence()["rdb_changes_since_last_save"] == 0
    c.set("k3", "v")
    assert disk.ep.raw(b"BGSAVE\r\n") == b"+Background saving started\r\n"
    info = disk.wait_bgsave()
    assert info["rdb_bgsave_in_progress"] == 0 and info["rdb_last_bgsave_status"] == "ok"
    assert info["rdb_changes_since_last_save"] == 0
    assert c.info("stats")["total_forks"] >= 1
    check_rdb(disk.path())
    # inside a transaction BGSAVE is only scheduled; the cron starts it soon after
    if not has(disk.ep.raw, "multi"):
        return
    c.set("k4", "v")
    assert disk.ep.raw(b"MULTI\r\nBGSAVE\r\nEXEC\r\n") == \
        b"+OK\r\n+QUEUED\r\n*1\r\n+Background saving scheduled\r\n"
    deadline = time.time() + 10
    while disk.persistence()["rdb_changes_since_last_save"] and time.time() < deadline:
        time.sleep(0.05)
    assert disk.persistence()["rdb_changes_since_last_save"] == 0


MISCONF = ("MISCONF Redis is configured to save RDB snapshots, but it's currently unable to persist to disk. "
           "Commands that may modify the data set are disabled, because this instance is configured to "
           "report errors during writes if RDB snapshotting fails (stop-writes-on-bgsave-error option). "
           "Please check the Redis logs for details about the RDB error.")


def test_failed_bgsave_stops_writes_with_misconf(disk):
    # A directory where dump.rdb should go makes the child's final rename fail.
    c = disk.c

    def q(data: bytes, want: bytes) -> None:
        assert disk.ep.raw(data, expect=len(want)) == want

    c.config_set("save", "3600 1")
    c.set("before", "1")
    held = socket.create_connection(("127.0.0.1", disk.ep.port), timeout=5)
    held.sendall(b"MULTI\r\nSET queued 1\r\n")  # a transaction holding a write, queued in time
    assert _recv(held, 14) == b"+OK\r\n+QUEUED\r\n"
    os.mkdir(disk.path())
    try:
        q(b"BGSAVE\r\n", b"+Background saving started\r\n")
        assert disk.wait_bgsave()["rdb_last_bgsave_status"] == "err"
        err = b"-" + MISCONF.encode() + b"\r\n"
        q(b"SET k v\r\n", err)
        q(b"PING\r\n", err)  # PING too, as Redis
        q(b"GET before\r\n", b"$1\r\n1\r\n")  # reads still run
        q(b"MULTI\r\nGET before\r\nEXEC\r\n", b"+OK\r\n+QUEUED\r\n*1\r\n$1\r\n1\r\n")
        q(b"MULTI\r\nSET k v\r\nEXEC\r\n",
          b"+OK\r\n" + err + b"-EXECABORT Transaction discarded because of previous errors.\r\n")
        held.sendall(b"EXEC\r\nGET queued\r\n")
        want = b"-EXECABORT Transaction discarded because of: " + MISCONF.encode() + b"\r\n$-1\r\n"
        assert _recv(held, len(want)) == want
        with pytest.raises(redis.ResponseError) as e:
            c.eval("return redis.call('set', 'k', 'v')", 0)
        assert str(e.value).startswith(MISCONF + " script: ")
        assert c.eval("return redis.call('get', 'before')", 0) == b"1"
        with pytest.raises(redis.ResponseError) as e:
            c.eval("#!lua\nreturn 1", 0)  # may write: refused before it runs
        assert str(e.value) == MISCONF
        assert c.eval("#!lua flags=no-writes\nreturn 1", 0) == 1
        # Without save points, or with stop-writes-on-bgsave-error no, writes go on.
        c.config_set("save", "")
        assert c.set("k", "v") is True
        c.config_set("save", "3600 1")
        q(b"SET k v\r\n", err)
        c.config_set("stop-writes-on-bgsave-error", "no")
        assert c.set("k", "v") is True
        c.config_set("stop-writes-on-bgsave-error", "yes")
    finally:
        held.close()
        os.rmdir(disk.path())
    # A good save lifts it.
    q(b"BGSAVE\r\n", b"+Background saving started\r\n")
    assert disk.wait_bgsave()["rdb_last_bgsave_status"] == "ok"
    q(b"SET k v\r\n", b"+OK\r\n")


def _recv(s: socket.socket, n: int) -> bytes:
    out = b""
    while len(out) < n:
        chunk = s.recv(65536)
        if not chunk:
            break
        out += chunk
    return out


def test_debug_reload_keeps_the_data(disk):
    c = disk.c
    c.set("k", "v")
    c.set("n", "12")
    assert c.execute_command("DEBUG", "RELOAD") in OKS
    assert c.get("k") == b"v" and c.get("n") == b"12" and c.dbsize() == 2
    assert os.path.exists(disk.path())


@pytest.mark.parametrize("how,saved", [("SHUTDOWN SAVE", True), ("SHUTDOWN NOSAVE", False),
                                       ("SHUTDOWN", True), ("SIGTERM", True)])
def test_shutdown_save(spawn, how, saved):
    # save points configured, so a plain SHUTDOWN and SIGTERM save too
    for name in SERVERS:
        d = Disk(spawn, name, ["--save", "3600 1"])
        d.c.set("k", "v")
        if how == "SIGTERM":
            d.ep.proc.terminate()
        else:
            try:
                d.c.execute_command(*how.split())
            except redis.ConnectionError:
                pass
        d.ep.proc.wait(20)
        assert os.path.exists(d.path()) == saved, (name, how)
        if saved:
            check_rdb(d.path())
            if name == "crabcache":
                again = Disk(spawn, "crabcache", directory=d.dir)
                assert again.c.get("k") == b"v"
