"""Set commands: SADD ... SSCAN.

Rules of this module:

* A set is a ``containers.Set`` (a builtin set).  Redis 7.0 encodes a set
  of at most set-max-intset-entries integers as an intset, which iterates in
  ascending numeric order; replies that list a whole intset (SMEMBERS, SSCAN,
  SINTER ...) keep that order (``Set.ordered``).  Hashtable order is
  arbitrary in Redis and here.
* Members added in place go through ``_add`` (keeps the random-pick pool and
  the encoding up to date); results built from scratch (the STORE commands,
  SPOP's rebuild) get their encoding afresh, as Redis creates a new object.
* The key goes with its last member; events are ``sadd srem spop smove``
  (as srem + sadd), ``sinterstore sunionstore sdiffstore`` and ``del``.
* Random picks (SPOP, SRANDMEMBER) are uniform and O(1) per member drawn
  (see ``containers.random_member``).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from .. import errors
from ..datatypes.containers import (
    Set,
    new_set,
    parse_cursor,
    parse_scan_options,
    random_distinct,
    random_member,
    scan_step,
)
from ..errors import CommandError
from ..persistence import propagate
from ..protocol.writer import Set as ReplySet
from .args import parse_int
from .hashes import parse_random_count
from .registry import command

SET = "set"


def read_set(c: Any, key: bytes) -> Set | None:
    """A set for a read command (counts keyspace hits/misses); WRONGTYPE otherwise."""
    return c.db.read_typed(key, Set)



def write_set(c: Any, key: bytes) -> Set | None:
    return c.db.write_typed(key, Set)



def _add(c: Any, s: Set, members: Iterable[bytes]) -> int:
    """setTypeAdd for each member; returns how many were new."""
    added = []
    for m in members:
        if m not in s:
            s.add(m)
            added.append(m)
    if added:
        if s.pool is not None:
            s.pool.extend(added)
        s.note_added(c.server.config, added)
    return len(added)


def _gone_if_empty(c: Any, db: Any, key: bytes, s: Set) -> None:
    if s:
        db.touched(key)
    else:
        db.delete(key)
        c.server.notify(db, "g", b"del", key)


@command("sadd", -3, "write denyoom fast", keys=(1, 1, 1), group=SET, since="1.0.0",
         summary="Add one or more members to a set",
         complexity="O(1) for each element added, so O(N) to add N elements when the command is called "
                    "with multiple arguments.")
def sadd(c: Any, argv: list[bytes]) -> Any:
    db = c.db
    key = argv[1]
    s = db.lookup(key)
    if s is None:
        s = Set()
        db.set(key, s)
    elif type(s) is not Set:
        raise CommandError(errors.WRONGTYPE)
    else:
        db.touched(key)
    n = _add(c, s, argv[2:])
    if n:
        c.server.dirty += n
        c.server.notify(db, "s", b"sadd", key)
    return n


@command("srem", -3, "write fast", keys=(1, 1, 1), group=SET, since="1.0.0",
         summary="Remove one or more members from a set",
         complexity="O(N) where N is the number of members to be removed.")
def srem(c: Any, argv: list[bytes]) -> Any:
    db = c.db
    key = argv[1]
    s = write_set(c, key)
    if s is None:
        return 0
    n = 0
    for m in argv[2:]:
        if m in s:
            s.remove(m)
            n += 1
            if not s:
                break
    if n:
        c.server.dirty += n
        c.server.notify(db, "s", b"srem", key)
        _gone_if_empty(c, db, key, s)
    return n


@command("smembers", 2, "readonly", keys=(1, 1, 1), group=SET, since="1.0.0",
         tips="nondeterministic_output_order",
         summary="Get all the members in a set", complexity="O(N) where N is the set cardinality.")
def smembers(c: Any, argv: list[bytes]) -> Any:
    s = read_set(c, argv[1])
    return ReplySet() if s is None else ReplySet(s.ordered())


@command("sismember", 3, "readonly fast", keys=(1, 1, 1), group=SET, since="1.0.0",
         summary="Determine if a given value is a member of a set", complexity="O(1)")
def sismember(c: Any, argv: list[bytes]) -> Any:
    s = read_set(c, argv[1])
    return 0 if s is None else int(argv[2] in s)


@command("smismember", -3, "readonly fast", keys=(1, 1, 1), group=SET, since="6.2.0",
         summary="Returns the membership associated with the given elements for a set",
         complexity="O(N) where N is the number of elements being checked for membership")
def smismember(c: Any, argv: list[bytes]) -> Any:
    s = read_set(c, argv[1])
    if s is None:
        return [0] * (len(argv) - 2)
    return [int(m in s) for m in argv[2:]]


@command("scard", 2, "readonly fast", keys=(1, 1, 1), group=SET, since="1.0.0",
         summary="Get the number of members in a set", complexity="O(1)")
def scard(c: Any, argv: list[bytes]) -> Any:
    s = read_set(c, argv[1])
    return 0 if s is None else len(s)


# --- random --------------------------------------------------------------------------------

# Redis pops one by one while the popped part is small, else rebuilds the set
# from the members that stay (which also gives it a fresh encoding).
_SPOP_MOVE_STRATEGY_MUL = 5


@command("spop", -2, "write fast", keys=(1, 1, 1), group=SET, since="1.0.0", tips="nondeterministic_output",
         summary="Remove and return one or multiple random members from a set",
         complexity="Without the count argument O(1), otherwise O(N) where N is the value of the passed count.")
def spop(c: Any, argv: list[bytes]) -> Any:
    db = c.db
    key = argv[1]
    if len(argv) == 2:
        s = write_set(c, key)
        if s is None:
            return None
        m = random_member(s)
        s.remove(m)
        c.server.dirty += 1
        c.server.notify(db, "s", b"spop", key)
        _gone_if_empty(c, db, key, s)
        propagate.rewrite(c, [b"SREM", key, m])  # the AOF gets the member chosen, not the dice
        return m
    if len(argv) > 3:
        raise CommandError(errors.SYNTAX)
    count = parse_int(argv[2], errors.NEGATIVE_COUNT)
    if count < 0:
        raise CommandError(errors.NEGATIVE_COUNT)
    s = write_set(c, key)
    if s is None or count == 0:
        return ReplySet()
    size = len(s)
    if count >= size:
        out = s.ordered()
        db.delete(key)
        c.server.dirty += size
        c.server.notify(db, "s", b"spop", key)
        c.server.notify(db, "g", b"del", key)
        propagate.rewrite(c, [b"DEL", key])  # DEL whatever lazyfree says, as Redis 7.0.15
        return ReplySet(out)
    if count * _SPOP_MOVE_STRATEGY_MUL > size:
        keep = random_distinct(s, size - count)
        popped = list(s.difference(keep))
        rest = new_set(c.server.config, keep)
        db.replace_value(key, rest)
    else:
        popped = random_distinct(s, count)
        s.difference_update(popped)
    db.touched(key)
    c.server.dirty += count
    c.server.notify(db, "s", b"spop", key)
    if c.server.prop is not None:
        propagate.rewrite(c, *[[b"SREM", key, m] for m in popped])
    return ReplySet(popped)


@command("srandmember", -2, "readonly", keys=(1, 1, 1), group=SET, since="1.0.0",
         tips="nondeterministic_output",
         summary="Get one or multiple random members from a set",
         complexity="Without the count argument O(1), otherwise O(N) where N is the absolute value of the "
                    "passed count.")
def srandmember(c: Any, argv: list[bytes]) -> Any:
    if len(argv) == 2:
        s = read_set(c, argv[1])
        return None if s is None else random_member(s)
    if len(argv) > 3:
        raise CommandError(errors.SYNTAX)
    count = parse_random_count(argv[2])
    s = read_set(c, argv[1])
    if s is None or count == 0:
        return []
    if count < 0:
        return [random_member(s) for _ in range(-count)]
    if count >= len(s):
        return s.ordered()
    return random_distinct(s, count)


# --- moving and algebra ----------------------------------------------------------------------


@command("smove", 4, "write fast", keys=(1, 2, 1), group=SET, since="1.0.0",
         summary="Move a member from one set to another", complexity="O(1)")
def smove(c: Any, argv: list[bytes]) -> Any:
    db = c.db
    src_key, dst_key, m = argv[1], argv[2], argv[3]
    src = db.lookup(src_key)
    dst = db.lookup(dst_key)
    if src is None:
        return 0
    if type(src) is not Set or (dst is not None and type(dst) is not Set):
        raise CommandError(errors.WRONGTYPE)
    if src is dst:
        return int(m in src)
    if m not in src:
        return 0
    src.remove(m)
    c.server.notify(db, "s", b"srem", src_key)
    _gone_if_empty(c, db, src_key, src)
    c.server.dirty += 1
    if dst is None:
        dst = Set()
        db.set(dst_key, dst)
    else:
        db.touched(dst_key)
    if _add(c, dst, (m,)):
        c.server.dirty += 1
        c.server.notify(db, "s", b"sadd", dst_key)
    return 1


def _sets(c: Any, keys: list[bytes]) -> list[Set | None]:
    """Every key's set (None when missing); WRONGTYPE if any holds another type.

    Read lookups (they count hits and misses), for the STORE forms too, as in Redis.
    """
    return [read_set(c, k) for k in keys]


def _inter(sets: list[Set | None]) -> set[bytes]:
    if any(s is None for s in sets):
        return set()
    ordered = sorted(sets, key=len)  # type: ignore[arg-type]
    return set(ordered[0]).intersection(*ordered[1:])  # type: ignore[call-overload, arg-type]


def _union(sets: list[Set | None]) -> set[bytes]:
    out: set[bytes] = set()
    for s in sets:
        if s is not None:
            out.update(s)
    return out


def _diff(sets: list[Set | None]) -> set[bytes]:
    first = sets[0]
    if first is None:
        return set()
    return set(first).difference(*[s for s in sets[1:] if s is not None])


def _store(c: Any, dst_key: bytes, result: set[bytes], event: bytes) -> int:
    db = c.db
    if result:
        db.set(dst_key, new_set(c.server.config, result))
        c.server.dirty += 1
        c.server.notify(db, "s", event, dst_key)
        return len(result)
    if db.delete(dst_key):
        c.server.dirty += 1
        c.server.notify(db, "g", b"del", dst_key)
    return 0


def _reply(c: Any, result: set[bytes]) -> ReplySet:
    return ReplySet(new_set(c.server.config, result).ordered())


@command("sinter", -2, "readonly", keys=(1, -1, 1), group=SET, since="1.0.0",
         tips="nondeterministic_output_order",
         summary="Intersect multiple sets",
         complexity="O(N*M) worst case where N is the cardinality of the smallest set and M is the number "
                    "of sets.")
def sinter(c: Any, argv: list[bytes]) -> Any:
    return _reply(c, _inter(_sets(c, argv[1:])))


@command("sinterstore", -3, "write denyoom", keys=(1, -1, 1), group=SET, since="1.0.0",
         summary="Intersect multiple sets and store the resulting set in a key",
         complexity="O(N*M) worst case where N is the cardinality of the smallest set and M is the number "
                    "of sets.")
def sinterstore(c: Any, argv: list[bytes]) -> Any:
    return _store(c, argv[1], _inter(_sets(c, argv[2:])), b"sinterstore")


@command("sunion", -2, "readonly", keys=(1, -1, 1), group=SET, since="1.0.0",
         tips="nondeterministic_output_order",
         summary="Add multiple sets",
         complexity="O(N) where N is the total number of elements in all given sets.")
def sunion(c: Any, argv: list[bytes]) -> Any:
    return _reply(c, _union(_sets(c, argv[1:])))


@command("sunionstore", -3, "write denyoom", keys=(1, -1, 1), group=SET, since="1.0.0",
         summary="Add multiple sets and store the resulting set in a key",
         complexity="O(N) where N is the total number of elements in all given sets.")
def sunionstore(c: Any, argv: list[bytes]) -> Any:
    return _store(c, argv[1], _union(_sets(c, argv[2:])), b"sunionstore")


@command("sdiff", -2, "readonly", keys=(1, -1, 1), group=SET, since="1.0.0",
         tips="nondeterministic_output_order",
         summary="Subtract multiple sets",
         complexity="O(N) where N is the total number of elements in all given sets.")
def sdiff(c: Any, argv: list[bytes]) -> Any:
    return _reply(c, _diff(_sets(c, argv[1:])))


@command("sdiffstore", -3, "write denyoom", keys=(1, -1, 1), group=SET, since="1.0.0",
         summary="Subtract multiple sets and store the resulting set in a key",
         complexity="O(N) where N is the total number of elements in all given sets.")
def sdiffstore(c: Any, argv: list[bytes]) -> Any:
    return _store(c, argv[1], _diff(_sets(c, argv[2:])), b"sdiffstore")


def numkeys_keys(argv: list[bytes]) -> list[int]:
    """Key positions of ``CMD numkeys key ...`` (SINTERCARD, ZINTERCARD, ZUNION ...)."""
    try:
        n = parse_int(argv[1])
    except CommandError:
        return []
    if n <= 0 or 1 + n >= len(argv):
        return []
    return list(range(2, 2 + n))


@command("sintercard", -3, "readonly movablekeys", group=SET, since="7.0.0", getkeys=numkeys_keys,
         summary="Intersect multiple sets and return the cardinality of the result",
         complexity="O(N*M) worst case where N is the cardinality of the smallest set and M is the number "
                    "of sets.")
def sintercard(c: Any, argv: list[bytes]) -> Any:
    numkeys = parse_int(argv[1], errors.NUMKEYS_POSITIVE)
    if numkeys <= 0:
        raise CommandError(errors.NUMKEYS_POSITIVE)
    if numkeys > len(argv) - 2:
        raise CommandError(errors.NUMKEYS_TOO_MANY)
    limit = 0
    i = 2 + numkeys
    while i < len(argv):
        if argv[i].lower() == b"limit" and i + 1 < len(argv):
            limit = parse_int(argv[i + 1], errors.LIMIT_NEGATIVE)
            if limit < 0:
                raise CommandError(errors.LIMIT_NEGATIVE)
            i += 2
        else:
            raise CommandError(errors.SYNTAX)
    sets = _sets(c, argv[2:2 + numkeys])
    if any(s is None for s in sets):
        return 0
    ordered = sorted(sets, key=len)  # type: ignore[arg-type]
    first, rest = ordered[0], ordered[1:]
    n = 0
    for m in first:  # type: ignore[union-attr]
        if all(m in s for s in rest):  # type: ignore[operator]
            n += 1
            if n == limit:
                break
    return n


@command("sscan", -3, "readonly", keys=(1, 1, 1), group=SET, since="2.8.0", tips="nondeterministic_output",
         summary="Incrementally iterate Set elements",
         complexity="O(1) for every call. O(N) for a complete iteration, including enough command calls for "
                    "the cursor to return back to 0. N is the number of elements inside the collection..")
def sscan(c: Any, argv: list[bytes]) -> Any:
    cursor = parse_cursor(argv[2])
    s = read_set(c, argv[1])
    if s is None:
        return [b"0", []]
    count, match = parse_scan_options(argv)
    if not s.encoding_sticky:
        cursor, members = 0, s.ordered()
    else:
        cursor, members = scan_step(s, cursor, count)
    if match is not None:
        members = [m for m in members if match(m)]
    return [b"%d" % cursor, members]
