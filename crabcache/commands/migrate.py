"""MIGRATE: move keys to another Redis (or CrabCache) over a plain connection.

As Redis's migrateCommand: DUMP each key, send ``RESTORE key ttl payload
[REPLACE]`` (after AUTH / SELECT) to the target, and delete the keys the
target accepted unless COPY.  Redis blocks the whole server while it talks to
the target; here only the calling connection waits (a ``Deferred``), so the
keys are deleted afterwards only if they still hold the values sent.  Inside
MULTI/EXEC or a script, where nothing may wait, MIGRATE is refused.
"""

from __future__ import annotations

from typing import Any

import trio

from .. import dispatch, errors
from ..errors import CommandError
from ..persistence import propagate
from ..persistence import rdb
from ..protocol.writer import OK, Status
from .args import parse_int
from .registry import command

NOKEY = Status("NOKEY")


def _migrate_keys(argv: list[bytes]) -> list[int]:
    """Key positions: argv[3], or the keys after KEYS when argv[3] is empty."""
    for i in range(6, len(argv)):
        a = argv[i].lower()
        if a in (b"auth",):
            continue
        if a == b"keys":
            return list(range(i + 1, len(argv))) if not argv[3] else []
    return [3]


def _command(*args: bytes) -> bytes:
    return b"*%d\r\n" % len(args) + b"".join(b"$%d\r\n%s\r\n" % (len(a), a) for a in args)


class _Migrate(dispatch.Deferred):
    def __init__(self, c: Any, host: str, port: int, dbnum: int, timeout: float, copy: bool,
                 replace: bool, auth: list[bytes], items: list[tuple[bytes, Any, bytes, int]]) -> None:
        self.c, self.host, self.port, self.dbnum, self.timeout = c, host, port, dbnum, timeout
        self.copy, self.replace, self.auth, self.items = copy, replace, auth, items

    async def wait(self) -> Any:
        try:
            return await self._run()
        except CommandError as e:  # a Deferred's error is its reply value
            return e

    async def _run(self) -> Any:
        import hiredis

        out = b""
        if self.auth:
            out += _command(b"AUTH", *self.auth)
        out += _command(b"SELECT", b"%d" % self.dbnum)
        for key, _, payload, ttl in self.items:
            args = [b"RESTORE", key, b"%d" % ttl, payload]
            if self.replace:
                args.append(b"REPLACE")
            out += _command(*args)
        expect = len(self.items) + 1 + (1 if self.auth else 0)
        replies: list[Any] = []
        with trio.move_on_after(self.timeout) as scope:
            try:
                stream = await trio.open_tcp_stream(self.host, self.port)
            except OSError:
                # Redis connects without blocking and sees the failure on its first write.
                raise CommandError("IOERR error or timeout writing to target instance") from None
            async with stream:
                try:
                    await stream.send_all(out)
                except (OSError, trio.BrokenResourceError):
                    raise CommandError("IOERR error or timeout writing to target instance") from None
                reader = hiredis.Reader(replyError=lambda m: CommandError(m))
                while len(replies) < expect:
                    try:
                        data = await stream.receive_some(65536)
                    except (OSError, trio.BrokenResourceError):
                        data = b""
                    if not data:
                        raise CommandError("IOERR error or timeout reading to target instance")
                    reader.feed(data)
                    while len(replies) < expect:
                        r = reader.gets()
                        if r is False:
                            break
                        replies.append(r)
        if scope.cancelled_caught:
            raise CommandError("IOERR error or timeout reading to target instance")
        head = 2 if self.auth else 1  # AUTH and SELECT before the RESTOREs
        for r in replies[:head]:
            if isinstance(r, CommandError):
                raise CommandError("ERR Target instance replied with error: " + str(r.args[0]))
        error = None
        db = self.c.db
        moved: list[bytes] = []
        for (key, value, _, _), r in zip(self.items, replies[head:]):
            if isinstance(r, CommandError):
                if error is None:
                    error = str(r.args[0])
                continue
            if not self.copy and db.lookup(key) is value:
                db.delete(key)
                self.c.server.dirty += 1
                self.c.server.notify(db, "g", b"del", key)
                moved.append(key)
        if moved:  # the source's AOF: the keys that left (Redis propagates MIGRATE as DEL)
            propagate.rewrite(self.c, [b"DEL", *moved])
        if error is not None:
            raise CommandError("ERR Target instance replied with error: " + error)
        return OK


@command("migrate", -6, "write movablekeys", keys=(3, 3, 1), acl="@dangerous", group="generic",
         since="2.6.0", getkeys=_migrate_keys)
def migrate(c: Any, argv: list[bytes]) -> Any:
    copy = replace = False
    auth: list[bytes] = []
    first = 3
    n = len(argv)
    j = 6
    while j < n:
        opt = argv[j].lower()
        more = n - j - 1
        if opt == b"copy":
            copy = True
        elif opt == b"replace":
            replace = True
        elif opt == b"auth" and more >= 1:
            auth = [argv[j + 1]]
            j += 1
        elif opt == b"auth2" and more >= 2:
            auth = [argv[j + 1], argv[j + 2]]
            j += 2
        elif opt == b"keys":
            if argv[3]:
                raise CommandError(
                    "ERR When using MIGRATE KEYS option, the key argument must be set to the empty string")
            first = j + 1
            j = n
            break
        else:
            raise CommandError(errors.SYNTAX)
        j += 1
    timeout = parse_int(argv[5])
    dbnum = parse_int(argv[4])
    if timeout <= 0:
        timeout = 1000
    keys = argv[first:] if first != 3 else [argv[3]]
    items = []
    db = c.db
    cfg = c.server.config
    for key in keys:
        v = db.lookup(key)
        if v is None:
            continue
        ttl = db.get_ttl(key)
        ttl = max(ttl - c.server.now_ms(), 1) if ttl is not None else 0
        items.append((key, v, rdb.dump_value(v, cfg["rdbcompression"], rdb.Limits(cfg)), ttl))
    if not items:
        return NOKEY
    if c.in_exec or c.kind == "lua":
        raise CommandError("ERR MIGRATE can't wait for the target inside MULTI or a script in CrabCache")
    port = parse_int(argv[2])
    return _Migrate(c, argv[1].decode("latin-1"), port, dbnum, timeout / 1000, copy, replace, auth, items)
