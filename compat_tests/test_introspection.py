"""MONITOR, SLOWLOG, LATENCY, CLIENT PAUSE / UNPAUSE, CLIENT LIST fields, against both servers."""

import re
import time

import pytest
from wire import Wire

STAMP = re.compile(rb"^\+(\d+)\.(\d{6}) \[(\d+) 127\.0\.0\.1:(\d+)\] (.*)\r\n$", re.DOTALL)


def monitor_line(frame: bytes) -> tuple[int, bytes]:
    """(db, rendered command) of a MONITOR line, after checking its timestamp and address."""
    m = STAMP.match(frame)
    assert m, frame
    assert abs(int(m.group(1)) - time.time()) < 60
    return int(m.group(3)), m.group(5)


# --- MONITOR --------------------------------------------------------------------------


def test_monitor_lines(server):
    with Wire(server.port) as m, Wire(server.port) as w:
        assert m.call("MONITOR") == b"+OK\r\n"
        w.call("SET", "k", 'a "quoted" \\ value')
        w.call("SET", "bin", b"x\x00\x01\r\n\t\x07\x08\xff")
        w.call("SELECT", "2")
        w.call("GET", "k")
        w.call("SELECT", "0")
        w.call("CLIENT", "SETNAME", "w")
        got = [monitor_line(f) for f in m.frames(6)]
        assert got == [
            (0, b'"SET" "k" "a \\"quoted\\" \\\\ value"'),
            (0, b'"SET" "bin" "x\\x00\\x01\\r\\n\\t\\a\\b\\xff"'),
            (2, b'"SELECT" "2"'),  # the db after the command
            (2, b'"GET" "k"'),
            (0, b'"SELECT" "0"'),
            (0, b'"CLIENT" "SETNAME" "w"'),
        ]


def test_monitor_skips_rejected_and_admin_commands_and_redacts(server):
    with Wire(server.port) as m, Wire(server.port) as w:
        m.call("MONITOR")
        w.send_many(("NOSUCH",), ("GET",), ("CONFIG", "GET", "hz"), ("DEBUG", "SLEEP", "0"),
                    ("SLOWLOG", "LEN"), ("AUTH", "user", "secret"), ("HELLO", "2", "SETNAME", "n"),
                    ("PING", "done"))
        w.frames(8)
        got = [monitor_line(f)[1] for f in m.frames(3)]
        assert got == [b'"AUTH" "(redacted)" "(redacted)"', b'"HELLO" "2" "SETNAME" "n"', b'"PING" "done"']


def test_monitor_shows_exec_after_the_commands_it_ran(server):
    with Wire(server.port) as m, Wire(server.port) as w, Wire(server.port) as other:
        m.call("MONITOR")
        w.send_many(("MULTI",), ("SET", "a", "1"), ("INCR", "a"), ("EXEC",), ("WATCH", "a"))
        w.frames(5)
        other.call("SET", "a", "5")
        w.send_many(("MULTI",), ("INCR", "a"), ("EXEC",))
        assert w.frames(3)[2] == b"*-1\r\n"
        got = [monitor_line(f)[1] for f in m.frames(8)]
        assert got == [b'"MULTI"', b'"SET" "a" "1"', b'"INCR" "a"', b'"EXEC"', b'"WATCH" "a"',
                       b'"SET" "a" "5"', b'"MULTI"', b'"EXEC"']  # the aborted INCR never ran


def test_monitor_client_rules(server):
    with Wire(server.port, 3) as m:
        assert m.call("MONITOR") == b"+OK\r\n"
        # A second MONITOR is ignored without a reply; its own commands follow their reply.
        m.send_many(("MONITOR",), ("PING",))
        pong, line = m.frames(2)
        assert pong == b"+PONG\r\n" and monitor_line(line)[1] == b'"PING"'
        assert m.call("GET", "k") == b"-ERR Replica can't interact with the keyspace\r\n"
        m.send("CLIENT", "INFO")
        info, line = m.frames(2)
        assert b" flags=O " in info and monitor_line(line)[1] == b'"CLIENT" "INFO"'
        assert m.call("RESET") == b"+RESET\r\n"
        assert m.call("EXISTS", "nosuchkey") == b":0\r\n"


def test_monitor_inside_multi_is_refused(raw):
    assert raw(b"MULTI\r\nMONITOR\r\nEXEC\r\n", expect=69) == (
        b"+OK\r\n+QUEUED\r\n*1\r\n-ERR MONITOR isn't allowed for DENY BLOCKING client\r\n")


# --- SLOWLOG -------------------------------------------------------------------------


def entries(w: Wire, count: str = "-1") -> list[list]:
    """SLOWLOG GET parsed just enough: [duration, args, addr, name] per entry."""
    raw = w.call("SLOWLOG", "GET", count)
    out = []
    items = re.findall(rb"\*6\r\n:(\d+)\r\n:(\d+)\r\n:(\d+)\r\n\*(\d+)\r\n", raw)
    assert raw.startswith(b"*%d\r\n" % len(items))
    pos = 0
    for _id, ts, us, argc in items:
        pos = raw.index(b"*6\r\n:%s\r\n:%s\r\n:%s\r\n*%s\r\n" % (_id, ts, us, argc), pos)
        pos = raw.index(b"\r\n", raw.index(b"*%s\r\n" % argc, pos)) + 2
        args = []
        for _ in range(int(argc) + 2):
            n = int(raw[pos + 1:raw.index(b"\r\n", pos)])
            start = raw.index(b"\r\n", pos) + 2
            args.append(raw[start:start + n])
            pos = start + n + 2
        assert abs(int(ts) - time.time()) < 60
        out.append([int(us), args[:-2], args[-2], args[-1]])
    return out


def test_slowlog(server, config_restore):
    with Wire(server.port) as w:
        w.call("CLIENT", "SETNAME", "slowpoke")
        w.call("SLOWLOG", "RESET")
        config_restore("slowlog-log-slower-than", "0")
        w.call("SET", "x", "y")
        w.call("SET", "big", "z" * 200)
        w.call("MSET", *[str(i) for i in range(40)])
        w.send_many(("MULTI",), ("AUTH", "a", "b"), ("EXEC",))  # EXEC itself is not logged
        w.frames(3)
        log = entries(w)
        assert [e[1] for e in log] == [
            [b"AUTH", b"(redacted)", b"(redacted)"],
            [b"MULTI"],
            [b"MSET"] + [b"%d" % i for i in range(30)] + [b"... (10 more arguments)"],
            [b"SET", b"big", b"z" * 128 + b"... (72 more bytes)"],
            [b"SET", b"x", b"y"],
            [b"CONFIG", b"SET", b"slowlog-log-slower-than", b"0"],
        ]
        assert all(e[3] == b"slowpoke" and e[2].startswith(b"127.0.0.1:") for e in log[:-1])
        assert w.call("SLOWLOG", "LEN") == b":7\r\n"  # ...and SLOWLOG GET itself
        assert len(entries(w, "2")) == 2
        assert w.call("SLOWLOG", "RESET") == b"+OK\r\n"
        assert w.call("SLOWLOG", "LEN") == b":1\r\n"  # the RESET was slow enough too


def test_slowlog_max_len_and_errors(server, config_restore):
    with Wire(server.port) as w:
        config_restore("slowlog-log-slower-than", "0")
        config_restore("slowlog-max-len", "3")
        for i in range(5):
            w.call("PING")
        assert w.call("SLOWLOG", "LEN") == b":3\r\n"
        assert w.call("SLOWLOG", "GET", "-2") == b"-ERR count should be greater than or equal to -1\r\n"
        assert w.call("SLOWLOG", "GET", "x") == b"-ERR count should be greater than or equal to -1\r\n"
        assert w.call("SLOWLOG", "GET", "1", "2") == (
            b"-ERR unknown subcommand or wrong number of arguments for 'GET'. Try SLOWLOG HELP.\r\n")
        assert w.call("SLOWLOG", "LEN", "x") == b"-ERR wrong number of arguments for 'slowlog|len' command\r\n"
        assert w.call("SLOWLOG", "NOPE") == b"-ERR unknown subcommand 'NOPE'. Try SLOWLOG HELP.\r\n"
        assert w.call("SLOWLOG", "HELP").startswith(
            b"*12\r\n+SLOWLOG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:\r\n+GET [<count>]\r\n")
        config_restore("slowlog-log-slower-than", "-1")
        w.call("SLOWLOG", "RESET")
        w.call("DEBUG", "SLEEP", "0")
        assert w.call("SLOWLOG", "LEN") == b":0\r\n"


# --- LATENCY -------------------------------------------------------------------------


def test_latency_monitor(server, config_restore):
    with Wire(server.port) as w:
        w.call("LATENCY", "RESET")
        assert w.call("LATENCY", "LATEST") == b"*0\r\n"
        config_restore("latency-monitor-threshold", "10")
        w.call("DEBUG", "SLEEP", "0.015")
        w.call("DEBUG", "SLEEP", "0.025")
        latest = w.call("LATENCY", "LATEST")
        m = re.fullmatch(rb"\*1\r\n\*4\r\n\$7\r\ncommand\r\n:(\d+)\r\n:(\d+)\r\n:(\d+)\r\n", latest)
        assert m, latest
        assert 25 <= int(m.group(3)) < 200 and int(m.group(2)) <= int(m.group(3))
        history = w.call("LATENCY", "HISTORY", "command")
        assert re.fullmatch(rb"\*[12]\r\n(\*2\r\n:\d+\r\n:\d+\r\n){1,2}", history), history
        assert w.call("LATENCY", "HISTORY", "nosuch") == b"*0\r\n"
        assert w.call("LATENCY", "RESET", "command", "nosuch") == b":1\r\n"
        assert w.call("LATENCY", "LATEST") == b"*0\r\n"
        assert w.call("LATENCY", "HISTORY") == b"-ERR wrong number of arguments for 'latency|history' command\r\n"
        assert w.call("LATENCY", "HELP").startswith(
            b"*17\r\n+LATENCY <subcommand> [<arg> [value] [opt] ...]. Subcommands are:\r\n+DOCTOR\r\n")


# --- CLIENT PAUSE --------------------------------------------------------------------


@pytest.fixture
def unpause(server):
    yield
    with Wire(server.port) as w:
        w.call("CLIENT", "UNPAUSE")


def flags_of(w: Wire, cid: int) -> str:
    for line in w.call("CLIENT", "LIST").decode().splitlines():
        if line.startswith("id=%d " % cid):
            return line.split(" flags=")[1].split(" ")[0]
    raise AssertionError("no client %d" % cid)


def test_pause_write_holds_writes_until_unpause(server, unpause):
    with Wire(server.port) as admin, Wire(server.port) as writer, Wire(server.port) as tx:
        wid = int(writer.call("CLIENT", "ID")[1:-2])
        tid = int(tx.call("CLIENT", "ID")[1:-2])
        writer.call("SET", "k", "before")
        tx.call("MULTI")
        assert admin.call("CLIENT", "PAUSE", "100000", "WRITE") == b"+OK\r\n"
        writer.send_many(("SET", "k", "during"), ("GET", "k"))
        tx.send("SET", "k", "tx")  # even queuing a write waits
        assert admin.call("GET", "k") == b"$6\r\nbefore\r\n"  # reads go on
        deadline = time.monotonic() + 5
        while flags_of(admin, wid) != "b" or flags_of(admin, tid) != "xb":
            assert time.monotonic() < deadline
            time.sleep(0.01)
        assert b"blocked_clients:2\r\n" in admin.call("INFO", "clients")
        assert admin.call("CLIENT", "UNPAUSE") == b"+OK\r\n"
        assert writer.frames(2) == [b"+OK\r\n", b"$6\r\nduring\r\n"]
        assert tx.frame() == b"+QUEUED\r\n"
        assert tx.call("EXEC") == b"*1\r\n+OK\r\n"


def test_pause_write_holds_publish_and_exec_with_writes(server, unpause):
    with Wire(server.port) as admin, Wire(server.port) as pub, Wire(server.port) as tx:
        tx.send_many(("DEL", "pk"), ("MULTI",), ("GET", "pk"))
        tx.frames(3)
        admin.call("CLIENT", "PAUSE", "100000", "WRITE")
        pub.send("PUBLISH", "ch", "x")
        assert tx.call("EXEC") == b"*1\r\n$-1\r\n"  # a read-only transaction is not held
        tx.send_many(("MULTI",), ("SET", "pk", "v"))
        tx.frame()
        admin.call("CLIENT", "UNPAUSE")
        assert tx.frame() == b"+QUEUED\r\n"
        assert pub.frame() == b":0\r\n"
        admin.call("CLIENT", "PAUSE", "100000", "WRITE")
        tx.send("EXEC")
        assert admin.call("PING") == b"+PONG\r\n"
        admin.call("CLIENT", "UNPAUSE")
        assert tx.frame() == b"*1\r\n+OK\r\n"


def test_keys_do_not_expire_while_paused(server, unpause):
    # Redis pauses expiry with the clients: a key past its TTL reads as absent
    # everywhere but stays in the dataset (DBSIZE, INFO keyspace, expired_keys)
    # until the pause is over.
    with Wire(server.port) as w:
        w.call("FLUSHALL")
        before = int(w.call("INFO", "stats").split(b"expired_keys:")[1].split(b"\r\n")[0])
        w.call("SET", "k", "v", "PX", "100")
        w.call("SET", "k2", "v", "PX", "100")
        w.call("SET", "keep", "v")
        assert w.call("CLIENT", "PAUSE", "100000", "WRITE") == b"+OK\r\n"
        time.sleep(0.3)
        assert w.call("GET", "k") == b"$-1\r\n"
        assert w.call("EXISTS", "k2") == b":0\r\n"
        assert w.call("TTL", "k2") == b":-2\r\n"
        assert w.call("KEYS", "*") == b"*1\r\n$4\r\nkeep\r\n"
        assert w.call("SCAN", "0") == b"*2\r\n$1\r\n0\r\n*1\r\n$4\r\nkeep\r\n"
        assert w.call("DBSIZE") == b":3\r\n"
        assert b"db0:keys=3,expires=2," in w.call("INFO", "keyspace")
        stats = w.call("INFO", "stats")
        assert int(stats.split(b"expired_keys:")[1].split(b"\r\n")[0]) == before
        w.call("CLIENT", "UNPAUSE")
        assert w.call("GET", "k") == b"$-1\r\n"
        deadline = time.monotonic() + 5
        while w.call("DBSIZE") != b":1\r\n":  # k went with the GET, k2 with active expiry
            assert time.monotonic() < deadline
            time.sleep(0.02)


def test_pause_ends_by_itself(server, unpause):
    with Wire(server.port) as admin, Wire(server.port) as writer:
        t0 = time.monotonic()
        admin.call("CLIENT", "PAUSE", "150", "WRITE")
        assert writer.call("SET", "k", "v") == b"+OK\r\n"
        assert time.monotonic() - t0 >= 0.14


def test_pause_all_holds_everything(server, unpause):
    with Wire(server.port) as admin, Wire(server.port) as reader:
        t0 = time.monotonic()
        admin.send_many(("CLIENT", "PAUSE", "150"), ("PING",))  # ALL is the default
        assert admin.frame() == b"+OK\r\n"
        assert reader.call("GET", "k") in (b"$-1\r\n", b"$1\r\nv\r\n")
        assert time.monotonic() - t0 >= 0.14
        assert admin.frame() == b"+PONG\r\n"  # the pauser's own next command waited too


def test_pause_extends_and_widens(server, unpause):
    with Wire(server.port) as admin, Wire(server.port) as reader:
        t0 = time.monotonic()
        admin.send_many(("CLIENT", "PAUSE", "200", "WRITE"), ("CLIENT", "PAUSE", "50", "ALL"))
        assert admin.frames(2) == [b"+OK\r\n", b"+OK\r\n"]
        reader.call("GET", "k")  # ALL now, and until the later deadline
        assert time.monotonic() - t0 >= 0.19


@pytest.mark.parametrize("args, error", [
    (["x"], b"-ERR timeout is not an integer or out of range\r\n"),
    (["-1"], b"-ERR timeout is negative\r\n"),
    (["10", "foo"], b"-ERR CLIENT PAUSE mode must be WRITE or ALL\r\n"),
    (["x", "foo"], b"-ERR CLIENT PAUSE mode must be WRITE or ALL\r\n"),
    (["10", "write", "x"], b"-ERR unknown subcommand or wrong number of arguments for 'PAUSE'. Try CLIENT HELP.\r\n"),
])
def test_pause_errors(server, args, error):
    with Wire(server.port) as w:
        assert w.call("CLIENT", "PAUSE", *args) == error
        assert w.call("CLIENT", "UNPAUSE", "x") == b"-ERR wrong number of arguments for 'client|unpause' command\r\n"


# --- CLIENT LIST / INFO --------------------------------------------------------------

FIELDS = ["id", "addr", "laddr", "fd", "name", "age", "idle", "flags", "db", "sub", "psub", "ssub", "multi",
          "qbuf", "qbuf-free", "argv-mem", "multi-mem", "rbs", "rbp", "obl", "oll", "omem", "tot-mem",
          "events", "cmd", "user", "redir", "resp"]


def fields(line: str) -> dict[str, str]:
    return dict(kv.split("=", 1) for kv in line.split(" "))


def test_client_list_fields(server):
    with Wire(server.port, 3) as a, Wire(server.port) as b:
        a.call("CLIENT", "SETNAME", "alpha")
        a.call("SELECT", "3")
        a.call("SUBSCRIBE", "c1")
        a.send("PSUBSCRIBE", "p1", "p2")
        a.frames(2)
        a.call("SSUBSCRIBE", "s1")
        a.call("CLIENT", "TRACKING", "ON")
        aid = a.call("CLIENT", "ID")[1:-2].decode()
        line = [ln for ln in b.call("CLIENT", "LIST").decode().splitlines() if ln.startswith("id=" + aid + " ")][0]
        f = fields(line)
        assert list(f) == FIELDS
        assert (f["name"], f["db"], f["sub"], f["psub"], f["ssub"], f["multi"], f["flags"], f["cmd"], f["resp"],
                f["redir"], f["user"], f["events"]) == (
            "alpha", "3", "1", "2", "1", "-1", "Pt", "client|id", "3", "0", "default", "r")
        mine = fields(b.call("CLIENT", "INFO").decode().split("\r\n")[1].strip())
        assert list(mine) == FIELDS
        assert (mine["flags"], mine["cmd"], mine["resp"], mine["redir"], mine["multi"]) == (
            "N", "client|info", "2", "-1", "-1")


def test_info_stats_and_errorstats(server):
    with Wire(server.port) as w:
        w.call("CONFIG", "RESETSTAT")
        w.call("SET", "s", "v")
        w.call("LPUSH", "s", "x")
        w.call("NOSUCH")
        w.call("GET")
        stats = w.call("INFO", "commandstats").decode()
        assert re.search(r"cmdstat_set:calls=1,usec=\d+,usec_per_call=[\d.]+,rejected_calls=0,failed_calls=0\r\n",
                         stats)
        assert re.search(r"cmdstat_lpush:calls=1,usec=\d+,usec_per_call=[\d.]+,rejected_calls=0,failed_calls=1\r\n",
                         stats)
        assert "cmdstat_get:calls=0,usec=0,usec_per_call=0.00,rejected_calls=1,failed_calls=0\r\n" in stats
        errs = w.call("INFO", "errorstats").decode()
        assert "errorstat_ERR:count=2\r\n" in errs and "errorstat_WRONGTYPE:count=1\r\n" in errs
        assert "total_error_replies:3\r\n" in w.call("INFO", "stats").decode()
