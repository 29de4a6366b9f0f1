"""Does one busy pipelining client starve the others?

A "hog" connection keeps the server's socket buffer full of pipelined GETs
(sending as fast as it can, reading replies in a background thread), while a
"probe" connection sends one PING at a time and records its round trip.
Reports the probe's p50/p99/max with and without the hog, for CrabCache and
Redis.  Bounded: ``--seconds`` per phase.

Run: ``python -m bench.experiments.fairness [--seconds 3] [--src DIR]``.
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import tempfile
import threading
import time

from ..servers import ServerProc, encode_command


def probe(port: int, seconds: float) -> list[float]:
    s = socket.create_connection(("127.0.0.1", port))
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    out = []
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        t0 = time.perf_counter()
        s.sendall(b"*1\r\n$4\r\nPING\r\n")
        buf = b""
        while not buf.endswith(b"\r\n"):
            buf += s.recv(64)
        out.append((time.perf_counter() - t0) * 1000)
        time.sleep(0.001)
    s.close()
    return out


def hog(port: int, stop: threading.Event) -> int:
    s = socket.create_connection(("127.0.0.1", port))
    batch = encode_command((b"GET", b"somekey")) * 1000
    got = [0]

    def drain() -> None:
        while True:
            try:
                d = s.recv(1 << 20)
            except OSError:
                return
            if not d:
                return
            got[0] += len(d)

    t = threading.Thread(target=drain, daemon=True)
    t.start()
    sent = 0
    while not stop.is_set():
        s.sendall(batch)
        sent += 1000
    s.shutdown(socket.SHUT_WR)
    t.join(10)
    s.close()
    return sent


def pct(xs: list[float], q: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(q * len(xs)))]


def main() -> None:
    p = argparse.ArgumentParser(prog="python -m bench.experiments.fairness")
    p.add_argument("--seconds", type=float, default=3.0)
    p.add_argument("--src", help="CrabCache source tree (default: installed)")
    a = p.parse_args()
    workdir = tempfile.mkdtemp(prefix="crabbench-fair-")
    for kind in ("crabcache", "redis"):
        srv = ServerProc(kind, workdir, src=a.src if kind == "crabcache" else None)
        srv.start()
        try:
            quiet = probe(srv.port, a.seconds)
            stop = threading.Event()
            res: list[int] = []
            th = threading.Thread(target=lambda res=res, port=srv.port, stop=stop: res.append(hog(port, stop)))
            th.start()
            time.sleep(0.3)
            busy = probe(srv.port, a.seconds)
            stop.set()
            th.join(30)
            for name, xs in (("alone", quiet), ("with hog", busy)):
                print("%-9s probe %-8s n=%5d p50 %.3f ms  p99 %.3f ms  max %.3f ms" % (
                    kind, name, len(xs), statistics.median(xs), pct(xs, 0.99), max(xs)))
            print("%-9s hog pipelined %d GETs in %.1f s" % (kind, res[0] if res else 0, a.seconds))
        finally:
            srv.stop()
    os.system("rm -rf %s" % workdir)


if __name__ == "__main__":
    main()
