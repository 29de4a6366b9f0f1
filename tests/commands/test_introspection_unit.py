"""MONITOR rendering, SLOWLOG entries, LATENCY samples and the CLIENT PAUSE gate, no sockets."""

from __future__ import annotations

import time

import trio
import trio.testing

import crabcache.commands  # noqa: F401  (registers commands)
from crabcache import dispatch
from crabcache.commands.introspection import PauseWait, _repr, redact
from crabcache.dispatch import execute
from crabcache.server.session import Session
from crabcache.server.state import Server


def run(s: Session, *args: str | bytes):
    return execute(s, [a if isinstance(a, bytes) else a.encode() for a in args])


def test_repr_matches_sdscatrepr():
    assert _repr(b"plain text") == b'"plain text"'
    assert _repr(b'a"b\\c\n\r\t\x07\x08\x00\xff') == b'"a\\"b\\\\c\\n\\r\\t\\a\\b\\x00\\xff"'


def test_redaction():
    assert redact([b"AUTH", b"pw"]) == [b"AUTH", b"(redacted)"]
    assert redact([b"hello", b"3", b"SETNAME", b"n", b"AUTH", b"u", b"p"]) == [
        b"hello", b"3", b"SETNAME", b"n", b"AUTH", b"(redacted)", b"(redacted)"]
    assert redact([b"GET", b"auth"]) == [b"GET", b"auth"]


def test_hot_path_switches():
    server = Server()
    assert server.gate is None and server.slow_ns == 10000 * 1000
    server.config.set_many([("latency-monitor-threshold", "5")])
    assert server.slow_ns == 5000 * 1000
    server.config.set_many([("slowlog-log-slower-than", "-1"), ("latency-monitor-threshold", "0")])
    assert server.slow_ns >= 1 << 62
    m = Session(server)
    m.deliver = lambda data: None
    run(m, "MONITOR")
    assert server.gate is not None and server.slow_ns == 0
    run(m, "RESET")
    assert server.gate is None and server.slow_ns >= 1 << 62


def test_slowlog_entry_shape():
    server = Server()
    server.config.set_many([("slowlog-log-slower-than", "0")])
    s = Session(server, "1.2.3.4:5")
    s.name = b"me"
    run(s, "MSET", *[b"%d" % i for i in range(40)])
    [entry] = run(s, "SLOWLOG", "GET", "1")
    assert entry[0] == 0 and entry[4:] == [b"1.2.3.4:5", b"me"]
    assert entry[3][-1] == b"... (10 more arguments)" and len(entry[3]) == 32


def test_latency_samples_merge_within_a_second():
    server = Server()
    ist = server.hooks["introspection"]
    ist.latency_add(b"command", 20)
    ist.latency_add(b"command", 30)
    ist.latency_add(b"command", 10)
    ev = ist.latency[b"command"]
    assert len(ev.samples) == 1 and ev.samples[-1][1] == 30 and ev.max == 30


def test_pause_gate_and_unpause():
    server = Server()
    admin, writer = Session(server), Session(server)
    run(admin, "CLIENT", "PAUSE", "100000", "WRITE")
    assert run(writer, "GET", "k") is None
    held = run(writer, "SET", "k", "v")
    assert isinstance(held, PauseWait)
    run(admin, "CLIENT", "PAUSE", "10", "ALL")  # widens to ALL, keeps the later deadline
    p = server.hooks["introspection"].pause
    assert p.all and p.end - time.monotonic() > 50

    async def main():
        result = []

        async def waiter():
            result.append(await held.wait())

        async with trio.open_nursery() as n:
            n.start_soon(waiter)
            await trio.testing.wait_all_tasks_blocked()
            assert writer.blocked is held
            server.hooks["introspection"].unpause()
        assert result == [dispatch.RETRY] and writer.blocked is None

    trio.run(main)
    assert server.gate is None
