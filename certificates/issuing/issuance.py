"""The actions on a badge's life: issue, revoke, suspend, reinstate, re-issue, withdraw, award.

Each changes the Badge row in a transaction and queues what follows on commit. The render
pipeline writes the row too (claiming a render, storing the PDF, marking it issued): that
is `publishing`; the status lists are written by `status_publishing`.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from django.conf import settings
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from certificates import lifecycle
from certificates.conf import conf
from certificates.issuing.publishing import MAX_RENDER_ATTEMPTS
from certificates.languages import LEGACY_LANGUAGE, wording_language
from certificates.models import Badge, BadgeDesign

logger = logging.getLogger("credence.badges")


# `version=` default: the course's current version, looked up when the badge is made.
_CURRENT = object()


class IssuanceError(Exception):
    """A badge cannot be issued, revoked or changed as asked; the message says why."""


def verify_url_for(public_id: str) -> str:
    return f"{settings.SITE_URL}/badges/{public_id}/"


def build_snapshot(
    *,
    public_id: str,
    recipient_name: str,
    design: BadgeDesign,
    score_percent: int | None,
    issued_on,
    expires_on,
    language: str,
    version=None,
) -> dict:
    """Freeze everything the PDF and public page show; later edits never reach it.
    `version` is the courses.CourseVersion the badge certifies (None: the course has no
    recorded version)."""
    course = design.course
    return {
        "public_id": public_id,
        "recipient_name": recipient_name,
        "course_title": course.title,
        "badge_title": design.title,
        "badge_description": design.description,
        "criteria": design.criteria,
        "score_percent": score_percent,
        "issued_on": issued_on.isoformat(),
        "expires_on": expires_on.isoformat() if expires_on else None,
        "issuer_name": conf.CREDENCE_ISSUER_NAME,
        "signatory_name": design.signatory_name,
        "signatory_title": design.signatory_title,
        "signature_image_path": design.signature_image.file.name
        if design.signature_image
        else None,
        "artwork_path": design.artwork.file.name if design.artwork else None,
        "accent_color": design.accent_color,
        "page_size": design.page_size,
        "verify_url": verify_url_for(public_id),
        "template_version": design.template_version,
        # The course page's latest revision id identifies the wording fellows studied.
        "course_version": str(course.latest_revision_id or ""),
        # The PDF's labels, dates and Chinese glyph shapes, and the credential's language.
        "language": language,
        # The guideline version certified (courses.versions): printed, signed as the
        # achievement's version, shown to verifiers.
        "version_number": version.number if version else None,
        "version_sequence": version.sequence if version else None,
    }


def _create_pending_badge(
    *,
    recipient,
    design: BadgeDesign,
    score_percent: int | None,
    language: str,
    awarded_by=None,
    version=_CURRENT,
    renew_by=None,
) -> Badge:
    """A new pending badge certifying `version` (by default the course's current one)."""
    from courses.versions import current_version

    now = timezone.now()
    if version is _CURRENT:
        version = current_version(design.course)
    elif renew_by is None and version is not None:
        # A badge for a version older than a later renewal version's (a completion made
        # before the change, issued only now) is due like the badges issued before it.
        from certificates.issuing.renewal import deadline_for

        renew_by = deadline_for(version)
    expires_at = now + timedelta(days=design.validity_days) if design.validity_days else None
    badge = Badge(
        recipient=recipient,
        course=design.course,
        awarded_manually_by=awarded_by,
        expires_at=expires_at,
        created_at=now,
        course_version=version,
        renew_by=renew_by,
    )
    badge.snapshot = build_snapshot(
        public_id=badge.public_id,
        # Validated by lms.accounts.names when the fellow wrote it; printed exactly.
        recipient_name=recipient.display_name or recipient.email,
        design=design,
        # Only if the fellow chose to show it (docs/threats.md, row P1): frozen into the PDF, the
        # credential and the public page alike.
        score_percent=score_percent if recipient.show_scores_on_badges else None,
        issued_on=now.date(),
        expires_on=expires_at.date() if expires_at else None,
        language=language,
        version=version,
    )
    badge.save()
    badge.just_created = True  # issue_badge returns an existing badge without this
    return badge


def issue_badge(
    *,
    recipient,
    course,
    score_percent: int | None,
    awarded_by=None,
    language: str | None = None,
    version=_CURRENT,
) -> Badge | None:
    """Create the fellow's pending badge for `course` and queue its rendering on commit.

    The badge is worded in `language` (a code of settings.LANGUAGES: the language of the
    page the fellow completed the course on), else in the course page's locale; see
    certificates.languages.wording_language. It keeps that language for good.

    Idempotent: if the fellow already has an active badge for the course (pending,
    rendering, issued or suspended), that badge is returned and nothing is written —
    the database's partial unique constraint decides, so concurrent calls cannot create
    two. Returns None when the course has no badge design. Must run inside the caller's
    transaction (for completions, the one that records the completion).
    """
    design = BadgeDesign.objects.select_related("course__locale").filter(course=course).first()
    if design is None:
        return None
    existing = Badge.objects.filter(
        recipient=recipient, course=course, state__in=Badge.ACTIVE_STATES
    ).first()
    if existing:
        return existing
    try:
        with transaction.atomic():
            badge = _create_pending_badge(
                recipient=recipient,
                design=design,
                score_percent=score_percent,
                language=wording_language(language, design.course),
                awarded_by=awarded_by,
                version=version,
            )
    except IntegrityError:
        # Lost a race with a concurrent issue: the winner's badge is the one.
        return Badge.objects.get(recipient=recipient, course=course, state__in=Badge.ACTIVE_STATES)
    logger.info("badge %s pending for course %s", badge.public_id, course.pk)
    transaction.on_commit(lambda: enqueue_render(badge.pk))
    return badge


def _average_score(completion) -> int | None:
    scores = [
        m["score_percent"]
        for m in completion.module_scores or []
        if m.get("score_percent") is not None
    ]
    return round(sum(scores) / len(scores)) if scores else None


def request_badge_for_completion(completion, *, language: str | None = None) -> Badge | None:
    """Called by courses.services inside the transaction that records a course completion,
    with the language the fellow completed it in (None: the course page's own).

    A completion of a later edition of the course (a renewal: courses.versions) whose
    fellow holds a badge of an earlier version gets a new badge that supersedes that one
    (`renew_badge`); otherwise this is `issue_badge`, which returns a badge already held."""
    if completion.edition:
        held = (
            Badge.objects.select_related("course_version")
            .filter(
                recipient=completion.user,
                course=completion.course,
                state__in=Badge.ACTIVE_STATES,
            )
            .first()
        )
        if held is not None and _certifies_before(held, completion.edition):
            return renew_badge(held, completion, language=language)
        if (
            held is None
            and Badge.objects.filter(
                recipient=completion.user, course=completion.course, state=Badge.State.REVOKED
            ).exists()
        ):
            # A revocation is final: passing a changed module must not undo it.
            logger.info(
                "course %s: no badge for a renewal by fellow %s, whose badge was revoked",
                completion.course_id,
                completion.user_id,
            )
            return None
    from courses.versions import course_edition, version_in_force

    # A completion of the course's current edition certifies its current version (later
    # versions without a renewal window ask nothing more); one of an earlier edition, issued
    # only now (a design added later), certifies the version it was made under, and is due.
    version = _CURRENT
    if completion.edition < course_edition(completion.course):
        version = version_in_force(completion.course, completion.completed_at)
    return issue_badge(
        recipient=completion.user,
        course=completion.course,
        score_percent=_average_score(completion),
        language=language,
        version=version,
    )


def _certifies_before(badge: Badge, edition: int) -> bool:
    """Whether the badge certifies a version older than the course edition `edition`."""
    version = badge.course_version
    return version is None or version.sequence < edition


def renew_badge(old: Badge, completion, *, language: str | None = None) -> Badge:
    """Supersede `old` with a badge for the course's current version, for the renewal
    `completion`. Exactly once: the old badge is locked and must still be current, and
    the one-current-badge constraint holds against a racing renewal. A suspended badge is
    left to the course team (a renewal must not lift a suspension): it is returned as is,
    and the completion stays on record for staff to award from."""
    with transaction.atomic():
        locked = Badge.objects.select_for_update(of=("self",)).get(pk=old.pk)
        if locked.state not in Badge.ACTIVE_STATES:
            # Another transaction superseded or revoked it first: its result stands.
            return locked
        if locked.state == Badge.State.SUSPENDED:
            logger.warning(
                "badge %s is suspended: its holder's renewal issued no new badge",
                locked.public_id,
            )
            return locked
        design = BadgeDesign.objects.select_related("course__locale").get(course=locked.course)
        new = _supersede(
            locked,
            recipient=completion.user,
            design=design,
            score_percent=_average_score(completion),
            language=wording_language(language, design.course),
        )
        _log_change(locked, "renewed", None, replacement=new.public_id)
        _log_change(new, "renewal", None, replaces=locked.public_id)
    logger.info("badge %s renewed by %s", locked.public_id, new.public_id)
    return new


def issue_badges_for_past_completions(course, *, by=None) -> int:
    """Issue a badge to every fellow who completed `course` and holds none for it (for a
    design added after they finished). Returns how many badges were created.

    Exactly once each: fellows holding a badge in any state are skipped (a revoked badge
    is never re-awarded this way), and issue_badge's unique constraint decides between
    two runs racing for the same fellow. Each fellow gets their own transaction, so a
    failure part-way keeps the badges already issued and a second run carries on.
    """
    from certificates.issuing.coverage import completions_without_badge

    if not BadgeDesign.objects.filter(course=course).exists():
        raise IssuanceError("This course has no badge design yet.")
    created = 0
    for completion in completions_without_badge(course).iterator(chunk_size=500):
        with transaction.atomic():
            badge = request_badge_for_completion(completion)
            if badge is not None and getattr(badge, "just_created", False):
                _log_change(badge, "backfill", by)
                created += 1
    logger.info("issued %d badges for past completions of course %s", created, course.pk)
    return created


def _score_for_reissue(old: Badge) -> int | None:
    """The score the replacement may show: the old badge's, or, when the old badge left it
    off (the fellow had not opted in then), the one their course completion recorded."""
    if old.snapshot.get("score_percent") is not None:
        return old.snapshot["score_percent"]
    if old.awarded_manually_by_id:
        return None  # staff awarded it without a score: there is none to show
    from courses.models import CourseCompletion

    completion = CourseCompletion.objects.filter(user=old.recipient, course=old.course).first()
    return _average_score(completion) if completion else None


def enqueue_render(badge_id: int) -> bool:
    """Ask a worker to render the badge. Never raises: if the broker is down, the badge
    stays pending and the sweeper queues it again later. Returns whether it was queued."""
    from certificates.tasks import render_badge_task

    Badge.objects.filter(pk=badge_id).update(last_enqueued_at=timezone.now())
    try:
        render_badge_task.apply_async(args=[badge_id], retry=False)
    except Exception as exc:  # noqa: BLE001 - any broker failure means "try again later"
        logger.warning(
            "could not queue badge %s for rendering (%s); the sweeper will", badge_id, exc
        )
        return False
    return True


def sweep_stuck_badges(*, pending_after: timedelta = timedelta(minutes=2)) -> int:
    """Re-queue badges whose render was lost: pending and not queued recently, or
    rendering with an expired lease (a worker died). Safe to run at any time, from
    Celery beat or the `sweep_badges` command. Returns how many were queued."""
    now = timezone.now()
    # Badges past their render attempts wait for staff: the claim would refuse them, so
    # queueing them would only send a no-op task every sweep.
    retryable = Badge.objects.filter(render_attempts__lt=MAX_RENDER_ATTEMPTS)
    stale_pending = retryable.filter(state=Badge.State.PENDING).filter(
        Q(last_enqueued_at__isnull=True) | Q(last_enqueued_at__lt=now - pending_after)
    )
    expired_leases = retryable.filter(state=Badge.State.RENDERING, render_lease_until__lt=now)
    ids = list(stale_pending.values_list("pk", flat=True)) + list(
        expired_leases.values_list("pk", flat=True)
    )
    _give_up_on_lost_last_renders(now)
    queued = 0
    for badge_id in ids:
        queued += enqueue_render(badge_id)
    if ids:
        logger.info("sweeper re-queued %d of %d stuck badges", queued, len(ids))
    return queued


def _give_up_on_lost_last_renders(now) -> None:
    """A worker that died (killed, out of memory, hard time limit) during a badge's last
    allowed render left it rendering with no one to hand it back: do it here, so it
    shows as given up, with the alert, like a last render that failed cleanly."""
    lost = Badge.objects.filter(
        state=Badge.State.RENDERING,
        render_lease_until__lt=now,
        render_attempts__gte=MAX_RENDER_ATTEMPTS,
    )
    for public_id in lost.values_list("public_id", flat=True):
        handed_back = Badge.objects.filter(
            public_id=public_id, state=Badge.State.RENDERING, render_lease_until__lt=now
        ).update(
            state=Badge.State.PENDING,
            render_lease_until=None,
            last_error="The render did not finish: its worker was lost or hit the time limit.",
        )
        if handed_back:
            logger.error(
                "ALERT: badge %s: its last allowed render was lost with its worker; no more "
                "retries until staff retry it from the badge admin",
                public_id,
            )


# --- lifecycle changes made by staff -----------------------------------------------


def _log_change(badge: Badge, action: str, by, **data) -> None:
    """Record who changed the badge, in Wagtail's history of it (the admin's "History"
    and the inspect page list these). `by` None means the system did it."""
    from wagtail.log_actions import log

    log(instance=badge, action=f"credence.badge.{action}", user=by, data=data)


def revoke_badge(badge: Badge, *, reason: str, by=None) -> Badge:
    """Revoke for good. Revocation is final: no function turns it back (a new badge must
    be issued). Idempotent for an already revoked badge. Queues the status-list update
    and the fellow's e-mail on commit."""
    reason = (reason or "").strip()
    if not reason:
        raise IssuanceError("Give a reason: it is shown on the public badge page.")
    with transaction.atomic():
        locked = Badge.objects.select_for_update().get(pk=badge.pk)
        if locked.state == Badge.State.REVOKED:
            return locked
        if not lifecycle.can(lifecycle.REVOKE, locked):
            raise IssuanceError("A superseded badge cannot be revoked; revoke its replacement.")
        locked.state = Badge.State.REVOKED
        locked.revoked_at = timezone.now()
        locked.revocation_reason = reason[:500]
        locked.save(update_fields=["state", "revoked_at", "revocation_reason"])
        _set_status_bits(locked, **lifecycle.status_bits(lifecycle.REVOKED))
        _log_change(locked, "revoke", by, reason=locked.revocation_reason)
        transaction.on_commit(lambda: _after_status_change(locked.pk, notify="revoked"))
    logger.info("badge %s revoked by %s", locked.public_id, getattr(by, "pk", None))
    return locked


WITHDRAWN_REASON = "Withdrawn at the holder's request."


def withdraw_badges_of(user) -> list[str]:
    """Revoke every badge of `user` and erase what it kept about them, for an account
    erasure: the name in the snapshot, the signed credential (it carries the name and a
    hash of the e-mail), the PDFs and their hashes. Must run inside the erasure's
    transaction; the PDF files are deleted once it commits. Returns the public ids.

    The badge rows stay, so the public page can say the badge was withdrawn and outside
    verifiers find its revocation bit set; a render in flight finds the badge revoked
    and discards its PDF (publishing.render_and_publish).
    """
    if not transaction.get_connection().in_atomic_block:
        raise IssuanceError("withdraw_badges_of must run inside the erasure's transaction")
    now = timezone.now()
    withdrawn = []
    for badge in Badge.objects.select_for_update().filter(recipient=user).order_by("pk"):
        if badge.state != Badge.State.REVOKED:
            badge.state = Badge.State.REVOKED
            badge.revoked_at = now
            badge.revocation_reason = WITHDRAWN_REASON
        badge.withdrawn_at = now
        badge.snapshot = {**badge.snapshot, "recipient_name": ""}
        badge.credential = None
        badge.credential_sha256 = ""
        badge.credential_verified_at = None
        badge.pdf = ""
        badge.pdf_sha256 = ""
        badge.earlier_pdf_sha256 = []
        badge.render_lease_until = None
        badge.render_token = ""  # a render in flight can no longer finish or mark it
        badge.last_error = ""
        badge.save()
        # A superseded badge's bits are set already; setting them again is harmless.
        _set_status_bits(badge, **lifecycle.status_bits(lifecycle.WITHDRAWN))
        withdrawn.append(badge.public_id)

    transaction.on_commit(lambda: delete_badge_files(withdrawn))
    return withdrawn


def delete_badge_files(public_ids: list[str]) -> int:
    """Delete every file stored for these badges: the current PDF, and any a re-render, a
    lost lease or a killed worker left behind (all live under badges/<public id>/).
    Returns how many were deleted; failures are logged, and the sweeper tries again."""
    deleted = 0
    for public_id in public_ids:
        folder = f"badges/{public_id}"
        try:
            _, names = default_storage.listdir(folder)
        except FileNotFoundError:
            continue
        except Exception as exc:  # noqa: BLE001 - logged; the sweeper tries again
            logger.error("could not list the files of withdrawn badge %s: %s", public_id, exc)
            continue
        for name in names:
            try:
                default_storage.delete(f"{folder}/{name}")
                deleted += 1
            except Exception as exc:  # noqa: BLE001 - logged; the sweeper tries again
                logger.error("could not delete a file of withdrawn badge %s: %s", public_id, exc)
    return deleted


def sweep_withdrawn_badge_files(*, within: timedelta = timedelta(days=1)) -> int:
    """Delete files left behind by badges withdrawn in the last `within` (a delete that
    failed at erasure time, storage that was down). Run by the sweeper; erasures are
    rare, so listing their folders every minute for a day costs next to nothing."""
    recent = Badge.objects.filter(withdrawn_at__gte=timezone.now() - within)
    deleted = delete_badge_files(list(recent.values_list("public_id", flat=True)))
    if deleted:
        logger.info("sweeper deleted %d file(s) left by withdrawn badges", deleted)
    return deleted


def suspend_badge(badge: Badge, *, by=None) -> Badge:
    """Suspend an issued badge (reversible). Sets its suspension status-list bit in the
    same transaction; purges the public page on commit. Idempotent."""
    with transaction.atomic():
        locked = Badge.objects.select_for_update().get(pk=badge.pk)
        if locked.state == Badge.State.SUSPENDED:
            return locked
        if not lifecycle.can(lifecycle.SUSPEND, locked):
            raise IssuanceError("Only an issued badge can be suspended.")
        locked.state = Badge.State.SUSPENDED
        locked.suspended_at = timezone.now()
        locked.save(update_fields=["state", "suspended_at"])
        _set_status_bits(locked, **lifecycle.bits_changed(lifecycle.VALID, lifecycle.SUSPENDED))
        _log_change(locked, "suspend", by)
        transaction.on_commit(lambda: _after_status_change(locked.pk))
    return locked


def reinstate_badge(badge: Badge, *, by=None) -> Badge:
    """Lift a suspension. Refuses revoked badges: revocation is final. Clears the
    suspension bit in the same transaction; purges the public page on commit. Idempotent."""
    with transaction.atomic():
        locked = Badge.objects.select_for_update().get(pk=badge.pk)
        if locked.state == Badge.State.ISSUED:
            return locked
        if not lifecycle.can(lifecycle.REINSTATE, locked):
            raise IssuanceError("Only a suspended badge can be reinstated; revocation is final.")
        locked.state = Badge.State.ISSUED
        locked.suspended_at = None
        locked.save(update_fields=["state", "suspended_at"])
        _set_status_bits(locked, **lifecycle.bits_changed(lifecycle.SUSPENDED, lifecycle.VALID))
        _log_change(locked, "reinstate", by)
        transaction.on_commit(lambda: _after_status_change(locked.pk))
        # A fellow who renewed while suspended (renew_badge left it to staff) gets the
        # renewal's badge now.
        renewed = _renewal_completion_for(locked)
        if renewed is not None:
            renew_badge(locked, renewed, language=renewed.language or None)
    return locked


def _renewal_completion_for(badge: Badge):
    """The holder's completion of a course edition later than the version `badge`
    certifies, if they made one (the latest); None otherwise."""
    from courses.models import CourseCompletion

    if badge.recipient_id is None or badge.course_id is None:
        return None
    sequence = badge.course_version.sequence if badge.course_version_id else 0
    return (
        CourseCompletion.objects.filter(
            user_id=badge.recipient_id, course_id=badge.course_id, edition__gt=sequence
        )
        .select_related("user")
        .order_by("-edition")
        .first()
    )


def reissue_badge(badge: Badge, *, by=None) -> Badge:
    """Issue a new badge from the fellow's current name and the current design, in the old
    badge's language; the old one becomes superseded and links to the new one. For
    approved name changes."""
    with transaction.atomic():
        old = (
            Badge.objects.select_for_update(of=("self",))
            .select_related("recipient")
            .get(pk=badge.pk)
        )
        if not lifecycle.can(lifecycle.REISSUE, old):
            raise IssuanceError("Only an issued or suspended badge can be re-issued.")
        if old.recipient is None or old.course is None:
            raise IssuanceError("The fellow or the course no longer exists.")
        design = BadgeDesign.objects.select_related("course").get(course=old.course)
        new = _supersede(
            old,
            recipient=old.recipient,
            design=design,
            score_percent=_score_for_reissue(old),
            # The replacement reads like the badge it replaces, whatever the course's
            # language is now, and certifies the same version, with the same deadline.
            language=old.snapshot.get("language", LEGACY_LANGUAGE),
            awarded_by=by if old.awarded_manually_by_id else None,
            version=old.course_version,
            renew_by=old.renew_by,
        )
        _log_change(old, "reissue", by, replacement=new.public_id)
        _log_change(new, "replace", by, replaces=old.public_id)
    return new


def _supersede(old: Badge, **replacement) -> Badge:
    """Replace `old` (locked by the caller) with a new pending badge made from
    `replacement` (`_create_pending_badge`'s arguments), in the caller's transaction, and
    queue its render. The old badge leaves the one-current-badge constraint before the new
    one enters it, and links to it. Outside verifiers read a superseded credential as not
    valid (the replacement is the one to present); our own verdict says which replaced it."""
    old.state = Badge.State.SUPERSEDED
    old.save(update_fields=["state"])
    _set_status_bits(old, **lifecycle.status_bits(lifecycle.SUPERSEDED))
    new = _create_pending_badge(**replacement)
    old.superseded_by = new
    old.save(update_fields=["superseded_by"])
    transaction.on_commit(lambda: enqueue_render(new.pk))
    transaction.on_commit(lambda: _after_status_change(old.pk))
    return new


def retry_render(badge: Badge, *, by=None) -> Badge:
    """Give a badge whose rendering was given up a fresh set of attempts, and queue it.
    For staff, once the cause (a missing font, a full disk) has been dealt with."""
    with transaction.atomic():
        locked = Badge.objects.select_for_update().get(pk=badge.pk)
        if not lifecycle.can(lifecycle.RETRY_RENDER, locked):
            raise IssuanceError("Only a badge whose rendering was given up can be retried.")
        # Back to pending with no lease: a render lost with its worker cannot finish it.
        locked.state = Badge.State.PENDING
        locked.render_attempts = 0
        locked.render_lease_until = None
        locked.render_token = ""
        locked.save(
            update_fields=["state", "render_attempts", "render_lease_until", "render_token"]
        )
        _log_change(locked, "retry_render", by, last_error=locked.last_error[:500])
        transaction.on_commit(lambda: enqueue_render(locked.pk))
    logger.info("badge %s: rendering retried by staff", locked.public_id)
    return locked


def award_badge_manually(*, recipient, course, by, score_percent: int | None = None) -> Badge:
    """Staff award without a recorded completion (e.g. recognised prior learning)."""
    with transaction.atomic():
        badge = issue_badge(
            recipient=recipient, course=course, score_percent=score_percent, awarded_by=by
        )
        if badge is not None and getattr(badge, "just_created", False):
            _log_change(badge, "award", by)
    if badge is None:
        raise IssuanceError("This course has no badge design yet.")
    return badge


def rerender_course_badges(course) -> int:
    """Queue a fresh PDF for every issued badge of a course (from its frozen snapshot).
    Returns the number queued."""
    ids = list(
        Badge.objects.filter(course=course, state=Badge.State.ISSUED).values_list("pk", flat=True)
    )
    from certificates.tasks import rerender_badge_task

    for badge_id in ids:
        try:
            rerender_badge_task.apply_async(args=[badge_id], retry=False)
        except Exception as exc:  # noqa: BLE001
            logger.warning("could not queue re-render of badge %s: %s", badge_id, exc)
    return len(ids)


def _set_status_bits(badge: Badge, **bits: bool) -> None:
    """Set or clear the badge's bit in each named list (revocation before suspension,
    the lock order every caller keeps), re-signing them, and move the status version on,
    in the caller's transaction; purge its cached public page once that transaction
    commits."""
    from certificates.issuing import status_publishing
    from certificates.public import status_version
    from certificates.signing.credentials import CredentialUnavailable

    if badge.status_index is not None:
        try:
            for purpose in ("revocation", "suspension"):
                if purpose in bits:
                    status_publishing.set_status_bit(badge.status_index, purpose, bits[purpose])
        except CredentialUnavailable as error:
            raise IssuanceError(f"The status list cannot be re-signed: {error}") from error
    # Cached pages in every process (with or without Redis) see this within seconds; the
    # purge below makes it immediate where it reaches.
    status_version.note_change()
    public_id = badge.public_id
    transaction.on_commit(lambda: status_publishing.purge_badge_page(public_id))


def queue_reissue_for_compromised_key(key_id: str) -> int:
    """Queue a fresh signature (same badge, same status index, the active key, a new PDF)
    for every issued or suspended badge that `key_id` signed. Call after marking the key
    compromised. Safe to call twice: re-signing a badge no longer signed by the key does
    nothing. Returns the number queued."""
    from certificates.tasks import resign_badge_task

    ids = list(
        Badge.objects.filter(
            signing_key_id=key_id, state__in=[Badge.State.ISSUED, Badge.State.SUSPENDED]
        ).values_list("pk", flat=True)
    )
    for badge_id in ids:
        try:
            resign_badge_task.apply_async(args=[badge_id, key_id], retry=False)
        except Exception as exc:  # noqa: BLE001 - the command can be run again
            logger.warning("could not queue re-signing of badge %s: %s", badge_id, exc)
    logger.info("queued %d badges signed by compromised key %s for re-issue", len(ids), key_id)
    return len(ids)


def _after_status_change(badge_id: int, notify: str | None = None) -> None:
    from certificates.tasks import badge_status_changed_task

    try:
        badge_status_changed_task.apply_async(args=[badge_id, notify], retry=False)
    except Exception as exc:  # noqa: BLE001
        logger.warning("could not queue status change of badge %s: %s", badge_id, exc)
