"""EVAL family, SCRIPT, the Lua sandbox and libraries, busy scripts: CrabCache vs Redis 7.0."""

from __future__ import annotations

import threading
import time

import pytest
import redis

SHA_RETURN_1 = "e0e1f9fabfc9d4800c877a703b823ac0578ff8db"


def ev(r: redis.Redis, script: str, *keys_and_args: object, numkeys: int = 0) -> object:
    return r.eval(script, numkeys, *keys_and_args)


def sha_of(script: str) -> str:
    import hashlib
    return hashlib.sha1(script.encode()).hexdigest()


# --- conversions -------------------------------------------------------------------

def test_lua_to_reply_conversions(rr):
    assert ev(rr, "return 1") == 1
    assert ev(rr, "return 3.99") == 3
    assert ev(rr, "return -3.99") == -3
    assert ev(rr, "return 'x'") == b"x"
    assert ev(rr, "return {1,2,3,'ciao',{1,2}}") == [1, 2, 3, b"ciao", [1, 2]]
    assert ev(rr, "return {1,2,nil,4}") == [1, 2]
    assert ev(rr, "return {1, {2, {3, nil, 4}}, 5}") == [1, [2, [3]], 5]
    assert ev(rr, "return {[1]='a', x='b', [2]='c'}") == [b"a", b"c"]
    assert ev(rr, "return true") == 1
    assert ev(rr, "return false") is None
    assert ev(rr, "return nil") is None
    assert ev(rr, "return {1, true, false, 'x'}") == [1, 1, None, b"x"]
    assert ev(rr, "return 2^63") == -9223372036854775808
    assert ev(rr, "return 2^53+1") == 9007199254740992


def test_status_and_error_tables(rr):
    assert ev(rr, "return {ok='fine'}") in (b"fine", "fine")
    assert ev(rr, "return redis.status_reply('st')") in (b"st", "st")
    with pytest.raises(redis.ResponseError, match="^My Error$"):
        ev(rr, "return {err='My Error'}")
    with pytest.raises(redis.ResponseError, match="^b$"):
        ev(rr, "return {ok='a', err='b'}")
    with pytest.raises(redis.ResponseError, match="^x y$"):
        ev(rr, "return redis.error_reply('-x y')")
    with pytest.raises(redis.ResponseError, match="^ERR$"):
        ev(rr, "return redis.error_reply('ERR')")
    with pytest.raises(redis.ResponseError, match="^wrong number or type of arguments$"):
        ev(rr, "return redis.error_reply(5)")
    assert ev(rr, "return {1, {ok='inner'}, 2}")[1] in (b"inner", "inner")
    inner = ev(rr, "return {1, {err='inner'}, 2}")[1]
    assert isinstance(inner, redis.ResponseError) and str(inner) == "inner"


def enc(*args: bytes | str) -> bytes:
    out = b"*%d\r\n" % len(args)
    for a in args:
        a = a.encode() if isinstance(a, str) else a
        out += b"$%d\r\n%s\r\n" % (len(a), a)
    return out


def test_exact_reply_bytes(raw):
    assert raw(enc("EVAL", "return {double=0.1}", "0")) == b"$19\r\n0.10000000000000001\r\n"
    assert raw(enc("EVAL", "return {map={a=1}}", "0")) == b"*2\r\n$1\r\na\r\n:1\r\n"
    scripts = [
        "return {map={a=1}}", "return {double=0.1}", "return {set={a=1}}", "return {big_number='123'}",
        "return {true, false, 1}", "redis.setresp(3) return {true, false, 1}",
        "return {verbatim_string={format='tx', string='hello'}}", "return {double=3}", "return nil",
    ]
    out = raw(enc("HELLO", "3") + b"".join(enc("EVAL", s, "0") for s in scripts), expect=None, timeout=1)
    tail = out[out.index(b"%1\r\n$1\r\na"):]
    assert tail == (b"%1\r\n$1\r\na\r\n:1\r\n" b",0.10000000000000001\r\n" b"~1\r\n$1\r\na\r\n"
                    b"(123\r\n" b"*3\r\n:1\r\n_\r\n:1\r\n" b"*3\r\n#t\r\n#f\r\n:1\r\n"
                    b"=9\r\ntx :hello\r\n" b",3\r\n" b"_\r\n")


def test_keys_and_argv(rr):
    assert ev(rr, "return {KEYS[1], ARGV[1], #KEYS, #ARGV}", "k", "a", "b", numkeys=1) == [b"k", b"a", 1, 2]
    assert ev(rr, "KEYS[1] = 'x' return KEYS[1]") == b"x"
    with pytest.raises(redis.ResponseError, match="^Number of keys can't be negative$"):
        rr.eval("return 1", -1)
    with pytest.raises(redis.ResponseError, match="^Number of keys can't be greater than number of args$"):
        rr.eval("return 1", 2, "a")
    with pytest.raises(redis.ResponseError, match="^value is not an integer or out of range$"):
        rr.execute_command("EVAL", "return 1", "x")


def test_redis_call_reply_conversions(rr):
    assert ev(rr, "return redis.call('set', KEYS[1], ARGV[1])", "k", "v", numkeys=1) in (b"OK", "OK")
    assert ev(rr, "return redis.call('get', KEYS[1])", "k", numkeys=1) == b"v"
    assert ev(rr, "return type(redis.call('get','nokey'))") == b"boolean"
    assert ev(rr, "redis.setresp(3) return type(redis.call('get','nokey'))") == b"nil"
    assert ev(rr, "return type(redis.call('ping'))") == b"table"
    assert ev(rr, "return redis.call('ping')['ok']") == b"PONG"
    assert ev(rr, "redis.call('set','fk', 0.1) return redis.call('get','fk')") == b"0.10000000000000001"
    assert ev(rr, "redis.call('set','fk', 1e20) return redis.call('get','fk')") == b"1e+20"
    assert ev(rr, "redis.call('set','fk', 100) return redis.call('get','fk')") == b"100"
    assert ev(rr, "return redis.call('incr', 'counter')") == 1


def test_redis_call_resp3_types(rr):
    rr.hset("h", "a", "1")
    rr.sadd("st", "x")
    rr.zadd("z", {"m": 1.5})
    assert ev(rr, "redis.setresp(3) local r = redis.call('hgetall','h') return {type(r.map), r.map.a}") == [b"table", b"1"]
    assert ev(rr, "redis.setresp(3) local r = redis.call('smembers','st') return {type(r.set), tostring(r.set.x)}") == [b"table", b"true"]
    assert ev(rr, "redis.setresp(3) return tostring(redis.call('zscore','z','m').double)") == b"1.5"
    assert ev(rr, "return redis.call('zscore','z','m')") == b"1.5"
    assert ev(rr, "return redis.call('hgetall','h')") == [b"a", b"1"]


# --- errors --------------------------------------------------------------------------

@pytest.mark.parametrize("script,message", [
    ("return x", "ERR user_script:1: Script attempted to access nonexistent global variable 'x' script: {sha}, on @user_script:1."),
    ("x = 5", "ERR user_script:1: Attempt to modify a readonly table script: {sha}, on @user_script:1."),
    ("error('boom')", "ERR user_script:1: boom script: {sha}, on @user_script:1."),
    ("error({err='MY custom'})", "MY custom script: {sha}, on @user_script:1."),
    ("error(nil)", "ERR nil script: {sha}, on @user_script:1."),
    ("local x = nil\nreturn x.y", "ERR user_script:2: attempt to index local 'x' (a nil value) script: {sha}, on @user_script:2."),
    ("return redis.call('nosuch')", "ERR Unknown Redis command called from script script: {sha}, on @user_script:1."),
    ("return redis.call('get')", "ERR Wrong number of args calling Redis command from script script: {sha}, on @user_script:1."),
    ("return redis.call()", "ERR Please specify at least one argument for this redis lib call script: {sha}, on @user_script:1."),
    ("return redis.call('get', {})", "ERR Lua redis lib command arguments must be strings or integers script: {sha}, on @user_script:1."),
    ("return redis.call('eval', 'return 1', 0)", "ERR This Redis command is not allowed from script script: {sha}, on @user_script:1."),
    ("return redis.setresp(4)", "ERR RESP version must be 2 or 3. script: {sha}, on @user_script:1."),
    ("return redis.log(99, 'x')", "ERR Invalid debug level. script: {sha}, on @user_script:1."),
    ("return redis.log(1)", "ERR redis.log() requires two arguments or more. script: {sha}, on @user_script:1."),
    ("return redis.sha1hex()", "ERR wrong number of arguments script: {sha}, on @user_script:1."),
    ("return redis.set_repl(99)", "ERR Invalid replication flags. Use REPL_AOF, REPL_REPLICA, REPL_ALL or REPL_NONE. script: {sha}, on @user_script:1."),
    ("rawset(_G, 'z', 1)", "ERR Attempt to modify a readonly table script: {sha}, on @user_script:1."),
    ("setmetatable(_G, {})", "ERR Attempt to modify a readonly table script: {sha}, on @user_script:1."),
    ("string.foo = 1", "ERR user_script:1: Attempt to modify a readonly table script: {sha}, on @user_script:1."),
    ("redis.call = nil", "ERR user_script:1: Attempt to modify a readonly table script: {sha}, on @user_script:1."),
    ("getmetatable('').__index = {}", "ERR user_script:1: Attempt to modify a readonly table script: {sha}, on @user_script:1."),
    ("return loadstring('return os')()", "ERR [string \"return os\"]:1: Script attempted to access nonexistent global variable 'os' script: {sha}, on return os:1."),
    ("return bit.band('x')", "ERR user_script:1: bad argument #1 to 'band' (number expected, got string) script: {sha}, on @user_script:1."),
    ("return cjson.encode(function() end)", "ERR user_script:1: Cannot serialise function: type not supported script: {sha}, on @user_script:1."),
    ("return cjson.decode('{')", "ERR user_script:1: Expected object key string but found T_END at character 2 script: {sha}, on @user_script:1."),
    ("return struct.pack('y')", "ERR user_script:1: bad argument #1 to 'pack' (invalid format option 'y') script: {sha}, on @user_script:1."),
    ("return string.rep()", "ERR user_script:1: bad argument #1 to 'rep' (string expected, got no value) script: {sha}, on @user_script:1."),
    ("local ok, e = pcall(redis.call, 'incr', 's') error(e)", "ERR user_script:1: ERR value is not an integer or out of range script: {sha}, on @user_script:1."),
    ("return redis.call('incr', 's')", "ERR value is not an integer or out of range script: {sha}, on @user_script:1."),
])
def test_script_error_messages(r, script, message):
    r.set("s", "abc")
    with pytest.raises(redis.ResponseError) as e:
        r.eval(script, 0)
    expected = message.format(sha=sha_of(script))
    # redis-py drops a leading "ERR " (and keeps any other code).
    assert str(e.value) == (expected[4:] if expected.startswith("ERR ") else expected)


def test_error_prefixes_exact(raw):
    out = raw(enc("EVAL", "error({err='MY custom'})", "0"))
    assert out == b"-MY custom script: 784d3ae9e6566ecb57138d89d618d989007a9bc6, on @user_script:1.\r\n"
    out = raw(enc("EVAL", "return +", "0"))
    assert out == b"-ERR Error compiling script (new function): user_script:1: unexpected symbol near '+'\r\n"


def test_pcall_gives_error_tables(rr):
    rr.set("s", "abc")
    with pytest.raises(redis.ResponseError, match="^value is not an integer or out of range$"):
        ev(rr, "return redis.pcall('incr','s')")
    assert ev(rr, "local e = redis.pcall('incr','s') local t = {} for k,v in pairs(e) do t[#t+1]=k..'='..tostring(v) end "
                  "table.sort(t) return t") == [b"err=ERR value is not an integer or out of range",
                                                 b"ignore_error_stats_update=true"]
    assert ev(rr, "local ok, e = pcall(redis.call, 'incr','s') return {tostring(ok), type(e), e}") == [
        b"false", b"string", b"ERR value is not an integer or out of range"]
    assert ev(rr, "local ok, e = pcall(function() error({err='X y'}) end) return {type(e), e}") == [b"string", b"X y"]
    assert ev(rr, "local ok, e = pcall(function() local x = nil; return x.y end) return e") == \
        b"user_script:1: attempt to index local 'x' (a nil value)"
    assert ev(rr, "local ok, e = pcall(bit.band, 'x') return e").endswith(b"(number expected, got string)")


def test_eval_ro_refuses_writes(r):
    sha = sha_of("return redis.call('set','a','b')")
    with pytest.raises(redis.ResponseError, match="^Write commands are not allowed from read-only scripts. script: %s" % sha):
        r.eval_ro("return redis.call('set','a','b')", 0)
    assert r.eval_ro("return redis.call('get','a')", 0) is None
    with pytest.raises(redis.ResponseError, match="^Can not execute a script with write flag using \\*_ro command.$"):
        r.eval_ro("#!lua\nreturn 1", 0)
    assert r.eval_ro("#!lua flags=no-writes\nreturn 1", 0) == 1
    with pytest.raises(redis.ResponseError, match="^Unexpected flag in script shebang: bad$"):
        r.eval("#!lua flags=bad\nreturn 1", 0)
    with pytest.raises(redis.ResponseError, match="^Unexpected engine in script shebang: #!python$"):
        r.eval("#!python\nreturn 1", 0)
    with pytest.raises(redis.ResponseError, match="user_script:2: Script attempted to access nonexistent global variable 'x'"):
        r.eval("#!lua\nreturn x", 0)


# --- script cache --------------------------------------------------------------------

def test_script_load_exists_flush(r):
    r.script_flush()
    assert r.script_load("return 1") == SHA_RETURN_1
    assert r.evalsha(SHA_RETURN_1, 0) == 1
    assert r.evalsha(SHA_RETURN_1.upper(), 0) == 1
    assert r.script_exists(SHA_RETURN_1, "abc") == [True, False]
    with pytest.raises(redis.exceptions.NoScriptError, match="No matching script. Please use EVAL."):
        r.evalsha("ffffffffffffffffffffffffffffffffffffffff", 0)
    with pytest.raises(redis.exceptions.NoScriptError):
        r.evalsha("fff", 0)
    r.eval("return 2", 0)
    assert r.script_exists(sha_of("return 2")) == [True]  # EVAL caches too
    assert r.execute_command("SCRIPT", "FLUSH", "ASYNC") in (True, b"OK", "OK")
    assert r.script_exists(SHA_RETURN_1, sha_of("return 2")) == [False, False]
    with pytest.raises(redis.ResponseError, match="^SCRIPT FLUSH only support SYNC|ASYNC option$"):
        r.execute_command("SCRIPT", "FLUSH", "x")
    with pytest.raises(redis.ResponseError, match="^Error compiling script"):
        r.script_load("return +")
    with pytest.raises(redis.ResponseError, match="^NOTBUSY No scripts in execution right now.$"):
        r.script_kill()


def test_script_help(rr):
    lines = rr.execute_command("SCRIPT", "HELP")
    assert lines[0] == b"SCRIPT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:"
    assert len(lines) == 17


# --- sandbox -------------------------------------------------------------------------

def test_sandbox_globals(rr):
    names = ev(rr, "local t={} for k,v in pairs(_G) do t[#t+1]=k..':'..type(v) end table.sort(t) return t")
    assert names == [x.encode() for x in (
        "ARGV:table KEYS:table _G:table _VERSION:string __redis__err__handler:function assert:function "
        "bit:table cjson:table cmsgpack:table collectgarbage:function coroutine:table error:function "
        "gcinfo:function getmetatable:function ipairs:function load:function loadstring:function "
        "math:table next:function pairs:function pcall:function rawequal:function rawget:function "
        "rawset:function redis:table select:function setmetatable:function string:table struct:table "
        "table:table tonumber:function tostring:function type:function unpack:function xpcall:function"
    ).split()]
    redis_names = ev(rr, "local t={} for k,v in pairs(redis) do t[#t+1]=k end table.sort(t) return t")
    assert redis_names == [x.encode() for x in (
        "LOG_DEBUG LOG_NOTICE LOG_VERBOSE LOG_WARNING REDIS_VERSION REDIS_VERSION_NUM REPL_ALL REPL_AOF "
        "REPL_NONE REPL_REPLICA REPL_SLAVE acl_check_cmd breakpoint call debug error_reply log pcall "
        "replicate_commands set_repl setresp sha1hex status_reply").split()]
    assert ev(rr, "return {redis.REDIS_VERSION, redis.REDIS_VERSION_NUM, _VERSION}") == [b"7.0.15", 458767, b"Lua 5.1"]
    assert ev(rr, "return {redis.LOG_DEBUG, redis.LOG_VERBOSE, redis.LOG_NOTICE, redis.LOG_WARNING}") == [0, 1, 2, 3]
    assert ev(rr, "return {redis.REPL_ALL, redis.REPL_AOF, redis.REPL_NONE, redis.REPL_REPLICA}") == [3, 1, 0, 2]
    assert ev(rr, "return tostring(redis.nosuch)") == b"nil"
    assert ev(rr, "return getmetatable('').__index == string") == 1
    assert ev(rr, "return tostring(getmetatable(string))") == b"nil"
    assert ev(rr, "return type(getmetatable(_G).__index)") == b"function"
    assert ev(rr, "return rawget(_G, 'nosuch') == nil") == 1
    assert ev(rr, "return loadstring('return 1+1')()") == 2
    assert ev(rr, "return coroutine.wrap(function() coroutine.yield(5) end)()") == 5
    assert ev(rr, "return redis.sha1hex('')") == b"da39a3ee5e6b4b0d3255bfef95601890afd80709"
    assert ev(rr, "return redis.replicate_commands()") == 1
    assert ev(rr, "return redis.breakpoint()") is None
    assert ev(rr, "return redis.set_repl(redis.REPL_ALL)") is None
    assert ev(rr, "return redis.acl_check_cmd('get','x')") == 1
    assert ev(rr, "return table.concat({'a','b'}, ',')") == b"a,b"


def test_globals_do_not_leak_between_scripts(rr):
    with pytest.raises(redis.ResponseError):
        ev(rr, "table.insert(string, 'leak')")
    assert ev(rr, "return string[1]") is None


def test_math_random_is_redis_rand48(rr):
    assert ev(rr, "math.randomseed(0) return tostring(math.random())") == b"0.17082803611217"
    assert ev(rr, "math.randomseed(42) return {math.random(100), math.random(100)}") == [75, 35]
    assert ev(rr, "math.randomseed(1) return {math.random(5, 7), tostring(math.random())}") == [5, b"0.4544924448498"]


# --- libraries ----------------------------------------------------------------------

def test_cjson(rr):
    assert ev(rr, "return cjson.encode({1,2,3,nil,5})") == b"[1,2,3,null,5]"
    assert ev(rr, "return cjson.encode({a=1})") == b'{"a":1}'
    assert ev(rr, "return cjson.encode({})") == b"{}"
    assert ev(rr, "return cjson.encode(1/3)") == b"0.33333333333333"
    assert ev(rr, "return cjson.encode(1e15)") == b"1e+15"
    assert ev(rr, "return cjson.encode({[1.5]=1})") == b'{"1.5":1}'
    assert ev(rr, "return cjson.encode(ARGV[1])", b"a/b\"\\\n\t\x01\x7f\xc3\xa9") == b'"a\\/b\\"\\\\\\n\\t\\u0001\\u007f\xc3\xa9"'
    assert ev(rr, "return cjson.encode(cjson.null)") == b"null"
    assert ev(rr, "return cjson.decode('[1,2,\"x\",null,true,{\"a\":1.5}]')[6].a") == 1
    assert ev(rr, "return tostring(cjson.decode('[null]')[1] == cjson.null)") == b"true"
    assert ev(rr, "return cjson.decode(ARGV[1])", '"\\u00e9\\ud83d\\ude00\\n"') == "é😀\n".encode()
    assert ev(rr, "return tostring(cjson.decode('-0'))") == b"-0"
    assert ev(rr, "return cjson.decode('0x10')") == 16
    assert ev(rr, "return tostring(cjson.decode('Infinity'))") == b"inf"
    with pytest.raises(redis.ResponseError, match="excessively sparse array"):
        ev(rr, "return cjson.encode({[1]=1, [100]=2})")
    for doc, msg in [("[1,]", "Expected value but found T_ARR_END at character 4"),
                     ("[1 2]", "Expected comma or array end but found T_NUMBER at character 4"),
                     ("1 2", "Expected the end but found T_NUMBER at character 3"),
                     ("", "Expected value but found T_END at character 1"),
                     ("tru", "Expected value but found invalid token at character 1"),
                     ('"abc', "Expected value but found unexpected end of string at character 5"),
                     ('"\\x"', "Expected value but found invalid escape code at character 2")]:
        with pytest.raises(redis.ResponseError, match="user_script:1: " + msg.replace("[", "\\[")):
            ev(rr, "return cjson.decode(ARGV[1])", doc)
    assert ev(rr, "local t = cjson.decode(ARGV[1]) return cjson.encode(t)", '{"k":[1,2,{"x":"y"}]}') == b'{"k":[1,2,{"x":"y"}]}'


def test_bit(rr):
    assert ev(rr, "return {bit.band(0xff, 0x0f), bit.bor(1, 2, 4), bit.bxor(5, 1), bit.bnot(0)}") == [15, 7, 4, -1]
    assert ev(rr, "return {bit.lshift(1, 31), bit.rshift(-1, 28), bit.arshift(-256, 4)}") == [-2147483648, 15, -16]
    assert ev(rr, "return {bit.rol(0x12345678, 8), bit.ror(0x12345678, 8), bit.bswap(0x12345678)}") == [
        0x34567812, 0x78123456, 0x78563412]
    assert ev(rr, "return {bit.tohex(255), bit.tohex(-1, -4), bit.tohex(255, 2), bit.tobit(2^32 + 5)}") == [
        b"000000ff", b"FFFF", b"ff", 5]
    assert ev(rr, "return bit.band('3', 1)") == 1


def test_struct(rr):
    assert ev(rr, "return struct.pack('>I2', 258)") == b"\x01\x02"
    assert ev(rr, "return struct.pack('<i4', -2)") == b"\xfe\xff\xff\xff"
    assert ev(rr, "return {struct.unpack('>I2', ARGV[1])}", b"\x01\x02") == [258, 3]
    assert ev(rr, "return {struct.unpack('<h b s', ARGV[1])}", b"\xff\xff\x05ab\x00") == [-1, 5, b"ab", 7]
    assert ev(rr, "return struct.size('>I4d')") == 12
    assert ev(rr, "return struct.size('!8 b d')") == 16
    assert ev(rr, "return {struct.unpack('B c0', struct.pack('B', 3) .. 'xyz')}") == [b"xyz", 5]


def test_cmsgpack(rr):
    assert ev(rr, "return cmsgpack.pack({1,2,3})") == b"\x93\x01\x02\x03"
    assert ev(rr, "return cmsgpack.pack({a=1})") == b"\x81\xa1a\x01"
    assert ev(rr, "return cmsgpack.pack(1.5, -1, 300, 'x', true, nil)") == \
        b"\xca\x3f\xc0\x00\x00\xff\xcd\x01\x2c\xa1x\xc3\xc0"
    assert ev(rr, "return cmsgpack.pack(0.1)") == b"\xcb\x3f\xb9\x99\x99\x99\x99\x99\x9a"
    assert ev(rr, "return cmsgpack.unpack(cmsgpack.pack({1,2,{3,'x'}}))") == [1, 2, [3, b"x"]]
    assert ev(rr, "return {cmsgpack.unpack(cmsgpack.pack(1, 2, 3))}") == [1, 2, 3]
    assert ev(rr, "return {cmsgpack.unpack_one(cmsgpack.pack(1, 2))}") == [1, 1]
    assert ev(rr, "return {cmsgpack.unpack_limit(cmsgpack.pack(1, 2, 3), 2)}") == [2, 1, 2]
    with pytest.raises(redis.ResponseError, match="Missing bytes in input."):
        ev(rr, "return cmsgpack.unpack('\\146\\1')")


# --- side effects ----------------------------------------------------------------------

def test_script_writes_invalidate_watch(server):
    a = server.client(protocol=2)
    b = server.client(protocol=2)
    a.flushall()
    a.set("w", "1")
    p = a.pipeline()
    p.watch("w")
    b.eval("return redis.call('set', KEYS[1], '2')", 1, "w")
    p.multi()
    p.get("w")
    with pytest.raises(redis.WatchError):
        p.execute()
    a.close()
    b.close()


def test_script_writes_fire_keyspace_events(server, config_restore):
    config_restore("notify-keyspace-events", "KEA")
    c = server.client(protocol=2)
    c.flushall()
    ps = c.pubsub()
    ps.subscribe("__keyspace@0__:ev")
    assert ps.get_message(timeout=1)["type"] == "subscribe"
    c.eval("redis.call('set', KEYS[1], 'v') redis.call('del', KEYS[1])", 1, "ev")
    msgs = [ps.get_message(timeout=1)["data"] for _ in range(2)]
    assert msgs == [b"set", b"del"]
    ps.close()
    c.close()


def test_script_push_wakes_blocked_client(server):
    c = server.client(protocol=2)
    c.flushall()
    blocked = server.client(protocol=2)
    got: list = []
    t = threading.Thread(target=lambda: got.append(blocked.blpop("q", timeout=5)))
    t.start()
    deadline = time.time() + 5
    while time.time() < deadline and c.info("clients")["blocked_clients"] < 1:
        time.sleep(0.01)
    c.eval("redis.call('rpush', KEYS[1], 'a')", 1, "q")
    t.join(5)
    assert got == [(b"q", b"a")]
    blocked.close()
    c.close()


def test_select_inside_script_is_local(server):
    c = server.client(protocol=2)
    c.flushall()
    c.eval("redis.call('select', 1) redis.call('set', 'k', 'db1')", 0)
    assert c.get("k") is None
    c.select(1)
    assert c.get("k") == b"db1"
    c.close()


# --- busy scripts ------------------------------------------------------------------------

def _run_in_thread(fn):
    out: list = []

    def target():
        try:
            out.append(fn())
        except Exception as e:  # noqa: BLE001 - handed to the test
            out.append(e)

    t = threading.Thread(target=target)
    t.start()
    return t, out


def _wait_busy(c: redis.Redis) -> None:
    deadline = time.time() + 10
    while time.time() < deadline:
        try:
            c.ping()
        except redis.ResponseError as e:
            if str(e).startswith("BUSY "):
                return
            raise
        time.sleep(0.02)
    raise AssertionError("never busy")


def test_busy_script_and_script_kill(server, config_restore):
    config_restore("busy-reply-threshold", "100")
    runner = server.client(protocol=2)
    other = server.client(protocol=2)
    other.ping()
    t, out = _run_in_thread(lambda: runner.eval("local i = 0 while true do i = i + 1 end", 0))
    _wait_busy(other)
    with pytest.raises(redis.ResponseError,
                       match="^BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE.$"):
        other.get("x")
    late = server.client(protocol=2)  # a connection made while busy is served too
    with pytest.raises(redis.ResponseError, match="^BUSY Redis is busy running a script"):
        late.set("x", "1")
    with pytest.raises(redis.ResponseError, match="^BUSY Redis is busy running a script. You can only call SCRIPT KILL"):
        other.execute_command("FUNCTION", "KILL")
    with pytest.raises(redis.ResponseError, match="^BUSY Redis is busy running a script"):
        other.execute_command("SHUTDOWN")
    assert other.script_kill() in (True, b"OK")
    t.join(10)
    assert isinstance(out[0], redis.ResponseError)
    assert str(out[0]).startswith("Script killed by user with SCRIPT KILL... script: ")
    assert other.ping() is True
    for c in (runner, other, late):
        c.close()


def test_busy_script_that_wrote_is_unkillable(spawn):
    for name in ("crabcache", "redis"):
        try:
            ep = spawn(name, ["--busy-reply-threshold", "100"])
        except FileNotFoundError:
            continue
        runner = ep.client(protocol=2)
        other = ep.client(protocol=2)
        other.ping()
        t, out = _run_in_thread(lambda r=runner: r.eval("redis.call('set','x','y') while true do end", 0))
        _wait_busy(other)
        with pytest.raises(redis.ResponseError, match="^UNKILLABLE Sorry the script already executed write commands"):
            other.script_kill()
        with pytest.raises(redis.ResponseError, match="^BUSY Redis is busy running a script"):
            other.execute_command("SHUTDOWN")
        try:
            other.execute_command("SHUTDOWN", "NOSAVE")
        except redis.ConnectionError:
            pass
        t.join(10)
        assert isinstance(out[0], redis.ConnectionError)
        ep.proc.wait(10)


def test_busy_script_inside_exec_is_killable(server, config_restore):
    config_restore("busy-reply-threshold", "100")
    runner = server.client(protocol=2)
    other = server.client(protocol=2)
    other.ping()

    def tx():
        p = runner.pipeline(transaction=True)
        p.set("before", "1")
        p.eval("local i = 0 while true do i = i + 1 end", 0)
        p.set("after", "2")
        return p.execute(raise_on_error=False)

    t, out = _run_in_thread(tx)
    _wait_busy(other)
    with pytest.raises(redis.ResponseError, match="^BUSY Redis is busy running a script"):
        other.get("before")
    assert other.script_kill() in (True, b"OK")
    t.join(10)
    res = out[0]
    assert res[0] is True and res[2] is True
    assert isinstance(res[1], redis.ResponseError)
    assert str(res[1]).startswith("Script killed by user with SCRIPT KILL")
    assert other.get("after") == b"2"
    runner.close()
    other.close()
