"""What the soak run starts from, made in one Django process under its settings: a course,
its badge design, the cohort's accounts, and a few alumni whose badges verifiers look up.

    python -m bench.soak_seed FELLOWS ALUMNI MODULES QUESTIONS FLOOR_USERS

prints one JSON object: the course's id, each module's id and path, the accounts' e-mail
addresses and their password. Every choice of the course's questions is labelled "Right
..." or "Wrong ...", so a simulated fellow answers from the page as one who knows the
material would, without reading the answer key.
"""

import json
import sys
import uuid

import django

django.setup()

from django.contrib.auth.hashers import make_password  # noqa: E402
from django.db import transaction  # noqa: E402

from lms.accounts.models import User  # noqa: E402
from tests.factories.certificates import make_badge_design  # noqa: E402
from tests.factories.courses import make_catalogue, make_course, make_module  # noqa: E402
from tests.support.courses import complete_course  # noqa: E402

PASSWORD = "soak-run correct horse battery staple"  # noqa: S105 - throwaway accounts
PASS_MARK_PERCENT = 75


def question(module: int, number: int) -> dict:
    choices = [("Right", True), ("Wrong", False), ("Also wrong", False), ("Not this", False)]
    return {
        "type": "single_choice",
        "id": str(uuid.uuid4()),
        "value": {
            "prompt": f"<p>Module {module}, question {number}: which statement holds?</p>",
            "explanation": f"<p>Section {number} of the lesson explains it.</p>",
            "review_section": "",
            "choices": [
                {"text": f"{label} answer {module}.{number}", "is_correct": correct}
                for label, correct in choices
            ],
        },
    }


def lesson(module: int) -> list[dict]:
    paragraph = (
        "<p>A demonstration shows the model the answer an expert would give, with the "
        "reasoning spelled out, so the model learns the steps as well as the result.</p>"
    )
    return [
        {"type": "heading", "value": {"text": f"Part {module}", "anchor": f"part-{module}"}},
        *({"type": "paragraph", "value": paragraph} for _ in range(6)),
    ]


def accounts(prefix: str, count: int, password_hash: str) -> list[str]:
    users = [
        User(email=f"{prefix}{n}@soak.example.org", display_name=f"Soak {prefix.title()} {n}")
        for n in range(count)
    ]
    for user in users:
        user.password = password_hash  # one PBKDF2 hash for all: creating them stays fast
    User.objects.bulk_create(users, batch_size=1000)
    return [user.email for user in users]


def main(fellows: int, alumni: int, modules: int, questions: int, floor_users: int) -> dict:
    with transaction.atomic():
        index = make_catalogue(slug="soak-courses")
        course = make_course(index, title="Working with reward models", slug="reward-models")
        pages = [
            make_module(
                course,
                title=f"Module {m + 1}",
                slug=f"module-{m + 1}",
                body=lesson(m + 1),
                questions=[question(m + 1, q + 1) for q in range(questions)],
                pass_mark_percent=PASS_MARK_PERCENT,
                shuffle_questions=True,
                shuffle_choices=True,
            )
            for m in range(modules)
        ]
        make_badge_design(course)
        password_hash = make_password(PASSWORD)
        fellow_emails = accounts("fellow", fellows, password_hash)
        floor_emails = accounts("floor", floor_users, password_hash)
        alumni_emails = accounts("alumnus", alumni, password_hash)
    # Each alumnus completes in its own transaction, so each badge's render is queued on
    # that commit, to the run's workers.
    for user in User.objects.filter(email__in=alumni_emails):
        complete_course(user, course)
    return {
        "course_id": course.pk,
        "modules": [{"id": page.pk, "path": page.get_url()} for page in pages],
        "fellows": fellow_emails,
        "floor_users": floor_emails,
        "alumni": alumni_emails,
        "password": PASSWORD,
    }


if __name__ == "__main__":
    print(json.dumps(main(*(int(arg) for arg in sys.argv[1:6]))))
