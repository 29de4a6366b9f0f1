"""OBJECT ENCODING after INCRBYFLOAT, against CrabCache and real Redis 7.0.

Redis stores INCRBYFLOAT's result as a new string object without
tryObjectEncoding: an integral result ("3") is "embstr" (up to 44 bytes, "raw"
beyond), where SET of the same text is "int".  The object keeps its encoding
when the key is renamed, moved or copied; any other write (SET, GETSET, INCR,
APPEND, SETRANGE, a reload) decides afresh.
"""

from __future__ import annotations

import redis


def enc(r: redis.Redis, key: str) -> bytes:
    return r.execute_command("OBJECT", "ENCODING", key)


def test_integral_result_is_embstr_but_set_of_the_same_text_is_int(rr):
    r = rr  # raw replies
    r.execute_command("SET", "k", "1.5")
    assert r.execute_command("INCRBYFLOAT", "k", "1.5") == b"3"
    assert enc(r, "k") == b"embstr"
    assert r.execute_command("OBJECT", "REFCOUNT", "k") == 1  # not the shared integer 3
    r.execute_command("SET", "k2", "3")  # the same one byte: still an int (shared)
    assert enc(r, "k2") == b"int"
    assert r.execute_command("OBJECT", "REFCOUNT", "k2") == 2147483647
    assert enc(r, "k") == b"embstr"
    r.execute_command("SET", "k", "3")
    assert enc(r, "k") == b"int"


def test_results_of_every_length(rr):
    r = rr  # raw replies
    # (increment, result, its encoding, the encoding SET gives the same text)
    cases = [("5.0e3", b"5000", b"embstr", b"int"), ("-0", b"0", b"embstr", b"int"),
             ("1e15", b"1000000000000000", b"embstr", b"int"),
             ("12345678901234567890", b"12345678901234567890", b"embstr", b"embstr"),  # > LLONG_MAX
             ("1.25", b"1.25", b"embstr", b"embstr"),
             ("1e50", b"100000000000000000003583830118858923890798487404544", b"raw", b"raw")]
    for i, (incr, result, encoding, set_encoding) in enumerate(cases):
        key = "n%d" % i
        assert r.execute_command("INCRBYFLOAT", key, incr) == result
        assert enc(r, key) == encoding, incr
        r.execute_command("SET", key + "s", result)  # SET decides by content
        assert enc(r, key + "s") == set_encoding, incr


def test_the_object_keeps_its_encoding_when_the_key_moves(rr):
    r = rr  # raw replies
    r.execute_command("INCRBYFLOAT", "k", "7")
    assert r.execute_command("RENAME", "k", "k2") == b"OK"
    assert enc(r, "k2") == b"embstr"
    assert r.execute_command("COPY", "k2", "k3") == 1
    assert enc(r, "k3") == b"embstr"
    assert r.execute_command("MOVE", "k3", 1) == 1
    r.execute_command("SELECT", 1)
    assert enc(r, "k3") == b"embstr"
    r.execute_command("SELECT", 0)
    assert r.execute_command("SWAPDB", 0, 1) == b"OK"
    assert enc(r, "k3") == b"embstr"


def test_other_writes_decide_afresh(rr):
    r = rr  # raw replies
    for cmd, encoding in [(("INCR", "k"), b"int"), (("APPEND", "k", "0"), b"raw"),
                          (("SETRANGE", "k", "0", "4"), b"raw"), (("GETSET", "k", "3"), b"int"),
                          (("INCRBYFLOAT", "k", "0.5"), b"embstr"), (("SET", "k", "3", "KEEPTTL"), b"int")]:
        r.execute_command("DEL", "k")
        r.execute_command("INCRBYFLOAT", "k", "3")
        assert enc(r, "k") == b"embstr"
        r.execute_command(*cmd)
        assert enc(r, "k") == encoding, cmd


def test_a_reload_makes_it_an_int(rr):
    r = rr  # raw replies
    r.execute_command("INCRBYFLOAT", "k", "3")
    assert r.execute_command("DEBUG", "RELOAD") == b"OK"
    assert enc(r, "k") == b"int"
