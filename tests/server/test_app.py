"""The trio application in-process: start on port 0 via nursery.start, talk bytes."""

from __future__ import annotations

import os
import tempfile

import pytest
import trio

import crabcache.commands  # noqa: F401  (registers commands)
from crabcache.config import Config, load
from crabcache.server.app import serve


def make_config(*args: str) -> Config:
    return load(["--port", "0", "--bind", "127.0.0.1", *args])


async def start(nursery: trio.Nursery, *args: str):
    return await nursery.start(lambda task_status: serve(make_config(*args), ephemeral=True, task_status=task_status))


async def connect(running) -> trio.SocketStream:
    return await trio.open_tcp_stream("127.0.0.1", running.port)


async def roundtrip(stream: trio.SocketStream, data: bytes, expect: int) -> bytes:
    await stream.send_all(data)
    out = b""
    with trio.fail_after(5):
        while len(out) < expect:
            chunk = await stream.receive_some(65536)
            if not chunk:
                break
            out += chunk
    return out


async def read_until_closed(stream: trio.SocketStream) -> bytes:
    out = b""
    with trio.fail_after(5):
        while True:
            chunk = await stream.receive_some(65536)
            if not chunk:
                return out
            out += chunk


async def test_ping_and_pipeline_in_one_read():
    async with trio.open_nursery() as n:
        running = await start(n)
        s = await connect(running)
        reqs = b"".join(b"*3\r\n$3\r\nSET\r\n$2\r\nk%d\r\n$1\r\nv\r\n" % i for i in range(10)) + b"PING\r\n"
        out = await roundtrip(s, reqs, 5 * 10 + 7)
        assert out == b"+OK\r\n" * 10 + b"+PONG\r\n"
        assert running.server.dbs[0].size == 10
        running.shutdown()


async def test_garbage_client_does_not_disturb_others():
    async with trio.open_nursery() as n:
        running = await start(n)
        good = await connect(running)
        bad = await connect(running)
        await good.send_all(b"*3\r\n$3\r\nSET\r\n$1\r\na\r\n$3\r\n")  # half a request
        await bad.send_all(b"*1\r\n$x\r\n")
        assert await read_until_closed(bad) == b"-ERR Protocol error: invalid bulk length\r\n"
        out = await roundtrip(good, b"abc\r\n*2\r\n$3\r\nGET\r\n$1\r\na\r\n", 5 + 9)
        assert out == b"+OK\r\n$3\r\nabc\r\n"
        running.shutdown()


async def test_shutdown_command_flushes_and_stops():
    async with trio.open_nursery() as n:
        running = await start(n)
        a = await connect(running)
        b = await connect(running)
        # b's PING before the SHUTDOWN is answered; SHUTDOWN itself gets no reply.
        assert await roundtrip(b, b"PING\r\n", 7) == b"+PONG\r\n"
        await a.send_all(b"SET k v\r\nSHUTDOWN NOSAVE\r\n")
        assert await read_until_closed(a) == b"+OK\r\n"
        assert await read_until_closed(b) == b""
    # leaving the nursery means serve() returned


async def test_maxclients():
    async with trio.open_nursery() as n:
        running = await start(n, "--maxclients", "2")
        a = await connect(running)
        b = await connect(running)
        await roundtrip(a, b"PING\r\n", 7)
        await roundtrip(b, b"PING\r\n", 7)
        c = await connect(running)
        assert await read_until_closed(c) == b"-ERR max number of clients reached\r\n"
        assert running.server.stats.rejected_connections == 1
        running.shutdown()


async def test_a_burst_of_connections_stays_within_maxclients():
    import socket

    async with trio.open_nursery() as n:
        running = await start(n, "--maxclients", "3")
        # Five connects with no await between them: all wait in the listen backlog,
        # and the accept loop takes them in one wake-up (their tasks not yet run).
        socks = [socket.create_connection(("127.0.0.1", running.port)) for _ in range(5)]
        await trio.sleep(0.3)
        assert running.server.stats.rejected_connections == 2
        assert len(running.server.clients) == 3
        replies = []
        for sock in socks:
            sock.settimeout(0)
            try:
                replies.append(sock.recv(100))
            except BlockingIOError:
                replies.append(None)  # accepted: nothing to say until asked
            sock.close()
        assert replies == [None, None, None] + [b"-ERR max number of clients reached\r\n"] * 2
        running.shutdown()


async def test_unix_socket():
    path = os.path.join(tempfile.mkdtemp(), "cc.sock")
    async with trio.open_nursery() as n:
        running = await start(n, "--unixsocket", path)
        s = await trio.open_unix_socket(path)
        assert await roundtrip(s, b"CLIENT INFO\r\n", 20)
        await s.send_all(b"PING\r\n")
        assert (await s.receive_some(100)).endswith(b"+PONG\r\n")
        running.shutdown()
    assert not os.path.exists(path)


async def test_client_list_sees_both_and_kill():
    async with trio.open_nursery() as n:
        running = await start(n)
        a = await connect(running)
        b = await connect(running)
        await roundtrip(b, b"CLIENT SETNAME bee\r\n", 5)
        out = await roundtrip(a, b"CLIENT LIST\r\n", 10)
        with trio.fail_after(5):
            while out.count(b"\n") < 3:  # header line + two client lines
                out += await a.receive_some(65536)
        assert b"name=bee" in out
        await a.send_all(b"CLIENT KILL USER default\r\n")
        assert await a.receive_some(100) == b":1\r\n"
        assert await read_until_closed(b) == b""
        running.shutdown()


async def test_idle_timeout_closes_client(autojump_clock):
    # The cron checks idle clients; with trio's autojump clock no real time passes.
    # (The idle check reads time.monotonic(); we age the session instead of sleeping.)
    async with trio.open_nursery() as n:
        running = await start(n, "--timeout", "1")
        a = await connect(running)
        await roundtrip(a, b"PING\r\n", 7)
        (session,) = running.server.clients.values()
        session.last_interaction -= 5
        assert await read_until_closed(a) == b""
        running.shutdown()


@pytest.mark.parametrize("size", [10 * 1024 * 1024])
async def test_big_inline_line(size):
    async with trio.open_nursery() as n:
        running = await start(n)
        other = await connect(running)
        bad = await connect(running)

        async def blast():
            try:
                await bad.send_all(b"a" * size)
            except (trio.BrokenResourceError, trio.ClosedResourceError):
                pass

        n.start_soon(blast)
        out = b""
        with trio.fail_after(10):
            while True:
                try:
                    chunk = await bad.receive_some(65536)
                except trio.BrokenResourceError:
                    break
                if not chunk:
                    break
                out += chunk
        assert out == b"-ERR Protocol error: too big inline request\r\n"
        assert await roundtrip(other, b"PING\r\n", 7) == b"+PONG\r\n"
        running.shutdown()


async def test_handler_bug_answers_error_and_server_lives_on():
    from crabcache.commands.registry import COMMANDS, declare

    def broken(c, argv):
        raise ZeroDivisionError("boom")

    if b"crabcache-test-broken" not in COMMANDS:
        declare("crabcache-test-broken", broken, 1)
    try:
        async with trio.open_nursery() as n:
            running = await start(n)
            s = await connect(running)
            out = await roundtrip(s, b"CRABCACHE-TEST-BROKEN\r\nPING\r\n", 80)
            assert out == (b"-ERR internal error while running 'crabcache-test-broken': ZeroDivisionError\r\n"
                           b"+PONG\r\n")
            running.shutdown()
    finally:
        COMMANDS.pop(b"crabcache-test-broken", None)
        COMMANDS.pop(b"CRABCACHE-TEST-BROKEN", None)
