"""Redis's glob-style patterns (stringmatchlen): ``* ? [abc] [^a] [a-z]`` and ``\\x`` escapes.

Used by KEYS, SCAN MATCH, CONFIG GET, PUBSUB CHANNELS, PSUBSCRIBE and friends.
Patterns are translated once to a compiled regular expression and cached,
because the same pattern is usually matched against many strings.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Callable


@lru_cache(maxsize=1024)
def compile_glob(pattern: bytes, nocase: bool = False) -> Callable[[bytes], bool]:
    """A predicate ``f(subject) -> bool`` for a Redis glob pattern."""
    if pattern == b"*":
        return lambda s: True
    out = []
    i, n = 0, len(pattern)
    while i < n:
        c = pattern[i : i + 1]
        if c == b"*":
            while i + 1 < n and pattern[i + 1 : i + 2] == b"*":
                i += 1
            out.append(b".*")
        elif c == b"?":
            out.append(b".")
        elif c == b"[":
            i += 1
            negate = False
            if i < n and pattern[i : i + 1] == b"^":
                negate = True
                i += 1
            items = []
            # Redis reads to the closing ']' or the end of the pattern.
            while i < n and pattern[i : i + 1] != b"]":
                ch = pattern[i : i + 1]
                if ch == b"\\" and i + 1 < n:
                    i += 1
                    items.append(re.escape(pattern[i : i + 1]))
                elif i + 2 < n and pattern[i + 1 : i + 2] == b"-":
                    lo, hi = pattern[i], pattern[i + 2]
                    if lo > hi:
                        lo, hi = hi, lo
                    items.append(re.escape(bytes([lo])) + b"-" + re.escape(bytes([hi])))
                    i += 2
                else:
                    items.append(re.escape(ch))
                i += 1
            if not items:
                # "[]" or "[^]" matches nothing / any one char, as in Redis.
                out.append(b"." if negate else b"(?!)")
            else:
                out.append(b"[" + (b"^" if negate else b"") + b"".join(items) + b"]")
        elif c == b"\\" and i + 1 < n:
            i += 1
            out.append(re.escape(pattern[i : i + 1]))
        else:
            out.append(re.escape(c))
        i += 1
    flags = re.DOTALL | (re.IGNORECASE if nocase else 0)
    rx = re.compile(b"".join(out), flags)
    return lambda s: rx.fullmatch(s) is not None


def glob_match(pattern: bytes, subject: bytes, nocase: bool = False) -> bool:
    return compile_glob(pattern, nocase)(subject)
