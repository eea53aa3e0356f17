"""What a fellow is shown about the badges they hold (reads only; courses.versions and
certificates.issuing.renewal hold the rules).

- `renewals_for`: what a newer version of a course asks of the badge the fellow holds for
  it (the dashboard's renewal card, the course page's notice), from the gate inputs the
  page has already loaded; `renewal_for_email` is the same for the renewal e-mails.
- `badge_history`: every badge the fellow has held, newest first, each with the version
  it certifies and what replaced it (My badges).
- `badge_after_completion`: the badge a completed course left the fellow with, and
  whether it renewed an earlier version's (a quiz's result page).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from urllib.parse import urlsplit

from certificates.issuing.renewal import DUE_STATES
from certificates.models import Badge
from certificates.public.verification import BadgeStatus, badge_status, certified_version
from courses.gating import GateInputs, PageRef
from courses.models import CourseVersion

# The badges a renewal can still bring up to date: the fellow's current one, and one whose
# deadline passed (renewing supersedes it all the same).
RENEWABLE_STATES = (*DUE_STATES, Badge.State.OUT_OF_DATE)


# --- What a renewal asks ----------------------------------------------------------------


@dataclass(frozen=True)
class ChangedModule:
    module: PageRef  # as the fellow reads it: titled and linked in their language
    version_number: str  # the version that changed it last
    passed: bool  # its current edition is passed


@dataclass(frozen=True)
class Renewal:
    """What the versions after the one a fellow's badge certifies ask of them."""

    badge: Badge
    course: PageRef
    certified_number: str | None  # the version the badge certifies
    versions: tuple[CourseVersion, ...]  # those asking for renewal, oldest first
    current: CourseVersion
    modules: tuple[ChangedModule, ...]  # the changed modules, in course order
    is_enrolled: bool

    @property
    def deadline(self) -> datetime | None:
        return self.badge.renew_by

    @property
    def out_of_date_since(self) -> datetime | None:
        """The deadline, once it has passed (whether or not the job has marked the badge
        yet: certificates.lifecycle.stage_of)."""
        from certificates import lifecycle

        if lifecycle.stage_of(self.badge).code == lifecycle.OUT_OF_DATE:
            return self.badge.renew_by
        return None

    @property
    def quizzes(self) -> tuple[ChangedModule, ...]:
        """The changed modules whose quiz must be passed again (one that lost its quiz
        is only to be read)."""
        return tuple(m for m in self.modules if m.module.has_quiz)

    @property
    def passed(self) -> int:
        return sum(1 for m in self.quizzes if m.passed)

    @property
    def required(self) -> int:
        return len(self.quizzes)

    @property
    def percent(self) -> int:
        return round(100 * self.passed / self.required) if self.required else 0

    @property
    def next_module(self) -> PageRef | None:
        """The first changed module whose quiz is still to pass."""
        return next((m.module for m in self.quizzes if not m.passed), None)

    @property
    def renew_url(self) -> str:
        """Where "Renew" leads: the next changed module, or the course page for a fellow
        who left the course (its modules open once they enrol again)."""
        if self.is_enrolled and self.next_module and self.next_module.url:
            return self.next_module.url
        return self.course.url

    def version_of(self, module_id: int) -> str:
        """The version that changed a module (for "Changed in 2027.1"); "" if unchanged."""
        return next((m.version_number for m in self.modules if m.module.id == module_id), "")


def _may_ask_renewal(inputs: GateInputs) -> bool:
    """Whether the fellow may hold a badge a newer version asks them to renew, from the
    gate inputs alone: they completed the course and a module that a version changed (its
    edition above 0) is open again. False for everyone else, who pay no query."""
    return inputs.course_is_completed and any(
        m.has_quiz and m.edition and m.id not in inputs.passed_module_ids for m in inputs.modules
    )


def renewals_for(user, inputs_by_course: Mapping[int, GateInputs]) -> dict[int, Renewal]:
    """{course id: Renewal} for the courses (keyed by their source page's id, with the
    fellow's gate inputs, localised or not) whose badge a newer version asks the fellow to
    renew, or whose deadline passed. Two queries, whatever the number of courses, when
    one may ask it (`_may_ask_renewal`); none otherwise."""
    maybe = {pk: inputs for pk, inputs in inputs_by_course.items() if _may_ask_renewal(inputs)}
    if not maybe:
        return {}
    badges = list(
        Badge.objects.filter(
            recipient=user,
            course_id__in=list(maybe),
            renew_by__isnull=False,
            state__in=RENEWABLE_STATES,
        ).select_related("course_version")
    )
    if not badges:
        return {}
    versions: dict[int, list[CourseVersion]] = defaultdict(list)
    for version in CourseVersion.objects.filter(
        course_id__in=[b.course_id for b in badges]
    ).order_by("sequence"):
        versions[version.course_id].append(version)
    found = {}
    for badge in badges:
        course_versions = versions[badge.course_id]
        since = _certified_sequence(badge)
        asking = [v for v in course_versions if v.sequence > since and v.requires_renewal]
        renewal = _renewal(badge, maybe[badge.course_id], asking, course_versions[-1])
        if renewal is not None:
            found[badge.course_id] = renewal
    return found


def _certified_sequence(badge: Badge) -> int:
    return badge.course_version.sequence if badge.course_version_id else 0


def _renewal(
    badge: Badge,
    inputs: GateInputs,
    asking: Sequence[CourseVersion],
    current: CourseVersion | None,
) -> Renewal | None:
    """The renewal, or None when nothing is asked (no later version with a renewal
    window, or none of the modules it changed is live)."""
    since = _certified_sequence(badge)
    # A module's edition is the latest renewal version that changed it
    # (courses.versions), so those changed after the badge's version are exactly the
    # modules with a later edition: renewal_ask's union, read from the gate at no query.
    numbers = {v.sequence: v.number for v in asking}
    modules = tuple(
        ChangedModule(m, numbers.get(m.edition, ""), m.id in inputs.passed_module_ids)
        for m in inputs.modules
        if m.edition > since
    )
    if not asking or not modules or current is None:
        return None
    return Renewal(
        badge=badge,
        course=inputs.course,
        certified_number=certified_version(badge),
        versions=tuple(asking),
        current=current,
        modules=modules,
        is_enrolled=inputs.is_enrolled,
    )


def renewal_for_email(badge: Badge) -> Renewal | None:
    """What `badge`'s renewal asks, for the renewal e-mails: titled in the active language
    (the caller's, the fellow's), every link absolute on SITE_URL. A handful of queries."""
    from courses import gating, translations
    from courses.versions import renewal_ask
    from lms.site_url import absolute_url

    course = badge.course
    if course is None:  # deleted since: nothing left to retake
        return None
    ask = renewal_ask(course, _certified_sequence(badge))
    inputs = translations.localise_inputs(gating.load_gate_inputs(badge.recipient, course))

    def absolute(ref: PageRef) -> PageRef:
        # Without a request a page's URL may carry the Site's host: e-mailed links take
        # theirs from SITE_URL only (lms.site_url).
        path = urlsplit(ref.url).path if ref.url else ""
        return replace(ref, url=absolute_url(path) if path else "")

    inputs = replace(
        inputs,
        course=absolute(inputs.course),
        modules=tuple(absolute(m) for m in inputs.modules),
    )
    return _renewal(badge, inputs, ask.versions, ask.current)


# --- My badges --------------------------------------------------------------------------


@dataclass(frozen=True)
class HeldBadge:
    badge: Badge
    status: BadgeStatus
    version_number: str | None  # the course version it certifies
    replaced_by: Badge | None  # the badge that superseded it
    replacement_version: str | None

    @property
    def linkedin_url(self) -> str:
        from certificates.public.sharing import linkedin_add_to_profile_url

        return linkedin_add_to_profile_url(self.badge.snapshot)

    @property
    def renewed(self) -> bool:
        """Replaced by a badge for a later version (a renewal), not a re-issue."""
        return bool(self.replaced_by) and self.replacement_version != self.version_number

    @property
    def renew_by(self) -> datetime | None:
        """When the fellow must renew it by: only a current badge is asked to."""
        if self.badge.state in DUE_STATES:
            return self.badge.renew_by
        return None


def badge_history(user) -> list[HeldBadge]:
    """Every badge `user` has held, newest first: current, replaced (by a renewal or a
    re-issue), revoked. One query."""
    badges = (
        Badge.objects.filter(recipient=user)
        .select_related("course_version", "superseded_by__course_version")
        .order_by("-created_at", "-pk")
    )
    return [
        HeldBadge(
            badge=badge,
            status=badge_status(badge),
            version_number=certified_version(badge),
            replaced_by=badge.superseded_by,
            replacement_version=certified_version(badge.superseded_by)
            if badge.superseded_by
            else None,
        )
        for badge in badges
    ]


# --- After the last quiz ----------------------------------------------------------------


@dataclass(frozen=True)
class CompletedBadge:
    """The badge a completed course left the fellow with."""

    badge: Badge
    version_number: str | None
    renewed_from: str | None  # the version of the badge it superseded, for a renewal

    @property
    def is_preparing(self) -> bool:
        return self.badge.state in Badge.PREPARING_STATES

    @property
    def is_issued(self) -> bool:
        return self.badge.state == Badge.State.ISSUED


def badge_after_completion(user, course_id: int) -> CompletedBadge | None:
    """The fellow's current badge for the course, and the earlier version it renewed, if
    a renewal issued it; None when they hold none (the course has no badge design, or it
    was revoked). One query."""
    latest = list(
        Badge.objects.filter(recipient=user, course_id=course_id)
        .select_related("course_version")
        .order_by("-created_at", "-pk")[:2]
    )
    if not latest or latest[0].state not in Badge.ACTIVE_STATES:
        return None
    badge = latest[0]
    before = latest[1] if len(latest) > 1 else None
    renewed_from = None
    if (
        before is not None
        and before.superseded_by_id == badge.pk
        and _certified_sequence(before) < _certified_sequence(badge)
    ):
        renewed_from = certified_version(before)
    return CompletedBadge(badge, certified_version(badge), renewed_from)
