"""A quiz sent with questions unanswered: each question's error is tied to what it is
about, so a screen reader reads it with the field (the browser journey in
tests/browser/test_keyboard_and_errors.py checks the same in Chromium)."""

import re

import pytest
from django.urls import reverse

from courses import services
from tests.factories.courses import make_course, make_module, short_text, single_choice

pytestmark = pytest.mark.django_db


def test_unanswered_questions_are_described_by_their_errors(client, site_root, fellow):
    course = make_course(site_root)
    module = make_module(course, questions=[single_choice(), short_text()])
    services.check_enrol(fellow, course)
    client.force_login(fellow)
    attempt_url = client.post(reverse("courses:start_quiz", args=[module.pk]))["Location"]

    html = client.post(attempt_url, {}).content.decode()

    assert 'role="alert"' in html
    described = re.findall(r'<(fieldset|input)[^>]*aria-describedby="([^"]+)"', html)
    # Each question (its group) and the typed answer's own box.
    assert [tag for tag, _ in described] == ["fieldset", "fieldset", "input"]
    for _, error_id in described:
        error = re.search(rf'<ul class="errorlist" id="{re.escape(error_id)}">(.*?)</ul>', html)
        assert error and "Answer this question." in error.group(1), error_id
    assert re.search(r'<input type="text"[^>]*aria-invalid="true"', html)
