"""Start-up: wall time from exec to the first PONG, next to bare imports.

Reference points, each the median of several runs:

* ``python -c "import trio, hiredis"`` -- exec to exit: the floor any
  trio + hiredis server pays before it can serve.
* ``python -c "pass"`` -- the interpreter alone.
* ``crabcache-server`` -- exec to the first ``+PONG`` on its port.
* ``redis-server`` -- the same, for scale.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from typing import Callable

from .servers import ServerProc


@dataclass
class StartupResult:
    name: str
    samples: list[float]
    error: str | None = None

    @property
    def median(self) -> float:
        return statistics.median(self.samples) if self.samples else float("nan")


def time_exec(argv: list[str]) -> float:
    t0 = time.perf_counter()
    subprocess.run(argv, check=True, stdin=subprocess.DEVNULL)
    return time.perf_counter() - t0


def run_all(runs: int, workdir: str, progress: Callable[[str], None]) -> list[StartupResult]:
    res = {
        "python -c pass": StartupResult("python -c pass", []),
        "python -c 'import trio, hiredis'": StartupResult("python -c 'import trio, hiredis'", []),
        "crabcache-server to PONG": StartupResult("crabcache-server to PONG", []),
        "redis-server to PONG": StartupResult("redis-server to PONG", []),
    }
    for i in range(runs):
        # Alternate every kind inside each round, so a noisy moment hits all of them.
        progress("start-up round %d/%d" % (i + 1, runs))
        res["python -c pass"].samples.append(time_exec([sys.executable, "-c", "pass"]))
        res["python -c 'import trio, hiredis'"].samples.append(
            time_exec([sys.executable, "-c", "import trio, hiredis"]))
        for kind, name in (("crabcache", "crabcache-server to PONG"), ("redis", "redis-server to PONG")):
            srv = ServerProc(kind, workdir)
            try:
                res[name].samples.append(srv.start())
            except RuntimeError as e:
                res[name].error = str(e)
            finally:
                srv.stop()
    return list(res.values())
