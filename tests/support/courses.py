"""Completing a course the way a fellow does: answers read from an attempt's frozen key, and
the whole course through courses.services."""

from __future__ import annotations

from courses import services
from courses.demo.versions import right_answer  # noqa: F401 - the tests' import path

ZH = "zh-hant"


def zh_locale():
    from wagtail.models import Locale

    return Locale.objects.get(language_code=ZH)


def translate(page, **fields):
    """The Traditional Chinese translation an author makes with simple_translation's
    "Translate", then edits and publishes."""
    from courses.models import ModulePage

    copy = page.specific.copy_for_translation(zh_locale())
    copy.title = fields.pop("title", f"{page.title}（中文）")
    for name, value in fields.items():
        setattr(copy, name, value)
    copy.save_revision().publish()
    return ModulePage.objects.get(pk=copy.pk) if isinstance(copy, ModulePage) else copy.specific


def complete_course(user, course) -> None:
    """Enrol `user`, then start and pass every module's quiz in order. The last pass
    records the course completion (and asks certificates for the badge) in the service's
    own transaction."""
    services.check_enrol(user, course)
    for module in course.get_modules():
        if not module.quiz_questions:
            continue
        attempt = services.start_attempt(user, module)
        answers = {q["id"]: right_answer(q, attempt.answer_key[q["id"]]) for q in attempt.layout}
        outcome = services.submit_attempt(attempt, answers)
        assert outcome.attempt.passed, (module.slug, outcome.attempt.grade)


def right_answers(attempt) -> dict:
    """Answers that get every frozen single-choice question right (from the server key)."""
    return {q["id"]: attempt.answer_key[q["id"]]["correct"][0] for q in attempt.layout}


def wrong_answers(attempt) -> dict:
    """A wrong choice for every frozen single-choice question."""
    out = {}
    for q in attempt.layout:
        correct = set(attempt.answer_key[q["id"]]["correct"])
        out[q["id"]] = next(c["id"] for c in q["choices"] if c["id"] not in correct)
    return out
