"""Blocking list and sorted-set commands, against CrabCache and real Redis 7.0.

Blocked clients are raw ``Wire`` connections (exact reply bytes, no client
library timeouts in the way); a control client makes keys ready.  We never
sleep to "let a client block": we wait until INFO reports it blocked, and a
client that must *not* have been served is checked by its reply to a later
command.  Timeouts are short (tens of milliseconds).
"""

from __future__ import annotations

import time
from typing import Any

import pytest
import redis
from wire import Wire

WRONGTYPE = b"-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"


def blocked_clients(ctl: redis.Redis) -> int:
    return int(ctl.info("clients")["blocked_clients"])


def wait_blocked(ctl: redis.Redis, n: int) -> None:
    """Until exactly ``n`` clients are blocked (polling, not sleeping a guess)."""
    deadline = time.monotonic() + 5
    while blocked_clients(ctl) != n:
        assert time.monotonic() < deadline, "expected %d blocked clients" % n
        time.sleep(0.002)


@pytest.fixture
def ctl(server: Any) -> Any:
    c = server.client(protocol=2)
    c.flushall()
    yield c
    c.close()


@pytest.fixture
def wire(server: Any, protocol: int) -> Any:
    opened: list[Wire] = []

    def make() -> Wire:
        w = Wire(server.port, protocol)
        opened.append(w)
        return w

    yield make
    for w in opened:
        w.close()


def null(protocol: int) -> bytes:
    return b"*-1\r\n" if protocol == 2 else b"_\r\n"


def test_served_at_once_when_data_is_there(ctl, wire):
    ctl.rpush("l", "a", "b")
    ctl.zadd("z", {"m": 1})
    w = wire()
    assert w.call("BLPOP", "nokey", "l", 0) == b"*2\r\n$1\r\nl\r\n$1\r\na\r\n"
    assert w.call("BRPOP", "l", 0) == b"*2\r\n$1\r\nl\r\n$1\r\nb\r\n"
    assert ctl.exists("l") == 0
    assert w.call("BZPOPMIN", "z", 0)[:16] == b"*3\r\n$1\r\nz\r\n$1\r\nm"
    ctl.set("s", "x")
    assert w.call("BLPOP", "s", 0) == WRONGTYPE
    assert w.call("BLPOP", "nokey", "s", 0) == WRONGTYPE
    assert w.call("BZPOPMAX", "s", 0) == WRONGTYPE


def test_first_blocked_first_served(ctl, wire):
    waiters = []
    for i in range(3):
        w = wire()
        w.send("BLPOP", "q", 0)
        wait_blocked(ctl, i + 1)
        waiters.append(w)
    ctl.rpush("q", "x")  # one element, three waiters: the first gets it
    assert waiters[0].frame() == b"*2\r\n$1\r\nq\r\n$1\r\nx\r\n"
    wait_blocked(ctl, 2)
    ctl.lpush("q", "a", "b", "c")  # c b a: one each, in blocking order
    assert waiters[1].frame() == b"*2\r\n$1\r\nq\r\n$1\r\nc\r\n"
    assert waiters[2].frame() == b"*2\r\n$1\r\nq\r\n$1\r\nb\r\n"
    assert ctl.lrange("q", 0, -1) == [b"a"]
    assert blocked_clients(ctl) == 0


def test_several_keys_and_the_key_that_got_ready(ctl, wire):
    w = wire()
    w.send("BRPOP", "k1", "k2", "k1", 0)  # a repeated key is waited on once
    wait_blocked(ctl, 1)
    ctl.rpush("k2", "x", "y")
    assert w.frame() == b"*2\r\n$2\r\nk2\r\n$1\r\ny\r\n"
    assert ctl.lrange("k2", 0, -1) == [b"x"]


def test_wrong_type_waiters_are_skipped(ctl, wire):
    z = wire()
    z.send("BZPOPMIN", "k", 0)
    wait_blocked(ctl, 1)
    lst = wire()
    lst.send("BLPOP", "k", 0)
    wait_blocked(ctl, 2)
    ctl.rpush("k", "x", "y")  # a list: the zset waiter, though first, is not the one served
    assert lst.frame() == b"*2\r\n$1\r\nk\r\n$1\r\nx\r\n"
    assert ctl.lrange("k", 0, -1) == [b"y"]
    ctl.delete("k")
    ctl.zadd("k", {"m": 2})
    assert z.frame() in (b"*3\r\n$1\r\nk\r\n$1\r\nm\r\n$1\r\n2\r\n", b"*3\r\n$1\r\nk\r\n$1\r\nm\r\n,2\r\n")


@pytest.mark.parametrize("cmd", [
    ("BLPOP", "nokey", "0.02"), ("BRPOP", "a", "b", "0.02"), ("BLMOVE", "nokey", "d", "LEFT", "RIGHT", "0.02"),
    ("BRPOPLPUSH", "nokey", "d", "0.02"), ("BLMPOP", "0.02", "1", "nokey", "LEFT"),
    ("BZPOPMIN", "nokey", "0.02"), ("BZPOPMAX", "nokey", "0.02"), ("BZMPOP", "0.02", "2", "a", "b", "MAX"),
])
def test_timeout_reply(ctl, wire, protocol, cmd):
    w = wire()
    t0 = time.monotonic()
    assert w.call(*cmd) == null(protocol)  # a null *array*, BLMOVE included
    assert time.monotonic() - t0 >= 0.015
    assert blocked_clients(ctl) == 0
    assert w.call("PING") == b"+PONG\r\n"


def test_tiny_timeout_rounds_up_to_a_millisecond(wire, protocol):
    w = wire()
    assert w.call("BLPOP", "nokey", "0.0001") == null(protocol)
    assert w.call("BLPOP", "nokey", "1e-300") == null(protocol)


@pytest.mark.parametrize("timeout, error", [
    ("-1", b"-ERR timeout is negative\r\n"),
    ("-inf", b"-ERR timeout is negative\r\n"),
    ("inf", b"-ERR timeout is negative\r\n"),
    ("1e100", b"-ERR timeout is negative\r\n"),  # overflows Redis's long long
    ("abc", b"-ERR timeout is not a float or out of range\r\n"),
    ("nan", b"-ERR timeout is not a float or out of range\r\n"),
    (" 1", b"-ERR timeout is not a float or out of range\r\n"),
    ("", b"-ERR timeout is not a float or out of range\r\n"),
    ("1e-5000", b"-ERR timeout is not a float or out of range\r\n"),
])
def test_timeout_errors(wire, timeout, error):
    w = wire()
    assert w.call("BLPOP", "k", timeout) == error
    assert w.call("BZPOPMIN", "k", timeout) == error
    assert w.call("BLMPOP", timeout, 1, "k", "LEFT") == error


def test_blocking_commands_inside_multi_do_not_block(wire, protocol):
    w = wire()
    w.send_many(("MULTI",), ("BLPOP", "nokey", 0), ("BRPOPLPUSH", "nokey", "d", 0),
                ("BLMOVE", "nokey", "d", "LEFT", "LEFT", 0), ("BLMPOP", 0, 1, "nokey", "LEFT"),
                ("BZPOPMIN", "nokey", 0), ("BZMPOP", 0, 1, "nokey", "MIN"), ("EXEC",))
    frames = w.frames(8)
    nb = b"$-1\r\n" if protocol == 2 else b"_\r\n"  # BLMOVE/BRPOPLPUSH answer a null bulk here
    assert frames[7] == b"*6\r\n" + null(protocol) + nb + nb + null(protocol) * 3


def test_wakeup_after_exec_not_in_the_middle(ctl, wire, server, protocol):
    w = wire()
    w.send("BLPOP", "k", 0)
    wait_blocked(ctl, 1)
    p = wire()
    # Pushed and popped inside one transaction: nothing for the waiter.
    p.send_many(("MULTI",), ("RPUSH", "k", "a"), ("LPOP", "k"), ("EXEC",))
    assert p.frames(4)[3] == b"*2\r\n:1\r\n$1\r\na\r\n"
    assert blocked_clients(ctl) == 1
    # The waiter is served after EXEC: the transaction saw both elements.
    p.send_many(("MULTI",), ("RPUSH", "k", "x"), ("RPUSH", "k", "y"), ("LRANGE", "k", 0, -1), ("EXEC",))
    assert p.frames(5)[4] == b"*3\r\n:1\r\n:2\r\n*2\r\n$1\r\nx\r\n$1\r\ny\r\n"
    assert w.frame() == b"*2\r\n$1\r\nk\r\n$1\r\nx\r\n"
    assert ctl.lrange("k", 0, -1) == [b"y"]


def test_wakeup_after_script(ctl, wire):
    w = wire()
    w.send("BLPOP", "k", 0)
    wait_blocked(ctl, 1)
    script = "redis.call('rpush', KEYS[1], 'a'); redis.call('rpush', KEYS[1], 'b'); return redis.call('llen', KEYS[1])"
    assert ctl.eval(script, 1, "k") == 2
    assert w.frame() == b"*2\r\n$1\r\nk\r\n$1\r\na\r\n"


def test_client_unblock(ctl, wire, protocol):
    w = wire()
    cid = int(w.call("CLIENT", "ID")[1:-2])
    assert ctl.execute_command("CLIENT", "UNBLOCK", cid) == 0  # not blocked
    w.send("BLPOP", "k", 0)
    wait_blocked(ctl, 1)
    flags = [ln for ln in ctl.execute_command("CLIENT", "LIST").decode().splitlines() if "id=%d " % cid in ln]
    assert " flags=b " in flags[0] and "cmd=blpop" in flags[0]
    assert ctl.execute_command("CLIENT", "UNBLOCK", cid) == 1
    assert w.frame() == null(protocol)
    w.send("BZPOPMIN", "k", 0)
    wait_blocked(ctl, 1)
    assert ctl.execute_command("CLIENT", "UNBLOCK", cid, "ERROR") == 1
    assert w.frame() == b"-UNBLOCKED client unblocked via CLIENT UNBLOCK\r\n"
    w.send("BLMOVE", "k", "d", "LEFT", "LEFT", 0)
    wait_blocked(ctl, 1)
    assert ctl.execute_command("CLIENT", "UNBLOCK", cid, "TIMEOUT") == 1
    assert w.frame() == null(protocol)
    assert blocked_clients(ctl) == 0
    ctl.rpush("k", "v")  # nobody left waiting: the element stays
    assert ctl.llen("k") == 1


def test_client_unblock_errors(ctl):
    def e(*args: Any) -> str:
        with pytest.raises(redis.ResponseError) as exc:
            ctl.execute_command(*args)
        return str(exc.value)

    assert e("CLIENT", "UNBLOCK", 1, "FOO") == "CLIENT UNBLOCK reason should be TIMEOUT or ERROR"
    assert e("CLIENT", "UNBLOCK", "abc") == "value is not an integer or out of range"
    assert e("CLIENT", "UNBLOCK", 1, "TIMEOUT", "x") == (
        "unknown subcommand or wrong number of arguments for 'UNBLOCK'. Try CLIENT HELP.")
    assert ctl.execute_command("CLIENT", "UNBLOCK", 999999) == 0


def test_disconnect_while_blocked_leaves_no_trace(ctl, wire):
    gone = wire()
    gone.send("BLPOP", "k", 0)
    wait_blocked(ctl, 1)
    stays = wire()
    stays.send("BLPOP", "k", 0)
    wait_blocked(ctl, 2)
    gone.close()
    wait_blocked(ctl, 1)
    ctl.rpush("k", "v1", "v2")  # the departed client takes nothing
    assert stays.frame() == b"*2\r\n$1\r\nk\r\n$2\r\nv1\r\n"
    assert ctl.lrange("k", 0, -1) == [b"v2"]
    last = wire()
    last.send("BZPOPMAX", "z", 0)
    wait_blocked(ctl, 1)
    last.close()
    wait_blocked(ctl, 0)
    ctl.zadd("z", {"m": 1})
    assert ctl.zcard("z") == 1


def test_blmove_chain_and_rotation(ctl, wire):
    a = wire()
    a.send("BLMOVE", "s1", "s2", "RIGHT", "LEFT", 0)
    wait_blocked(ctl, 1)
    b = wire()
    b.send("BLPOP", "s2", 0)
    wait_blocked(ctl, 2)
    ctl.rpush("s1", "x")  # A moves x to s2, which then serves B, in the same turn
    assert a.frame() == b"$1\r\nx\r\n"
    assert b.frame() == b"*2\r\n$2\r\ns2\r\n$1\r\nx\r\n"
    assert ctl.exists("s1", "s2") == 0
    r = wire()
    r.send("BRPOPLPUSH", "s3", "s3", 0)
    wait_blocked(ctl, 1)
    ctl.rpush("s3", "a", "b")
    assert r.frame() == b"$1\r\nb\r\n"
    assert ctl.lrange("s3", 0, -1) == [b"b", b"a"]


def test_blmove_wrong_type_destination_when_served(ctl, wire):
    w = wire()
    w.send("BLMOVE", "src", "dst", "LEFT", "LEFT", 0)
    wait_blocked(ctl, 1)
    ctl.set("dst", "string")
    ctl.rpush("src", "v")
    assert w.frame() == WRONGTYPE
    assert ctl.lrange("src", 0, -1) == [b"v"]  # nothing moved


def test_blmpop_and_bzmpop_counts(ctl, wire, protocol):
    w = wire()
    w.send("BLMPOP", 0, 2, "a", "b", "RIGHT", "COUNT", 2)
    wait_blocked(ctl, 1)
    ctl.rpush("b", "1", "2", "3")
    assert w.frame() == b"*2\r\n$1\r\nb\r\n*2\r\n$1\r\n3\r\n$1\r\n2\r\n"
    w.send("BZMPOP", 0, 1, "z", "MAX", "COUNT", 5)
    wait_blocked(ctl, 1)
    ctl.zadd("z", {"a": 1, "b": 2})
    s1, s2 = (b"$1\r\n1\r\n", b"$1\r\n2\r\n") if protocol == 2 else (b",1\r\n", b",2\r\n")
    assert w.frame() == b"*2\r\n$1\r\nz\r\n*2\r\n*2\r\n$1\r\nb\r\n" + s2 + b"*2\r\n$1\r\na\r\n" + s1
    assert ctl.exists("z") == 0


def test_served_by_rename_and_other_key_creation(ctl, wire):
    w = wire()
    w.send("BLPOP", "target", 0)
    wait_blocked(ctl, 1)
    ctl.rpush("tmp", "v")
    ctl.rename("tmp", "target")
    assert w.frame() == b"*2\r\n$6\r\ntarget\r\n$1\r\nv\r\n"


def test_pipelined_commands_after_a_blocking_one(ctl, wire):
    w = wire()
    w.send_many(("BLPOP", "k", 0), ("PING",))
    wait_blocked(ctl, 1)
    ctl.rpush("k", "v")
    assert w.frames(2) == [b"*2\r\n$1\r\nk\r\n$1\r\nv\r\n", b"+PONG\r\n"]
