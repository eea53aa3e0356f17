"""An admin's path in Chromium: log in with a TOTP code, build a course, a module and its
quiz in the Wagtail editor, publish, preview, and revoke a badge from our staff screens
while an employer watches that badge's page turn from Valid to Revoked.

axe-core checks our own screens inside the admin (the badge's page there and the revoke
confirmation), not Wagtail's editor, which is Wagtail's to keep accessible.
"""

import re

import pytest
from playwright.sync_api import expect

from courses.models import CoursePage, ModulePage
from tests.browser.conftest import check_page, screenshot
from tests.browser.journeys import field_name, issued_badge
from tests.factories.accounts import PASSWORD, StaffUserFactory
from tests.support.otp import current_code, make_totp_device

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def type_rich_text(page, editor, field, text: str) -> None:
    """Type into a Draftail editor as a person would, once it has the focus, and wait until
    the editor has copied it into the form field it sends (it does so a moment after the
    keystrokes: publishing before that sends an empty prompt)."""
    editor.click()
    expect(editor).to_be_focused()
    page.keyboard.type(text)
    expect(editor).to_contain_text(text)
    expect(field).to_have_value(re.compile(re.escape(text)))


def publish(page) -> None:
    page.get_by_role("button", name="More actions").click()
    page.get_by_role("button", name="Publish", exact=True).click()
    # Wagtail's pages hold several live regions: wait for the one that says it.
    expect(page.get_by_role("status").filter(has_text="published")).to_be_visible()


def test_admin_builds_a_course_and_revokes_a_badge(browse, site, site_root):
    badge = issued_badge(site_root)
    employer = browse()
    employer.goto(f"/badges/{badge.public_id}/")
    expect(employer.get_by_role("region", name="Valid")).to_be_visible()

    admin = StaffUserFactory(email="admin@example.org", display_name="Ada Admin")
    device = make_totp_device(admin)
    page = browse()
    page.goto("/admin/")
    page.get_by_label(field_name("E-mail address")).fill(admin.email)
    page.get_by_label(field_name("Password")).fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Enter your code")
    check_page(page, site)
    page.get_by_label(field_name("Code")).fill(current_code(device))
    page.get_by_role("button", name="Verify").click()
    expect(page).to_have_url(f"{site.url}/admin/")

    # A course, published from the editor.
    page.goto(f"/admin/pages/{site_root.id}/add_subpage/")
    page.get_by_role("textbox", name="Title*").fill("Reviewing code answers")
    page.get_by_role("textbox", name="Summary*").fill("How to judge a model's code.")
    publish(page)
    course = CoursePage.objects.get(title="Reviewing code answers", alias_of__isnull=True)
    assert course.live

    # A module with a lesson and a one-question quiz, published, then previewed.
    page.goto(f"/admin/pages/{course.id}/add_subpage/")
    page.get_by_role("textbox", name="Title*").fill("Reading diffs")
    page.get_by_role("tab", name="Quiz").click()
    quiz_tab = page.get_by_role("tabpanel", name="Quiz")
    quiz_tab.get_by_role("button", name="Insert a block").first.click()
    page.get_by_role("option", name="True / false").click()
    question = quiz_tab.get_by_role("region", name="True / false No")
    # Draftail's editors have no accessible name (Wagtail's): prompt, then explanation.
    editors = question.get_by_role("textbox")
    prompt, explanation = editors.nth(0), editors.nth(1)
    prompt_field = question.locator("input[name$='-value-prompt']")
    explanation_field = question.locator("input[name$='-value-explanation']")
    type_rich_text(page, prompt, prompt_field, "A diff marks removed lines with a minus sign.")
    type_rich_text(page, explanation, explanation_field, "Look at the first column of each line.")
    question.get_by_role("checkbox", name="Correct answer").check()
    quiz_tab.get_by_role("spinbutton", name="Pass mark percent*").fill("100")
    publish(page)
    module = ModulePage.objects.get(title="Reading diffs", alias_of__isnull=True)
    assert module.live and module.get_parent().specific == course
    (block,) = module.quiz_questions
    assert block.block_type == "true_false" and block.value["correct_answer"] is True

    page.goto(f"/admin/pages/{module.id}/edit/")
    page.get_by_role("button", name="Toggle preview").click()
    # Wagtail loads each preview in a fresh iframe and swaps it in: the last is current.
    preview = page.locator("iframe[title='Preview']").last.content_frame
    expect(preview.get_by_role("heading", name="Reading diffs", level=1)).to_be_visible()
    expect(preview.get_by_role("region", name="Quiz")).to_contain_text("Pass mark: 100%")

    # The badge, revoked from our staff screens.
    page.goto(f"/admin/badges/inspect/{badge.pk}/")
    check_page(page, site, within="main")
    page.get_by_role("link", name="Revoke").click()
    # The click starts a navigation; check the confirmation page once it is there, not
    # the document being swapped out (axe then finds no <main>).
    expect(page.get_by_role("button", name="Yes, revoke for good")).to_be_visible()
    check_page(page, site, within="main")
    screenshot(page, "admin-revoke")
    page.get_by_label(field_name("Reason")).fill("Issued by mistake: the course was not finished.")
    page.get_by_role("button", name="Yes, revoke for good").click()
    expect(page.get_by_role("status").first).to_contain_text("Badge revoked.")
    check_page(page, site, within="main")

    employer.reload()
    expect(employer.get_by_role("region", name="Revoked")).to_be_visible()
    check_page(employer, site)
    screenshot(employer, "employer-revoked")
