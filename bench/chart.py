"""The PNG: ratio per test (left), latency per client count (right)."""

from __future__ import annotations

import math

from .report import Summary


def draw(path: str, summaries: list[Summary], title: str = "CrabCache vs Redis") -> bool:
    """Write the chart; False if matplotlib is missing or there is nothing to draw."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return False
    bars = [s for s in summaries if s.job.suite != "clients"]
    sweep = [s for s in summaries if s.job.suite == "clients"]
    if not bars and not sweep:
        return False
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(15, max(6, 0.28 * len(bars) + 1.5)),
                                   gridspec_kw={"width_ratios": [1.2, 1]})
    # Left: requests/s ratio, one bar per test; errors drawn as red "x".
    labels = [s.job.label for s in bars][::-1]
    ratios = [s.ratio() for s in bars][::-1]
    ys = list(range(len(labels)))
    colors = ["tab:green" if r is not None and r >= 0.8 else "tab:orange" if r is not None and r >= 0.5
              else "tab:red" for r in ratios]
    ax1.barh(ys, [r or 0 for r in ratios], color=colors)
    for y, r in zip(ys, ratios):
        ax1.text((r or 0) + 0.01, y, "error" if r is None else "%.2f" % r, va="center", fontsize=7)
    cpu = [s.cpu_ratio() for s in bars][::-1]
    pts = [(c, y) for c, y in zip(cpu, ys) if c is not None]
    if pts:
        ax1.scatter([c for c, _ in pts], [y for _, y in pts], marker="|", s=120, color="black", zorder=3,
                    label="CPU ratio (Redis CPU/req / CrabCache's)")
        ax1.legend(fontsize=7, loc="lower right")
    for x, style in ((0.5, ":"), (0.8, "--"), (1.0, "-")):
        ax1.axvline(x, color="grey", linestyle=style, linewidth=0.8)
    ax1.set_yticks(ys)
    ax1.set_yticklabels(labels, fontsize=7)
    ax1.set_xlabel("CrabCache requests/s / Redis requests/s (median)")
    ax1.set_title("Throughput ratio per test (targets: 0.5, 0.8)")
    # Right: p50/p99 per client count, both servers, log-log.
    for test, marker in (("get", "o"), ("set", "s")):
        pts = sorted((s.job.clients, s) for s in sweep if s.job.test == test)
        for server, color in (("crabcache", "tab:red"), ("redis", "tab:blue")):
            for q, style in (("p50", "-"), ("p99", "--")):
                xs, ys2 = [], []
                for c, s in pts:
                    st = s.stats.get(server)
                    if st is not None and not math.isnan(getattr(st, q)):
                        xs.append(c)
                        ys2.append(max(getattr(st, q), 1e-3))
                if xs:
                    ax2.plot(xs, ys2, style, marker=marker, color=color, markersize=4,
                             label="%s %s %s" % (server, test.upper(), q))
    if sweep:
        ax2.set_xscale("log")
        ax2.set_yscale("log")
        ax2.legend(fontsize=7)
    ax2.set_xlabel("connections")
    ax2.set_ylabel("latency (ms)")
    ax2.set_title("Latency per client count (-P 1)")
    fig.suptitle(title)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return True
