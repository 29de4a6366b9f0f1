"""Pipelines: what a client sees when it sends many commands in one write.

CrabCache runs a pipelined run of the same command in one tight loop and
holds a pipelining client's replies until the end of the scheduler round
(crabcache/dispatch.py ``run_same``, crabcache/server/connection.py ``hold``);
none of that may change a reply, its order, a statistic or a blocked client's
turn.  Each test runs on both servers.
"""

import socket
import threading
import time

from wire import encode

WRONGTYPE = b"-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"


def _read_exactly(s: socket.socket, n: int, timeout: float = 10.0) -> bytes:
    s.settimeout(timeout)
    buf = bytearray()
    while len(buf) < n:
        chunk = s.recv(min(1 << 20, n - len(buf)))
        if not chunk:
            break
        buf += chunk
    return bytes(buf)


def test_run_with_an_error_in_the_middle(r, raw):
    r.set("a", "1")
    r.rpush("l", "x")
    r.set("b", "2")
    data = b"".join(encode("GET", k) for k in ("a", "l", "b", "nokey", "a"))
    expected = (
        b"$1\r\n1\r\n"
        b"-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"
        b"$1\r\n2\r\n$-1\r\n$1\r\n1\r\n"
    )
    assert raw(data, expect=len(expected)) == expected


def test_run_counts_every_command(server, raw):
    c = server.client(protocol=2)
    c.config_resetstat()
    c.set("k", "v")
    c.rpush("l", "x")
    expected = b"$1\r\nv\r\n" * 2 + WRONGTYPE + b"$1\r\nv\r\n$-1\r\n$1\r\nv\r\n"
    got = raw(b"".join(encode("GET", k) for k in ("k", "k", "l", "k", "nokey", "k")), expect=len(expected))
    assert got == expected
    stats = c.info("commandstats")["cmdstat_get"]
    assert stats["calls"] == 6
    assert stats["failed_calls"] == 1
    info = c.info("stats")
    assert info["keyspace_hits"] == 5  # the WRONGTYPE one found its key
    assert info["keyspace_misses"] == 1
    c.close()


def test_run_mixed_case_names(raw):
    data = encode("SET", "k", "1") + encode("set", "k", "2") + encode("Set", "k", "3") + encode("GET", "k")
    assert raw(data, expect=22) == b"+OK\r\n+OK\r\n+OK\r\n$1\r\n3\r\n"


def test_blocked_client_served_between_commands_of_a_run(server):
    # Redis serves clients blocked on a key after each command, not after the
    # pipeline: the waiting BLPOP takes the first element, so the second RPUSH
    # finds the list empty again.
    waiter = server.client(protocol=2)
    waiter.delete("q")
    got = []
    t = threading.Thread(target=lambda: got.append(waiter.blpop("q", timeout=5)))
    t.start()
    c = server.client(protocol=2)
    deadline = time.time() + 5
    while c.info("clients")["blocked_clients"] < 1 and time.time() < deadline:
        time.sleep(0.01)
    reply = server.raw(b"".join(encode("RPUSH", "q", v) for v in ("a", "b", "c", "d")), expect=16)
    t.join(5)
    assert reply == b":1\r\n:1\r\n:2\r\n:3\r\n"
    assert got == [(b"q", b"a")]
    assert c.lrange("q", 0, -1) == [b"b", b"c", b"d"]
    waiter.close()
    c.close()


def test_blocking_command_inside_a_run_parks_the_rest(server):
    c = server.client(protocol=2)
    c.delete("q1", "q2")
    with socket.create_connection(("127.0.0.1", server.port)) as s:
        # Both lists are empty: the first BLPOP blocks, and the commands after
        # it wait unread until it is served (so the second finds q2 filled).
        s.sendall(encode("BLPOP", "q1", "5") + encode("BLPOP", "q2", "5") + encode("PING"))
        time.sleep(0.2)
        c.rpush("q2", "late2")
        c.rpush("q1", "late1")
        expected = (
            b"*2\r\n$2\r\nq1\r\n$5\r\nlate1\r\n"
            b"*2\r\n$2\r\nq2\r\n$5\r\nlate2\r\n"
            b"+PONG\r\n"
        )
        assert _read_exactly(s, len(expected)) == expected
    c.close()


def test_slowlog_sees_every_command_of_a_run(server, config_restore):
    c = server.client(protocol=2)
    config_restore("slowlog-log-slower-than", "0")
    c.slowlog_reset()
    server.raw(b"".join(encode("GET", "k%d" % i) for i in range(5)), expect=25)
    entries = c.slowlog_get(20)
    gets = [e["command"] for e in entries if e["command"].startswith(b"GET")]
    assert sorted(gets) == [b"GET k%d" % i for i in range(5)]
    c.close()


def test_quit_after_a_pipeline_gets_every_reply(raw):
    data = b"".join(encode("SET", "k%d" % i, "v") for i in range(8)) + encode("QUIT")
    assert raw(data) == b"+OK\r\n" * 9


def test_pipelined_replies_larger_than_the_socket_buffer(server):
    # Replies held to the end of the round that then do not fit the socket
    # must still all arrive (the writer task takes over) -- with the client
    # reading only later.
    c = server.client(protocol=2)
    value = b"x" * (1 << 20)
    c.set("big", value)
    n = 12
    with socket.create_connection(("127.0.0.1", server.port)) as s:
        s.sendall(encode("GET", "big") * n + encode("PING"))
        time.sleep(0.3)
        out = _read_exactly(s, n * (len(value) + 12) + 7, timeout=20)
    assert out == (b"$1048576\r\n" + value + b"\r\n") * n + b"+PONG\r\n"
    c.close()


def test_own_publish_inside_a_pipeline_keeps_order(server):
    # RESP3: a client subscribed to a channel and publishing to it in one
    # pipeline sees each message right after the PUBLISH that sent it.
    with socket.create_connection(("127.0.0.1", server.port)) as s:
        s.sendall(encode("HELLO", "3") + encode("SUBSCRIBE", "ch"))
        hello_and_sub = b""
        s.settimeout(5)
        while not hello_and_sub.endswith(b":1\r\n"):
            hello_and_sub += s.recv(65536)
        s.sendall(encode("PUBLISH", "ch", "m1") + encode("PUBLISH", "ch", "m2")
                  + encode("PUBLISH", "ch", "m3") + encode("PING"))
        msg = b">3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$2\r\nm%d\r\n"
        expected = b"".join(msg % i + b":1\r\n" for i in (1, 2, 3)) + b"+PONG\r\n"
        assert _read_exactly(s, len(expected)) == expected


def test_other_clients_unaffected_by_a_big_pipeline(server):
    c = server.client(protocol=2)
    c.set("k", "v")
    stop = threading.Event()

    def flood() -> None:
        with socket.create_connection(("127.0.0.1", server.port)) as s:
            batch = encode("GET", "k") * 200
            want = len(b"$1\r\nv\r\n") * 200
            while not stop.is_set():
                s.sendall(batch)
                _read_exactly(s, want)

    t = threading.Thread(target=flood, daemon=True)
    t.start()
    try:
        for i in range(200):
            assert c.incr("counter") == i + 1
    finally:
        stop.set()
        t.join(5)
    c.close()
