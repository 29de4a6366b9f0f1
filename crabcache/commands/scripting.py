"""Scripting commands: EVAL family, SCRIPT, FUNCTION, FCALL.

Rules: handlers only parse arguments and shape replies; running Lua, the
script cache, the function registry and busy mode live in
``crabcache.scripting`` (one ``ScriptEngine`` per server, ``server.scripting``).
Replies and error texts are Redis 7.0.15's.
"""

from __future__ import annotations

from typing import Any

from .. import errors
from ..errors import CommandError
from ..glob import compile_glob
from ..protocol.writer import OK, Map, Set, Status
from ..scripting import functions as fx
from ..scripting.engine import ScriptEngine
from ..server.state import SETUP
from .args import parse_int
from .registry import command, container

GROUP = "scripting"
_EVAL_FLAGS = "noscript stale skip_monitor no_mandatory_keys movablekeys"


def _setup(server: Any) -> None:
    engine = ScriptEngine(server)
    server.scripting = engine
    # Persistence saves and loads function libraries through these.
    server.hooks["functions_dump"] = lambda: [lib.code for lib in engine.libraries.values()]
    server.hooks["functions_restore"] = lambda codes: engine.restore(list(codes), "replace")


SETUP.append(_setup)


def _numkeys_keys(argv: list[bytes]) -> list[int]:
    """Key positions of EVAL/FCALL-style commands: ``cmd x numkeys key...``."""
    try:
        n = parse_int(argv[2])
    except (CommandError, IndexError):
        return []
    if n < 0 or n > len(argv) - 3:
        return []
    return list(range(3, 3 + n))


def _engine(c: Any) -> ScriptEngine:
    return c.server.scripting


# --- EVAL / EVALSHA -----------------------------------------------------------------

@command("eval", -3, _EVAL_FLAGS, group=GROUP, since="2.6.0", getkeys=_numkeys_keys,
         summary="Execute a Lua script server side", complexity="Depends on the script that is executed.")
def eval_(c: Any, argv: list[bytes]) -> Any:
    return _engine(c).eval(c, argv, sha=False, ro=False)


@command("evalsha", -3, _EVAL_FLAGS, group=GROUP, since="2.6.0", getkeys=_numkeys_keys,
         summary="Execute a Lua script server side", complexity="Depends on the script that is executed.")
def evalsha(c: Any, argv: list[bytes]) -> Any:
    return _engine(c).eval(c, argv, sha=True, ro=False)


@command("eval_ro", -3, "readonly " + _EVAL_FLAGS, group=GROUP, since="7.0.0", getkeys=_numkeys_keys,
         summary="Execute a read-only Lua script server side",
         complexity="Depends on the script that is executed.")
def eval_ro(c: Any, argv: list[bytes]) -> Any:
    return _engine(c).eval(c, argv, sha=False, ro=True)


@command("evalsha_ro", -3, "readonly " + _EVAL_FLAGS, group=GROUP, since="7.0.0", getkeys=_numkeys_keys,
         summary="Execute a read-only Lua script server side",
         complexity="Depends on the script that is executed.")
def evalsha_ro(c: Any, argv: list[bytes]) -> Any:
    return _engine(c).eval(c, argv, sha=True, ro=True)


# --- FCALL --------------------------------------------------------------------------

@command("fcall", -3, _EVAL_FLAGS, group=GROUP, since="7.0.0", getkeys=_numkeys_keys,
         summary="Invoke a function", complexity="Depends on the function that is executed.")
def fcall(c: Any, argv: list[bytes]) -> Any:
    return _engine(c).fcall(c, argv, ro=False)


@command("fcall_ro", -3, "readonly " + _EVAL_FLAGS, group=GROUP, since="7.0.0", getkeys=_numkeys_keys,
         summary="Invoke a read-only function", complexity="Depends on the function that is executed.")
def fcall_ro(c: Any, argv: list[bytes]) -> Any:
    return _engine(c).fcall(c, argv, ro=True)


# --- SCRIPT -------------------------------------------------------------------------

container("script", group=GROUP, since="2.6.0", summary="A container for Lua scripts management commands")


@command("script|load", 3, "noscript stale", group=GROUP, since="2.6.0",
         summary="Load a script into the scripts cache")
def script_load(c: Any, argv: list[bytes]) -> Any:
    return _engine(c).load_script(argv[2]).sha


@command("script|exists", -3, "noscript", group=GROUP, since="2.6.0",
         summary="Determine whether server-side Lua scripts exist in the script cache")
def script_exists(c: Any, argv: list[bytes]) -> Any:
    scripts = _engine(c).scripts
    return [1 if a.lower() in scripts else 0 for a in argv[2:]]


@command("script|flush", -2, "noscript", group=GROUP, since="2.6.0",
         summary="Remove all scripts from the script cache")
def script_flush(c: Any, argv: list[bytes]) -> Any:
    if len(argv) > 3 or (len(argv) == 3 and argv[2].lower() not in (b"sync", b"async")):
        raise CommandError("ERR SCRIPT FLUSH only support SYNC|ASYNC option")
    _engine(c).flush_scripts()
    return OK


@command("script|kill", 2, "noscript allow_busy", group=GROUP, since="2.6.0",
         summary="Kill the script currently in execution.")
def script_kill(c: Any, argv: list[bytes]) -> Any:
    _engine(c).kill(is_eval=True)
    return OK


@command("script|debug", 3, "noscript", group=GROUP, since="3.2.0",
         summary="Set the debug mode for executed scripts.")
def script_debug(c: Any, argv: list[bytes]) -> Any:
    mode = argv[2].lower()
    if mode == b"no":
        return OK
    if mode in (b"yes", b"sync"):
        raise CommandError("ERR The Lua debugger (SCRIPT DEBUG) is not supported by this server")
    raise CommandError("ERR Use SCRIPT DEBUG YES/SYNC/NO")


@command("script|help", 2, "loading stale", group=GROUP, since="5.0.0", summary="Show helpful text about the different subcommands")
def script_help(c: Any, argv: list[bytes]) -> Any:
    return [Status(line) for line in (
        "SCRIPT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "DEBUG (YES|SYNC|NO)",
        "    Set the debug mode for subsequent scripts executed.",
        "EXISTS <sha1> [<sha1> ...]",
        "    Return information about the existence of the scripts in the script cache.",
        "FLUSH [ASYNC|SYNC]",
        "    Flush the Lua scripts cache. Very dangerous on replicas.",
        "    When called without the optional mode argument, the behavior is determined by the",
        "    lazyfree-lazy-user-flush configuration directive. Valid modes are:",
        "    * ASYNC: Asynchronously flush the scripts cache.",
        "    * SYNC: Synchronously flush the scripts cache.",
        "KILL",
        "    Kill the currently executing Lua script.",
        "LOAD <script>",
        "    Load a script into the scripts cache without executing it.",
        "HELP",
        "    Prints this help.",
    )]


# --- FUNCTION -----------------------------------------------------------------------

container("function", group=GROUP, since="7.0.0", summary="A container for function commands")


@command("function|load", -3, "write denyoom noscript", group=GROUP, since="7.0.0",
         summary="Create a function with the given arguments (name, code, description)")
def function_load(c: Any, argv: list[bytes]) -> Any:
    replace = False
    i = 2
    while i < len(argv) - 1:
        if argv[i].lower() == b"replace":
            replace = True
            i += 1
            continue
        raise CommandError("ERR Unknown option given: %s" % argv[i].decode("latin-1"))
    name = _engine(c).function_load(argv[i], replace)
    c.server.dirty += 1
    return name


@command("function|delete", 3, "write noscript", group=GROUP, since="7.0.0", summary="Delete a function by name")
def function_delete(c: Any, argv: list[bytes]) -> Any:
    engine = _engine(c)
    lib = engine.libraries.get(argv[2])
    if lib is None:
        raise CommandError(errors.LIBRARY_NOT_FOUND)
    engine.unlink(lib)
    c.server.dirty += 1
    return OK


@command("function|flush", -2, "write noscript", group=GROUP, since="7.0.0", summary="Deleting all functions")
def function_flush(c: Any, argv: list[bytes]) -> Any:
    if len(argv) > 3 or (len(argv) == 3 and argv[2].lower() not in (b"sync", b"async")):
        raise CommandError("ERR FUNCTION FLUSH only supports SYNC|ASYNC option")
    _engine(c).flush_functions()
    c.server.dirty += 1
    return OK


@command("function|list", -2, "noscript", group=GROUP, since="7.0.0", tips="nondeterministic_output_order",
         summary="List information about all the functions")
def function_list(c: Any, argv: list[bytes]) -> Any:
    with_code = False
    pattern = None
    i = 2
    while i < len(argv):
        a = argv[i].lower()
        if not with_code and a == b"withcode":
            with_code = True
        elif pattern is None and a == b"libraryname":
            if i >= len(argv) - 1:
                raise CommandError("ERR library name argument was not given")
            i += 1
            pattern = argv[i]
        else:
            raise CommandError("ERR Unknown argument %s" % argv[i].decode("latin-1"))
        i += 1
    match = compile_glob(pattern, True) if pattern is not None else None
    out = []
    for lib in _engine(c).libraries.values():
        if match is not None and not match(lib.name):
            continue
        funcs = [Map([b"name", f.name, b"description", f.description,
                      b"flags", Set([Status(x) for x in f.flag_list()])])
                 for f in lib.functions.values()]
        entry = Map([b"library_name", lib.name, b"engine", b"LUA", b"functions", funcs])
        if with_code:
            entry += [b"library_code", lib.code]
        out.append(entry)
    return out


@command("function|dump", 2, "noscript", group=GROUP, since="7.0.0",
         summary="Dump all functions into a serialized binary payload")
def function_dump(c: Any, argv: list[bytes]) -> Any:
    return fx.dump_payload([lib.code for lib in _engine(c).libraries.values()])


@command("function|restore", -3, "write denyoom noscript", group=GROUP, since="7.0.0",
         summary="Restore all the functions on the given payload")
def function_restore(c: Any, argv: list[bytes]) -> Any:
    if len(argv) > 4:
        raise CommandError("ERR unknown subcommand or wrong number of arguments for '%s'. Try FUNCTION HELP."
                           % argv[1].decode("latin-1"))
    policy = "append"
    if len(argv) == 4:
        policy = argv[3].decode("latin-1").lower()
        if policy not in ("append", "replace", "flush"):
            raise CommandError("ERR Wrong restore policy given, value should be either FLUSH, APPEND or REPLACE.")
    codes = fx.parse_payload(argv[2])
    _engine(c).restore(codes, policy)
    c.server.dirty += 1
    return OK


@command("function|kill", 2, "noscript allow_busy", group=GROUP, since="7.0.0",
         summary="Kill the function currently in execution.")
def function_kill(c: Any, argv: list[bytes]) -> Any:
    _engine(c).kill(is_eval=False)
    return OK


@command("function|stats", 2, "noscript allow_busy", group=GROUP, since="7.0.0",
         tips="nondeterministic_output request_policy:all_shards response_policy:special",
         summary="Return information about the function currently running (name, description, duration)")
def function_stats(c: Any, argv: list[bytes]) -> Any:
    return _engine(c).stats()


@command("function|help", 2, "loading stale", group=GROUP, since="7.0.0", summary="Show helpful text about the different subcommands")
def function_help(c: Any, argv: list[bytes]) -> Any:
    return [Status(line) for line in (
        "FUNCTION <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "LOAD [REPLACE] <FUNCTION CODE>",
        "    Create a new library with the given library name and code.",
        "DELETE <LIBRARY NAME>",
        "    Delete the given library.",
        "LIST [LIBRARYNAME PATTERN] [WITHCODE]",
        "    Return general information on all the libraries:",
        "    * Library name",
        "    * The engine used to run the Library",
        "    * Library description",
        "    * Functions list",
        "    * Library code (if WITHCODE is given)",
        "    It also possible to get only function that matches a pattern using LIBRARYNAME argument.",
        "STATS",
        "    Return information about the current function running:",
        "    * Function name",
        "    * Command used to run the function",
        "    * Duration in MS that the function is running",
        "    If no function is running, return nil",
        "    In addition, returns a list of available engines.",
        "KILL",
        "    Kill the current running function.",
        "FLUSH [ASYNC|SYNC]",
        "    Delete all the libraries.",
        "    When called without the optional mode argument, the behavior is determined by the",
        "    lazyfree-lazy-user-flush configuration directive. Valid modes are:",
        "    * ASYNC: Asynchronously flush the libraries.",
        "    * SYNC: Synchronously flush the libraries.",
        "DUMP",
        "    Return a serialized payload representing the current libraries, can be restored using FUNCTION RESTORE command",
        "RESTORE <PAYLOAD> [FLUSH|APPEND|REPLACE]",
        "    Restore the libraries represented by the given payload, it is possible to give a restore policy to",
        "    control how to handle existing libraries (default APPEND):",
        "    * FLUSH: delete all existing libraries.",
        "    * APPEND: appends the restored libraries to the existing libraries. On collision, abort.",
        "    * REPLACE: appends the restored libraries to the existing libraries, On collision, replace the old",
        "      libraries with the new libraries (notice that even on this option there is a chance of failure",
        "      in case of functions name collision with another library).",
        "HELP",
        "    Prints this help.",
    )]
