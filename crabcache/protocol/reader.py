"""Request reader: bytes in, argument lists out.  Sans-I/O (no trio here).

Theory of operation
-------------------
Clients send either RESP multibulk requests (``*N\\r\\n$len\\r\\narg\\r\\n...``) or
inline commands (``PING\\r\\n``, as telnet and redis-cli's inline mode do).  Redis
answers every malformed request with one exact ``-ERR Protocol error: ...`` line
and then closes the connection; commands that arrived before the bad one are
still executed.  ``RequestReader.feed(data)`` therefore returns the commands it
could parse and leaves any protocol error in ``reader.error``.

Two paths produce identical results:

* Fast path (hiredis): when the reader is at a request boundary and the new
  data starts with ``*``, the whole read goes to a ``hiredis.Reader``.  If every
  reply is a flat list of bulk strings and the read ends exactly at the end of
  the last request, we are done: C speed, no Python per byte.
* Exact path (Python): anything else -- inline commands, a read that ends in
  the middle of a request, any shape hiredis would accept but Redis rejects --
  is parsed here, with Redis's limits (``proto-max-bulk-len``, 64 KiB count
  and inline lines, the stricter limits for unauthenticated clients) and
  Redis's error texts.  A request that straddles reads stays on this path
  until the buffer is empty again, then the fast path resumes.

hiredis reads RESP3 replies, not Redis requests, so a read goes to the exact
path before hiredis sees it when it holds a RESP3 type byte after a CRLF
(``+ = ( ~ |``: hiredis would turn them into bytes or a list) or a multibulk
count of 7+ digits (hiredis allocates a declared array whole), and after it
when hiredis returns anything but flat lists of bytes or fails in any way.
Where Redis's C-string scanning stops at a NUL (finding a line's end, %s in
error texts) the exact path does the same.  compat_tests/test_protocol_fuzz.py
compares both paths' output with Redis's, byte for byte.
"""

from __future__ import annotations

import re

import hiredis

from .. import errors

INLINE_MAX = 64 * 1024  # PROTO_INLINE_MAX_SIZE
INT_MAX = 2**31 - 1
UNAUTH_MAX_MULTIBULK = 10
UNAUTH_MAX_BULK = 16384

_NEED = object()  # hiredis "not enough data" sentinel
_STRICT_INT = re.compile(rb"-?[1-9][0-9]{0,18}|0")


def _strict_int(b: bytes | bytearray) -> int | None:
    """Redis's string2ll: no sign but '-', no spaces, no leading zeros, 64-bit."""
    if _STRICT_INT.fullmatch(b) is None:
        return None
    v = int(b)
    if -(2**63) <= v < 2**63:
        return v
    return None


def _encoded_size(cmd: list[bytes]) -> int:
    """Bytes a canonically encoded multibulk request for ``cmd`` occupies."""
    n = 3 + len(str(len(cmd)))
    for a in cmd:
        la = len(a)
        n += 5 + len(str(la)) + la
    return n


_ODD_TYPE = re.compile(rb"\r\n[+=(~|]").search
_BIG_COUNT = re.compile(rb"\*\d{7}").search  # 1,000,000 arguments or more declared


class RequestReader:
    """Turns a byte stream into lists of ``bytes`` arguments.

    ``max_bulk`` is ``proto-max-bulk-len``; ``max_buffer`` is
    ``client-query-buffer-limit`` (exceeding it sets ``overflow``: Redis closes
    such a client without a reply).  Set ``unauthenticated`` while the client
    still needs to AUTH so the smaller pre-auth limits apply.
    """

    __slots__ = (
        "_hr", "_buf", "_need", "error", "overflow", "unauthenticated", "max_bulk",
        "max_buffer", "recheck", "_partial",
    )

    def __init__(self, max_bulk: int = 512 * 1024 * 1024, max_buffer: int = 1024**3) -> None:
        self._hr = hiredis.Reader(notEnoughData=_NEED)
        self._buf = bytearray()  # exact-path buffer, always starting at a request boundary
        self._need = 0  # exact path: nothing new to parse until the buffer is this long
        # exact path: (count, args) of a multibulk request whose first
        # arguments came in earlier reads; the buffer holds what follows them.
        self._partial: tuple[int, list[bytes]] | None = None
        self.error: str | None = None
        self.overflow = False
        self.unauthenticated = False
        self.recheck = False
        self.max_bulk = max_bulk
        self.max_buffer = max_buffer

    @property
    def buffered(self) -> int:
        """Bytes held for an incomplete request (CLIENT LIST's qbuf)."""
        return len(self._buf)

    def feed(self, data: bytes) -> list[list[bytes]]:
        """Parse ``data``; return complete commands in order.

        After the call, ``error`` holds a protocol error message (the caller
        replies with it after running the returned commands, then closes), and
        ``recheck`` asks the caller to call ``feed(b"")`` again once the
        returned commands ran, because a pre-auth limit stopped parsing and an
        AUTH among them may lift it.
        """
        if self._buf or self._partial or self.unauthenticated or not data or data[0] != 42:
            return self._feed_exact(data)
        if (43 in data or 61 in data or 40 in data or 126 in data or 124 in data) and _ODD_TYPE(data):
            # hiredis reads RESP3 too: a "+", "=" or "(" element would come back as
            # bytes, a top-level "~" or "|" as a list.  Redis wants "$" elements
            # and reads a line starting with anything but "*" as an inline
            # command.  The byte tests are memchr-fast; the regex runs only when
            # one of those bytes is present (payloads may hold them too: then the
            # exact path just parses this read).
            return self._reparse(data)
        if _BIG_COUNT(data) is not None:
            # hiredis allocates a declared array whole: "*2147483647" would cost
            # a 16 GB list, walked on free (seconds of CPU, RSS to match).  The
            # exact path grows the argument list as the arguments arrive.
            return self._reparse(data)
        hr = self._hr
        hr.feed(data)
        out: list[list[bytes]] = []
        try:
            while True:
                r = hr.gets()
                if r is _NEED:
                    break
                if type(r) is not list:
                    # None is "*-1" (Redis skips it) but also "$-1" or "_" (inline
                    # commands to Redis): rare enough to let the exact path tell.
                    return self._reparse(data)
                for a in r:
                    if type(a) is not bytes:
                        return self._reparse(data)
                out.append(r)
        except Exception:  # noqa: BLE001
            # hiredis refused it (ProtocolError) or choked on RESP3 it reads and
            # Redis never would (a map keyed by an array: TypeError): the exact
            # path decides what Redis makes of this read.
            return self._reparse(data)
        if not hr.has_data():
            # hiredis consumed the whole read, but it may still sit inside an
            # unfinished request (after a lone "*", or between the arguments
            # of an array).  Probe with an empty request: only at a request
            # boundary does it come back as exactly [] -- inside a request it
            # becomes an argument, an error or an incomplete read, and the
            # reader is replaced below anyway.  Cheaper than summing sizes.
            hr.feed(b"*0\r\n")
            try:
                probe = hr.gets()
            except Exception:  # noqa: BLE001  (as above: inside some RESP3 aggregate)
                probe = None
            if type(probe) is list and not probe:
                return [c for c in out if c] if [] in out else out  # "*0" is skipped
        # The read ended inside a request: keep the tail for the exact path.
        consumed = 0
        for c in out:
            consumed += _encoded_size(c)
        self._hr = hiredis.Reader(notEnoughData=_NEED)
        self._buf = bytearray(data[consumed:])
        self._need = 0
        cmds = [c for c in out if c]
        cmds.extend(self._parse())
        return cmds

    def _reparse(self, data: bytes) -> list[list[bytes]]:
        # hiredis saw something it accepts but Redis does not (or rejected it
        # with its own words): start over on the exact path from this read.
        self._hr = hiredis.Reader(notEnoughData=_NEED)
        self._buf = bytearray(data)
        self._need = 0
        self._partial = None
        return self._parse()

    def _feed_exact(self, data: bytes) -> list[list[bytes]]:
        self.recheck = False
        self._buf += data
        if len(self._buf) < self._need:
            if len(self._buf) > self.max_buffer:
                self.overflow = True
            return []
        return self._parse()

    def _parse(self) -> list[list[bytes]]:
        buf = self._buf
        n = len(buf)
        pos = 0
        out: list[list[bytes]] = []
        unauth = self.unauthenticated
        self._need = 0
        while pos < n:
            if self._partial is not None:  # a request begun in an earlier read
                count, args = self._partial
                self._partial = None
                p = pos
            elif buf[pos] == 42:  # '*': multibulk
                cr = _find_cr(buf, pos)
                if cr < 0 or cr + 1 >= n:
                    if n - pos > INLINE_MAX:
                        self.error = errors.PROTO_BIG_MBULK
                    break
                parsed = _strict_int(buf[pos + 1 : cr])
                if parsed is None or parsed > INT_MAX:
                    self.error = errors.PROTO_INVALID_MULTIBULK
                    break
                count = parsed
                if count > UNAUTH_MAX_MULTIBULK and unauth:
                    self.error = errors.PROTO_UNAUTH_MULTIBULK
                    self.recheck = True
                    break
                p = cr + 2
                if count <= 0:
                    pos = p
                    continue
                args = []
            else:
                count = 0
            if count:
                complete = False
                while True:
                    if p >= n:
                        break
                    # As Redis: the header's line must be complete before its
                    # first byte is judged ("*1\r\nPING\n" waits for a "\r").
                    cr = _find_cr(buf, p)
                    if cr < 0 or cr + 1 >= n:
                        if n - p > INLINE_MAX:
                            self.error = errors.PROTO_BIG_BULK
                        break
                    if buf[p] != 36:  # '$'
                        self.error = errors.proto_expected_dollar(buf[p])
                        break
                    size = _strict_int(buf[p + 1 : cr])
                    if size is None or size < 0 or size > self.max_bulk:
                        self.error = errors.PROTO_INVALID_BULK
                        break
                    if size > UNAUTH_MAX_BULK and unauth:
                        self.error = errors.PROTO_UNAUTH_BULK
                        self.recheck = True
                        break
                    start = cr + 2
                    end = start + size
                    if end + 2 > n:
                        self._need = end + 2 - p  # measured from this argument's header
                        break
                    args.append(bytes(buf[start:end]))
                    p = end + 2  # Redis skips the two bytes after a bulk without checking them
                    if len(args) == count:
                        complete = True
                        break
                if not complete:
                    if self.error is None:
                        # Keep the arguments read so far (as Redis keeps c->argv): the
                        # next read resumes here instead of parsing them again, so a
                        # request of many arguments over many reads stays linear.
                        self._partial = (count, args)
                        pos = p
                    break
                out.append(args)
                pos = p
            else:  # inline command
                nl = buf.find(b"\n", pos)
                if nl > 0 and buf.find(b"\0", pos, nl) >= 0:
                    # Redis finds the newline with strchr, which stops at a NUL:
                    # such a line never completes (until it is too big).
                    nl = -1
                if nl < 0:
                    if n - pos > INLINE_MAX:
                        self.error = errors.PROTO_BIG_INLINE
                    break
                end = nl - 1 if nl > pos and buf[nl - 1] == 13 else nl
                argv = split_inline(bytes(buf[pos:end]))
                if argv is None:
                    self.error = errors.PROTO_UNBALANCED
                    break
                if argv:
                    out.append(argv)
                pos = nl + 1
        if self.error is not None and self.recheck:
            # Not final: the commands before may include an AUTH.
            self.error = None if out else self.error
            if self.error is not None:
                self.recheck = False
        del buf[:pos]
        if len(buf) > self.max_buffer:
            self.overflow = True
        return out


def _find_cr(buf: bytearray, start: int) -> int:
    """Redis's strchr(querybuf + pos, '\r'): -1 if a NUL comes first (strchr stops there)."""
    cr = buf.find(b"\r", start)
    if cr >= 0 and buf.find(b"\0", start, cr) >= 0:
        return -1
    return cr


_ESCAPES = {ord("n"): 10, ord("r"): 13, ord("t"): 9, ord("b"): 8, ord("a"): 7}
_HEX = b"0123456789abcdefABCDEF"
_SPACE = b" \n\r\t\v\f"  # isspace(): skipped before an argument, and allowed after a quote
_TOKEN_END = b" \n\r\t"  # ... but only these end an unquoted one ("a\vb" is one argument)


def split_inline(line: bytes) -> list[bytes] | None:
    """Split an inline command as Redis's sdssplitargs does; None if quotes are unbalanced."""
    if b'"' not in line and b"'" not in line and 11 not in line and 12 not in line:
        return line.split()
    out: list[bytes] = []
    i = 0
    n = len(line)
    while True:
        while i < n and line[i] in _SPACE:
            i += 1
        if i >= n:
            return out
        cur = bytearray()
        inq = insq = False
        while True:
            if inq:
                if i >= n:
                    return None
                c = line[i]
                if (
                    c == 92 and i + 3 < n and line[i + 1] == ord("x")
                    and line[i + 2] in _HEX and line[i + 3] in _HEX
                ):
                    cur.append(int(line[i + 2 : i + 4], 16))
                    i += 3
                elif c == 92 and i + 1 < n:
                    i += 1
                    cur.append(_ESCAPES.get(line[i], line[i]))
                elif c == 34:
                    if i + 1 < n and line[i + 1] not in _SPACE:
                        return None
                    i += 1
                    break
                else:
                    cur.append(c)
            elif insq:
                if i >= n:
                    return None
                c = line[i]
                if c == 92 and i + 1 < n and line[i + 1] == 39:
                    i += 1
                    cur.append(39)
                elif c == 39:
                    if i + 1 < n and line[i + 1] not in _SPACE:
                        return None
                    i += 1
                    break
                else:
                    cur.append(c)
            else:
                if i >= n:
                    break
                c = line[i]
                if c in _TOKEN_END:
                    break
                if c == 34:
                    inq = True
                elif c == 39:
                    insq = True
                else:
                    cur.append(c)
            i += 1
        out.append(bytes(cur))
