"""Scoring: freezes a question pool into an attempt layout and grades answers, on plain values.

Nothing here touches the ORM or a request. `freeze_quiz` turns the authored pool (the
StreamField's raw data: a list of {"type", "id", "value"} dicts) into two halves:

- the *layout*, which is everything a fellow may see while answering (prompts, choice
  texts, opaque per-attempt ids), and
- the *key*, which stays on the server (gold answers, explanations, review anchors).

`grade_attempt` scores submitted answers against the key alone, so editing a quiz after
an attempt started never changes that attempt or its grade.
"""

from __future__ import annotations

import math
import re
import secrets
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

CHOICE_TYPES = {"single_choice", "multiple_select", "preference_ranking", "label_item"}
QUESTION_TYPES = CHOICE_TYPES | {"true_false", "short_answer"}

# Where each choice-like question keeps its options and the flag that marks the gold one.
_OPTION_FIELDS = {
    "single_choice": ("choices", "is_correct"),
    "multiple_select": ("choices", "is_correct"),
    "preference_ranking": ("responses", "is_preferred"),
    "label_item": ("labels", "is_gold"),
}


def new_token() -> str:
    """An opaque id for a question or choice in one attempt: unguessable, never reused."""
    return secrets.token_urlsafe(6)


# --- Freezing ---------------------------------------------------------------------------


def _list_items(raw: Any) -> list[dict]:
    """ListBlock raw data is either plain values or [{"type": "item", "value": ...}]."""
    items = []
    for item in raw or []:
        if isinstance(item, dict) and item.get("type") == "item" and "value" in item:
            items.append(item["value"])
        else:
            items.append(item)
    return items


def _freeze_one(
    block: Mapping[str, Any], *, shuffle_choices: bool, shuffle: Callable, token: Callable
) -> tuple[dict, dict]:
    kind = block["type"]
    value = block.get("value") or {}
    qid = "q" + token()
    shown: dict[str, Any] = {"id": qid, "type": kind, "prompt": value.get("prompt", "")}
    key: dict[str, Any] = {
        "type": kind,
        "block_id": block.get("id", ""),
        "explanation": value.get("explanation", ""),
        "review_section": value.get("review_section") or "",
    }
    if kind in _OPTION_FIELDS:
        field_name, flag = _OPTION_FIELDS[kind]
        options = []
        correct = []
        for option in _list_items(value.get(field_name)):
            cid = "c" + token()
            entry = {"id": cid, "text": option.get("text", "")}
            if kind == "preference_ranking":
                entry["label"] = option.get("label", "")
            options.append(entry)
            if option.get(flag):
                correct.append(cid)
        if shuffle_choices and kind != "preference_ranking":
            # Responses keep their authored order: "Response A" should come first.
            shuffle(options)
        shown["choices"] = options
        key["correct"] = correct
        if kind == "multiple_select":
            key["scoring"] = value.get("scoring") or "all_or_nothing"
        if kind == "preference_ranking":
            shown["conversation_prompt"] = value.get("conversation_prompt", "")
            shown["rationale_min_length"] = int(value.get("rationale_min_length") or 0)
        if kind == "label_item":
            shown["sample_text"] = value.get("sample_text") or ""
            shown["sample_image_id"] = value.get("sample_image")
    elif kind == "true_false":
        key["correct"] = bool(value.get("correct_answer"))
    elif kind == "short_answer":
        match = value.get("match") or "text"
        shown["input"] = match
        key["match"] = match
        if match == "number":
            key["number"] = value.get("number")
            key["tolerance"] = abs(value.get("tolerance") or 0.0)
        else:
            key["accepted"] = sorted(
                {
                    normalise_text(a)
                    for a in _list_items(value.get("accepted_answers"))
                    if isinstance(a, str) and a.strip()
                }
            )
    else:
        raise ValueError(f"Unknown question type: {kind!r}")
    return shown, key


def freeze_quiz(
    pool: Sequence[Mapping[str, Any]],
    *,
    draw: int | None = None,
    shuffle_questions: bool = True,
    shuffle_choices: bool = True,
    rng: Any = None,
    token: Callable[[], str] = new_token,
) -> tuple[list[dict], dict[str, dict]]:
    """Draw, order and freeze questions for one attempt. Returns (layout, key by question id).

    `rng` needs `sample` and `shuffle` (random.Random in tests; SystemRandom by default).
    """
    if rng is None:
        rng = secrets.SystemRandom()
    chosen = [b for b in pool if b.get("type") in QUESTION_TYPES]
    if draw and draw < len(chosen):
        # Keep the authored order among drawn questions unless shuffling is on.
        picked = sorted(rng.sample(range(len(chosen)), draw))
        chosen = [chosen[i] for i in picked]
    if shuffle_questions:
        chosen = list(chosen)
        rng.shuffle(chosen)
    layout: list[dict] = []
    keys: dict[str, dict] = {}
    for block in chosen:
        shown, key = _freeze_one(
            block, shuffle_choices=shuffle_choices, shuffle=rng.shuffle, token=token
        )
        layout.append(shown)
        keys[shown["id"]] = key
    return layout, keys


def pool_structure(pool: Sequence[Mapping[str, Any]]) -> list[tuple]:
    """What grading depends on in a question pool, without its wording: per question its
    block id and type; per option whether it is right; a multiple-select's scoring; a
    true/false answer; a short answer's kind and, for numbers, the number and tolerance.
    Two pools with the same structure grade the same answers the same way (a translated
    quiz is used only when it has its source's structure: courses/translations.py).
    A text answer's accepted words are left out: they belong to the language."""
    shape: list[tuple] = []
    for block in pool:
        kind = block.get("type")
        value = block.get("value") or {}
        entry: tuple = (block.get("id"), kind)
        if kind in _OPTION_FIELDS:
            field_name, flag = _OPTION_FIELDS[kind]
            entry += (tuple(bool(o.get(flag)) for o in _list_items(value.get(field_name))),)
            if kind == "multiple_select":
                entry += (value.get("scoring") or "all_or_nothing",)
        elif kind == "true_false":
            entry += (bool(value.get("correct_answer")),)
        elif kind == "short_answer":
            match = value.get("match") or "text"
            entry += (match,)
            if match == "number":
                entry += (value.get("number"), value.get("tolerance"))
        shape.append(entry)
    return shape


# --- Grading ----------------------------------------------------------------------------

_SPACE = re.compile(r"\s+")


def normalise_text(text: str) -> str:
    """Case, width and spacing do not matter: 'Reward  Model' equals 'reward model'."""
    text = unicodedata.normalize("NFKC", text or "")
    return _SPACE.sub(" ", text).strip().casefold()


def parse_number(text: str) -> float | None:
    """A finite number from what a fellow typed; a lone comma is read as a decimal point."""
    cleaned = (text or "").strip().replace("\u2212", "-").replace(" ", "")
    if "," in cleaned and "." not in cleaned:
        cleaned = cleaned.replace(",", ".")
    try:
        number = float(cleaned)
    except ValueError:
        return None
    return number if math.isfinite(number) else None


@dataclass(frozen=True)
class QuestionGrade:
    question_id: str
    credit: Fraction  # 0..1
    explanation: str = ""
    review_section: str = ""
    correct_ids: tuple[str, ...] = ()

    @property
    def is_correct(self) -> bool:
        return self.credit == 1

    @property
    def is_partial(self) -> bool:
        return 0 < self.credit < 1


@dataclass(frozen=True)
class AttemptGrade:
    questions: tuple[QuestionGrade, ...]
    pass_mark_percent: int
    score: Fraction = field(init=False)

    def __post_init__(self):
        object.__setattr__(self, "score", sum((q.credit for q in self.questions), Fraction(0)))

    @property
    def max_score(self) -> int:
        return len(self.questions)

    @property
    def fraction(self) -> Fraction:
        return self.score / self.max_score if self.max_score else Fraction(0)

    @property
    def percent(self) -> float:
        return round(float(self.fraction * 100), 2)

    @property
    def passed(self) -> bool:
        # Exact arithmetic: 4 of 5 against an 80% mark passes, with no float rounding.
        return self.max_score > 0 and self.fraction * 100 >= self.pass_mark_percent

    @property
    def missed(self) -> tuple[QuestionGrade, ...]:
        return tuple(q for q in self.questions if not q.is_correct)

    def review_sections(self) -> list[str]:
        """Anchors of the lesson sections linked to missed questions, first seen first."""
        seen: list[str] = []
        for q in self.missed:
            if q.review_section and q.review_section not in seen:
                seen.append(q.review_section)
        return seen


def _credit(key: Mapping[str, Any], answer: Any) -> Fraction:
    kind = key["type"]
    if answer is None:
        return Fraction(0)
    if kind in ("single_choice", "label_item"):
        return Fraction(int(answer in key["correct"]))
    if kind == "preference_ranking":
        choice = answer.get("choice") if isinstance(answer, Mapping) else answer
        return Fraction(int(choice in key["correct"]))
    if kind == "true_false":
        return Fraction(int(answer is key["correct"]))
    if kind == "multiple_select":
        picked = set(answer)
        correct = set(key["correct"])
        if key.get("scoring") == "partial":
            # Each right pick adds, each wrong pick subtracts, never below zero.
            hits = len(picked & correct)
            misses = len(picked - correct)
            return max(Fraction(0), Fraction(hits - misses, len(correct) or 1))
        return Fraction(int(picked == correct))
    if kind == "short_answer":
        if key.get("match") == "number":
            number = parse_number(str(answer))
            target = key.get("number")
            if number is None or target is None:
                return Fraction(0)
            # A hair of slack so 0.1 + 0.2 style float noise never fails a right answer.
            slack = float(key.get("tolerance") or 0.0) + 1e-9 * max(1.0, abs(target))
            return Fraction(int(abs(number - target) <= slack))
        return Fraction(int(normalise_text(str(answer)) in key.get("accepted", [])))
    raise ValueError(f"Unknown question type: {kind!r}")


def grade_question(question_id: str, key: Mapping[str, Any], answer: Any) -> QuestionGrade:
    correct = key.get("correct")
    return QuestionGrade(
        question_id=question_id,
        credit=_credit(key, answer),
        explanation=key.get("explanation", ""),
        review_section=key.get("review_section", ""),
        correct_ids=tuple(correct) if isinstance(correct, list) else (),
    )


def grade_attempt(
    layout: Sequence[Mapping[str, Any]],
    keys: Mapping[str, Mapping[str, Any]],
    answers: Mapping[str, Any],
    *,
    pass_mark_percent: int,
) -> AttemptGrade:
    """Grade `answers` (question id -> cleaned answer) against the frozen key.

    Only questions in the layout count; anything else in `answers` is ignored here
    (the form has already refused it).
    """
    grades = tuple(grade_question(q["id"], keys[q["id"]], answers.get(q["id"])) for q in layout)
    return AttemptGrade(questions=grades, pass_mark_percent=pass_mark_percent)


def zero_grade(
    layout: Sequence[Mapping[str, Any]],
    keys: Mapping[str, Mapping[str, Any]],
    *,
    pass_mark_percent: int,
) -> AttemptGrade:
    """The grade of an overdue attempt: every question scores nothing."""
    return grade_attempt(layout, keys, {}, pass_mark_percent=pass_mark_percent)


# --- Showing answers ----------------------------------------------------------------------

REVEAL_NEVER = "never"
REVEAL_AFTER_PASSING = "after_passing"
REVEAL_AFTER_LAST_ATTEMPT = "after_last_attempt"
REVEAL_ALWAYS = "always"


def may_reveal_answers(policy: str, *, passed: bool, out_of_attempts: bool) -> bool:
    """May a graded attempt's review name the right answers, under the quiz's policy?

    `passed`: the fellow has passed this quiz (with any attempt); `out_of_attempts`: they
    can start no other attempt because every allowed one is used (an open attempt is not
    "out"). After passing no attempt can start either, so "after the last attempt" shows
    them then too. An unknown policy shows nothing.
    """
    if policy == REVEAL_ALWAYS:
        return True
    if policy == REVEAL_AFTER_PASSING:
        return passed
    if policy == REVEAL_AFTER_LAST_ATTEMPT:
        return passed or out_of_attempts
    return False
