"""The badge lifecycle table (certificates.lifecycle): what each stage is called, what staff
may do in it and which status-list bits it sets; and that the public verdict, the admin's
buttons and the issuance service all follow it.

Each test compares one whole result (a table of stages, of buttons, of outcomes), so a
stage that gains or loses an action, a word or a bit fails.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from django.contrib.messages import get_messages
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from wagtail.models import ModelLogEntry

from certificates import lifecycle
from certificates.issuing import issuance
from certificates.models import MAX_RENDER_ATTEMPTS, Badge
from certificates.public.verification import NOT_REVOKED, badge_checks
from certificates.signing.ob3.status_list import Bitstring
from tests.support.badges import issue_badge_now
from tests.support.staff import make_badge

State = Badge.State
ISSUED_AT = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
LATER = datetime(2025, 6, 2, 12, 0, tzinfo=UTC)
EXPIRES_AT = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def row(state=State.ISSUED, **fields) -> Badge:
    """A badge row as the database holds it (not saved: the table reads the row alone)."""
    defaults = {
        "state": state,
        "snapshot": {"issuer_name": "Credence", "recipient_name": "Ada Lovelace"},
        "created_at": ISSUED_AT,
        "issued_at": None if state in Badge.PREPARING_STATES else ISSUED_AT,
        "expires_at": EXPIRES_AT,
    }
    return Badge(**{**defaults, **fields})


# Every kind of badge staff and the public meet, by a name for the tables below.
ROWS = {
    "pending": lambda: row(State.PENDING),
    "rendering": lambda: row(
        State.RENDERING, render_attempts=1, render_lease_until=LATER + timedelta(minutes=5)
    ),
    "pending, rendering given up": lambda: row(State.PENDING, render_attempts=MAX_RENDER_ATTEMPTS),
    "rendering, last render lost": lambda: row(
        State.RENDERING,
        render_attempts=MAX_RENDER_ATTEMPTS,
        render_lease_until=LATER - timedelta(minutes=5),
    ),
    "issued": lambda: row(State.ISSUED),
    "issued, expired": lambda: row(State.ISSUED, expires_at=LATER - timedelta(days=1)),
    "suspended": lambda: row(State.SUSPENDED, suspended_at=LATER),
    "revoked": lambda: row(State.REVOKED, revoked_at=LATER),
    "superseded": lambda: row(State.SUPERSEDED),
    "withdrawn": lambda: row(State.REVOKED, revoked_at=LATER, withdrawn_at=LATER),
    "out of date": lambda: row(
        State.OUT_OF_DATE,
        out_of_date_at=LATER,
        renew_by=LATER,
        snapshot={"issuer_name": "Credence", "version_number": "2025.1"},
    ),
}


def test_every_stored_state_is_one_public_stage():
    assert set(lifecycle.STAGE_OF_STATE) == set(State.values)
    with time_machine.travel(LATER, tick=False):
        stages = {name: lifecycle.stage_of(make()).code for name, make in ROWS.items()}
    assert stages == {
        "pending": "preparing",
        "rendering": "preparing",
        "pending, rendering given up": "preparing",
        "rendering, last render lost": "preparing",
        "issued": "valid",
        "issued, expired": "expired",
        "suspended": "suspended",
        "revoked": "revoked",
        "superseded": "superseded",
        "withdrawn": "withdrawn",
        "out of date": "out_of_date",
    }
    assert set(lifecycle.STAGES) == set(stages.values())


def test_a_lapsed_expiry_shows_only_on_a_badge_that_would_be_valid():
    after_expiry = EXPIRES_AT + timedelta(days=30)
    stages = {
        name: lifecycle.stage_of(make(), after_expiry).code
        for name, make in ROWS.items()
        if name
        in ("pending", "issued", "suspended", "revoked", "superseded", "withdrawn", "out of date")
    }
    assert stages == {
        "pending": "preparing",
        "issued": "expired",
        "suspended": "suspended",
        "revoked": "revoked",
        "superseded": "superseded",
        "withdrawn": "withdrawn",
        # Out of date says more than expired: the version it certifies is no longer current.
        "out of date": "out_of_date",
    }


def test_what_staff_may_do_in_each_stage():
    with time_machine.travel(LATER, tick=False):
        actions = {name: lifecycle.allowed_actions(make()) for name, make in ROWS.items()}
    assert actions == {
        # Retrying waits until the rendering was given up; revoking is always possible
        # until the badge is revoked or replaced.
        "pending": ["revoke"],
        "rendering": ["revoke"],
        "pending, rendering given up": ["retry_render", "revoke"],
        "rendering, last render lost": ["retry_render", "revoke"],
        "issued": ["suspend", "reissue", "revoke"],
        # An expired badge is still the fellow's: staff can suspend, replace or revoke it.
        "issued, expired": ["suspend", "reissue", "revoke"],
        # Only a suspended badge can be reinstated.
        "suspended": ["reinstate", "reissue", "revoke"],
        # Revocation and replacement are final; nothing can be done to them.
        "revoked": [],
        "superseded": [],
        "withdrawn": [],
        # Renewing replaces it; the course team extends its deadline elsewhere, or revokes.
        "out of date": ["revoke"],
    }


def test_the_status_bits_of_each_stage_follow_decision_0004():
    bits = {code: lifecycle.status_bits(code) for code in lifecycle.STAGES}
    neither = {"revocation": False, "suspension": False}
    both = {"revocation": True, "suspension": True}
    assert bits == {
        "preparing": neither,
        "valid": neither,
        "expired": neither,
        "suspended": {"revocation": False, "suspension": True},
        "revoked": both,
        "superseded": both,
        "withdrawn": both,
        # Not final (an extended deadline restores it): the suspension bit alone.
        "out_of_date": {"revocation": False, "suspension": True},
    }
    assert lifecycle.bits_changed("valid", "out_of_date") == {"suspension": True}
    assert lifecycle.bits_changed("out_of_date", "superseded") == {"revocation": True}
    # A suspension touches only its own list, and reinstating undoes exactly that.
    assert lifecycle.bits_changed("valid", "suspended") == {"suspension": True}
    assert lifecycle.bits_changed("suspended", "valid") == {"suspension": False}
    assert lifecycle.bits_changed("valid", "valid") == {}


def test_the_record_check_behind_each_verdict_names_the_stage():
    """The "Not revoked or suspended" check the page lists under its technical details."""
    with time_machine.travel(LATER, tick=False):
        checks = {
            name: next(c for c in badge_checks(make(), now=LATER) if c.name == NOT_REVOKED)
            for name, make in ROWS.items()
        }
    clear = (True, "Not revoked or suspended on the issuer's record.")
    assert {name: (c.passed, c.detail) for name, c in checks.items()} == {
        "pending": clear,
        "rendering": clear,
        "pending, rendering given up": clear,
        "rendering, last render lost": clear,
        "issued": clear,
        # Expiry has its own check.
        "issued, expired": clear,
        "suspended": (False, "Suspended since 2 June 2025."),
        "revoked": (False, "Revoked on 2 June 2025."),
        "superseded": (False, "Superseded by a newer badge."),
        "withdrawn": (False, "Withdrawn on 2 June 2025."),
        "out of date": (
            False,
            "Out of date since 2 June 2025: not renewed after the course changed.",
        ),
    }


# --- the issuance service and the admin follow the table --------------------------------


def _make_saved(kind: str, design) -> Badge:
    """A saved badge of one kind of ROWS (its dates: now)."""
    state = {
        "pending, rendering given up": State.PENDING,
        "issued, expired": State.ISSUED,
        "withdrawn": State.REVOKED,
        "out of date": State.OUT_OF_DATE,
    }.get(kind, kind)
    badge = make_badge(design=design, state=state)
    now = timezone.now()
    extra = {
        "pending, rendering given up": {"render_attempts": MAX_RENDER_ATTEMPTS},
        "issued, expired": {"expires_at": now - timedelta(days=1)},
        "withdrawn": {"withdrawn_at": now},
        "out of date": {"out_of_date_at": now, "renew_by": now},
    }.get(kind, {})
    Badge.objects.filter(pk=badge.pk).update(**extra)
    badge.refresh_from_db()
    return badge


SAVED_KINDS = (
    "pending",
    "pending, rendering given up",
    "issued",
    "issued, expired",
    "suspended",
    "revoked",
    "superseded",
    "withdrawn",
    "out of date",
)
DO = {
    lifecycle.SUSPEND: lambda badge, by: issuance.suspend_badge(badge, by=by),
    lifecycle.REINSTATE: lambda badge, by: issuance.reinstate_badge(badge, by=by),
    lifecycle.REISSUE: lambda badge, by: issuance.reissue_badge(badge, by=by),
    lifecycle.RETRY_RENDER: lambda badge, by: issuance.retry_render(badge, by=by),
    lifecycle.REVOKE: lambda badge, by: issuance.revoke_badge(badge, reason="Copied.", by=by),
}


def _outcome(badge: Badge, action: str, by) -> str:
    """'refused', 'no change' (already so), or the badge's state after the change."""
    try:
        with transaction.atomic():
            DO[action](badge, by)
    except issuance.IssuanceError:
        return "refused"
    badge.refresh_from_db()
    if not ModelLogEntry.objects.for_instance(badge).exists():
        return "no change"
    return str(badge.state)


@pytest.mark.django_db
def test_the_issuance_service_allows_exactly_what_the_table_allows(design, staff_user):
    outcomes = {}
    allowed = {}
    for kind in SAVED_KINDS:
        for action in lifecycle.ACTIONS:
            badge = _make_saved(kind, design)
            allowed[kind, action] = lifecycle.can(action, badge)
            outcomes[kind, action] = _outcome(badge, action, staff_user)
    actions = lifecycle.ACTIONS
    # Columns: suspend, reinstate, reissue, retry_render, revoke.
    expected_rows = {
        "pending": ("refused", "refused", "refused", "refused", "revoked"),
        "pending, rendering given up": ("refused", "refused", "refused", "pending", "revoked"),
        "issued": ("suspended", "no change", "superseded", "refused", "revoked"),
        "issued, expired": ("suspended", "no change", "superseded", "refused", "revoked"),
        "suspended": ("no change", "issued", "superseded", "refused", "revoked"),
        # Staff cannot suspend, reinstate or replace a revoked or superseded badge.
        "revoked": ("refused", "refused", "refused", "refused", "no change"),
        "superseded": ("refused", "refused", "refused", "refused", "refused"),
        "withdrawn": ("refused", "refused", "refused", "refused", "no change"),
        # Renewal replaces an out-of-date badge; staff can only revoke it.
        "out of date": ("refused", "refused", "refused", "refused", "revoked"),
    }
    assert actions == ("suspend", "reinstate", "reissue", "retry_render", "revoke")
    assert outcomes == {
        (kind, action): result
        for kind, results in expected_rows.items()
        for action, result in zip(actions, results, strict=True)
    }
    # The admin offers a button exactly where the service makes a change.
    assert allowed == {
        key: result not in ("refused", "no change") for key, result in outcomes.items()
    }


def _buttons(client, badge: Badge) -> list[tuple[str, str]]:
    html = client.get(reverse("badges:inspect", args=[badge.pk])).content.decode()
    names = {"suspend", "reinstate", "reissue", "retry_render", "revoke"}
    urls = {reverse(f"badges:{name}", args=[badge.pk]): name for name in names}
    found = re.findall(r'<a class="([^"]*)" href="([^"]*)">([^<]*)</a>', html)
    return [(label, urls[href]) for _, href, label in found if href in urls]


@pytest.mark.django_db
def test_the_inspect_page_offers_the_buttons_of_the_badges_stage(verified_staff_client, design):
    buttons = {
        kind: _buttons(verified_staff_client, _make_saved(kind, design)) for kind in SAVED_KINDS
    }
    issued = [("Suspend", "suspend"), ("Re-issue", "reissue"), ("Revoke", "revoke")]
    assert buttons == {
        "pending": [("Revoke", "revoke")],
        "pending, rendering given up": [
            ("Retry rendering", "retry_render"),
            ("Revoke", "revoke"),
        ],
        "issued": issued,
        "issued, expired": issued,
        "suspended": [("Reinstate", "reinstate"), ("Re-issue", "reissue"), ("Revoke", "revoke")],
        "revoked": [],
        "superseded": [],
        "withdrawn": [],
        "out of date": [("Revoke", "revoke")],
    }


@pytest.mark.django_db
def test_a_confirmation_page_the_stage_does_not_allow_sends_staff_back(
    verified_staff_client, design
):
    revoked = _make_saved("revoked", design)
    pages = {
        name: verified_staff_client.get(reverse(f"badges:{name}", args=[revoked.pk]), follow=True)
        for name in ("suspend", "reinstate", "reissue", "retry_render", "revoke")
    }
    inspect = reverse("badges:inspect", args=[revoked.pk])
    seen = {
        # Where staff land, and what the page they land on tells them.
        name: (r.redirect_chain, [str(m).strip() for m in get_messages(r.wsgi_request)])
        for name, r in pages.items()
    }
    assert seen == {
        "suspend": ([(inspect, 302)], ["Only an issued badge can be suspended."]),
        "reinstate": (
            [(inspect, 302)],
            ["Only a suspended badge can be reinstated; revocation is final."],
        ),
        "reissue": ([(inspect, 302)], ["Only an issued or suspended badge can be re-issued."]),
        "retry_render": (
            [(inspect, 302)],
            ["Only a badge whose rendering was given up can be retried."],
        ),
        "revoke": (
            [(inspect, 302)],
            ["This badge is revoked or superseded: there is nothing to revoke."],
        ),
    }
    suspended = _make_saved("suspended", design)
    page = verified_staff_client.get(reverse("badges:reinstate", args=[suspended.pk]))
    assert page.status_code == 200 and "Yes, reinstate" in page.content.decode()


# --- one badge's life, as the public and outside verifiers see it -----------------------

MONTHS = "January February March April May June July August September October November December"


def written_day(day: date) -> str:
    """'7 December 2026', spelled out independently of the code under test."""
    return f"{day.day} {MONTHS.split()[day.month - 1]} {day.year}"


def _seen(client, badge: Badge) -> dict:
    """What the badge's public JSON says, and its bits on the served status lists."""
    data = client.get(f"/badges/{badge.public_id}.json").json()
    bits = {}
    for purpose in ("revocation", "suspension"):
        served = client.get(f"/status/{purpose}").json()
        encoded = served["credentialSubject"]["encodedList"]
        bits[purpose] = Bitstring.decode(encoded).get(badge.status_index)
    seen = {key: data[key] for key in ("status", "label", "summary", "valid", "detail")}
    return {**seen, "bits": bits}


@pytest.mark.django_db
def test_a_badges_life_reads_the_same_on_its_page_and_on_the_status_lists(
    design, completion, client, django_capture_on_commit_callbacks
):
    badge = issue_badge_now(completion, django_capture_on_commit_callbacks)
    today = written_day(timezone.localdate())
    issuer = badge.snapshot["issuer_name"]
    life = [("issued", _seen(client, badge))]

    def step(name, change, shown):
        with django_capture_on_commit_callbacks(execute=True):
            result = change()
        life.append((name, _seen(client, shown or result)))
        return result

    step("suspended", lambda: issuance.suspend_badge(badge), None)
    step("reinstated", lambda: issuance.reinstate_badge(badge), None)
    new = step("re-issued (the old one)", lambda: issuance.reissue_badge(badge), badge)
    new.refresh_from_db()
    step("revoked (the new one)", lambda: issuance.revoke_badge(new, reason="Copied."), None)

    def withdraw():
        with transaction.atomic():
            issuance.withdraw_badges_of(completion.user)

    step("withdrawn (the old one)", withdraw, badge)

    neither = {"revocation": False, "suspension": False}
    both = {"revocation": True, "suspension": True}
    valid = {
        "status": "valid",
        "label": "Valid",
        "summary": f"Valid: issued by {issuer} and current.",
        "valid": True,
        "detail": "",
        "bits": neither,
    }
    assert life == [
        ("issued", valid),
        (
            "suspended",
            {
                "status": "suspended",
                "label": "Suspended",
                "summary": f"Suspended since {today}",
                "valid": False,
                "detail": "The issuer has suspended this badge for now.",
                "bits": {"revocation": False, "suspension": True},
            },
        ),
        ("reinstated", valid),
        (
            "re-issued (the old one)",
            {
                "status": "superseded",
                "label": "Superseded",
                "summary": "Superseded by a newer badge",
                "valid": False,
                "detail": "A newer badge replaces this one.",
                "bits": both,
            },
        ),
        (
            "revoked (the new one)",
            {
                "status": "revoked",
                "label": "Revoked",
                "summary": f"Revoked on {today} (Copied.)",
                "valid": False,
                "detail": "Copied.",
                "bits": both,
            },
        ),
        (
            "withdrawn (the old one)",
            {
                "status": "withdrawn",
                "label": "Withdrawn",
                "summary": f"Withdrawn on {today}",
                "valid": False,
                "detail": "The badge with this id is no longer valid, and nothing shown on it "
                "can be confirmed: its record was erased at the request of the person it was "
                "issued to.",
                "bits": both,
            },
        ),
    ]
