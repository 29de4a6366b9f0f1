"""Running ``redis-benchmark`` and reading its ``--csv`` output.

redis-benchmark 7.0 prints, with ``--csv``::

    "test","rps","avg_latency_ms","min_latency_ms","p50_latency_ms","p95_latency_ms","p99_latency_ms","max_latency_ms"
    "SET","90909.09","0.334","0.072","0.247","0.647","1.423","1.655"

and exits with status 1 at the first error reply ("Error from server: ...").
So every test runs in its own invocation (``-t name``): an error stops that
test only, and is recorded instead of a number.  The LRANGE tests first fill
the list with an extra "LPUSH (needed to benchmark LRANGE)" row, which we skip.
"""

from __future__ import annotations

import csv
import io
import subprocess
from dataclasses import dataclass

# redis-benchmark 7.0's default list, in its order, as ``-t`` names.
DEFAULT_TESTS = [
    "ping_inline", "ping_mbulk", "set", "get", "incr", "lpush", "rpush", "lpop", "rpop",
    "sadd", "hset", "spop", "zadd", "zpopmin", "lrange_100", "lrange_300", "lrange_500",
    "lrange_600", "mset",
]


@dataclass
class Row:
    test: str  # canonical: "LRANGE_100", not "LRANGE_100 (first 100 elements)"
    rps: float
    avg_ms: float
    min_ms: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    max_ms: float


def canonical(name: str) -> str:
    return name.split(" (", 1)[0].strip().upper()


def parse_csv(text: str) -> list[Row]:
    """Rows of a ``redis-benchmark --csv`` output; filler rows and junk lines skipped."""
    rows: list[Row] = []
    for rec in csv.reader(io.StringIO(text)):
        if len(rec) < 8 or rec[0] == "test" or "needed to benchmark" in rec[0]:
            continue
        try:
            nums = [float(x) for x in rec[1:8]]
        except ValueError:
            continue
        rows.append(Row(canonical(rec[0]), *nums))
    return rows


def error_text(stderr: str, stdout: str, returncode: int | None) -> str:
    """The most useful line explaining a failed run."""
    for line in (stderr + "\n" + stdout).splitlines():
        line = line.strip()
        if line.startswith("Error from server:"):
            return line[len("Error from server:"):].strip()
    for line in (stderr + "\n" + stdout).splitlines():
        low = line.lower()
        if "error" in low or "could not" in low or "refused" in low:
            return line.strip()
    return "redis-benchmark exit status %s" % returncode


def build_argv(tool: str, port: int, test: str, clients: int, requests: int, pipeline: int = 1,
               datasize: int = 0, keyspace: int = 0) -> list[str]:
    argv = [tool, "-h", "127.0.0.1", "-p", str(port), "-c", str(clients), "-n", str(requests),
            "-P", str(pipeline), "--csv", "-t", test]
    if datasize:
        argv += ["-d", str(datasize)]
    if keyspace:
        argv += ["-r", str(keyspace)]
    return argv


def run(tool: str, port: int, test: str, clients: int, requests: int, pipeline: int = 1,
        datasize: int = 0, keyspace: int = 0, timeout: float = 300.0) -> tuple[Row | None, str | None]:
    """One redis-benchmark run of one test: ``(row, None)`` or ``(None, error)``."""
    argv = build_argv(tool, port, test, clients, requests, pipeline, datasize, keyspace)
    try:
        p = subprocess.run(argv, capture_output=True, text=True, timeout=timeout,
                           stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        return None, "timeout after %ds" % timeout
    want = canonical(test)
    rows = [r for r in parse_csv(p.stdout) if r.test == want]
    if p.returncode != 0 or not rows:
        return None, error_text(p.stderr, p.stdout, p.returncode)
    return rows[0], None


def start_idle(tool: str, port: int, n: int) -> subprocess.Popen[bytes]:
    """``redis-benchmark -I``: open ``n`` idle connections and hold them until killed."""
    return subprocess.Popen([tool, "-h", "127.0.0.1", "-p", str(port), "-c", str(n), "-I"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            stdin=subprocess.DEVNULL, start_new_session=True)
