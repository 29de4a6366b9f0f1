"""COMMAND and its subcommands, generated from the command table (registry.py).

Nothing here is declared twice: arity, flags, key positions, ACL categories,
group, since and summary all come from each command's ``@command``
declaration; key specs, tips and a few ACL/flag fixes come from the one
table in ``keyspecs.py`` (Redis 7.0.15's), which GETKEYS also reads.
"""

from __future__ import annotations

from typing import Any

from .. import errors
from ..errors import CommandError
from ..glob import compile_glob
from ..protocol.writer import Map, Set, Status
from . import keyspecs
from .registry import COMMANDS, Command, all_commands, command, container

# Redis's ACL category table order; COMMAND INFO lists categories in this order.
ACL_ORDER = [
    "@keyspace", "@read", "@write", "@set", "@sortedset", "@list", "@hash", "@string", "@bitmap",
    "@hyperloglog", "@geo", "@stream", "@pubsub", "@admin", "@fast", "@slow", "@blocking",
    "@dangerous", "@connection", "@transaction", "@scripting",
]
_ACL_RANK = {c: i for i, c in enumerate(ACL_ORDER)}


def acl_categories(cmd: Command) -> list[str]:
    return sorted(cmd.acl_categories(), key=lambda c: _ACL_RANK.get(c, 99))


def _spec_reply(spec: keyspecs.KeySpec) -> Map:
    begin, find = spec.begin, spec.find
    if begin[0] == "index":
        bs = Map([b"index", begin[1]])
    elif begin[0] == "keyword":
        bs = Map([b"keyword", begin[1].encode(), b"startfrom", begin[2]])
    else:
        bs = Map()
    if find[0] == "range":
        fk = Map([b"lastkey", find[1], b"keystep", find[2], b"limit", find[3]])
    elif find[0] == "keynum":
        fk = Map([b"keynumidx", find[1], b"firstkey", find[2], b"keystep", find[3]])
    else:
        fk = Map()
    out = Map([b"notes", spec.notes.encode()]) if spec.notes else Map()
    out += [
        b"flags", Set([Status(f) for f in spec.flags]),
        b"begin_search", Map([b"type", begin[0].encode(), b"spec", bs]),
        b"find_keys", Map([b"type", find[0].encode(), b"spec", fk]),
    ]
    return out


def key_specs(cmd: Command) -> list[Any]:
    return [_spec_reply(s) for s in keyspecs.specs_of(cmd)]


def command_info(cmd: Command) -> list[Any]:
    return [
        cmd.name.encode(),
        cmd.arity,
        Set([Status(f) for f in sorted((f for f in cmd.flags if f in _FLAG_ORDER), key=_FLAG_ORDER.index)]),
        cmd.first_key,
        cmd.last_key,
        cmd.step,
        Set([Status(c) for c in acl_categories(cmd)]),
        Set([t.encode() for t in cmd.tips]),
        Set(key_specs(cmd)),
        # Redis 7.0.15 in RESP3: an empty set without subcommands, else an array.
        [command_info(s) for s in cmd.subcommands.values()] if cmd.subcommands else Set(),
    ]


# Redis prints command flags in its own table order.
_FLAG_ORDER = [
    "write", "readonly", "denyoom", "module", "admin", "pubsub", "noscript", "blocking",
    "loading", "stale", "skip_monitor", "skip_slowlog", "asking", "fast", "no_auth",
    "may_replicate", "sentinel", "only_sentinel", "no_mandatory_keys", "protected",
    "module_getkeys", "module_no_cluster", "no_async_loading", "no_multi", "movablekeys",
    "allow_busy",
]
# Declared for the dispatcher's sake but not shown by COMMAND INFO in 7.0.15.
_FLAG_ORDER.remove("may_replicate")
_FLAG_ORDER.remove("sentinel")
_FLAG_ORDER.remove("only_sentinel")


def _doc_value(key: str, v: Any) -> Any:
    if isinstance(v, int):
        return v
    if isinstance(v, str):
        return v.encode()
    if key in ("doc_flags", "flags"):
        return Set([Status(f) for f in v])
    if key == "history":
        return Set([[ver.encode(), text.encode()] for ver, text in v])
    if key == "arguments":
        return [Map([x for k, val in arg.items() for x in (k.encode(), _doc_value(k, val))]) for arg in v]
    if key == "subcommands":
        return Map([x for name, d in v.items() for x in (name.encode(), _doc_value("", d))])
    return Map([x for k, val in v.items() for x in (k.encode(), _doc_value(k, val))])


def _redis_docs(cmd: Command) -> dict[str, Any] | None:
    from .docs_data import DOCS  # large: loaded on the first COMMAND DOCS only

    docs: dict[str, Any] = DOCS
    if cmd.parent is None:
        return docs.get(cmd.name)
    parent = docs.get(cmd.parent.name)
    return parent.get("subcommands", {}).get(cmd.name) if parent else None


def command_docs(cmd: Command) -> Map:
    """Redis 7.0.15's docs for the command (docs_data.py), else what the declaration says."""
    d = _redis_docs(cmd)
    if d is not None:
        if not cmd.subcommands:
            return _doc_value("", d)
        # Subcommands from our table (in Redis's words where it has them).
        doc = _doc_value("", {k: v for k, v in d.items() if k != "subcommands"})
    else:
        doc = Map([
            b"summary", (cmd.summary or cmd.name.replace("|", " ").upper()).encode(),
            b"since", cmd.since.encode(),
            b"group", cmd.group.encode(),
            b"complexity", (cmd.complexity or ("Depends on subcommand." if cmd.subcommands else "O(1)")).encode(),
        ])
    if cmd.subcommands:
        sub = Map()
        for s in cmd.subcommands.values():
            sub += [s.name.encode(), command_docs(s)]
        doc += [b"subcommands", sub]
    return doc


container("command", group="server", since="2.8.13", summary="Get array of Redis command details")
# COMMAND with no subcommand is valid too: the container handles it below.
_cmd = COMMANDS[b"command"]
_cmd.arity = -1
_cmd.flags = frozenset(("loading", "stale"))
_cmd.acl = ("@connection",)
_cmd.tips = ("nondeterministic_output_order",)


def _command_all(c: Any, argv: list[bytes]) -> Any:
    return [command_info(cmd) for cmd in all_commands()]


COMMANDS[b"command"].handler = _command_all


@command("command|count", 2, "loading stale", group="server", since="2.8.13")
def command_count(c: Any, argv: list[bytes]) -> Any:
    return len(all_commands())


@command("command|info", -2, "loading stale", group="server", since="2.8.13")
def command_info_(c: Any, argv: list[bytes]) -> Any:
    if len(argv) == 2:
        return _command_all(c, argv)
    out = []
    for name in argv[2:]:
        cmd = _find(name)
        out.append(command_info(cmd) if cmd is not None else None)  # $-1, as Redis
    return out


@command("command|docs", -2, "loading stale", group="server", since="7.0.0")
def command_docs_(c: Any, argv: list[bytes]) -> Any:
    out = Map()
    cmds = all_commands() if len(argv) == 2 else [x for x in map(_find, argv[2:]) if x is not None]
    for cmd in cmds:
        out += [cmd.name.encode(), command_docs(cmd)]
    return out


@command("command|list", -2, "loading stale", group="server", since="7.0.0")
def command_list(c: Any, argv: list[bytes]) -> Any:
    names = []
    for cmd in all_commands():
        names.append(cmd)
        names.extend(cmd.subcommands.values())
    if len(argv) > 2:
        if len(argv) != 5 or argv[2].lower() != b"filterby":
            raise CommandError(errors.SYNTAX)
        kind, arg = argv[3].lower(), argv[4]
        if kind == b"module":
            names = []  # no modules
        elif kind == b"aclcat":
            cat = "@" + arg.decode("latin-1").lower()
            names = [x for x in names if cat in x.acl_categories()]
        elif kind == b"pattern":
            match = compile_glob(arg, True)
            names = [x for x in names if match(x.name.encode())]
        else:
            raise CommandError(errors.SYNTAX)
    return [x.name.encode() for x in names]


def _getkeys(argv: list[bytes]) -> tuple[Command, list[tuple[int, tuple[str, ...]]]]:
    cmd = _find(argv[2]) if b"|" not in argv[2] else None
    args = argv[2:]
    if cmd is not None and cmd.subcommands:
        cmd = cmd.subcommands.get(args[1].lower())
    if cmd is None:
        raise CommandError("ERR Invalid command specified")
    specs = keyspecs.specs_of(cmd)
    if "movablekeys" not in cmd.flags and all("not_key" in s.flags for s in specs):
        raise CommandError("ERR The command has no key arguments")
    a = cmd.arity
    if (a > 0 and len(args) != a) or len(args) < -a:
        raise CommandError("ERR Invalid number of arguments specified for command")
    keys = keyspecs.keys_and_flags(cmd, args)
    if not keys and "no_mandatory_keys" not in cmd.flags:
        raise CommandError("ERR Invalid arguments specified for command")
    return cmd, keys


@command("command|getkeys", -4, "loading stale", group="server", since="2.8.13")
def command_getkeys(c: Any, argv: list[bytes]) -> Any:
    _, keys = _getkeys(argv)
    return [argv[2 + i] for i, _ in keys]


@command("command|getkeysandflags", -4, "loading stale", group="server", since="7.0.0")
def command_getkeysandflags(c: Any, argv: list[bytes]) -> Any:
    _, keys = _getkeys(argv)
    return [[argv[2 + i], Set([Status(f) for f in flags])] for i, flags in keys]


@command("command|help", 2, "loading stale", group="server", since="5.0.0")
def command_help(c: Any, argv: list[bytes]) -> Any:
    lines = [
        "COMMAND <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "(no subcommand)",
        "    Return details about all Redis commands.",
        "COUNT",
        "    Return the total number of commands in this Redis server.",
        "LIST",
        "    Return a list of all commands in this Redis server.",
        "INFO [<command-name> ...]",
        "    Return details about multiple Redis commands.",
        "    If no command names are given, documentation details for all",
        "    commands are returned.",
        "DOCS [<command-name> ...]",
        "    Return documentation details about multiple Redis commands.",
        "    If no command names are given, documentation details for all",
        "    commands are returned.",
        "GETKEYS <full-command>",
        "    Return the keys from a full Redis command.",
        "GETKEYSANDFLAGS <full-command>",
        "    Return the keys and the access flags from a full Redis command.",
        "HELP",
        "    Prints this help.",
    ]
    return [Status(x) for x in lines]


def _find(name: bytes) -> Command | None:
    low = name.lower()
    if b"|" in low:
        parent, sub = low.split(b"|", 1)
        p = COMMANDS.get(parent)
        return p.subcommands.get(sub) if p is not None else None
    return COMMANDS.get(low)
