"""A fellow's whole path in Chromium, then an employer's check of the PDF they were sent.

The fellow signs up through the e-mailed link, enrols, is refused the locked second
module, fails the first quiz, waits out its cooldown, passes, completes the course, gets
the badge, downloads the PDF and follows its QR code to a page saying Valid. An employer
then uploads that PDF (Valid), an edited copy (Altered) and opens the JSON verdict.

Every page is found by role and accessible name, checked by axe-core and for sideways
scrolling; the journey runs on a desktop and at 375 px, and in each language the site
speaks. The cooldown is waited out with time-machine, which moves the clock of the whole
process, the live server's thread included (tasks run in that thread too: the test
settings make Celery eager, CELERY_TASK_ALWAYS_EAGER).
"""

import json
import re
from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.utils import timezone
from playwright.sync_api import expect

from tests.browser.conftest import check_page, screenshot, screenshot_pdf
from tests.browser.journeys import (
    COOLDOWN_MINUTES,
    build_course,
    field_name,
    printed_urls,
    qr_urls,
    site_speaks,
    words,
)
from tests.certificates.test_verify_uploads import edit_printed_name

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "a long passphrase for the browser journey"


@pytest.mark.parametrize(
    ("language", "width"),
    [
        ("en", 1280),
        ("en", 375),
        ("zh-hant", 1280),
    ],
    ids=["en-desktop", "en-phone", "zh-hant-desktop"],
)
def test_fellow_earns_a_badge_and_an_employer_checks_it(
    browse, site, site_root, tmp_path, language, width
):
    if not site_speaks(language):
        pytest.skip(f"the site does not offer {language!r} yet (not in the project's LANGUAGES)")
    _ = words(language)
    course, ranking, rationales = build_course(site_root)
    page = browse(width=width, language=language)
    shot = f"{language}-{width}"

    # Sign up: the address, then the link from the e-mail, then a name and a password.
    page.goto("/")
    check_page(page, site)
    page.get_by_role("link", name=_("Sign up")).click()
    page.get_by_label(_("E-mail address")).fill("ada@example.org")
    page.get_by_role("button", name=_("Send the link")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(_("Check your e-mail"))
    check_page(page, site)
    (message,) = mail.outbox
    link = re.search(r"https?://\S+/accounts/signup/finish/\S+/", message.body).group(0)
    assert link.startswith(site.url)
    page.goto(link)
    page.get_by_label(_("Name on certificates")).fill("Ada Lovelace")
    page.get_by_label(field_name(_("Password"))).fill(PASSWORD)
    page.get_by_label(_("Password again")).fill(PASSWORD)
    check_page(page, site)
    page.get_by_role("button", name=_("Create my account")).click()

    # Enrol, and find the second module locked until the first is passed.
    page.goto("/")
    page.get_by_role("link", name=course.title, exact=True).click()
    check_page(page, site)
    page.get_by_role("button", name=_("Enrol in this course")).click()
    page.goto(rationales.url)
    expect(page.get_by_role("heading", level=1)).to_contain_text(rationales.title)
    expect(page.get_by_text("Rank the accurate response")).to_have_count(0)
    check_page(page, site)
    page.goto(course.url)
    page.get_by_role("link", name=ranking.title, exact=True).click()

    # The first quiz, failed: a wrong answer, the sections to review, a wait.
    expect(page.get_by_text("Rank the accurate response above the long one.")).to_be_visible()
    check_page(page, site)
    screenshot(page, f"{shot}-module")
    page.get_by_role("button", name=_("Start the quiz")).click()
    check_page(page, site)
    page.get_by_label("The longer one").check()
    page.get_by_label("The guideline").check()
    page.get_by_role("button", name=_("Submit answers")).click()
    expect(page.get_by_role("status").first).to_contain_text(_("Not passed yet"))
    expect(page.get_by_role("link", name="Pairwise ranking", exact=True)).to_be_visible()
    expect(page.get_by_role("button", name=_("Try again"))).to_have_count(0)
    check_page(page, site)
    screenshot(page, f"{shot}-quiz-failed")

    # Past the cooldown, the second try passes and opens the next module.
    later = timezone.now() + timedelta(minutes=COOLDOWN_MINUTES, seconds=30)
    with time_machine.travel(later, tick=True):
        page.goto(ranking.url)
        page.get_by_role("button", name=_("Try again")).click()
        page.get_by_label("The accurate one").check()
        page.get_by_label("The guideline").check()
        page.get_by_role("button", name=_("Submit answers")).click()
        expect(page.get_by_role("status").first).to_contain_text(_("Passed"))
        check_page(page, site)
        screenshot(page, f"{shot}-quiz-passed")
        page.get_by_role("link", name=re.compile(re.escape(rationales.title))).click()
        page.get_by_role("button", name=_("Start the quiz")).click()
        check_page(page, site)
        page.get_by_label("Specific").check()
        page.get_by_label("Response A").check()
        ranking_question = page.get_by_role("group", name=re.compile("better for the learner"))
        ranking_question.get_by_role("textbox").fill("A is accurate and B is not.")
        page.get_by_role("button", name=_("Submit answers")).click()
        expect(page.get_by_role("status").first).to_contain_text(_("Passed"))

        # The badge: issued on completion, rendered in-process, valid.
        page.get_by_role("link", name=_("My badges")).first.click()
        check_page(page, site)
        page.get_by_role("link", name="Certified AI Data Labeler").click()
        expect(page.get_by_role("region", name=_("Valid"))).to_be_visible()
        page.get_by_text(_("How this was checked (technical details)")).click()
        expect(page.locator("details.verdict__technical")).to_have_attribute("open", "")
        check_page(page, site)
        screenshot(page, f"{shot}-badge")
        badge_url = page.url
        with page.expect_download() as download:
            page.get_by_role("link", name=_("Download the PDF")).click()
        pdf = download.value.path().read_bytes()

    assert pdf.startswith(b"%PDF")
    screenshot_pdf(pdf, f"{shot}-badge-pdf", tmp_path)
    # The QR code and the printed address agree, and lead to the badge's page.
    (qr_url,) = qr_urls(pdf)
    assert printed_urls(pdf, site.url) == [qr_url]
    assert qr_url == badge_url

    page.goto(qr_url)
    expect(page.get_by_role("region", name=_("Valid"))).to_be_visible()

    # An employer, in a browser of their own, follows the QR code and checks the PDF.
    employer = browse(width=width, language=language)
    employer.goto(qr_url)
    expect(employer.get_by_role("region", name=_("Valid"))).to_be_visible()
    expect(employer.get_by_text("Ada Lovelace").first).to_be_visible()
    check_page(employer, site)

    employer.goto("/verify/")
    check_page(employer, site)
    # A file input has no role; its label (whose wording carries the size limit) names it.
    upload = employer.locator("input[type=file]")
    expect(upload).to_have_accessible_name(re.compile("PDF"))
    upload.set_input_files({"name": "badge.pdf", "mimeType": "application/pdf", "buffer": pdf})
    employer.get_by_role("button", name=_("Verify", "a badge"), exact=True).click()
    expect(employer.get_by_role("region", name=_("Valid"))).to_be_visible()
    check_page(employer, site)
    screenshot(employer, f"{shot}-verify-valid")

    edited = edit_printed_name(pdf)
    assert edited != pdf
    upload.set_input_files({"name": "edited.pdf", "mimeType": "application/pdf", "buffer": edited})
    employer.get_by_role("button", name=_("Verify", "a badge"), exact=True).click()
    expect(employer.get_by_role("region", name=_("Altered"))).to_be_visible()
    employer.get_by_text(_("How this was checked (technical details)")).click()
    check_page(employer, site)
    screenshot(employer, f"{shot}-verify-altered")

    employer.goto(qr_url)
    employer.get_by_role("link", name=_("This verdict as JSON")).click()
    verdict = json.loads(employer.locator("body").inner_text())
    assert verdict["status"] == "valid", verdict
