"""The sweeper: which stuck badges it queues again, which it gives up on, and what it
tells the operator (its return value, the `sweep_badges` line, the log)."""

import io
import logging
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core.management import call_command

from certificates import tasks
from certificates.issuing import issuance, publishing
from certificates.models import Badge
from tests.support.staff import make_badge

pytestmark = pytest.mark.django_db

State = Badge.State
NOW = datetime(2025, 3, 4, 12, 0, tzinfo=UTC)
LOST_TEXT = "The render did not finish: its worker was lost or hit the time limit."


@pytest.fixture
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def broker(monkeypatch):
    """A broker that accepts render messages with no worker behind it: the ids it got."""
    sent = []
    monkeypatch.setattr(
        tasks.render_badge_task, "apply_async", lambda args, **kwargs: sent.append(args[0])
    )
    return sent


def stuck(design, state=State.PENDING, **fields) -> Badge:
    badge = make_badge(design=design, state=state)
    Badge.objects.filter(pk=badge.pk).update(**fields)
    badge.refresh_from_db()
    return badge


def sweep_messages(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.getMessage().startswith("sweeper")]


def test_a_pending_badge_is_queued_again_only_once_it_waited_longer_than_pending_after(
    design, frozen, broker, caplog
):
    never_queued = stuck(design, last_enqueued_at=None)
    just_over = stuck(design, last_enqueued_at=NOW - timedelta(minutes=2, seconds=1))
    exactly = stuck(design, last_enqueued_at=NOW - timedelta(minutes=2))
    just_under = stuck(design, last_enqueued_at=NOW - timedelta(minutes=1, seconds=59))
    queued_now = stuck(design, last_enqueued_at=NOW)

    with caplog.at_level("INFO", logger="credence.badges"):
        assert issuance.sweep_stuck_badges(pending_after=timedelta(minutes=2)) == 2

    assert sorted(broker) == sorted([never_queued.pk, just_over.pk])
    assert sweep_messages(caplog) == ["sweeper re-queued 2 of 2 stuck badges"]
    # Queueing stamps the badge, so the next sweep leaves it alone for another while.
    for badge in (never_queued, just_over):
        badge.refresh_from_db()
        assert badge.last_enqueued_at == NOW
    for badge in (exactly, just_under, queued_now):
        before = badge.last_enqueued_at
        badge.refresh_from_db()
        assert badge.last_enqueued_at == before
    assert issuance.sweep_stuck_badges(pending_after=timedelta(minutes=2)) == 0


def test_a_rendering_badge_is_queued_again_only_when_its_lease_ran_out(
    design, frozen, broker, caplog
):
    worker_died = stuck(
        design,
        State.RENDERING,
        render_attempts=1,
        render_lease_until=NOW - timedelta(seconds=1),
        last_enqueued_at=NOW - timedelta(minutes=5),
    )
    lease_ends_now = stuck(
        design,
        State.RENDERING,
        render_attempts=1,
        render_lease_until=NOW,
        last_enqueued_at=NOW - timedelta(minutes=5),
    )
    still_rendering = stuck(
        design,
        State.RENDERING,
        render_attempts=1,
        render_lease_until=NOW + timedelta(minutes=1),
        last_enqueued_at=NOW - timedelta(minutes=5),
    )
    # Revoked mid-render, and that worker died: its lease ran out, but there is nothing
    # left to render.
    revoked_mid_render = stuck(
        design,
        State.REVOKED,
        render_attempts=1,
        render_lease_until=NOW - timedelta(minutes=1),
        last_enqueued_at=NOW - timedelta(minutes=5),
    )
    issued = stuck(design, State.ISSUED, last_enqueued_at=NOW - timedelta(minutes=5))

    with caplog.at_level("INFO", logger="credence.badges"):
        assert issuance.sweep_stuck_badges() == 1

    assert broker == [worker_died.pk]
    assert sweep_messages(caplog) == ["sweeper re-queued 1 of 1 stuck badges"]
    for badge in (lease_ends_now, still_rendering, revoked_mid_render, issued):
        state = badge.state
        badge.refresh_from_db()
        assert badge.state == state and badge.last_error == ""
    # A lost render that was not the last allowed one is simply queued again: no alert,
    # no error on the badge, and it stays claimable by the next worker.
    worker_died.refresh_from_db()
    assert (worker_died.state, worker_died.last_error) == (State.RENDERING, "")
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


def test_the_sweep_command_says_how_many_it_queued_of_how_many_were_stuck(
    design, frozen, monkeypatch, caplog
):
    first, second, third = (stuck(design, last_enqueued_at=None) for _ in range(3))
    sent = []

    def broker_refusing_the_second(args, **kwargs):
        if args[0] == second.pk:
            raise ConnectionError("broker down")
        sent.append(args[0])

    monkeypatch.setattr(tasks.render_badge_task, "apply_async", broker_refusing_the_second)
    out = io.StringIO()
    with caplog.at_level("INFO", logger="credence.badges"):
        call_command("sweep_badges", stdout=out)

    assert sorted(sent) == sorted([first.pk, third.pk])
    assert out.getvalue() == "Queued 2 badge(s) for rendering; deleted 0 withdrawn badge file(s).\n"
    assert sweep_messages(caplog) == ["sweeper re-queued 2 of 3 stuck badges"]


def test_a_sweep_with_nothing_stuck_logs_nothing(design, frozen, broker, caplog):
    stuck(design, last_enqueued_at=NOW)
    stuck(design, State.ISSUED)
    with caplog.at_level("INFO", logger="credence.badges"):
        assert issuance.sweep_stuck_badges() == 0
    assert broker == [] and caplog.records == []


# --- a last allowed render lost with its worker ---------------------------------------


def alerts(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if "ALERT" in r.getMessage()]


def alert_for(badge) -> str:
    return (
        f"ALERT: badge {badge.public_id}: its last allowed render was lost with its worker; "
        "no more retries until staff retry it from the badge admin"
    )


def lost_render(design, *, last: bool) -> Badge:
    attempts = publishing.MAX_RENDER_ATTEMPTS if last else publishing.MAX_RENDER_ATTEMPTS - 1
    return stuck(
        design,
        State.RENDERING,
        render_attempts=attempts,
        render_token="dead-worker",
        render_lease_until=NOW - timedelta(seconds=1),
        last_enqueued_at=NOW - timedelta(minutes=5),
    )


def test_only_a_lost_last_render_is_given_up_with_an_alert_and_a_reason_staff_can_read(
    verified_staff_client, design, frozen, broker, caplog
):
    last = lost_render(design, last=True)
    earlier = lost_render(design, last=False)
    # A last render that is still within its lease may yet finish: not given up.
    live_last = stuck(
        design,
        State.RENDERING,
        render_attempts=publishing.MAX_RENDER_ATTEMPTS,
        render_lease_until=NOW + timedelta(seconds=30),
    )
    # A last render that failed cleanly was handed back already, with its own reason.
    failed_last = stuck(
        design,
        State.PENDING,
        render_attempts=publishing.MAX_RENDER_ATTEMPTS,
        render_lease_until=None,
        last_error="OSError('disk full')",
    )

    with caplog.at_level("INFO", logger="credence.badges"):
        assert issuance.sweep_stuck_badges() == 1

    assert broker == [earlier.pk]
    assert alerts(caplog) == [alert_for(last)]
    last.refresh_from_db()
    assert (last.state, last.render_lease_until, last.last_error) == (
        State.PENDING,
        None,
        LOST_TEXT,
    )
    assert last.render_gave_up
    inspect = verified_staff_client.get(f"/admin/badges/inspect/{last.pk}/").content.decode()
    assert f"<pre>{LOST_TEXT}</pre>" in inspect

    earlier.refresh_from_db()
    assert (earlier.state, earlier.last_error) == (State.RENDERING, "")
    live_last.refresh_from_db()
    assert (live_last.state, live_last.last_error) == (State.RENDERING, "")
    assert live_last.render_lease_until == NOW + timedelta(seconds=30)
    failed_last.refresh_from_db()
    assert (failed_last.state, failed_last.last_error) == (State.PENDING, "OSError('disk full')")

    # Given up once: later sweeps neither alert again nor queue it.
    caplog.clear()
    with caplog.at_level("INFO", logger="credence.badges"):
        issuance.sweep_stuck_badges()
    assert alerts(caplog) == [] and last.pk not in broker


class _OnFirstAlert(logging.Handler):
    """Runs `action` with the message of the first ALERT: a deterministic stand-in for a
    person acting between the sweeper's listing of lost renders and its hand-back."""

    def __init__(self, action):
        super().__init__()
        self.action = action
        self.done = False

    def emit(self, record):
        if not self.done and "ALERT" in record.getMessage():
            self.done = True
            self.action(record.getMessage())


@pytest.fixture
def on_first_alert():
    logger = logging.getLogger("credence.badges")
    handlers = []

    def install(action):
        handler = _OnFirstAlert(action)
        logger.addHandler(handler)
        handlers.append(handler)

    yield install
    for handler in handlers:
        logger.removeHandler(handler)


def test_a_lost_last_render_revoked_while_the_sweeper_works_stays_revoked(
    design, frozen, broker, caplog, on_first_alert, staff_user
):
    one, other = lost_render(design, last=True), lost_render(design, last=True)

    def revoke_the_other(message):
        target = other if one.public_id in message else one
        issuance.revoke_badge(target, reason="Plagiarism.", by=staff_user)
        revoked.append(target)

    revoked = []
    on_first_alert(revoke_the_other)
    with caplog.at_level("INFO", logger="credence.badges"):
        issuance.sweep_stuck_badges()

    [target] = revoked
    target.refresh_from_db()
    assert (target.state, target.revocation_reason) == (State.REVOKED, "Plagiarism.")
    assert target.last_error == ""
    assert len(alerts(caplog)) == 1


def test_a_lost_last_render_that_staff_retried_meanwhile_is_left_to_its_new_worker(
    design, frozen, broker, caplog, on_first_alert, staff_user
):
    one, other = lost_render(design, last=True), lost_render(design, last=True)

    def retry_and_claim_the_other(message):
        target = other if one.public_id in message else one
        issuance.retry_render(target, by=staff_user)
        assert publishing.claim_for_render(target.pk)
        retried.append(target)

    retried = []
    on_first_alert(retry_and_claim_the_other)
    with caplog.at_level("INFO", logger="credence.badges"):
        issuance.sweep_stuck_badges()

    [target] = retried
    target.refresh_from_db()
    assert (target.state, target.render_attempts, target.last_error) == (State.RENDERING, 1, "")
    assert target.render_lease_until > NOW
    assert len(alerts(caplog)) == 1
