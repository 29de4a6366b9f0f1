"""ACL: users, AUTH against them, and the ACL command (Redis 7.0.15).

Per server, ``server.hooks["acl"]`` is an ``Acl``: the users by name (the
``default`` user always exists and follows ``requirepass``), the ACL LOG, and
the session hooks: ``session_init`` (a new or RESET connection is the
default user, authenticated when that user is ``nopass`` and ``on``) and
``acl_check`` (``redis.acl_check_cmd``).  The model and checks live in
``crabcache.acl``; a session whose user is restricted carries that ``User``
as ``Session.acl``, which the dispatcher calls.
"""

from __future__ import annotations

import os
import time
from typing import Any

from .. import acl as model
from ..errors import CommandError
from ..protocol.writer import OK, Status
from ..server import state
from .args import parse_int
from .registry import command, container

SRV = "server"
ACL_LOG_GROUPING_MS = 60000
REASONS = {model.DENIED_CMD: "command", model.DENIED_KEY: "key", model.DENIED_AUTH: "auth",
           model.DENIED_CHANNEL: "channel"}
WRONGPASS = "WRONGPASS invalid username-password pair or user is disabled."
NO_ACLFILE = ("ERR This Redis instance is not configured to use an ACL file. You may want to "
              "specify users via the ACL SETUSER command and then issue a CONFIG REWRITE (assuming "
              "you have a Redis configuration file set) in order to store users in the Redis "
              "configuration.")


class LogEntry:
    __slots__ = ("count", "reason", "context", "object", "username", "ctime", "cinfo")

    def __init__(self, reason: str, context: str, obj: bytes, username: bytes, ctime: int,
                 cinfo: bytes) -> None:
        self.count = 1
        self.reason, self.context, self.object, self.username = reason, context, obj, username
        self.ctime, self.cinfo = ctime, cinfo


class Acl:
    def __init__(self, server: Any) -> None:
        self.server = server
        self.users: dict[bytes, model.User] = {}
        self.default = model.default_user(self)
        self.users[b"default"] = self.default
        self.log: list[LogEntry] = []  # newest first
        self._set_requirepass(server.config["requirepass"])

    def pubsub_allchannels(self) -> bool:
        """acl-pubsub-default: the channel permission new users and selectors start with."""
        return bool(self.server.config["acl-pubsub-default"] == "allchannels")

    # --- requirepass ------------------------------------------------------------------
    def _set_requirepass(self, pw: str) -> None:
        """ACLUpdateDefaultUserPassword."""
        self.default.apply(b"resetpass")
        self.default.apply(b">" + pw.encode() if pw else b"nopass")

    def on_config(self, name: str, old: Any) -> None:
        if name == "requirepass":
            self._set_requirepass(self.server.config["requirepass"])

    # --- sessions ---------------------------------------------------------------------
    def session_of(self, c: Any) -> model.User | None:
        return self.users.get(c.user)

    def attach(self, c: Any, user: model.User) -> None:
        c.user = user.name
        c.acl = None if user.unrestricted else user
        c.refresh()

    def session_init(self, c: Any) -> None:
        """A new connection (or RESET): the default user, logged in if it needs no password."""
        u = self.default
        c.authenticated = u.nopass and u.enabled
        self.attach(c, u)

    def user_changed(self, user: model.User) -> None:
        """Changes apply to connected clients at once (they point at the user)."""
        for s in list(self.server.clients.values()):
            if s.user == user.name:
                s.acl = None if user.unrestricted else user
                s.refresh()

    def kill_pubsub_clients(self, c: Any, user: model.User) -> None:
        """ACLKillPubsubClientsIfNeeded: a subscriber whose channels the user may no
        longer use is disconnected."""
        for s in list(self.server.clients.values()):
            if s.user != user.name or not s.subscribed:
                continue
            subs = [(ch, False) for ch in s.channels] + [(ch, False) for ch in s.shard_channels]
            subs += [(p, True) for p in s.patterns]
            if all(user.channel_allowed(ch, pat) for ch, pat in subs):
                continue
            if s is c:
                c.close_after_reply = True
                c.refresh()
            else:
                s.kill()

    def kill_clients_of(self, c: Any, name: bytes) -> None:
        for s in list(self.server.clients.values()):
            if s.user == name:
                if s is c:
                    c.close_after_reply = True
                    c.refresh()
                else:
                    s.kill()

    def authenticate(self, c: Any, username: bytes, password: bytes) -> None:
        """AUTH / HELLO AUTH: log in or raise WRONGPASS (and log it)."""
        u = self.users.get(username)
        if u is not None and u.enabled and (u.nopass or model.sha256_hex(password) in u.passwords):
            c.authenticated = True
            self.attach(c, u)
            return
        context = "multi" if c.multi is not None else "toplevel"
        self.add_log(c, "auth", context, b"AUTH", username)
        raise CommandError(WRONGPASS)

    # --- ACL LOG ----------------------------------------------------------------------
    def log_denial(self, c: Any, result: int, context: str, cmd: Any, argv: list[bytes],
                   idx: int, username: bytes) -> None:
        obj = cmd.name.encode() if result == model.DENIED_CMD else argv[idx]
        self.add_log(c, REASONS[result], context, obj, username)

    def add_log(self, c: Any, reason: str, context: str, obj: bytes, username: bytes) -> None:
        from .connection import client_info_line

        now = int(time.time() * 1000)
        cinfo = client_info_line(c)
        for i, e in enumerate(self.log):
            if (e.reason == reason and e.context == context and e.object == obj
                    and e.username == username and now - e.ctime <= ACL_LOG_GROUPING_MS):
                e.count += 1
                e.ctime = now
                e.cinfo = cinfo
                del self.log[i]
                self.log.insert(0, e)
                return
        self.log.insert(0, LogEntry(reason, context, obj, username, now, cinfo))
        del self.log[self.server.config["acllog-max-len"]:]

    # --- files ------------------------------------------------------------------------
    def parse_file(self, text: str, path: str) -> dict[bytes, model.User]:
        """ACLLoadFromFile's parsing: every line ``user <name> <rules...>``;
        raises with all the errors found (and nothing changes)."""
        users: dict[bytes, model.User] = {}
        seen: set[bytes] = set()
        errors = ""
        for n, raw in enumerate(text.split("\n"), 1):
            line = raw.strip(" \t\r\n")
            if not line or line.startswith("#"):
                continue
            words = [w for w in line.encode("latin-1").split(b" ") if w]
            if words[0] != b"user" or len(words) < 2:
                errors += "%s:%d should start with user keyword followed by the username. " % (path, n)
                continue
            name = words[1]
            if name in seen:
                errors += "WARNING: Duplicate user '%s' found on line %d. " % (name.decode("latin-1"), n)
                continue
            seen.add(name)
            try:
                ops = model.merge_selector_args(words[2:])
            except CommandError:
                errors += "%s:%d: Unmatched parenthesis in selector definition." % (path, n)
                continue
            u = model.new_user(name, self)
            syntax_error = False
            for op in ops:
                try:
                    u.apply(op.strip(b"\t\r\n"))
                except model.RuleError as e:
                    if str(e) == model.E_ENOENT:
                        errors += "%s:%d: Error in applying operation '%s': %s. " % (
                            path, n, op.decode("latin-1"), e)
                    elif not syntax_error:
                        errors += "%s:%d: %s. " % (path, n, e)
                        syntax_error = True
            if not errors:
                users[name] = u
        if errors:
            raise CommandError("ERR " + errors + "WARNING: ACL errors detected, no change to the "
                               "previously active ACL rules was performed")
        return users

    def load(self) -> None:
        path = self.server.config["aclfile"]
        try:
            with open(path, encoding="latin-1") as f:
                text = f.read()
        except OSError as e:
            raise CommandError("ERR Error loading ACLs, opening file '%s': %s"
                               % (path, os.strerror(e.errno or 0))) from None
        users = self.parse_file(text, path)
        new_default = users.pop(b"default", None) or model.default_user(self)
        old = self.users
        self.default.assign(new_default)
        self.users = {b"default": self.default, **users}
        for name in old:
            if name != b"default":
                self.kill_clients_of(None, name)
        self.user_changed(self.default)

    def config_lines(self) -> list[str]:
        """CONFIG REWRITE's user lines (rewriteConfigUserOption), in name order."""
        return ["user %s %s" % (n.decode("latin-1"), u.describe()) for n, u in sorted(self.users.items())]

    def save(self) -> None:
        path = self.server.config["aclfile"]
        text = "".join(line + "\n" for line in self.config_lines())
        tmp = "%s.tmp-%d" % (path, os.getpid())
        try:
            with open(tmp, "w", encoding="latin-1") as f:
                f.write(text)
            os.replace(tmp, path)
        except OSError as e:
            raise CommandError("ERR There was an error trying to save the ACLs. "
                               "Please check the server logs for more information") from e


def _acl(c: Any) -> Acl:
    return c.server.hooks["acl"]


def acl_check_cmd(caller: Any, argv: list[bytes]) -> bool:
    """redis.acl_check_cmd: may the script's caller run this command?"""
    if caller.acl is None:
        return True
    from ..dispatch import resolve

    try:
        cmd = resolve(caller, argv)
    except CommandError:
        return False
    return caller.acl.check_all(cmd, argv)[0] == model.OK_


def script_check(caller: Any, cmd: Any, argv: list[bytes]) -> str | None:
    """A command a script runs under a restricted user: None, or the error text (logged)."""
    user = caller.acl
    r, idx = user.check_all(cmd, argv)
    if r == model.OK_:
        return None
    _acl(caller).log_denial(caller, r, "lua", cmd, argv, idx, user.name)
    if r == model.DENIED_CMD:
        return "ERR The user executing the script can't run this command or subcommand"
    if r == model.DENIED_KEY:
        return ("ERR The user executing the script can't access at least one of the keys "
                "mentioned in the command arguments")
    return "ERR The user executing the script can't publish to the channel mentioned in the command"


_EXEC_REASONS = {
    model.DENIED_CMD: "no permission to execute the command or subcommand",
    model.DENIED_KEY: "no permission to touch the specified keys",
    model.DENIED_CHANNEL: "no permission to access one of the channels used as arguments",
}


def exec_check(c: Any, cmd: Any, argv: list[bytes]) -> CommandError | None:
    """EXEC re-checks each queued command: the user's rules may have changed since."""
    from ..dispatch import count_error

    user = c.acl
    r, idx = user.check_all(cmd, argv)
    if r == model.OK_:
        return None
    _acl(c).log_denial(c, r, "multi", cmd, argv, idx, user.name)
    e = CommandError("NOPERM ACLs rules changed between the moment the transaction was accumulated "
                     "and the EXEC call. This command is no longer allowed for the following "
                     "reason: " + _EXEC_REASONS[r])
    count_error(c, e)
    return e


def load_configured_users(a: Acl, users: list[list[str]]) -> None:
    """ACLLoadConfiguredUsers: the config file's ``user`` lines, in order; the
    first bad one stops the start-up (SystemExit with Redis's log words)."""
    for words in users:
        name = words[0].encode("latin-1")
        if b" " in name:
            raise SystemExit("Spaces not allowed in ACL usernames")
        u = a.users.get(name)
        if u is None:
            u = a.users[name] = model.new_user(name, a)
        else:
            u.apply(b"reset")  # a repeated user (Redis allows it for "default") starts over
        try:
            for op in model.merge_selector_args([w.encode("latin-1") for w in words[1:]]):
                u.apply(op)
        except (model.RuleError, CommandError) as e:
            msg = e.message if isinstance(e, CommandError) else str(e)
            raise SystemExit("Error loading ACL rule for the user named '%s': %s"
                             % (words[0], msg)) from None


def setup(server: Any) -> None:
    a = Acl(server)
    users = getattr(server.config, "users", [])
    if users:
        if server.config["aclfile"]:
            raise SystemExit("Configuring Redis with users defined in redis.conf and at the same setting an "
                             "ACL file path is invalid. This setup is very likely to lead to configuration "
                             "errors and security holes, please define either an ACL file or declare users "
                             "directly in your redis.conf, but not both.")
        load_configured_users(a, users)
    if server.config["aclfile"]:
        try:
            a.load()
        except CommandError as e:  # as Redis: no start with a broken ACL file
            raise SystemExit("Aborting Redis startup because of ACL errors: %s" % e.message[4:]) from None
    server.hooks["acl"] = a
    server.hooks["session_init"] = a.session_init
    server.hooks["acl_check"] = acl_check_cmd
    server.hooks["acl_script_check"] = script_check
    server.hooks["acl_exec_check"] = exec_check
    server.config.listeners.append(a.on_config)
    server.config.rewrite_users = a.config_lines


state.SETUP.append(setup)


# --- the ACL command -------------------------------------------------------------------

container("acl", group=SRV, since="6.0.0", summary="A container for Access List Control commands")
_FLAGS = "admin noscript loading stale"


@command("acl|cat", -2, "noscript loading stale", group=SRV, since="6.0.0")
def acl_cat(c: Any, argv: list[bytes]) -> Any:
    if len(argv) > 3:
        from .. import errors

        raise errors.wrong_arity("acl|cat")
    if len(argv) == 2:
        return [c.encode() for c in model.CATEGORIES]
    cat = argv[2].lower().decode("latin-1")
    if cat not in model.CATEGORIES:
        raise CommandError("ERR Unknown category '%s'" % argv[2].decode("latin-1"))
    return [cmd.name.encode() for cmd in model.category_commands(cat)]


@command("acl|setuser", -3, _FLAGS, group=SRV, since="6.0.0")
def acl_setuser(c: Any, argv: list[bytes]) -> Any:
    a = _acl(c)
    name = argv[2]
    if b" " in name or b"\0" in name:
        raise CommandError("ERR Usernames can't contain spaces or null characters")
    ops = model.merge_selector_args(argv[3:])
    u = a.users.get(name)
    temp = u.copy() if u is not None else model.new_user(name, a)
    temp.apply_all(ops)
    if u is None:
        a.users[name] = temp
    else:
        u.assign(temp)
        a.user_changed(u)
        a.kill_pubsub_clients(c, u)
    return OK


@command("acl|getuser", 3, _FLAGS, group=SRV, since="6.0.0")
def acl_getuser(c: Any, argv: list[bytes]) -> Any:
    u = _acl(c).users.get(argv[2])
    if u is None:
        return None
    root = u.root
    return {
        b"flags": [f.encode() for f in u.flags()],
        b"passwords": list(u.passwords),
        b"commands": root.describe_commands().encode(),
        b"keys": root.describe_keys().encode(),
        b"channels": root.describe_channels().encode(),
        b"selectors": [{
            b"commands": s.describe_commands().encode(),
            b"keys": s.describe_keys().encode(),
            b"channels": s.describe_channels().encode(),
        } for s in u.selectors[1:]],
    }


@command("acl|deluser", -3, _FLAGS, group=SRV, since="6.0.0")
def acl_deluser(c: Any, argv: list[bytes]) -> Any:
    a = _acl(c)
    if any(n == b"default" for n in argv[2:]):
        raise CommandError("ERR The 'default' user cannot be removed")
    deleted = 0
    for name in argv[2:]:
        if a.users.pop(name, None) is not None:
            deleted += 1
            a.kill_clients_of(c, name)
    return deleted


@command("acl|list", 2, _FLAGS, group=SRV, since="6.0.0")
def acl_list(c: Any, argv: list[bytes]) -> Any:
    return [b"user %s %s" % (n, u.describe().encode("latin-1"))
            for n, u in sorted(_acl(c).users.items())]


@command("acl|users", 2, _FLAGS, group=SRV, since="6.0.0")
def acl_users(c: Any, argv: list[bytes]) -> Any:
    return sorted(_acl(c).users)


@command("acl|whoami", 2, "noscript loading stale", group=SRV, since="6.0.0")
def acl_whoami(c: Any, argv: list[bytes]) -> Any:
    return c.user


@command("acl|genpass", -2, "noscript loading stale", group=SRV, since="6.0.0")
def acl_genpass(c: Any, argv: list[bytes]) -> Any:
    bits = 256
    if len(argv) > 3:
        from .. import errors

        raise errors.wrong_arity("acl|genpass")
    if len(argv) == 3:
        bits = parse_int(argv[2])
        if bits <= 0 or bits > 4096:
            raise CommandError("ERR ACL GENPASS argument must be the number of bits for the output "
                               "password, a positive number up to 4096")
    return model.genpass(bits)


@command("acl|log", -2, _FLAGS, group=SRV, since="6.0.0")
def acl_log(c: Any, argv: list[bytes]) -> Any:
    a = _acl(c)
    count = 10
    if len(argv) > 3:
        from .. import errors

        raise errors.wrong_arity("acl|log")
    if len(argv) == 3:
        if argv[2].lower() == b"reset":
            a.log.clear()
            return OK
        count = parse_int(argv[2])
        if count < 0:
            return []
    now = int(time.time() * 1000)
    return [{
        b"count": e.count,
        b"reason": e.reason.encode(),
        b"context": e.context.encode(),
        b"object": e.object,
        b"username": e.username,
        b"age-seconds": (now - e.ctime) / 1000.0,
        b"client-info": e.cinfo,
    } for e in a.log[:count]]


@command("acl|dryrun", -4, _FLAGS, group=SRV, since="7.0.0")
def acl_dryrun(c: Any, argv: list[bytes]) -> Any:
    u = _acl(c).users.get(argv[2])
    if u is None:
        raise CommandError("ERR User '%s' not found" % argv[2].decode("latin-1"))
    args = argv[3:]
    cmd = model.lookup_command(args[0])
    if cmd is not None and cmd.subcommands and len(args) > 1:
        cmd = cmd.subcommands.get(args[1].lower())
    if cmd is None or b"|" in args[0]:
        raise CommandError("ERR Command '%s' not found" % args[0].decode("latin-1"))
    n = len(args)
    if (cmd.arity > 0 and cmd.arity != n) or n < -cmd.arity:
        raise CommandError("ERR wrong number of arguments for '%s' command" % cmd.name)
    r, idx = u.check_all(cmd, args)
    if r != model.OK_:
        return model.dryrun_message(r, cmd, args[idx])
    return OK


@command("acl|load", 2, _FLAGS, group=SRV, since="6.0.0")
def acl_load(c: Any, argv: list[bytes]) -> Any:
    a = _acl(c)
    if not c.server.config["aclfile"]:
        raise CommandError(NO_ACLFILE)
    a.load()
    return OK


@command("acl|save", 2, _FLAGS, group=SRV, since="6.0.0")
def acl_save(c: Any, argv: list[bytes]) -> Any:
    a = _acl(c)
    if not c.server.config["aclfile"]:
        raise CommandError(NO_ACLFILE)
    a.save()
    return OK


ACL_HELP = [
    "ACL <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "CAT [<category>]",
    "    List all commands that belong to <category>, or all command categories",
    "    when no category is specified.",
    "DELUSER <username> [<username> ...]",
    "    Delete a list of users.",
    "DRYRUN <username> <command> [<arg> ...]",
    "    Returns whether the user can execute the given command without executing the command.",
    "GETUSER <username>",
    "    Get the user's details.",
    "GENPASS [<bits>]",
    "    Generate a secure 256-bit user password. The optional `bits` argument can",
    "    be used to specify a different size.",
    "LIST",
    "    Show users details in config file format.",
    "LOAD",
    "    Reload users from the ACL file.",
    "LOG [<count> | RESET]",
    "    Show the ACL log entries.",
    "SAVE",
    "    Save the current config to the ACL file.",
    "SETUSER <username> <attribute> [<attribute> ...]",
    "    Create or modify a user with the specified attributes.",
    "USERS",
    "    List all the registered usernames.",
    "WHOAMI",
    "    Return the current connection username.",
    "HELP",
    "    Prints this help.",
]


@command("acl|help", 2, "loading stale", group=SRV, since="6.0.0")
def acl_help(c: Any, argv: list[bytes]) -> Any:
    return [Status(x) for x in ACL_HELP]
