"""Config: parsing like redis.conf, CONFIG SET atomicity and Redis's error texts."""

import pytest

from crabcache.config import Config, ConfigError, load, parse_config_text


def test_defaults_and_units(tmp_path):
    f = tmp_path / "c.conf"
    f.write_text('# comment\nport 7000\nmaxmemory 10mb\nsave 60 1\nsave 300 10\nrequirepass "a b"\n')
    cfg = load([str(f), "--hz", "20"])
    assert cfg["port"] == 7000
    assert cfg["maxmemory"] == 10 * 1024 * 1024
    assert cfg["save"] == [(60, 1), (300, 10)]
    assert cfg["requirepass"] == "a b"
    assert cfg["hz"] == 20


def test_bad_directive():
    with pytest.raises(ConfigError):
        load(["--nosuchthing", "1"])
    with pytest.raises(ConfigError):
        load(["--maxmemory", "lots"])


def test_set_many_is_atomic():
    cfg = Config()
    with pytest.raises(ValueError, match="argument must be a memory value"):
        cfg.set_many([("hz", "20"), ("maxmemory", "abc")])
    assert cfg["hz"] == 10


def test_set_errors_match_redis():
    cfg = Config()
    with pytest.raises(ValueError) as e:
        cfg.set_many([("foo", "bar")])
    assert str(e.value) == "ERR Unknown option or number of arguments for CONFIG SET - 'foo'"
    with pytest.raises(ValueError) as e:
        cfg.set_many([("daemonize", "yes")])
    assert str(e.value) == ("ERR CONFIG SET failed (possibly related to argument 'daemonize') - "
                            "can't set immutable config")
    with pytest.raises(ValueError) as e:
        cfg.set_many([("timeout", "-1")])
    assert "argument must be between 0 and 2147483647 inclusive" in str(e.value)
    with pytest.raises(ValueError) as e:
        cfg.set_many([("maxmemory", "1"), ("maxmemory", "2")])
    assert "duplicate parameter" in str(e.value)


def test_hz_clamps_and_aliases():
    cfg = Config()
    cfg.set_many([("hz", "100000"), ("hash-max-ziplist-entries", "7")])
    assert cfg["hz"] == 500
    assert cfg.get([b"hash-max-listpack-entries"]) == {b"hash-max-listpack-entries": b"7"}
    assert cfg.get([b"hash-max-ziplist-entries"]) == {b"hash-max-ziplist-entries": b"7"}


def test_get_glob():
    got = Config().get([b"maxmemory-p*"])
    assert got == {b"maxmemory-policy": b"noeviction"}


def test_rewrite(tmp_path):
    f = tmp_path / "c.conf"
    f.write_text("# keep me\nport 7000\nhz 10\n")
    cfg = load([str(f)])
    cfg.set_many([("hz", "50"), ("maxmemory", "1mb")])
    cfg.rewrite()
    text = f.read_text()
    assert "# keep me" in text and "hz 50" in text and "maxmemory 1mb" in text
    assert load([str(f)])["hz"] == 50


def test_parse_quotes():
    assert parse_config_text('save ""\nlogfile "/tmp/a b.log"\n') == [("save", ""), ("logfile", "/tmp/a b.log")]


def test_parse_quotes_as_sdssplitargs():
    # Double quotes take C and \xHH escapes (what CONFIG REWRITE writes),
    # single quotes only \'; a quote glued to the next word is an error.
    assert parse_config_text('masterauth "a\\x41\\tb\\"c"\n') == [("masterauth", 'aA\tb"c')]
    assert parse_config_text("masterauth 'it\\'s'\n") == [("masterauth", "it's")]
    assert parse_config_text('masterauth "\\xc3\\xa9t\\xc3\\xa9"\n') == [("masterauth", "\u00e9t\u00e9")]
    for bad in ('masterauth "abc\n', 'masterauth "a"b\n', "masterauth 'a'b\n"):
        with pytest.raises(ConfigError, match="line 1: unbalanced quotes"):
            parse_config_text(bad)


def test_rewrite_of_unprintable_text_loads_back(tmp_path):
    f = tmp_path / "c.conf"
    f.write_text("port 7000\n")
    cfg = load([str(f)])
    secret = 'p\x01w "d" \\ \u00e9\n'
    cfg.set_many([("masterauth", secret)])
    cfg.rewrite()
    assert "\\x01" in f.read_text()
    assert load([str(f)])["masterauth"] == secret


def test_user_directives_keep_their_words(tmp_path):
    # "user" is not a parameter: its lines are kept, in order, word by word
    # (a quoted rule may hold spaces), for the ACL module to load at start-up.
    f = tmp_path / "c.conf"
    f.write_text('user alice on ">pass word" ~* +@all\nport 7000\nuser bob off\n')
    cfg = load([str(f), "--user", "carol", "on", "nopass"])
    assert cfg.users == [["alice", "on", ">pass word", "~*", "+@all"], ["bob", "off"], ["carol", "on", "nopass"]]
    assert cfg["port"] == 7000
    with pytest.raises(ConfigError):
        load(["--user"])
    with pytest.raises(ConfigError, match="^Error in user declaration 'alice': Duplicate user found. A user "
                                          "can only be defined once in config files$"):
        load([str(f), "--user", "alice", "off"])


def test_hidden_parameters_only_by_name():
    # Redis's HIDDEN_CONFIG (rdb-key-save-delay): not in CONFIG GET *, there when named.
    c = Config()
    assert b"rdb-key-save-delay" not in c.get([b"*"]) and not c.get([b"rdb-key-*"])
    assert c.get([b"RDB-KEY-SAVE-DELAY"]) == {b"rdb-key-save-delay": b"0"}


def test_rewrite_writes_memory_values_in_units_as_redis(tmp_path):
    f = tmp_path / "c.conf"
    f.write_text("port 7000\n")
    cfg = load([str(f)])
    cfg.set_many([("client-query-buffer-limit", "2gb"), ("auto-aof-rewrite-min-size", "3072"),
                  ("hash-max-listpack-value", "1kb"), ("stream-node-max-bytes", "1000"),
                  ("zset-max-listpack-value", "65")])
    cfg.rewrite()
    lines = set(f.read_text().splitlines())
    assert {"client-query-buffer-limit 2gb", "auto-aof-rewrite-min-size 3kb", "hash-max-listpack-value 1kb",
            "stream-node-max-bytes 1000", "zset-max-listpack-value 65"} <= lines
    again = load([str(f)])
    assert again["client-query-buffer-limit"] == 2 * 1024**3 and again["hash-max-listpack-value"] == 1024
    assert again["auto-aof-rewrite-min-size"] == 3072 and again["stream-node-max-bytes"] == 1000
