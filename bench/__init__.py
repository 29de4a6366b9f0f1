"""Side-by-side benchmarks of CrabCache against a real redis-server.

``python -m bench`` (see bench/README.md) starts both servers on free loopback
ports with the same settings, runs ``redis-benchmark`` against each in
alternation, measures memory and start-up, and writes a markdown table, a CSV
and a PNG chart under ``bench/results/`` (git-ignored).

Modules: ``servers`` (start/stop, RSS, a tiny RESP client), ``rb`` (running
redis-benchmark and parsing its ``--csv`` output), ``suites`` (what to run),
``memory``, ``startup``, ``report`` (aggregation, targets, markdown/CSV),
``chart`` (matplotlib PNG), ``run`` (the command line).
"""
