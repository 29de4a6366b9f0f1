"""One logical database (SELECT n), sharded by cluster hash slot.

Rules of this module:

* Keys live in 16384 per-slot dicts (created on first use), the slot being the
  Redis Cluster CRC16 slot of the key.  On one trio thread shards buy no
  locking; they buy bounded work per step: the active expiry cycle, SCAN,
  snapshots and eviction walk one slot at a time, and a SCAN cursor is simply
  "the next slot", which gives Redis's guarantee (a key present for the whole
  scan is returned at least once) however the keyspace grows or shrinks.
* TTLs live in parallel per-slot dicts of absolute unix milliseconds.
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


def type_name(value: Any) -> bytes:
    t = type(value)
    if t is bytes or t is bytearray:
        return b"string"
    return value.type_name


class Database:
    """A keyspace: ``slots[slot][key] -> value`` and ``ttls[slot][key] -> unix ms``."""

    __slots__ = (
        "index", "server", "slots", "ttls", "atime", "size", "nttl", "watchers", "blocking",
        "expire_cursor", "avg_ttl",
    )

    def __init__(self, server: "Server", index: int) -> None:
        self.index = index
        self.server = server
        self.slots: list[dict[bytes, Any] | None] = [None] * NSLOTS
        self.ttls: list[dict[bytes, int] | None] = [None] * NSLOTS
        # Per-key access data, Redis's 24-bit robj->lru: the LRU clock (seconds)
        # of the last access, or under an LFU policy (minutes << 8 | log counter).
        # OBJECT IDLETIME/FREQ read it; eviction will.  Present for every key.
        self.atime: list[dict[bytes, int] | None] = [None] * NSLOTS
        self.size = 0  # number of keys
        self.nttl = 0  # number of keys with a TTL
        self.watchers: dict[bytes, set[Any]] = {}  # key -> sessions WATCHing it
        self.blocking: dict[bytes, Any] = {}  # key -> clients blocked on it (blocking module)
        self.expire_cursor = 0  # next slot for the active expiry cycle
        self.avg_ttl = 0  # running estimate of the average TTL (INFO keyspace)

    # --- reads -------------------------------------------------------------------
    def lookup(self, key: bytes) -> Any:
        """The value at ``key``, or None; expires the key lazily and records the
        access (LRU clock, or LFU counter) as Redis's lookupKey does."""
        slot = crc_hqx(key, 0) & _MASK if 123 not in key else key_slot(key)
        d = self.slots[slot]
        if d is None:
            return None
        v = d.get(key)
        if v is not None:
            if self.nttl:
                t = self.ttls[slot]
                if t and key in t and t[key] <= self.server.now_ms():
                    self._expire(slot, key)
                    return None
            server = self.server
            if server.lfu:
                a = self.atime[slot]
                a[key] = lfu_touch(a[key], server)  # type: ignore[index]
            else:
                self.atime[slot][key] = server.lru_clock  # type: ignore[index]
        return v

    def peek(self, key: bytes) -> Any:
        """``lookup`` without recording an access (LOOKUP_NOTOUCH: OBJECT, TYPE, TTL, EXISTS)."""
        slot = crc_hqx(key, 0) & _MASK if 123 not in key else key_slot(key)
        d = self.slots[slot]
        if d is None:
            return None
        v = d.get(key)
        if v is not None and self.nttl:
            t = self.ttls[slot]
            if t and key in t and t[key] <= self.server.now_ms():
                self._expire(slot, key)
                return None
        return v

    def access(self, key: bytes) -> int:
        """The raw access field of an existing key (see ``atime``)."""
        return self.atime[key_slot(key)][key]  # type: ignore[index]

    def set_access(self, key: bytes, idle_s: int = -1, freq: int = -1) -> None:
        """RESTORE ... IDLETIME / FREQ (objectSetLRUOrLFU)."""
        server = self.server
        a = self.atime[key_slot(key)]
        if server.lfu and freq >= 0:
            a[key] = (lfu_minutes(server) << 8) | min(freq, 255)  # type: ignore[index]
        elif not server.lfu and idle_s >= 0:
            a[key] = (server.lru_clock - idle_s) & LRU_CLOCK_MAX  # type: ignore[index]

    def exists(self, key: bytes) -> bool:
        return self.lookup(key) is not None

    def get_ttl(self, key: bytes) -> int | None:
        """Absolute expire time in unix ms, or None (call after ``lookup``)."""
        if not self.nttl:
            return None
        t = self.ttls[key_slot(key)]
        return t.get(key) if t else None

    # --- writes ------------------------------------------------------------------
    def set(self, key: bytes, value: Any, keep_ttl: bool = False) -> None:
        """Store ``value`` at ``key``; drops any TTL unless ``keep_ttl``."""
        slot = crc_hqx(key, 0) & _MASK if 123 not in key else key_slot(key)
        d = self.slots[slot]
        if d is None:
            d = self.slots[slot] = {}
        server = self.server
        a = self.atime[slot]
        if a is None:
            a = self.atime[slot] = {}
        if key not in d:
            self.size += 1
            d[key] = value
            a[key] = (lfu_minutes(server) << 8 | LFU_INIT_VAL) if server.lfu else server.lru_clock
            if self.server.notify_flags:
                # Redis's dbAdd announces every key that comes into being (class "n").
                self.server.notify(self, "n", b"new", key)
        else:
            if not keep_ttl and self.nttl:
                t = self.ttls[slot]
                if t and t.pop(key, None) is not None:
                    self.nttl -= 1
                    if not self.nttl:
                        self.avg_ttl = 0  # no volatile keys left: no average (activeExpireCycle)
            d[key] = value
            if not server.lfu:  # dbSetValue: a new object is fresh; LFU keeps the old counter
                a[key] = server.lru_clock
        if self.watchers or server.tracking_on:
            self.modified(key)
        if self.blocking and key in self.blocking:
            # Redis's dbAdd signals a (re)created key as ready: whoever stores a
            # list or zset (push, RENAME, RESTORE, SMOVE ...) wakes its waiters.
            self.server.ready_keys.append((self, key))

    def replace_value(self, key: bytes, value: Any) -> None:
        """Swap the value object of an existing key, keeping its TTL (in-place style)."""
        self.slots[key_slot(key)][key] = value  # type: ignore[index]

    def delete(self, key: bytes) -> bool:
        """Remove ``key``; True if it existed (expired keys count as absent)."""
        slot = key_slot(key)
        d = self.slots[slot]
        if not d or key not in d:
            return False
        if self.nttl:
            t = self.ttls[slot]
            if t and key in t:
                if t[key] <= self.server.now_ms():
                    self._expire(slot, key)
                    return False
                del t[key]
                self.nttl -= 1
                if not self.nttl:
                    self.avg_ttl = 0  # no volatile keys left: no average (activeExpireCycle)
        del d[key]
        del self.atime[slot][key]  # type: ignore[index, union-attr]
        if self.blocking and key in self.blocking:
            # signalDeletedKeyAsReady: XREADGROUP waiters learn their stream is gone.
            self.server.ready_keys.append((self, key))
        self.size -= 1
        if self.watchers or self.server.tracking_on:
            self.modified(key)
        return True

    def set_expire(self, key: bytes, when_ms: int) -> None:
        """Give an existing key an absolute expire time (unix ms)."""
        slot = key_slot(key)
        t = self.ttls[slot]
        if t is None:
            t = self.ttls[slot] = {}
        if key not in t:
            self.nttl += 1
        t[key] = when_ms
        if self.watchers or self.server.tracking_on:
            self.modified(key)

    def persist(self, key: bytes) -> bool:
        """Drop the TTL of ``key``; True if it had one."""
        t = self.ttls[key_slot(key)]
        if t and t.pop(key, None) is not None:
            self.nttl -= 1
            if not self.nttl:
                self.avg_ttl = 0  # no volatile keys left: no average (activeExpireCycle)
            if self.watchers or self.server.tracking_on:
                self.modified(key)
            return True
        return False

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
            slot = key_slot(key)
            d = self.slots[slot]
            od = other.slots[slot] if other is not None else None
            if (d and key in d) or (od and key in od):
                for session in sessions:
                    session.watch_dirty = True

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
        self.slots = [None] * NSLOTS
        self.ttls = [None] * NSLOTS
        self.atime = [None] * NSLOTS
        self.size = 0
        self.nttl = 0
        self.avg_ttl = 0
        if self.server.tracking_on:
            self.server.invalidate_all()
        return n

    def _expire(self, slot: int, key: bytes) -> None:
        # A key whose time has come: remove it as Redis's deleteExpiredKeyAndPropagate
        # does, tell WATCHers, and emit the "expired" keyspace event.  Not while
        # CLIENT PAUSE is on: Redis pauses expiry then (the key reads as absent
        # but stays, so a replica would see the same dataset).
        if self.server.expiry_paused():
            return
        # (a key being expired has all three dicts: not None)
        del self.slots[slot][key]  # type: ignore[index, union-attr]
        del self.ttls[slot][key]  # type: ignore[index, union-attr]
        del self.atime[slot][key]  # type: ignore[index, union-attr]
        self.size -= 1
        self.nttl -= 1
        if not self.nttl:
            self.avg_ttl = 0  # no volatile keys left: no average (activeExpireCycle)
        self.server.stats.expired_keys += 1
        if self.server.prop is not None:  # AOF: the key goes as DEL/UNLINK (propagateDeletion)
            propagate.deleted(self.server, self.index, key, "lazyfree-lazy-expire")
        if self.watchers or self.server.tracking_on:
            self.modified(key)
        self.server.notify(self, "x", b"expired", key)

    # --- iteration ---------------------------------------------------------------
    def keys(self) -> Iterator[bytes]:
        """Every live key (expired ones are reclaimed on the way)."""
        now = self.server.now_ms()
        for slot in range(NSLOTS):
            d = self.slots[slot]
            if not d:
                continue
            t = self.ttls[slot]
            if t:
                for k in [k for k, when in t.items() if when <= now]:
                    self._expire(slot, k)
                if self.server.pause_end:  # expired keys kept by a pause still don't show
                    yield from [k for k in d if k not in t or t[k] > now]
                    continue
            yield from list(d)

    def scan_slot(self, slot: int) -> list[bytes]:
        """The live keys of one slot (SCAN's unit of work)."""
        d = self.slots[slot]
        if not d:
            return []
        t = self.ttls[slot]
        if t:
            now = self.server.now_ms()
            for k in [k for k, when in t.items() if when <= now]:
                self._expire(slot, k)
            if self.server.pause_end:  # expired keys kept by a pause still don't show
                return [k for k in d if k not in t or t[k] > now]
        return list(d)

    def random_key(self) -> bytes | None:
        """A random live key, or None when the database is empty."""
        for _ in range(100):
            if not self.size:
                return None
            # Pick a non-empty slot at random, weighted by trying random slots;
            # fall back to a scan for sparse keyspaces.
            for _ in range(32):
                d = self.slots[random.getrandbits(14)]
                if d:
                    break
            else:
                d = next(x for x in self.slots if x)
            key = random.choice(list(d)) if len(d) < 64 else _pick(d)
            if self.lookup(key) is not None:
                return key
        # Mostly stale keys: reclaim them all, then any key left is live.
        for slot in range(NSLOTS):
            if self.slots[slot] and self.ttls[slot]:
                self.scan_slot(slot)
        for d in self.slots:
            if d:
                return _pick(d)
        return None

    # --- expiry cycle ------------------------------------------------------------
    def active_expire(self, now_ms: int, deadline: float, clock: Any) -> int:
        """One pass of Redis's adaptive active expiry over this database.

        Walk slots from the saved cursor, testing keys that have a TTL in groups
        of at least 20; keep going while more than 10% of a group had expired
        and the time budget lasts.  Returns the number of keys reclaimed.
        """
        if not self.nttl:
            return 0
        reclaimed = 0
        slot = self.expire_cursor
        visited = 0
        while visited < NSLOTS:
            sampled = expired = 0
            ttl_sum = 0
            while sampled < 20 and visited < NSLOTS:
                t = self.ttls[slot]
                if t:
                    sampled += len(t)
                    for k, when in list(t.items()):
                        if when <= now_ms:
                            self._expire(slot, k)
                            expired += 1
                        else:
                            ttl_sum += when - now_ms
                slot = (slot + 1) & _MASK
                visited += 1
            reclaimed += expired
            live = sampled - expired
            if live:
                avg = ttl_sum // live
                # Redis keeps a running average weighted 2% towards the new sample.
                self.avg_ttl = avg if not self.avg_ttl else (self.avg_ttl // 50) * 49 + avg // 50
            if sampled == 0 or expired * 10 <= sampled or clock() > deadline:
                break
        self.expire_cursor = slot
        return reclaimed

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
        out: list[bytes] = []
        ttls = self.ttls
        for slot, d in enumerate(self.slots):
            if not d:
                continue
            t = ttls[slot]
            if match is None:
                if t:
                    out.extend(k for k in d if k not in t or t[k] > now)
                else:
                    out.extend(d)
            elif t:
                out.extend(k for k in d if match(k) and (k not in t or t[k] > now))
            else:
                out.extend(k for k in d if match(k))
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
            d = slots[slot]
            slot += 1
            if d:
                out.extend(d)
                if len(out) >= count:
                    break
        return (slot if slot < NSLOTS else 0), out

    def is_expired(self, key: bytes) -> bool:
        """Has ``key``'s TTL passed (without reclaiming it)?"""
        if not self.nttl:
            return False
        t = self.ttls[key_slot(key)]
        return bool(t) and key in t and t[key] <= self.server.now_ms()  # type: ignore[index, operator]

    def expire_if_needed(self, key: bytes) -> bool:
        """expireIfNeeded: reclaim ``key`` if its TTL has passed; True if it did."""
        if not self.nttl:
            return False
        slot = key_slot(key)
        t = self.ttls[slot]
        if t and key in t and t[key] <= self.server.now_ms():
            self._expire(slot, key)
            return True
        return False


def _pick(d: dict[bytes, Any]) -> bytes:
    # Random element of a large dict without copying all keys: skip ahead a random amount.
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
