"""Compat suite harness: every test runs against CrabCache *and* real Redis.

One CrabCache (``python -m crabcache``) and, when ``redis-server`` is on PATH,
one real Redis 7.0 are started per test session on free loopback ports, with
the same settings.  The ``r`` fixture is parametrized over
``server`` x ``protocol``: ``[crabcache-2, crabcache-3, redis-2, redis-3]``, so a
test that passes on CrabCache must also pass on the real thing -- which is how
we know the expected values in the test are right.

Fixtures:
- ``r``: a redis-py client (decode_responses=False) on a flushed server.
- ``rr``: the same client with redis-py's reply callbacks removed (raw reply values).
- ``server``: the ``Endpoint`` under test (``.name``, ``.port``, ``.client()``).
- ``raw``: ``raw(b"PING\\r\\n") -> bytes``: exact reply bytes, for byte-level checks.
- ``pair``: (crabcache_client, redis_client) for differential tests.
- ``config_restore``: CONFIG SET through it and the old value comes back after the test.
- ``spawn``: ``spawn("crabcache" | "redis", ["--requirepass", "x"])`` for a dedicated server;
  ``SERVERS`` (module global) lists the names to parametrize over.

Set ``CRABCACHE_COMPAT_ONLY=crabcache`` (or ``redis``) to run one side only.
In CI (``CI`` set) a missing ``redis-server`` is an error, not a silent skip.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from typing import Any, Callable, Iterator

import pytest
import redis

REDIS_SERVER = shutil.which("redis-server")
COMMON_ARGS = ["--save", "", "--appendonly", "no", "--enable-debug-command", "yes"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Endpoint:
    name: str
    port: int
    proc: subprocess.Popen[bytes]
    logfile: str

    def client(self, protocol: int = 3, **kw: Any) -> redis.Redis:
        return redis.Redis(port=self.port, protocol=protocol, socket_timeout=10, **kw)

    def raw(self, data: bytes, timeout: float = 2.0, expect: int | None = None,
            half_close: bool = True) -> bytes:
        """Send ``data`` on a fresh connection; return everything received until the
        server closes, ``expect`` bytes arrive, or ``timeout`` passes with no data.

        ``half_close``: after sending, shut our side for writing.  Both servers
        then answer what they read and close, so the reply ends at once instead
        of after ``timeout`` of silence.  Pass False to keep the client "alive"
        (e.g. to see a reply that only comes later)."""
        with socket.create_connection(("127.0.0.1", self.port), timeout=timeout) as s:
            # Send from a thread: a server may answer and close before it has read
            # everything (too-big requests), and we must still see its reply.
            sender = threading.Thread(target=_send_quietly, args=(s, data, half_close), daemon=True)
            sender.start()
            out = b""
            while expect is None or len(out) < expect:
                try:
                    chunk = s.recv(65536)
                except socket.timeout:
                    break
                except ConnectionResetError:
                    break
                if not chunk:
                    break
                out += chunk
            sender.join(timeout)
            return out


def _send_quietly(s: socket.socket, data: bytes, half_close: bool = False) -> None:
    try:
        s.sendall(data)
        if half_close:
            s.shutdown(socket.SHUT_WR)
    except OSError:
        pass


def _wait_ready(port: int, proc: subprocess.Popen[bytes], logfile: str) -> None:
    deadline = time.time() + 30
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError("server exited early:\n" + open(logfile).read())
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5) as s:
                s.sendall(b"PING\r\n")
                if s.recv(64)[:1] in (b"+", b"-"):  # -NOAUTH also means "up"
                    return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("server on port %d did not answer PING" % port)


def start(name: str, extra: list[str] | None = None) -> Endpoint:
    port = free_port()
    fd, logfile = tempfile.mkstemp(prefix="compat-%s-" % name, suffix=".log")
    os.close(fd)
    # A fresh dir each: no server loads a dump.rdb someone left behind, and none
    # writes one into the working tree.  Later "--dir" in ``extra`` still wins.
    workdir = tempfile.mkdtemp(prefix="compat-%s-dir-" % name)
    args = ["--port", str(port), "--bind", "127.0.0.1", *COMMON_ARGS, "--dir", workdir, *(extra or [])]
    if name == "redis":
        cmd = [REDIS_SERVER or "redis-server", *args]
    else:
        cmd = [sys.executable, "-m", "crabcache", *args]
    log = open(logfile, "wb")
    proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT)
    _wait_ready(port, proc, logfile)
    return Endpoint(name, port, proc, logfile)


def stop(ep: Endpoint) -> None:
    ep.proc.terminate()
    try:
        ep.proc.wait(10)
    except subprocess.TimeoutExpired:
        ep.proc.kill()
        ep.proc.wait()


def _wanted() -> list[str]:
    only = os.environ.get("CRABCACHE_COMPAT_ONLY")
    names = ["crabcache", "redis"]
    if only:
        names = [n for n in names if n == only]
    if "redis" in names and REDIS_SERVER is None:
        if os.environ.get("CI"):
            raise RuntimeError("CI needs redis-server on PATH: the compat suite compares against it")
        names.remove("redis")
    return names


SERVERS = _wanted()


@pytest.fixture(scope="session")
def endpoints() -> Iterator[dict[str, Endpoint]]:
    eps = {n: start(n) for n in SERVERS}
    yield eps
    for ep in eps.values():
        stop(ep)


@pytest.fixture(scope="session")
def spawn() -> Iterator[Callable[..., Endpoint]]:
    """``spawn(name, extra_args)`` starts a dedicated server (stopped at session end)."""
    started: list[Endpoint] = []

    def _spawn(name: str, extra: list[str] | None = None) -> Endpoint:
        ep = start(name, extra)
        started.append(ep)
        return ep

    yield _spawn
    for ep in started:
        stop(ep)


@pytest.fixture(params=SERVERS)
def server(request: pytest.FixtureRequest, endpoints: dict[str, Endpoint]) -> Endpoint:
    return endpoints[request.param]


@pytest.fixture(params=[2, 3], ids=["resp2", "resp3"])
def protocol(request: pytest.FixtureRequest) -> int:
    return request.param


@pytest.fixture
def r(server: Endpoint, protocol: int) -> Iterator[redis.Redis]:
    c = server.client(protocol=protocol)
    c.flushall()
    yield c
    c.close()


@pytest.fixture
def rr(r: redis.Redis) -> redis.Redis:
    """Like ``r`` but without redis-py's reply callbacks: replies as the server sent them."""
    r.response_callbacks.clear()
    return r


@pytest.fixture
def raw(server: Endpoint) -> Callable[..., bytes]:
    server.client().flushall()
    return server.raw


@pytest.fixture
def pair(endpoints: dict[str, Endpoint]) -> Iterator[tuple[redis.Redis, redis.Redis]]:
    if "redis" not in endpoints or "crabcache" not in endpoints:
        pytest.skip("differential tests need both servers")
    a = endpoints["crabcache"].client(protocol=3)
    b = endpoints["redis"].client(protocol=3)
    a.flushall()
    b.flushall()
    yield a, b
    a.close()
    b.close()


@pytest.fixture
def config_restore(server: Endpoint) -> Iterator[Callable[[str, str], None]]:
    c = server.client(protocol=2)
    saved: dict[bytes, bytes] = {}

    def set_(name: str, value: str) -> None:
        for k, v in c.config_get(name).items():
            saved.setdefault(k.encode() if isinstance(k, str) else k, v)
        c.config_set(name, value)

    yield set_
    for k, v in saved.items():
        c.config_set(k, v)
    c.close()
