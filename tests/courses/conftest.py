"""Course fixtures: a two-module course and an enrolled fellow."""

import pytest

from tests.factories.courses import make_course_with_modules


@pytest.fixture
def course_two(site_root):
    course, modules = make_course_with_modules(site_root, modules=2, questions=3)
    return course, modules


@pytest.fixture
def enrolled(fellow, course_two):
    from courses import services

    services.check_enrol(fellow, course_two[0])
    return fellow


def right_answers(attempt):
    """Answers that get every frozen single-choice question right (from the server key)."""
    return {q["id"]: attempt.answer_key[q["id"]]["correct"][0] for q in attempt.layout}


def wrong_answers(attempt):
    out = {}
    for q in attempt.layout:
        correct = set(attempt.answer_key[q["id"]]["correct"])
        out[q["id"]] = next(c["id"] for c in q["choices"] if c["id"] not in correct)
    return out
