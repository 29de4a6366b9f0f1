"""Differential fuzzing of the request parser: random byte streams, Redis as the oracle.

Each example glues together fragments of what a client might send -- good
requests, RESP headers with odd counts and lengths, reply types that are not
request syntax, inline lines with quotes, stray CRLFs, random bytes -- sends
the lot on a fresh connection to each server, half-closes it (so both see the
end of input and close when done) and compares every byte that comes back.
A protocol error must get the same reply, after the same earlier replies,
and the same close.  The commands used are deterministic (PING, ECHO,
SET/GET of one key after FLUSHALL, unknown names) so any difference is the
parser's.
"""

from __future__ import annotations

import socket
import time

from hypothesis import HealthCheck, given, settings, strategies as st

from wire import encode

GOOD = [
    encode("PING"), encode("PING", "hi"), encode("ECHO", ""), encode("ECHO", "a\r\nb"),
    encode("SET", "pf", "v1"), encode("GET", "pf"), encode("GET", "nokey"), encode("get", "pf"),
    encode("NOSUCH", "x"), encode("SET", "pf"), encode("ECHO", "x" * 40),
]
HEADERS = [b"*%s\r\n" % n for n in (b"-1", b"0", b"1", b"2", b"3", b"-5", b"x", b"", b"1x", b"2147483648",
                                    b"2147483647", b"9999999", b"1048577", b"+1", b" 1", b"01")]
BULKS = [b"$%s\r\n" % n for n in (b"-1", b"0", b"3", b"4", b"x", b"", b"-2", b"+3", b"03", b"536870913",
                                  b"99999999999999999999")]
PAYLOADS = [b"abc\r\n", b"PING\r\n", b"\r\n", b"ab", b"abcd\r\n", b"ECHO\r\n"]
TYPES = [b"+PING\r\n", b":1\r\n", b"-ERR x\r\n", b"~1\r\n", b"=7\r\ntxt:abc\r\n", b"(12\r\n", b"#t\r\n",
         b"_\r\n", b">1\r\n", b"%1\r\n", b",1.5\r\n", b"|1\r\n", b"!3\r\nerr\r\n"]
INLINE = [b"PING\r\n", b"PING\n", b"ECHO hi\r\n", b'ECHO "a b"\r\n', b"ECHO 'it''s'\r\n", b'ECHO "x\r\n',
          b"ECHO 'x\r\n", b'ECHO "\\x41\\n"\r\n', b"\r\n", b"\n", b"   \r\n", b"SET pf inl\n", b"GET pf\r\n",
          b'ECHO "a"b\r\n', b"ECHO \t x\r\n", b"\x00\r\n"]

FRAGMENT = st.one_of(
    st.sampled_from(GOOD), st.sampled_from(HEADERS), st.sampled_from(BULKS), st.sampled_from(PAYLOADS),
    st.sampled_from(TYPES), st.sampled_from(INLINE), st.binary(min_size=1, max_size=6),
)


def exchange(port: int, data: bytes, cuts: tuple[int, ...] = ()) -> tuple[bytes, bool]:
    """Send ``data`` (in pieces at ``cuts``, a moment apart, so the server reads
    them separately), half-close, read to the end; (everything received, closed cleanly)."""
    with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
        last = 0
        try:
            for cut in sorted(cuts):
                s.sendall(data[last:cut])
                last = cut
                time.sleep(0.002)
            s.sendall(data[last:])
            s.shutdown(socket.SHUT_WR)
        except OSError:
            pass  # the server closed after a protocol error before we were done
        out = b""
        while True:
            try:
                chunk = s.recv(65536)
            except ConnectionResetError:
                return out, False
            if not chunk:
                return out, True
            out += chunk


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                   HealthCheck.too_slow])
@given(st.lists(FRAGMENT, min_size=1, max_size=10))
def test_same_bytes_back(pair, endpoints, fragments):
    crab, real = pair
    data = b"".join(fragments)
    crab.execute_command("FLUSHALL")
    real.execute_command("FLUSHALL")
    got = exchange(endpoints["crabcache"].port, data)
    want = exchange(endpoints["redis"].port, data)
    assert got == want, data


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                   HealthCheck.too_slow])
@given(st.lists(FRAGMENT, min_size=1, max_size=10), st.lists(st.integers(1, 200), max_size=3))
def test_same_bytes_back_when_split(pair, endpoints, fragments, cuts):
    # The same, arriving over several reads: requests cut anywhere resume alike.
    crab, real = pair
    data = b"".join(fragments)
    cuts = tuple(c for c in cuts if c < len(data))
    crab.execute_command("FLUSHALL")
    real.execute_command("FLUSHALL")
    got = exchange(endpoints["crabcache"].port, data, cuts)
    want = exchange(endpoints["redis"].port, data, cuts)
    # Bytes only: whether the close is seen as FIN or reset depends on whether a
    # later piece was still on its way when the server hung up.
    assert got[0] == want[0], (data, cuts)
