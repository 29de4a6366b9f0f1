"""A subscriber that stops reading must not slow a publisher down.

Three clients on one server: a publisher timing PUBLISH round trips, a healthy
subscriber that reads everything (in a thread), and a stalled subscriber (a
raw socket with a tiny receive buffer that never reads).  Phases:

* before -- the stalled client is not subscribed yet;
* while  -- it is subscribed and its output piles up in the server until the
  ``client-output-buffer-limit pubsub`` hard limit cuts it off (PUBLISH then
  counts one receiver less);
* after  -- it is gone.

Prints PUBLISH round-trip percentiles per phase.  Run it against servers you
started (real Redis and CrabCache side by side, on the same machine):

    python -m bench.experiments.slow_subscriber --server redis=6379 --server crabcache=7000
"""

from __future__ import annotations

import argparse
import socket
import statistics
import threading
import time


def enc(*args: bytes) -> bytes:
    return b"*%d\r\n" % len(args) + b"".join(b"$%d\r\n%s\r\n" % (len(a), a) for a in args)


class Conn:
    def __init__(self, port: int) -> None:
        self.s = socket.create_connection(("127.0.0.1", port))
        self.s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buf = b""

    def line(self) -> bytes:
        while b"\r\n" not in self.buf:
            self.buf += self.s.recv(65536)
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line

    def call_int(self, *args: bytes) -> int:
        self.s.sendall(enc(*args))
        line = self.line()
        assert line[:1] == b":", line
        return int(line[1:])

    def call(self, *args: bytes) -> bytes:
        self.s.sendall(enc(*args))
        return self.line()


def drain(sock: socket.socket, stop: threading.Event) -> None:
    sock.settimeout(0.2)
    while not stop.is_set():
        try:
            if not sock.recv(1 << 20):
                return
        except TimeoutError:
            continue


def pct(xs: list[float], p: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(len(xs) * p))]


def run(port: int, payload: int, n: int, limit: str) -> dict[str, list[float]]:
    admin = Conn(port)
    admin.call(b"CONFIG", b"SET", b"client-output-buffer-limit", limit.encode())
    healthy = socket.create_connection(("127.0.0.1", port))
    healthy.sendall(enc(b"SUBSCRIBE", b"ch"))
    stop = threading.Event()
    t = threading.Thread(target=drain, args=(healthy, stop), daemon=True)
    t.start()
    pub = Conn(port)
    msg = b"x" * payload
    while pub.call_int(b"PUBLISH", b"ch", b"warmup") != 1:
        time.sleep(0.01)
    phases: dict[str, list[float]] = {"before": [], "while": [], "after": []}
    for _ in range(n):
        t0 = time.perf_counter()
        pub.call_int(b"PUBLISH", b"ch", msg)
        phases["before"].append(time.perf_counter() - t0)
    stalled = socket.socket()
    stalled.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    stalled.connect(("127.0.0.1", port))
    stalled.sendall(enc(b"SUBSCRIBE", b"ch"))
    while pub.call_int(b"PUBLISH", b"ch", b"sync") != 2:
        time.sleep(0.01)
    sent = 0
    while True:
        t0 = time.perf_counter()
        receivers = pub.call_int(b"PUBLISH", b"ch", msg)
        phases["while"].append(time.perf_counter() - t0)
        sent += payload
        if receivers == 1:
            break
        if sent > 1 << 30:
            raise RuntimeError("stalled subscriber never disconnected")
    for _ in range(n):
        t0 = time.perf_counter()
        pub.call_int(b"PUBLISH", b"ch", msg)
        phases["after"].append(time.perf_counter() - t0)
    stop.set()
    t.join()
    stalled.close()
    healthy.close()
    admin.call(b"CONFIG", b"SET", b"client-output-buffer-limit", b"pubsub 32mb 8mb 60")  # the default
    print("  cut off after %.1f MB published to it" % (sent / 1e6))
    return phases


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--server", action="append", required=True, metavar="NAME=PORT")
    ap.add_argument("--payload", type=int, default=4096)
    ap.add_argument("-n", type=int, default=3000, help="PUBLISHes in the before/after phases")
    ap.add_argument("--limit", default="pubsub 32mb 8mb 60")
    args = ap.parse_args()
    for spec in args.server:
        name, port_text = spec.split("=")
        port = int(port_text)
        print("%s (port %d), %d-byte messages, limit %r" % (name, port, args.payload, args.limit))
        phases = run(port, args.payload, args.n, args.limit)
        for name, xs in phases.items():
            us = [x * 1e6 for x in xs]
            print("  %-6s n=%6d  p50=%7.1f us  p99=%7.1f us  max=%8.1f us  mean=%7.1f us"
                  % (name, len(us), pct(us, 0.5), pct(us, 0.99), max(us), statistics.mean(us)))


if __name__ == "__main__":
    main()
