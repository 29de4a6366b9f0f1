"""GEO commands against CrabCache and real Redis 7.0 (RESP2 and RESP3).

Positions live in a sorted set scored by their 52-bit geohash, so scores are
checked exactly; coordinates are checked as the bytes the server sends
(bulk strings in RESP2, doubles in RESP3), distances as Redis's ``%.4f``
bulk strings.  Search results are checked member by member and in order.
A differential test at the end throws random points and searches at both
servers (``pair``) and wants identical replies.
"""

from __future__ import annotations

import random
from typing import Any

import pytest
import redis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from wire import Wire

WRONGTYPE = "WRONGTYPE Operation against a key holding the wrong kind of value"
UNIT = "unsupported unit provided. please use M, KM, FT, MI"

CITIES = [
    "13.361389", "38.115556", "Palermo", "15.087269", "37.502669", "Catania", "12.496366", "41.902782", "Rome",
    "14.268120", "40.851799", "Naples", "9.189982", "45.464203", "Milan", "2.352222", "48.856613", "Paris",
]
SCORES = {b"Palermo": 3479099956230698, b"Catania": 3479447370796909, b"Rome": 3480343273965391,
          b"Naples": 3480580670016392, b"Milan": 3663062935203649, b"Paris": 3663832779125283}


def score(r: redis.Redis, key: str, member: str) -> int | None:
    """ZSCORE as an integer (a bulk string in RESP2, a double in RESP3)."""
    v = r.execute_command("ZSCORE", key, member)
    return None if v is None else int(float(v))


def err(r: redis.Redis, *args: Any) -> str:
    with pytest.raises(redis.ResponseError) as e:
        r.execute_command(*args)
    return str(e.value)


@pytest.fixture
def it(rr: redis.Redis) -> redis.Redis:
    """``rr`` holding the cities in key ``it``."""
    assert rr.execute_command("GEOADD", "it", *CITIES) == 6
    return rr


@pytest.fixture
def wire(server: Any, protocol: int) -> Any:
    with Wire(server.port, protocol) as w:
        w.call("FLUSHALL")
        w.call("GEOADD", "it", *CITIES)
        yield w


def coord(protocol: int, text: bytes) -> bytes:
    """A coordinate on the wire: a bulk string in RESP2, a double in RESP3."""
    return b",%s\r\n" % text if protocol == 3 else b"$%d\r\n%s\r\n" % (len(text), text)


def bulk(b: bytes) -> bytes:
    return b"$%d\r\n%s\r\n" % (len(b), b)


def null(protocol: int, array: bool = False) -> bytes:
    return b"_\r\n" if protocol == 3 else (b"*-1\r\n" if array else b"$-1\r\n")


# --- GEOADD and the scores ------------------------------------------------------------------


def test_geoadd_stores_redis_scores(it, protocol):
    assert it.execute_command("ZCARD", "it") == 6
    for member, score in SCORES.items():
        got = it.execute_command("ZSCORE", "it", member)
        assert got == (float(score) if protocol == 3 else b"%d" % score)
    assert it.execute_command("OBJECT", "ENCODING", "it") == b"listpack"


def test_geoadd_options(it):
    x = it.execute_command
    assert x("GEOADD", "it", "13.361389", "38.115556", "Palermo") == 0
    assert x("GEOADD", "it", "CH", "13.4", "38.1", "Palermo", "1", "1", "New") == 2
    assert x("GEOADD", "it", "13.4", "38.1", "Palermo") == 0  # same position: no change
    assert x("GEOADD", "it", "NX", "13.361389", "38.115556", "Palermo", "2", "2", "New2") == 1
    assert score(it, "it", "Palermo") == 3479099937378871  # NX kept the moved position
    assert x("GEOADD", "it", "XX", "CH", "13.361389", "38.115556", "Palermo", "3", "3", "New3") == 1
    assert score(it, "it", "Palermo") == 3479099956230698
    assert score(it, "it", "New3") is None
    assert x("GEOADD", "nokey", "XX", "1", "1", "a") == 0
    assert x("EXISTS", "nokey") == 0
    assert x("GEOADD", "it", "ch", "nx", "ch", "0", "0", "zero") == 1


def test_geoadd_errors(rr):
    assert err(rr, "GEOADD", "g", "181", "0", "a") == "invalid longitude,latitude pair 181.000000,0.000000"
    assert err(rr, "GEOADD", "g", "0", "85.05112879", "a") == "invalid longitude,latitude pair 0.000000,85.051129"
    assert err(rr, "GEOADD", "g", "-180.5", "-86", "a") == "invalid longitude,latitude pair -180.500000,-86.000000"
    assert err(rr, "GEOADD", "g", "inf", "0", "a") == "invalid longitude,latitude pair inf,0.000000"
    assert err(rr, "GEOADD", "g", "1", "2", "a", "1", "-inf", "b") == "invalid longitude,latitude pair 1.000000,-inf"
    for bad in ("abc", "nan", "1e400", " 1", "", "1x"):
        assert err(rr, "GEOADD", "g", bad, "0", "a") == "value is not a valid float", bad
        assert err(rr, "GEOADD", "g", "0", bad, "a") == "value is not a valid float", bad
    assert err(rr, "GEOADD", "g", "1", "2", "a", "3") == "syntax error"
    assert err(rr, "GEOADD", "g", "NX", "XX", "1", "2", "a") == "syntax error"
    assert err(rr, "GEOADD", "g", "CH", "CH", "CH") == "syntax error"
    assert err(rr, "GEOADD", "g", "GT", "1", "2", "a") == "syntax error"
    assert err(rr, "GEOADD", "g", "1", "2") == "wrong number of arguments for 'geoadd' command"
    assert rr.execute_command("EXISTS", "g") == 0  # nothing added when a later triple is bad
    rr.execute_command("SET", "s", "x")
    assert err(rr, "GEOADD", "s", "1", "2", "a") == WRONGTYPE
    assert err(rr, "GEOADD", "s", "1", "200", "a") == "invalid longitude,latitude pair 1.000000,200.000000"


def test_edge_coordinates(wire, protocol):
    w = wire
    assert w.call("GEOADD", "e", "180", "0", "east", "-180", "0", "west", "0", "85.05112878", "north",
                  "0", "-85.05112878", "south", "-180", "-85.05112878", "corner") == b":5\r\n"
    # longitude 180 and latitude 85.05112878 are one cell past the last one, as in Redis
    assert w.call("ZSCORE", "e", "east") == (b",10133099161583616\r\n" if protocol == 3
                                             else bulk(b"10133099161583616"))
    assert w.call("ZSCORE", "e", "north") == (b",6755399441055744\r\n" if protocol == 3
                                              else bulk(b"6755399441055744"))
    assert w.call("ZSCORE", "e", "corner") == (b",0\r\n" if protocol == 3 else bulk(b"0"))
    assert w.call("GEOPOS", "e", "east", "west", "north", "south", "corner") == b"".join([
        b"*5\r\n",
        b"*2\r\n", coord(protocol, b"180"), coord(protocol, b"0.00000126736058093"),
        b"*2\r\n", coord(protocol, b"-179.99999731779098511"), coord(protocol, b"0.00000126736058093"),
        b"*2\r\n", coord(protocol, b"0.00000268220901489"), coord(protocol, b"85.0511287799999991"),
        b"*2\r\n", coord(protocol, b"0.00000268220901489"), coord(protocol, b"-85.05112751263942528"),
        b"*2\r\n", coord(protocol, b"-179.99999731779098511"), coord(protocol, b"-85.05112751263942528"),
    ])
    assert w.call("GEOHASH", "e", "east", "west", "north", "south", "corner") == b"".join(
        [b"*5\r\n"] + [bulk(h) for h in (b"80000000000", b"80000000000", b"up05b5048p0", b"h0bh0hbj200",
                                         b"00bh0hbj200")])
    assert w.call("GEODIST", "e", "east", "west", "km") == bulk(b"0.0003")
    assert w.call("GEODIST", "e", "north", "south") == bulk(b"18919844.5891")


def test_scores_that_are_no_geohash(wire, protocol):
    # Any zset member decodes as Redis decodes its score (uint64 cast, clamping).
    w = wire
    w.call("ZADD", "z", "-1", "neg", "1e300", "huge", "-inf", "ninf", "4503599627370496", "two52")
    assert w.call("GEOPOS", "z", "neg", "huge", "ninf", "two52") == b"".join([
        b"*4\r\n",
        b"*2\r\n", coord(protocol, b"180"), coord(protocol, b"85.0511287799999991"),
        b"*2\r\n", coord(protocol, b"-179.99999731779098511"), coord(protocol, b"-85.05112751263942528"),
        b"*2\r\n", coord(protocol, b"180"), coord(protocol, b"-85.05112751263942528"),
        b"*2\r\n", coord(protocol, b"-179.99999731779098511"), coord(protocol, b"85.0511287799999991"),
    ])
    assert w.call("GEOHASH", "z", "neg", "huge") == b"*2\r\n" + bulk(b"bp05b5048p0") + bulk(b"00bh0hbj200")


# --- GEOPOS, GEOHASH, GEODIST ---------------------------------------------------------------


def test_geopos(wire, protocol):
    assert wire.call("GEOPOS", "it", "Palermo", "nope", "Paris") == b"".join([
        b"*3\r\n",
        b"*2\r\n", coord(protocol, b"13.36138933897018433"), coord(protocol, b"38.11555639549629859"),
        null(protocol, array=True),
        b"*2\r\n", coord(protocol, b"2.35221952199935913"), coord(protocol, b"48.85661220395509474"),
    ])
    assert wire.call("GEOPOS", "nokey", "a", "b") == b"*2\r\n" + null(protocol, True) * 2
    assert wire.call("GEOPOS", "it") == b"*0\r\n"


def test_geohash(it):
    x = it.execute_command
    assert x("GEOHASH", "it", "Palermo", "nope", "Catania", "Paris") == [
        b"sqc8b49rny0", None, b"sqdtr74hyu0", b"u09tvw0f6s0"]
    assert x("GEOHASH", "nokey", "a") == [None]
    assert x("GEOHASH", "it") == []


def test_geodist_units(it):
    x = it.execute_command
    assert x("GEODIST", "it", "Palermo", "Rome") == b"427629.4625"
    assert x("GEODIST", "it", "Palermo", "Rome", "m") == b"427629.4625"
    assert x("GEODIST", "it", "Palermo", "Rome", "M") == b"427629.4625"
    assert x("GEODIST", "it", "Palermo", "Rome", "km") == b"427.6295"
    assert x("GEODIST", "it", "Palermo", "Rome", "KM") == b"427.6295"
    assert x("GEODIST", "it", "Palermo", "Rome", "mi") == b"265.7173"
    assert x("GEODIST", "it", "Palermo", "Rome", "ft") == b"1402983.8010"
    assert x("GEODIST", "it", "Palermo", "Catania") == b"166274.1516"
    assert x("GEODIST", "it", "Palermo", "Palermo") == b"0.0000"
    assert x("GEODIST", "it", "Palermo", "nope") is None
    assert x("GEODIST", "nokey", "a", "b") is None
    assert err(it, "GEODIST", "it", "Palermo", "Rome", "yards") == UNIT
    assert err(it, "GEODIST", "nokey", "a", "b", "yards") == UNIT  # the unit is checked first
    assert err(it, "GEODIST", "it", "Palermo", "Rome", "km", "x") == "syntax error"
    assert err(it, "GEODIST", "it", "Palermo") == "wrong number of arguments for 'geodist' command"


def test_wrongtype(rr):
    rr.execute_command("SET", "s", "x")
    for cmd in (("GEOPOS", "s", "a"), ("GEOHASH", "s", "a"), ("GEODIST", "s", "a", "b"),
                ("GEORADIUS", "s", "0", "0", "1", "km"), ("GEORADIUS", "s", "999", "0", "1", "km"),
                ("GEORADIUS_RO", "s", "0", "0", "1", "km"), ("GEORADIUSBYMEMBER", "s", "a", "1", "km"),
                ("GEORADIUSBYMEMBER_RO", "s", "a", "1", "km"),
                ("GEOSEARCH", "s", "FROMLONLAT", "0", "0", "BYRADIUS", "1", "km"),
                ("GEOSEARCHSTORE", "d", "s", "FROMLONLAT", "0", "0", "BYRADIUS", "1", "km")):
        assert err(rr, *cmd) == WRONGTYPE, cmd
    assert err(rr, "GEODIST", "s", "a", "b", "parsec") == UNIT


# --- searches ---------------------------------------------------------------------------------


def test_search_with_everything_raw(wire, protocol):
    assert wire.call("GEOSEARCH", "it", "FROMLONLAT", "15", "37", "BYRADIUS", "200", "km", "ASC",
                     "WITHCOORD", "WITHDIST", "WITHHASH") == b"".join([
        b"*2\r\n",
        b"*4\r\n", bulk(b"Catania"), bulk(b"56.4413"), b":3479447370796909\r\n",
        b"*2\r\n", coord(protocol, b"15.08726745843887329"), coord(protocol, b"37.50266842333162032"),
        b"*4\r\n", bulk(b"Palermo"), bulk(b"190.4424"), b":3479099956230698\r\n",
        b"*2\r\n", coord(protocol, b"13.36138933897018433"), coord(protocol, b"38.11555639549629859"),
    ])
    assert wire.call("GEORADIUS", "it", "15", "37", "200", "km", "WITHDIST", "WITHCOORD") == b"".join([
        b"*2\r\n",
        b"*3\r\n", bulk(b"Palermo"), bulk(b"190.4424"),
        b"*2\r\n", coord(protocol, b"13.36138933897018433"), coord(protocol, b"38.11555639549629859"),
        b"*3\r\n", bulk(b"Catania"), bulk(b"56.4413"),
        b"*2\r\n", coord(protocol, b"15.08726745843887329"), coord(protocol, b"37.50266842333162032"),
    ])


def test_search_orders_and_counts(it):
    x = it.execute_command
    base = ("GEOSEARCH", "it", "FROMMEMBER", "Naples")
    # unsorted: cell by cell, then score order within a cell, as Redis scans them
    assert x(*base, "BYRADIUS", "600", "km") == [b"Palermo", b"Catania", b"Rome", b"Naples"]
    asc = [[b"Naples", b"0.0000"], [b"Rome", b"188.4900"], [b"Palermo", b"314.1327"], [b"Catania", b"379.1422"]]
    assert x(*base, "BYRADIUS", "600", "km", "ASC", "WITHDIST") == asc
    assert x(*base, "BYRADIUS", "600", "km", "DESC", "WITHDIST") == asc[::-1]
    assert x(*base, "BYBOX", "800", "1000", "km", "ASC", "WITHDIST") == asc
    assert x(*base, "BYBOX", "800", "400", "km", "ASC") == [b"Naples", b"Rome"]
    assert x(*base, "BYRADIUS", "2000", "km", "COUNT", "2") == [b"Naples", b"Rome"]  # COUNT implies ASC
    assert x(*base, "BYRADIUS", "2000", "km", "COUNT", "2", "DESC") == [b"Paris", b"Milan"]
    assert x(*base, "BYRADIUS", "2000", "km", "COUNT", "2", "ANY") == [b"Palermo", b"Catania"]
    assert x(*base, "BYRADIUS", "2000", "km", "COUNT", "2", "ANY", "DESC") == [b"Catania", b"Palermo"]
    assert x(*base, "BYRADIUS", "2000", "km", "COUNT", "100", "DESC") == [
        b"Paris", b"Milan", b"Catania", b"Palermo", b"Rome", b"Naples"]
    assert x(*base, "BYRADIUS", "188.49", "km", "WITHDIST") == [[b"Naples", b"0.0000"]]
    assert x(*base, "BYRADIUS", "188.491", "km", "ASC") == [b"Naples", b"Rome"]
    assert x("GEORADIUSBYMEMBER", "it", "Rome", "500", "km", "WITHHASH", "ASC") == [
        [b"Rome", 3480343273965391], [b"Naples", 3480580670016392], [b"Palermo", 3479099956230698],
        [b"Milan", 3663062935203649]]
    assert x("GEORADIUSBYMEMBER_RO", "it", "Rome", "300", "mi", "DESC") == [
        b"Milan", b"Palermo", b"Naples", b"Rome"]
    assert x("GEORADIUS_RO", "it", "12", "42", "1000", "ft") == []
    assert x("GEOSEARCH", "it", "FROMLONLAT", "12", "42", "BYRADIUS", "0", "m") == []
    assert x("GEOSEARCH", "it", "FROMLONLAT", "15", "37", "BYRADIUS", "124.1", "mi", "desc", "withdist") == [
        [b"Palermo", b"118.3357"], [b"Catania", b"35.0711"]]


def test_search_missing_key_and_member(it):
    x = it.execute_command
    assert x("GEOSEARCH", "nokey", "FROMMEMBER", "x", "BYRADIUS", "1", "km") == []
    assert x("GEORADIUS", "nokey", "0", "0", "1", "km") == []
    # a missing key: GEORADIUSBYMEMBER skips the radius, but still checks the options
    assert x("GEORADIUSBYMEMBER", "nokey", "m", "abc", "xyz") == []
    assert err(it, "GEORADIUSBYMEMBER", "nokey", "m", "abc", "xyz", "bogus") == "syntax error"
    assert err(it, "GEOSEARCH", "nokey", "FROMLONLAT", "500", "0", "BYRADIUS", "1", "km") == (
        "invalid longitude,latitude pair 500.000000,0.000000")
    assert err(it, "GEOSEARCH", "it", "FROMMEMBER", "nobody", "BYRADIUS", "1", "km") == (
        "could not decode requested zset member")
    assert err(it, "GEORADIUSBYMEMBER", "it", "nobody", "1", "km") == "could not decode requested zset member"


@pytest.mark.parametrize("args, message", [
    (("GEOSEARCH", "it", "BYRADIUS", "1", "km", "ASC", "WITHDIST"), "exactly one of FROMMEMBER or FROMLONLAT can be specified for GEOSEARCH"),
    (("geosearch", "it", "BYRADIUS", "1", "km", "ASC", "WITHDIST"), "exactly one of FROMMEMBER or FROMLONLAT can be specified for geosearch"),
    (("GEOSEARCH", "it", "FROMMEMBER", "Rome", "WITHDIST", "ASC", "WITHHASH"),
     "exactly one of BYRADIUS and BYBOX can be specified for GEOSEARCH"),
    (("GeoSearchStore", "d", "it", "FROMMEMBER", "Rome", "ASC", "DESC", "ASC"),
     "exactly one of BYRADIUS and BYBOX can be specified for GeoSearchStore"),
    (("GEOSEARCH", "it", "FROMMEMBER", "Rome", "FROMLONLAT", "0", "0", "BYRADIUS", "1", "km"), "syntax error"),
    (("GEOSEARCH", "it", "FROMLONLAT", "0", "0", "FROMMEMBER", "Rome", "BYRADIUS", "1", "km"), "syntax error"),
    (("GEOSEARCH", "it", "FROMMEMBER", "Rome", "BYRADIUS", "1", "km", "BYBOX", "1", "1", "km"), "syntax error"),
    (("GEOSEARCH", "it", "FROMMEMBER", "Rome", "BYRADIUS", "1", "km", "COUNT"), "syntax error"),
    (("GEOSEARCH", "it", "FROMMEMBER", "Rome", "BYRADIUS", "1", "km", "STOREDIST"), "syntax error"),
    (("GEOSEARCH", "it", "FROMMEMBER", "Rome", "BYRADIUS", "1", "km", "STORE", "x"), "syntax error"),
    (("GEOSEARCH", "it", "FROMMEMBER", "Rome", "ASC", "BYRADIUS", "1"), "syntax error"),
    (("GEOSEARCH", "it", "FROMMEMBER", "Rome", "BYBOX", "1", "1"), "syntax error"),
    (("GEOSEARCH", "it", "BYBOX", "1", "1", "km", "FROMMEMBER"), "syntax error"),
    (("GEOSEARCHSTORE", "d", "it", "FROMMEMBER", "Rome", "BYRADIUS", "1", "km", "STORE", "x"), "syntax error"),
    (("GEORADIUS_RO", "it", "0", "0", "1", "km", "STORE", "x"), "syntax error"),
    (("GEORADIUSBYMEMBER_RO", "it", "Rome", "1", "km", "STOREDIST", "x"), "syntax error"),
    (("GEORADIUS", "it", "0", "0", "1", "km", "STORE"), "syntax error"),
    (("GEORADIUS", "it", "0", "0", "1", "km", "FROMMEMBER", "Rome"), "syntax error"),
    (("GEOSEARCH", "it", "FROMMEMBER", "Rome", "BYRADIUS", "1", "km", "COUNT", "0"), "COUNT must be > 0"),
    (("GEOSEARCH", "it", "FROMMEMBER", "Rome", "BYRADIUS", "1", "km", "COUNT", "-2"), "COUNT must be > 0"),
    (("GEOSEARCH", "it", "FROMMEMBER", "Rome", "BYRADIUS", "1", "km", "COUNT", "x"),
     "value is not an integer or out of range"),
    (("GEOSEARCH", "it", "FROMMEMBER", "Rome", "BYRADIUS", "1", "km", "ANY"),
     "the ANY argument requires COUNT argument"),
    (("GEORADIUS", "it", "0", "0", "1", "km", "ANY", "ASC"), "the ANY argument requires COUNT argument"),
    (("GEOSEARCH", "it", "FROMMEMBER", "Rome", "BYRADIUS", "-1", "km"), "radius cannot be negative"),
    (("GEOSEARCH", "it", "FROMMEMBER", "Rome", "BYRADIUS", "abc", "km"), "need numeric radius"),
    (("GEOSEARCH", "it", "FROMMEMBER", "Rome", "BYRADIUS", "nan", "km"), "need numeric radius"),
    (("GEOSEARCH", "it", "FROMMEMBER", "Rome", "BYRADIUS", "1", "parsec"), UNIT),
    (("GEOSEARCH", "it", "FROMMEMBER", "Rome", "BYBOX", "abc", "1", "km"), "need numeric width"),
    (("GEOSEARCH", "it", "FROMMEMBER", "Rome", "BYBOX", "1", "abc", "km"), "need numeric height"),
    (("GEOSEARCH", "it", "FROMMEMBER", "Rome", "BYBOX", "1", "-1", "km"), "height or width cannot be negative"),
    (("GEOSEARCH", "it", "FROMMEMBER", "Rome", "BYBOX", "1", "1", "yd"), UNIT),
    (("GEORADIUS", "it", "0", "0", "-5", "km"), "radius cannot be negative"),
    (("GEORADIUS", "it", "0", "91", "5", "km"), "invalid longitude,latitude pair 0.000000,91.000000"),
    (("GEORADIUS", "it", "x", "0", "5", "km"), "value is not a valid float"),
    (("GEORADIUS", "it", "0", "0", "5", "km", "WITHDIST", "STORE", "d"),
     "STORE option in GEORADIUS is not compatible with WITHDIST, WITHHASH and WITHCOORD options"),
    (("GEORADIUSBYMEMBER", "it", "Rome", "5", "km", "STOREDIST", "d", "WITHHASH"),
     "STORE option in GEORADIUS is not compatible with WITHDIST, WITHHASH and WITHCOORD options"),
    (("GEOSEARCHSTORE", "d", "it", "FROMMEMBER", "Rome", "BYRADIUS", "1", "km", "WITHCOORD"),
     "GEOSEARCHSTORE is not compatible with WITHDIST, WITHHASH and WITHCOORD options"),
    (("GEOSEARCH", "it", "FROMLONLAT", "0", "0", "BYRADIUS", "1", "km", "WITH"), "syntax error"),
    (("GEORADIUS", "it", "0", "0", "1"), "wrong number of arguments for 'georadius' command"),
    (("GEOSEARCH", "it", "FROMMEMBER", "Rome", "BYRADIUS"), "wrong number of arguments for 'geosearch' command"),
])
def test_search_errors(it, args, message):
    assert err(it, *args) == message


def test_store_and_storedist(it, protocol):
    x = it.execute_command
    assert x("GEORADIUS", "it", "15", "37", "200", "km", "STORE", "dst") == 2
    assert x("ZRANGE", "dst", "0", "-1", "WITHSCORES") == (
        [[b"Palermo", 3479099956230698.0], [b"Catania", 3479447370796909.0]] if protocol == 3
        else [b"Palermo", b"3479099956230698", b"Catania", b"3479447370796909"])
    assert x("GEORADIUS", "it", "15", "37", "200", "km", "STOREDIST", "dst") == 2
    assert x("ZRANGE", "dst", "0", "-1") == [b"Catania", b"Palermo"]
    assert x("ZSCORE", "dst", "Catania") == (56.441257870158204 if protocol == 3 else b"56.441257870158204")
    assert x("GEOSEARCHSTORE", "d2", "it", "FROMMEMBER", "Naples", "BYRADIUS", "2000", "km",
             "COUNT", "2", "DESC", "STOREDIST") == 2
    assert x("ZRANGE", "d2", "0", "-1") == [b"Milan", b"Paris"]
    assert x("GEOSEARCHSTORE", "d2", "it", "FROMMEMBER", "Naples", "BYBOX", "1", "1", "km") == 1
    assert x("ZRANGE", "d2", "0", "-1") == [b"Naples"]
    assert x("ZSCORE", "d2", "Naples") == (3480580670016392.0 if protocol == 3 else b"3480580670016392")
    assert x("OBJECT", "ENCODING", "d2") == b"listpack"
    # last STORE/STOREDIST wins
    assert x("GEORADIUSBYMEMBER", "it", "Rome", "300", "km", "STORE", "a", "STOREDIST", "b") == 2
    assert x("EXISTS", "a", "b") == 1
    assert x("GEORADIUSBYMEMBER", "it", "Rome", "300", "km", "STOREDIST", "b", "STORE", "a") == 2
    assert x("ZSCORE", "a", "Rome") == (3480343273965391.0 if protocol == 3 else b"3480343273965391")
    # nothing found (or no source): the destination goes, the reply is 0
    x("SET", "gone", "x")
    x("EXPIRE", "a", "100")
    assert x("GEORADIUS", "it", "0", "0", "1", "km", "STORE", "gone") == 0
    assert x("GEOSEARCHSTORE", "a", "nokey", "FROMMEMBER", "x", "BYRADIUS", "1", "km") == 0
    assert x("EXISTS", "gone", "a") == 0
    assert x("GEORADIUSBYMEMBER", "nokey", "x", "1", "km", "STORE", "a") == 0
    # a stored result replaces the destination (and its TTL), whatever its type
    x("SET", "s", "x", "EX", "100")
    assert x("GEOSEARCHSTORE", "s", "it", "FROMMEMBER", "Rome", "BYRADIUS", "1", "m") == 1
    assert x("ZRANGE", "s", "0", "-1") == [b"Rome"]
    assert x("TTL", "s") == -1


def test_store_encoding_follows_listpack_limits(rr, config_restore):
    x = rr.execute_command
    config_restore("zset-max-listpack-entries", "4")
    x("GEOADD", "g", *CITIES)
    assert x("OBJECT", "ENCODING", "g") == b"skiplist"
    assert x("GEOSEARCHSTORE", "d", "g", "FROMMEMBER", "Rome", "BYRADIUS", "1000", "km", "COUNT", "4") == 4
    assert x("OBJECT", "ENCODING", "d") == b"listpack"
    assert x("GEOSEARCHSTORE", "d", "g", "FROMMEMBER", "Rome", "BYRADIUS", "5000", "km") == 6
    assert x("OBJECT", "ENCODING", "d") == b"skiplist"
    # search results do not depend on the encoding
    assert x("GEOSEARCH", "g", "FROMMEMBER", "Naples", "BYRADIUS", "600", "km") == [
        b"Palermo", b"Catania", b"Rome", b"Naples"]


def test_poles_and_antimeridian(rr):
    x = rr.execute_command
    x("GEOADD", "p", "179.99", "0", "e1", "-179.99", "0", "w1", "179.99", "85", "ne", "-179.99", "85", "nw",
      "0", "85.05112878", "top", "90", "-85.05112878", "bottom", "180", "1", "e180")
    assert x("GEOSEARCH", "p", "FROMLONLAT", "180", "0", "BYRADIUS", "200", "km", "ASC", "WITHDIST") == [
        [b"e1", b"1.1125"], [b"e180", b"111.2262"]]
    assert x("GEOSEARCH", "p", "FROMLONLAT", "-180", "0", "BYRADIUS", "200", "km", "ASC", "WITHDIST") == [
        [b"e1", b"1.1125"], [b"w1", b"1.1125"]]  # e180 sits in no cell next to -180 (its bit 53)
    assert x("GEOSEARCH", "p", "FROMLONLAT", "0", "85.05112878", "BYRADIUS", "2000", "km", "ASC") == [
        b"top", b"ne", b"nw"]
    assert x("GEOSEARCH", "p", "FROMLONLAT", "-180", "-85.05112878", "BYBOX", "40000", "200", "km", "ASC") == [
        b"bottom"]
    assert x("GEODIST", "p", "e1", "w1", "km") == b"2.2250"
    assert x("GEODIST", "p", "top", "bottom", "km") == b"19242.7722"
    assert x("GEORADIUS", "p", "0", "0", "20000", "km", "COUNT", "3", "DESC") == [b"ne", b"nw", b"bottom"]


def test_huge_and_tiny_shapes(it):
    x = it.execute_command
    everything = sorted(SCORES)
    assert sorted(x("GEOSEARCH", "it", "FROMLONLAT", "15", "37", "BYRADIUS", "inf", "km")) == everything
    assert sorted(x("GEOSEARCH", "it", "FROMLONLAT", "15", "37", "BYBOX", "inf", "inf", "km")) == everything
    assert x("GEOSEARCH", "it", "FROMLONLAT", "15", "37", "BYRADIUS", "1e300", "km", "COUNT", "1") == [b"Catania"]
    assert x("GEOSEARCH", "it", "FROMLONLAT", "15", "37", "BYBOX", "inf", "1", "km") == []
    assert x("GEOSEARCH", "it", "FROMMEMBER", "Rome", "BYRADIUS", "5e-324", "m", "WITHDIST") == [[b"Rome", b"0.0000"]]
    assert x("GEOSEARCH", "it", "FROMMEMBER", "Rome", "BYBOX", "0", "0", "m") == [b"Rome"]


def test_ties_cut_by_count(pair):
    # Many members at few spots: with COUNT below the matches Redis's partial
    # quicksort decides which of the equally distant ones come back, and in
    # which order; without COUNT its merge sort keeps the scan order.
    crab, real = pair
    rnd = random.Random(7)
    spots = [(10.1, 40.2), (10.7, 40.9), (10.3, 40.6)]
    args: list[Any] = []
    for i in range(150):
        lon, lat = spots[rnd.randrange(3)]
        args += [lon, lat, "m%03d" % i]
    for c in pair:
        c.execute_command("GEOADD", "g", *args)
    for count in (1, 3, 7, 40, 41, 60, 149, 150, 151):
        for order in ("ASC", "DESC"):
            cmd = ("GEOSEARCH", "g", "FROMLONLAT", "10.5", "40.5", "BYRADIUS", "200", "km",
                   "COUNT", count, order, "WITHDIST")
            assert crab.execute_command(*cmd) == real.execute_command(*cmd), cmd
    for order in ("ASC", "DESC"):
        cmd = ("GEORADIUS", "g", "10.5", "40.5", "200", "km", order)
        assert crab.execute_command(*cmd) == real.execute_command(*cmd)


# --- metadata, events, counters -----------------------------------------------------------------


def test_command_info(rr, protocol):
    table = {
        b"geoadd": (-5, {b"write", b"denyoom"}, {b"@write", b"@geo", b"@slow"}),
        b"geodist": (-4, {b"readonly"}, {b"@read", b"@geo", b"@slow"}),
        b"geohash": (-2, {b"readonly"}, {b"@read", b"@geo", b"@slow"}),
        b"geopos": (-2, {b"readonly"}, {b"@read", b"@geo", b"@slow"}),
        b"georadius": (-6, {b"write", b"denyoom", b"movablekeys"}, {b"@write", b"@geo", b"@slow"}),
        b"georadius_ro": (-6, {b"readonly"}, {b"@read", b"@geo", b"@slow"}),
        b"georadiusbymember": (-5, {b"write", b"denyoom", b"movablekeys"}, {b"@write", b"@geo", b"@slow"}),
        b"georadiusbymember_ro": (-5, {b"readonly"}, {b"@read", b"@geo", b"@slow"}),
        b"geosearch": (-7, {b"readonly"}, {b"@read", b"@geo", b"@slow"}),
        b"geosearchstore": (-8, {b"write", b"denyoom"}, {b"@write", b"@geo", b"@slow"}),
    }
    infos = rr.execute_command("COMMAND", "INFO", *table)
    for info, (name, (arity, flags, cats)) in zip(infos, table.items()):
        assert info[0] == name
        assert info[1] == arity
        assert {bytes(f) if not isinstance(f, str) else f.encode() for f in info[2]} == flags, name
        assert info[3:6] == ([1, 2, 1] if name == b"geosearchstore" else [1, 1, 1])
        assert {bytes(f) if not isinstance(f, str) else f.encode() for f in info[6]} == cats, name
    docs = rr.execute_command("COMMAND", "DOCS", "geosearch", "georadius_ro")
    if protocol == 2:
        docs = {docs[i]: dict(zip(docs[i + 1][::2], docs[i + 1][1::2])) for i in range(0, len(docs), 2)}
    assert docs[b"geosearch"][b"since"] == b"6.2.0" and docs[b"geosearch"][b"group"] == b"geo"
    assert docs[b"georadius_ro"][b"since"] == b"3.2.10"
    assert docs[b"georadius_ro"][b"summary"] == b"A read-only variant for GEORADIUS"


def test_command_getkeys(rr):
    x = rr.execute_command
    assert x("COMMAND", "GETKEYS", "GEORADIUS", "src", "0", "0", "1", "km", "STORE", "dst") == [b"src", b"dst"]
    assert x("COMMAND", "GETKEYS", "GEORADIUS", "src", "0", "0", "1", "km") == [b"src"]
    assert x("COMMAND", "GETKEYS", "GEORADIUS", "src", "0", "0", "1", "km", "STOREDIST", "d2", "STORE", "d1") == [
        b"src", b"d1", b"d2"]
    assert x("COMMAND", "GETKEYS", "GEORADIUS", "src", "0", "0", "1", "km", "store", "a", "store", "b") == [
        b"src", b"a"]
    assert x("COMMAND", "GETKEYS", "GEORADIUSBYMEMBER", "src", "m", "1", "km", "STOREDIST", "d") == [b"src", b"d"]
    assert x("COMMAND", "GETKEYS", "GEOSEARCHSTORE", "dst", "src", "FROMMEMBER", "m", "BYRADIUS", "1", "km") == [
        b"dst", b"src"]


def _events(server: Any, config_restore: Any, commands: list[tuple]) -> list[tuple[bytes, bytes]]:
    config_restore("notify-keyspace-events", "KEA")
    with Wire(server.port) as sub, Wire(server.port) as w:
        w.call("FLUSHALL")
        sub.call("PSUBSCRIBE", "__keyevent@*__:*")
        for cmd in commands:
            w.call(*cmd)
        w.call("PUBLISH", "__keyevent@99__:end", "marker")
        out = []
        while True:
            parts = sub.frame().split(b"\r\n")
            channel, key = parts[6], parts[8]
            if channel == b"__keyevent@99__:end":
                return out
            out.append((channel.split(b":", 1)[1], key))


def test_events(server, config_restore):
    assert _events(server, config_restore, [
        ("GEOADD", "g", "1", "1", "a", "2", "2", "b"),
        ("GEOADD", "g", "1", "1", "a"),  # no change, no event
        ("GEOADD", "g", "XX", "3", "3", "c"),
        ("GEORADIUS", "g", "1", "1", "500", "km", "STORE", "d1"),
        ("GEOSEARCHSTORE", "d2", "g", "FROMMEMBER", "a", "BYBOX", "100", "100", "km", "STOREDIST"),
        ("GEOSEARCHSTORE", "d2", "g", "FROMLONLAT", "50", "50", "BYBOX", "1", "1", "km"),
        ("GEORADIUSBYMEMBER", "nokey", "x", "1", "km", "STORE", "d1"),
        ("GEORADIUSBYMEMBER", "nokey", "x", "1", "km", "STORE", "d1"),
        ("GEOSEARCH", "g", "FROMLONLAT", "1", "1", "BYRADIUS", "1", "km"),
    ]) == [(b"zadd", b"g"), (b"georadiusstore", b"d1"), (b"geosearchstore", b"d2"), (b"del", b"d2"),
           (b"del", b"d1")]


def test_dirty_and_keyspace_stats(rr):
    x = rr.execute_command

    def dirty() -> int:
        info = x("INFO", "persistence")
        text = info.decode() if isinstance(info, bytes) else str(info)
        return int(text.split("rdb_changes_since_last_save:")[1].split()[0])

    d0 = dirty()
    x("GEOADD", "g", *CITIES)
    assert dirty() - d0 == 6
    x("GEOADD", "g", "CH", "13", "38", "Palermo", "13.361389", "38.115556", "New")
    assert dirty() - d0 == 8
    x("GEOSEARCHSTORE", "d", "g", "FROMMEMBER", "Rome", "BYRADIUS", "600", "km")
    assert dirty() - d0 == 14  # one per stored member
    x("GEOSEARCHSTORE", "d", "g", "FROMLONLAT", "0", "0", "BYRADIUS", "1", "km")
    assert dirty() - d0 == 15
    x("GEOSEARCH", "g", "FROMMEMBER", "Rome", "BYRADIUS", "600", "km")
    assert dirty() - d0 == 15
    x("CONFIG", "RESETSTAT")
    x("GEOPOS", "g", "Rome")
    x("GEOPOS", "nokey", "Rome")
    x("GEOSEARCHSTORE", "d", "nokey", "FROMLONLAT", "0", "0", "BYRADIUS", "1", "km")
    stats = x("INFO", "stats")
    text = stats.decode() if isinstance(stats, bytes) else str(stats)
    assert "keyspace_hits:1\r" in text and "keyspace_misses:2\r" in text


# --- differential: random points, random searches -------------------------------------------------

LONS = st.one_of(st.floats(-180, 180), st.sampled_from([-180.0, 180.0, 0.0, 179.9999, -179.9999]))
LATS = st.one_of(st.floats(-85.05112878, 85.05112878), st.sampled_from([85.05112878, -85.05112878, 0.0, 66.5, -80.5]))
NEAR_LON = st.floats(12.0, 14.0)
NEAR_LAT = st.floats(37.0, 39.0)
POINT = st.one_of(st.tuples(LONS, LATS), st.tuples(NEAR_LON, NEAR_LAT))
RADII = st.sampled_from(["0", "1", "50", "1000", "20000", "150000", "800000", "3000000", "20037726", "inf", "0.5"])
UNITS = st.sampled_from(["m", "km", "ft", "mi", "KM"])
OPTIONS = st.lists(st.sampled_from(["ASC", "DESC", "WITHDIST", "WITHHASH", "WITHCOORD", "COUNT 1", "COUNT 3",
                                    "COUNT 10 ANY", "COUNT 2 ANY", "COUNT 50"]), max_size=3)


@st.composite
def geo_session(draw: Any) -> tuple[list[Any], list[tuple]]:
    points = draw(st.lists(POINT, min_size=1, max_size=60))
    names = ["p%d" % (i % 40) for i in range(len(points))]  # some names come back: moved members
    add: list[Any] = []
    for (lon, lat), name in zip(points, names):
        add += [repr(lon), repr(lat), name]
    queries: list[tuple] = []
    for _ in range(draw(st.integers(1, 8))):
        opts = " ".join(draw(OPTIONS)).split()
        kind = draw(st.sampled_from(["radius", "box", "georadius", "bymember", "dist", "pos", "store"]))
        lon, lat = draw(POINT)
        member = draw(st.sampled_from(names + ["nobody"]))
        r, unit = draw(RADII), draw(UNITS)
        frm = ["FROMMEMBER", member] if draw(st.booleans()) else ["FROMLONLAT", repr(lon), repr(lat)]
        if kind == "radius":
            queries.append(("GEOSEARCH", "g", *frm, "BYRADIUS", r, unit, *opts))
        elif kind == "box":
            queries.append(("GEOSEARCH", "g", *frm, "BYBOX", r, draw(RADII), unit, *opts))
        elif kind == "georadius":
            queries.append(("GEORADIUS", "g", repr(lon), repr(lat), r, unit, *opts))
        elif kind == "bymember":
            queries.append(("GEORADIUSBYMEMBER", "g", member, r, unit, *opts))
        elif kind == "dist":
            queries.append(("GEODIST", "g", member, draw(st.sampled_from(names)), unit))
        elif kind == "pos":
            queries.append(("GEOPOS", "g", member, names[0]))
            queries.append(("GEOHASH", "g", member, names[-1]))
        else:
            queries.append(("GEOSEARCHSTORE", "dst", "g", *frm, "BYRADIUS", r, unit, "STOREDIST",
                            *[o for o in opts if not o.startswith("WITH")]))
            queries.append(("ZRANGE", "dst", "0", "-1", "WITHSCORES"))
    return add, queries


def _reply(c: redis.Redis, args: tuple) -> Any:
    try:
        return c.execute_command(*args)
    except redis.ResponseError as e:
        return ("error", str(e))


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(geo_session())
def test_random_points_and_searches_agree(pair, session):
    crab, real = pair
    add, queries = session
    for c in pair:
        c.response_callbacks.clear()
        c.flushall()
    assert _reply(crab, ("GEOADD", "g", *add)) == _reply(real, ("GEOADD", "g", *add))
    assert _reply(crab, ("ZRANGE", "g", "0", "-1", "WITHSCORES")) == _reply(real, ("ZRANGE", "g", "0", "-1",
                                                                                    "WITHSCORES"))
    for q in queries:
        assert _reply(crab, q) == _reply(real, q), q
