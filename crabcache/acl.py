"""ACL users and permission checks, as Redis 7.0.15 (acl.c) behaves.

Rules of the model:

* A ``User`` has flags (on/off, nopass, sanitize-payload ...), a list of
  password hashes (sha256 hex) and selectors.  The first selector is the root
  one (rules outside parentheses); ``(...)`` rules add more.  A command is
  allowed when *any* selector allows it (command, its keys and its channels).
* A ``Selector`` holds the set of allowed ``Command`` objects (subcommands
  included), the "future commands" bit that only ``+@all``/``-@all`` change
  (it decides whether a description starts with ``+@all`` or ``-@all``), the
  ``allcommands`` shortcut flag (cleared by any ``-`` rule, as Redis), first-arg
  rules (``+select|0``), key patterns with read/write flags and channel
  patterns.
* Key needs come from Redis's key specs (``commands.keyspecs``): ACCESS needs read,
  INSERT/DELETE/UPDATE need write.  Channel patterns given to PSUBSCRIBE must
  equal an allowed pattern literally.
* Descriptions (ACL LIST / GETUSER) follow ACLDescribeSelectorCommandRules:
  start from ``+@all`` or ``-@all``, then repeatedly the best-fitting
  category (agreeing more than differing, differing least), then fix single
  commands.  Redis
  walks its command dict in hash order (random per process); we walk the
  registry's order.

Sessions: ``Session.user`` is the user name; ``Session.acl`` is the ``User``
while that user is restricted, else None (the dispatcher's free path).
"""

from __future__ import annotations

import hashlib
import os
from typing import Any

from .commands.keyspecs import keys_and_flags
from .commands.registry import COMMANDS, Command, all_commands
from .errors import CommandError
from .glob import glob_match

CATEGORIES = (
    "keyspace", "read", "write", "set", "sortedset", "list", "hash", "string", "bitmap",
    "hyperloglog", "geo", "stream", "pubsub", "admin", "fast", "slow", "blocking", "dangerous",
    "connection", "transaction", "scripting",
)

R, W = 1, 2  # key pattern permissions
OK_, DENIED_CMD, DENIED_KEY, DENIED_AUTH, DENIED_CHANNEL = 0, 1, 2, 3, 4

E_ENOENT = "Unknown command or category name in ACL"
E_EINVAL = "Syntax error"
E_EBADMSG = ("The password hash must be exactly 64 characters and contain only lowercase "
             "hexadecimal characters")
E_ENODEV = "The password you are trying to remove from the user does not exist"
E_KEYS_EXIST = ("Adding a pattern after the * pattern (or the 'allkeys' flag) is not valid and "
                "does not have any effect. Try 'resetkeys' to start with an empty list of patterns")
E_CHANNELS_EXIST = ("Adding a pattern after the * pattern (or the 'allchannels' flag) is not valid "
                    "and does not have any effect. Try 'resetchannels' to start with an empty list "
                    "of channels")
E_ECHILD = "Allowing first-arg of a subcommand is not supported"

NOPERM_CMD = "NOPERM this user has no permissions to run the '%s' command"
NOPERM_KEY = "NOPERM this user has no permissions to access one of the keys used as arguments"
NOPERM_CHANNEL = "NOPERM this user has no permissions to access one of the channels used as arguments"

USER_FLAGS = ("on", "off", "nopass", "skip-sanitize-payload", "sanitize-payload")


class RuleError(Exception):
    """A bad SETUSER modifier; ``str(e)`` is Redis's ACLSetUserStringError text."""


# --- the command universe ---------------------------------------------------------

_universe: dict[str, Any] = {"n": -1}


def universe() -> tuple[list[Command], list[Command], dict[str, frozenset[str]]]:
    """(top-level commands, every command incl. subcommands, categories per command name),
    rebuilt when the registry grows."""
    tops = all_commands()
    if _universe["n"] != len(tops):
        every: list[Command] = []
        cats: dict[str, frozenset[str]] = {}
        for c in tops:
            every.append(c)
            cats[c.name] = frozenset(x[1:] for x in c.acl_categories())
            for s in c.subcommands.values():
                every.append(s)
                cats[s.name] = frozenset(x[1:] for x in s.acl_categories())
        _universe.update(n=len(tops), tops=tops, every=every, cats=cats)
    return _universe["tops"], _universe["every"], _universe["cats"]


def lookup_command(name: bytes) -> Command | None:
    """Redis's lookupCommandBySds: ``cmd`` or ``cmd|sub``, case-insensitive."""
    parts = name.lower().split(b"|")
    if len(parts) > 2:
        return None
    base = COMMANDS.get(parts[0])
    if base is None or len(parts) == 1:
        return base
    return base.subcommands.get(parts[1]) if base.subcommands else None


def category_commands(cat: str) -> list[Command]:
    """Commands (and subcommands) in an ACL category, as ACL CAT lists them."""
    _, every, cats = universe()
    return [c for c in every if cat in cats[c.name]]


# --- selectors --------------------------------------------------------------------

class Selector:
    __slots__ = ("root", "allowed", "future", "allcommands", "firstargs", "allkeys", "patterns",
                 "allchannels", "channels")

    def __init__(self, root: bool = False, allchannels: bool = False) -> None:
        self.root = root
        self.allowed: set[Command] = set()
        self.future = False
        self.allcommands = False
        self.firstargs: dict[Command, list[bytes]] = {}
        self.allkeys = False
        self.patterns: list[list[Any]] = []  # [flags, pattern]
        # A new selector starts with acl-pubsub-default (ACLCreateSelector):
        # resetchannels, the 7.0 default, or allchannels.
        self.allchannels = allchannels
        self.channels: list[bytes] = []

    def copy(self) -> "Selector":
        s = Selector(self.root)
        s.allowed = set(self.allowed)
        s.future, s.allcommands, s.allkeys, s.allchannels = (
            self.future, self.allcommands, self.allkeys, self.allchannels)
        s.firstargs = {k: list(v) for k, v in self.firstargs.items()}
        s.patterns = [list(p) for p in self.patterns]
        s.channels = list(self.channels)
        return s

    @property
    def unrestricted(self) -> bool:
        return self.allcommands and self.allkeys and self.allchannels

    # -- changing ------------------------------------------------------------------
    def change(self, cmd: Command, allow: bool) -> None:
        """ACLChangeSelectorPerm: the command, its first-args reset, and all its subcommands."""
        if allow:
            self.allowed.add(cmd)
            self.allowed.update(cmd.subcommands.values())
        else:
            self.allowed.discard(cmd)
            self.allowed.difference_update(cmd.subcommands.values())
        self.firstargs.pop(cmd, None)

    def set_category(self, cat: str, allow: bool) -> None:
        tops, _, cats = universe()
        for c in tops:
            if cat in cats[c.name]:
                self.change(c, allow)
            for s in c.subcommands.values():
                if cat in cats[s.name]:
                    self.change(s, allow)

    def set_all(self, allow: bool) -> None:
        _, every, _ = universe()
        self.allowed = set(every) if allow else set()
        self.future = allow
        self.allcommands = allow
        self.firstargs = {}

    def apply(self, op: bytes) -> None:
        """ACLSetSelector: one rule; raises RuleError."""
        low = op.lower()
        if low in (b"allkeys", b"~*"):
            self.allkeys = True
            self.patterns = []
        elif low == b"resetkeys":
            self.allkeys = False
            self.patterns = []
        elif low in (b"allchannels", b"&*"):
            self.allchannels = True
            self.channels = []
        elif low == b"resetchannels":
            self.allchannels = False
            self.channels = []
        elif low in (b"allcommands", b"+@all"):
            self.set_all(True)
        elif low in (b"nocommands", b"-@all"):
            self.set_all(False)
        elif op[:1] in (b"~", b"%"):
            self._add_key_pattern(op)
        elif op[:1] == b"&":
            if self.allchannels:
                raise RuleError(E_CHANNELS_EXIST)
            pat = op[1:]
            if b" " in pat or b"\0" in pat:
                raise RuleError(E_EINVAL)
            if pat not in self.channels:
                self.channels.append(pat)
            self.allchannels = False
        elif op[:1] == b"+" and op[1:2] != b"@":
            self._allow_command(op[1:])
        elif op[:1] == b"-" and op[1:2] != b"@":
            cmd = lookup_command(op[1:])
            if cmd is None:
                raise RuleError(E_ENOENT)
            self.change(cmd, False)
            self.allcommands = False
        elif op[:2] in (b"+@", b"-@"):
            cat = op[2:].lower().decode("latin-1")
            if cat not in CATEGORIES:
                raise RuleError(E_ENOENT)
            self.set_category(cat, op[:1] == b"+")
            if op[:1] == b"-":
                self.allcommands = False
        else:
            raise RuleError(E_EINVAL)

    def _add_key_pattern(self, op: bytes) -> None:
        if self.allkeys:
            raise RuleError(E_KEYS_EXIST)
        flags = 0
        offset = 1
        if op[:1] == b"%":
            while offset < len(op):
                ch = op[offset:offset + 1].upper()
                if ch == b"R" and not flags & R:
                    flags |= R
                elif ch == b"W" and not flags & W:
                    flags |= W
                elif ch == b"~":
                    offset += 1
                    break
                else:
                    raise RuleError(E_EINVAL)
                offset += 1
        else:
            flags = R | W
        if not flags:
            raise RuleError(E_EINVAL)
        pat = op[offset:]
        if b" " in pat or b"\0" in pat:
            raise RuleError(E_EINVAL)
        if pat == b"*" and flags == R | W:
            self.allkeys = True
            self.patterns = []
            return
        for p in self.patterns:
            if p[1] == pat:
                p[0] |= flags
                break
        else:
            self.patterns.append([flags, pat])
        self.allkeys = False

    def _allow_command(self, name: bytes) -> None:
        if b"|" not in name:
            cmd = lookup_command(name)
            if cmd is None:
                raise RuleError(E_ENOENT)
            self.change(cmd, True)
            return
        base_name, sub = name.split(b"|", 1)
        base = lookup_command(base_name)
        if base is None:
            raise RuleError(E_ENOENT)
        if base.parent is not None:
            raise RuleError(E_ECHILD)
        if not sub:
            raise RuleError(E_EINVAL)
        if base.subcommands:
            cmd = lookup_command(name)
            if cmd is None:
                raise RuleError(E_ENOENT)
            self.change(cmd, True)
        else:
            args = self.firstargs.setdefault(base, [])
            if not any(a.lower() == sub.lower() for a in args):
                args.append(sub)

    # -- checking ------------------------------------------------------------------
    def check(self, cmd: Command, argv: list[bytes], keys: Any) -> tuple[int, int]:
        """ACLSelectorCheckCmd: (result, index of the offending argument)."""
        if not self.allcommands and not cmd.noauth and cmd not in self.allowed:
            base = cmd.parent or cmd
            allowed = self.firstargs.get(base) if cmd.parent is None else None
            idx = 2 if cmd.parent is not None else 1
            if not allowed or len(argv) <= idx or not any(
                    a.lower() == argv[idx].lower() for a in allowed):
                return DENIED_CMD, 0
        if not self.allkeys:
            for pos, need in keys():
                key = argv[pos]
                for flags, pat in self.patterns:
                    if flags & need == need and glob_match(pat, key):
                        break
                else:
                    return DENIED_KEY, pos
        if not self.allchannels:
            for pos, is_pattern in command_channels(cmd, argv):
                ch = argv[pos]
                for pat in self.channels:
                    if (pat == ch) if is_pattern else glob_match(pat, ch):
                        break
                else:
                    return DENIED_CHANNEL, pos
        return OK_, 0

    # -- describing ------------------------------------------------------------------
    def describe_commands(self) -> str:
        """ACLDescribeSelectorCommandRules, without the trailing space."""
        tops, every, cats = universe()
        fake = Selector()
        if self.future:
            rules = ["+@all"]
            fake.set_all(True)
        else:
            rules = ["-@all"]
            fake.set_all(False)
        additive = not self.future
        # Best fit, as Redis 7.0: on a scratch copy of the user's bits, pick
        # the category that agrees with them more than it differs, differing
        # least (ties: agreeing most); emit it, apply its inverse to the copy
        # (those commands are accounted for) and repeat.
        temp = Selector()
        temp.allowed = set(self.allowed)
        applied: set[str] = set()
        while True:
            best, min_diff, max_same = None, None, 0
            for cat in CATEGORIES:
                if cat in applied:
                    continue
                on = off = 0
                for c in every:  # subcommands count too
                    if cat in cats[c.name]:
                        if c in temp.allowed:
                            on += 1
                        else:
                            off += 1
                diff, same = (off, on) if additive else (on, off)
                if same > diff and (min_diff is None or diff < min_diff
                                    or (diff == min_diff and same > max_same)):
                    best, min_diff, max_same = cat, diff, same
            if best is None:
                break
            applied.add(best)
            fake.set_category(best, additive)
            temp.set_category(best, not additive)
            rules.append(("+@" if additive else "-@") + best)
        self._describe_singles(tops, fake, rules)
        return " ".join(rules)

    def _describe_singles(self, cmds: Any, fake: "Selector", rules: list[str]) -> None:
        for c in cmds:
            mine = c in self.allowed
            if mine != (c in fake.allowed):
                rules.append(("+" if mine else "-") + c.name)
                fake.change(c, mine)
            if c.subcommands:
                self._describe_singles(c.subcommands.values(), fake, rules)
            if not mine and c in self.firstargs:
                for a in self.firstargs[c]:
                    rules.append("+%s|%s" % (c.name, a.decode("latin-1")))

    def describe_keys(self) -> str:
        if self.allkeys:
            return "~*"
        return " ".join(_pattern_string(f, p) for f, p in self.patterns)

    def describe_channels(self) -> str:
        if self.allchannels:
            return "&*"
        return " ".join("&" + p.decode("latin-1") for p in self.channels)

    def describe(self) -> str:
        parts = []
        keys = self.describe_keys()
        if keys:
            parts.append(keys)
        if self.allchannels:
            parts.append("&*")
        else:
            parts.append("resetchannels")
            if self.channels:
                parts.append(self.describe_channels())
        parts.append(self.describe_commands())
        return " ".join(parts)


def _pattern_string(flags: int, pat: bytes) -> str:
    prefix = "~" if flags == R | W else "%R~" if flags == R else "%W~"
    return prefix + pat.decode("latin-1")


# --- keys and channels of a command ---------------------------------------------------

def key_needs(cmd: Command, argv: list[bytes]) -> list[tuple[int, int]]:
    """(position, R/W needs) of every key argument, from the command's key specs
    (ACLSelectorCheckKey: ACCESS needs read; INSERT, DELETE, UPDATE need write)."""
    out = []
    for pos, flags in keys_and_flags(cmd, argv):
        if "not_key" in flags:
            continue
        need = R if "access" in flags else 0
        if "insert" in flags or "delete" in flags or "update" in flags:
            need |= W
        out.append((pos, need))
    return out


_CHANNEL_CMDS = {
    "publish": (1, 1, False), "spublish": (1, 1, False),
    "subscribe": (1, -1, False), "ssubscribe": (1, -1, False), "psubscribe": (1, -1, True),
}


def command_channels(cmd: Command, argv: list[bytes]) -> list[tuple[int, bool]]:
    spec = _CHANNEL_CMDS.get(cmd.name)
    if spec is None:
        return []
    first, last, pattern = spec
    end = len(argv) if last < 0 else min(last + 1, len(argv))
    return [(i, pattern) for i in range(first, end)]


# --- users ------------------------------------------------------------------------

def sha256_hex(password: bytes) -> bytes:
    return hashlib.sha256(password).hexdigest().encode()


def _is_hash(h: bytes) -> bool:
    return len(h) == 64 and all(ch in b"0123456789abcdef" for ch in h)


class User:
    """An ACL user; also the checker a restricted session carries as ``Session.acl``."""

    __slots__ = ("name", "enabled", "nopass", "sanitize", "passwords", "selectors", "acl")

    def __init__(self, name: bytes, acl: Any = None) -> None:
        self.name = name
        self.enabled = False
        self.nopass = False
        self.sanitize: str | None = None  # "sanitize-payload" / "skip-sanitize-payload"
        self.passwords: list[bytes] = []
        self.acl = acl  # the server's Acl (log, acl-pubsub-default); None for scratch copies
        self.selectors = [Selector(root=True, allchannels=self._channels_default())]

    def _channels_default(self) -> bool:
        return self.acl is not None and self.acl.pubsub_allchannels()

    @property
    def root(self) -> Selector:
        return self.selectors[0]

    def copy(self) -> "User":
        u = User(self.name, self.acl)
        u.enabled, u.nopass, u.sanitize = self.enabled, self.nopass, self.sanitize
        u.passwords = list(self.passwords)
        u.selectors = [s.copy() for s in self.selectors]
        return u

    def assign(self, other: "User") -> None:
        """ACLCopyUser: take ``other``'s rules, keep identity (sessions point here)."""
        self.enabled, self.nopass, self.sanitize = other.enabled, other.nopass, other.sanitize
        self.passwords = list(other.passwords)
        self.selectors = [s.copy() for s in other.selectors]

    @property
    def unrestricted(self) -> bool:
        return any(s.unrestricted for s in self.selectors)

    def apply(self, op: bytes) -> None:
        """ACLSetUser: one modifier; raises RuleError."""
        low = op.lower()
        if low == b"on":
            self.enabled = True
        elif low == b"off":
            self.enabled = False
        elif low == b"skip-sanitize-payload":
            self.sanitize = "skip-sanitize-payload"
        elif low == b"sanitize-payload":
            self.sanitize = "sanitize-payload"
        elif low == b"nopass":
            self.nopass = True
            self.passwords = []
        elif low == b"resetpass":
            self.nopass = False
            self.passwords = []
        elif op[:1] in (b">", b"#"):
            h = sha256_hex(op[1:]) if op[:1] == b">" else op[1:]
            if op[:1] == b"#" and not _is_hash(h):
                raise RuleError(E_EBADMSG)
            if h not in self.passwords:
                self.passwords.append(h)
            self.nopass = False
        elif op[:1] in (b"<", b"!"):
            h = sha256_hex(op[1:]) if op[:1] == b"<" else op[1:]
            if op[:1] == b"!" and not _is_hash(h):
                raise RuleError(E_EBADMSG)
            if h not in self.passwords:
                raise RuleError(E_ENODEV)
            self.passwords.remove(h)
            self.nopass = False
        elif op[:1] == b"(" and op[-1:] == b")":
            sel = Selector(allchannels=self._channels_default())
            for part in op[1:-1].split(b" "):
                if part:
                    sel.apply(part)
            self.selectors.append(sel)
        elif low == b"clearselectors":
            del self.selectors[1:]
        elif low == b"reset":
            for rule in (b"resetpass", b"resetkeys", b"resetchannels", b"off", b"sanitize-payload",
                         b"clearselectors", b"-@all"):
                self.apply(rule)
                if rule == b"resetchannels" and self._channels_default():
                    self.apply(b"allchannels")
        else:
            self.root.apply(op)

    def apply_all(self, ops: list[bytes]) -> None:
        for op in ops:
            try:
                self.apply(op)
            except RuleError as e:
                raise CommandError("ERR Error in ACL SETUSER modifier '%s': %s"
                                   % (op.decode("latin-1"), e)) from None

    # -- checking ------------------------------------------------------------------
    def check_all(self, cmd: Command, argv: list[bytes]) -> tuple[int, int]:
        """ACLCheckAllUserCommandPerm: (result, offending argument index)."""
        cache: list[Any] = []

        def keys() -> list[tuple[int, int]]:
            if not cache:
                cache.append(key_needs(cmd, argv))
            return cache[0]

        relevant, last = DENIED_CMD, 0
        for s in self.selectors:
            r, idx = s.check(cmd, argv, keys)
            if r == OK_:
                return OK_, 0
            if r > relevant or (r == relevant and idx > last):
                relevant, last = r, idx
        return relevant, last

    def channel_allowed(self, channel: bytes, is_pattern: bool) -> bool:
        for s in self.selectors:
            if s.allchannels:
                return True
            for pat in s.channels:
                if (pat == channel) if is_pattern else glob_match(pat, channel):
                    return True
        return False

    def check(self, c: Any, cmd: Command, argv: list[bytes]) -> CommandError | None:
        """The dispatcher's hook: None, or the NOPERM error (logged to ACL LOG)."""
        r, idx = self.check_all(cmd, argv)
        if r == OK_:
            return None
        context = "multi" if c.multi is not None or c.in_exec else "toplevel"
        if self.acl is not None:
            self.acl.log_denial(c, r, context, cmd, argv, idx, self.name)
        return CommandError(noperm_message(r, cmd))

    # -- describing ----------------------------------------------------------------
    def flags(self) -> list[str]:
        out = ["on" if self.enabled else "off"]
        if self.nopass:
            out.append("nopass")
        if self.sanitize == "skip-sanitize-payload":
            out.append("skip-sanitize-payload")
        elif self.sanitize == "sanitize-payload":
            out.append("sanitize-payload")
        return out

    def describe(self) -> str:
        parts = self.flags() + ["#" + h.decode() for h in self.passwords]
        parts.append(self.root.describe())
        text = " ".join(parts)
        for s in self.selectors[1:]:
            text += " (%s)" % s.describe()
        return text


def noperm_message(r: int, cmd: Command) -> str:
    if r == DENIED_CMD:
        return NOPERM_CMD % cmd.name
    if r == DENIED_KEY:
        return NOPERM_KEY
    return NOPERM_CHANNEL


def dryrun_message(r: int, cmd: Command, arg: bytes) -> bytes:
    if r == DENIED_CMD:
        return b"This user has no permissions to run the '%s' command" % cmd.name.encode()
    if r == DENIED_KEY:
        return b"This user has no permissions to access the '%s' key" % arg
    return b"This user has no permissions to access the '%s' channel" % arg


def merge_selector_args(args: list[bytes]) -> list[bytes]:
    """ACLMergeSelectorArguments: ``(+get`` ``~x)`` -> ``(+get ~x)``; raises on a lone '('."""
    out: list[bytes] = []
    acc: list[bytes] | None = None
    start = b""
    for a in args:
        if acc is None:
            if a[:1] == b"(" and a[-1:] != b")":
                acc, start = [a], a
            else:
                out.append(a)
        else:
            acc.append(a)
            if a[-1:] == b")":
                out.append(b" ".join(acc))
                acc = None
    if acc is not None:
        raise CommandError("ERR Unmatched parenthesis in acl selector starting at '%s'."
                           % start.decode("latin-1"))
    return out


def default_user(acl: Any = None) -> User:
    u = User(b"default", acl)
    for rule in (b"+@all", b"~*", b"&*", b"on", b"nopass"):
        u.apply(rule)
    return u


def new_user(name: bytes, acl: Any = None) -> User:
    u = User(name, acl)
    u.apply(b"-@all")
    return u


def genpass(bits: int) -> bytes:
    chars = (bits + 3) // 4
    return os.urandom((chars + 1) // 2).hex()[:chars].encode()
