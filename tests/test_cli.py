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
