"""crabcache-server as a process: start-up log, config file, CONFIG REWRITE, SIGTERM."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import time

import redis


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_up(port: int, proc: subprocess.Popen) -> None:
    deadline = time.time() + 20
    while time.time() < deadline:
        assert proc.poll() is None, proc.stdout.read()
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    raise AssertionError("server did not start")


def test_config_file_rewrite_and_sigterm(tmp_path):
    port = free_port()
    conf = tmp_path / "crab.conf"
    conf.write_text("# my settings\nport %d\nbind 127.0.0.1\nhz 10\n" % port)
    # --save "": SIGTERM with save points writes dump.rdb, and dir "" is the working tree.
    proc = subprocess.Popen([sys.executable, "-m", "crabcache", str(conf), "--loglevel", "notice", "--save", ""],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        wait_up(port, proc)
        c = redis.Redis(port=port)
        assert c.config_set("hz", 25) is True
        assert c.config_rewrite() == b"OK"
        assert c.info("server")["config_file"] == str(conf)
        assert c.info("server")["redis_version"] == "7.0.15"
        assert "crabcache_version" in c.info("server")
        c.close()
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(15) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
    log = proc.stdout.read()
    assert "Ready to accept connections" in log
    assert "Received SIGTERM scheduling shutdown" in log
    text = conf.read_text()
    assert "# my settings" in text and "hz 25" in text and "port %d" % port in text


def test_bad_config_exits_nonzero():
    out = subprocess.run([sys.executable, "-m", "crabcache", "--maxmemory", "lots"],
                         capture_output=True, text=True, timeout=30)
    assert out.returncode == 1
    assert "FATAL CONFIG FILE ERROR" in out.stderr


def test_version():
    out = subprocess.run([sys.executable, "-m", "crabcache", "--version"], capture_output=True, text=True, timeout=30)
    assert out.returncode == 0 and "redis_version=7.0.15" in out.stdout


GC_SCRIPT = """
import gc, sys
import trio
from crabcache import cli
from crabcache.dispatch import execute
from crabcache.persistence import snapshot
from crabcache.server.session import Session
from crabcache.server.state import Server
from crabcache.config import load

# A dump.rdb with 500 hashes, written by CrabCache itself.
s = Server(load(["--dir", sys.argv[1], "--save", ""]))
c = Session(s)
for i in range(500):
    execute(c, [b"HSET", b"h%d" % i, b"f", b"v"])
assert snapshot.save(s)
del s, c
gc.collect()

def hashes():
    return sum(type(o).__name__ == "Hash" for o in gc.get_objects())  # frozen objects are not listed

def fake_run(fn):  # stop where the server would start serving
    enabled, frozen = gc.isenabled(), hashes()
    gc.unfreeze()  # back into the oldest generation: now they are listed
    print("GC", enabled, frozen, hashes())

trio.run = fake_run
cli.main(["--port", "0", "--dir", sys.argv[1], "--save", ""])
"""


def test_the_dataset_loaded_at_start_is_out_of_the_cyclic_gc(tmp_path):
    # A full collection must not rescan what was loaded from disk (with ~860k hashes
    # that was ~250 ms per collection, for every client); the GC is on again after.
    out = subprocess.run([sys.executable, "-c", GC_SCRIPT, str(tmp_path)], capture_output=True, text=True,
                         timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines()[-1].split() == ["GC", "True", "0", "500"]
