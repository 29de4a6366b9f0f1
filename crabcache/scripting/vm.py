"""One sandboxed Lua 5.1 state (lupa's ``lua51``): EVAL has one, FUNCTION another.

Rules:

* Strings cross as ``bytes`` both ways (``encoding=None``); Python callables
  reach Lua only as upvalues of the Lua glue in ``boot.py``, and attribute
  access on any Python object from Lua is refused, so no script can climb
  from a helper to Python's globals.
* ``LuaVM`` knows nothing about the server: it calls back into the engine
  through the helpers it is given (``call``, ``hook``, ``log`` ...).
* Dropping a ``LuaVM`` closes its Lua state (SCRIPT FLUSH makes a new one).
"""

from __future__ import annotations

import hashlib
from typing import Any, Callable

from lupa import lua51

from .. import REDIS_VERSION
from . import libs
from .boot import BOOT

_VERSION_NUM = sum(int(p) << s for p, s in zip(REDIS_VERSION.split("."), (16, 8, 0)))

# Globals of the raw Lua state that the sealed sandbox must never reach again.
_DANGEROUS = (
    b"os", b"io", b"package", b"python", b"require", b"module", b"dofile", b"loadfile", b"debug",
    b"getfenv", b"setfenv", b"newproxy", b"print",
)


def _deny(obj: Any, name: Any, setting: bool) -> Any:
    raise AttributeError("access to Python attributes is not allowed from scripts")


def sha1hex(s: bytes) -> bytes:
    return hashlib.sha1(s).hexdigest().encode()


class LuaVM:
    """A Lua state with Redis's sandbox; ``kind`` is "eval" or "function".

    ``redis`` maps the names of the server-facing redis.* functions (call,
    pcall, log, setresp, set_repl, sha1hex, acl, resp, hook, register) to
    Python callables; the library helpers (bit, struct, cjson, cmsgpack) are
    bound here.
    """

    def __init__(self, kind: str, redis: dict[str, Callable[..., Any]]) -> None:
        self.kind = kind
        rt = lua51.LuaRuntime(
            encoding=None, register_eval=False, register_builtins=False,
            unpack_returned_tuples=True, attribute_filter=_deny,
        )
        self.rt = rt
        self.table_from = rt.table_from
        raw_globals = rt.globals()
        loadstring = rt.eval("loadstring")
        boot = loadstring(BOOT.encode(), b"=[C]")
        helpers: dict[bytes, Any] = {name.encode(): fn for name, fn in redis.items()}
        helpers.update({
            b"errinfo": _errinfo,
            b"struct_pack": libs.struct_pack, b"struct_unpack": libs.struct_unpack,
            b"struct_size": libs.struct_size,
            b"json_encode": self._json_encode, b"json_decode": self._json_decode,
            b"mp_pack": self._mp_pack, b"mp_unpack": self._mp_unpack("unpack"),
            b"mp_unpack_one": self._mp_unpack("unpack_one"),
            b"mp_unpack_limit": self._mp_unpack("unpack_limit"),
        })
        for bit_name in libs._BIT_ARGS:
            helpers[b"bit_" + bit_name.encode()] = libs.bit_function(bit_name)
        api = boot(rt.table_from(helpers), kind.encode(), REDIS_VERSION.encode(), _VERSION_NUM)
        for name in _DANGEROUS:
            raw_globals[name] = None
        self.compile_fn = api[b"compile"]
        self.run_eval = api[b"run_eval"]
        self.run_function = api[b"run_function"]
        self.load_library_fn = api[b"load_library"]
        self._unpack_values = api[b"unpack_values"]
        self._lua_json_encode = api[b"json_encode"]
        self._json_config = api[b"json_config"]
        self._mp_flat = api[b"mp_flat"]

    def close(self) -> None:
        """Drop this VM's references into its Lua state.  Lua holds bound methods
        of this object (cjson, cmsgpack), so the two form a reference cycle; once
        the VM is let go (SCRIPT/FUNCTION FLUSH) this frees the state by reference
        counting -- a cycle frozen out of the GC (the function VM of libraries
        loaded at start-up, see cli.main) would never be collected."""
        vars(self).clear()

    def to_lua(self, value: Any) -> Any:
        """A Python value for Lua: containers become (nested) tables."""
        t = type(value)
        if t is list or t is dict:
            return self.table_from(value, recursive=True)
        return value

    def compile(self, body: bytes, chunkname: bytes) -> tuple[Any, bytes | None]:
        """(function, None) or (None, Lua's compile error)."""
        r = self.compile_fn(body, chunkname)
        if isinstance(r, tuple):
            return None, r[1]
        return r, None

    def load_library(self, code: bytes) -> tuple[int, bytes | None]:
        """Run a library's code in the FUNCTION LOAD environment: (0, None) when it
        registered cleanly, (1, compile error) or (2, runtime error message)."""
        r = self.load_library_fn(code)
        if isinstance(r, tuple):
            return r[0], r[1]
        return r, None

    # --- cjson / cmsgpack: Python callables that use the Lua halves in boot.py -----
    def _json_encode(self, *args: Any) -> bytes:
        if len(args) != 1:
            raise libs.ScriptError(libs.WHERE, b"bad argument #1 to 'encode' (expected 1 argument)")
        ok, text = self._lua_json_encode(args[0])
        if not ok:
            raise libs.ScriptError(libs.WHERE, text)
        return text

    def _json_decode(self, *args: Any) -> Any:
        if len(args) != 1:
            raise libs.ScriptError(libs.WHERE, b"bad argument #1 to 'decode' (expected 1 argument)")
        data = libs.lua_tostring(args[0])
        if data is None:
            raise libs.ScriptError(libs.WHERE, ("bad argument #1 to 'decode' (string expected, got %s)"
                                                % libs.lua_typename(args[0])).encode())
        depth, invalid_ok = self._json_config()
        return self._from_flat(libs.json_decode(data, depth, invalid_ok))

    def _from_flat(self, flat: list[Any]) -> Any:
        # Scalars go back as Python values: a round trip through Lua would turn
        # -0.0 into 0 (lupa hands integral doubles to Python as ints).
        if flat[0] == 1:
            return flat[1]
        if flat[0] == 2:
            return None
        return self._unpack_values(self.table_from(flat), 1)

    def _mp_pack(self, *args: Any) -> bytes:
        if not args:
            raise libs.ScriptError(libs.WHERE, b"bad argument #0 to 'pack' (MessagePack pack needs input.)")
        return b"".join(libs.mp_pack(list(self._mp_flat(a).values())) for a in args)

    def _mp_unpack(self, name: str) -> Callable[..., Any]:
        def unpack(*args: Any) -> Any:
            flats, first, count = libs.mp_unpack(name, args)
            values = tuple(self._from_flat(f) for f in flats)
            return values if first is None else (first, *values)
        return unpack


def _errinfo(e: Any) -> Any:
    if isinstance(e, libs.ScriptError):
        return e.info()
    return None
