"""MULTI/EXEC/WATCH on the session level: no sockets, the clock under control."""

from __future__ import annotations

import crabcache.commands  # noqa: F401  (registers commands)
from crabcache.dispatch import execute
from crabcache.errors import CommandError
from crabcache.protocol.writer import NULL_ARRAY, OK, PONG, QUEUED
from crabcache.server.session import Session
from crabcache.server.state import ManualClock, Server


def run(s: Session, *args: str | bytes):
    return execute(s, [a if isinstance(a, bytes) else a.encode() for a in args])


def exec_ping(s: Session):
    assert run(s, "MULTI") is OK
    assert run(s, "PING") is QUEUED
    return run(s, "EXEC")


def setup_server() -> tuple[Server, Session, Session]:
    server = Server()
    server.set_clock(ManualClock(1_000_000))
    return server, Session(server), Session(server)


def test_queue_and_exec_collects_errors_as_values():
    _, s, _ = setup_server()
    run(s, "MULTI")
    assert run(s, "SET", "k", "v") is QUEUED
    assert run(s, "INCR", "k") is QUEUED
    out = run(s, "EXEC")
    assert out[0] is OK and isinstance(out[1], CommandError)
    assert s.multi is None and not s.in_exec


def test_watch_is_dirtied_by_another_session_and_cleaned_up():
    server, s, other = setup_server()
    db = server.dbs[0]
    run(s, "WATCH", "x", "y")
    assert set(db.watchers) == {b"x", b"y"}
    run(other, "SET", "x", "1")
    assert s.watch_dirty
    assert exec_ping(s) is NULL_ARRAY
    assert db.watchers == {} and not s.watched and not s.watch_dirty


def test_watched_key_whose_ttl_passes_aborts_without_being_touched():
    server, s, _ = setup_server()
    run(s, "SET", "x", "1", "PX", "100")
    run(s, "WATCH", "x")
    server.clock.advance(101)  # nobody reads it: only EXEC's check can notice
    assert exec_ping(s) is NULL_ARRAY


def test_key_already_expired_when_watched():
    server, s, other = setup_server()
    run(s, "SET", "x", "1", "PX", "100")
    server.clock.advance(101)
    run(s, "WATCH", "x")
    run(other, "GET", "x")
    assert exec_ping(s) == [PONG]


def test_flush_touches_only_existing_keys():
    _, s, other = setup_server()
    run(s, "WATCH", "missing")
    run(other, "FLUSHALL")
    assert not s.watch_dirty
    run(other, "SET", "present", "1")
    run(s, "WATCH", "present")
    run(other, "FLUSHDB")
    assert s.watch_dirty


def test_disconnect_and_reset_forget_watches():
    server, s, other = setup_server()
    run(s, "WATCH", "a")
    for fn in server.hooks["on_disconnect"]:
        fn(s)
    assert server.dbs[0].watchers == {}
    run(other, "WATCH", "b")
    run(other, "MULTI")
    assert run(other, "RESET").text == b"RESET"
    assert server.dbs[0].watchers == {} and other.multi is None


def test_no_multi_command_and_nesting():
    _, s, _ = setup_server()
    run(s, "MULTI")
    assert run(s, "SHUTDOWN").message == "ERR Command not allowed inside a transaction"
    assert run(s, "MULTI").message == "ERR MULTI calls can not be nested"
    assert run(s, "EXEC").message.startswith("EXECABORT")
