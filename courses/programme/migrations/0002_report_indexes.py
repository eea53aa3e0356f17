"""Indexes the Programme reports' aggregates use, on the courses app's progress tables.

They live here, with the queries that need them, rather than in the courses models: the
learning flow itself never filters by these columns. Plain CREATE INDEX works on
PostgreSQL and SQLite alike; bench/bench_reports.py prints whether the plans use them.
"""

from django.db import migrations

INDEXES = {
    # Quiz summary and item analysis: one quiz's graded attempts in a date range.
    "programme_attempt_module_state_submitted": (
        "courses_quizattempt",
        "module_id, state, submitted_at",
    ),
    # "Active in the last 7 days": attempts at a course's quizzes started recently.
    "programme_attempt_module_started": ("courses_quizattempt", "module_id, started_at"),
    # Enrolments and completions of a course in a date range.
    "programme_enrolment_course_enrolled": ("courses_enrolment", "course_id, enrolled_at"),
    "programme_completion_course_completed": (
        "courses_coursecompletion",
        "course_id, completed_at",
    ),
}

operations = [
    migrations.RunSQL(
        sql=f"CREATE INDEX IF NOT EXISTS {name} ON {table} ({columns})",
        reverse_sql=f"DROP INDEX IF EXISTS {name}",
    )
    for name, (table, columns) in INDEXES.items()
]


class Migration(migrations.Migration):
    dependencies = [
        ("programme", "0001_initial"),
        ("courses", "0003_image_help_text"),
    ]

    operations = operations
