"""server.app.fifo_scheduling: trio runs each round's tasks in the order they became runnable.

It sets a private attribute of trio's scheduler, so this is also the alarm for a trio
release that moves it.  Run in a subprocess: importing hypothesis (pytest does) puts
trio's scheduler in its deterministic test mode, which shuffles instead.
"""

from __future__ import annotations

import json
import subprocess
import sys

SCRIPT = """
import json, sys
import trio
from crabcache.server.app import fifo_scheduling

set_ = fifo_scheduling() if sys.argv[1] == "fifo" else None
order = []

async def worker(i):
    for _ in range(20):
        order.append(i)
        await trio.lowlevel.checkpoint()

async def main():
    async with trio.open_nursery() as nursery:
        for i in range(10):
            nursery.start_soon(worker, i)

trio.run(main)
print(json.dumps([set_, order]))
"""


def rounds(mode: str) -> tuple[bool | None, list[list[int]]]:
    out = subprocess.run([sys.executable, "-c", SCRIPT, mode], capture_output=True, text=True, check=True).stdout
    set_, order = json.loads(out)
    assert sorted(order) == sorted(list(range(10)) * 20)
    return set_, [order[k:k + 10] for k in range(0, len(order), 10)]


def test_every_task_keeps_its_place_in_every_round() -> None:
    set_, rs = rounds("fifo")
    assert set_ is True
    assert all(sorted(r) == list(range(10)) for r in rs)  # one turn per task per round
    assert all(r == rs[0] for r in rs)


def test_without_it_trio_flips_the_order() -> None:
    # The control: trio's coin flip per round (20 rounds agreeing by chance: 2**-19).
    _, rs = rounds("trio")
    assert any(r != rs[0] for r in rs)
