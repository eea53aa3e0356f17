"""Issuance speed as fellows feel it: course completion → badge ready, and a bulk re-render.

Needs PostgreSQL (DATABASE_URL) and redis-server on PATH. Starts its own Redis on a free
loopback port and a real Celery worker, works in a test database it drops afterwards, and
keeps the PDFs in a temporary folder it removes:

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/credence \\
        .venv/bin/python bench/bench_issuance.py       # the full run
    ... bench/bench_issuance.py --rate 2 --seconds 5 --rerender 50   # a quick check

The full run takes several minutes on a quiet machine (much longer on a busy one, bounded
by --drain and per-step timeouts); a quick check a minute or two, half of it creating the
test database. Progress notes go to stderr, figures to stdout.

(a) Completion → badge ready. Fellows submit the passing answers of a course's last quiz
    (courses.services.submit_attempt, what the quiz page's POST calls) on a fixed schedule,
    `--rate` a second for `--seconds` seconds, open loop: each submission is due at its
    time whether or not earlier ones have finished, and is handed to a fixed pool of
    `--web-threads` threads standing in for the web server's. A badge is ready when its
    PDF is stored and its row says issued; its latency runs from the submission's due
    time to the issued_at the issuing process wrote (same machine, same clock), so time
    spent waiting for a free web thread counts, as it would for the fellow.
      - embedded default: tasks run in the web process (CELERY_TASK_ALWAYS_EAGER, no
        broker, no Redis), as `make run` serves. Printed as information. This leg runs in
        a child process started with that environment, so each process's Celery app is
        configured once, before first use, from settings (no reconfiguring at run time).
      - with workers: one Celery worker, prefork, --concurrency 2 (two worker processes,
        as `make worker` runs it), the private Redis as broker. Target p95 ≤ 1.5 s.
    Badges not ready `--drain` seconds after the last arrival count as never ready.
(b) Re-rendering `--rerender` issued badges (default 1,000) through the admin's job
    (certificates.staff.views.start_rerender_job, which queues rerender_badge_task for
    each, and rerender_progress until it is done), timed from the admin's click to 100%,
    against N × the same task's time run in this process / 2, measured in this run.
    Target ≤ 1.3. Also each worker process's resident memory at the end against that
    after the first tenth of the job: target growth ≤ 5 MiB (from 500 badges up).
The in-process render time (the render exactly as the worker calls it) is printed as
context. The render-to-minimal-page ratio is bench_render.py's, printed as information.
Exits 1 when a target is missed. Figures from a loaded machine say little: the load
average is printed at the start and the end.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import queue
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from tests.support.services import CeleryWorker, RedisServer, wait_for  # noqa: E402

TARGET_P95_WITH_WORKERS_S = 1.5
TARGET_RERENDER_RATIO = 1.3
TARGET_WORKER_RSS_GROWTH_MIB = 5.0
MEMORY_TARGET_FROM_BADGES = 500
WORKER_CONCURRENCY = 2
QUESTIONS = 5
CATALOGUE_SLUG = "bench-home"
# The worker's log outlives the run's scratch folder, for a look after a failure.
KEPT_WORKER_LOG = Path(tempfile.gettempdir()) / "bench-issuance-worker.log"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, default=10.0, help="completions a second (10)")
    parser.add_argument("--seconds", type=float, default=60.0, help="arrival period (60)")
    parser.add_argument("--rerender", type=int, default=1000, help="badges re-rendered (1000)")
    parser.add_argument(
        "--web-threads", type=int, default=8, help="threads serving completions (8)"
    )
    parser.add_argument(
        "--drain", type=float, default=120.0, help="seconds allowed after the last arrival (120)"
    )
    parser.add_argument(
        "--rounds", type=int, default=10, help="in-process samples of render and task (10)"
    )
    parser.add_argument(
        "--skip-embedded", action="store_true", help="leave out (a)'s embedded-default leg"
    )
    # Internal: the embedded leg, run by the bench in a child process.
    parser.add_argument("--embedded-leg", metavar="RESULT_FILE", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.rate <= 0 or args.seconds <= 0 or args.rerender < 1 or args.web_threads < 1:
        parser.error("--rate, --seconds, --rerender and --web-threads must be positive")
    return args


def percentile(samples: list[float], q: float) -> float:
    """Nearest-rank percentile: the smallest sample with at least q of them at or below it."""
    ordered = sorted(samples)
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)]


def seconds(value: float) -> str:
    return "never" if math.isinf(value) else f"{value:.2f} s"


# The embedded leg's child counts from its parent's start, so the notes read as one run.
_STARTED = float(os.environ.setdefault("BENCH_ISSUANCE_STARTED", str(time.time())))


def note(what: str) -> None:
    """Where the run is, on stderr: the figures stay alone on stdout."""
    print(f"[{time.time() - _STARTED:5.0f} s] {what}", file=sys.stderr, flush=True)


def load_average() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f} {five:.2f} {fifteen:.2f} on {os.cpu_count()} CPUs"


# --- the course and its fellows --------------------------------------------------------


def build_course(index, title: str):
    """A published course of one five-question quiz, with a badge design."""
    from django.utils.text import slugify

    from courses.models import CoursePage
    from tests.factories.certificates import make_badge_design
    from tests.factories.courses import make_module, single_choice_pool

    course = CoursePage(title=title, slug=slugify(title), summary=f"{title}, for the bench.")
    index.add_child(instance=course)
    make_module(course, questions=single_choice_pool(QUESTIONS))
    make_badge_design(course, validity_days=730)
    return course


@dataclass
class ReadyToSubmit:
    """A fellow with an open attempt at the course's only quiz, and its passing answers."""

    user_id: int
    attempt_id: int
    answers: dict


def prepare_fellows(course, count: int) -> list[ReadyToSubmit]:
    """Fellows enrolled and one click from completing `course` (not timed)."""
    from courses import services
    from lms.accounts.models import User

    note(f"preparing {count} fellows for {course.title}")
    first = User.objects.count() + 1
    users = User.objects.bulk_create(
        [
            User(email=f"fellow{n}.c{course.pk}@example.org", display_name=f"Amani Fellow {n}")
            for n in range(first, first + count)
        ]
    )
    module = course.get_children().live().specific().first()
    ready = []
    for user in users:
        services.check_enrol(user, course)
        attempt = services.start_attempt(user, module)
        answers = {q["id"]: attempt.answer_key[q["id"]]["correct"][0] for q in attempt.layout}
        ready.append(ReadyToSubmit(user.pk, attempt.pk, answers))
    return ready


def submit(fellow: ReadyToSubmit) -> None:
    """The fellow's click: submit the passing answers, which completes the course."""
    from courses import services
    from courses.models import QuizAttempt

    attempt = QuizAttempt.objects.select_related("module").get(pk=fellow.attempt_id)
    outcome = services.submit_attempt(attempt, fellow.answers)
    if not (outcome.graded_now and outcome.attempt.passed):
        raise RuntimeError(f"attempt {fellow.attempt_id} did not pass: the bench is broken")


# --- the web tier: a fixed pool of threads fed on a schedule ---------------------------


@dataclass
class Arrival:
    fellow: ReadyToSubmit
    due: float  # time.time() at which the fellow clicks
    started: float | None = None
    returned: float | None = None
    error: str = ""


@dataclass
class WebThreads:
    """Threads that serve arrivals from a queue, each with its own database connection
    (closed when the thread ends), as a threaded web server's would."""

    count: int
    handler: Callable[[ReadyToSubmit], None]
    inbox: queue.Queue = field(default_factory=queue.Queue)
    give_up: threading.Event = field(default_factory=threading.Event)
    threads: list[threading.Thread] = field(default_factory=list)

    def __enter__(self) -> WebThreads:
        for number in range(self.count):
            thread = threading.Thread(target=self.serve, name=f"web-{number}", daemon=True)
            thread.start()
            self.threads.append(thread)
        return self

    def serve(self) -> None:
        from django.db import connection

        try:
            while (arrival := self.inbox.get()) is not None:
                if self.give_up.is_set():
                    continue  # past the drain deadline: never served
                arrival.started = time.time()
                try:
                    self.handler(arrival.fellow)
                except Exception as exc:  # noqa: BLE001 - reported with the figures
                    arrival.error = repr(exc)
                arrival.returned = time.time()
        finally:
            connection.close()

    def finish(self, deadline: float) -> None:
        """Stop taking arrivals at `deadline` (time.time()); wait for those in hand."""
        for _ in self.threads:
            self.inbox.put(None)
        for thread in self.threads:
            thread.join(timeout=max(0.0, deadline - time.time()))
        self.give_up.set()
        for thread in self.threads:
            thread.join()

    def __exit__(self, *exc_info) -> None:
        if any(thread.is_alive() for thread in self.threads):
            self.finish(time.time())


def open_loop(fellows: list[ReadyToSubmit], rate: float, pool: WebThreads) -> list[Arrival]:
    """Hand fellow i to the web threads at start + i / rate, whatever came before."""
    start = time.time() + 0.5
    arrivals = [Arrival(fellow, start + i / rate) for i, fellow in enumerate(fellows)]
    for arrival in arrivals:
        delay = arrival.due - time.time()
        if delay > 0:
            time.sleep(delay)  # the schedule itself, not a wait for a result
        pool.inbox.put(arrival)
    return arrivals


def issued_at_by_user(course, user_ids: list[int]) -> dict[int, float]:
    from certificates.models import Badge

    rows = Badge.objects.filter(
        course=course, recipient_id__in=user_ids, state=Badge.State.ISSUED
    ).values_list("recipient_id", "issued_at")
    return {user_id: issued_at.timestamp() for user_id, issued_at in rows}


@dataclass
class LegResult:
    latencies: list[float]  # seconds, math.inf for never ready
    arrivals: list[Arrival]

    @property
    def p50(self) -> float:
        return percentile(self.latencies, 0.50)

    @property
    def p95(self) -> float:
        return percentile(self.latencies, 0.95)

    @property
    def never_ready(self) -> int:
        return sum(math.isinf(x) for x in self.latencies)

    @property
    def request_p50(self) -> float:
        """Median time a web thread spent on a submission (the fellow's request)."""
        served = [a.returned - a.started for a in self.arrivals if a.started is not None]
        return percentile(served, 0.5) if served else math.nan

    def describe_web_tier(self) -> str:
        served = [a for a in self.arrivals if a.started is not None]
        errors = [a.error for a in self.arrivals if a.error]
        waits = [a.started - a.due for a in served]
        requests = [a.returned - a.started for a in served]
        text = (
            f"served {len(served)} of {len(self.arrivals)}; wait for a web thread "
            f"p95 {percentile(waits, 0.95):.2f} s; submit request p50 "
            f"{percentile(requests, 0.5):.3f} s"
            if served
            else "none served"
        )
        if errors:
            text += f"; {len(errors)} failed, first: {errors[0]}"
        return text


def run_leg(course, fellows, args, all_ready: Callable[[], bool]) -> LegResult:
    """Completions arrive open loop; wait (at most --drain after the last) until all_ready."""
    note(f"{len(fellows)} completions arriving")
    with WebThreads(args.web_threads, submit) as pool:
        arrivals = open_loop(fellows, args.rate, pool)
        deadline = arrivals[-1].due + args.drain
        pool.finish(deadline)
        while time.time() < deadline and not all_ready():
            time.sleep(0.2)  # polling the database for the workers' last badges
    ready = issued_at_by_user(course, [f.user_id for f in fellows])
    latencies = [
        ready[a.fellow.user_id] - a.due if a.fellow.user_id in ready else math.inf for a in arrivals
    ]
    return LegResult(latencies, arrivals)


def count_issued(course) -> int:
    from certificates.models import Badge

    return Badge.objects.filter(course=course, state=Badge.State.ISSUED).count()


def complete_now(course, fellows: list[ReadyToSubmit], threads: int, what: str) -> list[Arrival]:
    """Complete `fellows` as fast as the web threads go and wait for their badges (not timed)."""
    from certificates.models import Badge

    note(f"issuing {what}")
    arrivals = [Arrival(fellow, time.time()) for fellow in fellows]
    with WebThreads(threads, submit) as pool:
        for arrival in arrivals:
            pool.inbox.put(arrival)
        pool.finish(time.time() + 600)
    theirs = Badge.objects.filter(
        recipient_id__in=[f.user_id for f in fellows], state=Badge.State.ISSUED
    )
    wait_for(
        lambda: theirs.count() == len(fellows),
        timeout=60 + 5 * len(fellows),
        what=what,
        interval=0.2,
    )
    return arrivals


def wait_for_backlog(timeout: float) -> None:
    """Let the worker finish badges left over from a leg that did not drain, so they do
    not run during the next measurement."""
    from certificates.models import Badge

    unfinished = Badge.objects.filter(state__in=[Badge.State.PENDING, Badge.State.RENDERING])
    if unfinished.exists():
        note(f"waiting for the worker's backlog of {unfinished.count()} badges")
        wait_for(lambda: not unfinished.exists(), timeout=timeout, what="the backlog", interval=1)


# --- in-process reference times -------------------------------------------------------


def in_process_p50(
    action: Callable[[int], object], badge_ids: list[int], rounds: int
) -> tuple[float, float]:
    """Median wall and CPU seconds of action(badge id), run here after one warm-up call."""
    action(badge_ids[0])  # warm: fonts loaded, stylesheets parsed, as in a running worker
    walls, cpus = [], []
    for i in range(rounds):
        wall, cpu = time.perf_counter(), time.process_time()
        action(badge_ids[i % len(badge_ids)])
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    return statistics.median(walls), statistics.median(cpus)


def render_in_process(badge_id: int) -> bytes:
    """The render exactly as the worker calls it: the issued badge's snapshot, with its
    signed credential attached as the PDF/A-3 associated file."""
    from certificates.issuing.publishing import render_pdf_bytes
    from certificates.models import Badge

    return render_pdf_bytes(Badge.objects.get(pk=badge_id))


def rerender_task_in_process(badge_id: int) -> None:
    """The re-render task itself, run in this process through Celery's public apply()."""
    from certificates.tasks import rerender_badge_task

    if rerender_badge_task.apply(args=[badge_id]).get() is not True:
        raise RuntimeError(f"badge {badge_id} was not re-rendered")


def issued_ids(course) -> list[int]:
    from certificates.models import Badge

    return list(
        Badge.objects.filter(course=course, state=Badge.State.ISSUED)
        .order_by("pk")
        .values_list("pk", flat=True)
    )


# --- processes -------------------------------------------------------------------------


def database_url() -> str:
    from django.db import connection

    db = connection.settings_dict  # the test database, once run_in_test_database made it
    return f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"


def child_env(**overrides: str) -> dict:
    """This run's environment for a worker or the embedded leg, on this run's database."""
    env = {**os.environ, "DATABASE_URL": database_url(), **overrides}
    env.pop("REDIS_URL", None)
    if "REDIS_URL" in overrides:
        env["REDIS_URL"] = overrides["REDIS_URL"]
    return env


def run_embedded_leg_in_child(args: argparse.Namespace, scratch: Path) -> dict:
    """(a)'s embedded leg in a process whose settings are the embedded default."""
    result_file = scratch / "embedded.json"
    command = [sys.executable, __file__, "--embedded-leg", str(result_file)]
    command += ["--rate", str(args.rate), "--seconds", str(args.seconds)]
    command += ["--web-threads", str(args.web_threads), "--drain", str(args.drain)]
    command += ["--rounds", str(args.rounds)] + (["--skip-embedded"] if args.skip_embedded else [])
    budget = args.seconds + args.drain + 600  # plus setting up the fellows
    subprocess.run(command, env=child_env(CELERY_TASK_ALWAYS_EAGER="1"), check=True, timeout=budget)
    return json.loads(result_file.read_text())


def embedded_leg(args: argparse.Namespace) -> int:
    """Run in the child: a course of its own under the catalogue, warm, completions one at
    a time (the whole issuance's cost, in-process), then the leg."""
    from courses.models import CourseIndexPage
    from lms.celery import app

    if not app.conf.task_always_eager:
        sys.exit("the embedded leg must run with CELERY_TASK_ALWAYS_EAGER=1")
    index = CourseIndexPage.objects.get(slug=CATALOGUE_SLUG)
    course = build_course(index, "Foundations of AI Data Labeling (embedded default)")
    complete_now(course, prepare_fellows(course, 2), 1, "warm-up badges")
    alone = complete_now(
        course, prepare_fellows(course, args.rounds), 1, "badges one completion at a time"
    )
    result = {"alone": statistics.median(a.returned - a.started for a in alone)}
    if not args.skip_embedded:
        leg = run_leg(course, prepare_fellows(course, arrivals_for(args)), args, lambda: True)
        result.update(
            p50=leg.p50,
            p95=leg.p95,
            never_ready=leg.never_ready,
            web_tier=leg.describe_web_tier(),
        )
    Path(args.embedded_leg).write_text(json.dumps(result))
    return 0


def pool_pids(worker: CeleryWorker) -> list[str]:
    """The worker's pool processes: its main process's children."""
    return subprocess.run(
        ["ps", "-o", "pid=", "--ppid", str(worker.process.pid)],
        capture_output=True,
        text=True,
        check=False,
    ).stdout.split()


def worker_cpu_seconds(worker: CeleryWorker) -> float:
    """CPU time used so far by the worker's main process and its pool processes."""
    total = 0
    for pid in [str(worker.process.pid), *pool_pids(worker)]:
        # Fields after the command's closing parenthesis; utime and stime are 14 and 15.
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def pool_processes_rss_kib(worker: CeleryWorker) -> list[int]:
    """Resident memory of each of the worker's pool processes."""
    sizes = []
    for pid in pool_pids(worker):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                sizes.append(int(line.split()[1]))
    return sizes


# --- the run ---------------------------------------------------------------------------


def arrivals_for(args: argparse.Namespace) -> int:
    return max(1, round(args.rate * args.seconds))


def main(args: argparse.Namespace, redis_url: str, scratch: Path) -> int:
    from django.conf import settings

    from certificates.staff.views import rerender_progress, start_rerender_job
    from lms.celery import app
    from tests.factories.courses import make_catalogue

    if app.conf.task_always_eager or not app.conf.broker_url.startswith(redis_url[:-2]):
        sys.exit("the bench's own process must publish to the private Redis")
    failures: list[str] = []
    arrivals = arrivals_for(args)
    print(f"start: {load_average()}")
    print(
        f"(a) {arrivals} completions, {args.rate:g} a second for {args.seconds:g} s, open loop; "
        f"{args.web_threads} web threads; PostgreSQL"
    )
    index = make_catalogue(slug=CATALOGUE_SLUG)

    note("embedded default, in a child process")
    embedded = run_embedded_leg_in_child(args, scratch)
    if not args.skip_embedded:
        print(
            f"(a) embedded default (tasks in the web process): completion → badge ready "
            f"p50 {seconds(embedded['p50'])}, p95 {seconds(embedded['p95'])}; "
            f"{embedded['never_ready']} not ready {args.drain:g} s after the last arrival "
            f"(information; no target)"
        )
        print(f"    web tier: {embedded['web_tier']}")

    worker = CeleryWorker(
        child_env(
            REDIS_URL=redis_url,
            CELERY_TASK_ALWAYS_EAGER="0",
            DJANGO_MEDIA_ROOT=str(settings.MEDIA_ROOT),
            DJANGO_ISSUER_KEYS_FILE=settings.CREDENCE_ISSUER_KEYS_FILE,
        ),
        scratch / "worker.log",
        name="bench-issuance",
        concurrency=WORKER_CONCURRENCY,
    ).start()
    try:
        course = build_course(index, "Foundations of AI Data Labeling")
        # Warm both pool processes: as many badges at once as there are processes, twice.
        complete_now(
            course,
            prepare_fellows(course, 2 * WORKER_CONCURRENCY),
            2 * WORKER_CONCURRENCY,
            "the worker's warm-up badges",
        )
        fellows = prepare_fellows(course, arrivals)
        expected = count_issued(course) + arrivals
        with_workers = run_leg(course, fellows, args, lambda: count_issued(course) >= expected)
        render_s, _ = in_process_p50(render_in_process, issued_ids(course), args.rounds)
        print(
            f"(a) with workers (1 worker, prefork, concurrency {WORKER_CONCURRENCY}): "
            f"completion → badge ready p50 {seconds(with_workers.p50)}, "
            f"p95 {seconds(with_workers.p95)} (target p95 ≤ {TARGET_P95_WITH_WORKERS_S} s); "
            f"{with_workers.never_ready} not ready"
        )
        print(f"    web tier: {with_workers.describe_web_tier()}")
        # The worker's share of a completion: all of it served alone in-process, less the
        # request the web thread still serves when tasks go to the worker.
        task_share = embedded["alone"] - with_workers.request_p50
        busy = args.rate * task_share / WORKER_CONCURRENCY
        print(
            f"    context: the render alone, in this process, p50 {render_s:.3f} s; a "
            f"completion served alone with tasks in-process p50 {embedded['alone']:.3f} s, "
            f"less the request above = {task_share:.3f} s of worker time a badge, so at "
            f"{args.rate:g} a second the {WORKER_CONCURRENCY} worker processes are busy "
            f"about {busy:.0%} of the time"
        )
        if with_workers.p95 > TARGET_P95_WITH_WORKERS_S:
            failures.append(f"(a) p95 with workers {seconds(with_workers.p95)}")

        # (b) the admin's re-render job over N issued badges.
        wait_for_backlog(timeout=60 + 5 * arrivals)
        if count_issued(course) > args.rerender:
            course = build_course(index, "AI Ethics for Expert Trainers")
        missing = args.rerender - count_issued(course)
        if missing > 0:
            complete_now(
                course,
                prepare_fellows(course, missing),
                args.web_threads,
                f"{args.rerender} issued badges to re-render",
            )
        ids = issued_ids(course)
        note(f"re-render job over {len(ids)} badges")
        task_s, task_cpu_s = in_process_p50(rerender_task_in_process, ids, args.rounds)
        ideal = len(ids) * task_s / WORKER_CONCURRENCY
        cpu_before = worker_cpu_seconds(worker)
        started = time.perf_counter()
        job = start_rerender_job(course)
        queued_s = time.perf_counter() - started
        tenth = max(1, len(ids) // 10)
        rss_early: list[int] = []
        deadline = time.monotonic() + max(120.0, 5 * ideal)
        while True:
            progress = rerender_progress(job)
            if not rss_early and progress.rerendered >= tenth:
                rss_early = pool_processes_rss_kib(worker)
            if progress.is_done or time.monotonic() > deadline:
                break
            time.sleep(0.1)  # polling the admin's progress, as its page does
        wall = time.perf_counter() - started
        rss_end = pool_processes_rss_kib(worker)
        worker_cpu_per_badge = (worker_cpu_seconds(worker) - cpu_before) / len(ids)
        ratio = wall / ideal
        print(
            f"(b) re-render job, {len(ids)} badges, {WORKER_CONCURRENCY} worker processes: "
            f"{wall:.1f} s from the click to 100% ({queued_s:.1f} s of it queueing); "
            f"ideal {len(ids)} × {task_s:.3f} s (the task in this process) / "
            f"{WORKER_CONCURRENCY} = {ideal:.1f} s; ratio {ratio:.2f} "
            f"(target ≤ {TARGET_RERENDER_RATIO})"
        )
        # On a busy machine two worker processes get less than two cores: the CPU each
        # badge cost, against the task's here, separates that from overhead in the queue.
        print(
            f"    context: CPU per badge in the worker (pool and main process) "
            f"{worker_cpu_per_badge:.3f} s, the task in this process {task_cpu_s:.3f} s CPU"
        )
        if not progress.is_done or progress.skipped:
            failures.append(
                f"(b) job not finished: {progress.rerendered} re-rendered, "
                f"{progress.waiting} waiting, {progress.skipped} skipped"
            )
        if ratio > TARGET_RERENDER_RATIO:
            failures.append(f"(b) ratio {ratio:.2f}")
        growth = max(
            ((end - early) / 1024 for early, end in zip(rss_early, rss_end, strict=False)),
            default=0.0,
        )
        # A worker's first few hundred renders still grow its caches; below that size the
        # growth says more about warming up than about a leak.
        memory_target = len(ids) >= MEMORY_TARGET_FROM_BADGES
        print(
            f"(b) worker processes' memory after {tenth}: {[r // 1024 for r in rss_early]} MiB; "
            f"after {len(ids)}: {[r // 1024 for r in rss_end]} MiB; growth {growth:.1f} MiB "
            + (
                f"(target ≤ {TARGET_WORKER_RSS_GROWTH_MIB:g})"
                if memory_target
                else f"(information: the target applies from {MEMORY_TARGET_FROM_BADGES} badges)"
            )
        )
        if len(rss_early) != WORKER_CONCURRENCY or len(rss_end) != WORKER_CONCURRENCY:
            failures.append("(b) could not read both worker processes' memory")
        if memory_target and growth > TARGET_WORKER_RSS_GROWTH_MIB:
            failures.append(f"(b) worker memory growth {growth:.1f} MiB")
    finally:
        worker.stop()
        shutil.copy(scratch / "worker.log", KEPT_WORKER_LOG)
    print(f"end: {load_average()}")
    for failure in failures:
        print("FAIL:", failure)
    if failures:
        print(f"worker log: {KEPT_WORKER_LOG}")
    return 1 if failures else 0


def run(args: argparse.Namespace) -> int:
    """Set the environment before Django and Celery first read it, then run in a test
    database; or, in the child, run the embedded leg in the database the parent made."""
    sys.stdout.reconfigure(line_buffering=True)  # figures and notes in order in a log file
    if args.embedded_leg:
        import django

        django.setup()
        return embedded_leg(args)
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        sys.exit("bench_issuance needs PostgreSQL: set DATABASE_URL=postgres://...")
    scratch = Path(tempfile.mkdtemp(prefix="credence-bench-issuance-"))
    redis = RedisServer().start()
    # Workers and this process use the private Redis as broker from the start. The
    # embedded leg's child drops REDIS_URL again (child_env): the embedded default.
    os.environ.update(
        DJANGO_SETTINGS_MODULE="lms.settings.test",
        REDIS_URL=redis.url,
        CELERY_TASK_ALWAYS_EAGER="0",
        DJANGO_MEDIA_ROOT=str(scratch / "media"),
        DJANGO_ISSUER_KEYS_FILE=str(scratch / "keys.json"),
    )
    try:
        import django

        django.setup()
        from bench.support import run_in_test_database

        note("creating the test database")
        return run_in_test_database(main, args, redis.url, scratch)
    finally:
        redis.stop()
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(run(parse_args()))
