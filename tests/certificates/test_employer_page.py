"""What an employer opening a badge link sees (issue #11 item 8): the verdict in plain words
first, the technical terms behind a disclosure, the badge's artwork, no operator commands,
one way of writing a date on the page, the PDF and in the admin, and a favicon."""

from __future__ import annotations

import io
import re
from datetime import date

import pytest
from django.core.files.storage import default_storage
from django.utils import timezone
from pypdf import PdfReader
from wagtail.images import get_image_model
from wagtail.images.tests.utils import get_test_image_file

from certificates.models import Badge, BadgeDesign
from tests.support.badges import issue_badge_now

pytestmark = pytest.mark.django_db

MONTHS = "January February March April May June July August September October November December"


def written_day(day: date) -> str:
    """'7 December 2026': the one English date format, spelled out independently here."""
    return f"{day.day} {MONTHS.split()[day.month - 1]} {day.year}"


def page_html(client, badge: Badge) -> str:
    response = client.get(f"/badges/{badge.public_id}/")
    assert response.status_code == 200
    return response.content.decode()


def without_disclosures(html: str) -> str:
    return re.sub(r"<details.*?</details>", "", html, flags=re.S)


def visible_text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_the_verdict_comes_first_in_plain_words(badge, client):
    html = page_html(client, badge)
    day = written_day(date.fromisoformat(badge.snapshot["issued_on"]))
    expiry = written_day(date.fromisoformat(badge.snapshot["expires_on"]))
    sentence = (
        "Valid: this badge was issued to Ada Lovelace for completing Foundations of AI Data "
        f"Labeling on {day}, and is valid until {expiry}."
    )
    main = html[html.index('<main id="main"') :]
    summary = re.search(r'<p class="verdict__summary"[^>]*>(.*?)</p>', main, re.S)
    assert summary and summary.group(1).strip() == sentence
    # First: before the title, the facts list and anything else in the main column.
    assert main.index(sentence) < main.index('id="badge-title"') < main.index("badge-facts")


def test_technical_terms_are_only_behind_the_disclosure(badge, client):
    html = page_html(client, badge)
    key_id = badge.signing_key_id
    status = badge.credential["credentialStatus"]
    status_list = (status if isinstance(status, dict) else status[0])["statusListCredential"]
    technical = ["eddsa-rdfc-2022", "did:web", key_id, status_list]
    outside = visible_text(without_disclosures(html[html.index('<main id="main"') :]))
    for term in technical:
        assert term not in outside, term
    details = re.search(r"<details class=\"verdict__technical\">(.*?)</details>", html, re.S)
    assert details is not None
    for term in technical:
        assert term in details.group(1), term
    assert "Signature valid" in details.group(1)  # the checks are in there too


@pytest.mark.parametrize("state", ["revoked", "suspended"])
def test_a_verdict_that_is_not_valid_says_so_first_in_plain_words(
    badge, client, state, django_capture_on_commit_callbacks
):
    from certificates.issuing import issuance

    with django_capture_on_commit_callbacks(execute=True):
        if state == "revoked":
            issuance.revoke_badge(badge, reason="Answers copied.")
        else:
            issuance.suspend_badge(badge)
    summary = re.search(r'<p class="verdict__summary"[^>]*>(.*?)</p>', page_html(client, badge))
    today = written_day(timezone.now().date())
    expected = {
        "revoked": f"Not valid: Credence revoked this badge on {today} (Answers copied.).",
        "suspended": f"Not valid for now: Credence suspended this badge on {today}.",
    }[state]
    assert summary and summary.group(1).startswith(expected), summary


def test_no_operator_commands_are_offered(badge, client):
    from django.core.files.uploadedfile import SimpleUploadedFile

    pdf = default_storage.open(Badge.objects.get(pk=badge.pk).pdf.name).read()
    pages = [
        page_html(client, badge),
        client.get("/verify/").content.decode(),
        client.post("/verify/", {"file": SimpleUploadedFile("b.pdf", pdf)}).content.decode(),
    ]
    assert "Valid: this badge was issued to Ada Lovelace" in pages[2]
    for html in pages:
        assert "manage.py" not in html and "verify_badge" not in html


def test_the_checks_stack_on_a_narrow_screen(badge, client):
    """No table whose columns force a 375 px screen to scroll sideways: the checks are a
    list of wrapping blocks, and nothing on the page is given a fixed width."""
    from django.contrib.staticfiles import finders

    html = page_html(client, badge)
    assert "<table" not in html
    assert html.count('<li class="check check--passed">') == 4
    css = open(finders.find("css/site.css"), encoding="utf-8").read()
    css = re.sub(r"/\*.*?\*/", "", css, flags=re.S)
    rules = {selector.strip(): body for selector, body in re.findall(r"([^{}]+)\{([^}]*)\}", css)}
    page_rules = {
        selector.strip(): body
        for selector, body in rules.items()
        if re.search(r"\.(check|verdict|badge-page|badge-facts|badge-artwork|technical)", selector)
    }
    assert page_rules
    for selector, body in page_rules.items():
        assert not re.search(r"(?<![-\w])(min-)?width:\s*\d+(\.\d+)?px", body), selector
    assert "flex-wrap: wrap" in rules[".check"]
    assert "overflow-wrap: anywhere" in page_rules[".check__detail, .check__time"]


def test_the_same_day_is_written_alike_on_the_page_the_pdf_and_in_the_admin(
    badge, client, verified_staff_client
):
    badge = Badge.objects.get(pk=badge.pk)
    day = written_day(badge.issued_at.date())
    assert badge.snapshot["issued_on"] == badge.issued_at.date().isoformat()

    page = page_html(client, badge)
    assert f"<dt>Issued</dt><dd>{day}</dd>" in page

    with default_storage.open(badge.pdf.name) as handle:
        pdf_text = PdfReader(io.BytesIO(handle.read())).pages[0].extract_text()
    assert day in re.sub(r"\s+", " ", pdf_text)

    from certificates.staff.views import admin_url

    inspect = verified_staff_client.get(admin_url("inspect", badge.pk)).content.decode()
    assert f"<dt>Issued</dt><dd>{day}, " in inspect
    listing = verified_staff_client.get(admin_url("index")).content.decode()
    assert day in listing
    for wrong in (badge.issued_at.date().isoformat(), badge.issued_at.strftime("%b. %-d, %Y")):
        assert wrong not in visible_text(page) and wrong not in pdf_text, wrong


def test_the_badge_artwork_is_shown_and_served_as_a_public_image(
    design: BadgeDesign, completion, client, django_capture_on_commit_callbacks
):
    image = get_image_model().objects.create(
        title="Labeler seal", file=get_test_image_file("seal.png", colour="blue", size=(64, 64))
    )
    design.artwork = image
    design.save()
    badge = issue_badge_now(completion, django_capture_on_commit_callbacks)
    html = page_html(client, badge)
    src = re.search(r'<img class="badge-artwork" src="([^"]+)" alt="([^"]+)"', html)
    assert src and src.group(1) == f"/badges/{badge.public_id}/artwork"
    assert "Certified AI Data Labeler" in src.group(2)

    response = client.get(src.group(1))
    assert response.status_code == 200 and response["Content-Type"] == "image/png"
    assert b"".join(response.streaming_content).startswith(b"\x89PNG")
    assert "sandbox" in response["Content-Security-Policy"]
    # Frozen at issue: the design's later artwork is not this badge's.
    design.artwork = None
    design.save()
    assert client.get(src.group(1)).status_code == 200


def test_a_badge_without_artwork_shows_none_and_its_artwork_address_is_a_404(badge, client):
    assert 'class="badge-artwork"' not in page_html(client, badge)
    assert client.get(f"/badges/{badge.public_id}/artwork").status_code == 404


def test_every_page_links_the_favicon_and_favicon_ico_leads_to_it(client, db):
    from django.contrib.staticfiles import finders

    home = client.get("/verify/").content.decode()
    link = re.search(r'<link rel="icon" href="([^"]+)" type="image/svg\+xml">', home)
    assert link and link.group(1).endswith("favicon.svg")
    redirect = client.get("/favicon.ico")
    assert redirect.status_code == 302 and redirect["Location"] == link.group(1)
    svg = open(finders.find("favicon.svg"), encoding="utf-8").read()
    assert svg.startswith("<svg ") and "</svg>" in svg
