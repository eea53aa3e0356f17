"""The soak run (bench/soak.py) in its quick mode: 20 fellows through a course on gunicorn,
two Celery workers, beat, PostgreSQL and a Redis of its own, with Redis restarted and a
worker killed during the load; the run must end with its invariants holding.

docs/threats.md, rows F10 (a Redis outage is no 500) and F4/F5 (a worker killed mid-render),
together and under load: every completion gets exactly one issued badge."""

import os
import re
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

import pytest

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.worker]

ROOT = Path(__file__).resolve().parents[2]


def test_quick_soak_with_redis_restart_and_worker_kill_loses_nothing():
    database = urlsplit(os.environ["DATABASE_URL"]).path.strip("/") + "_soak"
    run = subprocess.Popen(
        [sys.executable, "bench/soak.py", "--quick", "--database", database],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        out, err = run.communicate(timeout=900)
    except subprocess.TimeoutExpired:
        # SIGTERM, not the SIGKILL of subprocess.run: the run stops the services it started.
        run.terminate()
        out, err = run.communicate(timeout=120)
        pytest.fail("the quick soak run took over 15 minutes:\n" + out[-6000:])
    assert run.returncode == 0, out[-6000:] + err[-3000:]
    assert "fault: redis-server killed" in out
    assert re.search(r"fault: worker\d killed with SIGKILL .* holding [1-9]", out)
    assert re.search(r"fault: redis-server back .* [1-9]\d* fellows completed meanwhile", out)
    assert "ok   fellows completed: 20 (target == 20)" in out
    assert "ok   completions with exactly one issued badge and its PDF: 23/23" in out
    assert "ok   5xx or unanswered outside the Redis window: 0 (target == 0)" in out
    assert "invariants: all hold" in out
