"""FUNCTION libraries: metadata, the registry's rules, and DUMP/RESTORE payloads.

Rules (Redis 7.0 ``functions.c``):

* A library's code starts with ``#!<engine> name=<name>``; the shebang is
  split like a command line (quotes allowed).  Library and function names
  are ``[A-Za-z0-9_]+``.  Library names are case-sensitive; function names
  are unique across libraries ignoring case, and FCALL looks them up that way.
* Loading is all or nothing: a library that fails to compile, raises while
  registering, registers nothing, or collides with another library's function
  leaves the registry as it was.
* A DUMP payload is ``(0xF5 <rdb string: library code>)* <RDB version, 2 bytes LE>
  <CRC-64/Jones, 8 bytes LE>``, the format RDB files use for functions, so
  payloads from Redis restore here and ours restore in Redis.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from .. import errors
from ..errors import CommandError
from ..persistence import rdb
from ..persistence.crc64 import crc64
from ..protocol.reader import split_inline

FLAG_ORDER = ("no-writes", "allow-oom", "allow-stale", "no-cluster", "allow-cross-slot-keys")
NAME_RE = re.compile(rb"[A-Za-z0-9_]+\Z")
BAD_NAME = errors.FUNCTION_BAD_NAME
RDB_VERSION = 10


@dataclass(eq=False)
class Function:
    name: bytes
    library: bytes  # its library's name (not the object: no reference cycle, see engine.flush_functions)
    fn: Any  # the Lua callback (a lupa function of the FUNCTION VM)
    description: bytes | None
    flags: frozenset[str]

    def flag_list(self) -> list[str]:
        return [f for f in FLAG_ORDER if f in self.flags]


@dataclass(eq=False)
class Library:
    name: bytes
    code: bytes
    functions: dict[bytes, Function] = field(default_factory=dict)


def parse_metadata(code: bytes) -> tuple[bytes, bytes, bytes]:
    """(engine, library name, code from the shebang's newline on) or Redis's error."""
    if not code.startswith(b"#!"):
        raise CommandError("ERR Missing library metadata")
    nl = code.find(b"\n")
    if nl < 0:
        raise CommandError("ERR Invalid library metadata")
    parts = split_inline(code[:nl])  # sdssplitargs, as Redis splits the shebang
    if not parts:
        raise CommandError("ERR Invalid library metadata")
    engine = parts[0][2:]
    name = None
    for part in parts[1:]:
        if part[:5].lower() == b"name=":
            if name is not None:
                raise CommandError("ERR Invalid metadata value, name argument was given multiple times")
            name = part[5:]
            continue
        raise CommandError("ERR Invalid metadata value given: %s" % part.decode("latin-1"))
    if name is None:
        raise CommandError("ERR Library name was not given")
    return engine, name, code[nl:]


def valid_name(name: bytes) -> bool:
    return NAME_RE.match(name) is not None


def dump_payload(codes: list[bytes]) -> bytes:
    """FUNCTION DUMP: every library's code as RDB FUNCTION2 records, version, CRC-64."""
    body = b"".join(bytes((rdb.OP_FUNCTION2,)) + rdb.enc_string(code, True) for code in codes)
    body += RDB_VERSION.to_bytes(2, "little")
    return body + crc64(body).to_bytes(8, "little")


def parse_payload(payload: bytes) -> list[bytes]:
    """The library codes in a FUNCTION RESTORE payload, or Redis's error."""
    if not rdb.verify_payload(payload):
        raise CommandError("ERR DUMP payload version or checksum are wrong")
    r = rdb.Reader(payload, 0, len(payload) - 10)
    codes = []
    try:
        while r.p < r.n:
            op = r.byte()
            if op == rdb.OP_FUNCTION_PRE_GA:
                raise CommandError("ERR Pre-GA function format not supported")
            if op != rdb.OP_FUNCTION2:
                raise CommandError("ERR given type is not a function")
            codes.append(r.string())
    except rdb.RDBError:
        raise CommandError("ERR Failed loading library payload") from None
    return codes
