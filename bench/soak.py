"""Soak run: a cohort works through a course on the production topology while verifiers look
badges up, Redis is restarted and a Celery worker is killed; then nothing may be lost.

Run from the project root with PostgreSQL (and redis-server installed):

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/credence .venv/bin/python bench/soak.py
    ... bench/soak.py --quick   # 20 fellows, the same faults: about a minute on an idle machine

On loopback it starts: its own database (--database, dropped and created, migrated), its
own redis-server on a free port, gunicorn (2 workers, production settings through
bench/soak_settings.py, the config file of --gunicorn-config when there is one), two Celery
workers (one process each, consuming every queue the settings route tasks to, or
--queues) and Celery beat (the sweeper of lost renders).

Load: --fellows accounts (500) each log in, open the dashboard, enrol, open every module and
pass its quiz (failing about --fail-share of them first), at most --concurrency (50) fellows
at once; meanwhile --verifiers clients fetch the alumni's badges (JSON verdict and page),
each request from another client address forwarded by one trusted proxy. Before and after
the load, the same number of clients at once hit the floors: bare Django views (a page, a
POST, a JSON answer) behind the same middleware in the same server.

Faults, each aimed where it can lose something: when --redis-at of the fellows are done,
Redis is killed (SIGKILL, by pid) and started again on its port (empty: no persistence)
once --redis-down-seconds have passed and a fellow has completed meanwhile, so that badge's
render could not be queued; when --worker-at are done, a worker holding a render (read from
its log) is killed (SIGKILL, its whole process group) and started again. Both windows are
printed, and a fault that hit nothing in flight fails the run.

Invariants (exit status 1 if one fails): every fellow completed; every completion has
exactly one badge, issued, with its PDF, after a drain of at most --drain-seconds; no badge
without a completion or left pending or rendering; no fellow e-mailed twice that their
badge is ready; every verifier lookup answered 200; no 5xx or unanswered request outside the
Redis window (the window's own are counted and printed).

Figures: p50 and p99 of the module page, dashboard, quiz submit and verdict as the client
saw them and as gunicorn timed them (its access log), each as a ratio to its floor's in the
same run, under the same number of clients at once; the load average with each phase. In
the full run the p99 ratios of gunicorn's times are held against targets (P99_TARGETS; a
miss exits 1 too, after the "invariants:" line); --quick mode prints them only, as a few
hundred requests give no p99. Every request is kept in the run folder's samples.csv.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import secrets
import shutil
import signal
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import soak_client as client  # noqa: E402
from bench import soak_services as services  # noqa: E402
from tests.support.services import RedisServer, free_port, wait_for  # noqa: E402

# Redis stays down at least --redis-down-seconds, and then until a fellow has completed
# while it was down, for at most this long.
REDIS_DOWN_MAX = 60.0
# How long the worker fault waits for a worker holding a render before killing one anyway.
BUSY_WORKER_WAIT = 120.0
# Floor clients share the sessions of this many accounts (each login costs a password hash).
FLOOR_USERS = 5
WORKERS = 2  # gunicorn's, as in docs/threats.md row L1 and bench_verify.py
# A request is "in the Redis window" if it overlaps the outage or this many seconds after it
# (clients reconnect on their next command).
WINDOW_GRACE = 2.0
# The p99 of each request's time in gunicorn against its floor's, under the same number of
# clients at once: issue #17's targets (a module page at >= 0.1x the bare app's requests/s,
# a quiz submit <= 4x a bare POST) and bench_verify.py's (the verdict's p99 <= 2x the bare
# JSON's). The client's times are printed beside them without a target: with sync workers
# they are mostly the wait behind whatever else is queued (a cohort's logins above all).
P99_TARGETS = {"module_page": 10.0, "dashboard": 10.0, "quiz_submit": 4.0, "verdict": 2.0}
FLOOR_OF = {
    "module_page": "floor_page",
    "dashboard": "floor_page",
    "quiz_submit": "floor_post",
    "verdict": "floor_json",
}


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    default_config = ROOT / "deploy" / "gunicorn.conf.py"
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    add = parser.add_argument
    add("--quick", action="store_true", help="20 fellows, short floors and lease (CI)")
    add("--fellows", type=int, help="accounts working through the course (500)")
    add("--concurrency", type=int, help="fellows in flight at once (50)")
    add("--verifiers", type=int, help="verifier clients running alongside (10)")
    add("--verifier-pause", type=float, help="seconds between a verifier's requests (0.05)")
    add("--alumni", type=int, help="fellows with a badge before the run, looked up (20)")
    add("--modules", type=int, help="modules of the course (3)")
    add("--questions", type=int, help="questions per module quiz (4)")
    add("--fail-share", type=float, default=0.3, help="share of quizzes failed once first")
    add("--floor-seconds", type=float, help="floor measurement, half before and half after")
    add("--redis-at", type=float, help="share of fellows done at the Redis restart (0.3)")
    add(
        "--redis-down-seconds",
        type=float,
        default=5.0,
        help="Redis stays down this long, then until a fellow has completed meanwhile",
    )
    add("--worker-at", type=float, help="share of fellows done at the worker kill (0.6)")
    add("--drain-seconds", type=float, help="longest wait for every badge after the load (420)")
    add(
        "--gunicorn-config",
        default=os.environ.get(
            "SOAK_GUNICORN_CONFIG", str(default_config) if default_config.exists() else ""
        ),
        help="gunicorn config file (env SOAK_GUNICORN_CONFIG; default deploy/gunicorn.conf.py "
        "when it exists); the run still sets workers, bind and the access log",
    )
    add(
        "--queues",
        default=os.environ.get("SOAK_QUEUES", ""),
        help="comma-separated Celery queues the workers consume (env SOAK_QUEUES; default: "
        "every queue in the settings' task routes and the default queue)",
    )
    add(
        "--database",
        default=os.environ.get("SOAK_DB", "credence_soak"),
        help="database the run drops, creates and migrates (env SOAK_DB)",
    )
    add("--keep", action="store_true", help="keep the database and the run's folder")
    args = parser.parse_args(argv)
    quick = {
        "fellows": 20,
        "concurrency": 10,
        "redis_at": 0.25,
        "worker_at": 0.5,
        "verifiers": 2,
        "verifier_pause": 0.1,
        "alumni": 3,
        "modules": 2,
        "questions": 3,
        "floor_seconds": 6.0,
        "drain_seconds": 60.0,
    }
    full = {
        "fellows": 500,
        "concurrency": 50,
        "redis_at": 0.3,
        "worker_at": 0.6,
        "verifiers": 10,
        "verifier_pause": 0.05,
        "alumni": 20,
        "modules": 3,
        "questions": 4,
        "floor_seconds": 30.0,
        "drain_seconds": 420.0,
    }
    for name, value in (quick if args.quick else full).items():
        if getattr(args, name) is None:
            setattr(args, name, value)
    return args


def load() -> str:
    return " ".join(f"{n:.2f}" for n in os.getloadavg())


STARTED = time.monotonic()


def say(message: str) -> None:
    print(f"[{time.monotonic() - STARTED:6.1f}s] {message}", flush=True)


_RECEIVED = re.compile(r"Task certificates\.tasks\.render_badge_task\[([0-9a-f-]+)\] received")
_FINISHED = re.compile(
    r"Task certificates\.tasks\.render_badge_task\[([0-9a-f-]+)\] (?:succeeded|retry|raised)"
)


def renders_in_flight(log: str) -> set[str]:
    """Render tasks a worker has taken and not finished, from its log."""
    return set(_RECEIVED.findall(log)) - set(_FINISHED.findall(log))


def latency_figures(seen: list[float], floor: list[float]) -> str:
    """p50 and p99 in ms, then each as a ratio to the floor's."""
    if not seen or not floor:
        return f"{'no samples':>36}"
    p50, p99 = percentile(seen, 0.5), percentile(seen, 0.99)
    ratios = p50 / percentile(floor, 0.5), p99 / percentile(floor, 0.99)
    return f"{p50 * 1000:10.1f}ms {p99 * 1000:6.1f}ms {ratios[0]:5.1f}x {ratios[1]:5.1f}x"


def percentile(values: list[float], share: float) -> float:
    """Nearest-rank percentile (p99 of 100 values is the 99th)."""
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, round(share * len(ordered) + 0.5) - 1))]


class Run:
    """One soak run: its folder, services, figures and verdict."""

    def __init__(self, args: argparse.Namespace):
        self.args = args
        self.dir = Path(tempfile.mkdtemp(prefix="credence-soak-"))
        self.recorder = client.Recorder()
        self.children: list[services.Child] = []
        self.windows: dict[str, tuple[float, float]] = {}
        self.failures: list[str] = []
        self.journey_errors: list[str] = []
        self.done = 0
        self.done_lock = threading.Lock()

    # --- set-up -------------------------------------------------------------------------

    def environment(self, base_url: str) -> dict:
        mail = self.dir / "mail"
        mail.mkdir()
        (self.dir / "media").mkdir()
        (self.dir / "static").mkdir()
        env = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith(("DJANGO_", "CELERY_", "CREDENCE_", "SOAK_"))
        }
        env.update(
            {
                "DJANGO_SETTINGS_MODULE": "bench.soak_settings",
                "PYTHONPATH": str(ROOT),
                "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
                "DATABASE_URL": services.database_url(base_url, self.args.database),
                "REDIS_URL": self.redis.url,
                "DJANGO_ALLOWED_HOSTS": client.HOST,
                "SITE_URL": client.ORIGIN,
                "DJANGO_ISSUER_KEYS_FILE": str(self.dir / "issuer-keys.json"),
                "DJANGO_MEDIA_ROOT": str(self.dir / "media"),
                "SOAK_STATIC_ROOT": str(self.dir / "static"),
                # django-environ keeps the path after "filemail://" minus its first "/".
                "DJANGO_EMAIL_URL": f"filemail:///{mail}",
                # One proxy of ours in front: X-Forwarded-For names each visitor.
                "DJANGO_TRUSTED_PROXY_COUNT": "1",
            }
        )
        if self.args.quick:
            # A killed worker's render is taken over after seconds instead of minutes.
            env["SOAK_RENDER_LEASE_SECONDS"] = "5"
            env["CELERY_VISIBILITY_TIMEOUT"] = "15"
        return env

    def start(self) -> None:
        args = self.args
        base = os.environ["DATABASE_URL"]
        self.redis = RedisServer().start()
        self.env = self.environment(base)
        say(f"run folder {self.dir}; redis-server on port {self.redis.port}; load {load()}")
        services.recreate_database(base, args.database)
        # Migrating takes longest; the keys, the queue list and the processes' start-up
        # (none of which touches a table) go on meanwhile.
        with ThreadPoolExecutor(3) as pool:
            migrated = pool.submit(
                services.django_child, self.env, "manage.py", "migrate", "--noinput", "-v0"
            )
            keys = pool.submit(
                services.django_child, self.env, "manage.py", "issuer_keys", "create"
            )
            self.queues = (
                [q.strip() for q in args.queues.split(",") if q.strip()]
                if args.queues
                else services.celery_queues(self.env)
            )
            self.workers = [
                services.celery_worker(self.env, self.dir, f"worker{n}", self.queues)
                for n in range(2)
            ]
            self.beat = services.celery_beat(self.env, self.dir)
            self.port = free_port()
            self.server = services.gunicorn(
                self.env, self.dir, self.port, WORKERS, args.gunicorn_config or None
            )
            for child in (*self.workers, self.beat, self.server):
                self.children.append(child.start())
            migrated.result()
            keys.result()
        for worker in self.workers:
            worker.wait_for_log("ready.")
        services.wait_until_serving(self.port, self.server)
        say(
            f"gunicorn {WORKERS} workers on 127.0.0.1:{self.port} (config: "
            f"{args.gunicorn_config or 'none'}); 2 Celery workers on queues "
            f"{','.join(self.queues)}; beat"
        )
        started = time.monotonic()
        seeded = services.django_child(
            self.env,
            "-m",
            "bench.soak_seed",
            str(args.fellows),
            str(args.alumni),
            str(args.modules),
            str(args.questions),
            str(FLOOR_USERS),
        )
        self.seed = json.loads(seeded.strip().splitlines()[-1])
        self.course = client.Course(self.seed["course_id"], self.seed["modules"])
        say(
            f"seeded {args.fellows} fellows, {args.alumni} alumni, a course of "
            f"{args.modules} modules x {args.questions} questions in "
            f"{time.monotonic() - started:.1f}s"
        )
        self.badge_ids = wait_for(
            self.alumni_badges, timeout=180, what="the alumni's badges to be issued", interval=1
        )

    def sql(self, query: str, *params) -> list[tuple]:
        import psycopg

        with psycopg.connect(self.env["DATABASE_URL"]) as conn:
            return conn.execute(query, params).fetchall()

    def alumni_badges(self) -> list[str]:
        rows = self.sql(
            "SELECT b.public_id FROM certificates_badge b JOIN accounts_user u "
            "ON u.id = b.recipient_id WHERE u.email LIKE 'alumnus%%' AND b.state = 'issued'"
        )
        return [row[0] for row in rows] if len(rows) == self.args.alumni else []

    # --- floors -------------------------------------------------------------------------

    def floors(self, seconds: float) -> None:
        """Each floor for seconds/3, by as many clients at once as the load has."""
        clients = self.args.concurrency + self.args.verifiers
        if not hasattr(self, "floor_visitors"):
            sessions = []
            for n, email in enumerate(self.seed["floor_users"]):
                visitor = client.Visitor(self.port, client.client_address(3, n), self.recorder)
                visitor.log_in(email, self.seed["password"])
                sessions.append(visitor.cookies)
            self.floor_visitors = []
            for n in range(clients):
                visitor = client.Visitor(self.port, client.client_address(3, n), self.recorder)
                visitor.cookies = dict(sessions[n % len(sessions)])
                self.floor_visitors.append(visitor)
        for label in ("floor_page", "floor_post", "floor_json"):
            until = time.monotonic() + seconds / 3
            with ThreadPoolExecutor(clients) as pool:
                for visitor in self.floor_visitors:
                    anonymous = client.Visitor(self.port, "", self.recorder)
                    chosen = anonymous if label == "floor_json" else visitor
                    pool.submit(client.floor_loop, chosen, label, until)
        say(f"floors measured for {seconds:.0f}s; load {load()}")

    # --- load and faults ----------------------------------------------------------------

    def fellow(self, n: int, email: str) -> None:
        rng = random.Random(n)
        fails = {m for m in range(self.args.modules) if rng.random() < self.args.fail_share}
        visitor = client.Visitor(self.port, client.client_address(1, n), self.recorder)
        try:
            client.fellow_journey(visitor, email, self.seed["password"], self.course, fails)
        except Exception as failed:  # noqa: BLE001 - any error is this fellow's, and reported
            self.journey_errors.append(f"{email}: {type(failed).__name__}: {failed}")
        finally:
            visitor.conn.close()
            with self.done_lock:
                self.done += 1

    def wait_for_share(self, share: float, stop: threading.Event) -> bool:
        while not stop.is_set():
            if self.done >= share * self.args.fellows:
                return True
            stop.wait(0.2)
        return False

    def badges_made(self) -> int:
        return self.sql("SELECT count(*) FROM certificates_badge")[0][0]

    def faults(self, stop: threading.Event) -> None:
        """Each fault aimed where it can lose something: Redis stays down until a fellow
        has completed meanwhile (their render cannot be queued), and the worker killed is
        one that holds a render."""
        args = self.args
        if self.wait_for_share(args.redis_at, stop):
            before = self.badges_made()
            down = time.monotonic()
            self.redis.stop()
            say(f"  fault: redis-server killed ({self.done} fellows done); load {load()}")
            time.sleep(args.redis_down_seconds)
            while self.badges_made() == before and time.monotonic() - down < REDIS_DOWN_MAX:
                time.sleep(0.5)
            self.completed_while_redis_down = self.badges_made() - before
            self.redis.start()
            self.windows["redis"] = (down, time.monotonic())
            say(
                f"  fault: redis-server back after {time.monotonic() - down:.1f}s; "
                f"{self.completed_while_redis_down} fellows completed meanwhile"
            )
        if self.wait_for_share(args.worker_at, stop):
            deadline = time.monotonic() + BUSY_WORKER_WAIT
            busy: list[services.Child] = []
            swept = checked = time.monotonic()
            while not busy and time.monotonic() < deadline:
                busy = [w for w in self.workers if renders_in_flight(w.log_since_start())]
                if not busy and stop.is_set() and time.monotonic() - checked > 1:
                    checked = time.monotonic()
                    # The fellows are done but renders may still be owed: those whose
                    # queueing failed while Redis was down wait for the sweep. The fault
                    # waits for them (sweeping, in quick mode) rather than find no render
                    # to kill; only when none is left does it kill an idle worker.
                    if not self.badge_counts()["stuck"]:
                        break
                    if args.quick and time.monotonic() - swept > 10:
                        self.sweep_quickly()
                        swept = time.monotonic()
                time.sleep(0.05)
            worker = busy[0] if busy else self.workers[1]
            held = renders_in_flight(worker.log_since_start())
            killed = time.monotonic()
            worker.kill()
            self.killed_renders = len(held)
            say(
                f"  fault: {worker.name} killed with SIGKILL ({self.done} fellows done) "
                f"holding {len(held)} render(s)"
            )
            worker.start()
            worker.wait_for_log("ready.")
            self.windows["worker"] = (killed, time.monotonic())
            say(f"  fault: {worker.name} ready again after {time.monotonic() - killed:.1f}s")

    def soak(self) -> None:
        args = self.args
        stop = threading.Event()
        self.load_started = time.monotonic()
        verifiers = [
            threading.Thread(
                target=client.verifier_loop,
                args=(self.port, self.recorder, self.badge_ids, stop),
                kwargs={"pause": args.verifier_pause, "seed": n},
                daemon=True,
            )
            for n in range(args.verifiers)
        ]
        fault_thread = threading.Thread(target=self.faults, args=(stop,), daemon=True)
        for thread in (*verifiers, fault_thread):
            thread.start()
        pool = ThreadPoolExecutor(args.concurrency)
        try:
            for n, email in enumerate(self.seed["fellows"]):
                pool.submit(self.fellow, n, email)
            while self.done < args.fellows:
                time.sleep(5 if args.quick else 15)
                say(f"  {self.done}/{args.fellows} fellows done; load {load()}")
        except BaseException:
            # Interrupted: the fellows not started never start, and the services stop
            # (Run.stop) under the ones in flight, which then fail within seconds.
            stop.set()
            pool.shutdown(wait=False, cancel_futures=True)
            raise
        pool.shutdown()
        self.load_seconds = time.monotonic() - self.load_started
        stop.set()
        fault_thread.join(timeout=120)
        for thread in verifiers:
            thread.join(timeout=70)
        say(f"load done in {self.load_seconds:.0f}s; load {load()}")

    # --- drain and verdict --------------------------------------------------------------

    def badge_counts(self) -> dict[str, int]:
        course = self.course.course_id
        (row,) = self.sql(
            """
            SELECT
              (SELECT count(*) FROM courses_coursecompletion c JOIN accounts_user u
                 ON u.id = c.user_id WHERE c.course_id = %s AND u.email LIKE 'fellow%%'),
              (SELECT count(*) FROM courses_coursecompletion WHERE course_id = %s),
              (SELECT count(*) FROM courses_coursecompletion c WHERE c.course_id = %s AND
                 (SELECT count(*) FROM certificates_badge b WHERE b.recipient_id = c.user_id
                    AND b.course_id = c.course_id AND b.state = 'issued' AND b.pdf <> '')
                 = 1),
              (SELECT count(*) FROM (SELECT recipient_id FROM certificates_badge
                 WHERE course_id = %s GROUP BY recipient_id HAVING count(*) > 1) d),
              (SELECT count(*) FROM certificates_badge b WHERE b.course_id = %s AND NOT EXISTS
                 (SELECT 1 FROM courses_coursecompletion c WHERE c.user_id = b.recipient_id
                    AND c.course_id = b.course_id)),
              (SELECT count(*) FROM certificates_badge
                 WHERE state IN ('pending', 'rendering'))
            """,
            *[course] * 5,
        )
        names = ("fellows_completed", "completions", "one_issued", "duplicated", "orphans", "stuck")
        return dict(zip(names, row, strict=True))

    def sweep_quickly(self) -> None:
        """Beat sweeps every minute for badges pending over two; the quick mode cannot
        wait that long, so it runs the same sweep with a shorter wait."""
        services.django_child(
            self.env,
            "-c",
            "import django; django.setup()\n"
            "from datetime import timedelta\n"
            "from certificates.issuing.issuance import sweep_stuck_badges\n"
            "sweep_stuck_badges(pending_after=timedelta(seconds=10))",
        )

    def drain(self) -> dict[str, int]:
        started = time.monotonic()
        while True:
            counts = self.badge_counts()
            settled = counts["one_issued"] == counts["completions"] and not counts["stuck"]
            if settled or time.monotonic() - started > self.args.drain_seconds:
                break
            if self.args.quick and time.monotonic() - started > 10:
                self.sweep_quickly()
            time.sleep(2)
        self.drain_seconds = time.monotonic() - started
        say(f"drained in {self.drain_seconds:.0f}s: {counts}")
        return counts

    def ready_mails(self) -> dict[str, int]:
        per_recipient: dict[str, int] = {}
        for path in (self.dir / "mail").iterdir():
            for message in path.read_text(errors="replace").split("\n" + "-" * 79 + "\n"):
                if "Subject: Your badge is ready" not in message:
                    continue
                to = re.search(r"^To: (.+)$", message, re.MULTILINE)
                if to:
                    per_recipient[to[1].strip()] = per_recipient.get(to[1].strip(), 0) + 1
        return per_recipient

    def server_times(self) -> dict[str, list[float]]:
        """Seconds gunicorn took per request, by label (its access log: method path status
        microseconds)."""
        modules = {module["path"] for module in self.course.modules}
        attempt = re.compile(r"^/learning/attempts/[0-9a-f-]{36}/$")
        verdict = re.compile(r"^/badges/[^/]+\.json$")
        labels = {
            ("GET", "/bench/bare/"): "floor_page",
            ("POST", "/bench/bare-post/"): "floor_post",
            ("GET", "/bench/bare.json"): "floor_json",
            ("GET", "/learning/"): "dashboard",
        }
        times: dict[str, list[float]] = {}
        path = self.dir / "access.log"
        for line in path.read_text(errors="replace").splitlines() if path.exists() else []:
            parts = line.split()
            if len(parts) != 4 or not parts[3].isdigit():
                continue
            method, url, _status, micros = parts
            label = labels.get((method, url))
            if label is None and method == "GET" and url in modules:
                label = "module_page"
            elif label is None and method == "POST" and attempt.match(url):
                label = "quiz_submit"
            elif label is None and method == "GET" and verdict.match(url):
                label = "verdict"
            if label:
                times.setdefault(label, []).append(int(micros) / 1e6)
        return times

    def in_window(self, sample: client.Sample) -> bool:
        if "redis" not in self.windows:
            return False
        down, back = self.windows["redis"]
        return sample.started <= back + WINDOW_GRACE and sample.started + sample.elapsed >= down

    def report(self, counts: dict[str, int]) -> int:
        args = self.args
        samples = self.recorder.samples
        checks: list[tuple[str, str, bool, str]] = []

        def check(name: str, value, ok: bool, target: str) -> None:
            checks.append((name, str(value), ok, target))

        for name, (start, end) in self.windows.items():
            say(
                f"window {name}: {start - self.load_started:.1f}s to "
                f"{end - self.load_started:.1f}s after the load began"
            )
        check(
            "fault windows", ",".join(sorted(self.windows)), len(self.windows) == 2, "redis,worker"
        )
        # A fault that lands while nothing is in flight proves nothing: each must have hit
        # a completion or a render.
        while_down = getattr(self, "completed_while_redis_down", 0)
        check("fellows who completed while Redis was down", while_down, while_down >= 1, ">= 1")
        killed = getattr(self, "killed_renders", 0)
        check("renders held by the killed worker", killed, killed >= 1, ">= 1")
        (row,) = self.sql(
            "SELECT count(*) FILTER (WHERE render_attempts > 1), "
            "coalesce(extract(epoch FROM max(issued_at - created_at)), 0) FROM certificates_badge"
        )
        say(
            f"  badges rendered more than once (a lost render taken over): {row[0]}; "
            f"longest from completion to issued: {row[1]:.0f}s"
        )
        check(
            "fellows completed",
            counts["fellows_completed"],
            counts["fellows_completed"] == args.fellows,
            f"== {args.fellows}",
        )
        for error in self.journey_errors[:10]:
            say(f"  journey failed: {error}")
        check(
            "completions with exactly one issued badge and its PDF",
            f"{counts['one_issued']}/{counts['completions']}",
            counts["one_issued"] == counts["completions"],
            "all",
        )
        check(
            "fellows with two badges for the course",
            counts["duplicated"],
            not counts["duplicated"],
            "== 0",
        )
        check("badges without a completion", counts["orphans"], not counts["orphans"], "== 0")
        check(
            f"badges pending or rendering after a drain of {self.drain_seconds:.0f}s",
            counts["stuck"],
            not counts["stuck"],
            f"== 0 within {args.drain_seconds:.0f}s",
        )
        mails = self.ready_mails()
        twice = sum(1 for count in mails.values() if count > 1)
        check("fellows e-mailed twice that their badge is ready", twice, not twice, "== 0")
        sent = sum(mails.values())
        say(f"  'badge is ready' e-mails: {sent} for {counts['completions']} completions")
        bad = [s for s in samples if s.status == 0 or s.status >= 500]
        outside = [s for s in bad if not self.in_window(s)]
        inside = len(bad) - len(outside)
        for sample in outside[:10]:
            at = sample.started - self.load_started
            say(f"  {sample.status or 'no answer'} {sample.label} at {at:.1f}s")
        check("5xx or unanswered outside the Redis window", len(outside), not outside, "== 0")
        check("5xx or unanswered inside the Redis window", inside, True, "counted")
        lookups = [s for s in samples if s.label in ("verdict", "badge_page")]
        refused = [s for s in lookups if s.status != 200 and 0 < s.status < 500]
        check(
            "verifier lookups not answered 200 (besides 5xx)",
            f"{len(refused)}/{len(lookups)}",
            not refused,
            "== 0",
        )
        say(
            f"requests: {len(samples)} ({len(samples) / self.load_seconds:.0f}/s during the "
            f"load of {self.load_seconds:.0f}s); load average {load()}"
        )

        with open(self.dir / "samples.csv", "w") as out:
            out.write("label,started_s,elapsed_ms,status\n")
            for sample in samples:
                at = sample.started - self.load_started
                out.write(f"{sample.label},{at:.3f},{sample.elapsed * 1000:.1f},{sample.status}\n")
        by_label: dict[str, list[float]] = {}
        for sample in samples:
            if 200 <= sample.status < 400:
                by_label.setdefault(sample.label, []).append(sample.elapsed)
        server = self.server_times()
        say(
            f"{'':14} {'client: p50':>12} {'p99':>8} {'ratio':>6} {'ratio':>6}"
            + " " * 3
            + f"{'server: p50':>12} {'p99':>8} {'ratio':>6} {'ratio':>6}   n"
        )
        for label in (*FLOOR_OF, "floor_page", "floor_post", "floor_json"):
            floor = FLOOR_OF.get(label, label)
            seen, timed = by_label.get(label, []), server.get(label, [])
            row = f"{label:14} {latency_figures(seen, by_label.get(floor, []))}   "
            say(row + f"{latency_figures(timed, server.get(floor, []))}   {len(seen)}")
        for label, target in P99_TARGETS.items():
            timed, floor = server.get(label), server.get(FLOOR_OF[label])
            enforced = not args.quick
            shown = f"<= {target}" + ("" if enforced else " (quick mode: printed only)")
            name = f"{label} p99 vs {FLOOR_OF[label]} p99, as gunicorn timed them"
            if not timed or not floor:
                check(name, "no samples", not enforced, shown)
                continue
            ratio = percentile(timed, 0.99) / percentile(floor, 0.99)
            check(name, f"{ratio:.2f}", ratio <= target or not enforced, shown)
        for name, value, ok, target in checks:
            say(f"{'ok  ' if ok else 'MISS'} {name}: {value} (target {target})")
        invariants_ok = all(ok for name, _, ok, _ in checks if " p99 vs " not in name)
        say(f"invariants: {'all hold' if invariants_ok else 'FAILED'}")
        return 0 if all(ok for _, _, ok, _ in checks) else 1

    def stop(self, succeeded: bool) -> None:
        for child in reversed(self.children):
            child.stop()
        if hasattr(self, "redis"):
            self.redis.stop()
        if self.args.keep:
            return
        services.drop_database(os.environ["DATABASE_URL"], self.args.database)
        if succeeded:
            shutil.rmtree(self.dir, ignore_errors=True)
        else:
            say(f"logs kept in {self.dir}")


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    # A SIGTERM (a CI timeout, `kill`) stops the run as Ctrl-C does: the services it started
    # in their own sessions are stopped and its database dropped, not left behind.
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        say("SKIP soak: set DATABASE_URL=postgres://... (PostgreSQL is required)")
        return 0
    run = Run(args)
    say(
        f"soak: {args.fellows} fellows, {args.concurrency} at once, {args.verifiers} "
        f"verifiers; load {load()}"
    )
    status = 1
    try:
        run.start()
        run.floors(args.floor_seconds / 2)
        run.soak()
        run.floors(args.floor_seconds / 2)
        status = run.report(run.drain())
        return status
    finally:
        run.stop(succeeded=status == 0)


if __name__ == "__main__":
    sys.exit(main())
