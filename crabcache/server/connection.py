"""One client connection: a reader task and, when output backs up, a writer.

Hot path (one iteration per read):

1. ``sock.recv`` up to 16 KiB, non-blocking; only if nothing is there,
   ``await wait_readable(sock)`` and try again.  Under load the next request
   is usually waiting, so this skips trio's epoll re-registration.
2. After each read has been answered, ``await checkpoint()``: the fairness
   point -- every client gets one read per turn, however fast it pipelines.
3. The reader turns it into argument lists; ``dispatch.execute`` runs each,
   and each reply is encoded into one list.
4. ``write(b"".join(out))`` tries one non-blocking ``send``.  Only if the
   kernel buffer is full does the rest go to the output queue, drained by the
   writer task with ``wait_writable``.  A pipelining client's replies (a read
   of ``HOLD_MIN`` commands or more) are held instead and sent with everyone
   else's at the end of the scheduler round (``RoundEnd``), as Redis writes
   all replies in beforeSleep: the sends then come back to back, so a client
   process serving many connections is woken once per round instead of once
   per connection (on this VM that wake-up was a quarter of our CPU at -P 16).
   While the AOF has unwritten commands every reply is held the same way, and
   the first release of the round writes the AOF (one write, one fsync under
   "always", for the round), so no reply acknowledges a write that is not in
   the file -- Redis's beforeSleep order.

We use trio's low-level socket waits instead of ``SocketStream`` because the
stream adds a checkpoint and a lock per call; bench/ measures the difference.

Output from elsewhere (pub/sub messages, invalidations, MONITOR) goes through
``deliver``: into the current batch's reply list if this client is the one
executing (so it lands after the replies before it), else through ``write``;
ordering is preserved either way.  After each batch, work queued in
``server.before_sleep`` runs (Redis's beforeSleep: BCAST invalidations).
Queued output is bounded: a client whose own replies back up stops being read
(backpressure); one that is fed by others past its
``client-output-buffer-limit`` class limit is disconnected, as Redis does.
"""

from __future__ import annotations

import socket
import time
from collections import deque
from typing import TYPE_CHECKING, Any

import trio

from ..dispatch import RETRY, Deferred, emit, execute, run_batch
from ..errors import CommandError
from ..protocol.reader import RequestReader
from .session import Session

if TYPE_CHECKING:
    from .state import Server

READ_SIZE = 16 * 1024  # as Redis (PROTO_IOBUF_LEN): bounds one pipelining client's turn
BACKPRESSURE = 4 * 1024 * 1024  # stop reading a client whose unsent replies pass this
HOLD_MIN = 4  # a read with this many commands or more: its replies wait for the round's end
HOLD_MAX = 16  # held connections that trigger a flush before the round ends (bounds the delay; see hold)


class Connection:
    __slots__ = (
        "server", "sock", "session", "reader", "outq", "outq_bytes", "closed", "wake",
        "drained", "scope", "soft_since", "registry", "out", "held",
    )

    def __init__(self, server: "Server", sock: socket.socket, session: Session, registry: Any) -> None:
        self.server = server
        self.sock = sock
        self.session = session
        self.reader = RequestReader(
            server.config["proto-max-bulk-len"], server.config["client-query-buffer-limit"]
        )
        self.reader.unauthenticated = not session.authenticated
        self.outq: deque[bytes] = deque()
        self.outq_bytes = 0
        self.closed = False
        self.wake = trio.Event()
        self.drained: trio.Event | None = None
        self.scope: trio.CancelScope | None = None
        self.soft_since = 0.0
        self.registry = registry  # set of live connections, for shutdown
        # The replies of the batch being executed, while it is: output delivered
        # to this client meanwhile (a PUBLISH to itself, its own keyspace events)
        # joins them in order instead of overtaking the earlier replies.
        self.out: list[bytes] | None = None
        # Replies waiting for the end of the scheduler round (see ``hold``);
        # while set, every write joins it so that order is kept.
        self.held: list[bytes] | None = None
        session.deliver = self.deliver
        session.kill = self.kill

    # --- output ------------------------------------------------------------------
    def write(self, data: bytes) -> None:
        """Send now if possible; queue the rest for the writer task.  Never blocks.

        While the AOF has unwritten commands, replies are held instead (see
        ``release``): no client may see a write that is not in the file yet.
        """
        if self.closed:
            return
        if self.held is not None or self.server.aof_buf:
            self.hold(data)
            return
        self._send(data)

    def _send(self, data: bytes) -> None:
        stats = self.server.stats
        stats.total_net_output_bytes += len(data)
        if self.outq:
            self.outq.append(data)
            self.outq_bytes += len(data)
            self.session.output_bytes = self.outq_bytes
            return
        stats.total_writes_processed += 1
        try:
            n = self.sock.send(data)
        except BlockingIOError:
            n = 0
        except OSError:
            self.kill()
            return
        if n < len(data):
            rest = data[n:]
            self.outq.append(rest)
            self.outq_bytes += len(rest)
            self.session.output_bytes = self.outq_bytes
            self.wake.set()

    def hold(self, data: bytes) -> None:
        """Send ``data`` at the end of this scheduler round, with the others'."""
        if self.held is not None:
            self.held.append(data)
            return
        self.held = [data]
        pending = self.server.held
        pending.append(self)
        # Past HOLD_MAX, flush early to bound the delay -- unless the AOF has
        # commands to write: then the round's end writes (and under "always"
        # fsyncs) them once for everyone, Redis's group commit (with "always",
        # 43k -> 55k SET/s at 50 clients; everysec a little better too).
        if len(pending) >= HOLD_MAX and not self.server.aof_buf:
            flush_held(self.server)

    def release(self) -> None:
        """Send what ``hold`` kept back (or queue it for the writer).

        The AOF is written first (fsynced under "always"), as Redis's
        beforeSleep writes it before any reply: one write (and fsync) for the
        whole round's commands instead of one per read.  Should the write
        fail, the replies still go (the file keeps the rest for the next try;
        writes are refused with MISCONF meanwhile), as in Redis.
        """
        held = self.held
        if held is not None:
            self.held = None
            server = self.server
            if server.aof_buf:
                server.aof_flush()
            if not self.closed:
                self._send(b"".join(held) if len(held) > 1 else held[0])
                if self.outq_bytes and self.session.subscribed:  # messages held for the AOF count too
                    self._check_pubsub_limit()

    def deliver(self, data: bytes) -> None:
        """Output produced by another client (pub/sub, invalidation, MONITOR)."""
        if self.out is not None:
            self.out.append(data)
            return
        self.write(data)
        if self.outq_bytes and self.session.subscribed:
            self._check_pubsub_limit()

    def _check_pubsub_limit(self) -> None:
        hard, soft, secs = self.server.config["client-output-buffer-limit"]["pubsub"]
        size = self.outq_bytes
        if hard and size > hard:
            self.kill()
        elif soft and size > soft:
            now = time.monotonic()
            if not self.soft_since:
                self.soft_since = now
            elif now - self.soft_since >= secs:
                self.kill()
        else:
            self.soft_since = 0.0

    def kill(self) -> None:
        """Close this client as soon as possible (CLIENT KILL, limits, shutdown)."""
        if self.closed:
            return
        self.closed = True
        self.held = None
        self.outq.clear()
        self.outq_bytes = 0
        self.wake.set()
        if self.scope is not None:
            self.scope.cancel()
        # Gone for everyone at once, as Redis's freeClient: CLIENT LIST, PUBSUB
        # NUMSUB and friends must not see it while its task unwinds.
        forget_client(self.server, self.session)

    async def _writer(self) -> None:
        sock = self.sock
        while True:
            await self.wake.wait()
            self.wake = trio.Event()
            while self.outq and not self.closed:
                data = self.outq[0]
                self.server.stats.total_writes_processed += 1
                try:
                    n = sock.send(data)
                except BlockingIOError:
                    await trio.lowlevel.wait_writable(sock)
                    continue
                except OSError:
                    self.kill()
                    return
                self.outq_bytes -= n
                self.session.output_bytes = self.outq_bytes
                if n == len(data):
                    self.outq.popleft()
                else:
                    self.outq[0] = data[n:]
            if self.drained is not None:
                self.drained.set()
                self.drained = None

    async def _wait_drained(self) -> None:
        while self.outq and not self.closed:
            self.drained = trio.Event()
            await self.drained.wait()

    # --- input -------------------------------------------------------------------
    async def run(self) -> None:
        async with trio.open_nursery() as nursery:
            nursery.start_soon(self._writer)
            with trio.CancelScope() as self.scope:
                try:
                    await self._read_loop()
                except OSError:
                    pass
            self.release()  # the last replies (QUIT's +OK ...) must not wait for the round
            # Let queued replies go out (bounded), then stop the writer.
            if not self.closed:
                with trio.move_on_after(self.server.config["crabcache-shutdown-timeout"]):
                    await self._wait_drained()
            self.closed = True
            nursery.cancel_scope.cancel()

    async def _read_loop(self) -> None:
        sock = self.sock
        session = self.session
        server = self.server
        reader = self.reader
        stats = server.stats
        wait_readable = trio.lowlevel.wait_readable
        checkpoint = trio.lowlevel.checkpoint
        while True:
            # Eager read: under load the next request is usually there already,
            # which saves trio's epoll re-registration and wait.
            try:
                data = sock.recv(READ_SIZE)
            except BlockingIOError:
                await wait_readable(sock)
                continue
            if not data:
                return
            stats.total_net_input_bytes += len(data)
            stats.total_reads_processed += 1
            session.last_interaction = time.monotonic()
            out: list[bytes] = []
            self.out = out
            server.current_client = session
            session.refresh()  # others ran while we waited: a pause, a busy script ...
            cmds = reader.feed(data)
            while True:
                i = 0
                while i < len(cmds):
                    i, r = run_batch(session, cmds, i, out)
                    if r is not None:  # cmds[i] is parked (BLPOP, WAIT, CLIENT PAUSE ...)
                        r, out = await self._settle(r, cmds[i], out)
                        emit(session, r, out)
                        if server.ready_keys:
                            server.hooks["serve_ready"]()
                        i += 1
                    if session.close_after_reply:
                        break
                if not reader.recheck or session.close_after_reply:
                    break
                reader.unauthenticated = not session.authenticated
                cmds = reader.feed(b"")
            if reader.error is not None and not session.close_after_reply:
                out.append(CommandError("ERR " + reader.error).encode())
                session.close_after_reply = True
            self.out = server.current_client = None
            if out:  # (held, by write, while the AOF has unwritten commands: see release)
                data = b"".join(out) if len(out) > 1 else out[0]
                if len(cmds) >= HOLD_MIN and not session.close_after_reply:
                    self.hold(data)
                else:
                    self.write(data)
            if server.before_sleep:  # e.g. BCAST invalidations gathered during the batch
                run_before_sleep(server)
            if session.close_after_reply or reader.overflow:
                return
            if reader.unauthenticated and session.authenticated:
                reader.unauthenticated = False
            if self.outq_bytes > BACKPRESSURE:
                await self._wait_drained()
            else:
                await checkpoint()  # fairness: every client gets one read per turn

    async def _settle(self, r: Any, argv: list[bytes], out: list[bytes]) -> tuple[Any, list[bytes]]:
        """A parked command: flush the replies before it, wait, and run it afresh
        when asked (RETRY: e.g. CLIENT PAUSE ended).  Returns the final reply and
        the new output list for the rest of the batch."""
        session, server = self.session, self.server
        while isinstance(r, Deferred):
            if server.aof_buf:
                server.aof_flush()
            if out:
                self.write(b"".join(out))
            self.out = server.current_client = None
            r = await self._wait_deferred(r)
            out = []
            self.out = out
            server.current_client = session
            session.refresh()
            if r is RETRY:
                r = execute(session, argv)
        return r, out

    async def _wait_deferred(self, deferred: Deferred) -> Any:
        """Await a parked command (BLPOP, WAIT ...) while still noticing a hang-up.

        Redis keeps reading a blocked client's socket, so a client that
        disconnects while blocked is freed at once and leaves no trace (its
        place in BLPOP queues goes).  We watch for EOF alongside the wait;
        on EOF ``kill`` cancels the read loop, and with it the wait.
        """
        async with trio.open_nursery() as nursery:
            nursery.start_soon(self._watch_hangup)
            r = await deferred.wait()
            nursery.cancel_scope.cancel()
        return r

    async def _watch_hangup(self) -> None:
        sock = self.sock
        while True:
            await trio.lowlevel.wait_readable(sock)
            try:
                data = sock.recv(1, socket.MSG_PEEK)
            except BlockingIOError:
                continue
            except OSError:
                data = b""
            if not data:
                self.kill()
                return
            # Pipelined commands arrived: they stay in the kernel buffer for
            # the read loop.  The socket now stays readable, so stop watching
            # (a hang-up is then noticed when the wait ends).
            await trio.sleep_forever()

async def handle_client(server: "Server", sock: socket.socket, kind: str, registry: set) -> None:
    """Serve one accepted socket until it closes; always leaves no trace behind."""
    sock.setblocking(False)
    if kind == "tcp":
        try:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            peer = sock.getpeername()
            local = sock.getsockname()
            addr = _fmt_addr(peer)
            laddr = _fmt_addr(local)
        except OSError:
            sock.close()
            return
    else:
        addr = "%s:0" % (sock.getsockname() or "")
        laddr = addr
    session = Session(server, addr, laddr, sock.fileno(), kind)
    conn = Connection(server, sock, session, registry)
    server.clients[session.id] = session
    server.stats.total_connections_received += 1
    registry.add(conn)
    try:
        await conn.run()
    except Exception as e:  # noqa: BLE001
        # A bug while serving one client closes that client only; the nursery
        # (and every other client) must never see it.
        log = server.hooks.get("log")
        if log is not None:
            import traceback

            log.warning("Client %s closed after an internal error: %s" % (
                addr, "".join(traceback.format_exception(type(e), e, e.__traceback__))))
    finally:
        registry.discard(conn)
        forget_client(server, session)
        sock.close()
        # Session <-> Connection (through these bound methods) was the one reference
        # cycle a client left behind: without it a closed client is freed by reference
        # counting at once, not by a later collection (tests/server/test_gc_freeze.py).
        session.deliver = _drop
        session.kill = _nothing


def forget_client(server: "Server", session: Session) -> None:
    """Drop a client from the server's view and undo its state; runs once per client."""
    if server.clients.pop(session.id, None) is not None:
        for fn in server.hooks.get("on_disconnect", ()):
            fn(session)


def flush_held(server: "Server") -> None:
    """Send every held reply, connection by connection, back to back."""
    conns = server.held
    server.held = []
    for conn in conns:
        try:
            conn.release()
        except Exception as e:  # noqa: BLE001  (one client's failure must not keep the others' replies)
            log = server.hooks.get("log")
            if log is not None:
                log.warning("Error flushing replies to %s: %r" % (conn.session.addr, e))
            conn.kill()


class RoundEnd(trio.abc.Instrument):
    """Flushes held replies when trio's round of runnable tasks is over.

    ``before_io_wait`` is trio's hook between running a batch of tasks and
    polling for I/O -- the place of Redis's beforeSleep.  Sending may make a
    task runnable (a writer woken by a partial send, a task cancelled by a
    failed one) after trio chose to sleep; then the loop is nudged awake.
    """

    def __init__(self, server: "Server") -> None:
        self.server = server
        self.token = trio.lowlevel.current_trio_token()

    def before_io_wait(self, timeout: float) -> None:
        server = self.server
        if server.held:
            flush_held(server)  # the first release writes the round's AOF commands
            if timeout > 0 and trio.lowlevel.current_statistics().tasks_runnable:
                self.token.run_sync_soon(_nothing)
        elif server.aof_buf:  # AOF commands no reply waits for (a key expired by a read ...)
            server.aof_flush()


def _nothing() -> None:
    pass


def _drop(data: bytes) -> None:
    pass


def run_before_sleep(server: "Server") -> None:
    """Run the one-shot work queued in ``server.before_sleep`` (it may queue more)."""
    while server.before_sleep:
        fns = server.before_sleep
        server.before_sleep = []
        for fn in fns:
            fn()


def _fmt_addr(a: Any) -> str:
    # anetFormatAddr: IPv6 hosts are bracketed.
    return ("[%s]:%d" if ":" in a[0] else "%s:%d") % (a[0], a[1])
