"""Helpers for the badge-admin tests: badges made directly, and editors with permissions."""

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.utils import timezone

from certificates.issuing import issuance
from certificates.models import Badge

_counter = iter(range(1, 1_000_000))


def make_badge(
    *,
    design,
    name: str = "Ada Lovelace",
    email: str | None = None,
    state: str = Badge.State.ISSUED,
    issued_at=None,
    recipient=None,
    pdf: str = "",
) -> Badge:
    """A badge row in any state, without rendering (fast enough to make forty)."""
    if recipient is None:
        recipient = get_user_model().objects.create_user(
            email=email or f"fellow{next(_counter)}@example.org", display_name=name
        )
    now = issued_at or timezone.now()
    badge = Badge(
        recipient=recipient,
        course=design.course,
        state=state,
        created_at=now,
        issued_at=None if state in Badge.PREPARING_STATES else now,
        revoked_at=now if state == Badge.State.REVOKED else None,
        revocation_reason="Test" if state == Badge.State.REVOKED else "",
        suspended_at=now if state == Badge.State.SUSPENDED else None,
        pdf=pdf,
    )
    badge.snapshot = issuance.build_snapshot(
        public_id=badge.public_id,
        recipient_name=name,
        design=design,
        score_percent=90,
        issued_on=now.date(),
        expires_on=None,
        language="en",
    )
    badge.save()
    return badge


def make_editor(email: str, password: str, *codenames: str):
    """A non-superuser who may open the Wagtail admin, plus the named permissions
    ("app_label.codename")."""
    user = get_user_model().objects.create_user(
        email=email, password=password, display_name="Eddie Editor"
    )
    user.user_permissions.add(
        Permission.objects.get(content_type__app_label="wagtailadmin", codename="access_admin")
    )
    for name in codenames:
        app_label, codename = name.split(".")
        user.user_permissions.add(
            Permission.objects.get(content_type__app_label=app_label, codename=codename)
        )
    return user


def make_due_badges(course, *, count: int, by=None) -> list[Badge]:
    """`count` fellows certified on `course` as first published, then asked to renew
    within 30 days by version 2027.1 (published by `by`, its first module changed)."""
    from courses.versions import publish_version

    badges = [make_badge(design=course.badge_design, name=f"Holder {n}") for n in range(count)]
    publish_version(
        course,
        number="2027.1",
        summary="Rationales required.",
        changed_modules=[course.get_modules().first()],
        renewal_days=30,
        by=by,
    )
    for badge in badges:
        badge.refresh_from_db()
    return badges


def badge_history(badge, action: str):
    """The badge's audit-log entries for `action` (credence.badge.<action>)."""
    from wagtail.models import ModelLogEntry

    return ModelLogEntry.objects.for_instance(badge).filter(action=f"credence.badge.{action}")
