"""The script engine in process: atomicity, busy mode, kill (crabcache.scripting.engine)."""

import trio

import crabcache.commands  # noqa: F401  (registers every command)
from crabcache.dispatch import Deferred, execute
from crabcache.errors import CommandError
from crabcache.server.session import Session
from crabcache.server.state import Server


def run(c, *args):
    return execute(c, [a if isinstance(a, bytes) else str(a).encode() for a in args])


def test_short_scripts_run_synchronously():
    s = Server()
    c = Session(s)
    assert run(c, "EVAL", "return redis.call('set', KEYS[1], ARGV[1])", 1, "k", "v").text == b"OK"
    assert run(c, "GET", "k") == b"v"
    assert s.busy is None and s.scripting.current is None


def test_script_sees_callers_db_and_select_is_local():
    s = Server()
    c = Session(s)
    run(c, "SELECT", 2)
    run(c, "EVAL", "redis.call('set', 'a', '1') redis.call('select', 3) redis.call('set', 'b', '2')", 0)
    assert s.dbs[2].lookup(b"a") == b"1" and s.dbs[3].lookup(b"b") == b"2"
    assert c.db is s.dbs[2]


def test_clock_is_frozen_during_a_script():
    s = Server()
    c = Session(s)
    now = s.now_ms()
    assert run(c, "EVAL", "return 1", 0) == 1
    assert abs(s.now_ms() - now) < 1000  # the real clock is back afterwards


async def test_busy_mode_rejects_others_and_kill_ends_it():
    s = Server()
    s.config.set_many([("busy-reply-threshold", "50")])
    a, b = Session(s), Session(s)
    r = run(a, "EVAL", "local i = 0 while true do i = i + 1 end", 0)
    assert isinstance(r, Deferred) and s.busy is not None
    e = run(b, "GET", "x")
    assert isinstance(e, CommandError) and e.message.startswith("BUSY Redis is busy running a script.")
    assert run(b, "PING").message.startswith("BUSY")
    assert run(b, "FUNCTION", "KILL").message.startswith("BUSY")
    assert run(b, "SCRIPT", "KILL").text == b"OK"
    with trio.fail_after(10):
        out = await r.wait()
    assert out.message.startswith("ERR Script killed by user with SCRIPT KILL... script: ")
    assert s.busy is None and s.active_expire_enabled
    assert run(b, "PING").text == b"PONG"


async def test_busy_script_keeps_running_between_slices():
    s = Server()
    s.config.set_many([("busy-reply-threshold", "20")])
    a = Session(s)
    script = "local t = 0 for i = 1, 3000000 do t = t + i end redis.call('set', 'done', t) return 'ok'"
    r = run(a, "EVAL", script, 0)
    if isinstance(r, Deferred):
        assert run(Session(s), "GET", "done").message.startswith("BUSY")
        with trio.fail_after(60):
            r = await r.wait()
    assert r == b"ok"
    assert s.dbs[0].lookup(b"done") is not None


def test_function_load_and_fcall_in_process():
    s = Server()
    c = Session(s)
    assert run(c, "FUNCTION", "LOAD", "#!lua name=l\nredis.register_function('f', function(k, a) return #k end)") == b"l"
    assert run(c, "FCALL", "f", 2, "a", "b") == 2
    payload = run(c, "FUNCTION", "DUMP")
    s2 = Server()
    c2 = Session(s2)
    assert run(c2, "FUNCTION", "RESTORE", payload).text == b"OK"
    assert run(c2, "FCALL", "F", 0) == 0
    assert s.hooks["functions_dump"]() == [b"#!lua name=l\nredis.register_function('f', function(k, a) return #k end)"]
