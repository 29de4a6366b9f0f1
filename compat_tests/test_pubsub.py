"""Pub/Sub against CrabCache and real Redis: exact frames in RESP2 and RESP3, several clients."""

import socket
import time

import pytest
from wire import Wire


def bulk(b: bytes) -> bytes:
    return b"$%d\r\n%s\r\n" % (len(b), b)


def msg(proto: int, *parts) -> bytes:
    head = (b">%d\r\n" if proto == 3 else b"*%d\r\n") % len(parts)
    out = head
    for p in parts:
        if p is None:
            out += b"_\r\n" if proto == 3 else b"$-1\r\n"
        elif isinstance(p, int):
            out += b":%d\r\n" % p
        else:
            out += bulk(p)
    return out


def check(raw, data: bytes, expected: bytes) -> None:
    # Stop reading once the expected length is in: no waiting for a timeout.
    assert raw(data, expect=len(expected)) == expected


@pytest.fixture(params=[2, 3], ids=["resp2", "resp3"])
def proto(request):
    return request.param


def test_subscribe_confirmations_and_counts(server, proto):
    with Wire(server.port, proto) as s:
        s.send("SUBSCRIBE", "a", "b", "a")
        assert s.frames(3) == [msg(proto, b"subscribe", b"a", 1), msg(proto, b"subscribe", b"b", 2),
                               msg(proto, b"subscribe", b"a", 2)]
        s.send("PSUBSCRIBE", "p*")
        assert s.frame() == msg(proto, b"psubscribe", b"p*", 3)
        s.send("SSUBSCRIBE", "s1")  # shard channels are counted on their own
        assert s.frame() == msg(proto, b"ssubscribe", b"s1", 1)
        s.send("UNSUBSCRIBE", "b", "nosuch")
        assert s.frames(2) == [msg(proto, b"unsubscribe", b"b", 2), msg(proto, b"unsubscribe", b"nosuch", 2)]
        s.send("UNSUBSCRIBE")
        assert s.frame() == msg(proto, b"unsubscribe", b"a", 1)
        s.send("PUNSUBSCRIBE")
        assert s.frame() == msg(proto, b"punsubscribe", b"p*", 0)
        s.send("SUNSUBSCRIBE")
        assert s.frame() == msg(proto, b"sunsubscribe", b"s1", 0)
        s.send_many(("UNSUBSCRIBE",), ("PUNSUBSCRIBE",), ("SUNSUBSCRIBE",))
        assert s.frames(3) == [msg(proto, b"unsubscribe", None, 0), msg(proto, b"punsubscribe", None, 0),
                               msg(proto, b"sunsubscribe", None, 0)]
        assert s.call("PING") == b"+PONG\r\n"


def test_resp2_subscribed_mode(server):
    with Wire(server.port) as s:
        s.call("SUBSCRIBE", "ch")
        assert s.call("PING") == b"*2\r\n$4\r\npong\r\n$0\r\n\r\n"
        assert s.call("PING", "hi") == b"*2\r\n$4\r\npong\r\n$2\r\nhi\r\n"
        assert s.call("GET", "k") == (
            b"-ERR Can't execute 'get': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET "
            b"are allowed in this context\r\n")
        assert s.call("CLIENT", "ID").startswith(b"-ERR Can't execute 'client|id': only (P|S)SUBSCRIBE")
        assert s.call("RESET") == b"+RESET\r\n"
        assert s.call("EXISTS", "no-such-key") == b":0\r\n"


def test_resp3_subscribed_client_runs_any_command(server):
    with Wire(server.port, 3) as s, Wire(server.port) as pub:
        s.call("SUBSCRIBE", "ch")
        assert s.call("SET", "k", "v") == b"+OK\r\n"
        assert pub.call("PUBLISH", "ch", "m1") == b":1\r\n"
        # The push was written before this GET's reply.
        s.send("GET", "k")
        assert s.frames(2) == [msg(3, b"message", b"ch", b"m1"), b"$1\r\nv\r\n"]
        assert s.call("PING") == b"+PONG\r\n"


def test_publish_to_self_push_comes_before_the_reply(server):
    with Wire(server.port, 3) as s:
        s.send_many(("SUBSCRIBE", "ch"), ("PING",), ("PUBLISH", "ch", "self"), ("PING",))
        assert s.frames(5) == [msg(3, b"subscribe", b"ch", 1), b"+PONG\r\n",
                               msg(3, b"message", b"ch", b"self"), b":1\r\n", b"+PONG\r\n"]


def test_publish_reaches_channels_and_patterns(server, proto):
    with Wire(server.port, proto) as a, Wire(server.port, 2) as b, Wire(server.port) as pub:
        a.call("SUBSCRIBE", "news.tech")
        a.send("PSUBSCRIBE", "news.*", "n?ws.t[aeiou]ch")
        a.frames(2)
        b.call("PSUBSCRIBE", "news.*")
        assert pub.call("PUBLISH", "news.tech", "hello") == b":4\r\n"
        assert pub.call("PUBLISH", "nothing", "x") == b":0\r\n"
        got = a.frames(3)
        assert got[0] == msg(proto, b"message", b"news.tech", b"hello")
        assert sorted(got[1:]) == sorted([msg(proto, b"pmessage", b"news.*", b"news.tech", b"hello"),
                                          msg(proto, b"pmessage", b"n?ws.t[aeiou]ch", b"news.tech", b"hello")])
        assert b.frame() == msg(2, b"pmessage", b"news.*", b"news.tech", b"hello")
        assert b.call("PING") == b"*2\r\n$4\r\npong\r\n$0\r\n\r\n"


def test_binary_channel_and_message(server):
    with Wire(server.port) as s, Wire(server.port) as pub:
        s.call("SUBSCRIBE", b"ch\x00\xff")
        assert pub.call("PUBLISH", b"ch\x00\xff", b"a\r\nb") == b":1\r\n"
        assert s.frame() == msg(2, b"message", b"ch\x00\xff", b"a\r\nb")


def test_sharded_pubsub(server, proto):
    with Wire(server.port, proto) as s, Wire(server.port) as pub:
        s.send("SSUBSCRIBE", "{u}a", "{u}b")
        s.frames(2)
        s.call("SUBSCRIBE", "{u}a")
        assert pub.call("SPUBLISH", "{u}a", "x") == b":1\r\n"
        assert pub.call("PUBLISH", "{u}a", "y") == b":1\r\n"
        assert s.frames(2) == [msg(proto, b"smessage", b"{u}a", b"x"), msg(proto, b"message", b"{u}a", b"y")]
        assert pub.call("PUBSUB", "SHARDCHANNELS") in (
            b"*2\r\n$4\r\n{u}a\r\n$4\r\n{u}b\r\n", b"*2\r\n$4\r\n{u}b\r\n$4\r\n{u}a\r\n")
        assert pub.call("PUBSUB", "SHARDCHANNELS", "*b") == b"*1\r\n$4\r\n{u}b\r\n"
        assert pub.call("PUBSUB", "SHARDNUMSUB", "{u}a", "zz") == b"*4\r\n$4\r\n{u}a\r\n:1\r\n$2\r\nzz\r\n:0\r\n"
        s.send("SUNSUBSCRIBE", "{u}a")
        assert s.frame() == msg(proto, b"sunsubscribe", b"{u}a", 1)


def test_ssubscribe_inside_multi_is_refused(raw):
    check(raw, b"MULTI\r\nSSUBSCRIBE s\r\nEXEC\r\n", (
        b"+OK\r\n+QUEUED\r\n*1\r\n-ERR SSUBSCRIBE isn't allowed for a DENY BLOCKING client\r\n"))


def test_pubsub_introspection(server):
    with Wire(server.port) as a, Wire(server.port) as b, Wire(server.port) as q:
        ids = [w.call("CLIENT", "ID")[1:-2].decode() for w in (a, b, q)]
        a.send("SUBSCRIBE", "c1", "c2")
        a.frames(2)
        b.call("SUBSCRIBE", "c1")
        a.call("PSUBSCRIBE", "p*")
        b.call("PSUBSCRIBE", "p*")
        b.call("PSUBSCRIBE", "q*")
        assert q.call("PUBSUB", "CHANNELS", "c1") == b"*1\r\n$2\r\nc1\r\n"
        assert q.call("PUBSUB", "CHANNELS", "nope*") == b"*0\r\n"
        chans = q.call("PUBSUB", "CHANNELS")
        assert chans in (b"*2\r\n$2\r\nc1\r\n$2\r\nc2\r\n", b"*2\r\n$2\r\nc2\r\n$2\r\nc1\r\n")
        assert q.call("PUBSUB", "NUMSUB", "c1", "c2", "c3") == (
            b"*6\r\n$2\r\nc1\r\n:2\r\n$2\r\nc2\r\n:1\r\n$2\r\nc3\r\n:0\r\n")
        assert q.call("PUBSUB", "NUMSUB") == b"*0\r\n"
        assert q.call("PUBSUB", "NUMPAT") == b":2\r\n"  # distinct patterns
        assert q.call("PUBSUB", "CHANNELS", "a", "b") == (
            b"-ERR unknown subcommand or wrong number of arguments for 'CHANNELS'. Try PUBSUB HELP.\r\n")
        assert q.call("PUBSUB", "NUMPAT", "x") == b"-ERR wrong number of arguments for 'pubsub|numpat' command\r\n"
        assert q.call("PUBSUB", "FOO") == b"-ERR unknown subcommand 'FOO'. Try PUBSUB HELP.\r\n"
        assert q.call("PUBSUB", "HELP").startswith(
            b"*14\r\n+PUBSUB <subcommand> [<arg> [value] [opt] ...]. Subcommands are:\r\n+CHANNELS [<pattern>]\r\n")
        info = q.call("INFO", "stats").decode()
        assert "pubsub_channels:2\r\n" in info and "pubsub_patterns:2\r\n" in info
        listing = q.call("CLIENT", "LIST").decode()
        flags = {line.split(" sub=")[1].split(" multi=")[0]: line.split(" flags=")[1].split(" ")[0]
                 for line in listing.splitlines() if "sub=" in line}
        assert flags["2 psub=1 ssub=0"] == "P"
        assert flags["1 psub=2 ssub=0"] == "P"
        pubsub_ids = {line.split(" ")[0] for line in
                      q.call("CLIENT", "LIST", "TYPE", "pubsub").decode().splitlines()[1:]}
        assert "id=" + ids[0] in pubsub_ids and "id=" + ids[1] in pubsub_ids
        assert "id=" + ids[2] not in pubsub_ids


def test_subscriptions_go_with_the_client(server):
    with Wire(server.port) as q:
        s = Wire(server.port)
        s.call("SUBSCRIBE", "gone")
        assert q.call("PUBSUB", "NUMSUB", "gone") == b"*2\r\n$4\r\ngone\r\n:1\r\n"
        s.close()
        deadline = time.monotonic() + 5
        while q.call("PUBSUB", "NUMSUB", "gone") != b"*2\r\n$4\r\ngone\r\n:0\r\n":
            assert time.monotonic() < deadline
            time.sleep(0.01)
        assert q.call("PUBLISH", "gone", "x") == b":0\r\n"


def test_reset_drops_subscriptions(server):
    with Wire(server.port, 3) as s, Wire(server.port) as q:
        s.call("SUBSCRIBE", "r1")
        s.call("PSUBSCRIBE", "r*")
        assert s.call("RESET") == b"+RESET\r\n"
        assert q.call("PUBLISH", "r1", "x") == b":0\r\n"
        assert s.call("PING") == b"+PONG\r\n"


def test_redis_py_pubsub_listener(server, proto):
    r = server.client(protocol=proto)
    p = r.pubsub()
    p.subscribe("chat")
    p.psubscribe("ch*")
    assert p.get_message(timeout=5)["type"] == "subscribe"
    assert p.get_message(timeout=5)["type"] == "psubscribe"
    publisher = server.client(protocol=2)
    assert publisher.publish("chat", "hello") == 2
    got = [p.get_message(timeout=5), p.get_message(timeout=5)]
    kinds = sorted((m["type"], m["channel"], m["data"], m["pattern"]) for m in got)
    assert kinds == [("message", b"chat", b"hello", None), ("pmessage", b"chat", b"hello", b"ch*")]
    p.unsubscribe("chat")
    assert p.get_message(timeout=5)["type"] == "unsubscribe"
    p.close()
    r.close()
    publisher.close()


def test_redis_py_pubsub_thread_handler(server, proto):
    r = server.client(protocol=proto)
    got = []
    p = r.pubsub(ignore_subscribe_messages=True)
    p.subscribe(jobs=lambda m: got.append(m["data"]))
    thread = p.run_in_thread(sleep_time=0.01)
    publisher = server.client(protocol=2)
    deadline = time.monotonic() + 5
    while publisher.pubsub_numsub("jobs") != [(b"jobs", 1)]:
        assert time.monotonic() < deadline
        time.sleep(0.01)
    for i in range(20):
        publisher.publish("jobs", i)
    while len(got) < 20:
        assert time.monotonic() < deadline
        time.sleep(0.01)
    thread.stop()
    thread.join(5)
    assert got == [b"%d" % i for i in range(20)]
    p.close()
    r.close()
    publisher.close()


@pytest.mark.parametrize("aof", [False, True], ids=["", "aof"])
def test_slow_subscriber_is_disconnected_at_its_limit(server, config_restore, aof):
    """A subscriber that stops reading is cut off past client-output-buffer-limit pubsub;
    the publisher never waits for it, and other subscribers keep getting messages.
    With the AOF on and a write before each PUBLISH (CrabCache then holds the messages
    until the round's AOF write), the limit holds the same."""
    config_restore("client-output-buffer-limit", "pubsub 256kb 128kb 60")
    if aof:
        config_restore("appendonly", "yes")
    stalled = socket.socket()
    stalled.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    stalled.connect(("127.0.0.1", server.port))
    stalled.sendall(b"*2\r\n$9\r\nSUBSCRIBE\r\n$4\r\nbulk\r\n")
    with Wire(server.port) as healthy, Wire(server.port) as pub:
        healthy.call("SUBSCRIBE", "bulk")
        deadline = time.monotonic() + 5
        while pub.call("PUBSUB", "NUMSUB", "bulk") != b"*2\r\n$4\r\nbulk\r\n:2\r\n":
            assert time.monotonic() < deadline
            time.sleep(0.01)
        payload = b"x" * 65536
        receivers = []
        for i in range(400):
            if aof:
                pub.send_many(("SET", "k", str(i)), ("PUBLISH", "bulk", payload))
                assert pub.frame() == b"+OK\r\n"
                receivers.append(pub.frame())
            else:
                receivers.append(pub.call("PUBLISH", "bulk", payload))
            healthy.frame()  # the healthy subscriber keeps up
            if receivers[-1] == b":1\r\n":
                break
        assert receivers[-1] == b":1\r\n", "stalled subscriber was never disconnected"
        assert receivers[0] == b":2\r\n"
        assert pub.call("PUBLISH", "bulk", "after") == b":1\r\n"
        assert healthy.frame() == msg(2, b"message", b"bulk", b"after")
    stalled.close()
