"""bench/bench_renewals.py at a few hundred badges: it runs, the out-of-date job and the
floor mark the same rows, and the job's statements per batch do not grow with the
number of badges (one UPDATE per batch, not one per badge).

Runs on whichever database the tests use: on PostgreSQL the script makes its own test
database (named after DATABASE_URL's, with a suffix, so this run's is left alone)."""

import os
import re
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parents[2]


def run_bench(*args: str) -> str:
    env = dict(os.environ)
    if env.get("DATABASE_URL"):
        parts = urlsplit(env["DATABASE_URL"])
        env["DATABASE_URL"] = urlunsplit(parts._replace(path=parts.path + "_renewals"))
    done = subprocess.run(
        [sys.executable, "bench/bench_renewals.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return done.stdout


def test_the_job_runs_the_same_statements_per_batch_at_300_and_600_badges():
    # The script counts at --small badges, tops up to --badges and runs the job again.
    output = run_bench(
        *("--small", "300", "--badges", "600", "--batch-sizes", "100", "--rounds", "1"),
        "--no-variant",
    )

    # 179 badges due of 300, then 359 of 600: 2 batches of 100, then 4.
    at_300 = re.search(
        r"at 300 badges \(179 due\), batches of 100: statements per batch \[(\d+)\]", output
    )
    at_600 = re.search(r"round 1 batch +100: job .*\(4 batches of \[(\d+)\] statements", output)
    assert at_300 and at_600, output
    # The same handful of statements per batch, whatever the number of badges.
    assert at_300.group(1) == at_600.group(1)
    assert int(at_300.group(1)) <= 5
    assert "statements per batch, at every size and batch size: [" in output
    assert "targets missed" not in output
