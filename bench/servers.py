"""Start and stop the servers under test; a tiny blocking RESP client.

Both servers get the same settings: loopback only, no persistence (``save ""``,
``appendonly no``), the same ``maxclients``, warnings-only logging, and a
throw-away working directory.  Each runs in its own session so a stuck
benchmark can be cleaned up by process group without touching anything else.
"""

from __future__ import annotations

import os
import resource
import shutil
import signal
import socket
import subprocess
import sys
import time
from typing import Any

import hiredis

PORT_RANGE = range(7500, 7600)
_CLK_TCK = os.sysconf("SC_CLK_TCK")
_taken: set[int] = set()


def raise_fd_limit(want: int = 65536) -> int:
    """Raise this process's soft RLIMIT_NOFILE (children inherit it); return it."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = want if hard == resource.RLIM_INFINITY else min(want, hard)
    if soft < target:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
        return target
    return soft


def free_port() -> int:
    """A free loopback port, preferring our range 7500-7599; never reused in one run."""
    for p in PORT_RANGE:
        if p in _taken:
            continue
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            s.bind(("127.0.0.1", p))
        except OSError:
            continue
        finally:
            s.close()
        _taken.add(p)
        return p
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    _taken.add(p)
    return p


def find_tool(name: str) -> str | None:
    """``name`` next to this interpreter first (skips pyenv shims), then on PATH."""
    local = os.path.join(os.path.dirname(sys.executable), name)
    if os.access(local, os.X_OK):
        return local
    return shutil.which(name)


def crabcache_cmd() -> list[str]:
    script = find_tool("crabcache-server")
    if script and "shims" not in script:
        return [script]
    return [sys.executable, "-m", "crabcache"]


def common_args(port: int, workdir: str, maxclients: int) -> list[str]:
    return [
        "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
        "--maxclients", str(maxclients), "--dir", workdir, "--loglevel", "warning",
        "--daemonize", "no",
    ]


# --- a minimal client --------------------------------------------------------------
def encode_command(args: tuple[Any, ...] | list[Any]) -> bytes:
    parts = [b"*%d\r\n" % len(args)]
    for a in args:
        if not isinstance(a, (bytes, bytearray)):
            a = str(a).encode()
        parts.append(b"$%d\r\n%s\r\n" % (len(a), a))
    return b"".join(parts)


class Client:
    """Blocking RESP2 client: enough for PING, INFO, FLUSHALL and bulk loading."""

    def __init__(self, port: int, host: str = "127.0.0.1", timeout: float = 60.0) -> None:
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.reader = hiredis.Reader()

    def close(self) -> None:
        self.sock.close()

    def __enter__(self) -> "Client":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def _read(self, n: int) -> list[Any]:
        out: list[Any] = []
        while len(out) < n:
            r = self.reader.gets()
            if r is False:
                data = self.sock.recv(1 << 20)
                if not data:
                    raise ConnectionError("server closed the connection")
                self.reader.feed(data)
                continue
            out.append(r)
        return out

    def call(self, *args: Any) -> Any:
        self.sock.sendall(encode_command(args))
        return self._read(1)[0]

    def pipeline(self, commands: list[tuple[Any, ...]]) -> list[Any]:
        self.sock.sendall(b"".join(encode_command(c) for c in commands))
        return self._read(len(commands))

    def send_encoded(self, payload: bytes, nreplies: int) -> list[Any]:
        self.sock.sendall(payload)
        return self._read(nreplies)


def ping(port: int, timeout: float = 1.0) -> bool:
    try:
        with Client(port, timeout=timeout) as c:
            return c.call("PING") == b"PONG"
    except OSError:
        return False


# --- server processes --------------------------------------------------------------
class ServerProc:
    """One server process under test (``kind`` is "crabcache" or "redis")."""

    def __init__(self, kind: str, workdir: str, maxclients: int = 11000,
                 port: int | None = None, extra: list[str] | None = None, src: str | None = None,
                 env: dict[str, str] | None = None) -> None:
        """``src``: run CrabCache from this source tree (PYTHONPATH) instead of the installed one;
        ``env``: extra environment variables (a value of None removes one)."""
        self.kind = kind
        self.port = port or free_port()
        self.workdir = os.path.join(workdir, "%s-%d" % (kind, self.port))
        os.makedirs(self.workdir, exist_ok=True)
        self.env: dict[str, str] | None = None
        if kind == "redis":
            base = [find_tool("redis-server") or "redis-server"]
        elif src:
            base = [sys.executable, "-m", "crabcache"]
            # PYTHONPATH comes before the editable install's finder on sys.meta_path.
            self.env = dict(os.environ, PYTHONPATH=os.path.abspath(src))
        else:
            base = crabcache_cmd()
        if env:
            merged = dict(self.env or os.environ)
            for k, v in env.items():
                if v is None:
                    merged.pop(k, None)
                else:
                    merged[k] = v
            self.env = merged
        self.argv = base + common_args(self.port, self.workdir, maxclients) + list(extra or [])
        self.proc: subprocess.Popen[bytes] | None = None
        self.log_path = os.path.join(self.workdir, "server.log")

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def start(self, timeout: float = 30.0) -> float:
        """Start and wait for PONG; returns seconds from exec to the first PONG."""
        log = open(self.log_path, "ab")
        t0 = time.perf_counter()
        self.proc = subprocess.Popen(
            self.argv, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            cwd=self.workdir, start_new_session=True, env=self.env,
        )
        log.close()
        deadline = t0 + timeout
        while time.perf_counter() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("%s exited with %s; see %s" % (self.kind, self.proc.returncode, self.log_path))
            if _try_ping(self.port):
                return time.perf_counter() - t0
            time.sleep(0.001)
        self.stop()
        raise RuntimeError("%s did not answer PING within %ss" % (self.kind, timeout))

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def rss(self) -> int:
        """Resident set size in bytes (VmRSS)."""
        with open("/proc/%d/status" % self.pid) as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024
        return 0

    def cpu_seconds(self) -> float:
        """User + system CPU the server process has used so far."""
        try:
            with open("/proc/%d/stat" % self.pid) as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            return float("nan")
        return (int(fields[11]) + int(fields[12])) / _CLK_TCK

    def open_fds(self) -> int:
        try:
            return len(os.listdir("/proc/%d/fd" % self.pid))
        except OSError:
            return 0

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        try:
            os.killpg(self.proc.pid, signal.SIGTERM)
        except ProcessLookupError:
            return
        try:
            self.proc.wait(15)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(5)


def _try_ping(port: int) -> bool:
    # Tight start-up polling: connection refused is the common case, keep it cheap.
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.settimeout(1.0)
    try:
        s.connect(("127.0.0.1", port))
        s.sendall(b"*1\r\n$4\r\nPING\r\n")
        data = b""
        while not data.endswith(b"\r\n"):
            chunk = s.recv(64)
            if not chunk:
                return False
            data += chunk
        return data == b"+PONG\r\n"
    except OSError:
        return False
    finally:
        s.close()


def export_commit(commit: str, dest: str, repo: str = ".") -> str:
    """Unpack ``git archive commit`` into ``dest`` (a baseline CrabCache to compare with)."""
    os.makedirs(dest, exist_ok=True)
    archive = subprocess.run(["git", "-C", repo, "archive", commit, "crabcache"], check=True,
                             capture_output=True).stdout
    subprocess.run(["tar", "-x", "-C", dest], input=archive, check=True)
    return dest


def versions() -> dict[str, str]:
    """Versions of the pieces that matter for the numbers."""
    out: dict[str, str] = {"python": sys.version.split()[0]}
    for tool in ("redis-server", "redis-benchmark"):
        path = find_tool(tool)
        try:
            out[tool] = subprocess.run([path or tool, "--version"], capture_output=True, text=True,
                                       timeout=10).stdout.strip()
        except (OSError, subprocess.SubprocessError):
            out[tool] = "missing"
    try:
        import trio

        out["trio"] = trio.__version__
    except ImportError:
        pass
    out["hiredis"] = getattr(hiredis, "__version__", "?")
    return out


def machine() -> dict[str, str]:
    info: dict[str, str] = {"cores": str(os.cpu_count())}
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    info["cpu"] = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    u = os.uname()
    info["kernel"] = "%s %s" % (u.sysname, u.release)
    try:
        with open("/proc/meminfo") as f:
            info["memory"] = "%.1f GiB" % (int(f.readline().split()[1]) / 1024 / 1024)
    except OSError:
        pass
    info["loadavg_at_start"] = "%.2f %.2f %.2f" % os.getloadavg()
    return info
