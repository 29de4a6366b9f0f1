"""The blocking machinery without sockets (sessions + dispatch, virtual time),
plus one in-process server test for a client hanging up while blocked."""

from __future__ import annotations

import socket
from typing import Any

import pytest
import trio
import trio.testing

import crabcache.commands  # noqa: F401  (registers commands)
from crabcache.config import load
from crabcache.dispatch import Deferred, execute
from crabcache.errors import CommandError
from crabcache.keyspace.blocking import parse_timeout_ms
from crabcache.protocol.writer import NULL_ARRAY
from crabcache.server.app import serve
from crabcache.server.session import Session
from crabcache.server.state import Server


def b(*args: Any) -> list[bytes]:
    return [a if isinstance(a, bytes) else str(a).encode() for a in args]


class World:
    """A server and sessions, driven the way the connection drives them."""

    def __init__(self) -> None:
        self.server = Server()
        self.db = self.server.dbs[0]

    def session(self) -> Session:
        s = Session(self.server)
        self.server.clients[s.id] = s
        return s

    def run(self, s: Session, *args: Any) -> Any:
        r = execute(s, b(*args))
        if self.server.ready_keys:
            self.server.hooks["serve_ready"]()
        return r


async def collect(d: Deferred, out: list, i: int) -> None:
    out[i] = await d.wait()


@pytest.mark.parametrize("text, ms", [
    (b"0", 0), (b"1", 1000), (b"0.5", 500), (b".5", 500), (b"5.", 5000), (b"+1", 1000), (b"0x10", 16000),
    (b"0.0001", 1), (b"1e-300", 1), (b"1e-400", 1),  # a positive timeout is at least 1 ms
    (b"-0.0001", 0), (b"-1e-400", 0),  # ceil(-0.1) is 0: block forever, as Redis does
    (b"9.2e15", 9200000000000000000),
])
def test_parse_timeout_ms(text, ms):
    assert parse_timeout_ms(text) == ms


@pytest.mark.parametrize("text, msg", [
    (b"-1", "ERR timeout is negative"), (b"-inf", "ERR timeout is negative"), (b"inf", "ERR timeout is negative"),
    (b"1e100", "ERR timeout is negative"), (b"9.3e15", "ERR timeout is negative"),
    (b"abc", "ERR timeout is not a float or out of range"), (b"nan", "ERR timeout is not a float or out of range"),
    (b" 1", "ERR timeout is not a float or out of range"), (b"", "ERR timeout is not a float or out of range"),
    (b"1e-5000", "ERR timeout is not a float or out of range"), (b"1e5000", "ERR timeout is not a float or out of range"),
    (b"1x", "ERR timeout is not a float or out of range"),
])
def test_parse_timeout_errors(text, msg):
    with pytest.raises(CommandError) as e:
        parse_timeout_ms(text)
    assert e.value.message == msg


async def test_first_blocked_first_served():
    w = World()
    waiters = [w.session() for _ in range(3)]
    out: list = [None] * 3
    async with trio.open_nursery() as n:
        for i, s in enumerate(waiters):
            d = w.run(s, "BLPOP", "q", 0)
            assert isinstance(d, Deferred) and s.blocked is not None
            n.start_soon(collect, d, out, i)
        await trio.testing.wait_all_tasks_blocked()
        assert list(w.db.blocking[b"q"]) == [s.blocked for s in waiters]
        assert w.run(w.session(), "RPUSH", "q", "a", "b", "c") == 3
    assert out == [[b"q", b"a"], [b"q", b"b"], [b"q", b"c"]]
    assert w.db.blocking == {} and w.db.lookup(b"q") is None
    assert all(s.blocked is None and s.unblock is None for s in waiters)


async def test_timeout_in_virtual_time(autojump_clock):
    w = World()
    s = w.session()
    d = w.run(s, "BZPOPMIN", "a", "b", "2.5")
    t0 = trio.current_time()
    assert await d.wait() is NULL_ARRAY
    assert trio.current_time() - t0 == pytest.approx(2.5)
    assert w.db.blocking == {} and s.blocked is None


async def test_cancelled_wait_leaves_no_trace():
    w = World()
    s = w.session()
    d = w.run(s, "BLMOVE", "src", "dst", "LEFT", "LEFT", 0)
    with trio.move_on_after(0.01):
        await d.wait()  # cancelled, as when the connection goes away
    assert w.db.blocking == {} and s.blocked is None
    w.run(w.session(), "RPUSH", "src", "v")
    assert list(w.db.lookup(b"src")) == [b"v"]


async def test_client_unblock_timeout_and_error():
    w = World()
    s = w.session()
    admin = w.session()
    d = w.run(s, "BLPOP", "k", 0)
    assert w.run(admin, "CLIENT", "UNBLOCK", s.id) == 1
    assert await d.wait() is NULL_ARRAY
    assert w.run(admin, "CLIENT", "UNBLOCK", s.id) == 0
    d = w.run(s, "BLPOP", "k", 0)
    assert w.run(admin, "CLIENT", "UNBLOCK", s.id, "error") == 1
    r = await d.wait()
    assert isinstance(r, CommandError) and r.message == "UNBLOCKED client unblocked via CLIENT UNBLOCK"
    assert w.db.blocking == {}


async def test_chain_of_moves_is_served_in_one_turn():
    w = World()
    a, c = w.session(), w.session()
    da = w.run(a, "BLMOVE", "s1", "s2", "RIGHT", "LEFT", 0)
    dc = w.run(c, "BRPOP", "s2", 0)
    w.run(w.session(), "RPUSH", "s1", "x")
    assert a.blocked is None and c.blocked is None  # both served before anyone awaited
    assert await da.wait() == b"x"
    assert await dc.wait() == [b"s2", b"x"]
    assert w.db.size == 0


async def test_wrong_type_waiter_is_skipped_and_keeps_its_place():
    w = World()
    z, lst = w.session(), w.session()
    dz = w.run(z, "BZPOPMAX", "k", 0)
    dl = w.run(lst, "BLPOP", "k", 0)
    w.run(w.session(), "RPUSH", "k", "v")
    assert await dl.wait() == [b"k", b"v"]
    assert z.blocked is not None
    w.run(w.session(), "ZADD", "k", "1", "m")
    assert await dz.wait() == [b"k", b"m", 1.0]


async def test_serving_only_after_the_top_level_command():
    # Inside a script or EXEC several writes run in one top-level command; the
    # connection calls serve_ready after it, so a waiter sees the final state.
    w = World()
    s = w.session()
    d = w.run(s, "BLPOP", "k", 0)
    other = w.session()
    execute(other, b("RPUSH", "k", "a"))
    execute(other, b("LPOP", "k"))
    assert w.server.ready_keys  # signalled, not yet served
    w.server.hooks["serve_ready"]()
    assert s.blocked is not None  # the list is gone again: still waiting
    w.run(other, "RPUSH", "k", "b")
    assert await d.wait() == [b"k", b"b"]


async def test_blocking_inside_exec_returns_null():
    w = World()
    s = w.session()
    s.in_exec = True
    assert w.run(s, "BLPOP", "k", 0) is NULL_ARRAY
    assert w.run(s, "BRPOPLPUSH", "k", "d", 0) is None
    assert w.db.blocking == {}


async def test_hang_up_while_blocked_is_noticed():
    config = load(["--port", "0", "--bind", "127.0.0.1"])
    async with trio.open_nursery() as n:
        running = await n.start(lambda task_status: serve(config, ephemeral=True, task_status=task_status))
        db = running.server.dbs[0]
        sock = socket.create_connection(("127.0.0.1", running.port))
        sock.sendall(b"BLPOP k 0\r\n")
        with trio.fail_after(5):
            while b"k" not in db.blocking:
                await trio.sleep(0.001)
            sock.close()
            while db.blocking or any(s.blocked for s in running.server.clients.values()):
                await trio.sleep(0.001)
        running.shutdown()
