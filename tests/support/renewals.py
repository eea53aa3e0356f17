"""A certified fellow and a course version that asks them to renew, made the way they
happen: the course completed through courses.services, its badge issued in-process, the
version published through courses.versions."""

from __future__ import annotations

from django.urls import reverse

from certificates.models import Badge
from courses import versions
from courses.models import QuizAttempt
from tests.factories.certificates import BadgeDesignFactory
from tests.factories.courses import make_course_with_modules
from tests.support.courses import complete_course, right_answers

SUMMARY = "The harm rubric now has a fourth level, for content that is legal but risky."


def certified_course(site_root, fellow, capture, *, modules: int = 3):
    """A course of `modules` quiz modules with a badge design, which `fellow` completed:
    (course, modules, their issued badge)."""
    course, built = make_course_with_modules(site_root, modules=modules)
    BadgeDesignFactory(course=course)
    with capture(execute=True):
        complete_course(fellow, course)
    badge = Badge.objects.get(recipient=fellow, course=course)
    assert badge.state == Badge.State.ISSUED, badge.last_error
    return course, built, badge


def publish_renewal(course, changed, *, number: str = "2027.1", summary: str = SUMMARY, days=60):
    """Publish a version of `course` that changes the `changed` modules and gives their
    fellows `days` to renew. The e-mails it queues on commit are not sent: a test sends
    them with certificates.issuing.renewal.send_renewal_emails."""
    return versions.publish_version(
        course, number=number, summary=summary, changed_modules=changed, renewal_days=days
    )


def pass_quiz_through_pages(client, module, capture):
    """Start and pass `module`'s quiz as a fellow does, through the quiz views (on-commit
    work, a badge's rendering included, done in-process). Returns the result page's URL."""
    started = client.post(reverse("courses:start_quiz", args=[module.pk]))
    assert started.status_code == 302, started.content[:300]
    attempt = QuizAttempt.objects.get(public_id=started.url.rstrip("/").split("/")[-1])
    assert client.get(started.url).status_code == 200
    with capture(execute=True):
        submitted = client.post(started.url, right_answers(attempt))
    assert submitted.status_code == 303, submitted.content[:300]
    return submitted.url
