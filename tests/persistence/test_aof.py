"""The AOF in-process: the manifest, what the propagation layer hands the file
(Redis 7.0's rewrites, MULTI/EXEC wrapping, SELECT), loading (truncated,
corrupt, MULTI cut short, old single file), BGREWRITEAOF with a real fork,
CONFIG SET appendonly, fsync policies, write errors, and the fast lane."""

from __future__ import annotations

import os
import threading
import time

import pytest
import trio

import crabcache.commands  # noqa: F401  (registers commands, persistence setup)
from crabcache import dispatch
from crabcache.config import Config, load
from crabcache.errors import CommandError
from crabcache.persistence import aof, propagate, snapshot
from crabcache.server.app import serve
from crabcache.server.session import Session
from crabcache.server.state import ManualClock, Server

from .test_snapshot import Recorder

NOW = 1_700_000_000_000


def make(tmp_path, start: bool = True, **cfg) -> tuple[Server, Session, Recorder]:
    c = Config()
    c.values["dir"] = str(tmp_path)
    c.values["enable-debug-command"] = "yes"
    c.values["save"] = []
    c.values.update({k.replace("_", "-"): v for k, v in cfg.items()})
    s = Server(c)
    s.set_clock(ManualClock(NOW))
    log = s.hooks["log"] = Recorder()
    if start:
        c.values["appendonly"] = True
        assert aof.load_at_startup(s)
    return s, Session(s), log


def run(sess: Session, *args: bytes | str) -> object:
    reply = dispatch.execute(sess, [a.encode() if isinstance(a, str) else a for a in args])
    return reply.message if isinstance(reply, CommandError) else reply


def written(s: Server, seq: int = 1) -> list[str]:
    """The INCR file's commands as text, after flushing the buffer."""
    aof.flush(s)
    with open(os.path.join(aof.aof_dir(s), "appendonly.aof.%d.incr.aof" % seq), "rb") as f:
        data = f.read()
    return [b" ".join(argv).decode("latin-1") for argv, _ in aof._parse_commands(data, 0)]


def restarted(s: Server, **cfg) -> tuple[Server, Session, Recorder]:
    aof.stop(s)
    return make(s.config["dir"], **cfg)


# --- the manifest ---------------------------------------------------------------------


def test_manifest_text_round_trip_and_errors():
    text = ("file appendonly.aof.2.base.rdb seq 2 type b\n"
            "file appendonly.aof.1.incr.aof seq 0 type h\n"
            "file appendonly.aof.2.incr.aof seq 2 type i\n"
            "file appendonly.aof.3.incr.aof seq 3 type i\n")
    m = aof.Manifest.parse(text)
    assert m.base == ("appendonly.aof.2.base.rdb", 2) and m.history == ["appendonly.aof.1.incr.aof"]
    assert m.incr_seq == 3 and m.text() == text
    with pytest.raises(aof.AofError, match="Invalid AOF manifest file format"):
        aof.Manifest.parse("file x seq one type i\n")
    with pytest.raises(aof.AofError, match="Found duplicate base file information"):
        aof.Manifest.parse("file a seq 1 type b\nfile b seq 2 type b\n")
    with pytest.raises(aof.AofError, match="Found a non-monotonic sequence number"):
        aof.Manifest.parse("file a seq 2 type i\nfile b seq 1 type i\n")


def test_startup_creates_base_incr_and_manifest(tmp_path):
    s, sess, log = make(tmp_path)
    assert sorted(os.listdir(tmp_path / "appendonlydir")) == [
        "appendonly.aof.1.base.rdb", "appendonly.aof.1.incr.aof", "appendonly.aof.manifest"]
    assert "Creating AOF base file appendonly.aof.1.base.rdb on server start" in log.lines
    assert "Creating AOF incr file appendonly.aof.1.incr.aof on server start" in log.lines
    assert s.prop is not None and sess.plain  # the fast lane propagates too


# --- what is written ------------------------------------------------------------------


def test_relative_times_become_absolute(tmp_path):
    s, sess, _ = make(tmp_path)
    run(sess, "SET", "a", "1", "EX", "10")
    run(sess, "SET", "b", "1", "PX", "500", "NX")
    run(sess, "SETEX", "c", "5", "v")
    run(sess, "EXPIRE", "a", "100")
    run(sess, "GETEX", "a", "PX", "7")
    run(sess, "GETEX", "a", "PERSIST")
    run(sess, "SET", "d", "1", "PXAT", str(NOW + 9))
    run(sess, "GETEX", "d", "EXAT", "1")  # in the past: gone
    assert written(s) == [
        "SELECT 0", "SET a 1 PXAT %d" % (NOW + 10_000), "SET b 1 PXAT %d" % (NOW + 500),
        "SET c v PXAT %d" % (NOW + 5000), "PEXPIREAT a %d" % (NOW + 100_000), "PEXPIREAT a %d" % (NOW + 7),
        "PERSIST a", "SET d 1 PXAT %d" % (NOW + 9), "DEL d"]


def test_lazy_and_active_expiry_are_deletes(tmp_path):
    s, sess, _ = make(tmp_path)
    clock = s.clock
    run(sess, "SET", "a", "1", "PX", "10")
    run(sess, "SET", "b", "1", "PX", "10")
    clock.advance(20)
    assert run(sess, "GET", "a") is None  # lazy: one DEL on its own
    s.dbs[0].active_expire(s.now_ms(), time.perf_counter() + 1, time.perf_counter)
    run(sess, "SET", "c", "1", "PX", "10")
    clock.advance(20)
    run(sess, "SET", "c", "2", "XX")  # the expired key goes in the same unit as the SET that met it
    s.config.values["lazyfree-lazy-expire"] = True
    run(sess, "SET", "e", "1", "PX", "10")
    clock.advance(20)
    run(sess, "GET", "e")
    assert written(s)[3:] == ["DEL a", "DEL b", "SET c 1 PXAT %d" % (NOW + 30), "DEL c",
                              "SET e 1 PXAT %d" % (NOW + 50), "UNLINK e"]


def test_eviction_is_a_delete(tmp_path):
    s, sess, _ = make(tmp_path)
    for i in range(50):
        run(sess, "SET", "k%d" % i, "x" * 1000)
    run(sess, "CONFIG", "SET", "maxmemory-policy", "allkeys-random")
    s.eviction.perform_evictions(10**9, 1)  # far over the limit: evicts what it can in one go
    dels = [c for c in written(s) if c.startswith("DEL ")]
    assert dels and len(dels) == 50 - s.dbs[0].size


def test_randomness_and_float_arithmetic_are_replaced_by_results(tmp_path):
    s, sess, _ = make(tmp_path)
    run(sess, "SADD", "s", "a", "b", "c", "d")
    one = run(sess, "SPOP", "s")
    two = run(sess, "SPOP", "s", "2")
    run(sess, "INCRBYFLOAT", "f", "0.1")
    run(sess, "INCRBYFLOAT", "f", "0.2")
    run(sess, "HINCRBYFLOAT", "h", "x", "1e2")
    got = written(s)
    assert got[2] == "SREM s %s" % one.decode()
    assert got[3] == "MULTI" and got[6] == "EXEC"
    assert sorted(got[4:6]) == sorted("SREM s %s" % m.decode() for m in two)
    assert got[7:] == ["SET f 0.1 KEEPTTL", "SET f 0.3 KEEPTTL", "HSET h x 100"]


def test_transactions_scripts_and_select(tmp_path):
    s, sess, _ = make(tmp_path)
    run(sess, "MULTI")
    run(sess, "SET", "a", "1")
    run(sess, "SELECT", "2")
    run(sess, "SET", "b", "1")
    run(sess, "GET", "b")
    run(sess, "EXEC")
    run(sess, "EVAL", "redis.call('set', 'c', '1') return 1", "0")  # one write: no MULTI
    run(sess, "EVAL", "redis.call('select', 5) redis.call('set', 'd', '1') redis.call('set', 'e', '1')", "0")
    run(sess, "SET", "f", "1")
    # (checked against Redis 7.0.15: the SELECT for a unit's first database goes before its MULTI)
    assert written(s) == ["SELECT 0", "MULTI", "SET a 1", "SELECT 2", "SET b 1", "EXEC", "set c 1",
                          "SELECT 5", "MULTI", "set d 1", "set e 1", "EXEC", "SELECT 2", "SET f 1"]


def test_failed_and_no_op_commands_are_not_written(tmp_path):
    s, sess, _ = make(tmp_path)
    run(sess, "SET", "a", "1")
    assert run(sess, "LPUSH", "a", "x").startswith("WRONGTYPE")
    run(sess, "SET", "a", "2", "NX")
    run(sess, "DEL", "missing")
    run(sess, "GET", "a")
    run(sess, "SAVE")  # lowers the dirty counter: not a write
    assert written(s) == ["SELECT 0", "SET a 1"]


def test_flushdb_is_written_even_when_empty_and_swapdb(tmp_path):
    s, sess, _ = make(tmp_path)
    run(sess, "FLUSHDB")
    run(sess, "SWAPDB", "0", "0")
    assert written(s) == ["SELECT 0", "FLUSHDB", "SWAPDB 0 0"]


def test_blocked_clients_served_later(tmp_path):
    s, sess, _ = make(tmp_path)
    other = Session(s)
    assert isinstance(run(other, "BLMOVE", "src", "dst", "RIGHT", "LEFT", "0"), dispatch.Deferred)
    run(sess, "RPUSH", "src", "a", "b")
    s.hooks["serve_ready"]()
    assert isinstance(run(other, "BZMPOP", "0", "1", "z", "MIN", "COUNT", "5"), dispatch.Deferred)
    run(sess, "ZADD", "z", "1", "m")
    s.hooks["serve_ready"]()
    assert written(s) == ["SELECT 0", "RPUSH src a b", "LMOVE src dst RIGHT LEFT", "ZADD z 1 m", "ZPOPMIN z 1"]


def test_streams(tmp_path):
    s, sess, _ = make(tmp_path)
    run(sess, "XADD", "st", "*", "a", "1")
    run(sess, "XGROUP", "CREATE", "st", "g", "0")
    run(sess, "XREADGROUP", "GROUP", "g", "alice", "STREAMS", "st", ">")
    run(sess, "XREADGROUP", "GROUP", "g", "alice", "STREAMS", "st", "0")  # history: nothing written
    s.clock.advance(5)
    run(sess, "XCLAIM", "st", "g", "bob", "0", "%d-0" % NOW)
    run(sess, "XADD", "st", "MAXLEN", "~", "1", "*", "b", "2")  # trims nothing: a node goes whole
    assert written(s) == [
        "SELECT 0", "XADD st %d-0 a 1" % NOW, "XGROUP CREATE st g 0",
        "XCLAIM st g alice 0 %d-0 TIME %d RETRYCOUNT 1 FORCE JUSTID LASTID %d-0" % (NOW, NOW, NOW),
        "XCLAIM st g bob 0 %d-0 TIME %d RETRYCOUNT 3 FORCE JUSTID LASTID %d-0" % (NOW, NOW + 5, NOW),
        "XADD st MAXLEN = 2 %d-0 b 2" % (NOW + 5)]


LANE_READS = [  # two reads; "old" expires between them
    [["SET", "a", "1"], ["SET", "b", "2"], ["SET", "c", "3", "EX", "100"], ["GET", "a"], ["GET", "a"],
     ["INCR", "n"], ["INCR", "n"], ["INCRBYFLOAT", "f", "1.5"], ["EXPIRE", "a", "50"],
     ["SADD", "s", "x"], ["SPOP", "s"], ["SPOP", "s"], ["LPUSH", "l", "1"], ["LPUSH", "l", "2"],
     ["RPOP", "l"], ["HSET", "h", "f", "v"], ["ZADD", "z", "1", "m"], ["ZADD", "z", "1", "m"],
     ["LPUSH", "a", "x"], ["SET", "old", "v", "PX", "5"]],
    [["GET", "old"], ["DEL", "b", "nope"], ["GET", "nope"], ["APPEND", "a", "z"], ["SETNX", "a", "q"],
     ["MSET", "m1", "1", "m2", "2"]],
]


def test_the_lane_writes_what_call_writes(tmp_path):
    # The same commands, each read's batch through dispatch.run_batch (the fast
    # lane, with runs of one command) and one by one through execute: the same
    # AOF, replies and data.  "old" expires between the reads and the GET that
    # finds it deletes it lazily: a DEL in the file.
    lane, lane_sess, _ = make(tmp_path / "lane")
    full, full_sess, _ = make(tmp_path / "full")
    assert lane_sess.plain
    got: list[bytes] = []
    want: list[bytes] = []
    for read in LANE_READS:
        batch = [[a.encode() for a in argv] for argv in read]
        lane_sess.refresh()
        assert dispatch.run_batch(lane_sess, batch, 0, got) == (len(batch), None)
        for argv in batch:
            dispatch.emit(full_sess, dispatch.execute(full_sess, list(argv)), want)
        lane.clock.advance(10)
        full.clock.advance(10)
    assert b"".join(got) == b"".join(want)
    assert written(lane) == written(full)
    assert "SREM s x" in written(lane) and "DEL old" in written(lane)  # rewrites and lazy expiry ran
    assert {k: repr(v) for k, v in lane.dbs[0].data.items()} == {k: repr(v) for k, v in full.dbs[0].data.items()}


def test_nothing_is_written_and_the_lane_is_open_without_aof(tmp_path):
    s, sess, _ = make(tmp_path, start=False)
    assert s.prop is None and sess.plain
    run(sess, "SET", "a", "1", "EX", "5")
    propagate.rewrite(sess, [b"X"])  # a no-op without a propagator
    assert s.aof_buf == [] and not (tmp_path / "appendonlydir").exists()


# --- loading --------------------------------------------------------------------------


def test_restart_reads_everything_back(tmp_path):
    s, sess, _ = make(tmp_path)
    run(sess, "SET", "a", "1", "EX", "100")
    run(sess, "RPUSH", "l", "x", "y")
    run(sess, "SELECT", "3")
    run(sess, "HSET", "h", "f", "v")
    run(sess, "FUNCTION", "LOAD", "#!lua name=lib\nredis.register_function('f', function() return 1 end)")
    s2, sess2, log = restarted(s)
    db0, db3 = s2.dbs[0], s2.dbs[3]
    assert db0.lookup(b"a") == b"1" and db0.get_ttl(b"a") == NOW + 100_000
    assert list(db0.lookup(b"l")) == [b"x", b"y"] and db3.lookup(b"h") == {b"f": b"v"}
    assert run(sess2, "FCALL", "f", "0") == 1
    assert "DB loaded from incr file appendonly.aof.1.incr.aof: " in " ".join(log.lines)
    assert "Opening AOF incr file appendonly.aof.1.incr.aof on server start" in log.lines
    assert s2.dirty == 0


def incr_path(s: Server) -> str:
    return os.path.join(aof.aof_dir(s), "appendonly.aof.1.incr.aof")


def test_truncated_last_file_loads_up_to_the_last_whole_command(tmp_path):
    s, sess, _ = make(tmp_path)
    run(sess, "SET", "a", "1")
    run(sess, "SET", "b", "2")
    aof.stop(s)
    os.truncate(incr_path(s), os.path.getsize(incr_path(s)) - 4)
    s2, _, log = make(tmp_path)
    assert s2.dbs[0].lookup(b"a") == b"1" and s2.dbs[0].lookup(b"b") is None
    assert os.path.getsize(incr_path(s2)) == 50
    assert log.lines[log.lines.index("!!! Warning: short read while loading the AOF file "
                                     "appendonly.aof.1.incr.aof!!!") + 1] == \
        "!!! Truncating the AOF appendonly.aof.1.incr.aof at offset 50 !!!"


def test_truncated_transaction_is_dropped_whole(tmp_path):
    s, sess, _ = make(tmp_path)
    run(sess, "SET", "a", "1")
    run(sess, "MULTI")
    run(sess, "SET", "b", "1")
    run(sess, "SET", "c", "1")
    run(sess, "EXEC")
    aof.stop(s)
    os.truncate(incr_path(s), os.path.getsize(incr_path(s)) - 3)  # EXEC cut short
    s2, sess2, log = make(tmp_path)
    assert s2.dbs[0].size == 1
    assert "Revert incomplete MULTI/EXEC transaction in AOF file appendonly.aof.1.incr.aof" in log.lines
    assert os.path.getsize(incr_path(s2)) == 50  # the file ends before MULTI: later writes stay outside it
    run(sess2, "SET", "d", "1")
    s3, _, _ = restarted(s2)
    assert sorted(s3.dbs[0].keys()) == [b"a", b"d"]


def test_truncated_refused_when_aof_load_truncated_is_off(tmp_path):
    s, sess, _ = make(tmp_path)
    run(sess, "SET", "a", "1")
    aof.stop(s)
    os.truncate(incr_path(s), os.path.getsize(incr_path(s)) - 1)
    s.config.values["aof-load-truncated"] = False
    s2 = Server(s.config)
    log = s2.hooks["log"] = Recorder()
    assert not aof.load_at_startup(s2)
    assert log.lines[-1].startswith("Unexpected end of file reading the append only file appendonly.aof.1.incr.aof. "
                                    "You can: 1) Make a backup of your AOF file")


@pytest.mark.parametrize("junk,message", [
    (b"garbage\r\n", "Bad file format reading the append only file appendonly.aof.1.incr.aof: make a backup "
                     "of your AOF file, then use ./redis-check-aof --fix <filename.manifest>"),
    (b"*1\r\n$4\r\nNOPE\r\n", "Unknown command 'NOPE' reading the append only file appendonly.aof.1.incr.aof"),
])
def test_corrupt_files_refuse_to_load(tmp_path, junk, message):
    s, sess, _ = make(tmp_path)
    run(sess, "SET", "a", "1")
    aof.stop(s)
    with open(incr_path(s), "ab") as f:
        f.write(junk)
    s2 = Server(s.config)
    log = s2.hooks["log"] = Recorder()
    assert not aof.load_at_startup(s2)
    assert log.lines[-1] == message


def test_exact_trims_written_by_redis_load(tmp_path):
    # Redis keeps an approximate trim's LIMIT when it writes "= N": the AOF client accepts it.
    s, sess, _ = make(tmp_path)
    aof.stop(s)
    with open(incr_path(s), "ab") as f:
        f.write(aof.encode([b"XADD", b"st", b"1-1", b"a", b"1"]) + aof.encode([
            b"XADD", b"st", b"MAXLEN", b"=", b"1", b"LIMIT", b"10", b"1-2", b"b", b"2"]))
    s2, sess2, _ = make(tmp_path)
    assert len(s2.dbs[0].lookup(b"st")) == 1
    assert run(sess2, "XADD", "st", "MAXLEN", "=", "1", "LIMIT", "10", "*", "c", "3").startswith(
        "ERR syntax error, LIMIT cannot be used without the special ~ option")  # clients still can't


def test_config_set_appendonly_that_cannot_start_stays_off(tmp_path):
    (tmp_path / "file").write_bytes(b"")
    s, sess, log = make(tmp_path / "file" / "dir", start=False)  # no directory can be made there
    run(sess, "CONFIG", "SET", "appendonly", "yes")
    assert s.config["appendonly"] is False and s.prop is None and sess.plain
    assert "Can't open or create append-only dir appendonlydir: Not a directory" in log.lines


def test_timestamp_annotations_are_skipped(tmp_path):
    # aof-timestamp-enabled files (Redis 7.0) carry "#TS:<unix>" lines between commands.
    s, sess, _ = make(tmp_path)
    aof.stop(s)
    with open(incr_path(s), "ab") as f:
        f.write(b"#TS:1700000000\r\n*3\r\n$3\r\nSET\r\n$1\r\na\r\n$1\r\n1\r\n")
    s2, _, _ = make(tmp_path)
    assert s2.dbs[0].lookup(b"a") == b"1"


def test_old_single_file_is_moved_in_as_the_base(tmp_path):
    (tmp_path / "appendonly.aof").write_bytes(b"*3\r\n$3\r\nSET\r\n$1\r\na\r\n$1\r\n1\r\n")
    s, sess, log = make(tmp_path)
    assert s.dbs[0].lookup(b"a") == b"1"
    assert not (tmp_path / "appendonly.aof").exists()
    assert (tmp_path / "appendonlydir" / "appendonly.aof.manifest").read_text() == (
        "file appendonly.aof seq 1 type b\nfile appendonly.aof.1.incr.aof seq 1 type i\n")
    assert ("Successfully migrated an old-style AOF file (appendonly.aof) into the AOF directory "
            "(appendonlydir).") in log.lines


def test_debug_loadaof(tmp_path):
    s, sess, log = make(tmp_path)
    run(sess, "SET", "a", "1")
    s.dbs[0].set(b"not-in-aof", b"x")
    assert run(sess, "DEBUG", "LOADAOF").text == b"OK"
    assert s.dbs[0].lookup(b"a") == b"1" and s.dbs[0].lookup(b"not-in-aof") is None
    assert "Append Only File loaded by DEBUG LOADAOF" in log.lines
    assert written(s) == ["SELECT 0", "SET a 1"]  # DEBUG LOADAOF itself is not written


# --- rewriting ------------------------------------------------------------------------


@pytest.mark.parametrize("preamble", [True, False])
def test_bgrewriteaof_switches_files_and_keeps_every_write(tmp_path, preamble):
    s, sess, log = make(tmp_path, aof_use_rdb_preamble=preamble)
    run(sess, "SET", "a", "1", "EX", "100")
    run(sess, "ZADD", "z", "1.5", "m", "inf", "n")
    run(sess, "XADD", "st", "1-1", "f", "v")
    run(sess, "XGROUP", "CREATE", "st", "g", "0")
    run(sess, "XREADGROUP", "GROUP", "g", "c", "STREAMS", "st", ">")
    run(sess, "XGROUP", "CREATECONSUMER", "st", "g", "idle")
    assert run(sess, "BGREWRITEAOF").text == b"Background append only file rewriting started"
    assert run(sess, "BGREWRITEAOF") == "ERR Background append only file rewriting already in progress"
    run(sess, "SET", "during", "1")  # goes to the new INCR opened before the fork
    assert aof.poll_child(s, block=True)
    base = "appendonly.aof.2.base.%s" % ("rdb" if preamble else "aof")
    assert sorted(os.listdir(tmp_path / "appendonlydir")) == [
        base, "appendonly.aof.2.incr.aof", "appendonly.aof.manifest"]
    assert (tmp_path / "appendonlydir" / "appendonly.aof.manifest").read_text() == (
        "file %s seq 2 type b\nfile appendonly.aof.2.incr.aof seq 2 type i\n" % base)
    assert "Removing the history file appendonly.aof.1.incr.aof in the background" in log.lines
    assert written(s, 2) == ["SELECT 0", "SET during 1"]
    info = dict(line.split(":") for line in aof.info_lines(s))
    assert info["aof_rewrites"] == "1" and info["aof_last_bgrewrite_status"] == "ok"
    # As Redis: the base size after a rewrite is the whole current size (new base + INCR).
    assert info["aof_base_size"] == info["aof_current_size"] == str(
        sum(os.path.getsize(tmp_path / "appendonlydir" / n) for n in (base, "appendonly.aof.2.incr.aof")))
    s2, _, _ = restarted(s)
    db = s2.dbs[0]
    assert db.lookup(b"during") == b"1" and db.get_ttl(b"a") == NOW + 100_000
    assert db.lookup(b"z").items() == [(1.5, b"m"), (float("inf"), b"n")]
    st = db.lookup(b"st")
    assert sorted(st.groups[b"g"].consumers) == [b"c", b"idle"] and list(st.groups[b"g"].pel) == [1 << 64 | 1]


def test_rewrite_and_bgsave_exclude_each_other(tmp_path, monkeypatch):
    s, sess, _ = make(tmp_path)
    monkeypatch.setattr(aof, "write_base_file", lambda *a: time.sleep(30))
    assert run(sess, "BGREWRITEAOF").text == b"Background append only file rewriting started"
    assert run(sess, "BGSAVE").startswith("ERR Another child process is active (AOF?)")
    assert run(sess, "BGSAVE", "SCHEDULE").text == b"Background saving scheduled"
    for fn in s.hooks["cron"]:
        fn()
    assert snapshot.state(s).child_pid is None  # waits for the rewrite
    aof.kill_child(s)
    assert aof.state(s).last_rewrite_ok  # killed on purpose: not a failure
    monkeypatch.setattr(snapshot, "write_file", lambda *a, **k: time.sleep(30))
    for fn in s.hooks["cron"]:
        fn()
    assert snapshot.state(s).child_pid is not None
    assert run(sess, "BGREWRITEAOF").text == b"Background append only file rewriting scheduled"
    snapshot.kill_child(s)


def test_auto_rewrite_on_growth(tmp_path):
    s, sess, log = make(tmp_path, auto_aof_rewrite_min_size=100, auto_aof_rewrite_percentage=100)
    st = aof.state(s)
    for i in range(10):
        run(sess, "SET", "k%d" % i, "x" * 20)
    for fn in s.hooks["cron"]:
        fn()
    assert st.child_pid is not None
    assert any(line.startswith("Starting automatic rewriting of AOF on ") for line in log.lines)
    aof.poll_child(s, block=True)
    assert st.rewrites == 1 and st.base_size == st.current_size


def test_config_set_appendonly_at_run_time(tmp_path):
    s, sess, _ = make(tmp_path, start=False)
    run(sess, "SET", "before", "1")
    assert run(sess, "CONFIG", "SET", "appendonly", "yes").text == b"OK"
    assert sess.plain and aof.state(s).state == aof.WAIT_REWRITE
    run(sess, "SET", "during", "1")
    aof.poll_child(s, block=True)
    assert aof.state(s).state == aof.ON
    run(sess, "SET", "after", "1")
    assert written(s) == ["SELECT 0", "SET during 1", "SET after 1"]
    assert run(sess, "CONFIG", "SET", "appendonly", "no").text == b"OK"
    assert s.prop is None and sess.plain
    run(sess, "SET", "off", "1")
    s2, _, _ = make(tmp_path)
    assert sorted(s2.dbs[0].keys()) == [b"after", b"before", b"during"]


def test_shutdown_during_the_first_rewrite_still_leaves_a_whole_aof(tmp_path):
    s, sess, log = make(tmp_path, start=False, rdb_key_save_delay=30_000_000)  # the child sleeps 30 s
    run(sess, "SET", "before", "1")
    run(sess, "CONFIG", "SET", "appendonly", "yes")
    run(sess, "SET", "during", "1")
    assert aof.state(s).child_pid is not None
    for fn in s.hooks["shutdown"]:
        fn(False)  # SHUTDOWN NOSAVE
    assert "Writing initial AOF before exiting." in log.lines
    s2, _, _ = make(tmp_path)
    assert sorted(s2.dbs[0].keys()) == [b"before", b"during"]


# --- fsync and write errors -----------------------------------------------------------


@pytest.fixture
def fsyncs(monkeypatch):
    calls: list[str] = []
    real = os.fsync

    def spy(fd: int) -> None:
        calls.append(threading.current_thread().name)
        real(fd)

    monkeypatch.setattr(os, "fsync", spy)
    return calls


async def _serve_and_set(tmp_path, policy: str, wait: float) -> tuple[Server, bytes, bytes]:
    config = load(["--port", "0", "--bind", "127.0.0.1", "--dir", str(tmp_path), "--save", "",
                   "--appendonly", "yes", "--appendfsync", policy])
    server = Server(config)
    server.hooks["log"] = Recorder()
    assert aof.load_at_startup(server)
    async with trio.open_nursery() as n:
        running = await n.start(lambda task_status: serve(server=server, ephemeral=True, task_status=task_status))
        stream = await trio.open_tcp_stream("127.0.0.1", running.port)
        await stream.send_all(b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n")
        reply = await stream.receive_some(100)
        with open(incr_path(server), "rb") as f:
            on_disk = f.read()  # as soon as the reply is here
        await trio.sleep(wait)
        running.shutdown()
    return server, reply, on_disk


async def test_appendfsync_always_writes_and_syncs_before_replying(tmp_path, fsyncs):
    s, reply, on_disk = await _serve_and_set(tmp_path, "always", 0)
    assert reply == b"+OK\r\n" and on_disk.endswith(b"$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n")
    assert fsyncs and fsyncs[0] == "MainThread"


async def test_a_round_of_writes_is_one_aof_write_and_fsync(tmp_path, fsyncs):
    # Redis's group commit: 20 clients' SETs, all readable in one round, are written
    # and fsynced once at the round's end ("always"), and only then answered.
    import socket

    config = load(["--port", "0", "--bind", "127.0.0.1", "--dir", str(tmp_path), "--save", "",
                   "--appendonly", "yes", "--appendfsync", "always"])
    server = Server(config)
    server.hooks["log"] = Recorder()
    assert aof.load_at_startup(server)
    async with trio.open_nursery() as n:
        running = await n.start(lambda task_status: serve(server=server, ephemeral=True, task_status=task_status))
        socks = [socket.create_connection(("127.0.0.1", running.port)) for _ in range(20)]
        await trio.sleep(0.2)  # accepted, each task waiting to read
        fsyncs.clear()
        for i, sock in enumerate(socks):  # no await in between: all readable in one epoll
            sock.sendall(b"*3\r\n$3\r\nSET\r\n$3\r\nk%d\r\n$1\r\nv\r\n" % (i + 10))
        await trio.sleep(0.5)
        replies = [sock.recv(100, socket.MSG_DONTWAIT) for sock in socks]
        for sock in socks:
            sock.close()
        running.shutdown()
    assert replies == [b"+OK\r\n"] * 20
    assert sorted(w for w in written(server) if w.startswith("SET")) == ["SET k%d v" % (i + 10) for i in range(20)]
    assert len(fsyncs) == 1  # (was one per client)


def test_fsync_task_starts_with_the_cron_when_opened_before_trio(tmp_path):
    s, sess, _ = make(tmp_path)  # as crabcache-server does: the AOF is loaded before trio.run
    assert not aof.state(s).fsync_task

    async def main() -> None:
        for fn in s.hooks["cron"]:
            fn()
        assert aof.state(s).fsync_task
        aof.stop(s)  # the task ends by itself once the AOF is off
        await trio.sleep(1.2)

    trio.run(main)
    assert not aof.state(s).fsync_task


async def test_appendfsync_everysec_syncs_in_a_worker_thread(tmp_path, fsyncs):
    s, reply, on_disk = await _serve_and_set(tmp_path, "everysec", 1.3)
    assert on_disk.endswith(b"$1\r\nv\r\n")  # written before the reply, synced later
    assert any(name != "MainThread" for name in fsyncs)


def test_write_error_refuses_writes_until_it_heals(tmp_path, monkeypatch):
    s, sess, log = make(tmp_path)
    real = os.write
    monkeypatch.setattr(os, "write", lambda fd, data: (_ for _ in ()).throw(OSError(28, "No space left on device")))
    run(sess, "SET", "a", "1")
    aof.flush(s)
    assert "Error writing to the AOF file: No space left on device" in log.lines
    assert "aof_last_write_status:err" in aof.info_lines(s)
    assert run(sess, "SET", "b", "1") == "MISCONF Errors writing to the AOF file: No space left on device"
    assert run(sess, "GET", "a") == b"1"
    monkeypatch.setattr(os, "write", real)
    aof.flush(s)  # the kept buffer goes out
    assert "aof_last_write_status:ok" in aof.info_lines(s)
    assert run(sess, "SET", "b", "1").text == b"OK"
    assert written(s) == ["SELECT 0", "SET a 1", "SET b 1"]


def test_write_error_with_always_stops_the_server(tmp_path, monkeypatch):
    s, sess, log = make(tmp_path, appendfsync="always")
    exits: list[int] = []
    monkeypatch.setattr(aof, "_fatal", exits.append)
    monkeypatch.setattr(os, "write", lambda fd, data: (_ for _ in ()).throw(OSError(5, "Input/output error")))
    run(sess, "SET", "a", "1")
    aof.flush(s)
    assert exits == [1]
    assert "Can't recover from AOF write error when the AOF fsync policy is 'always'. Exiting..." in log.lines
