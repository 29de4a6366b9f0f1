"""maxmemory: measuring used memory, evicting keys, refusing writes (Redis's evict.c).

Rules of this module:

* **The measure** (``Meter``): Redis counts its own allocations; Python can't
  cheaply, and RSS never goes down (pymalloc and glibc keep freed pages).  We
  add two figures that do go down when objects are freed:

  - glibc's ``mallinfo2()``: bytes in use in malloc chunks plus mmapped
    chunks -- every object over 512 bytes (big strings, dict and list tables,
    sets) lives there.  About 0.4 us through ctypes, any heap size.
  - pymalloc's small blocks (<= 512 bytes: most keys, short values, ints,
    floats) counted by ``sys.getallocatedblocks()`` times ``BLOCK_BYTES``
    (their typical size class plus pool overhead).  That call walks every
    pymalloc pool (about 8 ns a pool, so ~20 us for 40 MB of small objects),
    so its result is cached and refreshed every ``interval`` guarded commands
    (chosen from its measured cost, so the refresh costs ~0.2 us a command
    on average).  Between refreshes the figure moves by estimates in the
    same terms: every command that may grow memory adds its arguments (a
    block each, plus their bytes when big), every evicted key subtracts its
    key and value.  Refusing a command (noeviction, nothing left to evict)
    always re-measures first.

  Where mallinfo2 is unavailable (not glibc) only the pymalloc part counts.
* **The guard** (``Evictor.guard``) is ``server.oom_guard`` while maxmemory
  is non-zero (startup and CONFIG SET), else None so sessions keep the
  dispatcher's fast lane.  It is processCommand's OOM step: evict per the
  policy until under the limit (performEvictions), and if that fails refuse
  denyoom commands, EXEC of a queue holding one, any command queued inside
  MULTI, and scripts/functions not flagged no-writes or allow-oom, with
  Redis's exact error.  Reads run.  ``server.oom_state`` keeps the result for
  the scripting engine (a compat-mode script's first write is refused).
* **Eviction** samples ``maxmemory-samples`` keys per database into a pool of
  the 16 best candidates (Redis's EVPOOL_SIZE), walking the store slot by
  slot from a random slot, and deletes the best through ``Database.delete``
  (WATCH, client-side caching and blocked stream readers learn of it as of
  any deletion), then emits "evicted" (class e) and counts evicted_keys.
  Freed bytes are estimated per key (``Meter.freed``; containers through
  ``object_size``, which MEMORY USAGE also reports).
* A time budget per call (``maxmemory-eviction-tenacity``, Redis's formula
  scaled for Python) bounds the work; a call that runs out of time lets the
  command through and the cron carries on, as Redis's timer proc does.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import random
import sys
from itertools import islice
from time import perf_counter_ns
from typing import TYPE_CHECKING, Any, Callable

from .. import errors
from ..errors import CommandError
from ..persistence import propagate
from ..server import state
from .db import LRU_CLOCK_MAX, lfu_decayed
from .slots import NSLOTS

if TYPE_CHECKING:
    from ..server.state import Server
    from .db import Database

EVPOOL_SIZE = 16
TTL_MAX = (1 << 64) - 1  # volatile-ttl scores ULLONG_MAX - expire time: the nearest is the best
BLOCK_BYTES = 64  # a typical pymalloc block (size class 33..64) with its pool's share
SMALL_ARGS = 400  # below this many argument bytes a command's objects are all pymalloc blocks

# --- the measure ---------------------------------------------------------------------


class _MallInfo2(ctypes.Structure):
    _fields_ = [(n, ctypes.c_size_t) for n in (
        "arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks", "uordblks",
        "fordblks", "keepcost")]


def _load_mallinfo() -> Callable[[], int] | None:
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        fn = libc.mallinfo2
    except (OSError, AttributeError):
        return None
    fn.restype = _MallInfo2
    fn.argtypes = []

    def malloc_bytes() -> int:
        m = fn()
        return m.uordblks + m.hblkhd

    return malloc_bytes


_malloc_bytes = _load_mallinfo()


def malloc_bytes() -> int:
    """Bytes in use in glibc malloc (0 where mallinfo2 is missing)."""
    return _malloc_bytes() if _malloc_bytes is not None else 0


def pymalloc_bytes() -> int:
    """Estimated bytes in pymalloc's small blocks (walks every pool: not free)."""
    return sys.getallocatedblocks() * BLOCK_BYTES


class Meter:
    """Used memory, cheap to consult before every command (see the module notes)."""

    def __init__(self) -> None:
        self.base = 0  # the exact figure at the last refresh
        self.pending = 0  # growth estimated since then
        self.countdown = 0  # guarded commands until the next refresh
        self.interval = 16
        self.cost = 0  # ns a pymalloc walk takes (smoothed)
        self.refresh()

    def refresh(self) -> int:
        t0 = perf_counter_ns()
        used = malloc_bytes() + pymalloc_bytes()
        ns = perf_counter_ns() - t0
        self.base = used
        self.pending = 0
        # Amortise the pool walk to about 0.2 us a command, 16..4096 commands
        # apart; the cost is smoothed so one slow walk (a busy CPU) counts little.
        self.cost = ns if not self.cost else (3 * self.cost + ns) // 4
        self.interval = self.countdown = max(16, min(4096, self.cost // 200))
        return used

    def exact(self) -> int:
        """Used memory now (walks pymalloc's pools)."""
        return self.refresh()

    def estimate(self) -> int:
        """Used memory as of the last refresh plus the growth estimated since."""
        return self.base + self.pending

    def grows(self, argv: list[bytes]) -> None:
        """A command that may grow memory is about to run: its arguments will
        mostly stay (values, members, fields) -- count them as the meter would."""
        n = sum(map(len, argv))
        # Two blocks an argument: its object plus its share of what holds it
        # (dict entries, access data); under while a sparse keyspace still
        # creates slot dicts, and the refresh catches up.
        self.pending += 2 * BLOCK_BYTES * len(argv) + (n if n > SMALL_ARGS else 0)

    def freed(self, key: bytes, value: Any) -> int:
        """What deleting ``key`` gives back, in the meter's terms."""
        t = type(value)
        if t is bytes or t is bytearray:
            n = len(value)
            return BLOCK_BYTES * 2 + (n + 33 if n > 480 else 0)
        return object_size(key, value, 5)


def used_memory(server: "Server") -> int:
    """INFO's used_memory."""
    ev = getattr(server, "eviction", None)
    return ev.meter.exact() if ev is not None else malloc_bytes() + pymalloc_bytes()


# --- per-key size (MEMORY USAGE, freed-bytes estimate) --------------------------------
_getsizeof = sys.getsizeof
DICT_ENTRY = 3 * 8 * 3  # key/value/hash in the slot dict, its atime twin, 1.5x load


def object_size(key: bytes, value: Any, samples: int = 5) -> int:
    """Bytes ``key`` and its value take, sampling ``samples`` elements of a
    container (0: all), as Redis's objectComputeSize + the key and dict entry."""
    size = _getsizeof(key) + DICT_ENTRY
    t = type(value)
    if t is bytes or t is bytearray:
        return size + _getsizeof(value)
    return size + value_size(value, samples)


def value_size(value: Any, samples: int = 5) -> int:
    if isinstance(value, (bytes, bytearray, int, float)):
        return _getsizeof(value)
    if isinstance(value, dict):  # Hash
        n = len(value)
        size = _getsizeof(value)
        if not n:
            return size
        k = n if samples <= 0 else min(samples, n)
        part = sum(_getsizeof(f) + _getsizeof(v) for f, v in islice(value.items(), k))
        return size + part * n // k
    if isinstance(value, (set, frozenset, list, tuple)) or hasattr(value, "__iter__") and hasattr(
            value, "__len__") and not hasattr(value, "scores"):
        try:
            n = len(value)
            size = _getsizeof(value)
            if not n:
                return size
            k = n if samples <= 0 else min(samples, n)
            part = sum(value_size(e, 1) for e in islice(iter(value), k))
            return size + part * n // k
        except TypeError:
            pass
    scores = getattr(value, "scores", None)
    if isinstance(scores, dict):  # ZSet: member -> score dict plus an ordered index
        n = len(scores)
        size = _getsizeof(value) + _getsizeof(scores) + 8 * n
        if n:
            k = n if samples <= 0 else min(samples, n)
            part = sum(_getsizeof(m) + 24 + 16 for m in islice(scores, k))
            size += part * n // k
        return size
    size = _getsizeof(value)
    for name in getattr(type(value), "__slots__", ()):
        attr = getattr(value, name, None)
        if attr is not None and not isinstance(attr, (bool, int, float)):
            size += _getsizeof(attr)
    return size


# --- eviction ---------------------------------------------------------------------------


def _time_limit_ns(tenacity: int) -> int:
    # evictionTimeLimitUs, times 20: a Python eviction costs about 20 of Redis's.
    if tenacity <= 10:
        us = 50 * tenacity
    elif tenacity < 100:
        us = int(500.0 * 1.15 ** (tenacity - 10))
    else:
        return 1 << 62
    return us * 20 * 1000


def _sample(shards: list[Any], count: int) -> list[bytes]:
    """dictGetSomeKeys: up to ``count`` keys of the per-slot sets, from a random slot onwards."""
    out: list[bytes] = []
    slot = random.getrandbits(14)
    for _ in range(NSLOTS):
        d = shards[slot]
        if d:
            need = count - len(out)
            n = len(d)
            if n <= need:
                out.extend(d)
            else:
                start = random.randrange(min(n, 4096) - need + 1)
                out.extend(islice(d, start, start + need))
            if len(out) >= count:
                break
        slot = (slot + 1) & (NSLOTS - 1)
    return out


def _random_key(shards: list[Any]) -> bytes | None:
    """dictGetRandomKey over the per-slot key sets (random slot among non-empty ones)."""
    for _ in range(64):
        d = shards[random.getrandbits(14)]
        if d:
            break
    else:
        slot = random.getrandbits(14)
        for _ in range(NSLOTS):
            d = shards[slot]
            if d:
                break
            slot = (slot + 1) & (NSLOTS - 1)
        else:
            return None
    n = len(d)
    return next(islice(d, random.randrange(min(n, 4096)), None))


class Evictor:
    """Per-server maxmemory state (``server.eviction``)."""

    def __init__(self, server: "Server") -> None:
        self.server = server
        self.meter = Meter()
        self.pool: dict[tuple[int, bytes], int] = {}  # (db index, key) -> idle score, best 16
        self.next_db = 0  # round robin of the random policies
        self.running = False  # the last call ran out of time: the cron carries on
        self.maxmem = 0
        self.policy = "noeviction"
        self.oom = False  # the last check found used memory over the limit

    # --- configuration ---
    def update(self, name: str = "maxmemory") -> None:
        """(Re)read maxmemory and the policy; set or clear the guard."""
        server = self.server
        self.pool.clear()  # candidates' scores mean something else under another policy
        self.maxmem = server.config["maxmemory"]
        self.policy = server.config["maxmemory-policy"]
        self.oom = server.oom_state = False
        used = self.meter.refresh()
        if self.maxmem:
            server.oom_guard = self.guard
            if used > self.maxmem and name == "maxmemory":
                # updateMaxmemory: a limit set below the current usage evicts at once.
                self.oom = server.oom_state = not self.perform_evictions(used, self.maxmem)
        else:
            server.oom_guard = None
            self.running = False

    # --- processCommand's OOM step ---
    def guard(self, c: Any, cmd: Any, argv: list[bytes]) -> CommandError | None:
        if self.server.busy is not None:
            return None  # inside a yielding busy script: no evictions (isInsideYieldingLongCommand)
        meter = self.meter
        meter.countdown -= 1
        if cmd.denyoom:
            # Its arguments are in memory already (Redis counts the query buffer
            # too) and will mostly stay: count them before checking.
            meter.grows(argv)
        maxmem = self.maxmem
        if meter.countdown > 0:
            if self.oom:
                if not cmd.denyoom and c.multi is None and cmd.name not in _SCRIPTED:
                    return None  # a read while OOM: runs; the state stands until a write re-measures
                used = meter.exact()
            else:
                used = meter.base + meter.pending
                if used <= maxmem:
                    return None  # the common case: under the limit by the estimate
                if self.policy == "noeviction":
                    used = meter.exact()  # about to refuse: be sure
        else:
            used = meter.exact()
        oom = self.oom = self.server.oom_state = used > maxmem and not self.perform_evictions(used, maxmem)
        if oom and self._denies(c, cmd, argv):
            if cmd.name == "exec":  # rejectCommand on EXEC is execCommandAbort
                from ..commands.transactions import abort_exec

                return abort_exec(c, errors.OOM)
            return CommandError(errors.OOM)
        return None

    def _denies(self, c: Any, cmd: Any, argv: list[bytes]) -> bool:
        if cmd.denyoom:
            return True
        name = cmd.name
        if c.multi is not None and name not in ("exec", "discard", "quit", "reset"):
            return True  # queuing may take any amount of memory
        if name == "exec":
            return c.multi is not None and any(q.denyoom or _script_denyoom(c, q, a) for q, a in c.multi)
        return _script_denyoom(c, cmd, argv)

    def perform_evictions(self, used: int, maxmem: int) -> bool:
        """Evict until under ``maxmem``; False if that failed (EVICT_FAIL).

        Freed memory is counted with the meter's per-key estimate, and the
        meter's figure lowered by it: re-measuring after every key would cost
        a pool walk each.  The meter's periodic refresh corrects any error.
        """
        policy = self.policy
        if policy == "noeviction":
            return False
        meter = self.meter
        deadline = perf_counter_ns() + _time_limit_ns(self.server.config["maxmemory-eviction-tenacity"])
        tofree = used - maxmem
        freed = 0
        evicted = 0
        while freed < tofree:
            found = self._evict_one(policy)
            if found is None:
                # Nothing left to evict: only a real measure may refuse commands.
                meter.exact()
                meter.countdown = 0  # and the next command measures again
                return meter.base <= maxmem
            freed += found
            evicted += 1
            if evicted % 16 == 0 and perf_counter_ns() > deadline:
                self.running = True  # EVICT_RUNNING: let the command run, go on in the cron
                break
        else:
            self.running = False
        meter.base = used - freed
        meter.pending = 0
        return True

    def _evict_one(self, policy: str) -> int | None:
        """Delete the best candidate; its estimated size, or None if there is none."""
        server = self.server
        dbs = server.dbs
        volatile = policy.startswith("volatile")
        if policy.endswith("random"):
            for i in range(len(dbs)):
                db = dbs[(self.next_db + i) % len(dbs)]
                if volatile and not db.nttl or not db.size:
                    continue
                self.next_db = (db.index + 1) % len(dbs)
                key = _random_key(db.ttls if volatile else db.slots)
                if key is not None:
                    return self._delete(db, key)
            return None
        pool = self.pool
        for _ in range(64):
            live = [db for db in dbs if (db.nttl if volatile else db.size)]
            if not live:
                return None
            for db in live:
                self._populate(db, policy, volatile)
            while pool:
                best = max(pool, key=pool.__getitem__)  # the most idle (Redis: the pool's tail)
                del pool[best]
                i, key = best
                db = dbs[i]
                if key not in (db.expires if volatile else db.data):
                    continue  # gone since it was sampled
                return self._delete(db, key)
        return None

    def _populate(self, db: "Database", policy: str, volatile: bool) -> None:
        # evictionPoolPopulate: score the sampled keys, keep the EVPOOL_SIZE best.
        server = self.server
        keys = _sample(db.ttls if volatile else db.slots, server.config["maxmemory-samples"])
        pool = self.pool
        i = db.index
        if policy == "volatile-ttl":
            expires = db.expires
            for key in keys:
                pool[(i, key)] = TTL_MAX - expires[key]
        else:
            atime = db.atime
            if policy.endswith("lfu"):
                for key in keys:
                    pool[(i, key)] = 255 - lfu_decayed(atime[key], server)
            else:
                clock = server.lru_clock
                for key in keys:
                    f = atime[key]
                    # estimateObjectIdleTime (seconds; Redis's ms are seconds x 1000)
                    pool[(i, key)] = clock - f if clock >= f else clock + LRU_CLOCK_MAX - f
        if len(pool) > EVPOOL_SIZE:
            for k in sorted(pool, key=pool.__getitem__)[:len(pool) - EVPOOL_SIZE]:
                del pool[k]

    def _delete(self, db: "Database", key: bytes) -> int:
        value = db.data[key]
        size = self.meter.freed(key, value)
        server = self.server
        if db.delete(key):  # an expired key is reclaimed as expired, not evicted
            server.stats.evicted_keys += 1
            propagate.deleted(server, db.index, key, "lazyfree-lazy-eviction")
            server.notify(db, "e", b"evicted", key)
        return size

    def cron(self) -> None:
        """Carry on an eviction that ran out of time (Redis's evictionTimeProc)."""
        if not self.running or self.server.oom_guard is None:
            self.running = False
            return
        maxmem = self.maxmem
        used = self.meter.exact()
        if used <= maxmem:
            self.running = False
            return
        self.running = False
        self.perform_evictions(used, maxmem)


_SCRIPTED = frozenset(("eval", "evalsha", "fcall", "exec"))


def _script_denyoom(c: Any, cmd: Any, argv: list[bytes]) -> bool:
    """EVAL/EVALSHA/FCALL under declared script flags: denyoom unless the
    script says no-writes or allow-oom (scriptFlagsToCmdFlags).  Scripts
    without a shebang run, and their first write is checked inside."""
    name = cmd.name
    if name not in ("eval", "evalsha", "fcall") or len(argv) < 2:
        return False
    engine = getattr(c.server, "scripting", None)
    if engine is None:
        return False
    flags: Any = None
    try:
        if name == "fcall":
            f = engine.functions.get(argv[1].lower())
            flags = f.flags if f is not None else None
        else:
            from ..scripting.engine import sha1hex

            sha = argv[1].lower() if name == "evalsha" else sha1hex(argv[1])
            s = engine.scripts.get(sha)
            if s is not None:
                flags = s.flags
            elif name == "eval":
                flags, _ = engine.script_flags(argv[1])
    except CommandError:
        return False  # the command itself will say what is wrong
    if flags is None:
        return False
    return "no-writes" not in flags and "allow-oom" not in flags


def setup(server: "Server") -> None:
    ev = Evictor(server)
    server.eviction = ev  # type: ignore[attr-defined]
    server.oom_state = False
    server.startup_memory = ev.meter.base  # MEMORY STATS, DOCTOR
    server.config.listeners.append(
        lambda name, old: ev.update(name) if name in ("maxmemory", "maxmemory-policy") else None)
    server.hooks.setdefault("cron", []).append(ev.cron)
    ev.update()


state.SETUP.append(setup)
