"""GEO commands: positions kept in a sorted set, scored by their 52-bit geohash.

Rules of this module:

* A GEO value *is* a sorted set (``datatypes.zset.ZSet``): GEOADD stores
  ``datatypes.geohash.encode_score`` as the score, every ZSET command works
  on it, and GEO reads decode whatever score a member has (a score that is
  no geohash decodes as Redis decodes it).
* GEOADD behaves as the ZADD it becomes in Redis: NX/XX/CH, the ``zadd``
  event, dirty += added + updated, listpack/skiplist encoding.
* One search routine serves GEORADIUS[_RO], GEORADIUSBYMEMBER[_RO], GEOSEARCH
  and GEOSEARCHSTORE, as georadiusGeneric does in Redis: the same order of
  argument checks and errors, the same 9 cells scanned in the same order, the
  same candidate order, and the same sorts (a stable sort for a full sort,
  Redis's partial quicksort where COUNT cuts through equal distances).
* Replies: distances are ``%.4f`` bulk strings in both protocols, hashes
  integers, coordinates ``%.17Lf``-style numbers (bulk strings in RESP2,
  doubles in RESP3, as addReplyHumanLongDouble); WITHDIST, WITHHASH,
  WITHCOORD nest in that order.
* STORE/STOREDIST (GEOSEARCHSTORE) write a fresh zset (event
  ``georadiusstore`` / ``geosearchstore``, dirty += stored) or delete the
  destination when nothing matched (``del``).
"""

from __future__ import annotations

import math
from typing import Any

from .. import errors
from ..datatypes import geohash
from ..datatypes.geohash import INV_CELLS, LAT_MAX, LAT_MIN, LON_MAX, LON_MIN, SCORE_LIMIT, SQUEEZE, UNITS
from ..datatypes.zset import ZSet, parse_score
from ..errors import CommandError
from ..protocol.writer import NULL_ARRAY, Raw
from .args import parse_int
from .registry import command

GEO = "geo"

_decode = geohash.decode
_D_R = geohash.D_R
_R2 = 2.0 * geohash.EARTH_RADIUS
_sin, _cos, _sqrt, _asin = math.sin, math.cos, math.sqrt, math.asin


def _word(b: bytes) -> bytes:
    """An option as strcasecmp sees it: lowercased, cut at a NUL byte."""
    if b"\0" in b:
        b = b.split(b"\0", 1)[0]
    return b.lower()


def _unit(b: bytes) -> float:
    """extractUnitOrReply: metres per unit."""
    to_m = UNITS.get(_word(b))
    if to_m is None:
        raise CommandError(errors.GEO_UNIT)
    return to_m


def _lonlat(argv: list[bytes], i: int) -> tuple[float, float]:
    """extractLongLatOrReply: two strict doubles within the WGS84/Mercator limits."""
    lon = parse_score(argv[i])
    lat = parse_score(argv[i + 1])
    if lon < LON_MIN or lon > LON_MAX or lat < LAT_MIN or lat > LAT_MAX:
        raise errors.geo_invalid_lonlat(lon, lat)
    return lon, lat


def _radius(argv: list[bytes], i: int) -> tuple[float, float]:
    """extractDistanceOrReply: ``(radius, metres per unit)``."""
    r = parse_score(argv[i], errors.GEO_NEED_RADIUS)
    if r < 0:
        raise CommandError(errors.GEO_RADIUS_NEGATIVE)
    return r, _unit(argv[i + 1])


def _box(argv: list[bytes], i: int) -> tuple[float, float, float]:
    """extractBoxOrReply: ``(width, height, metres per unit)``."""
    w = parse_score(argv[i], errors.GEO_NEED_WIDTH)
    h = parse_score(argv[i + 1], errors.GEO_NEED_HEIGHT)
    if h < 0 or w < 0:
        raise CommandError(errors.GEO_BOX_NEGATIVE)
    return w, h, _unit(argv[i + 2])


def _member_pos(z: ZSet, member: bytes) -> tuple[float, float]:
    score = z.scores.get(member)
    if score is None:
        raise CommandError(errors.GEO_MEMBER_DECODE)
    return _decode(score)


def _coord(c: Any, v: float) -> Any:
    """addReplyHumanLongDouble: a bulk string in RESP2, a double in RESP3."""
    text = geohash.format_coordinate(v)
    return Raw(b",%s\r\n" % text) if c.resp3 else text


def _as_long_long(score: float) -> int:
    """``(long long)score`` on x86-64 (WITHHASH): out of range gives LLONG_MIN."""
    if -9.223372036854775808e18 <= score < 9.223372036854775808e18:
        return int(score)
    return -(1 << 63)


# --- GEOADD ---------------------------------------------------------------------------------


@command("geoadd", -5, "write denyoom", keys=(1, 1, 1), group=GEO, since="3.2.0",
         summary="Add one or more geospatial items in the geospatial index represented using a sorted set",
         complexity="O(log(N)) for each item added, where N is the number of elements in the sorted set.")
def geoadd(c: Any, argv: list[bytes]) -> Any:
    nx = xx = ch = False
    i = 2
    n = len(argv)
    while i < n:
        opt = _word(argv[i])
        if opt == b"nx":
            nx = True
        elif opt == b"xx":
            xx = True
        elif opt == b"ch":
            ch = True
        else:
            break
        i += 1
    if (n - i) % 3 or (xx and nx) or i == n:  # i == n: no triple, ZADD's own syntax error
        raise CommandError(errors.SYNTAX)
    encode = geohash.encode_score
    pairs = []
    for j in range(i, n, 3):
        lon, lat = _lonlat(argv, j)
        pairs.append((argv[j + 2], float(encode(lon, lat))))
    db = c.db
    key = argv[1]
    z = db.write_typed(key, ZSet)
    if z is None:
        if xx:
            return 0
        z = ZSet()
        db.set(key, z)
    config = c.server.config
    cur_get = z.scores.get
    added = updated = 0
    for member, score in pairs:
        cur = cur_get(member)
        if cur is not None:
            if not nx and score != cur:
                z.add(member, score)
                updated += 1
        elif not xx:
            z.note_insert(config, member)
            z.add(member, score)
            added += 1
    if added or updated:
        c.server.dirty += added + updated
        db.touched(key)
        c.server.notify(db, "z", b"zadd", key)
    return added + updated if ch else added


# --- reads by member ------------------------------------------------------------------------


@command("geopos", -2, "readonly", keys=(1, 1, 1), group=GEO, since="3.2.0",
         summary="Returns longitude and latitude of members of a geospatial index",
         complexity="O(N) where N is the number of members requested.")
def geopos(c: Any, argv: list[bytes]) -> Any:
    z = c.db.read_typed(argv[1], ZSet)
    get = z.scores.get if z is not None else {}.get
    out: list[Any] = []
    for member in argv[2:]:
        score = get(member)
        if score is None:
            out.append(NULL_ARRAY)
        else:
            lon, lat = _decode(score)
            out.append([_coord(c, lon), _coord(c, lat)])
    return out


@command("geohash", -2, "readonly", keys=(1, 1, 1), group=GEO, since="3.2.0",
         summary="Returns members of a geospatial index as standard geohash strings",
         complexity="O(log(N)) for each member requested, where N is the number of elements in the sorted set.")
def geohash_(c: Any, argv: list[bytes]) -> Any:
    z = c.db.read_typed(argv[1], ZSet)
    get = z.scores.get if z is not None else {}.get
    out: list[Any] = []
    for member in argv[2:]:
        score = get(member)
        out.append(None if score is None else geohash.geohash_string(score))
    return out


@command("geodist", -4, "readonly", keys=(1, 1, 1), group=GEO, since="3.2.0",
         summary="Returns the distance between two members of a geospatial index", complexity="O(log(N))")
def geodist(c: Any, argv: list[bytes]) -> Any:
    to_m = 1.0
    if len(argv) == 5:
        to_m = _unit(argv[4])
    elif len(argv) > 5:
        raise CommandError(errors.SYNTAX)
    z = c.db.read_typed(argv[1], ZSet)
    if z is None:
        return None
    s1 = z.scores.get(argv[2])
    s2 = z.scores.get(argv[3])
    if s1 is None or s2 is None:
        return None
    lon1, lat1 = _decode(s1)
    lon2, lat2 = _decode(s2)
    return geohash.format_distance(geohash.distance(lon1, lat1, lon2, lat2) / to_m)


# --- the searches ----------------------------------------------------------------------------

COORDS, MEMBER, NOSTORE, SEARCH, SEARCHSTORE = 1, 2, 4, 8, 16
SORT_NONE, SORT_ASC, SORT_DESC = 0, 1, 2


def _candidates(z: ZSet, lon: float, lat: float, box: tuple[float, float] | None, radius: float,
                conv: float, limit: int) -> list[tuple[float, float, bytes, float, float]]:
    """membersOfAllNeighbors: ``(dist_m, score, member, lon, lat)`` of every member
    in the shape, in Redis's order (cell by cell, score order within a cell),
    stopping at ``limit`` matches when it is not 0 (ANY)."""
    if box is None:
        r_m = radius * conv
        ranges = geohash.search_ranges(lon, lat, r_m, conv * radius, conv * radius)
    else:
        w, h = box
        r_m = _sqrt((w / 2) * (w / 2) + (h / 2) * (h / 2)) * conv
        ranges = geohash.search_ranges(lon, lat, r_m, conv * (w / 2), conv * (h / 2))
        w_m, h_m = w * conv, h * conv
        in_box = geohash.in_box
    out: list[tuple[float, float, bytes, float, float]] = []
    order = z.order
    score_range = z.score_range
    append = out.append
    # The hot loop inlines decode() (its common case) and, for circles,
    # distance(lon, lat, plon, plat) in geohashGetDistance's operation order.
    decode = _decode
    q = SQUEEZE
    limit52 = SCORE_LIMIT
    inv, lon_min, lat_min, lat_scale = INV_CELLS, LON_MIN, LAT_MIN, LAT_MAX - LAT_MIN
    lat1r = lat * _D_R
    lon1r = lon * _D_R
    cos1 = _cos(lat1r)
    sin, cos, sqrt, asin, d_r, r2 = _sin, _cos, _sqrt, _asin, _D_R, _R2
    for lo, hi in ranges:
        if limit and out and len(out) >= limit:
            break
        i, j = score_range(float(lo), False, float(hi), True)
        for score, member in order.islice(i, j):
            if 0.0 <= score < limit52:
                b = int(score)
                t = (q[b & 4095] | q[(b >> 12) & 4095] << 6 | q[(b >> 24) & 4095] << 12
                     | q[(b >> 36) & 4095] << 18 | q[b >> 48] << 24)
                ilon = t >> 32
                ilat = t & 0xFFFFFFFF
                plon = ((lon_min + ilon * inv * 360.0) + (lon_min + (ilon + 1) * inv * 360.0)) / 2
                plat = ((lat_min + ilat * inv * lat_scale) + (lat_min + (ilat + 1) * inv * lat_scale)) / 2
            else:
                plon, plat = decode(score)
            if box is None:
                lat2r = plat * d_r
                u = sin((lat2r - lat1r) / 2)
                v = sin((plon * d_r - lon1r) / 2)
                a = sqrt(u * u + cos1 * cos(lat2r) * v * v)
                d = r2 * (asin(a) if a <= 1.0 else -math.nan)
                if d > r_m:
                    continue
            else:
                dd = in_box(w_m, h_m, lon, lat, plon, plat)
                if dd is None:
                    continue
                d = dd
            append((d, score, member, plon, plat))
            if limit and len(out) >= limit:
                break
    return out


def _sorted(points: list[Any], sort: int, returned: int) -> list[Any]:
    """qsort (stable merge sort in glibc) for a full sort, pqsort for a partial one."""
    n = len(points)
    desc = sort == SORT_DESC
    nan = any(p[0] != p[0] for p in points)
    if not nan:
        ordered = sorted(points, key=lambda p: p[0], reverse=desc)
        if returned == n:
            return ordered
        top = ordered[:returned + 1 if returned < n else returned]
        # The first `returned` are determined unless equal distances reach into them.
        if all(top[k][0] != top[k + 1][0] for k in range(len(top) - 1)):
            return ordered[:returned]
    asc = geohash.c_compare_asc
    if desc:
        def cmp(a: Any, b: Any) -> int:
            return -asc(a[0], b[0])
    else:
        def cmp(a: Any, b: Any) -> int:
            return asc(a[0], b[0])
    if returned == n:
        return geohash.c_msort(points, cmp)
    items = list(points)
    geohash.pqsort(items, cmp, 0, returned - 1)
    return items[:returned]


def _search(c: Any, argv: list[bytes], src: int, flags: int) -> Any:
    """georadiusGeneric."""
    db = c.db
    z = db.read_typed(argv[src], ZSet)
    store_key: bytes | None = None
    storedist = False
    lon = lat = 0.0
    radius = conv = 0.0
    box: tuple[float, float] | None = None
    if flags & COORDS:
        base = 6
        lon, lat = _lonlat(argv, 2)
        radius, conv = _radius(argv, 4)
    elif flags & MEMBER:
        base = 5
        if z is not None:  # a missing key still gets its options checked
            lon, lat = _member_pos(z, argv[2])
            radius, conv = _radius(argv, 3)
    else:
        base = 2
        if flags & SEARCHSTORE:
            base = 3
            store_key = argv[1]

    withdist = withhash = withcoord = any_ = False
    frommember = fromloc = byradius = bybox = False
    sort = SORT_NONE
    count = 0
    n = len(argv)
    i = base
    while i < n:
        opt = _word(argv[i])
        left = n - i - 1  # arguments after this one
        if opt == b"withdist":
            withdist = True
        elif opt == b"withhash":
            withhash = True
        elif opt == b"withcoord":
            withcoord = True
        elif opt == b"any":
            any_ = True
        elif opt == b"asc":
            sort = SORT_ASC
        elif opt == b"desc":
            sort = SORT_DESC
        elif opt == b"count" and left >= 1:
            count = parse_int(argv[i + 1])
            if count <= 0:
                raise CommandError(errors.GEO_COUNT)
            i += 1
        elif opt in (b"store", b"storedist") and left >= 1 and not flags & (NOSTORE | SEARCH):
            store_key = argv[i + 1]
            storedist = opt == b"storedist"
            i += 1
        elif opt == b"storedist" and flags & SEARCHSTORE:
            storedist = True
        elif opt == b"frommember" and left >= 1 and flags & SEARCH and not fromloc:
            if z is not None:
                lon, lat = _member_pos(z, argv[i + 1])
            frommember = True
            i += 1
        elif opt == b"fromlonlat" and left >= 2 and flags & SEARCH and not frommember:
            lon, lat = _lonlat(argv, i + 1)
            fromloc = True
            i += 2
        elif opt == b"byradius" and left >= 2 and flags & SEARCH and not bybox:
            radius, conv = _radius(argv, i + 1)
            box = None
            byradius = True
            i += 2
        elif opt == b"bybox" and left >= 3 and flags & SEARCH and not byradius:
            w, h, conv = _box(argv, i + 1)
            box = (w, h)
            bybox = True
            i += 3
        else:
            raise CommandError(errors.SYNTAX)
        i += 1

    if store_key is not None and (withdist or withhash or withcoord):
        raise CommandError(errors.GEO_STORE_WITH_WITH_SEARCHSTORE if flags & SEARCHSTORE
                           else errors.GEO_STORE_WITH_WITH)
    if flags & SEARCH and not (frommember or fromloc):
        raise errors.geo_need_from(argv[0])
    if flags & SEARCH and not (byradius or bybox):
        raise errors.geo_need_by(argv[0])
    if any_ and not count:
        raise CommandError(errors.GEO_ANY_NEEDS_COUNT)

    if z is None:
        if store_key is None:
            return []
        if db.delete(store_key):
            c.server.dirty += 1
            c.server.notify(db, "g", b"del", store_key)
        return 0

    if count and sort == SORT_NONE and not any_:
        sort = SORT_ASC  # COUNT alone means the nearest ones
    points = _candidates(z, lon, lat, box, radius, conv, count if any_ else 0)
    if not points and store_key is None:
        return []
    returned = len(points) if not count or len(points) < count else count
    if sort != SORT_NONE:
        points = _sorted(points, sort, returned)
    else:
        points = points[:returned]

    if store_key is None:
        if not (withdist or withhash or withcoord):
            return [p[2] for p in points]
        out: list[Any] = []
        fmt = geohash.format_distance
        for d, score, member, plon, plat in points:
            item: list[Any] = [member]
            if withdist:
                item.append(fmt(d / conv))
            if withhash:
                item.append(_as_long_long(score))
            if withcoord:
                item.append([_coord(c, plon), _coord(c, plat)])
            out.append(item)
        return out

    if points:
        dst = ZSet()
        for d, score, member, _, _ in points:
            dst.add(member, d / conv if storedist else score)
        db.set(store_key, dst.fresh_encoding(c.server.config))
        c.server.notify(db, "z", b"geosearchstore" if flags & SEARCH else b"georadiusstore", store_key)
        c.server.dirty += len(points)
    elif db.delete(store_key):
        c.server.notify(db, "g", b"del", store_key)
        c.server.dirty += 1
    return len(points)


def _store_keys(first_option: int) -> Any:
    """GEORADIUS[BYMEMBER]'s keys as Redis's key specs find them: the source, then
    the key after the first STORE and the first STOREDIST at or after ``first_option``."""

    def keys(argv: list[bytes]) -> list[int]:
        out = [1]
        for word in (b"store", b"storedist"):
            for i in range(first_option, len(argv) - 1):
                if _word(argv[i]) == word:
                    out.append(i + 1)
                    break
        return out

    return keys


_RADIUS_CX = ("O(N+log(M)) where N is the number of elements inside the bounding box of the circular area "
              "delimited by center and radius and M is the number of items inside the index.")
_SEARCH_CX = ("O(N+log(M)) where N is the number of elements in the grid-aligned bounding box area around the "
              "shape provided as the filter and M is the number of items inside the shape")


@command("georadius", -6, "write denyoom movablekeys", keys=(1, 1, 1), group=GEO, since="3.2.0",
         getkeys=_store_keys(6),
         summary="Query a sorted set representing a geospatial index to fetch members matching a given maximum "
                 "distance from a point",
         complexity=_RADIUS_CX)
def georadius(c: Any, argv: list[bytes]) -> Any:
    return _search(c, argv, 1, COORDS)


@command("georadius_ro", -6, "readonly", keys=(1, 1, 1), group=GEO, since="3.2.10",
         summary="A read-only variant for GEORADIUS", complexity=_RADIUS_CX)
def georadius_ro(c: Any, argv: list[bytes]) -> Any:
    return _search(c, argv, 1, COORDS | NOSTORE)


@command("georadiusbymember", -5, "write denyoom movablekeys", keys=(1, 1, 1), group=GEO, since="3.2.0",
         getkeys=_store_keys(5),
         summary="Query a sorted set representing a geospatial index to fetch members matching a given maximum "
                 "distance from a member",
         complexity=_RADIUS_CX)
def georadiusbymember(c: Any, argv: list[bytes]) -> Any:
    return _search(c, argv, 1, MEMBER)


@command("georadiusbymember_ro", -5, "readonly", keys=(1, 1, 1), group=GEO, since="3.2.10",
         summary="A read-only variant for GEORADIUSBYMEMBER", complexity=_RADIUS_CX)
def georadiusbymember_ro(c: Any, argv: list[bytes]) -> Any:
    return _search(c, argv, 1, MEMBER | NOSTORE)


@command("geosearch", -7, "readonly", keys=(1, 1, 1), group=GEO, since="6.2.0",
         summary="Query a sorted set representing a geospatial index to fetch members inside an area of a box "
                 "or a circle.",
         complexity=_SEARCH_CX)
def geosearch(c: Any, argv: list[bytes]) -> Any:
    return _search(c, argv, 1, SEARCH)


@command("geosearchstore", -8, "write denyoom", keys=(1, 2, 1), group=GEO, since="6.2.0",
         summary="Query a sorted set representing a geospatial index to fetch members inside an area of a box "
                 "or a circle, and store the result in another key.",
         complexity=_SEARCH_CX)
def geosearchstore(c: Any, argv: list[bytes]) -> Any:
    return _search(c, argv, 2, SEARCH | SEARCHSTORE)
