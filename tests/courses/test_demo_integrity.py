"""The demo quizzes are set up the way a real programme would run them, and their
explanations (shown whatever the reveal policy) do not give the answers away."""

import re

import pytest

from courses.demo import COURSES
from courses.grading import normalise_text


def all_questions():
    for course in COURSES:
        for module in course.modules:
            for number, question in enumerate(module.questions, start=1):
                yield pytest.param(question, id=f"{module.slug}-q{number}")


def plain(html: str) -> str:
    return normalise_text(re.sub(r"<[^>]+>", " ", html))


def contains(haystack: str, needle: str) -> bool:
    needle = normalise_text(needle)
    return bool(needle) and re.search(rf"(?<!\w){re.escape(needle)}(?!\w)", haystack) is not None


def answers_of(question) -> list[str]:
    """What names the answer, from the authored key."""
    value, kind = question["value"], question["type"]
    if kind in ("single_choice", "multiple_select"):
        return [c["text"] for c in value["choices"] if c["is_correct"]]
    if kind == "label_item":
        return [c["text"] for c in value["labels"] if c["is_gold"]]
    if kind == "preference_ranking":
        gold = [r["label"] for r in value["responses"] if r["is_preferred"]]
        # "Response A", and the bare letter used as a verdict ("A is correct").
        return gold + [f"{label.split()[-1]} is" for label in gold]
    if kind == "short_answer":
        if value["match"] == "number":
            number = value["number"]
            return [f"{number:g}"]
        return list(value["accepted_answers"])
    return []


@pytest.mark.parametrize("module", [m for c in COURSES for m in c.modules], ids=lambda m: m.slug)
def test_each_demo_quiz_limits_attempts_waits_and_draws_from_a_larger_pool(module):
    assert module.max_attempts == 3
    assert module.cooldown_minutes >= 10
    assert module.questions_per_attempt < len(module.questions)
    assert module.answer_reveal == "after_passing"


@pytest.mark.parametrize("question", list(all_questions()))
def test_no_explanation_gives_the_answer_away(question):
    explanation = plain(question["value"]["explanation"])
    assert explanation
    for answer in answers_of(question):
        assert not contains(explanation, answer), answer
    # A verdict at the start ("False: ...", "Correct.") is the answer too.
    first = explanation.split()[0].strip(".,:;!")
    assert first not in {"true", "false", "correct", "incorrect", "yes", "no", "right", "wrong"}
    assert first not in {"nobody", "never", "always", "exactly", "indeed"}


@pytest.mark.django_db
def test_the_loaded_demo_quizzes_carry_these_settings(site_root):
    from courses.demo.loader import load_demo
    from courses.models import ModulePage

    load_demo()
    loaded = ModulePage.objects.filter(slug__in=[m.slug for c in COURSES for m in c.modules])
    # In English and in Traditional Chinese (a translation or an alias: the same settings).
    assert loaded.count() == 2 * sum(len(c.modules) for c in COURSES)
    assert {(m.max_attempts, m.cooldown_minutes, m.answer_reveal) for m in loaded} == {
        (3, 15, "after_passing")
    }
