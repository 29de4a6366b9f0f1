"""Argument decoding shared by handlers, with Redis's exact errors.

Redis parses numbers strictly (string2ll / strtold rules): no spaces, no
``+`` sign, no leading zeros for integers; ``inf``/``nan`` spellings for floats
as strtold accepts them.  These helpers raise the right ``CommandError``.
"""

from __future__ import annotations

import math
import re

from .. import errors
from ..errors import CommandError

_INT = re.compile(rb"-?[1-9][0-9]{0,18}|0")
_FLOAT = re.compile(rb"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
LLONG_MIN = -(2**63)
LLONG_MAX = 2**63 - 1


def parse_int(b: bytes, msg: str = errors.NOT_INTEGER) -> int:
    """string2ll: a strict signed 64-bit integer, else ``msg``."""
    # The common case without the regex: 1-18 ASCII digits, no leading zero.
    if b.isdigit() and len(b) < 19 and (b[0] != 48 or len(b) == 1):
        return int(b)
    if _INT.fullmatch(b) is not None:
        v = int(b)
        if LLONG_MIN <= v <= LLONG_MAX:
            return v
    raise CommandError(msg)


def try_int(b: bytes) -> int | None:
    """string2ll without raising (for encodings and type sniffing)."""
    if b.isdigit() and len(b) < 19 and (b[0] != 48 or len(b) == 1):
        return int(b)
    if _INT.fullmatch(b) is not None:
        v = int(b)
        if LLONG_MIN <= v <= LLONG_MAX:
            return v
    return None


def parse_float(b: bytes, msg: str = errors.NOT_FLOAT, allow_nan: bool = False) -> float:
    """strtold as Redis uses it: decimal or inf/infinity with sign; no spaces."""
    if _FLOAT.fullmatch(b) is not None:
        v = float(b)
        if not math.isinf(v):
            return v
        raise CommandError(msg)
    low = b.lower()
    if low in (b"inf", b"+inf", b"infinity", b"+infinity"):
        return math.inf
    if low in (b"-inf", b"-infinity"):
        return -math.inf
    if allow_nan and low in (b"nan", b"+nan", b"-nan"):
        return math.nan
    raise CommandError(msg)


def parse_timeout(b: bytes) -> float:
    """Blocking-command timeout in seconds (float), Redis's errors."""
    try:
        v = parse_float(b, errors.TIMEOUT_NOT_FLOAT)
    except CommandError:
        raise CommandError(errors.TIMEOUT_NOT_FLOAT) from None
    if v < 0:
        raise CommandError(errors.TIMEOUT_NEGATIVE)
    if math.isinf(v):
        raise CommandError(errors.TIMEOUT_NOT_FLOAT)
    return v
