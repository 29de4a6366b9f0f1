"""Raw RESP connections for multi-client compat tests (publishers, subscribers, watchers).

``Wire`` sends commands and reads back whole RESP2/RESP3 frames as the exact
bytes the server wrote, without sleeping: ``frames(n)`` blocks until ``n``
complete frames are there (or fails after a timeout).  To show that nothing
*else* arrived, send a PING and check the next frame is its reply: anything
another client caused us to receive was written before that reply.
"""

from __future__ import annotations

import socket
import time


def encode(*args: bytes | str | int) -> bytes:
    out = [b"*%d\r\n" % len(args)]
    for a in args:
        b = a if isinstance(a, bytes) else str(a).encode()
        out.append(b"$%d\r\n%s\r\n" % (len(b), b))
    return b"".join(out)


def frame_end(buf: bytes, i: int = 0) -> int | None:
    """Index just past the RESP frame starting at ``buf[i]``, None if incomplete."""
    nl = buf.find(b"\r\n", i)
    if nl < 0:
        return None
    kind = buf[i:i + 1]
    head = buf[i + 1:nl]
    j = nl + 2
    if kind in (b"+", b"-", b":", b"_", b",", b"#", b"("):
        return j
    if kind in (b"$", b"=", b"!"):
        n = int(head)
        if n < 0:
            return j
        return j + n + 2 if len(buf) >= j + n + 2 else None
    if kind in (b"*", b"~", b">", b"%", b"|"):
        n = int(head)
        if n < 0:
            return j
        if kind in (b"%", b"|"):
            n *= 2
        for _ in range(n):
            e = frame_end(buf, j)
            if e is None:
                return None
            j = e
        if kind == b"|":  # an attribute precedes the real reply
            return frame_end(buf, j)
        return j
    raise ValueError("bad RESP frame at %d: %r" % (i, buf[i:i + 20]))


class Wire:
    def __init__(self, port: int, protocol: int = 2, timeout: float = 5.0) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        self.timeout = timeout
        self.buf = b""
        if protocol == 3:
            self.call("HELLO", "3")

    def close(self) -> None:
        self.sock.close()

    def __enter__(self) -> Wire:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def send(self, *args: bytes | str | int) -> None:
        self.sock.sendall(encode(*args))

    def send_many(self, *cmds: tuple) -> None:
        self.sock.sendall(b"".join(encode(*c) for c in cmds))

    def frames(self, n: int = 1) -> list[bytes]:
        """The next ``n`` frames, exactly as sent."""
        out = []
        deadline = time.monotonic() + self.timeout
        while len(out) < n:
            end = frame_end(self.buf) if self.buf else None
            if end is not None:
                out.append(self.buf[:end])
                self.buf = self.buf[end:]
                continue
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("got %r, wanted %d frames; pending %r" % (out, n, self.buf))
            self.sock.settimeout(left)
            data = self.sock.recv(65536)
            if not data:
                raise ConnectionError("closed; got %r, pending %r" % (out, self.buf))
            self.buf += data
        return out

    def frame(self) -> bytes:
        return self.frames(1)[0]

    def call(self, *args: bytes | str | int) -> bytes:
        self.send(*args)
        return self.frame()

    def closed_by_server(self) -> bool:
        """True once the server has closed this connection (reads what is left)."""
        self.sock.settimeout(self.timeout)
        try:
            while True:
                data = self.sock.recv(65536)
                if not data:
                    return True
                self.buf += data
        except (ConnectionResetError, BrokenPipeError):
            return True
        except TimeoutError:
            return False
