"""CRC-64/Jones (Redis's crc64.c vectors) and LZF decompression."""

from __future__ import annotations

import os

import pytest

from crabcache.persistence import lzf
from crabcache.persistence.crc64 import crc64, crc64_py

LOREM = (
    b"Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor incididunt ut "
    b"labore et dolore magna aliqua. Ut enim ad minim veniam, quis nostrud exercitation ullamco laboris "
    b"nisi ut aliquip ex ea commodo consequat. Duis aute irure dolor in reprehenderit in voluptate velit "
    b"esse cillum dolore eu fugiat nulla pariatur. Excepteur sint occaecat cupidatat non proident, sunt "
    b"in culpa qui officia deserunt mollit anim id est laborum.\0"  # crc64Test hashes sizeof(), NUL included
)


@pytest.mark.parametrize("fn", [crc64_py, crc64], ids=["python", "selected"])
def test_redis_vectors(fn):
    assert fn(b"123456789") == 0xE9C6D914C4B8D9CA
    assert fn(LOREM) == 0xC7794709E69683B3
    assert fn(b"") == 0


def test_incremental_and_buffer_kinds():
    data = os.urandom(10007)
    whole = crc64_py(data)
    for cut in (0, 1, 7, 8, 9, 5000, 10007):
        assert crc64_py(data[cut:], crc64_py(data[:cut])) == whole
    assert crc64_py(bytearray(data)) == whole
    assert crc64_py(memoryview(data)) == whole
    assert crc64(data) == whole


@pytest.mark.parametrize("hexpayload", [
    "00c0010a002678e7b6d10111fc",  # DUMP of "1" from Redis 7.0.15
    "00c309404a016161e03d000161610a003baf0d0576af5dc7",  # DUMP of 74 x "a" (LZF)
])
@pytest.mark.parametrize("fn", [crc64_py, crc64], ids=["python", "selected"])
def test_dump_payload_checksums_from_real_redis(fn, hexpayload):
    payload = bytes.fromhex(hexpayload)
    assert fn(payload[:-8]).to_bytes(8, "little") == payload[-8:]


def test_lzf_decompress_redis_string():
    # SET big <74 x "a">; DUMP from Redis 7.0.15 stores it as LZF (0xc3, clen 9, len 74).
    assert lzf.decompress(bytes.fromhex("016161e03d00016161"), 74) == b"a" * 74


def test_lzf_literals_backrefs_and_overlap():
    # literal "abc", then a back reference of length 7 at offset 3 (overlapping copy)
    data = bytes([2]) + b"abc" + bytes([(5 << 5) | 0, 2])
    assert lzf.decompress(data, 10) == b"abcabcabca"
    # long back reference (length byte 7 + extra)
    data = bytes([0]) + b"z" + bytes([(7 << 5), 10, 0])
    assert lzf.decompress(data, 1 + 7 + 10 + 2) == b"z" * 20


@pytest.mark.parametrize("bad", [
    bytes([5]) + b"ab",            # literal run past the end
    bytes([0]) + b"a" + bytes([(1 << 5) | 0, 5]),  # reference before the start
    bytes([0]) + b"a" + bytes([(1 << 5)]),  # truncated reference
])
def test_lzf_errors(bad):
    with pytest.raises(lzf.LZFError):
        lzf.decompress(bad, 10)


def test_lzf_wrong_length():
    with pytest.raises(lzf.LZFError):
        lzf.decompress(bytes([2]) + b"abc", 4)


@pytest.mark.skipif(not lzf.AVAILABLE, reason="no C lzf module")
def test_lzf_compress_round_trip():
    data = b"hello world " * 50
    c = lzf.compress(data)
    assert c is not None and len(c) < len(data)
    assert lzf.decompress(c, len(data)) == data
    assert lzf.compress(os.urandom(30)) is None
