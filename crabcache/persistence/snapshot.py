"""Snapshots on disk: SAVE, BGSAVE (fork), save points, shutdown save, startup load.

Rules of this module:

* Files are written as Redis writes them: to ``temp-<pid>.rdb`` in the target
  directory, flushed and fsynced, then renamed over ``dir/dbfilename`` and the
  directory fsynced.  A crash leaves either the old file or the new one.
* BGSAVE forks.  The child writes the copy-on-write image of the keyspace and
  leaves with ``os._exit`` (no trio, no atexit, no sockets: it only writes the
  file).  The parent watches the child from a trio system task (a pidfd where
  the platform has one, polling otherwise) and updates ``RdbState`` when it
  ends: dirty counter, ``lastsave``, last status, timings.
* The cron hook starts a BGSAVE when a ``save`` point is reached (Redis's
  serverCron rule, with its 5 s retry delay after a failure) or when one was
  scheduled; the shutdown hook saves when asked to (SHUTDOWN SAVE, or save
  points configured and not NOSAVE) after killing any running child.
* Everything that changes server state runs on the trio thread; handlers
  call the synchronous functions here and never wait for a child.
* Saves nobody asked for (save points, the save at shutdown, FLUSHALL's
  rewrite) happen only when ``RdbState.autosave`` is on.  The
  ``crabcache-server`` entry point turns it on; servers built in-process
  (tests, embedding) leave it off, so a test never drops a dump.rdb into the
  working directory (``dir`` defaults to it, as in Redis).  Explicit SAVE,
  BGSAVE, SHUTDOWN SAVE and DEBUG RELOAD always write.
"""

from __future__ import annotations

import gc
import mmap
import os
import signal
import time
from typing import Any, Callable

from .. import errors
from ..log import Log
from ..server.state import SETUP, Server
from . import rdb

BGSAVE_RETRY_DELAY = 5  # CONFIG_BGSAVE_RETRY_DELAY


class RdbState:
    """Per-server persistence bookkeeping (INFO persistence reads it)."""

    def __init__(self) -> None:
        self.child_pid: int | None = None
        self.child_start = 0.0
        self.dirty_before_bgsave = 0
        self.last_bgsave_ok = True
        self.last_bgsave_try = 0.0
        self.last_bgsave_time_sec = -1
        self.scheduled = False
        self.saves = 0  # stat_rdb_saves
        self.total_forks = 0
        self.latest_fork_usec = 0
        self.keys_loaded = 0
        self.keys_expired = 0
        self.killed_on_purpose = False
        self.autosave = False  # see the module rules


def state(server: Server) -> RdbState:
    return server.hooks["rdb_state"]  # type: ignore[no-any-return]


def log(server: Server) -> Log:
    lg = server.hooks.get("log")
    if lg is None:
        lg = server.hooks["log"] = Log("warning")
    return lg  # type: ignore[no-any-return]


def rdb_path(server: Server) -> str:
    d = server.config["dir"]
    name = server.config["dbfilename"]
    return os.path.join(d, name) if d else name


def _limits(server: Server) -> rdb.Limits:
    return rdb.Limits(server.config)


def _functions(server: Server) -> list[bytes]:
    fn = server.hooks.get("functions_dump")  # library codes, if a FUNCTION module is loaded
    return list(fn()) if fn is not None else []


def _rss() -> int:
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError):
        return 0


def write_file(server: Server, path: str, tmp_pid: int | None = None) -> int:
    """Write the whole keyspace to ``path`` atomically; returns the key count.

    Raises OSError (after logging Redis's message) when the file can't be written.
    """
    directory = os.path.dirname(path) or "."
    tmp = os.path.join(directory, "temp-%d.rdb" % (tmp_pid if tmp_pid is not None else os.getpid()))
    try:
        f = open(tmp, "wb")
    except OSError as e:
        log(server).warning("Failed opening the temp RDB file %s (in server root dir %s) for saving: %s"
                            % (os.path.basename(tmp), os.path.abspath(directory), e.strerror))
        raise
    try:
        with f:
            n = rdb.save(f, server.dbs, server.now_ms(), compress=server.config["rdbcompression"],
                         checksum=server.config["rdbchecksum"], limits=_limits(server),
                         used_mem=_rss(), functions=_functions(server))
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
        _fsync_dir(directory)
    except OSError as e:
        log(server).warning("Write error saving DB on disk: %s" % e.strerror)
        _unlink(tmp)
        raise
    return n


def _fsync_dir(directory: str) -> None:
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _unlink(path: str) -> None:
    try:
        os.unlink(path)
    except OSError:
        pass


def _status(server: Server, ok: bool) -> None:
    # lastbgsave_status.  The dispatcher tests server.disk_error (cheap,
    # usually False) and only then asks misconf() whether writes must stop;
    # a failed AOF write (persistence.aof) keeps it set too.
    state(server).last_bgsave_ok = ok
    aof = server.hooks.get("aof_misconf")
    server.disk_error = not ok or (aof is not None and aof() is not None)


def misconf(server: Server) -> str | None:
    """writeCommandsDeniedByDiskError: the MISCONF text while writes must stop."""
    if (not state(server).last_bgsave_ok and server.config["stop-writes-on-bgsave-error"]
            and server.config["save"]):
        return errors.MISCONF
    aof = server.hooks.get("aof_misconf")
    return aof() if aof is not None else None


def other_child(server: Server) -> bool:
    """An AOF rewrite child runs (only one child at a time, as Redis's hasActiveChildProcess)."""
    fn = server.hooks.get("aof_child_active")
    return fn is not None and fn()


def save(server: Server) -> bool:
    """rdbSave: a blocking save to ``dir/dbfilename``; True on success."""
    st = state(server)
    st.saves += 1
    try:
        write_file(server, rdb_path(server))
    except OSError:
        return False
    except rdb.RDBError as e:
        log(server).warning("Error saving DB on disk: %s" % e)
        return False
    log(server).notice("DB saved on disk")
    server.dirty = 0
    server.lastsave = int(time.time())
    _status(server, True)
    return True


def bgsave(server: Server) -> bool:
    """rdbSaveBackground: fork a child that writes the file; True if it started."""
    st = state(server)
    if st.child_pid is not None or other_child(server):
        return False
    st.dirty_before_bgsave = server.dirty
    st.last_bgsave_try = time.time()
    st.saves += 1
    path = rdb_path(server)
    lg = log(server)
    try:
        pid = fork_child(server)
    except OSError as e:
        _status(server, False)
        lg.warning("Can't save in background: fork: %s" % e.strerror)
        return False
    if pid == 0:  # pragma: no cover - runs in the child, which leaves through os._exit
        _child(server, path)
    st.child_pid = pid
    st.child_start = time.time()
    st.killed_on_purpose = False
    lg.notice("Background saving started by pid %d" % pid)
    _watch(server, pid)
    return True


def fork_child(server: Server) -> int:
    """os.fork for a BGSAVE or AOF rewrite child (0 in the child; OSError as
    os.fork raises it), counted and timed for INFO (total_forks, latest_fork_usec)."""
    t0 = time.perf_counter()
    pid = os.fork()
    if pid:
        st = state(server)
        st.latest_fork_usec = int((time.perf_counter() - t0) * 1_000_000)
        st.total_forks += 1
    return pid


def enter_child(server: Server) -> Log:  # pragma: no cover - child process
    """A forked child's first steps; returns its log (role "C", as Redis's)."""
    # Signals must not reach the parent's trio wakeup socket, and the
    # collector must not walk (and so copy) every page of the snapshot.
    signal.set_wakeup_fd(-1)
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGUSR1):
        signal.signal(sig, signal.SIG_DFL)
    gc.disable()
    lg = log(server)
    lg.role = "C"
    return lg


def reap(pid: int, block: bool = False) -> int | None:
    """The wait status of child ``pid`` once it has ended, else None."""
    try:
        got, status = os.waitpid(pid, 0 if block else os.WNOHANG)
    except ChildProcessError:
        return 1 << 8  # reaped elsewhere: count as a failure
    return status if got else None


def stop_child(pid: int) -> None:
    """Ask a child to stop (SIGUSR1: Redis's mark of a child killed on purpose)."""
    try:
        os.kill(pid, signal.SIGUSR1)
    except ProcessLookupError:
        pass


def _child(server: Server, path: str) -> None:  # pragma: no cover - child process
    code = 1
    try:
        lg = enter_child(server)
        key_save_delay(server)
        write_file(server, path, os.getpid())
        lg.notice("DB saved on disk")
        code = 0
    except BaseException:
        code = 1
    finally:
        os._exit(code)


def key_save_delay(server: Server) -> None:  # pragma: no cover - child process
    """rdb-key-save-delay (a testing knob, as in Redis): the child spends that many
    microseconds per key -- here all at once, before it writes."""
    delay = server.config["rdb-key-save-delay"]
    if delay > 0:
        time.sleep(delay * sum(db.size for db in server.dbs) / 1e6)


def _watch(server: Server, pid: int) -> None:
    watch_child(server, pid, lambda: state(server).child_pid, lambda: poll_child(server), "background save",
                "bgsave-watch")


def watch_child(server: Server, pid: int, current: Callable[[], int | None], poll: Callable[[], bool],
                what: str, name: str) -> None:
    """Reap a forked child (BGSAVE, AOF rewrite) from a trio system task: wait on
    a pidfd where the platform has one, else poll, calling ``poll()`` (the
    module's poll_child) until it reaps ``pid`` or ``current()`` names another
    child.  Without trio (unit tests) the caller's poll_child does it."""
    try:
        import trio

        trio.lowlevel.spawn_system_task(_wait_child, server, pid, current, poll, what, name=name)
    except RuntimeError:
        pass  # not inside trio.run


async def _wait_child(server: Server, pid: int, current: Callable[[], int | None], poll: Callable[[], bool],
                      what: str) -> None:
    import trio

    try:
        try:
            fd = os.pidfd_open(pid)
        except (AttributeError, OSError):
            fd = -1
        if fd >= 0:
            try:
                await trio.lowlevel.wait_readable(fd)
            finally:
                os.close(fd)
        while current() == pid and not poll():
            await trio.sleep(0.05)
        poll()
    except Exception as e:  # a system task must never raise
        log(server).warning("Error watching the %s child: %r" % (what, e))


def poll_child(server: Server, block: bool = False) -> bool:
    """checkChildrenDone: reap the BGSAVE child if it ended; True when none is left."""
    st = state(server)
    pid = st.child_pid
    if pid is None:
        return True
    status = reap(pid, block)
    if status is None:
        return False
    _child_done(server, pid, status)
    return True


def _child_done(server: Server, pid: int, status: int) -> None:
    # backgroundSaveDoneHandlerDisk
    st = state(server)
    lg = log(server)
    st.child_pid = None
    st.last_bgsave_time_sec = int(time.time() - st.child_start)
    if os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0:
        lg.notice("Background saving terminated with success")
        server.dirty = max(0, server.dirty - st.dirty_before_bgsave)
        server.lastsave = int(time.time())
        _status(server, True)
    elif os.WIFEXITED(status):
        lg.warning("Background saving error")
        _status(server, False)
    else:
        sig = os.WTERMSIG(status) if os.WIFSIGNALED(status) else 0
        lg.warning("Background saving terminated by signal %d" % sig)
        _unlink(os.path.join(os.path.dirname(rdb_path(server)) or ".", "temp-%d.rdb" % pid))
        # A child we killed on purpose (SIGUSR1) is not an error.
        if not (st.killed_on_purpose or sig == signal.SIGUSR1):
            _status(server, False)


def kill_child(server: Server) -> None:
    """killRDBChild: stop a running BGSAVE and reap it now."""
    st = state(server)
    pid = st.child_pid
    if pid is None:
        return
    st.killed_on_purpose = True
    stop_child(pid)
    poll_child(server, block=True)


# --- hooks ---------------------------------------------------------------------------


def _cron(server: Server) -> None:
    st = state(server)
    if st.child_pid is not None:
        poll_child(server)
        return
    if other_child(server):
        return  # a save point or a scheduled BGSAVE waits for the AOF rewrite
    now = time.time()
    retry_ok = now - st.last_bgsave_try > BGSAVE_RETRY_DELAY or st.last_bgsave_ok
    if st.scheduled and retry_ok:
        if bgsave(server):
            st.scheduled = False
        return
    if not st.autosave:
        return
    for seconds, changes in server.config["save"]:
        if server.dirty >= changes and now - server.lastsave > seconds and retry_ok:
            log(server).notice("%d changes in %d seconds. Saving..." % (changes, seconds))
            bgsave(server)
            break


def _shutdown(server: Server, save_flag: bool | None) -> None:
    # prepareForShutdown: kill a running child, then save if asked to.
    st = state(server)
    lg = log(server)
    if st.child_pid is not None:
        lg.warning("There is a child saving an .rdb. Killing it!")
        kill_child(server)
    if save_flag is True or (save_flag is None and server.config["save"] and st.autosave):
        lg.notice("Saving the final RDB snapshot before exiting.")
        if not save(server):
            lg.warning("Error trying to save the DB, can't exit.")


def _flushall(server: Server) -> None:
    # FLUSHALL with save points configured: stop any BGSAVE and write the empty
    # dataset, so a restart doesn't bring the keys back.  Keeps the dirty count.
    if state(server).child_pid is not None:
        kill_child(server)
    if server.config["save"] and state(server).autosave:
        dirty = server.dirty
        save(server)
        server.dirty = dirty


def info_lines(server: Server) -> list[str]:
    """The rdb_* fields of INFO persistence."""
    st = state(server)
    running = st.child_pid is not None
    return [
        "rdb_changes_since_last_save:%d" % server.dirty,
        "rdb_bgsave_in_progress:%d" % running,
        "rdb_last_save_time:%d" % server.lastsave,
        "rdb_last_bgsave_status:%s" % ("ok" if st.last_bgsave_ok else "err"),
        "rdb_last_bgsave_time_sec:%d" % st.last_bgsave_time_sec,
        "rdb_current_bgsave_time_sec:%d" % (int(time.time() - st.child_start) if running else -1),
        "rdb_saves:%d" % st.saves,
        "rdb_last_cow_size:0",
        "rdb_last_load_keys_expired:%d" % st.keys_expired,
        "rdb_last_load_keys_loaded:%d" % st.keys_loaded,
    ]


def _setup(server: Server) -> None:
    server.hooks["rdb_state"] = RdbState()
    server.hooks.setdefault("cron", []).append(lambda: _cron(server))
    server.hooks.setdefault("shutdown", []).append(lambda flag: _shutdown(server, flag))
    server.hooks.setdefault("flushall", []).append(lambda: _flushall(server))
    server.hooks["info_rdb"] = lambda: info_lines(server)
    server.hooks["misconf"] = lambda: misconf(server)


SETUP.append(_setup)


# --- loading ---------------------------------------------------------------------------


def _merge_key(db: Any, key: bytes, value: Any, expire: int | None) -> None:
    db.set(key, value)
    if expire is not None:
        db.set_expire(key, expire)


def load_file(server: Server, path: str, merge: bool = False) -> rdb.LoadResult:
    """Load ``path`` into the databases.  Raises OSError / RDBError.

    A key that is already there is an error unless ``merge`` (then the file wins).
    """
    with open(path, "rb") as f:
        size = os.fstat(f.fileno()).st_size
        if size == 0:
            raise rdb.RDBError(rdb.SHORT_READ)
        with mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as data:
            res = rdb.load(data, server.dbs, server.now_ms(), limits=_limits(server),
                           check_crc=server.config["rdbchecksum"], on_key=_merge_key if merge else None)
    st = state(server)
    st.keys_loaded = res.keys_loaded
    st.keys_expired = res.keys_expired
    if res.functions:
        restore = server.hooks.get("functions_restore")
        if restore is not None:
            restore(res.functions)
        else:
            log(server).warning("The RDB file has %d function libraries; FUNCTION is not available, "
                                "they were skipped" % len(res.functions))
    return res


def load_at_startup(server: Server) -> bool:
    """loadDataFromDisk: load ``dir/dbfilename`` if it exists.  False on a fatal error."""
    path = rdb_path(server)
    lg = log(server)
    if not os.path.exists(path):
        return True
    t0 = time.perf_counter()
    try:
        res = load_file(server, path)
    except (OSError, rdb.RDBError) as e:
        msg = e.strerror if isinstance(e, OSError) else str(e)
        lg.warning("Fatal error loading the DB: %s. Exiting." % msg)
        return False
    ver = res.aux.get(b"redis-ver")
    if ver:
        lg.notice("Loading RDB produced by version %s" % ver.decode("latin-1"))
    ctime = res.aux.get(b"ctime")
    if ctime and ctime.lstrip(b"-").isdigit():
        lg.notice("RDB age %d seconds" % (int(time.time()) - int(ctime)))
    lg.notice("Done loading RDB, keys loaded: %d, keys expired: %d." % (res.keys_loaded, res.keys_expired))
    lg.notice("DB loaded from disk: %.3f seconds" % (time.perf_counter() - t0))
    return True


def debug_reload(server: Server, save_first: bool = True, flush: bool = True,
                 merge: bool = False) -> str | None:
    """DEBUG RELOAD: save, flush, load back.  Returns an error message or None.

    ``merge``: a key already present is replaced by the file's (RDBFLAGS_ALLOW_DUP).
    """
    if save_first and not save(server):
        return "ERR"
    if flush:
        for db in server.dbs:
            db.flush()
    try:
        load_file(server, rdb_path(server), merge)
    except (OSError, rdb.RDBError) as e:
        log(server).warning("Error loading the RDB in DEBUG RELOAD: %s" % e)
        return "ERR Error trying to load the RDB dump, check server logs."
    log(server).notice("DB reloaded by DEBUG RELOAD")
    return None
