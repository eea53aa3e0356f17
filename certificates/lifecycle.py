"""The badge lifecycle, written once: for each stage a badge can be in, what the public
is told, whether it counts as valid, what staff may do to it, and which of its
status-list bits are set.

A stage is what the public sees, not the stored `Badge.State`: pending and rendering are
both *preparing*, an issued badge past its expiry is *expired*, and a badge whose holder
erased their account is *withdrawn* (its state is revoked). The verdict
(`public.verification`), the admin's buttons and confirmation pages (`staff.views`) and
the issuance service's guards (`issuing.issuance`) all read `STAGES`, so the wording, the
rules and the bits cannot drift apart.

The wording holds `{placeholders}` that the verdict fills in from the badge:
`{since}` (the day of the stage's `since` field), `{reason}` (the revocation reason),
`{in_brackets}` (" (reason)", or nothing without one), `{issuer}` (the issuer's name) and
`{version}` (the course version the badge certifies).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from certificates.models import Badge

# Stages: the status codes of the public page, its JSON and the fellow's badge list.
PREPARING = "preparing"
VALID = "valid"
EXPIRED = "expired"
SUSPENDED = "suspended"
REVOKED = "revoked"
SUPERSEDED = "superseded"
OUT_OF_DATE = "out_of_date"
WITHDRAWN = "withdrawn"

# What staff can do to a badge (the admin's action views, the issuance service).
REVOKE = "revoke"
SUSPEND = "suspend"
REINSTATE = "reinstate"
REISSUE = "reissue"
RETRY_RENDER = "retry_render"
ACTIONS = (SUSPEND, REINSTATE, REISSUE, RETRY_RENDER, REVOKE)


@dataclass(frozen=True)
class Stage:
    code: str
    label: str
    valid: bool
    # The badge field holding the moment the stage began, shown as "since"; None: none.
    since: str | None
    # The verdict's one line, and what it says under it.
    summary: str
    detail: str
    # What the fellow's badge list and the admin say under the label, where it differs
    # from the verdict's detail.
    list_detail: str | None
    # The detail of the "Not revoked or suspended" check when the stage fails it; None:
    # the stage passes it (RECORD_CLEAR).
    record_check: str | None
    actions: frozenset[str]
    # The badge's bits in the two status lists (decision 0004). A revoked, superseded or
    # withdrawn badge has both set, for good: credentials issued before that decision
    # name the revocation list, later ones the suspension list (the one entry the OB 3.0
    # schema allows), and both must read "not valid". A suspension sets only the
    # suspension bit, which reinstating clears.
    revocation_bit: bool
    suspension_bit: bool


RECORD_CLEAR = _("Not revoked or suspended on the issuer's record.")
# The badge list's detail for a badge being prepared whose rendering was given up.
RENDER_GAVE_UP_DETAIL = _(
    "This badge was earned. Preparing its certificate is taking longer than usual; the "
    "course team has been alerted."
)

STAGES: dict[str, Stage] = {
    stage.code: stage
    for stage in (
        Stage(
            code=PREPARING,
            label=_("Being prepared"),
            valid=False,
            since=None,
            summary=_("Being prepared"),
            detail=_("This badge was earned and its certificate is being prepared."),
            list_detail=None,
            record_check=None,
            # Retrying is allowed only once its rendering was given up (`can`).
            actions=frozenset({RETRY_RENDER, REVOKE}),
            revocation_bit=False,
            suspension_bit=False,
        ),
        Stage(
            code=VALID,
            label=_("Valid"),
            valid=True,
            since="issued_at",
            summary=_("Valid: issued by {issuer} and current."),
            detail="",
            list_detail=None,
            record_check=None,
            actions=frozenset({SUSPEND, REISSUE, REVOKE}),
            revocation_bit=False,
            suspension_bit=False,
        ),
        Stage(
            code=EXPIRED,
            label=_("Expired"),
            valid=False,
            since="expires_at",
            summary=_("Expired on {since}"),
            detail="",
            list_detail=None,
            record_check=None,
            # Expiry is a date, not something staff did: the badge is still theirs to
            # suspend, replace or revoke.
            actions=frozenset({SUSPEND, REISSUE, REVOKE}),
            revocation_bit=False,
            suspension_bit=False,
        ),
        Stage(
            code=SUSPENDED,
            label=_("Suspended"),
            valid=False,
            since="suspended_at",
            summary=_("Suspended since {since}"),
            detail=_("The issuer has suspended this badge for now."),
            list_detail=None,
            record_check=_("Suspended since {since}."),
            actions=frozenset({REINSTATE, REISSUE, REVOKE}),
            revocation_bit=False,
            suspension_bit=True,
        ),
        Stage(
            code=REVOKED,
            label=_("Revoked"),
            valid=False,
            since="revoked_at",
            summary=_("Revoked on {since}{in_brackets}"),
            detail="{reason}",
            list_detail=None,
            record_check=_("Revoked on {since}."),
            # Revocation is final: a new badge must be issued.
            actions=frozenset(),
            revocation_bit=True,
            suspension_bit=True,
        ),
        Stage(
            code=SUPERSEDED,
            label=_("Superseded"),
            valid=False,
            since=None,
            summary=_("Superseded by a newer badge"),
            detail=_("A newer badge replaces this one."),
            list_detail=None,
            record_check=_("Superseded by a newer badge."),
            # Its replacement is the badge to act on.
            actions=frozenset(),
            revocation_bit=True,
            suspension_bit=True,
        ),
        Stage(
            code=OUT_OF_DATE,
            label=_("Out of date"),
            valid=False,
            # The deadline: the job marks a badge from it, and until the job has run the
            # stage is read from the deadline alone (`stage_of`).
            since="renew_by",
            summary=_("Out of date since {since}"),
            detail=_(
                "This badge certifies version {version} of the course. The course's "
                "guidelines have changed since, and its holder did not renew by the deadline."
            ),
            list_detail=_(
                "The course changed and the renewal deadline has passed. Renew it by passing "
                "the changed modules."
            ),
            record_check=_("Out of date since {since}: not renewed after the course changed."),
            # A renewal replaces it with a new badge; the course team may extend the
            # deadline instead (certificates.issuing.renewal), or revoke it.
            actions=frozenset({REVOKE}),
            # Not final, so the suspension bit alone: an extended deadline clears it.
            revocation_bit=False,
            suspension_bit=True,
        ),
        Stage(
            code=WITHDRAWN,
            label=_("Withdrawn"),
            valid=False,
            since="withdrawn_at",
            summary=_("Withdrawn on {since}"),
            detail=_(
                "The badge with this id is no longer valid, and nothing shown on it can "
                "be confirmed: its record was erased at the request of the person it was "
                "issued to."
            ),
            list_detail=_("Withdrawn when the holder erased their account."),
            record_check=_("Withdrawn on {since}."),
            actions=frozenset(),
            revocation_bit=True,
            suspension_bit=True,
        ),
    )
}


# The stage of each stored state, before withdrawal and expiry are considered.
STAGE_OF_STATE = {
    Badge.State.PENDING: PREPARING,
    Badge.State.RENDERING: PREPARING,
    Badge.State.ISSUED: VALID,
    Badge.State.SUSPENDED: SUSPENDED,
    Badge.State.REVOKED: REVOKED,
    Badge.State.SUPERSEDED: SUPERSEDED,
    Badge.State.OUT_OF_DATE: OUT_OF_DATE,
}


def recorded_stage(badge) -> Stage:
    """The stage the badge's record gives, before its expiry date is compared with the
    clock: never EXPIRED. The verdict takes the expiry from its own check instead."""
    if badge.withdrawn_at:
        return STAGES[WITHDRAWN]
    return STAGES[STAGE_OF_STATE[badge.state]]


def stage_of(badge, now: datetime | None = None) -> Stage:
    """The badge's stage at `now` (the clock by default). A lapsed expiry never hides a
    revocation, suspension or replacement: only a valid badge becomes expired. A valid
    badge whose renewal deadline has passed is out of date at once, before the job marks
    it (and sets the bit outside verifiers read); out of date says more than expired."""
    stage = recorded_stage(badge)
    if stage.code != VALID:
        return stage
    now = now or timezone.now()
    if renewal_lapsed(badge, now):
        return STAGES[OUT_OF_DATE]
    if badge.expires_at and badge.expires_at <= now:
        return STAGES[EXPIRED]
    return stage


def renewal_lapsed(badge, now: datetime) -> bool:
    """Whether the badge's renewal deadline has passed (certificates.issuing.renewal)."""
    return badge.renew_by is not None and badge.renew_by <= now


def can(action: str, badge) -> bool:
    """Whether staff may do `action` to the badge now."""
    if action not in stage_of(badge).actions:
        return False
    if action == RETRY_RENDER:
        return badge.render_gave_up
    return True


def allowed_actions(badge) -> list[str]:
    """What staff may do to the badge now, in the order the admin offers it."""
    return [action for action in ACTIONS if can(action, badge)]


def status_bits(code: str) -> dict[str, bool]:
    """Every status-list bit of the stage, by list purpose."""
    stage = STAGES[code]
    return {"revocation": stage.revocation_bit, "suspension": stage.suspension_bit}


def bits_changed(old: str, new: str) -> dict[str, bool]:
    """The bits that differ between two stages, with their value in `new`."""
    before = status_bits(old)
    return {purpose: bit for purpose, bit in status_bits(new).items() if before[purpose] != bit}
