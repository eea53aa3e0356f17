"""Fixtures for badge tests: a course with a badge design, and a fellow who completed it."""

import pytest
from django.utils import timezone

from courses.models import CourseCompletion, CoursePage
from tests.factories.certificates import make_badge_design

from .verify_support import issue_badge_now


@pytest.fixture
def course(site_root):
    return site_root.add_child(
        instance=CoursePage(
            title="Foundations of AI Data Labeling",
            slug="foundations",
            summary="How expert trainers label data.",
            estimated_minutes=90,
        )
    )


@pytest.fixture
def design(course):
    return make_badge_design(course, validity_days=365)


@pytest.fixture
def completion(fellow, course):
    return CourseCompletion.objects.create(
        user=fellow,
        course=course,
        completed_at=timezone.now(),
        module_scores=[
            {"module_id": 1, "title": "One", "score_percent": 90},
            {"module_id": 2, "title": "Two", "score_percent": 100},
        ],
    )


@pytest.fixture
def badge(design, completion, django_capture_on_commit_callbacks):
    """The completion's badge, issued, signed and rendered in-process."""
    return issue_badge_now(completion, django_capture_on_commit_callbacks)
