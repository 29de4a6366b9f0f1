"""Sorted set commands, blocking ones included (BZPOPMIN, BZPOPMAX, BZMPOP).

Rules of this module:

* A sorted set is a ``datatypes.zset.ZSet``; every range query is a
  bisection plus a slice of its SortedList, O(log n + m).
* Scores are replied as floats: the writer sends them as ``%.17g`` bulk
  strings in RESP2 and doubles in RESP3, as Redis 7.0 does.  Where Redis
  shapes a reply differently per protocol (WITHSCORES pairs, ZPOPMIN with a
  count, ZRANDMEMBER) the handler looks at ``c.resp3``.  SCAN replies keep
  scores as bulk strings in both.
* Argument errors in Redis's order: ranges and options are parsed before the
  key is looked up; ZADD parses every score before touching the key.
* Encoding: a write that inserts past zset-max-listpack-entries or a member
  longer than zset-max-listpack-value makes the zset a skiplist for good;
  STORE results are judged afresh (``ZSet.fresh_encoding``).
* The key goes with its last member; events are ``zadd zincr zrem
  zremrangebyrank zremrangebyscore zremrangebylex zpopmin zpopmax
  zrangestore zunionstore zinterstore zdiffstore`` and ``del``.
* Sets are accepted as inputs of ZUNION/ZINTER/ZDIFF (score 1), as in Redis.
"""

from __future__ import annotations

import random
from typing import Any

from .. import errors
from ..datatypes.containers import Set, parse_cursor, parse_scan_options, scan_step
from ..datatypes.zset import ZSet, parse_lex_bound, parse_range_score, parse_score
from ..errors import CommandError
from ..persistence import propagate
from ..keyspace import blocking
from ..protocol.writer import NULL_ARRAY, format_double
from .args import LLONG_MAX, parse_int
from .hashes import parse_random_count
from .lists import mpop_keys, parse_mpop
from .registry import command
from .sets import numkeys_keys

ZSET = "sorted-set"


def read_zset(c: Any, key: bytes) -> ZSet | None:
    """A zset for a read command (counts keyspace hits/misses); WRONGTYPE otherwise."""
    return c.db.read_typed(key, ZSet)



def write_zset(c: Any, key: bytes) -> ZSet | None:
    return c.db.write_typed(key, ZSet)



def _gone_if_empty(c: Any, db: Any, key: bytes, z: ZSet) -> None:
    if len(z):
        db.touched(key)
    else:
        db.delete(key)
        c.server.notify(db, "g", b"del", key)


def scored(c: Any, items: list[tuple[float, bytes]], withscores: bool) -> list[Any]:
    """A range reply: members, or members with scores (pairs in RESP3, flat in RESP2)."""
    if not withscores:
        return [m for _, m in items]
    if c.resp3:
        return [[m, s] for s, m in items]
    out: list[Any] = []
    for s, m in items:
        out.append(m)
        out.append(s)
    return out


# --- ZADD / ZINCRBY ---------------------------------------------------------------------


def _zadd(c: Any, argv: list[bytes], incr: bool, scoreidx: int) -> Any:
    nx = xx = gt = lt = ch = False
    n = len(argv)
    while scoreidx < n:
        opt = argv[scoreidx].lower()
        if opt == b"nx":
            nx = True
        elif opt == b"xx":
            xx = True
        elif opt == b"ch":
            ch = True
        elif opt == b"incr":
            incr = True
        elif opt == b"gt":
            gt = True
        elif opt == b"lt":
            lt = True
        else:
            break
        scoreidx += 1
    elements = n - scoreidx
    if elements % 2 or not elements:
        raise CommandError(errors.SYNTAX)
    elements //= 2
    if nx and xx:
        raise CommandError(errors.ZADD_XX_NX)
    if (gt and nx) or (lt and nx) or (gt and lt):
        raise CommandError(errors.ZADD_GT_LT_NX)
    if incr and elements > 1:
        raise CommandError(errors.ZADD_INCR_PAIR)
    scores = [parse_score(argv[scoreidx + 2 * j]) for j in range(elements)]
    db = c.db
    key = argv[1]
    z = write_zset(c, key)
    added = updated = processed = 0
    score = 0.0
    if z is None:
        if xx:
            return None if incr else 0
        z = ZSet()
        db.set(key, z)
    config = c.server.config
    cur_get = z.scores.get
    try:
        for j in range(elements):
            member = argv[scoreidx + 1 + 2 * j]
            score = scores[j]
            cur = cur_get(member)
            if cur is not None:
                if nx:
                    continue
                if incr:
                    score += cur
                    if score != score:
                        raise CommandError(errors.ZSCORE_NAN)
                if (lt and score >= cur) or (gt and score <= cur):
                    continue
                processed += 1
                if score != cur:
                    z.add(member, score)
                    updated += 1
            elif not xx:
                z.note_insert(config, member)
                z.add(member, score)
                added += 1
                processed += 1
    finally:
        if added or updated:
            c.server.dirty += added + updated
            db.touched(key)
            c.server.notify(db, "z", b"zincr" if incr else b"zadd", key)
        elif not len(z):
            db.delete(key)  # created for nothing (an error or every pair skipped)
    if incr:
        return score if processed else None
    return added + updated if ch else added


@command("zadd", -4, "write denyoom fast", keys=(1, 1, 1), group=ZSET, since="1.2.0",
         summary="Add one or more members to a sorted set, or update its score if it already exists",
         complexity="O(log(N)) for each item added, where N is the number of elements in the sorted set.")
def zadd(c: Any, argv: list[bytes]) -> Any:
    return _zadd(c, argv, False, 2)


@command("zincrby", 4, "write denyoom fast", keys=(1, 1, 1), group=ZSET, since="1.2.0",
         summary="Increment the score of a member in a sorted set",
         complexity="O(log(N)) where N is the number of elements in the sorted set.")
def zincrby(c: Any, argv: list[bytes]) -> Any:
    return _zadd(c, argv, True, 2)


@command("zrem", -3, "write fast", keys=(1, 1, 1), group=ZSET, since="1.2.0",
         summary="Remove one or more members from a sorted set",
         complexity="O(M*log(N)) with N being the number of elements in the sorted set and M the number of "
                    "elements to be removed.")
def zrem(c: Any, argv: list[bytes]) -> Any:
    db = c.db
    key = argv[1]
    z = write_zset(c, key)
    if z is None:
        return 0
    n = 0
    for m in argv[2:]:
        if z.remove(m):
            n += 1
            if not len(z):
                break
    if n:
        c.server.dirty += n
        c.server.notify(db, "z", b"zrem", key)
        _gone_if_empty(c, db, key, z)
    return n


# --- simple reads -------------------------------------------------------------------------


@command("zcard", 2, "readonly fast", keys=(1, 1, 1), group=ZSET, since="1.2.0",
         summary="Get the number of members in a sorted set", complexity="O(1)")
def zcard(c: Any, argv: list[bytes]) -> Any:
    z = read_zset(c, argv[1])
    return 0 if z is None else len(z)


@command("zscore", 3, "readonly fast", keys=(1, 1, 1), group=ZSET, since="1.2.0",
         summary="Get the score associated with the given member in a sorted set", complexity="O(1)")
def zscore(c: Any, argv: list[bytes]) -> Any:
    z = read_zset(c, argv[1])
    return None if z is None else z.scores.get(argv[2])


@command("zmscore", -3, "readonly fast", keys=(1, 1, 1), group=ZSET, since="6.2.0",
         summary="Get the score associated with the given members in a sorted set",
         complexity="O(N) where N is the number of members being requested.")
def zmscore(c: Any, argv: list[bytes]) -> Any:
    z = read_zset(c, argv[1])
    if z is None:
        return [None] * (len(argv) - 2)
    get = z.scores.get
    return [get(m) for m in argv[2:]]


def _rank(c: Any, argv: list[bytes], reverse: bool) -> Any:
    z = read_zset(c, argv[1])
    return None if z is None else z.rank(argv[2], reverse)


@command("zrank", 3, "readonly fast", keys=(1, 1, 1), group=ZSET, since="2.0.0",
         summary="Determine the index of a member in a sorted set", complexity="O(log(N))")
def zrank(c: Any, argv: list[bytes]) -> Any:
    return _rank(c, argv, False)


@command("zrevrank", 3, "readonly fast", keys=(1, 1, 1), group=ZSET, since="2.0.0",
         summary="Determine the index of a member in a sorted set, with scores ordered from high to low",
         complexity="O(log(N))")
def zrevrank(c: Any, argv: list[bytes]) -> Any:
    return _rank(c, argv, True)


def _score_range(argv: list[bytes], i: int, j: int) -> tuple[float, bool, float, bool]:
    mn, mn_ex = parse_range_score(argv[i])
    mx, mx_ex = parse_range_score(argv[j])
    return mn, mn_ex, mx, mx_ex


def _lex_range(argv: list[bytes], i: int, j: int) -> tuple[Any, Any]:
    try:
        return parse_lex_bound(argv[i]), parse_lex_bound(argv[j])
    except CommandError:
        raise CommandError(errors.LEX_RANGE) from None


@command("zcount", 4, "readonly fast", keys=(1, 1, 1), group=ZSET, since="2.0.0",
         summary="Count the members in a sorted set with scores within the given values",
         complexity="O(log(N)) with N being the number of elements in the sorted set.")
def zcount(c: Any, argv: list[bytes]) -> Any:
    r = _score_range(argv, 2, 3)
    z = read_zset(c, argv[1])
    if z is None:
        return 0
    lo, hi = z.score_range(*r)
    return hi - lo


@command("zlexcount", 4, "readonly fast", keys=(1, 1, 1), group=ZSET, since="2.8.9",
         summary="Count the number of members in a sorted set between a given lexicographical range",
         complexity="O(log(N)) with N being the number of elements in the sorted set.")
def zlexcount(c: Any, argv: list[bytes]) -> Any:
    mn, mx = _lex_range(argv, 2, 3)
    z = read_zset(c, argv[1])
    if z is None:
        return 0
    lo, hi = z.lex_range(mn, mx)
    return hi - lo


# --- ZRANGE and friends ---------------------------------------------------------------------

AUTO, RANK, SCORE, LEX = 0, 1, 2, 3


def _rank_bounds(n: int, start: int, end: int) -> tuple[int, int]:
    """Redis's start/end index rules -> index range [lo, hi) (empty when lo >= hi)."""
    if start < 0:
        start += n
    if end < 0:
        end += n
    start = max(start, 0)
    if start > end or start >= n:
        return 0, 0
    if end >= n:
        end = n - 1
    return start, end + 1


def _zrange(c: Any, argv: list[bytes], at: int, store: bool, rangetype: int, reverse: bool | None) -> Any:
    """zrangeGenericCommand: ``argv[at]`` is the source key, then min, max, options."""
    withscores = False
    offset, limit = 0, -1
    j = at + 3
    n = len(argv)
    while j < n:
        opt = argv[j].lower()
        left = n - j - 1
        if not store and opt == b"withscores":
            withscores = True
        elif opt == b"limit" and left >= 2:
            offset = parse_int(argv[j + 1])
            limit = parse_int(argv[j + 2])
            j += 2
        elif reverse is None and opt == b"rev":
            reverse = True
        elif rangetype == AUTO and opt == b"bylex":
            rangetype = LEX
        elif rangetype == AUTO and opt == b"byscore":
            rangetype = SCORE
        else:
            raise CommandError(errors.SYNTAX)
        j += 1
    reverse = bool(reverse)
    if rangetype == AUTO:
        rangetype = RANK
    if limit != -1 and rangetype == RANK:
        raise CommandError(errors.ZRANGE_LIMIT)
    if withscores and rangetype == LEX:
        raise CommandError(errors.ZRANGE_BYLEX_WITHSCORES)
    mini, maxi = at + 1, at + 2
    if reverse and rangetype != RANK:
        mini, maxi = maxi, mini  # given as max, min
    if rangetype == RANK:
        start = parse_int(argv[mini])
        end = parse_int(argv[maxi])
    elif rangetype == SCORE:
        srange = _score_range(argv, mini, maxi)
    else:
        lrange = _lex_range(argv, mini, maxi)
    key = argv[at]
    z = read_zset(c, key)
    items: list[tuple[float, bytes]] = []
    if z is not None:
        if rangetype == RANK:
            n = len(z)
            lo, hi = _rank_bounds(n, start, end)
            if reverse:
                lo, hi = n - hi, n - lo
            items = z.slice(lo, hi, reverse)
        else:
            lo, hi = z.score_range(*srange) if rangetype == SCORE else z.lex_range(*lrange, reverse)
            if offset < 0 or (offset > 0 and offset >= len(z)):
                lo = hi  # Redis skips past the end: nothing
            elif reverse:
                hi -= offset
                if limit >= 0:
                    lo = max(lo, hi - limit)
            else:
                lo += offset
                if limit >= 0:
                    hi = min(hi, lo + limit)
            items = z.slice(lo, hi, reverse)
    if store:
        return _store(c, argv[1], items, b"zrangestore")
    return scored(c, items, withscores)


def _store(c: Any, dst_key: bytes, items: list[tuple[float, bytes]], event: bytes) -> int:
    db = c.db
    if items:
        z = ZSet()
        for s, m in items:
            z.add(m, s)
        db.set(dst_key, z.fresh_encoding(c.server.config))
        c.server.dirty += 1
        c.server.notify(db, "z", event, dst_key)
        return len(z)
    if db.delete(dst_key):
        c.server.dirty += 1
        c.server.notify(db, "g", b"del", dst_key)
    return 0


_RANGE_CX = ("O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements "
             "being returned. If M is constant (e.g. always asking for the first 10 elements with LIMIT), you "
             "can consider it O(log(N)).")


@command("zrange", -4, "readonly", keys=(1, 1, 1), group=ZSET, since="1.2.0",
         summary="Return a range of members in a sorted set",
         complexity="O(log(N)+M) with N being the number of elements in the sorted set and M the number of "
                    "elements returned.")
def zrange(c: Any, argv: list[bytes]) -> Any:
    return _zrange(c, argv, 1, False, AUTO, None)


@command("zrangestore", -5, "write denyoom", keys=(1, 2, 1), group=ZSET, since="6.2.0",
         summary="Store a range of members from sorted set into another key",
         complexity="O(log(N)+M) with N being the number of elements in the sorted set and M the number of "
                    "elements stored into the destination key.")
def zrangestore(c: Any, argv: list[bytes]) -> Any:
    return _zrange(c, argv, 2, True, AUTO, None)


@command("zrevrange", -4, "readonly", keys=(1, 1, 1), group=ZSET, since="1.2.0",
         summary="Return a range of members in a sorted set, by index, with scores ordered from high to low",
         complexity="O(log(N)+M) with N being the number of elements in the sorted set and M the number of "
                    "elements returned.")
def zrevrange(c: Any, argv: list[bytes]) -> Any:
    return _zrange(c, argv, 1, False, RANK, True)


@command("zrangebyscore", -4, "readonly", keys=(1, 1, 1), group=ZSET, since="1.0.5",
         summary="Return a range of members in a sorted set, by score", complexity=_RANGE_CX)
def zrangebyscore(c: Any, argv: list[bytes]) -> Any:
    return _zrange(c, argv, 1, False, SCORE, False)


@command("zrevrangebyscore", -4, "readonly", keys=(1, 1, 1), group=ZSET, since="2.2.0",
         summary="Return a range of members in a sorted set, by score, with scores ordered from high to low",
         complexity=_RANGE_CX)
def zrevrangebyscore(c: Any, argv: list[bytes]) -> Any:
    return _zrange(c, argv, 1, False, SCORE, True)


@command("zrangebylex", -4, "readonly", keys=(1, 1, 1), group=ZSET, since="2.8.9",
         summary="Return a range of members in a sorted set, by lexicographical range", complexity=_RANGE_CX)
def zrangebylex(c: Any, argv: list[bytes]) -> Any:
    return _zrange(c, argv, 1, False, LEX, False)


@command("zrevrangebylex", -4, "readonly", keys=(1, 1, 1), group=ZSET, since="2.8.9",
         summary="Return a range of members in a sorted set, by lexicographical range, ordered from higher "
                 "to lower strings.",
         complexity=_RANGE_CX)
def zrevrangebylex(c: Any, argv: list[bytes]) -> Any:
    return _zrange(c, argv, 1, False, LEX, True)


# --- ZREMRANGEBY* -----------------------------------------------------------------------------


def _zremrange(c: Any, argv: list[bytes], kind: int) -> Any:
    if kind == RANK:
        start = parse_int(argv[2])
        end = parse_int(argv[3])
    elif kind == SCORE:
        srange = _score_range(argv, 2, 3)
    else:
        lrange = _lex_range(argv, 2, 3)
    db = c.db
    key = argv[1]
    z = write_zset(c, key)
    if z is None:
        return 0
    if kind == RANK:
        lo, hi = _rank_bounds(len(z), start, end)
        event = b"zremrangebyrank"
    elif kind == SCORE:
        lo, hi = z.score_range(*srange)
        event = b"zremrangebyscore"
    else:
        lo, hi = z.lex_range(*lrange)
        event = b"zremrangebylex"
    n = z.delete_range(lo, hi)
    if n:
        c.server.dirty += n
        c.server.notify(db, "z", event, key)
        _gone_if_empty(c, db, key, z)
    return n


_REMRANGE_CX = ("O(log(N)+M) with N being the number of elements in the sorted set and M the number of "
                "elements removed by the operation.")


@command("zremrangebyrank", 4, "write", keys=(1, 1, 1), group=ZSET, since="2.0.0",
         summary="Remove all members in a sorted set within the given indexes", complexity=_REMRANGE_CX)
def zremrangebyrank(c: Any, argv: list[bytes]) -> Any:
    return _zremrange(c, argv, RANK)


@command("zremrangebyscore", 4, "write", keys=(1, 1, 1), group=ZSET, since="1.2.0",
         summary="Remove all members in a sorted set within the given scores", complexity=_REMRANGE_CX)
def zremrangebyscore(c: Any, argv: list[bytes]) -> Any:
    return _zremrange(c, argv, SCORE)


@command("zremrangebylex", 4, "write", keys=(1, 1, 1), group=ZSET, since="2.8.9",
         summary="Remove all members in a sorted set between the given lexicographical range",
         complexity=_REMRANGE_CX)
def zremrangebylex(c: Any, argv: list[bytes]) -> Any:
    return _zremrange(c, argv, LEX)


# --- pops -----------------------------------------------------------------------------------


def _pop_items(c: Any, key: bytes, z: ZSet, count: int, from_max: bool) -> list[tuple[float, bytes]]:
    """Pop from a non-empty zset, with event, del and dirty."""
    db = c.db
    items = z.pop(count, from_max)
    c.server.dirty += len(items)
    c.server.notify(db, "z", b"zpopmax" if from_max else b"zpopmin", key)
    _gone_if_empty(c, db, key, z)
    return items


def _zpop(c: Any, argv: list[bytes], from_max: bool) -> Any:
    if len(argv) > 3:
        raise CommandError(errors.SYNTAX)
    count = 1
    if len(argv) == 3:
        count = parse_int(argv[2], errors.NEGATIVE_COUNT)
        if count < 0:
            raise CommandError(errors.NEGATIVE_COUNT)
    key = argv[1]
    z = write_zset(c, key)
    if z is None or count == 0:
        return []
    items = _pop_items(c, key, z, count, from_max)
    if c.resp3 and len(argv) == 3:
        return [[m, s] for s, m in items]
    out: list[Any] = []
    for s, m in items:
        out.append(m)
        out.append(s)
    return out


@command("zpopmin", -2, "write fast", keys=(1, 1, 1), group=ZSET, since="5.0.0",
         summary="Remove and return members with the lowest scores in a sorted set",
         complexity="O(log(N)*M) with N being the number of elements in the sorted set, and M being the "
                    "number of elements popped.")
def zpopmin(c: Any, argv: list[bytes]) -> Any:
    return _zpop(c, argv, False)


@command("zpopmax", -2, "write fast", keys=(1, 1, 1), group=ZSET, since="5.0.0",
         summary="Remove and return members with the highest scores in a sorted set",
         complexity="O(log(N)*M) with N being the number of elements in the sorted set, and M being the "
                    "number of elements popped.")
def zpopmax(c: Any, argv: list[bytes]) -> Any:
    return _zpop(c, argv, True)


def _minmax(b: bytes) -> bool:
    """MIN/MAX -> True for MAX."""
    w = b.lower()
    if w == b"min":
        return False
    if w == b"max":
        return True
    raise CommandError(errors.SYNTAX)


def _zmpop_try(c: Any, keys: list[bytes], from_max: bool, count: int) -> Any:
    db = c.db
    for key in keys:
        z = db.lookup(key)
        if z is None:
            continue
        if type(z) is not ZSet:
            raise CommandError(errors.WRONGTYPE)
        items = _pop_items(c, key, z, count, from_max)
        _propagate_pop(c, key, from_max, len(items))
        return [key, [[m, s] for s, m in items]]
    return None


def _propagate_pop(c: Any, key: bytes, from_max: bool, n: int | None) -> None:
    # ZMPOP and the blocking pops reach the AOF as ZPOPMIN/ZPOPMAX, as Redis 7.0 writes them.
    argv = [b"ZPOPMAX" if from_max else b"ZPOPMIN", key]
    propagate.rewrite(c, argv if n is None else argv + [b"%d" % n])


def _mpop_keys(at: int) -> Any:
    return lambda argv: mpop_keys(argv, at)


@command("zmpop", -4, "write movablekeys", group=ZSET, since="7.0.0", getkeys=_mpop_keys(1),
         summary="Remove and return members with scores in a sorted set",
         complexity="O(K) + O(M*log(N)) where K is the number of provided keys, N being the number of "
                    "elements in the sorted set, and M being the number of elements popped.")
def zmpop(c: Any, argv: list[bytes]) -> Any:
    keys, from_max, count = parse_mpop(argv, 1, _minmax)
    r = _zmpop_try(c, keys, from_max, count)
    return NULL_ARRAY if r is None else r


def _serve_zpop(c: Any, from_max: bool, count: int | None) -> Any:
    """serve(key) for BZPOPMIN/BZPOPMAX (count None) and BZMPOP."""

    def serve(key: bytes) -> Any:
        z = c.db.lookup(key)
        if type(z) is not ZSet or not len(z):
            return None
        items = _pop_items(c, key, z, 1 if count is None else count, from_max)
        _propagate_pop(c, key, from_max, None if count is None else len(items))
        if count is None:
            s, m = items[0]
            return [key, m, s]
        return [key, [[m, s] for s, m in items]]

    return serve


def _bzpop(c: Any, argv: list[bytes], from_max: bool) -> Any:
    timeout = blocking.parse_timeout_ms(argv[-1])
    db = c.db
    keys = argv[1:-1]
    for key in keys:
        z = db.lookup(key)
        if z is None:
            continue
        if type(z) is not ZSet:
            raise CommandError(errors.WRONGTYPE)
        s, m = _pop_items(c, key, z, 1, from_max)[0]
        _propagate_pop(c, key, from_max, None)
        return [key, m, s]
    if not blocking.may_block(c):
        return NULL_ARRAY
    return blocking.block(c, keys, timeout, _serve_zpop(c, from_max, None))


_BZPOP_CX = "O(log(N)) with N being the number of elements in the sorted set."


@command("bzpopmin", -3, "write noscript blocking fast", keys=(1, -2, 1), group=ZSET, since="5.0.0",
         summary="Remove and return the member with the lowest score from one or more sorted sets, or block "
                 "until one is available",
         complexity=_BZPOP_CX)
def bzpopmin(c: Any, argv: list[bytes]) -> Any:
    return _bzpop(c, argv, False)


@command("bzpopmax", -3, "write noscript blocking fast", keys=(1, -2, 1), group=ZSET, since="5.0.0",
         summary="Remove and return the member with the highest score from one or more sorted sets, or block "
                 "until one is available",
         complexity=_BZPOP_CX)
def bzpopmax(c: Any, argv: list[bytes]) -> Any:
    return _bzpop(c, argv, True)


@command("bzmpop", -5, "write blocking movablekeys", group=ZSET, since="7.0.0", getkeys=_mpop_keys(2),
         summary="Remove and return members with scores in a sorted set or block until one is available",
         complexity="O(K) + O(M*log(N)) where K is the number of provided keys, N being the number of "
                    "elements in the sorted set, and M being the number of elements popped.")
def bzmpop(c: Any, argv: list[bytes]) -> Any:
    timeout = blocking.parse_timeout_ms(argv[1])
    keys, from_max, count = parse_mpop(argv, 2, _minmax)
    r = _zmpop_try(c, keys, from_max, count)
    if r is not None:
        return r
    if not blocking.may_block(c):
        return NULL_ARRAY
    return blocking.block(c, keys, timeout, _serve_zpop(c, from_max, count))


# --- ZUNION / ZINTER / ZDIFF ------------------------------------------------------------------

UNION, INTER, DIFF = 0, 1, 2


def _weighted(src: Any, weight: float) -> dict[bytes, float]:
    """member -> weight * score of one input (a set's members score 1); NaN becomes 0."""
    items: Any
    if type(src) is ZSet:
        items = src.scores.items()
    else:
        items = ((m, 1.0) for m in src)
    out = {}
    for m, s in items:
        v = weight * s
        out[m] = 0.0 if v != v else v
    return out


def _aggregate(a: float, b: float, how: bytes) -> float:
    if how == b"sum":
        v = a + b
        return 0.0 if v != v else v  # inf + -inf
    if how == b"min":
        return min(b, a)
    return max(b, a)


def _setop(c: Any, argv: list[bytes], dst: bytes | None, at: int, op: int, card_only: bool) -> Any:
    """zunionInterDiffGenericCommand: ``argv[at]`` is numkeys."""
    name = argv[0].decode("latin-1").lower()
    setnum = parse_int(argv[at])
    if setnum < 1:
        raise errors.at_least_one_key(name)
    if setnum > len(argv) - (at + 1):
        raise CommandError(errors.SYNTAX)
    get = c.db.lookup
    stats = c.server.stats
    srcs: list[Any] = []
    for k in argv[at + 1:at + 1 + setnum]:
        v = get(k)
        if v is None:  # sources are read lookups (hits and misses), STORE forms included
            stats.keyspace_misses += 1
        else:
            stats.keyspace_hits += 1
        if v is not None and type(v) is not ZSet and type(v) is not Set:
            raise CommandError(errors.WRONGTYPE)
        srcs.append(v)
    weights = [1.0] * setnum
    how = b"sum"
    withscores = False
    limit = 0
    j = at + 1 + setnum
    n = len(argv)
    while j < n:
        opt = argv[j].lower()
        left = n - j
        if op != DIFF and not card_only and left >= setnum + 1 and opt == b"weights":
            weights = [parse_score(argv[j + 1 + i], errors.WEIGHT_NOT_FLOAT) for i in range(setnum)]
            j += setnum + 1
        elif op != DIFF and not card_only and left >= 2 and opt == b"aggregate":
            how = argv[j + 1].lower()
            if how not in (b"sum", b"min", b"max"):
                raise CommandError(errors.SYNTAX)
            j += 2
        elif dst is None and not card_only and opt == b"withscores":
            withscores = True
            j += 1
        elif card_only and left >= 2 and opt == b"limit":
            limit = parse_int(argv[j + 1], errors.LIMIT_NEGATIVE)
            if limit < 0:
                raise CommandError(errors.LIMIT_NEGATIVE)
            j += 2
        else:
            raise CommandError(errors.SYNTAX)
    result: dict[bytes, float] = {}
    if op == DIFF:
        if srcs[0] is not None:
            result = _weighted(srcs[0], 1.0)
            for s in srcs[1:]:
                if s is not None:
                    for m in s:
                        result.pop(m, None)
    else:
        inputs = sorted(
            ((len(s) if s is not None else 0, s, w) for s, w in zip(srcs, weights)), key=lambda t: t[0]
        )
        if op == UNION:
            for _, s, w in inputs:
                if s is None:
                    continue
                for m, v in _weighted(s, w).items():
                    if m in result:
                        result[m] = _aggregate(result[m], v, how)
                    else:
                        result[m] = v
        elif inputs[0][1] is not None:
            _, first, w0 = inputs[0]
            rest = inputs[1:]
            if any(s is None for _, s, _ in rest):
                first = None
            if first is not None:
                scores0 = _weighted(first, w0)
                for m, score in scores0.items():
                    for _, s, w in rest:
                        if type(s) is ZSet:
                            v = s.scores.get(m)
                        else:
                            v = 1.0 if m in s else None
                        if v is None:
                            break
                        v *= w
                        if v != v:
                            v = 0.0
                        score = _aggregate(score, v, how)
                    else:
                        result[m] = score
                        if card_only and len(result) == limit:
                            break
    if card_only:
        return len(result)
    items = sorted((s, m) for m, s in result.items())
    if dst is not None:
        return _store(c, dst, items, (b"zunionstore", b"zinterstore", b"zdiffstore")[op])
    return scored(c, items, withscores)


def _setop_keys(at: int) -> Any:
    def keys(argv: list[bytes]) -> list[int]:
        try:
            n = parse_int(argv[at])
        except CommandError:
            return []
        if n <= 0 or at + n >= len(argv):
            return []
        return ([1] if at == 2 else []) + list(range(at + 1, at + 1 + n))

    return keys


@command("zunion", -3, "readonly movablekeys", group=ZSET, since="6.2.0", getkeys=numkeys_keys,
         summary="Add multiple sorted sets",
         complexity="O(N)+O(M*log(M)) with N being the sum of the sizes of the input sorted sets, and M being "
                    "the number of elements in the resulting sorted set.")
def zunion(c: Any, argv: list[bytes]) -> Any:
    return _setop(c, argv, None, 1, UNION, False)


@command("zinter", -3, "readonly movablekeys", group=ZSET, since="6.2.0", getkeys=numkeys_keys,
         summary="Intersect multiple sorted sets",
         complexity="O(N*K)+O(M*log(M)) worst case with N being the smallest input sorted set, K being the "
                    "number of input sorted sets and M being the number of elements in the resulting sorted set.")
def zinter(c: Any, argv: list[bytes]) -> Any:
    return _setop(c, argv, None, 1, INTER, False)


@command("zdiff", -3, "readonly movablekeys", group=ZSET, since="6.2.0", getkeys=numkeys_keys,
         summary="Subtract multiple sorted sets",
         complexity="O(L + (N-K)log(N)) worst case where L is the total number of elements in all the sets, N "
                    "is the size of the first set, and K is the size of the result set.")
def zdiff(c: Any, argv: list[bytes]) -> Any:
    return _setop(c, argv, None, 1, DIFF, False)


@command("zunionstore", -4, "write denyoom movablekeys", keys=(1, 1, 1), group=ZSET, since="2.0.0",
         getkeys=_setop_keys(2),
         summary="Add multiple sorted sets and store the resulting sorted set in a new key",
         complexity="O(N)+O(M log(M)) with N being the sum of the sizes of the input sorted sets, and M being "
                    "the number of elements in the resulting sorted set.")
def zunionstore(c: Any, argv: list[bytes]) -> Any:
    return _setop(c, argv, argv[1], 2, UNION, False)


@command("zinterstore", -4, "write denyoom movablekeys", keys=(1, 1, 1), group=ZSET, since="2.0.0",
         getkeys=_setop_keys(2),
         summary="Intersect multiple sorted sets and store the resulting sorted set in a new key",
         complexity="O(N*K)+O(M*log(M)) worst case with N being the smallest input sorted set, K being the "
                    "number of input sorted sets and M being the number of elements in the resulting sorted set.")
def zinterstore(c: Any, argv: list[bytes]) -> Any:
    return _setop(c, argv, argv[1], 2, INTER, False)


@command("zdiffstore", -4, "write denyoom movablekeys", keys=(1, 1, 1), group=ZSET, since="6.2.0",
         getkeys=_setop_keys(2),
         summary="Subtract multiple sorted sets and store the resulting sorted set in a new key",
         complexity="O(L + (N-K)log(N)) worst case where L is the total number of elements in all the sets, N "
                    "is the size of the first set, and K is the size of the result set.")
def zdiffstore(c: Any, argv: list[bytes]) -> Any:
    return _setop(c, argv, argv[1], 2, DIFF, False)


@command("zintercard", -3, "readonly movablekeys", group=ZSET, since="7.0.0", getkeys=numkeys_keys,
         summary="Intersect multiple sorted sets and return the cardinality of the result",
         complexity="O(N*K) worst case with N being the smallest input sorted set, K being the number of input "
                    "sorted sets.")
def zintercard(c: Any, argv: list[bytes]) -> Any:
    return _setop(c, argv, None, 1, INTER, True)


# --- random members, scan ----------------------------------------------------------------------


@command("zrandmember", -2, "readonly", keys=(1, 1, 1), group=ZSET, since="6.2.0",
         tips="nondeterministic_output",
         summary="Get one or multiple random elements from a sorted set",
         complexity="O(N) where N is the number of elements returned")
def zrandmember(c: Any, argv: list[bytes]) -> Any:
    if len(argv) == 2:
        z = read_zset(c, argv[1])
        if z is None:
            return None
        return z.order[random.randrange(len(z))][1]
    count = parse_random_count(argv[2])
    withscores = False
    if len(argv) > 4 or (len(argv) == 4 and argv[3].lower() != b"withscores"):
        raise CommandError(errors.SYNTAX)
    if len(argv) == 4:
        withscores = True
        if not -(LLONG_MAX // 2) <= count <= LLONG_MAX // 2:
            raise CommandError(errors.VALUE_OUT_OF_RANGE)
    z = read_zset(c, argv[1])
    if z is None or count == 0:
        return []
    n = len(z)
    order = z.order
    if count < 0:
        items = [order[random.randrange(n)] for _ in range(-count)]
    elif count >= n:
        items = list(reversed(order))  # Redis hands the whole zset back highest first
    else:
        items = [order[i] for i in random.sample(range(n), count)]
    return scored(c, items, withscores)


@command("zscan", -3, "readonly", keys=(1, 1, 1), group=ZSET, since="2.8.0", tips="nondeterministic_output",
         summary="Incrementally iterate sorted sets elements and associated scores",
         complexity="O(1) for every call. O(N) for a complete iteration, including enough command calls for "
                    "the cursor to return back to 0. N is the number of elements inside the collection..")
def zscan(c: Any, argv: list[bytes]) -> Any:
    cursor = parse_cursor(argv[2])
    z = read_zset(c, argv[1])
    if z is None:
        return [b"0", []]
    count, match = parse_scan_options(argv)
    fmt: Any
    if not z.encoding_sticky:
        cursor, members = 0, z.members()
        fmt = z.listpack_score
    else:
        cursor, members = scan_step(z, cursor, count)
        fmt = format_double
    out = []
    scores = z.scores
    for m in members:
        if match is None or match(m):
            out.append(m)
            out.append(fmt(scores[m]))
    return [b"%d" % cursor, out]
