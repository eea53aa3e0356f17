"""Guideline versions of a course, and what a new one asks of fellows (docs/decisions/0008).

A course's versions are numbered 1, 2, ... (`sequence`) and named by their authors
("Guidelines 2027.1"). Publishing a version never touches a lesson: it records that the
course now certifies something new, which modules changed materially, and how long fellows
certified on an earlier version have to renew.

Editions. A version with a renewal window starts a new *edition* of each module it marks
as changed: the module's edition is the sequence of the latest such version (0 before
any). Quiz attempts, passes and completions record the edition they belong to, and only a
pass of a module's current edition counts (courses.gating). So:
- a fellow certified on an earlier version finds the changed modules open again (the
  modules before them are still passed) and the unchanged ones passed; passing the
  changed ones completes the course's new edition, and issuance supersedes their badge
  with one for the current version (certificates.issuing.issuance);
- a fellow who never held the badge takes every module of the current course, keeping
  the passes that are still current;
- a version without a renewal window (a clarification, a cosmetic change) starts no
  edition: nobody's progress or badge changes, and new badges name the new version.

A course's edition is the highest edition among its modules, so a completion of every
current module is a completion of the course's current edition.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from courses.models import CoursePage, CourseVersion, ModulePage

BASELINE_NUMBER = "1"
BASELINE_SUMMARY = "The course as first published."


def edition_subquery(module_ref: str = "pk"):
    """A module's current edition as an expression over its row (`module_ref` names its
    id): the modules' own query reads it, at no extra query."""
    from django.db.models import OuterRef, Subquery, Value
    from django.db.models.functions import Coalesce

    through = CourseVersion.changed_modules.through
    latest = (
        through.objects.filter(
            modulepage_id=OuterRef(module_ref), courseversion__renewal_days__isnull=False
        )
        .order_by("-courseversion__sequence")
        .values("courseversion__sequence")[:1]
    )
    return Coalesce(Subquery(latest), Value(0))


def module_edition(module) -> int:
    """One module's current edition (one query). Gating has it cached for pages; this is
    for services called without a request."""
    return (
        CourseVersion.objects.filter(changed_modules=module, renewal_days__isnull=False).aggregate(
            edition=Max("sequence")
        )["edition"]
        or 0
    )


def _source(course):
    # Versions are kept on the source (default-locale) course, like every record
    # (courses.translations): a translation asks about its source.
    from courses import translations

    return translations.source_page(course)


def current_version(course) -> CourseVersion | None:
    """The course's latest version; None for a course that never published one."""
    return CourseVersion.objects.filter(course=_source(course)).order_by("-sequence").first()


def course_edition(course) -> int:
    """The course's current edition: the sequence of its latest version with a renewal
    window (0 without one). One query."""
    return (
        CourseVersion.objects.filter(course=course, renewal_days__isnull=False)
        .order_by("-sequence")
        .values_list("sequence", flat=True)
        .first()
        or 0
    )


def version_in_force(course, moment: datetime) -> CourseVersion | None:
    """The version a completion made at `moment` certifies: the latest published by then
    (the first, for a completion recorded before any), or None without versions."""
    found = (
        CourseVersion.objects.filter(course=course, published_at__lte=moment)
        .order_by("-sequence")
        .first()
    )
    return found or CourseVersion.objects.filter(course=course).order_by("sequence").first()


def versions_of(course) -> list[CourseVersion]:
    """Every version of the course, the latest first, with their changed modules."""
    return list(
        CourseVersion.objects.filter(course=_source(course))
        .order_by("-sequence")
        .prefetch_related("changed_modules")
    )


@dataclass(frozen=True)
class RenewalAsk:
    """What the versions after the one a badge certifies ask of its holder."""

    versions: tuple[CourseVersion, ...]  # those with a renewal window, oldest first
    changed_modules: tuple[ModulePage, ...]  # their changed modules, in course order
    current: CourseVersion | None

    def __bool__(self) -> bool:
        return bool(self.versions)


def renewal_ask(course, since_sequence: int) -> RenewalAsk:
    """The renewal versions of `course` after `since_sequence` (0: all), and the union of
    the modules they changed. Two queries."""
    course = _source(course)
    later = list(
        CourseVersion.objects.filter(course=course, sequence__gt=since_sequence)
        .order_by("sequence")
        .prefetch_related("changed_modules")
    )
    asking = tuple(v for v in later if v.requires_renewal)
    modules = {m.pk: m for v in asking for m in v.changed_modules.all()}
    return RenewalAsk(
        versions=asking,
        changed_modules=tuple(sorted(modules.values(), key=lambda m: m.path)),
        current=later[-1] if later else current_version(course),
    )


def renewal_deadline(version: CourseVersion) -> datetime | None:
    if not version.requires_renewal:
        return None
    return version.published_at + timedelta(days=version.renewal_days)


# --- Publishing a version ------------------------------------------------------------


def _clean_text(value, field: str, max_length: int, *, multiline: bool = False) -> str:
    """Trimmed NFC text, or ValidationError: a version number and summary are quoted in
    e-mails, on badges' pages and in credentials, so invisible characters (controls, bidi
    overrides) are refused as in a printed name, and length is bounded."""
    import unicodedata

    from lms.accounts.names import find_forbidden_character

    text = unicodedata.normalize("NFC", str(value or "")).strip()
    if multiline:
        text = text.replace("\r\n", "\n")
    checked = text.replace("\n", " ") if multiline else text
    bad = find_forbidden_character(checked)
    if bad is not None:
        raise ValidationError(
            {field: _("Remove the invisible character U+%(code)04X.") % {"code": ord(bad)}}
        )
    if len(text) > max_length:
        raise ValidationError(
            {field: _("Keep it under %(count)d characters.") % {"count": max_length + 1}}
        )
    return text


def publish_version(
    course,
    *,
    number: str,
    summary: str,
    changed_modules: Iterable[ModulePage] = (),
    renewal_days: int | None,
    by=None,
    now: datetime | None = None,
) -> CourseVersion:
    """Publish a new version of `course`. Raises ValidationError (by field) for a number
    already used, a module of another course, or a renewal window with no changed module.

    A course's first version is preceded by a baseline ("1", dated when the course was
    first published) that the badges issued so far are recorded as certifying, so every
    badge names a version from then on. When the version asks for renewal, every current
    badge of an earlier version gets a deadline (the earlier one stays if it already had
    one) and its holder an e-mail, in the same transaction (certificates.issuing.renewal).
    """
    from certificates.issuing import renewal
    from courses import progress_cache, translations

    course = translations.source_page(course)
    now = now or timezone.now()
    number = _clean_text(number, "number", 40)
    summary = _clean_text(summary, "summary", 2000, multiline=True)
    modules = list(changed_modules)
    errors = {}
    if not number:
        errors["number"] = _("Give the version a number, for example 2027.1.")
    if not summary:
        errors["summary"] = _("Say in a sentence or two what changed.")
    if renewal_days is not None and not 1 <= renewal_days <= 3650:
        errors["renewal_days"] = _("A renewal window is between 1 and 3650 days.")
    stray = [m for m in modules if m.path[: -m.steplen] != course.path]
    if stray:
        errors["changed_modules"] = _("Only modules of this course can be marked as changed.")
    elif renewal_days is not None and not any(m.has_quiz for m in modules):
        errors["changed_modules"] = _(
            "Mark the modules that changed, at least one with a quiz: renewing fellows "
            "retake only those quizzes."
        )
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        # One version at a time per course: the course row's lock orders two authors.
        CoursePage.objects.select_for_update().filter(pk=course.pk).values_list("pk").first()
        latest = CourseVersion.objects.filter(course=course).order_by("-sequence").first()
        if latest is None:
            # Dated from the database: the page object may predate its first publication.
            first_published = (
                CoursePage.objects.filter(pk=course.pk)
                .values_list("first_published_at", flat=True)
                .first()
            )
            latest = CourseVersion.objects.create(
                course=course,
                sequence=1,
                number=BASELINE_NUMBER if number != BASELINE_NUMBER else "0",
                summary=BASELINE_SUMMARY,
                published_at=first_published or now,
            )
            renewal.record_baseline(course, latest)
        if CourseVersion.objects.filter(course=course, number=number).exists():
            raise ValidationError(
                {"number": _("This course already has a version %(number)s.") % {"number": number}}
            )
        version = CourseVersion.objects.create(
            course=course,
            sequence=latest.sequence + 1,
            number=number,
            summary=summary,
            renewal_days=renewal_days,
            published_at=now,
            published_by=by,
        )
        version.changed_modules.set(modules)
        if version.requires_renewal:
            # Module editions are part of the cached course structure.
            progress_cache.course_tree_changed()
        renewal.version_published(version)
        _log_version(version, by)
    return version


def _log_version(version: CourseVersion, by) -> None:
    from wagtail.log_actions import log

    log(
        instance=version.course,
        action="credence.course.version",
        user=by,
        data={
            "number": version.number,
            "renewal_days": version.renewal_days,
            "changed_modules": [m.pk for m in version.changed_modules.all()],
        },
    )
