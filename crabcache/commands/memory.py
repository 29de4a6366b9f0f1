"""MEMORY USAGE / STATS / DOCTOR / MALLOC-STATS / PURGE / HELP (Redis 7.0's reply shapes).

Figures come from ``keyspace.eviction``: used memory is its meter (malloc'd
bytes plus pymalloc's small blocks), a key's size is its sampled estimate.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import gc
import resource
import sys
from typing import Any

from .. import errors
from ..errors import CommandError
from ..keyspace import eviction
from ..keyspace.eviction import object_size, used_memory
from ..keyspace.slots import NSLOTS
from ..protocol.writer import OK, Status, Verbatim
from .args import parse_int
from .registry import command, container

GRP = "server"

container("memory", group=GRP, since="4.0.0", summary="A container for memory diagnostics commands")


@command("memory|usage", -3, "readonly", keys=(2, 2, 1), group=GRP, since="4.0.0",
         summary="Estimate the memory usage of a key",
         complexity="O(N) where N is the number of samples.")
def memory_usage(c: Any, argv: list[bytes]) -> Any:
    samples = 5
    i = 3
    while i < len(argv):
        if argv[i].lower() == b"samples" and i + 1 < len(argv):
            samples = parse_int(argv[i + 1])
            if samples < 0:
                raise CommandError(errors.SYNTAX)
            i += 2
        else:
            raise CommandError(errors.SYNTAX)
    # objectCommandLookup: counts hits/misses, no "keymiss", no access update.
    v = c.db.peek(argv[2])
    st = c.server.stats
    if v is None:
        st.keyspace_misses += 1
        return None
    st.keyspace_hits += 1
    return object_size(argv[2], v, samples)


def overhead_data(s: Any) -> dict[bytes, Any]:
    """getMemoryOverheadData: MEMORY STATS's figures (INFO memory reads them too)."""
    used = used_memory(s)
    startup = min(used, getattr(s, "startup_memory", used))
    peak = max(used, getattr(s, "peak_memory", 0))
    s.peak_memory = peak
    rss = _rss()
    out: list[tuple[bytes, Any]] = [
        (b"peak.allocated", peak),
        (b"total.allocated", used),
        (b"startup.allocated", startup),
        (b"replication.backlog", 0),
        (b"clients.slaves", 0),
        (b"clients.normal", sum(x.query_bytes + x.output_bytes for x in s.clients.values())),
        (b"cluster.links", 0),
        (b"aof.buffer", 0),
        (b"lua.caches", 0),
        (b"functions.caches", 0),
    ]
    keys = 0
    overhead = startup
    for db in s.dbs:
        if not db.size:
            continue
        # The flat dicts and the per-slot key sets that shard them (keyspace.db).
        main = (sys.getsizeof(db.data) + sys.getsizeof(db.atime) + sys.getsizeof(db.slots)
                + sum(sys.getsizeof(k) for k in db.slots if k))
        exp = sys.getsizeof(db.expires) + sum(sys.getsizeof(k) for k in db.ttls if k)
        out.append((b"db.%d" % db.index, {
            b"overhead.hashtable.main": main,
            b"overhead.hashtable.expires": exp,
            b"overhead.hashtable.slot-to-keys": 0,
        }))
        keys += db.size
        overhead += main + exp
    dataset = max(0, used - overhead)
    net = max(1, used - startup)
    out += [
        (b"overhead.total", overhead),
        (b"keys.count", keys),
        (b"keys.bytes-per-key", net // keys if keys else 0),
        (b"dataset.bytes", dataset),
        (b"dataset.percentage", 100.0 * dataset / net),
        (b"peak.percentage", 100.0 * used / peak if peak else 100.0),
        (b"allocator.allocated", used),
        (b"allocator.active", used),
        (b"allocator.resident", rss),
        (b"allocator-fragmentation.ratio", 1.0),
        (b"allocator-fragmentation.bytes", 0),
        (b"allocator-rss.ratio", rss / used if used else 1.0),
        (b"allocator-rss.bytes", rss - used),
        (b"rss-overhead.ratio", 1.0),
        (b"rss-overhead.bytes", 0),
        (b"fragmentation", rss / used if used else 1.0),
        (b"fragmentation.bytes", rss - used),
    ]
    return dict(out)


def _rss() -> int:
    try:
        import os

        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError):
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


@command("memory|stats", 2, "", group=GRP, since="4.0.0", summary="Show memory usage details",
         complexity="O(1)", tips="nondeterministic_output request_policy:all_shards response_policy:special")
def memory_stats(c: Any, argv: list[bytes]) -> Any:
    return overhead_data(c.server)


_DOCTOR_EMPTY = (
    b"Hi Sam, this instance is empty or is using very little memory, my issues detector can't be "
    b"used in these conditions. Please, leave for your mission on Earth and fill it with some data. "
    b"The new Sam and I will be back to our programming as soon as I finished rebooting.")
_DOCTOR_OK = (
    b"Hi Sam, I can't find any memory issue in your instance. I can only account for what occurs "
    b"on this base.")


@command("memory|doctor", 2, "", group=GRP, since="4.0.0", summary="Outputs memory problems report",
         complexity="O(1)", tips="nondeterministic_output request_policy:all_shards response_policy:special")
def memory_doctor(c: Any, argv: list[bytes]) -> Any:
    # Redis's detector needs 5 MB of data; below that (over what start-up took) it says so.
    s = c.server
    used = used_memory(s)
    startup = min(used, getattr(s, "startup_memory", used))
    if used - startup < 5 * 1024 * 1024:
        return Verbatim(_DOCTOR_EMPTY)
    return Verbatim(_DOCTOR_OK)


@command("memory|malloc-stats", 2, "", group=GRP, since="4.0.0", summary="Show allocator internal stats",
         complexity="Depends on how much memory is allocated, could be slow",
         tips="nondeterministic_output request_policy:all_shards response_policy:special")
def memory_malloc_stats(c: Any, argv: list[bytes]) -> Any:
    # Redis built without jemalloc says exactly this.
    return b"Stats not supported for the current allocator"


_libc: Any = None


@command("memory|purge", 2, "", group=GRP, since="4.0.0", summary="Ask the allocator to release memory",
         complexity="Depends on how much memory is allocated, could be slow",
         tips="request_policy:all_shards response_policy:all_succeeded")
def memory_purge(c: Any, argv: list[bytes]) -> Any:
    # The nearest thing to jemalloc's purge: collect cycles, hand free heap pages back.
    global _libc
    gc.collect()
    try:
        if _libc is None:
            _libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        _libc.malloc_trim(0)
    except (OSError, AttributeError):
        pass
    return OK


_HELP = [
    "MEMORY <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "DOCTOR",
    "    Return memory problems reports.",
    "MALLOC-STATS",
    "    Return internal statistics report from the memory allocator.",
    "PURGE",
    "    Attempt to purge dirty pages for reclamation by the allocator.",
    "STATS",
    "    Return information about the memory usage of the server.",
    "USAGE <key> [SAMPLES <count>]",
    "    Return memory in bytes used by <key> and its value. Nested values are",
    "    sampled up to <count> times (default: 5, 0 means sample all).",
    "HELP",
    "    Prints this help.",
]


@command("memory|help", 2, "loading stale", group=GRP, since="4.0.0",
         summary="Show helpful text about the different subcommands", complexity="O(1)")
def memory_help(c: Any, argv: list[bytes]) -> Any:
    return [Status(line) for line in _HELP]


assert eviction and NSLOTS  # imported for their side effects (setup) and typing
