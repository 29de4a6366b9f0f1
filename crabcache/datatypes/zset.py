"""The sorted set value type, and Redis's number parsing for scores.

Rules of this module:

* A ``ZSet`` is a dict ``member -> score`` (O(1) ZSCORE, membership) plus a
  ``sortedcontainers.SortedList`` of ``(score, member)`` tuples: Python orders
  those tuples exactly as Redis's skiplist does (score, then member bytes with
  a shorter prefix first), and the SortedList gives O(log n) insert, delete,
  rank and positional access, so every range query is O(log n + m).
* Ranges are half-open index pairs ``(lo, hi)`` into that order, found by
  bisection: ``(score,)`` sorts before every ``(score, member)`` and
  ``(score, TOP)`` after them.
* Lexicographic ranges assume, as Redis does, that all scores are equal; with
  mixed scores the result is unspecified (in Redis too).
* Stickiness: Redis converts a listpack zset to a skiplist on the write that
  outgrows it and never back, except that results built from scratch (the
  STORE commands) are checked afresh; ``note_insert`` / ``fresh_encoding``
  record that.  While a zset would be a listpack, scores behave as listpack
  text does: -0 is stored as 0, and ZSCAN prints them as stored.
* Scores come from client text through ``parse_score`` (getDoubleFromObject:
  strict, no NaN, no overflow) or ``parse_range_score`` (zslParseRange:
  plain strtod, so leading spaces, an empty string and overflow to inf are
  accepted).  ``scan_number`` is the shared C-library number lexer.
"""

from __future__ import annotations

import math
import re
from typing import Any

from sortedcontainers import SortedList

from .. import errors
from ..errors import CommandError
from ..protocol.writer import format_double

# --- C number syntax (strtod / strtold) ------------------------------------------------

_SPACE = b" \t\n\v\f\r"
_DEC = re.compile(rb"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_HEX = re.compile(rb"[+-]?0[xX](?:[0-9a-fA-F]+\.?[0-9a-fA-F]*|\.[0-9a-fA-F]+)(?:[pP][+-]?[0-9]+)?")
_INF = re.compile(rb"[+-]?(?:infinity|inf)", re.IGNORECASE)
_NAN = re.compile(rb"[+-]?nan(?:\([0-9A-Za-z_]*\))?", re.IGNORECASE)
_PLAIN = re.compile(rb"-?[0-9]{1,15}(?:\.[0-9]{1,15})?")  # always finite, never underflows


def scan_number(b: bytes, start: int = 0) -> tuple[str, bytes, int]:
    """Lex the longest number strtod would read at ``b[start:]``.

    Returns ``(kind, text, end)`` with kind ``"dec"``, ``"hex"``, ``"inf"``,
    ``"nan"`` or ``""`` (nothing read: end == start, as strtod leaves endptr).
    Leading whitespace is skipped as strtod does; callers that forbid it check.
    """
    i = start
    n = len(b)
    while i < n and b[i] in _SPACE:
        i += 1
    for kind, rx in (("hex", _HEX), ("dec", _DEC), ("inf", _INF), ("nan", _NAN)):
        m = rx.match(b, i)
        if m is not None:
            return kind, m.group(), m.end()
    return "", b"", start


def _to_double(kind: str, text: bytes) -> tuple[float, bool]:
    """strtod's value and whether it set ERANGE (overflow, or underflow to zero)."""
    if kind == "inf":
        return (float("-inf") if text[:1] == b"-" else float("inf")), False
    if kind == "nan":
        return float("nan"), False
    if kind == "hex":
        neg = text[:1] == b"-"
        body = text.lstrip(b"+-")
        try:
            v = float.fromhex(body.decode())
        except OverflowError:
            return (float("-inf") if neg else float("inf")), True
        v = -v if neg else v
        if v == 0.0 and any(ch not in b"0.xX" for ch in body.split(b"p")[0].split(b"P")[0]):
            return v, True
        return v, False
    v = float(text)
    if v in (float("inf"), float("-inf")):
        return v, True
    if v == 0.0 and any(ch in b"123456789" for ch in re.split(rb"[eE]", text)[0]):
        return v, True
    return v, False


def parse_score(b: bytes, msg: str = errors.NOT_FLOAT) -> float:
    """getDoubleFromObject: the whole string, no leading space, no NaN, no ERANGE."""
    if _PLAIN.fullmatch(b) is not None:  # the common case: a plain decimal, in range
        return float(b)  # no exponent, so no underflow; "-0" is -0.0 as strtod says
    if not b or b[0] in _SPACE:
        raise CommandError(msg)
    kind, text, end = scan_number(b)
    if end != len(b) or not kind:
        raise CommandError(msg)
    v, erange = _to_double(kind, text)
    if erange or v != v:
        raise CommandError(msg)
    return v


def parse_range_score(b: bytes) -> tuple[float, bool]:
    """zslParseRange's half: ``(value, exclusive)``; '(' marks exclusive.

    Plain strtod: leading spaces and an empty number (read as 0) are fine,
    overflow gives inf; only trailing garbage and NaN are errors.
    """
    ex = b[:1] == b"("
    s = b[1:] if ex else b
    kind, text, end = scan_number(s)
    if kind:
        if end != len(s):
            raise CommandError(errors.MIN_MAX_NOT_FLOAT)
        v, _ = _to_double(kind, text)
        if v != v:
            raise CommandError(errors.MIN_MAX_NOT_FLOAT)
        return v, ex
    # Nothing parsed: strtod returns 0 and leaves endptr at the start.
    if s:
        raise CommandError(errors.MIN_MAX_NOT_FLOAT)
    return 0.0, ex


def parse_lex_bound(b: bytes) -> tuple[bytes | None, bool, int]:
    """zslParseLexRangeItem: ``(member, exclusive, infinity)``; infinity -1 for '-', +1 for '+'."""
    c = b[:1]
    if c == b"+" and len(b) == 1:
        return None, False, 1
    if c == b"-" and len(b) == 1:
        return None, False, -1
    if c == b"(":
        return b[1:], True, 0
    if c == b"[":
        return b[1:], False, 0
    raise CommandError(errors.LEX_RANGE)


# --- the type ---------------------------------------------------------------------------


class _Top:
    """Sorts after every bytes member, so ``(s, TOP)`` follows every ``(s, m)``."""

    __slots__ = ()

    def __lt__(self, other: object) -> bool:
        return False

    def __le__(self, other: object) -> bool:
        return other is self

    def __gt__(self, other: object) -> bool:
        return other is not self

    def __ge__(self, other: object) -> bool:
        return True

    def __eq__(self, other: object) -> bool:
        return other is self

    def __hash__(self) -> int:
        return 0


TOP = _Top()


class ZSet:
    """A Redis sorted set: ``scores`` (member -> float) and ``order`` (sorted (score, member))."""

    __slots__ = ("encoding_sticky", "order", "scores", "snap")
    type_name = b"zset"

    def __init__(self) -> None:
        self.scores: dict[bytes, float] = {}
        self.order: SortedList = SortedList()
        self.encoding_sticky = False
        self.snap: Any = None  # SCAN snapshot (containers.scan_step)

    def __len__(self) -> int:
        return len(self.scores)

    def __contains__(self, member: object) -> bool:
        return member in self.scores

    def __iter__(self) -> Any:
        return iter(self.scores)

    def __repr__(self) -> str:
        return "ZSet(%r)" % list(self.order)

    # --- reads -------------------------------------------------------------------
    def get(self, member: bytes) -> float | None:
        return self.scores.get(member)

    def members(self) -> list[bytes]:
        """Every member, in score order (SORT, RDB, DEBUG ...)."""
        return [m for _, m in self.order]

    def items(self) -> list[tuple[float, bytes]]:
        """Every ``(score, member)`` in score order."""
        return list(self.order)

    def rank(self, member: bytes, reverse: bool = False) -> int | None:
        score = self.scores.get(member)
        if score is None:
            return None
        i = self.order.bisect_left((score, member))
        return len(self.scores) - 1 - i if reverse else i

    def score_range(self, mn: float, mn_ex: bool, mx: float, mx_ex: bool) -> tuple[int, int]:
        """Index range [lo, hi) of elements with a score between the bounds."""
        o = self.order
        lo = o.bisect_right((mn, TOP)) if mn_ex else o.bisect_left((mn,))
        hi = o.bisect_left((mx,)) if mx_ex else o.bisect_right((mx, TOP))
        return lo, max(lo, hi)

    def lex_range(
        self, mn: tuple[bytes | None, bool, int], mx: tuple[bytes | None, bool, int], reverse: bool = False
    ) -> tuple[int, int]:
        """Index range [lo, hi) between two ``parse_lex_bound`` results.

        Lex ranges assume every score is equal (then: two bisections).  With
        mixed scores Redis's answer is what its walk over the elements in
        (score, member) order gives -- for a listpack, a linear walk from the
        head (from the tail when ``reverse``), which is what we do; for a
        skiplist it depends on random node levels, so no client relies on it.
        """
        o = self.order
        n = len(o)
        if not n or mn[2] == 1 or mx[2] == -1:
            return 0, 0
        s0 = o[0][0]
        if o[-1][0] != s0:
            return self._lex_walk(mn, mx, reverse)
        if mn[2] == -1:
            lo = 0
        else:
            lo = o.bisect_right((s0, mn[0])) if mn[1] else o.bisect_left((s0, mn[0]))
        if mx[2] == 1:
            hi = n
        else:
            hi = o.bisect_left((s0, mx[0])) if mx[1] else o.bisect_right((s0, mx[0]))
        return lo, max(lo, hi)

    def _lex_walk(
        self, mn: tuple[bytes | None, bool, int], mx: tuple[bytes | None, bool, int], reverse: bool
    ) -> tuple[int, int]:
        # zzlIsInLexRange + zzlFirstInLexRange / zzlLastInLexRange + the walk on.
        members = [m for _, m in self.order]
        n = len(members)

        def gte_min(m: bytes) -> bool:
            return mn[2] == -1 or (m > mn[0] if mn[1] else m >= mn[0])  # type: ignore[operator]

        def lte_max(m: bytes) -> bool:
            return mx[2] == 1 or (m < mx[0] if mx[1] else m <= mx[0])  # type: ignore[operator]

        if mn[2] == 0 and mx[2] == 0 and (
            mn[0] > mx[0] or (mn[0] == mx[0] and (mn[1] or mx[1]))  # type: ignore[operator]
        ):
            return 0, 0  # an empty range
        if not gte_min(members[-1]) or not lte_max(members[0]):
            return 0, 0
        if not reverse:
            for i in range(n):
                if gte_min(members[i]):
                    if not lte_max(members[i]):
                        return 0, 0
                    j = i
                    while j < n and lte_max(members[j]):
                        j += 1
                    return i, j
        else:
            for i in range(n - 1, -1, -1):
                if lte_max(members[i]):
                    if not gte_min(members[i]):
                        return 0, 0
                    j = i
                    while j >= 0 and gte_min(members[j]):
                        j -= 1
                    return j + 1, i + 1
        return 0, 0

    def slice(self, lo: int, hi: int, reverse: bool = False) -> list[tuple[float, bytes]]:
        """Elements with index in [lo, hi), ascending or descending."""
        if lo >= hi:
            return []
        return list(self.order.islice(lo, hi, reverse=reverse))

    # --- writes ------------------------------------------------------------------
    def add(self, member: bytes, score: float) -> None:
        """Insert ``member`` or move it to ``score``.

        A listpack keeps scores as text, where -0 is written "0": while this
        zset is (as Redis would have it) a listpack, -0.0 is stored as 0.0.
        """
        if score == 0.0 and not self.encoding_sticky:
            score = 0.0
        old = self.scores.get(member)
        if old is not None:
            if old == score:
                return
            self.order.remove((old, member))
        self.scores[member] = score
        self.order.add((score, member))

    def remove(self, member: bytes) -> bool:
        score = self.scores.pop(member, None)
        if score is None:
            return False
        self.order.remove((score, member))
        return True

    def delete_range(self, lo: int, hi: int) -> int:
        """Remove the elements with index in [lo, hi); returns how many."""
        if lo >= hi:
            return 0
        o = self.order
        for _, m in o.islice(lo, hi):
            del self.scores[m]
        del o[lo:hi]
        return hi - lo

    def pop(self, count: int, from_max: bool) -> list[tuple[float, bytes]]:
        """Remove and return up to ``count`` lowest (or highest) elements, in pop order."""
        o = self.order
        out = []
        for _ in range(min(count, len(o))):
            item = o.pop(-1 if from_max else 0)
            del self.scores[item[1]]
            out.append(item)
        return out

    # --- OBJECT ENCODING -----------------------------------------------------------
    def encoding(self, config: Any) -> bytes:
        return b"skiplist" if self.encoding_sticky else b"listpack"

    def note_insert(self, config: Any, member: bytes) -> None:
        """Before inserting a new member: zsetAdd converts a listpack that would
        grow past zset-max-listpack-entries or take a too long member."""
        if not self.encoding_sticky:
            v = config.values
            if len(self.scores) >= v["zset-max-listpack-entries"] or len(member) > v["zset-max-listpack-value"]:
                self.encoding_sticky = True

    def listpack_score(self, score: float) -> bytes:
        """A score as a listpack stores it (what ZSCAN shows): integral values
        within the long long range as integers, others as ``%.17g``."""
        if score.is_integer() and -9.223372036854775808e18 < score < 9.223372036854775808e18:
            return b"%d" % int(score)
        return format_double(score)

    def fresh_encoding(self, config: Any) -> ZSet:
        """Encoding of a zset built from scratch (STORE results)."""
        v = config.values
        limit = v["zset-max-listpack-value"]
        self.encoding_sticky = len(self.scores) > v["zset-max-listpack-entries"] or any(
            len(m) > limit for m in self.scores
        )
        if not self.encoding_sticky:
            for m, s in list(self.scores.items()):
                if s == 0.0 and math.copysign(1.0, s) < 0:
                    self.remove(m)  # a listpack writes -0 as "0" (see add)
                    self.add(m, 0.0)
        return self
