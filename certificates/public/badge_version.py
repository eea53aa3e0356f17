"""The course version a badge certifies, and where the course is now (issue 15): what its
page, its JSON, the upload check and `manage.py verify_badge` say of it.

Read from the badge's snapshot and the columns the public lookups join in
(verification._joined_columns, _LOOKUP_SQL), so it costs no query of its own there.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from django.utils import timezone

from certificates.models import Badge

if TYPE_CHECKING:
    from certificates.public.verification import PublicBadge


def certified_version(badge: Badge | PublicBadge) -> str | None:
    """The name of the course version the badge certifies: frozen in its snapshot, or (for
    a badge issued before the course's first version) the baseline it was recorded as."""
    found = badge.snapshot.get("version_number") or getattr(badge, "version_number", None)
    if found is None and isinstance(badge, Badge) and badge.course_version_id:
        return badge.course_version.number  # a row read without the joined columns
    return found


@dataclass(frozen=True)
class VersionFacts:
    """The course version a badge certifies and the course's current one (issue 15).

    All None for a course with no recorded version. `renew_by` is the badge's renewal
    deadline while the badge is its holder's current one (issued, suspended, being
    prepared or out of date); `out_of_date_since` is set only while it is out of date.
    """

    certified: str | None
    current: str | None
    is_current: bool | None
    renew_by: datetime | None
    out_of_date_since: datetime | None
    # For people: an issued badge's deadline still runs, or has passed (the badge is out
    # of date, or will be once the beat job runs, within minutes: issuing.renewal).
    renewal_running: bool = False
    renewal_lapsed: bool = False
    # An issued badge of an earlier version that no later version asked to renew.
    no_renewal_asked: bool = False

    def as_dict(self) -> dict:
        return {
            "certified": self.certified,
            "current": self.current,
            "is_current": self.is_current,
            "renew_by": _utc(self.renew_by),
            "out_of_date_since": _utc(self.out_of_date_since),
        }


def _utc(moment: datetime | None) -> str | None:
    from certificates.public.verification import _iso  # the JSON's one time format

    return _iso(moment) if moment else None


def _version_columns(badge: Badge | PublicBadge) -> tuple[int | None, str | None, int | None]:
    """(certified sequence, current number, current sequence): the joined columns, or for a
    Badge read without them, from the version rows (up to two queries)."""
    if hasattr(badge, "current_version_sequence"):
        certified_sequence = badge.version_sequence
        current_number, current_sequence = (
            badge.current_version_number,
            badge.current_version_sequence,
        )
    else:
        from courses.models import CourseVersion

        certified_sequence = badge.course_version.sequence if badge.course_version_id else None
        latest = (
            CourseVersion.objects.filter(course_id=badge.course_id)
            .order_by("-sequence")
            .values_list("number", "sequence")
            .first()
        )
        current_number, current_sequence = latest or (None, None)
    if certified_sequence is None:
        certified_sequence = badge.snapshot.get("version_sequence")
    return certified_sequence, current_number, current_sequence


def version_facts(badge: Badge | PublicBadge, *, now: datetime | None = None) -> VersionFacts:
    """What the page, the JSON, the upload check and `verify_badge` say of the version."""
    certified = certified_version(badge)
    certified_sequence, current, current_sequence = _version_columns(badge)
    if certified is None and current is None:
        return VersionFacts(None, None, None, None, None)
    is_current = None
    if certified_sequence is not None and current_sequence is not None:
        is_current = certified_sequence >= current_sequence
    state = badge.state
    renew_by = badge.renew_by if state in Badge.ACTIVE_STATES else None
    issued = state == Badge.State.ISSUED
    now = now or timezone.now()
    # Out of date from the deadline on, whether or not the job has marked it yet
    # (certificates.lifecycle.stage_of).
    lapsed = renew_by is not None and (
        state == Badge.State.OUT_OF_DATE or (issued and renew_by <= now)
    )
    return VersionFacts(
        certified=certified,
        current=current,
        is_current=is_current,
        renew_by=renew_by,
        out_of_date_since=renew_by if lapsed else None,
        renewal_running=issued and renew_by is not None and renew_by > now,
        renewal_lapsed=lapsed,
        no_renewal_asked=issued and renew_by is None and is_current is False,
    )
