"""RequestReader: exact commands and errors from bytes, however they are split."""

import pytest
from hypothesis import given, strategies as st

from crabcache.protocol.reader import RequestReader, split_inline


def enc(*args: bytes) -> bytes:
    return b"*%d\r\n" % len(args) + b"".join(b"$%d\r\n%s\r\n" % (len(a), a) for a in args)


def feed_all(chunks, **kw):
    r = RequestReader(**kw)
    out = []
    for ch in chunks:
        out.extend(r.feed(ch))
        if r.error:
            break
    return out, r


def test_multibulk_fast_path():
    out, r = feed_all([enc(b"SET", b"k", b"v") + enc(b"GET", b"k")])
    assert out == [[b"SET", b"k", b"v"], [b"GET", b"k"]]
    assert r.error is None and r.buffered == 0


@pytest.mark.parametrize("element, err", [
    (b"+PING\r\n", "Protocol error: expected '$', got '+'"),
    (b"=7\r\ntxt:abc\r\n", "Protocol error: expected '$', got '='"),
    (b"(123\r\n", "Protocol error: expected '$', got '('"),
])
def test_resp3_only_elements_are_refused_after_good_commands(element, err):
    # hiredis would read these as bytes; the request must not run.
    out, r = feed_all([enc(b"PING") + b"*1\r\n" + element])
    assert out == [[b"PING"]]
    assert r.error == err


def test_resp3_aggregates_at_top_level_are_inline_commands():
    out, r = feed_all([enc(b"PING") + b"~1\r\n$4\r\nPING\r\n"])
    assert out == [[b"PING"], [b"~1"], [b"$4"], [b"PING"]]
    assert r.error is None


def test_split_anywhere_gives_same_commands():
    data = enc(b"SET", b"key", b"x" * 100) + b"PING\r\n" + enc(b"ECHO", b"\r\n*1\r\n") + enc(b"GET", b"key")
    want = [[b"SET", b"key", b"x" * 100], [b"PING"], [b"ECHO", b"\r\n*1\r\n"], [b"GET", b"key"]]
    for i in range(len(data) + 1):
        out, r = feed_all([data[:i], data[i:]])
        assert out == want, i
        assert r.error is None and r.buffered == 0


@given(st.lists(st.lists(st.binary(max_size=20), min_size=1, max_size=4), min_size=1, max_size=5),
       st.lists(st.integers(0, 200), max_size=6))
def test_random_splits(cmds, cuts):
    data = b"".join(enc(*c) for c in cmds)
    cuts = sorted(set(min(c, len(data)) for c in cuts))
    chunks = [data[a:b] for a, b in zip([0] + cuts, cuts + [len(data)])]
    out, r = feed_all(chunks)
    assert out == cmds
    assert r.error is None


@pytest.mark.parametrize("data, err", [
    (b"*x\r\n", "Protocol error: invalid multibulk length"),
    (b"*1\r\n$x\r\n", "Protocol error: invalid bulk length"),
    (b"*1\r\n$-1\r\n", "Protocol error: invalid bulk length"),
    (b"*2\r\n:1\r\n", "Protocol error: expected '$', got ':'"),
    (b"*1\r\n*1\r\n", "Protocol error: expected '$', got '*'"),
    (b'"abc\r\n', "Protocol error: unbalanced quotes in request"),
    (b"*3000000000\r\n", "Protocol error: invalid multibulk length"),
    (b"*01\r\n", "Protocol error: invalid multibulk length"),
])
def test_errors(data, err):
    out, r = feed_all([data])
    assert out == [] and r.error == err


def test_commands_before_error_are_returned():
    out, r = feed_all([b"PING\r\n" + enc(b"ECHO", b"a") + b"*1\r\n$x\r\n"])
    assert out == [[b"PING"], [b"ECHO", b"a"]]
    assert r.error == "Protocol error: invalid bulk length"


def test_bulk_limit():
    out, r = feed_all([b"*1\r\n$1025\r\n"], max_bulk=1024)
    assert r.error == "Protocol error: invalid bulk length"


def test_too_big_inline_and_counts():
    _, r = feed_all([b"a" * (64 * 1024 + 1)])
    assert r.error == "Protocol error: too big inline request"
    _, r = feed_all([b"*" + b"1" * (64 * 1024 + 1)])
    assert r.error == "Protocol error: too big mbulk count string"
    _, r = feed_all([b"*1\r\n$" + b"1" * (64 * 1024 + 1)])
    assert r.error == "Protocol error: too big bulk count string"


def test_large_value_in_small_chunks():
    value = bytes(range(256)) * 4096  # 1 MiB
    data = enc(b"SET", b"k", value)
    chunks = [data[i:i + 1000] for i in range(0, len(data), 1000)]
    out, r = feed_all(chunks)
    assert out == [[b"SET", b"k", value]]


def test_many_arguments_over_many_reads_resume_where_they_stopped():
    # A request of 30,000 arguments in 1000-byte reads: the arguments read so
    # far are kept between reads (not parsed again), the buffer only holds
    # the unparsed tail, and the fast path stays off until the request ends.
    args = [b"SADD", b"s"] + [b"member:%d" % i for i in range(30000)]
    data = enc(*args) + enc(b"PING")
    r = RequestReader()
    out = []
    for i in range(0, len(data), 1000):
        out.extend(r.feed(data[i:i + 1000]))
        assert r.buffered < 1000 + 64
    assert out == [args, [b"PING"]] and r.error is None and r.buffered == 0
    assert r.feed(enc(b"GET", b"k")) == [[b"GET", b"k"]]


def test_resumed_request_split_at_every_argument_boundary():
    data = enc(b"MSET", b"a", b"1", b"bb", b"22") + enc(b"GET", b"a")
    for i in range(1, len(data)):
        for j in range(i, len(data)):
            out, r = feed_all([data[:i], data[i:j], data[j:]])
            assert out == [[b"MSET", b"a", b"1", b"bb", b"22"], [b"GET", b"a"]], (i, j)
            assert r.buffered == 0


def test_unauthenticated_limits_and_recheck():
    r = RequestReader()
    r.unauthenticated = True
    assert r.feed(b"*11\r\n") == []
    assert r.error == "Protocol error: unauthenticated multibulk length"
    r = RequestReader()
    r.unauthenticated = True
    out = r.feed(enc(b"AUTH", b"pw") + b"*11\r\n")
    assert out == [[b"AUTH", b"pw"]] and r.error is None and r.recheck
    r.unauthenticated = False  # the AUTH succeeded
    assert r.feed(b"") == [] and r.error is None


def test_empty_multibulk_and_blank_lines_skipped():
    out, r = feed_all([b"*0\r\n*-1\r\n\r\n\n" + enc(b"PING")])
    assert out == [[b"PING"]]


def test_split_inline():
    assert split_inline(b'set "a b" c') == [b"set", b"a b", b"c"]
    assert split_inline(b'"\\x41\\n"') == [b"A\n"]
    assert split_inline(b"'it\\'s'") == [b"it's"]
    assert split_inline(b'"a"b') is None
    assert split_inline(b"'abc") is None
    assert split_inline(b"   ") == []


def test_a_huge_declared_array_costs_nothing_up_front():
    # hiredis would allocate the whole declared array at once (80 MB here, 16 GB
    # for "*2147483647"); the reader must only grow as arguments arrive.
    import tracemalloc

    tracemalloc.start()
    try:
        r = RequestReader()
        assert r.feed(enc(b"PING") + b"*9999999\r\n$3\r\nSET\r\n") == [[b"PING"]]
        assert r.error is None
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 1 << 20
    # Still inside that request, on the exact path, as Redis would be:
    assert r.feed(b"$1\r\nk\r\n") == [] and r.error is None
    assert r.feed(b"*1\r\n") == [] and r.error == "Protocol error: expected '$', got '*'"
