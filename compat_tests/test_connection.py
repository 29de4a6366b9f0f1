"""Connection-level behaviour: PING, ECHO, HELLO, SELECT, errors, protocol errors."""

import pytest
import redis


def test_ping_echo(r):
    assert r.ping() is True
    assert r.echo(b"hello") == b"hello"


def test_ping_with_message(raw):
    assert raw(b"PING x\r\n") == b"$1\r\nx\r\n"


def test_unknown_command_error_text(raw):
    assert raw(b"FOO a b\r\n") == b"-ERR unknown command 'FOO', with args beginning with: 'a' 'b' \r\n"
    assert raw(b"FOO\r\n") == b"-ERR unknown command 'FOO', with args beginning with: \r\n"
    assert raw(b"DPING\r\n").startswith(b"-ERR unknown command 'DPING'")


def test_wrong_arity(raw):
    assert raw(b"GET\r\n") == b"-ERR wrong number of arguments for 'get' command\r\n"
    assert raw(b"PING a b\r\n") == b"-ERR wrong number of arguments for 'ping' command\r\n"
    assert raw(b"CLIENT\r\n") == b"-ERR wrong number of arguments for 'client' command\r\n"
    assert raw(b"CLIENT foo\r\n") == b"-ERR unknown subcommand 'foo'. Try CLIENT HELP.\r\n"


def test_inline_commands_and_quotes(raw):
    assert raw(b'SET "a\\x41" b\r\nGET aA\r\n') == b"+OK\r\n$1\r\nb\r\n"
    assert raw(b"\r\n\r\nPING\n") == b"+PONG\r\n"
    assert raw(b"SET k 'it\\'s'\r\nGET k\r\n") == b"+OK\r\n$4\r\nit's\r\n"
    assert raw(b'"PING\r\n') == b"-ERR Protocol error: unbalanced quotes in request\r\n"


@pytest.mark.parametrize(
    "data, reply",
    [
        (b"*2\r\n:1\r\n", b"-ERR Protocol error: expected '$', got ':'\r\n"),
        (b"*1\r\n*1\r\n", b"-ERR Protocol error: expected '$', got '*'\r\n"),
        (b"*x\r\n", b"-ERR Protocol error: invalid multibulk length\r\n"),
        (b"*1\r\n$x\r\n", b"-ERR Protocol error: invalid bulk length\r\n"),
        (b"*1\r\n$999999999999\r\n", b"-ERR Protocol error: invalid bulk length\r\n"),
        (b"*2\r\n$4\r\nECHO\r\n$-1\r\n", b"-ERR Protocol error: invalid bulk length\r\n"),
        (b"*-1\r\n*0\r\nPING\r\n", b"+PONG\r\n"),
        (b"*1\r\n$4\r\nPINGxx", b"+PONG\r\n"),
        (b"*1\r\n$4\r\nPING\r\n*1\r\n$3\r\nGET\r\nPING\r\n",
         b"+PONG\r\n-ERR wrong number of arguments for 'get' command\r\n+PONG\r\n"),
        # commands before the bad one still run; then the error, then close
        (b"PING\r\n*1\r\n$x\r\nPING\r\n", b"+PONG\r\n-ERR Protocol error: invalid bulk length\r\n"),
        # RESP3 reply types are not request syntax (our fast parser reads RESP3):
        # an element must be "$", a line not starting with "*" is inline.
        (b"*1\r\n$4\r\nPING\r\n*1\r\n+PING\r\n", b"+PONG\r\n-ERR Protocol error: expected '$', got '+'\r\n"),
        (b"*2\r\n$3\r\nGET\r\n=7\r\ntxt:abc\r\n", b"-ERR Protocol error: expected '$', got '='\r\n"),
        (b"*2\r\n$4\r\nECHO\r\n(123\r\n", b"-ERR Protocol error: expected '$', got '('\r\n"),
        (b"*2\r\n$4\r\nECHO\r\n#t\r\n", b"-ERR Protocol error: expected '$', got '#'\r\n"),
        (b"*1\r\n$4\r\nPING\r\n~1\r\n$4\r\nPING\r\n",
         b"+PONG\r\n-ERR unknown command '~1', with args beginning with: \r\n"
         b"-ERR unknown command '$4', with args beginning with: \r\n+PONG\r\n"),
        (b"*1\r\n$4\r\nPING\r\n|1\r\n$1\r\na\r\n",
         b"+PONG\r\n-ERR unknown command '|1', with args beginning with: \r\n"
         b"-ERR unknown command '$1', with args beginning with: \r\n"
         b"-ERR unknown command 'a', with args beginning with: \r\n"),
        # ... while the same bytes inside a value are just data
        (b"*2\r\n$4\r\nECHO\r\n$8\r\na\r\n+(=~|\r\n", b"$8\r\na\r\n+(=~|\r\n"),
    ],
)
def test_protocol_errors(raw, data, reply):
    assert raw(data) == reply


def test_too_big_inline_request(raw):
    assert raw(b"x" * (70 * 1024)) == b"-ERR Protocol error: too big inline request\r\n"


def test_big_inline_line_10mb(server):
    # A 10 MB line without a newline: Redis replies once and closes; others unaffected.
    other = server.client()
    reply = server.raw(b"a" * (10 * 1024 * 1024), timeout=5)
    assert reply == b"-ERR Protocol error: too big inline request\r\n"
    assert other.ping() is True


def test_half_a_request_then_rest(server):
    import socket
    import time

    with socket.create_connection(("127.0.0.1", server.port), timeout=3) as s:
        s.sendall(b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$5\r\nhel")
        time.sleep(0.05)
        s.sendall(b"lo\r\n*2\r\n$3\r\nGET\r\n$1\r\nk\r\n")
        out = b""
        while out.count(b"\r\n") < 3:
            out += s.recv(1024)
    assert out == b"+OK\r\n$5\r\nhello\r\n"


def test_hello(server):
    c = server.client(protocol=2)
    h = c.execute_command("HELLO", "3")
    assert h[b"server"] == b"redis"
    assert h[b"version"] == b"7.0.15"
    assert h[b"proto"] == 3
    assert h[b"mode"] == b"standalone"
    assert h[b"role"] == b"master"
    assert h[b"modules"] == []
    assert h[b"id"] == c.client_id()
    with pytest.raises(redis.ResponseError, match="NOPROTO unsupported protocol version"):
        c.execute_command("HELLO", "4")
    with pytest.raises(redis.ResponseError, match="Protocol version is not an integer"):
        c.execute_command("HELLO", "x")


def test_hello_raw_resp3_map(raw):
    out = raw(b"HELLO 3\r\nPING\r\n")
    assert out.startswith(b"%7\r\n$6\r\nserver\r\n$5\r\nredis\r\n$7\r\nversion\r\n$6\r\n7.0.15\r\n$5\r\nproto\r\n:3\r\n")
    assert out.endswith(b"$4\r\nmode\r\n$10\r\nstandalone\r\n$4\r\nrole\r\n$6\r\nmaster\r\n$7\r\nmodules\r\n*0\r\n+PONG\r\n")


def test_select(r):
    assert r.execute_command("SELECT", "15") == b"OK" or r.execute_command("SELECT", "15") is True
    with pytest.raises(redis.ResponseError, match="^DB index is out of range$"):
        r.execute_command("SELECT", "16")
    with pytest.raises(redis.ResponseError, match="^value is not an integer or out of range$"):
        r.execute_command("SELECT", "x")


def test_auth_without_password(r):
    with pytest.raises(redis.AuthenticationError, match="called without any password configured"):
        r.execute_command("AUTH", "x")
    with pytest.raises(redis.AuthenticationError, match="WRONGPASS|invalid username-password"):
        r.execute_command("AUTH", "a", "b")


def test_client_name_and_id(r):
    assert r.client_setname("worker-1") is True
    assert r.client_getname() in (b"worker-1", "worker-1")
    with pytest.raises(redis.ResponseError, match="Client names cannot contain spaces"):
        r.client_setname("a b")
    info = r.client_info()
    assert info["name"] in ("worker-1", b"worker-1")
    assert int(info["id"]) == r.client_id()


def test_client_list_fields(r):
    line = r.execute_command("CLIENT", "LIST")
    if isinstance(line, bytes):
        line = line.decode()
    fields = [kv.split("=", 1)[0] for kv in line.splitlines()[0].split(" ")]
    assert fields == [
        "id", "addr", "laddr", "fd", "name", "age", "idle", "flags", "db", "sub", "psub", "ssub",
        "multi", "qbuf", "qbuf-free", "argv-mem", "multi-mem", "rbs", "rbp", "obl", "oll", "omem",
        "tot-mem", "events", "cmd", "user", "redir", "resp",
    ]


def test_client_kill_errors(r):
    with pytest.raises(redis.ResponseError, match="^No such client$"):
        r.execute_command("CLIENT", "KILL", "1.2.3.4:5")
    assert r.execute_command("CLIENT", "KILL", "ID", "999999") == 0
    with pytest.raises(redis.ResponseError, match="^syntax error$"):
        r.execute_command("CLIENT", "KILL", "foo", "bar")


def test_client_kill_other(server):
    a = server.client()
    b = server.client()
    bid = b.client_id()
    assert a.execute_command("CLIENT", "KILL", "ID", str(bid)) == 1
    ids = [int(line.split(" ")[0][3:]) for line in a.execute_command("CLIENT", "LIST").decode().splitlines()]
    assert bid not in ids and a.client_id() in ids


def test_quit(raw):
    assert raw(b"QUIT\r\nPING\r\n") == b"+OK\r\n"


def test_dbsize_flush(r):
    r.set("a", "1")
    r.set("b", "2")
    assert r.dbsize() == 2
    assert r.flushdb() is True
    assert r.dbsize() == 0
    with pytest.raises(redis.ResponseError, match="^syntax error$"):
        r.execute_command("FLUSHALL", "foo")


def test_swapdb(r):
    r.set("k", "v")
    assert r.swapdb(0, 1) is True
    assert r.get("k") is None
    r.execute_command("SELECT", 1)
    assert r.get("k") == b"v"
    with pytest.raises(redis.ResponseError, match="^invalid second DB index$"):
        r.execute_command("SWAPDB", 0, "x")
    with pytest.raises(redis.ResponseError, match="^DB index is out of range$"):
        r.execute_command("SWAPDB", 0, 20)


def test_time(r):
    t = r.time()
    assert isinstance(t[0], int) and t[0] > 1_700_000_000
    assert 0 <= t[1] < 1_000_000
