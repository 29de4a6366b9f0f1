"""HyperLogLog structure (crabcache.datatypes.hll) without a server.

Reference values (register positions, digests of whole values, counts) were
taken from Redis 7.0.15 running the same additions.
"""

from __future__ import annotations

import hashlib
import random

import pytest

from crabcache.datatypes import hll


def added(elements, max_bytes=3000, ba=None):
    ba = hll.new() if ba is None else ba
    hll.add(ba, elements, max_bytes)
    return ba


def raw_of(values: dict[int, int]) -> bytes:
    out = bytearray(hll.REGISTERS)
    for i, v in values.items():
        out[i] = v
    return bytes(out)


# --- hashing --------------------------------------------------------------------------

@pytest.mark.parametrize("element, index, count", [
    (b"a", 12711, 2), (b"b", 15780, 1), (b"c", 8436, 1), (b"", 5938, 2),
    (b"hello world!", 8716, 3), (b"x" * 100, 15288, 1),
    # found by brute force: runs of zeros past the sparse VAL range (> 32)
    (b"big6209776902", 2711, 33), (b"big7985688365", 6596, 34),
])
def test_pat_len_matches_redis(element, index, count):
    assert hll.pat_len(element) == (index, count)


def test_murmurhash_blocks_and_tails():
    # Every tail length 0..7 and several blocks; the register/count split of
    # these was checked against Redis through PFDEBUG DECODE.
    assert hll.murmurhash64a(b"") == hll.murmurhash64a(b"", hll.SEED)
    seen = {hll.murmurhash64a(b"k" * n) for n in range(40)}
    assert len(seen) == 40 and all(0 <= h < 2**64 for h in seen)
    long = bytes(range(256)) * 4  # more blocks than the precompiled structs
    assert hll.murmurhash64a(long) != hll.murmurhash64a(long[:-1])


# --- layout ---------------------------------------------------------------------------

def test_new_is_redis_empty_sparse():
    assert bytes(hll.new()) == b"HYLL\x01" + bytes(11) + b"\x7f\xff"
    assert hll.cached(hll.new()) == 0
    assert hll.decode(hll.new()) == b"Z:16384"


def test_is_hll_checks():
    assert hll.is_hll(hll.new())
    assert not hll.is_hll(b"HYLL\x01" + bytes(10))  # shorter than the header
    assert not hll.is_hll(b"HYLX\x01" + bytes(11))
    assert not hll.is_hll(b"HYLL\x02" + bytes(11))
    assert not hll.is_hll(b"HYLL\x00" + bytes(11) + bytes(100))  # dense of the wrong size
    assert hll.is_hll(b"HYLL\x00" + bytes(11) + bytes(hll.DENSE_BYTES))
    assert hll.is_hll(b"HYLL\x01" + bytes(11))  # an empty sparse body passes the check


def test_decode_and_exact_bytes_of_three_elements():
    ba = added([b"a", b"b", b"c"])
    assert hll.decode(ba) == b"Z:8436 v:1,1 Z:4274 v:2,1 Z:3068 v:1,1 Z:603"
    assert bytes(ba) == (b"HYLL\x01\x00\x00\x00" + bytes(7) + b"\x80"
                         + b"`\xf3\x80P\xb1\x84K\xfb\x80BZ")


def test_same_bytes_as_redis_sparse_and_dense():
    s = added([b"%d" % i for i in range(1000)])
    assert s[4] == hll.SPARSE and len(s) == 1923
    assert hashlib.sha256(s).hexdigest() == "69f56acb25eb29c671c402490a3f48ced31626444549899df85500aa1545d08f"
    assert hll.count(s) == 1001
    d = added([b"%d" % i for i in range(5000)])
    assert d[4] == hll.DENSE and len(d) == hll.DENSE_SIZE
    assert hashlib.sha256(d).hexdigest() == "8082b2e9e81ef22fd929870153cde504a08eade7545b5c16c036daf87e195890"
    assert hll.count(d) == 4985


# --- registers --------------------------------------------------------------------------

def test_dense_set_get_and_packing_roundtrip():
    rng = random.Random(7)
    values = bytes(rng.randrange(64) for _ in range(hll.REGISTERS))
    ba = bytearray(b"HYLL\x00" + bytes(11) + bytes(hll.DENSE_BYTES))
    for i, v in enumerate(values):
        hll.dense_set(ba, i, v)
    assert hll.dense_registers(ba) == values
    assert bytes(ba[hll.HDR:]) == hll.pack_dense(values)
    assert all(hll.dense_get(ba, i) == values[i] for i in range(0, hll.REGISTERS, 97))
    assert hll.dense_get(ba, hll.REGISTERS - 1) == values[-1]
    # only raises, never lowers; neighbours untouched
    i = 4097
    assert hll.dense_set(ba, i, 0) == 0
    before = hll.dense_registers(ba)
    assert hll.dense_set(ba, i, 63) == (1 if values[i] < 63 else 0)
    after = hll.dense_registers(ba)
    assert after[i] == 63 and after[:i] == before[:i] and after[i + 1:] == before[i + 1:]


def test_max_registers_and_greater_lanes():
    rng = random.Random(3)
    a = bytes(rng.randrange(64) for _ in range(hll.REGISTERS))
    b = bytes(rng.randrange(64) for _ in range(hll.REGISTERS))
    assert hll.max_registers(a, b) == bytes(map(max, a, b))
    assert hll.greater_lanes(a, b) == [i for i in range(hll.REGISTERS) if a[i] > b[i]]


def test_histogram_matches_counting():
    rng = random.Random(5)
    for top in (1, 4, 20, 64):
        raw = bytes(min(63, int(rng.expovariate(1.0) * top)) for _ in range(hll.REGISTERS))
        h = hll.histogram(raw)
        assert h == [raw.count(v) for v in range(64)]


def test_sparse_to_dense_keeps_registers_and_header():
    s = added([b"e%d" % i for i in range(300)])
    hll.set_cached(s, 299)
    regs = hll.registers(s)
    hdr = bytes(s[:16])
    assert hll.to_dense(s) is True
    assert s[4] == hll.DENSE and bytes(s[5:16]) == hdr[5:16]
    assert hll.registers(s) == regs and hll.cached(s) == 299
    assert hll.to_dense(s) is False


# --- sparse <-> dense transitions ----------------------------------------------------------

def test_promotion_when_sparse_outgrows_max_bytes():
    ba = hll.new()
    i = 0
    while ba[4] == hll.SPARSE:
        before = len(ba)
        assert before <= 100
        hll.add(ba, [b"p%d" % i], 100)
        i += 1
    assert len(ba) == hll.DENSE_SIZE and before + 3 > 100 - 3
    regs = hll.registers(ba)
    assert sum(1 for r in regs if r) <= i


def test_promotion_when_a_register_passes_32():
    ba = added([b"a", b"big6209776902"])
    assert ba[4] == hll.DENSE
    assert hll.dense_get(ba, 2711) == 33 and hll.dense_get(ba, 12711) == 2


def test_values_up_to_32_stay_sparse_and_runs_merge():
    ba = hll.new()
    for i in range(4):
        assert hll.sparse_set(ba, 100 + i, 5, 3000) == 1
    assert hll.decode(ba) == b"Z:100 v:5,4 Z:16280"
    assert hll.sparse_set(ba, 101, 5, 3000) == 0  # already there
    assert hll.sparse_set(ba, 101, 32, 3000) == 1
    assert hll.decode(ba) == b"Z:100 v:5,1 v:32,1 v:5,2 Z:16280"
    assert ba[15] & 0x80


def test_estimates_match_redis_and_its_error_bound():
    relerr = 1.04 / 128
    expect = {10: 10, 100: 100, 1000: 999, 10000: 10019, 100000: 98893}
    ba = hll.new()
    done = 0
    for n, redis_count in expect.items():
        hll.add(ba, [b"el:%d" % j for j in range(done, n)], 3000)
        done = n
        got = hll.count(ba)
        assert got == redis_count
        assert abs(got - n) <= max(1, relerr * 6 * n)


def test_sparse_and_dense_counts_agree():
    for n in (1, 50, 500, 1500):
        s = added([b"x%d" % i for i in range(n)], 10**6)
        assert s[4] == hll.SPARSE
        d = bytearray(s)
        hll.to_dense(d)
        assert hll.count(s) == hll.count(d) == hll.count_registers(hll.registers(s))


def test_empty_counts_zero():
    assert hll.count(hll.new()) == 0
    assert hll.count_registers(bytes(hll.REGISTERS)) == 0


# --- merging ------------------------------------------------------------------------------

def test_merge_into_sparse_and_dense():
    a = added([b"a%d" % i for i in range(200)])
    b = added([b"b%d" % i for i in range(200)])
    want = hll.max_registers(hll.registers(a), hll.registers(b))
    dest = bytearray(a)
    hll.merge_into(dest, want, False, 3000)
    assert dest[4] == hll.SPARSE and hll.registers(dest) == want and dest[15] & 0x80
    # the same registers raised one at a time through sparse_set give the same bytes
    step = bytearray(a)
    for j in range(hll.REGISTERS):
        if want[j]:
            hll.sparse_set(step, j, want[j], 3000)
    assert bytes(step) == bytes(dest)
    dense = bytearray(a)
    hll.merge_into(dense, want, True, 3000)
    assert dense[4] == hll.DENSE and hll.registers(dense) == want
    small = bytearray(a)
    hll.merge_into(small, want, False, 200)  # promotes on the way
    assert small[4] == hll.DENSE and hll.registers(small) == want


# --- corrupted values ------------------------------------------------------------------------

def test_corrupted_sparse_bodies():
    short = bytearray(b"HYLL\x01" + bytes(11) + b"\x7f\xfe")  # covers 16383 registers
    with pytest.raises(hll.Corrupted):
        hll.count(short)
    with pytest.raises(hll.Corrupted):
        hll.registers(short)
    with pytest.raises(hll.Corrupted):
        hll.to_dense(short)
    assert bytes(short) == b"HYLL\x01" + bytes(11) + b"\x7f\xfe"
    # an index past the covered registers can't be set; one before can
    assert hll.sparse_set(bytearray(short), 16383, 1, 3000) == -1
    assert hll.sparse_set(bytearray(short), 0, 1, 3000) == 1
    # anything after exactly 16384 registers makes the body unreadable
    for extra in (b"\x80", b"\x00", b"\x40\x00"):
        for read in (hll.registers, hll.count, hll.to_dense):
            with pytest.raises(hll.Corrupted):
                read(hll.new() + extra)
    # ... but registers before it can still be set in place (Redis's walk stops there)
    trailing = hll.new() + b"\x80"
    assert hll.sparse_set(trailing, 8436, 1, 3000) == 1
    assert hll.decode(trailing) == b"Z:8436 v:1,1 Z:7947 v:1,1"
    # many XZEROs covering far too much are refused without expanding them
    with pytest.raises(hll.Corrupted):
        hll.registers(b"HYLL\x01" + bytes(11) + b"\x7f\xff" * 1500)
    # a truncated XZERO reads the NUL after the string as its second byte
    trunc = bytearray(b"HYLL\x01" + bytes(11) + b"\x7f")
    assert hll.decode(trunc) == b"Z:16129"
    with pytest.raises(hll.Corrupted):
        hll.count(trunc)
    with pytest.raises(hll.Corrupted):
        hll.add(bytearray(b"HYLL\x01" + bytes(11)), [b"a"], 3000)  # no opcodes at all


def test_add_on_corrupted_keeps_earlier_changes():
    ba = bytearray(b"HYLL\x01" + bytes(11) + b"\x67\x0f")  # registers 0..9999 only
    with pytest.raises(hll.Corrupted):
        hll.add(ba, [b"c", b"a"], 3000)  # c -> 8436 is fine, a -> 12711 is past the end
    assert bytes(ba) == b"HYLL\x01" + bytes(10) + b"\x80`\xf3\x80F\x1a"  # as Redis leaves it


# --- the chunk index against Redis's walk ------------------------------------------------------

@pytest.mark.parametrize("chunk", [2, 5, 16])
def test_index_and_walk_leave_the_same_bytes(monkeypatch, chunk):
    rng = random.Random(chunk)
    for _ in range(6):
        max_bytes = rng.choice([400, 1500, 3000])
        walk, indexed = hll.new(), hll.new()
        elements = [b"r%d" % rng.randrange(10**6) for _ in range(rng.randint(300, 2000))]
        for i in range(0, len(elements), 5):
            batch = elements[i:i + 5]
            monkeypatch.setattr(hll, "_INDEX_MIN", 10**9)
            n1 = hll.add(walk, batch, max_bytes)
            monkeypatch.setattr(hll, "_INDEX_MIN", 0)
            monkeypatch.setattr(hll, "_CHUNK", chunk)
            n2 = hll.add(indexed, batch, max_bytes)
            assert n1 == n2 and walk == indexed
            if walk[4] == hll.DENSE:
                break


def test_index_notices_outside_changes():
    ba = added([b"o%d" % i for i in range(600)])
    other = added([b"q%d" % i for i in range(700)])
    assert min(len(ba), len(other)) > hll._INDEX_MIN
    hll.add(ba, [b"warm"], 3000)  # ba's index is built and cached
    ba[hll.HDR:] = other[hll.HDR:]  # another writer (SETRANGE ...) rewrote the body
    hll.add(ba, [b"z%d" % i for i in range(50)], 3000)
    hll.add(other, [b"z%d" % i for i in range(50)], 3000)
    assert ba[hll.HDR:] == other[hll.HDR:]


def test_merge_walk_resumes_where_redis_would_find_the_same_opcodes():
    # PFMERGE's register-by-register sparse writes, against sparse_set for each
    # register from scratch, over destinations and sources with runs that merge.
    rng = random.Random(11)
    for _ in range(40):
        dest = added([b"d%d" % rng.randrange(400) for _ in range(rng.randrange(0, 300))], 10**6)
        src = bytearray(hll.REGISTERS)
        lo = rng.randrange(hll.REGISTERS - 200)
        for i in range(lo, lo + rng.randrange(1, 200)):  # dense neighbourhoods make VAL runs merge
            if rng.random() < 0.7:
                src[i] = rng.choice((1, 1, 2, 3, 32))
        for i in rng.sample(range(hll.REGISTERS), rng.randrange(0, 300)):
            src[i] = max(src[i], rng.randrange(1, 33))
        want = hll.max_registers(hll.registers(dest), bytes(src))
        max_bytes = rng.choice((300, 3000, 10**6))
        step = bytearray(dest)
        for j in range(hll.REGISTERS):
            if want[j]:
                if step[4] == hll.DENSE:
                    hll.dense_set(step, j, want[j])
                else:
                    hll.sparse_set(step, j, want[j], max_bytes)
        step[15] |= 0x80
        merged = bytearray(dest)
        hll.merge_into(merged, want, False, max_bytes)
        assert merged == step


def test_merge_walk_when_a_merge_grew_the_opcode_before():
    # Z:9 v:5,1 v:5,1 v:2,1 v:5,1 Z:16371 (not canonical, but Redis reads it).
    # Raising register 11 to 5 merges registers 10..12 into one VAL at the
    # opcode before the change; raising 12 then splits that VAL, and the merge
    # that follows must start from the opcode before it (register 9).
    def val(v, n):
        return 0x80 | (v - 1) << 2 | (n - 1)
    rest = hll.REGISTERS - 13 - 1
    body = bytes((0x40, 8, val(5, 1), val(5, 1), val(2, 1), val(5, 1), 0x40 | rest >> 8, rest & 0xFF))
    dest = bytearray(b"HYLL\x01" + bytes(11) + body)
    want = bytearray(hll.registers(dest))
    want[11], want[12] = 5, 6
    hll.merge_into(dest, bytes(want), False, 3000)
    assert hll.decode(dest) == b"Z:9 v:5,3 v:6,1 Z:16371"


def fresh_count(v) -> int:
    return hll.estimate(hll.histogram(hll.registers(bytes(v))))


@pytest.mark.parametrize("start, max_bytes", [(20000, 3000), (900, 10**6)], ids=["dense", "big-sparse"])
def test_remembered_histograms_follow_every_change(start, max_bytes):
    ba = added([b"h%d" % i for i in range(start)], max_bytes)
    assert len(ba) > hll._INDEX_MIN
    hll.add(ba, [b"warm"], max_bytes)  # the sparse index exists from here on
    assert hll.count(ba) == fresh_count(ba)  # histogram computed and remembered
    rng = random.Random(start)
    for step in range(60):
        hll.add(ba, [b"n%d" % rng.randrange(10**6) for _ in range(rng.randrange(0, 4))], max_bytes)
        hll.set_cached(ba, step)  # the header is not part of what is remembered
        if step % 20 == 19:  # another writer changes registers behind our back
            if ba[4] == hll.DENSE:
                ba[hll.HDR + 10] ^= 0x01
            else:
                ba[hll.HDR:] = added([b"other%d" % step, *(b"h%d" % i for i in range(start))], max_bytes)[hll.HDR:]
        assert hll.count(ba) == fresh_count(ba)
    assert ba[4] == (hll.DENSE if start == 20000 else hll.SPARSE)
