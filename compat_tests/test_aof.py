"""The append-only file against CrabCache and real Redis 7.0: the multi-part
directory and manifest, what each command leaves in the INCR file, restarts
that read it back, BGREWRITEAOF, truncated and corrupt files, CONFIG SET
appendonly at run time, and AOF directories crossing between the servers.

Every server here is a dedicated one (``spawn``) with its own temporary
``dir``; a restart is SHUTDOWN NOSAVE (the AOF is still flushed and fsynced,
no dump.rdb is written) and a new server on the same directory.
"""

from __future__ import annotations

import os
import re
import tempfile
import time
from typing import Any, Callable

import pytest
import redis

from conftest import SERVERS, Endpoint

MANIFEST_1 = "file appendonly.aof.1.base.rdb seq 1 type b\nfile appendonly.aof.1.incr.aof seq 1 type i\n"


class Aof:
    """A dedicated server with ``appendonly yes`` (unless told otherwise) in a fresh dir."""

    def __init__(self, spawn: Callable[..., Endpoint], name: str, extra: list[str] | None = None,
                 directory: str | None = None, appendonly: bool = True) -> None:
        self.spawn = spawn
        self.name = name
        self.extra = extra or []
        self.dir = directory or tempfile.mkdtemp(prefix="crab-aof-")
        self.appendonly = appendonly
        self.start()

    def start(self, extra: list[str] | None = None) -> None:
        # appendfsync always: the tests read the AOF right after a reply.  Under
        # everysec Redis may postpone writing its AOF buffer (up to 2 s) while the
        # background fsync of the last second is still running, and such a test
        # then finds the file one command short (seen in CI, on Redis's side).
        args = ["--dir", self.dir, "--appendonly", "yes" if self.appendonly else "no", "--appendfsync", "always",
                *self.extra, *(extra or [])]
        self.ep = self.spawn(self.name, args)
        self.c = self.ep.client(protocol=2)
        self.raw = self.ep.client(protocol=2)  # replies exactly as sent (no redis-py callbacks)
        self.raw.response_callbacks.clear()

    def reply(self, *argv: Any) -> Any:
        """The reply, or the error's text."""
        try:
            return self.raw.execute_command(*argv)
        except redis.ResponseError as e:
            return str(e)

    def restart(self, extra: list[str] | None = None) -> None:
        self.stop()
        self.appendonly = True
        self.start(extra)

    def stop(self) -> None:
        try:
            self.c.shutdown(nosave=True)
        except redis.ConnectionError:
            pass
        self.ep.proc.wait(20)

    def path(self, *names: str) -> str:
        return os.path.join(self.dir, "appendonlydir", *names)

    def files(self) -> list[str]:
        return sorted(os.listdir(self.path()))

    def manifest(self) -> str:
        with open(self.path("appendonly.aof.manifest")) as f:
            return f.read()

    def incr(self, seq: int = 1) -> list[list[bytes]]:
        with open(self.path("appendonly.aof.%d.incr.aof" % seq), "rb") as f:
            return parse_aof(f.read())

    def info(self) -> dict[str, Any]:
        return self.c.info("persistence")

    def wait_children(self) -> dict[str, Any]:
        deadline = time.time() + 30
        while True:
            info = self.info()
            busy = info["aof_rewrite_in_progress"] or info["rdb_bgsave_in_progress"] or info["aof_rewrite_scheduled"]
            if not busy or time.time() > deadline:
                return info
            time.sleep(0.02)


def parse_aof(data: bytes) -> list[list[bytes]]:
    out, i = [], 0
    while i < len(data):
        assert data[i:i + 1] == b"*", data[i:i + 40]
        j = data.index(b"\r\n", i)
        argc, i = int(data[i + 1:j]), j + 2
        argv = []
        for _ in range(argc):
            j = data.index(b"\r\n", i)
            n, i = int(data[i + 1:j]), j + 2
            argv.append(data[i:i + n])
            i += n + 2
        out.append(argv)
    return out


def populate(c: redis.Redis) -> None:
    """Every type, TTLs, several databases, a function library, a stream with a group."""
    c.set("str", "hello")
    c.set("int", "-300")
    c.set("bin", bytes(range(256)))
    c.set("ttl", "v", px=3_600_000)
    c.execute_command("SETEX", "ttl2", 3600, "v")
    c.rpush("list", "a", "1", "-2", "x" * 30)
    c.rpush("biglist", *[b"item%d" % i for i in range(300)])
    c.hset("hash", mapping={"f": "v", "n": "100"})
    c.hincrbyfloat("hash", "fl", "1.5")
    c.sadd("intset", 1, 70000, -3)
    c.sadd("set", "a", "b", "c")
    c.zadd("zset", {"a": 1.5, "b": -2, "c": float("inf")})
    c.pexpire("hash", 3_600_000)
    c.incrbyfloat("float", "3.25")
    c.execute_command("XADD", "stream", "1-1", "f", "v")
    c.execute_command("XADD", "stream", "2-1", "g", "w")
    c.execute_command("XGROUP", "CREATE", "stream", "grp", "0")
    c.execute_command("XREADGROUP", "GROUP", "grp", "alice", "COUNT", "1", "STREAMS", "stream", ">")
    c.execute_command("FUNCTION", "LOAD", "#!lua name=lib\nredis.register_function('f', function() return 1 end)")
    c.execute_command("SELECT", 4)
    c.set("in4", "four")
    c.execute_command("SELECT", 0)
    c.pfadd("hll", "a", "b", "c")


def dataset(c: redis.Redis) -> dict[Any, Any]:
    """Everything a client can see of the data, TTLs as absolute times."""
    raw = redis.Redis(port=c.connection_pool.connection_kwargs["port"], protocol=2)
    raw.response_callbacks.clear()
    out: dict[Any, Any] = {}
    for i in range(16):
        raw.execute_command("SELECT", i)
        for k in sorted(raw.execute_command("KEYS", "*")):
            t = raw.execute_command("TYPE", k)
            if t == b"string":
                v: Any = raw.execute_command("GET", k)
            elif t == b"list":
                v = raw.execute_command("LRANGE", k, 0, -1)
            elif t == b"set":
                v = sorted(raw.execute_command("SMEMBERS", k))
            elif t == b"hash":
                h = raw.execute_command("HGETALL", k)
                v = sorted(zip(h[::2], h[1::2]))
            elif t == b"zset":
                v = raw.execute_command("ZRANGE", k, 0, -1, "WITHSCORES")
            else:
                v = [raw.execute_command("XRANGE", k, "-", "+"),
                     [p[:2] for p in raw.execute_command("XPENDING", k, "grp", "-", "+", 100)]
                     if raw.execute_command("XINFO", "GROUPS", k) else []]
            out[(i, k)] = (t, v, raw.execute_command("PEXPIRETIME", k))
    out["functions"] = raw.execute_command("FUNCTION", "LIST")
    raw.close()
    return out


def norm(cmds: list[list[bytes]]) -> list[str]:
    """Commands as text, with unix-ms times (and IDs made of them) as T."""
    return [re.sub(r"\b1[6-9]\d{11}\b", "T", b" ".join(a).decode("latin-1")) for a in cmds]


@pytest.mark.parametrize("name", SERVERS)
def test_layout_and_every_type_survive_restart(spawn, name):
    a = Aof(spawn, name)
    assert a.files() == ["appendonly.aof.1.base.rdb", "appendonly.aof.1.incr.aof", "appendonly.aof.manifest"]
    assert a.manifest() == MANIFEST_1
    with open(a.path("appendonly.aof.1.base.rdb"), "rb") as f:
        assert f.read(9) == b"REDIS0010"
    populate(a.c)
    before = dataset(a.c)
    info = a.info()
    assert info["aof_enabled"] == 1 and info["aof_last_write_status"] == "ok"
    a.restart()
    assert dataset(a.c) == before
    assert a.manifest() == MANIFEST_1  # the same INCR is opened again and appended to
    a.c.set("after", "1")
    a.restart()
    assert a.c.get("after") == b"1" and a.c.get("str") == b"hello"


# What Redis 7.0.15 writes for each command (the oracle: both servers must agree).
SCRIPT: list[tuple[tuple[Any, ...], list[str]]] = [
    (("SET", "a", "1"), ["SELECT 0", "SET a 1"]),
    (("SET", "b", "2", "EX", "100"), ["SET b 2 PXAT T"]),
    (("SET", "c", "3", "PX", "100000", "GET"), ["SET c 3 PXAT T"]),
    (("SET", "g", "1", "EXAT", "99999999999"), ["SET g 1 PXAT 99999999999000"]),
    (("SET", "g", "1", "PXAT", "99999999999000"), ["SET g 1 PXAT 99999999999000"]),
    (("SETEX", "d", "100", "x"), ["SET d x PXAT T"]),
    (("PSETEX", "e", "100000", "y"), ["SET e y PXAT T"]),
    (("EXPIRE", "a", "100"), ["PEXPIREAT a T"]),
    (("EXPIREAT", "a", "99999999999"), ["PEXPIREAT a 99999999999000"]),
    (("PEXPIREAT", "a", "99999999999001"), ["PEXPIREAT a 99999999999001"]),
    (("GETEX", "b", "EX", "200"), ["PEXPIREAT b T"]),
    (("GETEX", "b", "PERSIST"), ["PERSIST b"]),
    (("SET", "nx", "1", "NX"), ["SET nx 1 NX"]),
    (("SET", "nx", "2", "NX"), []),  # changed nothing: not written
    (("INCR", "notanumber-but-missing"), ["INCR notanumber-but-missing"]),
    (("INCRBYFLOAT", "f", "1.5"), ["SET f 1.5 KEEPTTL"]),
    (("HINCRBYFLOAT", "h", "f", "2.5"), ["HSET h f 2.5"]),
    (("HSET", "h", "f", "x"), ["HSET h f x"]),
    (("HINCRBYFLOAT", "h", "f", "1"), []),  # an error: not written
    (("SADD", "s", "only"), ["SADD s only"]),
    (("SPOP", "s"), ["SREM s only"]),
    (("SADD", "s2", "1", "2"), ["SADD s2 1 2"]),
    (("SPOP", "s2", "5"), ["DEL s2"]),
    (("GETDEL", "c"), ["DEL c"]),
    (("RPUSH", "l", "1", "2", "3"), ["RPUSH l 1 2 3"]),
    (("BLPOP", "l", "0"), ["LPOP l"]),
    (("BLMOVE", "l", "l2", "LEFT", "RIGHT", "0"), ["LMOVE l l2 LEFT RIGHT"]),
    (("BRPOPLPUSH", "l", "l2", "0"), ["RPOPLPUSH l l2"]),
    (("RPUSH", "l3", "1", "2", "3"), ["RPUSH l3 1 2 3"]),
    (("LMPOP", "1", "l3", "LEFT", "COUNT", "5"), ["LPOP l3 3"]),
    (("ZADD", "z", "1", "a", "2", "b", "3", "c"), ["ZADD z 1 a 2 b 3 c"]),
    (("ZMPOP", "1", "z", "MIN"), ["ZPOPMIN z 1"]),
    (("BZPOPMAX", "z", "0"), ["ZPOPMAX z"]),
    (("BZMPOP", "0", "1", "z", "MAX", "COUNT", "9"), ["ZPOPMAX z 1"]),
    (("EVAL", "redis.call('set','x','1') redis.call('set','y','2') return 1", "0"),
     ["MULTI", "set x 1", "set y 2", "EXEC"]),
    (("EVAL", "redis.call('set','x1','1') return 1", "0"), ["set x1 1"]),
    (("EVAL", "return redis.call('get','x')", "0"), []),
    (("SELECT", "3"), []),
    (("SET", "z3", "1"), ["SELECT 3", "SET z3 1"]),
    (("SELECT", "0"), []),
    (("EXPIRE", "a", "0"), ["SELECT 0", "DEL a"]),
    (("XADD", "st", "5-1", "a", "1"), ["XADD st 5-1 a 1"]),
    (("XADD", "st", "MAXLEN", "~", "1", "5-*", "b", "2"), ["XADD st MAXLEN = 2 5-2 b 2"]),
    (("XGROUP", "CREATE", "st", "g", "0"), ["XGROUP CREATE st g 0"]),
    (("XREADGROUP", "GROUP", "g", "bob", "NOACK", "COUNT", "1", "STREAMS", "st", ">"),
     ["MULTI", "XGROUP CREATECONSUMER st g bob", "XGROUP SETID st g 5-1 ENTRIESREAD 1", "EXEC"]),
    (("XCLAIM", "st", "g", "carol", "0", "9-9"), []),
    (("FLUSHDB",), ["FLUSHDB"]),
    (("FLUSHDB",), ["FLUSHDB"]),  # even with nothing to flush
    (("SWAPDB", "0", "1"), ["SWAPDB 0 1"]),
    (("FLUSHALL",), ["FLUSHALL"]),
]


@pytest.mark.parametrize("name", SERVERS)
def test_what_each_command_writes(spawn, name):
    a = Aof(spawn, name)
    got: list[str] = []
    seen = 0
    for argv, want in SCRIPT:
        try:
            a.c.execute_command(*argv)
        except redis.ResponseError:
            pass
        cmds = norm(a.incr())
        got.append("%s -> %s" % (" ".join(argv), cmds[seen:]))
        assert cmds[seen:] == want, got[-1]
        seen = len(cmds)


@pytest.mark.parametrize("name", SERVERS)
def test_transactions_and_lazy_expiry(spawn, name):
    a = Aof(spawn, name)
    a.c.execute_command("DEBUG", "SET-ACTIVE-EXPIRE", "0")
    p = a.c.pipeline(transaction=True)
    p.set("m1", "1")
    p.get("m1")
    p.execute()  # one write: no MULTI around it
    p = a.c.pipeline(transaction=True)
    p.set("m2", "1")
    p.execute_command("INCR", "m2")
    p.execute()
    a.c.set("gone", "1", px=1)
    time.sleep(0.05)
    assert a.c.get("gone") is None  # lazy expiry: DEL
    assert norm(a.incr()) == ["SELECT 0", "SET m1 1", "MULTI", "SET m2 1", "INCR m2", "EXEC",
                              "SET gone 1 PXAT T", "DEL gone"]


@pytest.mark.parametrize("name", SERVERS)
def test_blocked_pop_served_later_is_written_as_its_plain_form(spawn, name):
    import threading

    a = Aof(spawn, name)
    other = a.ep.client(protocol=2)
    got: list[Any] = []
    t = threading.Thread(target=lambda: got.append(other.blpop(["q"], 0)))
    t.start()
    while a.c.info("clients")["blocked_clients"] < 1:
        time.sleep(0.01)
    a.c.rpush("q", "x", "y")
    t.join(10)
    assert got == [(b"q", b"x")]
    assert norm(a.incr()) == ["SELECT 0", "RPUSH q x y", "LPOP q"]


@pytest.mark.parametrize("name", SERVERS)
def test_bgrewriteaof_then_restart(spawn, name):
    a = Aof(spawn, name)
    populate(a.c)
    assert a.reply("BGREWRITEAOF") == b"Background append only file rewriting started"
    info = a.wait_children()
    assert info["aof_last_bgrewrite_status"] == "ok" and info["aof_rewrites"] == 1
    assert a.manifest() == ("file appendonly.aof.2.base.rdb seq 2 type b\n"
                            "file appendonly.aof.2.incr.aof seq 2 type i\n")
    assert a.files() == ["appendonly.aof.2.base.rdb", "appendonly.aof.2.incr.aof", "appendonly.aof.manifest"]
    a.c.set("later", "1")
    before = dataset(a.c)
    a.restart()
    assert dataset(a.c) == before


@pytest.mark.parametrize("name", SERVERS)
def test_rewrite_without_rdb_preamble(spawn, name):
    a = Aof(spawn, name, ["--aof-use-rdb-preamble", "no"])
    populate(a.c)
    a.c.execute_command("XADD", "empty", "MAXLEN", "0", "7-7", "f", "v")  # an empty stream
    a.c.execute_command("BGREWRITEAOF")
    a.wait_children()
    assert "appendonly.aof.2.base.aof" in a.files()
    with open(a.path("appendonly.aof.2.base.aof"), "rb") as f:
        base = parse_aof(f.read())
    assert [b"SELECT", b"4"] in base and [b"SET", b"in4", b"four"] in base
    before = dataset(a.c)
    a.restart()
    assert dataset(a.c) == before
    assert a.c.execute_command("XINFO", "STREAM", "empty")[1] == 0


@pytest.mark.parametrize("name", SERVERS)
def test_one_child_at_a_time(spawn, name):
    # rdb-key-save-delay (microseconds per key) keeps each child busy for a while.
    a = Aof(spawn, name, ["--rdb-key-save-delay", "100000"])
    for i in range(15):
        a.c.set("k%d" % i, i)
    assert a.reply("BGREWRITEAOF") == b"Background append only file rewriting started"
    assert a.reply("BGREWRITEAOF") == "Background append only file rewriting already in progress"
    assert a.reply("BGSAVE") == ("Another child process is active (AOF?): can't BGSAVE right now. "
                                 "Use BGSAVE SCHEDULE in order to schedule a BGSAVE whenever possible.")
    assert a.reply("BGSAVE", "SCHEDULE") == b"Background saving scheduled"
    info = a.info()
    assert info["aof_rewrite_in_progress"] == 1 and info["rdb_bgsave_in_progress"] == 0
    deadline = time.time() + 30
    while not a.info()["rdb_bgsave_in_progress"] and time.time() < deadline:
        time.sleep(0.02)  # the scheduled BGSAVE starts once the rewrite is done
    info = a.info()
    assert info["rdb_bgsave_in_progress"] == 1 and info["aof_rewrite_in_progress"] == 0
    assert a.reply("BGREWRITEAOF") == b"Background append only file rewriting scheduled"
    assert a.info()["aof_rewrite_scheduled"] == 1
    info = a.wait_children()
    assert info["aof_rewrites"] == 2 and info["rdb_last_bgsave_status"] == "ok"


@pytest.mark.parametrize("name", SERVERS)
def test_truncated_aof(spawn, name):
    a = Aof(spawn, name)
    a.c.set("a", "1")
    a.c.set("b", "2")
    a.stop()
    incr = a.path("appendonly.aof.1.incr.aof")
    full = os.path.getsize(incr)
    os.truncate(incr, full - 5)  # the last SET cut short
    a.start()
    assert a.c.keys() == [b"a"]
    assert os.path.getsize(incr) == 50  # truncated after the last whole command: SELECT + SET
    with open(a.ep.logfile) as f:
        log = f.read()
    assert "!!! Warning: short read while loading the AOF file appendonly.aof.1.incr.aof!!!" in log
    assert "!!! Truncating the AOF appendonly.aof.1.incr.aof at offset 50 !!!" in log
    assert "AOF appendonly.aof.1.incr.aof loaded anyway because aof-load-truncated is enabled" in log
    a.c.set("c", "3")  # appended after the cut: the file stays loadable
    a.stop()
    os.truncate(incr, os.path.getsize(incr) - 3)
    with pytest.raises(RuntimeError, match="Unexpected end of file reading the append only file "
                                           "appendonly.aof.1.incr.aof. You can: 1\\) Make a backup"):
        a.start(["--aof-load-truncated", "no"])


@pytest.mark.parametrize("name", SERVERS)
def test_corrupt_aof_refuses_to_start(spawn, name):
    a = Aof(spawn, name)
    a.c.set("a", "1")
    a.stop()
    with open(a.path("appendonly.aof.1.incr.aof"), "ab") as f:
        f.write(b"garbage\r\n")
    with pytest.raises(RuntimeError, match="Bad file format reading the append only file "
                                           "appendonly.aof.1.incr.aof: make a backup of your AOF file"):
        a.start()


@pytest.mark.parametrize("name", SERVERS)
def test_config_set_appendonly_at_run_time(spawn, name):
    a = Aof(spawn, name, appendonly=False)
    a.c.set("a", "1")
    a.c.hset("h", "f", "v")
    assert not os.path.exists(a.path())
    assert a.c.config_set("appendonly", "yes")
    info = a.info()
    assert info["aof_enabled"] == 1 and (info["aof_rewrite_in_progress"] or info["aof_rewrites"])
    a.c.set("b", "2")  # during the rewrite: lands in the first INCR
    info = a.wait_children()
    assert info["aof_rewrites"] == 1 and info["aof_last_bgrewrite_status"] == "ok"
    a.c.set("c", "3")
    assert a.manifest() == MANIFEST_1
    assert norm(a.incr()) == ["SELECT 0", "SET b 2", "SET c 3"]
    assert a.c.config_set("appendonly", "no")
    assert a.info()["aof_enabled"] == 0
    a.c.set("d", "4")  # not in the AOF any more
    before = dataset(a.c)
    a.restart()  # with appendonly yes
    after = dataset(a.c)
    assert after == {k: v for k, v in before.items() if k != (0, b"d")}


@pytest.mark.parametrize("name", SERVERS)
def test_old_single_file_aof_is_upgraded(spawn, name):
    d = tempfile.mkdtemp(prefix="crab-aof-")
    with open(os.path.join(d, "appendonly.aof"), "wb") as f:
        f.write(b"*2\r\n$6\r\nSELECT\r\n$1\r\n0\r\n*3\r\n$3\r\nset\r\n$1\r\na\r\n$1\r\n1\r\n"
                b"*3\r\n$3\r\nset\r\n$1\r\nb\r\n$1\r\n2\r\n")
    a = Aof(spawn, name, directory=d)
    assert sorted(a.c.keys()) == [b"a", b"b"]
    assert not os.path.exists(os.path.join(d, "appendonly.aof"))
    assert a.files() == ["appendonly.aof", "appendonly.aof.1.incr.aof", "appendonly.aof.manifest"]
    assert a.manifest() == ("file appendonly.aof seq 1 type b\n"
                            "file appendonly.aof.1.incr.aof seq 1 type i\n")
    with open(a.ep.logfile) as f:
        assert ("Successfully migrated an old-style AOF file (appendonly.aof) into the AOF directory "
                "(appendonlydir).") in f.read()


@pytest.mark.parametrize("name", SERVERS)
def test_aof_takes_precedence_over_dump_rdb(spawn, name):
    a = Aof(spawn, name, appendonly=False)
    a.c.set("from-rdb", "1")
    a.c.save()
    a.restart()  # appendonly yes, no AOF yet: dump.rdb is not read (as Redis 7.0)
    assert a.c.dbsize() == 0


def test_aof_dirs_cross_between_servers(spawn):
    if "redis" not in SERVERS or "crabcache" not in SERVERS:
        pytest.skip("needs both servers")
    src = Aof(spawn, "redis")
    populate(src.c)
    src.c.execute_command("BGREWRITEAOF")
    src.wait_children()
    src.c.set("in-incr", "1")
    src.c.execute_command("XREADGROUP", "GROUP", "grp", "bob", "STREAMS", "stream", ">")
    want = dataset(src.c)
    src.stop()
    crab = Aof(spawn, "crabcache", directory=src.dir)  # Redis's appendonlydir loads into CrabCache
    assert dataset(crab.c) == want
    crab.c.set("by-crab", "1")
    crab.c.execute_command("BGREWRITEAOF")
    crab.wait_children()
    crab.c.set("by-crab-2", "1")
    want = dataset(crab.c)
    crab.stop()
    back = Aof(spawn, "redis", directory=src.dir)  # and CrabCache's loads into Redis
    assert dataset(back.c) == want


def test_info_persistence_fields_match(spawn):
    if "redis" not in SERVERS or "crabcache" not in SERVERS:
        pytest.skip("needs both servers")
    for appendonly in (False, True):
        names = {}
        for name in SERVERS:
            a = Aof(spawn, name, appendonly=appendonly)
            names[name] = [k for k in a.info() if k.startswith("aof_")]
            a.stop()
        assert names["crabcache"] == names["redis"]
