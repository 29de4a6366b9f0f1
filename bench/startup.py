"""Start-up: wall time from exec to the first PONG, next to bare imports.

Reference points, each the median of several runs:

* ``python -c "import trio, hiredis"`` -- exec to exit: the floor any
  trio + hiredis server pays before it can serve.
* ``python -c "pass"`` -- the interpreter alone.
* ``crabcache-server`` -- exec to the first ``+PONG`` on its port, with its
  bytecode cached (``PYTHONPYCACHEPREFIX`` in a scratch directory, warmed by
  one start first): what an installed server pays, and what trio and hiredis
  get in the bare import, since pip compiled them at install time.
* the same with ``PYTHONDONTWRITEBYTECODE`` honoured, if the environment sets
  it: every start then compiles every CrabCache module from source.
* ``redis-server`` -- the same, for scale.
"""

from __future__ import annotations

import os
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


NO_PYC = "crabcache-server to PONG, no bytecode cache (PYTHONDONTWRITEBYTECODE)"


def run_all(runs: int, workdir: str, progress: Callable[[str], None]) -> list[StartupResult]:
    cached = {"PYTHONPYCACHEPREFIX": os.path.join(workdir, "pycache"), "PYTHONDONTWRITEBYTECODE": None}
    kinds: list[tuple[str, str, dict | None]] = [
        ("crabcache", "crabcache-server to PONG", cached), ("redis", "redis-server to PONG", None)]
    if os.environ.get("PYTHONDONTWRITEBYTECODE"):
        kinds.insert(1, ("crabcache", NO_PYC, None))
    res = {
        "python -c pass": StartupResult("python -c pass", []),
        "python -c 'import trio, hiredis'": StartupResult("python -c 'import trio, hiredis'", []),
    }
    for _, name, _ in kinds:
        res[name] = StartupResult(name, [])
    warm = ServerProc("crabcache", workdir, env=cached)  # fills the bytecode cache
    try:
        warm.start()
    except RuntimeError as e:
        res["crabcache-server to PONG"].error = str(e)
    finally:
        warm.stop()
    for i in range(runs):
        # Alternate every kind inside each round, so a noisy moment hits all of them.
        progress("start-up round %d/%d" % (i + 1, runs))
        res["python -c pass"].samples.append(time_exec([sys.executable, "-c", "pass"]))
        res["python -c 'import trio, hiredis'"].samples.append(
            time_exec([sys.executable, "-c", "import trio, hiredis"]))
        for kind, name, env in kinds:
            srv = ServerProc(kind, workdir, env=env)
            try:
                res[name].samples.append(srv.start())
            except RuntimeError as e:
                res[name].error = str(e)
            finally:
                srv.stop()
    return list(res.values())
