"""The learner path's cache under the cache configuration production ships
(lms.cache.FailSoftRedisCache), on a private redis-server the test stops and starts by pid.

With Redis down the module page and a quiz submission still answer, from the database,
and grade right. And a write made while Redis was down cannot be undone by Redis coming
back with its old entries (restarted from its snapshot, or reached again after a
partition): a cached "not passed" must not keep the next module locked, and a cached
"passed" (or "enrolled") must not open a module the fellow may no longer open. The
versions that key those entries live in the database (courses.progress_cache), so the
old entries are still in Redis and never read.
"""

from __future__ import annotations

import pytest
from django.core.cache import caches
from django.urls import reverse

from courses import services
from courses.models import ModulePass, QuizAttempt
from tests.factories.courses import make_course, make_module, single_choice_pool
from tests.support.cache import use_redis_cache
from tests.support.courses import right_answers
from tests.support.services import RedisServer, wait_for

pytestmark = [pytest.mark.redis, pytest.mark.django_db]


@pytest.fixture
def snapshotting_redis(tmp_path):
    server = RedisServer(data_dir=tmp_path).start()
    yield server
    server.stop()


@pytest.fixture
def production_cache(snapshotting_redis, settings):
    use_redis_cache(settings, snapshotting_redis.url)
    cache = caches["default"]
    cache.clear()
    return cache


@pytest.fixture
def course_of_two(site_root, fellow):
    course = make_course(site_root)
    modules = [make_module(course, questions=single_choice_pool(4)) for _ in range(2)]
    services.check_enrol(fellow, course)
    return course, modules


def progress_entries(server: RedisServer) -> list[bytes]:
    import redis

    return redis.Redis.from_url(server.url).keys("*credence:progress2:*")


def pass_through_the_page(client, module) -> QuizAttempt:
    started = client.post(reverse("courses:start_quiz", args=[module.pk]))
    assert started.status_code == 302, started.content[:300]
    attempt = QuizAttempt.objects.get(public_id=started.url.rstrip("/").split("/")[-1])
    submitted = client.post(
        reverse("courses:attempt", args=[attempt.public_id]), right_answers(attempt)
    )
    assert submitted.status_code == 303, submitted.content[:300]
    attempt.refresh_from_db()
    return attempt


def back_with_old_entries(server: RedisServer, cache) -> None:
    """Start Redis again from the snapshot taken before it went down, and wait until this
    process asks it again (the cache skips Redis for a few seconds after a failure)."""
    server.start()
    wait_for(
        lambda: cache.add("probe", 1) and cache.get("probe") == 1,
        timeout=30,
        what="the cache to answer again",
    )


def test_a_pass_while_redis_is_down_counts_and_old_entries_cannot_hide_it(
    production_cache, snapshotting_redis, course_of_two, fellow_client, fellow
):
    _, (first, second) = course_of_two
    assert fellow_client.get(first.url).status_code == 200
    assert fellow_client.get(second.url).status_code == 403  # cached: first not passed
    stale = progress_entries(snapshotting_redis)
    assert len(stale) == 1
    snapshotting_redis.save()
    snapshotting_redis.stop()

    assert fellow_client.get(first.url).status_code == 200
    attempt = pass_through_the_page(fellow_client, first)
    assert attempt.passed and attempt.score_percent == 100
    assert ModulePass.objects.filter(user=fellow, module=first).exists()
    assert fellow_client.get(second.url).status_code == 200

    back_with_old_entries(snapshotting_redis, production_cache)
    assert progress_entries(snapshotting_redis) == stale  # the old "not passed" is back
    assert fellow_client.get(second.url).status_code == 200  # and is not what gates


def test_access_taken_away_while_redis_is_down_stays_away_when_old_entries_return(
    production_cache, snapshotting_redis, course_of_two, fellow_client, fellow
):
    course, (first, second) = course_of_two
    pass_through_the_page(fellow_client, first)
    assert fellow_client.get(second.url).status_code == 200  # cached: passed, enrolled
    snapshotting_redis.save()
    snapshotting_redis.stop()

    # The fellow leaves the course, and staff take the pass back (as erasure does).
    assert fellow_client.post(reverse("courses:unenrol", args=[course.pk])).status_code == 302
    ModulePass.objects.filter(user=fellow, module=first).delete()
    assert fellow_client.get(second.url).status_code == 403
    assert fellow_client.get(first.url).status_code == 403

    back_with_old_entries(snapshotting_redis, production_cache)
    assert progress_entries(snapshotting_redis)  # the old "passed, enrolled" is back
    assert fellow_client.get(second.url).status_code == 403
    assert fellow_client.get(first.url).status_code == 403
    # Enrolling again (the cache up) opens the first module, not the second.
    services.check_enrol(fellow, course)
    assert fellow_client.get(first.url).status_code == 200
    assert fellow_client.get(second.url).status_code == 403


def test_an_authors_change_while_redis_is_down_counts_when_old_entries_return(
    production_cache, snapshotting_redis, course_of_two, fellow_client
):
    course, (first, second) = course_of_two
    second.is_free_to_open = True
    second.save_revision().publish()
    assert fellow_client.get(second.url).status_code == 200  # cached structure: free
    snapshotting_redis.save()
    snapshotting_redis.stop()

    second.is_free_to_open = False
    second.save_revision().publish()
    assert fellow_client.get(second.url).status_code == 403

    back_with_old_entries(snapshotting_redis, production_cache)
    assert fellow_client.get(second.url).status_code == 403
