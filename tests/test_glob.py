"""crabcache.glob against a line-by-line model of Redis's stringmatchlen.

``reference`` follows util.c's pointer moves literally (recursion on '*',
signed-char ranges, the class parser that runs past ']' after a dangling
range, the empty-subject early exit).  The compiled matcher must agree with it
on hand-picked corners and on random patterns; compat_tests/test_keys.py
checks the same corners against the real server.
"""

from __future__ import annotations

from hypothesis import given, settings, strategies as st

from crabcache.glob import compile_glob, glob_match


def _lower(c: int) -> int:
    return c + 32 if 65 <= c <= 90 else c


def _s(c: int) -> int:
    return c - 256 if c > 127 else c


def reference(p: bytes, s: bytes, nocase: bool = False) -> bool:
    pe = p + b"\0"  # C strings are NUL terminated; the code peeks at pattern[len]
    skip_longer = [False]

    def m(pi: int, plen: int, si: int, slen: int) -> bool:
        while plen and slen:
            c = pe[pi]
            if c == 42:  # '*'
                while plen and pe[pi + 1] == 42:
                    pi += 1
                    plen -= 1
                if plen == 1:
                    return True
                while slen:
                    if m(pi + 1, plen - 1, si, slen):
                        return True
                    if skip_longer[0]:
                        return False
                    si += 1
                    slen -= 1
                skip_longer[0] = True
                return False
            elif c == 63:  # '?'
                si += 1
                slen -= 1
            elif c == 91:  # '['
                pi += 1
                plen -= 1
                neg = pe[pi] == 94
                if neg:
                    pi += 1
                    plen -= 1
                match = False
                while True:
                    if pe[pi] == 92 and plen >= 2:
                        pi += 1
                        plen -= 1
                        if pe[pi] == s[si]:
                            match = True
                    elif pe[pi] == 93:
                        break
                    elif plen == 0:
                        pi -= 1
                        plen += 1
                        break
                    elif plen >= 3 and pe[pi + 1] == 45:
                        start, end, ch = _s(pe[pi]), _s(pe[pi + 2]), _s(s[si])
                        if start > end:
                            start, end = end, start
                        if nocase:
                            start, end, ch = (_s(_lower(x & 255)) for x in (start, end, ch))
                        pi += 2
                        plen -= 2
                        if start <= ch <= end:
                            match = True
                    else:
                        if (_lower(pe[pi]) == _lower(s[si])) if nocase else pe[pi] == s[si]:
                            match = True
                    pi += 1
                    plen -= 1
                if neg:
                    match = not match
                if not match:
                    return False
                si += 1
                slen -= 1
            else:
                if c == 92 and plen >= 2:
                    pi += 1
                    plen -= 1
                a, b = pe[pi], s[si]
                if (_lower(a) != _lower(b)) if nocase else a != b:
                    return False
                si += 1
                slen -= 1
            pi += 1
            plen -= 1
            if slen == 0:
                while pe[pi] == 42:
                    pi += 1
                    plen -= 1
                break
        return plen == 0 and slen == 0

    return m(0, len(p), 0, len(s))


CORNERS = [
    (b"*", b"", False), (b"**", b"", False), (b"", b"", True), (b"", b"a", False),
    (b"*", b"abc", True), (b"a*", b"a", True), (b"a**", b"a", True), (b"a*?", b"a", False),
    (b"?", b"", False), (b"h?llo", b"hello", True), (b"h*llo", b"hllo", True),
    (b"h[ae]llo", b"hallo", True), (b"h[^e]llo", b"hello", False), (b"h[a-b]llo", b"hbllo", True),
    (b"[z-a]", b"m", True), (b"[a-]", b"]", True), (b"[a-]", b"^", True), (b"[a-]", b"b", False),
    (b"[a-]b", b"b", True), (b"[a-]b", b"a", True), (b"[abc", b"b", True), (b"[abc", b"[", False),
    (b"[", b"[", False), (b"[^", b"x", True), (b"[]", b"]", False), (b"[]]", b"]", False),
    (b"[^]", b"x", True), (b"\\", b"\\", True), (b"\\*", b"*", True), (b"\\*", b"a", False),
    (b"[\\]]", b"]", True), (b"[\\", b"\\", True), (b"[a-\xff]", b"\x00", True),
    (b"[a-\xff]", b"\x80", False), (b"[a-\xff]", b"\xff", True), (b"[\x80-\xff]", b"\x90", True),
    (b"[\x80-\xff]", b"a", False), (b"[---]", b"-", True), (b"a\\", b"a\\", True),
    (b"*a*a*a*a*a*a*a*a*a*b", b"a" * 60, False), (b"[\x00]", b"\x00", True),
]


def test_corners() -> None:
    for pat, subject, want in CORNERS:
        assert reference(pat, subject) is want, (pat, subject)
        assert glob_match(pat, subject) is want, (pat, subject)


def test_nocase_corners() -> None:
    for pat, subject, want in [
        (b"HELLO", b"hello", True), (b"[A-Z]", b"q", True), (b"[Z-a]", b"_", False),
        (b"[Z-a]", b"Z", False), (b"[\\A]", b"a", False), (b"\\A", b"a", True), (b"[^a]", b"A", False),
    ]:
        assert reference(pat, subject, True) is want, (pat, subject)
        assert glob_match(pat, subject, True) is want, (pat, subject)


def test_hostile_pattern_is_fast() -> None:
    f = compile_glob(b"*a" * 30 + b"*b")
    assert not f(b"a" * 5000)
    f = compile_glob(b"a*" * 600 + b"b")  # hundreds of segments
    assert f(b"a" * 600 + b"b") and not f(b"a" * 700)
    assert compile_glob(b"[a" * 3000)(b"a")


ALPHABET = b"ab*?[]^-\\Z\xff\x00"
patterns = st.lists(st.sampled_from([bytes([c]) for c in ALPHABET]), max_size=8).map(b"".join)
subjects = st.lists(st.sampled_from([bytes([c]) for c in b"ab]^-\\*?[zZ\xff\x00"]), max_size=6).map(b"".join)


@settings(max_examples=3000, deadline=None)
@given(patterns, subjects, st.booleans())
def test_matches_reference(pat: bytes, subject: bytes, nocase: bool) -> None:
    assert glob_match(pat, subject, nocase) == reference(pat, subject, nocase)
