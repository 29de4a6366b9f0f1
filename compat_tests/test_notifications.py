"""Keyspace notifications (notify-keyspace-events) against CrabCache and real Redis.

A subscriber listens on the keyspace/keyevent channels while another client
runs commands; a marker PUBLISH after the commands tells the subscriber it has
seen everything, so nothing waits on a timer.
"""

import pytest
from wire import Wire


def bulk(b: bytes) -> bytes:
    return b"$%d\r\n%s\r\n" % (len(b), b)


def pmsg(proto: int, pattern: bytes, channel: bytes, data: bytes) -> bytes:
    return (b">4\r\n" if proto == 3 else b"*4\r\n") + bulk(b"pmessage") + bulk(pattern) + bulk(channel) + bulk(data)


@pytest.fixture(params=[2, 3], ids=["resp2", "resp3"])
def proto(request):
    return request.param


def events(server, flags: str, commands: list[tuple], config_restore, db: int = 0) -> list[tuple[bytes, bytes]]:
    """(event, key) pairs the keyevent channels carried while ``commands`` ran."""
    config_restore("notify-keyspace-events", flags)
    with Wire(server.port) as sub, Wire(server.port) as w:
        w.call("FLUSHALL")
        sub.call("PSUBSCRIBE", "__keyevent@*__:*")
        w.call("SELECT", db)
        for cmd in commands:
            w.call(*cmd)
        w.call("PUBLISH", "__keyevent@99__:end", "marker")
        out = []
        while True:
            f = sub.frame()
            parts = f.split(b"\r\n")
            channel, key = parts[6], parts[8]
            event = channel.split(b":", 1)[1]
            if channel == b"__keyevent@99__:end":
                return out
            out.append((event, key))


def test_keyspace_and_keyevent_messages(server, proto, config_restore):
    config_restore("notify-keyspace-events", "KEA")
    with Wire(server.port, proto) as sub, Wire(server.port) as w:
        sub.send("PSUBSCRIBE", "__key*__:*")
        sub.frame()
        w.call("SELECT", "5")
        w.call("SET", "k", "v")
        assert sub.frames(2) == [pmsg(proto, b"__key*__:*", b"__keyspace@5__:k", b"set"),
                                 pmsg(proto, b"__key*__:*", b"__keyevent@5__:set", b"k")]
        w.call("GET", "k")  # reads are not events
        sub.send("PING")
        assert sub.frame() in (b"+PONG\r\n", b"*2\r\n$4\r\npong\r\n$0\r\n\r\n")


def test_only_keyspace_or_only_keyevent(server, config_restore):
    config_restore("notify-keyspace-events", "K$")
    with Wire(server.port) as sub, Wire(server.port) as w:
        sub.send("PSUBSCRIBE", "__key*__:*")
        sub.frame()
        w.call("SET", "k", "v")
        assert sub.frame() == pmsg(2, b"__key*__:*", b"__keyspace@0__:k", b"set")
        w.call("CONFIG", "SET", "notify-keyspace-events", "E$")
        w.call("SET", "k", "v")
        assert sub.frame() == pmsg(2, b"__key*__:*", b"__keyevent@0__:set", b"k")
        w.call("CONFIG", "SET", "notify-keyspace-events", "$")  # a class but no channel type
        w.call("SET", "k", "v")
        assert sub.call("PING") == b"*2\r\n$4\r\npong\r\n$0\r\n\r\n"


@pytest.mark.parametrize("flags, expected", [
    ("Eg", [(b"del", b"a")]),
    ("E$", [(b"set", b"a"), (b"set", b"b")]),
    ("El", [(b"lpush", b"l")]),
    ("Eh", [(b"hset", b"h")]),
    ("EA", [(b"set", b"a"), (b"set", b"b"), (b"lpush", b"l"), (b"hset", b"h"), (b"del", b"a")]),
    ("Egl", [(b"lpush", b"l"), (b"del", b"a")]),
])
def test_event_classes(server, config_restore, flags, expected):
    cmds = [("SET", "a", "1"), ("SET", "b", "2"), ("LPUSH", "l", "x"), ("HSET", "h", "f", "v"), ("DEL", "a")]
    assert events(server, flags, cmds, config_restore) == expected


@pytest.mark.parametrize("commands, expected", [
    ([("SET", "k", "v", "EX", "100")], [(b"set", b"k"), (b"expire", b"k")]),
    ([("SET", "n", "1"), ("INCRBY", "n", "2"), ("DECR", "n"), ("INCRBYFLOAT", "n", "1.5"), ("DECR", "n")],
     [(b"set", b"n"), (b"incrby", b"n"), (b"incrby", b"n"), (b"incrbyfloat", b"n")]),  # DECR says incrby
    ([("MSET", "a", "1", "b", "2"), ("DEL", "a", "b", "c")],
     [(b"set", b"a"), (b"set", b"b"), (b"del", b"a"), (b"del", b"b")]),
    ([("SET", "a", "1"), ("RENAME", "a", "b")], [(b"set", b"a"), (b"rename_from", b"a"), (b"rename_to", b"b")]),
    ([("SET", "a", "1"), ("EXPIRE", "a", "100"), ("PERSIST", "a"), ("EXPIRE", "a", "-1")],
     [(b"set", b"a"), (b"expire", b"a"), (b"persist", b"a"), (b"del", b"a")]),
    ([("RPUSH", "l", "a", "b"), ("LPOP", "l"), ("RPOP", "l")],
     [(b"rpush", b"l"), (b"lpop", b"l"), (b"rpop", b"l"), (b"del", b"l")]),
    ([("RPUSH", "s", "a"), ("LMOVE", "s", "d", "LEFT", "RIGHT")],
     [(b"rpush", b"s"), (b"rpush", b"d"), (b"lpop", b"s"), (b"del", b"s")]),
    ([("HSET", "h", "a", "1"), ("HINCRBY", "h", "a", "1"), ("HDEL", "h", "a")],
     [(b"hset", b"h"), (b"hincrby", b"h"), (b"hdel", b"h"), (b"del", b"h")]),
    ([("SADD", "s", "a", "b"), ("SREM", "s", "a", "zz"), ("SREM", "s", "zz")],
     [(b"sadd", b"s"), (b"srem", b"s")]),
    ([("ZADD", "z", "1", "a"), ("ZINCRBY", "z", "1", "a"), ("ZREM", "z", "a")],
     [(b"zadd", b"z"), (b"zincr", b"z"), (b"zrem", b"z"), (b"del", b"z")]),
    ([("SET", "a", "1"), ("COPY", "a", "b"), ("GETDEL", "a")],
     [(b"set", b"a"), (b"copy_to", b"b"), (b"del", b"a")]),
])
def test_event_names(server, config_restore, commands, expected):
    assert events(server, "EA", commands, config_restore) == expected


def test_move_reports_both_databases(server, config_restore):
    got = events(server, "EA", [("SET", "k", "1"), ("MOVE", "k", "1")], config_restore, db=2)
    assert got == [(b"set", b"k"), (b"move_from", b"k"), (b"move_to", b"k")]


def test_new_and_keymiss_classes(server, config_restore):
    cmds = [("SET", "a", "1"), ("SET", "a", "2"), ("GET", "nosuch"), ("GET", "a"), ("LPUSH", "l", "x")]
    assert events(server, "Enm", cmds, config_restore) == [
        (b"new", b"a"), (b"keymiss", b"nosuch"), (b"new", b"l")]
    assert events(server, "EA", cmds, config_restore) == [  # A covers neither n nor m
        (b"set", b"a"), (b"set", b"a"), (b"lpush", b"l")]


def test_expired_event_from_the_active_cycle(server, config_restore):
    config_restore("notify-keyspace-events", "Ex")
    with Wire(server.port) as sub, Wire(server.port) as w:
        sub.call("SUBSCRIBE", "__keyevent@0__:expired")
        w.call("SET", "gone", "v", "PX", "20")
        # Nobody reads the key: only the active expiry cycle can find it.
        assert sub.frame() == b"*3\r\n$7\r\nmessage\r\n$22\r\n__keyevent@0__:expired\r\n$4\r\ngone\r\n"


def test_expired_event_on_access(server, config_restore):
    config_restore("notify-keyspace-events", "Kx")
    with Wire(server.port) as sub, Wire(server.port) as w:
        sub.call("SUBSCRIBE", "__keyspace@0__:lazy")
        w.call("DEBUG", "SET-ACTIVE-EXPIRE", "0")
        try:
            w.call("SET", "lazy", "v", "PX", "1")
            w.call("DEBUG", "SLEEP", "0.01")
            assert w.call("GET", "lazy") == b"$-1\r\n"
            assert sub.frame() == b"*3\r\n$7\r\nmessage\r\n$19\r\n__keyspace@0__:lazy\r\n$7\r\nexpired\r\n"
        finally:
            w.call("DEBUG", "SET-ACTIVE-EXPIRE", "1")


def test_own_notification_comes_before_the_reply(server, config_restore):
    config_restore("notify-keyspace-events", "E$")
    with Wire(server.port, 3) as s:
        s.call("SUBSCRIBE", "__keyevent@0__:set")
        s.send_many(("SET", "a", "1"), ("PING",))
        assert s.frames(3) == [b">3\r\n$7\r\nmessage\r\n$18\r\n__keyevent@0__:set\r\n$1\r\na\r\n", b"+OK\r\n",
                               b"+PONG\r\n"]


def test_events_of_a_transaction(server, config_restore):
    config_restore("notify-keyspace-events", "KEA")
    with Wire(server.port) as sub, Wire(server.port) as w:
        sub.call("SUBSCRIBE", "__keyspace@0__:t")
        w.send_many(("MULTI",), ("SET", "t", "1"), ("INCR", "t"), ("DEL", "t"))
        w.frames(4)
        assert sub.call("PING") == b"*2\r\n$4\r\npong\r\n$0\r\n\r\n"  # nothing while queued
        w.call("EXEC")
        assert [f.split(b"\r\n")[-2] for f in sub.frames(3)] == [b"set", b"incrby", b"del"]


def test_disabled_by_default_flags(server, config_restore):
    config_restore("notify-keyspace-events", "")
    with Wire(server.port) as sub, Wire(server.port) as w:
        sub.call("PSUBSCRIBE", "__key*")
        w.call("SET", "a", "1")
        w.call("DEL", "a")
        assert sub.call("PING") == b"*2\r\n$4\r\npong\r\n$0\r\n\r\n"


def test_flags_validation(server, config_restore):
    config_restore("notify-keyspace-events", "KEA")
    with Wire(server.port) as w:
        assert w.call("CONFIG", "SET", "notify-keyspace-events", "KQ") == (
            b"-ERR CONFIG SET failed (possibly related to argument 'notify-keyspace-events') - "
            b"Invalid event class character. Use 'Ag$lshzxeKEtmdn'.\r\n")
        assert w.call("CONFIG", "SET", "notify-keyspace-events", "Ex") == b"+OK\r\n"
        assert w.call("CONFIG", "GET", "notify-keyspace-events") == (
            b"*2\r\n$22\r\nnotify-keyspace-events\r\n$2\r\nxE\r\n")
        assert w.call("CONFIG", "SET", "notify-keyspace-events", "KEA") == b"+OK\r\n"
        assert w.call("CONFIG", "GET", "notify-keyspace-events") == (
            b"*2\r\n$22\r\nnotify-keyspace-events\r\n$3\r\nAKE\r\n")


def test_keymiss_from_every_type_family(server, config_restore):
    cmds = [("HGET", "h", "f"), ("LRANGE", "l", 0, -1), ("SMEMBERS", "s"), ("ZSCORE", "z", "m"),
            ("SINTERSTORE", "dst", "s1"), ("STRLEN", "str")]
    got = events(server, "Em", cmds, config_restore)
    assert got[:4] == [(b"keymiss", b"h"), (b"keymiss", b"l"), (b"keymiss", b"s"), (b"keymiss", b"z")]
    assert (b"keymiss", b"str") in got
