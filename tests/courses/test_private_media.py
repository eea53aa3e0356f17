"""docs/threats.md, row P6: files uploaded in the admin are not public by accident."""

import pytest
from django.core.files.base import ContentFile
from django.test import Client
from wagtail.documents.models import Document

from courses.blocks import LESSON_RICH_TEXT_FEATURES

pytestmark = pytest.mark.django_db


@pytest.fixture
def answer_key():
    document = Document(title="Quiz 1 answer key")
    document.file.save("answer-key.txt", ContentFile(b"1: B, 2: D"), save=False)
    document.save()
    return document


def test_documents_are_served_to_the_course_team_only(answer_key, fellow, verified_staff_client):
    url = answer_key.url
    client = Client()  # verified_staff_client is the "client" fixture, signed in
    anonymous = client.get(url)
    assert anonymous.status_code == 302 and anonymous["Location"].startswith("/accounts/login/")
    client.force_login(fellow)
    assert client.get(url).status_code == 403
    staff = verified_staff_client.get(url)
    assert staff.status_code == 200
    assert b"".join(staff.streaming_content) == b"1: B, 2: D"


def test_the_course_team_pass_the_second_factor_first(answer_key, staff_user):
    client = Client()
    client.force_login(staff_user)  # password only: no device yet
    response = client.get(answer_key.url)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/2fa/setup/")


def test_lessons_cannot_link_documents():
    # What the hook above relies on: nothing a fellow reads points at a document.
    assert "document-link" not in LESSON_RICH_TEXT_FEATURES
