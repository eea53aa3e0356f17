"""Achievement pages: what each badge design certifies, at its credentials' `achievement.id`."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings

from certificates.conf import conf
from certificates.models import Badge, BadgeDesign
from certificates.signing.ob3.document_loader import OB_V3P0, VC_V2

# Credentials signed before designs had a public id named this address, with the course
# page's id: it is kept as a permanent redirect for those (see `legacy_redirect`).
LEGACY_PATH = "/badges/achievement/{course_id}"


def achievement_url(public_id: uuid.UUID | str) -> str:
    return f"{settings.SITE_URL}/achievements/{public_id}/"


def legacy_achievement_url(course_id: int | None) -> str:
    return settings.SITE_URL + LEGACY_PATH.format(course_id=course_id or 0)


def achievement_url_for_course(course_id: int | None) -> str:
    """The `achievement.id` for a new credential of the course: its design's page. A badge
    whose design was deleted before it was signed keeps the old form (it has no page)."""
    public_id = (
        BadgeDesign.objects.filter(course_id=course_id).values_list("public_id", flat=True).first()
        if course_id
        else None
    )
    return achievement_url(public_id) if public_id else legacy_achievement_url(course_id)


@dataclass(frozen=True)
class PublishedVersion:
    """One version of the course, as the achievement page lists it."""

    number: str
    published_at: datetime
    summary: str
    # The renewal it asked of holders of earlier versions: its window in days and the
    # deadline; None when it asked none.
    renewal_days: int | None
    renew_by: datetime | None


@dataclass(frozen=True)
class PublicAchievement:
    """What the achievement page shows, from the design as it is now."""

    url: str
    name: str
    description: str
    criteria: str
    image_url: str | None
    issuer_name: str
    course_title: str | None  # None when the course is not public
    course_url: str | None
    # The course's versions, the latest first; None when the course is not public (its
    # versions describe it, as its title does).
    versions: tuple[PublishedVersion, ...] | None = None

    def as_ob3(self) -> dict:
        """The OB 3.0 `Achievement` (the JSON answer of the page)."""
        criteria: dict = {"narrative": self.criteria}
        if self.course_url:
            criteria["id"] = self.course_url
        document: dict = {
            "@context": [VC_V2, OB_V3P0],
            "id": self.url,
            "type": ["Achievement"],
            "name": self.name,
            "description": self.description,
            "criteria": criteria,
            "creator": {
                "id": _issuer_did(),
                "type": ["Profile"],
                "name": self.issuer_name,
                "url": settings.SITE_URL,
            },
        }
        if self.image_url:
            document["image"] = {"id": self.image_url, "type": "Image"}
        if self.versions:
            # The version badges are awarded for today, as new credentials name it.
            document["version"] = self.versions[0].number
        return document


def _issuer_did() -> str:
    from certificates.signing.ob3 import keys

    return keys.issuer_did(settings.SITE_URL)


def _absolute(url: str) -> str:
    return url if "://" in url else settings.SITE_URL + url


def _public_course(course) -> tuple[str | None, str | None]:
    # A draft or restricted course is not named: the page is public, the course is not.
    if not course.live or course.get_view_restrictions().exists():
        return None, None
    url = course.get_url()
    return course.title, _absolute(url) if url else None


def published_versions(course) -> tuple[PublishedVersion, ...]:
    """The course's versions, the latest first (one query)."""
    from courses.models import CourseVersion
    from courses.versions import renewal_deadline

    return tuple(
        PublishedVersion(
            number=version.number,
            published_at=version.published_at,
            summary=version.summary,
            renewal_days=version.renewal_days,
            renew_by=renewal_deadline(version),
        )
        for version in CourseVersion.objects.filter(course=course).order_by("-sequence")
    )


def find_achievement(public_id: str) -> PublicAchievement | None:
    """The achievement with this public id, or None (also for anything not a UUID)."""
    try:
        key = uuid.UUID(str(public_id))
    except ValueError:
        return None
    design = BadgeDesign.objects.select_related("course", "artwork").filter(public_id=key).first()
    if design is None:
        return None
    course_title, course_url = _public_course(design.course)
    return PublicAchievement(
        url=achievement_url(design.public_id),
        name=design.title,
        description=design.description,
        criteria=design.criteria,
        image_url=_absolute(design.artwork.file.url) if design.artwork else None,
        issuer_name=conf.CREDENCE_ISSUER_NAME,
        course_title=course_title,
        course_url=course_url,
        versions=published_versions(design.course) if course_title is not None else None,
    )


def legacy_redirect(course_id: int) -> str | None:
    """Where an old `/badges/achievement/<course id>` address now lives, or None.

    Only for addresses some signed credential actually names, so the redirect reveals
    nothing those credentials do not already publish (the course id, the achievement),
    and guessing course ids finds no other design.
    """
    named = Badge.objects.filter(
        course_id=course_id,
        credential__credentialSubject__achievement__id__endswith=LEGACY_PATH.format(
            course_id=course_id
        ),
    ).exists()
    if not named:
        return None
    public_id = (
        BadgeDesign.objects.filter(course_id=course_id).values_list("public_id", flat=True).first()
    )
    return achievement_url(public_id) if public_id else None
