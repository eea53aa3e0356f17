"""What a certified fellow sees and does when their course gets a new version (issue #15),
through the pages: the dashboard's renewal card, the course page's notice and marked
modules, renewing by passing only the changed module's quiz, the result page, and
My badges listing every version they held. A fellow who enrols after the change takes
the whole course as it is now."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import formats, timezone

from certificates.issuing import renewal
from certificates.models import Badge
from courses import services, versions
from courses.models import CourseCompletion
from tests.support.courses import complete_course
from tests.support.renewals import (
    SUMMARY,
    certified_course,
    pass_quiz_through_pages,
    publish_renewal,
)

pytestmark = pytest.mark.django_db

DASHBOARD = reverse("courses:dashboard")
MY_BADGES = reverse("certificates:my_badges")


def words(html: str) -> str:
    """The page's text as a reader meets it: tags dropped, white space collapsed."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).strip()


def renewal_card(html: str) -> str | None:
    found = re.search(r'<section class="callout callout--warning renewal".*?</section>', html, re.S)
    return found.group(0) if found else None


def module_rows(html: str) -> dict[str, str]:
    """The course page's module list: {module title: the row's text}."""
    rows = re.findall(r'<li class="module-list__item">(.*?)</li>', html, re.S)
    found = {}
    for row in rows:
        title = re.search(r"Module \d of Course \d+", row)
        if title:
            found[title.group(0)] = words(row)
    return found


def deadline_text(moment) -> str:
    return f"{formats.date_format(timezone.localtime(moment), 'DATETIME_FORMAT')} UTC"


@pytest.fixture
def renewing(site_root, fellow, django_capture_on_commit_callbacks):
    """A fellow certified on a three-module course whose version 2027.1 changed module 2
    and gives 60 days to renew: (course, modules, their badge, the version)."""
    course, modules, badge = certified_course(site_root, fellow, django_capture_on_commit_callbacks)
    version = publish_renewal(course, [modules[1]])
    badge.refresh_from_db()
    return course, modules, badge, version


def test_the_dashboard_asks_to_renew_with_what_changed_and_by_when(renewing, fellow_client):
    course, (first, second, third), badge, version = renewing
    html = fellow_client.get(DASHBOARD).content.decode()
    card = renewal_card(html)
    assert card is not None
    text = words(card)
    assert f"{course.title} has a new version, 2027.1" in text
    assert SUMMARY in text
    assert f"Renew by {deadline_text(badge.renew_by)}" in text
    assert badge.renew_by == version.published_at + timedelta(days=60)
    # Only the changed module is to retake; the others are not even listed.
    assert f'<a href="{second.url}">{second.title}</a>' in card
    assert first.title not in card and third.title not in card
    assert "0 of 1 changed module passed" in text
    assert 'aria-label="Renewal of ' in card and 'value="0"' in card
    # "Renew" opens the changed module, which comes before everything else on the page.
    assert re.search(rf'<a class="button" href="{re.escape(second.url)}">Renew', card)
    assert html.index(card) < html.index('class="card-grid dashboard"')
    # The course's own row says a renewal is due instead of "Completed".
    assert "Renewal due" in words(html)


def test_the_course_page_marks_the_changed_module_and_keeps_the_others_passed(
    renewing, fellow_client
):
    course, (first, second, third), _badge, _version = renewing
    html = fellow_client.get(course.url).content.decode()
    text = words(html)
    assert "This course has a new version, 2027.1" in text
    assert "You have completed this course." not in text
    rows = module_rows(html)
    assert rows[first.title].startswith("Passed")
    assert rows[third.title].startswith("Passed")
    assert rows[second.title].startswith("Open")
    assert "Changed in 2027.1 — retake" in rows[second.title]
    assert "Changed in" not in rows[first.title] + rows[third.title]
    # The changed module's page says why its quiz is open again; the others do not.
    module_page = words(fellow_client.get(second.url).content.decode())
    assert "This module changed in version 2027.1: pass its quiz again" in module_page
    assert "Start the quiz" in module_page
    assert "changed in version" not in words(fellow_client.get(first.url).content.decode())


def test_renewing_takes_only_the_changed_quiz_and_issues_one_badge_for_the_new_version(
    renewing, fellow, fellow_client, django_capture_on_commit_callbacks
):
    course, (first, second, third), old, _version = renewing
    badges_before = Badge.objects.count()
    # The gate opens the changed module again; the unchanged ones stay passed.
    assert fellow_client.get(second.url).status_code == 200

    result_url = pass_quiz_through_pages(fellow_client, second, django_capture_on_commit_callbacks)

    assert Badge.objects.count() == badges_before + 1
    old.refresh_from_db()
    new = Badge.objects.get(recipient=fellow, course=course, state=Badge.State.ISSUED)
    assert old.state == Badge.State.SUPERSEDED and old.superseded_by == new
    assert new.course_version.number == "2027.1" and new.renew_by is None
    assert CourseCompletion.objects.filter(user=fellow, course=course).count() == 2
    # The result page says the renewal is done, and does not send them on to module 3.
    result = fellow_client.get(result_url).content.decode()
    assert "Renewal complete" in words(result)
    assert "Your badge for version 2027.1 is ready. It replaces your version 1 badge." in (
        words(result)
    )
    assert third.url not in result
    # No more renewal talk, on the dashboard or the course page.
    dashboard = fellow_client.get(DASHBOARD).content.decode()
    assert renewal_card(dashboard) is None and "Renewal due" not in dashboard
    course_page = words(fellow_client.get(course.url).content.decode())
    assert "new version" not in course_page and "You have completed this course." in course_page
    assert "Changed in" not in course_page
    # My badges lists both, newest first, each with the version it certifies.
    listed = fellow_client.get(MY_BADGES).content.decode()
    assert listed.index(f'id="badge-{new.public_id}"') < listed.index(f'id="badge-{old.public_id}"')
    text = words(listed)
    assert "Version 2027.1" in text and "Version 1" in text
    assert f'Replaced by your <a href="#badge-{new.public_id}">2027.1 badge</a>' in listed


def test_the_result_page_of_a_first_completion_says_the_badge_is_on_its_way(
    site_root, fellow, fellow_client, django_capture_on_commit_callbacks
):
    from tests.factories.certificates import BadgeDesignFactory
    from tests.factories.courses import make_course_with_modules

    course, modules = make_course_with_modules(site_root, modules=2)
    BadgeDesignFactory(course=course)
    services.check_enrol(fellow, course)
    first_result = pass_quiz_through_pages(
        fellow_client, modules[0], django_capture_on_commit_callbacks
    )
    assert "Course complete" not in words(fellow_client.get(first_result).content.decode())
    last_result = pass_quiz_through_pages(
        fellow_client, modules[1], django_capture_on_commit_callbacks
    )
    text = words(fellow_client.get(last_result).content.decode())
    assert "Course complete" in text and "Renewal complete" not in text
    assert "Your badge is ready." in text


def test_an_out_of_date_badge_says_so_and_renews_the_same_way(
    renewing, fellow, fellow_client, django_capture_on_commit_callbacks
):
    course, (_first, second, _third), old, _version = renewing
    after = old.renew_by + timedelta(hours=1)
    with time_machine.travel(after, tick=False):
        assert renewal.mark_out_of_date().marked == 1
        fellow_client.force_login(fellow)  # the session outlived the 60 days
        card = renewal_card(fellow_client.get(DASHBOARD).content.decode())
        day = formats.date_format(timezone.localtime(old.renew_by), "DATE_FORMAT")
        assert f"Out of date since {day}: renew to bring your badge up to date." in words(card)
        listed = words(fellow_client.get(MY_BADGES).content.decode())
        assert "Out of date" in listed and "Renew on My learning" in listed
        pass_quiz_through_pages(fellow_client, second, django_capture_on_commit_callbacks)
    old.refresh_from_db()
    assert old.state == Badge.State.SUPERSEDED
    assert old.superseded_by.state == Badge.State.ISSUED
    assert old.superseded_by.course_version.number == "2027.1"


def test_a_fellow_who_left_the_course_is_sent_to_the_course_page_to_renew(renewing, fellow_client):
    course, _modules, _badge, _version = renewing
    fellow_client.post(reverse("courses:unenrol", args=[course.pk]))
    card = renewal_card(fellow_client.get(DASHBOARD).content.decode())
    assert re.search(rf'<a class="button" href="{re.escape(course.url)}">Renew', card)


def test_a_fellow_who_enrols_after_the_change_takes_every_module(
    renewing, django_user_model, django_capture_on_commit_callbacks
):
    from django.test import Client

    course, modules, _badge, _version = renewing
    newcomer = django_user_model.objects.create_user(
        email="newcomer@example.org", password=None, display_name="Grace Hopper"
    )
    client = Client()
    client.force_login(newcomer)
    services.check_enrol(newcomer, course)
    course_page = words(client.get(course.url).content.decode())
    assert "new version" not in course_page and "Changed in" not in course_page
    assert renewal_card(client.get(DASHBOARD).content.decode()) is None
    for module in modules[:2]:
        pass_quiz_through_pages(client, module, django_capture_on_commit_callbacks)
    assert not Badge.objects.filter(recipient=newcomer).exists()  # all three are needed
    pass_quiz_through_pages(client, modules[2], django_capture_on_commit_callbacks)
    badge = Badge.objects.get(recipient=newcomer)
    assert badge.state == Badge.State.ISSUED and badge.superseded_by is None
    assert badge.course_version.number == "2027.1" and badge.renew_by is None
    assert renewal_card(client.get(DASHBOARD).content.decode()) is None


def test_a_version_without_a_renewal_window_asks_nothing(
    site_root, fellow, fellow_client, django_capture_on_commit_callbacks
):
    course, modules, badge = certified_course(site_root, fellow, django_capture_on_commit_callbacks)
    versions.publish_version(
        course, number="2026.2", summary="Typos fixed.", changed_modules=[], renewal_days=None
    )
    assert renewal_card(fellow_client.get(DASHBOARD).content.decode()) is None
    assert "new version" not in words(fellow_client.get(course.url).content.decode())


def test_the_card_lists_the_modules_renewal_ask_names(renewing, fellow):
    """The dashboard reads the changed modules from the gate's module editions; they are
    the ones courses.versions.renewal_ask names, for versions one after another too."""
    from courses.selectors import dashboard_rows

    course, (_first, second, third), badge, _version = renewing
    publish_renewal(course, [third], number="2027.2", summary="Module 3 changed as well.")
    badge.refresh_from_db()
    (row,) = dashboard_rows(fellow)
    ask = versions.renewal_ask(course, badge.course_version.sequence)
    assert [m.module.id for m in row.renewal.modules] == [m.pk for m in ask.changed_modules]
    assert [v.number for v in row.renewal.versions] == ["2027.1", "2027.2"]
    assert row.renewal.current.number == "2027.2"
    assert row.renewal.version_of(third.pk) == "2027.2"
    assert row.renewal.next_module.id == second.pk
    # The earlier deadline still runs (renewal.open_renewals keeps it).
    assert row.renewal.deadline == badge.renew_by


def _dashboard_queries(client) -> tuple[int, int]:
    """(every query of a dashboard view, those reading badges and course versions)."""
    client.get(DASHBOARD)  # warm the caches a first view of the day fills
    with CaptureQueriesContext(connection) as captured:
        assert client.get(DASHBOARD).status_code == 200
    tables = ('FROM "certificates_badge"', 'FROM "courses_courseversion" ')
    renewal_reads = [q for q in captured if any(table in q["sql"] for table in tables)]
    return len(captured), len(renewal_reads)


def test_the_renewal_card_costs_two_queries_however_many_courses_ask(
    site_root, fellow, fellow_client, django_capture_on_commit_callbacks
):
    one, one_modules, _ = certified_course(site_root, fellow, django_capture_on_commit_callbacks)
    two, two_modules, _ = certified_course(site_root, fellow, django_capture_on_commit_callbacks)
    assert _dashboard_queries(fellow_client)[1] == 0  # nothing to renew: no query for it
    publish_renewal(one, [one_modules[1]])
    one_due = _dashboard_queries(fellow_client)
    publish_renewal(two, [two_modules[0]])
    two_due = _dashboard_queries(fellow_client)
    # The badges and the versions; the rest is the dashboard's own (with a quiz open
    # again, it checks whether attempts are used up, as for any open quiz).
    assert one_due[1] == 2, one_due
    assert two_due == one_due, (one_due, two_due)
    assert len(re.findall("has a new version", fellow_client.get(DASHBOARD).content.decode())) == 2


def test_a_fellow_with_nothing_to_renew_pays_no_query_for_it(
    site_root, fellow, fellow_client, django_capture_on_commit_callbacks, django_user_model
):
    """The card's queries run only for a fellow who completed a course a version changed
    since: not for one who completed it after, nor for one still taking it."""
    course, modules, _badge = certified_course(
        site_root, fellow, django_capture_on_commit_callbacks
    )
    publish_renewal(course, [modules[1]])
    from django.test import Client

    later = django_user_model.objects.create_user(
        email="later@example.org", password=None, display_name="Later"
    )
    with django_capture_on_commit_callbacks(execute=True):
        complete_course(later, course)
    client = Client()
    client.force_login(later)
    assert _dashboard_queries(client)[1] == 0
    taking = django_user_model.objects.create_user(
        email="taking@example.org", password=None, display_name="Taking"
    )
    services.check_enrol(taking, course)
    client.force_login(taking)
    assert _dashboard_queries(client)[1] == 0


# --- Found in the core (certificates.issuing.issuance), reported to the lead -------------


def test_passing_a_changed_module_does_not_undo_a_revocation(
    site_root, fellow, fellow_client, django_capture_on_commit_callbacks
):
    from certificates.issuing import issuance

    course, modules, badge = certified_course(site_root, fellow, django_capture_on_commit_callbacks)
    issuance.revoke_badge(badge, reason="Shared the quiz answers.")
    publish_renewal(course, [modules[1]])
    # The gate opens the changed module to them like to anyone who completed the course.
    pass_quiz_through_pages(fellow_client, modules[1], django_capture_on_commit_callbacks)
    # Revocation is final (issuance.revoke_badge): a new badge is the course team's call.
    assert list(Badge.objects.filter(recipient=fellow).values_list("state", flat=True)) == [
        Badge.State.REVOKED
    ]


def test_a_fellow_who_renewed_while_suspended_is_not_marked_out_of_date(
    site_root, fellow, fellow_client, django_capture_on_commit_callbacks
):
    from certificates.issuing import issuance

    course, modules, badge = certified_course(site_root, fellow, django_capture_on_commit_callbacks)
    issuance.suspend_badge(badge)
    publish_renewal(course, [modules[1]])
    pass_quiz_through_pages(fellow_client, modules[1], django_capture_on_commit_callbacks)
    issuance.reinstate_badge(badge)
    badge.refresh_from_db()
    with time_machine.travel(badge.renew_by + timedelta(hours=1), tick=False):
        renewal.mark_out_of_date()
    current = Badge.objects.get(recipient=fellow, state__in=Badge.ACTIVE_STATES)
    assert current.state != Badge.State.OUT_OF_DATE


def test_a_chinese_reader_sees_the_changed_module_in_chinese_on_the_page_and_by_e_mail(
    renewing, fellow, client
):
    from django.conf import settings
    from django.core import mail

    from tests.support.courses import ZH, translate

    course, (_first, second, _third), _badge, _version = renewing
    translate(course.get_parent(), title="課程")
    translate(course, title="標註")
    zh_second = translate(second, title="第二單元")
    client.force_login(fellow)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = ZH
    card = renewal_card(client.get(DASHBOARD).content.decode())
    assert f'<a href="{zh_second.url}">第二單元</a>' in card
    assert "標註" in card
    fellow.language = ZH
    fellow.save(update_fields=["language"])
    mail.outbox.clear()
    renewal.send_renewal_emails()
    (sent,) = mail.outbox
    assert f"- 第二單元\n  {settings.SITE_URL}{zh_second.url}" in sent.body
