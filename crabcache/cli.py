"""``crabcache-server [/path/to/crabcache.conf] [--name value ...]``, like redis-server.

Start-up imports only what serving needs: command modules load with the
dispatcher, nothing else is imported eagerly (bench/ measures start-up time).
"""

from __future__ import annotations

import sys

from . import REDIS_VERSION, __version__
from .config import ConfigError, load

USAGE = """Usage: crabcache-server [/path/to/crabcache.conf] [options]
       crabcache-server - (read config from stdin)
       crabcache-server -v or --version
       crabcache-server -h or --help

Examples:
       crabcache-server (run the server with default config)
       crabcache-server /etc/crabcache/6379.conf
       crabcache-server --port 7777
       crabcache-server --port 7777 --requirepass secret
       crabcache-server /etc/myredis.conf --loglevel verbose
"""


def main(argv: list[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else argv
    if args and args[0] in ("-v", "--version"):
        print("CrabCache server v=%s redis_version=%s" % (__version__, REDIS_VERSION))
        return
    if args and args[0] in ("-h", "--help"):
        print(USAGE)
        return
    if args and args[0] == "-":
        import tempfile

        with tempfile.NamedTemporaryFile("w", suffix=".conf", delete=False) as f:
            f.write(sys.stdin.read())
        args = [f.name] + args[1:]
    try:
        config = load(args)
    except (ConfigError, OSError) as e:
        print("\n*** FATAL CONFIG FILE ERROR (CrabCache %s) ***\n%s" % (__version__, e), file=sys.stderr)
        sys.exit(1)

    import gc

    import trio

    from . import commands  # noqa: F401  (registers every command)
    from .log import Log
    from .server.app import banner, fifo_scheduling, serve
    from .server.state import Server

    log = Log(config["loglevel"], config["logfile"])
    log.warning("oO0OoO0OoO0Oo CrabCache is starting oO0OoO0OoO0Oo")
    log.warning(banner(config))
    log.warning("Configuration loaded" if config.file else
                "Warning: no config file specified, using the default config. "
                "In order to specify a config file use crabcache-server /path/to/crabcache.conf")
    server = Server(config)
    server.hooks["log"] = log
    from .persistence import aof
    from .persistence.snapshot import load_at_startup, state

    # loadDataFromDisk: with appendonly yes the AOF is the dataset (dump.rdb is not read).
    # Without the cyclic GC meanwhile: loading makes only live objects, and every 25%
    # of growth would cost a full collection (~0.3 us per container key each).
    gc.disable()
    if not (aof.load_at_startup(server) if config["appendonly"] else load_at_startup(server)):
        sys.exit(1)
    # What exists now -- modules, the command table, the dataset just loaded -- lives
    # as long as the server: gc.freeze() takes it out of every later full collection,
    # which then scans only what came after (with ~860k hashes loaded, each such
    # collection was a ~250 ms pause for every client).  Values are still freed by
    # reference counting when deleted; they hold no reference cycles.
    gc.freeze()
    gc.enable()
    state(server).autosave = True  # save points, shutdown save: the real server only
    if config["pidfile"]:
        with open(config["pidfile"], "w") as pidfile:
            import os

            pidfile.write("%d\n" % os.getpid())
    fifo_scheduling()
    try:
        trio.run(lambda: serve(server=server, log=log, signals=True))
    except OSError as e:
        log.warning("Failed listening: %s" % e)
        sys.exit(1)
    except KeyboardInterrupt:
        pass
