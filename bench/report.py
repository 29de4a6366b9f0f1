"""Aggregation (median over rounds), target checks, markdown and CSV output.

Pure functions over plain data, so tests/bench can check them without
running anything.
"""

from __future__ import annotations

import csv
import math
import statistics
from dataclasses import dataclass, field
from typing import Any, Iterable

from .memory import MemResult
from .rb import Row
from .startup import StartupResult
from .suites import Job

SERVERS = ("crabcache", "redis")


@dataclass
class Sample:
    """One redis-benchmark run of one job against one server."""

    job: Job
    server: str
    round: int
    row: Row | None
    error: str | None = None
    cpu_us: float | None = None  # server CPU (user+sys) per request, microseconds


@dataclass
class Stat:
    rps: float
    p50: float
    p99: float
    avg: float
    n: int  # rounds that produced a number
    cpu_us: float = float("nan")  # median server CPU per request


@dataclass
class Summary:
    job: Job
    stats: dict[str, Stat | None] = field(default_factory=dict)
    errors: dict[str, str | None] = field(default_factory=dict)

    def ratio(self, server: str = "crabcache", over: str = "redis") -> float | None:
        """``server``'s requests/s over ``over``'s (None if either has no number)."""
        a, b = self.stats.get(server), self.stats.get(over)
        if a is None or b is None or not b.rps:
            return None
        return a.rps / b.rps

    def cpu_ratio(self, server: str = "crabcache", over: str = "redis") -> float | None:
        """CPU efficiency: ``over``'s CPU per request / ``server``'s (1.0 = as cheap as Redis).

        Unlike requests/s this hardly depends on whether the client or other
        load shared the server's core during the run.
        """
        a, b = self.stats.get(server), self.stats.get(over)
        if a is None or b is None or not a.cpu_us or math.isnan(a.cpu_us) or math.isnan(b.cpu_us):
            return None
        return b.cpu_us / a.cpu_us

    def p99_ratio(self) -> float | None:
        a, b = self.stats.get("crabcache"), self.stats.get("redis")
        if a is None or b is None or not b.p99:
            return None
        return a.p99 / b.p99


def _median(xs: list[float]) -> float:
    return statistics.median(xs) if xs else float("nan")


def summarize(samples: Iterable[Sample]) -> list[Summary]:
    """One Summary per job, in first-seen order; medians over the rounds.

    A server that errored in any round keeps that error (the first one) even if
    other rounds produced numbers: an error is never averaged away.
    """
    by_job: dict[tuple, tuple[Job, dict[str, list[Sample]]]] = {}
    for s in samples:
        entry = by_job.setdefault(s.job.key(), (s.job, {k: [] for k in SERVERS}))
        entry[1].setdefault(s.server, []).append(s)
    out: list[Summary] = []
    for job, per in by_job.values():
        summ = Summary(job)
        for server, ss in per.items():
            rows = [s.row for s in ss if s.row is not None]
            errs = [s.error for s in ss if s.error]
            summ.errors[server] = errs[0] if errs else None
            summ.stats[server] = Stat(
                _median([r.rps for r in rows]), _median([r.p50_ms for r in rows]),
                _median([r.p99_ms for r in rows]), _median([r.avg_ms for r in rows]), len(rows),
                _median([s.cpu_us for s in ss if s.row is not None and s.cpu_us is not None]),
            ) if rows else None
        out.append(summ)
    return out


# --- targets -----------------------------------------------------------------------
@dataclass
class Target:
    name: str
    value: str
    met: bool | None  # None: not measured in this run


def _find(summaries: list[Summary], suite: str, test: str, **kw: Any) -> Summary | None:
    for s in summaries:
        j = s.job
        if j.suite == suite and j.test == test and all(getattr(j, k) == v for k, v in kw.items()):
            return s
    return None


def _fmt_ratio(r: float | None) -> str:
    return "n/a" if r is None else "%.2fx" % r


def check_targets(summaries: list[Summary], mem: list[MemResult], startup: list[StartupResult]) -> list[Target]:
    """The issue's targets, each with the measured value and whether it is met."""
    out: list[Target] = []

    def ratio_target(name: str, suite: str, tests: list[str], floor: float) -> None:
        found = [s for s in (_find(summaries, suite, t) for t in tests) if s is not None]
        if not found:
            out.append(Target(name, "not run", None))
            return
        vals = []
        ok = True
        for s in found:
            r = s.ratio()
            err = s.errors.get("crabcache")
            cpu = s.cpu_ratio()
            vals.append("%s %s" % (s.job.test.upper(), "error" if err else _fmt_ratio(r) + (
                " (CPU %s)" % _fmt_ratio(cpu) if cpu is not None else "")))
            ok = ok and not err and r is not None and r >= floor
        out.append(Target(name, ", ".join(vals), ok))

    ratio_target("SET/GET 50 clients -P 1 >= 0.8x", "p1", ["set", "get"], 0.8)
    ratio_target("SET/GET 50 clients -P 16 >= 0.5x", "p16", ["set", "get"], 0.5)

    p1 = [s for s in summaries if s.job.suite == "p1"]
    if p1:
        errs = [s.job.test.upper() for s in p1 if s.errors.get("crabcache")]
        ratios = [(s.ratio(), s.job.test.upper()) for s in p1 if s.ratio() is not None]
        worst = min(ratios) if ratios else None
        val = "worst %s %s" % (worst[1], _fmt_ratio(worst[0])) if worst else "no numbers"
        if errs:
            val += "; errors: " + ", ".join(errs)
        out.append(Target("every default test -P 1 >= 0.5x, no errors (%d tests)" % len(p1), val,
                          not errs and worst is not None and worst[0] >= 0.5))
        p99s = [(s.p99_ratio(), s.job.test.upper()) for s in p1 if s.p99_ratio() is not None]
        if p99s:
            w = max(p99s)
            out.append(Target("p99 at 50 clients -P 1 within 2x of Redis",
                              "worst %s %s" % (w[1], _fmt_ratio(w[0])), w[0] <= 2.0))
        else:
            out.append(Target("p99 at 50 clients -P 1 within 2x of Redis", "no numbers", None))
    else:
        out.append(Target("every default test -P 1 >= 0.5x, no errors", "not run", None))
        out.append(Target("p99 at 50 clients -P 1 within 2x of Redis", "not run", None))

    big = [s for s in summaries if s.job.suite == "clients" and s.job.clients >= 1000]
    if big:
        errs = [s.errors["crabcache"] for s in big if s.errors.get("crabcache")]
        out.append(Target("1000 clients without errors",
                          "errors: %s" % errs[0] if errs else
                          ", ".join("%s %s" % (s.job.test.upper(), _fmt_ratio(s.ratio())) for s in big),
                          not errs))
    else:
        out.append(Target("1000 clients without errors", "not run", None))

    idle = [s for s in summaries if s.job.suite == "idle" and s.job.idle]
    if idle:
        parts = []
        ok = True
        for s in idle:
            base = _find(summaries, "idle", s.job.test, idle=0)
            a = s.stats.get("crabcache")
            b = base.stats.get("crabcache") if base else None
            if s.errors.get("crabcache") or a is None or b is None:
                parts.append("%s error" % s.job.test.upper())
                ok = False
                continue
            growth = a.p99 / b.p99 if b.p99 else float("inf")
            parts.append("%s p99 %.2f -> %.2f ms (%.2fx)" % (s.job.test.upper(), b.p99, a.p99, growth))
            ok = ok and growth <= 1.5
        out.append(Target("%d idle connections: active p99 grows <= 1.5x" % idle[0].job.idle,
                          "; ".join(parts), ok))
    else:
        out.append(Target("10000 idle connections held", "not run", None))

    m = {(r.server, r.case): r for r in mem}
    a, b = m.get(("crabcache", "string")), m.get(("redis", "string"))
    if a and b and not a.error and not b.error and b.rss_after:
        r = a.rss_after / b.rss_after
        out.append(Target("RSS, %d string keys <= 3x Redis" % a.n, "%.2fx (%.0f vs %.0f MiB)" % (
            r, a.rss_after / 2**20, b.rss_after / 2**20), r <= 3.0))
    else:
        out.append(Target("RSS, 1M string keys <= 3x Redis", "error" if (a and a.error) else "not run",
                          False if (a and a.error) else None))

    st = {r.name: r for r in startup}
    cc, base = st.get("crabcache-server to PONG"), st.get("python -c 'import trio, hiredis'")
    if cc and base and cc.samples and base.samples:
        r = cc.median / base.median
        out.append(Target("start-up to PONG <= 1.5x bare import", "%.2fx (%.0f vs %.0f ms)" % (
            r, cc.median * 1000, base.median * 1000), r <= 1.5))
    else:
        out.append(Target("start-up to PONG <= 1.5x bare import", "not run", None))
    return out


# --- output ------------------------------------------------------------------------
def _num(x: float | None, fmt: str = "%.0f") -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "-"
    return fmt % x


def _short(text: str, limit: int = 100) -> str:
    text = text.replace("`", "'").replace("|", "/")
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _cell(s: Summary, server: str, attr: str, fmt: str) -> str:
    st = s.stats.get(server)
    if s.errors.get(server) and st is None:
        return "ERROR"
    return _num(getattr(st, attr) if st else None, fmt)


def markdown(summaries: list[Summary], mem: list[MemResult], startup: list[StartupResult],
             targets: list[Target], meta: dict[str, Any]) -> str:
    lines = ["# CrabCache vs Redis", ""]
    for k, v in meta.items():
        lines.append("- **%s**: %s" % (k, v))
    lines += ["", "## Targets", "", "| Target | Measured | Met |", "|---|---|---|"]
    for t in targets:
        lines.append("| %s | %s | %s |" % (t.name, t.value, {True: "yes", False: "**no**", None: "-"}[t.met]))
    if any(s.stats.get("baseline") for s in summaries):
        lines += ["", "## CrabCache against the baseline build (same run)", "",
                  "| Test | CrabCache rps | Baseline rps | CrabCache/Baseline | CrabCache/Redis | Baseline/Redis "
                  "| CC CPU/req | Baseline CPU/req | CPU: Baseline/CC |",
                  "|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
        for s in summaries:
            lines.append("| %s | %s | %s | %s | %s | %s | %s | %s | %s |" % (
                s.job.label, _cell(s, "crabcache", "rps", "%.0f"), _cell(s, "baseline", "rps", "%.0f"),
                _fmt_ratio(s.ratio("crabcache", "baseline")), _fmt_ratio(s.ratio()),
                _fmt_ratio(s.ratio("baseline", "redis")), _cell(s, "crabcache", "cpu_us", "%.2f"),
                _cell(s, "baseline", "cpu_us", "%.2f"), _fmt_ratio(s.cpu_ratio("crabcache", "baseline"))))
    if summaries:
        lines += ["", "## Requests/s and latency (median over rounds; latency in ms)", "",
                  "Ratio: CrabCache requests/s / Redis's. CPU/req: server user+sys CPU per request (us); "
                  "CPU ratio: Redis's CPU/req / CrabCache's -- what the throughput ratio becomes when "
                  "the server, not the client, is the bottleneck (LRANGE rows include the LPUSH fill).", "",
                  "| Test | CrabCache rps | Redis rps | Ratio | CC CPU/req | Redis CPU/req | CPU ratio "
                  "| CC p50 | Redis p50 | CC p99 | Redis p99 |",
                  "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
        for s in summaries:
            lines.append("| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |" % (
                s.job.label, _cell(s, "crabcache", "rps", "%.0f"), _cell(s, "redis", "rps", "%.0f"),
                "**%s**" % _fmt_ratio(s.ratio()) if s.ratio() is not None else "-",
                _cell(s, "crabcache", "cpu_us", "%.1f"), _cell(s, "redis", "cpu_us", "%.1f"),
                _fmt_ratio(s.cpu_ratio()) if s.cpu_ratio() is not None else "-",
                _cell(s, "crabcache", "p50", "%.3f"), _cell(s, "redis", "p50", "%.3f"),
                _cell(s, "crabcache", "p99", "%.3f"), _cell(s, "redis", "p99", "%.3f")))
        errs = [(s.job.label, srv, e) for s in summaries for srv, e in s.errors.items() if e]
        if errs:
            lines += ["", "Errors:", ""]
            lines += ["- %s on %s: `%s`" % (label, srv, _short(e)) for label, srv, e in errs]
    if mem:
        lines += ["", "## Memory (RSS after loading; bytes per item = RSS growth / items)", "",
                  "| Case | CrabCache RSS | Redis RSS | Ratio | CC bytes/item | Redis bytes/item |",
                  "|---|---:|---:|---:|---:|---:|"]
        cases: dict[str, dict[str, MemResult]] = {}
        for r in mem:
            cases.setdefault(r.case, {})[r.server] = r
        for case, per in cases.items():
            a, b = per.get("crabcache"), per.get("redis")

            def rss(r: MemResult | None) -> str:
                if r is None:
                    return "-"
                return "ERROR" if r.error else "%.1f MiB" % (r.rss_after / 2**20)

            def bpi(r: MemResult | None) -> str:
                return "-" if r is None or r.error else "%.0f" % r.bytes_per_item

            ratio = (a.rss_after / b.rss_after if a and b and not a.error and not b.error and b.rss_after
                     else None)
            n = (a or b).n  # type: ignore[union-attr]
            lines.append("| %s x %d | %s | %s | %s | %s | %s |" % (
                case, n, rss(a), rss(b), _fmt_ratio(ratio), bpi(a), bpi(b)))
        merrs = [r for r in mem if r.error]
        if merrs:
            lines += [""] + ["- %s %s: `%s`" % (r.server, r.case, _short(r.error or "")) for r in merrs]
    if startup:
        lines += ["", "## Start-up (exec to first PONG; median)", "", "| What | Median ms | Runs |", "|---|---:|---:|"]
        for r in startup:
            lines.append("| %s | %s | %d |" % (r.name, "ERROR" if r.error and not r.samples else
                                               "%.1f" % (r.median * 1000), len(r.samples)))
    return "\n".join(lines) + "\n"


SUMMARY_FIELDS = [
    "suite", "label", "test", "clients", "pipeline", "datasize", "keyspace", "idle", "requests",
    "crabcache_rps", "redis_rps", "ratio", "crabcache_p50_ms", "redis_p50_ms", "crabcache_p99_ms",
    "redis_p99_ms", "crabcache_cpu_us", "redis_cpu_us", "cpu_ratio", "crabcache_rounds", "redis_rounds",
    "crabcache_error", "redis_error",
]


def summary_rows(summaries: list[Summary]) -> list[dict[str, Any]]:
    rows = []
    for s in summaries:
        j = s.job
        d: dict[str, Any] = {
            "suite": j.suite, "label": j.label, "test": j.test, "clients": j.clients,
            "pipeline": j.pipeline, "datasize": j.datasize, "keyspace": j.keyspace, "idle": j.idle,
            "requests": j.requests, "ratio": "" if s.ratio() is None else "%.4f" % s.ratio(),
            "cpu_ratio": "" if s.cpu_ratio() is None else "%.4f" % s.cpu_ratio(),
        }
        for srv in SERVERS:
            st = s.stats.get(srv)
            d["%s_rps" % srv] = "" if st is None else "%.2f" % st.rps
            d["%s_p50_ms" % srv] = "" if st is None else "%.3f" % st.p50
            d["%s_p99_ms" % srv] = "" if st is None else "%.3f" % st.p99
            d["%s_cpu_us" % srv] = "" if st is None or math.isnan(st.cpu_us) else "%.2f" % st.cpu_us
            d["%s_rounds" % srv] = 0 if st is None else st.n
            d["%s_error" % srv] = s.errors.get(srv) or ""
        rows.append(d)
    return rows


def write_csv(path: str, rows: list[dict[str, Any]], fields: list[str]) -> None:
    with open(path, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=fields)
        w.writeheader()
        for r in rows:
            w.writerow(r)


RAW_FIELDS = ["suite", "label", "server", "round", "rps", "avg_ms", "p50_ms", "p95_ms", "p99_ms", "max_ms",
              "cpu_us", "error"]


def raw_rows(samples: list[Sample]) -> list[dict[str, Any]]:
    out = []
    for s in samples:
        d: dict[str, Any] = {"suite": s.job.suite, "label": s.job.label, "server": s.server,
                             "round": s.round, "error": s.error or "",
                             "cpu_us": "" if s.cpu_us is None else "%.2f" % s.cpu_us}
        for f in ("rps", "avg_ms", "p50_ms", "p95_ms", "p99_ms", "max_ms"):
            d[f] = "" if s.row is None else getattr(s.row, f)
        out.append(d)
    return out


def memory_rows(mem: list[MemResult]) -> list[dict[str, Any]]:
    return [{"server": r.server, "case": r.case, "items": r.n, "rss_before": r.rss_before,
             "rss_after": r.rss_after, "bytes_per_item": "%.1f" % r.bytes_per_item, "error": r.error or ""}
            for r in mem]


def startup_rows(st: list[StartupResult]) -> list[dict[str, Any]]:
    return [{"what": r.name, "median_ms": "%.2f" % (r.median * 1000) if r.samples else "",
             "samples_ms": " ".join("%.1f" % (x * 1000) for x in r.samples), "error": r.error or ""}
            for r in st]
