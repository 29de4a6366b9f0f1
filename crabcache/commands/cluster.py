"""Commands of features CrabCache runs without: cluster, replication, modules.

Each answers what a non-cluster, non-replicated Redis 7.0.15 with default
settings answers (checked against the real server): CLUSTER and ASKING /
READONLY / READWRITE say cluster support is disabled, MODULE LIST is empty
and LOAD / UNLOAD / LOADEX are refused as with ``enable-module-command no``,
ROLE says master without replicas, FAILOVER finds no replicas, REPLICAOF NO
ONE is a no-op.  Where Redis would start real work we can't do (attaching to
a master, serving SYNC/PSYNC, rewriting an AOF) the reply is an ``-ERR`` that
says so.  LOLWUT lives here too (it prints the version).
"""

from __future__ import annotations

import random
from typing import Any

from .. import REDIS_VERSION
from ..errors import CommandError
from ..protocol.writer import OK, Status
from .args import parse_int
from .persistence import restore
from .registry import command, container

CLUSTER_DISABLED = "ERR This instance has cluster support disabled"
MODULE_DISABLED = (
    'ERR MODULE command not allowed. If the enable-module-command option is set to "local", you can '
    "run it from a local connection, otherwise you need to set this option in the configuration "
    "file, and then restart the server."
)
NO_REPLICATION = "ERR CrabCache does not support replication"


def _cluster_disabled(c: Any, argv: list[bytes]) -> Any:
    raise CommandError(CLUSTER_DISABLED)


# --- CLUSTER ------------------------------------------------------------------------

container("cluster", group="cluster", since="3.0.0", summary="A container for cluster commands")

_ADMIN = "admin stale no_async_loading"
for _name, _arity, _flags, _since in (
    ("addslots", -3, _ADMIN, "3.0.0"), ("addslotsrange", -4, _ADMIN, "7.0.0"),
    ("bumpepoch", 2, _ADMIN, "3.0.0"), ("count-failure-reports", 3, "admin stale", "3.0.0"),
    ("countkeysinslot", 3, "stale", "3.0.0"), ("delslots", -3, _ADMIN, "3.0.0"),
    ("delslotsrange", -4, _ADMIN, "7.0.0"), ("failover", -2, _ADMIN, "3.0.0"),
    ("flushslots", 2, _ADMIN, "3.0.0"), ("forget", 3, _ADMIN, "3.0.0"),
    ("getkeysinslot", 4, "stale", "3.0.0"), ("help", 2, "loading stale", "5.0.0"),
    ("info", 2, "stale", "3.0.0"), ("keyslot", 3, "stale", "3.0.0"), ("links", 2, "stale", "7.0.0"),
    ("meet", -4, _ADMIN, "3.0.0"), ("myid", 2, "stale", "3.0.0"), ("nodes", 2, "stale", "3.0.0"),
    ("replicas", 3, "admin stale", "5.0.0"), ("replicate", 3, _ADMIN, "3.0.0"),
    ("reset", -2, "admin noscript stale", "3.0.0"), ("saveconfig", 2, _ADMIN, "3.0.0"),
    ("set-config-epoch", 3, _ADMIN, "3.0.0"), ("setslot", -4, _ADMIN, "3.0.0"),
    ("shards", 2, "stale", "7.0.0"), ("slaves", 3, "admin stale", "3.0.0"), ("slots", 2, "stale", "3.0.0"),
):
    command("cluster|" + _name, _arity, _flags, group="cluster", since=_since)(_cluster_disabled)

command("asking", 1, "fast", acl="@connection", group="cluster", since="3.0.0")(_cluster_disabled)
command("readonly", 1, "loading stale fast", acl="@connection", group="cluster", since="3.0.0")(_cluster_disabled)
command("readwrite", 1, "loading stale fast", acl="@connection", group="cluster", since="3.0.0")(_cluster_disabled)


@command("restore-asking", -4, "write denyoom asking", keys=(1, 1, 1), acl="@keyspace @dangerous",
         group="server", since="3.0.0")
def restore_asking(c: Any, argv: list[bytes]) -> Any:
    return restore(c, argv)


# --- MODULE -------------------------------------------------------------------------

container("module", group="server", since="4.0.0", summary="A container for module commands")


@command("module|list", 2, "admin noscript", group="server", since="4.0.0")
def module_list(c: Any, argv: list[bytes]) -> Any:
    return []


def _module_disabled(c: Any, argv: list[bytes]) -> Any:
    raise CommandError(MODULE_DISABLED)


command("module|load", -3, "admin noscript no_async_loading", group="server", since="4.0.0")(_module_disabled)
command("module|loadex", -3, "admin noscript no_async_loading", group="server", since="7.0.0")(_module_disabled)
command("module|unload", 3, "admin noscript no_async_loading", group="server", since="4.0.0")(_module_disabled)

MODULE_HELP = [
    "MODULE <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "LIST",
    "    Return a list of loaded modules.",
    "LOAD <path> [<arg> ...]",
    "    Load a module library from <path>, passing to it any optional arguments.",
    "LOADEX <path> [[CONFIG NAME VALUE] [CONFIG NAME VALUE]] [ARGS ...]",
    "    Load a module library from <path>, while passing it module configurations and optional arguments.",
    "UNLOAD <name>",
    "    Unload a module.",
    "HELP",
    "    Prints this help.",
]


@command("module|help", 2, "loading stale", group="server", since="5.0.0")
def module_help(c: Any, argv: list[bytes]) -> Any:
    return [Status(line) for line in MODULE_HELP]


# --- replication --------------------------------------------------------------------

@command("role", 1, "noscript loading stale fast", acl="@admin @dangerous", group="server", since="2.8.12")
def role(c: Any, argv: list[bytes]) -> Any:
    return [b"master", 0, []]


def _replicaof(c: Any, argv: list[bytes]) -> Any:
    if argv[1].lower() == b"no" and argv[2].lower() == b"one":
        return OK  # already a master
    try:
        int(argv[2])
    except ValueError:
        raise CommandError("ERR Invalid master port") from None
    raise CommandError(NO_REPLICATION)


command("replicaof", 3, "admin noscript stale no_async_loading", group="server", since="5.0.0")(_replicaof)
command("slaveof", 3, "admin noscript stale no_async_loading", group="server", since="1.0.0")(_replicaof)


def _no_sync(c: Any, argv: list[bytes]) -> Any:
    raise CommandError(NO_REPLICATION)


command("sync", 1, "admin noscript no_async_loading no_multi", group="server", since="1.0.0")(_no_sync)
command("psync", -3, "admin noscript no_async_loading no_multi", group="server", since="2.8.0")(_no_sync)

_REPLCONF_OPTIONS = (b"listening-port", b"ip-address", b"capa", b"ack", b"getack", b"rdb-only")


@command("replconf", -1, "admin noscript loading stale allow_busy", group="server", since="3.0.0")
def replconf(c: Any, argv: list[bytes]) -> Any:
    if len(argv) % 2 == 0:
        raise CommandError("ERR syntax error")
    for i in range(1, len(argv), 2):
        if argv[i].lower() not in _REPLCONF_OPTIONS:
            raise CommandError("ERR Unrecognized REPLCONF option: %s" % argv[i].decode("latin-1"))
    return OK


@command("failover", -1, "admin noscript stale", group="server", since="6.2.0")
def failover(c: Any, argv: list[bytes]) -> Any:
    abort = to = False
    timeout = None
    i = 1
    while i < len(argv):
        a = argv[i].lower()
        if a == b"to" and i + 2 < len(argv) and not to:
            parse_int(argv[i + 2])
            to, i = True, i + 3
        elif a == b"timeout" and i + 1 < len(argv) and timeout is None:
            timeout, i = parse_int(argv[i + 1]), i + 2
        elif a == b"abort" and not abort:
            abort, i = True, i + 1
        elif a == b"force":
            i += 1
        else:
            raise CommandError("ERR syntax error")
    if abort and (to or timeout is not None):
        raise CommandError("ERR syntax error")
    if timeout is not None and timeout <= 0:
        raise CommandError("ERR FAILOVER timeout must be greater than 0")
    if abort:
        raise CommandError("ERR No failover in progress.")
    raise CommandError("ERR FAILOVER requires connected replicas.")


# --- LOLWUT -------------------------------------------------------------------------

def _schotter(cols: int, squares_per_row: int, squares_per_col: int) -> str:
    """A small take on Georg Nees's "Schotter" in braille dots: squares that
    tumble more the further down they are."""
    size = 8
    w, h = squares_per_row * size, squares_per_col * size
    px = [[False] * (w + 2) for _ in range(h + 4)]
    for row in range(squares_per_col):
        for col in range(squares_per_row):
            jitter = row / max(squares_per_col, 1)
            ox = col * size + 1 + int(random.uniform(-1, 1) * jitter * 2)
            oy = row * size + 1 + int(random.uniform(-1, 1) * jitter * 2)
            for k in range(size - 1):
                for x, y in ((ox + k, oy), (ox + k, oy + size - 2), (ox, oy + k), (ox + size - 2, oy + k)):
                    if 0 <= x < w + 2 and 0 <= y < h + 4:
                        px[y][x] = True
    bits = ((0, 0, 0x01), (0, 1, 0x02), (0, 2, 0x04), (1, 0, 0x08), (1, 1, 0x10), (1, 2, 0x20),
            (0, 3, 0x40), (1, 3, 0x80))
    lines = []
    for y in range(0, len(px) - 3, 4):
        line = []
        for x in range(0, min(len(px[0]) - 1, cols * 2), 2):
            code = sum(bit for dx, dy, bit in bits if px[y + dy][x + dx])
            line.append(chr(0x2800 + code))
        lines.append("".join(line))
    return "\n".join(lines)


@command("lolwut", -1, "readonly fast", group="server", since="5.0.0")
def lolwut(c: Any, argv: list[bytes]) -> Any:
    version = 7
    rest = argv[1:]
    if len(rest) >= 2 and rest[0].lower() == b"version":
        version = parse_int(rest[1])
        rest = rest[2:]
    else:
        rest = []
    if version == 5:
        nums = [parse_int(a) for a in rest[:3]]
        cols, rows, cols_sq = (nums + [66, 8, 12][len(nums):])[:3]
        cols = max(1, min(cols, 1000))
        art = _schotter(cols, max(1, min(rows, 1000)), max(1, min(cols_sq, 200)))
        text = art + "\n\nGeorg Nees - schotter, plotter on paper, 1968. Redis ver. %s\n" % REDIS_VERSION
        return text.encode()
    if version == 6:
        return ("Dedicated to the 8 bit game developers of past and present.\n"
                "Original 8 bit image from Plaguemon by hikikomori. Redis ver. %s\n" % REDIS_VERSION).encode()
    return ("Redis ver. %s\n" % REDIS_VERSION).encode()
