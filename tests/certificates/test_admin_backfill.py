"""Courses that give fellows no badge: the admin's warnings, and issuing the badges of
past completions once a design exists (a Celery job with a progress page)."""

import logging

import pytest
from django.urls import reverse
from django.utils import timezone

from certificates import tasks
from certificates.issuing import issuance
from certificates.models import Badge, BadgeDesign
from certificates.staff.views import backfill_progress, start_backfill_job
from courses.models import CourseCompletion
from tests.factories.certificates import make_badge_design
from tests.support.otp import verified_client_for
from tests.support.staff import make_badge, make_editor

pytestmark = pytest.mark.django_db

State = Badge.State


def url(name, *args):
    return reverse(f"badges:{name}", args=args)


def complete(user, course):
    return CourseCompletion.objects.create(
        user=user,
        course=course,
        completed_at=timezone.now(),
        module_scores=[{"module_id": 1, "title": "One", "score_percent": 90}],
    )


def fellows(n, password):
    from django.contrib.auth import get_user_model

    return [
        get_user_model().objects.create_user(
            email=f"past{i}@example.org", password=password, display_name=f"Past Fellow {i}"
        )
        for i in range(n)
    ]


@pytest.fixture
def past_completions(course, password):
    """Three fellows who completed the course while it had no design."""
    people = fellows(3, password)
    for person in people:
        complete(person, course)
    return people


# --- warnings ------------------------------------------------------------------------


def test_editing_a_published_course_without_design_warns_and_offers_one(
    verified_staff_client, course, past_completions
):
    edit = reverse("wagtailadmin_pages:edit", args=[course.pk])
    html = verified_staff_client.get(edit).content.decode()
    assert "This course is published but has no badge design" in html
    assert "3 fellows completed Foundations of AI Data Labeling" in html
    add_url = reverse(BadgeDesign.snippet_viewset.get_url_name("add")) + f"?course={course.pk}"
    assert add_url in html

    # The offered link opens the design form with the course chosen.
    form_html = verified_staff_client.get(add_url).content.decode()
    assert f'name="course" value="{course.pk}"' in form_html

    make_badge_design(course)
    html = verified_staff_client.get(edit).content.decode()
    assert "has no badge design" not in html


def test_the_dashboard_lists_courses_without_design_and_waiting_fellows(
    verified_staff_client, course, past_completions
):
    html = verified_staff_client.get(reverse("wagtailadmin_home")).content.decode()
    assert "Badges fellows are not getting" in html
    assert "Foundations of AI Data Labeling (3 fellows completed it)" in html

    make_badge_design(course)
    html = verified_staff_client.get(reverse("wagtailadmin_home")).content.decode()
    assert "have no badge design" not in html
    assert "Foundations of AI Data Labeling: 3 fellows waiting" in html
    assert url("backfill") + f"?course={course.pk}" in html

    issuance.issue_badges_for_past_completions(course)
    html = verified_staff_client.get(reverse("wagtailadmin_home")).content.decode()
    assert "Badges fellows are not getting" not in html


def test_adding_a_design_offers_to_issue_the_past_completions(
    verified_staff_client, course, past_completions
):
    add_url = reverse(BadgeDesign.snippet_viewset.get_url_name("add"))
    response = verified_staff_client.post(
        add_url,
        {
            "course": course.pk,
            "title": "Certified AI Data Labeler",
            "description": "Labels data.",
            "criteria": "Passed every quiz.",
            "accent_color": "#1D5FA8",
            "page_size": "A4",
            "signatory_name": "Grace Hopper",
            "signatory_title": "Head of Training",
        },
        follow=True,
    )
    html = response.content.decode()
    assert BadgeDesign.objects.filter(course=course).exists()
    assert (
        "3 fellows completed Foundations of AI Data Labeling and hold no badge for it yet." in html
    )
    assert f'href="{url("backfill")}?course={course.pk}"' in html
    assert "Issue their badges" in html
    assert not Badge.objects.exists()  # offered, not done behind the admin's back

    design = BadgeDesign.objects.get(course=course)
    edit_url = reverse(BadgeDesign.snippet_viewset.get_url_name("edit"), args=[design.pk])
    assert (
        "Issue badges for past completions" in verified_staff_client.get(edit_url).content.decode()
    )


# --- the backfill --------------------------------------------------------------------


def test_backfill_issues_each_past_completion_once_and_a_second_run_nothing(
    verified_staff_client, course, past_completions, django_capture_on_commit_callbacks
):
    first, second, revoked_one = past_completions
    design = make_badge_design(course)
    # One fellow was awarded by hand and later revoked: not re-awarded behind staff's back.
    revoked = make_badge(design=design, recipient=revoked_one, state=State.REVOKED)

    with django_capture_on_commit_callbacks(execute=True):
        response = verified_staff_client.post(url("backfill"), {"course": course.pk})
    assert response.status_code == 302
    progress_url = response["Location"]
    assert progress_url.startswith(url("backfill"))

    for person in (first, second):
        badges = list(Badge.objects.filter(recipient=person, course=course))
        assert [b.state for b in badges] == [State.ISSUED], badges[0].last_error
    assert list(Badge.objects.filter(recipient=revoked_one)) == [revoked]

    html = verified_staff_client.get(progress_url).content.decode()
    assert "<dt>Fellows without a badge when the job started</dt><dd>2</dd>" in html
    assert "<dt>Badges issued</dt><dd>2</dd>" in html
    assert "100%" in html and "Done." in html
    assert 'http-equiv="refresh"' not in html

    count = Badge.objects.count()
    # A second run, from the admin or the task delivered again, issues nothing new.
    response = verified_staff_client.post(url("backfill"), {"course": course.pk})
    assert response.status_code == 200
    assert "Everyone who completed this course already holds a badge for it." in (
        response.content.decode()
    )
    assert tasks.issue_badges_for_past_completions_task.apply(args=[course.pk]).get() == 0
    assert Badge.objects.count() == count


def test_backfill_progress_is_measured_from_the_badges(
    course, past_completions, monkeypatch, django_capture_on_commit_callbacks
):
    make_badge_design(course)
    # A broker that accepts the job but has no worker behind it.
    monkeypatch.setattr(
        tasks.issue_badges_for_past_completions_task, "apply_async", lambda *a, **k: None
    )
    job_id = start_backfill_job(course)
    progress = backfill_progress(job_id)
    assert (progress.total, progress.issued, progress.preparing, progress.waiting) == (3, 0, 0, 3)
    assert progress.percent == 0 and not progress.is_done

    # The worker creates the badges; their renders are still to come.
    with django_capture_on_commit_callbacks(execute=False):
        assert issuance.issue_badges_for_past_completions(course) == 3
    progress = backfill_progress(job_id)
    assert (progress.issued, progress.preparing, progress.waiting) == (0, 3, 0)
    assert not progress.is_done

    for badge in Badge.objects.filter(course=course):
        tasks.render_badge_task.apply(args=[badge.pk])
    progress = backfill_progress(job_id)
    assert (progress.issued, progress.preparing, progress.waiting, progress.percent) == (
        3,
        0,
        0,
        100,
    )
    assert progress.is_done


def test_backfill_progress_page_refreshes_until_done(
    verified_staff_client, course, past_completions, monkeypatch
):
    make_badge_design(course)
    monkeypatch.setattr(
        tasks.issue_badges_for_past_completions_task, "apply_async", lambda *a, **k: None
    )
    job_id = start_backfill_job(course)
    html = verified_staff_client.get(url("backfill_progress", job_id)).content.decode()
    assert '<meta http-equiv="refresh" content="3">' in html
    assert "<dt>Waiting</dt><dd>3</dd>" in html
    # A backfill job is not a re-render job, and the other way round.
    assert verified_staff_client.get(url("rerender_progress", job_id)).status_code == 404


def test_backfill_of_a_course_without_design_is_a_form_error(
    verified_staff_client, course, past_completions
):
    response = verified_staff_client.post(url("backfill"), {"course": course.pk})
    assert response.status_code == 200
    assert "Select a valid choice." in response.content.decode()
    assert not Badge.objects.exists()


def test_a_broker_that_refuses_the_job_is_an_admin_message_not_a_500(
    verified_staff_client, course, past_completions, monkeypatch
):
    make_badge_design(course)

    def refuse(*args, **kwargs):
        raise ConnectionError("broker down")

    monkeypatch.setattr(tasks.issue_badges_for_past_completions_task, "apply_async", refuse)
    response = verified_staff_client.post(url("backfill"), {"course": course.pk})
    assert response.status_code == 200
    assert "could not be queued" in response.content.decode()
    assert not Badge.objects.exists()


@pytest.mark.parametrize(
    "codenames",
    [
        (),
        ("certificates.view_badge", "certificates.change_badge", "certificates.add_badgedesign"),
    ],
    ids=["no-badge-permission", "badge-admin-without-award"],
)
def test_only_officers_who_may_award_can_backfill(
    course, past_completions, password, codenames, django_capture_on_commit_callbacks
):
    make_badge_design(course)
    editor = make_editor("officer@example.org", password, *codenames)
    client = verified_client_for(editor)

    assert client.get(url("backfill")).status_code == 403
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url("backfill"), {"course": course.pk})
    assert response.status_code == 403
    assert not Badge.objects.exists()
    assert "Issue badges for past completions" not in client.get(url("index")).content.decode()

    job_id = start_backfill_job(course)  # started by someone who may
    assert client.get(url("backfill_progress", job_id)).status_code == 403


# --- what the fellow sees ----------------------------------------------------------------


def test_my_badges_never_tells_a_fellow_to_finish_a_course_they_finished(
    client, fellow, course, caplog
):
    complete(fellow, course)
    client.force_login(fellow)
    with caplog.at_level(logging.WARNING, logger="credence.badges"):
        html = client.get(reverse("certificates:my_badges")).content.decode()
    assert "Finish every module" not in html
    assert "You completed this course." in html
    assert "the course team has been told" in html
    assert "Foundations of AI Data Labeling" in html
    assert any(
        "holds no badge" in r.getMessage() and "no badge design" in r.getMessage()
        for r in caplog.records
    )
