"""HyperLogLog commands: PFADD, PFCOUNT, PFMERGE, PFDEBUG, PFSELFTEST.

Rules of this module:

* An HLL is a string (``datatypes.hll`` has the format and the algorithms);
  any string key is accepted if it passes Redis's checks (isHLLObjectOrReply:
  "HYLL" magic, known encoding, exact dense length), else
  ``WRONGTYPE Key is not a valid HyperLogLog string value.``; a value that
  passes but whose registers can't be read is ``INVALIDOBJ``.
* Values are changed in place (``strings.unshare`` makes them a bytearray, as
  Redis's dbUnshareStringValue makes them raw), including by PFCOUNT, which
  stores the cardinality it computed in the header.
* Lookups, events and dirty counts are pfaddCommand's and friends': PFADD
  looks up for writing, PFCOUNT and PFMERGE's sources for reading (hits,
  misses, "keymiss"); PFADD and PFMERGE emit "pfadd" (PFMERGE too, as Redis);
  PFADD adds one to dirty per register raised (plus one for a new key),
  PFCOUNT one when it refreshes the cache, PFDEBUG one per conversion.
* On an INVALIDOBJ in the middle of a PFADD the registers already raised stay
  raised, with no event, no dirty count and no cache invalidation: Redis
  leaves the value that way too.
"""

from __future__ import annotations

import math
import random
from typing import Any

from .. import errors
from ..datatypes import hll
from ..errors import CommandError
from ..protocol.writer import OK, Status
from .registry import command
from .strings import unshare

HLL = "hyperloglog"


def _check(v: Any) -> None:
    t = type(v)
    if t is not bytes and t is not bytearray:
        raise CommandError(errors.WRONGTYPE)
    if not hll.is_hll(v):
        raise CommandError(errors.HLL_WRONGTYPE)


def _max_bytes(c: Any) -> int:
    return c.server.config["hll-sparse-max-bytes"]


@command("pfadd", -2, "write denyoom fast", keys=(1, 1, 1), group=HLL, since="2.8.9",
         summary="Adds the specified elements to the specified HyperLogLog.",
         complexity="O(1) to add every element.")
def pfadd(c: Any, argv: list[bytes]) -> Any:
    key = argv[1]
    db = c.db
    v = db.lookup(key)
    created = v is None
    if created:
        ba = hll.new()
        db.set(key, ba)
    else:
        _check(v)
        ba = v if type(v) is bytearray else unshare(db, key, v)
    try:
        updated = hll.add(ba, argv[2:], _max_bytes(c)) if len(argv) > 2 else 0
    except hll.Corrupted:
        raise CommandError(errors.HLL_INVALID) from None
    if created:
        updated += 1
    elif updated:
        db.touched(key)
    if updated:
        ba[15] |= 0x80  # HLL_INVALIDATE_CACHE
        server = c.server
        server.dirty += updated
        if server.notify_flags:
            server.notify(db, "$", b"pfadd", key)
        return 1
    return 0


@command("pfcount", -2, "readonly may_replicate", keys=(1, -1, 1), group=HLL, since="2.8.9",
         summary="Return the approximated cardinality of the set(s) observed by the HyperLogLog at key(s).",
         complexity="O(1) with a very small average constant time when called with a single key. O(N) with N "
                    "being the number of keys, and much bigger constant times, when called with multiple keys.")
def pfcount(c: Any, argv: list[bytes]) -> Any:
    db = c.db
    if len(argv) > 2:
        # The union, in a temporary register array: the keys are not touched.
        regs = None
        for key in argv[1:]:
            v = db.lookup_read(key)
            if v is None:
                continue
            _check(v)
            try:
                r = hll.registers(v)
            except hll.Corrupted:
                raise CommandError(errors.HLL_INVALID) from None
            regs = r if regs is None else hll.max_registers(regs, r)
        return hll.count_registers(regs) if regs is not None else 0
    key = argv[1]
    v = db.lookup_read(key)
    if v is None:
        return 0
    _check(v)
    ba = v if type(v) is bytearray else unshare(db, key, v)
    if not ba[15] & 0x80:
        return int.from_bytes(ba[8:16], "little")
    try:
        card = hll.count(ba)
    except hll.Corrupted:
        raise CommandError(errors.HLL_INVALID) from None
    hll.set_cached(ba, card)
    # A read-only command that changed the value: Redis signals and propagates it.
    db.touched(key)
    c.server.dirty += 1
    return card


@command("pfmerge", -2, "write denyoom", keys=(1, -1, 1), group=HLL, since="2.8.9",
         summary="Merge N different HyperLogLogs into a single one.",
         complexity="O(N) to merge N HyperLogLogs, but with high constant times.")
def pfmerge(c: Any, argv: list[bytes]) -> Any:
    db = c.db
    regs = None
    use_dense = False
    for key in argv[1:]:  # the destination is a source too
        v = db.lookup_read(key)
        if v is None:
            continue
        _check(v)
        if v[4] == hll.DENSE:
            use_dense = True
        try:
            r = hll.registers(v)
        except hll.Corrupted:
            raise CommandError(errors.HLL_INVALID) from None
        regs = r if regs is None else hll.max_registers(regs, r)
    dest = argv[1]
    v = db.lookup(dest)
    if v is None:
        ba = hll.new()
        db.set(dest, ba)
    else:
        ba = v if type(v) is bytearray else unshare(db, dest, v)
    try:
        hll.merge_into(ba, regs if regs is not None else bytes(hll.REGISTERS), use_dense, _max_bytes(c))
    except hll.Corrupted:
        raise CommandError(errors.HLL_INVALID) from None
    db.touched(dest)
    server = c.server
    server.notify(db, "$", b"pfadd", dest)  # Redis announces PFMERGE as "pfadd"
    server.dirty += 1
    return OK


@command("pfdebug", 3, "write denyoom admin", keys=(2, 2, 1), group=HLL, since="2.8.9",
         summary="Internal commands for debugging HyperLogLog values", complexity="N/A")
def pfdebug(c: Any, argv: list[bytes]) -> Any:
    db = c.db
    key = argv[2]
    v = db.lookup(key)
    if v is None:
        raise CommandError(errors.PFDEBUG_NO_KEY)
    _check(v)
    ba = v if type(v) is bytearray else unshare(db, key, v)
    sub = argv[1].lower()
    if sub == b"getreg":
        if _to_dense(ba):
            c.server.dirty += 1
        return list(hll.dense_registers(ba))
    if sub == b"decode":
        if ba[4] != hll.SPARSE:
            raise CommandError(errors.PFDEBUG_NOT_SPARSE)
        return hll.decode(ba)
    if sub == b"encoding":
        return Status("dense" if ba[4] == hll.DENSE else "sparse")
    if sub == b"todense":
        if _to_dense(ba):
            c.server.dirty += 1
            return 1
        return 0
    raise errors.pfdebug_unknown(argv[1])


def _to_dense(ba: bytearray) -> bool:
    try:
        return hll.to_dense(ba)
    except hll.Corrupted:
        raise CommandError(errors.HLL_INVALID) from None


# PFSELFTEST runs Redis's two checks, scaled to what Python does in well under
# a second: register access on random values (through the single-register
# and the 4-at-a-time paths), then sparse and dense HLLs fed the same
# elements, compared with each other and with the true count at powers of ten.
_SELFTEST_CYCLES = 4
_SELFTEST_ELEMENTS = 100000


@command("pfselftest", 1, "admin", group=HLL, since="2.8.9",
         summary="An internal command for testing HyperLogLog values", complexity="N/A")
def pfselftest(c: Any, argv: list[bytes]) -> Any:
    rng = random.Random()
    for _ in range(_SELFTEST_CYCLES):
        values = bytes(rng.getrandbits(6) for _ in range(hll.REGISTERS))
        dense = bytearray(hll.DENSE_SIZE)
        for i, r in enumerate(values):
            hll.dense_set(dense, i, r)
        packed = hll.pack_dense(values)
        got = hll.dense_registers(dense)
        for i in range(hll.REGISTERS):
            if got[i] != values[i] or hll.dense_get(dense, i) != values[i]:
                raise CommandError("ERR TESTFAILED Register %d should be %d but is %d"
                                   % (i, values[i], hll.dense_get(dense, i)))
        if dense[hll.HDR:] != packed:
            raise CommandError("ERR TESTFAILED packed registers differ")
    dense = bytearray(hll.DENSE_SIZE)
    dense[:5] = b"HYLL\x00"
    sparse = hll.new()
    max_bytes = _max_bytes(c)
    relerr = 1.04 / hll.REGISTERS ** 0.5
    checkpoint = 1
    seed = rng.getrandbits(64)
    for j in range(1, _SELFTEST_ELEMENTS + 1):
        ele = ((j ^ seed) & 0xFFFFFFFFFFFFFFFF).to_bytes(8, "little")
        hll.add(dense, (ele,), max_bytes)
        hll.add(sparse, (ele,), max_bytes)
        if j != checkpoint:
            continue
        if j < max_bytes / 2 and sparse[4] != hll.SPARSE:
            raise CommandError("ERR TESTFAILED sparse encoding not used")
        card = hll.count(dense)
        if card != hll.count(sparse):
            raise CommandError("ERR TESTFAILED dense/sparse disagree")
        maxerr = 1 if j == 10 else math.ceil(relerr * 6 * checkpoint)
        if abs(checkpoint - card) > maxerr:
            raise CommandError("ERR TESTFAILED Too big error. card:%d abserr:%d" % (checkpoint, abs(checkpoint - card)))
        checkpoint *= 10
    return OK
