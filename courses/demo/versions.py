"""The demo's guideline versions (courses.versions): each course's recorded versions, and
a fellow certified on an earlier one, so renewal can be tried right after ``make run``.

Loaded by ``courses.demo.loader`` in its transaction. Idempotent: a version already
recorded (by number) is left alone, and the certified fellow's course is completed only
while they have no completion or badge for it.
"""

from __future__ import annotations

from collections.abc import Callable

from django.utils import timezone

from certificates.issuing import renewal
from certificates.models import Badge
from courses import services
from courses.demo.raw import CourseSpec, ModuleSpec
from courses.models import CourseCompletion, CoursePage, CourseVersion, ModulePage, ModulePass
from courses.versions import publish_version, renewal_ask


class DemoVersionError(Exception):
    """The demo could not make its certified fellow (a quiz the gold answers fail)."""


def modules_changed_later(course: CoursePage, spec: CourseSpec) -> set[str]:
    """Slugs of the modules that versions of `spec` not yet recorded on `course` change:
    until those versions are published, the modules show their first content."""
    recorded = _recorded_numbers(course)
    return {
        slug
        for version in spec.versions[1:]
        if version.number not in recorded
        for slug in version.changed_modules
    }


def ensure_versions(
    course: CoursePage,
    spec: CourseSpec,
    changes,
    *,
    load_current: Callable[[ModuleSpec], ModulePage],
    by=None,
    certified=None,
) -> None:
    """Record `spec`'s versions that `course` lacks, oldest first. The first is written as
    the course's baseline (sequence 1, dated when the course was first published), so it
    has the demo's number rather than publish_version's "1". Before a later version asking
    for renewal, `certified` completes the course, so they hold a badge of the version
    before it; then `load_current` publishes each changed module's current content and the
    version is published, which sets that badge's renewal deadline."""
    if not spec.versions:
        return
    recorded = _recorded_numbers(course)
    first, *later = spec.versions
    label = f"{spec.title} {first.number}"
    if first.number in recorded:
        changes.record("unchanged", label)
    elif not recorded:
        # From the row: the page object the loader holds predates its publication.
        published = CoursePage.objects.values_list("first_published_at", flat=True).get(
            pk=course.pk
        )
        baseline = CourseVersion.objects.create(
            course=course,
            sequence=1,
            number=first.number,
            summary=first.summary,
            published_at=published or timezone.now(),
        )
        # Badges issued before any version was recorded certify the baseline, as
        # publish_version's own baseline records them.
        renewal.record_baseline(course, baseline)
        changes.record("created", label)
    for version in later:
        label = f"{spec.title} {version.number}"
        if version.number in recorded:
            changes.record("unchanged", label)
            continue
        if version.renewal_days is not None and certified is not None:
            _hold_badge(certified, course)
        changed = [load_current(m) for m in spec.modules if m.slug in version.changed_modules]
        publish_version(
            course,
            number=version.number,
            summary=version.summary,
            changed_modules=changed,
            renewal_days=version.renewal_days,
            by=by,
        )
        changes.record("created", label)


def _recorded_numbers(course: CoursePage) -> set[str]:
    return set(CourseVersion.objects.filter(course=course).values_list("number", flat=True))


def _hold_badge(user, course: CoursePage) -> None:
    """Pass every quiz of `course` as `user`, through the services a fellow's answers go
    through, so the completion asks for their badge; nothing when they already completed
    the course or hold a badge for it."""
    if (
        CourseCompletion.objects.filter(user=user, course=course).exists()
        or Badge.objects.filter(recipient=user, course=course).exists()
    ):
        return
    services.check_enrol(user, course)
    for module in course.get_modules():
        if (
            not module.quiz_questions
            or ModulePass.objects.filter(user=user, module=module).exists()
        ):
            continue
        attempt = services.start_attempt(user, module)
        answers = {q["id"]: right_answer(q, attempt.answer_key[q["id"]]) for q in attempt.layout}
        outcome = services.submit_attempt(attempt, answers)
        if not outcome.attempt.passed:
            raise DemoVersionError(f"the gold answers fail the quiz of {module.slug!r}")


def right_answer(shown: dict, key: dict):
    """What a fellow who knows the material submits, in grading's answer shapes, read from
    the attempt's frozen key (the demo's fellows pass this way, and so do the tests')."""
    kind = key["type"]
    if kind in ("single_choice", "label_item"):
        return key["correct"][0]
    if kind == "preference_ranking":
        rationale = "The chosen response is correct and the other one is not; it decides here."
        return {
            "choice": key["correct"][0],
            "rationale": rationale.ljust(shown.get("rationale_min_length", 0), "."),
        }
    if kind == "multiple_select":
        return list(key["correct"])
    if kind == "true_false":
        return key["correct"]
    if key["match"] == "number":
        return str(key["number"])
    return key["accepted"][0]


def renewal_note(user, course: CoursePage) -> str:
    """What `user`'s badge for `course` asks of them, for the demo's log-in list ("" when
    nothing: no badge, or no deadline)."""
    badge = (
        Badge.objects.select_related("course_version")
        .filter(recipient=user, course=course, state__in=Badge.ACTIVE_STATES)
        .exclude(renew_by=None)
        .first()
    )
    if badge is None or badge.course_version is None:
        return ""
    ask = renewal_ask(course, badge.course_version.sequence)
    modules = ", ".join(f"“{m.title}”" for m in ask.changed_modules)
    certified = f"holds the {course.title} badge for guidelines {badge.course_version.number}"
    if badge.state == Badge.State.OUT_OF_DATE:
        return (
            f"{certified}, out of date since {badge.renew_by:%Y-%m-%d}; renews by passing {modules}"
        )
    return f"{certified}; renews by passing {modules} again by {badge.renew_by:%Y-%m-%d}"
