"""Redis's geohash arithmetic: the scores GEO commands keep in a sorted set.

Pure functions, no server and no trio; the GEO commands (``commands/geo.py``)
are built on them.  Rules of this module:

* A position is stored as a 52-bit integer: the 26-bit latitude and 26-bit
  longitude cell numbers interleaved, longitude in the odd (higher) bit of
  each pair.  Latitude spans -85.05112878..85.05112878 (Web Mercator's
  limits), not -90..90; GEOHASH re-encodes with -90..90 for its strings.
* Every step is computed in IEEE doubles in the order Redis's C code uses
  (geohash.c, geohash_helper.c, geo.c), so scores, decoded cell centres,
  distances and the choice of search cells come out bit for bit the same.
  The C corner cases are kept on purpose: a coordinate exactly at the top of
  a range gives a cell number one past the last (longitude 180 sets bit 53),
  a score turns into bits through x86-64's double -> uint64 conversion, cell
  arithmetic wraps in 32/64 bits, and a centre outside the limits is clamped.
* Distances are haversine on a sphere of radius 6372797.560856 m.
* A search covers the cell holding the centre and its 8 neighbours at a
  step estimated from the radius (``search_ranges``); candidates are then
  filtered by exact distance (``in_radius`` / ``in_box``).
"""

from __future__ import annotations

import math
from typing import Any, Callable

STEP_MAX = 26
LON_MIN, LON_MAX = -180.0, 180.0
LAT_MIN, LAT_MAX = -85.05112878, 85.05112878
WGS84_LON = (LON_MIN, LON_MAX)
WGS84_LAT = (LAT_MIN, LAT_MAX)
STANDARD_LAT = (-90.0, 90.0)  # the usual geohash latitude range (GEOHASH strings)
EARTH_RADIUS = 6372797.560856  # metres
MERCATOR_MAX = 20037726.37
D_R = math.pi / 180.0  # deg_rad factor, the same double as C's (M_PI / 180.0)

UNITS = {b"m": 1.0, b"km": 1000.0, b"ft": 0.3048, b"mi": 1609.34}  # metres per unit

_M32 = 0xFFFFFFFF
_M64 = 0xFFFFFFFFFFFFFFFF
_ALPHABET = b"0123456789bcdefghjkmnpqrstuvwxyz"

# --- bit interleaving -------------------------------------------------------------------
# 12 bits at a time through small tables: _SPREAD[v] puts v's 12 bits on the even
# positions of 24; SQUEEZE[v] takes a 12-bit chunk apart into its 6 even bits
# (low word) and 6 odd bits (from bit 32).


def _spread_bits(v: int, n: int) -> int:
    out = 0
    for i in range(n):
        out |= ((v >> i) & 1) << (2 * i)
    return out


_SPREAD = [_spread_bits(v, 12) for v in range(4096)]
SQUEEZE = [
    sum(((v >> (2 * i)) & 1) << i for i in range(6)) | sum(((v >> (2 * i + 1)) & 1) << i for i in range(6)) << 32
    for v in range(4096)
]


def interleave(x: int, y: int) -> int:
    """interleave64: the bits of 32-bit ``x`` on even positions, of ``y`` on odd ones."""
    s = _SPREAD
    return (s[x & 4095] | s[(x >> 12) & 4095] << 24 | s[x >> 24] << 48
            | (s[y & 4095] | s[(y >> 12) & 4095] << 24 | s[y >> 24] << 48) << 1)


def deinterleave(bits: int) -> tuple[int, int]:
    """deinterleave64: (even bits, odd bits) of a 64-bit value, 32 bits each."""
    q = SQUEEZE
    t = (q[bits & 4095] | q[(bits >> 12) & 4095] << 6 | q[(bits >> 24) & 4095] << 12
         | q[(bits >> 36) & 4095] << 18 | q[(bits >> 48) & 4095] << 24 | q[bits >> 60] << 30)
    return t & _M32, t >> 32


# --- encoding and decoding ----------------------------------------------------------------


def encode(lon: float, lat: float, step: int = STEP_MAX,
           lon_range: tuple[float, float] = WGS84_LON,
           lat_range: tuple[float, float] = WGS84_LAT) -> int | None:
    """geohashEncode: the ``2*step``-bit hash of a position, None outside the limits.

    A coordinate equal to its range's maximum gives cell number ``2**step``
    (one bit more than the step has), exactly as the C code does.
    """
    if lon > LON_MAX or lon < LON_MIN or lat > LAT_MAX or lat < LAT_MIN:
        return None
    if lat < lat_range[0] or lat > lat_range[1] or lon < lon_range[0] or lon > lon_range[1]:
        return None
    lat_off = (lat - lat_range[0]) / (lat_range[1] - lat_range[0])
    lon_off = (lon - lon_range[0]) / (lon_range[1] - lon_range[0])
    scale = 1 << step
    return interleave(int(lat_off * scale) & _M32, int(lon_off * scale) & _M32)


def encode_score(lon: float, lat: float) -> int:
    """The sorted-set score GEOADD stores for a valid position (geohashAlign52Bits at step 26)."""
    s = _SPREAD
    x = int((lat - LAT_MIN) / (LAT_MAX - LAT_MIN) * 67108864.0)
    y = int((lon - LON_MIN) / (LON_MAX - LON_MIN) * 67108864.0)
    return (s[x & 4095] | s[(x >> 12) & 4095] << 24 | s[x >> 24] << 48
            | (s[y & 4095] | s[(y >> 12) & 4095] << 24 | s[y >> 24] << 48) << 1)


def score_bits(score: float) -> int:
    """``(uint64_t)score`` as x86-64 code computes it (the cast in decodeGeohash).

    In range it truncates; negative values wrap modulo 2**64; at or beyond
    2**64 (and +inf) the result is 0; below -2**63 (and -inf) it is 2**63.
    """
    if score >= 18446744073709551616.0:
        return 0
    if score >= 0.0:
        return int(score)
    if score < -9223372036854775808.0:
        return 1 << 63
    return int(score) & _M64


def decode_area(bits: int, step: int, lon_range: tuple[float, float] = WGS84_LON,
                lat_range: tuple[float, float] = WGS84_LAT) -> tuple[float, float, float, float] | None:
    """geohashDecode: ``(lon_min, lon_max, lat_min, lat_max)`` of a cell; None for the zero hash."""
    if not bits and not step:
        return None
    ilat, ilon = deinterleave(bits)
    scale = float(1 << step)
    lat_scale = lat_range[1] - lat_range[0]
    lon_scale = lon_range[1] - lon_range[0]
    return (lon_range[0] + (ilon * 1.0 / scale) * lon_scale,
            lon_range[0] + (((ilon + 1) & _M32) * 1.0 / scale) * lon_scale,
            lat_range[0] + (ilat * 1.0 / scale) * lat_scale,
            lat_range[0] + (((ilat + 1) & _M32) * 1.0 / scale) * lat_scale)


_LAT_SCALE = LAT_MAX - LAT_MIN
_CELLS = float(1 << STEP_MAX)


INV_CELLS = 1.0 / _CELLS  # multiplying by it is exactly dividing by 2**26
SCORE_LIMIT = 4503599627370496.0  # 2**52: below it a score is a plain 26+26-bit geohash


def decode(score: float) -> tuple[float, float]:
    """decodeGeohash: the ``(lon, lat)`` a score stands for (its cell's centre, clamped)."""
    q = SQUEEZE
    if 0.0 <= score < SCORE_LIMIT:
        # the common case: no bit past 52, no 32-bit wrap, a centre inside the limits
        b = int(score)
        t = q[b & 4095] | q[(b >> 12) & 4095] << 6 | q[(b >> 24) & 4095] << 12 | q[(b >> 36) & 4095] << 18 | q[
            b >> 48] << 24
        ilon = t >> 32
        ilat = t & _M32
        return (((LON_MIN + ilon * INV_CELLS * 360.0) + (LON_MIN + (ilon + 1) * INV_CELLS * 360.0)) / 2,
                ((LAT_MIN + ilat * INV_CELLS * _LAT_SCALE) + (LAT_MIN + (ilat + 1) * INV_CELLS * _LAT_SCALE)) / 2)
    bits = int(score) if 0.0 <= score < 18446744073709551616.0 else score_bits(score)
    t = (q[bits & 4095] | q[(bits >> 12) & 4095] << 6 | q[(bits >> 24) & 4095] << 12
         | q[(bits >> 36) & 4095] << 18 | q[(bits >> 48) & 4095] << 24 | q[bits >> 60] << 30)
    ilat = t & _M32
    ilon = t >> 32
    # (min + max) / 2 of the cell, each bound computed as geohashDecode does
    lon = ((LON_MIN + (ilon * 1.0 / _CELLS) * 360.0) + (LON_MIN + (((ilon + 1) & _M32) * 1.0 / _CELLS) * 360.0)) / 2
    lat = ((LAT_MIN + (ilat * 1.0 / _CELLS) * _LAT_SCALE)
           + (LAT_MIN + (((ilat + 1) & _M32) * 1.0 / _CELLS) * _LAT_SCALE)) / 2
    if lon > LON_MAX:
        lon = LON_MAX
    elif lon < LON_MIN:
        lon = LON_MIN
    if lat > LAT_MAX:
        lat = LAT_MAX
    elif lat < LAT_MIN:
        lat = LAT_MIN
    return lon, lat


def geohash_string(score: float) -> bytes:
    """GEOHASH's 11 characters: the decoded position re-encoded with latitude -90..90."""
    lon, lat = decode(score)
    bits = encode(lon, lat, STEP_MAX, WGS84_LON, STANDARD_LAT) or 0
    out = bytearray(11)
    for i in range(10):
        out[i] = _ALPHABET[(bits >> (52 - (i + 1) * 5)) & 0x1F]
    out[10] = _ALPHABET[0]  # 52 bits fill 10.4 characters; Redis pads with '0'
    return bytes(out)


# --- neighbours -------------------------------------------------------------------------------


def _move_x(bits: int, step: int, d: int) -> int:
    x = bits & 0xAAAAAAAAAAAAAAAA
    y = bits & 0x5555555555555555
    zz = 0x5555555555555555 >> (64 - step * 2)
    if d > 0:
        x = (x + (zz + 1)) & _M64
    else:
        x = ((x | zz) - (zz + 1)) & _M64
    x &= 0xAAAAAAAAAAAAAAAA >> (64 - step * 2)
    return x | y


def _move_y(bits: int, step: int, d: int) -> int:
    x = bits & 0xAAAAAAAAAAAAAAAA
    y = bits & 0x5555555555555555
    zz = 0xAAAAAAAAAAAAAAAA >> (64 - step * 2)
    if d > 0:
        y = (y + (zz + 1)) & _M64
    else:
        y = ((y | zz) - (zz + 1)) & _M64
    y &= 0x5555555555555555 >> (64 - step * 2)
    return x | y


def _move(bits: int, step: int, dx: int, dy: int) -> int:
    if dx:
        bits = _move_x(bits, step, dx)
    if dy:
        bits = _move_y(bits, step, dy)
    return bits


NEIGHBOUR_NAMES = ("north", "south", "east", "west", "north_east", "north_west", "south_east", "south_west")
_DIRECTIONS = ((0, 1), (0, -1), (1, 0), (-1, 0), (1, 1), (-1, 1), (1, -1), (-1, -1))


def neighbours(bits: int, step: int) -> dict[str, int]:
    """geohashNeighbors: the 8 adjacent cells at ``step`` (wrapping around at the edges)."""
    return {name: _move(bits, step, dx, dy) for name, (dx, dy) in zip(NEIGHBOUR_NAMES, _DIRECTIONS)}


# --- distances ----------------------------------------------------------------------------------


def _asin(x: float) -> float:
    # C's asin gives a NaN (x86's default NaN: sign bit set) where Python raises.
    if x > 1.0:
        return -math.nan
    return math.asin(x)


def distance(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    """geohashGetDistance: haversine distance in metres."""
    lat1r = lat1 * D_R
    lon1r = lon1 * D_R
    lat2r = lat2 * D_R
    lon2r = lon2 * D_R
    u = math.sin((lat2r - lat1r) / 2)
    v = math.sin((lon2r - lon1r) / 2)
    return 2.0 * EARTH_RADIUS * _asin(math.sqrt(u * u + math.cos(lat1r) * math.cos(lat2r) * v * v))


def in_box(width_m: float, height_m: float, lon1: float, lat1: float, lon2: float, lat2: float) -> float | None:
    """geohashGetDistanceIfInRectangle: the distance from the box centre (lon1, lat1)
    to (lon2, lat2) if the point is inside the axis-aligned box, else None."""
    if distance(lon2, lat2, lon1, lat2) > width_m / 2 or distance(lon2, lat2, lon2, lat1) > height_m / 2:
        return None
    return distance(lon1, lat1, lon2, lat2)


def format_distance(d: float) -> bytes:
    """addReplyDoubleDistance's ``%.4f`` (C spells NaN with its sign)."""
    if d != d:
        return b"-nan" if math.copysign(1.0, d) < 0 else b"nan"
    return b"%.4f" % d


def format_coordinate(v: float) -> bytes:
    """A coordinate as addReplyHumanLongDouble prints it: ``%.17Lf`` without trailing zeros."""
    if math.isinf(v):
        return b"inf" if v > 0 else b"-inf"
    s = b"%.17f" % v
    s = s.rstrip(b"0").rstrip(b".")
    return b"0" if s == b"-0" else s


# --- search areas ---------------------------------------------------------------------------------


def estimate_steps(radius_m: float, lat: float) -> int:
    """geohashEstimateStepsByRadius: the cell size whose 3x3 block covers the radius."""
    if radius_m == 0:
        return 26
    step = 1
    while radius_m < MERCATOR_MAX:
        radius_m *= 2
        step += 1
    step -= 2
    if lat > 66 or lat < -66:
        step -= 1
        if lat > 80 or lat < -80:
            step -= 1
    return min(max(step, 1), 26)


def _cos(x: float) -> float:
    # C's cos gives a NaN for an infinite argument (an infinite radius) where Python raises.
    return math.cos(x) if math.isfinite(x) else -math.nan


def bounding_box(lon: float, lat: float, half_width_m: float, half_height_m: float) -> tuple[float, float, float, float]:
    """geohashBoundingBox: ``(min_lon, min_lat, max_lon, max_lat)`` around a centre."""
    lat_delta = (half_height_m / EARTH_RADIUS) / D_R
    long_delta_top = (half_width_m / EARTH_RADIUS / _cos((lat + lat_delta) * D_R)) / D_R
    long_delta_bottom = (half_width_m / EARTH_RADIUS / _cos((lat - lat_delta) * D_R)) / D_R
    delta = long_delta_bottom if lat < 0 else long_delta_top
    return lon - delta, lat - lat_delta, lon + delta, lat + lat_delta


def search_cells(lon: float, lat: float, radius_m: float, half_width_m: float,
                 half_height_m: float) -> tuple[int, list[int | None]]:
    """geohashCalculateAreasByShapeWGS84: ``(step, cells)``.

    ``cells`` lists the centre cell then north, south, east, west, north-east,
    north-west, south-east, south-west (Redis's search order); a neighbour that
    cannot hold results is None.  ``radius_m`` is the circle's radius or the
    box's half diagonal, the half sizes are the circle's radius or the box's.
    """
    min_lon, min_lat, max_lon, max_lat = bounding_box(lon, lat, half_width_m, half_height_m)
    steps = estimate_steps(radius_m, lat)
    hash_ = encode(lon, lat, steps) or 0
    nb = [_move(hash_, steps, dx, dy) for dx, dy in _DIRECTIONS]
    north = decode_area(nb[0], steps)
    south = decode_area(nb[1], steps)
    east = decode_area(nb[2], steps)
    west = decode_area(nb[3], steps)
    assert north and south and east and west  # step > 0: never the zero hash
    decrease = north[3] < max_lat or south[2] > min_lat or east[1] < max_lon or west[0] > min_lon
    if steps > 1 and decrease:
        steps -= 1
        hash_ = encode(lon, lat, steps) or 0
        nb = [_move(hash_, steps, dx, dy) for dx, dy in _DIRECTIONS]
    cells: list[int | None] = [hash_, *nb]
    if steps >= 2:
        area = decode_area(hash_, steps)
        assert area
        # indexes into cells: 1 N, 2 S, 3 E, 4 W, 5 NE, 6 NW, 7 SE, 8 SW
        if area[2] < min_lat:
            cells[2] = cells[8] = cells[7] = None
        if area[3] > max_lat:
            cells[1] = cells[5] = cells[6] = None
        if area[0] < min_lon:
            cells[4] = cells[8] = cells[6] = None
        if area[1] > max_lon:
            cells[3] = cells[7] = cells[5] = None
    return steps, cells


def search_ranges(lon: float, lat: float, radius_m: float, half_width_m: float,
                  half_height_m: float) -> list[tuple[int, int]]:
    """The score ranges ``[lo, hi)`` a search scans, in Redis's order (membersOfAllNeighbors).

    A cell equal to the one scanned just before it is skipped -- except right
    after the centre cell, which Redis's check never compares against.
    """
    step, cells = search_cells(lon, lat, radius_m, half_width_m, half_height_m)
    shift = 52 - step * 2
    out: list[tuple[int, int]] = []
    last = 0
    for i, cell in enumerate(cells):
        if cell is None:
            continue
        if last and cell == cells[last]:
            continue
        out.append((cell << shift, (cell + 1) << shift))
        last = i
    return out


# --- the sorts Redis uses ------------------------------------------------------------------------


def c_compare_asc(a: float, b: float) -> int:
    """sort_gp_asc on two distances (NaN compares as "less")."""
    if a > b:
        return 1
    if a == b:
        return 0
    return -1


def pqsort(items: list[Any], cmp: Callable[[Any, Any], int], lrange: int, rrange: int) -> None:
    """Redis's pqsort (NetBSD qsort, partial): sorts ``items`` in place until positions
    ``lrange..rrange`` hold what a full sort would put there.  Used where ties make
    the order of equal items observable (COUNT below the number of matches)."""
    _pqsort(items, 0, len(items), cmp, lrange, rrange)


def _med3(v: list[Any], a: int, b: int, c: int, cmp: Callable[[Any, Any], int]) -> int:
    if cmp(v[a], v[b]) < 0:
        return b if cmp(v[b], v[c]) < 0 else (c if cmp(v[a], v[c]) < 0 else a)
    return b if cmp(v[b], v[c]) > 0 else (a if cmp(v[a], v[c]) < 0 else c)


def _vecswap(v: list[Any], a: int, b: int, n: int) -> None:
    for i in range(n):
        v[a + i], v[b + i] = v[b + i], v[a + i]


def _pqsort(v: list[Any], a: int, n: int, cmp: Callable[[Any, Any], int], lrange: int, rrange: int) -> None:
    while True:
        if n < 7:
            for pm in range(a + 1, a + n):
                pl = pm
                while pl > a and cmp(v[pl - 1], v[pl]) > 0:
                    v[pl], v[pl - 1] = v[pl - 1], v[pl]
                    pl -= 1
            return
        pm = a + n // 2
        if n > 7:
            pl = a
            pn = a + n - 1
            if n > 40:
                d = n // 8
                pl = _med3(v, pl, pl + d, pl + 2 * d, cmp)
                pm = _med3(v, pm - d, pm, pm + d, cmp)
                pn = _med3(v, pn - 2 * d, pn - d, pn, cmp)
            pm = _med3(v, pl, pm, pn, cmp)
        v[a], v[pm] = v[pm], v[a]
        pa = pb = a + 1
        pc = pd = a + n - 1
        while True:
            while pb <= pc:
                r = cmp(v[pb], v[a])
                if r > 0:
                    break
                if r == 0:
                    v[pa], v[pb] = v[pb], v[pa]
                    pa += 1
                pb += 1
            while pb <= pc:
                r = cmp(v[pc], v[a])
                if r < 0:
                    break
                if r == 0:
                    v[pc], v[pd] = v[pd], v[pc]
                    pd -= 1
                pc -= 1
            if pb > pc:
                break
            v[pb], v[pc] = v[pc], v[pb]
            pb += 1
            pc -= 1
        pn = a + n
        r = min(pa - a, pb - pa)
        _vecswap(v, a, pb - r, r)
        r = min(pd - pc, pn - pd - 1)
        _vecswap(v, pb, pn - r, r)
        r = pb - pa
        if r > 1 and not ((lrange < a and rrange < a) or (lrange >= a + r and rrange >= a + r)):
            _pqsort(v, a, r, cmp, lrange, rrange)
        r = pd - pc
        if r <= 1:
            return
        a = pn - r
        n = r
        if (lrange < a and rrange < a) or (lrange >= a + n and rrange >= a + n):
            return


def c_msort(items: list[Any], cmp: Callable[[Any, Any], int]) -> list[Any]:
    """glibc's qsort (a top-down merge sort) with a C comparator, for the rare
    inputs where Python's sort would order differently (NaN distances)."""
    n = len(items)
    if n <= 1:
        return list(items)
    n1 = n // 2
    left = c_msort(items[:n1], cmp)
    right = c_msort(items[n1:], cmp)
    out = []
    i = j = 0
    while i < len(left) and j < len(right):
        if cmp(left[i], right[j]) <= 0:
            out.append(left[i])
            i += 1
        else:
            out.append(right[j])
            j += 1
    out.extend(left[i:])
    out.extend(right[j:])
    return out
