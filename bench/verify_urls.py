"""Bench-only URLs: the project's URLs plus a bare JSON view (never mounted in production)."""

from django.http import JsonResponse
from django.urls import path

from lms import urls as project_urls


def bare_json(request):
    return JsonResponse({"ok": True, "status": "valid"})


# The project's URL map itself, not include()d: it uses i18n_patterns, which Django allows
# only in a root URLconf.
urlpatterns = [
    path("bench/bare.json", bare_json),
    *project_urls.urlpatterns,
]
