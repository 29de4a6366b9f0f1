"""Redis's geohash arithmetic without a server (crabcache.datatypes.geohash).

Expected values are what Redis 7.0.15 replies for the same positions
(scores from ZSCORE, coordinates from GEOPOS, strings from GEOHASH,
distances from GEODIST).
"""

from __future__ import annotations

import math
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crabcache.datatypes import geohash as g

PALERMO = (13.361389, 38.115556)
CATANIA = (15.087269, 37.502669)
LONS = st.floats(g.LON_MIN, g.LON_MAX)
LATS = st.floats(g.LAT_MIN, g.LAT_MAX)


# --- encoding -----------------------------------------------------------------------------


@pytest.mark.parametrize("lon, lat, score", [
    (*PALERMO, 3479099956230698),
    (*CATANIA, 3479447370796909),
    (2.352222, 48.856613, 3663832779125283),
    (-180, -85.05112878, 0),
    (180, 0, 10133099161583616),  # longitude 180 is cell 2**26: bit 53
    (0, 85.05112878, 6755399441055744),  # latitude at the top: bit 52
    (13.4, 38.1, 3479099937378871),
])
def test_encode_score_is_redis_score(lon, lat, score):
    assert g.encode_score(lon, lat) == score
    assert g.encode(lon, lat) == score  # step 26 needs no alignment


def test_encode_rejects_out_of_range():
    assert g.encode(180.0001, 0) is None
    assert g.encode(0, 85.06) is None
    assert g.encode(0, -90, 26, g.WGS84_LON, g.STANDARD_LAT) is None  # the Mercator limits apply to any range
    assert g.encode(0, 0, 1) == 0b11  # both halves at the midpoint: cell 1 of 2


@settings(max_examples=300, deadline=None)
@given(st.integers(0, 2**32 - 1), st.integers(0, 2**32 - 1))
def test_interleave_roundtrip(x, y):
    bits = g.interleave(x, y)
    assert g.deinterleave(bits) == (x, y)
    assert all(((bits >> (2 * i)) & 1) == ((x >> i) & 1) for i in range(32))
    assert all(((bits >> (2 * i + 1)) & 1) == ((y >> i) & 1) for i in range(32))


@settings(max_examples=300, deadline=None)
@given(LONS, LATS)
def test_encode_score_agrees_with_general_encode(lon, lat):
    assert g.encode_score(lon, lat) == g.encode(lon, lat, 26)


# --- decoding -----------------------------------------------------------------------------


@pytest.mark.parametrize("score, lon, lat", [
    (3479099956230698, b"13.36138933897018433", b"38.11555639549629859"),
    (3663832779125283, b"2.35221952199935913", b"48.85661220395509474"),
    (0, b"-179.99999731779098511", b"-85.05112751263942528"),
    (10133099161583616, b"180", b"0.00000126736058093"),  # centre past 180: clamped
    (6755399441055744, b"0.00000268220901489", b"85.0511287799999991"),
    # scores no GEOADD makes: x86-64's double -> uint64 cast, 32-bit wrap, clamping
    (-1.0, b"180", b"85.0511287799999991"),
    (-0.5, b"-179.99999731779098511", b"-85.05112751263942528"),
    (1e300, b"-179.99999731779098511", b"-85.05112751263942528"),
    (math.inf, b"-179.99999731779098511", b"-85.05112751263942528"),
    (-math.inf, b"180", b"-85.05112751263942528"),
    (1.5e19, b"180", b"85.0511287799999991"),
    (-1e19, b"180", b"-85.05112751263942528"),
])
def test_decode_as_geopos_prints_it(score, lon, lat):
    x, y = g.decode(score)
    assert (g.format_coordinate(x), g.format_coordinate(y)) == (lon, lat)


def test_score_bits_is_the_x86_cast():
    assert g.score_bits(3.9) == 3
    assert g.score_bits(-1.0) == 2**64 - 1
    assert g.score_bits(-0.5) == 0
    assert g.score_bits(2.0**63) == 2**63
    assert g.score_bits(2.0**64) == 0
    assert g.score_bits(math.inf) == 0
    assert g.score_bits(-2.0**63) == 2**63
    assert g.score_bits(-math.inf) == 2**63


@settings(max_examples=300, deadline=None)
@given(LONS, LATS)
def test_decode_is_within_a_cell(lon, lat):
    score = g.encode_score(lon, lat)
    if score >= 2**52:  # longitude or latitude at the top: one cell past the end, a score a double may round
        return
    x, y = g.decode(float(score))
    assert abs(x - lon) <= 360 / 2**26 and abs(y - lat) <= (g.LAT_MAX - g.LAT_MIN) / 2**26


def test_decode_area_bounds_a_cell():
    bits = g.encode(*PALERMO, 10)
    lon_min, lon_max, lat_min, lat_max = g.decode_area(bits, 10)
    assert lon_min <= PALERMO[0] < lon_max and lat_min <= PALERMO[1] < lat_max
    assert lon_max - lon_min == pytest.approx(360 / 2**10)
    assert g.decode_area(0, 0) is None  # the zero hash (an excluded neighbour)
    assert g.decode_area(0, 1) is not None


@pytest.mark.parametrize("score, text", [
    (3479099956230698, b"sqc8b49rny0"),
    (3479447370796909, b"sqdtr74hyu0"),
    (3663832779125283, b"u09tvw0f6s0"),
    (10133099161583616, b"80000000000"),
    (6755399441055744, b"up05b5048p0"),
    (0, b"00bh0hbj200"),
    (-1.0, b"bp05b5048p0"),
])
def test_geohash_string(score, text):
    assert g.geohash_string(score) == text


def test_format_coordinate():
    assert g.format_coordinate(13.361389338970184) == b"13.36138933897018433"
    assert g.format_coordinate(180.0) == b"180"
    assert g.format_coordinate(-0.0) == b"0"
    assert g.format_coordinate(0.5) == b"0.5"
    assert g.format_coordinate(math.inf) == b"inf"


# --- neighbours ---------------------------------------------------------------------------


@pytest.mark.parametrize("step", [1, 2, 5, 13, 26])
def test_neighbours_move_one_cell(step):
    rnd = random.Random(step)
    mask = (1 << step) - 1
    for _ in range(50):
        lat_i, lon_i = rnd.getrandbits(step), rnd.getrandbits(step)
        bits = g.interleave(lat_i, lon_i)
        nb = g.neighbours(bits, step)
        want = {"north": (1, 0), "south": (-1, 0), "east": (0, 1), "west": (0, -1), "north_east": (1, 1),
                "north_west": (1, -1), "south_east": (-1, 1), "south_west": (-1, -1)}
        for name, (dlat, dlon) in want.items():
            assert g.deinterleave(nb[name]) == ((lat_i + dlat) & mask, (lon_i + dlon) & mask), name


def test_neighbours_wrap_at_the_edges():
    step = 4
    corner = g.interleave(15, 15)  # north-east corner cell
    nb = g.neighbours(corner, step)
    assert g.deinterleave(nb["north_east"]) == (0, 0)
    assert g.deinterleave(nb["east"]) == (15, 0)


# --- distances ----------------------------------------------------------------------------


def test_distance_as_geodist():
    p = g.decode(3479099956230698.0)
    c = g.decode(3479447370796909.0)
    assert g.format_distance(g.distance(*p, *c)) == b"166274.1516"
    assert g.format_distance(g.distance(*p, *c) / g.UNITS[b"km"]) == b"166.2742"
    assert g.format_distance(g.distance(*p, *c) / g.UNITS[b"mi"]) == b"103.3182"
    assert g.format_distance(g.distance(*p, *c) / g.UNITS[b"ft"]) == b"545518.8700"
    assert g.distance(*p, *p) == 0.0
    assert g.distance(*p, *c) == g.distance(*c, *p)
    # a quarter of the equator
    assert g.distance(0, 0, 90, 0) == pytest.approx(g.EARTH_RADIUS * math.pi / 2)


def test_distance_keeps_the_full_haversine_on_one_meridian():
    # Redis 7.0 has no shortcut for equal longitudes: the 4th decimal shows it.
    a = g.decode(float(g.encode_score(-130.0511544777728, 9.250408943782034)))
    b = g.decode(float(g.encode_score(-130.0511544777728, -57.48847384891022)))
    assert a[0] == b[0]
    assert g.format_distance(g.distance(*a, *b)) == b"7423118.8160"


def test_format_distance_nan_like_c():
    assert g.format_distance(-math.nan) == b"-nan"
    assert g.format_distance(math.nan) == b"nan"
    assert g.format_distance(0.00004) == b"0.0000"


def test_in_box():
    # the box test measures along the parallel and the meridian of the point
    assert g.in_box(200_000, 200_000, 0, 0, 0.5, 0.5) == pytest.approx(g.distance(0, 0, 0.5, 0.5))
    assert g.in_box(200_000, 100_000, 0, 0, 0, 0.5) is None  # 55.6 km north, half height 50 km
    assert g.in_box(100_000, 200_000, 0, 0, 0.5, 0) is None


# --- search areas -------------------------------------------------------------------------


def test_estimate_steps():
    assert g.estimate_steps(0, 0) == 26
    assert g.estimate_steps(1, 0) == 24
    assert g.estimate_steps(1000, 0) == 14
    assert g.estimate_steps(1000, 70) == 13  # towards the poles: wider cells
    assert g.estimate_steps(1000, -81) == 12
    assert g.estimate_steps(5_000_000, 0) == 2
    assert g.estimate_steps(1e9, 0) == 1
    assert g.estimate_steps(math.inf, 0) == 1


def test_search_cells_cover_the_circle():
    rnd = random.Random(3)
    for _ in range(200):
        lon, lat = rnd.uniform(-170, 170), rnd.uniform(-80, 80)  # away from the antimeridian
        radius = rnd.choice([10.0, 1000.0, 50_000.0, 500_000.0])
        ranges = g.search_ranges(lon, lat, radius, radius, radius)
        assert 1 <= len(ranges) <= 9
        # points on the circle (inside by a hair) fall in one of the scanned ranges
        for k in range(16):
            ang = 2 * math.pi * k / 16
            dlat = (radius * 0.999 / g.EARTH_RADIUS) / g.D_R * math.sin(ang)
            dlon = (radius * 0.999 / g.EARTH_RADIUS) / g.D_R * math.cos(ang) / math.cos(lat * g.D_R)
            s = g.encode_score(lon + dlon, lat + dlat)
            assert any(lo <= s < hi for lo, hi in ranges), (lon, lat, radius, k)


def test_search_ranges_start_with_the_centre_cell():
    step, cells = g.search_cells(*PALERMO, 200_000, 200_000, 200_000)
    assert step == 6
    assert len(cells) == 9
    lo, hi = g.search_ranges(*PALERMO, 200_000, 200_000, 200_000)[0]
    assert lo <= g.encode_score(*PALERMO) < hi
    assert hi - lo == 1 << (52 - 2 * step)


def test_search_ranges_skip_a_repeat_of_the_previous_cell_only():
    # At step 1 all 8 neighbours are the same two cells: Redis scans a repeat
    # right after the centre (its check starts from the first neighbour).
    step, cells = g.search_cells(0.0, 0.0, 1e9, 1e9, 1e9)
    assert step == 1
    ranges = g.search_ranges(0.0, 0.0, 1e9, 1e9, 1e9)
    assert len(ranges) < 9
    assert all(a != b for a, b in zip(ranges[1:], ranges[2:]))


# --- Redis's sorts ----------------------------------------------------------------------------


def _cmp(a, b):
    return g.c_compare_asc(a[0], b[0])


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(0, 5), max_size=120), st.data())
def test_pqsort_puts_the_sorted_range_in_place(keys, data):
    items = [(k, i) for i, k in enumerate(keys)]
    if not items:
        return
    hi = data.draw(st.integers(0, len(items) - 1))
    v = list(items)
    g.pqsort(v, _cmp, 0, hi)
    assert sorted(v) == sorted(items)  # a permutation
    assert [k for k, _ in v[:hi + 1]] == sorted(keys)[:hi + 1]


def test_pqsort_with_distinct_keys_is_a_sort():
    rnd = random.Random(1)
    keys = rnd.sample(range(10_000), 500)
    v = [(float(k), None) for k in keys]
    g.pqsort(v, _cmp, 0, len(v) - 1)
    assert [k for k, _ in v] == sorted(float(k) for k in keys)


def test_c_msort_is_stable_and_takes_nan_as_less():
    items = [(2.0, "a"), (1.0, "b"), (2.0, "c"), (1.0, "d")]
    assert g.c_msort(items, _cmp) == [(1.0, "b"), (1.0, "d"), (2.0, "a"), (2.0, "c")]
    with_nan = g.c_msort([(1.0, "x"), (math.nan, "n"), (0.5, "y")], _cmp)
    assert [t[1] for t in with_nan] == ["x", "n", "y"]  # not a sort: what glibc's merge makes of it
