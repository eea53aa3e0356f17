"""Reads about learning for the pages and views: nothing here writes.

What a graded attempt asked, was answered and, if the quiz's policy allows, expected
(`review_attempt`, with the lesson's headings from `lesson_sections` naming what to
review), the dashboard's courses with their progress, and the module a fellow may open
next. Access decisions
come from `courses.gating`. The state of a module's quiz is `courses.services.quiz_state`,
not a read here, because looking at a quiz closes an attempt that ran out of time.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from courses import gating, translations
from courses.models import CourseCompletion, CoursePage, Enrolment, QuizAttempt

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


def dashboard_rows(user, *, request=None) -> list[DashboardRow]:
    """Each enrolled or completed course with its progress and next step, in the active
    language where the course is translated. Seven queries (nine in another language
    than the default), whatever the number of courses and modules."""
    completions = {
        c.course_id: c for c in CourseCompletion.objects.filter(user=user).order_by("pk")
    }
    enrolled_ids = set(Enrolment.objects.filter(user=user).values_list("course_id", flat=True))
    courses = list(
        CoursePage.objects.live()
        .filter(pk__in=enrolled_ids | set(completions))
        .defer("description", "learning_outcomes")
        .order_by("title")
    )
    inputs = gating.load_gate_inputs_many(user, courses, request=request)
    # -- Translations: each course and its modules as the fellow reads them (two queries
    # in another language than the default, none in it).
    inputs = translations.localise_inputs_many(inputs, request=request)
    shown = translations.reading_versions(courses)
    return [
        DashboardRow(
            course=shown[course.pk],
            progress=gating.course_progress(inputs[course.pk]),
            completed=course.pk in completions,
            completion=completions.get(course.pk),
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


def lesson_sections(module) -> dict[str, str]:
    """Anchor → heading text for the module's lesson, so results name what to review."""
    sections = {}
    for block in module.body or []:
        if block.block_type == "heading":
            text = block.value.get("text", "")
            sections[block.value.get("anchor") or slugify(text)] = text
    return sections
