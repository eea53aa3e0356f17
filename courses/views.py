"""Endpoints that are not pages: dashboard, enrol, quiz attempts, search and JSON.

Every view that can reach a module asks `courses.gating` first and answers a locked
module with `courses.locked.locked_response`; none decides access itself. Attempts are
looked up by their public id *and* the current user, so another fellow's attempt is a
plain 404. An attempt belongs to the source (default-locale) module; its pages show the
module in the language the attempt was taken in (`courses.translations`).
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseRedirect,
    JsonResponse,
)
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from courses import gating, grading, selectors, services, translations
from courses import search as learning_search
from courses.forms import QuizForm
from courses.locked import locked_response
from courses.models import CoursePage, ModulePage, QuizAttempt

SEARCH_PAGE_SIZE = 20


def _live_module(module_id: int) -> ModulePage:
    return get_object_or_404(ModulePage.objects.live(), pk=module_id)


def _own_attempt(request: HttpRequest, public_id) -> QuizAttempt:
    # Scoped to the user: someone else's attempt does not exist, as far as they can tell.
    attempt = get_object_or_404(
        QuizAttempt.objects.select_related("module"), public_id=public_id, user=request.user
    )
    attempt.user = request.user  # the row the middleware loaded: no second query for it
    return attempt


# --- Enrolment ----------------------------------------------------------------------------


@require_POST
@login_required
def enrol(request: HttpRequest, course_id: int) -> HttpResponse:
    course = get_object_or_404(CoursePage.objects.live(), pk=course_id)
    try:
        services.check_enrol(request.user, course)
    except services.CourseLocked as locked:
        return locked_response(request, locked.decision, None)
    messages.success(request, _("You are enrolled in “%(course)s”.") % {"course": course.title})
    return HttpResponseRedirect(course.get_url(request) or "/")


@require_POST
@login_required
def unenrol(request: HttpRequest, course_id: int) -> HttpResponse:
    course = get_object_or_404(CoursePage.objects.live(), pk=course_id)
    services.unenrol(request.user, course)
    messages.info(
        request,
        _("You have left “%(course)s”. Your results are kept.") % {"course": course.title},
    )
    return HttpResponseRedirect(reverse("courses:dashboard"))


# --- Dashboard ----------------------------------------------------------------------------


@require_GET
@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    rows = selectors.dashboard_rows(request.user, request=request)
    stuck = services.stuck_module_ids(request.user, [row.progress for row in rows])
    context = {
        "rows": rows,
        "stuck_module_ids": stuck,
        # Asked first: a badge that falls out of date unless the fellow acts.
        "renewals": [row.renewal for row in rows if row.renewal],
    }
    return render(request, "courses/dashboard.html", context)


# --- Quiz ---------------------------------------------------------------------------------


@require_POST
@login_required
def start_quiz(request: HttpRequest, module_id: int) -> HttpResponse:
    module = _live_module(module_id)
    decision, inputs = gating.decide_module(request.user, module, request=request)
    if not decision:
        return locked_response(request, decision, module)
    edition = gating.edition_of(inputs, translations.source_page(module).pk)
    try:
        attempt = services.start_attempt(request.user, module, check_access=False, edition=edition)
    except services.QuizUnavailable as unavailable:
        messages.warning(request, unavailable.message)
        return HttpResponseRedirect(module.get_url(request) + "#quiz")
    return HttpResponseRedirect(reverse("courses:attempt", args=[attempt.public_id]))


def _render_attempt(request, attempt, form, status=200):
    return render(
        request,
        "courses/quiz_attempt.html",
        {
            "attempt": attempt,
            "module": translations.reading_version(attempt.module, attempt.language or None),
            "questions": _question_rows(attempt.layout, form),
            "form": form,
            "deadline": attempt.deadline,
            "grace": services.LATE_GRACE,
            "attempts_allowed": services.attempts_allowed(request.user, attempt.module),
        },
        status=status,
    )


def _question_rows(layout, form):
    """Pair each frozen question with its bound field(s), for a template with no logic."""
    rows = []
    for number, q in enumerate(layout, start=1):
        rationale = form[f"{q['id']}-rationale"] if q["type"] == "preference_ranking" else None
        rows.append({"number": number, "q": q, "field": form[q["id"]], "rationale": rationale})
    return rows


@login_required
def attempt_view(request: HttpRequest, public_id) -> HttpResponse:
    """GET: the quiz form of an open attempt. POST: submit it (idempotent)."""
    if request.method not in ("GET", "POST"):
        return HttpResponse(status=405, headers={"Allow": "GET, POST"})
    attempt = _own_attempt(request, public_id)
    module = attempt.module
    decision, _inputs = gating.decide_module(request.user, module, request=request)
    if not decision:
        return locked_response(request, decision, module)
    now = timezone.now()
    services.close_if_overdue(attempt, now=now)
    result_url = reverse("courses:attempt_result", args=[attempt.public_id])
    if not attempt.is_open:
        if request.method == "GET":
            return HttpResponseRedirect(result_url)
        return _already_submitted(request, attempt, result_url)
    if request.method == "GET":
        return _render_attempt(request, attempt, QuizForm(attempt.layout))
    form = QuizForm(attempt.layout, request.POST)
    if not form.is_valid():
        return _render_attempt(request, attempt, form, status=400)
    outcome = services.submit_attempt(attempt, form.answers(), now=now)
    if not outcome.graded_now:
        return _already_submitted(request, outcome.attempt, result_url)
    return HttpResponseRedirect(result_url, status=303)


def _already_submitted(request, attempt, result_url):
    """A replay of the exact submission sees its result; anything else is out of sequence."""
    form = QuizForm(attempt.layout, request.POST)
    if form.is_valid() and form.answers() == attempt.answers:
        return HttpResponseRedirect(result_url, status=303)
    return render(
        request,
        "courses/quiz_conflict.html",
        {"attempt": attempt, "result_url": result_url, "module": attempt.module},
        status=409,
    )


@require_GET
@login_required
def attempt_result(request: HttpRequest, public_id) -> HttpResponse:
    attempt = _own_attempt(request, public_id)
    module = attempt.module
    decision, inputs = gating.decide_module(request.user, module, request=request)
    if not decision:
        return locked_response(request, decision, module)
    services.close_if_overdue(attempt, now=timezone.now())
    if attempt.is_open:
        return HttpResponseRedirect(reverse("courses:attempt", args=[attempt.public_id]))
    state = services.quiz_state(request.user, module, edition=gating.edition_of(inputs, module.pk))
    # The module as the fellow took the quiz: its lesson headings, address and retake.
    shown = translations.reading_version(module, attempt.language or None)
    sections = selectors.lesson_sections(shown)
    # The policy is read from the quiz now, and the fellow's standing now: the review of
    # an old attempt shows the answers once (and only once) the policy allows it.
    reveal = grading.may_reveal_answers(
        module.answer_reveal, passed=state.passed, out_of_attempts=state.is_stuck
    )
    return render(
        request,
        "courses/quiz_result.html",
        {
            "attempt": attempt,
            "module": shown,
            "module_url": shown.get_url(request),
            "reviews": selectors.review_attempt(
                attempt, section_titles=sections, reveal_answers=reveal
            ),
            "answers_revealed": reveal,
            "review_sections": [
                {"anchor": anchor, "title": sections.get(anchor, anchor)}
                for anchor in (attempt.grade or {}).get("review_sections", [])
            ],
            "state": state,
            "next_module": _next_module(request, module, attempt.language),
            # Every quiz passed: the result says the course (or its renewal) is complete.
            "finished": selectors.finished_course(request.user, inputs) if attempt.passed else None,
        },
    )


def _next_module(request, module, language: str):
    """The next module, titled and linked in the language the quiz was taken in."""
    if not language:
        return selectors.next_module_after(request.user, module, request=request)
    with translation.override(language):
        return selectors.next_module_after(request.user, module, request=request)


# --- Search and JSON ----------------------------------------------------------------------


@require_GET
def search(request: HttpRequest) -> HttpResponse:
    query = learning_search.clean_query(request.GET.get("q") or "")
    results = []
    page_obj = None
    if query:
        hits = learning_search.search_learning(request.user, query, request=request)
        page_obj = Paginator(hits, SEARCH_PAGE_SIZE).get_page(request.GET.get("page"))
        results = page_obj.object_list
    return render(
        request,
        "courses/search.html",
        {
            "query": query,
            "results": results,
            "page_obj": page_obj,
            "max_query_length": learning_search.MAX_QUERY_LENGTH,
        },
    )


@require_GET
def course_progress_json(request: HttpRequest, course_id: int) -> JsonResponse:
    """Module titles and statuses for the user; never module content."""
    course = get_object_or_404(CoursePage.objects.live(), pk=course_id)
    decision, inputs = gating.decide_course(request.user, course, request=request)
    progress = gating.course_progress(inputs)
    return JsonResponse(
        {
            "course": {"id": course.pk, "title": course.title, "open": decision.allowed},
            "enrolled": inputs.is_enrolled,
            "completed": inputs.course_is_completed,
            "percent": progress.percent,
            "modules": [
                {"id": r.module.id, "title": r.module.title, "status": r.status.value}
                for r in progress.modules
            ],
        }
    )


@require_GET
def module_json(request: HttpRequest, module_id: int) -> JsonResponse:
    """A module's lesson as JSON, for clients that are not the page. Gated like the page."""
    module = _live_module(module_id)
    decision, _inputs = gating.decide_module(request.user, module, request=request)
    if not decision:
        status = 401 if decision.reason == gating.Reason.LOGIN_REQUIRED else 403
        if decision.reason == gating.Reason.NOT_FOUND:
            raise Http404
        return JsonResponse(
            {
                "id": module.pk,
                "title": module.title,
                "locked": True,
                "reason": decision.reason.value,
                "message": decision.message,
                "next_step_url": decision.next_step_url,
            },
            status=status,
        )
    return JsonResponse(
        {
            "id": module.pk,
            "title": module.title,
            "summary": module.summary,
            "locked": False,
            # Rendered lesson blocks only: the quiz pool (and its key) is never serialised.
            "body_html": str(module.body),
        }
    )
