"""What a result page shows of the right answers, under each answer-reveal policy.

The leak test checks the HTML against the attempt's stored answer key, question type by
question type: under the default policy a fellow who failed sees no right option's text,
no accepted answer and no target number anywhere in the page.
"""

import re

import pytest
from django.urls import reverse

from courses import grading, services
from courses.models import ModulePage, QuizAttempt
from tests.factories.courses import (
    label_item,
    make_course,
    make_module,
    multiple_select,
    preference,
    short_number,
    short_text,
    single_choice,
    single_choice_pool,
    true_false,
)
from tests.support.courses import wrong_answers

# --- The rule on plain values ------------------------------------------------------------


@pytest.mark.parametrize(
    ("policy", "passed", "out", "shown"),
    [
        ("never", True, False, False),
        ("never", False, True, False),
        ("after_passing", True, False, True),
        ("after_passing", False, False, False),
        ("after_passing", False, True, False),
        ("after_last_attempt", True, False, True),
        ("after_last_attempt", False, False, False),
        ("after_last_attempt", False, True, True),
        ("always", False, False, True),
        ("no-such-policy", True, True, False),
    ],
)
def test_may_reveal_answers(policy, passed, out, shown):
    assert grading.may_reveal_answers(policy, passed=passed, out_of_attempts=out) is shown


def test_existing_and_new_quizzes_default_to_after_passing():
    assert ModulePage._meta.get_field("answer_reveal").default == "after_passing"


# --- Through the pages -------------------------------------------------------------------


def every_type_pool():
    """One question of each of the six types, with right answers no other text contains."""
    return [
        single_choice(
            prompt="Pick one",
            choices=(("GOLD-SINGLE-ORCHID", True), ("Decoy one", False), ("Decoy two", False)),
        ),
        multiple_select(
            prompt="Pick some",
            choices=(
                ("GOLD-MULTI-HERON", True),
                ("GOLD-MULTI-EGRET", True),
                ("Decoy three", False),
            ),
        ),
        true_false(prompt="A statement to judge.", correct=True),
        short_text(prompt="Name the thing", accepted=("Quillwort Tensor", "QWT")),
        short_number(prompt="How many?", number=7319.25, tolerance=0.5),
        preference(prompt="Which response is better?", gold=1),
        label_item(
            prompt="Label this sample",
            labels=(("GOLD-LABEL-MARMOT", True), ("Decoy label", False)),
        ),
    ]


def wrong_for_every_type(attempt):
    answers = {}
    for q in attempt.layout:
        key = attempt.answer_key[q["id"]]
        kind = q["type"]
        if kind == "true_false":
            answers[q["id"]] = not key["correct"]
        elif kind == "short_answer":
            answers[q["id"]] = "1" if key["match"] == "number" else "something else"
        else:
            wrong = next(c["id"] for c in q["choices"] if c["id"] not in key["correct"])
            if kind == "multiple_select":
                answers[q["id"]] = [wrong]
            elif kind == "preference_ranking":
                answers[q["id"]] = {"choice": wrong, "rationale": "Because it reads better."}
            else:
                answers[q["id"]] = wrong
    return answers


def key_texts(attempt) -> dict[str, list[str]]:
    """Per question type, every piece of text that would give the answer away, read from
    the attempt's stored key (not from the factory)."""
    leaks: dict[str, list[str]] = {}
    for q in attempt.layout:
        key = attempt.answer_key[q["id"]]
        kind = q["type"]
        if kind == "short_answer" and key["match"] == "number":
            texts = [str(key["number"]), str(int(key["number"]))]
        elif kind == "short_answer":
            texts = list(key["accepted"])
        elif kind == "true_false":
            texts = ["True" if key["correct"] else "False"]
        else:
            chosen = [c for c in q["choices"] if c["id"] in key["correct"]]
            texts = [c["text"] for c in chosen]
            if kind == "preference_ranking":
                texts += [c["label"] for c in chosen]
        leaks.setdefault(kind, []).extend(texts)
    return leaks


def review_items(html: str) -> list[str]:
    return re.findall(
        r'<li class="review-item.*?</li>\s*(?=<li class="review-item|</ol>)', html, re.S
    )


@pytest.fixture
def every_type_module(site_root, fellow):
    course = make_course(site_root)
    module = make_module(course, questions=every_type_pool(), max_attempts=3)
    services.check_enrol(fellow, course)
    return module


def failed_result_html(client, fellow, module):
    attempt = services.start_attempt(fellow, module)
    services.submit_attempt(attempt, wrong_for_every_type(attempt))
    client.force_login(fellow)
    response = client.get(reverse("courses:attempt_result", args=[attempt.public_id]))
    assert response.status_code == 200
    return QuizAttempt.objects.get(pk=attempt.pk), response.content.decode()


@pytest.mark.django_db
def test_a_failed_attempt_shows_no_right_answer_of_any_type_by_default(
    client, fellow, every_type_module
):
    attempt, html = failed_result_html(client, fellow, every_type_module)
    assert not attempt.passed and attempt.score_percent == 0
    leaks = key_texts(attempt)
    assert set(leaks) == set(grading.QUESTION_TYPES)  # all six types are checked
    # What the fellow is told: score, what they missed, explanations, what to review.
    assert "You scored 0%" in html and html.count("status--failed") >= len(attempt.layout)
    assert "Because the lesson says so." in html
    assert "Expected:" not in html
    folded = html.casefold()
    for kind, texts in leaks.items():
        if kind == "true_false":
            continue  # "True" is an ordinary word; checked per question below
        for text in texts:
            assert text.casefold() not in folded, (kind, text)
    items = review_items(html)
    assert len(items) == len(attempt.layout)
    for q, item in zip(attempt.layout, items, strict=True):
        if q["type"] == "true_false":
            assert "True" not in item and "False" not in item


@pytest.mark.django_db
def test_the_same_check_finds_every_answer_when_the_policy_is_always(
    client, fellow, every_type_module
):
    # The leak test above can fail: with "always" the key's texts are all on the page.
    every_type_module.answer_reveal = "always"
    every_type_module.save(update_fields=["answer_reveal"])
    attempt, html = failed_result_html(client, fellow, every_type_module)
    for kind, texts in key_texts(attempt).items():
        shown = [t for t in texts if t.casefold() in html.casefold()]
        assert shown, kind
    assert html.count("Expected:") == len(attempt.layout)


# Each policy in each case. The page looked at is always the first (failed) attempt's
# review, so there is a missed question whose answer could be shown.
CASES = {
    # case: (policy -> shown)
    "passed": {"never": False, "after_passing": True, "after_last_attempt": True, "always": True},
    "failed, attempts left": {
        "never": False,
        "after_passing": False,
        "after_last_attempt": False,
        "always": True,
    },
    "failed, last attempt": {
        "never": False,
        "after_passing": False,
        "after_last_attempt": True,
        "always": True,
    },
}


@pytest.mark.django_db
@pytest.mark.parametrize("case", list(CASES))
@pytest.mark.parametrize("policy", ["never", "after_passing", "after_last_attempt", "always"])
def test_each_policy_in_each_case(client, site_root, fellow, case, policy):
    from tests.support.courses import right_answers

    course = make_course(site_root)
    module = make_module(
        course, questions=single_choice_pool(3), max_attempts=2, answer_reveal=policy
    )
    services.check_enrol(fellow, course)
    first = services.start_attempt(fellow, module)
    services.submit_attempt(first, wrong_answers(first))
    if case != "failed, attempts left":
        second = services.start_attempt(fellow, module)
        answers = right_answers(second) if case == "passed" else wrong_answers(second)
        services.submit_attempt(second, answers)
    client.force_login(fellow)
    html = client.get(reverse("courses:attempt_result", args=[first.public_id])).content.decode()
    shown = CASES[case][policy]
    assert ("Expected: Right 1" in html) is shown, html
    assert ("Right 2" in html) is shown and ("Right 3" in html) is shown
    # Whatever the policy: the explanation and the section to review.
    assert "Explanation 1" in html and "Not passed" in html
