"""The script engine of one server: script cache, function libraries, running scripts.

Theory of operation
-------------------

A script runs synchronously on the trio thread, like any handler, so it is
atomic: no other client's command runs while it does.  It runs inside a
greenlet, and a Lua count hook (every 100000 VM instructions, as Redis's)
calls back here.  As long as the script is younger than
``busy-reply-threshold`` the hook returns at once and nothing else happens.
Past the threshold the server enters *busy mode* (``server.busy`` is the
running ``Run``): the hook switches out of the greenlet, the handler returns a
``Deferred``, and from then on the script runs one hook period at a time,
with a trio checkpoint between periods.  In those gaps the other connections
are served, but the dispatcher (one ``server.busy is not None`` test) refuses
every command without the ``allow_busy`` flag with ``-BUSY``, exactly what
Redis's processEventsWhileBlocked achieves.  SCRIPT KILL / FUNCTION KILL set
a flag the next hook call acts on; SHUTDOWN NOSAVE cancels the waiting
connection, which kills the script the same way.  Cron's active expiry is
paused in busy mode and the clock is frozen at the script's start for key
expiry, so the keyspace a script sees changes only through the script.

A script called inside MULTI/EXEC goes busy the same way: EXEC suspends
around it (``transactions._ExecRest``) and resumes the queue when it ends.

Commands from scripts (``redis.call``) go through the command table, the same
lookup/arity code and ``dispatch.call`` as client commands, on a session of
their own (Redis's lua client) whose database is the caller's.
"""

from __future__ import annotations

import contextvars
import time
from typing import TYPE_CHECKING, Any

import trio
from greenlet import greenlet

from .. import errors
from ..commands.registry import COMMANDS
from ..dispatch import Deferred, call, count_error, reject, resolve
from ..errors import CommandError
from ..protocol.reader import split_inline
from ..protocol.writer import NULL_ARRAY
from ..server.session import Session
from . import functions as fx
from .convert import from_flat, lua_error_text, lua_int, to_lua
from .libs import TABLE, ScriptError, lua_tonumber, lua_tostring
from .vm import LuaVM, sha1hex

if TYPE_CHECKING:
    from ..server.state import Server

BUSY_EVAL = errors.BUSY_SCRIPT
BUSY_FUNCTION = errors.BUSY_FUNCTION
NOTBUSY = errors.NOTBUSY
UNKILLABLE = errors.UNKILLABLE
NOSCRIPT = errors.NOSCRIPT
RO_WITH_WRITE_FLAG = errors.SCRIPT_RO_WITH_WRITE_FLAG
LOAD_TIMEOUT_S = 0.5  # FUNCTION LOAD's time limit (Redis's LOAD_TIMEOUT_MS)

_E_NO_ARGS = errors.SCRIPT_NO_ARGS.encode()
_E_ARG_TYPE = errors.SCRIPT_ARG_TYPE.encode()
_E_UNKNOWN = errors.SCRIPT_UNKNOWN_COMMAND
_E_ARITY = errors.SCRIPT_WRONG_ARITY
_E_NOSCRIPT = errors.SCRIPT_NOSCRIPT_COMMAND
_E_READONLY = errors.SCRIPT_WRITE_IN_RO
_SCRIPT_FLAGS = frozenset(fx.FLAG_ORDER)


class Script:
    __slots__ = ("sha", "body", "fn", "flags")

    def __init__(self, sha: bytes, body: bytes, fn: Any, flags: frozenset[str] | None) -> None:
        self.sha = sha
        self.body = body
        self.fn = fn
        self.flags = flags  # None: no shebang (EVAL compatibility mode)


class Run:
    """One script or function execution (Redis's scriptRunCtx)."""

    __slots__ = (
        "engine", "vm", "caller", "name", "argv", "is_eval", "read_only", "start", "write_dirty",
        "killed", "timed_out", "greenlet", "can_yield", "saved_clock", "saved_expire", "oom",
    )

    def __init__(self, engine: "ScriptEngine", vm: LuaVM, caller: Any, name: bytes, argv: list[bytes],
                 is_eval: bool, read_only: bool) -> None:
        self.engine = engine
        self.vm = vm
        self.caller = caller
        self.name = name
        self.argv = argv
        self.is_eval = is_eval
        self.read_only = read_only
        self.start = time.monotonic()
        self.write_dirty = False
        self.killed = False
        self.timed_out = False
        self.greenlet: Any = None
        # EXEC can suspend around a busy script (transactions._ExecRest); only a
        # script session itself can't hand a Deferred on.
        self.can_yield = caller.kind != "lua"
        self.saved_clock: Any = None
        self.saved_expire = True
        self.oom = False  # over maxmemory when it started, without allow-oom (scriptVerifyOOM)

    def busy_error(self) -> CommandError:
        return CommandError(BUSY_EVAL if self.is_eval else BUSY_FUNCTION)

    def reject(self, c: Any, cmd: Any, argv: list[bytes]) -> CommandError | None:
        """While in busy mode: the error for a command that may not run now, else None."""
        if "allow_busy" in cmd.flags:
            if cmd.name == "shutdown" and not any(a.lower() == b"nosave" for a in argv[1:]):
                return self.busy_error()
            if cmd.name == "function|stats" and self.is_eval:
                return CommandError(BUSY_EVAL)
            return None
        return self.busy_error()

    def duration_ms(self) -> int:
        return int((time.monotonic() - self.start) * 1000)


class _BusyRun(Deferred):
    """The reply of a script that went past busy-reply-threshold: run it to its end,
    one hook period at a time, letting the other clients in between."""

    def __init__(self, run: Run) -> None:
        self.run = run

    async def wait(self) -> Any:
        run = self.run
        engine = run.engine
        g = run.greenlet
        try:
            out = None
            while not g.dead:
                await trio.sleep(0)
                out = g.switch()
        except BaseException:
            # Cancelled (SHUTDOWN, the server stopping): the script must not outlive us.
            run.killed = True
            while not g.dead:
                g.switch()
            engine._end(run)
            raise
        engine._end(run)
        try:
            return engine._reply(run, out)
        except CommandError as e:
            count_error(run.caller, e)
            return e


class ScriptEngine:
    """Per-server scripting state (``server.scripting``)."""

    def __init__(self, server: "Server") -> None:
        self.server = server
        self._eval_vm: LuaVM | None = None
        self._func_vm: LuaVM | None = None
        self._session: Session | None = None
        self.scripts: dict[bytes, Script] = {}
        self.libraries: dict[bytes, fx.Library] = {}
        self.functions: dict[bytes, fx.Function] = {}  # lowercase name -> function
        self.current: Run | None = None
        self._loading: fx.Library | None = None
        self._load_deadline = 0.0

    # --- VMs -----------------------------------------------------------------------
    def _redis_api(self) -> dict[str, Any]:
        return {
            "call": self.lua_call, "pcall": self.lua_pcall, "hook": self.lua_hook, "log": self.lua_log,
            "acl": self.lua_acl, "setresp": self.lua_setresp, "resp": self.lua_resp,
            "set_repl": _set_repl, "sha1hex": _sha1hex, "register": self.lua_register,
        }

    @property
    def eval_vm(self) -> LuaVM:
        if self._eval_vm is None:
            self._eval_vm = LuaVM("eval", self._redis_api())
        return self._eval_vm

    @property
    def func_vm(self) -> LuaVM:
        if self._func_vm is None:
            self._func_vm = LuaVM("function", self._redis_api())
        return self._func_vm

    def session(self) -> Session:
        s = self._session
        if s is None:
            s = self._session = Session(self.server, kind="lua")
            # Like Redis's lua client: never blocks (BLPOP & co. answer as if timed out).
            s.in_exec = True
        return s

    # --- EVAL family ---------------------------------------------------------------
    def script_flags(self, body: bytes) -> tuple[frozenset[str] | None, int]:
        """evalExtractShebangFlags: (flags or None for no shebang, shebang length)."""
        if not body.startswith(b"#!"):
            return None, 0
        nl = body.find(b"\n")
        if nl < 0:
            raise CommandError("ERR Invalid script shebang")
        parts = split_inline(body[:nl])
        if not parts:
            raise CommandError("ERR Invalid engine in script shebang")
        if parts[0] != b"#!lua":
            raise CommandError("ERR Unexpected engine in script shebang: %s" % parts[0].decode("latin-1"))
        flags: set[str] = set()
        for part in parts[1:]:
            if part.startswith(b"flags="):
                for f in part[6:].split(b","):
                    name = f.decode("latin-1")
                    if name not in _SCRIPT_FLAGS:
                        raise CommandError("ERR Unexpected flag in script shebang: %s" % name)
                    flags.add(name)
            else:
                raise CommandError("ERR Unknown lua shebang option: %s" % part.decode("latin-1"))
        return frozenset(flags), nl

    def load_script(self, body: bytes) -> Script:
        """Compile ``body`` into the script cache (or find it there)."""
        sha = sha1hex(body)
        s = self.scripts.get(sha)
        if s is not None:
            return s
        flags, shebang_len = self.script_flags(body)
        # Skip the shebang but keep its newline, so line numbers stay the user's.
        fn, err = self.eval_vm.compile(body[shebang_len:], b"@user_script")
        if fn is None:
            raise CommandError("ERR Error compiling script (new function): %s"
                               % (err or b"").decode("latin-1"))
        s = self.scripts[sha] = Script(sha, body, fn, flags)
        return s

    def flush_scripts(self) -> None:
        """SCRIPT FLUSH: forget every script and start a fresh Lua state."""
        self.scripts.clear()
        if self._eval_vm is not None:
            self._eval_vm.close()
        self._eval_vm = None

    def eval(self, c: Any, argv: list[bytes], sha: bool, ro: bool) -> Any:
        numkeys = _numkeys(argv, "ERR value is not an integer or out of range")
        if sha:
            key = argv[1].lower()
            script = self.scripts.get(key) if len(key) == 40 else None
            if script is None:
                raise CommandError(NOSCRIPT)
        else:
            script = self.load_script(argv[1])
        vm = self.eval_vm
        return self._execute(c, vm, vm.run_eval, script.fn, script.sha, argv, True, script.flags, ro,
                             argv[3:3 + numkeys], argv[3 + numkeys:])

    # --- FCALL ---------------------------------------------------------------------
    def fcall(self, c: Any, argv: list[bytes], ro: bool) -> Any:
        f = self.functions.get(argv[1].lower())
        if f is None:
            raise CommandError(errors.FUNCTION_NOT_FOUND)
        numkeys = _numkeys(argv, "ERR Bad number of keys provided")
        vm = self.func_vm
        return self._execute(c, vm, vm.run_function, f.fn, f.name, argv, False, f.flags, ro,
                             argv[3:3 + numkeys], argv[3 + numkeys:])

    # --- running -------------------------------------------------------------------
    def _execute(self, c: Any, vm: LuaVM, runner: Any, fn: Any, name: bytes, argv: list[bytes],
                 is_eval: bool, flags: frozenset[str] | None, ro: bool,
                 keys: list[bytes], args: list[bytes]) -> Any:
        # scriptPrepareForRun
        if flags is not None and "no-writes" not in flags and self.server.disk_error:
            misconf = self.server.hooks["misconf"]()
            if misconf is not None:
                raise CommandError(misconf)  # a script that may write, while writes are stopped
        if flags is not None and "no-writes" not in flags and ro:
            raise CommandError(RO_WITH_WRITE_FLAG)
        read_only = ro or (flags is not None and "no-writes" in flags)
        run = Run(self, vm, c, name, argv, is_eval, read_only)
        run.oom = getattr(self.server, "oom_state", False) and not (flags and "allow-oom" in flags)
        s = self.session()
        s.db = c.db
        s.resp3 = False
        s.user = c.user
        s.acl = c.acl  # the caller's ACL user, when restricted
        server = self.server
        # Keys expire as of the script's start (Redis's script time snapshot).
        clock = server.now_ms
        now = clock()
        server.now_ms = lambda: now
        run.saved_clock = clock  # restored by _end
        self.current = run
        g = greenlet(_run_in_greenlet)
        g.gr_context = contextvars.copy_context()
        run.greenlet = g
        try:
            out = g.switch(runner, fn, vm.table_from(keys), vm.table_from(args))
        except BaseException:
            self._end(run)
            raise
        if not g.dead:
            return _BusyRun(run)
        self._end(run)
        return self._reply(run, out)

    def _end(self, run: Run) -> None:
        server = self.server
        server.now_ms = run.saved_clock
        if server.busy is run:
            server.busy = None
            server.active_expire_enabled = run.saved_expire
        self.current = None

    def _reply(self, run: Run, out: Any) -> Any:
        if type(out) is not tuple:
            out = (out,)
        st = out[0]
        if st == 1:
            v = out[1]
            return v if type(v) is bytes else lua_int(v)
        if st == 3:
            return None
        if st == 2:
            flat = list(out[1].values())
            r = from_flat(flat)
            if isinstance(r, CommandError) and not flat[2]:
                raise r
            return r
        # An error: message, source, line, ignore-stats flag.
        if len(out) == 2:
            raise CommandError("ERR Error running script %s, %.100s"
                               % (run.name.decode("latin-1"), (out[1] or b"").decode("latin-1")))
        msg = out[1] if out[1] is not None else b"ERR unknown error"
        text = msg.decode("latin-1")
        source, line = out[2], out[3]
        if source is not None and line is not None:
            text += " script: %s, on %s:%s." % (run.name.decode("latin-1"), source.decode("latin-1"),
                                                line.decode("latin-1"))
        e = CommandError(text)
        if out[4]:
            return e  # already counted where it happened (ignore_error_stats_update)
        raise e

    def kill(self, is_eval: bool) -> None:
        """SCRIPT KILL (is_eval) / FUNCTION KILL."""
        run = self.current
        if run is None:
            raise CommandError(NOTBUSY)
        if run.write_dirty:
            raise CommandError(UNKILLABLE)
        if is_eval and not run.is_eval:
            raise CommandError(BUSY_FUNCTION)
        if not is_eval and run.is_eval:
            raise CommandError(BUSY_EVAL)
        run.killed = True

    # --- callbacks from Lua ----------------------------------------------------------
    def lua_call(self, *args: Any) -> Any:
        """redis.call: run a command as the script's client; errors are raised."""
        r = self._command(args)
        if type(r) is ScriptError:
            raise r
        return r

    def lua_pcall(self, *args: Any) -> Any:
        """redis.pcall: the same, errors come back as {err=...} tables."""
        r = self._command(args)
        if type(r) is ScriptError:
            e: dict[bytes, Any] = {b"err": r.msg}
            if r.ignore:
                e[b"ignore_error_stats_update"] = True
            return self.current_vm().table_from(e)
        return r

    def current_vm(self) -> LuaVM:
        run = self.current
        return run.vm if run is not None else self.eval_vm

    def _command(self, args: tuple) -> Any:
        run = self.current
        if not args:
            return ScriptError(TABLE, _E_NO_ARGS)
        argv = []
        for a in args:
            t = type(a)
            if t is bytes:
                argv.append(a)
            elif t is int or t is float:
                argv.append(b"%.17g" % a)
            else:
                return ScriptError(TABLE, _E_ARG_TYPE)
        c = self.session()
        try:
            cmd = resolve(c, argv)
        except CommandError as e:
            known = lookup(argv)
            arity = known is not None and e.message.startswith("ERR wrong number")
            err = CommandError(_E_ARITY if arity else _E_UNKNOWN)
            reject(c, known if arity else None, err)
            return ScriptError(TABLE, err.message.encode(), True)
        flags = cmd.flags
        err_msg = None
        if "noscript" in flags:
            err_msg = _E_NOSCRIPT
        elif c.acl is not None and run is not None and (
                acl_msg := self.server.hooks["acl_script_check"](run.caller, cmd, argv)) is not None:
            err_msg = acl_msg  # the caller's user may not run it (logged to ACL LOG)
        elif run is not None and run.read_only and (cmd.write or "may_replicate" in flags):
            err_msg = _E_READONLY
        elif run is not None and cmd.write and not run.write_dirty and self.server.disk_error and (
                misconf := self.server.hooks["misconf"]()) is not None:
            err_msg = misconf  # scriptVerifyWriteCommandAllow: a failed BGSAVE stops writes
        elif run is not None and run.oom and cmd.denyoom and not run.write_dirty:
            err_msg = errors.OOM  # only the first write: a script can't stop half-way
        if err_msg is not None:
            reject(c, cmd, CommandError(err_msg))
            return ScriptError(TABLE, err_msg.encode(), True)
        if cmd.write and run is not None:
            run.write_dirty = True
        r = call(c, cmd, argv)
        if isinstance(r, Deferred):
            r = NULL_ARRAY  # a script never blocks: as if the timeout had passed
        if isinstance(r, CommandError):
            return ScriptError(TABLE, lua_error_text(r.message), True)
        t = type(r)
        if t is bytes or t is int:
            return r
        v = to_lua(r, c.resp3)
        if type(v) is dict or type(v) is list:
            return (run.vm if run is not None else self.eval_vm).table_from(v, recursive=True)
        return v

    def lua_resp(self) -> int:
        return 3 if self.session().resp3 else 2

    def lua_setresp(self, *args: Any) -> None:
        if len(args) != 1:
            raise ScriptError(TABLE, b"ERR redis.setresp() requires one argument.")
        v = lua_tonumber(args[0])
        r = int(v) if v is not None and v == v and abs(v) < 2 ** 31 else 0
        if r != 2 and r != 3:
            raise ScriptError(TABLE, b"ERR RESP version must be 2 or 3.")
        self.session().resp3 = r == 3

    def lua_hook(self) -> int:
        """The count hook: 0 go on, 1 killed, 2 FUNCTION LOAD timed out."""
        run = self.current
        if run is None:
            if self._loading is not None and time.monotonic() > self._load_deadline:
                return 2
            return 0
        if run.killed:
            return 1
        if not run.timed_out:
            elapsed = (time.monotonic() - run.start) * 1000
            if elapsed < self.server.config["busy-reply-threshold"]:
                return 0
            self._enter_busy(run, elapsed)
        if run.can_yield:
            run.greenlet.parent.switch()
        return 1 if run.killed else 0

    def _enter_busy(self, run: Run, elapsed: float) -> None:
        run.timed_out = True
        self._log(3, "Slow script detected: still in execution after %d milliseconds. "
                     "You can try killing the script using the %s command. Script name is: %s."
                  % (elapsed, "SCRIPT KILL" if run.is_eval else "FUNCTION KILL", run.name.decode("latin-1")))
        if not run.can_yield:
            return
        server = self.server
        server.busy = run
        run.saved_expire = server.active_expire_enabled
        server.active_expire_enabled = False

    def lua_log(self, *args: Any) -> None:
        if len(args) < 2:
            raise ScriptError(TABLE, b"ERR redis.log() requires two arguments or more.")
        v = lua_tonumber(args[0])
        if v is None:
            raise ScriptError(TABLE, b"ERR First argument must be a number (log level).")
        level = int(v) if v == v and abs(v) < 2 ** 31 else -1
        if not 0 <= level <= 3:
            raise ScriptError(TABLE, b"ERR Invalid debug level.")
        msg = b""
        for j, a in enumerate(args[1:]):
            s = lua_tostring(a)
            if s is not None:
                msg += (b" " if j else b"") + s
        self._log(level, msg.decode("utf-8", "replace"))

    def _log(self, level: int, msg: str) -> None:
        log = self.server.hooks.get("log")
        if log is not None:
            log.log(level, msg)

    def lua_acl(self, *args: Any) -> bool:
        argv = []
        for a in args:
            if type(a) is bytes:
                argv.append(a)
            elif type(a) in (int, float):
                argv.append(b"%.17g" % a)
            else:
                raise ScriptError(TABLE, _E_ARG_TYPE)
        if not argv or lookup(argv) is None:
            raise ScriptError(TABLE, b"ERR Invalid command passed to redis.acl_check_cmd()")
        check = self.server.hooks.get("acl_check")
        if check is not None and self.current is not None:
            return bool(check(self.current.caller, argv))
        return True

    # --- FUNCTION --------------------------------------------------------------------
    def lua_register(self, name: bytes, fn: Any, desc: bytes | None, flags: bytes) -> bytes | None:
        lib = self._loading
        if lib is None:
            return b"ERR redis.register_function can only be called on FUNCTION LOAD command"
        if not fx.valid_name(name):
            return fx.BAD_NAME.encode()
        if name in lib.functions:
            return b"ERR Function already exists in the library"
        fl = frozenset(flags.decode().split(",")) if flags else frozenset()
        lib.functions[name] = fx.Function(name, lib.name, fn, desc, fl)
        return None

    def function_load(self, code: bytes, replace: bool, timeout: bool = True) -> bytes:
        """FUNCTION LOAD: the library's name, or Redis's error."""
        lib = self.create_library(code, replace, timeout)
        self.link(lib, replace)
        return lib.name

    def create_library(self, code: bytes, replace: bool, timeout: bool = True) -> fx.Library:
        engine, name, body = fx.parse_metadata(code)
        if not fx.valid_name(name):
            raise CommandError(fx.BAD_NAME)
        if engine.lower() != b"lua":
            raise CommandError("ERR Engine '%s' not found" % engine.decode("latin-1"))
        if name in self.libraries and not replace:
            raise CommandError("ERR Library '%s' already exists" % name.decode("latin-1"))
        lib = fx.Library(name, code)
        vm = self.func_vm
        self._loading = lib
        self._load_deadline = time.monotonic() + LOAD_TIMEOUT_S if timeout else float("inf")
        try:
            st, err = vm.load_library(body)
        finally:
            self._loading = None
        if st == 1:
            raise CommandError("ERR Error compiling function: %s" % (err or b"").decode("latin-1"))
        if st == 2:
            raise CommandError("ERR Error registering functions: %s" % (err or b"").decode("latin-1"))
        if not lib.functions:
            raise CommandError("ERR No functions registered")
        return lib

    def link(self, lib: fx.Library, replace: bool) -> None:
        old = self.libraries.get(lib.name) if replace else None
        for fname in lib.functions:
            f = self.functions.get(fname.lower())
            if f is not None and (old is None or f.library != old.name):
                raise CommandError("ERR Function %s already exists" % fname.decode("latin-1"))
        if old is not None:
            self.unlink(old)
        self.libraries[lib.name] = lib
        for fname, f in lib.functions.items():
            self.functions.setdefault(fname.lower(), f)

    def unlink(self, lib: fx.Library) -> None:
        del self.libraries[lib.name]
        for fname, f in lib.functions.items():
            if self.functions.get(fname.lower()) is f:
                del self.functions[fname.lower()]

    def flush_functions(self) -> None:
        self.libraries.clear()
        self.functions.clear()
        if self._func_vm is not None:
            self._func_vm.close()
        self._func_vm = None

    def restore(self, codes: list[bytes], policy: str) -> None:
        """FUNCTION RESTORE with FLUSH, APPEND or REPLACE; all or nothing."""
        new: dict[bytes, fx.Library] = {}
        names: dict[bytes, bytes] = {}
        for code in codes:
            lib = self.create_library(code, True, timeout=False)
            if lib.name in new:
                raise CommandError("ERR Library '%s' already exists" % lib.name.decode("latin-1"))
            for fname in lib.functions:
                if fname.lower() in names:
                    raise CommandError("ERR Function %s already exists" % fname.decode("latin-1"))
                names[fname.lower()] = fname
            new[lib.name] = lib
        if policy == "flush":
            self.libraries.clear()
            self.functions.clear()
        else:
            replaced = set()
            for name in new:
                if name in self.libraries:
                    if policy != "replace":
                        raise CommandError("ERR Library %s already exists" % name.decode("latin-1"))
                    replaced.add(name)
            for lname, fname in names.items():
                f = self.functions.get(lname)
                if f is not None and f.library not in replaced:
                    raise CommandError("ERR Function %s already exists" % fname.decode("latin-1"))
            for name in replaced:
                self.unlink(self.libraries[name])
        for lib in new.values():
            self.link(lib, False)

    def stats(self) -> Any:
        from ..protocol.writer import Map
        run = self.current
        running = None
        if run is not None:
            running = Map([b"name", run.name, b"command", list(run.argv), b"duration_ms", run.duration_ms()])
        nfuncs = sum(len(lib.functions) for lib in self.libraries.values())
        return Map([
            b"running_script", running,
            b"engines", Map([b"LUA", Map([b"libraries_count", len(self.libraries),
                                          b"functions_count", nfuncs])]),
        ])


def lookup(argv: list[bytes]) -> Any:
    """The command or subcommand ``argv`` names, None if unknown (no arity check)."""
    cmd = COMMANDS.get(argv[0]) or COMMANDS.get(argv[0].lower())
    if cmd is not None and cmd.subcommands and len(argv) > 1:
        return cmd.subcommands.get(argv[1].lower())
    return cmd


def _sha1hex(*args: Any) -> bytes:
    if len(args) != 1:
        raise ScriptError(TABLE, b"ERR wrong number of arguments")
    return sha1hex(lua_tostring(args[0]) or b"")


def _set_repl(*args: Any) -> None:
    if len(args) != 1:
        raise ScriptError(TABLE, b"ERR redis.set_repl() requires two arguments.")
    v = lua_tonumber(args[0])
    flags = int(v) if v is not None and v == v and abs(v) < 2 ** 31 else 0
    if flags & ~3:
        raise ScriptError(TABLE, b"ERR Invalid replication flags. Use REPL_AOF, REPL_REPLICA, REPL_ALL or REPL_NONE.")


def _run_in_greenlet(runner: Any, fn: Any, keys: Any, args: Any) -> Any:
    return runner(fn, keys, args)


def _numkeys(argv: list[bytes], bad: str) -> int:
    from ..commands.args import parse_int
    try:
        n = parse_int(argv[2])
    except CommandError:
        raise CommandError(bad) from None
    if n > len(argv) - 3:
        raise CommandError("ERR Number of keys can't be greater than number of args")
    if n < 0:
        raise CommandError("ERR Number of keys can't be negative")
    return n


__all__ = ["ScriptEngine", "Run"]
