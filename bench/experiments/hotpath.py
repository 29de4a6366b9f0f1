"""Per-command CPU cost of the hot path without sockets (reader -> execute -> encode).

Runs what ``Connection._read_loop`` runs for one read: ``reader.feed``, then
``dispatch.run_batch`` (dispatch and encode each command), join.  Best of several repeats, in
ns per command, so a shared machine disturbs it less than a socket benchmark.
Use it to compare hot-path changes quickly; confirm with ``python -m bench``.

Run: ``python -m bench.experiments.hotpath [--repeat 5] [--count 100000]``.
"""

from __future__ import annotations

import argparse
import time

from crabcache import commands  # noqa: F401  (registers every command)
from crabcache.protocol.reader import RequestReader
from crabcache.dispatch import run_batch
from crabcache.server.session import Session
from crabcache.server.state import Server


def enc(*args: bytes) -> bytes:
    return b"*%d\r\n" % len(args) + b"".join(b"$%d\r\n%s\r\n" % (len(a), a) for a in args)


def one_read(reader: RequestReader, session: Session, data: bytes) -> bytes:
    # The synchronous part of one Connection._read_loop turn.
    out: list[bytes] = []
    session.refresh()
    run_batch(session, reader.feed(data), 0, out)
    return b"".join(out) if len(out) > 1 else out[0]


CASES = {
    "PING": [enc(b"PING")],
    "GET": [enc(b"GET", b"key:__rand_int__")],
    "SET": [enc(b"SET", b"key:__rand_int__", b"xxx")],
    "INCR": [enc(b"INCR", b"counter:__rand_int__")],
    "LPUSH": [enc(b"LPUSH", b"mylist", b"xxx")],
    "LRANGE_100": [enc(b"LRANGE", b"mylist", b"0", b"99")],
    "LRANGE_600": [enc(b"LRANGE", b"mylist", b"0", b"599")],
    "HSET": [enc(b"HSET", b"myhash", b"element:__rand_int__", b"xxx")],
    "SADD": [enc(b"SADD", b"myset", b"element:__rand_int__")],
    "ZADD": [enc(b"ZADD", b"myzset", b"0", b"element:__rand_int__")],
    "MSET": [enc(b"MSET", *[b"key:__rand_int__", b"xxx"] * 10)],
    "GET x16": [enc(b"GET", b"key:__rand_int__") * 16],
    "SET x16": [enc(b"SET", b"key:__rand_int__", b"xxx") * 16],
}


def measure(name: str, payloads: list[bytes], count: int, repeat: int) -> float:
    server = Server()
    session = Session(server)
    reader = RequestReader()
    ncmd = sum(len(RequestReader().feed(p)) for p in payloads)
    one_read(reader, session, enc(b"SET", b"key:__rand_int__", b"xxx"))
    one_read(reader, session, enc(b"RPUSH", b"mylist", *[b"xxx"] * 600))
    iters = max(1, count // ncmd)
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter_ns()
        for _ in range(iters):
            for p in payloads:
                one_read(reader, session, p)
        best = min(best, (time.perf_counter_ns() - t0) / (iters * ncmd))
    return best


def main() -> None:
    p = argparse.ArgumentParser(prog="python -m bench.experiments.hotpath")
    p.add_argument("--repeat", type=int, default=5)
    p.add_argument("--count", type=int, default=100000)
    p.add_argument("--only", help="comma list of case names")
    a = p.parse_args()
    for name, payloads in CASES.items():
        if a.only and name not in a.only.split(","):
            continue
        print("%-8s %7.0f ns/command" % (name, measure(name, payloads, a.count, a.repeat)))


if __name__ == "__main__":
    main()
