"""The command table: every command declared once, next to its handler.

    @command("get", arity=2, flags="readonly fast", keys=(1, 1, 1), group="string", since="1.0.0")
    def get(c: Session, argv: list[bytes]):
        ...

The declaration is Redis's metadata: arity with Redis's sign convention
(``-N`` means "at least N"), flags, the legacy (first, last, step) key
positions, ACL categories (derived from flags and group as Redis does, plus
any extra given), group and version.  Subcommands are declared as
``"client|list"`` and hang off their container.  The dispatcher, COMMAND
(INFO, DOCS, COUNT, LIST, GETKEYS), INFO commandstats and ACL categories all
read this table and nothing else.

Handlers are synchronous: ``handler(session, argv) -> reply value`` (see
``protocol.writer`` for the values) or raise ``CommandError``.  A handler that
must wait returns a ``Deferred`` (``commands.base``) and the connection awaits it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from operator import attrgetter
from typing import Any, Callable

Handler = Callable[[Any, list[bytes]], Any]
# A run handler: (session, cmds, i, out) -> j; see Command.run.
RunHandler = Callable[[Any, list[list[bytes]], int, list[bytes]], int]

# Redis's group -> ACL category for data-type groups (others have none).
_GROUP_CATEGORY = {
    "string": "@string", "list": "@list", "hash": "@hash", "set": "@set",
    "sorted-set": "@sortedset", "stream": "@stream", "bitmap": "@bitmap",
    "hyperloglog": "@hyperloglog", "geo": "@geo", "pubsub": "@pubsub", "generic": "@keyspace",
    "transactions": "@transaction", "scripting": "@scripting", "connection": "@connection",
}


LATENCY_BUCKETS = 21  # power-of-two levels from 1024 ns (dispatch.LAT_BUCKET)
LATENCY_SINK = [0] * LATENCY_BUCKETS


@dataclass(eq=False)
class Command:
    name: str  # lowercase; "container|sub" for subcommands
    handler: Handler | None
    arity: int
    flags: frozenset[str]
    first_key: int = 0
    last_key: int = 0
    step: int = 0
    acl: tuple[str, ...] = ()
    group: str = "generic"
    since: str = "1.0.0"
    summary: str = ""
    complexity: str = ""
    tips: tuple[str, ...] = ()
    # Optional: a function argv -> list of key indexes, for commands whose keys
    # the (first, last, step) triple can't describe (numkeys forms, SORT ...).
    getkeys: Callable[[list[bytes]], list[int]] | None = None
    subcommands: dict[bytes, "Command"] = field(default_factory=dict)
    parent: "Command | None" = None
    # statistics for INFO commandstats
    calls: int = 0
    ns: int = 0  # time in the handler; INFO shows usec
    rejected_calls: int = 0
    failed_calls: int = 0
    # Latency tracking (INFO latencystats, LATENCY HISTOGRAM; commands/introspection.py):
    # the command's histogram, and ``hist``, where the dispatcher records -- that
    # list while latency-tracking is yes, else a shared sink nobody reads.
    latency_hist: list[int] = field(default_factory=lambda: [0] * LATENCY_BUCKETS)
    hist: list[int] = field(default_factory=lambda: LATENCY_SINK)

    # Flags the dispatcher tests on the hot path, precomputed.
    write: bool = False
    denyoom: bool = False
    noauth: bool = False
    multi_control: bool = False  # MULTI/EXEC/DISCARD/WATCH... run even while queuing
    pubsub_ok: bool = False  # allowed in RESP2 subscribed mode
    # The argument counts (len(argv), arity included) with which the command
    # takes the dispatcher's fast lane (dispatch.run_batch); an empty range
    # (lo > hi) for commands that never do.  Lane commands are those of a data
    # family (or PING/ECHO) without subcommands: they change no client or
    # server state that the dispatcher's checks depend on.
    lane_lo: int = 1
    lane_hi: int = 0
    # Optional, for the commands that pipelines repeat most (GET, SET): runs
    # cmds[i:j] -- same name as cmds[i], one loop, replies encoded into out --
    # for as long as every command is its plain common case, and returns j
    # (i if none is).  dispatch.run_same calls it before its generic loop, which
    # takes over from cmds[j] with the handler; it keeps run_same's contract
    # (no maxmemory, plain session) and must give the replies, stats and side
    # effects ``handler`` would (tests/test_run_handlers.py compares the two).
    run: RunHandler | None = None

    @property
    def usec(self) -> int:
        return self.ns // 1000

    @property
    def container_name(self) -> str:
        return self.parent.name if self.parent else self.name

    def key_indexes(self, argv: list[bytes]) -> list[int]:
        """Positions of key arguments in ``argv`` (COMMAND GETKEYS, cluster slots)."""
        if self.getkeys is not None:
            return self.getkeys(argv)
        if self.first_key <= 0:
            return []
        last = self.last_key if self.last_key >= 0 else len(argv) + self.last_key
        return list(range(self.first_key, min(last, len(argv) - 1) + 1, self.step or 1))

    def acl_categories(self) -> list[str]:
        if self.handler is None:  # a pure container (CLIENT, CONFIG, XGROUP ...): Redis says @slow only
            return ["@slow", *self.acl]
        cats: list[str] = []
        f = self.flags
        if "write" in f:
            cats.append("@write")
        if "readonly" in f and self.group != "scripting":
            cats.append("@read")
        if "admin" in f:
            cats += ["@admin", "@dangerous"]
        if "pubsub" in f and self.group != "pubsub":
            cats.append("@pubsub")
        if "fast" in f:
            cats.append("@fast")
        if "blocking" in f:
            cats.append("@blocking")
        if "fast" not in f:
            cats.append("@slow")
        g = _GROUP_CATEGORY.get(self.group)
        if g and g not in cats:
            cats.append(g)
        for extra in self.acl:
            if extra.startswith("-"):  # "-@keyspace": Redis's json leaves a derived category out
                if extra[1:] in cats:
                    cats.remove(extra[1:])
            elif extra not in cats:
                cats.append(extra)
        return cats


COMMANDS: dict[bytes, Command] = {}  # lowercase and uppercase names -> top-level command

# Groups whose commands only read and write the keyspace (and may block,
# which the connection handles): they can take the dispatcher's fast lane
# (Command.lane_lo/lane_hi).
_LANE_GROUPS = frozenset((
    "string", "bitmap", "list", "hash", "set", "sorted-set", "stream", "hyperloglog", "geo", "generic",
))
_LANE_EXTRA = frozenset(("ping", "echo"))


def command(
    name: str,
    arity: int,
    flags: str = "",
    keys: tuple[int, int, int] = (0, 0, 0),
    acl: str = "",
    group: str = "generic",
    since: str = "1.0.0",
    summary: str = "",
    complexity: str = "",
    tips: str = "",
    getkeys: Callable[[list[bytes]], list[int]] | None = None,
) -> Callable[[Handler], Handler]:
    """Declare a command (or ``container|sub`` subcommand) and its handler."""

    def register(fn: Handler) -> Handler:
        declare(name, fn, arity, flags, keys, acl, group, since, summary, complexity, tips, getkeys)
        return fn

    return register


def runs(name: str) -> Callable[[RunHandler], RunHandler]:
    """Attach a run handler (see ``Command.run``) to the declared command ``name``."""

    def register(fn: RunHandler) -> RunHandler:
        COMMANDS[name.encode()].run = fn
        return fn

    return register


def declare(
    name: str,
    fn: Handler | None,
    arity: int,
    flags: str = "",
    keys: tuple[int, int, int] = (0, 0, 0),
    acl: str = "",
    group: str = "generic",
    since: str = "1.0.0",
    summary: str = "",
    complexity: str = "",
    tips: str = "",
    getkeys: Callable[[list[bytes]], list[int]] | None = None,
) -> Command:
    fl = frozenset(flags.split())
    cmd = Command(
        name=name, handler=fn, arity=arity, flags=fl, first_key=keys[0], last_key=keys[1],
        step=keys[2], acl=tuple(acl.split()), group=group, since=since, summary=summary,
        complexity=complexity, tips=tuple(tips.split()), getkeys=getkeys,
        write="write" in fl, denyoom="denyoom" in fl, noauth="no_auth" in fl,
        multi_control="no_multi" in fl or name in ("exec", "discard", "multi", "watch", "quit", "reset"),
        pubsub_ok=name in ("subscribe", "unsubscribe", "psubscribe", "punsubscribe",
                           "ssubscribe", "sunsubscribe", "ping", "quit", "reset"),
    )
    if fn is not None and "|" not in name and (group in _LANE_GROUPS or name in _LANE_EXTRA):
        cmd.lane_lo, cmd.lane_hi = (arity, arity) if arity > 0 else (-arity, 1 << 62)
    if "|" in name:
        parent_name, sub = name.split("|", 1)
        parent = COMMANDS.get(parent_name.encode())
        if parent is None:
            raise KeyError("declare container %r before %r" % (parent_name, name))
        cmd.parent = parent
        parent.subcommands[sub.encode()] = cmd
        parent.lane_lo, parent.lane_hi = 1, 0
    else:
        if name.encode() in COMMANDS:
            raise KeyError("command %r declared twice" % name)
        COMMANDS[name.encode()] = cmd
        COMMANDS[name.upper().encode()] = cmd
    return cmd


def container(name: str, group: str = "generic", since: str = "1.0.0", summary: str = "") -> Command:
    """Declare a command that only has subcommands (CLIENT, CONFIG, OBJECT ...)."""
    return declare(name, None, -2, "", group=group, since=since, summary=summary)


_every: tuple[int, tuple[Command, ...]] = (-1, ())  # (len(COMMANDS) when built, commands and subcommands)


def total_calls() -> int:
    """INFO's total_commands_processed: every call() counts its command once.

    The sampler asks 10 times a second; building the command list each time made
    a ~60 us pause in every client's turn, so the list is kept until the table grows.
    """
    global _every
    if _every[0] != len(COMMANDS):
        tops = all_commands()
        _every = (len(COMMANDS), (*tops, *(s for c in tops for s in c.subcommands.values())))
    return sum(map(_calls, _every[1]))


_calls = attrgetter("calls")


def all_commands() -> list[Command]:
    """Top-level commands, each once."""
    seen: dict[str, Command] = {}
    for c in COMMANDS.values():
        seen.setdefault(c.name, c)
    return list(seen.values())
