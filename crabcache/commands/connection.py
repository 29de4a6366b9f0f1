"""Connection commands: PING, ECHO, HELLO, AUTH, SELECT, SWAPDB, QUIT, RESET, CLIENT ..."""

from __future__ import annotations

import time
from typing import Any

from .. import REDIS_VERSION, errors
from ..errors import CommandError
from ..protocol.writer import OK, PONG, Status, Verbatim
from .args import parse_int
from .registry import command, container

CONN = "connection"


@command("ping", -1, "fast sentinel", group=CONN, summary="Ping the server")
def ping(c: Any, argv: list[bytes]) -> Any:
    if len(argv) > 2:
        raise errors.wrong_arity("ping")
    if not c.resp3 and c.subscribed:
        # RESP2 subscribed mode: PING answers with a "pong" message array.
        return [b"pong", argv[1] if len(argv) == 2 else b""]
    return argv[1] if len(argv) == 2 else PONG


@command("echo", 2, "fast", group=CONN, summary="Echo the given string")
def echo(c: Any, argv: list[bytes]) -> Any:
    return argv[1]


def check_password(c: Any, user: bytes, password: bytes) -> None:
    """AUTH against the ACL users (commands/acl.py); raises WRONGPASS."""
    c.server.hooks["acl"].authenticate(c, user, password)


@command("auth", -2, "noscript loading stale fast no_auth allow_busy", group=CONN, summary="Authenticate to the server")
def auth(c: Any, argv: list[bytes]) -> Any:
    if len(argv) > 3:
        raise CommandError(errors.SYNTAX)
    if len(argv) == 2:
        if c.server.hooks["acl"].default.nopass:
            raise CommandError(errors.AUTH_NOT_CONFIGURED)
        check_password(c, b"default", argv[1])
    else:
        check_password(c, argv[1], argv[2])
    return OK


@command("hello", -1, "noscript loading stale fast no_auth allow_busy", group=CONN, since="6.0.0",
         summary="Handshake with Redis")
def hello(c: Any, argv: list[bytes]) -> Any:
    ver = None
    i = 1
    if len(argv) > 1:
        try:
            ver = parse_int(argv[1])
        except CommandError:
            raise CommandError("ERR Protocol version is not an integer or out of range") from None
        i = 2
        if ver < 2 or ver > 3:
            raise CommandError(errors.NOPROTO)
    setname = None
    while i < len(argv):
        opt = argv[i].lower()
        more = len(argv) - i - 1
        if opt == b"auth" and more >= 2:
            check_password(c, argv[i + 1], argv[i + 2])
            i += 3
        elif opt == b"setname" and more >= 1:
            setname = argv[i + 1]
            i += 2
        else:
            raise CommandError("ERR Syntax error in HELLO option '%s'" % argv[i].decode("latin-1"))
    if not c.authenticated:
        raise CommandError("NOAUTH HELLO must be called with the client already authenticated, "
                           "otherwise the HELLO AUTH <user> <pass> option can be used to "
                           "authenticate the client and select the RESP protocol version at the "
                           "same time")
    if setname is not None:
        validate_name(setname)
        c.name = setname
    if ver is not None:
        c.resp3 = ver == 3
    return {
        b"server": b"redis",
        b"version": REDIS_VERSION.encode(),
        b"proto": 3 if c.resp3 else 2,
        b"id": c.id,
        b"mode": b"standalone",
        b"role": b"master",
        b"modules": [],
    }


def _db_index(c: Any, b: bytes, msg: str = errors.DB_INDEX) -> int:
    idx = parse_int(b)
    if not 0 <= idx < len(c.server.dbs):
        raise CommandError(msg)
    return idx


@command("select", 2, "loading stale fast", group=CONN, summary="Change the selected database")
def select(c: Any, argv: list[bytes]) -> Any:
    c.select(_db_index(c, argv[1]))
    return OK


@command("quit", -1, "noscript loading stale fast no_auth allow_busy", group=CONN, summary="Close the connection")
def quit_(c: Any, argv: list[bytes]) -> Any:
    c.close_after_reply = True
    return OK


@command("reset", 1, "noscript loading stale fast no_auth allow_busy", group=CONN, since="6.2.0",
         summary="Reset the connection")
def reset(c: Any, argv: list[bytes]) -> Any:
    for fn in c.server.hooks.get("reset", ()):
        fn(c)  # MULTI/WATCH, subscriptions, tracking... each module undoes its own state
    c.multi = None
    c.multi_error = False
    c.select(0)
    c.resp3 = False
    c.name = b""
    c.reply_mode = b"on"
    c.server.hooks["session_init"](c)  # back to the default user (commands/acl.py)
    return Status("RESET")


# --- CLIENT ---------------------------------------------------------------------

container("client", group=CONN, summary="A container for client connection commands")


def validate_name(name: bytes) -> None:
    # Redis allows printable ASCII without spaces (33..126).
    for ch in name:
        if ch < 33 or ch > 126:
            raise CommandError("ERR Client names cannot contain spaces, newlines or special characters.")


@command("client|id", 2, "noscript loading stale", group=CONN, since="5.0.0")
def client_id(c: Any, argv: list[bytes]) -> Any:
    return c.id


@command("client|setname", 3, "noscript loading stale", group=CONN, since="2.6.9")
def client_setname(c: Any, argv: list[bytes]) -> Any:
    validate_name(argv[2])
    c.name = argv[2]
    return OK


@command("client|getname", 2, "noscript loading stale", group=CONN, since="2.6.9")
def client_getname(c: Any, argv: list[bytes]) -> Any:
    return c.name or None


@command("client|setinfo", 4, "noscript loading stale", group=CONN, since="7.2.0")
def client_setinfo(c: Any, argv: list[bytes]) -> Any:
    # Redis 7.2's command; redis-py 8 sends it on connect (and tolerates an error).
    attr = argv[2].lower()
    for ch in argv[3]:
        if ch < 33 or ch > 126:
            raise CommandError("ERR %s cannot contain spaces, newlines or special characters."
                               % argv[2].decode("latin-1"))
    if attr == b"lib-name":
        c.lib_name = argv[3]
    elif attr == b"lib-ver":
        c.lib_ver = argv[3]
    else:
        raise CommandError("ERR Unrecognized option '%s'" % argv[2].decode("latin-1"))
    return OK


def client_flags(s: Any) -> str:
    """CLIENT LIST flags, in Redis's order (catClientInfoString)."""
    extra = s.flags  # letters other modules set: "O" (MONITOR) leads, "r", "e" ... trail
    f = "O" if "O" in extra else ""
    if s.subscribed:
        f += "P"
    if s.multi is not None:
        f += "x"
    if s.blocked is not None:
        f += "b"
    tracking = s.tracking
    if tracking is not None:
        f += "t"
        if tracking.broken:
            f += "R"
        if tracking.bcast:
            f += "B"
    if s.watch_dirty:
        f += "d"
    if s.close_after_reply:
        f += "c"
    if s.kind == "unix":
        f += "U"
    f += extra.replace("O", "")
    return f or "N"


def client_info_line(s: Any, now: float | None = None) -> bytes:
    """One CLIENT LIST line, with Redis 7.0's fields in Redis's order."""
    now = time.monotonic() if now is None else now
    tracking = s.tracking
    redir = tracking.redirect if tracking is not None else -1
    last = s.last_cmd  # the Command last looked up (b"NULL" before any)
    last_name = last.decode("latin-1") if isinstance(last, bytes) else last.name
    obytes = s.output_bytes
    return (
        "id=%d addr=%s laddr=%s fd=%d name=%s age=%d idle=%d flags=%s db=%d sub=%d psub=%d ssub=%d "
        "multi=%d qbuf=%d qbuf-free=%d argv-mem=%d multi-mem=%d rbs=%d rbp=%d obl=%d oll=%d omem=%d "
        "tot-mem=%d events=%s cmd=%s user=%s redir=%d resp=%d"
        % (
            s.id, s.addr, s.laddr, s.fd, s.name.decode("latin-1"), int(now - s.created),
            int(now - s.last_interaction), client_flags(s), s.db.index, len(s.channels),
            len(s.patterns), len(s.shard_channels), -1 if s.multi is None else len(s.multi),
            s.query_bytes, 0, 0, _multi_mem(s), 16384, 0, 0, 1 if obytes else 0, obytes,
            16384 + obytes, "rw" if obytes else "r", last_name, s.user.decode("latin-1"), redir,
            3 if s.resp3 else 2,
        )
    ).encode()


def _multi_mem(s: Any) -> int:
    # Redis counts the queued argv objects; the payload bytes are the honest part of that.
    if not s.multi:
        return 0
    return sum(len(a) for _, argv in s.multi for a in argv)


def _client_type(s: Any) -> bytes:
    return b"pubsub" if s.subscribed else b"normal"


@command("client|list", -2, "admin noscript loading stale", group=CONN, since="2.4.0")
def client_list(c: Any, argv: list[bytes]) -> Any:
    sessions = list(c.server.clients.values())
    if len(argv) > 2:
        opt = argv[2].lower()
        if opt == b"type" and len(argv) == 4:
            want = argv[3].lower()
            if want == b"replica":
                want = b"slave"
            if want not in (b"normal", b"slave", b"master", b"pubsub"):
                raise CommandError("ERR Unknown client type '%s'" % argv[3].decode("latin-1"))
            sessions = [s for s in sessions if _client_type(s) == want]
        elif opt == b"id" and len(argv) >= 4:
            ids = []
            for a in argv[3:]:
                try:
                    v = parse_int(a)
                except CommandError:
                    v = 0
                if v <= 0:
                    raise CommandError("ERR Invalid client ID")
                ids.append(v)
            sessions = [c.server.clients[i] for i in ids if i in c.server.clients]
        else:
            raise CommandError(errors.SYNTAX)
    now = time.monotonic()
    return Verbatim(b"".join(client_info_line(s, now) + b"\n" for s in sessions))


@command("client|info", 2, "noscript loading stale", group=CONN, since="6.2.0")
def client_info(c: Any, argv: list[bytes]) -> Any:
    return Verbatim(client_info_line(c) + b"\n")


@command("client|kill", -3, "admin noscript loading stale", group=CONN, since="2.4.0")
def client_kill(c: Any, argv: list[bytes]) -> Any:
    clients = c.server.clients
    if len(argv) == 3:  # old form: CLIENT KILL addr:port
        for s in list(clients.values()):
            if s.addr.encode() == argv[2]:
                s.close_after_reply = True if s is c else s.close_after_reply
                if s is not c:
                    s.kill()
                return OK
        raise CommandError("ERR No such client")
    filters: list[tuple[bytes, bytes]] = []
    skipme = True
    i = 2
    while i < len(argv):
        if i + 1 >= len(argv):
            raise CommandError(errors.SYNTAX)
        opt, val = argv[i].lower(), argv[i + 1]
        if opt == b"id":
            try:
                cid = parse_int(val)
            except CommandError:
                cid = 0
            if cid <= 0:
                raise CommandError("ERR client-id should be greater than 0")
            filters.append((opt, val))
        elif opt == b"type":
            t = val.lower()
            if t == b"replica":
                t = b"slave"
            if t not in (b"normal", b"slave", b"master", b"pubsub"):
                raise CommandError("ERR Unknown client type '%s'" % val.decode("latin-1"))
            filters.append((opt, t))
        elif opt == b"user":
            if val not in c.server.hooks["acl"].users:
                raise CommandError("ERR No such user '%s'" % val.decode("latin-1"))
            filters.append((opt, val))
        elif opt in (b"addr", b"laddr"):
            filters.append((opt, val))
        elif opt == b"skipme":
            v = val.lower()
            if v not in (b"yes", b"no"):
                raise CommandError(errors.SYNTAX)
            skipme = v == b"yes"
        else:
            raise CommandError(errors.SYNTAX)
        i += 2
    killed = 0
    for s in list(clients.values()):
        if skipme and s is c:
            continue
        ok = True
        for opt, val in filters:
            if opt == b"id":
                ok = s.id == int(val)
            elif opt == b"type":
                ok = _client_type(s) == val
            elif opt == b"addr":
                ok = s.addr.encode() == val
            elif opt == b"laddr":
                ok = s.laddr.encode() == val
            elif opt == b"user":
                ok = s.user == val
            if not ok:
                break
        if ok:
            killed += 1
            if s is c:
                c.close_after_reply = True
            else:
                s.kill()
    return killed


@command("client|reply", 3, "noscript loading stale", group=CONN, since="3.2.0")
def client_reply(c: Any, argv: list[bytes]) -> Any:
    mode = argv[2].lower()
    if mode == b"on":
        c.reply_mode = b"on"
    elif mode == b"off":
        c.reply_mode = b"off"
    elif mode == b"skip":
        if c.reply_mode == b"on":
            c.reply_mode = b"skip-next"
    else:
        raise CommandError(errors.SYNTAX)
    return OK


@command("client|no-evict", 3, "admin noscript loading stale", group=CONN, since="7.0.0")
def client_no_evict(c: Any, argv: list[bytes]) -> Any:
    v = argv[2].lower()
    if v == b"on":
        c.flags = c.flags.replace("e", "") + "e"
    elif v == b"off":
        c.flags = c.flags.replace("e", "")
    else:
        raise CommandError(errors.SYNTAX)
    return OK


CLIENT_HELP = [
    "CLIENT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "CACHING (YES|NO)",
    "    Enable/disable tracking of the keys for next command in OPTIN/OPTOUT modes.",
    "GETREDIR",
    "    Return the client ID we are redirecting to when tracking is enabled.",
    "GETNAME",
    "    Return the name of the current connection.",
    "ID",
    "    Return the ID of the current connection.",
    "INFO",
    "    Return information about the current client connection.",
    "KILL <ip:port>",
    "    Kill connection made from <ip:port>.",
    "KILL <option> <value> [<option> <value> [...]]",
    "    Kill connections. Options are:",
    "    * ADDR (<ip:port>|<unixsocket>:0)",
    "      Kill connections made from the specified address",
    "    * LADDR (<ip:port>|<unixsocket>:0)",
    "      Kill connections made to specified local address",
    "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
    "      Kill connections by type.",
    "    * USER <username>",
    "      Kill connections authenticated by <username>.",
    "    * SKIPME (YES|NO)",
    "      Skip killing current connection (default: yes).",
    "LIST [options ...]",
    "    Return information about client connections. Options:",
    "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
    "      Return clients of specified type.",
    "UNPAUSE",
    "    Stop the current client pause, resuming traffic.",
    "PAUSE <timeout> [WRITE|ALL]",
    "    Suspend all, or just write, clients for <timeout> milliseconds.",
    "REPLY (ON|OFF|SKIP)",
    "    Control the replies sent to the current connection.",
    "SETNAME <name>",
    "    Assign the name <name> to the current connection.",
    "UNBLOCK <clientid> [TIMEOUT|ERROR]",
    "    Unblock the specified blocked client.",
    "TRACKING (ON|OFF) [REDIRECT <id>] [BCAST] [PREFIX <prefix> [...]]",
    "         [OPTIN] [OPTOUT] [NOLOOP]",
    "    Control server assisted client side caching.",
    "TRACKINGINFO",
    "    Report tracking status for the current connection.",
    "NO-EVICT (ON|OFF)",
    "    Protect current client connection from eviction.",
    "HELP",
    "    Prints this help.",
]


@command("client|help", 2, "loading stale", group=CONN, since="5.0.0")
def client_help(c: Any, argv: list[bytes]) -> Any:
    return [Status(line) for line in CLIENT_HELP]
