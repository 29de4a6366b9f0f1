"""The RDB codec: round trips of every type, the encodings chosen, files
written by real Redis 7.0.15, DUMP payloads, and corrupted input."""

from __future__ import annotations

import io
import math
import struct

import pytest

from crabcache.config import Config
from crabcache.datatypes.containers import Hash, List, Set
from crabcache.datatypes.zset import ZSet
from crabcache.persistence import rdb
from crabcache.persistence.crc64 import crc64
from crabcache.server.state import ManualClock, Server

NOW = 1_800_000_000_000

# SAVE from Redis 7.0.15 (default config): str, int, lzf (LZF string), list
# (quicklist 2, LZF-compressed listpack node), hash (listpack), intset, set,
# zset (listpack), bighash (HASH, LZF values), bigzset (ZSET_2), ttl (expire
# at 4102444800000), and db2 in database 2.
REDIS_FILE = bytes.fromhex(
    "524544495330303130fa0972656469732d76657206372e302e3135fa0a72656469732d62697473c040fa056374696d65c2b38e"
    "076bfa08757365642d6d656dc2700b1400fa08616f662d62617365c000fe00fb0b0112046c6973740102c31c40450f450000"
    "0005008161020101dffe029978e00f00001ae0111a011aff0003696e74c1d4fe0b06696e74736574140400000003000000fd"
    "ffffff0100000070110100fc00d8c32cbb030000000374746c017400036c7a66c30b405a0361626361e04b02016263100468"
    "61736812120000000400816602817602816e026401ff05076269677a73657402c3094046017a7ae03900017a7a0000000000"
    "000a400177000000000000f03f020373657402026d31026d3204076269676861736803026632c3094046017979e039000179"
    "79026631c3094046017979e03900017979026630c3094046017979e0390001797900037374720568656c6c6f11047a736574"
    "15150000000400816202dffe0281610283312e3504fffe02fb010000036462320374776fffae6d86bee8d6d51d"
)


def new_server() -> Server:
    s = Server(Config())
    s.set_clock(ManualClock(NOW))
    return s


def zset(pairs: dict[bytes, float]) -> ZSet:
    z = ZSet()
    for m, sc in pairs.items():
        z.add(m, sc)
    return z


def round_trip_file(src: Server, **kw) -> tuple[Server, bytes]:
    f = io.BytesIO()
    rdb.save(f, src.dbs, NOW, **kw)
    data = f.getvalue()
    dst = new_server()
    rdb.load(data, dst.dbs, NOW)
    return dst, data


def snapshot_of(s: Server) -> dict:
    out = {}
    for db in s.dbs:
        for k in db.keys():
            v = db.lookup(k)
            if isinstance(v, ZSet):
                v = ("zset", v.items())
            elif isinstance(v, (bytes, bytearray)):
                v = bytes(v)
            else:
                v = (type(v).__name__, v)
            out[(db.index, k)] = (v, db.get_ttl(k))
    return out


VALUES = {
    b"s": b"hello",
    b"empty": b"",
    b"i8": b"-7",
    b"i16": b"300",
    b"i32": b"-2147483648",
    b"i64": b"9223372036854775807",
    b"lead0": b"007",
    b"neg0": b"-0",
    b"ba": bytearray(b"mutable"),
    b"long": b"x" * 70000,
    b"binary": bytes(range(256)),
    b"list": List([b"a", b"1", b"-2", b"127", b"128", b"-4096", b"4095", b"4096", b"32767", b"-32768",
                   b"8388607", b"-8388608", b"2147483647", b"-2147483649", b"9223372036854775807",
                   b"-9223372036854775808", b"9223372036854775808", b"007", b"", b"y" * 63, b"y" * 64,
                   b"y" * 4095, b"y" * 4096, b"y" * 20000]),
    b"biglist": List(b"item%d" % i for i in range(5000)),
    b"hash": Hash({b"f": b"v", b"n": b"100"}),
    b"bighash": Hash({b"f%d" % i: b"v%d" % i for i in range(1000)}),
    b"longhash": Hash({b"f": b"v" * 65}),
    b"intset": Set([b"1", b"-3", b"70000"]),
    b"intset64": Set([b"1", b"9223372036854775807"]),
    b"strset": Set([b"a", b"b", b"1"]),
    b"zset": zset({b"a": 1.5, b"b": -2.0, b"c": math.inf, b"d": -math.inf, b"e": 0.1, b"f": 1e300, b"g": -0.0}),
    b"bigzset": zset({b"m%d" % i: i / 7 for i in range(300)}),
}


def populated() -> Server:
    s = new_server()
    for k, v in VALUES.items():
        s.dbs[0].set(k, v)
    s.dbs[0].set_expire(b"s", NOW + 5000)
    s.dbs[0].set_expire(b"hash", NOW + 1)
    s.dbs[5].set(b"other", b"db5")
    return s


def test_round_trip_every_type():
    src = populated()
    dst, _ = round_trip_file(src)
    assert snapshot_of(dst) == snapshot_of(src)
    assert dst.dbs[0].get_ttl(b"s") == NOW + 5000
    assert type(dst.dbs[0].lookup(b"ba")) is bytes


def test_round_trip_uncompressed_no_checksum():
    src = populated()
    dst, data = round_trip_file(src, compress=False, checksum=False)
    assert data[-8:] == b"\0" * 8
    assert snapshot_of(dst) == snapshot_of(src)


def test_expired_keys_are_not_written_and_not_loaded():
    src = populated()
    src.dbs[0].set(b"gone", b"x")
    src.dbs[0].set_expire(b"gone", NOW)
    f = io.BytesIO()
    n = rdb.save(f, src.dbs, NOW)
    assert n == len(VALUES) + 1  # + db5; "gone" left out
    dst = new_server()
    res = rdb.load(f.getvalue(), dst.dbs, NOW + 2)  # 2 ms later "hash" (TTL NOW + 1) has expired too
    assert res.keys_loaded == len(VALUES) and res.keys_expired == 1
    assert dst.dbs[0].lookup(b"hash") is None


def test_file_layout_header_aux_and_db_markers():
    src = new_server()
    src.dbs[0].set(b"k", b"1")
    src.dbs[3].set(b"a", b"b")
    src.dbs[3].set_expire(b"a", NOW + 10)
    f = io.BytesIO()
    rdb.save(f, src.dbs, NOW, used_mem=123)
    data = f.getvalue()
    assert data.startswith(b"REDIS0010\xfa\x09redis-ver\x067.0.15\xfa\x0aredis-bits\xc0\x40")
    res = rdb.load(data, new_server().dbs, NOW)
    assert res.aux[b"ctime"] == b"%d" % (NOW // 1000) and res.aux[b"used-mem"] == b"123"
    assert res.aux[b"aof-base"] == b"0"
    # db 0: SELECTDB 0, RESIZEDB 1 0, string "k" -> int 1
    assert b"\xfe\x00\xfb\x01\x00\x00\x01k\xc0\x01" in data
    # db 3 with its expire
    assert b"\xfe\x03\xfb\x01\x01\xfc" + struct.pack("<Q", NOW + 10) + b"\x00\x01a\x01b" in data
    assert data[-9] == 0xFF and data[-8:] == struct.pack("<Q", crc64(data[:-8]))


@pytest.mark.parametrize("value,rtype", [
    (b"abc", rdb.T_STRING),
    (List([b"a"]), rdb.T_LIST_QUICKLIST_2),
    (Hash({b"a": b"b"}), rdb.T_HASH_LISTPACK),
    (Hash({b"a": b"b" * 65}), rdb.T_HASH),
    (Hash({b"f%d" % i: b"" for i in range(513)}), rdb.T_HASH),
    (Set([b"1", b"2"]), rdb.T_SET_INTSET),
    (Set([b"1", b"a"]), rdb.T_SET),
    (Set([b"%d" % i for i in range(513)]), rdb.T_SET),
    (zset({b"a": 1.0}), rdb.T_ZSET_LISTPACK),
    (zset({b"a" * 65: 1.0}), rdb.T_ZSET_2),
    (zset({b"m%d" % i: i for i in range(129)}), rdb.T_ZSET_2),
])
def test_encodings_follow_redis_thresholds(value, rtype):
    assert rdb.encode_value(value)[0] == rtype


def test_sticky_values_keep_their_big_encoding():
    h = Hash({b"a": b"b"})
    h.encoding_sticky = True
    s = Set([b"1"])
    s.encoding_sticky = True
    z = zset({b"a": 1})
    z.encoding_sticky = True
    assert [rdb.encode_value(v)[0] for v in (h, s, z)] == [rdb.T_HASH, rdb.T_SET, rdb.T_ZSET_2]


def test_limits_come_from_config():
    cfg = Config()
    cfg.values["hash-max-listpack-entries"] = 1
    cfg.values["list-max-listpack-size"] = 2
    lim = rdb.Limits(cfg)
    assert rdb.encode_value(Hash({b"a": b"1", b"b": b"2"}), limits=lim)[0] == rdb.T_HASH
    # 5 elements, 2 per node -> 3 nodes
    rtype, body = rdb.encode_value(List([b"a", b"b", b"c", b"d", b"e"]), limits=lim)
    assert body[0] == 3


def test_loaded_encoding_stickiness():
    big = Hash({b"f%d" % i: b"v" for i in range(600)})
    payload = rdb.dump_value(big)
    h = rdb.load_value(payload)[1]
    assert h == big and h.encoding_sticky
    small = rdb.load_value(rdb.dump_value(Set([b"1", b"2"])))[1]
    assert small == {b"1", b"2"} and not small.encoding_sticky
    z = rdb.load_value(rdb.dump_value(zset({b"a" * 100: 1})))[1]
    assert z.encoding_sticky


def test_string_encodings():
    assert rdb.enc_string(b"1") == b"\xc0\x01"
    assert rdb.enc_string(b"-129") == b"\xc1\x7f\xff"
    assert rdb.enc_string(b"2147483647") == b"\xc2\xff\xff\xff\x7f"
    assert rdb.enc_string(b"2147483648") == b"\x0a2147483648"
    assert rdb.enc_string(b"01") == b"\x0201"
    assert rdb.enc_string(b"x" * 64) == b"\x40\x40" + b"x" * 64
    assert rdb.enc_string(b"x" * 16384)[:5] == b"\x80\x00\x00\x40\x00"
    assert rdb.enc_len(2**32) == b"\x81" + (2**32).to_bytes(8, "big")


def test_listpack_entries_decode_back():
    items = [b"0", b"127", b"128", b"-1", b"-4096", b"4095", b"4096", b"-4097", b"32767", b"-32768",
             b"32768", b"8388607", b"-8388608", b"8388608", b"2147483647", b"-2147483648",
             b"2147483648", b"9223372036854775807", b"-9223372036854775808", b"18446744073709551616",
             b"-0", b"+1", b" 1", b"1.5", b"", b"z" * 63, b"z" * 64, b"z" * 127, b"z" * 4095, b"z" * 4096,
             b"z" * 20000, b"z" * 3000000]
    lp = rdb.listpack([rdb.lp_entry(x) for x in items])
    assert rdb.listpack_items(lp) == items
    # integers take the integer encodings (lpAppend's string-to-int)
    assert rdb.lp_entry(b"5") == b"\x05\x01"
    assert rdb.lp_entry(b"-1") == b"\xdf\xff\x02"
    assert rdb.lp_entry(b"1000") == b"\xc3\xe8\x02"
    assert rdb.lp_entry(b"ab") == b"\x82ab\x03"


def ziplist(items: list[bytes | int]) -> bytes:
    """A tiny ziplist encoder for the tests (Redis < 7.0 wrote these)."""
    body = b""
    prev = 0
    for x in items:
        e = (bytes([prev]) if prev < 254 else b"\xfe" + struct.pack("<I", prev))
        if isinstance(x, int):
            if 0 <= x <= 12:
                e += bytes([0xF1 + x])
            elif -128 <= x <= 127:
                e += b"\xfe" + struct.pack("<b", x)
            elif -32768 <= x <= 32767:
                e += b"\xc0" + struct.pack("<h", x)
            elif -(2**23) <= x < 2**23:
                e += b"\xf0" + x.to_bytes(3, "little", signed=True)
            elif -(2**31) <= x < 2**31:
                e += b"\xd0" + struct.pack("<i", x)
            else:
                e += b"\xe0" + struct.pack("<q", x)
        elif len(x) < 64:
            e += bytes([len(x)]) + x
        elif len(x) < 16384:
            e += bytes([0x40 | (len(x) >> 8), len(x) & 0xFF]) + x
        else:
            e += b"\x80" + struct.pack(">I", len(x)) + x
        body += e
        prev = len(e)
    total = 10 + len(body) + 1
    return struct.pack("<IIH", total, 10 + len(body) - prev if items else 10, len(items)) + body + b"\xff"


def test_old_encodings_ziplist_quicklist_zipmap():
    items = [b"a", 0, 12, 13, -100, 1000, 100000, 2**40, b"q" * 300, b"w" * 20000]
    want = [b"a", b"0", b"12", b"13", b"-100", b"1000", b"100000", b"%d" % 2**40, b"q" * 300, b"w" * 20000]
    assert rdb.ziplist_items(ziplist(items)) == want

    def read(rtype: int, body: bytes):
        return rdb.read_value(rdb.Reader(body), rtype)

    zl = ziplist([b"a", b"b", 7])
    assert list(read(rdb.T_LIST_ZIPLIST, rdb.enc_string(zl))) == [b"a", b"b", b"7"]
    assert list(read(rdb.T_LIST_QUICKLIST, b"\x02" + rdb.enc_string(zl) * 2)) == [b"a", b"b", b"7"] * 2
    assert read(rdb.T_HASH_ZIPLIST, rdb.enc_string(ziplist([b"f", 1, b"g", b"v"]))) == {b"f": b"1", b"g": b"v"}
    z = read(rdb.T_ZSET_ZIPLIST, rdb.enc_string(ziplist([b"m", b"1.5", b"n", 3])))
    assert z.items() == [(1.5, b"m"), (3.0, b"n")]
    zipmap = b"\x02\x01f\x01\x00v\x02gg\x03\x02xyz..\xff"  # f->v, gg->xyz (2 free bytes skipped)
    assert read(rdb.T_HASH_ZIPMAP, rdb.enc_string(zipmap)) == {b"f": b"v", b"gg": b"xyz"}
    # ZSET (type 3) with text scores, and EXPIRETIME in seconds
    body = b"\x03\x01a\x031.5\x01b\xfe\x01c\xff"
    z = read(rdb.T_ZSET, body)
    assert z.items() == [(-math.inf, b"c"), (1.5, b"a"), (math.inf, b"b")]
    # plain LIST (type 1) and intsets of every width
    assert list(read(rdb.T_LIST, b"\x02\x01a\xc0\x05")) == [b"a", b"5"]
    for fmt, width in (("h", 2), ("i", 4), ("q", 8)):
        blob = struct.pack("<II", width, 2) + struct.pack("<2" + fmt, -1, 2)
        assert read(rdb.T_SET_INTSET, rdb.enc_string(blob)) == {b"-1", b"2"}


def test_expiretime_seconds_and_idle_freq_opcodes():
    body = (b"REDIS0009\xfe\x00\xfd" + struct.pack("<I", 2_000_000_000) + b"\x00\x01a\x01b"
            + b"\xf8\x05\x00\x01c\x01d" + b"\xf9\x07\x00\x01e\x01f\xff")
    data = body + struct.pack("<Q", crc64(body))
    s = new_server()
    res = rdb.load(data, s.dbs, NOW)
    assert res.keys_loaded == 3
    assert s.dbs[0].get_ttl(b"a") == 2_000_000_000_000


def test_loads_a_file_written_by_redis():
    s = new_server()
    res = rdb.load(REDIS_FILE, s.dbs, NOW)
    assert res.aux[b"redis-ver"] == b"7.0.15" and res.keys_loaded == 12
    db = s.dbs[0]
    assert db.lookup(b"str") == b"hello"
    assert db.lookup(b"int") == b"-300"
    assert db.lookup(b"lzf") == b"abc" * 30
    assert list(db.lookup(b"list")) == [b"a", b"1", b"-2", b"x" * 25, b"x" * 25]
    assert db.lookup(b"hash") == {b"f": b"v", b"n": b"100"}
    assert db.lookup(b"intset") == {b"1", b"70000", b"-3"}
    assert db.lookup(b"set") == {b"m1", b"m2"}
    assert db.lookup(b"zset").items() == [(-2.0, b"b"), (1.5, b"a")]
    assert db.lookup(b"bighash") == {b"f%d" % i: b"y" * 70 for i in range(3)}
    assert db.lookup(b"bigzset").items() == [(1.0, b"w"), (3.25, b"z" * 70)]
    assert db.lookup(b"ttl") == b"t" and db.get_ttl(b"ttl") == 4102444800000
    assert s.dbs[2].lookup(b"db2") == b"two"


def test_dump_payload_format_and_checks():
    p = rdb.dump_value(b"1")
    assert p == bytes.fromhex("00c0010a002678e7b6d10111fc")  # byte for byte what Redis 7.0.15 DUMPs
    assert rdb.load_value(p) == (rdb.T_STRING, b"1")
    assert rdb.load_value(p[:-1] + bytes([p[-1] ^ 1])) is None  # checksum
    newer = p[:-10] + b"\x0b\x00"
    assert rdb.load_value(newer + struct.pack("<Q", crc64(newer))) is None  # RDB 11 > 10
    older = p[:-10] + b"\x09\x00"
    assert rdb.load_value(older + struct.pack("<Q", crc64(older))) == (rdb.T_STRING, b"1")
    assert rdb.load_value(b"short") is None

    def signed(body: bytes) -> bytes:
        b = body + b"\x0a\x00"
        return b + struct.pack("<Q", crc64(b))

    for bad in (b"\x00\x32ab", b"\x63abc", b"\x12\x01\x05\x05abcde", b"\x0f\x00", b"\x08"):
        with pytest.raises(rdb.RDBError):
            rdb.load_value(signed(bad))


def write(src: Server) -> bytes:
    f = io.BytesIO()
    rdb.save(f, src.dbs, NOW)
    return f.getvalue()


@pytest.mark.parametrize("mangle,message", [
    (lambda d: b"RODIS" + d[5:], "Wrong signature"),
    (lambda d: b"REDIS0012" + d[9:], "Can't handle RDB format version 12"),
    (lambda d: b"REDIS00x0" + d[9:], "Wrong signature"),
    (lambda d: d[:len(d) // 2], "Short read"),
    (lambda d: d[:-3], "Short read"),
    (lambda d: d[:-8] + bytes([d[-8] ^ 0xFF]) + d[-7:], "Wrong RDB checksum"),
    (lambda d: d.replace(b"\x01\x02kk", b"\x07\x02kk"), "module data"),
    (lambda d: d.replace(b"\x01\x02kk", b"\x0f\x02kk"), "Stream values are not supported"),
    (lambda d: d.replace(b"\x01\x02kk", b"\x1e\x02kk"), "Unknown RDB encoding type 30"),
    (lambda d: d.replace(b"\x01\x02kk\x01", b"\x01\x02kk\x05"), "Unknown RDB string encoding|Short read"),
    (lambda d: d.replace(b"\xfe\x00", b"\xfe\x40\x20"), "more than 16 databases"),
    (lambda d: d.replace(b"\xfe\x00", b"\xf7\x00"), "AUX module data"),
])
def test_corrupted_files(mangle, message):
    # db 0 with one plain LIST (type 1) "kk" -> ["v"]: easy to edit in place.
    body = b"REDIS0010\xfa\x01a\x01b\xfe\x00\xfb\x01\x00\x01\x02kk\x01\x01v\xff"
    data = body + struct.pack("<Q", crc64(body))
    s = new_server()
    assert rdb.load(data, s.dbs, NOW).keys_loaded == 1 and list(s.dbs[0].lookup(b"kk")) == [b"v"]
    with pytest.raises(rdb.RDBError, match=message):
        rdb.load(mangle(data), new_server().dbs, NOW)


def test_zero_checksum_is_not_checked_and_crc_check_can_be_off():
    src = new_server()
    src.dbs[0].set(b"k", b"v")
    data = write(src)
    rdb.load(data[:-8] + b"\0" * 8, new_server().dbs, NOW)
    rdb.load(data[:-8] + b"\1" * 8, new_server().dbs, NOW, check_crc=False)


def test_duplicate_key_is_an_error():
    body = b"REDIS0010\xfe\x00\x00\x01a\x01b\x00\x01a\x01c\xff"
    data = body + struct.pack("<Q", crc64(body))
    with pytest.raises(rdb.RDBError, match="duplicated key 'a'"):
        rdb.load(data, new_server().dbs, NOW)


def test_bad_listpack_and_duplicates_in_values():
    lp = bytearray(rdb.listpack([rdb.lp_entry(b"a"), rdb.lp_entry(b"b")]))
    lp[0] += 1  # total bytes wrong
    with pytest.raises(rdb.RDBError, match="Listpack"):
        rdb.read_value(rdb.Reader(rdb.enc_string(bytes(lp))), rdb.T_HASH_LISTPACK)
    with pytest.raises(rdb.RDBError, match="Duplicate set"):
        rdb.read_value(rdb.Reader(b"\x02\x01a\x01a"), rdb.T_SET)
    with pytest.raises(rdb.RDBError, match="NAN"):
        rdb.read_value(rdb.Reader(b"\x01\x01a" + struct.pack("<d", math.nan)), rdb.T_ZSET_2)


def test_stream_hook():
    class Thing:
        type_name = b"stream"

        def __init__(self, data: bytes) -> None:
            self.data = data

    rdb.VALUE_CODECS[Thing] = lambda v, compress, limits: (rdb.T_STREAM_LISTPACKS_2, rdb.enc_string(v.data))
    rdb.LOADERS[rdb.T_STREAM_LISTPACKS_2] = lambda r, limits: Thing(r.string())
    try:
        rtype, v = rdb.load_value(rdb.dump_value(Thing(b"payload")))
        assert rtype == rdb.T_STREAM_LISTPACKS_2 and v.data == b"payload"
    finally:
        del rdb.VALUE_CODECS[Thing]
        del rdb.LOADERS[rdb.T_STREAM_LISTPACKS_2]
