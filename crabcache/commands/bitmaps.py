"""Bitmap commands: SETBIT, GETBIT, BITCOUNT, BITPOS, BITOP, BITFIELD, BITFIELD_RO.

Rules of this module:

* A bitmap is a string; bit 0 is the most significant bit of byte 0.
* Writes grow the string with zero bytes as needed and change it in place
  (``strings.unshare`` turns it into a bytearray once), so setting a bit in a
  large bitmap never copies it.
* Bulk work (popcount, AND/OR/XOR/NOT, searching for a bit) runs in C through
  ``int.from_bytes`` / ``bytes`` methods, a megabyte at a time for counts.
* Argument checks, range arithmetic and the order of lookups follow Redis
  7.0's code: which error or edge reply a call gets depends on it (BITCOUNT
  looks at the key before its arguments; BITPOS parses the bit first).
* BITFIELD's overflow handling reproduces Redis's C arithmetic on 64-bit
  integers (wrapping where C wraps), not an idealized version of it.
* A write that changes nothing (SETBIT to the bit already there, a BITFIELD
  SET of the same value) is not a change: no event, no dirty count, as Redis.
"""

from __future__ import annotations

from typing import Any

from .. import errors
from ..errors import CommandError
from .args import parse_int
from .registry import command
from .strings import _opt, unshare

BM = "bitmap"
_M64 = (1 << 64) - 1
_CHUNK = 1 << 20


def _s64(x: int) -> int:
    x &= _M64
    return x - (1 << 64) if x >> 63 else x


def bit_offset(c: Any, arg: bytes, hash_ok: bool = False, bits: int = 0) -> int:
    """getBitOffsetFromArgument: a bit offset, or ``#n`` (n * bits) where allowed."""
    use_hash = hash_ok and arg[:1] == b"#"
    off = parse_int(arg[1:] if use_hash else arg, errors.BIT_OFFSET)
    if use_hash:
        off = _s64(off * bits)  # C multiplies in 64 bits
    if off < 0 or (off >> 3) >= c.server.config["proto-max-bulk-len"]:
        raise CommandError(errors.BIT_OFFSET)
    return off


def _string_for_write(c: Any, key: bytes, maxbit: int) -> tuple[bytearray, bool]:
    # lookupStringForBitCommand: the string grown to hold ``maxbit``, and
    # whether it was created or grown (a change even if no bit flips).
    need = (maxbit >> 3) + 1
    db = c.db
    v = db.lookup(key)
    if v is None:
        ba = bytearray(need)
        db.set(key, ba)
        return ba, True
    if type(v) is not bytes and type(v) is not bytearray:
        raise CommandError(errors.WRONGTYPE)
    ba = unshare(db, key, v)
    if len(ba) < need:
        ba.extend(bytes(need - len(ba)))
        return ba, True
    return ba, False


def _read_string(c: Any, key: bytes) -> Any:
    v = c.db.lookup_read(key)
    if v is not None and type(v) is not bytes and type(v) is not bytearray:
        raise CommandError(errors.WRONGTYPE)
    return v


@command("setbit", 4, "write denyoom", keys=(1, 1, 1), group=BM, since="2.2.0",
         summary="Sets or clears the bit at offset in the string value stored at key", complexity="O(1)")
def setbit(c: Any, argv: list[bytes]) -> Any:
    off = bit_offset(c, argv[2])
    on = parse_int(argv[3], errors.BIT_VALUE)
    if on & ~1:
        raise CommandError(errors.BIT_VALUE)
    key = argv[1]
    ba, grown = _string_for_write(c, key, off)
    byte = off >> 3
    mask = 1 << (7 - (off & 7))
    old = 1 if ba[byte] & mask else 0
    if grown or old != on:
        if on:
            ba[byte] |= mask
        else:
            ba[byte] &= ~mask & 0xFF
        db = c.db
        db.modified(key)
        c.server.notify(db, "$", b"setbit", key)
        c.server.dirty += 1
    return old


@command("getbit", 3, "readonly fast", keys=(1, 1, 1), group=BM, since="2.2.0",
         summary="Returns the bit value at offset in the string value stored at key", complexity="O(1)")
def getbit(c: Any, argv: list[bytes]) -> Any:
    off = bit_offset(c, argv[2])
    v = _read_string(c, argv[1])
    if v is None:
        return 0
    byte = off >> 3
    if byte >= len(v):
        return 0
    return 1 if v[byte] & (1 << (7 - (off & 7))) else 0


def popcount(buf: Any, start: int, end: int) -> int:
    """Set bits in ``buf[start:end+1]``."""
    total = 0
    with memoryview(buf) as mv:
        for i in range(start, end + 1, _CHUNK):
            total += int.from_bytes(mv[i:min(i + _CHUNK, end + 1)], "big").bit_count()
    return total


def _bit_mode(arg: bytes) -> bool:
    o = _opt(arg)
    if o == b"bit":
        return True
    if o == b"byte":
        return False
    raise CommandError(errors.SYNTAX)


@command("bitcount", -2, "readonly", keys=(1, 1, 1), group=BM, since="2.6.0",
         summary="Count set bits in a string", complexity="O(N)")
def bitcount(c: Any, argv: list[bytes]) -> Any:
    v = _read_string(c, argv[1])
    if v is None:
        return 0
    n = len(v)
    argc = len(argv)
    first_mask = last_mask = 0
    if argc == 4 or argc == 5:
        start = parse_int(argv[2])
        end = parse_int(argv[3])
        if start < 0 and end < 0 and start > end:
            return 0
        isbit = _bit_mode(argv[4]) if argc == 5 else False
        total = n << 3 if isbit else n
        if start < 0:
            start += total
        if end < 0:
            end += total
        start = max(start, 0)
        end = max(end, 0)
        if end >= total:
            end = total - 1
        if isbit and start <= end:
            # Bits of the edge bytes outside the range, to subtract.
            first_mask = ~((1 << (8 - (start & 7))) - 1) & 0xFF
            last_mask = (1 << (7 - (end & 7))) - 1
            start >>= 3
            end >>= 3
    elif argc == 2:
        start, end = 0, n - 1
    else:
        raise CommandError(errors.SYNTAX)
    if start > end:
        return 0
    count = popcount(v, start, end)
    if first_mask:
        count -= (v[start] & first_mask).bit_count()
    if last_mask:
        count -= (v[end] & last_mask).bit_count()
    return count


@command("bitpos", -3, "readonly", keys=(1, 1, 1), group=BM, since="2.8.7",
         summary="Find first bit set or clear in a string", complexity="O(N)")
def bitpos(c: Any, argv: list[bytes]) -> Any:
    bit = parse_int(argv[2])
    if bit != 0 and bit != 1:
        raise CommandError(errors.BITPOS_BIT)
    v = _read_string(c, argv[1])
    if v is None:
        # A missing key is an endless run of zeros.
        return -1 if bit else 0
    n = len(v)
    argc = len(argv)
    end_given = isbit = False
    if 4 <= argc <= 6:
        start = parse_int(argv[3])
        if argc == 6:
            isbit = _bit_mode(argv[5])
        if argc >= 5:
            end = parse_int(argv[4])
            end_given = True
        else:
            end = n - 1
        total = n << 3 if isbit else n
        if start < 0:
            start += total
        if end < 0:
            end += total
        start = max(start, 0)
        end = max(end, 0)
        if end >= total:
            end = total - 1
    elif argc == 3:
        start, end = 0, n - 1
    else:
        raise CommandError(errors.SYNTAX)
    if start > end:
        return -1
    first_bit, last_bit = (start, end) if isbit else (start << 3, (end << 3) + 7)
    b0, b1 = first_bit >> 3, last_bit >> 3
    chunk = bytearray(v[b0:b1 + 1])
    # Out-of-range bits of the edge bytes take the value we are not looking for.
    head = 0xFF >> (first_bit & 7)
    tail = (0xFF << (7 - (last_bit & 7))) & 0xFF
    if bit:
        chunk[0] &= head
        chunk[-1] &= tail
    else:
        chunk[0] |= ~head & 0xFF
        chunk[-1] |= ~tail & 0xFF
    rest = chunk.lstrip(b"\x00" if bit else b"\xff")
    if rest:
        byte = rest[0] if bit else ~rest[0] & 0xFF
        return (b0 + len(chunk) - len(rest)) * 8 + 8 - byte.bit_length()
    if bit or end_given:
        return -1
    return (b1 + 1) * 8  # no clear bit: the first one past the string


@command("bitop", -4, "write denyoom", keys=(2, -1, 1), group=BM, since="2.6.0",
         summary="Perform bitwise operations between strings", complexity="O(N)")
def bitop(c: Any, argv: list[bytes]) -> Any:
    op = _opt(argv[1])
    if op not in (b"and", b"or", b"xor", b"not"):
        raise CommandError(errors.SYNTAX)
    if op == b"not" and len(argv) != 4:
        raise CommandError(errors.BITOP_NOT_ONE_KEY)
    srcs = []
    for key in argv[3:]:
        v = _read_string(c, key)
        srcs.append(b"" if v is None else v)
    maxlen = max(len(s) for s in srcs)
    db = c.db
    dest = argv[2]
    if maxlen:
        nbits = maxlen * 8
        ints = [int.from_bytes(s, "big") << (8 * (maxlen - len(s))) for s in srcs]
        acc = ints[0]
        if op == b"and":
            for x in ints[1:]:
                acc &= x
        elif op == b"or":
            for x in ints[1:]:
                acc |= x
        elif op == b"xor":
            for x in ints[1:]:
                acc ^= x
        else:
            acc ^= (1 << nbits) - 1
        db.set(dest, bytearray(acc.to_bytes(maxlen, "big")))
        c.server.notify(db, "$", b"set", dest)
        c.server.dirty += 1
    elif db.delete(dest):
        c.server.notify(db, "g", b"del", dest)
        c.server.dirty += 1
    return maxlen


# --- BITFIELD -------------------------------------------------------------------------

_GET, _SET, _INCRBY = 0, 1, 2
_WRAP, _SAT, _FAIL = 0, 1, 2


def _field_type(arg: bytes) -> tuple[bool, int]:
    # getBitfieldTypeFromArgument: 'i' or 'u' (lowercase only) then the width.
    sign = arg[:1]
    if sign != b"i" and sign != b"u":
        raise CommandError(errors.BITFIELD_TYPE)
    rest = arg[1:]
    n = rest.find(b"\0")
    bits = parse_int(rest if n < 0 else rest[:n], errors.BITFIELD_TYPE)
    signed = sign == b"i"
    if bits < 1 or (signed and bits > 64) or (not signed and bits > 63):
        raise CommandError(errors.BITFIELD_TYPE)
    return signed, bits


def get_field(buf: Any, offset: int, bits: int) -> int:
    """The unsigned ``bits``-wide field at bit ``offset`` (zeros past the end)."""
    first = offset >> 3
    last = (offset + bits - 1) >> 3
    raw = buf[first:last + 1] if buf is not None else b""
    x = int.from_bytes(raw, "big") << (8 * (last - first + 1 - len(raw)))
    return (x >> ((last + 1) * 8 - offset - bits)) & ((1 << bits) - 1)


def set_field(ba: bytearray, offset: int, bits: int, value: int) -> None:
    """Store the low ``bits`` of ``value`` at bit ``offset`` (``ba`` is long enough)."""
    first = offset >> 3
    last = (offset + bits - 1) >> 3
    shift = (last + 1) * 8 - offset - bits
    mask = ((1 << bits) - 1) << shift
    x = int.from_bytes(ba[first:last + 1], "big")
    x = (x & ~mask) | ((value << shift) & mask)
    ba[first:last + 1] = x.to_bytes(last - first + 1, "big")


def _signed_of(u: int, bits: int) -> int:
    return u - (1 << bits) if u >> (bits - 1) else u


def _check_unsigned(value: int, incr: int, bits: int, ow: int) -> tuple[bool, int]:
    # checkUnsignedBitfieldOverflow: value is a uint64, incr an int64.
    mx = (1 << bits) - 1
    maxincr = _s64(mx - value)
    minincr = _s64(-value)
    if value > mx or (incr > 0 and incr > maxincr):
        if ow == _WRAP:
            return True, (value + incr) & mx
        return True, mx
    if incr < 0 and incr < minincr:
        if ow == _WRAP:
            return True, (value + incr) & mx
        return True, 0
    return False, 0


def _check_signed(value: int, incr: int, bits: int, ow: int) -> tuple[bool, int]:
    # checkSignedBitfieldOverflow, with its int64 wrap-arounds.
    mx = (1 << 63) - 1 if bits == 64 else (1 << (bits - 1)) - 1
    mn = -mx - 1
    maxincr = _s64(mx - value)
    minincr = _s64(mn - value)
    if value > mx or (bits != 64 and incr > maxincr) or (value >= 0 and incr > 0 and incr > maxincr):
        limit = mx
    elif value < mn or (bits != 64 and incr < minincr) or (value < 0 and incr < 0 and incr < minincr):
        limit = mn
    else:
        return False, 0
    if ow == _WRAP:
        r = (value + incr) & _M64
        if bits < 64:
            r = r | (_M64 << bits) & _M64 if r >> (bits - 1) & 1 else r & ((1 << bits) - 1)
        return True, _s64(r)
    return True, limit


def _bitfield(c: Any, argv: list[bytes], readonly_cmd: bool) -> Any:
    ops: list[tuple[int, int, int, bool, int, int]] = []  # (op, offset, value, signed, bits, overflow)
    ow = _WRAP
    readonly = True
    highest = 0
    j = 2
    argc = len(argv)
    while j < argc:
        rem = argc - j - 1
        sub = _opt(argv[j])
        if sub == b"get" and rem >= 2:
            op = _GET
        elif sub == b"set" and rem >= 3:
            op = _SET
        elif sub == b"incrby" and rem >= 3:
            op = _INCRBY
        elif sub == b"overflow" and rem >= 1:
            kind = _opt(argv[j + 1])
            if kind == b"wrap":
                ow = _WRAP
            elif kind == b"sat":
                ow = _SAT
            elif kind == b"fail":
                ow = _FAIL
            else:
                raise CommandError(errors.BITFIELD_OVERFLOW_TYPE)
            j += 2
            continue
        else:
            raise CommandError(errors.SYNTAX)
        signed, bits = _field_type(argv[j + 1])
        off = bit_offset(c, argv[j + 2], True, bits)
        val = 0
        if op != _GET:
            readonly = False
            highest = max(highest, off + bits - 1)
            val = parse_int(argv[j + 3])
        ops.append((op, off, val, signed, bits, ow))
        j += 4 if op != _GET else 3
    key = argv[1]
    if readonly:
        buf = _read_string(c, key)
        grown = False
    else:
        if readonly_cmd:
            raise CommandError(errors.BITFIELD_RO_GET_ONLY)
        buf, grown = _string_for_write(c, key, highest)
    out: list[Any] = []
    changes = 0
    for op, off, val, signed, bits, ow in ops:
        if op == _GET:
            u = get_field(buf, off, bits)
            out.append(_signed_of(u, bits) if signed else u)
            continue
        old = get_field(buf, off, bits)
        if signed:
            old = _signed_of(old, bits)
            if op == _INCRBY:
                overflow, wrapped = _check_signed(old, val, bits, ow)
                new = wrapped if overflow else old + val
                ret = new
            else:
                overflow, wrapped = _check_signed(val, 0, bits, ow)
                new = wrapped if overflow else val
                ret = old
        else:
            if op == _INCRBY:
                overflow, wrapped = _check_unsigned(old, val, bits, ow)
                new = wrapped if overflow else (old + val) & _M64
                ret = new
            else:
                new = val & _M64
                overflow, wrapped = _check_unsigned(new, 0, bits, ow)
                if overflow:
                    new = wrapped
                ret = old
        if overflow and ow == _FAIL:
            out.append(None)
            continue
        out.append(_s64(ret))
        set_field(buf, off, bits, new)
        if grown or old != new:
            changes += 1
    if changes:
        db = c.db
        db.modified(key)
        c.server.notify(db, "$", b"setbit", key)
        c.server.dirty += changes
    return out


@command("bitfield", -2, "write denyoom", keys=(1, 1, 1), group=BM, since="3.2.0",
         summary="Perform arbitrary bitfield integer operations on strings",
         complexity="O(1) for each subcommand specified")
def bitfield(c: Any, argv: list[bytes]) -> Any:
    return _bitfield(c, argv, False)


@command("bitfield_ro", -2, "readonly fast", keys=(1, 1, 1), group=BM, since="6.0.0",
         summary="Perform arbitrary bitfield integer operations on strings. Read-only variant of BITFIELD",
         complexity="O(1) for each subcommand specified")
def bitfield_ro(c: Any, argv: list[bytes]) -> Any:
    return _bitfield(c, argv, True)
