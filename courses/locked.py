"""The one answer a locked module gives: a login redirect, a 404 or a helpful 403 page.

The module page (served and previewed) and every view that reaches a module ask
`courses.gating` and, when it refuses, answer with `locked_response`. A plain module,
so page models use it without importing views.
"""

from __future__ import annotations

from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest
from django.template.response import TemplateResponse

from courses import gating


def locked_response(request: HttpRequest, decision: gating.AccessDecision, page=None):
    """Anonymous visitors go to log in; an unknown module is a 404; anyone else gets a 403
    page saying why and what to do next (with an enrol button when that is the step)."""
    if decision.reason == gating.Reason.LOGIN_REQUIRED:
        return redirect_to_login(request.get_full_path())
    if decision.reason == gating.Reason.NOT_FOUND:
        raise Http404("No such module.")
    course = None
    if decision.reason == gating.Reason.NOT_ENROLLED and page is not None:
        course = page.get_parent().specific_deferred
    return TemplateResponse(
        request,
        "courses/locked.html",
        {"decision": decision, "locked_page": page, "enrol_course": course},
        status=403,
    )
