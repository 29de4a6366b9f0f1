"""Generic keyspace commands: DEL/EXISTS/TYPE/RENAME/COPY/MOVE, KEYS/SCAN/RANDOMKEY,
the EXPIRE/TTL family, OBJECT, SORT/SORT_RO and WAIT.

Rules of this module:

* Lookups are Redis's: read commands count keyspace hits/misses
  (``db.lookup_read``), writes do not (``db.lookup``).  Every lookup reclaims
  an expired key, so no command here ever sees one; KEYS alone skips expired
  keys without reclaiming them, as Redis's KEYS does.
* Checks run in Redis's order (EXPIRE parses its NX/XX/GT/LT flags before the
  number; COPY parses its options before looking at the key ...), since the
  order decides which error a bad call gets.
* OBJECT ENCODING protocol: a value with an ``encoding(config) -> bytes``
  method answers for itself (lists, hashes, sets, sorted sets ... decide with
  the ``*-max-*`` settings in ``config``); strings are answered here:
  ``bytearray`` (changed in place) is "raw", ``bytes`` is "int" when Redis's
  tryObjectEncoding would make it a long (<= 20 chars), "embstr" up to 44
  bytes, "raw" beyond; an integral INCRBYFLOAT result, which never went
  through tryObjectEncoding, is "embstr" (``strings.EMBSTR_INTS``).
* COPY duplicates a value with its ``dup()`` method when it has one, else a
  deep copy; strings are immutable ``bytes`` (shared) or copied bytearrays.
* SORT reads lists and sets by iterating them and sorted sets through
  ``members()`` (members in score order).  Numbers are read with C's strtod
  rules (leading blanks, hex, ERANGE is an error), ALPHA compares bytes as
  strcoll does in the C/C.UTF-8 locale (up to a NUL), or as memcmp with STORE.
* Every write counts in ``server.dirty`` and emits Redis's keyspace event.
"""

from __future__ import annotations

import copy
import math
import re
from fractions import Fraction
from typing import Any

from .. import errors
from ..errors import CommandError
from ..persistence import propagate
from ..glob import compile_glob
from ..keyspace.db import idle_seconds, lfu_decayed, type_name
from ..keyspace.slots import NSLOTS
from ..protocol.writer import OK, Status
from .args import LLONG_MAX, parse_int, try_int
from .registry import command, container
from .strings import EMBSTR_INTS, _opt

GEN = "generic"


def _int32(b: bytes) -> int:
    # getIntFromObjectOrReply: a long that must also fit in an int.
    v = parse_int(b)
    if not -(2**31) <= v < 2**31:
        raise CommandError(errors.INT_RANGE)
    return v


# --- DEL, EXISTS, TYPE, TOUCH ----------------------------------------------------------


def _delete(c: Any, argv: list[bytes]) -> int:
    db = c.db
    server = c.server
    n = 0
    for key in argv[1:]:
        if db.delete(key):
            server.notify(db, "g", b"del", key)
            server.dirty += 1
            n += 1
    return n


@command("del", -2, "write", keys=(1, -1, 1), group=GEN, since="1.0.0",
         tips="request_policy:multi_shard response_policy:agg_sum", summary="Delete a key",
         complexity="O(N) where N is the number of keys that will be removed.")
def del_(c: Any, argv: list[bytes]) -> Any:
    return _delete(c, argv)


@command("unlink", -2, "write fast", keys=(1, -1, 1), group=GEN, since="4.0.0",
         tips="request_policy:multi_shard response_policy:agg_sum",
         summary="Delete a key asynchronously in another thread. Otherwise it is just as DEL, but non blocking.",
         complexity="O(1) for each key removed regardless of its size.")
def unlink(c: Any, argv: list[bytes]) -> Any:
    return _delete(c, argv)


@command("exists", -2, "readonly fast", keys=(1, -1, 1), group=GEN, since="1.0.0",
         tips="request_policy:multi_shard response_policy:agg_sum", summary="Determine if a key exists",
         complexity="O(N) where N is the number of keys to check.")
def exists(c: Any, argv: list[bytes]) -> Any:
    lookup_read = c.db.lookup_read
    return sum(1 for key in argv[1:] if lookup_read(key, False) is not None)


@command("touch", -2, "readonly fast", keys=(1, -1, 1), group=GEN, since="3.2.1",
         tips="request_policy:multi_shard response_policy:agg_sum",
         summary="Alters the last access time of a key(s). Returns the number of existing keys specified.",
         complexity="O(N) where N is the number of keys that will be touched.")
def touch(c: Any, argv: list[bytes]) -> Any:
    return exists(c, argv)


@command("type", 2, "readonly fast", keys=(1, 1, 1), group=GEN, since="1.0.0",
         summary="Determine the type stored at key")
def type_(c: Any, argv: list[bytes]) -> Any:
    v = c.db.lookup_read(argv[1], False)
    return Status(b"none" if v is None else type_name(v))


# --- RENAME, COPY, MOVE ----------------------------------------------------------------


def _transfer(src: Any, skey: bytes, dst: Any, dkey: bytes, v: Any) -> None:
    """RENAME/MOVE: the value and its TTL go to ``dst``/``dkey``; ``skey`` goes away."""
    when = src.get_ttl(skey)
    dst.set(dkey, v)
    if when is not None:
        dst.set_expire(dkey, when)
    src.delete(skey)


def _rename(c: Any, argv: list[bytes], nx: bool) -> Any:
    src, dst = argv[1], argv[2]
    db = c.db
    v = db.lookup(src)
    if v is None:
        raise CommandError(errors.NO_SUCH_KEY)
    if src == dst:
        return 0 if nx else OK
    if db.lookup(dst) is not None:
        if nx:
            return 0
        db.delete(dst)
    _transfer(db, src, db, dst, v)
    server = c.server
    server.notify(db, "g", b"rename_from", src)
    server.notify(db, "g", b"rename_to", dst)
    server.dirty += 1
    return 1 if nx else OK


@command("rename", 3, "write", keys=(1, 2, 1), group=GEN, since="1.0.0", summary="Rename a key")
def rename(c: Any, argv: list[bytes]) -> Any:
    return _rename(c, argv, False)


@command("renamenx", 3, "write fast", keys=(1, 2, 1), group=GEN, since="1.0.0",
         summary="Rename a key, only if the new key does not exist")
def renamenx(c: Any, argv: list[bytes]) -> Any:
    return _rename(c, argv, True)


def dup_value(v: Any) -> Any:
    """An independent copy of a value (COPY): ``dup()`` if the type has one."""
    t = type(v)
    if t is bytes:
        return v
    if t is bytearray:
        return bytearray(v)
    dup = getattr(v, "dup", None)
    if dup is not None:
        return dup()
    return copy.deepcopy(v)


def _target_db(c: Any, arg: bytes) -> Any:
    index = _int32(arg)
    dbs = c.server.dbs
    if not 0 <= index < len(dbs):
        raise CommandError(errors.DB_INDEX)
    return dbs[index]


@command("copy", -3, "write denyoom", keys=(1, 2, 1), group=GEN, since="6.2.0", summary="Copy a key",
         complexity="O(N) worst case for collections, where N is the number of nested items. "
                    "O(1) for string values.")
def copy_(c: Any, argv: list[bytes]) -> Any:
    src_db = dst_db = c.db
    replace = False
    j = 3
    while j < len(argv):
        o = _opt(argv[j])
        if o == b"replace":
            replace = True
        elif o == b"db" and j + 1 < len(argv):
            dst_db = _target_db(c, argv[j + 1])
            j += 1
        else:
            raise CommandError(errors.SYNTAX)
        j += 1
    key, newkey = argv[1], argv[2]
    if src_db is dst_db and key == newkey:
        raise CommandError(errors.SAME_OBJECT)
    v = src_db.lookup_read(key)
    if v is None:
        return 0
    when = src_db.get_ttl(key)
    if dst_db.lookup(newkey) is not None:
        if not replace:
            return 0
        dst_db.delete(newkey)
    dst_db.set(newkey, dup_value(v))
    if when is not None:
        dst_db.set_expire(newkey, when)
    c.server.notify(dst_db, "g", b"copy_to", newkey)
    c.server.dirty += 1
    return 1


@command("move", 3, "write fast", keys=(1, 1, 1), group=GEN, since="1.0.0",
         summary="Move a key to another database")
def move(c: Any, argv: list[bytes]) -> Any:
    src = c.db
    dst = _target_db(c, argv[2])
    if src is dst:
        raise CommandError(errors.SAME_OBJECT)
    key = argv[1]
    v = src.lookup(key)
    if v is None:
        return 0
    if dst.lookup(key) is not None:
        return 0
    _transfer(src, key, dst, key, v)
    server = c.server
    server.notify(src, "g", b"move_from", key)
    server.notify(dst, "g", b"move_to", key)
    server.dirty += 1
    return 1


# --- KEYS, SCAN, RANDOMKEY ---------------------------------------------------------------


@command("keys", 2, "readonly", group=GEN, since="1.0.0", acl="@dangerous",
         tips="request_policy:all_shards nondeterministic_output_order",
         summary="Find all keys matching the given pattern",
         complexity="O(N) with N being the number of keys in the database")
def keys(c: Any, argv: list[bytes]) -> Any:
    pattern = argv[1]
    return c.db.live_keys(None if pattern == b"*" else compile_glob(pattern))


_ULONG_MAX = 2**64 - 1
_CURSOR = re.compile(rb"([+-]?)([0-9]+)")
_SPACE = b" \t\n\v\f\r"


def parse_cursor(b: bytes) -> int:
    """parseScanCursorOrReply: strtoul in base 10 (signs wrap, as in C), nothing after."""
    if b[:1] and b[0] in _SPACE:
        raise CommandError(errors.INVALID_CURSOR)
    n = b.find(b"\0")
    s = b if n < 0 else b[:n]
    if not s:
        return 0  # strtoul("") converts nothing and stops at the end: cursor 0
    m = _CURSOR.fullmatch(s)
    if m is None:
        raise CommandError(errors.INVALID_CURSOR)
    v = int(m.group(2))
    if v > _ULONG_MAX:
        raise CommandError(errors.INVALID_CURSOR)
    return (-v) & _ULONG_MAX if m.group(1) == b"-" else v


@command("scan", -2, "readonly", group=GEN, since="2.8.0",
         tips="nondeterministic_output request_policy:special",
         summary="Incrementally iterate the keys space",
         complexity="O(1) for every call. O(N) for a complete iteration.")
def scan(c: Any, argv: list[bytes]) -> Any:
    cursor = parse_cursor(argv[1])
    count = 10
    match = None
    want_type = None
    i = 2
    while i < len(argv):
        o = _opt(argv[i])
        if i + 1 >= len(argv):
            raise CommandError(errors.SYNTAX)
        if o == b"count":
            count = parse_int(argv[i + 1])
            if count < 1:
                raise CommandError(errors.SYNTAX)
        elif o == b"match":
            match = None if argv[i + 1] == b"*" else compile_glob(argv[i + 1])
        elif o == b"type":
            want_type = _opt(argv[i + 1])
        else:
            raise CommandError(errors.SYNTAX)
        i += 2
    if cursor >= NSLOTS:
        return [b"0", []]
    db = c.db
    nxt, found = db.scan(cursor, count)
    out = []
    for key in found:
        if match is not None and not match(key):
            continue
        if want_type is not None:
            # Redis checks the type with a read lookup (stats and all).  An
            # expired key is never returned, even for TYPE none (Redis 7.0
            # would list it there).
            v = db.lookup_read(key)
            if v is None or type_name(v) != want_type:
                continue
        elif db.expire_if_needed(key):
            continue
        out.append(key)
    return [b"%d" % nxt, out]


@command("randomkey", 1, "readonly", group=GEN, since="1.0.0",
         tips="request_policy:all_shards nondeterministic_output",
         summary="Return a random key from the keyspace")
def randomkey(c: Any, argv: list[bytes]) -> Any:
    return c.db.random_key()


# --- EXPIRE family ------------------------------------------------------------------------

_LLONG_MIN_DIV_1000 = -(2**63 // 1000)  # C's LLONG_MIN / 1000 truncates toward zero


def _expire(c: Any, argv: list[bytes], base_ms: int, seconds: bool, name: str) -> Any:
    nx = xx = gt = lt = False
    for a in argv[3:]:
        o = _opt(a)
        if o == b"nx":
            nx = True
        elif o == b"xx":
            xx = True
        elif o == b"gt":
            gt = True
        elif o == b"lt":
            lt = True
        else:
            n = a.find(b"\0")
            raise errors.unsupported_option(a if n < 0 else a[:n])
    if nx and (xx or gt or lt):
        raise CommandError(errors.EXPIRE_NX_CONFLICT)
    if gt and lt:
        raise CommandError(errors.EXPIRE_GT_LT_CONFLICT)
    when = parse_int(argv[2])
    if seconds:
        if when > LLONG_MAX // 1000 or when < _LLONG_MIN_DIV_1000:
            raise errors.invalid_expire(name)
        when *= 1000
    if when > LLONG_MAX - base_ms:
        raise errors.invalid_expire(name)
    when += base_ms
    key = argv[1]
    db = c.db
    if db.lookup(key) is None:
        return 0
    if nx or xx or gt or lt:
        cur = db.get_ttl(key)
        if nx and cur is not None:
            return 0
        if xx and cur is None:
            return 0
        if gt and (cur is None or when <= cur):  # no TTL counts as infinite
            return 0
        if lt and cur is not None and when >= cur:
            return 0
    server = c.server
    if when <= server.now_ms():
        db.delete(key)
        server.notify(db, "g", b"del", key)
        propagate.rewrite(c, [b"UNLINK" if server.config["lazyfree-lazy-expire"] else b"DEL", key])
    else:
        db.set_expire(key, when)
        server.notify(db, "g", b"expire", key)
        if name != "pexpireat":  # the AOF gets the absolute time, as Redis 7.0
            propagate.rewrite(c, [b"PEXPIREAT", key, b"%d" % when])
    server.dirty += 1
    return 1


@command("expire", -3, "write fast", keys=(1, 1, 1), group=GEN, since="1.0.0",
         summary="Set a key's time to live in seconds")
def expire(c: Any, argv: list[bytes]) -> Any:
    return _expire(c, argv, c.server.now_ms(), True, "expire")


@command("pexpire", -3, "write fast", keys=(1, 1, 1), group=GEN, since="2.6.0",
         summary="Set a key's time to live in milliseconds")
def pexpire(c: Any, argv: list[bytes]) -> Any:
    return _expire(c, argv, c.server.now_ms(), False, "pexpire")


@command("expireat", -3, "write fast", keys=(1, 1, 1), group=GEN, since="1.2.0",
         summary="Set the expiration for a key as a UNIX timestamp")
def expireat(c: Any, argv: list[bytes]) -> Any:
    return _expire(c, argv, 0, True, "expireat")


@command("pexpireat", -3, "write fast", keys=(1, 1, 1), group=GEN, since="2.6.0",
         summary="Set the expiration for a key as a UNIX timestamp specified in milliseconds")
def pexpireat(c: Any, argv: list[bytes]) -> Any:
    return _expire(c, argv, 0, False, "pexpireat")


def _ttl(c: Any, key: bytes, ms: bool, absolute: bool) -> int:
    db = c.db
    if db.lookup_read(key, False) is None:
        return -2
    when = db.get_ttl(key)
    if when is None:
        return -1
    t = when if absolute else when - c.server.now_ms()
    if t < 0:
        t = 0
    return t if ms else (t + 500) // 1000


@command("ttl", 2, "readonly fast", keys=(1, 1, 1), group=GEN, since="1.0.0",
         tips="nondeterministic_output", summary="Get the time to live for a key in seconds")
def ttl(c: Any, argv: list[bytes]) -> Any:
    return _ttl(c, argv[1], False, False)


@command("pttl", 2, "readonly fast", keys=(1, 1, 1), group=GEN, since="2.6.0",
         tips="nondeterministic_output", summary="Get the time to live for a key in milliseconds")
def pttl(c: Any, argv: list[bytes]) -> Any:
    return _ttl(c, argv[1], True, False)


@command("expiretime", 2, "readonly fast", keys=(1, 1, 1), group=GEN, since="7.0.0",
         summary="Get the expiration Unix timestamp for a key")
def expiretime(c: Any, argv: list[bytes]) -> Any:
    return _ttl(c, argv[1], False, True)


@command("pexpiretime", 2, "readonly fast", keys=(1, 1, 1), group=GEN, since="7.0.0",
         summary="Get the expiration Unix timestamp for a key in milliseconds")
def pexpiretime(c: Any, argv: list[bytes]) -> Any:
    return _ttl(c, argv[1], True, True)


@command("persist", 2, "write fast", keys=(1, 1, 1), group=GEN, since="2.2.0",
         summary="Remove the expiration from a key")
def persist(c: Any, argv: list[bytes]) -> Any:
    key = argv[1]
    db = c.db
    if db.lookup(key) is None or not db.persist(key):
        return 0
    c.server.notify(db, "g", b"persist", key)
    c.server.dirty += 1
    return 1


# --- OBJECT -----------------------------------------------------------------------------------

container("object", group=GEN, since="2.2.3", summary="A container for object introspection commands")

OBJ_SHARED_INTEGERS = 10000
SHARED_REFCOUNT = 2147483647  # OBJ_SHARED_REFCOUNT (INT_MAX)


def string_encoding(v: Any) -> bytes:
    """What tryObjectEncoding made of a string value (an integral INCRBYFLOAT
    result skipped it: "embstr", see strings.EMBSTR_INTS)."""
    if type(v) is bytearray:
        return b"raw"
    if len(v) <= 20 and try_int(v) is not None and EMBSTR_INTS.get(id(v)) is not v:
        return b"int"
    return b"embstr" if len(v) <= 44 else b"raw"


def object_encoding(v: Any, config: Any) -> bytes:
    """OBJECT ENCODING of any value (see the protocol in the module docstring)."""
    t = type(v)
    if t is bytes or t is bytearray:
        return string_encoding(v)
    enc = getattr(v, "encoding", None)
    if enc is not None:
        return enc(config)
    return {b"list": b"quicklist", b"hash": b"hashtable", b"set": b"hashtable",
            b"zset": b"skiplist", b"stream": b"stream"}.get(type_name(v), b"raw")


def _object_lookup(c: Any, key: bytes) -> Any:
    # objectCommandLookup: a read lookup that counts stats but sends no "keymiss"
    # and leaves the key's access data alone (LOOKUP_NOTOUCH).
    v = c.db.peek(key)
    st = c.server.stats
    if v is None:
        st.keyspace_misses += 1
    else:
        st.keyspace_hits += 1
    return v


def _lfu(c: Any) -> bool:
    return "lfu" in c.server.config["maxmemory-policy"]


@command("object|encoding", 3, "readonly", keys=(2, 2, 1), group=GEN, since="2.2.3",
         tips="nondeterministic_output",
         summary="Inspect the internal encoding of a Redis object")
def object_encoding_(c: Any, argv: list[bytes]) -> Any:
    v = _object_lookup(c, argv[2])
    return None if v is None else object_encoding(v, c.server.config)


@command("object|refcount", 3, "readonly", keys=(2, 2, 1), group=GEN, since="2.2.3",
         tips="nondeterministic_output",
         summary="Get the number of references to the value of the key")
def object_refcount(c: Any, argv: list[bytes]) -> Any:
    v = _object_lookup(c, argv[2])
    if v is None:
        return None
    if type(v) is bytes and string_encoding(v) == b"int" and 0 <= int(v) < OBJ_SHARED_INTEGERS:
        # Small integers are shared objects unless an LRU/LFU policy needs
        # per-key access data (MAXMEMORY_FLAG_NO_SHARED_INTEGERS).
        cfg = c.server.config
        policy = cfg["maxmemory-policy"]
        if not cfg["maxmemory"] or ("lru" not in policy and "lfu" not in policy):
            return SHARED_REFCOUNT
    return 1


@command("object|idletime", 3, "readonly", keys=(2, 2, 1), group=GEN, since="2.2.3",
         tips="nondeterministic_output",
         summary="Get the time since a Redis object was last accessed")
def object_idletime(c: Any, argv: list[bytes]) -> Any:
    v = _object_lookup(c, argv[2])
    if v is None:
        return None
    if _lfu(c):
        raise CommandError(errors.OBJECT_IDLETIME_LFU)
    return idle_seconds(c.db.access(argv[2]), c.server)


@command("object|freq", 3, "readonly", keys=(2, 2, 1), group=GEN, since="4.0.0",
         tips="nondeterministic_output",
         summary="Get the logarithmic access frequency counter of a Redis object")
def object_freq(c: Any, argv: list[bytes]) -> Any:
    v = _object_lookup(c, argv[2])
    if v is None:
        return None
    if not _lfu(c):
        raise CommandError(errors.OBJECT_FREQ_NO_LFU)
    return lfu_decayed(c.db.access(argv[2]), c.server)


_OBJECT_HELP = [
    "OBJECT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "ENCODING <key>",
    "    Return the kind of internal representation used in order to store the value",
    "    associated with a <key>.",
    "FREQ <key>",
    "    Return the access frequency index of the <key>. The returned integer is",
    "    proportional to the logarithm of the recent access frequency of the key.",
    "IDLETIME <key>",
    "    Return the idle time of the <key>, that is the approximated number of",
    "    seconds elapsed since the last access to the key.",
    "REFCOUNT <key>",
    "    Return the number of references of the value associated with the specified",
    "    <key>.",
    "HELP",
    "    Prints this help.",
]


@command("object|help", 2, "loading stale", group=GEN, since="6.2.0",
         summary="Show helpful text about the different subcommands")
def object_help(c: Any, argv: list[bytes]) -> Any:
    return [Status(line) for line in _OBJECT_HELP]


# --- SORT / SORT_RO ---------------------------------------------------------------------------

_STRTOD = re.compile(
    rb"[ \t\n\v\f\r]*([+-]?)(?:"
    rb"(?P<dec>(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?)"
    rb"|0[xX](?P<hex>(?:[0-9a-fA-F]+\.?[0-9a-fA-F]*|\.[0-9a-fA-F]+)(?:[pP][+-]?[0-9]+)?)"
    rb"|(?P<inf>[iI][nN][fF](?:[iI][nN][iI][tT][yY])?))"
)
_DBL_MIN = 2.2250738585072014e-308


def sort_score(b: bytes) -> float | None:
    """strtod as SORT uses it: the whole text must be read, NaN and ERANGE
    (overflow, or an inexact result in the subnormal range) are errors; None then."""
    n = b.find(b"\0")
    if n >= 0:
        b = b[:n]
    if not b:
        return 0.0  # nothing converted, and the end pointer sits on the NUL
    m = _STRTOD.fullmatch(b)
    if m is None:
        return None
    neg = m.group(1) == b"-"
    if m.group("inf") is not None:
        return -math.inf if neg else math.inf
    if m.group("dec") is not None:
        text = m.group("dec")
        v = float(text)
    else:
        text = m.group("hex")
        v = float.fromhex("0x" + text.decode())
    if math.isinf(v):
        return None
    if v < _DBL_MIN and _inexact(text, m.group("dec") is not None, v):
        return None
    return -v if neg else v


def _inexact(text: bytes, decimal: bool, v: float) -> bool:
    # Is a tiny conversion inexact (glibc then sets ERANGE)?
    if decimal:
        mant, _, exp = text.lower().partition(b"e")
        ip, _, fp = mant.partition(b".")
        digits = (ip + fp).lstrip(b"0")
        if not digits:
            return False  # an exact zero
        e10 = int(exp or b"0") - len(fp)
        if len(digits) + e10 < -400:
            return True  # far below the smallest subnormal
        exact = Fraction(int(ip + fp)) * Fraction(10) ** e10
    else:
        mant, _, exp = text.lower().partition(b"p")
        ip, _, fp = mant.partition(b".")
        if not (ip + fp).strip(b"0"):
            return False
        e2 = int(exp or b"0") - 4 * len(fp)
        if e2 < -1200 - 4 * len(ip + fp):
            return True
        exact = Fraction(int(ip + fp, 16)) * Fraction(2) ** e2
    return Fraction(v) != exact


def _c_str(b: bytes) -> bytes:
    n = b.find(b"\0")
    return b if n < 0 else b[:n]


def _by_pattern(db: Any, pattern: bytes, subst: bytes) -> Any:
    # lookupKeyByPattern: "#" is the element itself; the first '*' takes the
    # element; "->field" (not at the very end) reads a hash field.
    if _c_str(pattern) == b"#":
        return subst
    head = _c_str(pattern)
    p = head.find(b"*")
    if p < 0:
        return None
    f = head.find(b"->", p + 1)
    field = None
    if f >= 0 and f + 2 < len(head):
        field = pattern[f + 2:]
        key = pattern[:p] + subst + pattern[p + 1:f]
    else:
        key = pattern[:p] + subst + pattern[p + 1:]
    v = db.lookup_read(key)
    if v is None:
        return None
    if field is not None:
        if type_name(v) != b"hash":
            return None
        got = v.get(field)
        if got is None or type(got) is bytes:
            return got
        return bytes(got) if type(got) is bytearray else b"%d" % got if type(got) is int else got
    t = type(v)
    if t is bytes:
        return v
    if t is bytearray:
        return bytes(v)
    return None


def _sort_keys(argv: list[bytes]) -> list[int]:
    # sortGetKeys: the sorted key, and the last STORE target.
    store = None
    i = 2
    while i < len(argv):
        o = argv[i].lower()
        if o == b"limit":
            i += 2
        elif o in (b"get", b"by"):
            i += 1
        elif o == b"store" and i + 1 < len(argv):
            store = i + 1
        i += 1
    return [1] if store is None else [1, store]


def _elements(v: Any, config: Any) -> tuple[list[bytes], str]:
    kind = type_name(v)
    if kind == b"list":
        return list(v), "list"
    if kind == b"set":
        items = list(v)
        enc = getattr(v, "encoding", None)
        if enc is not None and enc(config) == b"intset":
            items.sort(key=int)  # an intset iterates in numeric order
        return items, "set"
    if kind == b"zset":
        return list(v.members()), "zset"
    raise CommandError(errors.WRONGTYPE)


def _sort(c: Any, argv: list[bytes], readonly: bool) -> Any:
    desc = alpha = False
    limit_start, limit_count = 0, -1
    storekey = None
    sortby = None
    dontsort = False
    gets: list[bytes] = []
    j = 2
    argc = len(argv)
    while j < argc:
        left = argc - j - 1
        o = _opt(argv[j])
        if o == b"asc":
            desc = False
        elif o == b"desc":
            desc = True
        elif o == b"alpha":
            alpha = True
        elif o == b"limit" and left >= 2:
            limit_start = parse_int(argv[j + 1])
            limit_count = parse_int(argv[j + 2])
            j += 2
        elif o == b"store" and left >= 1 and not readonly:
            storekey = argv[j + 1]
            j += 1
        elif o == b"by" and left >= 1:
            sortby = argv[j + 1]
            # A pattern without '*' is constant: nothing to sort by.
            dontsort = b"*" not in _c_str(sortby)
            j += 1
        elif o == b"get" and left >= 1:
            gets.append(argv[j + 1])
            j += 1
        else:
            raise CommandError(errors.SYNTAX)
        j += 1
    db = c.db
    v = db.lookup_read(argv[1])
    items: Any
    if v is None:
        items, kind = [], "list"
    else:
        items, kind = _elements(v, c.server.config)
    if dontsort and kind == "set" and (storekey is not None or c.kind == "lua"):
        # Stored or scripted output must not depend on set order: sort it after all.
        dontsort, alpha, sortby = False, True, None
    n = len(items)
    start = max(limit_start, 0)
    end = n - 1 if limit_count < 0 else start + limit_count - 1
    if start >= n:
        start, end = n - 1, n - 2
    if end >= n:
        end = n - 1
    if dontsort:
        if desc and kind != "set":
            items.reverse()
    elif alpha:
        if sortby is not None:
            keyed = []
            for e in items:
                bv = _by_pattern(db, sortby, e)
                keyed.append((0, b"") if bv is None else (1, bv if storekey is not None else _c_str(bv)))
            order = sorted(range(n), key=keyed.__getitem__, reverse=desc)
            items = [items[i] for i in order]
        else:
            items.sort(key=(None if storekey is not None else _c_str), reverse=desc)
    else:
        scored = []
        bad = False
        for e in items:
            if sortby is not None:
                bv = _by_pattern(db, sortby, e)
                score = 0.0 if bv is None else sort_score(bv)
            else:
                score = sort_score(e)
            if score is None or score != score:
                bad = True
                score = 0.0
            scored.append((score, e))
        scored.sort(reverse=desc)
        if bad:
            raise CommandError(errors.SORT_NOT_DOUBLE)
        items = [e for _, e in scored]
    chosen = items[start:end + 1] if end >= start else []
    if storekey is None:
        if not gets:
            return chosen
        return [_by_pattern(db, g, e) for e in chosen for g in gets]
    out: list[bytes] = []
    if not gets:
        out = chosen
    else:
        for e in chosen:
            for g in gets:
                got = _by_pattern(db, g, e)
                out.append(b"" if got is None else got)
    server = c.server
    if out:
        from ..datatypes.containers import List

        db.set(storekey, List(out))
        server.notify(db, "l", b"sortstore", storekey)
        server.dirty += len(out)
    elif db.delete(storekey):
        server.notify(db, "g", b"del", storekey)
        server.dirty += 1
    return len(out)


@command("sort", -2, "write denyoom movablekeys", keys=(1, 1, 1), group=GEN, since="1.0.0",
         acl="@set @sortedset @list @dangerous -@keyspace", getkeys=_sort_keys,
         summary="Sort the elements in a list, set or sorted set",
         complexity="O(N+M*log(M)) where N is the number of elements in the list or set to sort, "
                    "and M the number of returned elements.")
def sort(c: Any, argv: list[bytes]) -> Any:
    return _sort(c, argv, False)


@command("sort_ro", -2, "readonly movablekeys", keys=(1, 1, 1), group=GEN, since="7.0.0",
         acl="@set @sortedset @list @dangerous -@keyspace",
         summary="Sort the elements in a list, set or sorted set. Read-only variant of SORT.",
         complexity="O(N+M*log(M)) where N is the number of elements in the list or set to sort, "
                    "and M the number of returned elements.")
def sort_ro(c: Any, argv: list[bytes]) -> Any:
    return _sort(c, argv, True)


# --- WAIT ---------------------------------------------------------------------------------------


@command("wait", 3, "noscript", group=GEN, since="3.0.0", acl="@connection -@keyspace",
         tips="request_policy:all_shards response_policy:agg_min",
         summary="Wait for the synchronous replication of all the write commands sent in the "
                 "context of the current connection")
def wait(c: Any, argv: list[bytes]) -> Any:
    numreplicas = parse_int(argv[1])
    timeout = parse_int(argv[2], errors.TIMEOUT_NOT_INTEGER)
    if timeout < 0:
        raise CommandError(errors.TIMEOUT_NEGATIVE)
    # A standalone server has no replica to acknowledge anything: the answer
    # is 0 at once when that is enough (or inside MULTI), else after the
    # timeout (0 = never), as Redis does.
    from ..keyspace import blocking

    if numreplicas <= 0 or not blocking.may_block(c):
        return 0
    return blocking.block(c, (), timeout, lambda key: None, null=0)
