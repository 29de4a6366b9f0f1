"""FUNCTION libraries and FCALL: CrabCache vs Redis 7.0."""

from __future__ import annotations

import pytest
import redis

LIB = "#!lua name=mylib\nredis.register_function('f1', function(keys, args) return {keys[1], args[1]} end)"
LIB2 = ("#!lua name=lib2\nredis.register_function{function_name='f2', callback=function(keys, args) "
        "return redis.call('set', keys[1], 'v') end, flags={'no-writes'}, description='desc'}")
LIB3 = "#!lua name=lib3\nredis.register_function('f3', function(keys, args) return redis.call('set', keys[1], 'v') end)"


@pytest.fixture
def f(r):
    r.function_flush()
    yield r
    r.function_flush()


def _libs(listing):
    # RESP2 gives flat lists, RESP3 dicts: normalise to dicts with bytes keys.
    def norm(x):
        if isinstance(x, dict):
            return {(k.encode() if isinstance(k, str) else k): norm(v) for k, v in x.items()}
        if isinstance(x, list) and len(x) % 2 == 0 and x and all(isinstance(k, (bytes, str)) for k in x[::2]) \
                and x[0] in (b"library_name", b"name", "library_name", "name"):
            return norm(dict(zip(x[::2], x[1::2])))
        if isinstance(x, (list, set)):
            return [norm(y) for y in x]
        return x
    return sorted((norm(lib) for lib in listing), key=lambda lib: lib[b"library_name"])


def test_load_fcall_list_delete(f):
    assert f.function_load(LIB) in (b"mylib", "mylib")
    assert f.fcall("f1", 1, "k", "a") == [b"k", b"a"]
    assert f.fcall("F1", 0) == []  # function names ignore case
    with pytest.raises(redis.ResponseError, match="^Library 'mylib' already exists$"):
        f.function_load(LIB)
    assert f.function_load(LIB.replace("{keys[1], args[1]}", "1"), replace=True) in (b"mylib", "mylib")
    assert f.fcall("f1", 0) == 1
    f.function_load(LIB2)
    libs = _libs(f.function_list())
    assert [lib[b"library_name"] for lib in libs] == [b"lib2", b"mylib"]
    lib2 = libs[0]
    assert lib2[b"engine"] == b"LUA"
    fn = lib2[b"functions"][0]
    assert fn[b"name"] == b"f2" and fn[b"description"] == b"desc" and list(fn[b"flags"]) == [b"no-writes"]
    assert _libs(f.function_list(library="my*", withcode=True))[0][b"library_code"] == LIB.replace(
        "{keys[1], args[1]}", "1").encode()
    assert f.function_delete("mylib") in (True, b"OK")
    with pytest.raises(redis.ResponseError, match="^Function not found$"):
        f.fcall("f1", 0)
    with pytest.raises(redis.ResponseError, match="^Library not found$"):
        f.function_delete("mylib")


def test_fcall_flags_and_ro(f):
    f.function_load(LIB2)
    f.function_load(LIB3)
    with pytest.raises(redis.ResponseError, match="^Write commands are not allowed from read-only scripts. script: f2, on @user_function:2.$"):
        f.fcall("f2", 1, "k")
    with pytest.raises(redis.ResponseError, match="^Can not execute a script with write flag using \\*_ro command.$"):
        f.fcall_ro("f3", 1, "k")
    assert f.fcall("f3", 1, "k") in (b"OK", "OK")
    with pytest.raises(redis.ResponseError, match="^Bad number of keys provided$"):
        f.execute_command("FCALL", "f3", "x")
    with pytest.raises(redis.ResponseError, match="^Number of keys can't be greater than number of args$"):
        f.fcall("f3", 5)
    with pytest.raises(redis.ResponseError, match="^Number of keys can't be negative$"):
        f.fcall("f3", -1)


@pytest.mark.parametrize("code,message", [
    ("return 1", "Missing library metadata"),
    ("#!lua name=x", "Invalid library metadata"),
    ("#!lua\nreturn 1", "Library name was not given"),
    ("#!lua name=x\nreturn 1", "No functions registered"),
    ("#!lua name=x foo=bar\nreturn 1", "Invalid metadata value given: foo=bar"),
    ("#!lua name=a name=b\nreturn 1", "Invalid metadata value, name argument was given multiple times"),
    ("#!python name=x\nreturn 1", "Engine 'python' not found"),
    ("#!lua name=x-y\nredis.register_function('f', function() end)",
     "Library names can only contain letters, numbers, or underscores(_) and must be at least one character long"),
    ("#!lua name=x\nredis.register_function('f-1', function() end)",
     "Error registering functions: ERR Library names can only contain letters, numbers, or underscores(_) "
     "and must be at least one character long"),
    ("#!lua name=x\nredis.register_function('ff', function() end)\nredis.register_function('ff', function() end)",
     "Error registering functions: ERR Function already exists in the library"),
    ("#!lua name=x\nredis.register_function('ff', 1)",
     "Error registering functions: ERR second argument to redis.register_function must be a function"),
    ("#!lua name=x\nredis.register_function()",
     "Error registering functions: ERR wrong number of arguments to redis.register_function"),
    ("#!lua name=x\nredis.register_function({1}, function() end)",
     "Error registering functions: ERR first argument to redis.register_function must be a string"),
    ("#!lua name=x\nredis.register_function{function_name='ff', callback=function() end, flags={'bad'}}",
     "Error registering functions: ERR unknown flag given"),
    ("#!lua name=x\nredis.register_function{function_name='ff', callback=function() end, foo=1}",
     "Error registering functions: ERR unknown argument given to redis.register_function"),
    ("#!lua name=x\nredis.register_function{function_name='a'}",
     "Error registering functions: ERR redis.register_function must get a callback argument"),
    ("#!lua name=x\nredis.register_function{callback=function() end}",
     "Error registering functions: ERR redis.register_function must get a function name argument"),
    ("#!lua name=x\nredis.call('ping')",
     "Error registering functions: ERR user_function:2: Script attempted to access nonexistent global variable 'call'"),
    ("#!lua name=x\nlocal s = string.format('x')",
     "Error registering functions: ERR user_function:2: Script attempted to access nonexistent global variable 'string'"),
    ("#!lua name=x\nx = 1", "Error registering functions: ERR user_function:2: Attempt to modify a readonly table"),
    ("#!lua name=x\nreturn +", "Error compiling function: user_function:2: unexpected symbol near '+'"),
    ("#!lua name=x\nredis.log(99, 'x')", "Error registering functions: ERR Invalid debug level."),
    ("#!lua name=x\nwhile true do end", "Error registering functions: ERR FUNCTION LOAD timeout"),
])
def test_load_errors(f, code, message):
    with pytest.raises(redis.ResponseError) as e:
        f.function_load(code)
    assert str(e.value) == message
    assert f.function_list() == []


def test_function_collisions(f):
    f.function_load(LIB)
    with pytest.raises(redis.ResponseError, match="^Function F1 already exists$"):
        f.function_load("#!lua name=other\nredis.register_function('F1', function() return 2 end)")
    with pytest.raises(redis.ResponseError, match="^Unknown option given: x$"):
        f.execute_command("FUNCTION", "LOAD", "x", "y")


def test_runtime_errors_and_environment(f):
    f.function_load("#!lua name=probe\n"
                    "redis.register_function('g', function(keys, args) local t={} for k in pairs(_G) do t[#t+1]=k end "
                    "table.sort(t) return table.concat(t,' ') end)\n"
                    "redis.register_function('e', function(keys, args) return x end)\n"
                    "redis.register_function('e3', function(keys, args) return redis.call('nosuch') end)\n"
                    "redis.register_function('p', function(keys, args) return redis.pcall('nosuch') end)")
    assert f.fcall("g", 0) == (b"_G _VERSION assert bit cjson cmsgpack collectgarbage coroutine error gcinfo "
                               b"getmetatable ipairs load loadstring math next pairs pcall rawequal rawget rawset "
                               b"redis select setmetatable string struct table tonumber tostring type unpack xpcall")
    with pytest.raises(redis.ResponseError, match="^user_function:3: Script attempted to access nonexistent global "
                                                  "variable 'x' script: e, on @user_function:3.$"):
        f.fcall("e", 0)
    with pytest.raises(redis.ResponseError,
                       match="^Unknown Redis command called from script script: e3, on @user_function:4.$"):
        f.fcall("e3", 0)
    with pytest.raises(redis.ResponseError, match="^Unknown Redis command called from script$"):
        f.fcall("p", 0)


def test_stats_flush_and_help(f):
    f.function_load(LIB)
    f.function_load(LIB2)
    stats = f.function_stats()
    if isinstance(stats, list):
        stats = dict(zip(stats[::2], stats[1::2]))
    stats = {(k.encode() if isinstance(k, str) else k): v for k, v in stats.items()}
    assert stats[b"running_script"] is None
    engines = stats[b"engines"]
    if isinstance(engines, list):
        engines = dict(zip(engines[::2], engines[1::2]))
    lua = engines.get(b"LUA", engines.get("LUA"))
    if isinstance(lua, list):
        lua = dict(zip(lua[::2], lua[1::2]))
    lua = {(k.encode() if isinstance(k, str) else k): v for k, v in lua.items()}
    assert lua == {b"libraries_count": 2, b"functions_count": 2}
    with pytest.raises(redis.ResponseError, match="^FUNCTION FLUSH only supports SYNC|ASYNC option$"):
        f.execute_command("FUNCTION", "FLUSH", "x")
    assert f.function_flush("SYNC") in (True, b"OK")
    assert f.function_list() == []
    f.script_flush()  # SCRIPT FLUSH leaves functions alone, and FUNCTION FLUSH scripts
    f.function_load(LIB)
    sha = f.script_load("return 1")
    f.script_flush()
    assert f.fcall("f1", 0) == []
    sha = f.script_load("return 1")
    f.function_flush()
    assert f.script_exists(sha) == [True]
    f.flushall()  # FLUSHALL keeps both
    assert f.script_exists(sha) == [True]
    assert len(f.execute_command("FUNCTION", "HELP")) == 40
    with pytest.raises(redis.ResponseError, match="^NOTBUSY No scripts in execution right now.$"):
        f.function_kill()


def test_dump_restore(f):
    f.function_load(LIB)
    f.function_load(LIB2)
    payload = f.function_dump()
    f.function_flush()
    assert f.function_restore(payload) in (True, b"OK")
    assert [lib[b"library_name"] for lib in _libs(f.function_list())] == [b"lib2", b"mylib"]
    with pytest.raises(redis.ResponseError, match="^Library (lib2|mylib) already exists$"):
        f.function_restore(payload)
    assert f.function_restore(payload, "REPLACE") in (True, b"OK")
    f.function_load(LIB3)
    assert f.function_restore(payload, "FLUSH") in (True, b"OK")
    assert [lib[b"library_name"] for lib in _libs(f.function_list())] == [b"lib2", b"mylib"]
    with pytest.raises(redis.ResponseError, match="^DUMP payload version or checksum are wrong$"):
        f.function_restore(b"foo")
    with pytest.raises(redis.ResponseError, match="^Wrong restore policy given, value should be either FLUSH, APPEND or REPLACE.$"):
        f.function_restore(payload, "bar")
    empty = f.function_flush() and f.function_dump()
    assert empty == b"\n\x00]\x9b\\@\x0f\x7f\xa2\xda"


def test_dump_payloads_cross_servers(pair):
    crab, real = pair
    for c in pair:
        c.function_flush()
    real.function_load(LIB)
    real.function_load(LIB2)
    crab.function_restore(real.function_dump())
    assert crab.fcall("f1", 1, "k", "a") == [b"k", b"a"]
    crab.function_load(LIB3)
    real.function_flush()
    real.function_restore(crab.function_dump())
    assert real.fcall("f3", 1, "k") in (b"OK", "OK")
    for c in pair:
        c.function_flush()
