"""LZF, the compression Redis uses for RDB strings (``lzf_c.c`` / ``lzf_d.c``).

Format (a stream of chunks, no header):

* control byte ``c < 32``: a literal run of ``c + 1`` bytes follows;
* otherwise a back reference: length ``c >> 5`` (7 means "add the next byte"),
  plus 2; offset ``((c & 31) << 8 | next byte) + 1`` back from the output end.
  The copy may overlap its own output (a repeated pattern).

Rules of this module:

* ``decompress`` is pure Python and always available: loading a file written
  by real Redis needs it (Redis compresses every string longer than 20 bytes
  by default).  Malformed input raises ``LZFError``, never produces short data.
* ``compress`` returns None when compression would not save at least 4 bytes,
  which is when Redis stores the string as is.  It uses the C ``lzf`` module
  (package ``python-lzf``) when that is installed; otherwise ``AVAILABLE`` is
  False and writers store strings uncompressed (valid RDB, just larger): a
  pure-Python compressor would make SAVE of large values far too slow.
"""

from __future__ import annotations

from typing import Callable


class LZFError(ValueError):
    pass


def decompress(data: bytes | memoryview, out_len: int) -> bytes:
    """Expand LZF ``data`` that must produce exactly ``out_len`` bytes."""
    src = bytes(data)
    n = len(src)
    out = bytearray()
    i = 0
    try:
        while i < n:
            c = src[i]
            i += 1
            if c < 32:
                c += 1
                if i + c > n:
                    raise LZFError("literal run past the end of input")
                out += src[i:i + c]
                i += c
                continue
            ln = c >> 5
            if ln == 7:
                ln += src[i]
                i += 1
            ref = len(out) - ((c & 0x1F) << 8) - src[i] - 1
            i += 1
            ln += 2
            if ref < 0:
                raise LZFError("back reference before the start of output")
            end = ref + ln
            if end <= len(out):
                out += out[ref:end]
            else:
                # Overlapping copy: the bytes from ref to the end repeat.
                pattern = bytes(out[ref:])
                reps = -(-ln // len(pattern))
                out += (pattern * reps)[:ln]
    except IndexError:
        raise LZFError("truncated input") from None
    if len(out) != out_len:
        raise LZFError("expanded to %d bytes, expected %d" % (len(out), out_len))
    return bytes(out)


def _c_compress() -> Callable[[bytes], bytes | None] | None:
    try:
        import lzf  # type: ignore[import-not-found]
    except ImportError:
        return None

    def compress(data: bytes) -> bytes | None:
        n = len(data)
        if n <= 4:
            return None
        return lzf.compress(bytes(data), n - 4)

    return compress


_compress = _c_compress()
AVAILABLE = _compress is not None


def compress(data: bytes) -> bytes | None:
    """LZF-compress ``data``; None if unavailable or if it would not save 4+ bytes."""
    if _compress is None:
        return None
    return _compress(data)
