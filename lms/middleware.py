"""Project middleware."""

from wagtail.contrib.redirects.middleware import RedirectMiddleware

# Public badge endpoints answer their own 404s; looking up editor-made redirects there
# would cost two queries on every guessed id (THREATS B7, L2).
NO_REDIRECT_LOOKUP_PREFIXES = ("/badges/", "/status/", "/.well-known/", "/verify/")


class EditorRedirectMiddleware(RedirectMiddleware):
    """Wagtail's redirects, skipped under the public badge endpoints."""

    def process_response(self, request, response):
        if request.path.startswith(NO_REDIRECT_LOOKUP_PREFIXES):
            return response
        return super().process_response(request, response)
