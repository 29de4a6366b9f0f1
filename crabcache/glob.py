"""Redis's glob-style patterns, exactly as ``stringmatchlen`` (util.c) reads them.

Used by KEYS, SCAN MATCH, CONFIG GET, PUBSUB CHANNELS, PSUBSCRIBE and friends.

Rules (Redis 7.0.15, including its corners):

* ``*`` matches any run of bytes, ``?`` any one byte, ``\\x`` the byte ``x``
  (a lone trailing backslash is a literal backslash).
* ``[...]`` matches one byte from a set; ``[^...]`` negates it.  Inside, ``\\x``
  is ``x`` (always case-sensitive), ``a-z`` is a range (ends swapped if
  reversed, and compared as *signed* chars, so ``[a-\\xff]`` is the signed
  range -1..97).  A range is read whenever two more pattern bytes follow, even
  if the second is ``]`` (``[a-]b`` is the range ``]..a`` plus ``b``, with the
  class running on to the end of the pattern).  An unterminated class ends at
  the end of the pattern.  ``[]`` never matches, ``[^]`` matches any byte.
* nocase (CONFIG GET, COMMAND LIST FILTERBY PATTERN) folds ASCII only
  (``tolower`` in the C locale), and in a range folds the ends *after*
  swapping them, so ``[Z-a]`` matches nothing without case.
* A non-empty pattern never matches the empty string: Redis's loop stops as
  soon as the subject is empty, before skipping trailing stars.  That is why
  KEYS and SCAN special-case the pattern ``*`` themselves.

How: the pattern is parsed once, with the C code's pointer moves, into tokens
(a star, or the exact set of bytes one position accepts); the tokens become a
regular expression, cached per pattern.  Between stars every token consumes
one byte, so each middle segment is matched at its earliest position and never
revisited (a lookahead plus backreference makes it atomic): that is Redis's
own ``skipLongerMatches`` shortcut, and it keeps hostile patterns such as
``*a*a*a*a*b`` linear instead of exponential.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Callable

STAR = None  # token for '*'
_ALL = frozenset(range(256))


def _signed(b: int) -> int:
    return b - 256 if b > 127 else b


def _lower(b: int) -> int:
    # tolower() in the C locale: ASCII letters only (high bytes arrive negative
    # and come back unchanged, so working on the unsigned value is the same).
    return b + 32 if 65 <= b <= 90 else b


def tokenize(pattern: bytes, nocase: bool = False) -> list[frozenset[int] | None]:
    """The pattern as tokens: ``STAR`` or the frozenset of bytes one position accepts."""
    out: list[frozenset[int] | None] = []
    n = len(pattern)
    i = 0
    while i < n:
        c = pattern[i]
        if c == 42:  # '*'
            if not out or out[-1] is not STAR:
                out.append(STAR)
        elif c == 63:  # '?'
            out.append(_ALL)
        elif c == 91:  # '['
            i, accepted = _parse_class(pattern, i + 1, nocase)
            out.append(accepted)
        else:
            if c == 92 and n - i >= 2:  # '\\' escapes the next byte
                i += 1
                c = pattern[i]
            if nocase and (65 <= c <= 90 or 97 <= c <= 122):
                lo = _lower(c)
                out.append(frozenset((lo, lo - 32)))
            else:
                out.append(frozenset((c,)))
        i += 1
    return out


def _parse_class(p: bytes, i: int, nocase: bool) -> tuple[int, frozenset[int]]:
    # Mirrors the '[' case of stringmatchlen: returns the index of the last
    # pattern byte the class consumed, and the set of subject bytes it accepts.
    n = len(p)
    negate = i < n and p[i] == 94  # '^'
    if negate:
        i += 1
    singles: list[int] = []  # compared with case folding when nocase
    exact: list[int] = []  # escaped: always compared exactly
    ranges: list[tuple[int, int]] = []
    while True:
        if i < n and p[i] == 92 and n - i >= 2:
            i += 1
            exact.append(p[i])
        elif i < n and p[i] == 93:  # ']'
            break
        elif i >= n:
            i -= 1  # unterminated: the class ends with the pattern
            break
        elif n - i >= 3 and p[i + 1] == 45:  # '-'
            start, end = _signed(p[i]), _signed(p[i + 2])
            if start > end:
                start, end = end, start
            ranges.append((start, end))
            i += 2
        else:
            singles.append(p[i])
        i += 1
    accepted = set(exact)
    for b in range(256):
        sb = _signed(b)
        if nocase:
            lb = _lower(b)
            if any(_lower(s) == lb for s in singles):
                accepted.add(b)
            elif any(_signed(_lower(lo & 255)) <= _signed(lb) <= _signed(_lower(hi & 255))
                     for lo, hi in ranges):
                accepted.add(b)
        else:
            if b in singles or any(lo <= sb <= hi for lo, hi in ranges):
                accepted.add(b)
    return i, frozenset(_ALL - accepted if negate else accepted)


def _class_regex(accepted: frozenset[int]) -> bytes:
    if not accepted:
        return b"(?!)"
    if accepted == _ALL:
        return b"."
    parts = []
    bs = sorted(accepted)
    start = prev = bs[0]
    for b in bs[1:] + [-1]:
        if b == prev + 1:
            prev = b
            continue
        parts.append(b"\\x%02x" % start if start == prev else b"\\x%02x-\\x%02x" % (start, prev))
        start = prev = b
    return b"[" + b"".join(parts) + b"]"


def to_regex(pattern: bytes, nocase: bool = False) -> bytes:
    """The regular expression (for ``fullmatch``, DOTALL) equivalent to the pattern
    on every *non-empty* subject."""
    tokens = tokenize(pattern, nocase)
    segments: list[list[bytes]] = [[]]
    for t in tokens:
        if t is STAR:
            segments.append([])
        else:
            segments[-1].append(_class_regex(t))
    if len(segments) == 1:
        return b"".join(segments[0])
    out = [b"".join(segments[0])]
    for n, seg in enumerate(segments[1:-1], 1):
        # Earliest occurrence of this segment, consumed atomically.
        out.append(b"(?=(?P<g%d>.*?%s))(?P=g%d)" % (n, b"".join(seg), n))
    out.append(b".*" + b"".join(segments[-1]))
    return b"".join(out)


@lru_cache(maxsize=1024)
def compile_glob(pattern: bytes, nocase: bool = False) -> Callable[[bytes], bool]:
    """A predicate ``f(subject) -> bool``: ``stringmatchlen(pattern, subject, nocase)``."""
    rx = re.compile(to_regex(pattern, nocase), re.DOTALL)
    fullmatch = rx.fullmatch
    if not pattern:
        return lambda s: not s
    return lambda s: bool(s) and fullmatch(s) is not None


def glob_match(pattern: bytes, subject: bytes, nocase: bool = False) -> bool:
    return compile_glob(pattern, nocase)(subject)
