"""No reference cycle outlives a client, a Lua state or a function library.

The command line freezes what it loaded at start-up out of the cyclic GC (cli.main),
and such cycles would be garbage it never sees; without them a closed client, a
flushed script VM or a dropped library is freed by reference counting at once.  In a
subprocess with the cyclic GC off, so that every cycle left behind is still there to
count at the end."""

from __future__ import annotations

import subprocess
import sys

SCRIPT = r"""
import gc, sys
import trio
import crabcache.commands
from crabcache.config import load
from crabcache.server.app import serve
from crabcache.server.state import Server

# Clients that leave every kind of state behind when they go.
CMDS = [
    b"PING\r\nSET k v\r\nHSET h f v\r\nBLPOP nolist 0.01\r\nFOO\r\n",
    b"SUBSCRIBE ch\r\n", b"PSUBSCRIBE p*\r\n", b"HELLO 3\r\nSSUBSCRIBE sh\r\n",
    b"MULTI\r\nSET a 1\r\nEXEC\r\n", b"WATCH a\r\nMULTI\r\nSET b 1\r\n",
    b"EVAL \"return redis.call('set','x','1')\" 0\r\n",
    b"HELLO 3\r\nCLIENT TRACKING ON\r\nGET a\r\n", b"CLIENT TRACKING ON BCAST\r\n",
    b"BLPOP blocked 0\r\n", b"XADD s * a 1\r\nXREAD BLOCK 0 STREAMS s $\r\n",
    b"CLIENT REPLY OFF\r\nSET q 1\r\n", b"MONITOR\r\n", b"CLIENT PAUSE 10 WRITE\r\n",
]

SERVER_SETUP = (
    b"EVAL \"return cjson.encode({1})\" 0\r\n"
    b"FUNCTION LOAD REPLACE \"#!lua name=lib%d\\nredis.register_function('f%d', function() return 1 end)\"\r\n"
    b"FCALL f%d 0\r\nFUNCTION LOAD \"#!lua name=keep\\nredis.register_function('k', function() return 1 end)\"\r\n"
)
SERVER_DROP = (
    b"SCRIPT FLUSH\r\nFUNCTION DELETE lib%d\r\n"
    b"FUNCTION LOAD REPLACE \"#!lua name=keep\\nredis.register_function('k', function() return 2 end)\"\r\n"
    b"FUNCTION FLUSH\r\n"
)

async def main():
    server = Server(load(["--port", "0", "--bind", "127.0.0.1", "--save", ""]))
    if sys.argv[1] == "leaky":  # the control: a cycle per client, dropped when it goes
        from crabcache.server.session import Session
        boxes = {}
        init = Session.__init__
        def leaky_init(self, *a, **k):
            init(self, *a, **k)
            box = [self]
            box.append(box)
            boxes[self.id] = box
        Session.__init__ = leaky_init
        server.hooks.setdefault("on_disconnect", []).append(lambda s: boxes.pop(s.id, None))
    async with trio.open_nursery() as n:
        running = await n.start(lambda task_status: serve(server=server, ephemeral=True, task_status=task_status))
        for _ in range(3):
            streams = [await trio.open_tcp_stream("127.0.0.1", running.port) for _ in range(2 * len(CMDS))]
            for i, s in enumerate(streams):
                await s.send_all(CMDS[i % len(CMDS)])
            await trio.sleep(0.3)
            await trio.sleep(0)
            for s in streams:
                await s.aclose()
            del streams, s
            await trio.sleep(0.3)
        # Server-wide state replaced while frozen: scripts, function libraries, users.
        s = await trio.open_tcp_stream("127.0.0.1", running.port)
        for i in range(3):
            await s.send_all(SERVER_SETUP % (i, i, i))
            await trio.sleep(0.3)
            got = await s.receive_some(65536)
            assert got == b"$3\r\n[1]\r\n$4\r\nlib%d\r\n:1\r\n$4\r\nkeep\r\n" % i, got
            await s.send_all(SERVER_DROP % i)
            await trio.sleep(0.3)
            got = await s.receive_some(65536)
            assert got == b"+OK\r\n+OK\r\n$4\r\nkeep\r\n+OK\r\n", got
        await s.aclose()
        running.shutdown()
    print("GARBAGE", gc.collect())

gc.collect()
gc.disable()  # from here on, every reference cycle left behind stays to be counted
trio.run(main)
"""


def garbage(mode: str) -> int:
    out = subprocess.run([sys.executable, "-c", SCRIPT, mode], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    return int(out.stdout.split("GARBAGE")[-1])


def test_clients_scripts_and_libraries_leave_no_cycles_behind() -> None:
    assert garbage("clean") == 0


def test_a_cycle_left_by_a_client_is_found() -> None:
    # The control: one reference cycle per closed client (90 clients) is counted.
    assert garbage("leaky") >= 90
