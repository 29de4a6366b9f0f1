"""String commands: GET/SET and their variants, counters, ranges, LCS.

Rules of this module:

* A string value is ``bytes``; one that is mutated in place (APPEND, SETRANGE,
  and SETBIT/BITFIELD in ``bitmaps``) becomes a ``bytearray`` so each further
  change costs only what it touches, never a copy of the whole value.
  ``unshare`` does that conversion (Redis's dbUnshareStringValue).  Replies
  copy a bytearray out (``bytes(v)``), because a reply may be encoded after
  later commands ran (MULTI/EXEC, scripts).
* GET and plain ``SET k v`` are the benchmark's hot path: they do the lookup,
  the type test and the store inline, and nothing else.
* Lookups are Redis's: read commands use ``lookupKeyRead`` (counts
  keyspace hits/misses, "keymiss" event), writes ``lookupKeyWrite`` (no
  stats).  Checks run in Redis's order, because it decides which error a bad
  call gets (SET parses its options and expire before looking at the key;
  GETEX looks at the key first).
* OBJECT ENCODING of a string is derived from the value (``keys.py``):
  ``bytearray`` is "raw", ``bytes`` is int/embstr/raw by content, which is
  what tryObjectEncoding would have chosen when it was stored -- except an
  integral INCRBYFLOAT result, which Redis keeps "embstr" (``EMBSTR_INTS``).
* Every write counts in ``server.dirty`` and emits Redis's keyspace event.
"""

from __future__ import annotations

import sys
from typing import Any

from .. import errors, ldouble
from ..errors import CommandError
from ..persistence import propagate
from ..protocol.writer import BULK_HEADERS, OK
from .args import LLONG_MAX, LLONG_MIN, parse_int, try_int
from .registry import command, runs

STR = "string"
WRONGTYPE = errors.WRONGTYPE


def get_string(c: Any, key: bytes) -> Any:
    """The string at ``key`` via a read lookup (None if absent); WRONGTYPE for other types."""
    v = c.db.lookup(key)
    if v is None:
        c.server.stats.keyspace_misses += 1
        if c.server.notify_flags:
            c.server.notify(c.db, "m", b"keymiss", key)
        return None
    c.server.stats.keyspace_hits += 1
    t = type(v)
    if t is bytes or t is bytearray:
        return v
    raise CommandError(WRONGTYPE)


def write_string(c: Any, key: bytes) -> Any:
    """The string at ``key`` via a write lookup (no stats); WRONGTYPE for other types."""
    v = c.db.lookup(key)
    if v is None:
        return None
    t = type(v)
    if t is bytes or t is bytearray:
        return v
    raise CommandError(WRONGTYPE)


def unshare(db: Any, key: bytes, v: Any) -> bytearray:
    """The value at ``key`` as a bytearray that may be changed in place (it replaces
    an immutable ``bytes`` the first time; the TTL stays)."""
    if type(v) is bytearray:
        return v
    ba = bytearray(v)
    db.replace_value(key, ba)
    return ba


def check_length(c: Any, total: int) -> None:
    """checkStringLength: no string grows past proto-max-bulk-len."""
    if total > c.server.config["proto-max-bulk-len"]:
        raise CommandError(errors.STRING_TOO_LONG)


def _out(v: Any) -> Any:
    return bytes(v) if type(v) is bytearray else v


# --- GET / SET ----------------------------------------------------------------------


@command("get", 2, "readonly fast", keys=(1, 1, 1), group=STR, since="1.0.0",
         summary="Get the value of a key", complexity="O(1)")
def get(c: Any, argv: list[bytes]) -> Any:
    key = argv[1]
    v = c.db.lookup(key)
    if v is None:
        c.server.stats.keyspace_misses += 1
        if c.server.notify_flags:
            c.server.notify(c.db, "m", b"keymiss", key)
        return None
    c.server.stats.keyspace_hits += 1
    t = type(v)
    if t is bytes:
        return v
    if t is bytearray:
        return bytes(v)
    raise CommandError(WRONGTYPE)


# SET / GETEX option flags (parseExtendedStringArgumentsOrReply)
_NX, _XX, _GET, _KEEPTTL, _PERSIST, _EX, _PX, _EXAT, _PXAT = (1 << i for i in range(9))
_ANY_EXPIRE = _EX | _PX | _EXAT | _PXAT
_UNITS = {b"ex": _EX, b"px": _PX, b"exat": _EXAT, b"pxat": _PXAT}


def _opt(a: bytes) -> bytes:
    # Redis compares options as C strings: a NUL ends the word.
    a = a.lower()
    n = a.find(b"\0")
    return a if n < 0 else a[:n]


def parse_set_options(argv: list[bytes], start: int, is_set: bool) -> tuple[int, bytes | None]:
    """Options of SET (``is_set``) or GETEX: returns (flags, expire argument)."""
    flags = 0
    expire = None
    j = start
    n = len(argv)
    while j < n:
        o = _opt(argv[j])
        has_next = j + 1 < n
        if o == b"nx" and is_set and not flags & _XX:
            flags |= _NX
        elif o == b"xx" and is_set and not flags & _NX:
            flags |= _XX
        elif o == b"get" and is_set:
            flags |= _GET
        elif o == b"keepttl" and is_set and not flags & (_PERSIST | _ANY_EXPIRE):
            flags |= _KEEPTTL
        elif o == b"persist" and not is_set and not flags & (_ANY_EXPIRE | _KEEPTTL):
            flags |= _PERSIST
        elif o in _UNITS and has_next and not flags & (_KEEPTTL | _PERSIST | (_ANY_EXPIRE & ~_UNITS[o])):
            flags |= _UNITS[o]
            expire = argv[j + 1]
            j += 1
        else:
            raise CommandError(errors.SYNTAX)
        j += 1
    return flags, expire


def expire_ms(c: Any, arg: bytes, flags: int, name: str) -> int:
    """getExpireMillisecondsOrReply: the absolute unix-ms expire time an option names."""
    ms = parse_int(arg)
    seconds = flags & (_EX | _EXAT)
    if ms <= 0 or (seconds and ms > LLONG_MAX // 1000):
        raise errors.invalid_expire(name)
    if seconds:
        ms *= 1000
    if flags & (_EX | _PX):
        ms += c.server.now_ms()
    if ms > LLONG_MAX:  # the C addition overflowed
        raise errors.invalid_expire(name)
    return ms


def _set_generic(c: Any, key: bytes, value: bytes, flags: int, expire: bytes | None, name: str,
                 ok: Any = OK, abort: Any = None) -> Any:
    # setGenericCommand, in Redis's order: expire value, GET, NX/XX, store.
    when = expire_ms(c, expire, flags, name) if expire is not None else 0
    reply = ok
    if flags & _GET:
        reply = _out(get_string(c, key))
    db = c.db
    if flags & (_NX | _XX):
        found = db.lookup(key) is not None
        if (flags & _NX and found) or (flags & _XX and not found):
            return reply if flags & _GET else abort
    db.set(key, value, keep_ttl=bool(flags & _KEEPTTL))
    server = c.server
    server.dirty += 1
    server.notify(db, "$", b"set", key)
    if expire is not None:
        db.set_expire(key, when)
        server.notify(db, "g", b"expire", key)
        if not flags & _PXAT:  # the AOF gets an absolute time (SET ... PXAT), as Redis 7.0
            propagate.rewrite(c, [b"SET", key, value, b"PXAT", b"%d" % when])
    return reply


@command("set", -3, "write denyoom", keys=(1, 1, 1), group=STR, since="1.0.0",
         summary="Set the string value of a key", complexity="O(1)")
def set_(c: Any, argv: list[bytes]) -> Any:
    if len(argv) == 3:
        db = c.db
        key = argv[1]
        db.set(key, argv[2])
        server = c.server
        server.dirty += 1
        if server.notify_flags:
            server.notify(db, "$", b"set", key)
        return OK
    flags, expire = parse_set_options(argv, 3, True)
    return _set_generic(c, argv[1], argv[2], flags, expire, "set")


# Run handlers (registry.Command.run): a pipeline of GETs or SETs is the most common
# pipeline there is, and at -P 16 two Python calls per command (handler, lookup) were
# a quarter of the in-process cost.  Each loop does what get/set (and Database.lookup
# and Database.set) do for the common case only, and stops at the first command that
# is anything else -- another shape, an LFU policy, a keyspace notification to send,
# a WATCHed or tracked key, a non-string value -- where the handler takes over.


@runs("get")
def get_run(c: Any, cmds: list[list[bytes]], i: int, out: list[bytes]) -> int:
    server = c.server
    if server.lfu:  # lookup's LFU counter update
        return i
    db = c.db
    data = db.data
    expires = db.expires
    atime = db.atime
    clock = server.lru_clock
    notify = server.notify_flags  # a miss would send "keymiss"
    null = b"_\r\n" if c.resp3 else b"$-1\r\n"
    extend = out.extend
    name = cmds[i][0]
    n = len(cmds)
    hits = misses = 0
    j = i
    while j < n:
        argv = cmds[j]
        if len(argv) != 2 or argv[0] != name:
            break
        key = argv[1]
        v = data.get(key)
        if v is None:
            if notify:
                break
            misses += 1
            out.append(null)
        elif type(v) is bytes:
            if expires:
                when = expires.get(key)
                if when is not None and when <= server.now_ms():
                    break  # lookup expires it (and counts the miss)
            atime[key] = clock
            hits += 1
            m = len(v)
            extend((BULK_HEADERS[m] if m < 1024 else b"$%d\r\n" % m, v, b"\r\n"))
        else:
            break  # a bytearray (APPEND, SETRANGE ...) or WRONGTYPE
        j += 1
    stats = server.stats
    stats.keyspace_hits += hits
    stats.keyspace_misses += misses
    return j


@runs("set")
def set_run(c: Any, cmds: list[list[bytes]], i: int, out: list[bytes]) -> int:
    server = c.server
    db = c.db
    if server.notify_flags or db.blocking:  # events to send; a waiter to wake (Database.set)
        return i
    data = db.data
    expires = db.expires
    atime = db.atime
    clock = server.lru_clock
    inline = db.set_is_plain()  # then replacing a key without a TTL is done here
    store = db.set
    ok = OK.raw
    append = out.append
    name = cmds[i][0]
    n = len(cmds)
    j = i
    while j < n:
        argv = cmds[j]
        if len(argv) != 3 or argv[0] != name:
            break
        key = argv[1]
        if inline and key in data and not (expires and key in expires):
            data[key] = argv[2]
            atime[key] = clock
        else:
            store(key, argv[2])
        append(ok)
        j += 1
    server.dirty += j - i
    return j


@command("setnx", 3, "write denyoom fast", keys=(1, 1, 1), group=STR, since="1.0.0",
         summary="Set the value of a key, only if the key does not exist", complexity="O(1)")
def setnx(c: Any, argv: list[bytes]) -> Any:
    return _set_generic(c, argv[1], argv[2], _NX, None, "setnx", 1, 0)


@command("setex", 4, "write denyoom", keys=(1, 1, 1), group=STR, since="2.0.0",
         summary="Set the value and expiration of a key", complexity="O(1)")
def setex(c: Any, argv: list[bytes]) -> Any:
    return _set_generic(c, argv[1], argv[3], _EX, argv[2], "setex")


@command("psetex", 4, "write denyoom", keys=(1, 1, 1), group=STR, since="2.6.0",
         summary="Set the value and expiration in milliseconds of a key", complexity="O(1)")
def psetex(c: Any, argv: list[bytes]) -> Any:
    return _set_generic(c, argv[1], argv[3], _PX, argv[2], "psetex")


@command("getex", -2, "write fast", keys=(1, 1, 1), group=STR, since="6.2.0",
         summary="Get the value of a key and optionally set its expiration", complexity="O(1)")
def getex(c: Any, argv: list[bytes]) -> Any:
    flags, expire = parse_set_options(argv, 2, False)
    key = argv[1]
    v = get_string(c, key)
    if v is None:
        return None
    when = expire_ms(c, expire, flags, "getex") if expire is not None else 0
    reply = _out(v)
    db = c.db
    server = c.server
    if flags & (_EXAT | _PXAT) and when <= server.now_ms():
        # An absolute time already past deletes the key (Redis replicates a DEL).
        db.delete(key)
        server.notify(db, "g", b"del", key)
        server.dirty += 1
        propagate.rewrite(c, [b"UNLINK" if server.config["lazyfree-lazy-expire"] else b"DEL", key])
    elif expire is not None:
        db.set_expire(key, when)
        server.notify(db, "g", b"expire", key)
        server.dirty += 1
        propagate.rewrite(c, [b"PEXPIREAT", key, b"%d" % when])
    elif flags & _PERSIST:
        if db.persist(key):
            server.notify(db, "g", b"persist", key)
            server.dirty += 1
            propagate.rewrite(c, [b"PERSIST", key])
    return reply


@command("getdel", 2, "write fast", keys=(1, 1, 1), group=STR, since="6.2.0",
         summary="Get the value of a key and delete the key", complexity="O(1)")
def getdel(c: Any, argv: list[bytes]) -> Any:
    key = argv[1]
    v = get_string(c, key)
    if v is None:
        return None
    db = c.db
    db.delete(key)
    c.server.notify(db, "g", b"del", key)
    propagate.rewrite(c, [b"UNLINK" if c.server.config["lazyfree-lazy-user-del"] else b"DEL", key])
    c.server.dirty += 1
    return _out(v)


@command("getset", 3, "write denyoom fast", keys=(1, 1, 1), group=STR, since="1.0.0",
         summary="Set the string value of a key and return its old value", complexity="O(1)")
def getset(c: Any, argv: list[bytes]) -> Any:
    key = argv[1]
    old = _out(get_string(c, key))
    db = c.db
    db.set(key, argv[2])
    c.server.notify(db, "$", b"set", key)
    c.server.dirty += 1
    return old


@command("mget", -2, "readonly fast", keys=(1, -1, 1), group=STR, since="1.0.0",
         tips="request_policy:multi_shard", summary="Get the values of all the given keys",
         complexity="O(N) where N is the number of keys to retrieve.")
def mget(c: Any, argv: list[bytes]) -> Any:
    lookup_read = c.db.lookup_read
    out = []
    for key in argv[1:]:
        v = lookup_read(key)
        t = type(v)
        out.append(v if t is bytes else bytes(v) if t is bytearray else None)
    return out


def _mset(c: Any, argv: list[bytes], nx: bool) -> bool:
    if len(argv) % 2 == 0:
        raise errors.wrong_arity("msetnx" if nx else "mset")
    db = c.db
    if nx:
        for i in range(1, len(argv), 2):
            if db.lookup(argv[i]) is not None:
                return False
    server = c.server
    if server.notify_flags:
        for i in range(1, len(argv), 2):
            db.set(argv[i], argv[i + 1])
            server.notify(db, "$", b"set", argv[i])
    else:
        # As set_run: replacing a string key without a TTL inline when Database.set
        # would do nothing more (MSET of 10 pairs: 1.5 -> 0.8 us in process).
        data = db.data
        expires = db.expires
        atime = db.atime
        clock = server.lru_clock
        inline = db.set_is_plain()
        for i in range(1, len(argv), 2):
            key = argv[i]
            if inline and key in data and not (expires and key in expires):
                data[key] = argv[i + 1]
                atime[key] = clock
            else:
                db.set(key, argv[i + 1])
    server.dirty += len(argv) // 2
    return True


@command("mset", -3, "write denyoom", keys=(1, -1, 2), group=STR, since="1.0.1",
         tips="request_policy:multi_shard response_policy:all_succeeded",
         summary="Set multiple keys to multiple values",
         complexity="O(N) where N is the number of keys to set.")
def mset(c: Any, argv: list[bytes]) -> Any:
    _mset(c, argv, False)
    return OK


@command("msetnx", -3, "write denyoom", keys=(1, -1, 2), group=STR, since="1.0.1",
         tips="request_policy:multi_shard response_policy:agg_min",
         summary="Set multiple keys to multiple values, only if none of the keys exist",
         complexity="O(N) where N is the number of keys to set.")
def msetnx(c: Any, argv: list[bytes]) -> Any:
    return 1 if _mset(c, argv, True) else 0


# --- in-place edits ----------------------------------------------------------------------


@command("append", 3, "write denyoom fast", keys=(1, 1, 1), group=STR, since="2.0.0",
         summary="Append a value to a key", complexity="O(1) amortized")
def append(c: Any, argv: list[bytes]) -> Any:
    key, tail = argv[1], argv[2]
    db = c.db
    v = write_string(c, key)
    if v is None:
        db.set(key, tail)
        total = len(tail)
    else:
        check_length(c, len(v) + len(tail))
        ba = unshare(db, key, v)
        ba += tail
        total = len(ba)
        db.modified(key)
    c.server.notify(db, "$", b"append", key)
    c.server.dirty += 1
    return total


@command("strlen", 2, "readonly fast", keys=(1, 1, 1), group=STR, since="2.2.0",
         summary="Get the length of the value stored in a key", complexity="O(1)")
def strlen(c: Any, argv: list[bytes]) -> Any:
    v = get_string(c, argv[1])
    return 0 if v is None else len(v)


@command("setrange", 4, "write denyoom", keys=(1, 1, 1), group=STR, since="2.2.0",
         summary="Overwrite part of a string at key starting at the specified offset",
         complexity="O(1), not counting the time taken to copy the new string in place.")
def setrange(c: Any, argv: list[bytes]) -> Any:
    key, value = argv[1], argv[3]
    offset = parse_int(argv[2])
    if offset < 0:
        raise CommandError(errors.OFFSET_RANGE)
    db = c.db
    v = write_string(c, key)
    if v is None:
        if not value:
            return 0
        check_length(c, offset + len(value))
        ba = bytearray(offset)
        ba += value
        db.set(key, ba)
    else:
        if not value:
            return len(v)
        check_length(c, offset + len(value))
        ba = unshare(db, key, v)
        end = offset + len(value)
        if len(ba) < offset:
            ba.extend(bytes(offset - len(ba)))
        ba[offset:end] = value
        db.modified(key)
    c.server.notify(db, "$", b"setrange", key)
    c.server.dirty += 1
    return len(ba)


def _range(start: int, end: int, n: int) -> tuple[int, int] | None:
    # GETRANGE's index rules; None for an empty result.
    if start < 0 and end < 0 and start > end:
        return None
    if start < 0:
        start += n
    if end < 0:
        end += n
    if start < 0:
        start = 0
    if end < 0:
        end = 0
    if end >= n:
        end = n - 1
    if start > end or n == 0:
        return None
    return start, end


@command("getrange", 4, "readonly", keys=(1, 1, 1), group=STR, since="2.4.0",
         summary="Get a substring of the string stored at a key",
         complexity="O(N) where N is the length of the returned string.")
def getrange(c: Any, argv: list[bytes]) -> Any:
    start = parse_int(argv[2])
    end = parse_int(argv[3])
    v = get_string(c, argv[1])
    if v is None:
        return b""
    r = _range(start, end, len(v))
    return b"" if r is None else bytes(v[r[0]:r[1] + 1])


@command("substr", 4, "readonly", keys=(1, 1, 1), group=STR, since="1.0.0",
         summary="Get a substring of the string stored at a key",
         complexity="O(N) where N is the length of the returned string.")
def substr(c: Any, argv: list[bytes]) -> Any:
    return getrange(c, argv)


# --- counters -------------------------------------------------------------------------


def _incr(c: Any, key: bytes, incr: int) -> int:
    db = c.db
    v = write_string(c, key)
    old = 0 if v is None else parse_int(v if type(v) is bytes else bytes(v))
    if (incr < 0 and old < 0 and incr < LLONG_MIN - old) or (incr > 0 and old > 0 and incr > LLONG_MAX - old):
        raise CommandError(errors.OVERFLOW)
    n = old + incr
    if v is None:
        db.set(key, b"%d" % n)
    else:  # the key stays, TTL and access stamp included: only the value changes
        db.replace_value(key, b"%d" % n)
        db.touched(key)
    server = c.server
    server.dirty += 1
    if server.notify_flags:
        server.notify(db, "$", b"incrby", key)
    return n


@command("incr", 2, "write denyoom fast", keys=(1, 1, 1), group=STR, since="1.0.0",
         summary="Increment the integer value of a key by one", complexity="O(1)")
def incr(c: Any, argv: list[bytes]) -> Any:
    return _incr(c, argv[1], 1)


@command("decr", 2, "write denyoom fast", keys=(1, 1, 1), group=STR, since="1.0.0",
         summary="Decrement the integer value of a key by one", complexity="O(1)")
def decr(c: Any, argv: list[bytes]) -> Any:
    return _incr(c, argv[1], -1)


@command("incrby", 3, "write denyoom fast", keys=(1, 1, 1), group=STR, since="1.0.0",
         summary="Increment the integer value of a key by the given amount", complexity="O(1)")
def incrby(c: Any, argv: list[bytes]) -> Any:
    return _incr(c, argv[1], parse_int(argv[2]))


@command("decrby", 3, "write denyoom fast", keys=(1, 1, 1), group=STR, since="1.0.0",
         summary="Decrement the integer value of a key by the given number", complexity="O(1)")
def decrby(c: Any, argv: list[bytes]) -> Any:
    n = parse_int(argv[2])
    if n == LLONG_MIN:  # -n would not fit
        raise CommandError(errors.DECR_OVERFLOW)
    return _incr(c, argv[1], -n)


# --- INCRBYFLOAT's "embstr" integers ----------------------------------------------------
# Redis stores INCRBYFLOAT's result as a fresh string object without
# tryObjectEncoding, so an integral result ("3") is "embstr" where SET k 3 is
# "int".  Values here are plain bytes whose OBJECT ENCODING is derived from the
# content (keys.string_encoding); the exception is remembered off the GET/SET/INCR
# path, by identity: id -> the very object stored (the strong reference keeps the id
# from being reused while the mark exists).  Only results that would read as "int"
# are marked.  RENAME, MOVE, COPY and SWAPDB carry the same object, so the mark
# follows it as Redis's embstr does; any other write stores another object.  Marks
# whose object only this dict still holds are swept whenever the dict has doubled
# since the last sweep, so it stays proportional to the live marked values.
EMBSTR_INTS: dict[int, bytes] = {}
_embstr_sweep_at = 1024


def _refcounts(d: dict[int, bytes]) -> list[tuple[int, int]]:
    return [(k, sys.getrefcount(o)) for k, o in d.items()]


# What _refcounts reports for an object only the dict holds (interpreter-dependent).
_ONLY_IN_DICT = _refcounts({0: bytes(bytearray(b"00"))})[0][1]


def _mark_embstr(v: bytes) -> bytes:
    """``v`` as an object of its own, remembered as "embstr" by OBJECT ENCODING."""
    global _embstr_sweep_at
    if len(v) == 1:  # CPython shares one b"3" for every 1-byte bytes: make a private one
        v = ord(v).to_bytes(1, "big")
    marks = EMBSTR_INTS
    if len(marks) >= _embstr_sweep_at:
        for k, refs in _refcounts(marks):
            if refs <= _ONLY_IN_DICT:
                del marks[k]
        _embstr_sweep_at = max(1024, 2 * len(marks))
    marks[id(v)] = v
    return v


@command("incrbyfloat", 3, "write denyoom fast", keys=(1, 1, 1), group=STR, since="2.6.0",
         summary="Increment the float value of a key by the given amount", complexity="O(1)")
def incrbyfloat(c: Any, argv: list[bytes]) -> Any:
    key = argv[1]
    db = c.db
    v = write_string(c, key)
    new = ldouble.incrbyfloat(None if v is None else bytes(v), argv[2])
    if len(new) <= 20 and try_int(new) is not None:
        new = _mark_embstr(new)
    db.set(key, new, keep_ttl=True)
    c.server.dirty += 1
    c.server.notify(db, "$", b"incrbyfloat", key)
    propagate.rewrite(c, [b"SET", key, new, b"KEEPTTL"])  # the result, not the float arithmetic
    return new


# --- LCS --------------------------------------------------------------------------------


def lcs_rows(a: bytes, b: bytes) -> list[int]:
    """Rows of the LCS table, bit-parallel (Allison-Dix / Hyyrö): for row i (``a[:i]``),
    LCS(i, j) = j - popcount(rows[i] & ((1 << j) - 1)).  Bit j stands for b[j]."""
    m = len(b)
    full = (1 << m) - 1
    masks: dict[int, int] = {}
    for j, ch in enumerate(b):
        masks[ch] = masks.get(ch, 0) | (1 << j)
    v = full
    rows = [v]
    for ch in a:
        u = v & masks.get(ch, 0)
        v = ((v + u) | (v - u)) & full
        rows.append(v)
    return rows


@command("lcs", -3, "readonly", keys=(1, 2, 1), group=STR, since="7.0.0",
         summary="Find longest common substring",
         complexity="O(N*M) where N and M are the lengths of s1 and s2, respectively")
def lcs(c: Any, argv: list[bytes]) -> Any:
    lookup_read = c.db.lookup_read
    va = lookup_read(argv[1])
    vb = lookup_read(argv[2])
    if (va is not None and type(va) not in (bytes, bytearray)) or (
            vb is not None and type(vb) not in (bytes, bytearray)):
        raise CommandError(errors.LCS_NOT_STRINGS)
    a = b"" if va is None else bytes(va)
    b = b"" if vb is None else bytes(vb)
    getidx = getlen = withmatchlen = False
    minmatchlen = 0
    j = 3
    while j < len(argv):
        o = _opt(argv[j])
        if o == b"idx":
            getidx = True
        elif o == b"len":
            getlen = True
        elif o == b"withmatchlen":
            withmatchlen = True
        elif o == b"minmatchlen" and j + 1 < len(argv):
            minmatchlen = max(0, parse_int(argv[j + 1]))
            j += 1
        else:
            raise CommandError(errors.SYNTAX)
        j += 1
    if getidx and getlen:
        raise CommandError(errors.LCS_IDX_AND_LEN)
    rows = lcs_rows(a, b)
    alen, blen = len(a), len(b)
    total = blen - rows[alen].bit_count()
    if getlen:
        return total

    def L(i: int, jj: int) -> int:
        return jj - (rows[i] & ((1 << jj) - 1)).bit_count()

    # Walk back from the end exactly as Redis does, so ties pick the same path.
    result = bytearray(total)
    idx = total
    matches: list[Any] = []
    arange_start = alen  # alen means "no range open"
    arange_end = brange_start = brange_end = 0
    i, jj = alen, blen
    while i > 0 and jj > 0:
        emit = False
        if a[i - 1] == b[jj - 1]:
            result[idx - 1] = a[i - 1]
            if arange_start == alen:
                arange_start = arange_end = i - 1
                brange_start = brange_end = jj - 1
            elif arange_start == i and brange_start == jj:
                arange_start -= 1
                brange_start -= 1
            else:
                emit = True
            if arange_start == 0 or brange_start == 0:
                emit = True
            idx -= 1
            i -= 1
            jj -= 1
        else:
            if L(i - 1, jj) > L(i, jj - 1):
                i -= 1
            else:
                jj -= 1
            if arange_start != alen:
                emit = True
        if emit:
            match_len = arange_end - arange_start + 1
            if getidx and (minmatchlen == 0 or match_len >= minmatchlen):
                item: list[Any] = [[arange_start, arange_end], [brange_start, brange_end]]
                if withmatchlen:
                    item.append(match_len)
                matches.append(item)
            arange_start = alen
    if getidx:
        return {b"matches": matches, b"len": total}
    return bytes(result)
