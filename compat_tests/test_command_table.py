"""The command table as Redis 7.0.15 reports it: COMMAND INFO / DOCS / COUNT /
GETKEYS / GETKEYSANDFLAGS, and the replies of the commands of features we run
without (cluster, modules, replication, LOLWUT, LATENCY DOCTOR/GRAPH/HISTOGRAM,
MIGRATE).

The differential tests compare raw RESP2 and RESP3 bytes of both servers for
every command and subcommand Redis has.  Redis keeps subcommands in a hash
table whose order changes from run to run, so subcommand lists and maps are
compared as sets.  CLIENT SETINFO (a 7.2 subcommand CrabCache also answers)
is the one known extra.
"""

from __future__ import annotations

import socket
from typing import Any

import pytest

KNOWN_EXTRA = {b"client|setinfo"}


class Resp:
    """A bare RESP connection: raw replies, and a parser that keeps the types."""

    def __init__(self, port: int, proto: int) -> None:
        self.s = socket.create_connection(("127.0.0.1", port), timeout=10)
        self.f = self.s.makefile("rb")
        if proto == 3:
            self.call(b"HELLO", b"3")

    def close(self) -> None:
        self.f.close()
        self.s.close()

    def _read(self) -> bytes:
        line = self.f.readline()
        t, out = line[:1], line
        if t in b"$=!":
            n = int(line[1:-2])
            if n >= 0:
                out += self.f.read(n + 2)
        elif t in b"*~>%|":
            n = int(line[1:-2])
            for _ in range(max(n, 0) * (2 if t in b"%|" else 1)):
                out += self._read()
        return out

    def call(self, *args: bytes | str) -> bytes:
        a = [x.encode() if isinstance(x, str) else x for x in args]
        self.s.sendall(b"*%d\r\n" % len(a) + b"".join(b"$%d\r\n%s\r\n" % (len(x), x) for x in a))
        return self._read()


def parse(b: bytes, i: int = 0) -> tuple[Any, int]:
    j = b.index(b"\r\n", i)
    t, line, i = b[i:i + 1], b[i + 1:j], j + 2
    if t in b"$=!":
        n = int(line)
        return ((t, None), i) if n < 0 else ((t, b[i:i + n]), i + n + 2)
    if t in b"*~>%|":
        n = int(line)
        if n < 0:
            return (t, None), i
        items = []
        for _ in range(n * (2 if t in b"%|" else 1)):
            v, i = parse(b, i)
            items.append(v)
        return (t, items), i
    return (t, line), i


def _sorted_pairs(items: list[Any], drop: set[bytes]) -> list[Any]:
    pairs = [(items[k], items[k + 1]) for k in range(0, len(items), 2) if items[k][1] not in drop]
    return [x for kv in sorted(pairs, key=repr) for x in kv]


def norm_info(raw: bytes) -> Any:
    """COMMAND INFO reply with each command's subcommand list sorted (and known extras dropped)."""
    (t, items), _ = parse(raw)
    out = []
    for entry in items or []:
        et, fields = entry
        if fields and len(fields) == 10 and fields[9][1]:
            subs = [s for s in fields[9][1] if s[1][0][1] not in KNOWN_EXTRA]
            fields = fields[:9] + [(fields[9][0], sorted(subs, key=repr))]
        out.append((et, fields))
    return t, out


def norm_docs(v: Any) -> Any:
    """COMMAND DOCS reply with every subcommands map sorted (RESP2 maps are flat arrays)."""
    t, p = v
    if not isinstance(p, list):
        return v
    p = [norm_docs(x) for x in p]
    keys = p[::2]
    if len(p) % 2 == 0 and (b"$", b"subcommands") in keys:
        k = keys.index((b"$", b"subcommands")) * 2 + 1
        st, sp = p[k]
        p[k] = (st, _sorted_pairs(sp, KNOWN_EXTRA))
    return t, p


@pytest.fixture(scope="module")
def both(endpoints: dict[str, Any]) -> dict[str, Any]:
    if "redis" not in endpoints or "crabcache" not in endpoints:
        pytest.skip("differential tests need both servers")
    return endpoints


@pytest.fixture(scope="module")
def redis_names(both: dict[str, Any]) -> list[bytes]:
    c = Resp(both["redis"].port, 2)
    (_, items), _ = parse(c.call("COMMAND", "LIST"))
    c.close()
    return sorted(x[1] for x in items)


@pytest.mark.parametrize("proto", [2, 3])
def test_command_info_identical_for_every_command(both: dict[str, Any], redis_names: list[bytes], proto: int):
    a, b = Resp(both["crabcache"].port, proto), Resp(both["redis"].port, proto)
    try:
        assert len(redis_names) > 350
        differ = [n for n in redis_names
                  if norm_info(a.call("COMMAND", "INFO", n)) != norm_info(b.call("COMMAND", "INFO", n))]
        assert differ == []
        assert a.call("COMMAND", "COUNT") == b.call("COMMAND", "COUNT")
        # Several at once, unknown ones as null.
        many = ("COMMAND", "INFO", "get", "nosuch", "zunionstore", "georadius", "migrate", "sort")
        assert norm_info(a.call(*many)) == norm_info(b.call(*many))
    finally:
        a.close()
        b.close()


@pytest.mark.parametrize("proto", [2, 3])
def test_command_docs_identical_for_every_command(both: dict[str, Any], redis_names: list[bytes], proto: int):
    a, b = Resp(both["crabcache"].port, proto), Resp(both["redis"].port, proto)
    try:
        differ = [n for n in redis_names
                  if norm_docs(parse(a.call("COMMAND", "DOCS", n))[0])
                  != norm_docs(parse(b.call("COMMAND", "DOCS", n))[0])]
        assert differ == []
    finally:
        a.close()
        b.close()


def test_command_list_same_names(both: dict[str, Any]):
    a, b = Resp(both["crabcache"].port, 2), Resp(both["redis"].port, 2)
    try:
        mine = {x[1] for x in parse(a.call("COMMAND", "LIST"))[0][1]}
        theirs = {x[1] for x in parse(b.call("COMMAND", "LIST"))[0][1]}
        assert mine - KNOWN_EXTRA == theirs
    finally:
        a.close()
        b.close()


# --- COMMAND INFO / DOCS on each server --------------------------------------------

GET_INFO_RESP2 = (
    b"*1\r\n*10\r\n$3\r\nget\r\n:2\r\n*2\r\n+readonly\r\n+fast\r\n:1\r\n:1\r\n:1\r\n"
    b"*3\r\n+@read\r\n+@string\r\n+@fast\r\n*0\r\n*1\r\n*6\r\n$5\r\nflags\r\n*2\r\n+RO\r\n+access\r\n"
    b"$12\r\nbegin_search\r\n*4\r\n$4\r\ntype\r\n$5\r\nindex\r\n$4\r\nspec\r\n*2\r\n$5\r\nindex\r\n:1\r\n"
    b"$9\r\nfind_keys\r\n*4\r\n$4\r\ntype\r\n$5\r\nrange\r\n$4\r\nspec\r\n*6\r\n$7\r\nlastkey\r\n:0\r\n"
    b"$7\r\nkeystep\r\n:1\r\n$5\r\nlimit\r\n:0\r\n*0\r\n"
)


def test_command_info_get_bytes(raw):
    assert raw(b"COMMAND INFO get\r\n") == GET_INFO_RESP2


def test_command_info_keyword_spec_and_tips(rr):
    (info,) = rr.execute_command("COMMAND", "INFO", "georadius")
    specs = info[8]
    assert len(specs) == 3
    flat = [dict(zip(s[::2], s[1::2])) if isinstance(s, list) else s for s in specs]
    store = flat[1]
    bs = store[b"begin_search"]
    bs = dict(zip(bs[::2], bs[1::2])) if isinstance(bs, list) else bs
    assert bs[b"type"] == b"keyword"
    (ping,) = rr.execute_command("COMMAND", "INFO", "ping")
    assert sorted(ping[7]) == [b"request_policy:all_shards", b"response_policy:all_succeeded"]
    (dbsize,) = rr.execute_command("COMMAND", "INFO", "dbsize")
    assert sorted(dbsize[6]) == sorted([b"@keyspace", b"@read", b"@fast"])


def test_command_docs_arguments(rr):
    docs = rr.execute_command("COMMAND", "DOCS", "set")
    if isinstance(docs, list):
        docs = dict(zip(docs[::2], docs[1::2]))
    d = docs[b"set"]
    if isinstance(d, list):
        d = dict(zip(d[::2], d[1::2]))
    args = d[b"arguments"]
    names = []
    for a in args:
        a = dict(zip(a[::2], a[1::2])) if isinstance(a, list) else a
        names.append(a[b"name"])
    assert names == [b"key", b"value", b"condition", b"get", b"expiration"]
    assert d[b"summary"] == b"Set the string value of a key"


# --- COMMAND GETKEYS / GETKEYSANDFLAGS ---------------------------------------------

GETKEYS = [
    ("bitfield k GET u8 0", [("k", "RO access")]),
    ("bitfield k SET u8 0 1", [("k", "RW access update")]),
    ("sort k", [("k", "RO access")]),
    ("sort k BY x GET y STORE d", [("k", "RO access"), ("d", "OW update")]),
    ("sort_ro k BY x", [("k", "RO access")]),
    ("migrate h 1 '' 0 5 KEYS a b", [("a", "RW access delete"), ("b", "RW access delete")]),
    ("migrate h 1 k 0 5", [("k", "RW access delete")]),
    ("georadius k 0 0 1 km STORE d", [("k", "RO access"), ("d", "OW update")]),
    ("georadius k 0 0 1 km", [("k", "RO access")]),
    ("georadiusbymember k m 1 km STORE d STOREDIST e", [("k", "RO access"), ("d", "OW update"), ("e", "OW update")]),
    ("xread COUNT 1 BLOCK 0 STREAMS a b 0 0", [("a", "RO access"), ("b", "RO access")]),
    ("xread STREAMS a b 0", [("a", "RO access")]),
    ("xreadgroup GROUP g c COUNT 2 STREAMS a b 0 0", [("a", "RO access"), ("b", "RO access")]),
    ("zunionstore d 2 a b", [("d", "OW update"), ("a", "RO access"), ("b", "RO access")]),
    ("eval s 2 a b x", [("a", "RW access update"), ("b", "RW access update")]),
    ("evalsha x 0", []),
    ("fcall f 1 a", [("a", "RW access update")]),
    ("blmpop 0 2 a b LEFT", [("a", "RW access delete"), ("b", "RW access delete")]),
    ("set k v", [("k", "OW update")]),
    ("set k v GET", [("k", "RW access update")]),
    ("object encoding k", [("k", "RO")]),
    ("xgroup create s g $", [("s", "RW insert")]),
    ("geosearchstore d s FROMMEMBER m BYRADIUS 1 km", [("d", "OW update"), ("s", "RO access")]),
    ("msetnx a 1 b 2", [("a", "OW insert"), ("b", "OW insert")]),
    ("del a b", [("a", "RM delete"), ("b", "RM delete")]),
    ("lmove a b LEFT RIGHT", [("a", "RW access delete"), ("b", "RW insert")]),
    ("pfmerge d a", [("d", "RW access insert"), ("a", "RO access")]),
    ("touch a", [("a", "RO")]),
    ("bitfield k", [("k", "RO access")]),
    ("bitfield k GET u8 0 OVERFLOW SAT GET u8 1", [("k", "RO access")]),
    ("bitfield k GET u8", [("k", "RW access update")]),
    ("bitfield k OVERFLOW WRAP", [("k", "RO access")]),
    # KEYS as the last word: the keyword spec finds nothing, the key at 3 stands.
    ("migrate h 1 k 0 5 x KEYS", [("k", "RW access delete")]),
]


def _args(line: str) -> list[str]:
    return ["" if w == "''" else w for w in line.split()]


def _as_list(x: Any) -> list[Any]:
    return sorted(x) if isinstance(x, (set, frozenset)) else list(x)


@pytest.mark.parametrize("line,expected", GETKEYS, ids=[g[0] for g in GETKEYS])
def test_getkeysandflags(rr, line: str, expected: list[tuple[str, str]]):
    got = rr.execute_command("COMMAND", "GETKEYSANDFLAGS", *_args(line))
    assert [(k.decode(), sorted(f.decode() if isinstance(f, bytes) else str(f) for f in _as_list(flags)))
            for k, flags in got] == [(k, sorted(f.split())) for k, f in expected]
    keys = rr.execute_command("COMMAND", "GETKEYS", *_args(line))
    assert [k.decode() for k in keys] == [k for k, _ in expected]


def test_getkeysandflags_flag_order(raw):
    assert raw(b"COMMAND GETKEYSANDFLAGS lmove a b LEFT RIGHT\r\n") == (
        b"*2\r\n*2\r\n$1\r\na\r\n*3\r\n+RW\r\n+access\r\n+delete\r\n*2\r\n$1\r\nb\r\n*2\r\n+RW\r\n+insert\r\n")


@pytest.mark.parametrize("line,error", [
    ("xgroup nosuch a b", "Invalid command specified"),
    ("xgroup|create s g", "Invalid command specified"),
    ("nosuch a", "Invalid command specified"),
    ("get a b", "Invalid number of arguments specified for command"),
    ("ping a", "The command has no key arguments"),
    ("spublish c m", "The command has no key arguments"),
    ("zunionstore d 3 a b", "Invalid arguments specified for command"),
    ("migrate h 1 k 0 5 COPY KEYS a", "Invalid arguments specified for command"),
    ("zunionstore d 0 a", "Invalid arguments specified for command"),
    ("xread COUNT 1 STREAMS a", "Invalid arguments specified for command"),
])
def test_getkeys_errors(rr, line: str, error: str):
    with pytest.raises(Exception) as e:
        rr.execute_command("COMMAND", "GETKEYS", *_args(line))
    assert str(e.value) == error


# --- commands of features we run without -------------------------------------------

CLUSTER_OFF = b"-ERR This instance has cluster support disabled\r\n"
MODULE_OFF = (
    b'-ERR MODULE command not allowed. If the enable-module-command option is set to "local", you can '
    b"run it from a local connection, otherwise you need to set this option in the configuration "
    b"file, and then restart the server.\r\n"
)


@pytest.mark.parametrize("cmd,reply", [
    (b"CLUSTER INFO", CLUSTER_OFF),
    (b"CLUSTER HELP", CLUSTER_OFF),
    (b"CLUSTER KEYSLOT foo", CLUSTER_OFF),
    (b"CLUSTER SLOTS", CLUSTER_OFF),
    (b"CLUSTER SHARDS", CLUSTER_OFF),
    (b"CLUSTER NOSUCH", b"-ERR unknown subcommand 'NOSUCH'. Try CLUSTER HELP.\r\n"),
    (b"CLUSTER INFO x", b"-ERR wrong number of arguments for 'cluster|info' command\r\n"),
    (b"ASKING", CLUSTER_OFF),
    (b"READONLY", CLUSTER_OFF),
    (b"READWRITE", CLUSTER_OFF),
    (b"MODULE LIST", b"*0\r\n"),
    (b"MODULE LOAD /nonexistent.so", MODULE_OFF),
    (b"MODULE LOADEX /nonexistent.so CONFIG", MODULE_OFF),
    (b"MODULE UNLOAD foo", MODULE_OFF),
    (b"MODULE NOSUCH", b"-ERR unknown subcommand 'NOSUCH'. Try MODULE HELP.\r\n"),
    (b"FAILOVER", b"-ERR FAILOVER requires connected replicas.\r\n"),
    (b"FAILOVER TO h 1 FORCE", b"-ERR FAILOVER requires connected replicas.\r\n"),
    (b"FAILOVER ABORT", b"-ERR No failover in progress.\r\n"),
    (b"FAILOVER ABORT TO h 1", b"-ERR syntax error\r\n"),
    (b"FAILOVER TIMEOUT 0", b"-ERR FAILOVER timeout must be greater than 0\r\n"),
    (b"FAILOVER TIMEOUT x", b"-ERR value is not an integer or out of range\r\n"),
    (b"FAILOVER x", b"-ERR syntax error\r\n"),
    (b"ROLE", b"*3\r\n$6\r\nmaster\r\n:0\r\n*0\r\n"),
    (b"REPLICAOF NO ONE", b"+OK\r\n"),
    (b"SLAVEOF NO ONE", b"+OK\r\n"),
    (b"REPLICAOF a b", b"-ERR Invalid master port\r\n"),
    (b"REPLCONF listening-port 1", b"+OK\r\n"),
    (b"REPLCONF nosuch 1", b"-ERR Unrecognized REPLCONF option: nosuch\r\n"),
    (b"REPLCONF x", b"-ERR syntax error\r\n"),
    (b"RESTORE-ASKING k 0 x", b"-ERR DUMP payload version or checksum are wrong\r\n"),
    (b"LOLWUT", b"$18\r\nRedis ver. 7.0.15\n\r\n"),
    (b"LOLWUT VERSION 7", b"$18\r\nRedis ver. 7.0.15\n\r\n"),
    (b"LOLWUT VERSION x", b"-ERR value is not an integer or out of range\r\n"),
    (b"LATENCY GRAPH nosuch", b"-ERR No samples available for event 'nosuch'\r\n"),
    (b"LATENCY HISTOGRAM nosuch", b"*0\r\n"),
    (b"MIGRATE 127.0.0.1 1 k 0 100", b"+NOKEY\r\n"),
    (b"MIGRATE 127.0.0.1 1 k x 100", b"-ERR value is not an integer or out of range\r\n"),
])
def test_feature_off_replies(raw, cmd: bytes, reply: bytes):
    assert raw(cmd + b"\r\n") == reply


def test_module_help(rr):
    lines = rr.execute_command("MODULE", "HELP")
    assert lines[0] == b"MODULE <subcommand> [<arg> [value] [opt] ...]. Subcommands are:"
    assert len(lines) == 11


def test_lolwut_version_lines(rr):
    assert rr.execute_command("LOLWUT", "VERSION", "5", "1", "1", "1").endswith(
        b"\n\nGeorg Nees - schotter, plotter on paper, 1968. Redis ver. 7.0.15\n")
    assert rr.execute_command("LOLWUT", "VERSION", "6").endswith(
        b"\nOriginal 8 bit image from Plaguemon by hikikomori. Redis ver. 7.0.15\n")


def test_latency_doctor_when_disabled(raw):
    out = raw(b"LATENCY DOCTOR\r\n")
    assert out.startswith(b"$288\r\nI'm sorry, Dave, I can't do that. Latency monitoring is disabled")


def test_latency_histogram_shape(r, protocol):
    r.set("k", "v")
    r.set("k", "v")
    got = r.execute_command("LATENCY", "HISTOGRAM", "set", "nosuch")
    if isinstance(got, list):
        got = dict(zip(got[::2], got[1::2]))
    entry = got[b"set"]
    if isinstance(entry, list):
        entry = dict(zip(entry[::2], entry[1::2]))
    assert entry[b"calls"] >= 2
    hist = entry[b"histogram_usec"]
    counts = list(hist.values()) if isinstance(hist, dict) else hist[1::2]
    assert counts[-1] == entry[b"calls"]


def test_migrate_between_servers(both: dict[str, Any]):
    import redis

    for src, dst in (("crabcache", "redis"), ("redis", "crabcache")):
        a = redis.Redis(port=both[src].port)
        b = redis.Redis(port=both[dst].port)
        try:
            b.delete("mig:a", "mig:b")
            a.set("mig:a", "1", ex=100)
            a.set("mig:b", "2")
            port = str(both[dst].port)
            assert a.execute_command("MIGRATE", "127.0.0.1", port, "", "0", "1000", "COPY", "KEYS",
                                     "mig:a", "mig:b") == b"OK"
            assert a.exists("mig:a", "mig:b") == 2
            with pytest.raises(redis.ResponseError) as e:
                a.execute_command("MIGRATE", "127.0.0.1", port, "mig:a", "0", "1000")
            assert str(e.value) == "Target instance replied with error: BUSYKEY Target key name already exists."
            assert a.execute_command("MIGRATE", "127.0.0.1", port, "", "0", "1000", "REPLACE", "KEYS",
                                     "mig:a", "mig:b") == b"OK"
            assert a.exists("mig:a", "mig:b") == 0
            assert b.get("mig:a") == b"1" and 0 < b.ttl("mig:a") <= 100
            assert b.get("mig:b") == b"2"
        finally:
            b.delete("mig:a", "mig:b")
            a.close()
            b.close()


def test_latency_graph_and_doctor_after_a_spike(server, config_restore):
    import re

    c = server.client(protocol=2)
    try:
        c.execute_command("LATENCY", "RESET")
        config_restore("latency-monitor-threshold", "1")
        c.execute_command("DEBUG", "SLEEP", "0.02")
        graph = c.execute_command("LATENCY", "GRAPH", "command")
        assert re.fullmatch(
            rb"command - high (\d+) ms, low \1 ms \(all time high \1 ms\)\n-{80}\n"
            rb" \n \n \n_\n \n[012]\ns\n", graph), graph
        doctor = c.execute_command("LATENCY", "DOCTOR")
        assert doctor.startswith(b"Dave, I have observed latency spikes in this Redis instance. "
                                 b"You don't mind talking about it, do you Dave?\n\n1. command: 1 latency spikes")
        assert re.search(rb"mean deviation 0ms, period [012]\.00 sec\)\. Worst all time event \d+ms\.\n\n"
                         rb"I have a few advices for you:\n\n- ", doctor), doctor
    finally:
        c.execute_command("LATENCY", "RESET")
        c.close()
