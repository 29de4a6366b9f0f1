"""The package type-checks clean: ``python -m mypy crabcache`` (settings in pyproject.toml).

mypy checks against trio's own inline types (trio >= 0.23 ships them).
trio-typing is not used: its trio-stubs predate them and, installed, would
shadow them (it flags ``wait_readable(sock)``, which trio 0.35 accepts).
"""

import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def test_mypy_is_clean():
    r = subprocess.run([sys.executable, "-m", "mypy", "crabcache"], cwd=ROOT, capture_output=True, text=True,
                       timeout=600)
    assert r.returncode == 0, r.stdout + r.stderr
