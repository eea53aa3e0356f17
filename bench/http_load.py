"""What the HTTP benches share: a throwaway PostgreSQL database, a Django child process,
gunicorn on a free loopback port, and wrk replaying a file of requests.

Reusable by any bench that holds a page against the floor of bench/floor_urls.py: write
one request per line (`METHOD<TAB>path<TAB>Cookie header<TAB>form body`), then
`measure(...)` it and the floor, in the same server, one right after the other.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
# The setting of docs/threats.md, row L1: two sync workers on this two-core machine.
WORKERS = int(os.environ.get("BENCH_WORKERS", "2"))
CONNECTIONS = int(os.environ.get("BENCH_CONNECTIONS", "16"))
LUA = r"""
local lines = {}
for line in io.lines(os.getenv("BENCH_REQUESTS")) do lines[#lines + 1] = line end
local once = os.getenv("BENCH_ONCE") == "1"
local threads, count = {}, 0
setup = function(thread)
  count = count + 1
  thread:set("thread_id", count)
  thread:set("thread_count", 0)
  table.insert(threads, thread)
end
init = function(args)
  nthreads = tonumber(os.getenv("BENCH_THREADS"))
  next_index = thread_id
end
math.randomseed(os.time())
local function split(line)
  local fields = {}
  for field in (line .. "\t"):gmatch("([^\t]*)\t") do fields[#fields + 1] = field end
  return fields
end
request = function()
  local index
  if once then
    -- Each thread takes its own lines in turn, so each is sent once (until they run out).
    index = ((next_index - 1) % #lines) + 1
    next_index = next_index + nthreads
  else
    index = math.random(#lines)
  end
  local f = split(lines[index])
  local headers = {}
  if f[3] ~= "" then headers["Cookie"] = f[3] end
  if f[1] == "POST" then
    headers["Content-Type"] = "application/x-www-form-urlencoded"
    return wrk.format("POST", f[2], headers, f[4])
  end
  return wrk.format("GET", f[2], headers)
end
done = function(summary, latency, requests)
  io.write(string.format("BENCH rps=%.1f p99_ms=%.3f errors=%d non2xx3xx=%d\n",
    summary.requests / (summary.duration / 1e6), latency:percentile(99) / 1000,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    summary.errors.status))
end
"""


def skip(name: str, message: str) -> None:
    print(f"SKIP {name}: {message}")
    sys.exit(0)


def ensure_wrk(name: str) -> str:
    found = shutil.which("wrk")
    if found:
        return found
    if os.geteuid() != 0:
        skip(name, "wrk is not installed (sudo apt-get install -y wrk)")
    subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], check=False, capture_output=True)
    return shutil.which("wrk") or skip(name, "could not install wrk")


def recreate_database(base_url: str, name: str) -> str:
    """Drop and create database `name` beside the one `base_url` names; return its URL."""
    import psycopg

    parts = urlsplit(base_url)
    with psycopg.connect(urlunsplit(parts._replace(path="/postgres")), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    return urlunsplit(parts._replace(path=f"/{name}"))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def django_child(env: dict, code: str) -> str:
    """Run `code` in a fresh Django process with `env`'s settings; return its stdout."""
    done = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()\n" + code],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode:
        print(done.stdout, done.stderr, file=sys.stderr)
        raise SystemExit("bench child process failed")
    return done.stdout


def bench_env(database_url: str, **extra: str) -> dict:
    """The environment of a server and its child processes under bench/learner_settings."""
    keys = Path(tempfile.mkdtemp(prefix="credence-bench-keys-")) / "keys.json"
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "bench.learner_settings",
        "DATABASE_URL": database_url,
        "DJANGO_SECRET_KEY": "bench-only-not-secret-" + "x" * 40,
        "DJANGO_ISSUER_KEYS_FILE": str(keys),
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost,testserver",
        "PYTHONPATH": str(ROOT),
        **extra,
    }


def migrate(env: dict) -> None:
    manage = [sys.executable, "manage.py"]
    subprocess.run([*manage, "migrate", "--noinput", "-v0"], env=env, cwd=ROOT, check=True)
    subprocess.run([*manage, "issuer_keys", "create"], env=env, cwd=ROOT, check=True)


def serve(env: dict, port: int) -> subprocess.Popen:
    """gunicorn (WORKERS sync workers) on `port`, once it accepts connections."""
    server = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "gunicorn"),
            "lms.wsgi",
            "-w",
            str(WORKERS),
            "-b",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
        ],
        env=env,
        cwd=ROOT,
    )
    # Until the floor answers, a few times: the port accepts as soon as gunicorn binds it,
    # but on a busy machine its workers take seconds to import the project, and a wrk run
    # started before then counts no request at all.
    deadline = time.monotonic() + 120
    answered = 0
    while time.monotonic() < deadline and answered < 2 * WORKERS:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/bench/bare/", timeout=30) as r:  # noqa: S310
                answered += r.status == 200
        except OSError:
            time.sleep(0.2)
    if answered < 2 * WORKERS:
        server.kill()
        raise SystemExit("gunicorn did not start")
    return server


def write_requests(lines: list[tuple[str, str, str, str]]) -> str:
    handle = tempfile.NamedTemporaryFile("w", suffix=".tsv", delete=False)
    handle.write("\n".join("\t".join(fields) for fields in lines))
    handle.close()
    return handle.name


def run_wrk(wrk: str, port: int, requests_file: str, *, duration: str, once: bool) -> dict:
    threads = 2
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as lua:
        lua.write(LUA)
    env = {
        **os.environ,
        "BENCH_REQUESTS": requests_file,
        "BENCH_ONCE": "1" if once else "0",
        "BENCH_THREADS": str(threads),
    }
    out = subprocess.run(
        [
            wrk,
            f"-t{threads}",
            f"-c{CONNECTIONS}",
            f"-d{duration}",
            # A slow answer is a figure (p99), not an error: wrk's 2 s default would count
            # a busy machine's queueing as failures.
            "--timeout",
            "30s",
            "-s",
            lua.name,
            f"http://127.0.0.1:{port}/",
        ],
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=180,
    ).stdout
    match = re.search(r"BENCH rps=([\d.]+) p99_ms=([\d.]+) errors=(\d+) non2xx3xx=(\d+)", out)
    if not match:
        raise SystemExit(f"wrk output not understood:\n{out}")
    rps, p99, errors, bad = match.groups()
    return {"rps": float(rps), "p99": float(p99), "errors": int(errors), "bad": int(bad)}


def measure(wrk: str, port: int, requests_file: str, *, duration: str, once: bool = False) -> dict:
    """A short warm-up run (discarded: workers import views and fill caches on their first
    requests), then the measured run."""
    run_wrk(wrk, port, requests_file, duration="2s", once=once)
    return run_wrk(wrk, port, requests_file, duration=duration, once=once)


def load() -> str:
    return " ".join(f"{n:.2f}" for n in os.getloadavg())
