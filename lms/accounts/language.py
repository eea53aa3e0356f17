"""A signed-in fellow's language: remembered on their account when they choose one, and
used for their requests and for the e-mails a worker sends them later."""

from __future__ import annotations

from django.conf import settings
from django.utils import translation


def is_offered(code: str | None) -> bool:
    return bool(code) and code in {c for c, _name in settings.LANGUAGES}


def remember_language(user, code: str | None) -> None:
    """Store `code` as `user`'s language if the site offers it and it changed. One UPDATE
    of one column, so a concurrent profile save is not overwritten."""
    if not is_offered(code) or not getattr(user, "is_authenticated", False):
        return
    if user.language != code:
        user.language = code
        type(user).objects.filter(pk=user.pk).update(language=code)


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
