"""Programs that depend on scripts without calling them: redis-py's Lock,
register_script, and a sliding-window rate limiter in Lua."""

from __future__ import annotations

import pytest
from redis.exceptions import LockError, LockNotOwnedError


def test_lock_acquire_release(r):
    lock = r.lock("resource", timeout=10)
    assert lock.acquire(blocking=False)
    assert lock.locked() and lock.owned()
    assert 0 < r.pttl("resource") <= 10000
    lock.release()
    assert not lock.locked()
    assert r.exists("resource") == 0
    with pytest.raises(LockError):
        lock.release()  # not acquired any more


def test_lock_contention(r):
    first = r.lock("resource", timeout=10)
    second = r.lock("resource", timeout=10)
    assert first.acquire(blocking=False)
    assert not second.acquire(blocking=False)
    assert not second.acquire(blocking=True, blocking_timeout=0.05)
    assert not second.owned()
    first.release()
    assert second.acquire(blocking=False)
    second.release()


def test_lock_extend_and_reacquire(r):
    lock = r.lock("resource", timeout=10)
    assert lock.acquire(blocking=False)
    assert lock.extend(20)  # adds to the remaining time
    assert 20000 < r.pttl("resource") <= 30000
    assert lock.extend(5, replace_ttl=True)
    assert 0 < r.pttl("resource") <= 5000
    assert lock.reacquire()
    assert 5000 < r.pttl("resource") <= 10000
    r.set("resource", "someone else's token")  # the lock expired and was taken
    assert not lock.owned()
    with pytest.raises(LockNotOwnedError):
        lock.extend(10)  # each script sees another token and refuses
    with pytest.raises(LockNotOwnedError):
        lock.reacquire()
    with pytest.raises(LockNotOwnedError):
        lock.release()
    assert r.get("resource") == b"someone else's token"


def test_lock_as_context_manager(r):
    with r.lock("resource", timeout=5, blocking_timeout=1) as lock:
        assert lock.owned()
        assert r.get("resource") is not None
    assert r.exists("resource") == 0


def test_register_script_survives_script_flush(r):
    incr_by = r.register_script("return redis.call('incrby', KEYS[1], ARGV[1])")
    assert incr_by(keys=["n"], args=[5]) == 5
    r.script_flush()
    assert incr_by(keys=["n"], args=[2]) == 7  # NOSCRIPT, then redis-py loads it again
    pipe = r.pipeline()
    incr_by(keys=["n"], args=[1], client=pipe)
    pipe.get("n")
    assert pipe.execute() == [8, b"8"]


RATE_LIMIT = """
local key, now, window, limit = KEYS[1], tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
redis.call('ZREMRANGEBYSCORE', key, '-inf', now - window)
local count = redis.call('ZCARD', key)
if count < limit then
  redis.call('ZADD', key, now, ARGV[4])
  redis.call('PEXPIRE', key, window)
  return {1, limit - count - 1}
end
local oldest = redis.call('ZRANGE', key, 0, 0, 'WITHSCORES')
return {0, tonumber(oldest[2]) + window - now}
"""


def test_sliding_window_rate_limiter(r):
    limiter = r.register_script(RATE_LIMIT)

    def hit(now: int, rid: str) -> list:
        return limiter(keys=["rl:user"], args=[now, 1000, 3, rid])

    assert hit(10_000, "a") == [1, 2]
    assert hit(10_100, "b") == [1, 1]
    assert hit(10_200, "c") == [1, 0]
    assert hit(10_300, "d") == [0, 700]  # full: retry when "a" leaves the window
    assert hit(11_000, "e") == [1, 0]  # "a" (10 000) is out of the window now
    assert hit(11_050, "f") == [0, 50]
    assert r.zcard("rl:user") == 3
    assert 0 < r.pttl("rl:user") <= 1000
