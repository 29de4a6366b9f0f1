"""Snapshots on disk in-process: SAVE, BGSAVE (a real fork), save points,
the shutdown and FLUSHALL hooks, DEBUG RELOAD and loading at start-up."""

from __future__ import annotations

import os
import time

import pytest
import trio

import crabcache.commands  # noqa: F401  (registers commands, persistence setup)
from crabcache import dispatch
from crabcache.config import Config
from crabcache.datatypes.containers import Hash
from crabcache.errors import CommandError
from crabcache.persistence import rdb, snapshot
from crabcache.server.session import Session
from crabcache.server.state import Server


class Recorder:
    """A Log stand-in that keeps the lines."""

    role = "M"

    def __init__(self) -> None:
        self.lines: list[str] = []

    def notice(self, msg: str) -> None:
        self.lines.append(msg)

    warning = verbose = debug = notice


def make(tmp_path, autosave: bool = True, **cfg) -> tuple[Server, Session, Recorder]:
    c = Config()
    c.values["dir"] = str(tmp_path)
    c.values["enable-debug-command"] = "yes"
    c.values.update({k.replace("_", "-"): v for k, v in cfg.items()})
    s = Server(c)
    snapshot.state(s).autosave = autosave
    log = s.hooks["log"] = Recorder()
    return s, Session(s), log


def run(sess: Session, *args: bytes):
    reply = dispatch.execute(sess, list(args))
    return reply.message if isinstance(reply, CommandError) else reply


def load_back(path) -> Server:
    s = Server(Config())
    snapshot.load_file(s, str(path))
    return s


def test_save_writes_atomically_and_resets_dirty(tmp_path):
    s, sess, log = make(tmp_path)
    run(sess, b"SET", b"k", b"v")
    s.dbs[0].set(b"h", Hash({b"f": b"1"}))
    s.lastsave = 0
    assert s.dirty == 1
    assert run(sess, b"SAVE").text == b"OK"
    assert sorted(os.listdir(tmp_path)) == ["dump.rdb"]  # no temp file left behind
    assert s.dirty == 0 and abs(s.lastsave - time.time()) < 5
    assert run(sess, b"LASTSAVE") == s.lastsave
    assert "DB saved on disk" in log.lines
    back = load_back(tmp_path / "dump.rdb")
    assert back.dbs[0].lookup(b"k") == b"v" and back.dbs[0].lookup(b"h") == {b"f": b"1"}


def test_save_failure_replies_err_and_logs(tmp_path):
    s, sess, log = make(tmp_path / "missing")
    assert run(sess, b"SAVE") == "ERR"
    assert any(line.startswith("Failed opening the temp RDB file temp-") for line in log.lines)


def test_save_refused_inside_multi(tmp_path):
    s, sess, _ = make(tmp_path)
    sess.multi = []  # as MULTI leaves it (SAVE is no_multi, so it still reaches its handler)
    assert run(sess, b"SAVE") == "ERR Command not allowed inside a transaction"


def test_bgsave_forks_and_the_parent_reaps_the_child(tmp_path):
    s, sess, log = make(tmp_path)
    run(sess, b"SET", b"k", b"v")
    assert run(sess, b"BGSAVE").text == b"Background saving started"
    st = snapshot.state(s)
    assert st.child_pid is not None and st.total_forks == 1
    run(sess, b"SET", b"k2", b"v")  # a write during the save stays dirty
    assert snapshot.poll_child(s, block=True)
    assert st.child_pid is None and st.last_bgsave_ok
    assert s.dirty == 1
    assert "Background saving terminated with success" in log.lines
    assert load_back(tmp_path / "dump.rdb").dbs[0].lookup(b"k") == b"v"
    info = dict(line.split(":", 1) for line in snapshot.info_lines(s))
    assert info["rdb_bgsave_in_progress"] == "0" and info["rdb_last_bgsave_status"] == "ok"
    assert info["rdb_changes_since_last_save"] == "1"


def test_bgsave_error_is_reported(tmp_path):
    s, sess, log = make(tmp_path / "missing")
    assert run(sess, b"BGSAVE").text == b"Background saving started"
    snapshot.poll_child(s, block=True)
    assert "Background saving error" in log.lines
    assert "rdb_last_bgsave_status:err" in snapshot.info_lines(s)


@pytest.fixture
def slow_child(monkeypatch):
    # The forked child runs this instead of writing: it is still busy when we look.
    monkeypatch.setattr(snapshot, "write_file", lambda *a, **k: time.sleep(30))


def test_bgsave_in_progress_errors_and_kill(tmp_path, slow_child):
    s, sess, log = make(tmp_path)
    assert run(sess, b"BGSAVE").text == b"Background saving started"
    assert run(sess, b"BGSAVE") == "ERR Background save already in progress"
    assert run(sess, b"BGSAVE", b"SCHEDULE") == "ERR Background save already in progress"
    assert run(sess, b"SAVE") == "ERR Background save already in progress"
    assert run(sess, b"BGSAVE", b"x") == "ERR syntax error"
    assert "rdb_bgsave_in_progress:1" in snapshot.info_lines(s)
    snapshot.kill_child(s)
    st = snapshot.state(s)
    assert st.child_pid is None and st.last_bgsave_ok  # killed on purpose: not an error
    assert "Background saving terminated by signal 10" in log.lines


def test_bgsave_inside_exec_is_scheduled_and_cron_starts_it(tmp_path):
    s, sess, log = make(tmp_path, save=[])
    sess.in_exec = True
    assert run(sess, b"BGSAVE").text == b"Background saving scheduled"
    sess.in_exec = False
    assert snapshot.state(s).scheduled
    for fn in s.hooks["cron"]:
        fn()
    assert not snapshot.state(s).scheduled and snapshot.state(s).child_pid is not None
    snapshot.poll_child(s, block=True)
    assert (tmp_path / "dump.rdb").exists()


def test_save_points_trigger_bgsave_from_cron(tmp_path):
    s, sess, log = make(tmp_path, save=[(100, 2)])
    run(sess, b"SET", b"k", b"v")
    s.lastsave = int(time.time()) - 200
    for fn in s.hooks["cron"]:
        fn()
    assert snapshot.state(s).child_pid is None  # 1 change < 2
    run(sess, b"SET", b"k", b"w")
    for fn in s.hooks["cron"]:
        fn()
    assert "2 changes in 100 seconds. Saving..." in log.lines
    snapshot.poll_child(s, block=True)
    assert s.dirty == 0
    assert load_back(tmp_path / "dump.rdb").dbs[0].lookup(b"k") == b"w"


async def test_bgsave_child_is_watched_by_a_trio_task(tmp_path):
    s, sess, log = make(tmp_path)
    run(sess, b"SET", b"k", b"v")
    assert run(sess, b"BGSAVE").text == b"Background saving started"
    with trio.fail_after(10):
        while snapshot.state(s).child_pid is not None:
            await trio.sleep(0.01)
    assert "Background saving terminated with success" in log.lines
    assert s.dirty == 0


@pytest.mark.parametrize("save_cfg,flag,saved", [
    ([(3600, 1)], None, True),   # SHUTDOWN / SIGTERM with save points
    ([], None, False),           # no save points
    ([], True, True),            # SHUTDOWN SAVE
    ([(3600, 1)], False, False),  # SHUTDOWN NOSAVE
])
def test_shutdown_hook(tmp_path, save_cfg, flag, saved):
    s, sess, log = make(tmp_path, save=save_cfg)
    run(sess, b"SET", b"k", b"v")
    for fn in s.hooks["shutdown"]:
        fn(flag)
    assert (tmp_path / "dump.rdb").exists() == saved
    assert ("Saving the final RDB snapshot before exiting." in log.lines) == saved


def test_shutdown_kills_a_running_child(tmp_path, slow_child):
    s, sess, log = make(tmp_path, save=[])
    run(sess, b"BGSAVE")
    for fn in s.hooks["shutdown"]:
        fn(False)
    assert snapshot.state(s).child_pid is None
    assert "There is a child saving an .rdb. Killing it!" in log.lines


def test_no_automatic_saves_unless_armed(tmp_path):
    s, sess, log = make(tmp_path, autosave=False, save=[(1, 1)])
    run(sess, b"SET", b"k", b"v")
    s.lastsave = 0
    for fn in s.hooks["cron"]:
        fn()
    for fn in s.hooks["shutdown"]:
        fn(None)
    run(sess, b"FLUSHALL")
    assert os.listdir(tmp_path) == [] and snapshot.state(s).child_pid is None
    for fn in s.hooks["shutdown"]:
        fn(True)  # SHUTDOWN SAVE is explicit
    assert os.listdir(tmp_path) == ["dump.rdb"]


def test_flushall_rewrites_the_file_when_save_points_are_set(tmp_path):
    s, sess, log = make(tmp_path, save=[(3600, 1)])
    run(sess, b"SET", b"k", b"v")
    run(sess, b"SAVE")
    run(sess, b"FLUSHALL")
    assert load_back(tmp_path / "dump.rdb").dbs[0].size == 0
    assert s.dirty > 0  # FLUSHALL itself still counts as a change


def test_debug_reload(tmp_path):
    s, sess, log = make(tmp_path)
    run(sess, b"SET", b"k", b"v")
    s.dbs[0].set(b"h", Hash({b"a": b"b"}))
    assert run(sess, b"DEBUG", b"RELOAD").text == b"OK"
    assert s.dbs[0].lookup(b"k") == b"v" and s.dbs[0].lookup(b"h") == {b"a": b"b"}
    assert "DB reloaded by DEBUG RELOAD" in log.lines
    # NOSAVE: what is on disk comes back; NOFLUSH without MERGE meets duplicates
    run(sess, b"SET", b"new", b"1")
    assert run(sess, b"DEBUG", b"RELOAD", b"NOSAVE").text == b"OK"
    assert s.dbs[0].lookup(b"new") is None
    assert run(sess, b"DEBUG", b"RELOAD", b"NOFLUSH") == \
        "ERR Error trying to load the RDB dump, check server logs."
    run(sess, b"SET", b"k", b"changed")
    assert run(sess, b"DEBUG", b"RELOAD", b"NOSAVE", b"NOFLUSH", b"MERGE").text == b"OK"
    assert s.dbs[0].lookup(b"k") == b"v"
    assert run(sess, b"DEBUG", b"RELOAD", b"BAD") == \
        "ERR DEBUG RELOAD only supports the MERGE, NOFLUSH and NOSAVE options."


def test_load_at_startup(tmp_path):
    s, _, log = make(tmp_path)
    assert snapshot.load_at_startup(s)  # no file: nothing to do
    assert log.lines == []
    src, sess, _ = make(tmp_path)
    run(sess, b"SET", b"k", b"v")
    run(sess, b"SAVE")
    s, _, log = make(tmp_path)
    assert snapshot.load_at_startup(s)
    assert s.dbs[0].lookup(b"k") == b"v"
    assert any(line.startswith("DB loaded from disk: ") and line.endswith(" seconds") for line in log.lines)
    assert "Done loading RDB, keys loaded: 1, keys expired: 0." in log.lines
    assert "rdb_last_load_keys_loaded:1" in snapshot.info_lines(s)
    data = (tmp_path / "dump.rdb").read_bytes()
    (tmp_path / "dump.rdb").write_bytes(data[:-1])
    s, _, log = make(tmp_path)
    assert not snapshot.load_at_startup(s)
    assert log.lines == ["Fatal error loading the DB: %s. Exiting." % rdb.SHORT_READ]
    (tmp_path / "dump.rdb").write_bytes(b"")  # an empty file is a short read too
    assert not snapshot.load_at_startup(make(tmp_path)[0])
