"""Seed PostgreSQL with a programme at scale: fellows, courses, enrolments, attempts.

    DATABASE_URL=postgres://... .venv/bin/python bench/seed_programme.py [FELLOWS]

Seeds the database DATABASE_URL names (migrated first), for the reports to be tried on:
BENCH_FELLOWS fellows (default 100,000), 10 courses of 5 quiz modules (3 attempts
each, 5 questions drawn from a pool of 6), and about 20 attempts per fellow (2,000,000
at the default), with the enrolments, module passes and completions those attempts
imply. Rows go in through psycopg's COPY (`cursor.copy()`). Fellows differ in ability, and
the first question of every quiz is deliberately broken (strong fellows tend to miss it),
so the item analysis has something to flag. Deterministic for a given scale (seeded RNG).
bench/bench_reports.py calls `seed()` on a throwaway database.
"""

from __future__ import annotations

import json
import os
import random
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lms.settings.dev")

COURSES = 10
MODULES = 5
POOL = 6
DRAWN = 5
MAX_ATTEMPTS = 3
PASS_MARK = 80
VARIANTS = 40  # frozen layouts per quiz, reused across attempts
ATTEMPTS_PER_FELLOW = 20
SPAN_DAYS = 365


def build_curriculum():
    """10 courses of 5 quiz modules, through the same factories the tests use."""
    from courses.models import CourseIndexPage
    from tests.factories.courses import make_catalogue, make_course, make_module, single_choice

    index = CourseIndexPage.objects.first() or make_catalogue(slug="bench-programme")
    courses = []
    for c in range(COURSES):
        course = make_course(index, title=f"Bench course {c + 1}")
        modules = []
        for m in range(MODULES):
            pool = [
                single_choice(
                    prompt=f"Question {q + 1}",
                    choices=(
                        (f"Right {q + 1}", True),
                        (f"Wrong {q + 1}", False),
                        (f"Other {q + 1}", False),
                    ),
                )
                for q in range(POOL)
            ]
            modules.append(
                make_module(
                    course,
                    title=f"Module {m + 1} of course {c + 1}",
                    questions=pool,
                    max_attempts=MAX_ATTEMPTS,
                    questions_per_attempt=DRAWN,
                    pass_mark_percent=PASS_MARK,
                    shuffle_questions=True,
                    shuffle_choices=True,
                )
            )
        courses.append((course, modules))
    return courses


def frozen_variants(module, rng: random.Random) -> list[dict]:
    """A few attempt layouts per quiz, frozen by courses.grading as a real attempt is."""
    from courses import grading

    variants = []
    for _ in range(VARIANTS):
        layout, key = grading.freeze_quiz(
            module.quiz_questions.raw_data, draw=DRAWN, rng=rng, shuffle_questions=True
        )
        blocks = [b["id"] for b in module.quiz_questions.raw_data]
        questions = []
        for q in layout:
            k = key[q["id"]]
            wrong = [c["id"] for c in q["choices"] if c["id"] not in k["correct"]]
            broken = k["block_id"] == blocks[0]
            questions.append((q["id"], k["correct"][0], wrong, broken))
        variants.append(
            {"layout": json.dumps(layout), "key": json.dumps(key), "questions": questions}
        )
    return variants


def _copy(cursor, table: str, columns: list[str], rows) -> int:
    count = 0
    with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)
            count += 1
    return count


def _attempt_outcome(rng, ability: float, variant: dict):
    answers, grades, right = {}, {}, 0
    for qid, correct, wrong, broken in variant["questions"]:
        # A broken question: its "correct" option is the one strong fellows doubt.
        p = 0.85 - 0.6 * ability if broken else 0.45 + 0.5 * ability
        ok = rng.random() < p
        # On the broken question nobody picks the last wrong option: a second flag.
        answers[qid] = correct if ok else wrong[0 if broken or rng.random() < 0.7 else 1]
        grades[qid] = {"credit": 1.0 if ok else 0.0, "correct": ok, "partial": False}
        right += ok
    percent = round(100 * right / len(variant["questions"]), 2)
    grade = {
        "score": str(right),
        "max_score": len(variant["questions"]),
        "questions": grades,
        "review_sections": [],
    }
    return json.dumps(answers), json.dumps(grade), percent, percent >= PASS_MARK


def seed(fellows: int, *, attempts_per_fellow: int = ATTEMPTS_PER_FELLOW, out=print) -> dict:
    """Seed the current database (PostgreSQL). Returns the row counts."""
    from django.db import connection, transaction

    if connection.vendor != "postgresql":
        raise SystemExit("seed_programme needs PostgreSQL (COPY): set DATABASE_URL.")
    rng = random.Random(12)
    started = time.perf_counter()
    courses = build_curriculum()
    variants = {m.pk: frozen_variants(m, rng) for _, modules in courses for m in modules}
    now = datetime.now(UTC).replace(microsecond=0)
    origin = now - timedelta(days=SPAN_DAYS)
    counts = {"fellows": fellows, "enrolments": 0, "attempts": 0, "passes": 0, "completions": 0}
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT COALESCE(MAX(id), 0) FROM accounts_user")
        first_user = cursor.fetchone()[0] + 1
        cursor.execute("SELECT COALESCE(MAX(id), 0) FROM courses_quizattempt")
        next_attempt = cursor.fetchone()[0] + 1
        _copy(
            cursor,
            "accounts_user",
            [
                "id", "password", "is_superuser", "first_name", "last_name", "is_staff",
                "is_active", "date_joined", "email", "display_name", "show_scores_on_badges",
            ],
            (
                (first_user + i, "!", False, "", "", False, True, origin,
                 f"fellow{i}@bench.example.org", f"Bench Fellow {i}", False)
                for i in range(fellows)
            ),
        )  # fmt: skip
        enrolments, passes, completions = [], [], []

        def attempts():
            nonlocal next_attempt
            target = attempts_per_fellow
            for i in range(fellows):
                user_id = first_user + i
                ability = rng.random()
                made = 0
                for course, modules in rng.sample(courses, len(courses)):
                    if made >= target:
                        break
                    at = origin + timedelta(seconds=rng.randrange(SPAN_DAYS * 86400 - 86400 * 30))
                    enrolments.append((user_id, course.pk, at))
                    scores = []
                    for module in modules:
                        passed_module = False
                        for number in range(1, MAX_ATTEMPTS + 1):
                            at += timedelta(hours=rng.randrange(1, 72))
                            variant = variants[module.pk][rng.randrange(VARIANTS)]
                            answers, grade, percent, passed = _attempt_outcome(
                                rng, ability, variant
                            )
                            yield (
                                next_attempt, uuid.UUID(int=rng.getrandbits(128), version=4),
                                user_id, module.pk, number, "submitted", variant["layout"],
                                variant["key"], PASS_MARK, answers, grade, percent, passed, at,
                                None, at + timedelta(minutes=rng.randrange(2, 20)),
                            )  # fmt: skip
                            made += 1
                            if passed:
                                passes.append((user_id, module.pk, next_attempt, percent, at))
                                scores.append(
                                    {"module_id": module.pk, "title": module.title,
                                     "score_percent": percent}
                                )  # fmt: skip
                                passed_module = True
                            next_attempt += 1
                            if passed:
                                break
                        # Some fellows stop here: out of attempts, or simply gone quiet.
                        if not passed_module or rng.random() < 0.08:
                            break
                    if len(scores) == len(modules):
                        completions.append((user_id, course.pk, at, json.dumps(scores)))

        counts["attempts"] = _copy(
            cursor,
            "courses_quizattempt",
            [
                "id", "public_id", "user_id", "module_id", "attempt_number", "state", "layout",
                "answer_key", "pass_mark_percent", "answers", "grade", "score_percent", "passed",
                "started_at", "deadline", "submitted_at",
            ],
            attempts(),
        )  # fmt: skip
        counts["enrolments"] = _copy(
            cursor, "courses_enrolment", ["user_id", "course_id", "enrolled_at"], enrolments
        )
        counts["passes"] = _copy(
            cursor,
            "courses_modulepass",
            ["user_id", "module_id", "attempt_id", "score_percent", "passed_at"],
            passes,
        )
        counts["completions"] = _copy(
            cursor,
            "courses_coursecompletion",
            ["user_id", "course_id", "completed_at", "module_scores"],
            completions,
        )
        for table in ("accounts_user", "courses_quizattempt"):
            cursor.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), MAX(id)) FROM {table}"  # noqa: S608
            )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    counts["seconds"] = round(time.perf_counter() - started, 1)
    out(
        "seeded {fellows} fellows, {enrolments} enrolments, {attempts} attempts, "
        "{passes} module passes, {completions} completions in {seconds} s".format(**counts)
    )
    return counts


def main() -> int:
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    fellows = (
        int(sys.argv[1]) if len(sys.argv) > 1 else int(os.environ.get("BENCH_FELLOWS", 100_000))
    )
    seed(fellows)
    return 0


if __name__ == "__main__":
    sys.exit(main())
