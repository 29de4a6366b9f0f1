"""MULTI / EXEC / DISCARD / WATCH / UNWATCH, against CrabCache and real Redis.

Several connections per test: a watcher and the clients that touch its keys.
"""

import pytest
import redis
from wire import Wire

NULL = {2: b"*-1\r\n", 3: b"_\r\n"}


def check(raw, data: bytes, expected: bytes) -> None:
    # Stop reading once the expected length is in: no waiting for a timeout.
    assert raw(data, expect=len(expected)) == expected


@pytest.fixture(params=[2, 3], ids=["resp2", "resp3"])
def proto(request):
    return request.param


def test_multi_exec_replies(raw):
    check(raw, b"MULTI\r\nSET k v\r\nINCR k\r\nGET k\r\nEXEC\r\n", (
        b"+OK\r\n+QUEUED\r\n+QUEUED\r\n+QUEUED\r\n"
        b"*3\r\n+OK\r\n-ERR value is not an integer or out of range\r\n$1\r\nv\r\n"))


def test_empty_transaction(raw):
    check(raw, b"MULTI\r\nEXEC\r\n", b"+OK\r\n*0\r\n")


def test_queuing_errors_abort_exec(raw):
    check(raw, b"MULTI\r\nSET a 1\r\nGET\r\nNOSUCH x\r\nSET b 2\r\nEXEC\r\nMGET a b\r\n", (
        b"+OK\r\n+QUEUED\r\n-ERR wrong number of arguments for 'get' command\r\n"
        b"-ERR unknown command 'NOSUCH', with args beginning with: 'x' \r\n+QUEUED\r\n"
        b"-EXECABORT Transaction discarded because of previous errors.\r\n"
        b"*2\r\n$-1\r\n$-1\r\n"))


def test_no_multi_command_is_refused_and_aborts(raw):
    check(raw, b"MULTI\r\nSHUTDOWN\r\nPING\r\nEXEC\r\n", (
        b"+OK\r\n-ERR Command not allowed inside a transaction\r\n+QUEUED\r\n"
        b"-EXECABORT Transaction discarded because of previous errors.\r\n"))


def test_nested_multi_and_watch_inside_multi_do_not_abort(raw):
    check(raw, b"MULTI\r\nMULTI\r\nWATCH x\r\nSET k v\r\nEXEC\r\n", (
        b"+OK\r\n-ERR MULTI calls can not be nested\r\n-ERR WATCH inside MULTI is not allowed\r\n"
        b"+QUEUED\r\n*1\r\n+OK\r\n"))


def test_exec_discard_without_multi(raw):
    check(raw, b"EXEC\r\nDISCARD\r\nMULTI\r\nSET k v\r\nDISCARD\r\nDISCARD\r\nGET k\r\n", (
        b"-ERR EXEC without MULTI\r\n-ERR DISCARD without MULTI\r\n+OK\r\n+QUEUED\r\n+OK\r\n"
        b"-ERR DISCARD without MULTI\r\n$-1\r\n"))


def test_unwatch_is_queued_inside_multi(raw):
    check(raw, b"MULTI\r\nUNWATCH\r\nEXEC\r\n", b"+OK\r\n+QUEUED\r\n*1\r\n+OK\r\n")


def test_pipeline_transaction(r):
    pipe = r.pipeline(transaction=True)
    pipe.set("a", 1).incr("a").get("a").lpush("l", "x", "y").lrange("l", 0, -1)
    assert pipe.execute() == [True, 2, b"2", 2, [b"y", b"x"]]


def test_pipeline_runtime_error_is_returned(r):
    pipe = r.pipeline(transaction=True)
    pipe.set("s", "v").lpush("s", "x").get("s")
    res = pipe.execute(raise_on_error=False)
    assert res[0] is True and res[2] == b"v"
    assert isinstance(res[1], redis.ResponseError)
    assert str(res[1]).startswith("WRONGTYPE")


# --- WATCH ----------------------------------------------------------------------------


def _exec_ping(w: Wire) -> bytes:
    w.send_many(("MULTI",), ("PING",), ("EXEC",))
    ok, queued, reply = w.frames(3)
    assert (ok, queued) == (b"+OK\r\n", b"+QUEUED\r\n")
    return reply


@pytest.mark.parametrize("setup, action, aborted", [
    ([], [("SET", "x", "1")], True),
    ([("SET", "x", "1")], [("SET", "x", "1")], True),  # same value still counts
    ([("SET", "x", "1")], [("INCRBY", "x", "0")], True),
    ([], [("DEL", "x")], False),  # nothing to delete: no change
    ([], [("LPUSH", "x", "a")], True),
    ([("SADD", "x", "a")], [("SREM", "x", "b")], False),
    ([("SET", "x", "1")], [("EXPIRE", "x", "100")], True),
    ([("SET", "x", "1"), ("EXPIRE", "x", "100")], [("PERSIST", "x")], True),
    ([("SET", "x", "1")], [("PERSIST", "x")], False),
    ([("SET", "x", "1")], [("RENAME", "x", "y")], True),
    ([("SET", "y", "1")], [("RENAME", "y", "x")], True),
    ([("SET", "x", "1")], [("MOVE", "x", "1")], True),
    ([("SET", "x", "1")], [("FLUSHALL",)], True),
    ([], [("FLUSHALL",)], False),  # FLUSH* only touches keys that exist
    ([("SET", "x", "1")], [("FLUSHDB",)], True),
    ([("SET", "x", "1")], [("SELECT", "2"), ("FLUSHDB",)], False),
    ([("SET", "x", "1")], [("SWAPDB", "0", "1")], True),
    ([], [("SET", "other", "1")], False),
    ([], [("SELECT", "3"), ("SET", "x", "1")], False),  # same name, other db
])
def test_watch_other_client(server, proto, setup, action, aborted):
    with Wire(server.port, proto) as w, Wire(server.port) as other:
        assert w.call("FLUSHALL") == b"+OK\r\n"
        for cmd in setup:
            w.call(*cmd)
        assert w.call("WATCH", "x") == b"+OK\r\n"
        for cmd in action:
            assert not other.call(*cmd).startswith(b"-")
        assert _exec_ping(w) == (NULL[proto] if aborted else b"*1\r\n+PONG\r\n")
        other.call("FLUSHALL")


def test_watch_own_write_aborts_and_watch_is_gone_after_exec(server):
    with Wire(server.port) as w:
        w.call("SET", "x", "1")
        assert w.call("WATCH", "x", "x") == b"+OK\r\n"
        w.call("SET", "x", "2")
        assert _exec_ping(w) == b"*-1\r\n"
        w.call("SET", "x", "3")  # no longer watched
        assert _exec_ping(w) == b"*1\r\n+PONG\r\n"


def test_unwatch_and_discard_forget_watches(server):
    with Wire(server.port) as w, Wire(server.port) as other:
        w.call("WATCH", "x")
        assert w.call("UNWATCH") == b"+OK\r\n"
        other.call("SET", "x", "1")
        assert _exec_ping(w) == b"*1\r\n+PONG\r\n"
        w.call("WATCH", "x")
        w.send_many(("MULTI",), ("DISCARD",))
        assert w.frames(2) == [b"+OK\r\n", b"+OK\r\n"]
        other.call("SET", "x", "2")
        assert _exec_ping(w) == b"*1\r\n+PONG\r\n"


def test_watched_key_expiring_aborts_exec(server):
    with Wire(server.port) as w:
        w.call("SET", "x", "1", "PX", "100")
        w.call("WATCH", "x")
        w.call("DEBUG", "SLEEP", "0.12")  # the key's time passes; nobody touches it
        assert _exec_ping(w) == b"*-1\r\n"


def test_key_already_expired_at_watch_time_is_no_change(server):
    with Wire(server.port) as w, Wire(server.port) as other:
        w.call("SET", "x", "1", "PX", "1")
        w.call("DEBUG", "SLEEP", "0.01")
        w.call("WATCH", "x")
        assert other.call("GET", "x") == b"$-1\r\n"
        assert _exec_ping(w) == b"*1\r\n+PONG\r\n"
        w.call("SET", "x", "1", "PX", "1")
        w.call("DEBUG", "SLEEP", "0.01")
        w.call("WATCH", "x")
        other.call("SET", "x", "2")  # but bringing it back to life is a change
        assert _exec_ping(w) == b"*-1\r\n"


def test_watch_inside_exec_client_flags(server):
    with Wire(server.port) as w, Wire(server.port) as other:
        w.call("WATCH", "x")
        w.send_many(("MULTI",), ("SET", "x", "1"), ("GET", "x"))
        assert w.frames(3) == [b"+OK\r\n", b"+QUEUED\r\n", b"+QUEUED\r\n"]
        other.call("SET", "x", "2")
        listing = other.call("CLIENT", "LIST").decode()
        mine = [line for line in listing.splitlines() if " cmd=get " in line]
        assert len(mine) == 1
        assert " flags=xd " in mine[0] and " multi=2 " in mine[0]
        assert w.call("EXEC") == b"*-1\r\n"


def test_redis_py_watch_retry_loop(server, proto):
    r = server.client(protocol=proto)
    meddler = server.client(protocol=2)
    r.set("counter", 10)
    attempts = []

    def txn(pipe):
        attempts.append(1)
        value = int(pipe.get("counter"))
        if len(attempts) == 1:
            meddler.incr("counter")  # someone else wins the first round
        pipe.multi()
        pipe.set("counter", value * 2)

    assert r.transaction(txn, "counter") == [True]
    assert len(attempts) == 2
    assert r.get("counter") == b"22"
    r.close()
    meddler.close()


def test_exec_is_atomic_with_respect_to_other_clients(server):
    with Wire(server.port) as w, Wire(server.port) as other:
        w.send_many(("MULTI",), *[("RPUSH", "l", str(i)) for i in range(50)])
        w.frames(51)
        other.send("RPUSH", "l", "other")  # races the EXEC below
        w.send("EXEC")
        w.frame()
        other.frame()
        items = server.client().lrange("l", 0, -1)
    ours = [b"%d" % i for i in range(50)]
    assert items in (ours + [b"other"], [b"other"] + ours)


def test_blocking_command_inside_exec_does_not_block(raw):
    check(raw, b"MULTI\r\nBLPOP nolist 0\r\nEXEC\r\n", b"+OK\r\n+QUEUED\r\n*1\r\n*-1\r\n")


def test_stats_for_transactions(server):
    with Wire(server.port) as w:
        w.call("CONFIG", "RESETSTAT")
        w.send_many(("MULTI",), ("GET",), ("EXEC",))
        w.frames(3)
        w.send_many(("MULTI",), ("SET", "k", "v"), ("LPUSH", "k", "x"), ("EXEC",))
        w.frames(4)
        stats = w.call("INFO", "commandstats").decode()
        errs = w.call("INFO", "errorstats").decode()
    assert "cmdstat_exec:calls=2," in stats and "rejected_calls=0,failed_calls=1" in \
        stats.split("cmdstat_exec:")[1].split("\r\n")[0]
    assert "cmdstat_get:calls=0,usec=0,usec_per_call=0.00,rejected_calls=1,failed_calls=0" in stats
    assert "cmdstat_lpush:calls=1," in stats and stats.split("cmdstat_lpush:")[1].split("\r\n")[0] \
        .endswith("rejected_calls=0,failed_calls=1")
    assert "errorstat_EXECABORT:count=1" in errs
    assert "errorstat_WRONGTYPE:count=1" in errs
    assert "errorstat_ERR:count=1" in errs
