"""Reads about learning for the pages and views: nothing here writes.

What a graded attempt asked, was answered and, if the quiz's policy allows, expected
(`review_attempt`, with the lesson's headings from `lesson_sections` naming what to
review), the dashboard's courses with their progress (and the renewal a newer version of
one asks: certificates.holdings), the module a fellow may open next, and whether a quiz's
pass finished the course. Access decisions
come from `courses.gating`. The state of a module's quiz is `courses.services.quiz_state`,
not a read here, because looking at a quiz closes an attempt that ran out of time.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from courses import gating, translations
from courses.models import CourseCompletion, CoursePage, QuizAttempt

if TYPE_CHECKING:
    from certificates.holdings import CompletedBadge, Renewal

# --- A graded attempt --------------------------------------------------------------------


@dataclass(frozen=True)
class QuestionReview:
    question: dict
    answer: Any
    credit: float
    correct: bool
    partial: bool
    explanation: str
    review_section: str
    correct_ids: tuple[str, ...]
    correct_text: str
    review_title: str = ""


def review_attempt(
    attempt: QuizAttempt,
    *,
    section_titles: dict[str, str] | None = None,
    reveal_answers: bool = False,
) -> list[QuestionReview]:
    """Per question, what was asked and answered, whether it was right, the explanation
    and what to review. Only for graded attempts. `section_titles` (anchor → heading, see
    lesson_sections) names what to review. The expected answer (`correct_text`,
    `correct_ids`) is filled only with `reveal_answers` (the quiz's policy, see
    `grading.may_reveal_answers`); otherwise it is empty, so no template can show it."""
    section_titles = section_titles or {}
    if attempt.is_open:
        raise ValueError("An open attempt has no review: the key is not shown before grading.")
    rows = []
    graded = (attempt.grade or {}).get("questions", {})
    for q in attempt.layout:
        key = attempt.answer_key.get(q["id"], {})
        g = graded.get(q["id"], {})
        correct = key.get("correct")
        correct_ids = tuple(correct) if isinstance(correct, list) else ()
        if not reveal_answers:
            correct_ids, correct_text = (), ""
        elif q["type"] == "true_false":
            correct_text = _("True") if correct else _("False")
        elif q["type"] == "short_answer":
            if key.get("match") == "number":
                tol = key.get("tolerance") or 0
                correct_text = f"{key.get('number')}" + (f" (± {tol})" if tol else "")
            else:
                correct_text = " / ".join(key.get("accepted", []))
        else:
            correct_text = pgettext("list separator", ", ").join(
                c.get("label") or c["text"] for c in q.get("choices", []) if c["id"] in correct_ids
            )
        rows.append(
            QuestionReview(
                question=q,
                answer=(attempt.answers or {}).get(q["id"]),
                credit=g.get("credit", 0.0),
                correct=g.get("correct", False),
                partial=g.get("partial", False),
                explanation=key.get("explanation", ""),
                review_section=key.get("review_section", ""),
                correct_ids=correct_ids,
                correct_text=correct_text,
                review_title=section_titles.get(key.get("review_section", ""), ""),
            )
        )
    return rows


# --- Where the fellow stands -------------------------------------------------------------


@dataclass(frozen=True)
class DashboardRow:
    course: Any
    progress: gating.CourseProgress
    completed: bool
    completion: CourseCompletion | None
    # What a newer version of the course asks of the fellow's badge (certificates.holdings).
    renewal: Renewal | None = None


def dashboard_rows(user, *, request=None) -> list[DashboardRow]:
    """Each enrolled or completed course with its progress and next step, in the active
    language where the course is translated. A number of queries that does not depend on
    the number of courses and modules: two when serving a request whose fellow and courses
    are cached (courses.progress_cache), one more when the fellow completed a course, two
    more in another language than the default, two more when a newer version of a course
    the fellow completed re-opened one of its modules (their badge may be due for renewal:
    certificates.holdings)."""
    from certificates.holdings import renewals_for
    from courses import progress_cache

    progress = progress_cache.fellow_progress(user, request=request)
    shown = progress.enrolled_course_ids | progress.completed_course_ids
    completions = (
        {
            c.course_id: c
            for c in CourseCompletion.objects.filter(user=user)
            .defer("module_scores")
            .order_by("pk")
        }
        if progress.completed_course_ids
        else {}
    )
    courses = list(
        CoursePage.objects.live()
        .filter(pk__in=shown)
        .defer("description", "learning_outcomes")
        .order_by("title")
    )
    inputs = gating.load_gate_inputs_many(user, courses, request=request)
    # -- Translations: each course and its modules as the fellow reads them (two queries
    # in another language than the default, none in it).
    inputs = translations.localise_inputs_many(inputs, request=request)
    versions = translations.reading_versions(courses)
    renewals = renewals_for(user, inputs)
    return [
        DashboardRow(
            course=versions[course.pk],
            progress=gating.course_progress(inputs[course.pk]),
            completed=course.pk in completions,
            completion=completions.get(course.pk),
            renewal=renewals.get(course.pk),
        )
        for course in courses
    ]


def next_module_after(user, module, *, request=None) -> gating.PageRef | None:
    """The module after `module` (or after its source, for a translation), if the fellow
    may open it now."""
    decision, inputs = gating.decide_module(user, module, request=request)
    source_id = translations.source_page(module).pk
    ids = [m.id for m in inputs.modules]
    if source_id not in ids:
        return None
    index = ids.index(source_id)
    for candidate in inputs.modules[index + 1 :]:
        return candidate if gating.module_access(inputs, candidate.id) else None
    return None


@dataclass(frozen=True)
class FinishedCourse:
    """A course whose every quiz the fellow has passed in its current edition: they have
    just completed it, or renewed it."""

    title: str
    # The badge it left them with, and whether it renewed an earlier version's
    # (certificates.holdings); None when they hold none (no badge design yet, revoked).
    badge: CompletedBadge | None


def finished_course(user, inputs: gating.GateInputs) -> FinishedCourse | None:
    """The course of the gate `inputs` if the fellow has passed every quiz of it, for a
    quiz's result page. One query for a finished course, none before."""
    from certificates.holdings import badge_after_completion

    if not gating.is_course_complete(inputs.modules, inputs.passed_module_ids):
        return None
    return FinishedCourse(inputs.course.title, badge_after_completion(user, inputs.course.id))


def lesson_sections(module) -> dict[str, str]:
    """Anchor → heading text for the module's lesson, so results name what to review."""
    sections = {}
    for block in module.body or []:
        if block.block_type == "heading":
            text = block.value.get("text", "")
            sections[block.value.get("anchor") or slugify(text)] = text
    return sections
