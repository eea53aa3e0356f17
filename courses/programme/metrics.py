"""Every number the Programme reports show, defined once and computed by the database.

Each function takes what it reports on (a course or a quiz module), a `Period` (a
half-open range of aware datetimes) and an optional cohort, and returns small frozen
results. The database does the counting, grouping and ranking; Python only turns a
handful of sums into ratios. The reports, the CSV exports and the bench call these
functions, so a number cannot mean one thing on the page and another in the file.

Definitions (a "fellow in the cohort" means any fellow when no cohort is given):

Course overview
- enrolled: enrolments made in the period.
- active (last 7 days): fellows who started or submitted an attempt at one of the course's
  quizzes in the 7 days before the period's end.
- completed: course completions recorded in the period.
- median time to complete: over those completions, the median of completed_at minus the
  fellow's enrolled_at (completions whose enrolment was since removed are left out).

Module funnel (quiz modules in course order; the fellows are those enrolled in the
period, and events count up to the period's end)
- reached: passed the previous quiz module, or attempted this one (the first quiz module
  is reached by every enrolled fellow).
- attempted: started an attempt at this quiz.
- passed first try: attempt number 1 passed.
- passed eventually: passed at any attempt.
- stuck: reached, not passed, and either out of attempts (the attempt numbered
  max_attempts, plus any extra attempts granted, is closed) or inactive: enrolled more
  than `inactive_days` before the period's end and no attempt at any of the course's
  quizzes started or submitted since.

Quiz summary (graded attempts: submitted or overdue, submitted in the period)
- pass rate: fellows with a passing attempt / fellows with a graded attempt.
- attempts per pass: the mean attempt number of the passing attempts, i.e. how many
  attempts a pass took.

Item analysis (attempts submitted in time in the period; overdue attempts are scored zero
whatever was answered, so they say nothing about a question). A question is identified
across attempts by its block id in the quiz pool and an option by its text.
- facility: the share of responses fully correct.
- discrimination: the point-biserial correlation between being correct on the question
  and the rest score (the attempt's credit on its other questions), so a question is
  not correlated with itself.
- options: how often each option was picked, overall and by the upper group (the 27% of
  responses with the highest rest score; ties broken by attempt id).
- flags, once a question has `min_responses` responses: negative discrimination; an
  option nobody picked; a correct option the upper group picks less often than some
  wrong option.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta

from django.db import connection, transaction
from django.db.models import (
    Aggregate,
    Avg,
    Count,
    DateTimeField,
    DurationField,
    Exists,
    ExpressionWrapper,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
)
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.html import strip_tags

from courses.models import (
    Accommodation,
    CourseCompletion,
    CoursePage,
    Enrolment,
    ModulePage,
    ModulePass,
    QuizAttempt,
)
from courses.programme.models import Cohort, CohortMembership
from courses.translations import default_locale_pages

ACTIVE_WINDOW = timedelta(days=7)
DEFAULT_INACTIVE_DAYS = 14
UPPER_GROUP_PERCENT = 27
GRADED_STATES = (QuizAttempt.State.SUBMITTED, QuizAttempt.State.OVERDUE)
CHOICE_QUESTION_TYPES = ("single_choice", "multiple_select", "preference_ranking", "label_item")


@dataclass(frozen=True)
class Period:
    """[start, end): aware datetimes."""

    start: datetime
    end: datetime

    @classmethod
    def from_dates(cls, first: date, last: date) -> Period:
        """The days `first` to `last`, both included, in the current time zone."""
        tz = timezone.get_current_timezone()
        return cls(
            datetime.combine(first, time.min, tzinfo=tz),
            datetime.combine(last + timedelta(days=1), time.min, tzinfo=tz),
        )


def in_cohort(cohort: Cohort | None, user_field: str = "user_id") -> Q:
    if cohort is None:
        return Q()
    members = CohortMembership.objects.filter(cohort=cohort).values("user_id")
    return Q(**{f"{user_field}__in": members})


def quiz_modules(course: CoursePage) -> list[ModulePage]:
    """The course's live modules that have a quiz, in course order."""
    modules = ModulePage.objects.child_of(course).live().order_by("path")
    return [m for m in modules.only("id", "title", "max_attempts", "quiz_questions") if m.has_quiz]


def _module_ids(course: CoursePage) -> QuerySet:
    return ModulePage.objects.child_of(course).values("id")


# --- Course overview ------------------------------------------------------------------------


class PercentileCont(Aggregate):
    """PostgreSQL's ordered-set aggregate: the interpolated percentile of the expression."""

    function = "percentile_cont"
    template = "%(function)s(%(percentile)s) WITHIN GROUP (ORDER BY %(expressions)s)"

    def __init__(self, expression, percentile: float, **extra):
        super().__init__(expression, percentile=float(percentile), **extra)


@dataclass(frozen=True)
class CourseOverview:
    course_id: int
    title: str
    enrolled: int
    active_7_days: int
    completed: int
    median_days_to_complete: float | None


def completion_durations(course: CoursePage, period: Period, cohort: Cohort | None = None):
    """Completions in the period annotated with `duration` (completed_at - enrolled_at)."""
    enrolled_at = Enrolment.objects.filter(user_id=OuterRef("user_id"), course=course).values(
        "enrolled_at"
    )[:1]
    return (
        CourseCompletion.objects.filter(
            in_cohort(cohort),
            course=course,
            completed_at__gte=period.start,
            completed_at__lt=period.end,
        )
        .annotate(enrolled_at=Subquery(enrolled_at, output_field=DateTimeField()))
        .annotate(
            duration=ExpressionWrapper(
                F("completed_at") - F("enrolled_at"), output_field=DurationField()
            )
        )
        .filter(enrolled_at__isnull=False)
    )


def median_time_to_complete(
    course: CoursePage, period: Period, cohort: Cohort | None = None
) -> timedelta | None:
    durations = completion_durations(course, period, cohort)
    if connection.vendor == "postgresql":
        return durations.aggregate(
            median=PercentileCont(F("duration"), 0.5, output_field=DurationField())
        )["median"]
    # Elsewhere (SQLite, the embedded default): the database sorts, we read the middle one
    # or two rows, the same interpolation percentile_cont does for the median.
    count = durations.count()
    if not count:
        return None
    middle = list(
        durations.order_by("duration").values_list("duration", flat=True)[
            (count - 1) // 2 : count // 2 + 1
        ]
    )
    return sum(middle, timedelta()) / len(middle)


def active_fellows(
    course: CoursePage, period: Period, cohort: Cohort | None = None, window=ACTIVE_WINDOW
) -> int:
    since = period.end - window
    recent = Q(started_at__gte=since, started_at__lt=period.end) | Q(
        submitted_at__gte=since, submitted_at__lt=period.end
    )
    return (
        QuizAttempt.objects.filter(recent, in_cohort(cohort), module_id__in=_module_ids(course))
        .values("user_id")
        .distinct()
        .count()
    )


def course_overview(
    course: CoursePage, period: Period, cohort: Cohort | None = None
) -> CourseOverview:
    enrolled = Enrolment.objects.filter(
        in_cohort(cohort), course=course, enrolled_at__gte=period.start, enrolled_at__lt=period.end
    ).count()
    completed = CourseCompletion.objects.filter(
        in_cohort(cohort),
        course=course,
        completed_at__gte=period.start,
        completed_at__lt=period.end,
    ).count()
    median = median_time_to_complete(course, period, cohort)
    return CourseOverview(
        course_id=course.pk,
        title=course.title,
        enrolled=enrolled,
        active_7_days=active_fellows(course, period, cohort),
        completed=completed,
        median_days_to_complete=None if median is None else median.total_seconds() / 86400,
    )


def courses_overview(period: Period, cohort: Cohort | None = None) -> list[CourseOverview]:
    """The overview of every live course, by title."""
    # path and depth too: each overview looks up the course's modules in the page tree.
    # Records are kept on the default-locale pages: a translation has none of its own.
    courses = (
        default_locale_pages(CoursePage.objects.live())
        .order_by("title")
        .only("id", "title", "path", "depth")
    )
    return [course_overview(course, period, cohort) for course in courses]


# --- Module funnel --------------------------------------------------------------------------


@dataclass(frozen=True)
class FunnelRow:
    module_id: int
    title: str
    reached: int
    attempted: int
    passed_first_try: int
    passed_eventually: int
    stuck: int


def module_funnel(
    course: CoursePage,
    period: Period,
    cohort: Cohort | None = None,
    *,
    inactive_days: int = DEFAULT_INACTIVE_DAYS,
) -> list[FunnelRow]:
    """One row per quiz module; one aggregate query per module over the period's enrolments."""
    modules = quiz_modules(course)
    enrolments = Enrolment.objects.filter(
        in_cohort(cohort), course=course, enrolled_at__gte=period.start, enrolled_at__lt=period.end
    )
    inactive_since = period.end - timedelta(days=inactive_days)
    course_module_ids = [m.pk for m in modules]
    fellow = OuterRef("user_id")
    recently_active = Exists(
        QuizAttempt.objects.filter(
            Q(started_at__gte=inactive_since, started_at__lt=period.end)
            | Q(submitted_at__gte=inactive_since, submitted_at__lt=period.end),
            user_id=fellow,
            module_id__in=course_module_ids,
        )
    )
    rows = []
    previous = None
    for module in modules:
        attempts = QuizAttempt.objects.filter(
            user_id=fellow, module_id=module.pk, started_at__lt=period.end
        )
        passed_previous = (
            Exists(
                ModulePass.objects.filter(
                    user_id=fellow, module_id=previous.pk, passed_at__lt=period.end
                )
            )
            if previous
            else None
        )
        # Attempts allowed: the quiz's, plus the extra attempts the course team granted
        # this fellow (courses.accommodations) before the period's end.
        extra_attempts = (
            Accommodation.objects.filter(
                user_id=OuterRef("user_id"), module_id=module.pk, granted_at__lt=period.end
            )
            .order_by()
            .values("user_id")
            .annotate(total=Sum("extra_attempts"))
            .values("total")
        )
        allowed = module.max_attempts + Coalesce(Subquery(extra_attempts), 0)
        out_of_attempts = (
            Exists(attempts.filter(attempt_number__gte=allowed).exclude(state="in_progress"))
            if module.max_attempts
            else None
        )
        # The conditions go straight into each COUNT's FILTER: aggregating over
        # annotations of the same names would make Django wrap the query in a subquery.
        attempted = Exists(attempts)
        reached = Q(attempted) | Q(passed_previous) if passed_previous is not None else Q()
        inactive = ~Q(recently_active) & Q(enrolled_at__lt=inactive_since)
        stuck_because = inactive | Q(out_of_attempts) if out_of_attempts is not None else inactive
        passed = Exists(
            ModulePass.objects.filter(user_id=fellow, module_id=module.pk, passed_at__lt=period.end)
        )
        first_try = Exists(
            attempts.filter(attempt_number=1, passed=True, submitted_at__lt=period.end)
        )
        counts = enrolments.aggregate(
            reached=Count("pk", filter=reached or None),
            attempted=Count("pk", filter=Q(attempted)),
            passed_first_try=Count("pk", filter=Q(first_try)),
            passed_eventually=Count("pk", filter=Q(passed)),
            stuck=Count("pk", filter=reached & ~Q(passed) & stuck_because),
        )
        rows.append(FunnelRow(module_id=module.pk, title=module.title, **counts))
        previous = module
    return rows


# --- Quiz summary ---------------------------------------------------------------------------


@dataclass(frozen=True)
class QuizSummary:
    module_id: int
    title: str
    graded_attempts: int
    passing_attempts: int
    fellows_attempted: int
    fellows_passed: int
    attempts_per_pass: float | None

    @property
    def pass_rate(self) -> float | None:
        return self.fellows_passed / self.fellows_attempted if self.fellows_attempted else None


def graded_attempts(
    module: ModulePage, period: Period, cohort: Cohort | None = None
) -> QuerySet[QuizAttempt]:
    return QuizAttempt.objects.filter(
        in_cohort(cohort),
        module=module,
        state__in=GRADED_STATES,
        submitted_at__gte=period.start,
        submitted_at__lt=period.end,
    )


def quiz_summary(module: ModulePage, period: Period, cohort: Cohort | None = None) -> QuizSummary:
    counts = graded_attempts(module, period, cohort).aggregate(
        graded_attempts=Count("pk"),
        passing_attempts=Count("pk", filter=Q(passed=True)),
        fellows_attempted=Count("user_id", distinct=True),
        fellows_passed=Count("user_id", distinct=True, filter=Q(passed=True)),
        attempts_per_pass=Avg("attempt_number", filter=Q(passed=True)),
    )
    per_pass = counts.pop("attempts_per_pass")
    return QuizSummary(
        module_id=module.pk,
        title=module.title,
        attempts_per_pass=None if per_pass is None else float(per_pass),
        **counts,
    )


# --- Item analysis --------------------------------------------------------------------------


@dataclass(frozen=True)
class OptionStats:
    text: str
    correct: bool
    picks: int
    upper_picks: int


@dataclass(frozen=True)
class QuestionStats:
    block_id: str
    question_type: str
    prompt: str
    responses: int
    correct: int
    discrimination: float | None
    upper_group_size: int
    options: tuple[OptionStats, ...] = ()
    flags: tuple[str, ...] = field(default=())

    @property
    def facility(self) -> float | None:
        return self.correct / self.responses if self.responses else None

    def pick_share(self, option: OptionStats) -> float:
        return option.picks / self.responses if self.responses else 0.0


FLAG_NEGATIVE = "Negative discrimination: fellows who do well elsewhere get it wrong more often."
FLAG_UNPICKED = "An option nobody picks: {}"
FLAG_AVOIDED = "Strong fellows avoid the correct option: {}"


def point_biserial(n: int, sum_c: float, sum_r: float, sum_rr: float, sum_cr: float):
    """Pearson's r between a 0/1 variable c and r from their sums; None when either is
    constant (everyone right, everyone wrong, or every rest score equal)."""
    spread_c = n * sum_c - sum_c * sum_c  # sum of c squared is sum of c: c is 0 or 1
    spread_r = n * sum_rr - sum_r * sum_r
    if spread_c <= 0 or spread_r <= 1e-12:
        return None
    return (n * sum_cr - sum_c * sum_r) / math.sqrt(spread_c * spread_r)


# The item-analysis SQL is assembled from constant fragments and our own table names
# only (hence the S608 waivers below); every value, including the cohort, is a parameter.


class _Dialect:
    """The few JSON expressions the item-analysis SQL needs, per database."""

    def __init__(self, vendor: str):
        self.postgres = vendor == "postgresql"

    def elements(self, doc: str, alias: str) -> str:
        # A lateral join yielding one row (alias.value) per element of a JSON array.
        if self.postgres:
            return f"CROSS JOIN LATERAL jsonb_array_elements({doc}) AS {alias}(value)"
        return f", json_each({doc}) AS {alias}"

    def text(self, doc: str, key: str) -> str:
        if self.postgres:
            return f"({doc} ->> '{key}')"
        return f"json_extract({doc}, '$.{key}')"

    def member(self, doc: str, key_sql: str) -> str:
        """The JSON value under a computed key (JSON in, JSON out)."""
        if self.postgres:
            return f"({doc} -> {key_sql})"
        return f"json_quote(json_extract({doc}, '$.\"' || {key_sql} || '\"'))"

    def member_text(self, doc: str, key_sql: str, name: str) -> str:
        if self.postgres:
            return f"({doc} -> {key_sql} ->> '{name}')"
        return f"json_extract({doc}, '$.\"' || {key_sql} || '\".{name}')"

    def grade_credit(self, grade: str, key_sql: str) -> str:
        if self.postgres:
            return f"CAST({grade} -> 'questions' -> {key_sql} ->> 'credit' AS double precision)"
        return f"CAST(json_extract({grade}, '$.questions.\"' || {key_sql} || '\".credit') AS REAL)"

    def key_correct(self, key: str, key_sql: str) -> str:
        if self.postgres:
            return f"({key} -> {key_sql} -> 'correct')"
        return f"json_quote(json_extract({key}, '$.\"' || {key_sql} || '\".correct'))"

    def contains(self, json_sql: str, text_sql: str) -> str:
        """Whether a JSON answer or key names this choice id: a string equal to it, an
        array holding it, or (a ranking answer) an object whose "choice" is it."""
        if self.postgres:
            return f"({json_sql} @> to_jsonb({text_sql}) OR ({json_sql} ->> 'choice') = {text_sql})"
        # json_each walks a scalar (one row), an array (its items) or an object (its values).
        return f"EXISTS (SELECT 1 FROM json_each({json_sql}) AS j WHERE j.value = {text_sql})"  # noqa: S608


def _responses_sql(d: _Dialect, cohort: Cohort | None) -> str:
    """Per response (one question of one attempt): its question, answer, credit and the
    rest score, the window sum of the attempt's other credits."""
    attempts = QuizAttempt._meta.db_table
    members = CohortMembership._meta.db_table
    qid = d.text("q.value", "id")
    cohort_sql = (
        f" AND a.user_id IN (SELECT m.user_id FROM {members} AS m WHERE m.cohort_id = %s)"  # noqa: S608
        if cohort is not None
        else ""
    )
    return f"""
    WITH responses AS (
        SELECT a.id AS attempt_id,
               q.value AS question,
               {d.member_text("a.answer_key", qid, "block_id")} AS block_id,
               {d.text("q.value", "type")} AS question_type,
               {d.text("q.value", "prompt")} AS prompt,
               {d.member("a.answers", qid)} AS answer,
               {d.key_correct("a.answer_key", qid)} AS key_correct,
               COALESCE({d.grade_credit("a.grade", qid)}, 0) AS credit
        FROM {attempts} AS a {d.elements("a.layout", "q")}
        WHERE a.module_id = %s AND a.state = 'submitted'
          AND a.submitted_at >= %s AND a.submitted_at < %s{cohort_sql}
    ),
    scored AS (
        SELECT responses.*,
               CASE WHEN credit >= 1 THEN 1 ELSE 0 END AS is_correct,
               SUM(credit) OVER (PARTITION BY attempt_id) - credit AS rest
        FROM responses
    )"""  # noqa: S608


def _question_sql(d: _Dialect, cohort: Cohort | None) -> str:
    return (
        _responses_sql(d, cohort)  # noqa: S608
        + """
    SELECT block_id, MAX(question_type), MAX(prompt), COUNT(*), SUM(is_correct),
           SUM(rest), SUM(rest * rest), SUM(is_correct * rest)
    FROM scored GROUP BY block_id"""
    )


def _option_sql(d: _Dialect, cohort: Cohort | None) -> str:
    label = f"COALESCE(NULLIF({d.text('c.value', 'label')}, ''), {d.text('c.value', 'text')})"
    choice_id = d.text("c.value", "id")
    choices = (
        "jsonb_array_elements(r.question -> 'choices')"
        if d.postgres
        else "json_each(r.question, '$.choices')"
    )
    join = f"CROSS JOIN LATERAL {choices} AS c(value)" if d.postgres else f", {choices} AS c"
    return (
        _responses_sql(d, cohort)  # noqa: S608
        + f""",
    ranked AS (
        SELECT scored.*,
               ROW_NUMBER() OVER (PARTITION BY block_id ORDER BY rest DESC, attempt_id)
                   AS position,
               COUNT(*) OVER (PARTITION BY block_id) AS responses
        FROM scored
    )
    SELECT r.block_id, {label} AS option_text,
           MAX(CASE WHEN {d.contains("r.key_correct", choice_id)} THEN 1 ELSE 0 END),
           SUM(CASE WHEN {d.contains("r.answer", choice_id)} THEN 1 ELSE 0 END),
           SUM(CASE WHEN {d.contains("r.answer", choice_id)}
                     AND r.position * 100 <= {UPPER_GROUP_PERCENT} * r.responses + 99
                    THEN 1 ELSE 0 END)
    FROM ranked AS r {join}
    GROUP BY r.block_id, {label}"""  # noqa: S608
    )


def _params(module: ModulePage, period: Period, cohort: Cohort | None) -> list:
    params: list = [module.pk, period.start, period.end]
    if cohort is not None:
        params.append(cohort.pk)
    return params


def item_analysis_queries(
    module: ModulePage, period: Period, cohort: Cohort | None = None
) -> list[tuple[str, list]]:
    """The SQL and parameters item_analysis runs (the bench EXPLAINs them)."""
    d = _Dialect(connection.vendor)
    params = _params(module, period, cohort)
    return [(_question_sql(d, cohort), params), (_option_sql(d, cohort), params)]


def upper_group_size(responses: int) -> int:
    """27% of the responses, rounded up (the SQL's integer arithmetic says the same)."""
    return (UPPER_GROUP_PERCENT * responses + 99) // 100


def item_analysis(
    module: ModulePage,
    period: Period,
    cohort: Cohort | None = None,
    *,
    min_responses: int = 10,
) -> list[QuestionStats]:
    """Per question of the quiz pool seen in the period, in order of first appearance."""
    (question_sql, params), (option_sql, _) = item_analysis_queries(module, period, cohort)
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # The planner assumes 100 rows from each jsonb_array_elements call (a quiz has
            # a handful), so the plan looks expensive enough to JIT-compile, and compiling
            # takes longer than running it. SET LOCAL ends with this transaction.
            cursor.execute("SET LOCAL jit = off")
        cursor.execute(question_sql, params)
        questions = cursor.fetchall()
        cursor.execute(option_sql, params)
        option_rows = cursor.fetchall()
    options: dict[str, list[OptionStats]] = {}
    for block_id, text, correct, picks, upper in option_rows:
        options.setdefault(block_id, []).append(
            OptionStats(text=text or "", correct=bool(correct), picks=picks, upper_picks=upper)
        )
    results = []
    for block_id, kind, prompt, n, sum_c, sum_r, sum_rr, sum_cr in questions:
        r = point_biserial(n, float(sum_c), float(sum_r), float(sum_rr), float(sum_cr))
        opts = tuple(options.get(block_id, ()))
        flags: list[str] = []
        if n >= min_responses:
            if r is not None and r < 0:
                flags.append(FLAG_NEGATIVE)
            flags += [FLAG_UNPICKED.format(o.text) for o in opts if o.picks == 0]
            wrong_best = max((o.upper_picks for o in opts if not o.correct), default=0)
            flags += [
                FLAG_AVOIDED.format(o.text)
                for o in opts
                if o.correct and o.upper_picks < wrong_best
            ]
        results.append(
            QuestionStats(
                block_id=block_id or "",
                question_type=kind or "",
                prompt=strip_tags(prompt or "").strip(),
                responses=n,
                correct=int(sum_c),
                discrimination=r,
                upper_group_size=upper_group_size(n),
                options=opts,
                flags=tuple(flags),
            )
        )
    order = _pool_order(module)
    last = len(order)
    results.sort(key=lambda q: (order.get(q.block_id, (last, []))[0], q.prompt))
    return [
        replace(q, options=tuple(sorted(q.options, key=_option_position(order, q.block_id))))
        for q in results
    ]


# Where each choice question keeps its options in the authored pool.
_POOL_OPTIONS = {
    "single_choice": "choices",
    "multiple_select": "choices",
    "preference_ranking": "responses",
    "label_item": "labels",
}


def _pool_order(module: ModulePage) -> dict[str, tuple[int, list[str]]]:
    """Block id -> (position in the pool, option texts in authored order), so reports
    list questions and options the way the author wrote them, not as shuffled."""
    order = {}
    for i, block in enumerate(module.quiz_questions.raw_data or []):
        value = block.get("value") or {}
        texts = []
        for item in value.get(_POOL_OPTIONS.get(block.get("type"), ""), None) or []:
            if isinstance(item, dict) and item.get("type") == "item" and "value" in item:
                item = item["value"]
            texts.append(item.get("label") or item.get("text", ""))
        order[block.get("id", "")] = (i, texts)
    return order


def _option_position(order, block_id: str):
    texts = order.get(block_id, (0, []))[1]

    def key(option: OptionStats):
        return (texts.index(option.text) if option.text in texts else len(texts), option.text)

    return key
