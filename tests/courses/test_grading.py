"""Grading without the database: every question type, partial credit, tolerance, freezing."""

import random
from fractions import Fraction

import pytest

from courses import grading
from tests.factories.courses import (
    label_item,
    multiple_select,
    preference,
    short_number,
    short_text,
    single_choice,
    true_false,
)


def freeze(*blocks, **kwargs):
    kwargs.setdefault("shuffle_questions", False)
    kwargs.setdefault("shuffle_choices", False)
    return grading.freeze_quiz(list(blocks), rng=random.Random(7), **kwargs)


def grade_one(block, answer_for):
    layout, key = freeze(block)
    q = layout[0]
    answer = answer_for(q)
    return grading.grade_question(q["id"], key[q["id"]], answer)


def choice_id(q, text):
    return next(c["id"] for c in q["choices"] if (c.get("label") or c["text"]) == text)


def test_single_choice_right_and_wrong():
    block = single_choice(choices=(("Right", True), ("Wrong", False)))
    assert grade_one(block, lambda q: choice_id(q, "Right")).is_correct
    assert grade_one(block, lambda q: choice_id(q, "Wrong")).credit == 0


def test_choice_id_from_another_question_scores_nothing():
    layout, key = freeze(single_choice(), single_choice())
    other = layout[1]["choices"][0]["id"]
    assert grading.grade_question(layout[0]["id"], key[layout[0]["id"]], other).credit == 0


@pytest.mark.parametrize(
    ("picked", "all_or_nothing", "partial"),
    [
        ({"A", "B"}, 1, Fraction(1)),
        ({"A"}, 0, Fraction(1, 2)),
        ({"A", "C"}, 0, Fraction(0)),  # one right, one wrong: cancels out
        ({"C"}, 0, Fraction(0)),  # never below zero
        ({"A", "B", "C"}, 0, Fraction(1, 2)),
    ],
)
def test_multiple_select_scoring(picked, all_or_nothing, partial):
    for scoring, expected in (("all_or_nothing", all_or_nothing), ("partial", partial)):
        block = multiple_select(choices=(("A", True), ("B", True), ("C", False)), scoring=scoring)
        grade = grade_one(block, lambda q: [choice_id(q, t) for t in sorted(picked)])
        assert grade.credit == expected, scoring
    assert grade.is_partial == (0 < partial < 1)


def test_true_false():
    assert grade_one(true_false(correct=False), lambda q: False).is_correct
    assert not grade_one(true_false(correct=False), lambda q: True).is_correct


@pytest.mark.parametrize(
    ("typed", "ok"),
    [
        ("reward model", True),
        ("  REWARD   Model ", True),
        ("ＲＥＷＡＲＤ model", True),  # full-width letters normalise
        ("preference model", True),
        ("reward-model", False),
        ("", False),
    ],
)
def test_short_text_accepts_listed_answers_ignoring_case_and_space(typed, ok):
    block = short_text(accepted=("Reward model", "Preference  model"))
    assert grade_one(block, lambda q: typed).is_correct is ok


def test_short_text_reads_accepted_answers_as_wagtail_stores_them():
    """A ListBlock saved by the admin is [{"type": "item", "value": ...}], not strings."""
    block = short_text(accepted=())
    block["value"]["accepted_answers"] = [
        {"type": "item", "value": "Reward model", "id": "a1"},
        {"type": "item", "value": "Preference model", "id": "a2"},
    ]
    assert grade_one(block, lambda q: "preference MODEL").is_correct is True
    assert grade_one(block, lambda q: "value model").is_correct is False


@pytest.mark.parametrize(
    ("typed", "ok"),
    [
        ("42", True),
        ("42.5", True),
        ("41.5", True),
        ("42,4", True),
        ("42.51", False),
        ("forty-two", False),
        ("nan", False),
        ("inf", False),
    ],
)
def test_short_number_with_tolerance(typed, ok):
    assert grade_one(short_number(number=42, tolerance=0.5), lambda q: typed).is_correct is ok


def test_short_number_exact_with_float_noise():
    assert grade_one(
        short_number(number=0.3, tolerance=0), lambda q: "0.30000000000000004"
    ).is_correct


def test_preference_ranking_scored_against_gold_choice():
    block = preference(gold=1)
    good = grade_one(block, lambda q: {"choice": choice_id(q, "Response B"), "rationale": "x" * 20})
    bad = grade_one(block, lambda q: {"choice": choice_id(q, "Response A"), "rationale": "x" * 20})
    assert good.is_correct and bad.credit == 0


def test_label_item_scored_against_gold_label():
    block = label_item(labels=(("Safe", False), ("Harmful", True)))
    assert grade_one(block, lambda q: choice_id(q, "Harmful")).is_correct
    assert not grade_one(block, lambda q: choice_id(q, "Safe")).is_correct


def test_attempt_percent_pass_mark_and_review_sections():
    layout, key = freeze(
        single_choice(review_section="intro"),
        single_choice(review_section="ranking"),
        single_choice(review_section="ranking"),
        true_false(correct=True),
        true_false(correct=True),
    )
    answers = {q["id"]: True for q in layout[3:]}
    answers[layout[0]["id"]] = choice_id(layout[0], "Right")
    grade = grading.grade_attempt(layout, key, answers, pass_mark_percent=60)
    assert grade.score == 3 and grade.percent == 60.0 and grade.passed
    assert grade.review_sections() == ["ranking"]
    assert not grading.grade_attempt(layout, key, answers, pass_mark_percent=61).passed
    assert grading.zero_grade(layout, key, pass_mark_percent=1).score == 0


def test_layout_never_contains_the_key():
    layout, key = freeze(
        single_choice(),
        multiple_select(),
        true_false(),
        short_text(accepted=("Gold text",)),
        short_number(number=1234.5),
        preference(),
        label_item(),
    )
    text = repr(layout)
    for word in (
        "is_correct",
        "is_preferred",
        "is_gold",
        "correct",
        "Gold text",
        "1234.5",
        "explanation",
        "Because the lesson",
    ):
        assert word not in text
    assert set(key) == {q["id"] for q in layout}


def test_freezing_draws_shuffles_and_uses_fresh_ids():
    pool = [single_choice(prompt=f"Q{i}") for i in range(10)]
    layout_a, _ = grading.freeze_quiz(pool, draw=4, rng=random.Random(1))
    layout_b, _ = grading.freeze_quiz(pool, draw=4, rng=random.Random(2))
    assert len(layout_a) == 4
    ids_a = {q["id"] for q in layout_a} | {c["id"] for q in layout_a for c in q["choices"]}
    ids_b = {q["id"] for q in layout_b} | {c["id"] for q in layout_b for c in q["choices"]}
    assert not ids_a & ids_b
    block_ids = {b["id"] for b in pool}
    assert not ids_a & block_ids
    orders = {
        tuple(q["prompt"] for q in grading.freeze_quiz(pool, rng=random.Random(s))[0])
        for s in range(5)
    }
    assert len(orders) > 1
