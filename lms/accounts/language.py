"""A signed-in fellow's language: remembered on their account when they choose one, and
used for their requests and for the e-mails a worker sends them later."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import get_user_model
from django.http import HttpRequest, HttpResponse, HttpResponseForbidden
from django.utils import translation
from django.views import i18n
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST


def is_offered(code: str | None) -> bool:
    return bool(code) and code in {c for c, _name in settings.LANGUAGES}


def remember_language(user, code: str | None) -> None:
    """Store `code` as `user`'s language if the site offers it and it changed. One UPDATE
    of one column, so a concurrent profile save is not overwritten."""
    if not is_offered(code) or not getattr(user, "is_authenticated", False):
        return
    if user.language != code:
        user.language = code
        get_user_model().objects.filter(pk=user.pk).update(language=code)


class UserLanguageMiddleware:
    """After AuthenticationMiddleware and LocaleMiddleware.

    A response that sets the language cookie (Django's set_language view, the header's
    switcher) stores the choice on the signed-in user. A signed-in user whose browser has
    no language cookie yet (a new device) gets the language stored on their account
    rather than their browser's guess.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        signed_in = bool(getattr(user, "is_authenticated", False))
        if (
            signed_in
            and settings.LANGUAGE_COOKIE_NAME not in request.COOKIES
            and is_offered(user.language)
            and user.language != translation.get_language()
        ):
            translation.activate(user.language)
            request.LANGUAGE_CODE = user.language
        response = self.get_response(request)
        chosen = response.cookies.get(settings.LANGUAGE_COOKIE_NAME)
        if chosen is not None and signed_in:
            remember_language(user, chosen.value)
        return response


def _same_origin(request: HttpRequest) -> bool:
    """No Origin header (an old browser, a test client), or this site's own."""
    origin = request.headers.get("Origin")
    if origin is None:
        return True
    own = {f"{request.scheme}://{request.get_host()}", settings.SITE_URL}
    return origin in own or origin in getattr(settings, "CSRF_TRUSTED_ORIGINS", [])


@csrf_exempt
@require_POST
def set_language(request: HttpRequest) -> HttpResponse:
    """Django's set_language (the language cookie, then back to `next` if it is on this
    site), reached from the header's switcher, a plain form with no CSRF token: the header
    is also on the public badge page, which is cached and served to visitors without a
    session, where no per-visitor token can be. A forged cross-site POST could at most
    change a browser's language cookie; it carries no session (SameSite=Lax), so it
    cannot change a fellow's stored language, and a browser that names another Origin is
    refused (docs/threats.md, row A12)."""
    if not _same_origin(request):
        return HttpResponseForbidden("Cross-site language change refused.")
    return i18n.set_language(request)
