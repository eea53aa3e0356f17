"""Each badge design has a public achievement page at its credentials' `achievement.id`."""

import io
import re
import uuid

import jsonschema
import pytest
from django.conf import settings
from django.core.files.images import ImageFile
from PIL import Image as PILImage
from wagtail.images import get_image_model

from certificates.models import Badge

from .ob3_support import schema

pytestmark = pytest.mark.django_db


def path_of(url: str) -> str:
    assert url.startswith(settings.SITE_URL + "/")
    return url[len(settings.SITE_URL) :]


def achievement_schema() -> dict:
    full = schema()
    return {"$schema": full["$schema"], "$defs": full["$defs"], "$ref": "#/$defs/Achievement"}


def test_issued_credential_names_a_page_with_no_internal_id(badge, design, client):
    url = badge.credential["credentialSubject"]["achievement"]["id"]
    assert re.fullmatch(
        re.escape(settings.SITE_URL) + r"/achievements/[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12}/",
        url,
    ), url
    assert url == f"{settings.SITE_URL}/achievements/{design.public_id}/"

    response = client.get(path_of(url))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    html = response.content.decode()
    for text in (
        design.title,
        design.description,
        design.criteria,
        settings.CREDENCE_ISSUER_NAME,
        design.course.title,
        f'href="{settings.SITE_URL}{design.course.url}"',
    ):
        assert text in html, text
    assert badge.snapshot["recipient_name"] not in html  # it describes the achievement only


def test_the_page_answers_a_schema_valid_ob3_achievement_as_json(badge, design, client):
    url = badge.credential["credentialSubject"]["achievement"]["id"]
    by_accept = client.get(path_of(url), HTTP_ACCEPT="application/json")
    by_query = client.get(path_of(url) + "?format=json")
    for response in (by_accept, by_query):
        assert response.status_code == 200
        assert response["Content-Type"] == "application/json"
    achievement = by_accept.json()
    assert by_query.json() == achievement
    errors = [
        e.message
        for e in jsonschema.Draft201909Validator(achievement_schema()).iter_errors(achievement)
    ]
    assert errors == []
    assert achievement["id"] == url
    assert achievement["type"] == ["Achievement"]
    assert achievement["name"] == design.title
    assert achievement["criteria"]["narrative"] == design.criteria
    assert achievement["criteria"]["id"].endswith(design.course.url)
    assert achievement["creator"]["id"] == badge.credential["issuer"]["id"]


def test_the_badge_page_links_to_its_achievement(badge, client):
    url = badge.credential["credentialSubject"]["achievement"]["id"]
    html = client.get(f"/badges/{badge.public_id}/").content.decode()
    assert f'href="{url}"' in html


def test_unknown_and_malformed_achievement_ids_are_404(design, client):
    assert client.get(f"/achievements/{uuid.uuid4()}/").status_code == 404
    assert client.get(f"/achievements/{uuid.uuid4()}/?format=json").status_code == 404
    assert client.get(f"/achievements/{design.pk}/").status_code == 404
    assert client.get(f"/achievements/{design.course_id}/").status_code == 404
    assert client.get("/achievements/not-a-uuid/").status_code == 404


def test_a_draft_course_is_not_named_on_the_page(design, client):
    design.course.unpublish()
    html = client.get(f"/achievements/{design.public_id}/").content.decode()
    assert design.title in html
    assert design.course.title not in html
    data = client.get(f"/achievements/{design.public_id}/?format=json").json()
    assert "id" not in data["criteria"]


def test_artwork_is_shown_and_in_the_json(design, client):
    buffer = io.BytesIO()
    PILImage.new("RGB", (8, 8), "#1D5FA8").save(buffer, format="PNG")
    image = get_image_model().objects.create(
        title="Badge art", file=ImageFile(io.BytesIO(buffer.getvalue()), name="art.png")
    )
    design.artwork = image
    design.save()
    html = client.get(f"/achievements/{design.public_id}/").content.decode()
    image_url = settings.SITE_URL + image.file.url
    assert f'src="{image_url}"' in html
    data = client.get(f"/achievements/{design.public_id}/?format=json").json()
    assert data["image"] == {"id": image_url, "type": "Image"}


def test_old_address_redirects_only_where_a_credential_names_it(badge, design, client):
    old_path = f"/badges/achievement/{design.course_id}"
    # The site never named this address for this badge: nothing to keep working.
    assert client.get(old_path).status_code == 404
    # A credential signed before achievement pages had public ids names it.
    credential = badge.credential
    credential["credentialSubject"]["achievement"]["id"] = settings.SITE_URL + old_path
    Badge.objects.filter(pk=badge.pk).update(credential=credential)
    response = client.get(old_path)
    assert response.status_code == 301
    assert response["Location"] == f"{settings.SITE_URL}/achievements/{design.public_id}/"
    assert client.get(f"/badges/achievement/{design.course_id + 1000}").status_code == 404
