"""A short road for anonymous visitors to a badge's public page and its JSON verdict."""

from collections.abc import Callable

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.urls import Resolver404, resolve
from django.utils import translation
from django.utils.cache import patch_vary_headers

# Every badge URL starts so (certificates/urls.py, mounted at the root): other paths are
# not resolved here as well as in the handler.
BADGE_PATHS = "/badges/"


def public_verdict_view(path: str) -> tuple[Callable, str] | None:
    """(view, public id) when `path` is a badge's page or JSON, as the URL map resolves
    it (so the two can never disagree), else None."""
    from certificates.public import views

    if not path.startswith(BADGE_PATHS):
        return None
    try:
        match = resolve(path)
    except Resolver404:
        return None
    if match.func not in (views.badge_page, views.badge_json):
        return None
    return match.func, match.kwargs["public_id"]


class PublicVerdictMiddleware:
    """Answer GETs of /badges/<id>/ and /badges/<id>.json from visitors without a session
    cookie here, skipping the middleware listed after this one.

    For such a visitor sessions, CSRF, authentication, OTP, messages and django-axes do
    nothing but cost time: together about as much as the verdict itself
    (bench/bench_verify.py). Without a session cookie the visitor is anonymous, so the
    views see exactly what the full stack would give them. The views still apply the rate
    limit and the page cache; SecurityMiddleware and X-Frame-Options stay in front (listed
    before this middleware). Visitors with a session cookie take the full stack.

    The page is in the language LocaleMiddleware would choose (the language cookie, then
    Accept-Language, then LANGUAGE_CODE), activated for this request only: a worker
    thread would otherwise keep whatever language the previous request activated.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.method != "GET" or settings.SESSION_COOKIE_NAME in request.COOKIES:
            return self.get_response(request)
        found = public_verdict_view(request.path_info)
        if found is None:
            return self.get_response(request)
        view, public_id = found
        request.user = AnonymousUser()
        language = translation.get_language_from_request(request)
        with translation.override(language):
            response = view(request, public_id)
            request.LANGUAGE_CODE = language
        # What CommonMiddleware and LocaleMiddleware would have added.
        if not response.streaming and not response.has_header("Content-Length"):
            response["Content-Length"] = str(len(response.content))
        patch_vary_headers(response, ("Accept-Language",))
        response.headers.setdefault("Content-Language", language)
        return response
