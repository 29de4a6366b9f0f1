"""Introspection: MONITOR, SLOWLOG, LATENCY, CLIENT PAUSE / UNPAUSE.

Rules of this module:

* Nothing here costs a command anything unless it is asked for.  The
  dispatcher makes two cheap tests: ``server.gate`` (None unless a pause is on
  or a MONITOR is attached) before running a command, and
  ``ns >= server.slow_ns`` after it, where ``slow_ns`` is the smallest of the
  slowlog and latency thresholds, or 0 while anyone MONITORs.  Only then does
  ``after_call`` run: MONITOR line, SLOWLOG entry, LATENCY sample.
* MONITOR lines are fed after the command ran (Redis 7.0's call()): the db
  shown is the one after the command, EXEC comes after the commands it ran,
  rejected commands and admin / skip_monitor commands are not shown, and
  AUTH / HELLO AUTH passwords read ``(redacted)``.  A monitor client may not
  touch the keyspace ("Replica can't interact with the keyspace").
* CLIENT PAUSE parks affected commands (all of them, or writes: write and
  may_replicate commands, EXEC of a queue holding one) before they are
  queued or run: the gate returns a ``PauseWait`` (a ``Deferred``) whose
  ``wait`` returns ``dispatch.RETRY`` once the pause is over, by UNPAUSE or
  by its deadline; the command is then processed afresh, checks included,
  as Redis re-processes postponed clients.  A new pause only ever extends
  the deadline and only ever widens WRITE to ALL.  Parked clients count as
  blocked (CLIENT LIST ``b``, INFO blocked_clients).
"""

from __future__ import annotations

import re
import time
from collections import deque
from typing import TYPE_CHECKING, Any

import trio

from .. import dispatch, errors
from ..errors import CommandError
from ..protocol.writer import OK, Map, Raw, Status, Verbatim, encode
from ..server import state
from . import connection as _client_container  # noqa: F401  (declares the CLIENT container)
from .args import parse_int
from .registry import LATENCY_BUCKETS, LATENCY_SINK, Command, command, container

if TYPE_CHECKING:
    from ..server.session import Session
    from ..server.state import Server


def _syntax(argv: list[bytes]) -> CommandError:
    # Redis quotes the subcommand as typed and the container upper-cased.
    return errors.subcommand_syntax(argv[1][:128].decode("latin-1"), argv[0].decode("latin-1"))


SRV = "server"
SLOWLOG_MAX_ARGC = 32
SLOWLOG_MAX_STRING = 128
LATENCY_TS_LEN = 160
NO_REPLY = Raw(b"")


class Pause:
    __slots__ = ("all", "end", "event")

    def __init__(self, all_: bool, end: float) -> None:
        self.all = all_
        self.end = end  # time.monotonic() deadline
        self.event = trio.Event()  # set when the pause is lifted


class LatencyEvent:
    __slots__ = ("max", "samples")

    def __init__(self) -> None:
        self.samples: deque[list[int]] = deque(maxlen=LATENCY_TS_LEN)  # [unix s, ms]
        self.max = 0


class Introspection:
    """Per-server state: monitors, slowlog, latency samples, the client pause."""

    def __init__(self, server: Server) -> None:
        self.server = server
        self.monitors: dict[Session, None] = {}
        self.slowlog: deque[list[Any]] = deque()  # newest first
        self.slowlog_id = 0
        self.latency: dict[bytes, LatencyEvent] = {}
        self.pause: Pause | None = None
        self.update()

    def update(self, *_: Any) -> None:
        """Recompute what the dispatcher tests (config change, MONITOR, pause)."""
        server = self.server
        cfg = server.config
        slow = 1 << 62
        if cfg["slowlog-log-slower-than"] >= 0:
            slow = cfg["slowlog-log-slower-than"]
        if cfg["latency-monitor-threshold"] > 0:
            slow = min(slow, cfg["latency-monitor-threshold"] * 1000)
        if self.monitors:
            slow = 0
        server.slow_ns = slow * 1000
        server.gate = self.gate if (self.monitors or self.pause is not None) else None
        server.pause_end = self.pause.end if self.pause is not None else 0.0

    # --- after a command --------------------------------------------------------
    def after_call(self, c: Session, cmd: Command, argv: list[bytes], us: int, reply: Any) -> Any:
        flags = cmd.flags
        cfg = self.server.config
        if self.monitors and "admin" not in flags and "skip_monitor" not in flags:
            reply = self.feed_monitors(c, argv, reply)
        threshold = cfg["slowlog-log-slower-than"]
        if 0 <= threshold <= us and "skip_slowlog" not in flags:
            self.slowlog_push(c, argv, us)
        threshold = cfg["latency-monitor-threshold"]
        if threshold and us // 1000 >= threshold:
            self.latency_add(b"fast-command" if "fast" in flags else b"command", us // 1000)
        return reply

    # --- MONITOR ------------------------------------------------------------------
    def feed_monitors(self, c: Session, argv: list[bytes], reply: Any = None) -> Any:
        """Send the command line to every MONITOR (replicationFeedMonitors).

        Also ``server.hooks["feed_monitors"](c, argv)``: EVAL / EVALSHA / FCALL
        (skip_monitor) call it before running the script, as Redis's evalCommand
        does, so the script's line precedes its commands' lines.
        """
        if not self.monitors:
            return reply
        if c.kind == "lua":
            source = b"lua"
        elif c.kind == "unix":
            source = b"unix:" + self.server.config["unixsocket"].encode()
        else:
            source = c.addr.encode()
        t = time.time()
        line = b"+%.6f [%d %s] %s\r\n" % (t, c.db.index, source, b" ".join(map(_repr, redact(argv))))
        for m in list(self.monitors):  # a monitor may be dropped while we write to it
            if m is not c:
                m.deliver(line)
            elif c.in_exec:
                self.server.before_sleep.append(lambda: c.deliver(line))
            else:
                # Its own command: Redis's line follows the command's reply.
                reply = Raw(encode(reply, c.resp3) + line)
        return reply

    def stop_monitor(self, c: Session) -> None:
        if self.monitors.pop(c, 0) is None:
            c.flags = c.flags.replace("O", "")
            self.update()

    # --- SLOWLOG ------------------------------------------------------------------
    def slowlog_push(self, c: Session, argv: list[bytes], us: int) -> None:
        args = redact(argv)
        if len(args) > SLOWLOG_MAX_ARGC:
            args = args[: SLOWLOG_MAX_ARGC - 1] + [
                b"... (%d more arguments)" % (len(args) - SLOWLOG_MAX_ARGC + 1)]
        args = [a if len(a) <= SLOWLOG_MAX_STRING else
                a[:SLOWLOG_MAX_STRING] + b"... (%d more bytes)" % (len(a) - SLOWLOG_MAX_STRING)
                for a in args]
        entry = [self.slowlog_id, int(time.time()), us, args, c.addr.encode(), c.name]
        self.slowlog_id += 1
        log = self.slowlog
        log.appendleft(entry)
        limit = self.server.config["slowlog-max-len"]
        while len(log) > limit:
            log.pop()

    # --- LATENCY ------------------------------------------------------------------
    def latency_add(self, event: bytes, ms: int) -> None:
        """latencyAddSample: one sample per second per event, the worst one kept."""
        ev = self.latency.get(event)
        if ev is None:
            ev = self.latency[event] = LatencyEvent()
        now = int(time.time())
        ev.max = max(ev.max, ms)
        samples = ev.samples
        if samples and samples[-1][0] == now:
            samples[-1][1] = max(samples[-1][1], ms)
            return
        samples.append([now, ms])

    # --- CLIENT PAUSE -------------------------------------------------------------
    def gate(self, c: Session, cmd: Command, argv: list[bytes]) -> Any:
        """Checks that exist only while monitored or paused (see module rules)."""
        if self.monitors and c in self.monitors and _touches_keyspace(c, cmd):
            return dispatch.reject(c, cmd, CommandError(errors.REPLICA_KEYSPACE))
        p = self.pause
        if p is not None:
            if time.monotonic() >= p.end:
                self.unpause()
            elif p.all or _may_replicate(c, cmd):
                return PauseWait(self, c)
        return None

    def pause_clients(self, all_: bool, ms: int) -> None:
        end = time.monotonic() + ms / 1000
        p = self.pause
        if p is None:
            self.pause = Pause(all_, end)
        else:
            p.all = p.all or all_
            p.end = max(p.end, end)
        self.update()

    def unpause(self) -> None:
        p = self.pause
        if p is not None:
            self.pause = None
            p.event.set()
            self.update()


class PauseWait(dispatch.Deferred):
    """A command held by CLIENT PAUSE; ``wait`` returns RETRY when the pause is over."""

    __slots__ = ("ist", "session")

    def __init__(self, ist: Introspection, session: Session) -> None:
        self.ist = ist
        self.session = session

    async def wait(self) -> Any:
        ist = self.ist
        c = self.session
        c.blocked = self
        try:
            while True:
                p = ist.pause
                if p is None:
                    return dispatch.RETRY
                left = p.end - time.monotonic()
                if left <= 0:
                    ist.unpause()
                    return dispatch.RETRY
                with trio.move_on_after(left):
                    await p.event.wait()
        finally:
            if c.blocked is self:
                c.blocked = None


def _may_replicate(c: Session, cmd: Command) -> bool:
    # is_may_replicate_command: writes, may_replicate (PUBLISH, EVAL ...), EXEC of such.
    if cmd.write or "may_replicate" in cmd.flags:
        return True
    if cmd.name == "exec" and c.multi:
        return any(q.write or "may_replicate" in q.flags for q, _ in c.multi)
    return False


def _touches_keyspace(c: Session, cmd: Command) -> bool:
    if cmd.write or "readonly" in cmd.flags or "may_replicate" in cmd.flags:
        return True
    if cmd.name == "exec" and c.multi:
        return any(q.write or "readonly" in q.flags or "may_replicate" in q.flags for q, _ in c.multi)
    return False


# --- argument rendering ---------------------------------------------------------------

_ESCAPES = {0x5C: b"\\\\", 0x22: b'\\"', 0x0A: b"\\n", 0x0D: b"\\r", 0x09: b"\\t",
            0x07: b"\\a", 0x08: b"\\b"}
_REPR = [_ESCAPES.get(i) or (bytes([i]) if 0x20 <= i <= 0x7E else b"\\x%02x" % i) for i in range(256)]
_PLAIN = re.compile(rb'[ !#-\[\]-~]*\Z')


def _repr(arg: bytes) -> bytes:
    """sdscatrepr: a double-quoted, escaped rendering of ``arg``."""
    if _PLAIN.match(arg):
        return b'"' + arg + b'"'
    return b'"' + b"".join([_REPR[ch] for ch in arg]) + b'"'


REDACTED = b"(redacted)"


def redact(argv: list[bytes]) -> list[bytes]:
    """Hide passwords as Redis 7.0 does in MONITOR and SLOWLOG (redactClientCommandArgument)."""
    name = argv[0].lower()
    if name == b"auth":
        return [argv[0]] + [REDACTED] * (len(argv) - 1)
    if name == b"hello" and len(argv) > 2:
        out = list(argv)
        j = 2
        while j < len(out):
            opt = out[j].lower()
            more = len(out) - 1 - j
            if opt == b"auth" and more >= 2:
                out[j + 1] = out[j + 2] = REDACTED
                j += 3
            elif opt == b"setname" and more >= 1:
                j += 2
            else:
                break
        return out
    return argv


def _ist(c: Any) -> Introspection:
    return c.server.hooks["introspection"]


# --- MONITOR ------------------------------------------------------------------------


@command("monitor", 1, "admin noscript loading stale", group=SRV, since="1.0.0",
         summary="Listen for all requests received by the server in real time")
def monitor(c: Any, argv: list[bytes]) -> Any:
    if c.in_exec:
        raise CommandError(errors.MONITOR_DENY_BLOCKING)
    ist = _ist(c)
    if c in ist.monitors:
        return NO_REPLY  # Redis ignores a second MONITOR without a word
    ist.monitors[c] = None
    c.flags = "O" + c.flags
    ist.update()
    return OK


# --- SLOWLOG ------------------------------------------------------------------------

container("slowlog", group=SRV, since="2.2.12", summary="A container for slow log commands")


@command("slowlog|get", -2, "admin loading stale", group=SRV, since="2.2.12",
         summary="Get the slow log's entries")
def slowlog_get(c: Any, argv: list[bytes]) -> Any:
    if len(argv) > 3:
        raise _syntax(argv)
    log = _ist(c).slowlog
    count = 10
    if len(argv) == 3:
        try:
            count = parse_int(argv[2])
        except CommandError:
            raise CommandError(errors.SLOWLOG_COUNT) from None
        if count < -1:
            raise CommandError(errors.SLOWLOG_COUNT)
        if count == -1:
            count = len(log)
    return [entry for _, entry in zip(range(count), log)]


@command("slowlog|len", 2, "admin loading stale", group=SRV, since="2.2.12",
         summary="Get the slow log's length")
def slowlog_len(c: Any, argv: list[bytes]) -> Any:
    return len(_ist(c).slowlog)


@command("slowlog|reset", 2, "admin loading stale", group=SRV, since="2.2.12",
         summary="Clear all entries from the slow log")
def slowlog_reset(c: Any, argv: list[bytes]) -> Any:
    _ist(c).slowlog.clear()
    return OK


SLOWLOG_HELP = [
    "SLOWLOG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "GET [<count>]",
    "    Return top <count> entries from the slowlog (default: 10, -1 mean all).",
    "    Entries are made of:",
    "    id, timestamp, time in microseconds, arguments array, client IP and port,",
    "    client name",
    "LEN",
    "    Return the length of the slowlog.",
    "RESET",
    "    Reset the slowlog.",
    "HELP",
    "    Prints this help.",
]


@command("slowlog|help", 2, "loading stale", group=SRV, since="6.2.0", summary="Show helpful text")
def slowlog_help(c: Any, argv: list[bytes]) -> Any:
    return [Status(line) for line in SLOWLOG_HELP]


# --- LATENCY ------------------------------------------------------------------------

container("latency", group=SRV, since="2.8.13", summary="A container for latency diagnostics commands")


@command("latency|latest", 2, "admin noscript loading stale", group=SRV, since="2.8.13",
         summary="Return the latest latency samples for all events")
def latency_latest(c: Any, argv: list[bytes]) -> Any:
    out = []
    for name, ev in _ist(c).latency.items():
        ts, ms = ev.samples[-1]
        out.append([name, ts, ms, ev.max])
    return out


@command("latency|history", 3, "admin noscript loading stale", group=SRV, since="2.8.13",
         summary="Return timestamp-latency samples for the event")
def latency_history(c: Any, argv: list[bytes]) -> Any:
    ev = _ist(c).latency.get(argv[2])
    if ev is None:
        return []
    return [list(s) for s in ev.samples]


@command("latency|reset", -2, "admin noscript loading stale", group=SRV, since="2.8.13",
         summary="Reset latency data for one or more events")
def latency_reset(c: Any, argv: list[bytes]) -> Any:
    events = _ist(c).latency
    if len(argv) == 2:
        n = len(events)
        events.clear()
        return n
    n = 0
    for name in argv[2:]:
        if events.pop(name, None) is not None:
            n += 1
    return n


# LATENCY DOCTOR / GRAPH: Redis's reply shapes over our samples.  DOCTOR's
# texts are Redis's; its advice list is a shorter one.  GRAPH draws the samples
# as columns of 4 rows (Redis draws a finer sparkline).  LATENCY HISTOGRAM and
# INFO latencystats read the per-command latency histograms (below).

_DOCTOR_DISABLED = (
    b"I'm sorry, Dave, I can't do that. Latency monitoring is disabled in this Redis instance. "
    b'You may use "CONFIG SET latency-monitor-threshold <milliseconds>." in order to enable it. '
    b"If we weren't in a deep space mission I'd suggest to take a look at "
    b"https://redis.io/topics/latency-monitor.\n"
)
_DOCTOR_QUIET = (
    b"Dave, no latency spike was observed during the lifetime of this Redis instance, not in the "
    b"slightest bit. I honestly think you ought to sit down calmly, take a stress pill, and think "
    b"things over.\n"
)


@command("latency|doctor", 2, "admin noscript loading stale", group=SRV, since="2.8.13",
         summary="Return a human readable latency analysis report.")
def latency_doctor(c: Any, argv: list[bytes]) -> Any:
    events = _ist(c).latency
    if not events:
        if c.server.config["latency-monitor-threshold"] == 0:
            return Verbatim(_DOCTOR_DISABLED)
        return Verbatim(_DOCTOR_QUIET)
    out = [b"Dave, I have observed latency spikes in this Redis instance. "
           b"You don't mind talking about it, do you Dave?"]
    now = int(time.time())
    for i, (name, ev) in enumerate(events.items(), 1):
        values = [ms for _, ms in ev.samples]
        avg = sum(values) / len(values)
        dev = sum(abs(v - avg) for v in values) / len(values)
        period = (now - ev.samples[0][0]) / len(values)
        out.append(b"%d. %s: %d latency spikes (average %dms, mean deviation %dms, period %.2f sec). "
                   b"Worst all time event %dms." % (i, name, len(values), avg, dev, period, ev.max))
    advice = []
    cfg = c.server.config
    if cfg["slowlog-log-slower-than"] // 1000 > cfg["latency-monitor-threshold"]:
        advice.append(b"- Your current Slow Log configuration only logs events that are slower than your "
                      b"configured latency monitor threshold. Please use 'CONFIG SET slowlog-log-slower-than "
                      b"%d'." % (cfg["latency-monitor-threshold"] * 1000))
    advice.append(b"- Check your Slow Log to understand what are the commands you are running which are too "
                  b"slow to execute. Please check https://redis.io/commands/slowlog for more information.")
    advice.append(b"- Deleting, expiring or evicting (because of maxmemory policy) large objects is a blocking "
                  b"operation. If you have very large objects that are often deleted, expired, or evicted, "
                  b"try to fragment those objects into multiple smaller objects.")
    out.append(b"I have a few advices for you:\n\n" + b"\n".join(advice))
    return Verbatim(b"\n\n".join(out) + b"\n")


@command("latency|graph", 3, "admin noscript loading stale", group=SRV, since="2.8.13",
         summary="Return a latency graph for the event.")
def latency_graph(c: Any, argv: list[bytes]) -> Any:
    ev = _ist(c).latency.get(argv[2])
    if ev is None:
        raise CommandError("ERR No samples available for event '%s'" % argv[2].decode("latin-1"))
    values = [ms for _, ms in ev.samples]
    hi, lo = max(values), min(values)
    head = b"%s - high %d ms, low %d ms (all time high %d ms)\n" % (argv[2], hi, lo, ev.max)
    # A sparkline of 4 rows, two steps a row: "_" fills a row's lower half,
    # "#" its top, "|" the rows below; then a blank row and each sample's age.
    rows, steps = 4, 8
    span = hi - lo or 1
    levels = [min(steps - 1, steps * (v - lo) // span) for v in values]
    lines = []
    for r in range(rows - 1, -1, -1):
        line = bytearray()
        for lv in levels:
            top = lv // 2
            line += (b"_#"[lv % 2:lv % 2 + 1] if top == r else b"|" if top > r else b" ")
        lines.append(bytes(line))
    lines.append(b" " * len(values))
    now = int(time.time())
    labels = []
    for ts, _ in ev.samples:
        age = now - ts
        labels.append(b"%ds" % age if age < 60 else b"%dm" % (age // 60) if age < 3600 else b"%dh" % (age // 3600))
    width = max(len(x) for x in labels)
    for k in range(width):
        lines.append(bytes(x[k] if k < len(x) else 32 for x in labels))
    return Verbatim(head + b"-" * 80 + b"\n" + b"\n".join(lines) + b"\n")


# --- latency tracking: per-command histograms (Redis 7.0's latencystats) ---------------
# Every command (subcommands too) has ``latency_hist``: 21 counts, bucket i for
# the calls that Redis's HDR histogram would report at the level 1024 ns * 2**i
# (dispatch.LAT_BUCKET says which; the dispatcher adds one per call, and a
# pipelined run of one command adds the run's mean once per command).  The
# dispatcher writes to ``cmd.hist``: that list, or a shared sink while
# ``latency-tracking`` is no, so the switch costs the hot path nothing.
# CONFIG RESETSTAT zeroes them (Redis frees the histograms).
# LATENCY HISTOGRAM's key for each bucket: the highest value HDR files with the
# level (level + its HDR bucket - 1 ns) in whole usec; the last level is cut
# short by the 1 s maximum, at 2**30 - 1 ns, as Redis's iterator is.
LATENCY_LEVEL_USEC = [(2**k + 2**(k - 7) - 1) // 1000 for k in range(10, 30)] + [(2**30 - 1) // 1000]
# INFO latencystats' percentile values come from the same buckets: a bucket
# reads as the highest value it may hold (Redis, with 2 significant digits,
# says the value's own HDR bucket; here it is the power-of-two one).  Past
# 2**29 that is the highest equivalent of the 1 s clamp.
LATENCY_TOP_NS = [2**k + 2**(k - 7) - 1 for k in range(10, 30)] + [1002438655]


def _latency_commands() -> list[Command]:
    from .registry import all_commands

    out = []
    for top in all_commands():
        out.append(top)
        out.extend(top.subcommands.values())
    return out


def latency_tracking_setup(server: Server) -> None:
    """Give every command its histogram (once per process: commands, like their
    counts, are shared) and point the dispatcher at it per ``latency-tracking``."""
    on = bool(server.config["latency-tracking"])
    for cmd in _latency_commands():
        cmd.hist = cmd.latency_hist if on else LATENCY_SINK


def latency_histograms_reset() -> None:
    for cmd in _latency_commands():
        cmd.latency_hist[:] = [0] * LATENCY_BUCKETS


def _latency_hist(cmd: Command) -> list[int] | None:
    """The command's histogram if it holds any call (Redis's ``latency_histogram``)."""
    h = cmd.latency_hist
    return h if any(h) else None


def _histogram(h: list[int]) -> Map:
    """fillCommandCDF: calls, and the cumulative count at each level that has any."""
    cdf = Map()
    total = 0
    for i, n in enumerate(h):
        if n:
            total += n
            cdf += [LATENCY_LEVEL_USEC[i], total]
    return Map([b"calls", total, b"histogram_usec", cdf])


def latency_percentiles(h: list[int], percentiles: list[float]) -> list[float]:
    """hdr_value_at_percentile over the buckets, in usec."""
    total = sum(h)
    out = []
    for p in percentiles:
        want = max(1, int(min(p, 100.0) / 100 * total + 0.5))
        seen = 0
        for i, n in enumerate(h):
            seen += n
            if seen >= want:  # p0 reads the lowest value the bucket may hold
                ns = LATENCY_TOP_NS[i] if p != 0.0 else (LATENCY_TOP_NS[i - 1] + 1 if i else 1)
                out.append(ns / 1000.0)
                break
    return out


def _info_percentiles(raw: str) -> list[float]:
    out = []
    for word in raw.split():
        try:
            out.append(float(word))
        except ValueError:
            pass
    return out


def latencystats_lines(server: Any) -> list[str]:
    """INFO latencystats: ``latency_percentiles_usec_<command>:p50=...,p99=...``
    per command with calls, the percentiles of ``latency-tracking-info-percentiles``;
    nothing while latency-tracking is off."""
    cfg = server.config
    if not cfg["latency-tracking"]:
        return []
    pcts = _info_percentiles(cfg["latency-tracking-info-percentiles"])
    labels = []
    for p in pcts:
        text = "%f" % p
        labels.append(text.rstrip("0").rstrip(".") if "." in text else text)  # trimDoubleString
    out = []
    for cmd in _latency_commands():
        h = _latency_hist(cmd)
        if h is None:
            continue
        values = latency_percentiles(h, pcts)
        out.append("latency_percentiles_usec_%s:%s" % (
            cmd.name, ",".join("p%s=%.3f" % (lab, v) for lab, v in zip(labels, values))))
    return out


@command("latency|histogram", -2, "admin noscript loading stale", group=SRV, since="7.0.0",
         summary="Return the cumulative distribution of latencies of a subset of commands or all.")
def latency_histogram(c: Any, argv: list[bytes]) -> Any:
    from .registry import COMMANDS

    out = Map()
    if len(argv) == 2:
        for cmd in _latency_commands():
            h = _latency_hist(cmd)
            if h is not None:
                out += [cmd.name.encode(), _histogram(h)]
        return out
    # latencySpecificCommandsFillCDF: in the order asked, repeats included; a
    # container stands for its subcommands; unknown names are skipped.
    for name in argv[2:]:
        head, bar, sub = name.lower().partition(b"|")
        found = COMMANDS.get(head)
        if found is not None and bar:
            found = found.subcommands.get(sub) if b"|" not in sub else None
        if found is None:
            continue
        for cmd in [found, *found.subcommands.values()]:
            h = _latency_hist(cmd)
            if h is not None:
                out += [cmd.name.encode(), _histogram(h)]
    return out


LATENCY_HELP = [
    "LATENCY <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "DOCTOR",
    "    Return a human readable latency analysis report.",
    "GRAPH <event>",
    "    Return an ASCII latency graph for the <event> class.",
    "HISTORY <event>",
    "    Return time-latency samples for the <event> class.",
    "LATEST",
    "    Return the latest latency samples for all events.",
    "RESET [<event> ...]",
    "    Reset latency data of one or more <event> classes.",
    "    (default: reset all data for all event classes)",
    "HISTOGRAM [COMMAND ...]",
    ("    Return a cumulative distribution of latencies in the format of a histogram for the "
     "specified command names."),
    "    If no commands are specified then all histograms are replied.",
    "HELP",
    "    Prints this help.",
]


@command("latency|help", 2, "loading stale", group=SRV, since="2.8.13", summary="Show helpful text")
def latency_help(c: Any, argv: list[bytes]) -> Any:
    return [Status(line) for line in LATENCY_HELP]


# --- CLIENT PAUSE / UNPAUSE -----------------------------------------------------------


@command("client|pause", -3, "admin noscript loading stale", group="connection", since="2.9.50",
         summary="Stop processing commands from clients for some time")
def client_pause(c: Any, argv: list[bytes]) -> Any:
    all_ = True
    if len(argv) == 4:
        mode = argv[3].lower()
        if mode == b"write":
            all_ = False
        elif mode != b"all":
            raise CommandError(errors.PAUSE_MODE)
    elif len(argv) > 4:
        raise _syntax(argv)
    try:
        ms = parse_int(argv[2])
    except CommandError:
        raise CommandError(errors.TIMEOUT_NOT_INTEGER) from None
    if ms < 0:
        raise CommandError(errors.TIMEOUT_NEGATIVE)
    _ist(c).pause_clients(all_, ms)
    return OK


@command("client|unpause", 2, "admin noscript loading stale", group="connection", since="6.2.0",
         summary="Resume processing of clients that were paused")
def client_unpause(c: Any, argv: list[bytes]) -> Any:
    _ist(c).unpause()
    return OK


# --- wiring ---------------------------------------------------------------------------


def setup(server: Server) -> None:
    ist = Introspection(server)
    hooks = server.hooks
    hooks["introspection"] = ist
    hooks["after_call"] = ist.after_call
    hooks["feed_monitors"] = ist.feed_monitors
    hooks.setdefault("reset", []).append(ist.stop_monitor)
    hooks.setdefault("on_disconnect", []).append(ist.stop_monitor)
    server.config.listeners.append(
        lambda name, old: ist.update() if name in (
            "slowlog-log-slower-than", "latency-monitor-threshold") else None)
    latency_tracking_setup(server)
    server.config.listeners.append(
        lambda name, old: latency_tracking_setup(server) if name == "latency-tracking" else None)


state.SETUP.append(setup)
