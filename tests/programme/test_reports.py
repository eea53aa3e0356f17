"""The Programme reports in the admin: who may see them, filters, empty states, CSV."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission

from courses.programme.models import Cohort, CohortMembership
from tests.factories.courses import make_course, make_module, single_choice_pool
from tests.programme.conftest import enrol, make_fellow, take_quiz, verified_client

pytestmark = pytest.mark.django_db

RANGE = "start=2026-01-01&end=2026-02-28"


@pytest.fixture
def quiz(site_root):
    course = make_course(site_root, title="Preference ranking")
    module = make_module(course, title="Rank two answers", questions=single_choice_pool(2))
    return course, module


@pytest.fixture
def taken(quiz):
    course, module = quiz
    fellow = make_fellow("=cmd@example.org")
    enrol(fellow, course, days_before=20)
    take_quiz(fellow, module, passing=True, days_before=10)
    return fellow


def report_urls(course, module):
    return [
        "/admin/programme/reports/",
        f"/admin/programme/reports/courses/{course.pk}/",
        f"/admin/programme/reports/quizzes/{module.pk}/",
    ]


def test_reports_render_with_filters_and_same_numbers_in_table_and_chart(
    verified_staff_client, quiz, taken
):
    course, module = quiz
    cohort = Cohort.objects.create(name="Intake 1")
    CohortMembership.objects.create(cohort=cohort, user=taken)
    for url in report_urls(course, module):
        page = verified_staff_client.get(f"{url}?{RANGE}&cohort={cohort.pk}")
        assert page.status_code == 200, url
        html = page.content.decode()
        assert "chart.umd.min.js" in html and 'data-programme-chart="' in html
        assert "<table" in html
    quiz_page = verified_staff_client.get(f"/admin/programme/reports/quizzes/{module.pk}/?{RANGE}")
    html = quiz_page.content.decode()
    # One fellow, one passing attempt: 1 of 1, both questions right every time.
    assert "1 of 1" in html and "Question 1" in html and "100%" in html
    funnel = verified_staff_client.get(f"/admin/programme/reports/courses/{course.pk}/?{RANGE}")
    assert funnel.context["rows"][0].passed_first_try == 1
    assert funnel.context["chart"]["datasets"][2]["data"] == [1]


def test_empty_states(verified_staff_client, quiz):
    course, module = quiz
    html = verified_staff_client.get(
        f"/admin/programme/reports/quizzes/{module.pk}/?{RANGE}"
    ).content.decode()
    assert "No attempts in this range yet." in html
    html = verified_staff_client.get(
        f"/admin/programme/reports/courses/{course.pk}/?{RANGE}"
    ).content.decode()
    assert "No enrolments in this range yet." in html


@pytest.mark.parametrize(
    "query",
    [
        "start=2026-13-01",
        "start=yesterday",
        "start=2026-03-01&end=2026-02-01",
        "end=9999-12-31",
        "cohort=999999",
        "cohort=abc",
    ],
)
def test_bad_filters_are_form_errors(verified_staff_client, quiz, query):
    course, module = quiz
    for url in report_urls(course, module):
        for fmt in ("", "&format=csv"):
            response = verified_staff_client.get(f"{url}?{query}{fmt}")
            assert response.status_code == 400, (url, query)
            assert "Fix the dates above" in response.content.decode()


def test_unknown_course_or_quiz_is_404(verified_staff_client):
    assert verified_staff_client.get("/admin/programme/reports/courses/999999/").status_code == 404
    assert verified_staff_client.get("/admin/programme/reports/quizzes/999999/").status_code == 404


def test_fellow_and_staff_without_the_permission_are_refused(
    client, fellow, staff_without_reports, quiz, taken
):
    course, module = quiz
    client.force_login(fellow)
    for url in report_urls(course, module):
        response = client.get(f"{url}?format=csv")
        assert response.status_code in (302, 403)
        assert b"cmd@example.org" not in b"".join(getattr(response, "streaming_content", [b""]))
    client.logout()
    staff = verified_client(client, staff_without_reports)
    for url in report_urls(course, module):
        assert staff.get(url).status_code == 403
        assert staff.get(f"{url}?format=fellows").status_code == 403
    # The menu does not offer what the user may not open.
    assert "/admin/programme/reports/" not in staff.get("/admin/").content.decode()
    staff_without_reports.groups.first().permissions.add(
        Permission.objects.get(codename="view_reports")
    )
    assert staff.get(report_urls(course, module)[0]).status_code == 200


def test_csv_exports_stream_and_escape(verified_staff_client, quiz, taken):
    course, module = quiz
    base = f"/admin/programme/reports/courses/{course.pk}/?{RANGE}"
    fellows = verified_staff_client.get(base + "&format=fellows")
    assert fellows.streaming and fellows["Content-Type"] == "text/csv"
    lines = b"".join(fellows.streaming_content).decode().splitlines()
    assert lines[0].startswith('"email","name","enrolled_at","modules_passed"')
    # The fellow's address starts with "=": written as text, not a formula.
    assert lines[1].startswith('"\'=cmd@example.org"')
    assert len(lines) == 2
    funnel = b"".join(verified_staff_client.get(base + "&format=csv").streaming_content).decode()
    assert funnel.splitlines()[1] == '"Rank two answers","1","1","1","1","0"'
    quiz_csv = verified_staff_client.get(
        f"/admin/programme/reports/quizzes/{module.pk}/?{RANGE}&format=csv"
    )
    rows = b"".join(quiz_csv.streaming_content).decode().splitlines()
    # Two questions of three options each, one row per option.
    assert len(rows) == 1 + 6 and '"Right 1","yes","1"' in rows[1]
    attempts = verified_staff_client.get(
        f"/admin/programme/reports/quizzes/{module.pk}/?{RANGE}&format=attempts"
    )
    rows = b"".join(attempts.streaming_content).decode().splitlines()
    assert len(rows) == 2 and '"submitted","100.00","yes"' in rows[1]
    overview = b"".join(
        verified_staff_client.get(f"/admin/programme/reports/?{RANGE}&format=csv").streaming_content
    ).decode()
    # Enrolled 20 days before the end, passed the only quiz 10 days before (plus the five
    # minutes the attempt took): one completion, after 10 days and 5 minutes.
    assert '"Preference ranking","1","0","1","10.003"' in overview


def test_exports_name_fellows_without_their_address_for_roles_that_do_not_write_to_them(
    client, staff_without_reports, quiz, taken
):
    """The reports permission alone shows names; addresses need "view fellow e-mail"
    (the Programme admin and Badge officer roles have it)."""
    course, module = quiz
    staff_without_reports.groups.first().permissions.add(
        Permission.objects.get(codename="view_reports")
    )
    staff = verified_client(client, staff_without_reports)
    exports = [
        f"/admin/programme/reports/courses/{course.pk}/?{RANGE}&format=fellows",
        f"/admin/programme/reports/quizzes/{module.pk}/?{RANGE}&format=attempts",
    ]
    for url in exports:
        lines = b"".join(staff.get(url).streaming_content).decode().splitlines()
        assert lines[0].startswith('"name",') and "email" not in lines[0], url
        assert "cmd@example.org" not in "\n".join(lines), url
        assert len(lines) == 2, url
    staff_without_reports.groups.first().permissions.add(
        Permission.objects.get(codename="view_fellow_email")
    )
    for url in exports:
        lines = b"".join(staff.get(url).streaming_content).decode().splitlines()
        assert lines[0].startswith('"email","name",') and "'=cmd@example.org" in lines[1], url
