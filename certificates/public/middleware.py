"""A short road for anonymous visitors to a badge's public page and its JSON verdict."""

import re

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.utils import translation

from certificates.models import PUBLIC_ID_PATTERN

# The paths of views.badge_page and views.badge_json (certificates/urls.py, mounted at
# the root); a test checks that reverse() of both matches.
PUBLIC_VERDICT_PATH = re.compile(rf"^/badges/(?P<public_id>{PUBLIC_ID_PATTERN})(?P<kind>/|\.json)$")


class PublicVerdictMiddleware:
    """Answer GETs of /badges/<id>/ and /badges/<id>.json from visitors without a session
    cookie here, skipping the middleware listed after this one.

    For such a visitor sessions, CSRF, authentication, OTP, messages and django-axes do
    nothing but cost time: together about as much as the verdict itself
    (bench/bench_verify.py). Without a session cookie the visitor is anonymous, so the
    views see exactly what the full stack would give them. The views still apply the rate
    limit and the page cache; SecurityMiddleware and X-Frame-Options stay in front (listed
    before this middleware). Visitors with a session cookie take the full stack.

    The page is always in LANGUAGE_CODE: the site has no translations of its own, and a
    worker thread would otherwise keep whatever language the previous request activated.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.method != "GET" or settings.SESSION_COOKIE_NAME in request.COOKIES:
            return self.get_response(request)
        match = PUBLIC_VERDICT_PATH.match(request.path_info)
        if match is None:
            return self.get_response(request)
        from certificates.public import views

        request.user = AnonymousUser()
        view = views.badge_json if match["kind"] == ".json" else views.badge_page
        with translation.override(settings.LANGUAGE_CODE):
            response = view(request, match["public_id"])
        # What CommonMiddleware and LocaleMiddleware would have added.
        if not response.streaming and not response.has_header("Content-Length"):
            response["Content-Length"] = str(len(response.content))
        response.headers.setdefault("Content-Language", settings.LANGUAGE_CODE)
        return response
