"""Badge designs as a Wagtail snippet: list, search, one design per course, and hostile
admin-authored wording kept literal from the form to the PDF (docs/threats.md, row B2)."""

import pytest
from django.conf import settings
from django.urls import reverse
from pypdf import PdfReader

from certificates.models import Badge, BadgeDesign
from tests.support.otp import verified_client_for
from tests.support.staff import make_editor

pytestmark = pytest.mark.django_db

HOSTILE_TITLE = "{{ settings.SECRET_KEY }} <b>Bold</b>"
HOSTILE_DESCRIPTION = '{% load static %}{% include "base.html" %} <script>alert(1)</script>'


def snippet_url(name, *args):
    return reverse(f"wagtailsnippets_certificates_badgedesign:{name}", args=args)


def design_form(course, **overrides):
    return {
        "course": course.pk,
        "title": "Certified AI Data Labeler",
        "description": "Labels data to a written guideline.",
        "criteria": "Passed every module quiz.",
        "artwork": "",
        "accent_color": "#1D5FA8",
        "page_size": "A4",
        "signatory_name": "Grace Hopper",
        "signatory_title": "Head of Training",
        "signature_image": "",
        "validity_days": "",
        **overrides,
    }


def test_list_shows_course_title_and_template_version_and_searches(verified_staff_client, design):
    design.save()  # an edit: version 2
    html = verified_staff_client.get(snippet_url("list")).content.decode()
    assert "Certified AI Data Labeler" in html
    assert "Foundations of AI Data Labeling" in html
    assert "Template version" in html
    assert ">2<" in html.replace(" ", "").replace("\n", "")

    found = verified_staff_client.get(snippet_url("list"), {"q": "Labeler"}).content.decode()
    assert "Certified AI Data Labeler" in found
    missing = verified_staff_client.get(snippet_url("list"), {"q": "Zebra"}).content.decode()
    assert "Certified AI Data Labeler" not in missing


def test_badges_menu_lists_designs_and_issued_badges(verified_staff_client, design):
    html = verified_staff_client.get(reverse("wagtailadmin_home")).content.decode()
    for text in ("Badges", "Badge designs", "Issued badges"):
        assert text in html


def test_a_second_design_for_the_same_course_is_a_form_error(verified_staff_client, design):
    response = verified_staff_client.post(
        snippet_url("add"), design_form(design.course, title="Another")
    )
    assert response.status_code == 200
    assert "This course already has a badge design." in response.content.decode()
    assert BadgeDesign.objects.count() == 1


def test_a_bad_colour_is_a_form_error(verified_staff_client, course):
    response = verified_staff_client.post(
        snippet_url("add"), design_form(course, accent_color="url(x)")
    )
    assert response.status_code == 200
    assert "Use a colour like #1D5FA8." in response.content.decode()
    assert BadgeDesign.objects.count() == 0


def test_hostile_wording_saves_shows_and_renders_literally(
    verified_staff_client, course, fellow, django_capture_on_commit_callbacks
):
    response = verified_staff_client.post(
        snippet_url("add"),
        design_form(course, title=HOSTILE_TITLE, description=HOSTILE_DESCRIPTION),
    )
    assert response.status_code == 302
    design = BadgeDesign.objects.get()
    assert design.title == HOSTILE_TITLE
    assert design.description == HOSTILE_DESCRIPTION

    listing = verified_staff_client.get(snippet_url("list")).content.decode()
    assert "{{ settings.SECRET_KEY }} &lt;b&gt;Bold&lt;/b&gt;" in listing
    assert "<b>Bold</b>" not in listing
    edit = verified_staff_client.get(snippet_url("edit", design.pk)).content.decode()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in edit
    assert "<script>alert(1)</script>" not in edit

    # Award through the admin; the eager worker renders the PDF from the snapshot.
    with django_capture_on_commit_callbacks(execute=True):
        verified_staff_client.post(
            reverse("badges:award"), {"email": fellow.email, "course": course.pk}
        )
    badge = Badge.objects.get()
    badge.refresh_from_db()
    assert badge.state == Badge.State.ISSUED
    with badge.pdf.open("rb") as fh:
        text = "".join(page.extract_text() for page in PdfReader(fh).pages)
    assert "{{ settings.SECRET_KEY }}" in text
    assert settings.SECRET_KEY not in text
    inspect = verified_staff_client.get(reverse("badges:inspect", args=[badge.pk]))
    assert "{{ settings.SECRET_KEY }} &lt;b&gt;Bold&lt;/b&gt;" in inspect.content.decode()


def test_editor_without_design_permissions_cannot_add_a_design(password, course):
    client = verified_client_for(make_editor("ed@example.org", password))
    response = client.post(snippet_url("add"), design_form(course))
    assert response.status_code in (302, 403)
    assert BadgeDesign.objects.count() == 0


def test_a_concurrent_second_design_loses_to_the_constraint_with_a_form_error(
    verified_staff_client, design, monkeypatch
):
    """Two requests can both pass the form's check; the second save then hits the
    database constraint and must still get a form error, not a 500."""
    from certificates.staff.forms import BadgeDesignForm

    monkeypatch.setattr(BadgeDesignForm, "clean_course", lambda form: form.cleaned_data["course"])
    monkeypatch.setattr(BadgeDesignForm, "validate_unique", lambda form: None)
    response = verified_staff_client.post(
        snippet_url("add"), design_form(design.course, title="Another")
    )
    assert response.status_code == 200
    assert "This course already has a badge design." in response.content.decode()
    assert list(BadgeDesign.objects.values_list("title", flat=True)) == [design.title]


def test_state_filter_tells_queued_and_rendering_apart(verified_staff_client, design):
    html = verified_staff_client.get(reverse("badges:index")).content.decode()
    assert "Queued for rendering" in html
    assert "Rendering" in html
