"""The append-only file, in Redis 7.0's multi-part layout.

Files (``dir/appenddirname/``):

* ``<appendfilename>.manifest``: one line per file, ``file <name> seq <n>
  type <b|h|i>`` -- the BASE first, then HISTORY files, then INCR files in
  order.  It is replaced atomically (written to ``temp-<name>.manifest``,
  fsynced, renamed, the directory fsynced).
* the BASE (``<appendfilename>.<seq>.base.rdb`` -- an RDB image with aux
  ``aof-base 1`` -- or ``.base.aof``, commands, when ``aof-use-rdb-preamble
  no``) and INCR files (``<appendfilename>.<seq>.incr.aof``): RESP arrays of
  the commands that changed the dataset, as ``persistence.propagate`` hands
  them over, with a ``SELECT`` whenever the database changes.

Rules of this module:

* Writes are buffered per execution unit and written with one ``write`` per
  client batch, before that batch's replies are sent (the connection calls
  ``server.aof_flush`` when ``server.aof_buf`` is non-empty), and from the
  cron for writes made outside any client (active expiry).  ``appendfsync
  always`` fsyncs right there, so an acknowledged write is on disk;
  ``everysec`` leaves the fsync to a trio system task that runs it in a
  worker thread once a second (the event loop never waits for the disk);
  ``no`` leaves it to the kernel.  The buffer is bounded: past
  ``MAX_BUF`` bytes it is written out at once, mid-batch.
* BGREWRITEAOF forks like BGSAVE (``snapshot``): the parent first writes its
  buffer and opens a new INCR file (listed in the manifest at once, so a
  crash during the rewrite loses nothing), and the child writes the new BASE
  from its copy-on-write image to ``temp-rewriteaof-bg-<pid>.aof``.  When the
  child succeeds the parent renames it to the next BASE name, marks the old
  BASE and INCR files as history, writes the manifest and deletes them.
  Only one child (RDB or AOF) runs at a time, as in Redis.
* ``CONFIG SET appendonly yes`` starts a rewrite (state ``wait_rewrite``):
  writes go to a temporary INCR file that becomes the first INCR of the new
  manifest when the base is done; ``no`` flushes, fsyncs and stops.
* Loading (start-up, DEBUG LOADAOF) replays the BASE then every INCR through
  ``dispatch.call`` on a pseudo-client, MULTI/EXEC included, with
  propagation off.  An old single ``appendonly.aof`` is moved into the
  directory as the BASE first, as Redis 7.0 upgrades it.
"""

from __future__ import annotations

import mmap
import os
import signal
import time
from typing import Any, Iterator

from .. import errors
from ..log import Log
from ..server.state import SETUP, Server
from . import propagate, rdb, snapshot

MAX_BUF = 4 << 20  # write the buffer out mid-batch past this many bytes
ITEMS_PER_CMD = 64  # AOF_REWRITE_ITEMS_PER_CMD
REWRITE_RETRY_DELAY = 5

OFF, ON, WAIT_REWRITE = "off", "on", "wait_rewrite"

STARTED = "Background append only file rewriting started"
SCHEDULED = "Background append only file rewriting scheduled"


# How the process ends when an acknowledged write can't be made durable (tests replace it).
_fatal = os._exit


class AofError(Exception):
    """The AOF can't be loaded; ``str(e)`` is Redis's log line."""


class Truncated(AofError):
    pass


# --- the manifest --------------------------------------------------------------------


class Manifest:
    """aofManifest: the BASE, HISTORY and INCR files, with their sequence numbers."""

    def __init__(self) -> None:
        self.base: tuple[str, int] | None = None
        self.history: list[str] = []
        self.incrs: list[tuple[str, int]] = []
        self.base_seq = 0
        self.incr_seq = 0

    def text(self) -> str:
        lines = []
        if self.base is not None:
            lines.append("file %s seq %d type b\n" % self.base)
        lines += ["file %s seq 0 type h\n" % name for name in self.history]
        lines += ["file %s seq %d type i\n" % inc for inc in self.incrs]
        return "".join(lines)

    @classmethod
    def parse(cls, text: str) -> "Manifest":
        m = cls()
        for line in text.splitlines():
            if not line.strip() or line.startswith("#"):
                continue
            words = line.split()
            if len(words) % 2 or len(words) < 6:
                raise AofError(errors.AOF_MANIFEST_FORMAT)
            kv = dict(zip(words[0::2], words[1::2]))
            name, seq, kind = kv.get("file"), kv.get("seq"), kv.get("type")
            if name is None or seq is None or kind not in ("b", "h", "i") or not seq.isdigit():
                raise AofError(errors.AOF_MANIFEST_FORMAT)
            n = int(seq)
            if kind == "b":
                if m.base is not None:
                    raise AofError(errors.AOF_MANIFEST_DUP_BASE)
                m.base = (name, n)
                m.base_seq = n
            elif kind == "h":
                m.history.append(name)
            else:
                if n <= m.incr_seq:
                    raise AofError(errors.AOF_MANIFEST_SEQ)
                m.incrs.append((name, n))
                m.incr_seq = n
        return m

    def copy(self) -> "Manifest":
        m = Manifest()
        m.base, m.history, m.incrs = self.base, list(self.history), list(self.incrs)
        m.base_seq, m.incr_seq = self.base_seq, self.incr_seq
        return m


# --- per-server state ----------------------------------------------------------------


class AofState:
    def __init__(self) -> None:
        self.state = OFF
        self.fd = -1  # the INCR file being appended to
        self.selected_db = -1  # the database the file's last SELECT chose
        self.manifest = Manifest()
        self.temp_incr = False  # writing temp-<name>.incr (wait_rewrite)
        self.current_size = 0  # aof_current_size: BASE + INCR bytes
        self.base_size = 0  # aof_base_size: the size after the last rewrite
        self.unsynced = False  # written since the last fsync
        self.last_fsync = 0.0
        self.fsync_running = False
        self.retired: list[int] = []  # old INCR fds the fsync task still syncs and closes
        self.child_pid: int | None = None
        self.child_start = 0.0
        self.scheduled = False
        self.last_rewrite_ok = True
        self.last_rewrite_time_sec = -1
        self.last_rewrite_try = 0.0
        self.rewrites = 0
        self.consecutive_failures = 0
        self.last_write_ok = True
        self.last_write_error = ""
        self.loading = False
        self.fsync_task = False


def state(server: Server) -> AofState:
    return server.hooks["aof_state"]  # type: ignore[no-any-return]


def log(server: Server) -> Log:
    return snapshot.log(server)


def aof_dir(server: Server) -> str:
    return os.path.join(server.config["dir"] or ".", server.config["appenddirname"])


def _name(server: Server) -> str:
    return server.config["appendfilename"]


def manifest_path(server: Server) -> str:
    return os.path.join(aof_dir(server), _name(server) + ".manifest")


def _path(server: Server, name: str) -> str:
    return os.path.join(aof_dir(server), name)


def _temp_incr(server: Server) -> str:
    return "temp-%s.incr" % _name(server)


def child_active(server: Server) -> bool:
    """hasActiveChildProcess, for either kind of child."""
    return state(server).child_pid is not None or snapshot.state(server).child_pid is not None


def persist_manifest(server: Server, m: Manifest) -> None:
    """Replace the manifest atomically (persistAofManifest)."""
    d = aof_dir(server)
    tmp = os.path.join(d, "temp-%s.manifest" % _name(server))
    with open(tmp, "w") as f:
        f.write(m.text())
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, manifest_path(server))
    snapshot._fsync_dir(d)


def _file_size(path: str) -> int:
    try:
        return os.stat(path).st_size
    except OSError:
        return 0


# --- writing -------------------------------------------------------------------------


def encode(argv: list[bytes]) -> bytes:
    """One command as a RESP array (catAppendOnlyGenericCommand)."""
    if len(argv) == 3:  # SET k v, HSET-like, LPUSH k v ...: one formatting step
        a, b, c = argv
        return b"*3\r\n$%d\r\n%s\r\n$%d\r\n%s\r\n$%d\r\n%s\r\n" % (len(a), a, len(b), b, len(c), c)
    parts = [b"*%d\r\n" % len(argv)]
    for a in argv:
        parts.append(b"$%d\r\n%s\r\n" % (len(a), a))
    return b"".join(parts)


def _sink(server: Server, ops: list[propagate.Op]) -> None:
    # feedAppendOnlyFile: while a runtime "appendonly yes" waits for its rewrite
    # to start, the coming base holds these writes: nothing to append.
    st = state(server)
    if st.state == WAIT_REWRITE and st.child_pid is None:
        return
    buf = server.aof_buf
    for db, argv in ops:
        if db != st.selected_db and db >= 0:
            buf.append(encode([b"SELECT", b"%d" % db]))
            st.selected_db = db
        buf.append(encode(argv))
    if len(buf) > 1024 and sum(map(len, buf)) > MAX_BUF:
        flush(server)


def _sink_one(server: Server, db: int, argv: list[bytes]) -> None:
    # _sink for a unit of one command (most writes).
    st = server.hooks["aof_state"]
    if db != st.selected_db:
        if st.state == WAIT_REWRITE and st.child_pid is None:
            return
        server.aof_buf.append(encode([b"SELECT", b"%d" % db]))
        st.selected_db = db
    elif st.state == WAIT_REWRITE and st.child_pid is None:
        return
    buf = server.aof_buf
    buf.append(encode(argv))
    if len(buf) > 1024 and sum(map(len, buf)) > MAX_BUF:
        flush(server)


def flush(server: Server, fsync: bool = False) -> None:
    """flushAppendOnlyFile: write the buffer; fsync as ``appendfsync`` says
    (or now, when ``fsync``)."""
    st = state(server)
    buf = server.aof_buf
    if buf and st.fd >= 0:
        data = b"".join(buf)
        buf.clear()
        try:
            view = memoryview(data)
            while view:
                n = os.write(st.fd, view)
                view = view[n:]
            st.current_size += len(data)
            st.unsynced = True
            if not st.last_write_ok:
                log(server).warning("AOF write error looks solved, Redis can write again.")
                st.last_write_ok = True
                server.disk_error = not snapshot.state(server).last_bgsave_ok
        except OSError as e:
            # Keep what was not written and try again next time, as Redis does;
            # writes are refused meanwhile (MISCONF, see misconf()).
            buf.append(bytes(view))
            st.current_size += len(data) - len(view)
            st.last_write_error = e.strerror or str(e)
            if server.config["appendfsync"] == "always":
                # The replies of these writes must not go out: stop, as Redis does.
                log(server).warning("Can't recover from AOF write error when the AOF fsync policy is "
                                    "'always'. Exiting...")
                _fatal(1)
            if st.last_write_ok:
                log(server).warning("Error writing to the AOF file: %s" % st.last_write_error)
            st.last_write_ok = False
            server.disk_error = True
            return
    elif buf and st.fd < 0:
        buf.clear()
    if st.fd >= 0 and st.unsynced and (fsync or server.config["appendfsync"] == "always"):
        _fsync_now(server)


def _fsync_now(server: Server) -> None:
    st = state(server)
    try:
        os.fsync(st.fd)
    except OSError as e:
        log(server).warning("Can't persist AOF for fsync error when the AOF fsync policy is 'always': %s. "
                            "Exiting..." % e.strerror)
        _fatal(1)
        return
    st.unsynced = False
    st.last_fsync = time.time()


async def _fsync_loop(server: Server) -> None:
    """appendfsync everysec: fsync in a worker thread once a second."""
    import trio

    st = state(server)
    try:
        while st.state != OFF or st.retired:
            await trio.sleep(1)
            fd = st.fd
            retired, st.retired = st.retired, []
            if server.config["appendfsync"] != "everysec" and not retired:
                continue
            todo = retired + ([fd] if fd >= 0 and st.unsynced and
                              server.config["appendfsync"] == "everysec" else [])
            if not todo:
                continue
            if fd in todo:
                st.unsynced = False
            st.fsync_running = True
            try:
                await trio.to_thread.run_sync(_sync_fds, todo, retired)
            finally:
                st.fsync_running = False
            st.last_fsync = time.time()
    except Exception as e:  # a system task must never raise
        log(server).warning("AOF fsync task stopped: %r" % e)
    finally:
        st.fsync_task = False


def _sync_fds(fds: list[int], close: list[int]) -> None:
    for fd in fds:
        try:
            os.fsync(fd)
        except OSError:
            pass
    for fd in close:
        try:
            os.close(fd)
        except OSError:
            pass


def _start_fsync_task(server: Server) -> None:
    st = state(server)
    if st.fsync_task:
        return
    try:
        import trio

        trio.lowlevel.spawn_system_task(_fsync_loop, server, name="aof-fsync")
        st.fsync_task = True
    except RuntimeError:
        pass  # not inside trio.run: flush(fsync=True) at stop and shutdown does it


def _retire_fd(server: Server) -> None:
    # The old INCR file: its fsync and close happen in the fsync task (bioCreateCloseJob).
    st = state(server)
    if st.fd < 0:
        return
    if st.fsync_task and server.config["appendfsync"] != "always":
        st.retired.append(st.fd)
    else:
        _sync_fds([st.fd], [st.fd])
    st.fd = -1


def _open_append(path: str) -> int:
    return os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)


def _incr_name(server: Server, seq: int) -> str:
    return "%s.%d.incr.aof" % (_name(server), seq)


def _base_name(server: Server, seq: int) -> str:
    rdb_ext = "rdb" if server.config["aof-use-rdb-preamble"] else "aof"
    return "%s.%d.base.%s" % (_name(server), seq, rdb_ext)


def open_new_incr(server: Server, why: str) -> None:
    """openNewIncrAofForAppend: a new INCR file, listed in the manifest at once
    (or the temp INCR while waiting for the first rewrite)."""
    st = state(server)
    flush(server)
    if st.state == WAIT_REWRITE:
        path = _path(server, _temp_incr(server))
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_TRUNC, 0o644)
        _retire_fd(server)
        st.fd, st.temp_incr = fd, True
    else:
        m = st.manifest.copy()
        m.incr_seq += 1
        name = _incr_name(server, m.incr_seq)
        fd = _open_append(_path(server, name))
        m.incrs.append((name, m.incr_seq))
        try:
            persist_manifest(server, m)
        except OSError:
            os.close(fd)
            raise
        _retire_fd(server)
        st.fd, st.manifest, st.temp_incr = fd, m, False
        log(server).notice("Creating AOF incr file %s on %s" % (name, why))
    st.selected_db = -1  # a new file starts with a SELECT


# --- the base: RDB preamble or commands ------------------------------------------------


def write_base(server: Server, f: Any, now_ms: int) -> None:
    """The dataset as an AOF base (rewriteAppendOnlyFileRio / the RDB preamble)."""
    if server.config["aof-use-rdb-preamble"]:
        rdb.save(f, server.dbs, now_ms, compress=server.config["rdbcompression"],
                 checksum=server.config["rdbchecksum"], limits=rdb.Limits(server.config),
                 used_mem=snapshot._rss(), functions=snapshot._functions(server), aof_base=True)
        return
    out: list[bytes] = []
    size = 0
    for code in snapshot._functions(server):
        out.append(encode([b"FUNCTION", b"LOAD", code]))
    for db in server.dbs:
        if not db.size:
            continue
        out.append(encode([b"SELECT", b"%d" % db.index]))
        expires = db.expires
        for key, value in list(db.data.items()):
            when = expires.get(key)
            if when is not None and when <= now_ms:
                continue
            for argv in rewrite_object(key, value):
                b = encode(argv)
                out.append(b)
                size += len(b)
            if when is not None:
                out.append(encode([b"PEXPIREAT", key, b"%d" % when]))
            if size > 1 << 20:
                f.write(b"".join(out))
                out.clear()
                size = 0
    f.write(b"".join(out))


def _chunks(cmd: list[bytes], items: list[bytes], per: int) -> Iterator[list[bytes]]:
    for i in range(0, len(items), per):
        yield cmd + items[i:i + per]


def rewrite_object(key: bytes, v: Any) -> Iterator[list[bytes]]:
    """The commands that rebuild one value (rewriteListObject, rewriteStreamObject ...)."""
    t = type(v)
    if t is bytes or t is bytearray:
        yield [b"SET", key, bytes(v)]
        return
    name = v.type_name
    if name == b"list":
        yield from _chunks([b"RPUSH", key], list(v), ITEMS_PER_CMD)
    elif name == b"set":
        yield from _chunks([b"SADD", key], list(v), ITEMS_PER_CMD)
    elif name == b"hash":
        flat = [x for kv in v.items() for x in kv]
        yield from _chunks([b"HMSET", key], flat, ITEMS_PER_CMD * 2)
    elif name == b"zset":
        flat = [x for score, m in v.items() for x in (b"%.17g" % score, m)]
        yield from _chunks([b"ZADD", key], flat, ITEMS_PER_CMD * 2)
    elif name == b"stream":
        yield from _rewrite_stream(key, v)
    else:  # pragma: no cover - every type CrabCache has is above
        raise rdb.RDBError("can't rewrite a value of type %r" % name)


def _rewrite_stream(key: bytes, s: Any) -> Iterator[list[bytes]]:
    from ..datatypes.stream import fmt_id

    if len(s):
        for eid, fields in s:
            yield [b"XADD", key, fmt_id(eid)] + list(fields)
    else:
        # An empty stream still exists: create it and trim it back (as Redis;
        # XSETID below puts the real last ID back).
        yield [b"XADD", key, b"MAXLEN", b"0", b"0-1", b"x", b"y"]
    yield [b"XSETID", key, fmt_id(s.last_id), b"ENTRIESADDED", b"%d" % s.entries_added,
           b"MAXDELETEDID", fmt_id(s.max_deleted)]
    for gname, g in s.sorted_groups():
        yield [b"XGROUP", b"CREATE", key, gname, fmt_id(g.last_id), b"ENTRIESREAD", b"%d" % g.entries_read]
        for cons in g.sorted_consumers():
            if not cons.pel:
                yield [b"XGROUP", b"CREATECONSUMER", key, gname, cons.name]
                continue
            for eid, nack in cons.pel.items():
                yield [b"XCLAIM", key, gname, cons.name, b"0", fmt_id(eid), b"TIME",
                       b"%d" % nack.delivery_time, b"RETRYCOUNT", b"%d" % nack.delivery_count,
                       b"JUSTID", b"FORCE"]


# --- BGREWRITEAOF ----------------------------------------------------------------------


def rewrite_background(server: Server) -> bool:
    """rewriteAppendOnlyFileBackground: True if the child started."""
    st = state(server)
    lg = log(server)
    if child_active(server):
        return False
    st.last_rewrite_try = time.time()
    try:
        os.makedirs(aof_dir(server), exist_ok=True)
    except OSError as e:
        lg.warning("Can't open or create append-only dir %s: %s" % (server.config["appenddirname"], e.strerror))
        st.last_rewrite_ok = False
        st.consecutive_failures += 1
        return False
    try:
        if st.state != OFF:
            open_new_incr(server, "background rewrite")
    except OSError as e:
        lg.warning("Can't open new incr AOF file for background rewrite: %s" % e.strerror)
        st.last_rewrite_ok = False
        st.consecutive_failures += 1
        return False
    try:
        pid = snapshot.fork_child(server)
    except OSError as e:
        lg.warning("Can't rewrite append only file in background: fork: %s" % e.strerror)
        st.last_rewrite_ok = False
        st.consecutive_failures += 1
        return False
    if pid == 0:  # pragma: no cover - the child leaves through os._exit
        _child(server)
    st.child_pid = pid
    st.child_start = time.time()
    st.scheduled = False
    lg.notice("Background append only file rewriting started by pid %d" % pid)
    _watch(server, pid)
    return True


def _temp_base(server: Server, pid: int) -> str:
    return os.path.join(server.config["dir"] or ".", "temp-rewriteaof-bg-%d.aof" % pid)


def write_base_file(server: Server, path: str) -> None:
    """Write a BASE to ``path`` and fsync it (rewriteAppendOnlyFile)."""
    with open(path, "wb") as f:
        write_base(server, f, server.now_ms())
        f.flush()
        os.fsync(f.fileno())


def _child(server: Server) -> None:  # pragma: no cover - child process
    code = 1
    try:
        lg = snapshot.enter_child(server)
        path = _temp_base(server, os.getpid())
        snapshot.key_save_delay(server)
        write_base_file(server, path)
        lg.notice("Successfully created the temporary AOF base file %s" % os.path.basename(path))
        code = 0
    except BaseException as e:
        try:
            log(server).warning("Write error writing append only file on disk: %s" % e)
        except BaseException:
            pass
        code = 1
    finally:
        os._exit(code)


def _watch(server: Server, pid: int) -> None:
    snapshot.watch_child(server, pid, lambda: state(server).child_pid, lambda: poll_child(server), "AOF rewrite",
                         "aofrw-watch")


def poll_child(server: Server, block: bool = False) -> bool:
    """Reap the rewrite child if it ended; True when none is left."""
    st = state(server)
    pid = st.child_pid
    if pid is None:
        return True
    status = snapshot.reap(pid, block)
    if status is None:
        return False
    st.child_pid = None
    st.last_rewrite_time_sec = int(time.time() - st.child_start)
    ok = os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0
    try:
        if ok:
            _rewrite_done(server, pid)
            return True
    except OSError as e:
        log(server).warning("Error trying to rename the temporary AOF base file: %s" % e.strerror)
    _rewrite_failed(server, pid, status, ok)
    return True


def _rewrite_failed(server: Server, pid: int, status: int, exited_ok: bool) -> None:
    st = state(server)
    lg = log(server)
    if not exited_ok:
        if os.WIFSIGNALED(status):
            lg.warning("Background AOF rewrite terminated by signal %d" % os.WTERMSIG(status))
        else:
            lg.warning("Background AOF rewrite terminated with error")
    snapshot._unlink(_temp_base(server, pid))
    killed = os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGUSR1
    if not killed:
        st.last_rewrite_ok = False
        st.consecutive_failures += 1
    if st.state == WAIT_REWRITE and not killed:
        st.scheduled = True  # Redis retries until the AOF can be turned on


def _rewrite_done(server: Server, pid: int) -> None:
    # backgroundRewriteDoneHandler
    st = state(server)
    lg = log(server)
    lg.notice("Background AOF rewrite terminated with success")
    flush(server)
    tmp = _temp_base(server, pid)
    m = st.manifest.copy()
    m.base_seq += 1
    base = _base_name(server, m.base_seq)
    os.replace(tmp, _path(server, base))
    lg.notice("Successfully renamed the temporary AOF base file %s into %s" % (os.path.basename(tmp), base))
    old_base = m.base
    m.base = (base, m.base_seq)
    if st.state == WAIT_REWRITE:
        # The writes made during the rewrite become the first INCR of the new AOF.
        m.history += [name for name, _ in m.incrs]
        m.incr_seq += 1
        name = _incr_name(server, m.incr_seq)
        os.replace(_path(server, _temp_incr(server)), _path(server, name))
        lg.notice("Successfully renamed the temporary AOF incr file %s into %s" % (_temp_incr(server), name))
        m.incrs = [(name, m.incr_seq)]
    elif st.state == ON:
        # Everything but the INCR opened when the rewrite started is in the base now.
        m.history += [name for name, _ in m.incrs[:-1]]
        m.incrs = m.incrs[-1:]
    else:  # AOF off: the base alone is the whole AOF
        m.history += [name for name, _ in m.incrs]
        m.incrs = []
    if old_base is not None:
        m.history.append(old_base[0])
    persist_manifest(server, m)
    st.manifest = m
    st.temp_incr = False
    del_history(server)
    st.current_size = sum(_file_size(_path(server, n)) for n in [base] + [n for n, _ in m.incrs])
    st.base_size = st.current_size
    st.last_rewrite_ok = True
    st.consecutive_failures = 0
    st.rewrites += 1
    if st.state == WAIT_REWRITE:
        st.state = ON
        lg.notice("Background AOF rewrite finished successfully")
        # (the "AOF rewrite ..." line Redis prints when turning on, kept short)
    else:
        lg.notice("Background AOF rewrite finished successfully")


def del_history(server: Server) -> None:
    """aofDelHistoryFiles: delete the HISTORY files, then list them no more.
    (A crash in between leaves names that loading ignores and the next call removes.)"""
    m = state(server).manifest
    if not m.history:
        return
    for name in m.history:
        log(server).notice("Removing the history file %s in the background" % name)
        snapshot._unlink(_path(server, name))
    m.history = []
    persist_manifest(server, m)


def kill_child(server: Server) -> None:
    """killAppendOnlyChild"""
    st = state(server)
    pid = st.child_pid
    if pid is None:
        return
    log(server).notice("Killing running AOF rewrite child: %d" % pid)
    snapshot.stop_child(pid)
    poll_child(server, block=True)
    if st.temp_incr:
        snapshot._unlink(_path(server, _temp_incr(server)))


# --- turning it on and off -----------------------------------------------------------


def _activate(server: Server) -> None:
    server.prop = propagate.Propagator(lambda ops: _sink(server, ops),
                                       lambda db, argv: _sink_one(server, db, argv))
    server.aof_flush = lambda: flush(server)
    _start_fsync_task(server)


def start(server: Server) -> bool:
    """startAppendOnly (CONFIG SET appendonly yes): rewrite now, or when the
    running child is done.  False if the rewrite could not start."""
    st = state(server)
    lg = log(server)
    if st.state != OFF:
        return True
    st.state = WAIT_REWRITE
    _activate(server)
    if child_active(server) and st.child_pid is None:
        st.scheduled = True
        lg.warning("AOF was enabled but there is already another background operation. "
                   "An AOF background was scheduled to start when possible.")
        return True
    if st.child_pid is not None:
        # A rewrite without AOF is running: its result lacks the writes since; start again.
        lg.warning("AOF was enabled but there is already an AOF rewriting in background. "
                   "Stopping background AOF and starting a rewrite now.")
        kill_child(server)
    if not rewrite_background(server):
        stop(server)
        lg.warning("Redis needs to enable the AOF but can't trigger a background AOF rewrite "
                   "operation. Check the above logs for more info about the error.")
        return False
    return True


def stop(server: Server) -> None:
    """stopAppendOnly (CONFIG SET appendonly no)."""
    st = state(server)
    if st.state == OFF:
        return
    flush(server, fsync=True)
    if st.child_pid is not None:
        kill_child(server)
    if st.temp_incr:
        snapshot._unlink(_path(server, _temp_incr(server)))
        st.temp_incr = False
    if st.fd >= 0:
        _sync_fds([st.fd], [st.fd])
        st.fd = -1
    st.state = OFF
    st.scheduled = False
    st.selected_db = -1
    server.prop = None
    server.aof_buf.clear()
    for c in server.clients.values():
        c.refresh()


def _on_config(server: Server, name: str, old: Any) -> None:
    if name == "appendonly":
        st = state(server)
        if server.config["appendonly"] and st.state == OFF:
            if not start(server):
                server.config.values["appendonly"] = False  # CONFIG GET tells the truth (logged why)
        elif not server.config["appendonly"] and st.state != OFF:
            stop(server)
        for c in server.clients.values():
            c.refresh()
    elif name == "appendfsync" and state(server).state != OFF:
        flush(server, fsync=True)


# --- loading -------------------------------------------------------------------------


def _pseudo_client(server: Server) -> Any:
    from ..server.session import Session

    c = Session(server, kind="aof")
    c.authenticated = True
    server.clients.pop(c.id, None)  # never listed (Redis's fake AOF client)
    return c


def _parse_commands(data: Any, start: int) -> Iterator[tuple[list[bytes], int]]:
    """Commands of an AOF image from ``start``: yields (argv, offset after it).
    Raises Truncated at a partial command, AofError at anything else."""
    i = start
    n = len(data)
    while i < n:
        if data[i:i + 1] == b"#":  # an annotation (aof-timestamp-enabled)
            j = data.find(b"\n", i)
            if j < 0:
                raise Truncated()
            i = j + 1
            continue
        argc, i = _header(data, i, b"*")
        if argc < 1:
            raise AofError()
        argv: list[bytes] = []
        for _ in range(argc):
            if i >= n:
                raise Truncated()
            ln, i = _header(data, i, b"$")
            if i + ln + 2 > n:
                raise Truncated()
            argv.append(bytes(data[i:i + ln]))
            i += ln + 2
        yield argv, i


def _header(data: Any, i: int, mark: bytes) -> tuple[int, int]:
    """The ``*N`` or ``$N`` line at ``i``: (N, the offset after its CRLF)."""
    if data[i:i + 1] != mark:
        raise AofError()
    j = data.find(b"\r\n", i)
    if j < 0:
        raise Truncated()
    try:
        return int(data[i + 1:j]), j + 2
    except ValueError:
        raise AofError() from None


def _commands_or_fail(it: Iterator[tuple[list[bytes], int]], name: str) -> Iterator[tuple[list[bytes], int]]:
    # A format error (not a truncation) is fatal whatever aof-load-truncated says.
    try:
        yield from it
    except Truncated:
        raise
    except AofError as e:
        if str(e):
            raise
        raise AofError(errors.AOF_BAD_FORMAT % name) from None


def load_file(server: Server, path: str, name: str, last: bool, c: Any) -> bool:
    """loadSingleAppendOnlyFile: replay one file; False if it was empty.
    Raises AofError with Redis's log line."""
    from .. import dispatch

    lg = log(server)
    with open(path, "rb") as f:
        size = os.fstat(f.fileno()).st_size
        if size == 0:
            return False
        with mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as data:
            start = 0
            if data[:5] == b"REDIS":
                lg.notice("Reading RDB base file on AOF loading...")
                try:
                    res = rdb.load(data, server.dbs, server.now_ms(), limits=rdb.Limits(server.config),
                                   check_crc=server.config["rdbchecksum"])
                except rdb.RDBError as e:
                    lg.warning("Error reading the RDB base file %s, AOF loading aborted" % name)
                    raise AofError(str(e)) from None
                _rdb_notes(server, res)
                start = res.end
            good = start
            c.in_exec = True  # blocking commands act as in MULTI (Redis's fake client can't block)
            multi: list[Any] | None = None
            multi_start = start
            try:
                commands = _parse_commands(data, start)
                for argv, end in _commands_or_fail(commands, name):
                    lname = argv[0].lower()
                    if lname == b"multi":
                        multi, multi_start = [], good
                    elif lname == b"exec" and multi is not None:
                        for cmd, args in multi:
                            dispatch.call(c, cmd, args)
                        multi = None
                    else:
                        try:
                            cmd = dispatch.resolve(c, argv)
                        except errors.CommandError:
                            raise AofError(errors.AOF_UNKNOWN_COMMAND % (
                                argv[0].decode("latin-1"), name)) from None
                        if multi is not None:
                            multi.append((cmd, argv))
                        else:
                            dispatch.call(c, cmd, argv)
                    good = end
            except Truncated:
                if not (last and server.config["aof-load-truncated"]):
                    raise AofError(errors.AOF_UNEXPECTED_EOF % name) from None
                lg.warning("!!! Warning: short read while loading the AOF file %s!!!" % name)
                if multi is not None:
                    # A transaction cut short: drop it whole (Redis reverts to before MULTI).
                    lg.warning("Revert incomplete MULTI/EXEC transaction in AOF file %s" % name)
                    good = multi_start
                lg.warning("!!! Truncating the AOF %s at offset %d !!!" % (name, good))
                truncate_at = good
            else:
                truncate_at = -1
                if multi is not None:
                    # MULTI without EXEC at the very end: Redis treats it as truncated.
                    if not (last and server.config["aof-load-truncated"]):
                        raise AofError(errors.AOF_UNEXPECTED_EOF % name) from None
                    lg.warning("Revert incomplete MULTI/EXEC transaction in AOF file %s" % name)
                    truncate_at = multi_start
    if truncate_at >= 0:
        try:
            os.truncate(path, truncate_at)
        except OSError as e:
            lg.warning("Error truncating the AOF file %s: %s" % (name, e.strerror))
            raise AofError(errors.AOF_UNEXPECTED_EOF % name) from None
        lg.warning("AOF %s loaded anyway because aof-load-truncated is enabled" % name)
    return True


def _rdb_notes(server: Server, res: rdb.LoadResult) -> None:
    lg = log(server)
    ver = res.aux.get(b"redis-ver")
    if ver:
        lg.notice("Loading RDB produced by version %s" % ver.decode("latin-1"))
    ctime = res.aux.get(b"ctime")
    if ctime and ctime.lstrip(b"-").isdigit():
        lg.notice("RDB age %d seconds" % (int(time.time()) - int(ctime)))
    if res.aux.get(b"aof-base") == b"1":
        lg.notice("RDB is base AOF")
    lg.notice("Done loading RDB, keys loaded: %d, keys expired: %d." % (res.keys_loaded, res.keys_expired))
    if res.functions:
        restore = server.hooks.get("functions_restore")
        if restore is not None:
            restore(res.functions)


def upgrade_old_aof(server: Server) -> None:
    """aofUpgradePrepare: a pre-7 ``dir/appendfilename`` becomes the BASE of a
    new directory (the file is moved, not copied)."""
    old = os.path.join(server.config["dir"] or ".", _name(server))
    if os.path.exists(manifest_path(server)) or not os.path.isfile(old):
        return
    os.makedirs(aof_dir(server), exist_ok=True)
    m = Manifest()
    m.base, m.base_seq = (_name(server), 1), 1
    os.replace(old, _path(server, _name(server)))
    persist_manifest(server, m)
    log(server).notice("Successfully migrated an old-style AOF file (%s) into the AOF directory (%s)."
                       % (_name(server), server.config["appenddirname"]))


def load_manifest(server: Server) -> Manifest:
    try:
        with open(manifest_path(server)) as f:
            return Manifest.parse(f.read())
    except FileNotFoundError:
        return Manifest()


def load_all(server: Server) -> bool:
    """loadAppendOnlyFiles: the BASE then every INCR.  True if anything was there."""
    st = state(server)
    lg = log(server)
    m = st.manifest
    files = ([m.base[0]] if m.base else []) + [name for name, _ in m.incrs]
    if not files:
        return False
    c = _pseudo_client(server)
    prop, server.prop = server.prop, None
    st.loading = True
    t_all = time.perf_counter()
    try:
        for k, name in enumerate(files):
            path = _path(server, name)
            if not os.path.exists(path):
                raise AofError(errors.AOF_MISSING % name)
            t0 = time.perf_counter()
            if load_file(server, path, name, k == len(files) - 1, c):  # an empty file goes unmentioned
                kind = "base" if m.base and k == 0 else "incr"
                lg.notice("DB loaded from %s file %s: %.3f seconds" % (kind, name, time.perf_counter() - t0))
    finally:
        st.loading = False
        server.prop = prop
        server.clients.pop(c.id, None)
    lg.notice("DB loaded from append only file: %.3f seconds" % (time.perf_counter() - t_all))
    return True


def load_at_startup(server: Server) -> bool:
    """With appendonly yes: upgrade, load, open the last INCR (or create the
    first BASE and INCR).  False on a fatal error (logged)."""
    st = state(server)
    lg = log(server)
    try:
        upgrade_old_aof(server)
        st.manifest = load_manifest(server)
        loaded = load_all(server)
    except AofError as e:
        lg.warning(str(e) or errors.AOF_BAD_FORMAT % "?")
        return False
    except (OSError, rdb.RDBError) as e:
        lg.warning("Fatal error loading the AOF: %s. Exiting." % (getattr(e, "strerror", None) or e))
        return False
    server.dirty = 0
    try:
        open_at_startup(server)
        del_history(server)
    except OSError as e:
        lg.warning("Can't open the append-only file: %s" % e.strerror)
        return False
    if not loaded:
        st.base_size = 0  # aof_rewrite_base_size is set only by a load or a rewrite (Redis)
    return True


def open_at_startup(server: Server) -> None:
    """aofOpenIfNeededOnServerStart (+ the base Redis 7.0 creates when there is none)."""
    st = state(server)
    lg = log(server)
    os.makedirs(aof_dir(server), exist_ok=True)
    m = st.manifest
    if m.base is None and not m.incrs:
        m.base_seq = 1
        base = _base_name(server, 1)
        write_base_file(server, _path(server, base))
        m.base = (base, 1)
        lg.notice("Creating AOF base file %s on server start" % base)
    if m.incrs:
        name = m.incrs[-1][0]
        st.fd = _open_append(_path(server, name))
        lg.notice("Opening AOF incr file %s on server start" % name)
    else:
        m.incr_seq += 1
        name = _incr_name(server, m.incr_seq)
        st.fd = _open_append(_path(server, name))
        m.incrs.append((name, m.incr_seq))
        lg.notice("Creating AOF incr file %s on server start" % name)
    persist_manifest(server, m)
    st.current_size = sum(_file_size(_path(server, n)) for n in
                          ([m.base[0]] if m.base else []) + [n for n, _ in m.incrs])
    st.base_size = st.current_size
    st.state = ON
    st.selected_db = -1
    _activate(server)


def debug_loadaof(c: Any, argv: list[bytes]) -> Any:
    """DEBUG LOADAOF: flush the AOF, empty the dataset, load the files back."""
    from ..protocol.writer import OK

    server = c.server
    st = state(server)
    if st.state == ON:
        flush(server, fsync=True)
    for db in server.dbs:
        db.flush()
    try:
        st.manifest = load_manifest(server)
        load_all(server)
    except (AofError, OSError, rdb.RDBError) as e:
        log(server).warning(str(e))
        raise errors.CommandError(errors.AOF_LOAD_ERROR) from None
    server.dirty = 0
    propagate.prevent(c)
    log(server).notice("Append Only File loaded by DEBUG LOADAOF")
    return OK


# --- hooks ---------------------------------------------------------------------------


def _cron(server: Server) -> None:
    st = state(server)
    if st.state != OFF and not st.fsync_task:
        _start_fsync_task(server)  # the AOF was opened before trio ran (start-up)
    if st.child_pid is not None:
        poll_child(server)
    if server.aof_buf and not server.held:
        # Writes made outside any client (active expiry, eviction).  While replies
        # are held, the round's end writes the buffer with theirs (one fsync).
        flush(server)
    if child_active(server):
        return
    retry_ok = time.time() - st.last_rewrite_try > REWRITE_RETRY_DELAY or st.last_rewrite_ok
    if st.scheduled and retry_ok:
        rewrite_background(server)
        return
    perc = server.config["auto-aof-rewrite-percentage"]
    if st.state == ON and perc and st.current_size > server.config["auto-aof-rewrite-min-size"] and retry_ok:
        base = st.base_size or 1
        growth = (st.current_size * 100 // base) - 100
        if growth >= perc:
            log(server).notice("Starting automatic rewriting of AOF on %d%% growth" % growth)
            rewrite_background(server)


def _shutdown(server: Server, save_flag: bool | None) -> None:
    st = state(server)
    lg = log(server)
    if st.child_pid is not None:
        lg.warning("There is a child rewriting the AOF. Killing it!")
        kill_child(server)
    if st.state == WAIT_REWRITE:
        # The first BASE was not written yet: without it the AOF would not hold
        # the dataset.  Redis refuses to exit here ("Writing initial AOF, can't
        # exit"); our shutdown can't be refused, so the BASE is written now.
        lg.warning("Writing initial AOF before exiting.")
        try:
            write_initial(server)
        except OSError as e:
            lg.warning("Can't write the initial AOF: %s" % e.strerror)
    if st.state != OFF:
        lg.notice("Calling fsync() on the AOF file.")
        flush(server, fsync=True)


def write_initial(server: Server) -> None:
    """The first BASE of a run-time ``appendonly yes``, in the foreground, and a
    fresh INCR after it: the AOF holds the whole dataset from here on."""
    st = state(server)
    flush(server)
    if st.fd >= 0:
        _sync_fds([st.fd], [st.fd])
        st.fd = -1
    snapshot._unlink(_path(server, _temp_incr(server)))
    st.temp_incr = False
    os.makedirs(aof_dir(server), exist_ok=True)
    m = st.manifest.copy()
    m.base_seq += 1
    base = _base_name(server, m.base_seq)
    write_base_file(server, _path(server, base))
    m.history += [name for name, _ in m.incrs] + ([m.base[0]] if m.base else [])
    m.base = (base, m.base_seq)
    m.incr_seq += 1
    name = _incr_name(server, m.incr_seq)
    st.fd = _open_append(_path(server, name))
    m.incrs = [(name, m.incr_seq)]
    persist_manifest(server, m)
    st.manifest = m
    st.state = ON
    st.selected_db = -1
    del_history(server)


def misconf(server: Server) -> str | None:
    st = state(server)
    if not st.last_write_ok and st.state != OFF:
        return errors.MISCONF_AOF % st.last_write_error
    return None


def info_lines(server: Server) -> list[str]:
    st = state(server)
    running = st.child_pid is not None
    lines = [
        "aof_enabled:%d" % (st.state != OFF),
        "aof_rewrite_in_progress:%d" % running,
        "aof_rewrite_scheduled:%d" % st.scheduled,
        "aof_last_rewrite_time_sec:%d" % st.last_rewrite_time_sec,
        "aof_current_rewrite_time_sec:%d" % (int(time.time() - st.child_start) if running else -1),
        "aof_last_bgrewrite_status:%s" % ("ok" if st.last_rewrite_ok else "err"),
        "aof_rewrites:%d" % st.rewrites,
        "aof_rewrites_consecutive_failures:%d" % st.consecutive_failures,
        "aof_last_write_status:%s" % ("ok" if st.last_write_ok else "err"),
        "aof_last_cow_size:0",
        "module_fork_in_progress:0",
        "module_fork_last_cow_size:0",
    ]
    if st.state != OFF:
        lines += [
            "aof_current_size:%d" % st.current_size,
            "aof_base_size:%d" % st.base_size,
            "aof_pending_rewrite:%d" % st.scheduled,
            "aof_buffer_length:%d" % sum(map(len, server.aof_buf)),
            "aof_pending_bio_fsync:%d" % (st.fsync_running or bool(st.retired)),
            "aof_delayed_fsync:0",
        ]
    return lines


def _setup(server: Server) -> None:
    server.hooks["aof_state"] = AofState()
    server.hooks.setdefault("cron", []).append(lambda: _cron(server))
    # Before snapshot's shutdown hook? Order does not matter: each kills its own child.
    server.hooks.setdefault("shutdown", []).append(lambda flag: _shutdown(server, flag))
    server.hooks["info_aof"] = lambda: info_lines(server)
    server.hooks["aof_misconf"] = lambda: misconf(server)
    server.hooks["aof_child_active"] = lambda: state(server).child_pid is not None
    server.hooks["debug_loadaof"] = debug_loadaof
    server.config.listeners.append(lambda name, old: _on_config(server, name, old))


SETUP.append(_setup)
