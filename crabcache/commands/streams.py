"""Stream commands: XADD XLEN XRANGE XREVRANGE XDEL XTRIM XREAD XREADGROUP XGROUP
XACK XPENDING XCLAIM XAUTOCLAIM XINFO XSETID.

Rules of this module (Redis 7.0.15's t_stream.c is the reference):

* Arguments are checked in Redis's order, so a command with several problems
  reports the same one Redis does (usually: options and IDs first, then the
  key's type, then groups).
* IDs are parsed by ``parse_id`` exactly as ``streamGenericParseIDOrReply``
  (``string2ull`` rules: strtoull's leading blanks, ``+`` and wrapping ``-``
  are accepted) and are ints ``ms << 64 | seq`` (see ``datatypes.stream``).
* Streams are never deleted when they become empty.  Writes that change
  entries (XADD, XDEL, XTRIM) tell WATCH/tracking (``db.modified``); group
  bookkeeping does not, as in Redis.  XADD also calls ``db.signal_ready`` for
  blocked XREAD/XREADGROUP clients.
* XREAD and XREADGROUP reply ``[[key, entries] ...]`` in RESP2 and a map
  ``{key: entries}`` in RESP3: the one place the handler looks at the protocol,
  because Redis does.
* BLOCK parks the client through ``keyspace.blocking`` (imported lazily: it
  is only needed when a client actually blocks).
"""

from __future__ import annotations

import re
from itertools import islice
from typing import Any

from .. import errors
from ..datatypes.stream import (
    INVALID_ENTRIES_READ, LISTPACK_MAX_SIZE, M64, MAX_ID, Consumer, Group, Nack, Stream, fmt_id,
)
from ..errors import CommandError
from ..persistence import propagate
from ..protocol.writer import NULL_ARRAY, OK, Map, Status
from .args import LLONG_MAX, parse_int
from .registry import command, container

GRP = "stream"
_WRONGTYPE = errors.WRONGTYPE

# --- lookups ---------------------------------------------------------------------------


def _read(c: Any, key: bytes) -> Stream | None:
    """lookupKeyRead + checkType: the stream at ``key`` or None; counts hits/misses."""
    v = c.db.lookup(key)
    if v is None:
        c.server.stats.keyspace_misses += 1
        return None
    c.server.stats.keyspace_hits += 1
    if type(v) is not Stream:
        raise CommandError(_WRONGTYPE)
    return v


def _write(c: Any, key: bytes) -> Stream | None:
    """lookupKeyWrite + checkType (no hit/miss statistics)."""
    v = c.db.lookup(key)
    if v is not None and type(v) is not Stream:
        raise CommandError(_WRONGTYPE)
    return v


# --- IDs -------------------------------------------------------------------------------

# strtoull(s, 10) consuming the whole string: leading blanks, an optional sign, digits.
_STRTOULL = re.compile(rb"[ \t\n\v\f\r]*([+-]?)([0-9]+)")
_STRICT_LL = re.compile(rb"-?[1-9][0-9]{0,18}|0")
_INVALID = errors.STREAM_ID_INVALID


def _ull(s: bytes) -> int:
    """string2ull: string2ll for non-negative values, else strtoull; -1 if invalid."""
    if s.isdigit():
        v = int(s)
        return v if v <= M64 else -1
    m = _STRTOULL.fullmatch(s)
    if m is None:
        return -1
    v = int(m.group(2))
    if v > M64:
        return -1  # ERANGE
    if m.group(1) == b"-" and v:
        if _STRICT_LL.fullmatch(s) is not None and v <= 1 << 63:
            return -1  # string2ll read a negative long long: refused
        v = (-v) & M64  # strtoull negates in unsigned arithmetic
    return v


def parse_id(b: bytes, missing_seq: int = 0, strict: bool = False) -> int:
    """An ID argument: ``ms``, ``ms-seq``, and unless ``strict``, ``-`` and ``+``."""
    if len(b) > 127:
        raise CommandError(_INVALID)
    if b"\0" in b:
        b = b[: b.index(b"\0")]  # Redis copies the argument into a C string
    if len(b) == 1 and (b == b"-" or b == b"+"):
        if strict:
            raise CommandError(_INVALID)
        return 0 if b == b"-" else MAX_ID
    ms_part, dash, seq_part = b.partition(b"-")
    ms = _ull(ms_part)
    seq = _ull(seq_part) if dash else missing_seq
    if ms < 0 or seq < 0:
        raise CommandError(_INVALID)
    return ms << 64 | seq


def _parse_xadd_id(b: bytes) -> tuple[int, bool]:
    """XADD's explicit ID: ``(id, seq_given)``; ``ms-*`` leaves the sequence to us."""
    if b.endswith(b"-*") and b"\0" not in b and len(b) <= 127:
        ms_part = b[:-2]
        if b"-" not in ms_part:
            ms = _ull(ms_part)
            if ms < 0:
                raise CommandError(_INVALID)
            return ms << 64, False
    return parse_id(b, 0, True), True


def _interval(b: bytes, missing_seq: int) -> tuple[int, bool]:
    """streamParseIntervalIdOrReply: an ID, or ``(ID`` for an exclusive bound."""
    if len(b) > 1 and b[0] == 40:  # "("
        return parse_id(b[1:], missing_seq, True), True
    return parse_id(b, missing_seq), False


def _range_start(b: bytes) -> int:
    start, ex = _interval(b, 0)
    if ex:
        if start == MAX_ID:
            raise CommandError(errors.STREAM_INVALID_START)
        start += 1
    return start


def _range_end(b: bytes) -> int:
    end, ex = _interval(b, M64)
    if ex:
        if end == 0:
            raise CommandError(errors.STREAM_INVALID_END)
        end -= 1
    return end


def _entries(items: list[tuple[int, list[bytes]]]) -> list[list[Any]]:
    return [[b"%d-%d" % (eid >> 64, eid & M64), fields] for eid, fields in items]


# --- XADD / XTRIM ------------------------------------------------------------------------


class _TrimArgs:
    __slots__ = ("maxlen", "minid", "approx", "limit", "nomkstream", "id", "id_given", "seq_given", "idpos")

    def __init__(self) -> None:
        self.maxlen = -1  # >= 0: MAXLEN strategy
        self.minid = -1  # >= 0: MINID strategy
        self.approx = False
        self.limit = 0
        self.nomkstream = False
        self.id = 0
        self.id_given = False
        self.seq_given = True
        self.idpos = 2


def _parse_add_trim(c: Any, argv: list[bytes], xadd: bool) -> _TrimArgs:
    """streamParseAddOrTrimArgsOrReply for XADD (stops at the ID) and XTRIM."""
    a = _TrimArgs()
    n = len(argv)
    limit_given = False
    strategy = False
    i = 2
    while i < n:
        more = n - 1 - i
        opt = argv[i]
        if xadd and opt == b"*":
            break
        lo = opt.lower()
        if (lo == b"maxlen" or lo == b"minid") and more:
            if strategy:
                raise CommandError(errors.STREAM_MAXLEN_AND_MINID)
            a.approx = False
            nxt = argv[i + 1]
            if more >= 2 and nxt == b"~":
                a.approx = True
                i += 1
            elif more >= 2 and nxt == b"=":
                i += 1
            if lo == b"maxlen":
                a.maxlen = parse_int(argv[i + 1])
                if a.maxlen < 0:
                    raise CommandError(errors.STREAM_MAXLEN_NEGATIVE)
            else:
                a.minid = parse_id(argv[i + 1], 0, True)
            strategy = True
            i += 1
        elif lo == b"limit" and more:
            a.limit = parse_int(argv[i + 1])
            if a.limit < 0:
                raise CommandError(errors.STREAM_LIMIT_NEGATIVE)
            limit_given = True
            i += 1
        elif xadd and lo == b"nomkstream":
            a.nomkstream = True
        elif xadd:
            a.id, a.seq_given = _parse_xadd_id(opt)
            a.id_given = True
            break
        else:
            raise CommandError(errors.SYNTAX)
        i += 1
    a.idpos = i
    if c.kind == "aof":
        # Loading an AOF (mustObeyClient): the trim was made exact when it was
        # written ("= N", maybe with the LIMIT it had): no limit, no checks.
        a.limit = 0
        if not xadd and not strategy:
            raise CommandError(errors.XTRIM_NO_STRATEGY)
        return a
    if a.limit and not strategy:
        raise CommandError(errors.STREAM_LIMIT_NO_STRATEGY)
    if not xadd and not strategy:
        raise CommandError(errors.XTRIM_NO_STRATEGY)
    if limit_given:
        if not a.approx:
            raise CommandError(errors.STREAM_LIMIT_NO_APPROX)
    elif a.approx:
        # Bound the work of one approximate trim to about 100 nodes.
        a.limit = 100 * c.server.config["stream-node-max-entries"]
        if a.limit <= 0:
            a.limit = 10000
        elif a.limit > 1000000:
            a.limit = 1000000
    else:
        a.limit = 0
    return a


def _trim(s: Stream, a: _TrimArgs) -> int:
    return s.trim(a.maxlen, a.minid, a.approx, a.limit)


@command("xadd", -5, "write denyoom fast", keys=(1, 1, 1), group=GRP, since="5.0.0",
         tips="nondeterministic_output", summary="Appends a new entry to a stream",
         complexity="O(1) when adding a new entry, O(N) when trimming where N being the number "
         "of entries evicted.")
def xadd(c: Any, argv: list[bytes]) -> Any:
    n = len(argv)
    if argv[2] == b"*":  # the common case: no options, automatic ID
        a = None
        field_pos = 3
    else:
        a = _parse_add_trim(c, argv, True)
        field_pos = a.idpos + 1
    if n - field_pos < 2 or (n - field_pos) & 1:
        raise errors.wrong_arity("xadd")
    if a is not None and a.id_given and a.seq_given and a.id == 0:
        # Checked before the key is created, so a failed XADD leaves no empty stream.
        raise CommandError(errors.XADD_ID_ZERO)
    db = c.db
    key = argv[1]
    s = db.lookup(key)
    created = s is None
    if created:
        if a is not None and a.nomkstream:
            return None
        s = Stream()
        db.set(key, s)  # (db.set tells WATCH/tracking)
    elif type(s) is not Stream:
        raise CommandError(_WRONGTYPE)
    last = s.last_id
    if last == MAX_ID:
        raise CommandError(errors.XADD_EXHAUSTED)
    if a is None or not a.id_given:
        ms = c.server.now_ms()
        eid = ms << 64 if ms > last >> 64 else last + 1
    else:
        eid = a.id
        if not a.seq_given and eid >> 64 == last >> 64:
            if last & M64 == M64:
                # Redis 7.0.15 reports this overflow with the ERANGE text.
                raise CommandError(errors.XADD_TOO_LARGE)
            eid = last + 1
        if eid <= last:
            raise CommandError(errors.XADD_ID_TOO_SMALL)
    fields = argv[field_pos:]
    size = sum(map(len, fields))
    if size > LISTPACK_MAX_SIZE:
        raise CommandError(errors.XADD_TOO_LARGE)
    server = c.server
    config = server.config
    s.append(eid, fields, config["stream-node-max-bytes"], config["stream-node-max-entries"], size)
    if not created:
        db.modified(key)
    server.notify(db, "t", b"xadd", key)
    server.dirty += 1
    if a is not None and (a.maxlen >= 0 or a.minid >= 0):
        if _trim(s, a):
            server.notify(db, "t", b"xtrim", key)
    db.signal_ready(key)
    idb = b"%d-%d" % (eid >> 64, eid & M64)
    if server.prop is not None:
        # The AOF gets the ID chosen and an exact trim to what is left (Redis 7.0).
        if a is None:
            propagate.rewrite(c, argv[:2] + [idb] + argv[3:])
        else:
            head = _exact_trim_args(argv, 2, a.idpos, s, a.approx)
            keep_id = a.id_given and a.seq_given
            propagate.rewrite(c, head + [argv[a.idpos] if keep_id else idb] + argv[a.idpos + 1:])
    return idb


def _exact_trim_args(argv: list[bytes], start: int, end: int, s: Stream, approx: bool) -> list[bytes]:
    """``argv[:end]`` with an approximate trim (``~ N``) turned into the exact one it
    amounted to (streamRewriteApproxSpecifier + streamRewriteTrimArgument).  A LIMIT
    stays, as in Redis: the AOF client ignores it (see ``_parse_add_trim``)."""
    if not approx:
        return argv[:end]
    out = argv[:start]
    i = start
    while i < end:
        lo = argv[i].lower()
        if lo in (b"maxlen", b"minid") and i + 2 < len(argv) and argv[i + 1] == b"~":
            out += [argv[i], b"=", b"%d" % s.length if lo == b"maxlen" else fmt_id(s.first_id())]
            i += 3
        else:
            out.append(argv[i])
            i += 1
    return out


@command("xtrim", -4, "write", keys=(1, 1, 1), group=GRP, since="5.0.0", tips="nondeterministic_output",
         summary="Trims the stream to (approximately if '~' is passed) a certain size",
         complexity="O(N), with N being the number of evicted entries. Constant times are very "
         "small however, since entries are organized in macro nodes containing multiple entries "
         "that can be released with a single deallocation.")
def xtrim(c: Any, argv: list[bytes]) -> Any:
    a = _parse_add_trim(c, argv, False)
    key = argv[1]
    s = _write(c, key)
    if s is None:
        return 0
    deleted = _trim(s, a)
    if deleted:
        c.server.notify(c.db, "t", b"xtrim", key)
        c.db.modified(key)
        c.server.dirty += deleted
        if c.server.prop is not None and a.approx:
            propagate.rewrite(c, _exact_trim_args(argv, 2, len(argv), s, True))
    return deleted


# --- XLEN / XRANGE / XREVRANGE / XDEL --------------------------------------------------


@command("xlen", 2, "readonly fast", keys=(1, 1, 1), group=GRP, since="5.0.0",
         summary="Return the number of entries in a stream", complexity="O(1)")
def xlen(c: Any, argv: list[bytes]) -> Any:
    s = _read(c, argv[1])
    return 0 if s is None else s.length


def _xrange(c: Any, argv: list[bytes], rev: bool) -> Any:
    start = _range_start(argv[3] if rev else argv[2])
    end = _range_end(argv[2] if rev else argv[3])
    count = -1
    j = 4
    n = len(argv)
    while j < n:
        if argv[j].lower() == b"count" and j + 1 < n:
            count = parse_int(argv[j + 1])
            if count < 0:
                count = 0
            j += 2
        else:
            raise CommandError(errors.SYNTAX)
    s = _read(c, argv[1])
    if s is None:
        return []
    if count == 0:
        return NULL_ARRAY
    return _entries(s.range(start, end, max(count, 0), rev))


@command("xrange", -4, "readonly", keys=(1, 1, 1), group=GRP, since="5.0.0",
         summary="Return a range of elements in a stream, with IDs matching the specified IDs interval",
         complexity="O(N) with N being the number of elements being returned. If N is constant "
         "(e.g. always asking for the first 10 elements with COUNT), you can consider it O(1).")
def xrange(c: Any, argv: list[bytes]) -> Any:
    return _xrange(c, argv, False)


@command("xrevrange", -4, "readonly", keys=(1, 1, 1), group=GRP, since="5.0.0",
         summary="Return a range of elements in a stream, with IDs matching the specified IDs "
         "interval, in reverse order (from greater to smaller IDs) compared to XRANGE",
         complexity="O(N) with N being the number of elements returned. If N is constant (e.g. "
         "always asking for the first 10 elements with COUNT), you can consider it O(1).")
def xrevrange(c: Any, argv: list[bytes]) -> Any:
    return _xrange(c, argv, True)


@command("xdel", -3, "write fast", keys=(1, 1, 1), group=GRP, since="5.0.0",
         summary="Removes the specified entries from the stream. Returns the number of items "
         "actually deleted, that may be different from the number of IDs passed in case certain "
         "IDs do not exist.",
         complexity="O(1) for each single item to delete in the stream, regardless of the stream size.")
def xdel(c: Any, argv: list[bytes]) -> Any:
    key = argv[1]
    s = _write(c, key)
    if s is None:
        return 0
    ids = [parse_id(b, 0, True) for b in argv[2:]]  # all or nothing: parse first
    deleted = 0
    for eid in ids:
        if s.delete(eid):
            deleted += 1
            if eid > s.max_deleted:
                s.max_deleted = eid
    if deleted:
        c.db.modified(key)
        c.server.notify(c.db, "t", b"xdel", key)
        c.server.dirty += deleted
    return deleted


# --- XREAD / XREADGROUP --------------------------------------------------------------------

XREAD_BLOCKED_DEFAULT_COUNT = 1000


def _xread_keys(argv: list[bytes]) -> list[int]:
    """xreadGetKeys: the keys are the first half of what follows STREAMS."""
    i = 1
    n = len(argv)
    pos = -1
    while i < n:
        a = argv[i].lower()
        if a == b"block" or a == b"count":
            i += 1
        elif a == b"group":
            i += 2
        elif a == b"streams":
            pos = i
            break
        elif a != b"noack":
            break
        i += 1
    num = n - pos - 1
    if pos < 0 or num == 0 or num % 2:
        return []
    return list(range(pos + 1, pos + 1 + num // 2))


def _deliver(s: Stream, g: Group, cons: Consumer, start: int, count: int, noack: bool,
             now: int) -> list[list[Any]]:
    """New entries for a group consumer (streamReplyWithRange with a group)."""
    items = s.range(start, MAX_ID, count)
    pel = g.pel
    cpel = cons.pel
    for eid, _ in items:
        if eid > g.last_id:
            s.advance_group(g, eid)
        if not noack:
            nack = pel.get(eid)
            if nack is None:
                pel[eid] = cpel[eid] = Nack(cons, now)
            else:
                # XGROUP SETID can make an entry be delivered again: it moves here.
                if nack.consumer is not None:
                    nack.consumer.pel.pop(eid, None)
                nack.consumer = cons
                nack.delivery_time = now
                nack.delivery_count = 1
                cpel[eid] = nack
    return _entries(items)


def _history(s: Stream, cons: Consumer, start: int, count: int, now: int) -> list[list[Any]]:
    """A consumer's own pending entries from ``start`` (streamReplyWithRangeFromConsumerPEL)."""
    out: list[list[Any]] = []
    for eid in cons.pel.irange(minimum=start):
        if count and len(out) >= count:
            break
        fields = s.get(eid)
        if fields is None:
            # Deleted since it was delivered: the ID with a null entry.
            out.append([fmt_id(eid), NULL_ARRAY])
        else:
            nack = cons.pel[eid]
            nack.delivery_time = now
            nack.delivery_count += 1
            out.append([fmt_id(eid), fields])
    return out


def _consumer(c: Any, g: Group, name: bytes, key: bytes, now: int) -> Consumer:
    """Look up (refreshing seen-time) or create a consumer, as XREADGROUP/XCLAIM do."""
    cons = g.consumers.get(name)
    if cons is None:
        cons = g.consumers[name] = Consumer(name, now)
        c.server.dirty += 1
        c.server.notify(c.db, "t", b"xgroup-createconsumer", key)
    else:
        cons.seen_time = now
    return cons


def _xclaim_argv(key: bytes, gname: bytes, g: Group, cname: bytes, eid: bytes, nack: Nack,
                 last_id: bytes | None = None) -> list[bytes]:
    # streamPropagateXCLAIM: how a delivery or a claim reaches the AOF.
    return [b"XCLAIM", key, gname, cname, b"0", eid, b"TIME", b"%d" % nack.delivery_time, b"RETRYCOUNT",
            b"%d" % nack.delivery_count, b"FORCE", b"JUSTID", b"LASTID", last_id or fmt_id(g.last_id)]


def _setid_argv(key: bytes, gname: bytes, g: Group) -> list[bytes]:
    # streamPropagateGroupID
    return [b"XGROUP", b"SETID", key, gname, fmt_id(g.last_id), b"ENTRIESREAD", b"%d" % g.entries_read]


def _propagate_delivery(c: Any, key: bytes, gname: bytes, g: Group, cons: Consumer,
                        entries: list[list[Any]], noack: bool, created: bool) -> None:
    """XREADGROUP's new entries as Redis 7.0 propagates them: an XCLAIM per
    entry, or with NOACK the consumer's creation and the group's new position."""
    if c.server.prop is None or not entries:
        return
    if noack:
        ops = [[b"XGROUP", b"CREATECONSUMER", key, gname, cons.name]] if created else []
        propagate.rewrite(c, *ops, _setid_argv(key, gname, g))
        return
    # Each new entry moved the group's last ID to itself as it was delivered.
    propagate.rewrite(c, *[_xclaim_argv(key, gname, g, cons.name, e[0], cons.pel[parse_id(e[0])], e[0])
                           for e in entries])


def _xread_reply(c: Any, pairs: list[Any]) -> Any:
    if c.resp3:
        return Map(pairs)
    return [[pairs[i], pairs[i + 1]] for i in range(0, len(pairs), 2)]


def _xread(c: Any, argv: list[bytes], group_mode: bool) -> Any:
    n = len(argv)
    timeout = -1
    count = 0
    streams_arg = 0
    nstreams = 0
    noack = False
    groupname = consumername = b""
    has_group = False
    i = 1
    while i < n:
        more = n - i - 1
        o = argv[i].lower()
        if o == b"block" and more:
            if c.kind == "lua":
                # Checked before the timeout itself, as Redis does for its Lua client.
                raise errors.block_in_script(argv[0])
            i += 1
            timeout = parse_int(argv[i], errors.TIMEOUT_NOT_INTEGER)
            if timeout < 0:
                raise CommandError(errors.TIMEOUT_NEGATIVE)
        elif o == b"count" and more:
            i += 1
            count = parse_int(argv[i])
            if count < 0:
                count = 0
        elif o == b"streams" and more:
            streams_arg = i + 1
            nstreams = n - streams_arg
            if nstreams % 2:
                raise CommandError(errors.XREAD_UNBALANCED)
            nstreams //= 2
            break
        elif o == b"group" and more >= 2:
            if not group_mode:
                raise CommandError(errors.XREAD_GROUP_OPTION)
            groupname = argv[i + 1]
            consumername = argv[i + 2]
            has_group = True
            i += 2
        elif o == b"noack":
            if not group_mode:
                raise CommandError(errors.XREAD_NOACK_OPTION)
            noack = True
        else:
            raise CommandError(errors.SYNTAX)
        i += 1
    if not streams_arg:
        raise CommandError(errors.SYNTAX)
    if group_mode and not has_group:
        raise CommandError(errors.XREADGROUP_NO_GROUP)
    if group_mode:
        propagate.prevent(c)  # what it delivered reaches the AOF as XCLAIM / XGROUP SETID

    keys = argv[streams_arg:streams_arg + nstreams]
    ids: list[int] = []
    groups: list[Group] = []
    for idx in range(nstreams):
        key = keys[idx]
        arg = argv[streams_arg + nstreams + idx]
        s = _read(c, key)
        if group_mode:
            g = s.groups.get(groupname) if s is not None else None
            if g is None:
                raise errors.nogroup_xreadgroup(key, groupname)
            groups.append(g)
        if arg == b"$":
            if group_mode:
                raise CommandError(errors.XREADGROUP_DOLLAR)
            ids.append(s.last_id if s is not None else 0)
        elif arg == b">":
            if not group_mode:
                raise CommandError(errors.XREAD_GT)
            ids.append(MAX_ID)  # Redis's marker for ">"
        else:
            ids.append(parse_id(arg, 0, True))

    now = c.server.now_ms()
    pairs: list[Any] = []
    for idx in range(nstreams):
        key = keys[idx]
        s = _read(c, key)
        if s is None:
            continue
        gt = ids[idx]
        if group_mode:
            g = groups[idx]
            history = gt != MAX_ID
            serve = history
            if not history and s.length and s.last_valid_id() > g.last_id:
                serve = True
                gt = g.last_id
            if serve:
                # Redis 7.0 creates (or refreshes) the consumer only when it serves it.
                created = consumername not in g.consumers
                cons = _consumer(c, g, consumername, key, now)
                start = gt + 1 if gt < MAX_ID else gt
                if history:
                    entries = _history(s, cons, start, count, now)
                else:
                    entries = _deliver(s, g, cons, start, count, noack, now)
                    _propagate_delivery(c, key, groupname, g, cons, entries, noack, created)
                pairs += [key, entries]
                c.server.dirty += 1
        elif s.length and s.last_valid_id() > gt:
            pairs += [key, _entries(s.range(gt + 1, MAX_ID, count))]
    if pairs:
        return _xread_reply(c, pairs)
    if timeout < 0:
        return NULL_ARRAY
    return _block(c, keys, ids, timeout, count, groupname if group_mode else None, consumername, noack)


def _block(c: Any, keys: list[bytes], ids: list[int], timeout: int, count: int,
           groupname: bytes | None, consumername: bytes, noack: bool) -> Any:
    """Park the client until an XADD (or a group/key change) can serve it."""
    from ..keyspace import blocking  # only clients that really block need it

    if not blocking.may_block(c):
        return NULL_ARRAY  # inside MULTI/EXEC or a script: as if timed out
    db = c.db
    wanted: dict[bytes, int] = {}
    for k, eid in zip(keys, ids):
        wanted.setdefault(k, eid)  # a key named twice waits for its first ID
    count = count or XREAD_BLOCKED_DEFAULT_COUNT

    def serve(key: bytes) -> Any:
        # serveClientsBlockedOnStreamKey for this one client.
        s = db.lookup(key)
        if type(s) is not Stream:
            if groupname is not None:
                return CommandError(errors.UNBLOCKED_STREAM_GONE)
            return None
        gt = wanted[key]
        g = None
        if groupname is not None:
            g = s.groups.get(groupname)
            if g is None:
                return CommandError(errors.NOGROUP_BLOCKED)
            gt = g.last_id
        if s.last_id <= gt:
            return None
        now = c.server.now_ms()
        if g is not None:
            assert groupname is not None  # g was found by it
            created = consumername not in g.consumers
            cons = _consumer(c, g, consumername, key, now)
            entries = _deliver(s, g, cons, gt + 1, count, noack, now)
            c.server.dirty += 1
            _propagate_delivery(c, key, groupname, g, cons, entries, noack, created)
        else:
            entries = _entries(s.range(gt + 1, MAX_ID, count))
        return _xread_reply(c, [key, entries])

    return blocking.block(c, list(wanted), timeout, serve, NULL_ARRAY, on_delete=groupname is not None)


@command("xread", -4, "readonly blocking movablekeys", group=GRP, since="5.0.0", getkeys=_xread_keys,
         summary="Return never seen elements in multiple streams, with IDs greater than the ones "
         "reported by the caller for each stream. Can block.",
         complexity="For each stream mentioned: O(N) with N being the number of elements being "
         "returned, it means that XREAD-ing with a fixed COUNT is O(1). Note that when the BLOCK "
         "option is used, XADD will pay O(M) time in order to serve the M clients blocked on the "
         "stream getting new data.")
def xread(c: Any, argv: list[bytes]) -> Any:
    return _xread(c, argv, False)


@command("xreadgroup", -7, "write blocking movablekeys", group=GRP, since="5.0.0", getkeys=_xread_keys,
         summary="Return new entries from a stream using a consumer group, or access the history "
         "of the pending entries for a given consumer. Can block.",
         complexity="For each stream mentioned: O(M) with M being the number of elements "
         "returned. If M is constant (e.g. always asking for the first 10 elements with COUNT), "
         "you can consider it O(1). On the other side when XREADGROUP blocks, XADD will pay the "
         "O(N) time in order to serve the N clients blocked on the stream getting new data.")
def xreadgroup(c: Any, argv: list[bytes]) -> Any:
    return _xread(c, argv, True)


# --- XGROUP --------------------------------------------------------------------------------

container("xgroup", group=GRP, since="5.0.0", summary="A container for consumer groups commands")


def _group_target(c: Any, argv: list[bytes], mkstream: bool = False) -> tuple[Stream | None, Group | None]:
    """The checks every XGROUP subcommand but HELP shares: key, type, group."""
    s = _write(c, argv[2])
    if s is None and not mkstream:
        raise CommandError(errors.XGROUP_KEY_MISSING)
    g = s.groups.get(argv[3]) if s is not None else None
    return s, g


def _subcommand_syntax(argv: list[bytes]) -> CommandError:
    # errors.py currently has two subcommand_syntax definitions; the later,
    # effective one takes (subcommand as typed, container name).
    return errors.subcommand_syntax(argv[1][:128].decode("latin-1"), argv[0].decode("latin-1"))


def _need_group(argv: list[bytes], g: Group | None) -> Group:
    if g is None:
        raise errors.nogroup_for_key(argv[3], argv[2])
    return g


def _parse_entries_read(b: bytes) -> int:
    v = parse_int(b)
    if v < 0 and v != INVALID_ENTRIES_READ:
        raise CommandError(errors.ENTRIESREAD_RANGE)
    return v


@command("xgroup|create", -5, "write denyoom", keys=(2, 2, 1), group=GRP, since="5.0.0",
         summary="Create a consumer group.", complexity="O(1)")
def xgroup_create(c: Any, argv: list[bytes]) -> Any:
    n = len(argv)
    mkstream = False
    entries_read = INVALID_ENTRIES_READ
    i = 5
    while i < n:
        o = argv[i].lower()
        if o == b"mkstream":
            mkstream = True
            i += 1
        elif o == b"entriesread" and i + 1 < n:
            entries_read = _parse_entries_read(argv[i + 1])
            i += 2
        else:
            raise _subcommand_syntax(argv)
    s, g = _group_target(c, argv, mkstream)
    if n > 8:
        raise _subcommand_syntax(argv)
    key = argv[2]
    if argv[4] == b"$":
        eid = s.last_id if s is not None else 0
    else:
        eid = parse_id(argv[4], 0, True)
    if s is None:
        s = Stream()
        c.db.set(key, s)
    if s.create_group(argv[3], eid, entries_read) is None:
        raise CommandError(errors.BUSYGROUP)
    c.server.dirty += 1
    c.server.notify(c.db, "t", b"xgroup-create", key)
    return OK


@command("xgroup|setid", -5, "write", keys=(2, 2, 1), group=GRP, since="5.0.0",
         summary="Set a consumer group to an arbitrary last delivered ID value.", complexity="O(1)")
def xgroup_setid(c: Any, argv: list[bytes]) -> Any:
    n = len(argv)
    entries_read = INVALID_ENTRIES_READ
    i = 5
    while i < n:  # options first, as Redis parses them before looking at the key
        if argv[i].lower() == b"entriesread" and i + 1 < n:
            entries_read = _parse_entries_read(argv[i + 1])
            i += 2
        else:
            raise _subcommand_syntax(argv)
    s, g = _group_target(c, argv)
    g = _need_group(argv, g)
    if n != 5 and n != 7:
        raise _subcommand_syntax(argv)
    assert s is not None
    eid = s.last_id if argv[4] == b"$" else parse_id(argv[4])
    g.last_id = eid
    g.entries_read = entries_read
    c.server.dirty += 1
    c.server.notify(c.db, "t", b"xgroup-setid", argv[2])
    return OK


@command("xgroup|destroy", 4, "write", keys=(2, 2, 1), group=GRP, since="5.0.0",
         summary="Destroy a consumer group.",
         complexity="O(N) where N is the number of entries in the group's pending entries list (PEL).")
def xgroup_destroy(c: Any, argv: list[bytes]) -> Any:
    s, g = _group_target(c, argv)
    if g is None:
        return 0
    assert s is not None
    del s.groups[argv[3]]
    c.server.dirty += 1
    c.server.notify(c.db, "t", b"xgroup-destroy", argv[2])
    # Clients blocked in XREADGROUP on this group get their NOGROUP error now.
    c.db.signal_ready(argv[2])
    return 1


@command("xgroup|createconsumer", 5, "write denyoom", keys=(2, 2, 1), group=GRP, since="6.2.0",
         summary="Create a consumer in a consumer group.", complexity="O(1)")
def xgroup_createconsumer(c: Any, argv: list[bytes]) -> Any:
    _, g = _group_target(c, argv)
    g = _need_group(argv, g)
    if g.create_consumer(argv[4], c.server.now_ms()) is None:
        return 0
    c.server.dirty += 1
    c.server.notify(c.db, "t", b"xgroup-createconsumer", argv[2])
    return 1


@command("xgroup|delconsumer", 5, "write", keys=(2, 2, 1), group=GRP, since="5.0.0",
         summary="Delete a consumer from a consumer group.", complexity="O(1)")
def xgroup_delconsumer(c: Any, argv: list[bytes]) -> Any:
    _, g = _group_target(c, argv)
    g = _need_group(argv, g)
    cons = g.consumers.get(argv[4])
    if cons is None:
        return 0
    pending = len(cons.pel)
    g.delete_consumer(cons)
    c.server.dirty += 1
    c.server.notify(c.db, "t", b"xgroup-delconsumer", argv[2])
    return pending


def _help(name: str, lines: list[str]) -> list[Status]:
    head = "%s <subcommand> [<arg> [value] [opt] ...]. Subcommands are:" % name
    return [Status(t) for t in [head, *lines, "HELP", "    Prints this help."]]


@command("xgroup|help", 2, "loading stale", group=GRP, since="5.0.0",
         summary="Show helpful text about the different subcommands", complexity="O(1)")
def xgroup_help(c: Any, argv: list[bytes]) -> Any:
    return _help("XGROUP", [
        "CREATE <key> <groupname> <id|$> [option]",
        "    Create a new consumer group. Options are:",
        "    * MKSTREAM",
        "      Create the empty stream if it does not exist.",
        "    * ENTRIESREAD entries_read",
        "      Set the group's entries_read counter (internal use).",
        "CREATECONSUMER <key> <groupname> <consumer>",
        "    Create a new consumer in the specified group.",
        "DELCONSUMER <key> <groupname> <consumer>",
        "    Remove the specified consumer.",
        "DESTROY <key> <groupname>",
        "    Remove the specified group.",
        "SETID <key> <groupname> <id|$> [ENTRIESREAD entries_read]",
        "    Set the current group ID and entries_read counter.",
    ])


# --- XACK / XPENDING / XCLAIM / XAUTOCLAIM --------------------------------------------------


def _group_or_none(c: Any, key: bytes, name: bytes) -> tuple[Stream | None, Group | None]:
    s = _read(c, key)
    return s, (s.groups.get(name) if s is not None else None)


@command("xack", -4, "write fast", keys=(1, 1, 1), group=GRP, since="5.0.0",
         summary="Marks a pending message as correctly processed, effectively removing it from "
         "the pending entries list of the consumer group. Return value of the command is the "
         "number of messages successfully acknowledged, that is, the IDs we were actually able "
         "to resolve in the PEL.", complexity="O(1) for each message ID processed.")
def xack(c: Any, argv: list[bytes]) -> Any:
    _, g = _group_or_none(c, argv[1], argv[2])
    if g is None:
        return 0
    ids = [parse_id(b, 0, True) for b in argv[3:]]  # all or nothing
    acked = 0
    for eid in ids:
        if g.ack(eid):
            acked += 1
    c.server.dirty += acked
    return acked


@command("xpending", -3, "readonly", keys=(1, 1, 1), group=GRP, since="5.0.0",
         tips="nondeterministic_output",
         summary="Return information and entries from a stream consumer group pending entries "
         "list, that are messages fetched but never acknowledged.",
         complexity="O(N) with N being the number of elements returned, so asking for a small "
         "fixed number of entries per call is O(1). O(M), where M is the total number of entries "
         "scanned when used with the IDLE filter. When the command returns just the summary and "
         "the list of consumers is small, it runs in O(1) time; otherwise, an additional O(N) "
         "time for iterating every consumer.")
def xpending(c: Any, argv: list[bytes]) -> Any:
    n = len(argv)
    if n != 3 and (n < 6 or n > 9):
        raise CommandError(errors.SYNTAX)
    minidle = 0
    consumername = None
    if n >= 6:
        si = 3
        if argv[3].lower() == b"idle":
            minidle = parse_int(argv[4])
            if n < 8:
                raise CommandError(errors.SYNTAX)
            si = 5
        count = parse_int(argv[si + 2])
        if count < 0:
            count = 0
        start = _range_start(argv[si])
        end = _range_end(argv[si + 1])
        if si + 3 < n:
            consumername = argv[si + 3]
    key, name = argv[1], argv[2]
    _, g = _group_or_none(c, key, name)
    if g is None:
        raise errors.nogroup_key_or_group(key, name)
    pel = g.pel
    if n == 3:
        if not pel:
            return [0, None, None, NULL_ARRAY]
        owners = [[cons.name, b"%d" % len(cons.pel)] for cons in g.sorted_consumers() if cons.pel]
        return [len(pel), fmt_id(pel.keys()[0]), fmt_id(pel.keys()[-1]), owners]
    if consumername is not None:
        cons = g.consumers.get(consumername)  # no seen-time refresh (SLC_NO_REFRESH)
        if cons is None:
            return []
        pel = cons.pel
    now = c.server.now_ms()
    out: list[list[Any]] = []
    if count:
        for eid in pel.irange(start, end):
            nack = pel[eid]
            idle = now - nack.delivery_time
            if minidle and idle < minidle:
                continue
            out.append([fmt_id(eid), nack.consumer.name, max(idle, 0), nack.delivery_count])
            if len(out) == count:
                break
    return out


def _claim(s: Stream, g: Group, cons: Consumer, eid: int, nack: Nack) -> None:
    # Move ``nack`` to ``cons`` (a FORCE-created nack has no owner yet).
    if nack.consumer is not cons:
        if nack.consumer is not None:
            nack.consumer.pel.pop(eid, None)
        cons.pel[eid] = nack
        nack.consumer = cons


@command("xclaim", -6, "write fast", keys=(1, 1, 1), group=GRP, since="5.0.0",
         tips="nondeterministic_output",
         summary="Changes (or acquires) ownership of a message in a consumer group, as if the "
         "message was delivered to the specified consumer.",
         complexity="O(log N) with N being the number of messages in the PEL of the consumer group.")
def xclaim(c: Any, argv: list[bytes]) -> Any:
    key, name = argv[1], argv[2]
    s, g = _group_or_none(c, key, name)
    if s is None or g is None:
        raise errors.nogroup_key_or_group(key, name)
    minidle = parse_int(argv[4], errors.XCLAIM_MIN_IDLE)
    if minidle < 0:
        minidle = 0
    n = len(argv)
    ids: list[int] = []
    j = 5
    while j < n:
        try:
            ids.append(parse_id(argv[j], 0, True))
        except CommandError:
            break  # the IDs end where the options begin
        j += 1
    now = c.server.now_ms()
    retrycount = -1
    deliverytime = -1
    force = justid = False
    last_id = 0
    while j < n:
        more = n - 1 - j
        o = argv[j].lower()
        if o == b"force":
            force = True
        elif o == b"justid":
            justid = True
        elif o == b"idle" and more:
            j += 1
            deliverytime = now - parse_int(argv[j], errors.XCLAIM_IDLE)
        elif o == b"time" and more:
            j += 1
            deliverytime = parse_int(argv[j], errors.XCLAIM_TIME)
        elif o == b"retrycount" and more:
            j += 1
            retrycount = parse_int(argv[j], errors.XCLAIM_RETRYCOUNT)
        elif o == b"lastid" and more:
            j += 1
            last_id = parse_id(argv[j], 0, True)
        else:
            raise errors.xclaim_option(argv[j])
        j += 1
    server = c.server
    propagate.prevent(c)  # each claim reaches the AOF as an exact XCLAIM (below)
    propagate_last_id = False
    if last_id > g.last_id:
        g.last_id = last_id
        propagate_last_id = True
    if deliverytime == -1 or deliverytime < 0 or deliverytime > now:
        # A bogus time (clients' clocks differ) means "now", never an error.
        deliverytime = now
    cons: Consumer | None = None
    out: list[Any] = []
    pel = g.pel
    for eid in ids:
        nack = pel.get(eid)
        fields = s.get(eid)
        if fields is None:
            # The entry is gone: drop it from the PEL instead of claiming it.
            if nack is not None:
                if server.prop is not None and nack.consumer is not None:
                    propagate.rewrite(c, _xclaim_argv(key, name, g, nack.consumer.name, fmt_id(eid), nack))
                g.ack(eid)
                server.dirty += 1
                propagate_last_id = False
            continue
        if nack is None:
            if not force:
                continue
            nack = pel[eid] = Nack(None, now)
        if nack.consumer is not None and minidle and now - nack.delivery_time < minidle:
            continue
        if cons is None:
            cons = _consumer(c, g, argv[3], key, now)
        _claim(s, g, cons, eid, nack)
        nack.delivery_time = deliverytime
        if retrycount >= 0:
            nack.delivery_count = retrycount
        elif not justid:
            nack.delivery_count += 1
        out.append(fmt_id(eid) if justid else [fmt_id(eid), fields])
        server.dirty += 1
        propagate_last_id = False
        if server.prop is not None:
            propagate.rewrite(c, _xclaim_argv(key, name, g, cons.name, fmt_id(eid), nack))
    if propagate_last_id:
        server.dirty += 1
        propagate.rewrite(c, _setid_argv(key, name, g))
    return out


@command("xautoclaim", -6, "write fast", keys=(1, 1, 1), group=GRP, since="6.2.0",
         tips="nondeterministic_output",
         summary="Changes (or acquires) ownership of messages in a consumer group, as if the "
         "messages were delivered to the specified consumer.", complexity="O(1) if COUNT is small.")
def xautoclaim(c: Any, argv: list[bytes]) -> Any:
    minidle = parse_int(argv[4], errors.XAUTOCLAIM_MIN_IDLE)
    if minidle < 0:
        minidle = 0
    start = _range_start(argv[5])
    count = 100
    justid = False
    n = len(argv)
    j = 6
    while j < n:
        o = argv[j].lower()
        if o == b"count" and n - 1 - j:
            # Redis bounds COUNT so that count * attempts factor can't overflow.
            count = parse_int(argv[j + 1], errors.XAUTOCLAIM_COUNT)
            if count < 1 or count > LLONG_MAX // 16:
                raise CommandError(errors.XAUTOCLAIM_COUNT)
            j += 1
        elif o == b"justid":
            justid = True
        else:
            raise CommandError(errors.SYNTAX)
        j += 1
    key, name = argv[1], argv[2]
    s, g = _group_or_none(c, key, name)
    if s is None or g is None:
        raise errors.nogroup_key_or_group(key, name)
    attempts = count * 10
    now = c.server.now_ms()
    server = c.server
    propagate.prevent(c)  # each claim reaches the AOF as an exact XCLAIM (below)
    pel = g.pel
    cons: Consumer | None = None
    claimed: list[Any] = []
    deleted: list[bytes] = []
    cursor = 0
    # The loop looks at no more than attempts + 1 PEL entries (the last one is the cursor).
    for eid in list(islice(pel.irange(minimum=start), attempts + 1)):
        if not attempts or not count:
            cursor = eid
            break
        attempts -= 1
        fields = s.get(eid)
        if fields is None:
            gone = pel[eid]
            if server.prop is not None and gone.consumer is not None:
                propagate.rewrite(c, _xclaim_argv(key, name, g, gone.consumer.name, fmt_id(eid), gone))
            g.ack(eid)
            server.dirty += 1
            deleted.append(fmt_id(eid))
            count -= 1
            continue
        nack = pel[eid]
        if minidle and now - nack.delivery_time < minidle:
            continue
        if cons is None:
            cons = _consumer(c, g, argv[3], key, now)
        _claim(s, g, cons, eid, nack)
        nack.delivery_time = now
        if not justid:
            nack.delivery_count += 1
        claimed.append(fmt_id(eid) if justid else [fmt_id(eid), fields])
        count -= 1
        server.dirty += 1
        if server.prop is not None:
            propagate.rewrite(c, _xclaim_argv(key, name, g, cons.name, fmt_id(eid), nack))
    return [fmt_id(cursor), claimed, deleted]


# --- XINFO ----------------------------------------------------------------------------------

container("xinfo", group=GRP, since="5.0.0", summary="A container for stream introspection commands")


def _info_target(c: Any, key: bytes) -> Stream:
    s = _read(c, key)
    if s is None:
        raise CommandError(errors.NO_SUCH_KEY)
    return s


def _entries_read(g: Group) -> Any:
    return None if g.entries_read == INVALID_ENTRIES_READ else g.entries_read


@command("xinfo|consumers", 4, "readonly", keys=(2, 2, 1), group=GRP, since="5.0.0",
         tips="nondeterministic_output", summary="List the consumers in a consumer group",
         complexity="O(1)")
def xinfo_consumers(c: Any, argv: list[bytes]) -> Any:
    s = _info_target(c, argv[2])
    g = s.groups.get(argv[3])
    if g is None:
        raise errors.nogroup_for_key(argv[3], argv[2])
    now = c.server.now_ms()
    return [
        Map([b"name", cons.name, b"pending", len(cons.pel), b"idle", max(now - cons.seen_time, 0)])
        for cons in g.sorted_consumers()
    ]


@command("xinfo|groups", 3, "readonly", keys=(2, 2, 1), group=GRP, since="5.0.0",
         summary="List the consumer groups of a stream", complexity="O(1)")
def xinfo_groups(c: Any, argv: list[bytes]) -> Any:
    s = _info_target(c, argv[2])
    return [
        Map([
            b"name", name, b"consumers", len(g.consumers), b"pending", len(g.pel),
            b"last-delivered-id", fmt_id(g.last_id), b"entries-read", _entries_read(g),
            b"lag", s.lag(g),
        ])
        for name, g in s.sorted_groups()
    ]


@command("xinfo|stream", -3, "readonly", keys=(2, 2, 1), group=GRP, since="5.0.0",
         summary="Get information about a stream", complexity="O(1)")
def xinfo_stream(c: Any, argv: list[bytes]) -> Any:
    s = _info_target(c, argv[2])
    n = len(argv)
    full = n > 3
    count = 10  # FULL's default, so one call can't stall the server
    if full:
        if argv[3].lower() != b"full":
            raise _subcommand_syntax(argv)
        if n > 4:
            if n != 6 or argv[4].lower() != b"count":
                raise _subcommand_syntax(argv)
            count = parse_int(argv[5])
            if count < 0:
                count = 10
    info = Map([
        b"length", s.length,
        b"radix-tree-keys", len(s.nodes),
        b"radix-tree-nodes", s.rax_nodes(),
        b"last-generated-id", fmt_id(s.last_id),
        b"max-deleted-entry-id", fmt_id(s.max_deleted),
        b"entries-added", s.entries_added,
        b"recorded-first-entry-id", fmt_id(s.first_id()),
    ])
    if not full:
        first = s.range(0, MAX_ID, 1)
        last = s.range(0, MAX_ID, 1, True)
        info += [
            b"groups", len(s.groups),
            b"first-entry", _entries(first)[0] if first else None,
            b"last-entry", _entries(last)[0] if last else None,
        ]
        return info
    groups = []
    for name, g in s.sorted_groups():
        pel = [[fmt_id(eid), nack.consumer.name, nack.delivery_time, nack.delivery_count]  # type: ignore[union-attr]
               for eid, nack in _first(g.pel, count)]
        consumers = []
        for cons in g.sorted_consumers():
            consumers.append(Map([
                b"name", cons.name,
                b"seen-time", cons.seen_time,
                b"pel-count", len(cons.pel),
                b"pending", [[fmt_id(eid), nack.delivery_time, nack.delivery_count]
                             for eid, nack in _first(cons.pel, count)],
            ]))
        groups.append(Map([
            b"name", name,
            b"last-delivered-id", fmt_id(g.last_id),
            b"entries-read", _entries_read(g),
            b"lag", s.lag(g),
            b"pel-count", len(g.pel),
            b"pending", pel,
            b"consumers", consumers,
        ]))
    info += [b"entries", _entries(s.range(0, MAX_ID, count)), b"groups", groups]
    return info


def _first(pel: Any, count: int) -> list[tuple[int, Nack]]:
    # The first ``count`` items of a SortedDict PEL (0 = all).
    items = pel.items()
    return list(items[:count] if count else items)


@command("xinfo|help", 2, "loading stale", group=GRP, since="5.0.0",
         summary="Show helpful text about the different subcommands", complexity="O(1)")
def xinfo_help(c: Any, argv: list[bytes]) -> Any:
    return _help("XINFO", [
        "CONSUMERS <key> <groupname>",
        "    Show consumers of <groupname>.",
        "GROUPS <key>",
        "    Show the stream consumer groups.",
        "STREAM <key> [FULL [COUNT <count>]",
        "    Show information about the stream.",
    ])


# --- XSETID -------------------------------------------------------------------------------


@command("xsetid", -3, "write denyoom fast", keys=(1, 1, 1), group=GRP, since="5.0.0",
         summary="An internal command for replicating stream values", complexity="O(1)")
def xsetid(c: Any, argv: list[bytes]) -> Any:
    eid = parse_id(argv[2], 0, True)
    entries_added = -1
    max_xdel = 0
    n = len(argv)
    i = 3
    while i < n:
        more = n - 1 - i
        o = argv[i].lower()
        if o == b"entriesadded" and more:
            entries_added = parse_int(argv[i + 1])
            if entries_added < 0:
                raise CommandError(errors.XSETID_ENTRIES_ADDED)
            i += 2
        elif o == b"maxdeletedid" and more:
            max_xdel = parse_id(argv[i + 1], 0, True)
            if eid < max_xdel:
                raise CommandError(errors.XSETID_BELOW_GIVEN_MAXDELETED)
            i += 2
        else:
            raise CommandError(errors.SYNTAX)
    key = argv[1]
    s = _write(c, key)
    if s is None:
        raise CommandError(errors.NO_SUCH_KEY)
    if s.length:
        if eid < s.last_valid_id():
            raise CommandError(errors.XSETID_BELOW_TOP)
        if entries_added != -1 and s.length > entries_added:
            raise CommandError(errors.XSETID_ADDED_BELOW_LENGTH)
    s.last_id = eid
    if entries_added != -1:
        s.entries_added = entries_added
    if max_xdel:
        s.max_deleted = max_xdel
    c.server.notify(c.db, "t", b"xsetid", key)
    c.server.dirty += 1
    return OK
