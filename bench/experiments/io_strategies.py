"""What does trio's SocketStream cost against lower-level socket calls?

A toy GET/SET/PING server (hiredis parsing, a dict, pre-encoded replies) with
interchangeable connection loops, each run as its own process and measured
with redis-benchmark in alternation (A B C ... A B C ...), next to real Redis:

* ``lowlevel``  ``await wait_readable(sock)``; ``sock.recv``; ``sock.send``
                (CrabCache's design: one trio yield per read, the fairness point)
* ``stream``    ``trio.SocketStream``: ``await receive_some()``; ``await send_all()``
* ``trio_sock`` ``trio.socket``: ``await sock.recv()``; ``await sock.send()``
* ``eager``     try ``recv`` first; ``wait_readable`` only on EAGAIN; after a
                read that produced data, ``cancel_shielded_checkpoint()`` so a
                busy client still yields once per read (fairness kept)
* ``eager1``    as eager, but the checkpoint only when the recv after a batch
                finds data (one yield per read instead of two).  Slower: the
                checkpoint is what gives the client time to send its next
                request, so without it the recv fails and the task goes
                through epoll (measured 0.94 vs 0.58 us/request at -P 16)
* ``poller``    one shared level-triggered epoll watched by one task that wakes
                parked connections (no per-read EPOLL_CTL_MOD): 0.70 vs 0.62
* ``flush``     replies of a round sent back to back by one flusher task (as
                Redis's beforeSleep), connections wait_readable after each
                batch: cheaper sends when the client sleeps, but every read
                goes through epoll; not better on this machine (0.81 vs 0.70)

``TOY_WORK=N`` in the environment adds N empty loop iterations per command,
to see how a strategy behaves when the server, not the client, is the
bottleneck (as for CrabCache at -P 16).

Run: ``python -m bench.experiments.io_strategies [--rounds 3] [-n 100000]``.
The handlers are the same in every variant; only the I/O loop differs.
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import time

import hiredis
import trio

OK = b"+OK\r\n"
NULL = b"$-1\r\n"
PONG = b"+PONG\r\n"
_NEED = object()


WORK = int(os.environ.get("TOY_WORK", "0"))  # extra loop iterations per command (a slower server)


def handle(store: dict, data: bytes, reader: "hiredis.Reader") -> bytes:
    reader.feed(data)
    out = []
    while True:
        cmd = reader.gets()
        if cmd is _NEED:
            break
        for _ in range(WORK):
            pass
        name = cmd[0].upper()
        if name == b"GET":
            v = store.get(cmd[1])
            out.append(NULL if v is None else b"$%d\r\n%s\r\n" % (len(v), v))
        elif name == b"SET":
            store[cmd[1]] = cmd[2]
            out.append(OK)
        elif name == b"PING":
            out.append(PONG)
        else:  # CONFIG GET from redis-benchmark, and anything else
            out.append(b"*0\r\n")
    return b"".join(out)


STORE: dict = {}


async def conn_lowlevel(sock: socket.socket) -> None:
    reader = hiredis.Reader(notEnoughData=_NEED)
    wait_readable = trio.lowlevel.wait_readable
    while True:
        await wait_readable(sock)
        try:
            data = sock.recv(65536)
        except BlockingIOError:
            continue
        if not data:
            return
        reply = handle(STORE, data, reader)
        if reply:
            await _send_all_lowlevel(sock, reply)


async def _send_all_lowlevel(sock: socket.socket, data: bytes) -> None:
    while data:
        try:
            n = sock.send(data)
        except BlockingIOError:
            await trio.lowlevel.wait_writable(sock)
            continue
        data = data[n:]


async def conn_eager(sock: socket.socket) -> None:
    reader = hiredis.Reader(notEnoughData=_NEED)
    wait_readable = trio.lowlevel.wait_readable
    checkpoint = trio.lowlevel.cancel_shielded_checkpoint
    while True:
        try:
            data = sock.recv(65536)
        except BlockingIOError:
            await wait_readable(sock)
            continue
        if not data:
            return
        reply = handle(STORE, data, reader)
        if reply:
            await _send_all_lowlevel(sock, reply)
        await checkpoint()


async def conn_eager1(sock: socket.socket) -> None:
    # As eager, but one yield per read instead of two: the checkpoint is only
    # taken when the recv after a batch finds data (else wait_readable yields).
    reader = hiredis.Reader(notEnoughData=_NEED)
    wait_readable = trio.lowlevel.wait_readable
    checkpoint = trio.lowlevel.cancel_shielded_checkpoint
    yielded = True
    while True:
        try:
            data = sock.recv(65536)
        except BlockingIOError:
            await wait_readable(sock)
            yielded = True
            continue
        if not data:
            return
        if not yielded:
            await checkpoint()
        yielded = False
        reply = handle(STORE, data, reader)
        if reply:
            await _send_all_lowlevel(sock, reply)


class Flusher:
    """Replies of one scheduler round sent back to back by one task (as Redis's
    beforeSleep -> handleClientsWithPendingWrites), instead of each
    connection sending right after its batch."""

    def __init__(self) -> None:
        self.pending: list[tuple[socket.socket, bytes]] = []
        self.task = None

    def add(self, sock: socket.socket, data: bytes) -> None:
        self.pending.append((sock, data))
        if self.task is not None:
            t, self.task = self.task, None
            trio.lowlevel.reschedule(t)

    async def run(self) -> None:
        while True:
            if not self.pending:
                self.task = trio.lowlevel.current_task()
                await trio.lowlevel.wait_task_rescheduled(lambda _: trio.lowlevel.Abort.SUCCEEDED)
            batch, self.pending = self.pending, []
            for sock, data in batch:
                try:
                    n = sock.send(data)
                except BlockingIOError:
                    n = 0
                if n < len(data):
                    await _send_all_lowlevel(sock, data[n:])  # toy: rare
            await trio.lowlevel.cancel_shielded_checkpoint()


FLUSHER: Flusher | None = None


async def conn_flush(sock: socket.socket) -> None:
    reader = hiredis.Reader(notEnoughData=_NEED)
    wait_readable = trio.lowlevel.wait_readable
    while True:
        try:
            data = sock.recv(65536)
        except BlockingIOError:
            await wait_readable(sock)
            continue
        if not data:
            return
        reply = handle(STORE, data, reader)
        if reply:
            FLUSHER.add(sock, reply)
        await wait_readable(sock)


async def conn_stream(sock: socket.socket) -> None:
    stream = trio.SocketStream(trio.socket.from_stdlib_socket(sock))
    reader = hiredis.Reader(notEnoughData=_NEED)
    while True:
        data = await stream.receive_some(65536)
        if not data:
            return
        reply = handle(STORE, data, reader)
        if reply:
            await stream.send_all(reply)


async def conn_trio_sock(sock: socket.socket) -> None:
    tsock = trio.socket.from_stdlib_socket(sock)
    reader = hiredis.Reader(notEnoughData=_NEED)
    while True:
        data = await tsock.recv(65536)
        if not data:
            return
        reply = handle(STORE, data, reader)
        while reply:
            n = await tsock.send(reply)
            reply = reply[n:]


class Poller:
    """One epoll for every client socket, watched by one trio task.

    A connection registers its fd once (level-triggered); when it has nothing
    to read it parks on ``wait``; the poller task wakes every parked task
    whose fd is readable.  Per request this saves trio's EPOLL_CTL_MOD
    (EPOLLONESHOT re-arm) and the failed eager recv.
    """

    def __init__(self) -> None:
        import select
        self.ep = select.epoll()
        self.parked: dict[int, object] = {}

    def register(self, fd: int) -> None:
        import select
        self.ep.register(fd, select.EPOLLIN | select.EPOLLRDHUP)

    def unregister(self, fd: int) -> None:
        self.parked.pop(fd, None)
        try:
            self.ep.unregister(fd)
        except OSError:
            pass

    async def wait(self, fd: int) -> None:
        self.parked[fd] = trio.lowlevel.current_task()

        def abort(_: object) -> object:
            self.parked.pop(fd, None)
            return trio.lowlevel.Abort.SUCCEEDED

        await trio.lowlevel.wait_task_rescheduled(abort)

    async def run(self) -> None:
        ep = self.ep
        parked = self.parked
        reschedule = trio.lowlevel.reschedule
        while True:
            await trio.lowlevel.wait_readable(ep.fileno())
            for fd, _ in ep.poll(0, 1024):
                t = parked.pop(fd, None)
                if t is not None:
                    reschedule(t)


POLLER: Poller | None = None


async def conn_poller(sock: socket.socket) -> None:
    reader = hiredis.Reader(notEnoughData=_NEED)
    fd = sock.fileno()
    POLLER.register(fd)
    try:
        while True:
            await POLLER.wait(fd)
            try:
                data = sock.recv(65536)
            except BlockingIOError:
                continue
            if not data:
                return
            reply = handle(STORE, data, reader)
            if reply:
                await _send_all_lowlevel(sock, reply)
    finally:
        POLLER.unregister(fd)


def _cpu(pid: int) -> float:
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


VARIANTS = {"lowlevel": conn_lowlevel, "stream": conn_stream, "trio_sock": conn_trio_sock, "eager": conn_eager, "eager1": conn_eager1, "flush": conn_flush, "poller": conn_poller}


async def serve(variant: str, port: int) -> None:
    handler = VARIANTS[variant]
    lsock = socket.socket()
    lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    lsock.bind(("127.0.0.1", port))
    lsock.listen(1024)
    lsock.setblocking(False)

    async def run_one(s: socket.socket) -> None:
        try:
            await handler(s)
        except OSError:
            pass
        finally:
            s.close()

    async with trio.open_nursery() as nursery:
        global POLLER, FLUSHER
        POLLER = Poller()
        nursery.start_soon(POLLER.run)
        FLUSHER = Flusher()
        nursery.start_soon(FLUSHER.run)
        while True:
            await trio.lowlevel.wait_readable(lsock)
            try:
                s, _ = lsock.accept()
            except BlockingIOError:
                continue
            s.setblocking(False)
            s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            nursery.start_soon(run_one, s)


def main() -> None:
    if len(sys.argv) >= 2 and sys.argv[1] == "serve":
        trio.run(serve, sys.argv[2], int(sys.argv[3]))
        return
    from ..rb import run as rb_run
    from ..servers import ServerProc, find_tool, free_port, ping

    p = argparse.ArgumentParser(prog="python -m bench.experiments.io_strategies")
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("-n", "--requests", type=int, default=100000)
    p.add_argument("--variants", default="lowlevel,stream,trio_sock,eager")
    p.add_argument("--cases", default="get:50:1,set:50:1,get:50:16,get:1000:1",
                   help="test:clients:pipeline, comma separated")
    a = p.parse_args()
    tool = find_tool("redis-benchmark") or "redis-benchmark"
    procs: dict[str, tuple[int, object]] = {}
    workdir = "/tmp/crabbench-io-%d" % os.getpid()
    redis = ServerProc("redis", workdir)
    redis.start()
    procs["redis"] = (redis.port, redis)
    crab = ServerProc("crabcache", workdir)  # the real thing, for scale
    crab.start()
    procs["crabcache"] = (crab.port, crab)
    for v in a.variants.split(","):
        port = free_port()
        proc = subprocess.Popen([sys.executable, "-m", "bench.experiments.io_strategies", "serve", v, str(port)],
                                start_new_session=True)
        while not ping(port):
            time.sleep(0.05)
        procs[v] = (port, proc)
    try:
        for case in a.cases.split(","):
            test, clients, pipe = case.split(":")
            n = a.requests * (5 if pipe != "1" else 1)
            res: dict[str, list[float]] = {k: [] for k in procs}
            cpu: dict[str, list[float]] = {k: [] for k in procs}
            for r in range(a.rounds):
                for name, (port, proc) in procs.items():
                    pid = proc.pid
                    c0 = _cpu(pid)
                    row, err = rb_run(tool, port, test, int(clients), n, int(pipe))
                    cpu[name].append((_cpu(pid) - c0) / n * 1e6)
                    res[name].append(row.rps if row else float("nan"))
                    print("%-10s %-9s round %d: %s" % (case, name, r + 1, "%.0f" % row.rps if row else err),
                          file=sys.stderr)
            base = statistics.median(res["lowlevel"]) if "lowlevel" in res else None
            print("\n%s (median rps; ratio to lowlevel; ratio to redis; server CPU us/request)" % case)
            for name, xs in res.items():
                m = statistics.median(xs)
                print("  %-10s %9.0f  %5.2fx  %5.2fx  %6.2f" % (name, m, m / base if base else float("nan"),
                                                               m / statistics.median(res["redis"]),
                                                               statistics.median(cpu[name])))
            sys.stdout.flush()
    finally:
        redis.stop()
        crab.stop()
        for name, (port, proc) in procs.items():
            if isinstance(proc, subprocess.Popen):
                proc.terminate()
                proc.wait()


if __name__ == "__main__":
    main()
