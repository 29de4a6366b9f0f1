"""Key specs, tips and a few metadata fixes, as Redis 7.0.15's COMMAND INFO reports them.

One table, applied to the command table (``registry.COMMANDS``) once every
family module has registered its commands (``commands/__init__.py`` calls
``apply()``).  The family modules keep the legacy (first, last, step) triple,
which the dispatcher uses; what COMMAND INFO shows as ``key_specs`` and what
COMMAND GETKEYS / GETKEYSANDFLAGS compute come from here.

The data was read off a real Redis 7.0.15 (``COMMAND INFO``) and its
documentation (the "Command key specifications" page):

- ``ks(flags, begin_search, find_keys, notes=None)``: one key spec.
  Flags: ``RW`` / ``RO`` / ``OW`` (overwrite) / ``RM`` (remove), then
  ``access update insert delete``, and ``not_key incomplete variable_flags``.
- begin_search: ``index(i)`` (argv[i]) or ``keyword(kw, startfrom)`` (the
  argument after ``kw``, searched from ``startfrom``, backwards if negative).
- find_keys: ``range_(lastkey, keystep=1, limit=0)`` (``lastkey`` relative to
  the first key, negative counts from the end; ``limit`` N > 1 takes 1/N of
  what is left) or ``keynum(keynumidx, firstkey, keystep)`` (a count argument).
- ``UNKNOWN``: Redis can't tell where the keys are (SORT's BY/GET/STORE).
"""

from __future__ import annotations

from typing import Any, NamedTuple


class KeySpec(NamedTuple):
    flags: tuple[str, ...]
    begin: tuple[Any, ...]  # ("index", i) | ("keyword", kw, startfrom) | ("unknown",)
    find: tuple[Any, ...]  # ("range", lastkey, step, limit) | ("keynum", idx, first, step) | ("unknown",)
    notes: str | None = None


def ks(flags: str, begin: tuple[Any, ...], find: tuple[Any, ...], notes: str | None = None) -> KeySpec:
    return KeySpec(tuple(flags.split()), begin, find, notes)


def index(i: int) -> tuple[Any, ...]:
    return ("index", i)


def keyword(kw: str, startfrom: int) -> tuple[Any, ...]:
    return ("keyword", kw, startfrom)


def range_(lastkey: int, keystep: int = 1, limit: int = 0) -> tuple[Any, ...]:
    return ("range", lastkey, keystep, limit)


def keynum(keynumidx: int, firstkey: int, keystep: int) -> tuple[Any, ...]:
    return ("keynum", keynumidx, firstkey, keystep)


UNKNOWN = ("unknown",)

KEY_SPECS: dict[str, list[KeySpec]] = {
    'append': [ks('RW insert', index(1), range_(0))],
    'bitcount': [ks('RO access', index(1), range_(0))],
    'bitfield': [
        ks('RW access update variable_flags', index(1), range_(0), notes=(
            'This command allows both access and modification of the key'
        )),
    ],
    'bitfield_ro': [ks('RO access', index(1), range_(0))],
    'bitop': [ks('OW update', index(2), range_(0)), ks('RO access', index(3), range_(-1))],
    'bitpos': [ks('RO access', index(1), range_(0))],
    'blmove': [ks('RW access delete', index(1), range_(0)), ks('RW insert', index(2), range_(0))],
    'blmpop': [ks('RW access delete', index(2), keynum(0, 1, 1))],
    'blpop': [ks('RW access delete', index(1), range_(-2))],
    'brpop': [ks('RW access delete', index(1), range_(-2))],
    'brpoplpush': [ks('RW access delete', index(1), range_(0)), ks('RW insert', index(2), range_(0))],
    'bzmpop': [ks('RW access delete', index(2), keynum(0, 1, 1))],
    'bzpopmax': [ks('RW access delete', index(1), range_(-2))],
    'bzpopmin': [ks('RW access delete', index(1), range_(-2))],
    'copy': [ks('RO access', index(1), range_(0)), ks('OW update', index(2), range_(0))],
    'decr': [ks('RW access update', index(1), range_(0))],
    'decrby': [ks('RW access update', index(1), range_(0))],
    'del': [ks('RM delete', index(1), range_(-1))],
    'dump': [ks('RO access', index(1), range_(0))],
    'eval': [
        ks('RW access update', index(2), keynum(0, 1, 1), notes=(
            'We cannot tell how the keys will be used so we assume the worst, RW and UPDATE'
        )),
    ],
    'eval_ro': [
        ks('RO access', index(2), keynum(0, 1, 1), notes=(
            'We cannot tell how the keys will be used so we assume the worst, RO and ACCESS'
        )),
    ],
    'evalsha': [ks('RW access update', index(2), keynum(0, 1, 1))],
    'evalsha_ro': [ks('RO access', index(2), keynum(0, 1, 1))],
    'exists': [ks('RO', index(1), range_(-1))],
    'expire': [ks('RW update', index(1), range_(0))],
    'expireat': [ks('RW update', index(1), range_(0))],
    'expiretime': [ks('RO access', index(1), range_(0))],
    'fcall': [
        ks('RW access update', index(2), keynum(0, 1, 1), notes=(
            'We cannot tell how the keys will be used so we assume the worst, RW and UPDATE'
        )),
    ],
    'fcall_ro': [
        ks('RO access', index(2), keynum(0, 1, 1), notes=(
            'We cannot tell how the keys will be used so we assume the worst, RO and ACCESS'
        )),
    ],
    'geoadd': [ks('RW update', index(1), range_(0))],
    'geodist': [ks('RO access', index(1), range_(0))],
    'geohash': [ks('RO access', index(1), range_(0))],
    'geopos': [ks('RO access', index(1), range_(0))],
    'georadius': [
        ks('RO access', index(1), range_(0)),
        ks('OW update', keyword('STORE', 6), range_(0)),
        ks('OW update', keyword('STOREDIST', 6), range_(0)),
    ],
    'georadius_ro': [ks('RO access', index(1), range_(0))],
    'georadiusbymember': [
        ks('RO access', index(1), range_(0)),
        ks('OW update', keyword('STORE', 5), range_(0)),
        ks('OW update', keyword('STOREDIST', 5), range_(0)),
    ],
    'georadiusbymember_ro': [ks('RO access', index(1), range_(0))],
    'geosearch': [ks('RO access', index(1), range_(0))],
    'geosearchstore': [ks('OW update', index(1), range_(0)), ks('RO access', index(2), range_(0))],
    'get': [ks('RO access', index(1), range_(0))],
    'getbit': [ks('RO access', index(1), range_(0))],
    'getdel': [ks('RW access delete', index(1), range_(0))],
    'getex': [ks('RW access update', index(1), range_(0), notes='RW and UPDATE because it changes the TTL')],
    'getrange': [ks('RO access', index(1), range_(0))],
    'getset': [ks('RW access update', index(1), range_(0))],
    'hdel': [ks('RW delete', index(1), range_(0))],
    'hexists': [ks('RO', index(1), range_(0))],
    'hget': [ks('RO access', index(1), range_(0))],
    'hgetall': [ks('RO access', index(1), range_(0))],
    'hincrby': [ks('RW access update', index(1), range_(0))],
    'hincrbyfloat': [ks('RW access update', index(1), range_(0))],
    'hkeys': [ks('RO access', index(1), range_(0))],
    'hlen': [ks('RO', index(1), range_(0))],
    'hmget': [ks('RO access', index(1), range_(0))],
    'hmset': [ks('RW update', index(1), range_(0))],
    'hrandfield': [ks('RO access', index(1), range_(0))],
    'hscan': [ks('RO access', index(1), range_(0))],
    'hset': [ks('RW update', index(1), range_(0))],
    'hsetnx': [ks('RW insert', index(1), range_(0))],
    'hstrlen': [ks('RO', index(1), range_(0))],
    'hvals': [ks('RO access', index(1), range_(0))],
    'incr': [ks('RW access update', index(1), range_(0))],
    'incrby': [ks('RW access update', index(1), range_(0))],
    'incrbyfloat': [ks('RW access update', index(1), range_(0))],
    'lcs': [ks('RO access', index(1), range_(1))],
    'lindex': [ks('RO access', index(1), range_(0))],
    'linsert': [ks('RW insert', index(1), range_(0))],
    'llen': [ks('RO', index(1), range_(0))],
    'lmove': [ks('RW access delete', index(1), range_(0)), ks('RW insert', index(2), range_(0))],
    'lmpop': [ks('RW access delete', index(1), keynum(0, 1, 1))],
    'lpop': [ks('RW access delete', index(1), range_(0))],
    'lpos': [ks('RO access', index(1), range_(0))],
    'lpush': [ks('RW insert', index(1), range_(0))],
    'lpushx': [ks('RW insert', index(1), range_(0))],
    'lrange': [ks('RO access', index(1), range_(0))],
    'lrem': [ks('RW delete', index(1), range_(0))],
    'lset': [ks('RW update', index(1), range_(0))],
    'ltrim': [ks('RW delete', index(1), range_(0))],
    'memory|usage': [ks('RO', index(2), range_(0))],
    'mget': [ks('RO access', index(1), range_(-1))],
    'migrate': [
        ks('RW access delete', index(3), range_(0)),
        ks('RW access delete incomplete', keyword('KEYS', -2), range_(-1)),
    ],
    'move': [ks('RW access update', index(1), range_(0))],
    'mset': [ks('OW update', index(1), range_(-1, 2))],
    'msetnx': [ks('OW insert', index(1), range_(-1, 2))],
    'object|encoding': [ks('RO', index(2), range_(0))],
    'object|freq': [ks('RO', index(2), range_(0))],
    'object|idletime': [ks('RO', index(2), range_(0))],
    'object|refcount': [ks('RO', index(2), range_(0))],
    'persist': [ks('RW update', index(1), range_(0))],
    'pexpire': [ks('RW update', index(1), range_(0))],
    'pexpireat': [ks('RW update', index(1), range_(0))],
    'pexpiretime': [ks('RO access', index(1), range_(0))],
    'pfadd': [ks('RW insert', index(1), range_(0))],
    'pfcount': [
        ks('RW access', index(1), range_(-1), notes=(
            'RW because it may change the internal representation of the key, and propagate '
            'to replicas'
        )),
    ],
    'pfdebug': [ks('RW access', index(2), range_(0))],
    'pfmerge': [ks('RW access insert', index(1), range_(0)), ks('RO access', index(2), range_(-1))],
    'psetex': [ks('OW update', index(1), range_(0))],
    'pttl': [ks('RO access', index(1), range_(0))],
    'rename': [ks('RW access delete', index(1), range_(0)), ks('OW update', index(2), range_(0))],
    'renamenx': [ks('RW access delete', index(1), range_(0)), ks('OW insert', index(2), range_(0))],
    'restore': [ks('OW update', index(1), range_(0))],
    'restore-asking': [ks('OW update', index(1), range_(0))],
    'rpop': [ks('RW access delete', index(1), range_(0))],
    'rpoplpush': [ks('RW access delete', index(1), range_(0)), ks('RW insert', index(2), range_(0))],
    'rpush': [ks('RW insert', index(1), range_(0))],
    'rpushx': [ks('RW insert', index(1), range_(0))],
    'sadd': [ks('RW insert', index(1), range_(0))],
    'scard': [ks('RO', index(1), range_(0))],
    'sdiff': [ks('RO access', index(1), range_(-1))],
    'sdiffstore': [ks('OW update', index(1), range_(0)), ks('RO access', index(2), range_(-1))],
    'set': [
        ks('RW access update variable_flags', index(1), range_(0), notes=(
            'RW and ACCESS due to the optional `GET` argument'
        )),
    ],
    'setbit': [ks('RW access update', index(1), range_(0))],
    'setex': [ks('OW update', index(1), range_(0))],
    'setnx': [ks('OW insert', index(1), range_(0))],
    'setrange': [ks('RW update', index(1), range_(0))],
    'sinter': [ks('RO access', index(1), range_(-1))],
    'sintercard': [ks('RO access', index(1), keynum(0, 1, 1))],
    'sinterstore': [ks('RW update', index(1), range_(0)), ks('RO access', index(2), range_(-1))],
    'sismember': [ks('RO', index(1), range_(0))],
    'smembers': [ks('RO access', index(1), range_(0))],
    'smismember': [ks('RO access', index(1), range_(0))],
    'smove': [ks('RW access delete', index(1), range_(0)), ks('RW insert', index(2), range_(0))],
    'sort': [
        ks('RO access', index(1), range_(0)),
        ks('RO access', UNKNOWN, UNKNOWN, notes=(
            "For the optional BY/GET keyword. It is marked 'unknown' because the key names "
            'derive from the content of the key we sort'
        )),
        ks('OW update', UNKNOWN, UNKNOWN, notes=(
            "For the optional STORE keyword. It is marked 'unknown' because the keyword can "
            'appear anywhere in the argument array'
        )),
    ],
    'sort_ro': [
        ks('RO access', index(1), range_(0)),
        ks('RO access', UNKNOWN, UNKNOWN, notes=(
            "For the optional BY/GET keyword. It is marked 'unknown' because the key names "
            'derive from the content of the key we sort'
        )),
    ],
    'spop': [ks('RW access delete', index(1), range_(0))],
    'spublish': [ks('not_key', index(1), range_(0))],
    'srandmember': [ks('RO access', index(1), range_(0))],
    'srem': [ks('RW delete', index(1), range_(0))],
    'sscan': [ks('RO access', index(1), range_(0))],
    'ssubscribe': [ks('not_key', index(1), range_(-1))],
    'strlen': [ks('RO', index(1), range_(0))],
    'substr': [ks('RO access', index(1), range_(0))],
    'sunion': [ks('RO access', index(1), range_(-1))],
    'sunionstore': [ks('OW update', index(1), range_(0)), ks('RO access', index(2), range_(-1))],
    'sunsubscribe': [ks('not_key', index(1), range_(-1))],
    'touch': [ks('RO', index(1), range_(-1))],
    'ttl': [ks('RO access', index(1), range_(0))],
    'type': [ks('RO', index(1), range_(0))],
    'unlink': [ks('RM delete', index(1), range_(-1))],
    'watch': [ks('RO', index(1), range_(-1))],
    'xack': [ks('RW update', index(1), range_(0))],
    'xadd': [
        ks('RW update', index(1), range_(0), notes=(
            'UPDATE instead of INSERT because of the optional trimming feature'
        )),
    ],
    'xautoclaim': [ks('RW delete', index(1), range_(0))],
    'xclaim': [ks('RW update', index(1), range_(0))],
    'xdel': [ks('RW delete', index(1), range_(0))],
    'xgroup|create': [ks('RW insert', index(2), range_(0))],
    'xgroup|createconsumer': [ks('RW insert', index(2), range_(0))],
    'xgroup|delconsumer': [ks('RW delete', index(2), range_(0))],
    'xgroup|destroy': [ks('RW delete', index(2), range_(0))],
    'xgroup|setid': [ks('RW update', index(2), range_(0))],
    'xinfo|consumers': [ks('RO access', index(2), range_(0))],
    'xinfo|groups': [ks('RO access', index(2), range_(0))],
    'xinfo|stream': [ks('RO access', index(2), range_(0))],
    'xlen': [ks('RO', index(1), range_(0))],
    'xpending': [ks('RO access', index(1), range_(0))],
    'xrange': [ks('RO access', index(1), range_(0))],
    'xread': [ks('RO access', keyword('STREAMS', 1), range_(-1, 1, 2))],
    'xreadgroup': [ks('RO access', keyword('STREAMS', 4), range_(-1, 1, 2))],
    'xrevrange': [ks('RO access', index(1), range_(0))],
    'xsetid': [ks('RW update', index(1), range_(0))],
    'xtrim': [ks('RW delete', index(1), range_(0))],
    'zadd': [ks('RW update', index(1), range_(0))],
    'zcard': [ks('RO', index(1), range_(0))],
    'zcount': [ks('RO access', index(1), range_(0))],
    'zdiff': [ks('RO access', index(1), keynum(0, 1, 1))],
    'zdiffstore': [ks('OW update', index(1), range_(0)), ks('RO access', index(2), keynum(0, 1, 1))],
    'zincrby': [ks('RW access update', index(1), range_(0))],
    'zinter': [ks('RO access', index(1), keynum(0, 1, 1))],
    'zintercard': [ks('RO access', index(1), keynum(0, 1, 1))],
    'zinterstore': [ks('OW update', index(1), range_(0)), ks('RO access', index(2), keynum(0, 1, 1))],
    'zlexcount': [ks('RO access', index(1), range_(0))],
    'zmpop': [ks('RW access delete', index(1), keynum(0, 1, 1))],
    'zmscore': [ks('RO access', index(1), range_(0))],
    'zpopmax': [ks('RW access delete', index(1), range_(0))],
    'zpopmin': [ks('RW access delete', index(1), range_(0))],
    'zrandmember': [ks('RO access', index(1), range_(0))],
    'zrange': [ks('RO access', index(1), range_(0))],
    'zrangebylex': [ks('RO access', index(1), range_(0))],
    'zrangebyscore': [ks('RO access', index(1), range_(0))],
    'zrangestore': [ks('OW update', index(1), range_(0)), ks('RO access', index(2), range_(0))],
    'zrank': [ks('RO access', index(1), range_(0))],
    'zrem': [ks('RW delete', index(1), range_(0))],
    'zremrangebylex': [ks('RW delete', index(1), range_(0))],
    'zremrangebyrank': [ks('RW delete', index(1), range_(0))],
    'zremrangebyscore': [ks('RW delete', index(1), range_(0))],
    'zrevrange': [ks('RO access', index(1), range_(0))],
    'zrevrangebylex': [ks('RO access', index(1), range_(0))],
    'zrevrangebyscore': [ks('RO access', index(1), range_(0))],
    'zrevrank': [ks('RO access', index(1), range_(0))],
    'zscan': [ks('RO access', index(1), range_(0))],
    'zscore': [ks('RO access', index(1), range_(0))],
    'zunion': [ks('RO access', index(1), keynum(0, 1, 1))],
    'zunionstore': [ks('OW update', index(1), range_(0)), ks('RO access', index(2), keynum(0, 1, 1))],
}

# Command tips (request/response policies for cluster proxies, nondeterminism).
TIPS: dict[str, str] = {
    'client|info': 'nondeterministic_output',
    'client|list': 'nondeterministic_output',
    'cluster|bumpepoch': 'nondeterministic_output',
    'cluster|count-failure-reports': 'nondeterministic_output',
    'cluster|getkeysinslot': 'nondeterministic_output',
    'cluster|info': 'nondeterministic_output',
    'cluster|links': 'nondeterministic_output',
    'cluster|nodes': 'nondeterministic_output',
    'cluster|replicas': 'nondeterministic_output',
    'cluster|shards': 'nondeterministic_output',
    'cluster|slaves': 'nondeterministic_output',
    'cluster|slots': 'nondeterministic_output',
    'command': 'nondeterministic_output_order',
    'command|docs': 'nondeterministic_output_order',
    'command|info': 'nondeterministic_output_order',
    'command|list': 'nondeterministic_output_order',
    'config|set': 'request_policy:all_nodes response_policy:all_succeeded',
    'dbsize': 'request_policy:all_shards response_policy:agg_sum',
    'del': 'request_policy:multi_shard response_policy:agg_sum',
    'dump': 'nondeterministic_output',
    'exists': 'request_policy:multi_shard response_policy:agg_sum',
    'flushall': 'request_policy:all_shards response_policy:all_succeeded',
    'flushdb': 'request_policy:all_shards response_policy:all_succeeded',
    'function|delete': 'request_policy:all_shards response_policy:all_succeeded',
    'function|flush': 'request_policy:all_shards response_policy:all_succeeded',
    'function|kill': 'request_policy:all_shards response_policy:one_succeeded',
    'function|list': 'nondeterministic_output_order',
    'function|load': 'request_policy:all_shards response_policy:all_succeeded',
    'function|restore': 'request_policy:all_shards response_policy:all_succeeded',
    'function|stats': 'nondeterministic_output request_policy:all_shards response_policy:special',
    'hgetall': 'nondeterministic_output_order',
    'hkeys': 'nondeterministic_output_order',
    'hrandfield': 'nondeterministic_output',
    'hscan': 'nondeterministic_output',
    'hvals': 'nondeterministic_output_order',
    'info': 'nondeterministic_output request_policy:all_shards response_policy:special',
    'keys': 'request_policy:all_shards nondeterministic_output_order',
    'lastsave': 'nondeterministic_output',
    'latency|doctor': 'nondeterministic_output request_policy:all_nodes response_policy:special',
    'latency|graph': 'nondeterministic_output request_policy:all_nodes response_policy:special',
    'latency|histogram': 'nondeterministic_output request_policy:all_nodes response_policy:special',
    'latency|history': 'nondeterministic_output request_policy:all_nodes response_policy:special',
    'latency|latest': 'nondeterministic_output request_policy:all_nodes response_policy:special',
    'latency|reset': 'request_policy:all_nodes response_policy:all_succeeded',
    'memory|doctor': 'nondeterministic_output request_policy:all_shards response_policy:special',
    'memory|malloc-stats': 'nondeterministic_output request_policy:all_shards response_policy:special',
    'memory|purge': 'request_policy:all_shards response_policy:all_succeeded',
    'memory|stats': 'nondeterministic_output request_policy:all_shards response_policy:special',
    'mget': 'request_policy:multi_shard',
    'migrate': 'nondeterministic_output',
    'module|list': 'nondeterministic_output_order',
    'mset': 'request_policy:multi_shard response_policy:all_succeeded',
    'msetnx': 'request_policy:multi_shard response_policy:agg_min',
    'object|encoding': 'nondeterministic_output',
    'object|freq': 'nondeterministic_output',
    'object|idletime': 'nondeterministic_output',
    'object|refcount': 'nondeterministic_output',
    'ping': 'request_policy:all_shards response_policy:all_succeeded',
    'pttl': 'nondeterministic_output',
    'randomkey': 'request_policy:all_shards nondeterministic_output',
    'scan': 'nondeterministic_output request_policy:special',
    'script|exists': 'request_policy:all_shards response_policy:agg_logical_and',
    'script|flush': 'request_policy:all_nodes response_policy:all_succeeded',
    'script|kill': 'request_policy:all_shards response_policy:one_succeeded',
    'script|load': 'request_policy:all_nodes response_policy:all_succeeded',
    'sdiff': 'nondeterministic_output_order',
    'sinter': 'nondeterministic_output_order',
    'slowlog|get': 'request_policy:all_nodes nondeterministic_output',
    'slowlog|len': 'request_policy:all_nodes response_policy:agg_sum nondeterministic_output',
    'slowlog|reset': 'request_policy:all_nodes response_policy:all_succeeded',
    'smembers': 'nondeterministic_output_order',
    'spop': 'nondeterministic_output',
    'srandmember': 'nondeterministic_output',
    'sscan': 'nondeterministic_output',
    'sunion': 'nondeterministic_output_order',
    'time': 'nondeterministic_output',
    'touch': 'request_policy:multi_shard response_policy:agg_sum',
    'ttl': 'nondeterministic_output',
    'unlink': 'request_policy:multi_shard response_policy:agg_sum',
    'wait': 'request_policy:all_shards response_policy:agg_min',
    'xadd': 'nondeterministic_output',
    'xautoclaim': 'nondeterministic_output',
    'xclaim': 'nondeterministic_output',
    'xinfo|consumers': 'nondeterministic_output',
    'xpending': 'nondeterministic_output',
    'xtrim': 'nondeterministic_output',
    'zrandmember': 'nondeterministic_output',
    'zscan': 'nondeterministic_output',
}

# ACL categories Redis's json adds to (or, with "-", removes from) what
# registry.Command.acl_categories() derives from flags and group.
EXTRA_ACL: dict[str, str] = {
    "dbsize": "@keyspace",
    "flushall": "@keyspace @dangerous",
    "flushdb": "@keyspace @dangerous",
    "swapdb": "@keyspace @dangerous",
    "info": "@dangerous",
    "lastsave": "@admin @dangerous",
    "pubsub|help": "-@pubsub",
    "command|count": "@connection",
    "command|docs": "@connection",
    "command|getkeys": "@connection",
    "command|getkeysandflags": "@connection",
    "command|help": "@connection",
    "command|info": "@connection",
    "command|list": "@connection",
}

# Command flags Redis declares that the family modules leave out.
EXTRA_FLAGS: dict[str, str] = {
    "echo": "loading stale",
}


def specs_of(cmd: Any) -> list[KeySpec]:
    return KEY_SPECS.get(cmd.name, [])


def apply() -> None:
    """Put the tips, ACL categories and flags above on the registered commands."""
    from .registry import COMMANDS

    def find(name: str) -> Any:
        top, _, sub = name.partition("|")
        cmd = COMMANDS.get(top.encode())
        if cmd is not None and sub:
            cmd = cmd.subcommands.get(sub.encode())
        return cmd

    for name, tips in TIPS.items():
        cmd = find(name)
        if cmd is not None:
            cmd.tips = tuple(tips.split())
    for name, cats in EXTRA_ACL.items():
        cmd = find(name)
        if cmd is not None:
            cmd.acl = tuple(dict.fromkeys(cmd.acl + tuple(cats.split())))
    for name, flags in EXTRA_FLAGS.items():
        cmd = find(name)
        if cmd is not None:
            cmd.flags = cmd.flags | frozenset(flags.split())


# --- COMMAND GETKEYS: keys from the specs, as Redis's getKeysUsingKeySpecs ---

class _Invalid(Exception):
    """The arguments don't fit a spec (or the spec is UNKNOWN/incomplete)."""


def _spec_keys(spec: KeySpec, argv: list[bytes]) -> list[int]:
    argc = len(argv)
    kind = spec.begin[0]
    if kind == "index":
        start = spec.begin[1]
        if start >= argc:
            raise _Invalid
    elif kind == "keyword":
        kw, startfrom = spec.begin[1].encode().lower(), spec.begin[2]
        if startfrom >= 0:
            positions = range(startfrom, argc)
        else:
            positions = range(argc + startfrom, 0, -1)
        for i in positions:
            if argv[i].lower() == kw:
                start = i + 1
                break
        else:
            return []  # the keyword isn't there: no keys from this spec
    else:
        raise _Invalid
    if "incomplete" in spec.flags:  # found where to start, but can't tell the keys
        raise _Invalid
    kind = spec.find[0]
    if kind == "range":
        _, lastkey, step, limit = spec.find
        if lastkey >= 0:
            last = start + lastkey
        elif limit <= 1:
            last = argc + lastkey
        else:
            last = start + (argc - start) // limit + lastkey
        if start >= argc or last >= argc or last < start:
            raise _Invalid
        return list(range(start, last + 1, step))
    if kind == "keynum":
        _, numidx, first, step = spec.find
        at = start + numidx
        if at >= argc:
            raise _Invalid
        try:
            n = int(argv[at])
        except ValueError:
            raise _Invalid from None
        if n <= 0:  # no keys at all is a syntax error too
            raise _Invalid
        first = start + first
        keys = list(range(first, first + n * step, step))
        if first >= argc or keys[-1] >= argc:
            raise _Invalid
        return keys
    raise _Invalid


def _proc_flags(cmd: Any, argv: list[bytes], idx: list[int]) -> list[tuple[int, tuple[str, ...]]]:
    """Flags Redis's getkeys procedures give (commands with variable or unknown specs)."""
    name = cmd.name
    if name == "set":
        get = any(a.lower() == b"get" for a in argv[3:])
        return [(i, ("RW", "access", "update") if get else ("OW", "update")) for i in idx]
    if name == "bitfield":
        # Read-only only if every operation is a well-formed GET (or OVERFLOW).
        readonly, i = True, 2
        while i < len(argv):
            op, more = argv[i].lower(), len(argv) - i - 1
            if op == b"get" and more >= 2:
                i += 3
            elif op == b"overflow" and more >= 1:
                i += 2
            else:
                readonly = False
                break
        return [(i, ("RO", "access") if readonly else ("RW", "access", "update")) for i in idx]
    if name in ("sort", "sort_ro"):
        return [(i, ("RO", "access") if i == 1 else ("OW", "update")) for i in idx]
    specs = specs_of(cmd)
    if name in ("georadius", "georadiusbymember"):
        return [(i, specs[0].flags if i == 1 else specs[1].flags) for i in idx]
    flags = specs[0].flags if specs else ("RW", "access", "update")
    return [(i, flags) for i in idx]


def keys_and_flags(cmd: Any, argv: list[bytes]) -> list[tuple[int, tuple[str, ...]]]:
    """(position, spec flags) of each key in ``argv`` (argv[0] is the command name).

    The specs are used when they describe the call; a command whose specs are
    UNKNOWN, incomplete or variable (SORT, MIGRATE, SET, BITFIELD) or don't fit
    the arguments falls back on its key-finding function, as in Redis.
    """
    specs = specs_of(cmd)
    use_specs = specs and not any("variable_flags" in s.flags for s in specs)
    if use_specs:
        try:
            out: list[tuple[int, tuple[str, ...]]] = []
            for spec in specs:
                if "not_key" in spec.flags:
                    continue
                out += [(i, spec.flags) for i in _spec_keys(spec, argv)]
            return out
        except _Invalid:
            pass
    if "movablekeys" not in cmd.flags and cmd.name not in ("set", "bitfield"):
        return []
    return _proc_flags(cmd, argv, cmd.key_indexes(argv))
