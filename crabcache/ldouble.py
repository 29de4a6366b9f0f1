"""Redis's long double arithmetic (INCRBYFLOAT, HINCRBYFLOAT), bit for bit.

Redis 7.0 parses with ``string2ld`` (glibc ``strtold``), adds two x87 80-bit
``long double`` values and prints the sum with ``ld2string(LD_STR_HUMAN)``:
``%.17Lf`` with trailing zeros (and a bare '.') removed, and "-0" shown as "0".
Python has no 80-bit float, so values are exact ``Fraction``s rounded to the
x87 format after every step (64-bit significand, round half to even,
exponents down to the 2**-16445 subnormal quantum, overflow to infinity);
the decimal text of such a value is computed exactly and rounded half to
even, as glibc's printf does.

``string2ld`` accepts what ``strtold`` consumes entirely: decimal or hex
(``0x1p3``) numbers, ``inf``/``infinity``, a leading sign; it refuses a
leading space, NaN, an empty string, texts of 5 KiB or more, values that
overflow or underflow to zero, and any text strtold does not read to its very
end (so a NUL byte anywhere makes it invalid).
"""

from __future__ import annotations

import math
import re
from fractions import Fraction

from . import errors
from .errors import CommandError

MAX_LONG_DOUBLE_CHARS = 5 * 1024
_MANT = 64  # x87 extended: explicit 64-bit significand
_EMIN_QUANTUM = -16445  # smallest subnormal is 2**-16445
_OVERFLOW = 1 << 16384  # values at or beyond 2**16384 are infinite

_DEC = re.compile(rb"([+-]?)([0-9]*)(?:\.([0-9]*))?(?:[eE]([+-]?[0-9]+))?")
_HEX = re.compile(rb"([+-]?)0[xX]([0-9a-fA-F]*)(?:\.([0-9a-fA-F]*))?(?:[pP]([+-]?[0-9]+))?")
_INF = re.compile(rb"[+-]?(?:inf|infinity)", re.IGNORECASE)
_SPACE = b" \t\n\v\f\r"

Number = Fraction | float  # float only for +-inf


def round_x87(q: Fraction) -> Number:
    """Round an exact rational to the nearest x87 long double (inf on overflow)."""
    if q == 0:
        return Fraction(0)
    neg = q < 0
    a = -q if neg else q
    num, den = a.numerator, a.denominator
    e = num.bit_length() - den.bit_length()  # 2**e <= a < 2**(e+2)
    if (num << max(0, -e)) < (den << max(0, e)):
        e -= 1
    qe = max(e - (_MANT - 1), _EMIN_QUANTUM)
    scaled = a / Fraction(2) ** qe if qe >= 0 else a * (1 << -qe)
    m = round(scaled)  # Fraction.__round__ rounds half to even
    r = Fraction(m << qe) if qe >= 0 else Fraction(m, 1 << -qe)
    if r >= _OVERFLOW:
        return -math.inf if neg else math.inf
    return -r if neg else r


def string2ld(b: bytes) -> Number | None:
    """The value Redis reads from ``b``, or None where string2ld fails."""
    if not b or len(b) >= MAX_LONG_DOUBLE_CHARS or b[0] in _SPACE:
        return None
    m = _DEC.fullmatch(b)
    if m is not None and (m.group(2) or m.group(3)):
        sign, ip, fp, ex = m.groups()
        digits = ip + (fp or b"")
        exp10 = int(ex or b"0") - len(fp or b"")
        mant = int(digits)
        if mant == 0:
            return Fraction(0)
        # Far outside the x87 range the answer is known without big powers.
        mag = len(digits.lstrip(b"0")) + exp10
        if mag > 4940:
            return None  # overflow: HUGE_VALL with ERANGE
        if mag < -4960:
            return None  # underflow to zero with ERANGE
        q = Fraction(mant) * Fraction(10) ** exp10
        return _finish(q, sign)
    m = _HEX.fullmatch(b)
    if m is not None and (m.group(2) or m.group(3)):
        sign, ip, fp, ex = m.groups()
        digits = ip + (fp or b"")
        exp2 = int(ex or b"0") - 4 * len(fp or b"")
        mant = int(digits, 16)
        if mant == 0:
            return Fraction(0)
        top = mant.bit_length() + exp2
        if top > 16400:
            return None
        if top < -16500:
            return None
        q = Fraction(mant << exp2) if exp2 >= 0 else Fraction(mant, 1 << -exp2)
        return _finish(q, sign)
    if _INF.fullmatch(b) is not None:
        return -math.inf if b[:1] == b"-" else math.inf
    return None


def _finish(q: Fraction, sign: bytes) -> Number | None:
    r = round_x87(q)
    if r == 0 or (isinstance(r, float) and math.isinf(r)):
        return None  # ERANGE with zero or HUGE_VALL: string2ld refuses it
    return -r if sign == b"-" else r


def format_human(v: Fraction) -> bytes:
    """ld2string(LD_STR_HUMAN): ``%.17Lf``, trailing zeros and '.' removed, -0 -> 0."""
    neg = v < 0
    scaled = round(abs(v) * 10**17)  # half to even, like glibc's printf
    ip, fp = divmod(scaled, 10**17)
    text = b"%d" % ip
    frac = (b"%017d" % fp).rstrip(b"0")
    if frac:
        text += b"." + frac
    if neg and text != b"0":
        text = b"-" + text
    return text


def incrbyfloat(old: bytes | None, incr: bytes) -> bytes:
    """The new text of a value after INCRBYFLOAT ``incr``; raises Redis's errors."""
    value = Fraction(0) if old is None else string2ld(old)
    if value is None:
        raise CommandError(errors.NOT_FLOAT)
    delta = string2ld(incr)
    if delta is None:
        raise CommandError(errors.NOT_FLOAT)
    if isinstance(value, float) or isinstance(delta, float):
        raise CommandError(errors.INCR_WOULD_BE_NAN_OR_INF)
    total = round_x87(value + delta)
    if isinstance(total, float):
        raise CommandError(errors.INCR_WOULD_BE_NAN_OR_INF)
    return format_human(total)

