"""Project-level views: health check and error pages."""

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.template import loader


def healthz(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"ok": True})


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(request, "404.html", status=404)


def server_error(request: HttpRequest) -> HttpResponse:
    # No context processors: the failure may be in whatever they touch.
    return HttpResponse(loader.get_template("500.html").render(), status=500)
