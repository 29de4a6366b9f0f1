"""Server commands: COMMAND, CONFIG, INFO, DEBUG, against CrabCache and real Redis."""

import pytest
import redis


def test_command_count_and_list_agree(rr):
    count = rr.execute_command("COMMAND", "COUNT")
    names = rr.execute_command("COMMAND", "LIST")
    top = [n for n in names if b"|" not in n]
    assert count == len(top)
    assert b"get" in names and b"client|list" in names and b"config|get" in names


def test_command_info_get(rr):
    info = rr.execute_command("COMMAND", "INFO", "get", "nosuchcommand")
    assert info[1] is None
    get = info[0]
    assert get[0] == b"get" and get[1] == 2
    assert set(get[2]) == {b"readonly", b"fast"}
    assert get[3:6] == [1, 1, 1]
    assert list(get[6]) == [b"@read", b"@string", b"@fast"]


def test_command_info_set_categories(rr):
    info = rr.execute_command("COMMAND", "INFO", "set")[0]
    assert info[1] == -3
    assert list(info[6]) == [b"@write", b"@string", b"@slow"]


def test_command_getkeys(rr):
    assert rr.execute_command("COMMAND", "GETKEYS", "MSET", "a", "1", "b", "2") == [b"a", b"b"]
    assert rr.execute_command("COMMAND", "GETKEYS", "GET", "k") == [b"k"]
    with pytest.raises(redis.ResponseError, match="^Invalid command specified$"):
        rr.execute_command("COMMAND", "GETKEYS", "nosuch", "a")
    with pytest.raises(redis.ResponseError, match="^The command has no key arguments$"):
        rr.execute_command("COMMAND", "GETKEYS", "PING", "x")
    with pytest.raises(redis.ResponseError, match="^Invalid number of arguments specified for command$"):
        rr.execute_command("COMMAND", "GETKEYS", "GET", "a", "b")
    with pytest.raises(redis.ResponseError, match="wrong number of arguments for 'command|getkeys'"):
        rr.execute_command("COMMAND", "GETKEYS", "GET")


def test_command_list_filterby(rr):
    assert rr.execute_command("COMMAND", "LIST", "FILTERBY", "PATTERN", "mse*") == [b"mset"] or \
        set(rr.execute_command("COMMAND", "LIST", "FILTERBY", "PATTERN", "mse*")) == {b"mset", b"msetnx"}
    with pytest.raises(redis.ResponseError, match="^syntax error$"):
        rr.execute_command("COMMAND", "LIST", "FILTERBY", "FOO", "x")
    assert rr.execute_command("COMMAND", "LIST", "FILTERBY", "MODULE", "nosuch") == []


def test_command_docs_get(rr):
    docs = rr.execute_command("COMMAND", "DOCS", "get")
    if isinstance(docs, list):  # RESP2: flat list
        docs = dict(zip(docs[::2], docs[1::2]))
    get = docs[b"get"]
    if isinstance(get, list):
        get = dict(zip(get[::2], get[1::2]))
    assert get[b"since"] == b"1.0.0" and get[b"group"] == b"string"


def as_dict(reply):
    """A map reply as a dict, whether it came as RESP3 map or RESP2 flat array."""
    return reply if isinstance(reply, dict) else dict(zip(reply[::2], reply[1::2]))


def test_config_get_set(rr, config_restore):
    assert as_dict(rr.execute_command("CONFIG", "GET", "maxmemory-policy")) == {b"maxmemory-policy": b"noeviction"}
    config_restore("maxmemory", "10mb")
    assert as_dict(rr.execute_command("CONFIG", "GET", "maxmemory")) == {b"maxmemory": b"10485760"}
    got = as_dict(rr.execute_command("CONFIG", "GET", "maxmemory", "hz", "nosuch*"))
    assert got == {b"maxmemory": b"10485760", b"hz": b"10"}


@pytest.mark.parametrize("args, err", [
    (["foo", "bar"], "Unknown option or number of arguments for CONFIG SET - 'foo'"),
    (["maxmemory", "abc"], "CONFIG SET failed (possibly related to argument 'maxmemory') - argument must be a memory value"),
    (["appendonly", "maybe"], "CONFIG SET failed (possibly related to argument 'appendonly') - argument must be 'yes' or 'no'"),
    (["hz", "abc"], "CONFIG SET failed (possibly related to argument 'hz') - argument couldn't be parsed into an integer"),
    (["daemonize", "yes"], "CONFIG SET failed (possibly related to argument 'daemonize') - can't set immutable config"),
    (["timeout", "-1"], "CONFIG SET failed (possibly related to argument 'timeout') - argument must be between 0 and 2147483647 inclusive"),
    (["maxmemory", "1", "maxmemory", "2"], "CONFIG SET failed (possibly related to argument 'maxmemory') - duplicate parameter"),
    (["loglevel", "bad"], "CONFIG SET failed (possibly related to argument 'loglevel') - argument(s) must be one of the following: debug, verbose, notice, warning"),
    (["maxmemory", "-1"], "CONFIG SET failed (possibly related to argument 'maxmemory') - argument must be a memory value"),
    (["hash-max-listpack-value", "-1"],
     "CONFIG SET failed (possibly related to argument 'hash-max-listpack-value') - argument must be a memory value"),
    (["zset-max-listpack-value", "x"],
     "CONFIG SET failed (possibly related to argument 'zset-max-listpack-value') - argument must be a memory value"),
])
def test_config_set_errors(r, args, err):
    with pytest.raises(redis.ResponseError) as e:
        r.execute_command("CONFIG", "SET", *args)
    assert str(e.value) == err


def test_listpack_value_limits_are_memory_values(rr, config_restore):
    config_restore("hash-max-listpack-value", "1kb")
    config_restore("zset-max-listpack-value", "2k")
    got = as_dict(rr.execute_command("CONFIG", "GET", "*-max-listpack-value"))
    assert got == {b"hash-max-listpack-value": b"1024", b"zset-max-listpack-value": b"2000"}


def test_config_set_is_atomic(rr, config_restore):
    r = rr
    config_restore("hz", "10")
    with pytest.raises(redis.ResponseError):
        r.execute_command("CONFIG", "SET", "hz", "20", "maxmemory", "abc")
    assert as_dict(r.execute_command("CONFIG", "GET", "hz")) == {b"hz": b"10"}


def test_config_rewrite_without_file(r):
    with pytest.raises(redis.ResponseError, match="^The server is running without a config file$"):
        r.execute_command("CONFIG", "REWRITE")


def test_info_sections(rr):
    text = rr.execute_command("INFO")
    text = text.decode() if isinstance(text, bytes) else text
    for head in ("# Server", "# Clients", "# Memory", "# Persistence", "# Stats", "# Replication",
                 "# CPU", "# Keyspace"):
        assert head in text
    for field in ("redis_version:7.0.15", "tcp_port:", "connected_clients:", "used_memory:",
                  "total_commands_processed:", "role:master", "uptime_in_seconds:"):
        assert field in text
    assert "# Commandstats" not in text


def test_info_keyspace_and_commandstats(r):
    r.set("a", "1")
    r.execute_command("CONFIG", "RESETSTAT")
    r.get("a")
    ks = r.info("keyspace")
    assert ks["db0"]["keys"] == 1 and ks["db0"]["expires"] == 0
    stats = r.info("commandstats")
    assert stats["cmdstat_get"]["calls"] == 1


def test_info_errorstats(r):
    r.execute_command("CONFIG", "RESETSTAT")
    with pytest.raises(redis.ResponseError):
        r.execute_command("NOSUCHCMD")
    assert r.info("errorstats")["errorstat_ERR"]["count"] == 1
    assert r.info("stats")["total_error_replies"] == 1


def test_debug(r):
    assert r.execute_command("DEBUG", "SLEEP", "0") in (b"OK", True, "OK")
    with pytest.raises(redis.ResponseError, match="^MYERR custom$"):
        r.execute_command("DEBUG", "ERROR", "MYERR custom")


def test_command_info_containers(rr):
    config, command = rr.execute_command("COMMAND", "INFO", "config", "command")
    assert list(config[6]) == [b"@slow"] and config[1] == -2
    assert command[1] == -1 and set(command[2]) == {b"loading", b"stale"}
    assert list(command[6]) == [b"@slow", b"@connection"]


@pytest.mark.parametrize("name, cats", [
    ("sort", [b"@write", b"@set", b"@sortedset", b"@list", b"@slow", b"@dangerous"]),
    ("sort_ro", [b"@read", b"@set", b"@sortedset", b"@list", b"@slow", b"@dangerous"]),
    ("wait", [b"@slow", b"@connection"]),
    ("publish", [b"@pubsub", b"@fast"]),
])
def test_command_info_categories(rr, name, cats):
    info = rr.execute_command("COMMAND", "INFO", name)[0]
    assert list(info[6]) == cats


def test_command_info_publish_flags(rr):
    info = rr.execute_command("COMMAND", "INFO", "publish")[0]
    assert list(info[2]) == [b"pubsub", b"loading", b"stale", b"fast"]


# Parameters that name this machine's paths, ports and modes, or that only
# the real server's start-up path can take (replicaof starts replication).
_LOCAL = {"bind", "port", "dir", "unixsocket", "unixsocketperm", "logfile", "pidfile", "daemonize",
          "dbfilename", "aclfile", "replicaof", "slaveof", "enable-protected-configs"}


def test_every_redis_parameter_is_accepted_with_its_default(endpoints, spawn):
    # A redis.conf written for Redis 7.0.15 must load unchanged: start a
    # CrabCache with every parameter the real server reports, set to the real
    # server's value, and read the same names and values back.
    if "redis" not in endpoints:
        pytest.skip("needs the real server as the oracle")
    ref = endpoints["redis"].client(protocol=2, decode_responses=True).config_get("*")
    args: list[str] = []
    for name, value in sorted(ref.items()):
        if name in _LOCAL or name.startswith("slave") or "slave" in name:
            continue  # aliases come back under both names anyway
        args += ["--" + name, *(value.split() if value else [""])]
    ep = spawn("crabcache", args)
    got = ep.client(protocol=2, decode_responses=True).config_get("*")
    assert set(got) - {"crabcache-shutdown-timeout"} == set(ref)
    differ = {k: (ref[k], got[k]) for k in ref if k not in _LOCAL and ref[k] != got[k]}
    assert differ == {}
