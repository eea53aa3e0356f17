"""URLs of the soak run: the project's, plus the floors every figure is held against (bare
views behind the same middleware, in the same server; never mounted in production)."""

from django.http import HttpResponse, JsonResponse
from django.template import engines
from django.urls import path
from django.views.decorators.http import require_GET, require_POST

from lms import urls as project_urls

_BARE = engines["django"].from_string(
    "{% extends 'base.html' %}{% block content %}<h1>Bare</h1>{% endblock %}"
)


@require_GET
def bare_page(request):
    # The floor of a fellow's page: the site's base template, no application work.
    return HttpResponse(_BARE.render({}, request))


@require_POST
def bare_post(request):
    # The floor of a quiz submit: a parsed, CSRF-checked form body, then a redirect.
    return HttpResponse(status=303, headers={"Location": f"/bench/bare/?n={len(request.POST)}"})


@require_GET
def bare_json(request):
    # The floor of the public JSON verdict.
    return JsonResponse({"ok": True, "status": "valid"})


urlpatterns = [
    path("bench/bare/", bare_page),
    path("bench/bare-post/", bare_post),
    path("bench/bare.json", bare_json),
    # The project's URL map itself, not include()d: it uses i18n_patterns, which Django
    # allows only in a root URLconf.
    *project_urls.urlpatterns,
]
handler404 = project_urls.handler404
handler500 = project_urls.handler500
