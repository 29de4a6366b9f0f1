"""The dispatcher's latency buckets (dispatch.LAT_BUCKET) against the HDR
histogram Redis 7.0 keeps (lowest 1 ns, 2 significant digits, so 128 sub-buckets
per power of two above 256) read at the levels 1024 ns * 2**i."""

from __future__ import annotations

from crabcache.commands.introspection import LATENCY_LEVEL_USEC, latency_percentiles
from crabcache.dispatch import LAT_BUCKET


def hdr_level(us: int) -> int:
    """The level LATENCY HISTOGRAM counts a call of ``us`` microseconds at."""
    v = min(max(us * 1000, 1), 1_000_000_000)
    k = 10
    while v > 2**k + 2**(k - 7) - 1 and k < 30:  # past the level's own HDR bucket
        k += 1
    return k - 10


def bucket(ns: int) -> int:
    return LAT_BUCKET[(ns // 1000 * 1000 // 129).bit_length()]


def test_buckets_match_hdr() -> None:
    for us in list(range(0, 3000)) + [33, 34, 66, 67, 1056, 1057, 999_999, 1_000_000, 5_000_000]:
        assert bucket(us * 1000 + 999) == hdr_level(us), us


def test_levels_are_what_redis_prints() -> None:
    assert LATENCY_LEVEL_USEC[:8] == [1, 2, 4, 8, 16, 33, 66, 132]
    assert LATENCY_LEVEL_USEC[-1] == 1073741  # 2**30 - 1 ns: the 1 s clamp cuts the last level
    assert len(LATENCY_LEVEL_USEC) == max(LAT_BUCKET) + 1 == 21


def test_percentiles() -> None:
    h = [0] * 21
    h[3] = 1  # a call of ~8 usec
    h[17] = 3  # ~100 ms
    assert latency_percentiles(h, [0, 50, 100]) == [4.128, 135266.303, 135266.303]
