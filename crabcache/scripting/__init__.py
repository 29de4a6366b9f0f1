"""Lua scripting as Redis 7.0 runs it: EVAL scripts and FUNCTION libraries.

Modules:

* ``boot``      the Lua half of the sandbox (read-only globals, redis.*, the
                bundled libraries' Lua glue), run once in every Lua state;
* ``vm``        one sandboxed Lua 5.1 state (lupa), EVAL and FUNCTION each have one;
* ``convert``   replies <-> Lua values, RESP2 and RESP3 rules;
* ``libs``      the Python halves of bit, struct, cjson and cmsgpack;
* ``functions`` library metadata, names, DUMP/RESTORE payloads;
* ``engine``    the per-server engine: script cache, registry, running a script
                atomically, busy mode and SCRIPT/FUNCTION KILL.

The commands themselves are in ``crabcache.commands.scripting``.
"""
