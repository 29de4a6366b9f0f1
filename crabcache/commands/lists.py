"""List commands, blocking ones included (BLPOP, BRPOP, BLMOVE, BRPOPLPUSH, BLMPOP).

Rules of this module:

* A list is a ``containers.List`` (a deque): O(1) at both ends, O(distance)
  in the middle, which is what a quicklist gives too.
* Argument errors come in Redis's order: numbers and options are checked
  before the key is looked up where Redis does so (LRANGE, LREM, LTRIM,
  LPOS, LINSERT's BEFORE/AFTER), after it where Redis does so (LINDEX, LSET).
* The key goes when its last element does (``del`` event after the command's
  own); in-place changes call ``db.modified``; every write counts in
  ``server.dirty`` and emits Redis's keyspace event (``lpush``, ``rpop``,
  ``linsert``, ``lset``, ``lrem``, ``ltrim`` ...).
* Blocking forms try the non-blocking path first; only if nothing is there
  and the client may block do they park through ``keyspace.blocking`` with a
  ``serve`` closure that repeats the pop for that client when a key is ready.
  Creating a list key (``db.set``) is what signals a waiting client.
"""

from __future__ import annotations

from itertools import islice
from typing import Any

from .. import errors
from ..datatypes.containers import List
from ..errors import CommandError
from ..persistence import propagate
from ..keyspace import blocking
from ..protocol.writer import NULL_ARRAY, OK
from .args import LLONG_MIN, parse_int
from .registry import command

LIST = "list"
_WRONGTYPE = CommandError(errors.WRONGTYPE)


def read_list(c: Any, key: bytes) -> List | None:
    """A list for a read command (counts keyspace hits/misses); WRONGTYPE otherwise."""
    return c.db.read_typed(key, List)



def write_list(c: Any, key: bytes) -> List | None:
    return c.db.write_typed(key, List)



def _where(b: bytes) -> bool:
    """LEFT/RIGHT -> True for the head."""
    w = b.lower()
    if w == b"left":
        return True
    if w == b"right":
        return False
    raise CommandError(errors.SYNTAX)


def _emptied(c: Any, db: Any, key: bytes, lst: List) -> None:
    if not lst:
        db.delete(key)
        c.server.notify(db, "g", b"del", key)


# --- push ----------------------------------------------------------------------------


def _push(c: Any, argv: list[bytes], head: bool, only_existing: bool) -> int:
    db = c.db
    key = argv[1]
    lst = db.lookup(key)
    if lst is None:
        if only_existing:
            return 0
        lst = List()
        db.set(key, lst)  # a new list key is what wakes blocked clients
    elif type(lst) is not List:
        raise CommandError(errors.WRONGTYPE)
    else:
        db.touched(key)
    if head:
        lst.extendleft(argv[2:])
    else:
        lst.extend(argv[2:])
    c.server.dirty += len(argv) - 2
    c.server.notify(db, "l", b"lpush" if head else b"rpush", key)
    return len(lst)


_PUSH_CX = ("O(1) for each element added, so O(N) to add N elements when the command is called "
            "with multiple arguments.")


@command("lpush", -3, "write denyoom fast", keys=(1, 1, 1), group=LIST, since="1.0.0",
         summary="Prepend one or multiple elements to a list",
         complexity=_PUSH_CX)
def lpush(c: Any, argv: list[bytes]) -> Any:
    return _push(c, argv, True, False)


@command("rpush", -3, "write denyoom fast", keys=(1, 1, 1), group=LIST, since="1.0.0",
         summary="Append one or multiple elements to a list",
         complexity=_PUSH_CX)
def rpush(c: Any, argv: list[bytes]) -> Any:
    return _push(c, argv, False, False)


@command("lpushx", -3, "write denyoom fast", keys=(1, 1, 1), group=LIST, since="2.2.0",
         summary="Prepend an element to a list, only if the list exists",
         complexity=_PUSH_CX)
def lpushx(c: Any, argv: list[bytes]) -> Any:
    return _push(c, argv, True, True)


@command("rpushx", -3, "write denyoom fast", keys=(1, 1, 1), group=LIST, since="2.2.0",
         summary="Append an element to a list, only if the list exists",
         complexity=_PUSH_CX)
def rpushx(c: Any, argv: list[bytes]) -> Any:
    return _push(c, argv, False, True)


# --- pop -----------------------------------------------------------------------------


def _pop_n(c: Any, key: bytes, lst: List, head: bool, count: int) -> list[bytes]:
    """Pop up to ``count`` elements (list known non-empty), with event, del and dirty."""
    db = c.db
    n = min(count, len(lst))
    pop = lst.popleft if head else lst.pop
    out = [pop() for _ in range(n)]
    c.server.dirty += n
    c.server.notify(db, "l", b"lpop" if head else b"rpop", key)
    if lst:
        db.touched(key)
    else:
        db.delete(key)
        c.server.notify(db, "g", b"del", key)
    return out


def _pop(c: Any, argv: list[bytes], head: bool) -> Any:
    if len(argv) > 3:
        raise errors.wrong_arity(argv[0].decode("latin-1").lower())
    db = c.db
    key = argv[1]
    if len(argv) == 2:
        lst = db.lookup(key)
        if lst is None:
            return None
        if type(lst) is not List:
            raise CommandError(errors.WRONGTYPE)
        v = lst.popleft() if head else lst.pop()
        c.server.dirty += 1
        c.server.notify(db, "l", b"lpop" if head else b"rpop", key)
        if lst:
            db.touched(key)
        else:
            db.delete(key)
            c.server.notify(db, "g", b"del", key)
        return v
    count = parse_int(argv[2], errors.NEGATIVE_COUNT)
    if count < 0:
        raise CommandError(errors.NEGATIVE_COUNT)
    lst = write_list(c, key)
    if lst is None:
        return NULL_ARRAY
    if count == 0:
        return []
    return _pop_n(c, key, lst, head, count)


@command("lpop", -2, "write fast", keys=(1, 1, 1), group=LIST, since="1.0.0",
         summary="Remove and get the first elements in a list",
         complexity="O(N) where N is the number of elements returned")
def lpop(c: Any, argv: list[bytes]) -> Any:
    return _pop(c, argv, True)


@command("rpop", -2, "write fast", keys=(1, 1, 1), group=LIST, since="1.0.0",
         summary="Remove and get the last elements in a list",
         complexity="O(N) where N is the number of elements returned")
def rpop(c: Any, argv: list[bytes]) -> Any:
    return _pop(c, argv, False)


# --- reads ---------------------------------------------------------------------------


@command("llen", 2, "readonly fast", keys=(1, 1, 1), group=LIST, since="1.0.0",
         summary="Get the length of a list", complexity="O(1)")
def llen(c: Any, argv: list[bytes]) -> Any:
    lst = read_list(c, argv[1])
    return 0 if lst is None else len(lst)


def list_range(lst: List, start: int, end: int) -> list[bytes]:
    """LRANGE's slice with Redis's index rules; walks from the nearer end."""
    n = len(lst)
    if start < 0:
        start += n
    if end < 0:
        end += n
    start = max(start, 0)
    if start > end or start >= n:
        return []
    if end >= n:
        end = n - 1
    if start > n - 1 - end:
        # Closer to the tail: walk backwards from it.
        out = list(islice(reversed(lst), n - 1 - end, n - start))
        out.reverse()
        return out
    return list(islice(lst, start, end + 1))


@command("lrange", 4, "readonly", keys=(1, 1, 1), group=LIST, since="1.0.0",
         summary="Get a range of elements from a list",
         complexity="O(S+N) where S is the distance of start offset from HEAD for small lists, from nearest "
                    "end (HEAD or TAIL) for large lists; and N is the number of elements in the specified range.")
def lrange(c: Any, argv: list[bytes]) -> Any:
    start = parse_int(argv[2])
    end = parse_int(argv[3])
    lst = read_list(c, argv[1])
    if lst is None:
        return []
    return list_range(lst, start, end)


@command("lindex", 3, "readonly", keys=(1, 1, 1), group=LIST, since="1.0.0",
         summary="Get an element from a list by its index",
         complexity="O(N) where N is the number of elements to traverse to get to the element at index. "
                    "This makes asking for the first or the last element of the list O(1).")
def lindex(c: Any, argv: list[bytes]) -> Any:
    lst = read_list(c, argv[1])
    if lst is None:
        return None
    i = parse_int(argv[2])
    n = len(lst)
    if i < 0:
        i += n
    if 0 <= i < n:
        return lst[i]
    return None


@command("lpos", -3, "readonly", keys=(1, 1, 1), group=LIST, since="6.0.6",
         summary="Return the index of matching elements on a list",
         complexity="O(N) where N is the number of elements in the list, for the average case. When searching "
                    "for elements near the head or the tail of the list, or when the MAXLEN option is provided, "
                    "the command may run in constant time.")
def lpos(c: Any, argv: list[bytes]) -> Any:
    rank = 1
    count = -1  # -1: no COUNT given (single reply)
    maxlen = 0
    i = 3
    while i < len(argv):
        opt = argv[i].lower()
        if i + 1 >= len(argv):
            raise CommandError(errors.SYNTAX)
        if opt == b"rank":
            rank = parse_int(argv[i + 1])
            if rank == 0:
                raise CommandError(errors.LPOS_RANK_ZERO)
        elif opt == b"count":
            count = parse_int(argv[i + 1], errors.LPOS_COUNT_NEGATIVE)
            if count < 0:
                raise CommandError(errors.LPOS_COUNT_NEGATIVE)
        elif opt == b"maxlen":
            maxlen = parse_int(argv[i + 1], errors.LPOS_MAXLEN_NEGATIVE)
            if maxlen < 0:
                raise CommandError(errors.LPOS_MAXLEN_NEGATIVE)
        else:
            raise CommandError(errors.SYNTAX)
        i += 2
    lst = read_list(c, argv[1])
    if lst is None:
        return [] if count != -1 else None
    if rank == LLONG_MIN:
        rank = -1  # Redis negates it, overflows, and ends up taking the first match from the tail
    elem = argv[2]
    n = len(lst)
    if rank > 0:
        indexes: Any = range(n)
        it: Any = iter(lst)
    else:
        indexes = range(n - 1, -1, -1)
        it = reversed(lst)
        rank = -rank
    out: list[int] = []
    matches = 0
    scanned = 0
    for idx, v in zip(indexes, it):
        if maxlen and scanned >= maxlen:
            break
        scanned += 1
        if v == elem:
            matches += 1
            if matches >= rank:
                out.append(idx)
                if count == -1 or (count and len(out) == count):
                    break
    if count == -1:
        return out[0] if out else None
    return out


# --- in-place writes -------------------------------------------------------------------


@command("lset", 4, "write denyoom", keys=(1, 1, 1), group=LIST, since="1.0.0",
         summary="Set the value of an element in a list by its index",
         complexity="O(N) where N is the length of the list. Setting either the first or the last element "
                    "of the list is O(1).")
def lset(c: Any, argv: list[bytes]) -> Any:
    db = c.db
    key = argv[1]
    lst = write_list(c, key)
    if lst is None:
        raise CommandError(errors.NO_SUCH_KEY)
    i = parse_int(argv[2])
    n = len(lst)
    if i < 0:
        i += n
    if not 0 <= i < n:
        raise CommandError(errors.OUT_OF_RANGE)
    lst[i] = argv[3]
    db.touched(key)
    c.server.dirty += 1
    c.server.notify(db, "l", b"lset", key)
    return OK


@command("linsert", 5, "write denyoom", keys=(1, 1, 1), group=LIST, since="2.2.0",
         summary="Insert an element before or after another element in a list",
         complexity="O(N) where N is the number of elements to traverse before seeing the value pivot. This "
                    "means that inserting somewhere on the left end on the list (head) can be considered O(1) "
                    "and inserting somewhere on the right end (tail) is O(N).")
def linsert(c: Any, argv: list[bytes]) -> Any:
    where = argv[2].lower()
    if where == b"after":
        after = True
    elif where == b"before":
        after = False
    else:
        raise CommandError(errors.SYNTAX)
    db = c.db
    key = argv[1]
    lst = write_list(c, key)
    if lst is None:
        return 0
    try:
        i = lst.index(argv[3])
    except ValueError:
        return -1
    lst.insert(i + 1 if after else i, argv[4])
    db.touched(key)
    c.server.dirty += 1
    c.server.notify(db, "l", b"linsert", key)
    return len(lst)


@command("lrem", 4, "write", keys=(1, 1, 1), group=LIST, since="1.0.0",
         summary="Remove elements from a list",
         complexity="O(N+M) where N is the length of the list and M is the number of elements removed.")
def lrem(c: Any, argv: list[bytes]) -> Any:
    count = parse_int(argv[2])
    db = c.db
    key = argv[1]
    lst = write_list(c, key)
    if lst is None:
        return 0
    elem = argv[3]
    if elem not in lst:
        return 0
    limit = abs(count) if count else len(lst)
    kept: list[bytes] = []
    removed = 0
    if count >= 0:
        for v in lst:
            if removed < limit and v == elem:
                removed += 1
            else:
                kept.append(v)
    else:
        for v in reversed(lst):
            if removed < limit and v == elem:
                removed += 1
            else:
                kept.append(v)
        kept.reverse()
    lst.clear()
    lst.extend(kept)
    c.server.dirty += removed
    c.server.notify(db, "l", b"lrem", key)
    if lst:
        db.touched(key)
    else:
        db.delete(key)
        c.server.notify(db, "g", b"del", key)
    return removed


@command("ltrim", 4, "write", keys=(1, 1, 1), group=LIST, since="1.0.0",
         summary="Trim a list to the specified range",
         complexity="O(N) where N is the number of elements to be removed by the operation.")
def ltrim(c: Any, argv: list[bytes]) -> Any:
    start = parse_int(argv[2])
    end = parse_int(argv[3])
    db = c.db
    key = argv[1]
    lst = write_list(c, key)
    if lst is None:
        return OK
    n = len(lst)
    if start < 0:
        start += n
    if end < 0:
        end += n
    start = max(start, 0)
    if start > end or start >= n:
        ltrim_n, rtrim_n = n, 0
    else:
        if end >= n:
            end = n - 1
        ltrim_n, rtrim_n = start, n - end - 1
    if ltrim_n + rtrim_n >= n:
        lst.clear()
    else:
        for _ in range(ltrim_n):
            lst.popleft()
        for _ in range(rtrim_n):
            lst.pop()
    c.server.notify(db, "l", b"ltrim", key)
    if lst:
        db.touched(key)
    else:
        db.delete(key)
        c.server.notify(db, "g", b"del", key)
    c.server.dirty += ltrim_n + rtrim_n
    return OK


# --- move ----------------------------------------------------------------------------


def _move(c: Any, src_key: bytes, dst_key: bytes, src: List, from_head: bool, to_head: bool) -> Any:
    """LMOVE's body once ``src`` is known to be a non-empty list; checks ``dst``'s type."""
    db = c.db
    dst = db.lookup(dst_key)
    if dst is not None and type(dst) is not List:
        raise CommandError(errors.WRONGTYPE)
    v = src.popleft() if from_head else src.pop()
    # lmoveHandlePush runs before the source is deleted, so a rotation of a
    # one-element list (src == dst) keeps the key.
    if dst is None:
        dst = List()
        db.set(dst_key, dst)
    else:
        db.touched(dst_key)
    if to_head:
        dst.appendleft(v)
    else:
        dst.append(v)
    c.server.notify(db, "l", b"lpush" if to_head else b"rpush", dst_key)
    c.server.notify(db, "l", b"lpop" if from_head else b"rpop", src_key)
    if src:
        db.touched(src_key)
    else:
        db.delete(src_key)
        c.server.notify(db, "g", b"del", src_key)
    c.server.dirty += 1
    return v


def _lmove(c: Any, src_key: bytes, dst_key: bytes, from_head: bool, to_head: bool) -> Any:
    src = write_list(c, src_key)
    if src is None:
        return None
    return _move(c, src_key, dst_key, src, from_head, to_head)


@command("lmove", 5, "write denyoom", keys=(1, 2, 1), group=LIST, since="6.2.0",
         summary="Pop an element from a list, push it to another list and return it",
         complexity="O(1)")
def lmove(c: Any, argv: list[bytes]) -> Any:
    from_head = _where(argv[3])
    to_head = _where(argv[4])
    return _lmove(c, argv[1], argv[2], from_head, to_head)


@command("rpoplpush", 3, "write denyoom", keys=(1, 2, 1), group=LIST, since="1.2.0",
         summary="Remove the last element in a list, prepend it to another list and return it",
         complexity="O(1)")
def rpoplpush(c: Any, argv: list[bytes]) -> Any:
    return _lmove(c, argv[1], argv[2], False, True)


# --- LMPOP ---------------------------------------------------------------------------


def mpop_keys(argv: list[bytes], at: int = 1) -> list[int]:
    """Key positions of a ``numkeys key ...`` command (argv[at] is numkeys)."""
    try:
        n = parse_int(argv[at])
    except CommandError:
        return []
    if n <= 0 or at + n >= len(argv):
        return []
    return list(range(at + 1, at + 1 + n))


def parse_mpop(argv: list[bytes], at: int, parse_where: Any) -> tuple[list[bytes], Any, int]:
    """``numkeys key... WHERE [COUNT n]`` starting at ``argv[at]``: (keys, where, count)."""
    numkeys = parse_int(argv[at], errors.NUMKEYS_POSITIVE)
    if numkeys <= 0:
        raise CommandError(errors.NUMKEYS_POSITIVE)
    where_i = at + numkeys + 1
    if where_i >= len(argv):
        raise CommandError(errors.SYNTAX)
    where = parse_where(argv[where_i])
    count = -1
    j = where_i + 1
    while j < len(argv):
        if count == -1 and argv[j].lower() == b"count" and j + 1 < len(argv):
            count = parse_int(argv[j + 1], errors.COUNT_POSITIVE)
            if count <= 0:
                raise CommandError(errors.COUNT_POSITIVE)
            j += 2
        else:
            raise CommandError(errors.SYNTAX)
    return argv[at + 1:where_i], where, 1 if count == -1 else count


def _lmpop_try(c: Any, keys: list[bytes], head: bool, count: int) -> Any:
    db = c.db
    for key in keys:
        lst = db.lookup(key)
        if lst is None:
            continue
        if type(lst) is not List:
            raise CommandError(errors.WRONGTYPE)
        out = _pop_n(c, key, lst, head, count)
        _propagate_pop(c, key, head, len(out))
        return [key, out]
    return None


def _propagate_pop(c: Any, key: bytes, head: bool, n: int | None) -> None:
    # LMPOP and the blocking pops reach the AOF as LPOP/RPOP, as Redis 7.0 writes them.
    argv = [b"LPOP" if head else b"RPOP", key]
    propagate.rewrite(c, argv if n is None else argv + [b"%d" % n])


@command("lmpop", -4, "write movablekeys", group=LIST, since="7.0.0", getkeys=mpop_keys,
         summary="Pop elements from a list",
         complexity="O(N+M) where N is the number of provided keys and M is the number of elements returned.")
def lmpop(c: Any, argv: list[bytes]) -> Any:
    keys, head, count = parse_mpop(argv, 1, _where)
    r = _lmpop_try(c, keys, head, count)
    return NULL_ARRAY if r is None else r


# --- blocking ------------------------------------------------------------------------


def _serve_pop(c: Any, head: bool, count: int | None) -> Any:
    """serve(key) for BLPOP/BRPOP (count None) and BLMPOP."""

    def serve(key: bytes) -> Any:
        lst = c.db.lookup(key)
        if type(lst) is not List or not lst:
            return None
        out = _pop_n(c, key, lst, head, 1 if count is None else count)
        _propagate_pop(c, key, head, None if count is None else len(out))
        return [key, out[0]] if count is None else [key, out]

    return serve


def _bpop(c: Any, argv: list[bytes], head: bool) -> Any:
    timeout = blocking.parse_timeout_ms(argv[-1])
    db = c.db
    keys = argv[1:-1]
    for key in keys:
        lst = db.lookup(key)
        if lst is None:
            continue
        if type(lst) is not List:
            raise CommandError(errors.WRONGTYPE)
        _propagate_pop(c, key, head, None)
        return [key, _pop_n(c, key, lst, head, 1)[0]]
    if not blocking.may_block(c):
        return NULL_ARRAY
    return blocking.block(c, keys, timeout, _serve_pop(c, head, None))


@command("blpop", -3, "write noscript blocking", keys=(1, -2, 1), group=LIST, since="2.0.0",
         summary="Remove and get the first element in a list, or block until one is available",
         complexity="O(N) where N is the number of provided keys.")
def blpop(c: Any, argv: list[bytes]) -> Any:
    return _bpop(c, argv, True)


@command("brpop", -3, "write noscript blocking", keys=(1, -2, 1), group=LIST, since="2.0.0",
         summary="Remove and get the last element in a list, or block until one is available",
         complexity="O(N) where N is the number of provided keys.")
def brpop(c: Any, argv: list[bytes]) -> Any:
    return _bpop(c, argv, False)


def _blmove(c: Any, src_key: bytes, dst_key: bytes, from_head: bool, to_head: bool, timeout: int,
            argv: list[bytes]) -> Any:
    # The AOF gets LMOVE (BRPOPLPUSH: RPOPLPUSH), never the blocking form, as Redis 7.0.
    rpoplpush = argv[0].lower() == b"brpoplpush"
    src = write_list(c, src_key)
    if src is not None:
        r = _move(c, src_key, dst_key, src, from_head, to_head)
        propagate.rewrite(c, [b"RPOPLPUSH", src_key, dst_key] if rpoplpush else [b"LMOVE"] + argv[1:5])
        return r
    if not blocking.may_block(c):
        return None

    def serve(key: bytes) -> Any:
        lst = c.db.lookup(key)
        if type(lst) is not List or not lst:
            return None
        try:
            r = _move(c, src_key, dst_key, lst, from_head, to_head)
        except CommandError as e:
            return e  # the waiter gets WRONGTYPE; the source keeps its element
        propagate.rewrite(c, [b"RPOPLPUSH", src_key, dst_key] if rpoplpush else [b"LMOVE"] + argv[1:5])
        return r

    return blocking.block(c, [src_key], timeout, serve)


@command("blmove", 6, "write denyoom noscript blocking", keys=(1, 2, 1), group=LIST, since="6.2.0",
         summary="Pop an element from a list, push it to another list and return it; "
                 "or block until one is available",
         complexity="O(1)")
def blmove(c: Any, argv: list[bytes]) -> Any:
    from_head = _where(argv[3])
    to_head = _where(argv[4])
    timeout = blocking.parse_timeout_ms(argv[5])
    return _blmove(c, argv[1], argv[2], from_head, to_head, timeout, argv)


@command("brpoplpush", 4, "write denyoom noscript blocking", keys=(1, 2, 1), group=LIST, since="2.2.0",
         summary="Pop an element from a list, push it to another list and return it; "
                 "or block until one is available",
         complexity="O(1)")
def brpoplpush(c: Any, argv: list[bytes]) -> Any:
    timeout = blocking.parse_timeout_ms(argv[3])
    return _blmove(c, argv[1], argv[2], False, True, timeout, argv)


@command("blmpop", -5, "write blocking movablekeys", group=LIST, since="7.0.0",
         getkeys=lambda argv: mpop_keys(argv, 2),
         summary="Pop elements from a list, or block until one is available",
         complexity="O(N+M) where N is the number of provided keys and M is the number of elements returned.")
def blmpop(c: Any, argv: list[bytes]) -> Any:
    timeout = blocking.parse_timeout_ms(argv[1])
    keys, head, count = parse_mpop(argv, 2, _where)
    r = _lmpop_try(c, keys, head, count)
    if r is not None:
        return r
    if not blocking.may_block(c):
        return NULL_ARRAY
    return blocking.block(c, keys, timeout, _serve_pop(c, head, count))
