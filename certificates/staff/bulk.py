"""Bulk award and bulk revoke of badges from a CSV file: read, preview, apply, report.

1. `read_csv` checks the upload itself (size, UTF-8, columns, row count); a bad file is
   one UploadError, shown as a form error.
2. `preview` checks every row against the database and writes nothing: each row gets
   what would happen, or a line-numbered error (unknown fellow or course, a course
   without a design, a fellow who already holds the badge, a badge already revoked, a
   repeated row, control or bidirectional characters). Only a preview with no errors
   can be confirmed; the view keeps it in the cache until then.
3. `create_job` records the confirmed rows (BulkBadgeJob, BulkBadgeRow) and
   `run_job` (from a Celery task) applies them in one transaction, checking each row
   again first: if any row fails at run time nothing is changed, and the job says which
   line failed and why. Progress while it runs is a counter in the cache, since the
   rows' outcomes only become visible when the transaction commits.
4. `outcomes_csv` is the job's rows and outcomes as CSV, every cell safe to open in a
   spreadsheet (`lms.csv_export`).

Awarding by CSV is the single "Award a badge" form many times over: the badge is marked
as awarded by hand, and a recorded completion is not required (the preview says whether
there is one).
"""

from __future__ import annotations

import csv
import io
import logging
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone

from certificates import lifecycle
from certificates.conf import conf
from certificates.issuing import issuance
from certificates.models import PUBLIC_ID_RE, Badge, BulkBadgeJob, BulkBadgeRow
from courses.models import CourseCompletion, CoursePage
from courses.translations import default_locale_pages
from lms.accounts.models import normalize_email_address
from lms.accounts.names import check_printable_name
from lms.csv_export import csv_lines

logger = logging.getLogger("credence.badges")

AWARD, REVOKE = BulkBadgeJob.Kind.AWARD, BulkBadgeJob.Kind.REVOKE
Outcome = BulkBadgeRow.Outcome

# The columns each kind reads; a header naming anything else is refused, so a file
# meant for the other kind (or no CSV of ours at all) is caught before any row is read.
COLUMNS = {
    AWARD: ("email", "course"),
    REVOKE: ("badge", "email", "course", "reason"),
}
REQUIRED_COLUMNS = {AWARD: ("email", "course"), REVOKE: ("reason",)}
HEADER_ALIASES = {"e-mail": "email", "public_id": "badge", "badge_id": "badge"}
CELL_LIMITS = {"email": 254, "course": 255, "badge": 32, "reason": 500}

# A worker killed mid-run leaves its transaction rolled back and the job "running";
# after this long another delivery of the task may start it again.
STALE_RUN = timedelta(minutes=15)
PROGRESS_TTL_SECONDS = 24 * 60 * 60

_BIDI = {0x061C, 0x200E, 0x200F, *range(0x202A, 0x202F), *range(0x2066, 0x206A)}
# Joiners some scripts need in ordinary words (Persian, Indic): allowed in a reason.
_JOINERS = {0x200C, 0x200D}


class UploadError(Exception):
    """The file as a whole cannot be used; the message says why, for the form."""


class RowError(Exception):
    """One row cannot be applied; the message says why, for the preview or outcome."""


@dataclass
class CsvRow:
    line: int  # the file's line on which the row starts (the header is line 1)
    cells: dict[str, str]

    def get(self, column: str) -> str:
        return self.cells.get(column, "")


@dataclass
class PlannedRow:
    line: int
    email: str = ""
    course_ref: str = ""
    badge_ref: str = ""
    reason: str = ""
    recipient_id: int | None = None
    course_id: int | None = None
    badge_id: int | None = None
    # For the preview page: who and what, as the database knows them.
    fellow_name: str = ""
    course_title: str = ""
    badge_public_id: str = ""
    note: str = ""
    error: str = ""


@dataclass
class Preview:
    kind: str
    filename: str
    rows: list[PlannedRow] = field(default_factory=list)

    @property
    def errors(self) -> list[PlannedRow]:
        return [row for row in self.rows if row.error]

    @property
    def can_confirm(self) -> bool:
        return bool(self.rows) and not self.errors


# --- reading the file ---------------------------------------------------------------


def _column_name(raw: str) -> str:
    name = raw.strip().lower().replace(" ", "_")
    return HEADER_ALIASES.get(name, name)


def read_csv(data: bytes, kind: str) -> list[CsvRow]:
    """The file's rows as cells by column, blank rows skipped. Raises UploadError."""
    max_bytes, max_rows = conf.CREDENCE_BULK_CSV_MAX_BYTES, conf.CREDENCE_BULK_CSV_MAX_ROWS
    if len(data) > max_bytes:
        raise UploadError(f"The file is larger than {max_bytes:,} bytes; split it into parts.")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise UploadError(
            "The file is not UTF-8 text. Save it as “CSV UTF-8” and upload it again."
        ) from None
    if "\x00" in text:
        raise UploadError("The file contains NUL bytes: it is not a CSV text file.")
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = next(reader, None)
        if header is None or not any(cell.strip() for cell in header):
            raise UploadError("The file is empty: the first line must name the columns.")
        columns = [_column_name(cell) for cell in header]
        # An empty header cell (a spreadsheet's trailing comma) names no column.
        unknown = [
            raw
            for raw, name in zip(header, columns, strict=True)
            if name and name not in COLUMNS[kind]
        ]
        if unknown:
            raise UploadError(
                f"Unknown column{'s' if len(unknown) > 1 else ''}: "
                f"{', '.join(repr(c[:40]) for c in unknown)}. The columns are: "
                f"{', '.join(COLUMNS[kind])}."
            )
        repeated = sorted({c for c in columns if c and columns.count(c) > 1})
        if repeated:
            raise UploadError(f"Column named twice: {', '.join(repeated)}.")
        missing = [c for c in REQUIRED_COLUMNS[kind] if c not in columns]
        if kind == REVOKE and "badge" not in columns and not {"email", "course"} <= set(columns):
            missing.append("badge (or email and course)")
        if missing:
            raise UploadError(f"Missing column: {', '.join(missing)}.")
        rows: list[CsvRow] = []
        start = reader.line_num + 1
        for cells in reader:
            line, start = start, reader.line_num + 1
            if not any(cell.strip() for cell in cells):
                continue
            if len(rows) >= max_rows:
                raise UploadError(f"The file has more than {max_rows:,} rows; split it into parts.")
            if any(cell.strip() for cell in cells[len(columns) :]):
                # Kept as a row so the preview names its line.
                rows.append(CsvRow(line, {"__extra__": "yes"}))
                continue
            rows.append(
                CsvRow(line, {c: v.strip() for c, v in zip(columns, cells, strict=False) if c})
            )
    except csv.Error as error:
        raise UploadError(f"Line {reader.line_num}: not valid CSV ({error}).") from None
    if not rows:
        raise UploadError("The file has a header but no rows.")
    return rows


def _check_cells(row: CsvRow) -> None:
    if "__extra__" in row.cells:
        raise RowError("More cells than columns (is there an unquoted comma?).")
    for column, value in row.cells.items():
        bad = [
            ch
            for ch in value
            if ord(ch) in _BIDI
            or (unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Co") and ord(ch) not in _JOINERS)
        ]
        if bad:
            raise RowError(
                f"The {column} cell contains control or invisible characters"
                f" ({', '.join(sorted({f'U+{ord(ch):04X}' for ch in bad}))}); type it again."
            )
        if len(value) > CELL_LIMITS[column]:
            raise RowError(f"The {column} cell is longer than {CELL_LIMITS[column]} characters.")


# --- checking rows against the database -------------------------------------------------


class Lookups:
    """The fellows, courses and badges a file names, each fetched in one query."""

    def __init__(self, rows: list[CsvRow]):
        emails = {normalize_email_address(r.get("email")) for r in rows if r.get("email")}
        self.users = {u.email.lower(): u for u in get_user_model().objects.filter(email__in=emails)}
        # Badges are kept on the default-locale course, whose slug a translation shares.
        self.courses = list(default_locale_pages(CoursePage.objects.select_related("badge_design")))
        public_ids = {r.get("badge") for r in rows if PUBLIC_ID_RE.match(r.get("badge"))}
        self.badges = {
            b.public_id: b
            for b in Badge.objects.filter(public_id__in=public_ids).select_related("course")
        }

    def fellow(self, email: str):
        if not email:
            raise RowError("No e-mail address.")
        try:
            validate_email(email)
        except ValidationError:
            raise RowError("Not an e-mail address.") from None
        user = self.users.get(normalize_email_address(email))
        if user is None:
            raise RowError("No account has this e-mail address.")
        if not user.is_active:
            raise RowError("This account is deactivated.")
        return user

    def course(self, ref: str) -> CoursePage:
        if not ref:
            raise RowError("No course: give its slug or id.")
        if ref.isdigit():
            found = [c for c in self.courses if c.pk == int(ref)]
        else:
            found = [c for c in self.courses if c.slug.lower() == ref.lower()]
        if not found:
            raise RowError("No course has this slug or id.")
        if len(found) > 1:
            raise RowError("Several courses have this slug: give the course's id.")
        return found[0]


def _has_design(course: CoursePage) -> bool:
    try:
        return course.badge_design is not None
    except ObjectDoesNotExist:
        return False


def _plan_award(row: CsvRow, look: Lookups, plan: PlannedRow) -> None:
    fellow = look.fellow(row.get("email"))
    plan.recipient_id, plan.fellow_name = fellow.pk, fellow.display_name
    try:
        check_printable_name(fellow.display_name)
    except ValidationError as error:
        raise RowError(
            f"{error.messages[0]} The fellow needs to change the name on their profile first."
        ) from None
    course = look.course(row.get("course"))
    plan.course_id, plan.course_title = course.pk, course.title
    if not _has_design(course):
        raise RowError("This course has no badge design yet.")


def _plan_revoke(row: CsvRow, look: Lookups, plan: PlannedRow) -> None:
    reason = row.get("reason")
    if not reason:
        raise RowError("No reason: it is shown on the public badge page.")
    badge_ref, email, course_ref = row.get("badge"), row.get("email"), row.get("course")
    if badge_ref:
        if not PUBLIC_ID_RE.match(badge_ref):
            raise RowError("Not a badge public id (24 letters, digits, - and _).")
        badge = look.badges.get(badge_ref)
        if badge is None:
            raise RowError("No badge has this public id.")
        if email or course_ref:
            fellow = look.fellow(email) if email else None
            course = look.course(course_ref) if course_ref else None
            if (fellow and badge.recipient_id != fellow.pk) or (
                course and badge.course_id != course.pk
            ):
                raise RowError("The e-mail address or course does not match this badge.")
    elif email and course_ref:
        fellow, course = look.fellow(email), look.course(course_ref)
        held = list(Badge.objects.filter(recipient=fellow, course=course).order_by("-created_at"))
        active = [b for b in held if b.state in Badge.ACTIVE_STATES]
        if not held:
            raise RowError("This fellow holds no badge for this course.")
        badge = active[0] if active else held[0]
    else:
        raise RowError("Give the badge's public id, or the fellow's e-mail address and course.")
    plan.badge_id, plan.badge_public_id = badge.pk, badge.public_id
    plan.fellow_name = badge.snapshot.get("recipient_name", "")
    plan.course_title = badge.course.title if badge.course else badge.snapshot.get("course_title")
    plan.recipient_id, plan.course_id = badge.recipient_id, badge.course_id
    _check_revocable(badge)


def _check_revocable(badge: Badge) -> None:
    if badge.state == Badge.State.REVOKED:
        when = timezone.localtime(badge.revoked_at).date().isoformat() if badge.revoked_at else ""
        raise RowError(f"Already revoked{f' on {when}' if when else ''}.")
    if not lifecycle.can(lifecycle.REVOKE, badge):
        replacement = badge.superseded_by.public_id if badge.superseded_by_id else "its replacement"
        raise RowError(f"Superseded: revoke {replacement} instead.")


def _check_award_free(recipient_id: int, course_id: int) -> None:
    existing = Badge.objects.filter(
        recipient_id=recipient_id, course_id=course_id, state__in=Badge.ACTIVE_STATES
    ).first()
    if existing is not None:
        raise RowError(f"Already holds a badge for this course ({existing.public_id}).")


def preview(rows: list[CsvRow], kind: str, *, filename: str = "") -> Preview:
    """What applying `rows` would do, row by row. Reads only."""
    look = Lookups(rows)
    result = Preview(kind=kind, filename=filename[:255])
    seen: dict[tuple, int] = {}
    for row in rows:
        plan = PlannedRow(
            line=row.line,
            email=row.get("email")[:254],
            course_ref=row.get("course")[:255],
            badge_ref=row.get("badge")[:32],
            reason=row.get("reason")[:500],
        )
        result.rows.append(plan)
        try:
            _check_cells(row)
            if kind == AWARD:
                _plan_award(row, look, plan)
                key = (plan.recipient_id, plan.course_id)
            else:
                _plan_revoke(row, look, plan)
                key = (plan.badge_id,)
            if key in seen:
                raise RowError(
                    f"The same {'badge' if kind == REVOKE else 'award'} as line {seen[key]}."
                )
            seen[key] = row.line
            if kind == AWARD:
                _check_award_free(plan.recipient_id, plan.course_id)
        except RowError as error:
            plan.error = str(error)
    if kind == AWARD:
        _note_completions(result.rows)
    return result


def _note_completions(rows: list[PlannedRow]) -> None:
    wanted = [r for r in rows if not r.error]
    done = set(
        CourseCompletion.objects.filter(
            user_id__in={r.recipient_id for r in wanted},
            course_id__in={r.course_id for r in wanted},
        ).values_list("user_id", "course_id")
    )
    for row in wanted:
        row.note = (
            "Completed the course."
            if (row.recipient_id, row.course_id) in done
            else "No completion recorded: awarded by hand."
        )


# --- confirmed jobs -------------------------------------------------------------------


def create_job(result: Preview, *, by) -> BulkBadgeJob:
    """Record a confirmable preview as a queued job. The caller queues run_job."""
    if not result.can_confirm:
        raise ValueError("only a preview without errors can be confirmed")
    with transaction.atomic():
        job = BulkBadgeJob.objects.create(kind=result.kind, created_by=by, filename=result.filename)
        BulkBadgeRow.objects.bulk_create(
            BulkBadgeRow(
                job=job,
                line=row.line,
                email=row.email,
                course_ref=row.course_ref,
                badge_ref=row.badge_ref,
                reason=row.reason,
                recipient_id=row.recipient_id,
                course_id=row.course_id,
                badge_id=row.badge_id if result.kind == REVOKE else None,
            )
            for row in result.rows
        )
    return job


def _progress_key(job: BulkBadgeJob) -> str:
    return f"certificates:bulk-job:{job.job_id}:done"


def rows_done(job: BulkBadgeJob) -> int:
    """Rows applied so far by a running job (uncommitted, so counted in the cache)."""
    return int(cache.get(_progress_key(job)) or 0)


def _may_run(job: BulkBadgeJob) -> bool:
    from wagtail.permissions import policy_registry

    by = job.created_by
    return bool(
        by is not None
        and by.is_active
        and policy_registry.get_by_type(Badge).user_has_permission(by, job.kind)
    )


def _apply_award(row: BulkBadgeRow, by) -> None:
    if row.recipient is None or not row.recipient.is_active:
        raise RowError("The fellow's account is gone or deactivated.")
    if row.course is None:
        raise RowError("The course is gone.")
    _check_award_free(row.recipient_id, row.course_id)
    try:
        badge = issuance.award_badge_manually(recipient=row.recipient, course=row.course, by=by)
    except issuance.IssuanceError as error:
        raise RowError(str(error)) from None
    if not getattr(badge, "just_created", False):
        raise RowError(f"Already holds a badge for this course ({badge.public_id}).")
    row.badge, row.outcome = badge, Outcome.AWARDED
    row.message = f"Awarded {badge.public_id}; it is being prepared."


def _apply_revoke(row: BulkBadgeRow, by) -> None:
    # Locked here so the check and the revocation see the same state: revoke_badge
    # itself quietly accepts a badge someone else revoked meanwhile.
    badge = Badge.objects.select_for_update().filter(pk=row.badge_id).first()
    if badge is None:
        raise RowError("The badge is gone.")
    _check_revocable(badge)
    try:
        issuance.revoke_badge(badge, reason=row.reason, by=by)
    except issuance.IssuanceError as error:
        raise RowError(str(error)) from None
    row.outcome, row.message = Outcome.REVOKED, f"Revoked {badge.public_id}."


def claim_job(job_pk: int) -> BulkBadgeJob | None:
    """Mark a queued job (or one whose run died) running; None if another run has it
    or it is finished."""
    now = timezone.now()
    claimed = BulkBadgeJob.objects.filter(pk=job_pk, state=BulkBadgeJob.State.QUEUED).update(
        state=BulkBadgeJob.State.RUNNING, started_at=now
    ) or BulkBadgeJob.objects.filter(
        pk=job_pk, state=BulkBadgeJob.State.RUNNING, started_at__lt=now - STALE_RUN
    ).update(started_at=now)
    return BulkBadgeJob.objects.get(pk=job_pk) if claimed else None


def run_job(job_pk: int) -> str:
    """Apply a confirmed job, all or nothing. Returns the job's final state. Safe to
    deliver twice: a second delivery finds the job claimed or finished."""
    job = claim_job(job_pk)
    if job is None:
        return BulkBadgeJob.objects.filter(pk=job_pk).values_list("state", flat=True).first() or ""
    rows = list(job.rows.select_related("recipient", "course").order_by("line"))
    by = job.created_by
    apply = _apply_award if job.kind == AWARD else _apply_revoke
    cache.set(_progress_key(job), 0, PROGRESS_TTL_SECONDS)
    failed_at, failure = None, ""
    try:
        if not _may_run(job):
            failed_at, failure = -1, "You no longer have permission for this action."
            raise RowError(failure)
        with transaction.atomic():
            for index, row in enumerate(rows):
                try:
                    apply(row, by)
                except RowError as error:
                    failed_at, failure = index, str(error)
                    raise
                cache.set(_progress_key(job), index + 1, PROGRESS_TTL_SECONDS)
            BulkBadgeRow.objects.bulk_update(rows, ["outcome", "message", "badge"])
            job.state, job.finished_at = BulkBadgeJob.State.DONE, timezone.now()
            job.message = f"{len(rows)} {'awarded' if job.kind == AWARD else 'revoked'}."
            job.save(update_fields=["state", "finished_at", "message"])
    except RowError:
        _record_failure(job, rows, failed_at, failure)
    except Exception:
        logger.exception("bulk badge job %s failed", job.job_id)
        index = rows_done(job)
        _record_failure(job, rows, index, "An unexpected error stopped the job; try again.")
    logger.info("bulk badge job %s: %s", job.job_id, job.state)
    return job.state


def _record_failure(job: BulkBadgeJob, rows: list[BulkBadgeRow], failed_at: int, why: str):
    """After the rollback: which line failed, and that every other line was undone or
    not run (failed_at -1: the job as a whole was refused; len(rows): after the last)."""
    failed_line = rows[failed_at].line if 0 <= failed_at < len(rows) else None
    for index, row in enumerate(rows):
        if job.kind == AWARD:
            row.badge = None  # the badge it made was rolled back with it
        if index == failed_at:
            row.outcome, row.message = Outcome.FAILED, why[:500]
        elif index < failed_at:
            row.outcome = Outcome.ROLLED_BACK
            row.message = (
                f"Would have succeeded; undone because line {failed_line} failed."
                if failed_line
                else "Would have succeeded; undone because the job failed."
            )
        else:
            row.outcome, row.message = Outcome.NOT_RUN, ""
    with transaction.atomic():
        BulkBadgeRow.objects.bulk_update(rows, ["outcome", "message", "badge"])
        job.state, job.finished_at = BulkBadgeJob.State.FAILED, timezone.now()
        where = f"Line {failed_line} failed: " if failed_line else ""
        job.message = f"{where}{why} Nothing was changed."
        job.save(update_fields=["state", "finished_at", "message"])


# --- the outcome report -------------------------------------------------------------------

OUTCOME_HEADER = ("line", "email", "course", "badge", "reason", "outcome", "message")


def outcome_rows(job: BulkBadgeJob) -> Iterator[tuple]:
    rows = job.rows.select_related("badge").order_by("line")
    for row in rows.iterator(chunk_size=500):
        badge = row.badge.public_id if row.badge else row.badge_ref
        yield (
            row.line,
            row.email,
            row.course_ref,
            badge,
            row.reason,
            row.get_outcome_display(),
            row.message,
        )


def outcomes_csv(job: BulkBadgeJob) -> Iterable[str]:
    """The report as CSV text, line by line, every cell safe to open in a spreadsheet."""
    return csv_lines(OUTCOME_HEADER, outcome_rows(job))
