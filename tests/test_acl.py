"""ACL model (crabcache.acl): rules, descriptions, key/channel checks, selectors."""

from __future__ import annotations

import pytest

import crabcache.dispatch  # noqa: F401  (registers every command)
from crabcache import acl
from crabcache.commands.registry import COMMANDS
from crabcache.errors import CommandError


def user(*rules: str) -> acl.User:
    u = acl.new_user(b"u")
    u.apply_all([r.encode() for r in rules])
    return u


def check(u: acl.User, *argv: str) -> tuple[int, int]:
    args = [a.encode() for a in argv]
    cmd = COMMANDS[args[0].lower()]
    if cmd.subcommands:
        cmd = cmd.subcommands[args[1].lower()]
    return u.check_all(cmd, args)


def test_new_and_default_users():
    assert acl.new_user(b"x").describe() == "off resetchannels -@all"
    d = acl.default_user()
    assert d.describe() == "on nopass ~* &* +@all"
    assert d.unrestricted and not acl.new_user(b"x").unrestricted


@pytest.mark.parametrize("rules, text", [
    (["on", ">p", "~a*", "%R~b", "%W~c", "&ch*", "+get"],
     "on #" + acl.sha256_hex(b"p").decode() + " ~a* %R~b %W~c resetchannels &ch* -@all +get"),
    (["%R~k", "%W~k"], "off ~k resetchannels -@all"),
    (["+@all", "-@dangerous"], "off resetchannels +@all -@dangerous"),
    (["+@read", "+@write"], "off resetchannels -@all +@write +@read"),
    (["-@all", "+@read", "-get"], "off resetchannels -@all +@read -get"),
    (["+select|0", "+select|1"], "off resetchannels -@all +select|0 +select|1"),
    (["+select|0", "+select"], "off resetchannels -@all +select"),
    (["(+get ~x)", "(&c)"], "off resetchannels -@all (~x resetchannels -@all +get) (resetchannels &c -@all)"),
    (["(+get ~x)", "clearselectors"], "off resetchannels -@all"),
    (["allkeys", "allchannels", "allcommands", "reset"], "off sanitize-payload resetchannels -@all"),
])
def test_describe(rules, text):
    u = user(*rules)
    assert u.describe() == text
    # The description is itself a rule list that rebuilds the same user.
    again = user(*[w.decode() for w in acl.merge_selector_args([w.encode() for w in text.split()])])
    assert again.describe() == text


@pytest.mark.parametrize("rule, message", [
    ("foo", "Syntax error"),
    ("+nosuch", "Unknown command or category name in ACL"),
    ("-select|0", "Unknown command or category name in ACL"),
    ("#abc", "The password hash must be exactly"),
    ("<nope", "The password you are trying to remove"),
    ("%Q~x", "Syntax error"),
])
def test_bad_rules(rule, message):
    with pytest.raises(CommandError) as e:
        user(rule)
    assert e.value.message.startswith("ERR Error in ACL SETUSER modifier '%s': %s" % (rule, message))


def test_unmatched_parenthesis():
    with pytest.raises(CommandError, match="Unmatched parenthesis in acl selector starting at '\\(\\+get'"):
        acl.merge_selector_args([b"(+get", b"~x"])
    assert acl.merge_selector_args([b"(+get", b"~x)", b"on"]) == [b"(+get ~x)", b"on"]


def test_command_checks():
    u = user("+@all", "-set", "-client|kill", "~*", "&*")
    assert check(u, "get", "k") == (acl.OK_, 0)
    assert check(u, "set", "k", "v")[0] == acl.DENIED_CMD
    assert check(u, "client", "kill", "id", "1")[0] == acl.DENIED_CMD
    assert check(u, "client", "id") == (acl.OK_, 0)
    v = user("+select|0", "~*")
    assert check(v, "select", "0") == (acl.OK_, 0)
    assert check(v, "select", "1")[0] == acl.DENIED_CMD
    assert check(v, "auth", "a", "b") == (acl.OK_, 0)  # no_auth commands always run


def test_key_checks_read_write():
    u = user("+@all", "%R~r*", "%W~w*")
    assert check(u, "get", "r1") == (acl.OK_, 0)
    assert check(u, "get", "w1") == (acl.DENIED_KEY, 1)
    assert check(u, "set", "w1", "v") == (acl.OK_, 0)
    assert check(u, "set", "w1", "v", "GET")[0] == acl.DENIED_KEY  # GET makes SET read too
    assert check(u, "lpush", "w1", "a") == (acl.OK_, 0)
    assert check(u, "incr", "w1")[0] == acl.DENIED_KEY
    assert check(u, "copy", "r1", "w2") == (acl.OK_, 0)
    assert check(u, "copy", "w1", "w2") == (acl.DENIED_KEY, 1)
    assert check(u, "exists", "w1") == (acl.OK_, 0)  # no access flags: any matching pattern
    assert check(u, "exists", "x") == (acl.DENIED_KEY, 1)
    assert check(u, "mget", "r1", "r2", "x") == (acl.DENIED_KEY, 3)


def test_channel_checks():
    u = user("+@all", "~*", "&news.*", "&exact")
    assert check(u, "publish", "news.a", "m") == (acl.OK_, 0)
    assert check(u, "publish", "other", "m") == (acl.DENIED_CHANNEL, 1)
    assert check(u, "subscribe", "exact", "news.x", "nope") == (acl.DENIED_CHANNEL, 3)
    # Patterns match literally only.
    assert check(u, "psubscribe", "news.*") == (acl.OK_, 0)
    assert check(u, "psubscribe", "news.a*") == (acl.DENIED_CHANNEL, 1)


def test_selectors_pick_the_most_relevant_error():
    u = user("resetkeys", "(+@write ~w*)", "(+@read ~r*)")
    assert check(u, "set", "w1", "v") == (acl.OK_, 0)
    assert check(u, "get", "r1") == (acl.OK_, 0)
    assert check(u, "get", "w1") == (acl.DENIED_KEY, 1)
    assert check(u, "ping") == (acl.DENIED_CMD, 0)


def test_passwords():
    u = user(">a", ">b", "<a")
    assert u.passwords == [acl.sha256_hex(b"b")]
    u.apply(b"nopass")
    assert u.nopass and u.passwords == []
    u.apply(b"#" + acl.sha256_hex(b"c"))
    assert not u.nopass


def test_genpass_lengths():
    assert len(acl.genpass(256)) == 64
    assert len(acl.genpass(5)) == 2
    assert len(acl.genpass(1)) == 1


def test_configured_users_load_at_start_up_or_stop_it():
    from crabcache.config import Config
    from crabcache.server.state import Server

    cfg = Config()
    cfg.users = [["alice", "on", ">pw", "~k*", "+get"], ["default", "off"]]
    a = Server(cfg).hooks["acl"]
    assert a.users[b"alice"].describe() == "on #%s ~k* resetchannels -@all +get" % acl.sha256_hex(b"pw").decode()
    assert a.users[b"default"].describe() == "off sanitize-payload resetchannels -@all"  # reset, then the rules
    for users, aclfile, words in (
        ([["carol", "on", "+@nosuch"]], "", "Error loading ACL rule for the user named 'carol'"),
        ([["dave on"]], "", "Spaces not allowed in ACL usernames"),
        ([["erin", "on"]], "/tmp/x.acl", "users defined in redis.conf and at the same setting an ACL file"),
    ):
        cfg = Config()
        cfg.users = users
        cfg.values["aclfile"] = aclfile
        with pytest.raises(SystemExit) as e:
            Server(cfg)
        assert words in str(e.value)
