"""``python -m bench``: CrabCache and redis-server side by side, in one run.

Every redis-benchmark job runs against CrabCache, then Redis, then CrabCache,
then Redis ... (``--rounds`` each); the median of each server's rounds is
reported, and the ratio CrabCache/Redis is the number that matters.  Results
go to ``bench/results/<timestamp>/`` (and ``bench/results/latest``):
``results.md``, ``results.csv`` (one row per test), ``raw.csv`` (every run),
``memory.csv``, ``startup.csv`` and ``chart.png``.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from typing import Any

from . import chart, memory, rb, report, startup, suites
from .servers import Client, ServerProc, export_commit, find_tool, machine, raise_fd_limit, versions

RESULTS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "results")


class Progress:
    """One status line on stderr (rewritten in place on a terminal)."""

    def __init__(self, total: int) -> None:
        self.total = max(total, 1)
        self.done = 0
        self.t0 = time.monotonic()
        self.tty = sys.stderr.isatty()

    def step(self, text: str, advance: int = 1) -> None:
        elapsed = time.monotonic() - self.t0
        eta = ""
        if self.done:
            left = elapsed / self.done * (self.total - self.done)
            eta = " eta %dm%02ds" % divmod(int(left), 60)
        line = "[%3d/%d %3d%% %dm%02ds%s] %s" % (
            self.done + 1, self.total, 100 * self.done // self.total, *divmod(int(elapsed), 60), eta, text)
        if self.tty:
            width = shutil.get_terminal_size((100, 20)).columns
            sys.stderr.write("\r" + line[: width - 1].ljust(width - 1))
        else:
            sys.stderr.write(line + "\n")
        sys.stderr.flush()
        self.done += advance

    def finish(self, text: str) -> None:
        if self.tty:
            sys.stderr.write("\n")
        sys.stderr.write(text + "\n")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m bench", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--quick", action="store_true",
                   help="short smoke run: 1 round, few requests, fewer clients, 1000 idle, 100k keys")
    p.add_argument("--rounds", type=int, help="A/B rounds per test (default 3; quick 1)")
    p.add_argument("--requests", "-n", type=int, help="-n of a -P 1 test (default 100000; quick 5000)")
    p.add_argument("--suites", default=",".join(suites.ALL_SUITES + ["memory", "startup"]),
                   help="comma list of: %s, memory, startup (default: all)" % ", ".join(suites.ALL_SUITES))
    p.add_argument("--tests", help="restrict the default list (p1/p16), e.g. set,get,lpush")
    p.add_argument("--clients", help="client counts for the sweep (default 1,10,50,200,1000)")
    p.add_argument("--idle", type=int, help="idle connections in the idle suite (default 10000; quick 1000)")
    p.add_argument("--mem-keys", type=int, help="items per memory case (default 1000000; quick 100000)")
    p.add_argument("--startup-runs", type=int, help="start-up samples per kind (default 7; quick 3)")
    p.add_argument("--timeout", type=float, default=300.0, help="seconds per redis-benchmark run")
    p.add_argument("--out", help="results directory (default bench/results/<timestamp>)")
    p.add_argument("--note", default="", help="free text for the report (e.g. 'machine shared')")
    p.add_argument("--baseline", metavar="COMMIT|DIR",
                   help="also run CrabCache as of this git commit (or from this source tree), as a third "
                        "server in the same alternation, to measure a change (e.g. --baseline HEAD~1)")
    p.add_argument("--src", metavar="COMMIT|DIR",
                   help="run the main CrabCache from this commit or source tree instead of the installed one")
    a = p.parse_args(argv)
    q = a.quick
    a.rounds = a.rounds or (1 if q else 3)
    a.requests = a.requests or (5000 if q else 100000)
    a.idle = a.idle if a.idle is not None else (1000 if q else 10000)
    a.mem_keys = a.mem_keys or (100000 if q else 1000000)
    a.startup_runs = a.startup_runs or (3 if q else 7)
    a.client_counts = ([int(x) for x in a.clients.split(",")] if a.clients else
                       [1, 50, 1000] if q else suites.CLIENT_COUNTS)
    a.suite_list = [s.strip() for s in a.suites.split(",") if s.strip()]
    a.test_list = [t.strip().lower() for t in a.tests.split(",")] if a.tests else None
    return a


class Bench:
    def __init__(self, args: argparse.Namespace, workdir: str, tool: str) -> None:
        self.args = args
        self.workdir = workdir
        self.tool = tool
        self.servers: dict[str, ServerProc] = {}
        self.idle_procs: list[Any] = []
        self.idle_now = 0
        self.kinds = list(report.SERVERS)
        self.baseline_src: str | None = None
        self.main_src: str | None = None
        if args.baseline:
            self.baseline_src = _source(args.baseline, os.path.join(workdir, "baseline-src"))
            self.kinds.append("baseline")
        if args.src:
            self.main_src = _source(args.src, os.path.join(workdir, "main-src"))

    def start_servers(self) -> None:
        for kind in self.kinds:
            self.restart(kind)

    def restart(self, kind: str) -> None:
        old = self.servers.get(kind)
        if old is not None:
            old.stop()
        if kind == "baseline":
            srv = ServerProc("crabcache", self.workdir, maxclients=self.args.idle + 1100, src=self.baseline_src)
        else:
            srv = ServerProc(kind, self.workdir, maxclients=self.args.idle + 1100,
                             src=self.main_src if kind == "crabcache" else None)
        srv.start()
        self.servers[kind] = srv

    def stop(self) -> None:
        self.set_idle(0)
        for srv in self.servers.values():
            srv.stop()

    def flushall(self) -> None:
        for srv in self.servers.values():
            try:
                with Client(srv.port, timeout=60) as c:
                    c.call("FLUSHALL")
            except OSError:
                pass

    def set_idle(self, n: int) -> str | None:
        """Hold ``n`` idle connections to each server (0: release them)."""
        if n == self.idle_now:
            return None
        for p in self.idle_procs:
            p.kill()
            p.wait()
        self.idle_procs = []
        self.idle_now = 0
        # Let the servers notice the closed sockets before measuring anything else.
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and any(s.open_fds() > 200 for s in self.servers.values()):
            time.sleep(0.2)
        if not n:
            return None
        base = {k: s.open_fds() for k, s in self.servers.items()}
        for srv in self.servers.values():
            self.idle_procs.append(rb.start_idle(self.tool, srv.port, n))
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if all(s.open_fds() >= base[k] + n for k, s in self.servers.items()):
                self.idle_now = n
                time.sleep(1.0)  # let accept storms settle
                return None
            time.sleep(0.2)
        got = {k: s.open_fds() - base[k] for k, s in self.servers.items()}
        return "idle connections not all accepted: %s" % got

    def run_jobs(self, jobs: list[suites.Job], prog: Progress) -> list[report.Sample]:
        samples: list[report.Sample] = []
        suite = None
        for job in jobs:
            if job.suite != suite:
                if suite == "aof" or job.suite == "aof":
                    self.set_aof(job.suite == "aof")
                suite = job.suite
                self.set_idle(0)
                self.flushall()
            idle_err = self.set_idle(job.idle) if job.idle else None
            for rnd in range(self.args.rounds):
                for kind in self.kinds:  # A B A B ...
                    srv = self.servers[kind]
                    prog.step("%s | %s | round %d/%d" % (kind, job.label, rnd + 1, self.args.rounds))
                    if idle_err:
                        samples.append(report.Sample(job, kind, rnd, None, idle_err))
                        continue
                    cpu0 = srv.cpu_seconds()
                    row, err = rb.run(self.tool, srv.port, job.test, job.clients, job.requests, job.pipeline,
                                      job.datasize, job.keyspace, timeout=self.args.timeout)
                    cpu_us = (srv.cpu_seconds() - cpu0) / job.requests * 1e6 if row else None
                    if not srv.alive():
                        err = "server died (exit %s) during the run; see %s" % (srv.proc.returncode, srv.log_path)
                        self.set_idle(0)
                        self.restart(kind)
                    samples.append(report.Sample(job, kind, rnd, row, err, cpu_us))
        self.set_idle(0)
        if suite == "aof":
            self.set_aof(False)
        return samples

    def set_aof(self, on: bool) -> None:
        """CONFIG SET appendonly on every server, and wait for its first rewrite."""
        for srv in self.servers.values():
            with Client(srv.port, timeout=60) as c:
                c.call("CONFIG", "SET", "appendonly", "yes" if on else "no")
                deadline = time.monotonic() + 60
                while time.monotonic() < deadline:
                    info = c.call("INFO", "persistence").decode()
                    if ("aof_rewrite_in_progress:0" in info and "aof_rewrite_scheduled:0" in info
                            and ("aof_enabled:%d" % on) in info):
                        break
                    time.sleep(0.1)


def _source(spec: str, dest: str) -> str:
    """A directory holding a ``crabcache`` package: ``spec`` itself, or that commit exported."""
    if os.path.isdir(os.path.join(spec, "crabcache")):
        return os.path.abspath(spec)
    return export_commit(spec, dest)


def _describe(commit: str) -> str:
    if os.path.isdir(commit):
        return "source tree"
    import subprocess

    try:
        return subprocess.run(["git", "log", "-1", "--format=%h %s", commit], capture_output=True, text=True,
                              timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "?"


def _dirty() -> bool:
    import subprocess

    try:
        return subprocess.run(["git", "diff", "--quiet", "HEAD", "--", "crabcache"], timeout=10).returncode == 1
    except (OSError, subprocess.SubprocessError):
        return False


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    tool = find_tool("redis-benchmark")
    if not tool or not find_tool("redis-server"):
        print("redis-server and redis-benchmark are needed (apt install redis-server redis-tools)", file=sys.stderr)
        return 2
    limit = raise_fd_limit(65536)
    if "idle" in args.suite_list and limit < args.idle + 2000:
        print("fd limit %d is too low for %d idle connections; lowering to %d" % (
            limit, args.idle, max(0, limit - 2000)), file=sys.stderr)
        args.idle = max(0, limit - 2000)
    bench_suites = [s for s in args.suite_list if s in suites.ALL_SUITES]
    jobs = suites.build(bench_suites, args.requests, args.test_list, args.client_counts, args.idle)
    if args.quick:
        jobs = [j if j.suite != "clients" else
                suites.Job(j.suite, j.test, j.clients, max(args.requests, j.clients * 5)) for j in jobs]
    n_mem = len(memory.CASES) * 2 if "memory" in args.suite_list else 0
    n_start = args.startup_runs if "startup" in args.suite_list else 0
    prog = Progress(len(jobs) * args.rounds * (3 if args.baseline else 2) + n_mem + n_start)
    out = args.out or os.path.join(RESULTS, time.strftime("%Y%m%d-%H%M%S"))
    os.makedirs(out, exist_ok=True)
    meta: dict[str, Any] = {"date": time.strftime("%Y-%m-%d %H:%M:%S %z")}
    meta.update(machine())
    meta.update(versions())
    meta["settings"] = "rounds=%d, -n %d (P16 x5), idle=%d, memory items=%d%s" % (
        args.rounds, args.requests, args.idle, args.mem_keys, ", quick" if args.quick else "")
    if args.note:
        meta["note"] = args.note
    if args.src:
        meta["crabcache"] = "%s (%s)" % (args.src, _describe(args.src))
    else:
        meta["crabcache"] = _describe("HEAD") + (" + uncommitted changes" if _dirty() else "")
    if args.baseline:
        meta["baseline"] = "CrabCache at %s (%s)" % (args.baseline, _describe(args.baseline))
    workdir = tempfile.mkdtemp(prefix="crabbench-")
    samples: list[report.Sample] = []
    mem: list[memory.MemResult] = []
    st: list[startup.StartupResult] = []
    try:
        bench = Bench(args, workdir, tool)
    except Exception as e:
        print("cannot prepare the baseline %s: %s" % (args.baseline, e), file=sys.stderr)
        return 2
    try:
        if jobs:
            bench.start_servers()
            samples = bench.run_jobs(jobs, prog)
            bench.stop()
        if n_mem:
            mem = memory.run_all(args.mem_keys, workdir, memory.CASES, prog.step)
        if n_start:
            st = startup.run_all(args.startup_runs, workdir, prog.step)
    except KeyboardInterrupt:
        prog.finish("interrupted; writing what was measured")
    finally:
        bench.stop()
        shutil.rmtree(workdir, ignore_errors=True)
    summaries = report.summarize(samples)
    targets = report.check_targets(summaries, mem, st)
    md = report.markdown(summaries, mem, st, targets, meta)
    with open(os.path.join(out, "results.md"), "w") as f:
        f.write(md)
    report.write_csv(os.path.join(out, "results.csv"), report.summary_rows(summaries), report.SUMMARY_FIELDS)
    report.write_csv(os.path.join(out, "raw.csv"), report.raw_rows(samples), report.RAW_FIELDS)
    if mem:
        report.write_csv(os.path.join(out, "memory.csv"), report.memory_rows(mem),
                         ["server", "case", "items", "rss_before", "rss_after", "bytes_per_item", "error"])
    if st:
        report.write_csv(os.path.join(out, "startup.csv"), report.startup_rows(st),
                         ["what", "median_ms", "samples_ms", "error"])
    drew = chart.draw(os.path.join(out, "chart.png"), summaries)
    latest = os.path.join(os.path.dirname(out), "latest")
    try:
        if os.path.islink(latest):
            os.unlink(latest)
        if not os.path.exists(latest):
            os.symlink(os.path.abspath(out), latest)
    except OSError:
        pass
    prog.finish("results: %s%s" % (out, "" if drew else " (no chart: matplotlib missing?)"))
    sys.stdout.write(md)
    return 0


if __name__ == "__main__":
    sys.exit(main())
