"""Pub/Sub: (P|S)SUBSCRIBE, (P|S)UNSUBSCRIBE, PUBLISH, SPUBLISH, PUBSUB, keyspace events.

Rules of this module:

* Per-server state is ``server.pubsub`` (a ``PubSub``): channel, pattern and
  shard-channel -> subscribers, each an insertion-ordered dict used as a set
  so a message reaches subscribers in the order they subscribed.  A
  session's own subscriptions are its ``channels`` / ``patterns`` /
  ``shard_channels`` sets.
* (Un)subscribe confirmations are one message per channel, RESP2 arrays or
  RESP3 push frames; the handler returns them pre-encoded (``Raw``) because
  one command produces several frames.  The counts are channels + patterns
  for the classic commands and shard channels alone for the S-commands.
* PUBLISH encodes a message once per protocol version and hands the bytes to
  each subscriber's ``deliver``; it never waits for a subscriber.  A
  subscriber that does not read piles its output up in its connection, which
  disconnects it past ``client-output-buffer-limit pubsub`` (see
  ``server/connection.py``), so a slow subscriber never slows a publisher.
* Keyspace notifications arrive through ``server.hooks["notify"]`` (the
  keyspace calls ``server.notify`` only when the event's class is enabled)
  and are plain publishes on ``__keyspace@<db>__:<key>`` (K) and
  ``__keyevent@<db>__:<event>`` (E).  Nothing is built when nobody listens.
* Cluster is off, so shard channels behave like a separate namespace of
  ordinary channels (what Redis 7.0 does outside cluster mode).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .. import errors
from ..errors import CommandError
from ..glob import compile_glob
from ..protocol.writer import Raw, Status
from ..server import state
from .registry import command, container

if TYPE_CHECKING:
    from ..keyspace.db import Database
    from ..server.session import Session
    from ..server.state import Server


def _syntax(argv: list[bytes]) -> CommandError:
    # Redis quotes the subcommand as typed and the container upper-cased.
    return errors.subcommand_syntax(argv[1][:128].decode("latin-1"), argv[0].decode("latin-1"))


PS = "pubsub"


class PubSub:
    """Who listens to what, server-wide."""

    __slots__ = ("channels", "patterns", "shard")

    def __init__(self) -> None:
        self.channels: dict[bytes, dict[Session, None]] = {}
        self.patterns: dict[bytes, dict[Session, None]] = {}
        self.shard: dict[bytes, dict[Session, None]] = {}


# --- frames -------------------------------------------------------------------------


def _bulk(b: bytes) -> bytes:
    return b"$%d\r\n%s\r\n" % (len(b), b)


def _frame(resp3: bool, kind: bytes, name: bytes | None, count: int) -> bytes:
    # [kind, name-or-null, count]: (un)subscribe confirmations.
    head = b">3\r\n" if resp3 else b"*3\r\n"
    if name is None:
        return head + _bulk(kind) + (b"_\r\n" if resp3 else b"$-1\r\n") + b":%d\r\n" % count
    return head + _bulk(kind) + _bulk(name) + b":%d\r\n" % count


def _send(session: Session, msg2: bytes, msg3: bytes) -> None:
    session.deliver(msg3 if session.resp3 else msg2)


def publish(server: Server, channel: bytes, message: bytes) -> int:
    """Deliver ``message`` to subscribers of ``channel`` and matching patterns; returns how many."""
    ps: PubSub = server.pubsub
    n = 0
    subs = ps.channels.get(channel)
    if subs:
        body = _bulk(b"message") + _bulk(channel) + _bulk(message)
        m2 = b"*3\r\n" + body
        m3 = b">3\r\n" + body
        # Copies: a subscriber cut off at its output limit leaves these tables at once.
        for s in list(subs):
            s.deliver(m3 if s.resp3 else m2)
            n += 1
    if ps.patterns:
        tail = _bulk(channel) + _bulk(message)
        for pattern, subs in list(ps.patterns.items()):
            if compile_glob(pattern)(channel):
                body = _bulk(b"pmessage") + _bulk(pattern) + tail
                m2 = b"*4\r\n" + body
                m3 = b">4\r\n" + body
                for s in list(subs):
                    s.deliver(m3 if s.resp3 else m2)
                    n += 1
    return n


def spublish(server: Server, channel: bytes, message: bytes) -> int:
    subs = server.pubsub.shard.get(channel)
    if not subs:
        return 0
    body = _bulk(b"smessage") + _bulk(channel) + _bulk(message)
    m2 = b"*3\r\n" + body
    m3 = b">3\r\n" + body
    n = 0
    for s in list(subs):
        s.deliver(m3 if s.resp3 else m2)
        n += 1
    return n


# --- subscribe / unsubscribe --------------------------------------------------------


def _add(table: dict[bytes, dict[Any, None]], name: bytes, c: Session) -> None:
    subs = table.get(name)
    if subs is None:
        subs = table[name] = {}
    subs[c] = None


def _remove(table: dict[bytes, dict[Any, None]], name: bytes, c: Session) -> None:
    subs = table.get(name)
    if subs is not None:
        subs.pop(c, None)
        if not subs:
            del table[name]


def _count(c: Session) -> int:
    return len(c.channels) + len(c.patterns)


def _subscribe(c: Session, names: list[bytes], mine: set[bytes],
               table: dict[bytes, dict[Any, None]], kind: bytes, shard: bool) -> Raw:
    out = []
    for name in names:
        if name not in mine:
            mine.add(name)
            _add(table, name, c)
        count = len(c.shard_channels) if shard else _count(c)
        out.append(_frame(c.resp3, kind, name, count))
    return Raw(b"".join(out))


@command("subscribe", -2, "pubsub noscript loading stale", group=PS, since="2.0.0",
         summary="Listen for messages published to the given channels")
def subscribe(c: Any, argv: list[bytes]) -> Any:
    return _subscribe(c, argv[1:], c.channels, c.server.pubsub.channels, b"subscribe", False)


@command("psubscribe", -2, "pubsub noscript loading stale", group=PS, since="2.0.0",
         summary="Listen for messages published to channels matching the given patterns")
def psubscribe(c: Any, argv: list[bytes]) -> Any:
    return _subscribe(c, argv[1:], c.patterns, c.server.pubsub.patterns, b"psubscribe", False)


@command("ssubscribe", -2, "pubsub noscript loading stale", keys=(1, -1, 1), group=PS,
         since="7.0.0", summary="Listen for messages published to the given shard channels")
def ssubscribe(c: Any, argv: list[bytes]) -> Any:
    if c.in_exec:  # Redis refuses it to DENY_BLOCKING clients (MULTI/EXEC, scripts)
        raise CommandError(errors.SSUBSCRIBE_DENY_BLOCKING)
    return _subscribe(c, argv[1:], c.shard_channels, c.server.pubsub.shard, b"ssubscribe", True)


def _unsubscribe(c: Session, names: list[bytes], mine: set[bytes],
                 table: dict[bytes, dict[Any, None]], kind: bytes, shard: bool) -> Raw:
    out = []
    if not names:
        names = list(mine)
        if not names:
            count = len(c.shard_channels) if shard else _count(c)
            return Raw(_frame(c.resp3, kind, None, count))
    for name in names:
        if name in mine:
            mine.discard(name)
            _remove(table, name, c)
        count = len(c.shard_channels) if shard else _count(c)
        out.append(_frame(c.resp3, kind, name, count))
    return Raw(b"".join(out))


@command("unsubscribe", -1, "pubsub noscript loading stale", group=PS, since="2.0.0",
         summary="Stop listening for messages posted to the given channels")
def unsubscribe(c: Any, argv: list[bytes]) -> Any:
    return _unsubscribe(c, argv[1:], c.channels, c.server.pubsub.channels, b"unsubscribe", False)


@command("punsubscribe", -1, "pubsub noscript loading stale", group=PS, since="2.0.0",
         summary="Stop listening for messages posted to channels matching the given patterns")
def punsubscribe(c: Any, argv: list[bytes]) -> Any:
    return _unsubscribe(c, argv[1:], c.patterns, c.server.pubsub.patterns, b"punsubscribe", False)


@command("sunsubscribe", -1, "pubsub noscript loading stale", keys=(1, -1, 1), group=PS,
         since="7.0.0", summary="Stop listening for messages posted to the given shard channels")
def sunsubscribe(c: Any, argv: list[bytes]) -> Any:
    return _unsubscribe(c, argv[1:], c.shard_channels, c.server.pubsub.shard, b"sunsubscribe", True)


def unsubscribe_all(c: Session) -> None:
    """Drop every subscription of ``c`` silently (RESET, disconnect)."""
    ps: PubSub = c.server.pubsub
    for mine, table in ((c.channels, ps.channels), (c.patterns, ps.patterns),
                        (c.shard_channels, ps.shard)):
        for name in mine:
            _remove(table, name, c)
        mine.clear()


# --- publish ------------------------------------------------------------------------


@command("publish", 3, "pubsub loading stale fast may_replicate sentinel", group=PS, since="2.0.0",
         summary="Post a message to a channel")
def publish_(c: Any, argv: list[bytes]) -> Any:
    return publish(c.server, argv[1], argv[2])


@command("spublish", 3, "pubsub loading stale fast may_replicate", keys=(1, 1, 1), group=PS,
         since="7.0.0", summary="Post a message to a shard channel")
def spublish_(c: Any, argv: list[bytes]) -> Any:
    return spublish(c.server, argv[1], argv[2])


# --- PUBSUB -------------------------------------------------------------------------

container("pubsub", group=PS, since="2.8.0", summary="A container for Pub/Sub commands")


def _matching(table: dict[bytes, Any], argv: list[bytes]) -> list[bytes]:
    if len(argv) > 3:
        raise _syntax(argv)
    if len(argv) == 2:
        return list(table)
    match = compile_glob(argv[2])
    return [name for name in table if match(name)]


@command("pubsub|channels", -2, "pubsub loading stale", group=PS, since="2.8.0",
         summary="List active channels")
def pubsub_channels(c: Any, argv: list[bytes]) -> Any:
    return _matching(c.server.pubsub.channels, argv)


@command("pubsub|shardchannels", -2, "pubsub loading stale", group=PS, since="7.0.0",
         summary="List active shard channels")
def pubsub_shardchannels(c: Any, argv: list[bytes]) -> Any:
    return _matching(c.server.pubsub.shard, argv)


def _numsub(table: dict[bytes, Any], names: list[bytes]) -> list[Any]:
    out: list[Any] = []
    for name in names:
        out.append(name)
        out.append(len(table.get(name, ())))
    return out


@command("pubsub|numsub", -2, "pubsub loading stale", group=PS, since="2.8.0",
         summary="Get the count of subscribers for channels")
def pubsub_numsub(c: Any, argv: list[bytes]) -> Any:
    return _numsub(c.server.pubsub.channels, argv[2:])


@command("pubsub|shardnumsub", -2, "pubsub loading stale", group=PS, since="7.0.0",
         summary="Get the count of subscribers for shard channels")
def pubsub_shardnumsub(c: Any, argv: list[bytes]) -> Any:
    return _numsub(c.server.pubsub.shard, argv[2:])


@command("pubsub|numpat", 2, "pubsub loading stale", group=PS, since="2.8.0",
         summary="Get the count of unique patterns pattern subscriptions")
def pubsub_numpat(c: Any, argv: list[bytes]) -> Any:
    return len(c.server.pubsub.patterns)


PUBSUB_HELP = [
    "PUBSUB <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "CHANNELS [<pattern>]",
    "    Return the currently active channels matching a <pattern> (default: '*').",
    "NUMPAT",
    "    Return number of subscriptions to patterns.",
    "NUMSUB [<channel> ...]",
    "    Return the number of subscribers for the specified channels, excluding",
    "    pattern subscriptions(default: no channels).",
    "SHARDCHANNELS [<pattern>]",
    "    Return the currently active shard level channels matching a <pattern> (default: '*').",
    "SHARDNUMSUB [<shardchannel> ...]",
    "    Return the number of subscribers for the specified shard level channel(s)",
    "HELP",
    "    Prints this help.",
]


@command("pubsub|help", 2, "loading stale", group=PS, since="6.2.0", summary="Show helpful text")
def pubsub_help(c: Any, argv: list[bytes]) -> Any:
    return [Status(line) for line in PUBSUB_HELP]


# --- keyspace notifications -----------------------------------------------------------


def _notify(server: Server, db: Database, cls: str, event: bytes, key: bytes) -> None:
    # notifyKeyspaceEvent: the class is already known to be enabled.
    ps: PubSub = server.pubsub
    if not ps.channels and not ps.patterns:
        return  # nobody listens at all: build nothing
    flags = server.notify_flags
    if "K" in flags:
        publish(server, b"__keyspace@%d__:%s" % (db.index, key), event)
    if "E" in flags:
        publish(server, b"__keyevent@%d__:%s" % (db.index, event), key)


def setup(server: Server) -> None:
    server.pubsub = PubSub()
    ps = server.pubsub  # type: ignore[attr-defined]
    server.hooks["notify"] = lambda db, cls, event, key: _notify(server, db, cls, event, key)
    server.hooks["publish"] = lambda channel, message: publish(server, channel, message)
    server.hooks["pubsub_counts"] = lambda: (len(ps.channels), len(ps.patterns), len(ps.shard))
    server.hooks.setdefault("reset", []).append(unsubscribe_all)
    server.hooks.setdefault("on_disconnect", []).append(unsubscribe_all)


state.SETUP.append(setup)
