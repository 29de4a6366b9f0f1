"""A log like Redis's: ``pid:M 25 Nov 2026 01:02:03.456 * message``.

Levels and their marks follow Redis: debug ``.``, verbose ``-``, notice ``*``,
warning ``#``.  ``loglevel`` filters, ``logfile`` ("" = stdout) chooses where.
"""

from __future__ import annotations

import os
import sys
import time
from typing import TextIO

LEVELS = {"debug": 0, "verbose": 1, "notice": 2, "warning": 3}
MARKS = {0: ".", 1: "-", 2: "*", 3: "#"}


class Log:
    def __init__(self, level: str = "notice", path: str = "") -> None:
        self.level = LEVELS[level]
        self.path = path
        self.role = "M"
        self._stream: TextIO | None = None

    def _out(self) -> TextIO:
        if self._stream is None:
            self._stream = open(self.path, "a", buffering=1) if self.path else sys.stdout
        return self._stream

    def log(self, level: int, msg: str) -> None:
        if level < self.level:
            return
        now = time.time()
        stamp = time.strftime("%d %b %Y %H:%M:%S", time.localtime(now))
        line = "%d:%s %s.%03d %s %s\n" % (os.getpid(), self.role, stamp, int(now * 1000) % 1000, MARKS[level], msg)
        try:
            out = self._out()
            out.write(line)
            out.flush()
        except (OSError, ValueError):
            pass

    def debug(self, msg: str) -> None:
        self.log(0, msg)

    def verbose(self, msg: str) -> None:
        self.log(1, msg)

    def notice(self, msg: str) -> None:
        self.log(2, msg)

    def warning(self, msg: str) -> None:
        self.log(3, msg)
