"""Bench-only URLs: the project's URLs plus a bare JSON view (never mounted in production)."""

from django.http import JsonResponse
from django.urls import include, path


def bare_json(request):
    return JsonResponse({"ok": True, "status": "valid"})


urlpatterns = [path("bench/bare.json", bare_json), path("", include("lms.urls"))]
