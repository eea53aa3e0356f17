"""The cached copies of what gating reads: a fellow's progress and a course's structure.

Both are keyed by a version kept in the database and changed in the same transaction as
the write that makes the copy wrong:
- a fellow's progress (enrolled courses, passed modules, completed courses) by
  `User.progress_version`, changed by every save or deletion of an enrolment, module pass
  or course completion (`fellow_progress_changed`, from courses.signal_handlers). The user
  row comes with every signed-in request, so reading the version costs no query;
- a course's structure (its modules in order with their flags, its prerequisites) by
  `CourseTreeVersion.token`, changed by every save, deletion or move of a course page
  (`course_tree_changed`). Reading it costs one small query per request.

Why the database and not a version key in Redis: a write made while Redis is unreachable
could not move a Redis key, and when Redis came back the old entry would be read again,
opening a module whose pass was taken away, or keeping one locked that was just passed. A
version that moves with the write itself cannot be missed; an entry written under an old
version is simply never asked for again and expires.

Entries are read and written through Django's default cache (in production
lms.cache.FailSoftRedisCache): with Redis down every read is a miss and the caller loads
from the database, so pages keep working. Only requests read through the cache (the
`request` must be the one whose user is asked about); services and tests that ask without
a request always read the database, so a user object that missed its own change (an old
`progress_version` in memory) can never be given a stale answer.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django.core.cache import cache

from lms.accounts.models import new_progress_version

# Entries under an old version are never read again; this bounds the memory they hold.
ENTRY_SECONDS = 60 * 60


@dataclass(frozen=True)
class FellowProgress:
    """What one fellow has done, across every course: plain ids. A pass is (module id,
    edition): only a pass of the module's current edition counts (courses.versions)."""

    enrolled_course_ids: frozenset[int]
    passes: frozenset[tuple[int, int]]
    completed_course_ids: frozenset[int]


def load_fellow_progress(user) -> FellowProgress:
    """The fellow's progress from the database: three queries."""
    from courses.models import CourseCompletion, Enrolment, ModulePass

    return FellowProgress(
        enrolled_course_ids=frozenset(
            Enrolment.objects.filter(user=user).values_list("course_id", flat=True)
        ),
        passes=frozenset(ModulePass.objects.filter(user=user).values_list("module_id", "edition")),
        completed_course_ids=frozenset(
            CourseCompletion.objects.filter(user=user).values_list("course_id", flat=True)
        ),
    )


def may_use_cache(user, request) -> bool:
    """Only for the signed-in user of this request: the user row it loaded carries the
    version as it was when the request started."""
    return (
        request is not None
        and getattr(user, "is_authenticated", False)
        and getattr(request, "user", None) is user
    )


def fellow_progress(user, *, request=None) -> FellowProgress:
    """The fellow's progress: from the cache when `request` allows (no query), else from
    the database (three queries), storing it for the next request."""
    if not may_use_cache(user, request):
        return load_fellow_progress(user)
    # "progress2": entries of the shape before editions are never read.
    key = f"credence:progress2:{user.pk}:{user.progress_version}"
    found = cache.get(key)
    if isinstance(found, FellowProgress):
        return found
    progress = load_fellow_progress(user)
    cache.set(key, progress, ENTRY_SECONDS)
    return progress


def fellow_progress_changed(user_id: int) -> None:
    """Give the fellow's progress a new version, in the caller's transaction: every entry
    cached before is left behind. One UPDATE."""
    from lms.accounts.models import User

    User.objects.filter(pk=user_id).update(progress_version=new_progress_version())


# --- Course structure -----------------------------------------------------------------


def course_tree_version(request) -> int | None:
    """The course tree's current version, read once per request (one query); None when
    there is no request to remember it on, or no version row (then nothing is cached)."""
    from courses.models import CourseTreeVersion

    if request is None:
        return None
    if not hasattr(request, "_credence_tree_version"):
        request._credence_tree_version = (
            CourseTreeVersion.objects.filter(pk=1).values_list("token", flat=True).first()
        )
    return request._credence_tree_version


def tree_version_subquery():
    """The version as a subquery, for a query the request makes anyway (the module route)."""
    from django.db.models import Subquery

    from courses.models import CourseTreeVersion

    return Subquery(CourseTreeVersion.objects.filter(pk=1).values("token")[:1])


def remember_tree_version(request, version: int | None) -> None:
    """Keep a version read in another query for this request's `course_tree_version`."""
    if request is not None:
        request._credence_tree_version = version


def course_tree_changed() -> None:
    """Give the course tree a new version, in the caller's transaction. One UPDATE (an
    INSERT the first time, when the row is missing)."""
    from courses.models import CourseTreeVersion

    token = new_progress_version()
    if not CourseTreeVersion.objects.filter(pk=1).update(token=token):
        CourseTreeVersion.objects.update_or_create(pk=1, defaults={"token": token})


def cached_per_course(
    request,
    site_host: str,
    course_paths: Iterable[str],
    load: Callable[[list[str]], dict[str, Any]],
) -> dict[str, Any]:
    """Each course's structure by its tree path: the cached ones in one round trip, the
    rest from `load(missing_paths)` (which returns them by path) and then stored."""
    paths = list(course_paths)
    version = course_tree_version(request)
    if version is None:
        return load(paths)
    keys = {path: f"credence:course2:{site_host}:{path}:{version}" for path in paths}
    found = cache.get_many(list(keys.values()))
    result = {path: found[key] for path, key in keys.items() if key in found}
    missing = [path for path in paths if path not in result]
    if missing:
        loaded = load(missing)
        cache.set_many({keys[path]: value for path, value in loaded.items()}, ENTRY_SECONDS)
        result.update(loaded)
    return result
