"""String commands.  (Skeleton: GET, SET, INCR, MSET; the full family lands with issue 3.)"""

from __future__ import annotations

from typing import Any

from .. import errors
from ..errors import CommandError
from ..protocol.writer import OK
from .args import LLONG_MAX, LLONG_MIN, parse_int
from .registry import command

STR = "string"


def get_string(c: Any, key: bytes) -> Any:
    """The string at ``key`` (None if absent); WRONGTYPE for other types."""
    v = c.db.lookup(key)
    if v is None:
        c.server.stats.keyspace_misses += 1
        return None
    c.server.stats.keyspace_hits += 1
    t = type(v)
    if t is bytes or t is bytearray:
        return v
    raise CommandError(errors.WRONGTYPE)


@command("get", 2, "readonly fast", keys=(1, 1, 1), group=STR)
def get(c: Any, argv: list[bytes]) -> Any:
    v = get_string(c, argv[1])
    return bytes(v) if type(v) is bytearray else v


@command("set", -3, "write denyoom", keys=(1, 1, 1), group=STR)
def set_(c: Any, argv: list[bytes]) -> Any:
    if len(argv) > 3:
        raise CommandError(errors.SYNTAX)
    db = c.db
    key = argv[1]
    db.set(key, argv[2])
    c.server.dirty += 1
    c.server.notify(db, "$", b"set", key)
    return OK


@command("incr", 2, "write denyoom fast", keys=(1, 1, 1), group=STR)
def incr(c: Any, argv: list[bytes]) -> Any:
    db = c.db
    key = argv[1]
    v = get_string(c, key)
    n = 0 if v is None else parse_int(bytes(v))
    if n == LLONG_MAX:
        raise CommandError(errors.OVERFLOW)
    n += 1
    db.set(key, b"%d" % n, keep_ttl=True)
    c.server.dirty += 1
    c.server.notify(db, "$", b"incrby", key)
    return n


@command("mset", -3, "write denyoom", keys=(1, -1, 2), group=STR, since="1.0.1")
def mset(c: Any, argv: list[bytes]) -> Any:
    if len(argv) % 2 == 0:
        raise errors.wrong_arity("mset")
    db = c.db
    for i in range(1, len(argv), 2):
        db.set(argv[i], argv[i + 1])
        c.server.notify(db, "$", b"set", argv[i])
    c.server.dirty += len(argv) // 2
    return OK
