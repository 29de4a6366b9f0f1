"""Hash commands: HSET ... HSCAN.

Rules of this module:

* A hash is a ``containers.Hash`` (a dict: insertion order, which is also the
  order of a listpack-encoded Redis hash).
* Encoding stickiness follows Redis 7.0: HSET/HMSET/HSETNX check every
  field and value length against hash-max-listpack-value before writing
  (hashTypeTryConversion), HINCRBY/HINCRBYFLOAT check what they store, and
  any write that leaves more than hash-max-listpack-entries fields converts.
* The key goes with its last field (``del`` after ``hdel``); in-place
  changes call ``db.modified``; events are ``hset hdel hincrby hincrbyfloat``.
* HINCRBYFLOAT computes in x87 80-bit long double as Redis does, exactly
  (rationals rounded to a 64-bit significand), and prints ``%.17Lf`` with
  trailing zeros removed, so results agree with Redis digit for digit.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from typing import Any

from .. import errors
from ..datatypes.containers import Hash, parse_cursor, parse_scan_options, random_distinct, random_member, scan_step
from ..datatypes.zset import scan_number
from ..errors import CommandError
from ..persistence import propagate
from ..protocol.writer import OK
from .args import LLONG_MAX, LLONG_MIN, parse_int
from .registry import command

HASH = "hash"


def read_hash(c: Any, key: bytes) -> Hash | None:
    """A hash for a read command (counts keyspace hits/misses); WRONGTYPE otherwise."""
    return c.db.read_typed(key, Hash)



def write_hash(c: Any, key: bytes, create: bool) -> Hash | None:
    """hashTypeLookupWriteOrCreate: WRONGTYPE for other types; a new hash if asked."""
    db = c.db
    v = db.write_typed(key, Hash)
    if v is None:
        if not create:
            return None
        v = Hash()
        db.set(key, v)
        return v
    db.touched(key)
    return v


# --- set / get -------------------------------------------------------------------------


def _hset(c: Any, argv: list[bytes]) -> int:
    if len(argv) % 2:
        raise errors.wrong_arity(argv[0].decode("latin-1").lower())
    key = argv[1]
    h = write_hash(c, key, True)
    assert h is not None
    h.note_sizes(c.server.config, argv[2:])
    n = len(h)
    pool = h.pool
    for i in range(2, len(argv), 2):
        f = argv[i]
        if pool is not None and f not in h:
            pool.append(f)
        h[f] = argv[i + 1]
    h.note_count(c.server.config)
    c.server.dirty += (len(argv) - 2) // 2
    c.server.notify(c.db, "h", b"hset", key)
    return len(h) - n


@command("hset", -4, "write denyoom fast", keys=(1, 1, 1), group=HASH, since="2.0.0",
         summary="Set the string value of a hash field",
         complexity="O(1) for each field/value pair added, so O(N) to add N field/value pairs when the "
                    "command is called with multiple field/value pairs.")
def hset(c: Any, argv: list[bytes]) -> Any:
    return _hset(c, argv)


@command("hmset", -4, "write denyoom fast", keys=(1, 1, 1), group=HASH, since="2.0.0",
         summary="Set multiple hash fields to multiple values",
         complexity="O(N) where N is the number of fields being set.")
def hmset(c: Any, argv: list[bytes]) -> Any:
    _hset(c, argv)
    return OK


@command("hsetnx", 4, "write denyoom fast", keys=(1, 1, 1), group=HASH, since="2.0.0",
         summary="Set the value of a hash field, only if the field does not exist",
         complexity="O(1)")
def hsetnx(c: Any, argv: list[bytes]) -> Any:
    key, f = argv[1], argv[2]
    h = write_hash(c, key, True)
    assert h is not None
    if f in h:
        return 0
    h.note_sizes(c.server.config, argv[2:])
    if h.pool is not None:
        h.pool.append(f)
    h[f] = argv[3]
    h.note_count(c.server.config)
    c.server.dirty += 1
    c.server.notify(c.db, "h", b"hset", key)
    return 1


@command("hget", 3, "readonly fast", keys=(1, 1, 1), group=HASH, since="2.0.0",
         summary="Get the value of a hash field", complexity="O(1)")
def hget(c: Any, argv: list[bytes]) -> Any:
    h = read_hash(c, argv[1])
    return None if h is None else h.get(argv[2])


@command("hmget", -3, "readonly fast", keys=(1, 1, 1), group=HASH, since="2.0.0",
         summary="Get the values of all the given hash fields",
         complexity="O(N) where N is the number of fields being requested.")
def hmget(c: Any, argv: list[bytes]) -> Any:
    h = read_hash(c, argv[1])
    if h is None:
        return [None] * (len(argv) - 2)
    get = h.get
    return [get(f) for f in argv[2:]]


@command("hdel", -3, "write fast", keys=(1, 1, 1), group=HASH, since="2.0.0",
         summary="Delete one or more hash fields",
         complexity="O(N) where N is the number of fields to be removed.")
def hdel(c: Any, argv: list[bytes]) -> Any:
    db = c.db
    key = argv[1]
    h = db.lookup(key)
    if h is None:
        return 0
    if type(h) is not Hash:
        raise CommandError(errors.WRONGTYPE)
    n = 0
    for f in argv[2:]:
        if h.pop(f, None) is not None:
            n += 1
            if not h:
                break
    if n:
        c.server.dirty += n
        c.server.notify(db, "h", b"hdel", key)
        if h:
            db.touched(key)
        else:
            db.delete(key)
            c.server.notify(db, "g", b"del", key)
    return n


@command("hlen", 2, "readonly fast", keys=(1, 1, 1), group=HASH, since="2.0.0",
         summary="Get the number of fields in a hash", complexity="O(1)")
def hlen(c: Any, argv: list[bytes]) -> Any:
    h = read_hash(c, argv[1])
    return 0 if h is None else len(h)


@command("hstrlen", 3, "readonly fast", keys=(1, 1, 1), group=HASH, since="3.2.0",
         summary="Get the length of the value of a hash field", complexity="O(1)")
def hstrlen(c: Any, argv: list[bytes]) -> Any:
    h = read_hash(c, argv[1])
    if h is None:
        return 0
    v = h.get(argv[2])
    return 0 if v is None else len(v)


@command("hexists", 3, "readonly fast", keys=(1, 1, 1), group=HASH, since="2.0.0",
         summary="Determine if a hash field exists", complexity="O(1)")
def hexists(c: Any, argv: list[bytes]) -> Any:
    h = read_hash(c, argv[1])
    return 0 if h is None else int(argv[2] in h)


@command("hkeys", 2, "readonly", keys=(1, 1, 1), group=HASH, since="2.0.0",
         tips="nondeterministic_output_order",
         summary="Get all the fields in a hash", complexity="O(N) where N is the size of the hash.")
def hkeys(c: Any, argv: list[bytes]) -> Any:
    h = read_hash(c, argv[1])
    return [] if h is None else list(h)


@command("hvals", 2, "readonly", keys=(1, 1, 1), group=HASH, since="2.0.0",
         tips="nondeterministic_output_order",
         summary="Get all the values in a hash", complexity="O(N) where N is the size of the hash.")
def hvals(c: Any, argv: list[bytes]) -> Any:
    h = read_hash(c, argv[1])
    return [] if h is None else list(h.values())


@command("hgetall", 2, "readonly", keys=(1, 1, 1), group=HASH, since="2.0.0",
         tips="nondeterministic_output_order",
         summary="Get all the fields and values in a hash", complexity="O(N) where N is the size of the hash.")
def hgetall(c: Any, argv: list[bytes]) -> Any:
    h = read_hash(c, argv[1])
    # A copy: inside EXEC the reply is encoded after later commands have run.
    return {} if h is None else dict(h)


# --- increments --------------------------------------------------------------------------


@command("hincrby", 4, "write denyoom fast", keys=(1, 1, 1), group=HASH, since="2.0.0",
         summary="Increment the integer value of a hash field by the given number", complexity="O(1)")
def hincrby(c: Any, argv: list[bytes]) -> Any:
    incr = parse_int(argv[3])
    key, f = argv[1], argv[2]
    h = write_hash(c, key, True)
    assert h is not None
    cur = h.get(f)
    value = 0 if cur is None else parse_int(cur, errors.HASH_NOT_INTEGER)
    new = value + incr
    if new < LLONG_MIN or new > LLONG_MAX:
        raise CommandError(errors.OVERFLOW)
    out = b"%d" % new
    _store(c, h, f, out)
    c.server.dirty += 1
    c.server.notify(c.db, "h", b"hincrby", key)
    return new


def _store(c: Any, h: Hash, f: bytes, v: bytes) -> None:
    # hashTypeSet: a long field or value converts the listpack before adding.
    h.note_sizes(c.server.config, (f, v))
    if f not in h and h.pool is not None:
        h.pool.append(f)
    h[f] = v
    h.note_count(c.server.config)


@command("hincrbyfloat", 4, "write denyoom fast", keys=(1, 1, 1), group=HASH, since="2.6.0",
         summary="Increment the float value of a hash field by the given amount", complexity="O(1)")
def hincrbyfloat(c: Any, argv: list[bytes]) -> Any:
    incr = strtold(argv[3])
    if incr is None:
        raise CommandError(errors.NOT_FLOAT)
    if not isinstance(incr, Fraction):
        raise CommandError(errors.INCR_NAN_OR_INF)
    key, f = argv[1], argv[2]
    h = write_hash(c, key, True)
    assert h is not None
    cur = h.get(f)
    if cur is None:
        value: Any = Fraction(0)
    else:
        value = strtold(cur)
        if value is None:
            raise CommandError(errors.HASH_NOT_FLOAT)
        if not isinstance(value, Fraction):
            raise CommandError(errors.INCR_WOULD_BE_NAN_OR_INF)
    total = round_long_double(value + incr)
    if total is None:
        raise CommandError(errors.INCR_WOULD_BE_NAN_OR_INF)
    out = format_long_double(total)
    _store(c, h, f, out)
    c.server.dirty += 1
    c.server.notify(c.db, "h", b"hincrbyfloat", key)
    propagate.rewrite(c, [b"HSET", key, f, out])  # the result, not the float arithmetic
    return out


# x87 extended precision: 64-bit significand, exponents as below.
_LD_MANT = 64
_LD_MIN_EXP = -16382  # smallest normal is 2**-16382
_LD_MAX = (2**_LD_MANT - 1) * Fraction(2) ** (16384 - _LD_MANT)
_HEXNUM = re.compile(rb"([+-]?)0[xX]([0-9a-fA-F]*)(?:\.([0-9a-fA-F]*))?(?:[pP]([+-]?[0-9]+))?")


def round_long_double(x: Fraction) -> Fraction | None:
    """Round an exact rational to the nearest long double (ties to even); None on overflow."""
    if x == 0:
        return Fraction(0)
    a = abs(x)
    e = a.numerator.bit_length() - a.denominator.bit_length()
    if (a.numerator << max(0, -e)) < (a.denominator << max(0, e)):
        e -= 1  # now 2**e <= a < 2**(e+1)
    q = max(e - (_LD_MANT - 1), _LD_MIN_EXP - (_LD_MANT - 1))
    scaled = a / (Fraction(2) ** q)
    r = round(scaled) * Fraction(2) ** q
    if r > _LD_MAX:
        return None
    return r if x > 0 else -r


def strtold(b: bytes) -> Fraction | float | None:
    """string2ld: the long double in ``b`` (exact), ``inf``/``-inf`` as floats, None if invalid."""
    if not b or len(b) >= 5 * 1024 or b[0] in b" \t\n\v\f\r":
        return None
    kind, text, end = scan_number(b)
    if not kind or end != len(b) or kind == "nan":
        return None
    if kind == "inf":
        return float("-inf") if text[:1] == b"-" else float("inf")
    if kind == "hex":
        m = _HEXNUM.fullmatch(text)
        assert m is not None
        sign, whole, frac, exp = m.groups()
        frac = frac or b""
        mant = int((whole + frac) or b"0", 16)
        e = int(exp or b"0") - 4 * len(frac)
        if mant and abs(e) > 20000:
            return None  # far outside the long double range: ERANGE
        exact = Fraction(mant) * Fraction(2) ** e
        if sign == b"-":
            exact = -exact
    else:
        try:
            d = Decimal(text.decode())
        except InvalidOperation:
            return None
        if d and not -4960 < d.adjusted() < 4940:
            return None  # ERANGE (overflow, or underflow to zero)
        exact = Fraction(d)
    if exact == 0:
        return Fraction(0)
    r = round_long_double(exact)
    if r is None or r == 0:
        return None  # overflow to HUGE_VAL, or underflow to zero: ERANGE
    return r


_CHUNK = 10**1000


def _decimal(n: int) -> bytes:
    # Python refuses int -> str past 4300 digits; a long double has up to 4933.
    if n < _CHUNK:
        return b"%d" % n
    parts = []
    while n >= _CHUNK:
        n, r = divmod(n, _CHUNK)
        parts.append(b"%01000d" % r)
    parts.append(b"%d" % n)
    return b"".join(reversed(parts))


def format_long_double(x: Fraction) -> bytes:
    """``%.17Lf`` with trailing zeros (and a bare point) removed; "-0" becomes "0"."""
    neg = x < 0
    n = round(abs(x) * 10**17)  # printf rounds the exact binary value, ties to even
    digits = _decimal(n).rjust(18, b"0")
    s = digits[:-17] + b"." + digits[-17:]
    s = s.rstrip(b"0").rstrip(b".")
    if neg and s != b"0":
        s = b"-" + s
    return s


# --- random fields, scan -------------------------------------------------------------------


@command("hrandfield", -2, "readonly", keys=(1, 1, 1), group=HASH, since="6.2.0",
         tips="nondeterministic_output",
         summary="Get one or multiple random fields from a hash",
         complexity="O(N) where N is the number of fields returned")
def hrandfield(c: Any, argv: list[bytes]) -> Any:
    if len(argv) == 2:
        h = read_hash(c, argv[1])
        return None if h is None else random_member(h)
    count = parse_random_count(argv[2])
    withvalues = False
    if len(argv) > 4 or (len(argv) == 4 and argv[3].lower() != b"withvalues"):
        raise CommandError(errors.SYNTAX)
    if len(argv) == 4:
        withvalues = True
        if not -(LLONG_MAX // 2) <= count <= LLONG_MAX // 2:
            raise CommandError(errors.VALUE_OUT_OF_RANGE)
    h = read_hash(c, argv[1])
    if h is None or count == 0:
        return []
    if count < 0:
        fields = [random_member(h) for _ in range(-count)]
    elif count >= len(h):
        fields = list(h)
    else:
        fields = random_distinct(h, count)
    if not withvalues:
        return fields
    if c.resp3:
        return [[f, h[f]] for f in fields]
    out = []
    for f in fields:
        out.append(f)
        out.append(h[f])
    return out


def parse_random_count(b: bytes) -> int:
    """HRANDFIELD/SRANDMEMBER/ZRANDMEMBER count: -LONG_MAX..LONG_MAX."""
    n = parse_int(b)
    if n == LLONG_MIN:
        raise CommandError(errors.RANDOM_COUNT_RANGE)
    return n


@command("hscan", -3, "readonly", keys=(1, 1, 1), group=HASH, since="2.8.0", tips="nondeterministic_output",
         summary="Incrementally iterate hash fields and associated values",
         complexity="O(1) for every call. O(N) for a complete iteration, including enough command calls for "
                    "the cursor to return back to 0. N is the number of elements inside the collection..")
def hscan(c: Any, argv: list[bytes]) -> Any:
    cursor = parse_cursor(argv[2])
    h = read_hash(c, argv[1])
    if h is None:
        return [b"0", []]
    count, match = parse_scan_options(argv)
    if h.encoding(c.server.config) == b"listpack":
        cursor, fields = 0, list(h)
    else:
        cursor, fields = scan_step(h, cursor, count)
    out = []
    for f in fields:
        if match is None or match(f):
            out.append(f)
            out.append(h[f])
    return [b"%d" % cursor, out]
