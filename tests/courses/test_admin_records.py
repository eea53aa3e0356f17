"""The admin shows learning records read-only."""

import pytest

from courses import services
from courses.models import QuizAttempt
from tests.support.courses import wrong_answers

pytestmark = pytest.mark.django_db


def test_attempts_are_listed_and_inspectable_but_not_editable(
    verified_staff_client, enrolled, course_two
):
    attempt = services.start_attempt(enrolled, course_two[1][0])
    services.submit_attempt(attempt, wrong_answers(attempt))
    listing = verified_staff_client.get("/admin/quiz-attempts/")
    assert listing.status_code == 200 and enrolled.display_name in listing.content.decode()
    inspect = verified_staff_client.get(f"/admin/quiz-attempts/inspect/{attempt.pk}/")
    assert inspect.status_code == 200
    assert verified_staff_client.get("/admin/quiz-attempts/new/").status_code in (302, 403)
    edit = verified_staff_client.post(
        f"/admin/quiz-attempts/edit/{attempt.pk}/", {"score_percent": "100"}
    )
    assert edit.status_code in (302, 403)
    delete = verified_staff_client.post(f"/admin/quiz-attempts/delete/{attempt.pk}/")
    assert delete.status_code in (302, 403)
    row = QuizAttempt.objects.get(pk=attempt.pk)
    assert row.score_percent == 0
    assert verified_staff_client.get("/admin/enrolments/").status_code == 200
    assert verified_staff_client.get("/admin/completions/").status_code == 200


def test_records_download_as_csv_with_columns_streamed_and_formula_safe(
    verified_staff_client, course_two
):
    from django.contrib.auth import get_user_model

    course, modules = course_two
    fellow = get_user_model().objects.create_user(
        email="+sum@example.org", password=None, display_name="Plus"
    )
    services.check_enrol(fellow, course)
    attempt = services.start_attempt(fellow, modules[0])
    services.submit_attempt(attempt, wrong_answers(attempt))
    response = verified_staff_client.get("/admin/quiz-attempts/?export=csv")
    assert response.streaming
    lines = b"".join(response.streaming_content).decode().splitlines()
    assert lines[0] == (
        '"Fellow","Module","Attempt number","State","Score percent","Passed",'
        '"Started at","Submitted at"'
    )
    assert lines[1].startswith(f'"\'+sum@example.org","{modules[0].title}","1","submitted"')
    enrolments = verified_staff_client.get("/admin/enrolments/?export=csv")
    rows = b"".join(enrolments.streaming_content).decode().splitlines()
    assert rows[0].startswith('"Fellow","Course"') and len(rows) == 2
    completions = verified_staff_client.get("/admin/completions/?export=csv")
    assert b"".join(completions.streaming_content).decode().startswith('"Fellow","Course"')
    # The workbook would be built in memory: not offered.
    assert verified_staff_client.get("/admin/quiz-attempts/?export=xlsx").status_code == 404
    listing = verified_staff_client.get("/admin/quiz-attempts/").content.decode()
    assert "export=csv" in listing and "export=xlsx" not in listing
