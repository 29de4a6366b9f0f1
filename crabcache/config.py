"""Every supported configuration parameter, declared once.

A parameter has a name (plus Redis's legacy aliases), a type that parses and
formats its value, a default, whether CONFIG SET may change it at run time,
and optionally a hook the server runs after a change.  The config file
(redis.conf syntax), ``--name value`` command-line options, CONFIG GET / SET /
REWRITE and INFO all read this table; nothing else holds defaults.

Parameters that CrabCache accepts but does not act on yet are marked
``inert=True`` so tools that set them (``io-threads``, ``daemonize`` ...) keep working;
README lists which ones those are.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any, Callable

from .glob import compile_glob
from .protocol.reader import split_inline

INT_MAX = 2**31 - 1
LLONG_MAX = 2**63 - 1


class ConfigError(Exception):
    """A bad value; ``str(e)`` is Redis's explanation ("argument must be ...")."""


# --- value types ------------------------------------------------------------------


class Type:
    def parse(self, raw: str) -> Any:
        raise NotImplementedError

    def format(self, value: Any) -> str:
        return str(value)


class Bool(Type):
    def parse(self, raw: str) -> bool:
        r = raw.lower()
        if r == "yes":
            return True
        if r == "no":
            return False
        raise ConfigError("argument must be 'yes' or 'no'")

    def format(self, value: bool) -> str:
        return "yes" if value else "no"


@dataclass
class Int(Type):
    lo: int = 0
    hi: int = INT_MAX
    clamp: bool = False  # hz: Redis clamps instead of refusing

    def parse(self, raw: str) -> int:
        try:
            v = int(raw, 10)
        except ValueError:
            raise ConfigError("argument couldn't be parsed into an integer") from None
        if self.clamp:
            return max(self.lo, min(self.hi, v))
        if not self.lo <= v <= self.hi:
            raise ConfigError("argument must be between %d and %d inclusive" % (self.lo, self.hi))
        return v


_UNITS = {
    "": 1, "b": 1, "k": 1000, "kb": 1024, "m": 1000**2, "mb": 1024**2, "g": 1000**3, "gb": 1024**3,
}


def parse_memory(raw: str) -> int | None:
    """Redis's memtoull: digits with an optional k/kb/m/mb/g/gb unit."""
    r = raw.strip().lower()
    i = 0
    while i < len(r) and (r[i].isdigit() or (i == 0 and r[i] == "-")):
        i += 1
    num, unit = r[:i], r[i:]
    if not num or num == "-" or unit not in _UNITS:
        return None
    return int(num) * _UNITS[unit]


@dataclass
class Memory(Type):
    lo: int = 0
    hi: int = LLONG_MAX

    def parse(self, raw: str) -> int:
        v = parse_memory(raw)
        if v is None or v < 0:  # memtoull: no sign
            raise ConfigError("argument must be a memory value")
        if not self.lo <= v <= self.hi:
            raise ConfigError("argument must be between %d and %d inclusive" % (self.lo, self.hi))
        return v


@dataclass
class Enum(Type):
    values: tuple[str, ...]

    def parse(self, raw: str) -> str:
        r = raw.lower()
        if r not in self.values:
            raise ConfigError(
                "argument(s) must be one of the following: " + ", ".join(self.values)
            )
        return r


class String(Type):
    def parse(self, raw: str) -> str:
        return raw


class Dir(String):
    """``dir``: CONFIG GET shows the absolute path, as Redis's getcwd() after its chdir."""

    def format(self, value: str) -> str:
        return os.path.abspath(value or ".")


class Save(Type):
    """``save "3600 1 300 100"``: pairs of seconds and changes, or "" for none."""

    def parse(self, raw: str) -> list[tuple[int, int]]:
        parts = raw.split()
        if len(parts) % 2:
            raise ConfigError("Invalid save parameters")
        pairs = []
        for i in range(0, len(parts), 2):
            try:
                s, c = int(parts[i]), int(parts[i + 1])
            except ValueError:
                raise ConfigError("Invalid save parameters") from None
            if s < 1 or c < 0:
                raise ConfigError("Invalid save parameters")
            pairs.append((s, c))
        return pairs

    def format(self, value: list[tuple[int, int]]) -> str:
        return " ".join("%d %d" % p for p in value)


class ClientOutputBufferLimit(Type):
    """``normal 0 0 0 slave 256mb 64mb 60 pubsub 32mb 8mb 60``; a SET may name a subset."""

    CLASSES = ("normal", "slave", "pubsub")

    def parse(self, raw: str) -> dict[str, tuple[int, int, int]]:
        parts = raw.split()
        if not parts or len(parts) % 4:
            raise ConfigError("Wrong number of arguments in buffer limit configuration.")
        out = {}
        for i in range(0, len(parts), 4):
            cls = parts[i].lower()
            if cls == "replica":
                cls = "slave"
            if cls not in self.CLASSES:
                raise ConfigError("Invalid client class specified in buffer limit configuration.")
            hard, soft = parse_memory(parts[i + 1]), parse_memory(parts[i + 2])
            try:
                secs = int(parts[i + 3])
            except ValueError:
                secs = -1
            if hard is None or soft is None or secs < 0:
                raise ConfigError("Error in hard, soft or soft_seconds setting in buffer limit configuration.")
            out[cls] = (hard, soft, secs)
        return out

    def format(self, value: dict[str, tuple[int, int, int]]) -> str:
        return " ".join("%s %d %d %d" % (c, *value[c]) for c in self.CLASSES)


NOTIFY_FLAGS = "g$lshzxetmdnKE"  # Redis's canonical output order, 'A' expands to g$lshzxetd


class NotifyFlags(Type):
    def parse(self, raw: str) -> str:
        flags: set[str] = set()
        for ch in raw:
            if ch == "A":
                flags.update("g$lshzxetd")
            elif ch in NOTIFY_FLAGS:
                flags.add(ch)
            else:
                raise ConfigError("Invalid event class character. Use 'Ag$lshzxeKEtmdn'.")
        return "".join(c for c in NOTIFY_FLAGS if c in flags)

    def format(self, value: str) -> str:
        # keyspaceEventsFlagsToString: "A" when every class in A is set, else each
        # class (n included), then K, E, m.  With "A", an "n" is not printed: a
        # Redis 7.0 quirk we mirror so CONFIG GET round-trips the same way.
        flags = set(value)
        out = "A" if set("g$lshzxetd") <= flags else "".join(c for c in "g$lshzxetdn" if c in flags)
        return out + "".join(c for c in "KEm" if c in flags)


class Bind(Type):
    def parse(self, raw: str) -> list[str]:
        addrs = raw.split()
        if not addrs:
            raise ConfigError("Too many bind addresses specified.")
        return addrs

    def format(self, value: list[str]) -> str:
        return " ".join(value)


# --- the table --------------------------------------------------------------------


@dataclass
class Param:
    name: str
    type: Type
    default: Any
    mutable: bool = True
    aliases: tuple[str, ...] = ()
    inert: bool = False  # accepted for compatibility, no effect yet
    protected: bool = False  # CONFIG SET needs enable-protected-configs (Redis 7's PROTECTED_CONFIG)
    hidden: bool = False  # CONFIG GET shows it only when asked by name (Redis's HIDDEN_CONFIG)
    on_change: Callable[[Any, Any], None] | None = field(default=None, repr=False)


_MAXMEMORY_POLICIES = (
    "volatile-lru", "volatile-lfu", "volatile-random", "volatile-ttl",
    "allkeys-lru", "allkeys-lfu", "allkeys-random", "noeviction",
)

PARAMS: list[Param] = [
    # network
    Param("bind", Bind(), ["127.0.0.1", "-::1"], mutable=False),
    Param("port", Int(0, 65535), 6379, mutable=False),
    Param("unixsocket", String(), "", mutable=False),
    Param("unixsocketperm", Int(0, 0o777), 0, mutable=False),
    Param("tcp-backlog", Int(0), 511, mutable=False),
    Param("tcp-keepalive", Int(0), 300),
    Param("timeout", Int(0), 0),
    Param("protected-mode", Bool(), True, inert=True),
    Param("maxclients", Int(1), 10000),
    # general
    Param("daemonize", Bool(), False, mutable=False, inert=True),
    Param("pidfile", String(), "", mutable=False),
    Param("loglevel", Enum(("debug", "verbose", "notice", "warning")), "notice"),
    Param("logfile", String(), "", mutable=False),
    Param("databases", Int(1), 16, mutable=False),
    Param("hz", Int(1, 500, clamp=True), 10),
    Param("dynamic-hz", Bool(), True, inert=True),
    Param("io-threads", Int(1, 128), 1, mutable=False, inert=True),
    # security
    Param("requirepass", String(), ""),
    Param("aclfile", String(), "", mutable=False),
    Param("acllog-max-len", Int(0, LLONG_MAX), 128),
    # limits
    Param("proto-max-bulk-len", Memory(1024 * 1024), 512 * 1024 * 1024),
    Param("client-query-buffer-limit", Memory(1024 * 1024), 1024**3),
    Param(
        "client-output-buffer-limit", ClientOutputBufferLimit(),
        {"normal": (0, 0, 0), "slave": (268435456, 67108864, 60), "pubsub": (33554432, 8388608, 60)},
    ),
    Param("maxmemory", Memory(), 0),
    Param("maxmemory-policy", Enum(_MAXMEMORY_POLICIES), "noeviction"),
    Param("maxmemory-samples", Int(1, 64), 5),
    Param("maxmemory-eviction-tenacity", Int(0, 100), 10),
    Param("maxmemory-clients", Memory(), 0, inert=True),
    Param("lfu-log-factor", Int(0), 10),
    Param("lfu-decay-time", Int(0), 1),
    Param("busy-reply-threshold", Int(0, LLONG_MAX), 5000, aliases=("lua-time-limit",)),
    # persistence
    Param("save", Save(), [(3600, 1), (300, 100), (60, 10000)]),
    Param("dbfilename", String(), "dump.rdb", protected=True),
    Param("dir", Dir(), "", protected=True),
    Param("rdbcompression", Bool(), True),
    Param("rdbchecksum", Bool(), True),
    Param("stop-writes-on-bgsave-error", Bool(), True),
    Param("appendonly", Bool(), False),
    Param("appendfilename", String(), "appendonly.aof", mutable=False),
    Param("appendfsync", Enum(("always", "everysec", "no")), "everysec"),
    # events and introspection
    Param("notify-keyspace-events", NotifyFlags(), ""),
    Param("slowlog-log-slower-than", Int(-1, LLONG_MAX), 10000),
    Param("slowlog-max-len", Int(0, LLONG_MAX), 128),
    Param("latency-monitor-threshold", Int(0, LLONG_MAX), 0),
    Param("latency-tracking", Bool(), True),
    Param("tracking-table-max-keys", Int(0, LLONG_MAX), 1000000),
    # encodings (OBJECT ENCODING follows these thresholds)
    # 512, not upstream's 128: the reference build (Debian's 7.0.15) reports 512.
    Param("hash-max-listpack-entries", Int(0, LLONG_MAX), 512, aliases=("hash-max-ziplist-entries",)),
    Param("hash-max-listpack-value", Memory(), 64, aliases=("hash-max-ziplist-value",)),
    Param("list-max-listpack-size", Int(-5, INT_MAX), -2, aliases=("list-max-ziplist-size",)),
    Param("list-compress-depth", Int(0, INT_MAX), 0),
    Param("set-max-intset-entries", Int(0, LLONG_MAX), 512),
    Param("zset-max-listpack-entries", Int(0, LLONG_MAX), 128, aliases=("zset-max-ziplist-entries",)),
    Param("zset-max-listpack-value", Memory(), 64, aliases=("zset-max-ziplist-value",)),
    Param("stream-node-max-bytes", Memory(), 4096),
    Param("stream-node-max-entries", Int(0, LLONG_MAX), 100),
    Param("hll-sparse-max-bytes", Memory(), 3000),
    Param("activerehashing", Bool(), True, inert=True),
    Param("active-expire-effort", Int(1, 10), 1),
    Param("lazyfree-lazy-eviction", Bool(), False, inert=True),
    Param("lazyfree-lazy-expire", Bool(), False, inert=True),
    Param("lazyfree-lazy-server-del", Bool(), False, inert=True),
    Param("lazyfree-lazy-user-del", Bool(), False, inert=True),
    Param("lazyfree-lazy-user-flush", Bool(), False, inert=True),
    Param("replica-read-only", Bool(), True, aliases=("slave-read-only",), inert=True),
    Param("cluster-enabled", Bool(), False, mutable=False, inert=True),
    Param("enable-debug-command", Enum(("no", "yes", "local")), "no", mutable=False),
    Param("enable-protected-configs", Enum(("no", "yes", "local")), "no", mutable=False),
    # Accepted so that any redis.conf loads unchanged (CONFIG GET shows Redis's
    # defaults); mostly no effect here (inert): AOF fine tuning, replication, cluster, TLS,
    # defrag, process tuning.  The AOF ones without inert=True are persistence.aof's.
    Param("acl-pubsub-default", Enum(('allchannels', 'resetchannels')), 'resetchannels'),  # in effect: acl.py
    Param("active-defrag-cycle-max", Int(0, LLONG_MAX), 25, inert=True),
    Param("active-defrag-cycle-min", Int(0, LLONG_MAX), 1, inert=True),
    Param("active-defrag-ignore-bytes", Memory(), 104857600, inert=True),
    Param("active-defrag-max-scan-fields", Int(0, LLONG_MAX), 1000, inert=True),
    Param("active-defrag-threshold-lower", Int(0, LLONG_MAX), 10, inert=True),
    Param("active-defrag-threshold-upper", Int(0, LLONG_MAX), 100, inert=True),
    Param("activedefrag", Bool(), False, inert=True),
    Param("always-show-logo", Bool(), False, mutable=False, inert=True),
    Param("aof-disable-auto-gc", Bool(), False, inert=True),
    Param("aof-load-truncated", Bool(), True),
    Param("aof-rewrite-incremental-fsync", Bool(), True, inert=True),
    Param("aof-timestamp-enabled", Bool(), False, inert=True),
    Param("aof-use-rdb-preamble", Bool(), True),
    Param("aof_rewrite_cpulist", String(), '', mutable=False, inert=True),
    Param("appenddirname", String(), 'appendonlydir', mutable=False),
    Param("auto-aof-rewrite-min-size", Memory(), 67108864),
    Param("auto-aof-rewrite-percentage", Int(0, LLONG_MAX), 100),
    Param("rdb-key-save-delay", Int(-INT_MAX - 1, INT_MAX), 0, hidden=True),
    Param("bgsave_cpulist", String(), '', mutable=False, inert=True),
    Param("bind-source-addr", String(), '', inert=True),
    Param("bio_cpulist", String(), '', mutable=False, inert=True),
    Param("cluster-allow-pubsubshard-when-down", Bool(), True, inert=True),
    Param("cluster-allow-reads-when-down", Bool(), False, inert=True),
    Param("cluster-allow-replica-migration", Bool(), True, inert=True),
    Param("cluster-announce-bus-port", Int(0, LLONG_MAX), 0, inert=True),
    Param("cluster-announce-hostname", String(), '', inert=True),
    Param("cluster-announce-ip", String(), '', inert=True),
    Param("cluster-announce-port", Int(0, LLONG_MAX), 0, inert=True),
    Param("cluster-announce-tls-port", Int(0, LLONG_MAX), 0, inert=True),
    Param("cluster-config-file", String(), 'nodes.conf', mutable=False, inert=True),
    Param("cluster-link-sendbuf-limit", Memory(), 0, inert=True),
    Param("cluster-migration-barrier", Int(0, LLONG_MAX), 1, inert=True),
    Param("cluster-node-timeout", Int(0, LLONG_MAX), 15000, inert=True),
    Param("cluster-port", Int(0, LLONG_MAX), 0, mutable=False, inert=True),
    Param("cluster-preferred-endpoint-type", Enum(('ip', 'hostname', 'unknown-endpoint')), 'ip', inert=True),
    Param("cluster-replica-no-failover", Bool(), False, aliases=('cluster-slave-no-failover',), inert=True),
    Param("cluster-replica-validity-factor", Int(0, LLONG_MAX), 10, aliases=('cluster-slave-validity-factor',),
          inert=True),
    Param("cluster-require-full-coverage", Bool(), True, inert=True),
    Param("crash-log-enabled", Bool(), True, inert=True),
    Param("crash-memcheck-enabled", Bool(), True, inert=True),
    Param("disable-thp", Bool(), True, mutable=False, inert=True),
    Param("enable-module-command", Enum(('no', 'yes', 'local')), 'no', mutable=False, inert=True),
    Param("ignore-warnings", String(), '', inert=True),
    Param("io-threads-do-reads", Bool(), False, mutable=False, inert=True),
    Param("jemalloc-bg-thread", Bool(), True, inert=True),
    Param("latency-tracking-info-percentiles", String(), '50 99 99.9'),
    Param("masterauth", String(), '', inert=True),
    Param("masteruser", String(), '', inert=True),
    Param("min-replicas-max-lag", Int(0, LLONG_MAX), 10, aliases=('min-slaves-max-lag',), inert=True),
    Param("min-replicas-to-write", Int(0, LLONG_MAX), 0, aliases=('min-slaves-to-write',), inert=True),
    Param("no-appendfsync-on-rewrite", Bool(), False, inert=True),
    Param("oom-score-adj", Enum(('no', 'yes', 'relative', 'absolute')), 'no', inert=True),
    Param("oom-score-adj-values", String(), '0 200 800', inert=True),
    Param("proc-title-template", String(), '{title} {listen-addr} {server-mode}', inert=True),
    Param("propagation-error-behavior", Enum(('ignore', 'panic', 'panic-on-replicas')), 'ignore', inert=True),
    Param("rdb-del-sync-files", Bool(), False, inert=True),
    Param("rdb-save-incremental-fsync", Bool(), True, inert=True),
    Param("repl-backlog-size", Memory(), 1048576, inert=True),
    Param("repl-backlog-ttl", Int(0, LLONG_MAX), 3600, inert=True),
    Param("repl-disable-tcp-nodelay", Bool(), False, inert=True),
    Param("repl-diskless-load", Enum(('disabled', 'on-empty-db', 'swapdb')), 'disabled', inert=True),
    Param("repl-diskless-sync", Bool(), True, inert=True),
    Param("repl-diskless-sync-delay", Int(0, LLONG_MAX), 5, inert=True),
    Param("repl-diskless-sync-max-replicas", Int(0, LLONG_MAX), 0, inert=True),
    Param("repl-ping-replica-period", Int(0, LLONG_MAX), 10, aliases=('repl-ping-slave-period',), inert=True),
    Param("repl-timeout", Int(0, LLONG_MAX), 60, inert=True),
    Param("replica-announce-ip", String(), '', aliases=('slave-announce-ip',), inert=True),
    Param("replica-announce-port", Int(0, LLONG_MAX), 0, aliases=('slave-announce-port',), inert=True),
    Param("replica-announced", Bool(), True, inert=True),
    Param("replica-ignore-disk-write-errors", Bool(), False, inert=True),
    Param("replica-ignore-maxmemory", Bool(), True, aliases=('slave-ignore-maxmemory',), inert=True),
    Param("replica-lazy-flush", Bool(), False, aliases=('slave-lazy-flush',), inert=True),
    Param("replica-priority", Int(0, LLONG_MAX), 100, aliases=('slave-priority',), inert=True),
    Param("replica-serve-stale-data", Bool(), True, aliases=('slave-serve-stale-data',), inert=True),
    Param("replicaof", String(), '', mutable=False, aliases=('slaveof',), inert=True),
    Param("sanitize-dump-payload", Enum(('no', 'yes', 'clients')), 'no', inert=True),
    Param("server_cpulist", String(), '', mutable=False, inert=True),
    Param("set-proc-title", Bool(), True, mutable=False, inert=True),
    Param("shutdown-on-sigint", String(), 'default', inert=True),
    Param("shutdown-on-sigterm", String(), 'default', inert=True),
    Param("shutdown-timeout", Int(0, LLONG_MAX), 10, inert=True),
    Param("socket-mark-id", Int(0, LLONG_MAX), 0, mutable=False, inert=True),
    Param("supervised", Enum(('upstart', 'systemd', 'auto', 'no')), 'no', mutable=False, inert=True),
    Param("syslog-enabled", Bool(), False, mutable=False, inert=True),
    Param("syslog-facility", Enum(("user", *("local%d" % i for i in range(8)))), "local0", mutable=False,
          inert=True),
    Param("syslog-ident", String(), 'redis', mutable=False, inert=True),
    Param("tls-auth-clients", Bool(), True, inert=True),
    Param("tls-ca-cert-dir", String(), '', inert=True),
    Param("tls-ca-cert-file", String(), '', inert=True),
    Param("tls-cert-file", String(), '', inert=True),
    Param("tls-ciphers", String(), '', inert=True),
    Param("tls-ciphersuites", String(), '', inert=True),
    Param("tls-client-cert-file", String(), '', inert=True),
    Param("tls-client-key-file", String(), '', inert=True),
    Param("tls-client-key-file-pass", String(), '', inert=True),
    Param("tls-cluster", Bool(), False, inert=True),
    Param("tls-dh-params-file", String(), '', inert=True),
    Param("tls-key-file", String(), '', inert=True),
    Param("tls-key-file-pass", String(), '', inert=True),
    Param("tls-port", Int(0, LLONG_MAX), 0, inert=True),
    Param("tls-prefer-server-ciphers", Bool(), False, inert=True),
    Param("tls-protocols", String(), '', inert=True),
    Param("tls-replication", Bool(), False, inert=True),
    Param("tls-session-cache-size", Int(0, LLONG_MAX), 20480, inert=True),
    Param("tls-session-cache-timeout", Int(0, LLONG_MAX), 300, inert=True),
    Param("tls-session-caching", Bool(), True, inert=True),
    Param("crabcache-shutdown-timeout", Int(0, 3600), 10),
]

REWRITE_SIGNATURE = "# Generated by CONFIG REWRITE"

BY_NAME: dict[str, Param] = {}
for _p in PARAMS:
    BY_NAME[_p.name] = _p
    for _a in _p.aliases:
        BY_NAME[_a] = _p


class Config:
    """Current values, by canonical name.  ``config.values['port']`` etc."""

    def __init__(self) -> None:
        self.values: dict[str, Any] = {p.name: p.default for p in PARAMS}
        self.file: str | None = None  # set when started from a config file (CONFIG REWRITE)
        self.listeners: list[Callable[[str, Any], None]] = []
        # "user <name> <rules...>" directives, in order (the ACL module loads them
        # at start-up, as Redis's ACLLoadConfiguredUsers); not a CONFIG parameter.
        self.users: list[list[str]] = []
        # CONFIG REWRITE's "user" lines (rewriteConfigUserOption), set by the ACL module:
        # one "user <name> <rules as ACL LIST prints them>" per user, default included.
        self.rewrite_users: Callable[[], list[str]] | None = None

    def __getitem__(self, name: str) -> Any:
        return self.values[name]

    def set_value(self, name: str, raw: str) -> None:
        """Parse and store one parameter (startup path: file and argv)."""
        p = BY_NAME.get(name.lower())
        if p is None:
            raise ConfigError("Bad directive or wrong number of arguments")
        self.values[p.name] = p.type.parse(raw)

    def get(self, patterns: list[bytes]) -> dict[bytes, bytes]:
        """CONFIG GET: every parameter (and alias) matching any glob pattern."""
        out: dict[bytes, bytes] = {}
        for pat in patterns:
            match = compile_glob(pat.lower(), True)
            for name, p in BY_NAME.items():
                bname = name.encode()
                if p.hidden and bname != pat.lower():
                    continue
                if bname not in out and match(bname):
                    out[bname] = p.type.format(self.values[p.name]).encode()
        return out

    def set_many(self, pairs: list[tuple[str, str]]) -> None:
        """CONFIG SET a b c d: all or nothing.  Raises ValueError(message) for the client."""
        seen: set[str] = set()
        parsed: list[tuple[Param, Any]] = []
        for name, raw in pairs:
            p = BY_NAME.get(name.lower())
            if p is None:
                raise ValueError("ERR Unknown option or number of arguments for CONFIG SET - '%s'" % name)
            if p.name in seen:
                raise ValueError(_failed(name, "duplicate parameter"))
            seen.add(p.name)
            if not p.mutable:
                raise ValueError(_failed(name, "can't set immutable config"))
            if p.protected and self.values["enable-protected-configs"] == "no":
                raise ValueError(_failed(name, "can't set protected config"))
            try:
                parsed.append((p, p.type.parse(raw)))
            except ConfigError as e:
                raise ValueError(_failed(name, str(e))) from None
        old = {p.name: self.values[p.name] for p, _ in parsed}
        for p, v in parsed:
            self.values[p.name] = v
        for p, v in parsed:
            for fn in self.listeners:
                fn(p.name, old[p.name])

    def rewrite(self) -> None:
        """CONFIG REWRITE: rewrite the file we started from, keeping comments and order.

        Redis's rewriteConfig: the old file is split on "\\n" (a trailing newline
        leaves an empty last line), each parameter's new line takes the place of
        its first old line and later repeats are blanked; ``user`` lines are
        rewritten one for one from the current ACL users (``rewrite_users``; none
        when an aclfile is set), extra ones appended, left-over ones blanked.
        Appended lines go after one "# Generated by CONFIG REWRITE" comment, and
        runs of empty lines are written as one."""
        if not self.file:
            raise ValueError("ERR The server is running without a config file")
        try:
            with open(self.file) as f:
                lines = f.read().split("\n")
        except OSError as e:
            raise ValueError("ERR Rewriting config file: %s" % e.strerror) from None
        written: set[str] = set()
        out: list[str] = []
        user_slots: list[int] = []
        signed = False
        for line in lines:
            line = line.strip("\r\n\t ")  # as Redis: lines come back trimmed
            words = line.split(None, 1)
            if not words or words[0].startswith("#"):
                signed = signed or line == REWRITE_SIGNATURE
                out.append(line)
                continue
            if words[0].lower() == "user":
                user_slots.append(len(out))
                out.append("")
                continue
            p = BY_NAME.get(words[0].lower())
            if p is None:
                out.append(line)
                continue
            if p.name in written:
                out.append("")  # Redis blanks repeated directives it rewrites
                continue
            written.add(p.name)
            out.append(self._line(p))
        tail = [self._line(p) for p in PARAMS if p.name not in written and self.values[p.name] != p.default]
        users = [] if self.values["aclfile"] or self.rewrite_users is None else self.rewrite_users()
        for i, text in enumerate(users):
            if i < len(user_slots):
                out[user_slots[i]] = text
            else:
                tail.append(text)
        if tail and not signed:
            out.append(REWRITE_SIGNATURE)
        out.extend(tail)
        text = ""
        empty = False
        for line in out:
            if not line:
                if empty:
                    continue
                empty = True
            else:
                empty = False
            text += line + "\n"
        tmp = self.file + ".tmp-rewrite"
        with open(tmp, "w") as f:
            f.write(text)
        os.replace(tmp, self.file)

    def _line(self, p: Param) -> str:
        text = p.type.format(self.values[p.name])
        if isinstance(p.type, Memory):
            text = _format_memory(self.values[p.name])
        if isinstance(p.type, Save) and not self.values[p.name]:
            return 'save ""'
        if isinstance(p.type, (String, NotifyFlags)) and p.name not in _UNQUOTED_STRINGS:
            return "%s %s" % (p.name, _repr(text))  # rewriteConfigStringOption: always quoted
        return "%s %s" % (p.name, _quote(text))


def _format_memory(n: int) -> str:
    """rewriteConfigFormatMemory: the largest of gb/mb/kb that divides, else bytes."""
    for unit, size in (("gb", 1024**3), ("mb", 1024**2), ("kb", 1024)):
        if n and n % size == 0:
            return "%d%s" % (n // size, unit)
    return str(n)


# String parameters Redis rewrites with their own (unquoted) formats.
_UNQUOTED_STRINGS = frozenset(("latency-tracking-info-percentiles", "oom-score-adj-values", "replicaof",
                               "shutdown-on-sigint", "shutdown-on-sigterm"))
_REPR_ESCAPES = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r", "\t": "\\t", "\a": "\\a", "\b": "\\b"}


def _repr(text: str) -> str:
    """sdscatrepr: double quotes, C escapes, \\xNN for other unprintable bytes."""
    out = []
    for b in text.encode("utf-8", "surrogateescape"):
        ch = chr(b)
        esc = _REPR_ESCAPES.get(ch)
        if esc is None:
            esc = ch if 32 <= b <= 126 else "\\x%02x" % b
        out.append(esc)
    return '"' + "".join(out) + '"'


def _quote(text: str) -> str:
    if text and all(c.isalnum() or c in "-_./:*" for c in text):
        return text
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _failed(name: str, why: str) -> str:
    return "ERR CONFIG SET failed (possibly related to argument '%s') - %s" % (name, why)


def parse_config_text(text: str) -> list[tuple[str, Any]]:
    """redis.conf syntax: ``name value...`` per line, # comments, quoted args."""
    pairs: list[tuple[str, Any]] = []
    for lineno, line in enumerate(text.splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        # sdssplitargs, as Redis reads it: "..." with C and \xHH escapes (what
        # CONFIG REWRITE writes), '...' with \' only, nothing glued to a quote.
        split = split_inline(line.encode("utf-8", "surrogateescape"))
        if split is None:
            raise ConfigError("line %d: unbalanced quotes in configuration line" % lineno)
        words = [w.decode("utf-8", "surrogateescape") for w in split]
        if not words:
            continue
        name = words[0].lower()
        if name == "include" or name == "loadmodule":
            raise ConfigError("line %d: '%s' is not supported" % (lineno, name))
        if name == "user":  # keeps its words: a quoted rule may hold spaces
            pairs.append((name, words[1:]))
            continue
        pairs.append((name, " ".join(words[1:]) if len(words) > 1 else ""))
    return pairs


def load(argv: list[str]) -> Config:
    """Build a Config from ``[config-file] [--name value ...]`` like redis-server."""
    cfg = Config()
    pairs: list[tuple[str, Any]] = []
    args = list(argv)
    if args and not args[0].startswith("--"):
        cfg.file = os.path.abspath(args.pop(0))
        with open(cfg.file) as f:
            pairs.extend(parse_config_text(f.read()))
    i = 0
    while i < len(args):
        a = args[i]
        if not a.startswith("--"):
            raise ConfigError("Invalid argument '%s'" % a)
        name = a[2:]
        vals = []
        i += 1
        while i < len(args) and not args[i].startswith("--"):
            vals.append(args[i])
            i += 1
        pairs.append((name.lower(), vals if name.lower() == "user" else " ".join(vals)))
    # "save" given several times accumulates, as in redis.conf.
    saves: list[str] = []
    for name, raw in pairs:
        if name == "user":
            if not raw:
                raise ConfigError("'user': Bad directive or wrong number of arguments")
            if any(u[0] == raw[0] for u in cfg.users):  # ACLAppendUserForLoading
                raise ConfigError("Error in user declaration '%s': Duplicate user found. A user can only be "
                                  "defined once in config files" % raw[0])
            cfg.users.append(raw)
            continue
        try:
            if name == "save" and raw.strip():
                saves.append(raw)
                cfg.set_value("save", " ".join(saves))
            else:
                cfg.set_value(name, raw)
        except ConfigError as e:
            raise ConfigError("'%s %s': %s" % (name, raw, e)) from None
    return cfg
