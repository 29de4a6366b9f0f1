"""The container value types: list, hash, set.  Thin builtin subclasses.

Builtin containers keep the per-element cost low (C implementations) while the
subclass gives each a distinct exact type, so a type check is one ``type(v) is``
comparison and TYPE/OBJECT read ``type_name``.

Rules of this module:

* ``encoding(config)`` answers OBJECT ENCODING with Redis 7.0's rules.  Redis
  converts a value to its big encoding on the *write* that outgrows the compact
  one and never converts back, so the write paths record that in
  ``encoding_sticky`` (``note_*`` helpers below); ``encoding`` only reads it.
  Redis 7.0 lists are always ``quicklist`` (listpack lists came in 7.2) and
  sets are ``intset`` or ``hashtable`` (no listpack sets before 7.2).
* Random picks (SPOP, SRANDMEMBER, HRANDFIELD) need O(1) random access that a
  builtin set/dict does not give.  ``pool`` is a lazily built list holding at
  least every current member: removals leave stale entries (skipped and pruned
  when drawn), and code that *adds* a member in place must append it to
  ``pool`` when the pool exists (or set ``pool = None``).  A pool that grows
  past twice the container is rebuilt, so a draw costs O(1) amortized.
* SSCAN/HSCAN/ZSCAN cursors walk members in the order of a fixed hash of each
  member (see ``scan_step``), which gives Redis's SCAN guarantee: an element
  present for the whole iteration is returned, whatever else changes.
"""

from __future__ import annotations

import random
import re
from bisect import bisect_left
from collections import deque
from collections.abc import Callable, Iterable
from typing import Any

from .. import errors
from ..errors import CommandError
from ..glob import compile_glob

_MASK63 = (1 << 63) - 1
# string2ll's accepted forms; the 64-bit range is checked separately.
_INT = re.compile(rb"-?[1-9][0-9]{0,18}|0")


def is_int64(b: bytes) -> bool:
    """Would Redis store ``b`` in an intset (isSdsRepresentableAsLongLong)?"""
    return _INT.fullmatch(b) is not None and -(2**63) <= int(b) < 2**63


class List(deque):
    __slots__ = ("encoding_sticky",)
    type_name = b"list"

    def __init__(self, *a: object) -> None:
        super().__init__(*a)
        self.encoding_sticky = False

    def encoding(self, config: Any) -> bytes:
        # Redis 7.0 creates every list as a quicklist (of listpack nodes).
        return b"quicklist"


class Hash(dict):
    __slots__ = ("encoding_sticky", "pool", "snap")
    type_name = b"hash"

    def __init__(self, *a: object) -> None:
        super().__init__(*a)
        self.encoding_sticky = False
        self.pool: list[bytes] | None = None
        self.snap: Any = None

    def encoding(self, config: Any) -> bytes:
        if self.encoding_sticky:
            return b"hashtable"
        v = config.values
        if len(self) > v["hash-max-listpack-entries"]:
            return b"hashtable"
        return b"listpack"

    def note_sizes(self, config: Any, args: Iterable[bytes]) -> None:
        """hashTypeTryConversion: a field or value longer than the listpack limit converts."""
        if not self.encoding_sticky:
            limit = config.values["hash-max-listpack-value"]
            for a in args:
                if len(a) > limit:
                    self.encoding_sticky = True
                    return

    def note_count(self, config: Any) -> None:
        """After adding fields: more than hash-max-listpack-entries converts."""
        if not self.encoding_sticky and len(self) > config.values["hash-max-listpack-entries"]:
            self.encoding_sticky = True


class Set(set):
    __slots__ = ("encoding_sticky", "pool", "snap")
    type_name = b"set"

    def __init__(self, *a: object) -> None:
        super().__init__(*a)
        self.encoding_sticky = False
        self.pool: list[bytes] | None = None
        self.snap: Any = None

    def encoding(self, config: Any) -> bytes:
        return b"hashtable" if self.encoding_sticky else b"intset"

    def note_added(self, config: Any, members: Iterable[bytes]) -> None:
        """setTypeAdd: a non-integer member, or too many members, converts an intset."""
        if self.encoding_sticky:
            return
        if len(self) > config.values["set-max-intset-entries"]:
            self.encoding_sticky = True
            return
        for m in members:
            if not is_int64(m):
                self.encoding_sticky = True
                return

    def fresh_encoding(self, config: Any) -> Set:
        """Encoding of a set built from scratch (SINTERSTORE, SPOP's rebuild ...)."""
        self.encoding_sticky = False
        self.note_added(config, self)
        return self

    def ordered(self) -> list[bytes]:
        """Members in Redis's iteration order where Redis has one: an intset is sorted."""
        if not self.encoding_sticky:
            return sorted(self, key=int)
        return list(self)


def new_set(config: Any, members: Iterable[bytes]) -> Set:
    s = Set(members)
    return s.fresh_encoding(config)


# --- random picks -------------------------------------------------------------------


def random_member(c: Any) -> Any:
    """A uniformly random member (key, for a Hash) of a non-empty Set or Hash."""
    n = len(c)
    if n <= 16:
        return random.choice(list(c))
    pool = c.pool
    if pool is None or len(pool) > 2 * n + 16:
        pool = c.pool = list(c)
    while True:
        i = random.randrange(len(pool))
        m = pool[i]
        if m in c:
            return m
        # A stale entry (removed since the pool was built): prune it in O(1).
        last = pool.pop()
        if i < len(pool):
            pool[i] = last


def random_distinct(c: Any, count: int) -> list[Any]:
    """``count`` distinct random members (count < len(c))."""
    n = len(c)
    if count * 3 > n:
        return random.sample(list(c), count)
    picked: dict[Any, None] = {}
    while len(picked) < count:
        picked[random_member(c)] = None
    return list(picked)


# --- SCAN over a container ------------------------------------------------------------


def _pos(m: bytes) -> int:
    return hash(m) & _MASK63


def scan_step(c: Any, cursor: int, count: int) -> tuple[int, list[Any]]:
    """One SCAN call over a Set/Hash/ZSet: (next cursor, up to ``count`` members).

    Members are visited by increasing ``hash(member)``; the cursor is that
    position plus one (0 = start, and 0 again when done).  The sorted order
    is a snapshot taken when a scan starts (cursor 0) and reused, so a call
    costs O(log n + count); members removed since are skipped, and members
    added since may or may not be seen, as Redis allows.
    """
    snap = c.snap
    if cursor == 0 or snap is None:
        order = sorted((_pos(m), m) for m in c)
        snap = c.snap = ([p for p, _ in order], [m for _, m in order])
    positions, members = snap
    i = bisect_left(positions, cursor - 1) if cursor else 0
    out: list[Any] = []
    n = len(members)
    while i < n and len(out) < count:
        m = members[i]
        if m in c:
            out.append(m)
        i += 1
    # Members sharing a position must come out in the same call: the cursor
    # can only say "from this position on".
    while i < n and positions[i] == positions[i - 1]:
        if members[i] in c:
            out.append(members[i])
        i += 1
    if i >= n:
        c.snap = None  # done: don't keep the snapshot alive
        return 0, out
    return positions[i] + 1, out


_CURSOR = re.compile(rb"([+-]?)([0-9]+)")


def parse_cursor(b: bytes) -> int:
    """parseScanCursorOrReply: strtoul, so a sign is accepted and "-1" wraps around."""
    if not b:
        return 0  # strtoul reads nothing and stops at the end: Redis takes it as 0
    m = _CURSOR.fullmatch(b)
    if m is None:
        raise CommandError(errors.INVALID_CURSOR)
    n = int(m.group(2))
    if n >= 1 << 64:
        raise CommandError(errors.INVALID_CURSOR)
    if m.group(1) == b"-" and n:
        n = (1 << 64) - n
    return n


def parse_scan_options(argv: list[bytes], start: int = 3) -> tuple[int, Callable[[bytes], bool] | None]:
    """``[MATCH pattern] [COUNT count]`` of SSCAN/HSCAN/ZSCAN: (count, match predicate or None)."""
    count = 10
    match = None
    i = start
    n = len(argv)
    while i < n:
        opt = argv[i].lower()
        if opt == b"count" and i + 1 < n:
            v = argv[i + 1]
            if _INT.fullmatch(v) is None or not -(2**63) <= int(v) < 2**63:
                raise CommandError(errors.NOT_INTEGER)
            count = int(v)
            if count < 1:
                raise CommandError(errors.SYNTAX)
        elif opt == b"match" and i + 1 < n:
            pat = argv[i + 1]
            match = None if pat == b"*" else compile_glob(pat)
        else:
            raise CommandError(errors.SYNTAX)
        i += 2
    return count, match
