"""Pub/Sub delivery and keyspace notifications on sessions, no sockets."""

from __future__ import annotations

import crabcache.commands  # noqa: F401  (registers commands)
from crabcache.commands import pubsub
from crabcache.commands.pubsub import publish
from crabcache.dispatch import execute
from crabcache.server.session import Session
from crabcache.server.state import Server


def run(s: Session, *args: str | bytes):
    return execute(s, [a if isinstance(a, bytes) else a.encode() for a in args])


def listener(server: Server, resp3: bool = False) -> tuple[Session, list[bytes]]:
    s = Session(server)
    s.resp3 = resp3
    got: list[bytes] = []
    s.deliver = got.append
    return s, got


def test_publish_encodes_once_per_protocol_and_counts():
    server = Server()
    a, got_a = listener(server)
    b, got_b = listener(server, resp3=True)
    run(a, "SUBSCRIBE", "ch")
    run(b, "PSUBSCRIBE", "c*")
    assert publish(server, b"ch", b"hi") == 2
    assert got_a == [b"*3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$2\r\nhi\r\n"]
    assert got_b == [b">4\r\n$8\r\npmessage\r\n$2\r\nc*\r\n$2\r\nch\r\n$2\r\nhi\r\n"]
    assert publish(server, b"other", b"x") == 0


def test_subscription_tables_are_cleaned():
    server = Server()
    a, _ = listener(server)
    run(a, "SUBSCRIBE", "x", "y")
    run(a, "PSUBSCRIBE", "p*")
    run(a, "SSUBSCRIBE", "s")
    assert server.hooks["pubsub_counts"]() == (2, 1, 1)
    run(a, "UNSUBSCRIBE", "x")
    assert server.hooks["pubsub_counts"]() == (1, 1, 1)
    for fn in server.hooks["on_disconnect"]:
        fn(a)
    assert server.hooks["pubsub_counts"]() == (0, 0, 0)
    assert not a.subscribed


def test_keyspace_events_go_to_both_channel_kinds():
    server = Server()
    server.config.set_many([("notify-keyspace-events", "KEA")])
    a, got = listener(server)
    run(a, "PSUBSCRIBE", "__key*")
    writer = Session(server)
    writer.select(3)
    run(writer, "SET", "k", "v")
    assert [m.split(b"\r\n")[6:9:2] for m in got] == [
        [b"__keyspace@3__:k", b"set"], [b"__keyevent@3__:set", b"k"]]


def test_no_subscriber_no_work(monkeypatch):
    server = Server()
    server.config.set_many([("notify-keyspace-events", "KEA")])
    calls = []
    monkeypatch.setattr(pubsub, "publish", lambda *a: calls.append(a) or 0)
    run(Session(server), "SET", "k", "v")
    assert calls == []  # nobody subscribed: no channel names built, nothing published
    s, _ = listener(server)
    run(s, "SUBSCRIBE", "unrelated")
    run(Session(server), "SET", "k", "v")
    assert len(calls) == 2
