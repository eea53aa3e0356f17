"""Turning a pending badge into an issued one: claim, render, store, finalise, notify.

Each step is a conditional UPDATE on the badge row, so any number of deliveries of the
same task, in any interleaving, issue the badge once and send one e-mail.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import secrets
import time
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone

from certificates.conf import conf
from certificates.issuing.snapshot import BadgeSnapshot
from certificates.models import MAX_RENDER_ATTEMPTS, Badge

logger = logging.getLogger("credence.badges")


class LeaseHeld(Exception):
    """Another worker holds a live rendering lease on this badge; try again later."""

    def __init__(self, seconds_left: float):
        super().__init__(f"lease held for {seconds_left:.0f}s more")
        self.seconds_left = seconds_left


@dataclass(frozen=True)
class RenderOutcome:
    badge_id: int
    result: str  # "issued", "already-done", "not-earned", "lost-lease", "gave-up"


def lease_duration() -> timedelta:
    return timedelta(seconds=conf.CREDENCE_RENDER_LEASE_SECONDS)


def claim_for_render(badge_id: int) -> str | None:
    """Take the rendering lease on a pending badge (or one whose lease expired).
    Returns the lease token, or None when there is nothing to do."""
    now = timezone.now()
    token = secrets.token_hex(16)
    claimed = (
        Badge.objects.filter(pk=badge_id, render_attempts__lt=MAX_RENDER_ATTEMPTS)
        .filter(
            Q(state=Badge.State.PENDING)
            | Q(state=Badge.State.RENDERING, render_lease_until__lt=now)
        )
        .update(
            state=Badge.State.RENDERING,
            render_token=token,
            render_lease_until=now + lease_duration(),
            render_attempts=F("render_attempts") + 1,
        )
    )
    if claimed:
        return token
    held = (
        Badge.objects.filter(pk=badge_id, state=Badge.State.RENDERING, render_lease_until__gte=now)
        .values_list("render_lease_until", flat=True)
        .first()
    )
    if held:
        raise LeaseHeld((held - now).total_seconds())
    return None


def has_given_up(badge_id: int) -> bool:
    """Whether the badge used up its render attempts (retrying would only no-op)."""
    badge = Badge.objects.filter(pk=badge_id).first()
    return badge is not None and badge.render_gave_up


def has_earned(badge: Badge) -> bool:
    """Re-check from the database that the badge was earned (docs/threats.md, row C7)."""
    if badge.awarded_manually_by_id:
        return True
    from courses.models import CourseCompletion

    return CourseCompletion.objects.filter(
        user_id=badge.recipient_id, course_id=badge.course_id
    ).exists()


def _pause_for_tests() -> None:
    # Test-only hook: fault tests hold a render here to kill the worker at a known point.
    pause_file = conf.CREDENCE_RENDER_PAUSE_FILE
    deadline = time.monotonic() + 120
    while pause_file and Path(pause_file).exists() and time.monotonic() < deadline:
        time.sleep(0.05)


def ensure_status_index(badge_id: int) -> int:
    """The badge's status-list index, allocated at random on first call and never changed:
    a task that runs twice finds the index the first run wrote. The unique constraint on
    the column decides between two badges drawing the same index."""
    from certificates.signing.ob3.status_list import MIN_ENTRIES, StatusListFull, allocate_index

    for attempt in range(12):
        current = Badge.objects.filter(pk=badge_id).values_list("status_index", flat=True).get()
        if current is not None:
            return current
        if attempt < 4:
            candidate = secrets.randbelow(MIN_ENTRIES)
        else:
            # Repeated collisions mean the list is filling up: draw among the free ones.
            taken = set(
                Badge.objects.exclude(status_index=None).values_list("status_index", flat=True)
            )
            candidate = allocate_index(taken)
        try:
            with transaction.atomic():
                Badge.objects.filter(pk=badge_id, status_index__isnull=True).update(
                    status_index=candidate
                )
        except IntegrityError:
            continue
    raise StatusListFull("could not allocate a status-list index")


def _credential_attachment(credential: dict):
    from certificates.rendering.pdf import PdfAttachment
    from certificates.signing.credentials import CREDENTIAL_FILENAME, credential_bytes

    return PdfAttachment(
        filename=CREDENTIAL_FILENAME,
        data=credential_bytes(credential),
        mime_type="application/json",
        description="Signed Open Badges 3.0 credential (verify it with any OB 3.0 verifier)",
        # The credential is what the printed page renders: its source.
        relationship="Source",
    )


def render_pdf_bytes(badge: Badge) -> bytes:
    """The badge's PDF with its signed credential (badge.credential) attached, if any."""
    from certificates.rendering.pdf import render_badge_pdf

    attachments = [_credential_attachment(badge.credential)] if badge.credential else []
    return render_badge_pdf(BadgeSnapshot.from_dict(badge.snapshot), attachments=attachments)


def sign_badge(badge: Badge):
    """Allocate the badge's status index (idempotently) and sign its credential."""
    from certificates.signing.credentials import recipient_email_of, sign_and_check

    badge.status_index = ensure_status_index(badge.pk)
    return sign_and_check(badge, recipient_email=recipient_email_of(badge))


def store_pdf(name: str, pdf: bytes) -> str:
    """Save the PDF under a fresh name and return the name stored. If the write fails part
    way (a full disk), remove what was written: nothing points at it, but a truncated file
    must not linger where an operator might take it for a badge."""
    try:
        return default_storage.save(name, ContentFile(pdf, name="badge.pdf"))
    except Exception:
        with contextlib.suppress(Exception):
            if default_storage.exists(name):
                default_storage.delete(name)
        raise


def render_and_publish(badge_id: int) -> RenderOutcome:
    """Render a pending badge's PDF from its snapshot and mark it issued.

    Idempotent: an issued, revoked or superseded badge is left alone; a badge another
    worker is rendering raises LeaseHeld (the task retries later). The PDF is stored
    under a fresh name first and only becomes reachable when the row points at it, so
    no partial file is ever served.
    """
    token = claim_for_render(badge_id)
    if token is None:
        return RenderOutcome(badge_id, "already-done")
    badge = Badge.objects.select_related("recipient").get(pk=badge_id)
    if badge.state != Badge.State.RENDERING or badge.render_token != token:
        # Revoked or withdrawn (the fellow erased their account) since the claim.
        return RenderOutcome(badge_id, "already-done")
    if not has_earned(badge):
        logger.warning(
            "SECURITY: badge %s has no completion behind it; not issuing", badge.public_id
        )
        Badge.objects.filter(pk=badge_id, render_token=token, state=Badge.State.RENDERING).update(
            state=Badge.State.REVOKED,
            revoked_at=timezone.now(),
            revocation_reason="Issued in error: no course completion on record.",
            render_lease_until=None,
        )
        return RenderOutcome(badge_id, "not-earned")
    try:
        _pause_for_tests()
        signed = sign_badge(badge)
        badge.credential = signed.credential  # attached to the PDF by render_pdf_bytes
        pdf = render_pdf_bytes(badge)
        name = store_pdf(f"badges/{badge.public_id}/{token}.pdf", pdf)
    except Exception as exc:
        # Hand the badge back so the retry (or the sweeper) can claim it at once.
        Badge.objects.filter(pk=badge_id, render_token=token, state=Badge.State.RENDERING).update(
            state=Badge.State.PENDING, render_lease_until=None, last_error=repr(exc)[:2000]
        )
        if badge.render_attempts >= MAX_RENDER_ATTEMPTS:  # read after the claim counted it
            logger.error(
                "ALERT: badge %s failed to render %d times; no more retries until staff "
                "retry it from the badge admin (last error: %r)",
                badge.public_id,
                MAX_RENDER_ATTEMPTS,
                exc,
            )
        raise
    with transaction.atomic():
        finalised = Badge.objects.filter(
            pk=badge_id, state=Badge.State.RENDERING, render_token=token
        ).update(
            state=Badge.State.ISSUED,
            pdf=name,
            pdf_sha256=hashlib.sha256(pdf).hexdigest(),
            issued_at=timezone.now(),
            render_lease_until=None,
            last_error="",
            **signed.row_fields(),
        )
    if not finalised:
        # Our lease expired and another worker finished first: our copy is surplus.
        default_storage.delete(name)
        return RenderOutcome(badge_id, "lost-lease")
    logger.info("badge %s issued", badge.public_id)
    send_issued_email_once(badge_id)
    return RenderOutcome(badge_id, "issued")


def rerender_issued(badge_id: int) -> bool:
    """Replace an issued badge's PDF with a fresh render of the same snapshot."""
    badge = Badge.objects.filter(pk=badge_id, state=Badge.State.ISSUED).first()
    if badge is None:
        return False
    pdf = render_pdf_bytes(badge)
    return _replace_pdf(badge, pdf)


def _replace_pdf(badge: Badge, pdf: bytes, **fields) -> bool:
    """Point the badge at a new PDF if nobody replaced it meanwhile. The old PDF's hash is
    kept: a fellow may hold that copy, and it stays genuine."""
    old_name = badge.pdf.name
    name = store_pdf(f"badges/{badge.public_id}/{secrets.token_hex(16)}.pdf", pdf)
    earlier = list(badge.earlier_pdf_sha256 or [])
    if badge.pdf_sha256 and badge.pdf_sha256 not in earlier:
        earlier.append(badge.pdf_sha256)
    swapped = Badge.objects.filter(pk=badge.pk, pdf=old_name).update(
        pdf=name, pdf_sha256=hashlib.sha256(pdf).hexdigest(), earlier_pdf_sha256=earlier, **fields
    )
    default_storage.delete(old_name if swapped else name)
    return bool(swapped)


def resign_badge(badge_id: int, compromised_key_id: str) -> bool:
    """Re-issue a badge signed by a compromised key: same badge, same status index, a new
    credential signed by the active key, a new PDF carrying it. Does nothing (returns
    False) if the badge is no longer issued/suspended or no longer signed by that key."""
    badge = (
        Badge.objects.select_related("recipient")
        .filter(
            pk=badge_id,
            signing_key_id=compromised_key_id,
            state__in=[Badge.State.ISSUED, Badge.State.SUSPENDED],
        )
        .first()
    )
    if badge is None:
        return False
    signed = sign_badge(badge)
    badge.credential = signed.credential
    pdf = render_pdf_bytes(badge)
    done = _replace_pdf(badge, pdf, **signed.row_fields())
    if done:
        from certificates.issuing.status_publishing import purge_badge_page

        purge_badge_page(badge.public_id)
        logger.info("badge %s re-signed with key %s", badge.public_id, signed.key_id)
    return done


def _claim_email(badge_id: int, field: str, extra: Q | None = None) -> Badge | None:
    query = Badge.objects.filter(pk=badge_id, **{f"{field}__isnull": True})
    if extra is not None:
        query = query.filter(extra)
    if not query.update(**{field: timezone.now()}):
        return None
    # The course version comes too: the renewal e-mails name it.
    return Badge.objects.select_related("recipient", "course_version").get(pk=badge_id)


def send_issued_email_once(badge_id: int) -> bool:
    from certificates.issuing.notifications import send_badge_email

    badge = _claim_email(badge_id, "issued_email_sent_at", Q(state=Badge.State.ISSUED))
    return bool(badge and send_badge_email(badge, "issued"))


def send_revoked_email_once(badge_id: int) -> bool:
    from certificates.issuing.notifications import send_badge_email

    badge = _claim_email(badge_id, "revoked_email_sent_at", Q(state=Badge.State.REVOKED))
    return bool(badge and send_badge_email(badge, "revoked"))


def send_expiry_reminders(*, within: timedelta = timedelta(days=30)) -> int:
    """E-mail each fellow whose issued badge expires within `within`, once per badge."""
    from certificates.issuing.notifications import send_badge_email

    now = timezone.now()
    due = Badge.objects.filter(
        state=Badge.State.ISSUED,
        expires_at__gt=now,
        expires_at__lte=now + within,
        expiry_email_sent_at__isnull=True,
    ).values_list("pk", flat=True)
    sent = 0
    for badge_id in list(due):
        badge = _claim_email(badge_id, "expiry_email_sent_at")
        if badge and send_badge_email(badge, "expiring"):
            sent += 1
    return sent
