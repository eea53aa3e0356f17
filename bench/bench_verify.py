"""The public verification JSON endpoint under load, against a bare JSON view in the same run.

Run (PostgreSQL and Redis; both URLs as for the tests):

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/credence REDIS_URL=redis://127.0.0.1:6379/0 \
        .venv/bin/python bench/bench_verify.py

Quick form (one round of 5 s runs, for a before/after comparison on a busy machine):
BENCH_ROUNDS=1 BENCH_DURATION=5s. BENCH_DB names the database it drops and recreates
(default credence_bench_verify); BENCH_REUSE=1 keeps that database and its key file from
the previous run instead (seeding takes minutes; with BENCH_REUSE=1 the "queries at 1,000"
figure is measured at 100,000 too); BENCH_WORKERS sets the gunicorn workers; BENCH_MODES
(comma-separated: json, json_per_client, html_uncached, html_cached; default all) runs
only those modes and checks only their targets. The load average is printed with each
measurement, since figures from a busy machine mean little without it.

Run by hand (`make bench`), not in CI. Needs PostgreSQL (DATABASE_URL=postgres://...) and
wrk (installed with apt-get when missing and running as root; otherwise skipped). Uses
REDIS_URL for the cache when set (the limiter and page cache then work as in production).

Steps: create a dedicated database, migrate, insert 1,000 badges and count queries per
JSON lookup, top up to 100,000 and count again, then run gunicorn (2 sync workers, as in
docs/threats.md, row L1; BENCH_WORKERS overrides; DEBUG off) on a free loopback port and wrk (16
connections, 10 s each, after a 3 s warm-up) against: the badge JSON with random known
ids; the same with each request from a different client address, forwarded by one trusted
proxy (X-Forwarded-For, CREDENCE_TRUSTED_PROXY_COUNT = 1), as real verifier traffic comes,
so the rate limiter keeps a counter per request; the HTML page uncached; the HTML page
cached. Each of these runs ROUNDS (5) times,
each time right after a run of the bare JSON view in the same server, and the median
ratio is held against the target.

The 100,000 badges carry copies of ONE signed credential with their own ids, and their
stored hash set to the copy's digest, so each lookup takes the same path as a real badge
(hash compare, no re-canonicalisation); their signatures would not verify. Targets: JSON
>= 0.5 of the bare view's requests/s and p99 <= 2x its p99; <= 2 queries per request, the
same at 1,000 and 100,000; HTML uncached >= 0.25, cached >= 0.8 of the bare view. The
per-client JSON is held against the bare view measured the same way (each request from
another address), with the JSON's targets.
"""

import os
import random
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
DB_NAME = os.environ.get("BENCH_DB", "credence_bench_verify")
DURATION, CONNECTIONS = os.environ.get("BENCH_DURATION", "10s"), 16
# The setting of docs/threats.md, row L1. More workers (gunicorn advises 2 x cores + 1 = 5
# here) helped the cached page and hurt the JSON and uncached page (docs/performance.md).
WORKERS = 2
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "5"))
ALL_MODES = ("json", "json_per_client", "html_uncached", "html_cached")
MODES = tuple(
    mode.strip() for mode in os.environ.get("BENCH_MODES", ",".join(ALL_MODES)).split(",")
)
LUA = """
local ids = {}
for line in io.lines(os.getenv("BENCH_IDS")) do ids[#ids + 1] = line end
local prefix, suffix = os.getenv("BENCH_PREFIX"), os.getenv("BENCH_SUFFIX")
local per_client = os.getenv("BENCH_PER_CLIENT") == "1"
local threads = 0
setup = function(thread)
  threads = threads + 1
  thread:set("thread_id", threads)
end
math.randomseed(os.time())
local sent = 0
request = function()
  local path = prefix
  if #ids > 0 and suffix ~= "" then path = prefix .. ids[math.random(#ids)] .. suffix end
  if not per_client then return wrk.format("GET", path) end
  -- Another client address each request, as our one trusted proxy would forward it.
  sent = sent + 1
  local address = string.format("10.%d.%d.%d", (thread_id or 0) % 256,
    math.floor(sent / 256) % 256, sent % 256)
  return wrk.format("GET", path, {["X-Forwarded-For"] = address})
end
done = function(summary, latency, requests)
  io.write(string.format("BENCH rps=%.1f p99_ms=%.3f errors=%d non2xx=%d\\n",
    summary.requests / (summary.duration / 1e6), latency:percentile(99) / 1000,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    summary.errors.status))
end
"""


def skip(message: str) -> None:
    print(f"SKIP bench_verify: {message}")
    sys.exit(0)


def ensure_wrk() -> str:
    found = shutil.which("wrk")
    if found:
        return found
    if os.geteuid() != 0:
        skip("wrk is not installed (sudo apt-get install -y wrk)")
    subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], check=False, capture_output=True)
    return shutil.which("wrk") or skip("could not install wrk")


def bench_database_url(base: str) -> str:
    parts = urlsplit(base)
    return urlunsplit(parts._replace(path=f"/{DB_NAME}"))


def recreate_database(base: str) -> None:
    import psycopg

    parts = urlsplit(base)
    admin = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{DB_NAME}"')


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def django_child(env: dict, code: str) -> str:
    """Run `code` in a fresh Django process with the bench settings; return its stdout."""
    prelude = "import django; django.setup()\n"
    done = subprocess.run(
        [sys.executable, "-c", prelude + code],
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


def seed(env: dict, total: int) -> None:
    code = f"""
import copy, secrets
from django.conf import settings
from django.utils import timezone
from certificates.models import Badge, new_public_id
from certificates.signing import credentials
from certificates.signing.ob3 import status_list

def snapshot(public_id):
    return {{"public_id": public_id, "recipient_name": "Ada Lovelace",
        "course_title": "Foundations of AI Data Labeling",
        "badge_title": "Certified AI Data Labeler",
        "badge_description": "Labels data for model training.", "criteria": "Passed every quiz.",
        "score_percent": 95, "issued_on": "2025-03-01", "expires_on": None,
        "issuer_name": "Credence",
        "signatory_name": "Grace Hopper", "signatory_title": "Head of Training",
        "signature_image_path": None, "artwork_path": None, "accent_color": "#1D5FA8",
        "page_size": "A4", "verify_url": f"{{settings.SITE_URL}}/badges/{{public_id}}/",
        "template_version": 1, "course_version": "1"}}

now = timezone.now()
existing = Badge.objects.count()
template = Badge.objects.filter(credential__isnull=False).first()
if template is None:
    pid = new_public_id()
    template = Badge(public_id=pid, state=Badge.State.ISSUED, snapshot=snapshot(pid), issued_at=now,
                     created_at=now, status_index=0)
    signed = credentials.sign_and_check(template, recipient_email="ada@example.org")
    for name, value in signed.row_fields().items():
        setattr(template, name, value)
    template.save()
    existing = 1
taken = set(Badge.objects.values_list("status_index", flat=True))
# One shuffle of the free indexes (allocate_index per badge is quadratic once the list
# is more than half full, as 100,000 of 131,072 is).
free = [i for i in range(status_list.MIN_ENTRIES) if i not in taken]
secrets.SystemRandom().shuffle(free)
batch = []
for n in range(existing, {total}):
    pid = new_public_id()
    cred = copy.deepcopy(template.credential)
    cred["id"] = f"{{settings.SITE_URL}}/badges/{{pid}}/"
    index = free.pop()
    batch.append(Badge(public_id=pid, state=Badge.State.ISSUED, snapshot=snapshot(pid),
        issued_at=now, created_at=now, status_index=index, credential=cred,
        signing_key_id=template.signing_key_id,
        credential_sha256=credentials.credential_digest(cred), credential_verified_at=now))
    if len(batch) == 5000:
        Badge.objects.bulk_create(batch); batch = []
Badge.objects.bulk_create(batch)
print(Badge.objects.count())
"""
    print(f"  badges: {django_child(env, code).strip()}")


QUERIES = """
import contextlib
import random
from django.db import connections
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.core.cache import cache
from certificates.models import Badge
from certificates.issuing.status_publishing import purge_badge_page
ids = list(Badge.objects.order_by("?").values_list("public_id", flat=True)[:20])
client = Client()
counts = set()
for pid in ids:
    purge_badge_page(pid)
    # Every connection: the public lookup has its own (CREDENCE_PUBLIC_READ_DATABASE).
    with contextlib.ExitStack() as stack:
        captured = [stack.enter_context(CaptureQueriesContext(c)) for c in connections.all()]
        assert client.get(f"/badges/{pid}.json").status_code == 200
    counts.add(sum(len(q) for q in captured))
print(max(counts))
"""


def run_wrk(
    wrk: str,
    port: int,
    ids_file: str,
    prefix: str,
    suffix: str,
    *,
    per_client: bool = False,
    duration: str = DURATION,
) -> dict:
    env = {
        **os.environ,
        "BENCH_IDS": ids_file,
        "BENCH_PREFIX": prefix,
        "BENCH_SUFFIX": suffix,
        "BENCH_PER_CLIENT": "1" if per_client else "0",
    }
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as lua:
        lua.write(LUA)
    out = subprocess.run(
        [
            wrk,
            "-t2",
            f"-c{CONNECTIONS}",
            f"-d{duration}",
            "-s",
            lua.name,
            f"http://127.0.0.1:{port}/",
        ],
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    ).stdout
    match = re.search(r"BENCH rps=([\d.]+) p99_ms=([\d.]+) errors=(\d+) non2xx=(\d+)", out)
    if not match:
        raise SystemExit(f"wrk output not understood:\n{out}")
    rps, p99, errors, non2xx = match.groups()
    return {"rps": float(rps), "p99": float(p99), "errors": int(errors), "non2xx": int(non2xx)}


def measure(
    wrk: str, port: int, ids_file: str, prefix: str, suffix: str, per_client: bool = False
) -> dict:
    """A 3 s warm-up run (discarded: gunicorn workers import views and open connections on
    their first requests, which put seconds into the first endpoint's p99), then the run."""
    run_wrk(wrk, port, ids_file, prefix, suffix, per_client=per_client, duration="3s")
    return run_wrk(wrk, port, ids_file, prefix, suffix, per_client=per_client)


def serve(env: dict, port: int) -> subprocess.Popen:
    server = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "gunicorn"),
            "lms.wsgi",
            "-w",
            os.environ.get("BENCH_WORKERS", str(WORKERS)),
            "-b",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
        ],
        env=env,
        cwd=ROOT,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return server
        except OSError:
            time.sleep(0.2)
    server.kill()
    raise SystemExit("gunicorn did not start")


def main() -> int:
    base = os.environ.get("DATABASE_URL", "")
    if not base.startswith("postgres"):
        skip("set DATABASE_URL=postgres://... (PostgreSQL is required)")
    wrk = ensure_wrk()
    # BENCH_REUSE=1 keeps the database and key file of an earlier run with the same
    # BENCH_DB (seeding 100,000 badges takes minutes on a busy machine); the query counts
    # are still measured.
    reuse = os.environ.get("BENCH_REUSE") == "1"
    keys_dir = Path(tempfile.gettempdir()) / f"{DB_NAME}-keys"
    if not (reuse and (keys_dir / "keys.json").exists()):
        reuse = False
        recreate_database(base)
        shutil.rmtree(keys_dir, ignore_errors=True)
        keys_dir.mkdir()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "bench.verify_settings",
        "DATABASE_URL": bench_database_url(base),
        "DJANGO_ISSUER_KEYS_FILE": str(Path(keys_dir) / "keys.json"),
        "PYTHONPATH": str(ROOT),
        "BENCH_STATIC_ROOT": tempfile.mkdtemp(prefix="credence-bench-static-"),
        # One proxy of ours in front: X-Forwarded-For names the client (the per-client
        # runs); requests without the header are the loopback address's, as before.
        "DJANGO_TRUSTED_PROXY_COUNT": "1",
    }
    manage = [sys.executable, "manage.py"]
    subprocess.run([*manage, "migrate", "--noinput", "-v0"], env=env, cwd=ROOT, check=True)
    if not reuse:
        subprocess.run([*manage, "issuer_keys", "create"], env=env, cwd=ROOT, check=True)
    if os.environ.get("REDIS_URL"):
        django_child(env, "from django.core.cache import cache; cache.clear()")
    if not reuse:
        seed(env, 1_000)
    queries_1k = int(django_child(env, QUERIES).strip())
    if not reuse:
        seed(env, 100_000)
    queries_100k = int(django_child(env, QUERIES).strip())
    ids = django_child(
        env,
        "from certificates.models import Badge\n"
        "print('\\n'.join(Badge.objects.values_list('public_id', flat=True)))",
    ).split()
    ids_file = tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False)
    ids_file.write("\n".join(ids))
    ids_file.close()
    hot_file = tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False)
    hot = random.sample(ids, 1_000)
    hot_file.write("\n".join(hot))
    hot_file.close()

    # Each endpoint is measured right after the bare view, in the same server, ROUNDS
    # times; each ratio is against the bare run beside it, and the median ratio counts.
    # (Measured once each, in sequence, the ratios moved with the machine's state.)
    unknown = set(MODES) - set(ALL_MODES)
    if unknown:
        raise SystemExit(f"unknown BENCH_MODES: {sorted(unknown)}")
    rounds: dict[str, list[tuple[dict, dict]]] = {}
    for cached in ("0", "1"):
        if cached == "0" and not set(MODES) & {"json", "json_per_client", "html_uncached"}:
            continue
        if cached == "1" and "html_cached" not in MODES:
            continue
        port = free_port()
        server = serve({**env, "BENCH_PAGE_CACHE": cached}, port)
        try:
            if cached == "0":
                endpoints = {
                    "json": (ids_file.name, "/badges/", ".json", False),
                    "json_per_client": (ids_file.name, "/badges/", ".json", True),
                    "html_uncached": (ids_file.name, "/badges/", "/", False),
                }
            else:
                import urllib.request

                for pid in hot:  # warm the page cache for the hot set
                    urllib.request.urlopen(f"http://127.0.0.1:{port}/badges/{pid}/").read()  # noqa: S310
                endpoints = {"html_cached": (hot_file.name, "/badges/", "/", False)}
            endpoints = {name: spec for name, spec in endpoints.items() if name in MODES}
            for _ in range(ROUNDS):
                for name, (ids_path, prefix, suffix, per_client) in endpoints.items():
                    # The bare view measured the same way (per client or not).
                    bare = measure(wrk, port, ids_file.name, "/bench/bare.json", "", per_client)
                    result = measure(wrk, port, ids_path, prefix, suffix, per_client)
                    rounds.setdefault(name, []).append((bare, result))
                    print(
                        f"  measured {name}: {result} | bare {bare} | "
                        f"load {' '.join(f'{n:.2f}' for n in os.getloadavg())}",
                        flush=True,
                    )
        finally:
            server.terminate()
            server.wait(timeout=20)

    if any(run["rps"] == 0 for pairs in rounds.values() for pair in pairs for run in pair):
        raise SystemExit("a run served no request (is the server up?)")
    for name, pairs in rounds.items():
        for bare, result in pairs:
            print(
                f"  {name:15} {result['rps']:7.0f} req/s p99 {result['p99']:6.2f} ms | "
                f"bare {bare['rps']:7.0f} req/s p99 {bare['p99']:6.2f} ms | "
                f"ratio {result['rps'] / bare['rps']:.2f}, p99 x{result['p99'] / bare['p99']:.2f}"
            )

    def median_ratio(name: str, field: str) -> float:
        return statistics.median(r[field] / b[field] for b, r in rounds[name])

    runs = [run for pairs in rounds.values() for pair in pairs for run in pair]
    checks = [
        ("queries/request at 1,000", queries_1k, queries_1k <= 2, "<= 2"),
        ("queries/request at 100,000", queries_100k, queries_100k == queries_1k, "== at 1,000"),
        (
            "errors and non-2xx",
            sum(r["errors"] + r["non2xx"] for r in runs),
            all(r["errors"] + r["non2xx"] == 0 for r in runs),
            "== 0",
        ),
    ]
    targets = {
        "json": ("JSON", 0.5, 2.0),
        "json_per_client": ("JSON per client", 0.5, 2.0),
        "html_uncached": ("HTML uncached", 0.25, None),
        "html_cached": ("HTML cached", 0.8, None),
    }
    for mode, (label, rps_target, p99_target) in targets.items():
        if mode not in rounds:
            continue
        rps = median_ratio(mode, "rps")
        checks.append((f"{label} requests/s vs bare", rps, rps >= rps_target, f">= {rps_target}"))
        if p99_target is not None:
            p99 = median_ratio(mode, "p99")
            checks.append((f"{label} p99 vs bare", p99, p99 <= p99_target, f"<= {p99_target}"))
    for name, value, ok, target in checks:
        shown = f"{value:.2f}" if isinstance(value, float) else str(value)
        print(f"{'ok  ' if ok else 'MISS'} {name}: {shown} (target {target})")
    return 0 if all(ok for _, _, ok, _ in checks) else 1


if __name__ == "__main__":
    sys.exit(main())
