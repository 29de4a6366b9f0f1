"""INCRBYFLOAT's embstr marks (strings.EMBSTR_INTS): identity, not content, and
dead marks are swept."""

from __future__ import annotations

from crabcache.commands import strings
from crabcache.commands.keys import string_encoding


def test_marks_are_by_identity() -> None:
    v = strings._mark_embstr(b"3")
    assert v == b"3" and v is not b"3"[:1]  # a private object, not CPython's shared one
    assert string_encoding(v) == b"embstr"
    assert string_encoding(b"3") == b"int"
    w = strings._mark_embstr(bytes(bytearray(b"42")))
    assert string_encoding(w) == b"embstr" and string_encoding(bytes(bytearray(b"42"))) == b"int"


def test_dead_marks_are_swept() -> None:
    keep = [strings._mark_embstr(bytes(bytearray(b"%d" % i))) for i in range(10, 600)]
    for i in range(5000):
        strings._mark_embstr(bytes(bytearray(b"%d" % (i + 1000))))  # dropped at once
    assert len(strings.EMBSTR_INTS) < 2 * 1024 + len(keep)
    assert all(string_encoding(v) == b"embstr" for v in keep)
