"""A quiz taken with the keyboard alone, the focus visible at every stop; and a quiz sent
half-answered says what is wrong where a screen reader announces it (an alert, and each
invalid question described by its error)."""

import re

import pytest
from playwright.sync_api import expect

from courses import services
from tests.browser.conftest import check_page
from tests.browser.journeys import build_course, field_name
from tests.factories.accounts import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# What has the focus, by its accessible text, and whether a keyboard user can see it:
# :focus-visible matches and draws an outline at least 2 px wide with a dark ring inside
# (static/css/site.css: the yellow outline alone is too faint on white).
FOCUSED = """() => {
    const el = document.activeElement;
    const style = getComputedStyle(el);
    const label = el.labels && el.labels.length ? el.labels[0].innerText : el.innerText;
    return {
        text: (label || el.getAttribute("aria-label") || el.tagName).trim(),
        tag: el.tagName.toLowerCase(),
        checked: !!el.checked,
        visible: el.matches(":focus-visible") && style.outlineStyle !== "none"
            && parseFloat(style.outlineWidth) >= 2 && style.boxShadow.includes("29, 29, 27"),
    };
}"""


def tab_to(page, text: str, *, limit: int = 60) -> dict:
    """Press Tab until the element named `text` has the focus; every stop must show it."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        focus = page.evaluate(FOCUSED)
        assert focus["visible"], f"the focus on {focus['text']!r} ({focus['tag']}) is not visible"
        if focus["text"] == text:
            return focus
    raise AssertionError(f"{text!r} never took the focus in {limit} presses of Tab")


def follow(page) -> None:
    """Press Enter on the focused link or button and wait for the page it leads to."""
    with page.expect_navigation():
        page.keyboard.press("Enter")


def log_in(page, fellow) -> None:
    page.goto("/accounts/login/")
    page.get_by_label(field_name("E-mail address")).fill(fellow.email)
    page.get_by_label(field_name("Password")).fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page).not_to_have_url(re.compile("/accounts/login/"))


def test_a_quiz_is_answered_with_the_keyboard_alone(browse, site, site_root, fellow):
    course, ranking, rationales = build_course(site_root)
    services.check_enrol(fellow, course)
    page = browse()
    log_in(page, fellow)
    page.goto(ranking.url)

    tab_to(page, "Start the quiz")
    follow(page)
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Quiz: {ranking.title}")
    # Question 1: the group's first option takes the focus; arrows move the choice.
    tab_to(page, "The accurate one")
    page.keyboard.press("ArrowDown")
    assert page.evaluate(FOCUSED)["text"] == "The longer one"
    page.keyboard.press("ArrowUp")
    assert page.evaluate(FOCUSED) | {"visible": True} == {
        "text": "The accurate one",
        "tag": "input",
        "checked": True,
        "visible": True,
    }
    tab_to(page, "The guideline")  # Tab leaves the group for question 2
    page.keyboard.press("Space")
    tab_to(page, "Submit answers")
    follow(page)
    expect(page.get_by_role("status").first).to_contain_text("Passed")

    # The next module, its quiz sent with nothing answered.
    tab_to(page, f"Next: {rationales.title}")
    follow(page)
    tab_to(page, "Start the quiz")
    follow(page)
    tab_to(page, "Submit answers")
    follow(page)

    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("Please check your answers")
    expect(alert.get_by_role("link", name="Question 1")).to_be_visible()
    first = page.get_by_role("group", name=re.compile(r"^Question 1"))
    expect(first).to_have_accessible_description(re.compile("Answer this question"))
    why = page.get_by_label(re.compile(r"^Why\?"))
    expect(why).to_have_attribute("aria-invalid", "true")
    expect(why).to_have_accessible_description(re.compile("Say briefly why"))
    check_page(page, site)
