"""ACL users and permissions: the same replies from CrabCache and Redis 7.0.

Every test leaves the server as it found it: users it made are deleted, the
default user is reset to ``on nopass ~* &* +@all`` and the ACL LOG is cleared.
Where Redis lists single commands in its command-dict order (random per
process), a test compares sets of rule words instead of the line.
"""

from __future__ import annotations

import hashlib
import socket

import pytest
import redis

from conftest import SERVERS

USERS = [b"alice", b"bob", b"sel", b"t", b"u", b"w", b"gone"]


@pytest.fixture
def admin(server):
    c = server.client(protocol=2)
    c.flushall()
    c.acl_log_reset()
    yield c
    for u in USERS:
        c.execute_command("ACL", "DELUSER", u)
    c.execute_command("ACL", "SETUSER", "default", "on", "nopass", "~*", "&*", "+@all", "clearselectors")
    c.acl_log_reset()
    c.close()


def login(server, user, password, protocol=2):
    c = server.client(protocol=protocol)
    c.execute_command("AUTH", user, password)
    return c


def line(c, user):
    for ln in c.execute_command("ACL", "LIST"):
        if ln.startswith(b"user %s " % user):
            return ln
    return None


def sha(p: bytes) -> bytes:
    return hashlib.sha256(p).hexdigest().encode()


def test_default_user(admin):
    assert admin.execute_command("ACL", "LIST") == [b"user default on nopass ~* &* +@all"]
    assert admin.execute_command("ACL", "USERS") == [b"default"]
    assert admin.execute_command("ACL", "WHOAMI") == b"default"


def test_default_cannot_be_deleted(admin):
    with pytest.raises(redis.ResponseError, match="^The 'default' user cannot be removed$"):
        admin.execute_command("ACL", "DELUSER", "default")


def test_setuser_list_getuser(admin, protocol, server):
    admin.execute_command("ACL", "SETUSER", "alice", "on", ">p1", "~foo*", "%R~bar*", "%W~baz",
                          "&chan*", "+get", "+@hash", "-hset", "(+set ~x*)", "(&c1 -@all)")
    head, _, tail = line(admin, b"alice").partition(b" +@hash ")
    assert head == b"user alice on #" + sha(b"p1") + b" ~foo* %R~bar* %W~baz resetchannels &chan* -@all"
    singles, _, sels = tail.partition(b" (")
    assert set(singles.split()) == {b"+get", b"-hset"}  # in Redis's command-dict order
    assert sels == b"~x* resetchannels -@all +set) (resetchannels &c1 -@all)"
    c = server.client(protocol=protocol)
    c.response_callbacks.clear()
    got = c.execute_command("ACL", "GETUSER", "alice")
    if protocol == 2:
        got = dict(zip(got[::2], got[1::2]))
        got[b"selectors"] = [dict(zip(s[::2], s[1::2])) for s in got[b"selectors"]]
    assert got[b"commands"] in (b"-@all +@hash +get -hset", b"-@all +@hash -hset +get")
    assert got == {
        b"flags": [b"on"], b"passwords": [sha(b"p1")], b"commands": got[b"commands"],
        b"keys": b"~foo* %R~bar* %W~baz", b"channels": b"&chan*",
        b"selectors": [
            {b"commands": b"-@all +set", b"keys": b"~x*", b"channels": b""},
            {b"commands": b"-@all", b"keys": b"", b"channels": b"&c1"},
        ],
    }
    assert c.execute_command("ACL", "GETUSER", "nobody") is None
    c.close()


@pytest.mark.parametrize("rules, expected", [
    (["+get", "+@hash"], b"-@all +@hash +get"),
    (["+@set"], b"-@all +@set"),
    (["+@read", "+@write"], b"-@all +@write +@read"),
    (["+@all", "-@write", "-@read"], b"+@all -@write -@read"),
    (["+@all", "-@admin", "-@dangerous"], b"+@all -@dangerous"),
    (["+@all", "-@admin"], b"+@all -@admin"),
    (["+set", "+get", "-@string"], b"-@all"),
    (["-@all", "+@read", "-get"], b"-@all +@read -get"),
    (["+@read", "+get", "-@read"], b"-@all"),
    (["+get", "+set", "-get"], b"-@all +set"),
    (["allcommands", "-client|kill"], b"+@all -client|kill"),
    (["+client", "-client|id", "+client|id"], b"-@all +client"),
    (["+select|0", "+select|1"], b"-@all +select|0 +select|1"),
    (["+select|0", "+select"], b"-@all +select"),
    (["+@all", "nocommands", "+acl|whoami"], b"-@all +acl|whoami"),
])
def test_describe_commands(admin, rules, expected):
    admin.execute_command("ACL", "SETUSER", "bob", *rules)
    assert line(admin, b"bob") == b"user bob off resetchannels " + expected


def test_describe_many_singles_as_sets(admin):
    # Redis lists the single commands in hash order: compare the words.
    admin.execute_command("ACL", "SETUSER", "bob", "+@string", "-@read")
    words = line(admin, b"bob").split()
    assert words[:6] == [b"user", b"bob", b"off", b"resetchannels", b"-@all", b"+@string"]
    assert set(words[6:]) == {b"-lcs", b"-get", b"-substr", b"-mget", b"-strlen", b"-getrange"}
    admin.execute_command("ACL", "SETUSER", "bob", "reset", "+@all", "-@dangerous", "+acl")
    words = line(admin, b"bob").split()
    assert words[:7] == [b"user", b"bob", b"off", b"sanitize-payload", b"resetchannels", b"+@all",
                         b"-@dangerous"]
    assert set(words[7:]) == {b"+acl|" + s for s in (b"load", b"users", b"deluser", b"log", b"list",
                                                     b"getuser", b"dryrun", b"setuser", b"save")}


def test_password_rules(admin):
    h = sha(b"x")
    admin.execute_command("ACL", "SETUSER", "bob", ">x", ">y", "#" + h.decode(), "<y")
    assert line(admin, b"bob") == b"user bob off #" + h + b" resetchannels -@all"
    admin.execute_command("ACL", "SETUSER", "bob", "nopass")
    assert line(admin, b"bob") == b"user bob off nopass resetchannels -@all"
    admin.execute_command("ACL", "SETUSER", "bob", ">z", "resetpass", "on", "allkeys", "allchannels")
    assert line(admin, b"bob") == b"user bob on ~* &* -@all"
    admin.execute_command("ACL", "SETUSER", "bob", "reset")
    assert line(admin, b"bob") == b"user bob off sanitize-payload resetchannels -@all"
    admin.execute_command("ACL", "SETUSER", "bob", "skip-sanitize-payload", "%RW~k", "%R~k", "~*")
    assert line(admin, b"bob") == b"user bob off skip-sanitize-payload ~* resetchannels -@all"


@pytest.mark.parametrize("args, message", [
    (["foo"], "Error in ACL SETUSER modifier 'foo': Syntax error"),
    (["%X~a"], "Error in ACL SETUSER modifier '%X~a': Syntax error"),
    (["%~a"], "Error in ACL SETUSER modifier '%~a': Syntax error"),
    (["+nosuch"], "Error in ACL SETUSER modifier '+nosuch': Unknown command or category name in ACL"),
    (["+@nosuch"], "Error in ACL SETUSER modifier '+@nosuch': Unknown command or category name in ACL"),
    (["+client|nosuch"], "Error in ACL SETUSER modifier '+client|nosuch': Unknown command or category "
                         "name in ACL"),
    (["-select|0"], "Error in ACL SETUSER modifier '-select|0': Unknown command or category name in ACL"),
    (["#abc"], "Error in ACL SETUSER modifier '#abc': The password hash must be exactly 64 characters "
               "and contain only lowercase hexadecimal characters"),
    (["<nonexist"], "Error in ACL SETUSER modifier '<nonexist': The password you are trying to remove "
                    "from the user does not exist"),
    (["~*", "~a"], "Error in ACL SETUSER modifier '~a': Adding a pattern after the * pattern (or the "
                   "'allkeys' flag) is not valid and does not have any effect. Try 'resetkeys' to "
                   "start with an empty list of patterns"),
    (["&*", "&a"], "Error in ACL SETUSER modifier '&a': Adding a pattern after the * pattern (or the "
                   "'allchannels' flag) is not valid and does not have any effect. Try 'resetchannels' "
                   "to start with an empty list of channels"),
    (["(+get", "~x"], "Unmatched parenthesis in acl selector starting at '(+get'."),
    (["(foo)"], "Error in ACL SETUSER modifier '(foo)': Syntax error"),
])
def test_setuser_errors_change_nothing(admin, args, message):
    with pytest.raises(redis.ResponseError) as e:
        admin.execute_command("ACL", "SETUSER", "bob", "on", *args)
    assert str(e.value) == message
    assert admin.execute_command("ACL", "GETUSER", "bob") is None


def test_bad_username(admin):
    with pytest.raises(redis.ResponseError, match="^Usernames can't contain spaces or null characters$"):
        admin.execute_command("ACL", "SETUSER", "a b")


def test_auth_and_whoami(admin, server):
    admin.execute_command("ACL", "SETUSER", "alice", "on", ">pw", "+@all", "~*")
    c = login(server, "alice", "pw")
    assert c.execute_command("ACL", "WHOAMI") == b"alice"
    assert b" user=alice " in c.execute_command("CLIENT", "INFO")
    assert c.set("k", "v") is True
    assert c.execute_command("RESET") in (b"RESET", "RESET")
    assert c.execute_command("ACL", "WHOAMI") == b"default"
    c.close()
    admin.execute_command("ACL", "SETUSER", "alice", "off")
    wrong = b"-WRONGPASS invalid username-password pair or user is disabled.\r\n"
    assert server.raw(b"AUTH alice pw\r\n", expect=len(wrong)) == wrong
    assert server.raw(b"AUTH nobody pw\r\n", expect=len(wrong)) == wrong
    out = server.raw(b"HELLO 3 AUTH nobody pw\r\n", expect=len(wrong))
    assert out == wrong
    # A failed AUTH keeps the current login.
    out = server.raw(b"AUTH alice x\r\nACL WHOAMI\r\n", expect=len(wrong) + 13)
    assert out == wrong + b"$7\r\ndefault\r\n"
    with pytest.raises(redis.AuthenticationError, match="AUTH <password> called without any password"):
        admin.execute_command("AUTH", "x")


def test_hello_auth_and_redis_py(admin, server):
    admin.execute_command("ACL", "SETUSER", "alice", "on", ">pw", "+@all", "-flushall", "~*", "&*")
    for proto in (2, 3):
        c = redis.Redis(port=server.port, username="alice", password="pw", protocol=proto)
        assert c.acl_whoami() == "alice" or c.acl_whoami() == b"alice"
        with pytest.raises(redis.exceptions.NoPermissionError):
            c.flushall()
        c.close()


def test_default_user_password(admin, server):
    admin.execute_command("ACL", "SETUSER", "default", ">secret")
    out = server.raw(b"PING\r\nAUTH secret\r\nPING\r\nAUTH default secret\r\nACL WHOAMI\r\n", expect=70)
    assert out == (b"-NOAUTH Authentication required.\r\n+OK\r\n+PONG\r\n+OK\r\n$7\r\ndefault\r\n")
    admin.execute_command("ACL", "SETUSER", "default", "nopass")


def test_requirepass_is_the_default_password(admin, config_restore):
    config_restore("requirepass", "s3cret")
    assert line(admin, b"default") == b"user default on #" + sha(b"s3cret") + b" ~* &* +@all"
    config_restore("requirepass", "")
    assert line(admin, b"default") == b"user default on nopass ~* &* +@all"


def test_noperm_commands_keys_channels(admin, server):
    admin.execute_command("ACL", "SETUSER", "t", "on", ">pw", "~k*", "%R~ro*", "%W~wo*", "&ch",
                          "&pat*", "+@all", "-set", "-client|kill", "+set|x")
    c = login(server, "t", "pw")
    cases = [
        (["SET", "k1", "v"], "this user has no permissions to run the 'set' command"),
        (["CLIENT", "KILL", "ID", "99999"], "this user has no permissions to run the 'client|kill' command"),
        (["GET", "x"], "this user has no permissions to access one of the keys used as arguments"),
        (["LPUSH", "ro1", "a"], "this user has no permissions to access one of the keys used as arguments"),
        (["GET", "wo1"], "this user has no permissions to access one of the keys used as arguments"),
        (["INCR", "wo1"], "this user has no permissions to access one of the keys used as arguments"),
        (["COPY", "wo1", "ro2"], "this user has no permissions to access one of the keys used as arguments"),
        (["PUBLISH", "c", "m"], "this user has no permissions to access one of the channels used as arguments"),
        (["PUBLISH", "patx", "m"], None),
        (["PUBLISH", "ch", "m"], None),
        (["GET", "ro1"], None),
        (["LPUSH", "wo1", "a"], None),
        (["EXISTS", "wo2"], None),
        (["COPY", "ro1", "wo2"], None),
    ]
    for argv, err in cases:
        if err is None:
            c.execute_command(*argv)
        else:
            with pytest.raises(redis.exceptions.NoPermissionError) as e:
                c.execute_command(*argv)
            assert str(e.value) == err, argv
    sub = b"-NOPERM this user has no permissions to access one of the channels used as arguments\r\n"
    assert server.raw(b"AUTH t pw\r\nSUBSCRIBE ch c\r\n", expect=5 + len(sub)) == b"+OK\r\n" + sub
    # PSUBSCRIBE patterns must equal an allowed pattern: "pat*" is allowed, "pa*" not, "ch" is.
    out = server.raw(b"AUTH t pw\r\nPSUBSCRIBE pa*\r\n", expect=5 + len(sub))
    assert out == b"+OK\r\n" + sub
    out = server.raw(b"AUTH t pw\r\nPSUBSCRIBE pat*\r\n", expect=5 + 30)
    assert out == b"+OK\r\n*3\r\n$10\r\npsubscribe\r\n$4\r\npat*\r\n:1\r\n"
    c.close()


def test_selectors(admin, server):
    admin.execute_command("ACL", "SETUSER", "sel", "on", "nopass", "-@all", "resetkeys",
                          "(+@write ~write::*)", "(+@read ~read::*)")
    c = login(server, "sel", "x")
    with pytest.raises(redis.exceptions.NoPermissionError, match="run the 'ping' command"):
        c.ping()
    assert c.set("write::foo", "bar") is True
    assert c.get("read::foo") is None
    with pytest.raises(redis.exceptions.NoPermissionError, match="one of the keys"):
        c.get("write::foo")
    with pytest.raises(redis.exceptions.NoPermissionError, match="one of the keys"):
        c.set("read::foo", "bar")
    c.close()


def test_setuser_applies_to_connected_clients(admin, server):
    admin.execute_command("ACL", "SETUSER", "alice", "on", ">pw", "+@all", "~*")
    c = login(server, "alice", "pw")
    assert c.get("k") is None
    admin.execute_command("ACL", "SETUSER", "alice", "-get")
    with pytest.raises(redis.exceptions.NoPermissionError, match="run the 'get' command"):
        c.get("k")
    admin.execute_command("ACL", "SETUSER", "alice", "+get")
    assert c.get("k") is None
    c.close()


def test_multi_and_scripts(admin, server):
    admin.execute_command("ACL", "SETUSER", "t", "on", ">pw", "~r*", "+@all", "-hset", "&*")
    out = server.raw(b"AUTH t pw\r\nMULTI\r\nGET x\r\nEXEC\r\n", expect=200, timeout=1)
    assert out == (b"+OK\r\n+OK\r\n-NOPERM this user has no permissions to access one of the keys "
                   b"used as arguments\r\n-EXECABORT Transaction discarded because of previous errors.\r\n")
    c = login(server, "t", "pw")
    with pytest.raises(redis.ResponseError) as e:
        c.eval("return redis.call('get', 'x')", 0)
    assert str(e.value).startswith("The user executing the script can't access at least one of the keys "
                                   "mentioned in the command arguments script: ")
    with pytest.raises(redis.ResponseError) as e:
        c.eval("return redis.call('hset', 'r', 'a', 'b')", 0)
    assert str(e.value).startswith("The user executing the script can't run this command or subcommand "
                                   "script: ")
    with pytest.raises(redis.exceptions.NoPermissionError, match="one of the keys"):
        c.eval("return 1", 1, "x")
    assert c.eval("return redis.call('get', KEYS[1])", 1, "r1") is None
    assert c.eval("return redis.acl_check_cmd('get', 'r1')", 0) == 1
    assert c.eval("return redis.acl_check_cmd('get', 'x')", 0) is None
    c.close()
    log = admin.acl_log()
    assert [(e["reason"], e["context"], e["object"], e["username"]) for e in log] == [
        ("command", "lua", "hset", "t"), ("key", "lua", "x", "t"), ("key", "multi", "x", "t"),
    ] or [(e["reason"], e["context"], e["object"], e["username"]) for e in log] == [
        ("key", "toplevel", "x", "t"), ("command", "lua", "hset", "t"), ("key", "lua", "x", "t"),
        ("key", "multi", "x", "t"),
    ]


def test_acl_log(admin, server, protocol):
    admin.execute_command("ACL", "SETUSER", "t", "on", ">pw", "~r*", "+@all", "-set")
    c = login(server, "t", "pw", protocol)
    for _ in range(2):
        with pytest.raises(redis.exceptions.NoPermissionError):
            c.set("r", "v")
    with pytest.raises(redis.exceptions.NoPermissionError):
        c.get("x")
    wrong = b"-WRONGPASS invalid username-password pair or user is disabled.\r\n"
    assert server.raw(b"AUTH nobody x\r\n", expect=len(wrong)) == wrong
    c.response_callbacks.clear()
    raw = c.execute_command("ACL", "LOG")
    if protocol == 2:
        raw = [dict(zip(e[::2], e[1::2])) for e in raw]
    fields = [b"count", b"reason", b"context", b"object", b"username", b"age-seconds", b"client-info"]
    assert [list(e) for e in raw] == [fields] * 3
    assert [[e[f] for f in fields[:5]] for e in raw] == [
        [1, b"auth", b"toplevel", b"AUTH", b"nobody"],
        [1, b"key", b"toplevel", b"x", b"t"],
        [2, b"command", b"toplevel", b"set", b"t"],
    ]
    assert b" user=default " in raw[0][b"client-info"] and b" cmd=auth " in raw[0][b"client-info"]
    assert b" user=t " in raw[1][b"client-info"] and b" cmd=get " in raw[1][b"client-info"]
    assert float(raw[0][b"age-seconds"]) < 5
    assert len(c.execute_command("ACL", "LOG", "1")) == 1
    assert c.execute_command("ACL", "LOG", "-1") == []
    with pytest.raises(redis.ResponseError, match="^value is not an integer or out of range$"):
        c.execute_command("ACL", "LOG", "x")
    assert c.execute_command("ACL", "LOG", "RESET") == b"OK"
    assert c.execute_command("ACL", "LOG") == []
    c.close()


def test_dryrun(admin):
    admin.execute_command("ACL", "SETUSER", "t", "on", "~r*", "&ch", "+@all", "-set")
    dry = lambda *a: admin.execute_command("ACL", "DRYRUN", "t", *a)  # noqa: E731
    assert dry("get", "r1") == b"OK"
    assert dry("get", "x") == b"This user has no permissions to access the 'x' key"
    assert dry("set", "r1", "v") == b"This user has no permissions to run the 'set' command"
    assert dry("publish", "x", "y") == b"This user has no permissions to access the 'x' channel"
    for args, msg in [
        (["get"], "wrong number of arguments for 'get' command"),
        (["client"], "wrong number of arguments for 'client' command"),
        (["client", "x"], "Command 'client' not found"),
        (["nosuch"], "Command 'nosuch' not found"),
    ]:
        with pytest.raises(redis.ResponseError) as e:
            dry(*args)
        assert str(e.value) == msg
    with pytest.raises(redis.ResponseError, match="^User 'nobody' not found$"):
        admin.execute_command("ACL", "DRYRUN", "nobody", "get", "x")


def test_deluser_disconnects(admin, server):
    admin.execute_command("ACL", "SETUSER", "gone", "on", ">pw", "+@all", "~*")
    admin.execute_command("ACL", "SETUSER", "bob", "on", ">pw", "+@all", "~*")
    with socket.create_connection(("127.0.0.1", server.port), timeout=5) as s:
        s.sendall(b"AUTH gone pw\r\n")
        assert s.recv(100) == b"+OK\r\n"
        assert admin.execute_command("ACL", "DELUSER", "gone", "nobody", "bob") == 2
        assert s.recv(100) == b""  # closed by the server
    assert admin.execute_command("ACL", "USERS") == [b"default"]
    # Deleting one's own user: the reply comes, then the connection closes.
    admin.execute_command("ACL", "SETUSER", "gone", "on", ">pw", "+@all", "~*")
    out = server.raw(b"AUTH gone pw\r\nACL DELUSER gone\r\nPING\r\n", timeout=5)
    assert out == b"+OK\r\n:1\r\n"


def test_cat_and_genpass(admin, endpoints):
    cats = admin.execute_command("ACL", "CAT")
    assert cats == [c.encode() for c in (
        "keyspace read write set sortedset list hash string bitmap hyperloglog geo stream pubsub admin "
        "fast slow blocking dangerous connection transaction scripting").split()]
    with pytest.raises(redis.ResponseError, match="^Unknown category 'foo'$"):
        admin.execute_command("ACL", "CAT", "foo")
    assert {b"hset", b"hget", b"hgetall"} <= set(admin.execute_command("ACL", "CAT", "hash"))
    assert len(admin.execute_command("ACL", "GENPASS")) == 64
    assert len(admin.execute_command("ACL", "GENPASS", "5")) == 2
    for bad in ("0", "5000"):
        with pytest.raises(redis.ResponseError, match="^ACL GENPASS argument must be the number of bits"):
            admin.execute_command("ACL", "GENPASS", bad)
    with pytest.raises(redis.ResponseError, match="^This Redis instance is not configured to use an ACL file"):
        admin.execute_command("ACL", "SAVE")


@pytest.mark.parametrize("cat", ["keyspace", "read", "write", "set", "sortedset", "list", "hash", "string",
                                 "bitmap", "hyperloglog", "pubsub", "fast",
                                 "geo", "stream", "blocking", "transaction", "scripting"])
def test_cat_same_commands(pair, cat):
    a, b = pair
    assert set(a.execute_command("ACL", "CAT", cat)) == set(b.execute_command("ACL", "CAT", cat))


def test_redis_py_helpers(admin, server):
    r = server.client(protocol=3, decode_responses=True)
    assert r.acl_setuser("alice", enabled=True, passwords=["+pw"], commands=["+get", "+set"],
                         keys=["k*"], channels=["ch"]) is True
    u = r.acl_getuser("alice")
    assert u["flags"] == ["on"] and u["passwords"] == [sha(b"pw").decode()]
    assert u["keys"] == ["~k*"] and u["channels"] == ["&ch"]
    assert sorted(r.acl_users()) == ["alice", "default"]
    assert r.acl_dryrun("alice", "get", "k1") == "OK"
    assert r.acl_deluser("alice") == 1
    r.close()


def test_exec_rechecks_permissions(admin, server):
    admin.execute_command("ACL", "SETUSER", "t", "on", ">pw", "+@all", "~*", "&*")
    c = login(server, "t", "pw")
    c.response_callbacks.clear()
    conn = c.connection_pool.get_connection()
    for argv in (["MULTI"], ["GET", "k"], ["SET", "k", "v"], ["PUBLISH", "ch", "m"], ["PING"]):
        conn.send_command(*argv)
        conn.read_response()
    admin.execute_command("ACL", "SETUSER", "t", "-get", "resetkeys", "~zz", "resetchannels")
    conn.send_command("EXEC")
    out = conn.read_response(disable_decoding=True)
    prefix = ("ACLs rules changed between the moment the transaction was accumulated and the EXEC "
              "call. This command is no longer allowed for the following reason: ")
    assert [str(e) for e in out[:3]] == [
        prefix + "no permission to execute the command or subcommand",
        prefix + "no permission to touch the specified keys",
        prefix + "no permission to access one of the channels used as arguments",
    ]
    assert out[3] in (b"PONG", "PONG")
    c.connection_pool.release(conn)
    c.close()
    log = admin.execute_command("ACL", "LOG")
    assert [(e[3], e[5], e[7]) for e in log] == [(b"channel", b"multi", b"ch"), (b"key", b"multi", b"k"),
                                                (b"command", b"multi", b"get")]


def test_revoked_channels_disconnect_subscribers(admin, server):
    admin.execute_command("ACL", "SETUSER", "t", "on", ">pw", "+@all", "~*", "&a*", "&b")
    with socket.create_connection(("127.0.0.1", server.port), timeout=5) as s:
        s.sendall(b"AUTH t pw\r\nSUBSCRIBE b\r\n")
        got = b""
        while got.count(b"\r\n") < 7:
            got += s.recv(100)
        admin.execute_command("ACL", "SETUSER", "t", "&c")  # still allowed: stays
        admin.execute_command("ACL", "SETUSER", "t", "resetchannels", "&a*")
        assert s.recv(100) == b""


def test_acl_pubsub_default(admin, server, config_restore):
    # New users (and new selectors, and "reset") start with the channel
    # permission acl-pubsub-default names; existing users keep theirs.
    admin.execute_command("ACL", "SETUSER", "t", "on", ">pw", "+@all", "~*")
    config_restore("acl-pubsub-default", "allchannels")
    admin.execute_command("ACL", "SETUSER", "u", "on", ">pw", "+@all", "~*", "(+get ~x)")
    assert line(admin, b"t") == b"user t on #%s ~* resetchannels +@all" % sha(b"pw")
    assert line(admin, b"u") == b"user u on #%s ~* &* +@all (~x &* -@all +get)" % sha(b"pw")
    c = login(server, "u", "pw")
    assert c.publish("news", "x") == 0
    c.close()
    t = login(server, "t", "pw")
    with pytest.raises(redis.exceptions.NoPermissionError):
        t.publish("news", "x")
    t.close()
    admin.execute_command("ACL", "SETUSER", "t", "reset")
    assert line(admin, b"t") == b"user t off sanitize-payload &* -@all"
    admin.config_set("acl-pubsub-default", "resetchannels")
    admin.execute_command("ACL", "SETUSER", "t", "reset")
    assert line(admin, b"t") == b"user t off sanitize-payload resetchannels -@all"


@pytest.fixture(scope="module", params=SERVERS)
def aclfile_server(request, spawn, tmp_path_factory):
    path = tmp_path_factory.mktemp("acl-%s" % request.param) / "users.acl"
    path.write_text("user alice on >pw ~k* +get\nuser default on nopass ~* &* +@all\n")
    return spawn(request.param, ["--aclfile", str(path)]), path


def test_aclfile_load_and_save(aclfile_server):
    ep, path = aclfile_server
    c = ep.client(protocol=2)
    alice = b"user alice on #" + sha(b"pw") + b" ~k* resetchannels -@all +get"
    assert c.execute_command("ACL", "LIST") == [alice, b"user default on nopass ~* &* +@all"]
    c.execute_command("ACL", "SETUSER", "bob", "on", "(+set ~x)")
    assert c.execute_command("ACL", "SAVE") == b"OK"
    assert path.read_bytes() == (alice + b"\nuser bob on resetchannels -@all (~x resetchannels -@all +set)\n"
                                 b"user default on nopass ~* &* +@all\n")
    path.write_text("user alice on >pw ~k* +nosuch +nosuch2\nfoo bar\nuser alice off\nuser y reset %X~a foo\n")
    with pytest.raises(redis.ResponseError) as e:
        c.execute_command("ACL", "LOAD")
    p = str(path)
    assert str(e.value) == (
        "%s:1: Error in applying operation '+nosuch': Unknown command or category name in ACL. "
        "%s:1: Error in applying operation '+nosuch2': Unknown command or category name in ACL. "
        "%s:2 should start with user keyword followed by the username. "
        "WARNING: Duplicate user 'alice' found on line 3. %s:4: Syntax error. "
        "WARNING: ACL errors detected, no change to the previously active ACL rules was performed"
        % (p, p, p, p))
    path.write_text("user x (+get\n")
    with pytest.raises(redis.ResponseError) as e:
        c.execute_command("ACL", "LOAD")
    assert str(e.value) == ("%s:1: Unmatched parenthesis in selector definition.WARNING: ACL errors "
                            "detected, no change to the previously active ACL rules was performed" % p)
    assert len(c.execute_command("ACL", "LIST")) == 3
    # A successful load replaces every user; their clients are disconnected.
    with socket.create_connection(("127.0.0.1", ep.port), timeout=5) as s:
        s.sendall(b"AUTH alice pw\r\n")
        assert s.recv(100) == b"+OK\r\n"
        path.write_text("user carol on nopass +@all\n")
        assert c.execute_command("ACL", "LOAD") == b"OK"
        assert s.recv(100) == b""
    assert c.execute_command("ACL", "LIST") == [b"user carol on nopass resetchannels +@all",
                                               b"user default on nopass ~* &* +@all"]
    path.unlink()
    with pytest.raises(redis.ResponseError) as e:
        c.execute_command("ACL", "LOAD")
    assert str(e.value) == "Error loading ACLs, opening file '%s': No such file or directory" % p
    assert c.execute_command("CONFIG", "GET", "aclfile") == [b"aclfile", p.encode()]
    c.close()


def test_client_kill_user(admin, server):
    with pytest.raises(redis.ResponseError, match="^No such user 'nobody'$"):
        admin.execute_command("CLIENT", "KILL", "USER", "nobody")
    admin.execute_command("ACL", "SETUSER", "bob", "on", ">pw", "+@all", "~*")
    with socket.create_connection(("127.0.0.1", server.port), timeout=5) as s:
        s.sendall(b"AUTH bob pw\r\n")
        assert s.recv(100) == b"+OK\r\n"
        assert admin.execute_command("CLIENT", "KILL", "USER", "bob") == 1
        assert s.recv(100) == b""


def test_describe_matches_redis_on_random_rules(pair):
    """Random rule lists: the same categories in the same order, the same single
    commands (as a set: Redis lists them in its hash order)."""
    import random

    a, b = pair
    cats = ("keyspace read write set sortedset list hash string bitmap hyperloglog geo stream pubsub "
            "admin fast slow blocking dangerous connection transaction scripting").split()
    cmds = ["get", "set", "hset", "client", "client|id", "client|kill", "config|get", "acl", "acl|whoami",
            "sort", "eval", "publish", "lpush", "info", "keys", "flushall", "ping", "xadd",
            "object|encoding", "debug", "memory|usage", "script|load", "function", "pfadd", "geoadd"]
    rnd = random.Random(2024)

    def norm(ln: bytes) -> tuple[list[bytes], list[bytes]]:
        w = ln.split()
        head = [x for x in w if x.startswith((b"+@", b"-@")) or not x.startswith((b"+", b"-"))]
        return head, sorted(x for x in w if x not in head)

    try:
        for _ in range(80):
            rules = [rnd.choice(["+@all", "-@all"])]
            for _ in range(rnd.randint(1, 5)):
                if rnd.random() < 0.5:
                    rules.append(rnd.choice("+-") + "@" + rnd.choice(cats))
                else:
                    rules.append(rnd.choice("+-") + rnd.choice(cmds))
            lines = []
            for c in (a, b):
                c.execute_command("ACL", "SETUSER", "bob", "reset", *rules)
                lines.append(line(c, b"bob"))
            assert norm(lines[0]) == norm(lines[1]), rules
    finally:
        for c in (a, b):
            c.execute_command("ACL", "DELUSER", "bob")


def test_dryrun_matches_redis_on_random_users(pair):
    """Random key/channel/command rules against commands with tricky key specs."""
    import random

    a, b = pair
    rnd = random.Random(99)
    keypats = ["~a*", "%R~a*", "%W~a*", "%R~b?", "%W~b*", "~c", "%RW~d*"]
    chans = ["&ch*", "&x", "&p?"]
    cmdrules = ["+@all", "-@all +@read", "-@all +@write", "+@all -@dangerous", "+@all -get",
                "-@all +select|0 +get"]
    calls = [
        "get a1", "get b1", "set a1 v", "set a1 v get", "incr a1", "lpush b1 x", "copy a1 b1",
        "copy b1 a1", "rename a1 b1", "mget a1 b1 c", "mset a1 1 d1 2", "del a1", "exists b1",
        "sort a1 store b1", "lmove a1 b1 left right", "zunionstore d1 2 a1 b1", "bitop and d1 a1 b2",
        "eval x 2 a1 b1", "publish ch1 m", "publish x m", "subscribe x ch2", "psubscribe ch*",
        "psubscribe p?", "psubscribe ch", "select 0", "select 1", "getdel a1", "touch a1", "type b1",
        "xread streams a1 b1 0 0", "georadius a1 0 0 1 m store b1", "bitfield a1 get u8 0",
        "bitfield a1 set u8 0 1", "smove a1 b1 m", "restore a1 0 x", "lcs a1 b1", "sintercard 2 a1 b1",
    ]
    try:
        for _ in range(120):
            rules = rnd.choice(cmdrules).split() + rnd.sample(keypats, rnd.randint(0, 3))
            rules += rnd.sample(chans, rnd.randint(0, 2))
            if rnd.random() < 0.3:
                rules.append("(+@all %s)" % rnd.choice(keypats))
            call = rnd.choice(calls).split()
            outs = []
            for c in (a, b):
                c.execute_command("ACL", "SETUSER", "bob", "reset", *rules)
                outs.append(c.execute_command("ACL", "DRYRUN", "bob", *call))
            assert outs[0] == outs[1], (rules, call)
    finally:
        for c in (a, b):
            c.execute_command("ACL", "DELUSER", "bob")


@pytest.mark.parametrize("name", SERVERS)
def test_users_declared_in_the_configuration(spawn, name):
    # "user" directives (here as argv, one word per argument, as redis.conf
    # lines are split) create users at start-up; "default" may be redefined.
    ep = spawn(name, ["--user", "alice", "on", ">pw", "~*", "+@all", "--user", "bob", "off",
                      "--user", "default", "on", ">secret", "~*", "&*", "+@all"])
    c = ep.client(protocol=2, username="alice", password="pw")
    assert c.execute_command("ACL", "LIST") == [
        b"user alice on #" + hashlib.sha256(b"pw").hexdigest().encode() + b" ~* resetchannels +@all",
        b"user bob off resetchannels -@all",
        b"user default on sanitize-payload #" + hashlib.sha256(b"secret").hexdigest().encode()
        + b" ~* &* +@all",
    ]
    assert ep.raw(b"PING\r\n", expect=34) == b"-NOAUTH Authentication required.\r\n"
    assert ep.client(protocol=2, password="secret").ping() is True
