"""Client-side caching bookkeeping on sessions, no sockets."""

from __future__ import annotations

import crabcache.commands  # noqa: F401  (registers commands)
from crabcache.dispatch import execute
from crabcache.protocol.writer import Raw
from crabcache.server.connection import run_before_sleep
from crabcache.server.session import Session
from crabcache.server.state import Server

INV_K = b">2\r\n$10\r\ninvalidate\r\n*1\r\n$1\r\nk\r\n"


def run(s: Session, *args: str | bytes):
    return execute(s, [a if isinstance(a, bytes) else a.encode() for a in args])


def client(server: Server, resp3: bool = True) -> tuple[Session, list[bytes]]:
    s = Session(server)
    server.clients[s.id] = s
    s.resp3 = resp3
    got: list[bytes] = []
    s.deliver = got.append
    return s, got


def test_read_then_remote_write_invalidates_once():
    server = Server()
    t, got = client(server)
    w, _ = client(server)
    run(t, "CLIENT", "TRACKING", "ON")
    assert server.tracking_on
    run(t, "GET", "k")
    assert server.hooks["tracker"].table == {b"k": {t.id}}
    run(w, "SET", "k", "1")
    run(w, "SET", "k", "2")
    assert got == [INV_K]
    assert server.hooks["tracker"].table == {}


def test_own_write_is_announced_after_its_reply():
    server = Server()
    t, got = client(server)
    run(t, "CLIENT", "TRACKING", "ON")
    run(t, "GET", "k")
    server.current_client = t  # the connection marks whose batch runs
    reply = run(t, "SET", "k", "v")
    server.current_client = None
    assert got == []
    assert isinstance(reply, Raw) and reply.raw == b"+OK\r\n" + INV_K


def test_bcast_waits_for_the_end_of_the_batch():
    server = Server()
    t, got = client(server)
    w, _ = client(server)
    run(t, "CLIENT", "TRACKING", "ON", "BCAST", "PREFIX", "a")
    run(w, "MSET", "a2", "1", "b", "1", "a1", "1")
    assert got == [] and server.before_sleep
    run_before_sleep(server)
    assert got == [b">2\r\n$10\r\ninvalidate\r\n*2\r\n$2\r\na1\r\n$2\r\na2\r\n"]


def test_table_limit_evicts_oldest_keys():
    server = Server()
    server.config.set_many([("tracking-table-max-keys", "2")])
    t, got = client(server)
    run(t, "CLIENT", "TRACKING", "ON")
    run(t, "MGET", "k", "b", "c")
    assert list(server.hooks["tracker"].table) == [b"b", b"c"]  # the oldest went
    assert got == [INV_K]


def test_disconnect_turns_the_flag_off():
    server = Server()
    t, _ = client(server)
    run(t, "CLIENT", "TRACKING", "ON", "BCAST")
    run(t, "GET", "k")
    for fn in server.hooks["on_disconnect"]:
        fn(t)
    assert not server.tracking_on and t.tracking is None
    assert server.hooks["tracker"].prefixes == {}
