"""What to run: a flat list of jobs, each one ``redis-benchmark -t test`` shape.

Suites (names used by ``--suites``):

* ``p1``       the default test list, 50 clients, ``-P 1``
* ``p16``      the default test list, 50 clients, ``-P 16``
* ``clients``  GET and SET with 1, 10, 50, 200, 1000 connections
* ``large``    GET and SET with 4096-byte values
* ``keyspace`` SET, GET, INCR, SADD, HSET, ZADD with ``-r 1000000`` random keys/members
* ``idle``     GET and SET at 50 clients, without and then with 10,000 idle connections
* ``aof``      SET, GET, INCR, LPUSH at ``-P 1`` and SET, GET at ``-P 16`` with
               ``appendonly yes`` (``appendfsync everysec``, the default) on both servers
"""

from __future__ import annotations

from dataclasses import dataclass

from .rb import DEFAULT_TESTS

ALL_SUITES = ["p1", "p16", "clients", "large", "keyspace", "idle", "aof"]
CLIENT_COUNTS = [1, 10, 50, 200, 1000]


@dataclass(frozen=True)
class Job:
    suite: str
    test: str  # redis-benchmark -t name
    clients: int = 50
    requests: int = 100000
    pipeline: int = 1
    datasize: int = 0
    keyspace: int = 0
    idle: int = 0  # idle connections held open during the run

    @property
    def label(self) -> str:
        """Short human name, unique within a run."""
        t = self.test.upper()
        if self.suite in ("p1", "p16"):
            return "%s -P %d" % (t, self.pipeline)
        if self.suite == "clients":
            return "%s c=%d" % (t, self.clients)
        if self.suite == "large":
            return "%s -d %d" % (t, self.datasize)
        if self.suite == "keyspace":
            return "%s -r %d" % (t, self.keyspace)
        if self.suite == "idle":
            return "%s +%d idle" % (t, self.idle)
        if self.suite == "aof":
            return "%s -P %d AOF" % (t, self.pipeline)
        return "%s %s" % (self.suite, t)

    def key(self) -> tuple:
        return (self.suite, self.test, self.clients, self.pipeline, self.datasize, self.keyspace, self.idle)


def build(suites: list[str], requests: int, tests: list[str] | None = None,
          client_counts: list[int] | None = None, idle: int = 10000) -> list[Job]:
    """The job list.  ``requests`` is the -n of a ``-P 1`` test; others scale from it."""
    tests = tests or DEFAULT_TESTS
    jobs: list[Job] = []
    for s in suites:
        if s == "p1":
            jobs += [Job("p1", t, requests=requests) for t in tests]
        elif s == "p16":
            # Pipelining is ~10x faster: more requests keep each run long enough to
            # measure -- except LRANGE, whose replies are big enough already.
            jobs += [Job("p16", t, requests=requests if t.startswith("lrange") else requests * 5, pipeline=16)
                     for t in tests]
        elif s == "clients":
            for c in client_counts or CLIENT_COUNTS:
                # At least 100 requests per connection so every client is measured.
                n = max(requests, c * 100)
                jobs += [Job("clients", t, clients=c, requests=n) for t in ("set", "get")]
        elif s == "large":
            jobs += [Job("large", t, requests=requests, datasize=4096) for t in ("set", "get")]
        elif s == "keyspace":
            jobs += [Job("keyspace", t, requests=requests, keyspace=1000000)
                     for t in ("set", "get", "incr", "sadd", "hset", "zadd")]
        elif s == "idle":
            for n_idle in (0, idle):
                jobs += [Job("idle", t, requests=requests, idle=n_idle) for t in ("set", "get")]
        elif s == "aof":
            jobs += [Job("aof", t, requests=requests) for t in ("set", "get", "incr", "lpush")]
            jobs += [Job("aof", t, requests=requests * 5, pipeline=16) for t in ("set", "get")]
        else:
            raise ValueError("unknown suite %r (known: %s)" % (s, ", ".join(ALL_SUITES)))
    return jobs
