"""Bench-only URLs: the project's URLs plus the floor every HTTP bench is held against.

The floor is a bare Django view served by the same gunicorn, settings and middleware,
asked with the same cookies and body as the page it is compared with, so a ratio says
what the application adds to Django itself. Never mounted in production.
"""

from django.http import HttpResponse
from django.urls import path
from django.views.decorators.http import require_http_methods

from lms import urls as project_urls


@require_http_methods(["GET", "POST"])
def bare(request):
    # A parsed form body for a POST (as a quiz submission has), nothing else.
    return HttpResponse(f"bare {len(request.POST)}", content_type="text/plain")


# The project's URL map itself, not include()d: it uses i18n_patterns, which Django allows
# only in a root URLconf.
urlpatterns = [path("bench/bare/", bare), *project_urls.urlpatterns]
handler404 = project_urls.handler404
handler500 = project_urls.handler500
