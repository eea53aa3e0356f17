"""Staff jobs that queue work per badge (a course's re-render, re-signing after a key is
compromised): which badges they queue, the count staff are shown, and what the log
says when the broker refuses one; and the exact refusals staff read."""

from datetime import UTC, datetime

import pytest
import time_machine

from certificates import tasks
from certificates.issuing import issuance
from certificates.models import Badge, StatusList
from tests.factories.certificates import make_badge_design
from tests.support.staff import make_badge

pytestmark = pytest.mark.django_db

State = Badge.State


@pytest.fixture
def other_design(site_root):
    from courses.models import CoursePage

    other = site_root.add_child(
        instance=CoursePage(title="Advanced Labeling", slug="advanced", summary="More.")
    )
    return make_badge_design(other)


def broker_for(monkeypatch, task, *, refuse=()):
    """A broker that accepts the task's messages (no worker behind it) except for the
    badge ids in `refuse`; returns the argument lists it accepted."""
    sent = []

    def apply_async(args, **kwargs):
        if args[0] in refuse:
            raise ConnectionError("broker down")
        sent.append(list(args))

    monkeypatch.setattr(task, "apply_async", apply_async)
    return sent


def warnings_of(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]


def test_a_course_rerender_queues_the_issued_badges_of_that_course_only(
    design, other_design, monkeypatch
):
    issued = [make_badge(design=design) for _ in range(2)]
    for state in (State.PENDING, State.SUSPENDED, State.REVOKED, State.SUPERSEDED):
        make_badge(design=design, state=state)
    make_badge(design=other_design)
    sent = broker_for(monkeypatch, tasks.rerender_badge_task)

    assert issuance.rerender_course_badges(design.course) == 2
    assert sorted(sent) == sorted([[b.pk] for b in issued])


def test_a_rerender_the_broker_refuses_is_logged_by_badge_and_the_rest_still_queued(
    design, monkeypatch, caplog
):
    refused, queued = make_badge(design=design), make_badge(design=design)
    sent = broker_for(monkeypatch, tasks.rerender_badge_task, refuse={refused.pk})
    with caplog.at_level("WARNING", logger="credence.badges"):
        issuance.rerender_course_badges(design.course)
    assert sent == [[queued.pk]]
    assert warnings_of(caplog) == [f"could not queue re-render of badge {refused.pk}: broker down"]


def signed_by(design, key_id, state=State.ISSUED) -> Badge:
    badge = make_badge(design=design, state=state)
    Badge.objects.filter(pk=badge.pk).update(signing_key_id=key_id)
    return badge


def test_a_compromised_key_queues_the_live_badges_it_signed_and_no_others(
    design, monkeypatch, caplog
):
    live = [signed_by(design, "key-1"), signed_by(design, "key-1", State.SUSPENDED)]
    signed_by(design, "key-1", State.REVOKED)
    signed_by(design, "key-1", State.SUPERSEDED)
    signed_by(design, "key-2")
    sent = broker_for(monkeypatch, tasks.resign_badge_task)

    with caplog.at_level("INFO", logger="credence.badges"):
        assert issuance.queue_reissue_for_compromised_key("key-1") == 2

    assert sorted(sent) == sorted([[b.pk, "key-1"] for b in live])
    messages = [r.getMessage() for r in caplog.records]
    assert messages == ["queued 2 badges signed by compromised key key-1 for re-issue"]


def test_a_resigning_the_broker_refuses_is_logged_by_badge_and_the_rest_still_queued(
    design, monkeypatch, caplog
):
    refused, queued = signed_by(design, "key-1"), signed_by(design, "key-1")
    sent = broker_for(monkeypatch, tasks.resign_badge_task, refuse={refused.pk})
    with caplog.at_level("INFO", logger="credence.badges"):
        issuance.queue_reissue_for_compromised_key("key-1")
    assert sent == [[queued.pk, "key-1"]]
    assert warnings_of(caplog) == [f"could not queue re-signing of badge {refused.pk}: broker down"]


# --- refusals staff read in the admin --------------------------------------------------


def test_retrying_a_badge_that_did_not_give_up_is_refused_in_plain_words(design):
    badge = make_badge(design=design, state=State.PENDING)
    with pytest.raises(issuance.IssuanceError) as refused:
        issuance.retry_render(badge)
    assert str(refused.value) == "Only a badge whose rendering was given up can be retried."


def test_revoking_a_superseded_badge_points_to_its_replacement(design):
    badge = make_badge(design=design, state=State.SUPERSEDED)
    with pytest.raises(issuance.IssuanceError) as refused:
        issuance.revoke_badge(badge, reason="Copied.")
    assert str(refused.value) == "A superseded badge cannot be revoked; revoke its replacement."


def test_reinstating_a_badge_whose_bit_is_clear_already_leaves_the_served_list_as_it_was(
    design,
):
    """Verifiers fetch the list with its ETag: a reinstatement that changes no bit must
    not re-sign it (a new ETag would make every cached copy download it again)."""
    from certificates.issuing import status_publishing

    badge = make_badge(design=design, state=State.SUSPENDED)
    Badge.objects.filter(pk=badge.pk).update(status_index=4_242)
    with time_machine.travel(datetime(2025, 3, 4, 12, 0, tzinfo=UTC), tick=False):
        status_publishing.get_status_list("suspension")
    before = StatusList.objects.get(purpose="suspension")

    with time_machine.travel(datetime(2025, 3, 4, 13, 0, tzinfo=UTC), tick=False):
        issuance.reinstate_badge(badge)

    after = StatusList.objects.get(purpose="suspension")
    assert (after.etag, after.credential) == (before.etag, before.credential)
    badge.refresh_from_db()
    assert badge.state == State.ISSUED
