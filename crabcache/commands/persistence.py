"""Persistence commands: SAVE, BGSAVE, BGREWRITEAOF, DUMP, RESTORE, and DEBUG RELOAD.

Files and the BGSAVE child belong to ``persistence.snapshot``, the AOF and its
rewrite child to ``persistence.aof``; the byte format
to ``persistence.rdb``.  These handlers parse arguments in Redis's order (so
the first error a client sees is Redis's first error) and reply.  DUMP
payloads are Redis's own (RDB value + RDB version + CRC-64), so they move
between CrabCache and real Redis in both directions.
"""

from __future__ import annotations

from typing import Any

from .. import errors
from ..errors import CommandError
from ..persistence import aof, propagate, rdb, snapshot
from ..protocol.writer import OK, Status
from .args import parse_int
from .registry import command

SRV = "server"

BGSAVE_STARTED = Status("Background saving started")
BGSAVE_SCHEDULED = Status("Background saving scheduled")
AOF_STARTED = Status(aof.STARTED)
AOF_SCHEDULED = Status(aof.SCHEDULED)
BGSAVE_IN_PROGRESS = "ERR Background save already in progress"
NOT_IN_MULTI = "ERR Command not allowed inside a transaction"
BARE_ERR = "ERR"
BUSYKEY = "BUSYKEY Target key name already exists."
BAD_PAYLOAD = "ERR DUMP payload version or checksum are wrong"
BAD_DATA = "ERR Bad data format"
BAD_TTL = "ERR Invalid TTL value, must be >= 0"
BAD_IDLETIME = "ERR Invalid IDLETIME value, must be >= 0"
BAD_FREQ = "ERR Invalid FREQ value, must be >= 0 and <= 255"


@command("save", 1, "admin noscript no_async_loading no_multi", group=SRV, summary="Synchronously save the dataset to disk")
def save(c: Any, argv: list[bytes]) -> Any:
    # no_multi commands reach the handler even while queuing: refuse here.
    if c.multi is not None:
        raise CommandError(NOT_IN_MULTI)
    if snapshot.state(c.server).child_pid is not None:
        raise CommandError(BGSAVE_IN_PROGRESS)
    if not snapshot.save(c.server):
        raise CommandError(BARE_ERR)
    return OK


@command("bgsave", -1, "admin noscript no_async_loading", group=SRV, summary="Asynchronously save the dataset to disk")
def bgsave(c: Any, argv: list[bytes]) -> Any:
    # SCHEDULE: while an AOF rewrite runs, start when it is done instead of failing.
    if len(argv) > 1 and (len(argv) != 2 or argv[1].lower() != b"schedule"):
        raise CommandError(errors.SYNTAX)
    st = snapshot.state(c.server)
    if st.child_pid is not None:
        raise CommandError(BGSAVE_IN_PROGRESS)
    if snapshot.other_child(c.server) or c.in_exec:
        # Redis never forks from inside a transaction; the cron starts it next.
        if len(argv) == 2 or c.in_exec:
            st.scheduled = True
            return BGSAVE_SCHEDULED
        raise CommandError(errors.BGSAVE_CHILD_ACTIVE)
    if snapshot.bgsave(c.server):
        return BGSAVE_STARTED
    raise CommandError(BARE_ERR)


@command("bgrewriteaof", 1, "admin noscript no_async_loading", group=SRV, since="1.0.0",
         summary="Asynchronously rewrite the append-only file")
def bgrewriteaof(c: Any, argv: list[bytes]) -> Any:
    server = c.server
    st = aof.state(server)
    if st.child_pid is not None:
        raise CommandError(errors.AOF_REWRITE_IN_PROGRESS)
    if aof.child_active(server) or c.in_exec:
        # A BGSAVE runs (or inside MULTI): the cron starts it when possible.
        st.scheduled = True
        st.consecutive_failures = 0
        return AOF_SCHEDULED
    if aof.rewrite_background(server):
        return AOF_STARTED
    raise CommandError(errors.AOF_REWRITE_FAILED)


@command("dump", 2, "readonly", keys=(1, 1, 1), group="generic", since="2.6.0",
         tips="nondeterministic_output", summary="Return a serialized version of the value stored at the specified key.")
def dump(c: Any, argv: list[bytes]) -> Any:
    v = c.db.lookup(argv[1])
    if v is None:
        c.server.stats.keyspace_misses += 1
        return None
    c.server.stats.keyspace_hits += 1
    cfg = c.server.config
    try:
        return rdb.dump_value(v, cfg["rdbcompression"], rdb.Limits(cfg))
    except rdb.RDBError as e:
        raise CommandError("ERR " + str(e)) from None


@command("restore", -4, "write denyoom", keys=(1, 1, 1), acl="@dangerous", group="generic", since="2.6.0",
         summary="Create a key using the provided serialized value, previously obtained using DUMP.")
def restore(c: Any, argv: list[bytes]) -> Any:
    replace = absttl = False
    idle = freq = -1
    j = 4
    n = len(argv)
    while j < n:
        opt = argv[j].lower()
        more = n - j - 1
        if opt == b"replace":
            replace = True
        elif opt == b"absttl":
            absttl = True
        elif opt == b"idletime" and more >= 1 and freq == -1:
            idle = parse_int(argv[j + 1])
            if idle < 0:
                raise CommandError(BAD_IDLETIME)
            j += 1
        elif opt == b"freq" and more >= 1 and idle == -1:
            freq = parse_int(argv[j + 1])
            if freq < 0 or freq > 255:
                raise CommandError(BAD_FREQ)
            j += 1
        else:
            raise CommandError(errors.SYNTAX)
        j += 1
    db = c.db
    key = argv[1]
    server = c.server
    if not replace and db.lookup(key) is not None:
        raise CommandError(BUSYKEY)
    ttl = parse_int(argv[2])
    if ttl < 0:
        raise CommandError(BAD_TTL)
    try:
        got = rdb.load_value(argv[3], rdb.Limits(server.config))
    except rdb.RDBError:
        raise CommandError(BAD_DATA) from None
    if got is None:
        raise CommandError(BAD_PAYLOAD)
    value = got[1]
    deleted = db.delete(key) if replace else False
    if ttl and not absttl:
        ttl += server.now_ms()
    if ttl and ttl <= server.now_ms():
        # Already expired: the key is not created (and a replaced one is gone).
        if deleted:
            server.dirty += 1
            server.notify(db, "g", b"del", key)
            propagate.rewrite(c, [b"DEL", key])  # DEL whatever lazyfree says, as Redis 7.0.15
        return OK
    db.set(key, value)
    if ttl:
        db.set_expire(key, ttl)
    if idle >= 0 or freq >= 0:
        db.set_access(key, idle, freq)
    server.notify(db, "g", b"restore", key)
    server.dirty += 1
    if ttl and not absttl:  # the AOF gets the absolute time, as Redis 7.0
        propagate.rewrite(c, argv[:2] + [b"%d" % ttl] + argv[3:] + [b"ABSTTL"])
    return OK


def _debug_reload(c: Any, argv: list[bytes]) -> Any:
    # DEBUG RELOAD [MERGE] [NOFLUSH] [NOSAVE]
    save_first = flush = True
    merge = False
    for a in argv[2:]:
        opt = a.lower()
        if opt == b"merge":
            merge = True
        elif opt == b"noflush":
            flush = False
        elif opt == b"nosave":
            save_first = False
        else:
            raise CommandError("ERR DEBUG RELOAD only supports the MERGE, NOFLUSH and NOSAVE options.")
    err = snapshot.debug_reload(c.server, save_first, flush, merge)
    if err is not None:
        raise CommandError(err)
    return OK


def _setup(server: Any) -> None:
    server.hooks["debug_reload"] = _debug_reload


snapshot.SETUP.append(_setup)
