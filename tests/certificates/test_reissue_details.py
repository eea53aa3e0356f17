"""A re-issue, detail by detail: which score the replacement shows, who it says awarded
it, the exact refusals staff read, and what the log says when the broker refuses the
status-change job."""

from datetime import timedelta

import pytest
from django.utils import timezone

from certificates import tasks
from certificates.issuing import issuance
from certificates.models import Badge
from courses.models import CourseCompletion, CoursePage
from tests.factories.courses import CourseCompletionFactory
from tests.support.staff import make_badge

pytestmark = pytest.mark.django_db


def scores(*percents):
    return [
        {"module_id": n, "title": f"Module {n}", "score_percent": p}
        for n, p in enumerate(percents, start=1)
    ]


def without_score(badge):
    """The badge as issued while its fellow had not opted in: no score in its snapshot."""
    badge.snapshot = {**badge.snapshot, "score_percent": None}
    badge.save(update_fields=["snapshot"])
    return badge


def reissued(badge, capture, **kwargs):
    with capture(execute=True):
        new = issuance.reissue_badge(badge, **kwargs)
    new.refresh_from_db()
    return new


@pytest.fixture
def opted_in(fellow):
    fellow.show_scores_on_badges = True
    fellow.save()
    return fellow


def test_the_replacement_keeps_the_score_the_old_badge_printed(
    design, opted_in, django_capture_on_commit_callbacks
):
    # The completion says 61 now; the badge printed 90 and the replacement prints it too.
    CourseCompletionFactory(user=opted_in, course=design.course, module_scores=scores(61))
    old = make_badge(design=design, recipient=opted_in)
    assert old.snapshot["score_percent"] == 90
    new = reissued(old, django_capture_on_commit_callbacks)
    assert new.snapshot["score_percent"] == 90


def test_a_badge_issued_without_a_score_takes_the_fellows_own_completion_of_that_course(
    design, opted_in, django_capture_on_commit_callbacks
):
    other_course = design.course.get_parent().add_child(
        instance=CoursePage(title="Advanced Labeling", slug="advanced", summary="More.")
    )
    # Completed after the fellow's own (completions are listed newest first), so a lookup
    # that ignored the fellow or the course would find these first.
    later = timezone.now() + timedelta(days=1)
    CourseCompletionFactory(user=opted_in, course=design.course, module_scores=scores(70, 84))
    CourseCompletionFactory(course=design.course, completed_at=later, module_scores=scores(40))
    CourseCompletionFactory(
        user=opted_in, course=other_course, completed_at=later, module_scores=scores(30)
    )
    old = without_score(make_badge(design=design, recipient=opted_in))
    new = reissued(old, django_capture_on_commit_callbacks)
    assert new.snapshot["score_percent"] == 77


def test_a_badge_without_a_score_or_a_completion_is_reissued_without_one(
    design, opted_in, django_capture_on_commit_callbacks
):
    # (Its completion was deleted since; the replacement is not rendered here.)
    old = without_score(make_badge(design=design, recipient=opted_in))
    assert not CourseCompletion.objects.filter(user=opted_in).exists()
    with django_capture_on_commit_callbacks(execute=False):
        new = issuance.reissue_badge(old)
    new.refresh_from_db()
    assert (new.state, new.snapshot["score_percent"]) == (Badge.State.PENDING, None)


def test_a_badge_awarded_by_hand_is_replaced_by_one_awarded_by_whoever_reissued_it(
    design, fellow, staff_user, django_capture_on_commit_callbacks
):
    from tests.factories.accounts import StaffUserFactory

    with django_capture_on_commit_callbacks(execute=True):
        old = issuance.award_badge_manually(recipient=fellow, course=design.course, by=staff_user)
    colleague = StaffUserFactory(email="colleague@example.org", display_name="Colin Colleague")
    new = reissued(old, django_capture_on_commit_callbacks, by=colleague)
    assert new.awarded_manually_by == colleague


def test_reissuing_a_revoked_badge_is_refused_in_plain_words(design):
    badge = make_badge(design=design, state=Badge.State.REVOKED)
    with pytest.raises(issuance.IssuanceError) as refused:
        issuance.reissue_badge(badge)
    assert str(refused.value) == "Only an issued or suspended badge can be re-issued."
    badge.refresh_from_db()
    assert (badge.state, badge.superseded_by) == (Badge.State.REVOKED, None)


@pytest.mark.parametrize("gone", ["recipient", "course"])
def test_reissuing_a_badge_whose_fellow_or_course_is_gone_is_refused_in_plain_words(design, gone):
    badge = make_badge(design=design)
    Badge.objects.filter(pk=badge.pk).update(**{gone: None})
    with pytest.raises(issuance.IssuanceError) as refused:
        issuance.reissue_badge(badge)
    assert str(refused.value) == "The fellow or the course no longer exists."
    badge.refresh_from_db()
    assert (badge.state, badge.superseded_by) == (Badge.State.ISSUED, None)
    assert Badge.objects.count() == 1


def test_a_status_change_the_broker_refuses_is_logged_by_badge_and_the_reissue_stands(
    design, completion, monkeypatch, caplog, django_capture_on_commit_callbacks
):
    def broker_down(args, **kwargs):
        raise ConnectionError("broker down")

    monkeypatch.setattr(tasks.badge_status_changed_task, "apply_async", broker_down)
    old = make_badge(design=design, recipient=completion.user)
    new = reissued(old, django_capture_on_commit_callbacks)
    old.refresh_from_db()
    assert (old.state, old.superseded_by, new.state) == (
        Badge.State.SUPERSEDED,
        new,
        Badge.State.ISSUED,
    )
    warnings = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
    assert warnings == [f"could not queue status change of badge {old.pk}: broker down"]


def test_the_old_badges_cached_page_is_purged_once_the_reissue_commits_broker_or_not(
    badge, client, monkeypatch, django_capture_on_commit_callbacks
):
    from django.core.cache import cache

    from certificates.issuing.status_publishing import badge_generation_key, badge_page_cache_key

    assert client.get(f"/badges/{badge.public_id}/").status_code == 200
    assert cache.get(badge_page_cache_key(badge.public_id)) is not None
    generation = cache.get(badge_generation_key(badge.public_id))

    def broker_down(args, **kwargs):
        raise ConnectionError("broker down")

    # The status-change job would purge it too; the page must not wait for a broker.
    monkeypatch.setattr(tasks.badge_status_changed_task, "apply_async", broker_down)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        issuance.reissue_badge(badge)
    assert cache.get(badge_page_cache_key(badge.public_id)) is not None  # not before commit
    for callback in callbacks:
        callback()
    assert cache.get(badge_page_cache_key(badge.public_id)) is None
    assert cache.get(badge_generation_key(badge.public_id)) not in (None, generation)
    assert "Superseded" in client.get(f"/badges/{badge.public_id}/").content.decode()
