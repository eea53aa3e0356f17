"""Project-level views: liveness and readiness checks, the favicon, and error pages."""

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.template import loader
from django.templatetags.static import static
from django.utils import translation
from django.views.decorators.cache import never_cache

from lms import readiness


def healthz(request: HttpRequest) -> JsonResponse:
    """Liveness: the process answers. Touches nothing else, so a dependency's outage
    never gets a healthy process restarted."""
    return JsonResponse({"ok": True})


@never_cache
def readyz(request: HttpRequest) -> JsonResponse:
    """Readiness: 200 when the database, Redis (if configured) and media storage answer,
    else 503 naming the components that do not."""
    report = readiness.readiness()
    failing = sorted(name for name, state in report.items() if state != readiness.OK)
    return JsonResponse(
        {"ok": not failing, "failing": failing, "checks": report},
        status=503 if failing else 200,
    )


def favicon(request: HttpRequest) -> HttpResponse:
    """/favicon.ico, which browsers and feed readers ask for whatever the page links:
    the SVG icon base.html links. Not a permanent redirect: the static file's hashed
    name changes with its content."""
    response = HttpResponseRedirect(static("favicon.svg"))
    response["Cache-Control"] = "public, max-age=86400"
    return response


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    # An address without a language prefix that Wagtail could not route was read as
    # English (lms.middleware.PageLocaleMiddleware); there is no page to be English, so
    # the answer speaks the visitor's language.
    if not translation.get_language_from_path(request.path_info):
        translation.activate(translation.get_language_from_request(request))
        request.LANGUAGE_CODE = translation.get_language()
    return render(request, "404.html", status=404)


def server_error(request: HttpRequest) -> HttpResponse:
    # No context processors: the failure may be in whatever they touch.
    return HttpResponse(loader.get_template("500.html").render(), status=500)
