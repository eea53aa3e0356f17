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
