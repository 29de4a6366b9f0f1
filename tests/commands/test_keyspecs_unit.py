"""commands/keyspecs.py: Redis's key-spec search, without a server."""

from __future__ import annotations

import crabcache.commands  # noqa: F401  (registers every command)
from crabcache.commands import keyspecs
from crabcache.commands.command import command_info
from crabcache.commands.registry import COMMANDS


def _keys(line: str) -> list[tuple[bytes, str]]:
    argv = [w.encode() for w in line.split()]
    cmd = COMMANDS[argv[0].lower()]
    if cmd.subcommands:
        cmd = cmd.subcommands[argv[1].lower()]
    return [(argv[i], " ".join(f)) for i, f in keyspecs.keys_and_flags(cmd, argv)]


def test_index_range():
    assert _keys("mset a 1 b 2") == [(b"a", "OW update"), (b"b", "OW update")]
    assert _keys("blpop a b 0") == [(b"a", "RW access delete"), (b"b", "RW access delete")]


def test_keyword_with_limit():
    assert _keys("xread COUNT 1 STREAMS a b c 1 2 3") == [(b"a", "RO access"), (b"b", "RO access"),
                                                          (b"c", "RO access")]
    assert _keys("xread STREAMS a b 0") == [(b"a", "RO access")]


def test_keyword_absent_gives_no_keys_from_that_spec():
    assert _keys("georadius k 0 0 1 km") == [(b"k", "RO access")]


def test_keynum():
    assert _keys("zunionstore d 2 a b WEIGHTS 1 2") == [(b"d", "OW update"), (b"a", "RO access"),
                                                       (b"b", "RO access")]
    assert _keys("zunionstore d 3 a b") == []  # past the end: Redis finds no keys


def test_variable_and_unknown_specs_use_the_key_function():
    assert _keys("set k v GET") == [(b"k", "RW access update")]
    assert _keys("set k v") == [(b"k", "OW update")]
    assert _keys("sort k STORE d") == [(b"k", "RO access"), (b"d", "OW update")]


def test_not_key_specs_are_skipped():
    assert _keys("spublish c m") == []


def test_every_spec_table_name_is_a_command():
    for name in list(keyspecs.KEY_SPECS) + list(keyspecs.TIPS):
        top, _, sub = name.partition("|")
        cmd = COMMANDS[top.encode()]
        assert not sub or sub.encode() in cmd.subcommands, name


def test_command_info_renders_notes_first():
    info = command_info(COMMANDS[b"bitfield"])
    spec = info[8][0]
    assert spec[0] == b"notes" and spec[2] == b"flags"
