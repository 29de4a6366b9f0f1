"""Stock Redis tools work unchanged: redis-benchmark and redis-cli."""

import shutil
import subprocess

import pytest

BENCH = shutil.which("redis-benchmark")
CLI = shutil.which("redis-cli")


@pytest.mark.skipif(BENCH is None, reason="redis-benchmark not installed")
def test_redis_benchmark_basic_tests_run_clean(server):
    out = subprocess.run(
        [BENCH, "-p", str(server.port), "-t", "ping,set,get,incr,mset", "-n", "2000", "-c", "10", "-q", "--csv"],
        capture_output=True, text=True, timeout=120,
    )
    assert out.returncode == 0, out.stderr
    rows = [line.split(",")[0].strip('"') for line in out.stdout.splitlines()[1:]]
    assert rows == ["PING_INLINE", "PING_MBULK", "SET", "GET", "INCR", "MSET (10 keys)"]
    assert "ERR" not in out.stdout + out.stderr


@pytest.mark.skipif(CLI is None, reason="redis-cli not installed")
def test_redis_cli(server):
    def cli(*args: str) -> str:
        return subprocess.run([CLI, "-p", str(server.port), *args], capture_output=True, text=True, timeout=30).stdout

    assert cli("ping") == "PONG\n"
    assert cli("set", "cli:k", "hello world") == "OK\n"
    assert cli("get", "cli:k") == "hello world\n"
    assert cli("--no-raw", "nosuchcommand") == "(error) ERR unknown command 'nosuchcommand', with args beginning with: \n"
    assert cli("-3", "ping") == "PONG\n"  # RESP3 via HELLO 3
    cli("del", "cli:k")
