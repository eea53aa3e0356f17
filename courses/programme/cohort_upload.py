"""Adding fellows to a cohort from a CSV file: parse, plan (the dry run), apply.

The plan says, line by line, what applying would do, and lists every error with its line
number: a malformed address, one given twice, one with no account. Applying re-plans
inside one transaction and writes nothing unless the plan has no errors, so a file with a
bad row changes nothing, and a dry run never writes.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction

from courses.programme.models import Cohort, CohortMembership
from lms.accounts.models import normalize_email_address

MAX_UPLOAD_BYTES = 512 * 1024
MAX_ROWS = 5000
MAX_EMAIL_LENGTH = 254
SIGNING_SALT = "programme.cohort-upload"
PLAN_MAX_AGE_SECONDS = 3600


class UploadError(Exception):
    """The file as a whole cannot be read; nothing was planned or written."""


@dataclass(frozen=True)
class PlannedLine:
    line: int
    email: str
    outcome: str  # "add", "member" (already in the cohort) or "error"
    message: str = ""


@dataclass
class MemberPlan:
    lines: list[PlannedLine] = field(default_factory=list)
    user_ids: list[int] = field(default_factory=list)

    @property
    def errors(self) -> list[PlannedLine]:
        return [p for p in self.lines if p.outcome == "error"]

    @property
    def to_add(self) -> int:
        return sum(1 for p in self.lines if p.outcome == "add")

    @property
    def already(self) -> int:
        return sum(1 for p in self.lines if p.outcome == "member")


def read_rows(data: bytes) -> list[tuple[int, str]]:
    """(line number, address as written) for each data row. Raises UploadError."""
    if len(data) > MAX_UPLOAD_BYTES:
        raise UploadError(f"The file is larger than {MAX_UPLOAD_BYTES // 1024} KB.")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise UploadError("The file is not UTF-8 text. Save it as “CSV UTF-8”.") from None
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader, None)
        if header is None:
            raise UploadError("The file is empty.")
        names = [h.strip().lower() for h in header]
        if "email" not in names:
            raise UploadError("Line 1 must be a header naming an “email” column.")
        column = names.index("email")
        rows = []
        for cells in reader:
            if not any(c.strip() for c in cells):
                continue
            if len(rows) >= MAX_ROWS:
                raise UploadError(f"The file has more than {MAX_ROWS} rows.")
            rows.append((reader.line_num, cells[column].strip() if column < len(cells) else ""))
    except csv.Error as exc:
        raise UploadError(
            f"Line {reader.line_num}: this is not a readable CSV row ({exc})."
        ) from None
    return rows


def plan_members(cohort: Cohort, rows: list[tuple[int, str]]) -> MemberPlan:
    """What adding `rows` to `cohort` would do. Reads only."""
    plan = MemberPlan()
    first_seen: dict[str, int] = {}
    wanted: list[tuple[int, str, str]] = []
    for line, written in rows:
        email = normalize_email_address(written)
        try:
            if not email or len(email) > MAX_EMAIL_LENGTH:
                raise ValidationError("bad length")
            validate_email(email)
        except ValidationError:
            plan.lines.append(PlannedLine(line, written, "error", "Not an e-mail address."))
            continue
        if email in first_seen:
            plan.lines.append(
                PlannedLine(line, written, "error", f"Duplicate of line {first_seen[email]}.")
            )
            continue
        first_seen[email] = line
        wanted.append((line, written, email))
    users = dict(
        get_user_model()
        .objects.filter(email__in=[email for _, _, email in wanted], is_active=True)
        .values_list("email", "pk")
    )
    members = set(
        CohortMembership.objects.filter(cohort=cohort, user_id__in=users.values()).values_list(
            "user_id", flat=True
        )
    )
    for line, written, email in wanted:
        user_id = users.get(email)
        if user_id is None:
            plan.lines.append(PlannedLine(line, written, "error", "No account has this address."))
        elif user_id in members:
            plan.lines.append(PlannedLine(line, written, "member", "Already in the cohort."))
        else:
            plan.lines.append(PlannedLine(line, written, "add"))
            plan.user_ids.append(user_id)
    plan.lines.sort(key=lambda p: p.line)
    return plan


def sign_rows(cohort: Cohort, rows: list[tuple[int, str]]) -> str:
    """The dry run's rows, signed, for the confirmation form to send back unchanged."""
    return signing.dumps({"cohort": cohort.pk, "rows": rows}, salt=SIGNING_SALT, compress=True)


def unsign_rows(cohort: Cohort, token: str) -> list[tuple[int, str]]:
    try:
        data = signing.loads(token, salt=SIGNING_SALT, max_age=PLAN_MAX_AGE_SECONDS)
    except signing.BadSignature:
        raise UploadError(
            "This preview has expired or was altered. Upload the file again."
        ) from None
    if data.get("cohort") != cohort.pk:
        raise UploadError("This preview is for another cohort. Upload the file again.")
    return [(int(line), str(email)) for line, email in data["rows"]]


def add_members(cohort: Cohort, rows: list[tuple[int, str]]) -> MemberPlan:
    """Add every fellow the plan adds, all in one transaction, or nobody: raises
    UploadError (writing nothing) if the plan, made again now, has any error."""
    try:
        with transaction.atomic():
            plan = plan_members(cohort, rows)
            if plan.errors:
                raise UploadError(
                    f"{len(plan.errors)} line(s) have errors now; nothing was added. "
                    "Upload the file again to see them."
                )
            CohortMembership.objects.bulk_create(
                [CohortMembership(cohort=cohort, user_id=pk) for pk in plan.user_ids],
                batch_size=1000,
            )
    except IntegrityError:
        # Someone added one of these fellows meanwhile: the whole batch rolled back.
        raise UploadError(
            "The cohort changed while this was being applied; nothing was added. Try again."
        ) from None
    return plan
