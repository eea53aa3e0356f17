"""Every write about learning: enrol, start and submit quiz attempts, passes, completions.

Each public function is atomic. Scoring is `courses.grading`; who may do what is
`courses.gating`; this module applies the result. Reads that change nothing (reviews,
the dashboard, the next module) are `courses.selectors`. Late-submission policy: an
attempt with a time limit is due at `deadline` (start + limit); a submission received
after `deadline + LATE_GRACE` is recorded as OVERDUE with every question scored zero (the
answers are kept for review), and an abandoned attempt past that point is closed the
same way the next time the fellow looks at the quiz. That is why `quiz_state`, which
pages and views call to show a quiz, lives here: reading it may close an attempt, and it
may record that the fellow ran out of attempts (`note_stuck`), which e-mails the course
team once. Accommodations granted by staff (`courses.accommodations`) are read here on
every call, so they count from the moment they are saved.

Every record is kept on the source (default-locale) course or module, whichever language
version the fellow opened: each function here maps a translated page to its source first
(`courses.translations.source_page`), so progress is one record across languages.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import (
    Case,
    Count,
    Exists,
    F,
    IntegerField,
    Max,
    OuterRef,
    Q,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from certificates.issuing.issuance import request_badge_for_completion
from courses import gating, grading, translations
from courses.models import (
    Accommodation,
    CourseCompletion,
    Enrolment,
    ModulePage,
    ModulePass,
    QuizAttempt,
    StuckNotice,
)
from courses.versions import module_edition

# Network latency and a slow click should not turn an on-time answer into a late one.
LATE_GRACE = timedelta(seconds=30)
HEAVY_FIELDS = ("layout", "answer_key", "answers", "grade")


class QuizUnavailable(Exception):
    """A new attempt cannot start now; `code` says why and `retry_at` when it may."""

    def __init__(self, code: str, message: str, retry_at: datetime | None = None):
        super().__init__(message)
        self.code = code
        self.message = message
        self.retry_at = retry_at


class CourseLocked(Exception):
    def __init__(self, decision: gating.AccessDecision):
        super().__init__(decision.message)
        self.decision = decision


# --- Enrolment ----------------------------------------------------------------------------


def check_enrol(user, course, *, now: datetime | None = None) -> Enrolment:
    """Enrol `user` in `course` if its prerequisites are completed. Idempotent: enrolling
    twice returns the existing enrolment. Raises CourseLocked otherwise. A translated
    course enrols the fellow in its source: one enrolment whatever the language."""
    course = translations.source_page(course)
    decision, _inputs = gating.decide_course(user, course)
    if not decision:
        raise CourseLocked(decision)
    enrolment, _created = Enrolment.objects.get_or_create(
        user=user, course=course, defaults={"enrolled_at": now or timezone.now()}
    )
    return enrolment


def unenrol(user, course) -> bool:
    """Remove the enrolment; attempts, passes and completions stay. Idempotent."""
    course = translations.source_page(course)
    deleted, _per_model = Enrolment.objects.filter(user=user, course=course).delete()
    return bool(deleted)


# --- Quiz state ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Allowance:
    """What the course team's accommodations add to one fellow's quiz, summed."""

    extra_attempts: int = 0
    extra_minutes: int = 0
    # Attempts finished at or before this moment have no wait after them.
    cooldown_reset_at: datetime | None = None


def allowance_for(user, module) -> Allowance:
    """The fellow's accommodations on `module`'s quiz: one query, none when the quiz has
    no attempt limit, wait or time limit for an accommodation to change."""
    module = translations.source_page(module)
    if not (module.max_attempts or module.cooldown_minutes or module.time_limit_minutes):
        return Allowance()
    totals = Accommodation.objects.filter(user=user, module=module).aggregate(
        extra_attempts=Sum("extra_attempts"),
        extra_minutes=Sum("extra_minutes"),
        cooldown_reset_at=Max("granted_at", filter=Q(reset_cooldown=True)),
    )
    return Allowance(
        extra_attempts=totals["extra_attempts"] or 0,
        extra_minutes=totals["extra_minutes"] or 0,
        cooldown_reset_at=totals["cooldown_reset_at"],
    )


def attempts_allowed(user, module) -> int | None:
    """The quiz's attempt limit plus the fellow's extra attempts; None: unlimited."""
    if not module.max_attempts:
        return None
    return module.max_attempts + allowance_for(user, module).extra_attempts


@dataclass(frozen=True)
class QuizState:
    """What a fellow can do with a module's quiz right now."""

    attempts: tuple[QuizAttempt, ...]
    open_attempt: QuizAttempt | None
    passed: bool
    can_start: bool
    blocked_code: str = ""
    blocked_message: str = ""
    retry_at: datetime | None = None
    # The quiz's limit plus accommodations; None means unlimited.
    attempts_allowed: int | None = None
    allowance: Allowance = Allowance()
    # The highest attempt number used on the module in any edition.
    last_attempt_number: int = 0

    @property
    def attempts_used(self) -> int:
        return len(self.attempts)

    @property
    def attempts_left(self) -> int | None:
        """Attempts the fellow may still start (an open one counts as used); None: no limit."""
        if self.attempts_allowed is None:
            return None
        return max(0, self.attempts_allowed - self.attempts_used)

    @property
    def is_stuck(self) -> bool:
        """Out of attempts without a pass: only the course team can help."""
        return self.blocked_code == "exhausted"

    @property
    def best_percent(self) -> Decimal | None:
        scores = [a.score_percent for a in self.attempts if a.score_percent is not None]
        return max(scores) if scores else None


def _finish_time(attempt: QuizAttempt) -> datetime | None:
    return attempt.submitted_at


def close_if_overdue(attempt: QuizAttempt, *, now: datetime) -> bool:
    """Close an open attempt whose deadline plus grace has passed: OVERDUE, scored zero.
    Idempotent (a conditional update); returns True if this call closed it."""
    if not attempt.is_open or attempt.deadline is None or now <= attempt.deadline + LATE_GRACE:
        return False
    closed = QuizAttempt.objects.filter(pk=attempt.pk, state=QuizAttempt.State.IN_PROGRESS).update(
        state=QuizAttempt.State.OVERDUE,
        score_percent=Decimal("0"),
        passed=False,
        submitted_at=attempt.deadline + LATE_GRACE,
    )
    if closed:
        attempt.state = QuizAttempt.State.OVERDUE
        attempt.score_percent = Decimal("0")
        attempt.submitted_at = attempt.deadline + LATE_GRACE
    return bool(closed)


def quiz_state(
    user, module, *, now: datetime | None = None, edition: int | None = None
) -> QuizState:
    """Attempts at the module's current edition so far and whether another may start
    (attempts at earlier editions, before a course version changed the module, are
    history: courses.versions). One query (plus a close if overdue), one more for a
    translated module, whose attempts are its source's, and one more unless the caller
    knows the module's `edition` from its gate inputs (`gating.edition_of`)."""
    now = now or timezone.now()
    module = translations.source_page(module)
    if edition is None:
        edition = module_edition(module)
    every_attempt = list(
        QuizAttempt.objects.filter(user=user, module=module)
        .defer(*HEAVY_FIELDS)
        .order_by("attempt_number")
    )
    attempts = [a for a in every_attempt if a.edition == edition]
    for attempt in attempts:
        close_if_overdue(attempt, now=now)
    open_attempt = next((a for a in attempts if a.is_open), None)
    passed = any(a.passed for a in attempts)
    allowance = allowance_for(user, module)
    allowed = module.max_attempts + allowance.extra_attempts if module.max_attempts else None

    def state(can_start: bool, code: str = "", message: str = "", retry_at=None) -> QuizState:
        return QuizState(
            tuple(attempts),
            open_attempt,
            passed,
            can_start,
            code,
            message,
            retry_at,
            attempts_allowed=allowed,
            allowance=allowance,
            last_attempt_number=every_attempt[-1].attempt_number if every_attempt else 0,
        )

    if not module.has_quiz:
        return state(False, "no_quiz", _("This module has no quiz."))
    if passed:
        return state(False, "passed", _("You have passed this quiz."))
    if open_attempt:
        return state(True)
    if allowed and len(attempts) >= allowed:
        note_stuck(user, module.pk, allowed, now=now, edition=edition)
        return state(
            False,
            "exhausted",
            ngettext(
                "Attempts used up: you have used your %(count)d attempt and the course team"
                " has been told. They can give you another attempt; you will see it here.",
                "Attempts used up: you have used all %(count)d attempts and the course team"
                " has been told. They can give you another attempt; you will see it here.",
                allowed,
            )
            % {"count": allowed},
        )
    last = attempts[-1] if attempts else None
    finished = _finish_time(last) if last else None
    waived = allowance.cooldown_reset_at is not None and finished is not None
    if waived and finished <= allowance.cooldown_reset_at:
        finished = None
    if finished and module.cooldown_minutes:
        retry_at = finished + timedelta(minutes=module.cooldown_minutes)
        if now < retry_at:
            return state(
                False,
                "cooldown",
                _("Review the lesson sections below; your next attempt opens after a short wait."),
                retry_at,
            )
    return state(True)


def note_stuck(
    user,
    module_id: int,
    attempts_allowed: int,
    *,
    now: datetime | None = None,
    edition: int = 0,
) -> bool:
    """Record that `user` used all `attempts_allowed` attempts at the module's quiz and, the
    first time for that allowance, e-mail the course team after commit. Returns True when
    this call recorded it. One query when it was already recorded."""
    if StuckNotice.objects.filter(
        user=user, module_id=module_id, attempts_allowed=attempts_allowed, edition=edition
    ).exists():
        return False
    try:
        with transaction.atomic():
            notice = StuckNotice.objects.create(
                user=user,
                module_id=module_id,
                attempts_allowed=attempts_allowed,
                edition=edition,
                stuck_at=now or timezone.now(),
            )
    except IntegrityError:
        return False  # another request recorded it a moment ago, and it tells the team
    from courses.accommodations import enqueue_team_notice

    transaction.on_commit(lambda: enqueue_team_notice(notice.pk))
    return True


def stuck_module_ids(
    user, progresses: Iterable[gating.CourseProgress], *, now: datetime | None = None
) -> frozenset[int]:
    """Ids of the open, unpassed quiz modules in `progresses` (one per course) whose
    attempts `user` has used up, accommodations counted. The course team is told about
    any not yet recorded, as `quiz_state` does. One query however many courses, none when
    no module is open."""
    if not getattr(user, "is_authenticated", False):
        return frozenset()
    candidates = {
        row.module.id: row.module.edition
        for progress in progresses
        for row in progress.modules
        if row.status == gating.Status.OPEN and row.module.has_quiz
    }
    if not candidates:
        return frozenset()
    now = now or timezone.now()
    # Attempts count within the module's current edition (courses.versions).
    renewed = [When(pk=pk, then=Value(edition)) for pk, edition in candidates.items() if edition]
    current_edition = Case(*renewed, default=Value(0)) if renewed else Value(0)
    mine = QuizAttempt.objects.filter(
        user=user, module=OuterRef("pk"), edition=OuterRef("current_edition")
    )
    used = mine.values("module").annotate(n=Count("pk")).values("n")
    extra = (
        Accommodation.objects.filter(user=user, module=OuterRef("pk"))
        .values("module")
        .annotate(n=Sum("extra_attempts"))
        .values("n")
    )
    # An open attempt still inside its time (plus grace) means the fellow is not stuck.
    still_open = mine.filter(state=QuizAttempt.State.IN_PROGRESS).filter(
        Q(deadline__isnull=True) | Q(deadline__gte=now - LATE_GRACE)
    )
    rows = (
        ModulePage.objects.filter(pk__in=list(candidates), max_attempts__isnull=False)
        .annotate(current_edition=current_edition)
        .annotate(
            used=Coalesce(Subquery(used, output_field=IntegerField()), Value(0)),
            allowed=F("max_attempts")
            + Coalesce(Subquery(extra, output_field=IntegerField()), Value(0)),
        )
        .filter(used__gte=F("allowed"))
        .exclude(Exists(still_open))
        .annotate(
            recorded=Exists(
                StuckNotice.objects.filter(
                    user=user,
                    module=OuterRef("pk"),
                    attempts_allowed=OuterRef("allowed"),
                    edition=OuterRef("current_edition"),
                )
            )
        )
        .values_list("pk", "allowed", "recorded")
    )
    stuck = set()
    for module_id, allowed, recorded in rows:
        stuck.add(module_id)
        if not recorded:
            note_stuck(user, module_id, allowed, now=now, edition=candidates[module_id])
    return frozenset(stuck)


# --- Attempts -----------------------------------------------------------------------------


def _resolve_images(layout: list[dict]) -> None:
    """Freeze label-item sample images as URLs (one query for all of them)."""
    ids = {q["sample_image_id"] for q in layout if q.get("sample_image_id")}
    images = {}
    if ids:
        from wagtail.images import get_image_model

        for image in get_image_model().objects.filter(pk__in=ids):
            rendition = image.get_rendition("max-800x600")
            images[image.pk] = (rendition.url, getattr(image, "description", "") or image.title)
    for q in layout:
        image_id = q.pop("sample_image_id", None)
        if image_id in images:
            q["sample_image_url"], q["sample_image_alt"] = images[image_id]


def start_attempt(
    user,
    module,
    *,
    now: datetime | None = None,
    rng: Any = None,
    check_access: bool = True,
    edition: int | None = None,
) -> QuizAttempt:
    """Start (or resume) an attempt at `module`'s quiz, freezing its layout and key.

    Idempotent for double clicks and two tabs: while an attempt is open, it is returned
    instead of a new one. The attempt limit and cooldown are checked here, and the
    unique (user, module, attempt_number) and one-open-attempt constraints make them hold
    when requests race. Raises QuizUnavailable, or CourseLocked if the module is locked.

    `edition` is the module's current one, for a caller that checked access itself and
    has it from the gate inputs (`gating.edition_of`).

    On a translated module the attempt is the source module's (its limits, waits and
    records) and shows the questions of the page the fellow is reading when they have
    the source's structure (`translations.quiz_pool_for` says why); the attempt records
    that page's language.
    """
    now = now or timezone.now()
    page, module = module, translations.source_page(module)
    if check_access:
        decision, inputs = gating.decide_module(user, page)
        if not decision:
            raise CourseLocked(decision)
        edition = gating.edition_of(inputs, module.pk)
    elif edition is None:
        edition = module_edition(module)
    state = quiz_state(user, module, now=now, edition=edition)
    if state.open_attempt:
        return QuizAttempt.objects.get(pk=state.open_attempt.pk)
    if not state.can_start:
        raise QuizUnavailable(state.blocked_code, state.blocked_message, state.retry_at)
    layout, key = grading.freeze_quiz(
        translations.quiz_pool_for(page, module),
        draw=module.questions_per_attempt,
        shuffle_questions=module.shuffle_questions,
        shuffle_choices=module.shuffle_choices,
        rng=rng,
    )
    _resolve_images(layout)
    # Numbers run on across editions (the constraint is per module); limits count within one.
    number = state.last_attempt_number + 1
    minutes = (module.time_limit_minutes or 0) + state.allowance.extra_minutes
    deadline = now + timedelta(minutes=minutes) if module.time_limit_minutes else None
    try:
        with transaction.atomic():
            return QuizAttempt.objects.create(
                user=user,
                module=module,
                attempt_number=number,
                layout=layout,
                answer_key=key,
                pass_mark_percent=module.pass_mark_percent,
                started_at=now,
                deadline=deadline,
                language=translations.language_of(page),
                edition=edition,
            )
    except IntegrityError:
        # Another request started this attempt a moment ago: hand back the same one.
        existing = QuizAttempt.objects.filter(
            user=user, module=module, state=QuizAttempt.State.IN_PROGRESS
        ).first()
        if existing:
            return existing
        raise QuizUnavailable(
            "busy", _("Another attempt was just recorded. Reload the quiz page.")
        ) from None


@dataclass(frozen=True)
class SubmitOutcome:
    attempt: QuizAttempt
    graded_now: bool  # False: it had already been submitted, nothing changed


def _grade_json(grade: grading.AttemptGrade) -> dict:
    return {
        "score": str(grade.score),
        "max_score": grade.max_score,
        "questions": {
            q.question_id: {
                "credit": float(q.credit),
                "correct": q.is_correct,
                "partial": q.is_partial,
            }
            for q in grade.questions
        },
        "review_sections": grade.review_sections(),
    }


def submit_attempt(
    attempt: QuizAttempt, answers: dict[str, Any], *, now: datetime | None = None
) -> SubmitOutcome:
    """Grade and record `answers` for an open attempt, exactly once.

    Idempotent: the state change is a conditional update (in_progress -> submitted), so a
    double click, a second tab or a replayed POST finds the attempt already submitted and
    gets `graded_now=False` with the stored result; its grade never changes. A pass is
    recorded once and, if it was the course's last quiz, so is the course completion.
    """
    now = now or timezone.now()
    late = attempt.deadline is not None and now > attempt.deadline + LATE_GRACE
    grade = grading.grade_attempt(
        attempt.layout, attempt.answer_key, answers, pass_mark_percent=attempt.pass_mark_percent
    )
    if late:
        grade = grading.zero_grade(
            attempt.layout, attempt.answer_key, pass_mark_percent=attempt.pass_mark_percent
        )
    passed = grade.passed and not late
    score = Decimal(str(grade.percent)).quantize(Decimal("0.01"))
    values = {
        "state": QuizAttempt.State.OVERDUE if late else QuizAttempt.State.SUBMITTED,
        "answers": answers,
        "grade": _grade_json(grade),
        "score_percent": score,
        "passed": passed,
        "submitted_at": now,
    }
    with transaction.atomic():
        won = QuizAttempt.objects.filter(pk=attempt.pk, state=QuizAttempt.State.IN_PROGRESS).update(
            **values
        )
        if not won:
            return SubmitOutcome(QuizAttempt.objects.get(pk=attempt.pk), graded_now=False)
        for name, value in values.items():
            setattr(attempt, name, value)
        if passed:
            _record_pass(attempt, now=now)
    return SubmitOutcome(attempt, graded_now=True)


def _record_pass(attempt: QuizAttempt, *, now: datetime) -> None:
    try:
        with transaction.atomic():
            ModulePass.objects.create(
                user_id=attempt.user_id,
                module_id=attempt.module_id,
                attempt=attempt,
                score_percent=attempt.score_percent,
                passed_at=now,
                edition=attempt.edition,
            )
    except IntegrityError:
        return  # already passed (cannot normally happen: no attempts start after a pass)
    course = attempt.module.get_parent().specific_deferred
    record_completion_if_done(attempt.user, course, now=now, language=attempt.language)


def record_completion_if_done(
    user, course, *, now: datetime | None = None, language: str = ""
) -> CourseCompletion | None:
    """Record that `user` completed `course` if every quiz module's current edition is
    passed. Once per course edition: the unique (user, course, edition) constraint makes a
    second call a no-op returning None. In the same transaction, asks certificates to issue
    the course's badge (for a renewal, one that supersedes the fellow's earlier badge), in
    `language`: the content language of the page the last quiz was passed on (see
    badge_language)."""
    now = now or timezone.now()
    course = translations.source_page(course)
    modules = gating.module_refs(course, with_urls=False)
    editions = {m.id: m.edition for m in modules}
    passes = {
        p["module_id"]: p["score_percent"]
        for p in ModulePass.objects.filter(user=user, module_id__in=list(editions)).values(
            "module_id", "score_percent", "edition"
        )
        if p["edition"] == editions[p["module_id"]]
    }
    # The edition completed: the highest among the modules a fellow passes.
    edition = max((m.edition for m in modules if m.has_quiz), default=0)
    if not gating.is_course_complete(modules, passes):
        return None
    scores = [
        {"module_id": m.id, "title": m.title, "score_percent": float(passes[m.id])}
        for m in modules
        if m.has_quiz
    ]
    try:
        with transaction.atomic():
            completion = CourseCompletion.objects.create(
                user=user,
                course=course,
                completed_at=now,
                module_scores=scores,
                language=language,
                edition=edition,
            )
            request_badge_for_completion(completion, language=badge_language(completion))
    except IntegrityError:
        return None
    return completion


def badge_language(completion: CourseCompletion) -> str | None:
    """The language a completion's badge should be in: the content language of the page
    the fellow completed the course on; None for the course's own (an older completion,
    or one recorded without a page)."""
    return completion.language or None
