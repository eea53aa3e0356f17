"""F7(b): the database connection dies inside a quiz submission."""

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse

from courses import services
from courses.models import ModulePass, QuizAttempt
from tests.factories.courses import make_course, make_module
from tests.support.courses import right_answers

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_connection_killed_mid_submit_rolls_back_and_resubmit_works(site_root, fellow, monkeypatch):
    course = make_course(site_root)
    module = make_module(course)
    services.check_enrol(fellow, course)
    attempt = services.start_attempt(fellow, module)
    url = reverse("courses:attempt", args=[attempt.public_id])
    real_record_pass = services._record_pass

    def die(*args, **kwargs):
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_terminate_backend(pg_backend_pid())")

    monkeypatch.setattr(services, "_record_pass", die)
    client = Client(raise_request_exception=False)
    client.force_login(fellow)
    response = client.post(url, right_answers(attempt))
    assert response.status_code == 500
    assert "Traceback" not in response.content.decode()
    # What the next request's start does (the test client skips it): drop the dead link.
    connection.close_if_unusable_or_obsolete()
    row = QuizAttempt.objects.get(pk=attempt.pk)
    assert row.state == QuizAttempt.State.IN_PROGRESS and row.score_percent is None
    assert not ModulePass.objects.exists()

    monkeypatch.setattr(services, "_record_pass", real_record_pass)
    response = client.post(url, right_answers(attempt))
    assert response.status_code == 303
    assert QuizAttempt.objects.get(pk=attempt.pk).passed
    assert ModulePass.objects.filter(user=fellow, module=module).count() == 1
