"""Builders for the demo curriculum: course specs and StreamField raw JSON, no ORM.

Each helper returns the ``{"type": ..., "value": ...}`` shape that ``LessonStreamBlock``
and ``QuizQuestionStreamBlock`` accept, so the content modules read like the lesson
itself rather than like nested dictionaries. The loader validates everything these
produce against the real blocks before a page is saved.
"""

import re
from dataclasses import dataclass, field

RawBlock = dict[str, object]


@dataclass(frozen=True)
class ModuleSpec:
    slug: str
    title: str
    summary: str
    estimated_minutes: int
    body: list[RawBlock]
    questions: list[RawBlock]
    questions_per_attempt: int = 6
    pass_mark_percent: int = 80
    # Few enough attempts, and a wait between them, that retaking is no substitute for
    # the lesson; the right answers are shown once the fellow passes.
    max_attempts: int = 3
    cooldown_minutes: int = 15
    answer_reveal: str = "after_passing"
    # The lesson and quiz as the course's first version had them, for a module a later
    # version changed (see VersionSpec); None when no version changed it.
    first_body: list[RawBlock] | None = None
    first_questions: list[RawBlock] | None = None


@dataclass(frozen=True)
class VersionSpec:
    """A guideline version of a course (courses.versions). A course's first is its
    baseline, the course as first published; a later one names the modules it changed
    (by slug), whose ``first_body`` and ``first_questions`` the loader publishes before
    their current content, and with ``renewal_days`` asks fellows certified on an earlier
    version to pass those modules again."""

    number: str
    summary: str
    changed_modules: tuple[str, ...] = ()
    renewal_days: int | None = None


@dataclass(frozen=True)
class BadgeSpec:
    """The badge a course earns: wording, signatory, look. ``artwork`` names a PNG in
    ``courses/demo/artwork/`` (made from the SVG beside it)."""

    title: str
    description: str
    criteria: str
    signatory_name: str
    signatory_title: str
    accent_color: str
    artwork: str
    validity_days: int | None = None


@dataclass(frozen=True)
class CourseSpec:
    slug: str
    title: str
    summary: str
    description: str
    learning_outcomes: list[str]
    level: str
    estimated_minutes: int
    modules: list[ModuleSpec]
    badge: BadgeSpec
    prerequisites: tuple[str, ...] = field(default=())
    # Oldest first; empty: the demo records no version (publishing one records a baseline).
    versions: tuple[VersionSpec, ...] = field(default=())


# --- Lesson blocks ---------------------------------------------------------------


def heading(text: str, anchor: str) -> RawBlock:
    return {"type": "heading", "value": {"text": text, "anchor": anchor}}


def paragraph(html: str) -> RawBlock:
    return {"type": "paragraph", "value": html}


def callout(kind: str, title: str, html: str) -> RawBlock:
    return {"type": "callout", "value": {"kind": kind, "title": title, "text": html}}


def worked_example(
    title: str, task: str, *, good: str, good_note: str, bad: str, bad_note: str
) -> RawBlock:
    return {
        "type": "worked_example",
        "value": {
            "title": title,
            "task": task,
            "good": {"text": good, "commentary": good_note},
            "bad": {"text": bad, "commentary": bad_note},
        },
    }


# --- Quiz questions --------------------------------------------------------------
# Prompts and explanations are rich text; a bare sentence is wrapped in <p>.


def _rich(text: str) -> str:
    return text if text.lstrip().startswith("<") else f"<p>{text}</p>"


def _base(prompt: str, explanation: str, review: str) -> dict[str, object]:
    return {"prompt": _rich(prompt), "explanation": _rich(explanation), "review_section": review}


def single_choice(
    prompt: str, choices: list[tuple[str, bool]], *, explanation: str, review: str
) -> RawBlock:
    value = _base(prompt, explanation, review)
    value["choices"] = [{"text": text, "is_correct": ok} for text, ok in choices]
    return {"type": "single_choice", "value": value}


def multiple_select(
    prompt: str,
    choices: list[tuple[str, bool]],
    *,
    explanation: str,
    review: str,
    partial: bool = False,
) -> RawBlock:
    value = _base(prompt, explanation, review)
    value["choices"] = [{"text": text, "is_correct": ok} for text, ok in choices]
    value["scoring"] = "partial" if partial else "all_or_nothing"
    return {"type": "multiple_select", "value": value}


def true_false(statement: str, answer: bool, *, explanation: str, review: str) -> RawBlock:
    value = _base(statement, explanation, review)
    value["correct_answer"] = answer
    return {"type": "true_false", "value": value}


def short_text(prompt: str, accepted: list[str], *, explanation: str, review: str) -> RawBlock:
    value = _base(prompt, explanation, review)
    value.update(match="text", accepted_answers=accepted, number=None, tolerance=None)
    return {"type": "short_answer", "value": value}


def short_number(
    prompt: str, number: float, tolerance: float, *, explanation: str, review: str
) -> RawBlock:
    value = _base(prompt, explanation, review)
    value.update(match="number", accepted_answers=[], number=number, tolerance=tolerance)
    return {"type": "short_answer", "value": value}


def preference(
    prompt: str,
    conversation: str,
    responses: list[tuple[str, str, bool]],
    *,
    explanation: str,
    review: str,
    rationale_min_length: int = 20,
) -> RawBlock:
    value = _base(prompt, explanation, review)
    value["conversation_prompt"] = conversation
    value["responses"] = [
        {"label": label, "text": text, "is_preferred": gold} for label, text, gold in responses
    ]
    value["rationale_min_length"] = rationale_min_length
    return {"type": "preference_ranking", "value": value}


def label_item(
    prompt: str, sample: str, labels: list[tuple[str, bool]], *, explanation: str, review: str
) -> RawBlock:
    value = _base(prompt, explanation, review)
    value["sample_text"] = sample
    value["sample_image"] = None
    value["labels"] = [{"text": text, "is_gold": gold} for text, gold in labels]
    return {"type": "label_item", "value": value}


def lesson_word_count(body: list[RawBlock]) -> int:
    """Words a fellow reads in a lesson: text of every block, markup removed."""
    words = 0
    for block in body:
        value = block["value"]
        texts = [value] if isinstance(value, str) else _strings(value)
        for text in texts:
            words += len(re.sub(r"<[^>]+>", " ", text).split())
    return words


def _strings(value: object) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [
            s
            for key, item in value.items()
            if key not in ("anchor", "kind")
            for s in _strings(item)
        ]
    return []
