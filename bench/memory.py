"""Memory: RSS after loading N keys (or N members of one hash, set, sorted set).

Each case starts a fresh server (RSS never shrinks much after FLUSHALL, in
Python or in jemalloc), measures RSS, loads with pipelined writes over one
connection, measures again.  Keys and members are 16 bytes, values 32 bytes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Iterator

import hiredis

from .servers import Client, ServerProc, encode_command

CASES = ["string", "hash", "set", "zset"]
BATCH = 1000  # elements per round trip


def key(i: int) -> bytes:
    return b"key:%012d" % i  # 16 bytes


def member(i: int) -> bytes:
    return b"mem:%012d" % i  # 16 bytes


def value(i: int) -> bytes:
    return b"val:%028d" % i  # 32 bytes


def _batches(case: str, n: int) -> Iterator[tuple[bytes, int]]:
    """(encoded payload, number of replies) per round trip."""
    for start in range(0, n, BATCH):
        stop = min(n, start + BATCH)
        if case == "string":
            yield b"".join(encode_command((b"SET", key(i), value(i))) for i in range(start, stop)), stop - start
        elif case == "hash":
            args: list[bytes] = [b"HSET", b"bighash"]
            for i in range(start, stop):
                args += [member(i), value(i)]
            yield encode_command(args), 1
        elif case == "set":
            yield encode_command([b"SADD", b"bigset"] + [member(i) for i in range(start, stop)]), 1
        elif case == "zset":
            args = [b"ZADD", b"bigzset"]
            for i in range(start, stop):
                args += [b"%d" % i, member(i)]
            yield encode_command(args), 1
        else:
            raise ValueError(case)


@dataclass
class MemResult:
    server: str
    case: str
    n: int
    rss_before: int
    rss_after: int
    error: str | None = None

    @property
    def bytes_per_item(self) -> float:
        return (self.rss_after - self.rss_before) / self.n if self.n else 0.0


def load(port: int, case: str, n: int) -> str | None:
    """Load the case; return an error text if the server refused a command."""
    with Client(port, timeout=120) as c:
        for payload, nrep in _batches(case, n):
            for r in c.send_encoded(payload, nrep):
                if isinstance(r, hiredis.ReplyError):
                    return str(r)
    return None


def measure(kind: str, case: str, n: int, workdir: str) -> MemResult:
    srv = ServerProc(kind, workdir)
    try:
        srv.start()
        before = srv.rss()
        err = load(srv.port, case, n)
        after = srv.rss()
        return MemResult(kind, case, n, before, after, err)
    except Exception as e:  # a crashed or stuck server is a result, not a harness failure
        return MemResult(kind, case, n, 0, 0, "%s: %s" % (type(e).__name__, e))
    finally:
        srv.stop()


def run_all(n: int, workdir: str, cases: list[str], progress: Callable[[str], None]) -> list[MemResult]:
    out: list[MemResult] = []
    for case in cases:
        for kind in ("crabcache", "redis"):
            progress("memory %s x %d on %s" % (case, n, kind))
            out.append(measure(kind, case, n, workdir))
    return out
