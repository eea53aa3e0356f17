"""Which completions hold no badge, and which published courses have no badge design.

Read-only queries behind the admin's warnings, the past-completions backfill and the
"My badges" page; certificates.issuing.issuance does the writing.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from django.db.models import Count, Exists, OuterRef, QuerySet

from certificates.models import Badge, BadgeDesign
from courses.models import CourseCompletion, CoursePage
from courses.translations import default_locale_pages

logger = logging.getLogger("credence.badges")


def completions_without_badge(course: CoursePage) -> QuerySet[CourseCompletion]:
    """Completions of `course` whose fellow holds no badge for it in any state.

    A revoked or superseded badge counts as held: a backfill must never quietly
    re-award a badge that staff revoked.
    """
    any_badge = Badge.objects.filter(recipient=OuterRef("user"), course=course)
    return (
        CourseCompletion.objects.filter(course=course)
        .exclude(Exists(any_badge))
        .select_related("user", "course")
        .order_by("completed_at", "pk")
    )


@dataclass(frozen=True)
class CourseWithoutDesign:
    course: CoursePage
    completions: int


def published_courses_without_design() -> list[CourseWithoutDesign]:
    """Live courses that have no badge design yet, with how many fellows completed each
    (those fellows are waiting for a badge)."""
    courses = (
        # Translations share their source's design and completions: English pages only.
        default_locale_pages(CoursePage.objects.live())
        .filter(badge_design__isnull=True)
        .annotate(completion_count=Count("completions"))
        .order_by("title")
    )
    return [CourseWithoutDesign(course, course.completion_count) for course in courses]


@dataclass(frozen=True)
class CourseAwaitingBackfill:
    course: CoursePage
    waiting: int


def designed_courses_with_unbadged_completions() -> list[CourseAwaitingBackfill]:
    """Courses that have a design but fellows who completed them before it existed (or
    whose badge was never made) and hold no badge: the ones a backfill would serve."""
    any_badge = Badge.objects.filter(recipient=OuterRef("user"), course=OuterRef("course"))
    waiting = (
        CourseCompletion.objects.filter(course__badge_design__isnull=False)
        .exclude(Exists(any_badge))
        .values("course")
        .annotate(n=Count("pk"))
    )
    counts = {row["course"]: row["n"] for row in waiting}
    courses = CoursePage.objects.filter(pk__in=counts).order_by("title")
    return [CourseAwaitingBackfill(course, counts[course.pk]) for course in courses]


@dataclass(frozen=True)
class AwaitedBadge:
    """A course the fellow completed whose badge does not exist."""

    course_title: str
    has_design: bool


def awaited_badges_of(user) -> list[AwaitedBadge]:
    """The courses `user` completed but holds no badge for. Each is logged as a warning:
    the admin's dashboard lists the same courses, so the course team does get told."""
    any_badge = Badge.objects.filter(recipient=user, course=OuterRef("course"))
    completions = (
        CourseCompletion.objects.filter(user=user)
        .exclude(Exists(any_badge))
        .annotate(has_design=Exists(BadgeDesign.objects.filter(course=OuterRef("course"))))
        .select_related("course")
        .order_by("completed_at")
    )
    awaited = []
    for completion in completions:
        logger.warning(
            "fellow %s completed course %s but holds no badge for it (%s)",
            user.pk,
            completion.course_id,
            "waiting for past completions to be issued"
            if completion.has_design
            else "the course has no badge design",
        )
        awaited.append(AwaitedBadge(completion.course.title, completion.has_design))
    return awaited
