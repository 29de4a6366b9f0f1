"""Client-side caching (CLIENT TRACKING & co.) against CrabCache and real Redis."""

import time

import pytest
import redis
from redis.cache import CacheConfig
from redis.connection import CacheProxyConnection
from wire import Wire

INVALIDATE_CHANNEL = b"__redis__:invalidate"


def bulk(b: bytes) -> bytes:
    return b"$%d\r\n%s\r\n" % (len(b), b)


def inval(*keys: bytes) -> bytes:
    """The RESP3 invalidation push for ``keys`` (no keys: the FLUSH* null)."""
    if not keys:
        return b">2\r\n$10\r\ninvalidate\r\n_\r\n"
    return b">2\r\n$10\r\ninvalidate\r\n*%d\r\n" % len(keys) + b"".join(bulk(k) for k in keys)


def inval_msg(*keys: bytes) -> bytes:
    """The RESP2 message on __redis__:invalidate for a REDIRECT target."""
    body = b"$-1\r\n" if not keys else b"*%d\r\n" % len(keys) + b"".join(bulk(k) for k in keys)
    return b"*3\r\n$7\r\nmessage\r\n$20\r\n__redis__:invalidate\r\n" + body


def client_id(w: Wire) -> int:
    return int(w.call("CLIENT", "ID")[1:-2])


@pytest.fixture
def clean(server):
    with Wire(server.port) as w:
        w.call("FLUSHALL")
    return server


def test_default_mode_resp3(clean):
    with Wire(clean.port, 3) as t, Wire(clean.port) as other:
        assert t.call("CLIENT", "TRACKING", "ON") == b"+OK\r\n"
        t.call("SET", "k", "1")  # a write does not track
        other.call("SET", "k", "2")
        assert t.call("GET", "k") == b"$1\r\n2\r\n"
        other.call("SET", "k", "3")
        other.call("SET", "k", "4")  # the key left the table with the first message
        t.send("PING")
        assert t.frames(2) == [inval(b"k"), b"+PONG\r\n"]
        assert t.call("MGET", "k", "j") == b"*2\r\n$1\r\n4\r\n_\r\n"
        other.call("MSET", "j", "1", "k", "5")
        assert sorted(t.frames(2)) == sorted([inval(b"j"), inval(b"k")])
        assert t.call("PING") == b"+PONG\r\n"


def test_own_write_invalidates_after_the_reply(clean):
    with Wire(clean.port, 3) as t:
        t.call("CLIENT", "TRACKING", "ON")
        t.send_many(("GET", "k"), ("SET", "k", "v"), ("PING",))
        assert t.frames(4) == [b"_\r\n", b"+OK\r\n", inval(b"k"), b"+PONG\r\n"]
        t.send_many(("GET", "a"), ("GET", "b"), ("MULTI",), ("SET", "a", "1"), ("SET", "b", "2"), ("EXEC",),
                    ("PING",))
        got = t.frames(9)
        assert got[:6] == [b"_\r\n", b"_\r\n", b"+OK\r\n", b"+QUEUED\r\n", b"+QUEUED\r\n",
                           b"*2\r\n+OK\r\n+OK\r\n"]
        assert got[6:] == [inval(b"a"), inval(b"b"), b"+PONG\r\n"]


def test_noloop(clean):
    with Wire(clean.port, 3) as t, Wire(clean.port) as other:
        t.call("CLIENT", "TRACKING", "ON", "NOLOOP")
        t.call("GET", "k")
        t.call("SET", "k", "mine")
        assert t.call("PING") == b"+PONG\r\n"
        t.call("GET", "k")
        other.call("SET", "k", "theirs")
        t.send("PING")
        assert t.frames(2) == [inval(b"k"), b"+PONG\r\n"]


def test_flush_sends_null(clean):
    with Wire(clean.port, 3) as t, Wire(clean.port) as other:
        t.call("CLIENT", "TRACKING", "ON")
        t.call("GET", "k")
        other.call("FLUSHALL")  # one message, however many databases
        t.send("PING")
        assert t.frames(2) == [inval(), b"+PONG\r\n"]
        t.send_many(("FLUSHDB",), ("PING",))
        assert t.frames(3) == [b"+OK\r\n", inval(), b"+PONG\r\n"]


def test_resp2_redirect_to_invalidate_channel(clean):
    with Wire(clean.port) as t, Wire(clean.port) as sink, Wire(clean.port) as other:
        sink_id = client_id(sink)
        sink.call("SUBSCRIBE", "__redis__:invalidate")
        assert t.call("CLIENT", "TRACKING", "ON", "REDIRECT", sink_id) == b"+OK\r\n"
        assert t.call("CLIENT", "GETREDIR") == b":%d\r\n" % sink_id
        t.call("GET", "k")
        other.call("SET", "k", "1")
        assert sink.frame() == inval_msg(b"k")
        other.call("FLUSHALL")
        assert sink.frame() == inval_msg()
        assert t.call("CLIENT", "TRACKINGINFO") == (
            b"*6\r\n$5\r\nflags\r\n*1\r\n$2\r\non\r\n$8\r\nredirect\r\n:%d\r\n$8\r\nprefixes\r\n*0\r\n" % sink_id)


def test_resp2_without_redirect_gets_nothing(clean):
    with Wire(clean.port) as t, Wire(clean.port) as other:
        t.call("CLIENT", "TRACKING", "ON")
        t.call("GET", "k")
        other.call("SET", "k", "1")
        assert t.call("PING") == b"+PONG\r\n"
        assert t.call("CLIENT", "GETREDIR") == b":0\r\n"


def test_broken_redirect(clean):
    with Wire(clean.port, 3) as t, Wire(clean.port) as other:
        sink = Wire(clean.port)
        sink_id = client_id(sink)
        t.call("CLIENT", "TRACKING", "ON", "REDIRECT", sink_id)
        t.call("GET", "k")
        sink.close()
        deadline = time.monotonic() + 5
        while b"id=%d " % sink_id in other.call("CLIENT", "LIST"):
            assert time.monotonic() < deadline
            time.sleep(0.01)
        other.call("SET", "k", "1")
        t.send("PING")
        assert t.frames(2) == [b">2\r\n$21\r\ntracking-redir-broken\r\n:%d\r\n" % sink_id, b"+PONG\r\n"]
        info = t.call("CLIENT", "TRACKINGINFO")
        assert b"$15\r\nbroken_redirect\r\n" in info
        assert b" flags=tR " in t.call("CLIENT", "INFO")


def test_bcast_prefixes(clean):
    with Wire(clean.port, 3) as t, Wire(clean.port) as other:
        assert t.call("CLIENT", "TRACKING", "ON", "BCAST", "PREFIX", "user:", "PREFIX", "cfg") == b"+OK\r\n"
        other.send_many(("SET", "user:2", "x"), ("SET", "other", "x"), ("MSET", "user:1", "a", "cfg", "b"),
                        ("SET", "user:2", "y"))
        other.frames(4)
        got = t.frames(2)
        # One message per prefix for what one batch of commands changed, keys sorted.
        assert sorted(got) == sorted([inval(b"user:1", b"user:2"), inval(b"cfg")])
        assert t.call("PING") == b"+PONG\r\n"
        assert b" flags=tB " in t.call("CLIENT", "INFO")


def test_bcast_noloop_and_all_keys(clean):
    with Wire(clean.port, 3) as t, Wire(clean.port) as other:
        t.call("CLIENT", "TRACKING", "ON", "BCAST", "NOLOOP")
        t.call("SET", "mine", "1")
        assert t.call("PING") == b"+PONG\r\n"
        other.call("SET", "theirs", "1")
        t.send("PING")
        assert t.frames(2) == [inval(b"theirs"), b"+PONG\r\n"]


def test_optin_and_optout(clean):
    with Wire(clean.port, 3) as t, Wire(clean.port) as other:
        t.call("CLIENT", "TRACKING", "ON", "OPTIN")
        t.call("GET", "a")  # not cached: no CACHING YES
        t.send_many(("CLIENT", "CACHING", "YES"), ("GET", "b"))
        t.frames(2)
        t.send_many(("CLIENT", "CACHING", "YES"), ("PING",), ("GET", "c"))  # CACHING covers one command
        t.frames(3)
        t.send_many(("CLIENT", "CACHING", "YES"), ("MULTI",), ("GET", "d"), ("EXEC",))  # or one transaction
        t.frames(4)
        other.send_many(*[("SET", k, "1") for k in "abcd"])
        other.frames(4)
        t.send("PING")
        assert t.frames(3) == [inval(b"b"), inval(b"d"), b"+PONG\r\n"]
        t.call("CLIENT", "TRACKING", "OFF")
        t.call("CLIENT", "TRACKING", "ON", "OPTOUT")
        t.send_many(("GET", "a"), ("CLIENT", "CACHING", "NO"), ("GET", "b"))
        t.frames(3)
        assert b"caching-no" not in t.call("CLIENT", "TRACKINGINFO")
        other.send_many(("SET", "a", "2"), ("SET", "b", "2"))
        other.frames(2)
        t.send("PING")
        assert t.frames(2) == [inval(b"a"), b"+PONG\r\n"]


def test_trackinginfo_and_getredir(clean):
    with Wire(clean.port, 3) as t:
        assert t.call("CLIENT", "GETREDIR") == b":-1\r\n"
        assert t.call("CLIENT", "TRACKINGINFO") == (
            b"%3\r\n$5\r\nflags\r\n~1\r\n$3\r\noff\r\n$8\r\nredirect\r\n:-1\r\n$8\r\nprefixes\r\n*0\r\n")
        t.call("CLIENT", "TRACKING", "ON", "OPTIN", "NOLOOP")
        t.call("CLIENT", "CACHING", "YES")
        assert t.call("CLIENT", "TRACKINGINFO") == (
            b"%3\r\n$5\r\nflags\r\n~4\r\n$2\r\non\r\n$5\r\noptin\r\n$11\r\ncaching-yes\r\n$6\r\nnoloop\r\n"
            b"$8\r\nredirect\r\n:0\r\n$8\r\nprefixes\r\n*0\r\n")
        t.call("CLIENT", "TRACKING", "OFF")
        t.call("CLIENT", "TRACKING", "ON", "BCAST", "PREFIX", "b", "PREFIX", "a")
        assert t.call("CLIENT", "TRACKINGINFO") == (
            b"%3\r\n$5\r\nflags\r\n~2\r\n$2\r\non\r\n$5\r\nbcast\r\n$8\r\nredirect\r\n:0\r\n"
            b"$8\r\nprefixes\r\n*2\r\n$1\r\na\r\n$1\r\nb\r\n")
        assert b"tracking_clients:" in t.call("INFO", "clients")


@pytest.mark.parametrize("args, error", [
    (["ON", "REDIRECT", "999999"], b"-ERR The client ID you want redirect to does not exist\r\n"),
    (["ON", "REDIRECT", "x"], b"-ERR value is not an integer or out of range\r\n"),
    (["ON", "PREFIX", "a"], b"-ERR PREFIX option requires BCAST mode to be enabled\r\n"),
    (["ON", "OPTIN", "OPTOUT"], b"-ERR You can't specify both OPTIN mode and OPTOUT mode\r\n"),
    (["ON", "BCAST", "OPTIN"], b"-ERR OPTIN and OPTOUT are not compatible with BCAST\r\n"),
    (["ON", "BCAST", "PREFIX", "a", "PREFIX", "ab"],
     b"-ERR Prefix 'a' overlaps with another provided prefix 'ab'. Prefixes for a single client must not overlap.\r\n"),
    (["ON", "FOO"], b"-ERR syntax error\r\n"),
    (["ON", "REDIRECT"], b"-ERR syntax error\r\n"),
    (["MAYBE"], b"-ERR syntax error\r\n"),
])
def test_tracking_errors(clean, args, error):
    with Wire(clean.port, 3) as t:
        assert t.call("CLIENT", "TRACKING", *args) == error


def test_mode_switch_errors(clean):
    with Wire(clean.port, 3) as t:
        assert t.call("CLIENT", "CACHING", "YES") == (
            b"-ERR CLIENT CACHING can be called only when the client is in tracking mode with OPTIN or "
            b"OPTOUT mode enabled\r\n")
        t.call("CLIENT", "TRACKING", "ON", "OPTIN")
        assert t.call("CLIENT", "CACHING", "NO") == (
            b"-ERR CLIENT CACHING NO is only valid when tracking is enabled in OPTOUT mode.\r\n")
        assert t.call("CLIENT", "CACHING", "MAYBE") == b"-ERR syntax error\r\n"
        assert t.call("CLIENT", "TRACKING", "ON", "OPTOUT") == (
            b"-ERR You can't switch OPTIN/OPTOUT mode before disabling tracking for this client, "
            b"and then re-enabling it with a different mode.\r\n")
        assert t.call("CLIENT", "TRACKING", "ON", "BCAST") == (
            b"-ERR You can't switch BCAST mode on/off before disabling tracking for this client, "
            b"and then re-enabling it with a different mode.\r\n")
        t.call("CLIENT", "TRACKING", "OFF")
        t.call("CLIENT", "TRACKING", "ON", "BCAST", "PREFIX", "ab")
        assert t.call("CLIENT", "TRACKING", "ON", "BCAST", "PREFIX", "abc") == (
            b"-ERR Prefix 'abc' overlaps with an existing prefix 'ab'. "
            b"Prefixes for a single client must not overlap.\r\n")


def test_reset_turns_tracking_off(clean):
    with Wire(clean.port, 3) as t, Wire(clean.port) as other:
        t.call("CLIENT", "TRACKING", "ON")
        t.call("GET", "k")
        assert t.call("RESET") == b"+RESET\r\n"  # back to RESP2, tracking off
        assert t.call("CLIENT", "GETREDIR") == b":-1\r\n"
        other.call("SET", "k", "1")
        assert t.call("PING") == b"+PONG\r\n"


def test_redis_py_client_side_cache(clean, monkeypatch):
    # redis-py 8 only enables its cache for servers that say 7.4+; both servers here say
    # 7.0.15, so lower the bar: what is exercised is CLIENT TRACKING and the pushes.
    monkeypatch.setattr(CacheProxyConnection, "MIN_ALLOWED_VERSION", "7.0.0")
    r = redis.Redis(port=clean.port, protocol=3, cache_config=CacheConfig(), socket_timeout=10)
    other = clean.client(protocol=2)
    other.set("cached", "v1")
    assert r.get("cached") == b"v1"
    assert r.get("cached") == b"v1"  # from the local cache
    cache = r.get_cache()
    assert cache.size == 1
    other.set("cached", "v2")  # the server pushes an invalidation
    assert r.get("cached") == b"v2"
    r.close()
    other.close()
