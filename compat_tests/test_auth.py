"""requirepass: nobody gets in without the password, with Redis's exact replies."""

import pytest
import redis

from conftest import SERVERS


@pytest.fixture(scope="module", params=SERVERS)
def locked(request, spawn):
    return spawn(request.param, ["--requirepass", "s3cret"])


def test_noauth_until_auth(locked):
    out = locked.raw(b"PING\r\nGET a\r\nAUTH x\r\nAUTH s3cret\r\nPING\r\n", expect=150)
    assert out == (b"-NOAUTH Authentication required.\r\n-NOAUTH Authentication required.\r\n"
                   b"-WRONGPASS invalid username-password pair or user is disabled.\r\n+OK\r\n+PONG\r\n")


def test_hello_requires_auth(locked):
    out = locked.raw(b"HELLO 3\r\n", expect=10)
    assert out.startswith(b"-NOAUTH HELLO must be called with the client already authenticated, "
                          b"otherwise the HELLO AUTH <user> <pass> option can be used")
    out = locked.raw(b"HELLO 3 AUTH default s3cret\r\nPING\r\n", expect=150)
    assert out.startswith(b"%7\r\n") and out.endswith(b"+PONG\r\n")


def test_unauthenticated_limits(locked):
    assert locked.raw(b"*11\r\n") == b"-ERR Protocol error: unauthenticated multibulk length\r\n"
    assert locked.raw(b"*2\r\n$4\r\nECHO\r\n$20000\r\n") == b"-ERR Protocol error: unauthenticated bulk length\r\n"
    # An AUTH earlier in the same packet lifts the limit for what follows.
    big = b"x" * 20000
    out = locked.raw(b"AUTH s3cret\r\n*2\r\n$4\r\nECHO\r\n$20000\r\n" + big + b"\r\n", expect=5 + 8 + 20002)
    assert out == b"+OK\r\n$20000\r\n" + big + b"\r\n"


def test_redis_py_with_password(locked):
    with pytest.raises(redis.AuthenticationError):
        redis.Redis(port=locked.port, protocol=3).ping()
    for proto in (2, 3):
        c = redis.Redis(port=locked.port, password="s3cret", protocol=proto)
        assert c.ping() is True
        assert c.set("k", "v") is True and c.get("k") == b"v"
        c.close()


def test_reset_logs_out(locked):
    out = locked.raw(b"AUTH s3cret\r\nRESET\r\nPING\r\n", expect=48)
    assert out == b"+OK\r\n+RESET\r\n-NOAUTH Authentication required.\r\n"
