"""With JavaScript off, a fellow still reads a module, takes its quiz and is graded, and
anyone can verify a badge: JavaScript only improves these pages."""

import pytest
from playwright.sync_api import expect

from courses import services
from tests.browser.journeys import build_course, field_name, issued_badge
from tests.factories.accounts import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_reading_a_quiz_and_verifying_work_without_javascript(browse, site, site_root, fellow):
    course, ranking, _ = build_course(site_root)
    services.check_enrol(fellow, course)
    badge = issued_badge(site_root)
    page = browse(javascript=False)
    page.goto("/")

    page.get_by_role("link", name="Log in").click()
    page.get_by_label(field_name("E-mail address")).fill(fellow.email)
    page.get_by_label(field_name("Password")).fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()

    page.goto(ranking.url)
    expect(page.get_by_text("Rank the accurate response above the long one.")).to_be_visible()
    page.get_by_role("button", name="Start the quiz").click()
    page.get_by_label("The accurate one").check()
    page.get_by_label("The guideline").check()
    page.get_by_role("button", name="Submit answers").click()
    expect(page.get_by_role("status").first).to_contain_text("Passed")
    expect(page.get_by_text("You scored 100%")).to_be_visible()

    verifier = browse(javascript=False)
    verifier.goto("/verify/")
    pdf = badge.pdf.open("rb").read()
    verifier.get_by_label("Badge PDF or credential JSON", exact=False).set_input_files(
        {"name": "badge.pdf", "mimeType": "application/pdf", "buffer": pdf}
    )
    verifier.get_by_role("button", name="Verify", exact=True).click()
    expect(verifier.get_by_role("region", name="Valid")).to_be_visible()
    # The technical details open without a script (a <details> element).
    verifier.get_by_text("How this was checked (technical details)").click()
    expect(verifier.get_by_text("Genuine and unaltered", exact=False).first).to_be_visible()
