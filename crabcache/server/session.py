"""Per-connection state that commands read and change.  No I/O here.

A ``Session`` is what handlers receive as their first argument: it knows the
selected database, the protocol version, authentication, MULTI and WATCH
state, subscriptions and the CLIENT LIST fields.  The trio connection task
that owns the socket installs ``deliver`` (queue bytes for this client from
anywhere: pub/sub messages, invalidations) and ``kill`` (close it).
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any, Callable

if TYPE_CHECKING:
    from ..keyspace.db import Database
    from .state import Server


class Session:
    __slots__ = (
        "server", "id", "db", "resp3", "name", "lib_name", "lib_ver", "authenticated", "user",
        "multi", "multi_error", "watch_dirty", "watched", "channels", "patterns",
        "shard_channels", "created", "last_interaction", "last_cmd", "addr", "laddr", "fd",
        "close_after_reply", "reply_mode", "kind", "deliver", "kill", "flags", "blocked",
        "unblock", "tracking", "in_exec", "output_bytes", "query_bytes", "extra", "plain", "acl",
    )

    def __init__(
        self, server: "Server", addr: str = "", laddr: str = "", fd: int = -1, kind: str = "tcp"
    ) -> None:
        self.server = server
        self.id = server.new_client_id()
        self.db: "Database" = server.dbs[0]
        self.resp3 = False
        self.name = b""
        self.lib_name = b""
        self.lib_ver = b""
        # Without requirepass every connection is authenticated as "default".
        self.authenticated = not server.config["requirepass"]
        self.user = b"default"
        self.multi: list[Any] | None = None  # queued commands while in MULTI
        self.multi_error = False  # a queuing error happened: EXEC must abort
        self.watch_dirty = False
        self.watched: set[tuple["Database", bytes]] = set()
        self.channels: set[bytes] = set()
        self.patterns: set[bytes] = set()
        self.shard_channels: set[bytes] = set()
        now = time.monotonic()
        self.created = now
        self.last_interaction = now
        self.last_cmd: Any = b"NULL"  # the Command last looked up (CLIENT LIST cmd=)
        self.addr = addr
        self.laddr = laddr
        self.fd = fd
        self.kind = kind  # "tcp" or "unix"
        self.close_after_reply = False
        self.reply_mode = b"on"  # CLIENT REPLY on|off|skip
        self.deliver: Callable[[bytes], None] = lambda data: None
        self.kill: Callable[[], None] = lambda: None
        self.flags = ""  # extra CLIENT LIST flag letters set by other modules
        self.blocked: Any = None  # what this client waits for, if blocked
        self.unblock: Callable[[Any], None] | None = None  # CLIENT UNBLOCK hook while blocked
        self.tracking: Any = None  # client-side caching state
        self.in_exec = False
        self.output_bytes = 0  # queued output not yet sent (obl/omem)
        self.query_bytes = 0
        self.extra: dict[str, Any] = {}  # per-module state that doesn't deserve a slot
        # None while the user may run everything on every key and channel;
        # else the ACL module's checker (``check(c, cmd, argv)`` -> error or None).
        self.acl: Any = None
        self.plain = False
        init = server.hooks.get("session_init")  # the ACL module: default user, auth, acl
        if init is not None:
            init(self)
        self.refresh()

    def refresh(self) -> None:
        """Recompute ``plain``: nothing about this client or the server asks for
        the dispatcher's full checks, so a data command may take the fast lane.

        The dispatcher calls this after every command that did not take the
        lane, and the connection at the start of every read and after every
        wait -- the only moments anything here can change (a lane command
        changes none of it; other clients run only while this one waits).
        Code that changes one of these fields any other way must call it.
        (While the AOF is on, the lane propagates writes as ``dispatch.call`` does.)
        """
        s = self.server
        self.plain = bool(
            self.authenticated and self.multi is None and self.tracking is None and self.acl is None
            and s.busy is None and s.gate is None and not s.disk_error and self.reply_mode == b"on"
            and not self.close_after_reply
            and (self.resp3 or not (self.channels or self.patterns or self.shard_channels))
        )

    @property
    def subscribed(self) -> bool:
        return bool(self.channels or self.patterns or self.shard_channels)

    def select(self, index: int) -> None:
        self.db = self.server.dbs[index]
