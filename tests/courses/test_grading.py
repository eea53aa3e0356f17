"""Grading without the database: every question type, partial credit, tolerance, freezing."""

import random
import re
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


# --- What freezing shows and keeps, field by field -----------------------------------------


def counting_tokens():
    """Predictable per-attempt ids ("1", "2", ...) so a whole frozen layout can be compared."""
    numbers = iter(range(1, 1000))
    return lambda: str(next(numbers))


def test_freezing_shows_each_question_type_exactly_what_a_fellow_needs():
    blocks = [
        single_choice(review_section="intro"),
        multiple_select(scoring="partial"),
        true_false(correct=False),
        short_text(accepted=("Reward  Model", "", "  ")),
        short_number(number=42, tolerance=-0.5),
        preference(gold=1, rationale_min_length=25),
        label_item(),
    ]
    layout, keys = grading.freeze_quiz(
        blocks,
        shuffle_questions=False,
        shuffle_choices=False,
        rng=random.Random(1),
        token=counting_tokens(),
    )
    because = "<p>Because the lesson says so.</p>"
    assert layout == [
        {
            "id": "q1",
            "type": "single_choice",
            "prompt": "<p>Which is right?</p>",
            "choices": [{"id": "c2", "text": "Right"}, {"id": "c3", "text": "Wrong"}],
        },
        {
            "id": "q4",
            "type": "multiple_select",
            "prompt": "<p>Pick all that apply</p>",
            "choices": [
                {"id": "c5", "text": "A"},
                {"id": "c6", "text": "B"},
                {"id": "c7", "text": "C"},
            ],
        },
        {"id": "q8", "type": "true_false", "prompt": "<p>The sky is blue.</p>"},
        {"id": "q9", "type": "short_answer", "prompt": "<p>Name it</p>", "input": "text"},
        {"id": "q10", "type": "short_answer", "prompt": "<p>How many?</p>", "input": "number"},
        {
            "id": "q11",
            "type": "preference_ranking",
            "prompt": "<p>Which response is better?</p>",
            "choices": [
                {"id": "c12", "text": "Plants use light to make food.", "label": "Response A"},
                {"id": "c13", "text": "Chlorophyll reduces NADP+.", "label": "Response B"},
            ],
            "conversation_prompt": "Explain photosynthesis to a ten-year-old.",
            "rationale_min_length": 25,
        },
        {
            "id": "q14",
            "type": "label_item",
            "prompt": "<p>Label this sample</p>",
            "choices": [{"id": "c15", "text": "Safe"}, {"id": "c16", "text": "Harmful"}],
            "sample_text": "How do I bake bread?",
            "sample_image_id": None,
        },
    ]

    def key(kind, block, **rest):
        return {
            "type": kind,
            "block_id": block["id"],
            "explanation": because,
            "review_section": block["value"]["review_section"],
            **rest,
        }

    assert keys == {
        "q1": key("single_choice", blocks[0], correct=["c2"]),
        "q4": key("multiple_select", blocks[1], correct=["c5", "c6"], scoring="partial"),
        "q8": key("true_false", blocks[2], correct=False),
        "q9": key("short_answer", blocks[3], match="text", accepted=["reward model"]),
        # A negative tolerance an editor typed means the same slack either side.
        "q10": key("short_answer", blocks[4], match="number", number=42, tolerance=0.5),
        "q11": key("preference_ranking", blocks[5], correct=["c13"]),
        "q14": key("label_item", blocks[6], correct=["c15"]),
    }


def test_freezing_fills_defaults_for_fields_an_editor_left_empty():
    blocks = [
        {"type": "multiple_select", "id": "b1", "value": {"choices": [{"text": "A"}]}},
        {"type": "preference_ranking", "id": "b2", "value": {"responses": [{"text": "R"}]}},
        {"type": "label_item", "id": "b3", "value": {"labels": [{}], "sample_text": None}},
        {"type": "short_answer", "id": "b4", "value": {"match": None, "accepted_answers": None}},
        {"type": "true_false"},
    ]
    layout, keys = grading.freeze_quiz(
        blocks, shuffle_questions=False, rng=random.Random(1), token=counting_tokens()
    )
    assert layout == [
        {
            "id": "q1",
            "type": "multiple_select",
            "prompt": "",
            "choices": [{"id": "c2", "text": "A"}],
        },
        {
            "id": "q3",
            "type": "preference_ranking",
            "prompt": "",
            "choices": [{"id": "c4", "text": "R", "label": ""}],
            "conversation_prompt": "",
            "rationale_min_length": 0,
        },
        {
            "id": "q5",
            "type": "label_item",
            "prompt": "",
            "choices": [{"id": "c6", "text": ""}],
            "sample_text": "",
            "sample_image_id": None,
        },
        {"id": "q7", "type": "short_answer", "prompt": "", "input": "text"},
        {"id": "q8", "type": "true_false", "prompt": ""},
    ]
    empty = {"explanation": "", "review_section": ""}
    assert keys == {
        "q1": {
            "type": "multiple_select",
            "block_id": "b1",
            **empty,
            "correct": [],
            "scoring": "all_or_nothing",
        },
        "q3": {"type": "preference_ranking", "block_id": "b2", **empty, "correct": []},
        "q5": {"type": "label_item", "block_id": "b3", **empty, "correct": []},
        "q7": {"type": "short_answer", "block_id": "b4", **empty, "match": "text", "accepted": []},
        "q8": {"type": "true_false", "block_id": "", **empty, "correct": False},
    }


def test_numeric_answer_without_tolerance_needs_the_exact_number():
    """An editor who leaves the tolerance empty means "exactly": 41 is not 42."""
    block = short_number(number=42, tolerance=None)
    layout, keys = freeze(block)
    assert keys[layout[0]["id"]]["tolerance"] == 0.0
    for typed, ok in (("42", True), ("42.0", True), ("41", False), ("42.001", False)):
        assert grade_one(block, lambda q, typed=typed: typed).is_correct is ok, typed


def test_numeric_slack_grows_with_the_size_of_the_number():
    """Float noise scales with magnitude, so the hair of slack does too (1e-9 relative)."""
    big = short_number(number=1e12, tolerance=0)
    assert grade_one(big, lambda q: "1000000000999").is_correct
    assert not grade_one(big, lambda q: "1000000001001").is_correct
    small = short_number(number=0.001, tolerance=0)
    # Below 1 the slack stays at 1e-9, not 1e-12.
    assert grade_one(small, lambda q: "0.0010000009").is_correct
    assert not grade_one(small, lambda q: "0.0010000011").is_correct


def test_numeric_key_without_a_number_scores_nothing():
    layout, keys = freeze(short_number(number=None))
    assert grading.grade_question(layout[0]["id"], keys[layout[0]["id"]], "0").credit == 0


@pytest.mark.parametrize(
    ("typed", "number"),
    [
        ("\u22123.5", -3.5),  # the typographic minus sign
        (" 1 000 ", 1000.0),
        ("2,5", 2.5),
        ("1,000.5", None),  # comma and point together: ambiguous, refused
        ("", None),
        (None, None),
        ("1e999", None),
    ],
)
def test_parse_number(typed, number):
    assert grading.parse_number(typed) == number


def test_normalise_text_of_nothing_is_empty():
    assert grading.normalise_text(None) == ""
    assert grading.normalise_text("\tReward\n Model ") == "reward model"


def test_unanswered_question_scores_nothing_with_its_feedback():
    layout, keys = freeze(single_choice(review_section="intro", explanation="Read it again"))
    qid = layout[0]["id"]
    assert grading.grade_question(qid, keys[qid], None) == grading.QuestionGrade(
        question_id=qid,
        credit=Fraction(0),
        explanation="<p>Read it again</p>",
        review_section="intro",
        correct_ids=tuple(keys[qid]["correct"]),
    )


def test_true_false_grade_has_no_correct_choice_ids():
    layout, keys = freeze(true_false(correct=True))
    qid = layout[0]["id"]
    assert grading.grade_question(qid, keys[qid], True) == grading.QuestionGrade(
        qid, Fraction(1), "<p>Because the lesson says so.</p>", "", ()
    )


def test_preference_answer_may_be_the_bare_choice_id():
    block = preference(gold=0)
    assert grade_one(block, lambda q: choice_id(q, "Response A")).is_correct
    assert not grade_one(block, lambda q: choice_id(q, "Response B")).is_correct


def test_partial_scoring_with_no_gold_choice_does_not_divide_by_zero():
    block = multiple_select(choices=(("A", False), ("B", False)), scoring="partial")
    assert grade_one(block, lambda q: []).credit == 0
    assert grade_one(block, lambda q: [choice_id(q, "A")]).credit == 0


def test_unknown_question_type_is_refused_when_freezing_and_grading():
    with pytest.raises(ValueError, match="Unknown question type: 'essay'"):
        grading._freeze_one(
            {"type": "essay", "value": {}}, shuffle_choices=False, shuffle=None, token=str
        )
    with pytest.raises(ValueError, match="Unknown question type: 'essay'"):
        grading.grade_question("q1", {"type": "essay"}, "an answer")


def test_freezing_skips_blocks_that_are_not_questions_and_draws_in_authored_order():
    pool = [single_choice(prompt=f"Q{i}") for i in range(6)]
    pool.insert(2, {"type": "paragraph", "value": "<p>Read this first</p>", "id": "p"})
    prompts = [f"<p>Q{i}</p>" for i in range(6)]
    every, _ = freeze(*pool)
    assert [q["prompt"] for q in every] == prompts
    for draw in (0, None, 6, 7):
        layout, _ = freeze(*pool, draw=draw)
        assert [q["prompt"] for q in layout] == prompts, draw
    drawn, _ = freeze(*pool, draw=5)
    assert len(drawn) == 5 and [q["prompt"] for q in drawn] == [
        p for p in prompts if p in {q["prompt"] for q in drawn}
    ]


def test_shuffling_choices_keeps_preference_responses_in_authored_order():
    labels = set()
    for seed in range(8):
        layout, _ = grading.freeze_quiz(
            [preference(), single_choice(choices=(("A", True), ("B", False), ("C", False)))],
            shuffle_questions=False,
            rng=random.Random(seed),
        )
        assert [c["label"] for c in layout[0]["choices"]] == ["Response A", "Response B"]
        labels.add(tuple(c["text"] for c in layout[1]["choices"]))
    assert len(labels) > 1  # the other question's choices did move


def test_freezing_without_a_random_source_uses_the_system_one():
    layout, keys = grading.freeze_quiz([single_choice(), true_false()])
    assert sorted(q["type"] for q in layout) == ["single_choice", "true_false"]
    assert set(keys) == {q["id"] for q in layout}


def test_attempt_grade_whole_result_with_partial_credit():
    layout, keys = freeze(
        multiple_select(scoring="partial", review_section="select"),
        single_choice(review_section="intro"),
        single_choice(review_section=""),
        true_false(correct=True, review_section="intro"),
    )
    answers = {
        layout[0]["id"]: [choice_id(layout[0], "A")],
        layout[1]["id"]: choice_id(layout[1], "Wrong"),
        layout[2]["id"]: choice_id(layout[2], "Wrong"),
        layout[3]["id"]: True,
    }
    grade = grading.grade_attempt(layout, keys, answers, pass_mark_percent=38)
    assert grade.score == Fraction(3, 2)
    assert (grade.max_score, grade.fraction, grade.percent) == (4, Fraction(3, 8), 37.5)
    assert not grade.passed
    assert grading.grade_attempt(layout, keys, answers, pass_mark_percent=37).passed
    assert [q.question_id for q in grade.missed] == [q["id"] for q in layout[:3]]
    assert grade.questions[0].is_partial and not grade.questions[0].is_correct
    assert not grade.questions[3].is_partial and grade.questions[3].is_correct
    assert not grade.questions[1].is_partial
    assert grade.review_sections() == ["select", "intro"]


def test_percent_is_rounded_to_two_places():
    layout, keys = freeze(true_false(), true_false(), true_false())
    answers = {layout[0]["id"]: True}
    assert grading.grade_attempt(layout, keys, answers, pass_mark_percent=0).percent == 33.33


def test_an_empty_attempt_never_passes():
    grade = grading.grade_attempt([], {}, {}, pass_mark_percent=0)
    assert (grade.score, grade.max_score, grade.fraction, grade.percent, grade.passed) == (
        0,
        0,
        Fraction(0),
        0.0,
        False,
    )


def test_tokens_are_short_url_safe_and_fresh():
    tokens = {grading.new_token() for _ in range(200)}
    assert len(tokens) == 200
    assert all(len(t) == 8 and re.fullmatch(r"[A-Za-z0-9_-]{8}", t) for t in tokens)


def test_choices_stored_as_list_block_items_are_unwrapped_and_plain_ones_kept():
    block = single_choice()
    block["value"]["choices"] = [
        {"type": "item", "value": {"text": "Wrapped", "is_correct": True}, "id": "i1"},
        # A plain choice that happens to have a "value" field is not a wrapper.
        {"text": "Plain", "value": "kept as it is", "is_correct": False},
    ]
    layout, keys = freeze(block, token=counting_tokens())
    assert layout[0]["choices"] == [{"id": "c2", "text": "Wrapped"}, {"id": "c3", "text": "Plain"}]
    assert keys["q1"]["correct"] == ["c2"]


def test_drawing_every_question_is_the_same_as_not_drawing():
    """Asking for all of them draws nothing (and spends no randomness on it)."""
    pool = [single_choice(prompt=f"Q{i}") for i in range(6)]
    for seed in range(3):
        drawn = grading.freeze_quiz(pool, draw=6, rng=random.Random(seed), token=counting_tokens())
        whole = grading.freeze_quiz(pool, rng=random.Random(seed), token=counting_tokens())
        assert drawn == whole


def test_numeric_slack_boundary_is_inclusive():
    """Exactly the tolerance (plus float slack) away is still right."""
    exact_zero = short_number(number=0, tolerance=0)
    assert grade_one(exact_zero, lambda q: "0.000000001").is_correct
    assert not grade_one(exact_zero, lambda q: "0.0000000011").is_correct


def test_pass_mark_is_compared_exactly_near_one_hundred_percent():
    layout, keys = freeze(*[true_false(correct=True) for _ in range(101)])
    answers = {q["id"]: True for q in layout[:100]}
    grade = grading.grade_attempt(layout, keys, answers, pass_mark_percent=100)
    assert (grade.score, grade.percent, grade.passed) == (100, 99.01, False)
    assert grading.grade_attempt(layout, keys, answers, pass_mark_percent=99).passed


def test_keys_frozen_without_optional_fields_still_grade():
    """Attempts keep their key as stored JSON; older keys may lack newer fields."""
    assert grading.grade_question("q1", {"type": "true_false", "correct": True}, True) == (
        grading.QuestionGrade("q1", Fraction(1), "", "", ())
    )
    text_key = {"type": "short_answer", "match": "text"}
    assert grading.grade_question("q2", text_key, "anything").credit == 0
    number_key = {"type": "short_answer", "match": "number", "number": 42}
    assert grading.grade_question("q3", number_key, "42").credit == 1
    assert grading.grade_question("q3", number_key, "42.1").credit == 0


def test_zero_grade_scores_every_question_nothing():
    layout, keys = freeze(single_choice(review_section="intro"), true_false(correct=False))
    grade = grading.zero_grade(layout, keys, pass_mark_percent=50)
    assert grade == grading.AttemptGrade(
        questions=(
            grading.QuestionGrade(
                layout[0]["id"],
                Fraction(0),
                "<p>Because the lesson says so.</p>",
                "intro",
                tuple(keys[layout[0]["id"]]["correct"]),
            ),
            grading.QuestionGrade(
                layout[1]["id"], Fraction(0), "<p>Because the lesson says so.</p>", "", ()
            ),
        ),
        pass_mark_percent=50,
    )
    assert (grade.score, grade.passed, grade.review_sections()) == (0, False, ["intro"])


def test_result_objects_default_to_no_feedback_and_derive_the_score():
    bare = grading.QuestionGrade("q1", Fraction(1, 2))
    assert (bare.explanation, bare.review_section, bare.correct_ids) == ("", "", ())
    with pytest.raises(TypeError):
        grading.AttemptGrade(questions=(bare,), pass_mark_percent=50, score=Fraction(1))


def test_label_sample_image_is_shown_by_its_id():
    block = label_item(sample_text="")
    block["value"]["sample_image"] = 7
    layout, _ = freeze(block)
    assert (layout[0]["sample_text"], layout[0]["sample_image_id"]) == ("", 7)


def test_score_is_an_exact_fraction_even_with_no_questions():
    assert isinstance(grading.grade_attempt([], {}, {}, pass_mark_percent=50).score, Fraction)
