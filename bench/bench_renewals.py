"""The out-of-date beat job at scale: certificates.issuing.renewal.mark_out_of_date against
a bare UPDATE of the same rows, in the same run.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/credence \\
        .venv/bin/python bench/bench_renewals.py
    ... bench/bench_renewals.py --badges 20000 --batch-sizes 2000 --rounds 1   # a quick check

Works in a throwaway test database (test_<DATABASE_URL's database name>) dropped after the
run. Seeds --badges badges (default 100,000) of one course with three versions (bulk
inserts; each badge has its own random status index and a copy of one signed credential,
whose signature would not verify for it): 60% issued on an earlier version with a
renewal deadline in the past (what the job marks), 15% issued on the current version,
5% issued with a deadline still to come, 10% already out of date and 10% superseded with
a past deadline (the job must leave both alone). The status lists start with those
badges' bits set. Badges have no recipient: the job never reads one.

Then, for each batch size (--batch-sizes, default 500,2000,10000) and each of --rounds
rounds (default 3): the job marks the due badges (timed; its SQL statements counted per
batch); the rows and the suspension list are put back; then the floor, one bare
`UPDATE certificates_badge SET state = 'out_of_date', out_of_date_at = renew_by WHERE
state = 'issued' AND renew_by <= now` of the same rows, is timed right after, and the rows
put back again. Each run starts from a vacuumed table. Printed per run: both times, their
ratio, and the share of the job's time spent on the status list (decode, set the bits,
re-sign, save) and on signing alone; then the medians per batch size. The load average is
printed too: figures from a busy machine mean little without it.

Statements per batch are counted first at --small badges (default 1,000, batches of 100)
and again at full size for every batch size: they must be the same everywhere (one
UPDATE per batch, not one per badge), or the script exits 1, as it does when the job and
the floor mark different numbers of rows. There is no time target: the ratio is
information (docs/performance.md).

PostgreSQL is what this measures. On SQLite it skips, unless --badges is given (the
smoke test, tests/bench/test_bench_renewals.py, gives a few hundred): it then runs, and
its times mean nothing.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lms.settings.test")

import django  # noqa: E402

django.setup()

from django.db import connection, transaction  # noqa: E402
from django.utils import timezone  # noqa: E402

from bench.support import run_in_test_database  # noqa: E402

SHARES = {"due": 60, "current": 15, "not_yet_due": 5, "out_of_date": 10, "superseded": 10}
FLOOR_SQL = (
    "UPDATE certificates_badge SET state = %s, out_of_date_at = renew_by"
    " WHERE state = %s AND renew_by <= %s"
)
SMALL_BATCH = 100
TRANSACTION_CONTROL = ("BEGIN", "SAVEPOINT", "RELEASE", "COMMIT", "ROLLBACK")


def load_average() -> str:
    try:
        return " ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        return "?"


# --- Seeding ---------------------------------------------------------------------------


class Seed:
    """One course with three versions, its badges, and what the runs put back."""

    def __init__(self) -> None:
        from certificates.models import Badge
        from courses.versions import publish_version
        from tests.factories.certificates import make_badge_design
        from tests.factories.courses import make_catalogue, make_course_with_modules

        self.rng = random.Random(15)
        self.now = timezone.now()
        course, modules = make_course_with_modules(make_catalogue(slug="bench-renewals"))
        self.design = make_badge_design(course)
        # publish_version records the baseline ("1") first: three versions in all.
        publish_version(
            course,
            number="2026.1",
            summary="A rule for ambiguous items.",
            changed_modules=[modules[0]],
            renewal_days=90,
        )
        publish_version(
            course,
            number="2027.1",
            summary="A rule for images.",
            changed_modules=[modules[1]],
            renewal_days=60,
        )
        self.course = course
        self.versions = list(course.versions.order_by("sequence"))
        self.due_ids: list[int] = []
        self.template: Badge | None = None
        self.free_indexes: list[int] = []
        self.count = 0

    def _snapshot(self, public_id: str, version) -> dict:
        from certificates.issuing.issuance import build_snapshot

        return build_snapshot(
            public_id=public_id,
            recipient_name="Ada Lovelace",
            design=self.design,
            score_percent=92,
            issued_on=self.now.date(),
            expires_on=None,
            language="en",
            version=version,
        )

    def _signed_template(self, index: int):
        """One badge with a real signed credential, whose copies the others carry."""
        from certificates.models import Badge, new_public_id
        from certificates.signing import credentials

        public_id = new_public_id()
        current = self.versions[-1]
        badge = Badge(
            public_id=public_id,
            course=self.course,
            state=Badge.State.ISSUED,
            snapshot=self._snapshot(public_id, current),
            issued_at=self.now,
            created_at=self.now,
            status_index=index,
            course_version=current,
        )
        for name, value in (
            credentials.sign_and_check(badge, recipient_email="ada@example.org")
            .row_fields()
            .items()
        ):
            setattr(badge, name, value)
        badge.save()
        return badge

    def top_up(self, total: int) -> None:
        """Insert badges up to `total` in all, in the shares of SHARES, in bulk."""
        from certificates.models import Badge, new_public_id
        from certificates.signing.ob3 import status_list

        if not self.free_indexes:
            self.free_indexes = list(range(status_list.MIN_ENTRIES))
            self.rng.shuffle(self.free_indexes)
        if self.template is None:
            self.template = self._signed_template(self.free_indexes.pop())
            self.count = 1
        adding = total - self.count
        kinds = [k for k, share in SHARES.items() for _ in range(round(adding * share / 100))]
        kinds += ["due"] * (adding - len(kinds))
        self.rng.shuffle(kinds)
        earlier, current = self.versions[:-1], self.versions[-1]
        suspension, revocation = [], []
        batch: list[Badge] = []
        for kind in kinds[:adding]:
            public_id = new_public_id()
            version = current if kind == "current" else self.rng.choice(earlier)
            days = timedelta(days=self.rng.uniform(1, 30))
            renew_by = None
            state = Badge.State.ISSUED
            out_of_date_at = None
            if kind == "not_yet_due":
                renew_by = self.now + days
            elif kind != "current":
                renew_by = self.now - days
            if kind == "out_of_date":
                state, out_of_date_at = Badge.State.OUT_OF_DATE, renew_by
            elif kind == "superseded":
                state = Badge.State.SUPERSEDED
            index = self.free_indexes.pop()
            if kind in ("out_of_date", "superseded"):
                suspension.append(index)
            if kind == "superseded":
                revocation.append(index)
            credential = {
                **self.template.credential,
                "id": f"{self.template.credential['id'].rsplit('/', 2)[0]}/{public_id}/",
            }
            batch.append(
                Badge(
                    public_id=public_id,
                    course=self.course,
                    state=state,
                    snapshot=self._snapshot(public_id, version),
                    issued_at=self.now - timedelta(days=200) + days,
                    created_at=self.now - timedelta(days=200) + days,
                    status_index=index,
                    credential=credential,
                    signing_key_id=self.template.signing_key_id,
                    credential_sha256=self.template.credential_sha256,
                    course_version=version,
                    renew_by=renew_by,
                    out_of_date_at=out_of_date_at,
                    renewal_notice_sent_at=self.now - timedelta(days=45) if renew_by else None,
                )
            )
            if len(batch) == 5000:
                self._insert(batch)
                batch = []
        self._insert(batch)
        self.count = total
        self.due_ids = list(
            Badge.objects.filter(state=Badge.State.ISSUED, renew_by__lte=self.now).values_list(
                "pk", flat=True
            )
        )
        self._set_initial_bits(suspension, revocation)
        self._keep_lists()

    def _insert(self, batch) -> None:
        from certificates.models import Badge

        Badge.objects.bulk_create(batch, batch_size=1000)

    def _set_initial_bits(self, suspension: list[int], revocation: list[int]) -> None:
        from certificates.issuing import status_publishing
        from certificates.public import status_version

        with transaction.atomic():
            status_publishing.set_status_bits(suspension, "suspension", True)
            status_publishing.set_status_bits(revocation, "revocation", True)
            # As in any database that has changed a badge: the status version's row exists.
            status_version.note_change()

    def _keep_lists(self) -> None:
        from certificates.models import StatusList

        self.lists = {
            row.purpose: (row.credential, row.etag, row.updated_at)
            for row in StatusList.objects.all()
        }

    def reset(self) -> None:
        """Put the due badges back to issued and the status lists back as seeded, then
        vacuum, so the next run starts where this one did."""
        from certificates.models import Badge, StatusList

        for start in range(0, len(self.due_ids), 5000):
            Badge.objects.filter(pk__in=self.due_ids[start : start + 5000]).update(
                state=Badge.State.ISSUED, out_of_date_at=None
            )
        for purpose, (credential, etag, updated_at) in self.lists.items():
            StatusList.objects.filter(purpose=purpose).update(
                credential=credential, etag=etag, updated_at=updated_at
            )
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("VACUUM ANALYZE certificates_badge")
                cursor.execute("VACUUM ANALYZE certificates_statuslist")


# --- Measuring ---------------------------------------------------------------------------


@contextmanager
def timed(module, name: str, spent: list[float]):
    """Add the time spent in module.name (looked up at call time) to spent[0]."""
    original = getattr(module, name)

    def wrapper(*args, **kwargs):
        started = time.perf_counter()
        try:
            return original(*args, **kwargs)
        finally:
            spent[0] += time.perf_counter() - started

    setattr(module, name, wrapper)
    try:
        yield
    finally:
        setattr(module, name, original)


class Run:
    """One run of the job: its time, what it marked, its statements and batch times."""

    def __init__(self, seconds: float, marked: int, batches: int) -> None:
        self.seconds, self.marked, self.batches = seconds, marked, batches
        self.per_batch: list[int] = []  # statements of each batch that marked badges
        self.extra = 0  # 1 when a last UPDATE found nothing (the last batch was full)
        self.batch_seconds: list[float] = []
        self.first_batch: list[str] = []
        self.list_seconds = self.signing_seconds = 0.0


def run_job(seed: Seed, batch_size: int) -> Run:
    """mark_out_of_date once, timed, with its statements counted and its batches timed."""
    from certificates.issuing import renewal, status_publishing

    statements: list[tuple[float, str]] = []

    def count(execute, sql, params, many, context):
        # Data statements only: SQLite's BEGIN goes through here, PostgreSQL's does not.
        if not sql.lstrip().upper().startswith(TRANSACTION_CONTROL):
            statements.append((time.perf_counter(), sql))
        return execute(sql, params, many, context)

    list_spent, sign_spent = [0.0], [0.0]
    with (
        timed(status_publishing, "set_status_bits", list_spent),
        timed(status_publishing, "_signed_fields", sign_spent),
        connection.execute_wrapper(count),
    ):
        started = time.perf_counter()
        result = renewal.mark_out_of_date(now=seed.now, batch_size=batch_size)
        ended = time.perf_counter()
    run = Run(ended - started, result.marked, result.batches)
    run.list_seconds, run.signing_seconds = list_spent[0], sign_spent[0]
    starts = [i for i, (_at, sql) in enumerate(statements) if "RETURNING status_index" in sql]
    bounds = [*starts, len(statements)]
    run.per_batch = [bounds[i + 1] - bounds[i] for i in range(len(starts))]
    times = [statements[i][0] for i in starts] + [ended]
    run.batch_seconds = [times[i + 1] - times[i] for i in range(len(starts))]
    # A last UPDATE that marked nothing runs alone, and the job stops.
    if len(starts) > result.batches:
        run.per_batch.pop()
        run.batch_seconds.pop()
        run.extra = 1
    if starts:
        first = statements[starts[0] : starts[0] + run.per_batch[0]]
        run.first_batch = [" ".join(sql.split()[:3]) for _at, sql in first]
    return run


@contextmanager
def ordered_by_deadline():
    """The job with its batch query ordered by deadline instead of id (a suggestion, not
    the shipped code): the partial index on renew_by then finds each batch directly,
    where the primary key's order walks past every badge marked before."""
    from certificates.issuing import renewal

    original = renewal._MARK_SQL
    renewal._MARK_SQL = original.replace("ORDER BY id", "ORDER BY renew_by")
    try:
        yield
    finally:
        renewal._MARK_SQL = original


def scans(seed: Seed, batch_size: int) -> str:
    """The scans PostgreSQL plans for the job's batch UPDATE (EXPLAIN, not run)."""
    from certificates.issuing import renewal
    from certificates.models import Badge

    sql = renewal._MARK_SQL.format(badge=connection.ops.quote_name(Badge._meta.db_table))
    issued = Badge.State.ISSUED.value
    with connection.cursor() as cursor:
        cursor.execute(
            "EXPLAIN " + sql,
            [Badge.State.OUT_OF_DATE.value, issued, seed.now, batch_size, issued],
        )
        lines = [row[0].strip().lstrip("-> ") for row in cursor.fetchall()]
    return "; ".join(line.split("  (")[0] for line in lines if "Scan" in line)


def run_floor(seed: Seed) -> tuple[float, int]:
    from certificates.models import Badge

    params = [Badge.State.OUT_OF_DATE.value, Badge.State.ISSUED.value, seed.now]
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(FLOOR_SQL, params)
        rows = cursor.rowcount
    return time.perf_counter() - started, rows


class Pair:
    def __init__(self, job: Run, floor: float, variant: Run | None) -> None:
        self.job, self.floor, self.variant = job, floor, variant

    @property
    def ratio(self) -> float:
        return self.job.seconds / self.floor


def measure(seed: Seed, size: int, problems: list[str], *, variant: bool) -> Pair:
    """The job, then the floor on the same rows, then (if asked) the variant; each from
    the seeded state."""
    job = run_job(seed, size)
    seed.reset()
    floor_seconds, floor_rows = run_floor(seed)
    seed.reset()
    other = None
    if variant:
        with ordered_by_deadline():
            other = run_job(seed, size)
        seed.reset()
    for run in (job, other):
        if run is not None and run.marked != len(seed.due_ids):
            problems.append(f"the job marked {run.marked:,} of {len(seed.due_ids):,}")
    if floor_rows != len(seed.due_ids):
        problems.append(f"the floor updated {floor_rows:,} of {len(seed.due_ids):,}")
    return Pair(job, floor_seconds, other)


def ms(seconds: float) -> str:
    return f"{seconds * 1000:8.1f} ms"


def describe(pair: Pair) -> str:
    job = pair.job
    text = (
        f"job {ms(job.seconds)} ({job.batches} batches of {sorted(set(job.per_batch))}"
        f" statements, + {job.extra}; batch time first {ms(job.batch_seconds[0]).strip()},"
        f" last {ms(job.batch_seconds[-1]).strip()}), floor {ms(pair.floor)},"
        f" ratio {pair.ratio:5.2f}; status list {job.list_seconds / job.seconds:.0%}"
        f" (signing {job.signing_seconds / job.seconds:.0%})"
    )
    if pair.variant is not None:
        text += (
            f"; ordered by deadline {ms(pair.variant.seconds).strip()},"
            f" ratio {pair.variant.seconds / pair.floor:.2f}"
        )
    return text


def main(badges: int, small: int, batch_sizes: list[int], rounds: int, variant: bool) -> int:
    from certificates.issuing import renewal

    if connection.vendor != "postgresql":
        print("On SQLite: statement counts only; the times below mean nothing.")
    variant = variant and "ORDER BY id" in renewal._MARK_SQL
    problems: list[str] = []
    started = time.perf_counter()
    seed = Seed()
    seed.top_up(min(small, badges))
    check = run_job(seed, SMALL_BATCH)
    seed.reset()
    counts = set(check.per_batch)
    print("one batch's statements: " + " | ".join(check.first_batch))
    print(
        f"at {seed.count:,} badges ({check.marked:,} due), batches of {SMALL_BATCH}:"
        f" statements per batch {sorted(counts)}"
    )
    if badges > small:
        seed.top_up(badges)
        seed.reset()
    print(
        f"seeded {seed.count:,} badges ({len(seed.due_ids):,} due) in"
        f" {time.perf_counter() - started:.1f} s; {len(seed.versions)} course versions;"
        f" load average {load_average()}"
    )
    if connection.vendor == "postgresql":
        for size in batch_sizes:
            print(f"batch {size:,} plan: {scans(seed, size)}")
            if variant:
                with ordered_by_deadline():
                    print(f"  ordered by deadline: {scans(seed, size)}")
    results: dict[int, list[Pair]] = {size: [] for size in batch_sizes}
    for round_number in range(1, rounds + 1):
        for size in batch_sizes:
            pair = measure(seed, size, problems, variant=variant)
            counts |= set(pair.job.per_batch)
            results[size].append(pair)
            print(f"round {round_number} batch {size:>6,}: {describe(pair)}; load {load_average()}")
    print(f"medians of {rounds} rounds (load average {load_average()}):")
    for size, pairs in results.items():
        median = statistics.median
        job = median(p.job.seconds for p in pairs)
        listing = median(p.job.list_seconds / p.job.seconds for p in pairs)
        signing = median(p.job.signing_seconds / p.job.seconds for p in pairs)
        line = (
            f"  batch {size:>6,}: job {ms(job)}, floor {ms(median(p.floor for p in pairs))},"
            f" ratio {median(p.ratio for p in pairs):5.2f},"
            f" {job / max(len(seed.due_ids), 1) * 1e6:5.1f} µs per badge;"
            f" status list {listing:.0%} of the job (signing {signing:.0%})"
        )
        if variant:
            line += (
                f"; ordered by deadline: ratio"
                f" {median(p.variant.seconds / p.floor for p in pairs):5.2f}"
            )
        print(line)
    print(f"statements per batch, at every size and batch size: {sorted(counts)}")
    if len(counts) != 1:
        problems.append(f"statements per batch vary: {sorted(counts)}")
    if problems:
        print("targets missed: " + "; ".join(sorted(set(problems))))
        return 1
    return 0


def parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--badges", type=int, default=None, help="badges seeded (100,000)")
    parser.add_argument("--small", type=int, default=1000, help="first count at this many")
    parser.add_argument("--batch-sizes", default="500,2000,10000")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument(
        "--no-variant",
        action="store_true",
        help="skip the runs of the job with its batch query ordered by deadline",
    )
    return parser.parse_args(argv)


if __name__ == "__main__":
    args = parse(sys.argv[1:])
    if connection.vendor != "postgresql" and args.badges is None:
        print(
            "bench_renewals measures on PostgreSQL: set DATABASE_URL. (On SQLite, --badges N"
            " runs it anyway for the statement counts; its times mean nothing there.) Skipped."
        )
        sys.exit(0)
    sizes = [int(size) for size in args.batch_sizes.split(",")]
    sys.exit(
        run_in_test_database(
            main, args.badges or 100_000, args.small, sizes, args.rounds, not args.no_variant
        )
    )
