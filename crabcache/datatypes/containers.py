"""The container value types: list, hash, set.  Thin builtin subclasses.

Builtin containers keep the per-element cost low (C implementations) while the
subclass gives each a distinct exact type, so a type check is one ``type(v) is``
comparison and TYPE/OBJECT read ``type_name``.  ``encoding_sticky`` records
that the value has outgrown its compact encoding (Redis never converts back).
"""

from __future__ import annotations

from collections import deque


class List(deque):
    __slots__ = ("encoding_sticky",)
    type_name = b"list"

    def __init__(self, *a: object) -> None:
        super().__init__(*a)
        self.encoding_sticky = False


class Hash(dict):
    __slots__ = ("encoding_sticky",)
    type_name = b"hash"

    def __init__(self, *a: object) -> None:
        super().__init__(*a)
        self.encoding_sticky = False


class Set(set):
    __slots__ = ("encoding_sticky",)
    type_name = b"set"

    def __init__(self, *a: object) -> None:
        super().__init__(*a)
        self.encoding_sticky = False
