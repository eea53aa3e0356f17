"""The verdict rules without HTTP: badge status, lifecycle check and `decide`, state by state.

Each test compares the whole returned value (every field of the status, check or verdict),
so a rule that names the wrong state, drops a date or a reason, or moves a boundary fails.
"""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from certificates.models import MAX_RENDER_ATTEMPTS, Badge
from certificates.public.verification import (
    ISSUER_KEY,
    MATCHES_RECORD,
    NOT_EXPIRED,
    NOT_REVOKED,
    PDF_UNALTERED,
    SIGNATURE,
    BadgeStatus,
    Check,
    Verdict,
    badge_checks,
    badge_status,
    decide,
)

State = Badge.State
ISSUED_AT = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
EXPIRES_AT = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
LATER = datetime(2025, 6, 2, 12, 0, tzinfo=UTC)  # after issue, before expiry
MICROSECOND = timedelta(microseconds=1)


def row(state=State.ISSUED, **fields) -> Badge:
    """A badge row as the database holds it (not saved: these rules read the row alone)."""
    defaults = {
        "state": state,
        "snapshot": {"issuer_name": "Credence", "recipient_name": "Ada Lovelace"},
        "created_at": ISSUED_AT,
        "issued_at": None if state in Badge.PREPARING_STATES else ISSUED_AT,
        "expires_at": EXPIRES_AT,
    }
    return Badge(**{**defaults, **fields})


# --- badge_status: the fellow's own badge list ------------------------------------------


@pytest.mark.parametrize(
    ("badge", "expected"),
    [
        pytest.param(
            row(State.ISSUED),
            BadgeStatus("valid", "Valid", True, ISSUED_AT),
            id="issued",
        ),
        pytest.param(
            row(State.ISSUED, expires_at=None),
            BadgeStatus("valid", "Valid", True, ISSUED_AT),
            id="issued-never-expires",
        ),
        pytest.param(
            row(State.REVOKED, revoked_at=LATER, revocation_reason="Answers copied."),
            BadgeStatus("revoked", "Revoked", False, LATER, "Answers copied."),
            id="revoked",
        ),
        pytest.param(
            row(State.SUPERSEDED),
            BadgeStatus(
                "superseded", "Superseded", False, None, "A newer badge replaces this one."
            ),
            id="superseded",
        ),
        pytest.param(
            row(State.SUSPENDED, suspended_at=LATER),
            BadgeStatus(
                "suspended",
                "Suspended",
                False,
                LATER,
                "The issuer has suspended this badge for now.",
            ),
            id="suspended",
        ),
        pytest.param(
            row(State.PENDING),
            BadgeStatus(
                "preparing",
                "Being prepared",
                False,
                None,
                "This badge was earned and its certificate is being prepared.",
            ),
            id="pending",
        ),
        pytest.param(
            row(State.RENDERING, render_attempts=1, render_lease_until=EXPIRES_AT),
            BadgeStatus(
                "preparing",
                "Being prepared",
                False,
                None,
                "This badge was earned and its certificate is being prepared.",
            ),
            id="rendering",
        ),
        pytest.param(
            row(State.PENDING, render_attempts=MAX_RENDER_ATTEMPTS),
            BadgeStatus(
                "preparing",
                "Being prepared",
                False,
                None,
                "This badge was earned. Preparing its certificate is taking longer than "
                "usual; the course team has been alerted.",
            ),
            id="pending-render-given-up",
        ),
        pytest.param(
            row(State.REVOKED, revoked_at=LATER, withdrawn_at=LATER + timedelta(days=1)),
            BadgeStatus(
                "withdrawn",
                "Withdrawn",
                False,
                LATER + timedelta(days=1),
                "Withdrawn when the holder erased their account.",
            ),
            id="withdrawn",
        ),
    ],
)
def test_badge_status_names_every_state_with_its_date_and_reason(badge, expected):
    assert badge_status(badge, now=LATER) == expected


@pytest.mark.parametrize(
    ("state", "fields", "code"),
    [
        (State.REVOKED, {"revoked_at": LATER}, "revoked"),
        (State.SUSPENDED, {"suspended_at": LATER}, "suspended"),
        (State.SUPERSEDED, {}, "superseded"),
        (State.PENDING, {}, "preparing"),
    ],
)
def test_a_lapsed_expiry_never_hides_a_revocation_suspension_or_replacement(state, fields, code):
    badge = row(state, **fields)
    after_expiry = EXPIRES_AT + timedelta(days=30)
    assert badge_status(badge, now=after_expiry) == badge_status(badge, now=LATER)
    assert badge_status(badge, now=after_expiry).code == code


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        (EXPIRES_AT - MICROSECOND, BadgeStatus("valid", "Valid", True, ISSUED_AT)),
        (EXPIRES_AT, BadgeStatus("expired", "Expired", False, EXPIRES_AT)),
        (EXPIRES_AT + MICROSECOND, BadgeStatus("expired", "Expired", False, EXPIRES_AT)),
    ],
    ids=["a-microsecond-before", "at-the-moment", "a-microsecond-after"],
)
def test_badge_status_expires_at_the_exact_moment_of_expiry(moment, expected):
    badge = row(State.ISSUED)
    assert badge_status(badge, now=moment) == expected
    # Without `now`, the clock decides.
    with time_machine.travel(moment, tick=False):
        assert badge_status(badge) == expected


# --- the lifecycle and expiry checks behind the public verdict ---------------------------


def _checks_at(badge: Badge, now: datetime) -> list[Check]:
    return badge_checks(badge, now=now)


def _unsigned(now: datetime) -> list[Check]:
    """What a badge row without a signed credential says about its signature and key."""
    return [
        Check(SIGNATURE, None, "No signed credential is on record for this badge.", now),
        Check(ISSUER_KEY, None, "No signed credential to check.", now),
    ]


@pytest.mark.parametrize(
    ("badge", "lifecycle"),
    [
        pytest.param(
            row(State.ISSUED),
            (True, "Not revoked or suspended on the issuer's record."),
            id="issued",
        ),
        pytest.param(
            row(State.REVOKED, revoked_at=datetime(2025, 4, 7, 12, tzinfo=UTC)),
            (False, "Revoked on 7 April 2025."),
            id="revoked",
        ),
        pytest.param(
            row(State.SUPERSEDED),
            (False, "Superseded by a newer badge."),
            id="superseded",
        ),
        pytest.param(
            row(State.SUSPENDED, suspended_at=datetime(2025, 5, 9, 12, tzinfo=UTC)),
            (False, "Suspended since 9 May 2025."),
            id="suspended",
        ),
    ],
)
def test_the_lifecycle_check_fails_for_every_state_but_issued(badge, lifecycle):
    assert _checks_at(badge, LATER) == [
        *_unsigned(LATER),
        Check(NOT_EXPIRED, True, "Valid until 1 March 2026.", LATER),
        Check(NOT_REVOKED, *lifecycle, LATER),
    ]


@pytest.mark.parametrize(
    ("moment", "expiry"),
    [
        (EXPIRES_AT - MICROSECOND, (True, "Valid until 1 March 2026.")),
        (EXPIRES_AT, (False, "Expired on 1 March 2026.")),
        (EXPIRES_AT + MICROSECOND, (False, "Expired on 1 March 2026.")),
    ],
    ids=["a-microsecond-before", "at-the-moment", "a-microsecond-after"],
)
def test_the_expiry_check_fails_from_the_exact_moment_of_expiry(moment, expiry):
    badge = row(State.ISSUED)
    lifecycle = Check(NOT_REVOKED, True, "Not revoked or suspended on the issuer's record.", moment)
    expected = [*_unsigned(moment), Check(NOT_EXPIRED, *expiry, moment), lifecycle]
    assert _checks_at(badge, moment) == expected
    with time_machine.travel(moment, tick=False):
        assert badge_checks(badge) == expected


def test_a_badge_without_an_expiry_date_never_expires():
    far = datetime(2125, 1, 1, tzinfo=UTC)
    assert _checks_at(row(State.ISSUED, expires_at=None), far)[2] == Check(
        NOT_EXPIRED, True, "This badge does not expire.", far
    )


# --- decide: one verdict from the lifecycle and the checks -------------------------------

NOW = LATER


def passed(name: str) -> Check:
    return Check(name, True, f"{name} ok.", NOW)


def failed(name: str) -> Check:
    return Check(name, False, f"{name} failed here.", NOW)


def unrun(name: str) -> Check:
    return Check(name, None, f"{name} could not run.", NOW)


ALL_PASS = tuple(passed(n) for n in (SIGNATURE, ISSUER_KEY, NOT_EXPIRED, NOT_REVOKED))


def with_check(check: Check) -> tuple[Check, ...]:
    """ALL_PASS with the check of the same name replaced (or added, for the PDF)."""
    return (*[c for c in ALL_PASS if c.name != check.name], check)


def assert_verdict(verdict: Verdict, expected: Verdict, badge) -> None:
    assert verdict == expected
    assert verdict.badge is badge


def test_an_unknown_badge_is_not_recognised_whatever_the_checks():
    for checks in ((), ALL_PASS):
        assert_verdict(
            decide(None, checks, now=NOW),
            Verdict(
                "unknown",
                "Not recognised",
                "This is not a badge issued here, or its record could not be found.",
                checks,
            ),
            None,
        )


def test_an_issued_badge_whose_checks_all_pass_is_valid_since_its_issue():
    badge = row(State.ISSUED)
    for checks in (ALL_PASS, with_check(passed(PDF_UNALTERED))):
        verdict = decide(badge, checks, now=NOW)
        assert_verdict(
            verdict,
            Verdict(
                "valid",
                "Valid",
                "Valid: issued by Credence and current.",
                checks,
                since=ISSUED_AT,
            ),
            badge,
        )
        assert verdict.is_valid


def test_a_snapshot_without_an_issuer_name_names_none():
    badge = row(State.ISSUED, snapshot={"recipient_name": "Ada Lovelace"})
    assert decide(badge, ALL_PASS, now=NOW).summary == "Valid: issued by  and current."


WITHDRAWN_AT = datetime(2025, 7, 4, 12, tzinfo=UTC)
WITHDRAWN = Verdict(
    "withdrawn",
    "Withdrawn",
    "Withdrawn on 4 July 2025",
    since=WITHDRAWN_AT,
    detail="The badge with this id is no longer valid, and nothing shown on it can be "
    "confirmed: its record was erased at the request of the person it was issued to.",
)


@pytest.mark.parametrize(
    "checks",
    [
        (),
        ALL_PASS,
        # The erased record no longer matches anything, and an unrun check is no forgery.
        with_check(failed(MATCHES_RECORD)),
        with_check(unrun(SIGNATURE)),
        with_check(failed(PDF_UNALTERED)),
    ],
    ids=["no-checks", "all-pass", "record-differs", "signature-unrun", "pdf-differs"],
)
def test_a_withdrawn_badge_shows_nothing_but_its_withdrawal(checks):
    badge = row(State.REVOKED, revoked_at=WITHDRAWN_AT, withdrawn_at=WITHDRAWN_AT)
    verdict = decide(badge, checks, now=NOW)
    # No checks and no badge: nothing it printed may be shown or confirmed.
    assert_verdict(verdict, WITHDRAWN, None)
    assert verdict.as_dict()["badge"] is None and verdict.as_dict()["checks"] == []


@pytest.mark.parametrize("forged", [SIGNATURE, ISSUER_KEY])
def test_a_forgery_of_a_withdrawn_badge_is_not_valid_and_borrows_nothing(forged):
    badge = row(State.REVOKED, revoked_at=WITHDRAWN_AT, withdrawn_at=WITHDRAWN_AT)
    bad = failed(forged)
    label = {SIGNATURE: "signature valid", ISSUER_KEY: "issuer key known and not compromised"}
    assert_verdict(
        decide(badge, with_check(bad), now=NOW),
        Verdict(
            "invalid",
            "Not valid",
            f"Not valid: {label[forged]} failed",
            (bad,),
            detail=bad.detail,
        ),
        None,
    )


@pytest.mark.parametrize(
    "badge",
    [
        row(State.ISSUED),
        row(State.REVOKED, revoked_at=LATER, revocation_reason="Copied."),
        row(State.SUSPENDED, suspended_at=LATER),
        row(State.SUPERSEDED),
    ],
    ids=["issued", "revoked", "suspended", "superseded"],
)
def test_an_altered_pdf_is_called_altered_whatever_the_badge_state(badge):
    checks = with_check(failed(PDF_UNALTERED))
    assert_verdict(
        decide(badge, checks, now=NOW),
        Verdict(
            "altered",
            "Altered",
            "Altered: this PDF is not the one we issued. See the badge's page for the record.",
            checks,
        ),
        badge,
    )


@pytest.mark.parametrize("state", [State.PENDING, State.RENDERING])
@pytest.mark.parametrize("checks", [(), ALL_PASS], ids=["no-checks", "a-presented-credential"])
def test_a_badge_being_prepared_says_so(state, checks):
    badge = row(state)
    assert_verdict(
        decide(badge, checks, now=NOW),
        Verdict(
            "preparing",
            "Being prepared",
            "Being prepared",
            checks,
            detail="This badge was earned and its certificate is being prepared.",
        ),
        badge,
    )


REVOKED_AT = datetime(2025, 4, 7, 12, tzinfo=UTC)


@pytest.mark.parametrize(
    ("reason", "summary"),
    [
        ("Answers were copied.", "Revoked on 7 April 2025 (Answers were copied.)"),
        ("", "Revoked on 7 April 2025"),
    ],
)
def test_a_revoked_badge_is_revoked_with_its_date_and_reason(reason, summary):
    badge = row(State.REVOKED, revoked_at=REVOKED_AT, revocation_reason=reason)
    checks = with_check(failed(NOT_REVOKED))
    assert_verdict(
        decide(badge, checks, now=NOW),
        Verdict("revoked", "Revoked", summary, checks, since=REVOKED_AT, detail=reason),
        badge,
    )


def test_a_superseded_badge_points_to_its_replacement():
    badge = row(State.SUPERSEDED)
    checks = with_check(failed(NOT_REVOKED))
    assert_verdict(
        decide(badge, checks, now=NOW),
        Verdict(
            "superseded",
            "Superseded",
            "Superseded by a newer badge",
            checks,
            detail="A newer badge replaces this one.",
        ),
        badge,
    )


def test_a_suspended_badge_is_suspended_since_its_suspension():
    suspended_at = datetime(2025, 5, 9, 12, tzinfo=UTC)
    badge = row(State.SUSPENDED, suspended_at=suspended_at)
    checks = with_check(failed(NOT_REVOKED))
    assert_verdict(
        decide(badge, checks, now=NOW),
        Verdict(
            "suspended",
            "Suspended",
            "Suspended since 9 May 2025",
            checks,
            since=suspended_at,
            detail="The issuer has suspended this badge for now.",
        ),
        badge,
    )


LABELS = {
    SIGNATURE: "signature valid",
    ISSUER_KEY: "issuer key known and not compromised",
    MATCHES_RECORD: "matches the issuer's record",
    NOT_REVOKED: "not revoked or suspended",
}


@pytest.mark.parametrize("name", [SIGNATURE, ISSUER_KEY, MATCHES_RECORD, NOT_REVOKED])
def test_an_issued_badge_failing_an_integrity_check_is_not_valid(name):
    badge = row(State.ISSUED)
    bad = failed(name)
    # Expired too, and another check unrun: the failed integrity check decides.
    kept = [c for c in ALL_PASS if c.name not in (name, NOT_EXPIRED)]
    checks = (*kept, bad, failed(NOT_EXPIRED), unrun(PDF_UNALTERED))
    assert_verdict(
        decide(badge, checks, now=NOW),
        Verdict(
            "invalid",
            "Not valid",
            f"Not valid: {LABELS[name]} failed",
            checks,
            detail=bad.detail,
        ),
        badge,
    )


def test_every_failed_integrity_check_is_named_in_order():
    badge = row(State.ISSUED)
    checks = (failed(SIGNATURE), passed(ISSUER_KEY), failed(MATCHES_RECORD), passed(NOT_REVOKED))
    assert_verdict(
        decide(badge, checks, now=NOW),
        Verdict(
            "invalid",
            "Not valid",
            "Not valid: signature valid failed; matches the issuer's record failed",
            checks,
            detail="signature failed here. matches_record failed here.",
        ),
        badge,
    )


def test_an_issued_badge_past_its_expiry_is_expired_since_then():
    badge = row(State.ISSUED)
    # An unrun check does not hide the expiry: the badge is expired whatever it says.
    checks = (*with_check(failed(NOT_EXPIRED)), unrun(PDF_UNALTERED))
    assert_verdict(
        decide(badge, checks, now=NOW),
        Verdict("expired", "Expired", "Expired on 1 March 2026", checks, since=EXPIRES_AT),
        badge,
    )


def test_a_check_that_could_not_run_makes_the_verdict_unverified_never_valid():
    badge = row(State.ISSUED)
    checks = (unrun(SIGNATURE), unrun(ISSUER_KEY), passed(NOT_EXPIRED), passed(NOT_REVOKED))
    assert_verdict(
        decide(badge, checks, now=NOW),
        Verdict(
            "unverified",
            "Could not be verified",
            "Could not be verified right now: signature valid; issuer key known and not "
            "compromised could not be checked.",
            checks,
            detail="signature could not run. issuer_key could not run.",
        ),
        badge,
    )


def test_an_issued_badge_with_no_checks_at_all_is_unverified_not_valid():
    badge = row(State.ISSUED)
    assert_verdict(
        decide(badge, [], now=NOW),
        Verdict(
            "unverified",
            "Could not be verified",
            "Could not be verified right now:  could not be checked.",
            (),
        ),
        badge,
    )
