"""One logical database (SELECT n): a flat key index, sharded by cluster hash slot.

Rules of this module:

* Values live in one flat dict, ``data[key]``, and so do TTLs (``expires``,
  absolute unix milliseconds) and access data (``atime``).  A read is one
  dict lookup: the key's hash is computed once and cached in the bytes
  object, so the TTL check and the access stamp that follow cost no hashing
  either (the per-slot lookup this replaced spent ~85 ns per GET on CRC16
  and two list indexings, ~10% of a pipelined GET).
* The keys are also sharded into 16384 per-slot sets (created on first use),
  the slot being the Redis Cluster CRC16 slot of the key, and the keys with
  a TTL into a second set per slot.  On one trio thread shards buy no
  locking; they buy bounded work per step: the active expiry cycle, SCAN,
  eviction sampling and random keys walk one slot at a time, and a SCAN
  cursor is simply "the next slot", which gives Redis's guarantee (a key
  present for the whole scan is returned at least once) however the keyspace
  grows or shrinks.  They also keep what a slot-aware command or cluster mode
  needs.  Only creating or deleting a key (or giving or dropping a TTL) pays
  for the slot; overwriting a value does not.
* Expiry is lazy: every read through ``lookup``/``exists`` deletes a key whose
  time has come, so expired keys are never seen; ``active_expire_cycle``
  reclaims keys nobody reads.
* Every write goes through this class (``set``, ``delete``, ``set_expire`` ...)
  or, for values changed in place, is followed by ``modified(key)``: that is
  what invalidates WATCH and client-side caches.  A write that can make a key
  interesting to a blocked client (a list push, a zset add) also calls
  ``signal_ready(key)``.
* Values: ``bytes`` (or ``bytearray`` once mutated in place) are strings; every
  other type is a class with a ``type_name`` attribute (see ``datatypes``).
"""

from __future__ import annotations

import random
from binascii import crc_hqx
from typing import TYPE_CHECKING, Any, Iterator

from .. import errors
from ..errors import CommandError
from ..persistence import propagate
from .slots import NSLOTS, key_slot

if TYPE_CHECKING:
    from ..server.state import Server

_MASK = NSLOTS - 1

# What SWAPDB exchanges between two databases: everything but identity and
# the per-db registries of WATCHers and blocked clients (they stay with "db n").
_CONTENTS = ("data", "expires", "atime", "slots", "ttls", "expire_cursor", "avg_ttl")


def type_name(value: Any) -> bytes:
    t = type(value)
    if t is bytes or t is bytearray:
        return b"string"
    return value.type_name


class Database:
    """A keyspace: ``data[key] -> value``, ``expires[key] -> unix ms``, and the
    keys by cluster slot (``slots[slot]``; ``ttls[slot]``: those with a TTL)."""

    __slots__ = (
        "index", "server", "data", "expires", "atime", "slots", "ttls", "watchers", "blocking",
        "expire_cursor", "avg_ttl",
    )

    def __init__(self, server: "Server", index: int) -> None:
        self.index = index
        self.server = server
        self.data: dict[bytes, Any] = {}
        self.expires: dict[bytes, int] = {}
        # Per-key access data, Redis's 24-bit robj->lru: the LRU clock (seconds)
        # of the last access, or under an LFU policy (minutes << 8 | log counter).
        # OBJECT IDLETIME/FREQ and eviction read it.  Present for every key.
        self.atime: dict[bytes, int] = {}
        self.slots: list[set[bytes] | None] = [None] * NSLOTS
        self.ttls: list[set[bytes] | None] = [None] * NSLOTS
        self.watchers: dict[bytes, set[Any]] = {}  # key -> sessions WATCHing it
        self.blocking: dict[bytes, Any] = {}  # key -> clients blocked on it (blocking module)
        self.expire_cursor = 0  # next slot for the active expiry cycle
        self.avg_ttl = 0  # running estimate of the average TTL (INFO keyspace)

    @property
    def size(self) -> int:
        """Number of keys."""
        return len(self.data)

    @property
    def nttl(self) -> int:
        """Number of keys with a TTL."""
        return len(self.expires)

    # --- reads -------------------------------------------------------------------
    def lookup(self, key: bytes) -> Any:
        """The value at ``key``, or None; expires the key lazily and records the
        access (LRU clock, or LFU counter) as Redis's lookupKey does."""
        v = self.data.get(key)
        if v is not None:
            if self.expires:
                when = self.expires.get(key)
                if when is not None and when <= self.server.now_ms():
                    self._expire(key)
                    return None
            server = self.server
            if server.lfu:
                a = self.atime
                a[key] = lfu_touch(a[key], server)
            else:
                self.atime[key] = server.lru_clock
        return v

    def peek(self, key: bytes) -> Any:
        """``lookup`` without recording an access (LOOKUP_NOTOUCH: OBJECT, TYPE, TTL, EXISTS)."""
        v = self.data.get(key)
        if v is not None and self.expires:
            when = self.expires.get(key)
            if when is not None and when <= self.server.now_ms():
                self._expire(key)
                return None
        return v

    def access(self, key: bytes) -> int:
        """The raw access field of an existing key (see ``atime``)."""
        return self.atime[key]

    def set_access(self, key: bytes, idle_s: int = -1, freq: int = -1) -> None:
        """RESTORE ... IDLETIME / FREQ (objectSetLRUOrLFU)."""
        server = self.server
        if server.lfu and freq >= 0:
            self.atime[key] = (lfu_minutes(server) << 8) | min(freq, 255)
        elif not server.lfu and idle_s >= 0:
            self.atime[key] = (server.lru_clock - idle_s) & LRU_CLOCK_MAX

    def exists(self, key: bytes) -> bool:
        return self.lookup(key) is not None

    def get_ttl(self, key: bytes) -> int | None:
        """Absolute expire time in unix ms, or None (call after ``lookup``)."""
        return self.expires.get(key)

    # --- writes ------------------------------------------------------------------
    def set(self, key: bytes, value: Any, keep_ttl: bool = False) -> None:
        """Store ``value`` at ``key``; drops any TTL unless ``keep_ttl``."""
        data = self.data
        server = self.server
        if key not in data:
            slot = crc_hqx(key, 0) & _MASK if 123 not in key else key_slot(key)
            keys = self.slots[slot]
            if keys is None:
                keys = self.slots[slot] = set()
            keys.add(key)
            data[key] = value
            self.atime[key] = (lfu_minutes(server) << 8 | LFU_INIT_VAL) if server.lfu else server.lru_clock
            if server.notify_flags:
                # Redis's dbAdd announces every key that comes into being (class "n").
                server.notify(self, "n", b"new", key)
        else:
            if not keep_ttl and self.expires and key in self.expires:
                self._drop_ttl(key)
            data[key] = value
            if not server.lfu:  # dbSetValue: a new object is fresh; LFU keeps the old counter
                self.atime[key] = server.lru_clock
        if self.watchers or server.tracking_on:
            self.modified(key)
        if self.blocking and key in self.blocking:
            # Redis's dbAdd signals a (re)created key as ready: whoever stores a
            # list or zset (push, RENAME, RESTORE, SMOVE ...) wakes its waiters.
            server.ready_keys.append((self, key))

    def set_is_plain(self) -> bool:
        """Whether ``set`` on an existing key without a TTL would only store the value
        and the LRU stamp (no LFU counter to keep, no WATCHer or tracking client to
        tell, no blocked client to wake): callers storing many values (SET runs,
        MSET) may then do those two stores themselves.  Keep in step with ``set``."""
        server = self.server
        return not (server.lfu or self.watchers or server.tracking_on or self.blocking)

    def replace_value(self, key: bytes, value: Any) -> None:
        """Swap the value object of an existing key, keeping its TTL (in-place style)."""
        self.data[key] = value

    def delete(self, key: bytes) -> bool:
        """Remove ``key``; True if it existed (expired keys count as absent)."""
        data = self.data
        if key not in data:
            return False
        if self.expires:
            when = self.expires.get(key)
            if when is not None:
                if when <= self.server.now_ms():
                    self._expire(key)
                    return False
                self._drop_ttl(key)
        del data[key]
        del self.atime[key]
        self.slots[key_slot(key)].discard(key)  # type: ignore[union-attr]
        if self.blocking and key in self.blocking:
            # signalDeletedKeyAsReady: XREADGROUP waiters learn their stream is gone.
            self.server.ready_keys.append((self, key))
        if self.watchers or self.server.tracking_on:
            self.modified(key)
        return True

    def set_expire(self, key: bytes, when_ms: int) -> None:
        """Give an existing key an absolute expire time (unix ms)."""
        if key not in self.expires:
            slot = key_slot(key)
            t = self.ttls[slot]
            if t is None:
                t = self.ttls[slot] = set()
            t.add(key)
        self.expires[key] = when_ms
        if self.watchers or self.server.tracking_on:
            self.modified(key)

    def persist(self, key: bytes) -> bool:
        """Drop the TTL of ``key``; True if it had one."""
        if key in self.expires:
            self._drop_ttl(key)
            if self.watchers or self.server.tracking_on:
                self.modified(key)
            return True
        return False

    def _drop_ttl(self, key: bytes) -> None:
        del self.expires[key]
        self.ttls[key_slot(key)].discard(key)  # type: ignore[union-attr]
        if not self.expires:
            self.avg_ttl = 0  # no volatile keys left: no average (activeExpireCycle)

    def read_typed(self, key: bytes, cls: type) -> Any:
        """A read command's lookup of a ``cls`` value: counts hits/misses, emits
        "keymiss", WRONGTYPE for another type (lookupKeyRead + checkType)."""
        v = self.lookup_read(key)
        if v is not None and type(v) is not cls:
            raise CommandError(errors.WRONGTYPE)
        return v

    def write_typed(self, key: bytes, cls: type) -> Any:
        """A write command's lookup of a ``cls`` value (lookupKeyWrite + checkType)."""
        v = self.lookup(key)
        if v is not None and type(v) is not cls:
            raise CommandError(errors.WRONGTYPE)
        return v

    def touched(self, key: bytes) -> None:
        """After changing a value in place: ``modified`` when anyone could care."""
        if self.watchers or self.server.tracking_on:
            self.modified(key)

    def modified(self, key: bytes) -> None:
        """Tell WATCHers and client-side caches that ``key`` changed (signalModifiedKey)."""
        w = self.watchers.get(key)
        if w:
            for session in w:
                session.watch_dirty = True
        if self.server.tracking_on:
            self.server.invalidate_key(key)

    def touch_watched(self, other: "Database | None" = None) -> None:
        """Before this db is emptied (or swapped with ``other``): dirty the WATCHers
        of every watched key that exists here or in ``other`` (touchAllWatchedKeysInDb)."""
        for key, sessions in self.watchers.items():
            if key in self.data or (other is not None and key in other.data):
                for session in sessions:
                    session.watch_dirty = True

    def swap_contents(self, other: "Database") -> None:
        """SWAPDB: exchange the datasets; each object stays "db n" for its sessions."""
        for attr in _CONTENTS:
            mine = getattr(self, attr)
            setattr(self, attr, getattr(other, attr))
            setattr(other, attr, mine)

    def signal_ready(self, key: bytes) -> None:
        """A write may have made ``key`` serve a blocked client (signalKeyAsReady)."""
        if key in self.blocking:
            self.server.ready_keys.append((self, key))

    def flush(self) -> int:
        """Remove every key; returns how many there were.

        WATCHers of keys that existed see a change, the others don't
        (touchAllWatchedKeysInDb); client-side caches get one flush message.
        """
        n = self.size
        if self.watchers:
            self.touch_watched()
        self.data = {}
        self.expires = {}
        self.atime = {}
        self.slots = [None] * NSLOTS
        self.ttls = [None] * NSLOTS
        self.avg_ttl = 0
        if self.server.tracking_on:
            self.server.invalidate_all()
        return n

    def _expire(self, key: bytes) -> None:
        # A key whose time has come: remove it as Redis's deleteExpiredKeyAndPropagate
        # does, tell WATCHers, and emit the "expired" keyspace event.  Not while
        # CLIENT PAUSE is on: Redis pauses expiry then (the key reads as absent
        # but stays, so a replica would see the same dataset).
        if self.server.expiry_paused():
            return
        slot = key_slot(key)
        del self.data[key]
        del self.atime[key]
        del self.expires[key]
        self.slots[slot].discard(key)  # type: ignore[union-attr]
        self.ttls[slot].discard(key)  # type: ignore[union-attr]
        if not self.expires:
            self.avg_ttl = 0  # no volatile keys left: no average (activeExpireCycle)
        self.server.stats.expired_keys += 1
        if self.server.prop is not None:  # AOF: the key goes as DEL/UNLINK (propagateDeletion)
            propagate.deleted(self.server, self.index, key, "lazyfree-lazy-expire")
        if self.watchers or self.server.tracking_on:
            self.modified(key)
        self.server.notify(self, "x", b"expired", key)

    def _reclaim_slot(self, slot: int, now: int) -> None:
        """Expire the keys of ``slot`` whose time has come."""
        t = self.ttls[slot]
        if t:
            exp = self.expires
            for k in [k for k in t if exp[k] <= now]:
                self._expire(k)

    # --- iteration ---------------------------------------------------------------
    def keys(self) -> Iterator[bytes]:
        """Every live key (expired ones are reclaimed on the way)."""
        for slot in range(NSLOTS):
            if self.slots[slot]:
                yield from self.scan_slot(slot)

    def scan_slot(self, slot: int) -> list[bytes]:
        """The live keys of one slot (SCAN's unit of work)."""
        keys = self.slots[slot]
        if not keys:
            return []
        if self.ttls[slot]:
            now = self.server.now_ms()
            self._reclaim_slot(slot, now)
            if self.server.pause_end:  # expired keys kept by a pause still don't show
                exp = self.expires
                return [k for k in keys if k not in exp or exp[k] > now]
        return list(keys)

    def random_key(self) -> bytes | None:
        """A random live key, or None when the database is empty."""
        for _ in range(100):
            if not self.data:
                return None
            # Pick a non-empty slot at random, weighted by trying random slots;
            # fall back to a scan for sparse keyspaces.
            for _ in range(32):
                keys = self.slots[random.getrandbits(14)]
                if keys:
                    break
            else:
                keys = next(x for x in self.slots if x)
            key = random.choice(list(keys)) if len(keys) < 64 else _pick(keys)
            if self.lookup(key) is not None:
                return key
        # Mostly stale keys: reclaim them all, then any key left is live.
        now = self.server.now_ms()
        for slot in range(NSLOTS):
            self._reclaim_slot(slot, now)
        for keys in self.slots:
            if keys:
                return _pick(keys)
        return None

    # --- expiry cycle ------------------------------------------------------------
    def active_expire(self, now_ms: int, deadline: float, clock: Any) -> tuple[int, int]:
        """One pass of Redis's adaptive active expiry over this database.

        Walk slots from the saved cursor, testing keys that have a TTL in groups
        of at least 20; keep going while more than 10% of a group had expired
        and the time budget lasts.  Returns (keys reclaimed, keys tested): INFO's
        expired_stale_perc is the one over the other.
        """
        if not self.expires:
            return 0, 0
        exp = self.expires
        reclaimed = tested = 0
        slot = self.expire_cursor
        visited = 0
        while visited < NSLOTS:
            sampled = expired = 0
            ttl_sum = 0
            while sampled < 20 and visited < NSLOTS:
                t = self.ttls[slot]
                if t:
                    sampled += len(t)
                    for k in list(t):
                        when = exp[k]
                        if when <= now_ms:
                            self._expire(k)
                            expired += 1
                        else:
                            ttl_sum += when - now_ms
                slot = (slot + 1) & _MASK
                visited += 1
            reclaimed += expired
            tested += sampled
            live = sampled - expired
            if live:
                avg = ttl_sum // live
                # Redis keeps a running average weighted 2% towards the new sample.
                self.avg_ttl = avg if not self.avg_ttl else (self.avg_ttl // 50) * 49 + avg // 50
            if sampled == 0 or expired * 10 <= sampled or clock() > deadline:
                break
        self.expire_cursor = slot
        return reclaimed, tested

    # --- read lookups, KEYS, SCAN (the generic commands) --------------------------
    def lookup_read(self, key: bytes, touch: bool = True) -> Any:
        """lookupKeyRead: ``lookup`` that also counts keyspace hits/misses and
        emits the "keymiss" event, as every read-only lookup in Redis does.
        ``touch=False`` is LOOKUP_NOTOUCH (EXISTS, TYPE, TTL leave access data alone)."""
        v = self.lookup(key) if touch else self.peek(key)
        if v is None:
            self.server.stats.keyspace_misses += 1
            self.server.notify(self, "m", b"keymiss", key)
        else:
            self.server.stats.keyspace_hits += 1
        return v

    def live_keys(self, match: Any = None) -> list[bytes]:
        """KEYS: the live keys (``match(key)`` true, if given).  Like Redis's KEYS,
        a key whose TTL has passed is skipped but *not* reclaimed here."""
        now = self.server.now_ms()
        exp = self.expires
        out: list[bytes] = []
        ttls = self.ttls
        for slot, keys in enumerate(self.slots):
            if not keys:
                continue
            if match is None:
                if ttls[slot]:
                    out.extend(k for k in keys if k not in exp or exp[k] > now)
                else:
                    out.extend(keys)
            elif ttls[slot]:
                out.extend(k for k in keys if match(k) and (k not in exp or exp[k] > now))
            else:
                out.extend(k for k in keys if match(k))
        return out

    def scan(self, cursor: int, count: int) -> tuple[int, list[bytes]]:
        """One SCAN step: keys of whole slots from slot ``cursor`` on, until at
        least ``count`` were gathered; returns (next cursor or 0, keys).

        Expired keys are included (the caller filters, reclaiming them as
        Redis's SCAN does, after its MATCH test).  Slots are visited in order
        and each exactly once per full iteration, whatever is added or removed
        meanwhile: a key present for the whole scan is returned exactly once.
        A slot is never split, so a slot crowded by one {hash tag} comes back
        in one reply (COUNT is a hint, as in Redis).
        """
        out: list[bytes] = []
        slots = self.slots
        slot = cursor
        while slot < NSLOTS:
            keys = slots[slot]
            slot += 1
            if keys:
                out.extend(keys)
                if len(out) >= count:
                    break
        return (slot if slot < NSLOTS else 0), out

    def is_expired(self, key: bytes) -> bool:
        """Has ``key``'s TTL passed (without reclaiming it)?"""
        when = self.expires.get(key)
        return when is not None and when <= self.server.now_ms()

    def expire_if_needed(self, key: bytes) -> bool:
        """expireIfNeeded: reclaim ``key`` if its TTL has passed; True if it did."""
        when = self.expires.get(key)
        if when is not None and when <= self.server.now_ms():
            self._expire(key)
            return True
        return False


def _pick(d: set[bytes]) -> bytes:
    # Random element of a large set without copying all of it: skip ahead a random amount.
    n = random.randrange(len(d))
    for i, k in enumerate(d):
        if i == n:
            return k
    raise AssertionError("unreachable")


# --- LRU clock and LFU counter (Redis's evict.c, same constants) -------------------
LRU_CLOCK_MAX = (1 << 24) - 1  # the LRU clock is 24 bits of seconds
LFU_INIT_VAL = 5  # a new key starts here so it isn't evicted before it can be used


def lru_clock(now_ms: int) -> int:
    return (now_ms // 1000) & LRU_CLOCK_MAX


def lfu_minutes(server: "Server") -> int:
    return (server.now_ms() // 60000) & 65535


def lfu_decayed(field: int, server: "Server") -> int:
    """LFUDecrAndReturn: the counter less one per ``lfu-decay-time`` minutes idle."""
    counter = field & 255
    period = server.config["lfu-decay-time"]
    if period:
        now = lfu_minutes(server)
        ldt = field >> 8
        elapsed = now - ldt if now >= ldt else 65535 - ldt + now
        counter = max(0, counter - elapsed // period)
    return counter


def lfu_touch(field: int, server: "Server") -> int:
    """An access under an LFU policy: decay, then LFULogIncr (probability 1/(base*factor+1))."""
    counter = lfu_decayed(field, server)
    if counter < 255:
        base = counter - LFU_INIT_VAL
        if base <= 0 or random.random() < 1.0 / (base * server.config["lfu-log-factor"] + 1):
            counter += 1
    return (lfu_minutes(server) << 8) | counter


def idle_seconds(field: int, server: "Server") -> int:
    """estimateObjectIdleTime, in seconds."""
    clock = server.lru_clock
    return clock - field if clock >= field else clock + (LRU_CLOCK_MAX - field)
