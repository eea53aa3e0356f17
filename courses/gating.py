"""May this fellow open this course or module, and if not, why? One place decides.

`course_access` and `module_access` are plain functions over a `GateInputs` snapshot,
so the rule is tested without a database. `load_gate_inputs` fetches that snapshot for
a user and a course in a constant number of queries (five, however many modules; none
for a request whose fellow and course are cached, see courses.progress_cache). Page
serving, previews, enrolment, the quiz start, submit and result views and the JSON
endpoints go through `decide_module` / `decide_course`; search and the dashboard, which
look at many courses at once, load their snapshots with `load_gate_inputs_many` and ask
`module_access` / `course_progress`. None of them decides on its own.

The rule:
- anonymous visitors must log in; course pages themselves are public, modules are not;
- a course opens when each of its prerequisite courses is completed;
- a module needs an enrolment in its (open) course;
- a module opens when every earlier module that has a quiz is passed, unless its author
  marked it free to open; a module without a quiz never holds the next one back;
- editors of the page see everything (they author it), once their second factor is
  verified in this session; until then they are fellows;
- a translated course or module is decided as its source (default-locale) page, so
  progress made in one language opens modules in every language.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from django.utils.translation import gettext as _
from django.utils.translation import pgettext


class Reason(StrEnum):
    OPEN = "open"
    FREE = "free"
    EDITOR = "editor"
    LOGIN_REQUIRED = "login_required"
    PREREQUISITES = "prerequisites"
    NOT_ENROLLED = "not_enrolled"
    PREVIOUS_NOT_PASSED = "previous_not_passed"
    NOT_FOUND = "not_found"


class Status(StrEnum):
    LOCKED = "locked"
    OPEN = "open"
    PASSED = "passed"


@dataclass(frozen=True)
class PageRef:
    id: int
    title: str
    url: str = ""
    is_free_to_open: bool = False
    has_quiz: bool = True
    # A module's current edition (courses.versions): only a pass of it counts.
    edition: int = 0


@dataclass(frozen=True)
class AccessDecision:
    allowed: bool
    reason: Reason
    message: str = ""
    next_step_url: str | None = None
    next_step_label: str = ""

    def __bool__(self) -> bool:
        return self.allowed


@dataclass(frozen=True)
class GateInputs:
    """Everything the rule needs about one user and one course, as plain values."""

    course: PageRef
    modules: Sequence[PageRef]
    prerequisites: Sequence[PageRef] = ()
    completed_course_ids: frozenset[int] = frozenset()
    passed_module_ids: frozenset[int] = frozenset()
    is_authenticated: bool = True
    is_enrolled: bool = False
    is_editor: bool = False
    course_is_completed: bool = field(init=False, default=False)

    def __post_init__(self):
        object.__setattr__(self, "course_is_completed", self.course.id in self.completed_course_ids)


def course_access(inputs: GateInputs) -> AccessDecision:
    """May the user start (enrol in) this course? Says which prerequisite is missing."""
    if inputs.is_editor:
        return AccessDecision(True, Reason.EDITOR)
    missing = [c for c in inputs.prerequisites if c.id not in inputs.completed_course_ids]
    if missing:
        # Translators: separates the course names of a list ("“A”, “B”").
        names = pgettext("list separator", ", ").join(
            _("“%(title)s”") % {"title": c.title} for c in missing
        )
        return AccessDecision(
            False,
            Reason.PREREQUISITES,
            _("This course opens when you have completed %(courses)s.") % {"courses": names},
            missing[0].url or None,
            _("Go to %(title)s") % {"title": missing[0].title},
        )
    return AccessDecision(True, Reason.OPEN)


def module_access(inputs: GateInputs, module_id: int) -> AccessDecision:
    """May the user read this module and take its quiz?"""
    if not inputs.is_authenticated:
        return AccessDecision(False, Reason.LOGIN_REQUIRED, _("Log in to open course modules."))
    index = next((i for i, m in enumerate(inputs.modules) if m.id == module_id), None)
    if index is None:
        return AccessDecision(False, Reason.NOT_FOUND, _("This module is not part of the course."))
    if inputs.is_editor:
        return AccessDecision(True, Reason.EDITOR)
    course_decision = course_access(inputs)
    if not course_decision:
        return course_decision
    if not inputs.is_enrolled:
        return AccessDecision(
            False,
            Reason.NOT_ENROLLED,
            _("Enrol in “%(course)s” to open its modules.") % {"course": inputs.course.title},
            inputs.course.url or None,
            _("Enrol in the course"),
        )
    module = inputs.modules[index]
    if module.is_free_to_open:
        return AccessDecision(True, Reason.FREE)
    blocking = [
        m for m in inputs.modules[:index] if m.has_quiz and m.id not in inputs.passed_module_ids
    ]
    if blocking:
        first = blocking[0]
        return AccessDecision(
            False,
            Reason.PREVIOUS_NOT_PASSED,
            _("This module opens when you pass the quiz of “%(module)s”.")
            % {"module": first.title},
            first.url or None,
            _("Go to %(title)s") % {"title": first.title},
        )
    return AccessDecision(True, Reason.OPEN)


@dataclass(frozen=True)
class ModuleProgress:
    module: PageRef
    status: Status
    decision: AccessDecision


@dataclass(frozen=True)
class CourseProgress:
    """Per-module status, the share of quiz modules passed and what to do next."""

    modules: tuple[ModuleProgress, ...]
    passed: int
    required: int
    next_step: PageRef | None

    @property
    def percent(self) -> int:
        return round(100 * self.passed / self.required) if self.required else 0


def course_progress(inputs: GateInputs) -> CourseProgress:
    rows = []
    for module in inputs.modules:
        decision = module_access(inputs, module.id)
        status = (
            Status.PASSED
            if module.id in inputs.passed_module_ids
            else (Status.OPEN if decision else Status.LOCKED)
        )
        rows.append(ModuleProgress(module, status, decision))
    required = [m for m in inputs.modules if m.has_quiz]
    passed = sum(1 for m in required if m.id in inputs.passed_module_ids)
    next_step = next(
        (r.module for r in rows if r.status == Status.OPEN and r.module.has_quiz), None
    )
    return CourseProgress(tuple(rows), passed, len(required), next_step)


def edition_of(inputs: GateInputs, module_id: int) -> int:
    """The current edition of a module of the inputs' course (0 when it has none)."""
    return next((m.edition for m in inputs.modules if m.id == module_id), 0)


def is_course_complete(modules: Iterable[PageRef], passed_module_ids: Iterable[int]) -> bool:
    """A course is complete when every module with a quiz is passed (and it has one):
    `passed_module_ids` names the modules whose current edition is passed."""
    passed = set(passed_module_ids)
    required = [m.id for m in modules if m.has_quiz]
    return bool(required) and all(m in passed for m in required)


# --- The loader: the only part that touches the database --------------------------------


def module_queryset():
    """Live modules with a `quiz_is_empty` flag and their current `edition`
    (courses.versions), without the heavy lesson and quiz JSON."""
    from django.db.models import BooleanField, ExpressionWrapper, Q

    from courses.models import ModulePage
    from courses.versions import edition_subquery

    return (
        ModulePage.objects.live()
        .order_by("path")
        .defer("body", "quiz_questions")
        .annotate(
            quiz_is_empty=ExpressionWrapper(
                Q(quiz_questions=[]) | Q(quiz_questions__isnull=True),
                output_field=BooleanField(),
            ),
            edition=edition_subquery(),
        )
    )


# The columns a PageRef needs. Modules are read as plain rows, not page instances:
# building a Wagtail page object costs more than the rest of the row's work together,
# and a course page lists every module.
_MODULE_COLUMNS = ("pk", "title", "slug", "path", "is_free_to_open", "quiz_is_empty", "edition")


def _ref(row: dict, parent_url: str = "") -> PageRef:
    return PageRef(
        id=row["pk"],
        title=row["title"],
        # A module is a direct child of its course, so its URL is the course's plus its slug.
        url=f"{parent_url}{row['slug']}/" if parent_url else "",
        is_free_to_open=row["is_free_to_open"],
        has_quiz=not row["quiz_is_empty"],
        edition=row["edition"],
    )


def module_refs(course, request=None, *, with_urls: bool = True) -> list[PageRef]:
    """Live modules of `course` in order, as PageRefs with their editions. One query."""
    parent_url = (course.get_url(request) or "") if with_urls else ""
    return [
        _ref(row, parent_url) for row in module_queryset().child_of(course).values(*_MODULE_COLUMNS)
    ]


def is_editor_of(user, page) -> bool:
    """Editors preview and read every module, once they have passed their second factor in this
    session (docs/threats.md, row G8): with a password alone they are fellows here, as the admin
    would not let them in either. Fellows are never staff, so no query for them."""
    from lms.accounts.otp_policy import has_verified_second_factor

    if not getattr(user, "is_authenticated", False) or not user.is_staff:
        return False
    if not has_verified_second_factor(user):
        return False
    return page.permissions_for_user(user).can_edit()


@dataclass(frozen=True)
class CourseStructure:
    """What the rule needs about a course whoever asks: itself, its live modules in order
    (with their editions), its live prerequisites. The same for every fellow, so cached per
    course."""

    course: PageRef
    modules: tuple[PageRef, ...]
    prerequisites: tuple[PageRef, ...]

    @property
    def edition(self) -> int:
        """The course's current edition: the highest of its quiz modules' (courses.versions)."""
        return max((m.edition for m in self.modules if m.has_quiz), default=0)


def load_course_structures(paths, *, request=None, known=None) -> dict[str, CourseStructure]:
    """The structure of each course at a tree path in `paths`, from the database: one query
    for the modules and one for the prerequisites however many courses, plus one for the
    course rows not given in `known` (path -> course page)."""
    from functools import reduce
    from operator import or_

    from django.db.models import Q

    from courses.models import CoursePage

    paths = list(paths)
    if not paths:
        return {}
    courses = {path: course for path, course in (known or {}).items() if path in paths}
    unknown = [path for path in paths if path not in courses]
    if unknown:
        for course in CoursePage.objects.filter(path__in=unknown).defer(
            "description", "learning_outcomes"
        ):
            courses[course.path] = course
    if not courses:
        return {}
    by_parent_path: dict[str, list[PageRef]] = {path: [] for path in courses}
    where = reduce(or_, (Q(path__startswith=c.path, depth=c.depth + 1) for c in courses.values()))
    course_urls = {path: c.get_url(request) or "" for path, c in courses.items()}
    steplen = CoursePage.steplen
    for row in module_queryset().filter(where).values(*_MODULE_COLUMNS):
        parent_path = row["path"][:-steplen]
        if parent_path in by_parent_path:
            by_parent_path[parent_path].append(_ref(row, course_urls[parent_path]))
    prerequisites: dict[int, list[PageRef]] = {c.pk: [] for c in courses.values()}
    through = CoursePage.prerequisites.through.objects.filter(
        from_coursepage_id__in=prerequisites, to_coursepage__live=True
    ).select_related("to_coursepage")
    for row in through.order_by("to_coursepage__path"):
        target = row.to_coursepage
        prerequisites[row.from_coursepage_id].append(
            PageRef(id=target.pk, title=target.title, url=target.get_url(request) or "")
        )
    return {
        path: CourseStructure(
            course=PageRef(id=c.pk, title=c.title, url=course_urls[path]),
            modules=tuple(by_parent_path[path]),
            prerequisites=tuple(prerequisites[c.pk]),
        )
        for path, c in courses.items()
    }


def course_structures(paths, *, request=None, known=None) -> dict[str, CourseStructure]:
    """`load_course_structures`, through the cache when serving a request (then one small
    query for the tree's version and none for cached courses; courses.progress_cache)."""
    from courses import progress_cache

    if request is None:
        return load_course_structures(paths, known=known)
    # The URLs in a structure are relative to the request's site, which its host names
    # (the host, not the Site row: finding that is a query the quiz views need not make).
    return progress_cache.cached_per_course(
        request,
        request.get_host(),
        paths,
        lambda missing: load_course_structures(missing, request=request, known=known),
    )


def load_gate_inputs_many(
    user, courses, *, request=None, editor_course_ids: frozenset[int] = frozenset()
) -> dict[int, GateInputs]:
    """The rule's inputs for `user` in each of `courses` (used by the dashboard and search
    as well), in a number of queries that does not depend on how many courses and modules
    there are: none but the tree's version when serving a request whose fellow and courses
    are cached (courses.progress_cache), five without a request."""

    courses = list(courses)
    if not courses:
        return {}
    structures = course_structures(
        [c.path for c in courses], request=request, known={c.path: c for c in courses}
    )
    progress = _fellow_progress(user, request)
    return {
        c.pk: _gate_inputs(user, structures[c.path], progress, is_editor=c.pk in editor_course_ids)
        for c in courses
    }


def _fellow_progress(user, request):
    from courses import progress_cache

    if not getattr(user, "is_authenticated", False):
        return progress_cache.FellowProgress(frozenset(), frozenset(), frozenset())
    return progress_cache.fellow_progress(user, request=request)


def _gate_inputs(user, structure: CourseStructure, progress, *, is_editor: bool) -> GateInputs:
    return GateInputs(
        course=structure.course,
        modules=list(structure.modules),
        prerequisites=list(structure.prerequisites),
        completed_course_ids=progress.completed_course_ids,
        passed_module_ids=frozenset(
            m.id for m in structure.modules if (m.id, m.edition) in progress.passes
        ),
        is_authenticated=bool(getattr(user, "is_authenticated", False)),
        is_enrolled=structure.course.id in progress.enrolled_course_ids,
        is_editor=is_editor,
    )


def load_gate_inputs(user, course, *, request=None, is_editor: bool = False) -> GateInputs:
    """Fetch the rule's inputs for `user` in `course`: five queries whatever the size."""
    editors = frozenset({course.pk}) if is_editor else frozenset()
    return load_gate_inputs_many(user, [course], request=request, editor_course_ids=editors)[
        course.pk
    ]


def decide_module(user, module, *, request=None) -> tuple[AccessDecision, GateInputs]:
    """The decision every entry point to a module uses. Cached per request.

    A translated module is decided as its source module (the one progress is kept on),
    and the inputs returned name the modules in the reader's language."""
    from courses import translations

    memo = getattr(request, "_credence_gate", None) if request is not None else None
    # The inputs name modules in the active language, so a request that shows another
    # language's links (a quiz result) gets its own entry.
    key = (module.pk, translations.content_language())
    if memo is not None and key in memo:
        return memo[key]
    # -- Translations: map the page to its source, decide there, show in the reader's language.
    source = translations.source_page(module)
    # A module is a direct child of its course: the course's tree path is the module's
    # less one step, so a cached course needs no query to find.
    course_path = source.path[: -source.steplen]
    structure = course_structures([course_path], request=request).get(course_path)
    if structure is None:
        raise LookupError(f"module {module.pk} is not under a course")
    inputs = _gate_inputs(
        user, structure, _fellow_progress(user, request), is_editor=is_editor_of(user, module)
    )
    inputs = translations.localise_inputs(inputs, request=request)
    result = (module_access(inputs, source.pk), inputs)
    if request is not None:
        if memo is None:
            memo = {}
            request._credence_gate = memo
        memo[key] = result
    return result


def decide_course(user, course, *, request=None) -> tuple[AccessDecision, GateInputs]:
    """A translated course is decided as its source course, and shown in the reader's language."""
    from courses import translations

    editor = is_editor_of(user, course)
    # -- Translations: map the page to its source, decide there, show in the reader's language.
    source = translations.source_page(course)
    inputs = load_gate_inputs(user, source, request=request, is_editor=editor)
    inputs = translations.localise_inputs(inputs, request=request)
    return course_access(inputs), inputs
