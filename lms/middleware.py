"""Project middleware: editor redirects, the Content-Security-Policy per area, a guard that
turns an admin URL's impossible object id into a 404, and the language of a request."""

from csp.constants import SELF
from csp.middleware import CSPMiddleware, PolicyParts
from django.apps import apps
from django.conf import settings
from django.contrib.admin.utils import unquote
from django.core.exceptions import ValidationError
from django.http import Http404
from django.middleware.locale import LocaleMiddleware
from django.urls import Resolver404, resolve
from django.utils import translation
from wagtail.contrib.redirects.middleware import RedirectMiddleware

from lms.accounts.otp_policy import is_admin_path
from lms.conf import conf

# Public badge endpoints answer their own 404s; looking up editor-made redirects there
# would cost two queries on every guessed id (docs/threats.md, rows B7, L2).
NO_REDIRECT_LOOKUP_PREFIXES = ("/badges/", "/status/", "/.well-known/", "/verify/")


class EditorRedirectMiddleware(RedirectMiddleware):
    """Wagtail's redirects, skipped under the public badge endpoints."""

    def process_response(self, request, response):
        if request.path.startswith(NO_REDIRECT_LOOKUP_PREFIXES):
            return response
        return super().process_response(request, response)


class ContentSecurityPolicyMiddleware(CSPMiddleware):
    """django-csp's middleware: CONTENT_SECURITY_POLICY for the site, and
    CREDENCE_ADMIN_CONTENT_SECURITY_POLICY for the Wagtail admin, whose own inline
    scripts need 'unsafe-inline' (see the settings). `get_policy_parts` is the method
    django-csp documents for this."""

    def get_policy_parts(self, request, response, report_only: bool = False) -> PolicyParts:
        parts = super().get_policy_parts(request, response, report_only)
        if not report_only and is_admin_path(request.path_info):
            parts.config = conf.CREDENCE_ADMIN_CONTENT_SECURITY_POLICY["DIRECTIVES"]
            parts.update = parts.replace = None
            # A nonce in script-src would make browsers ignore 'unsafe-inline'.
            parts.nonce = None
        elif not report_only and getattr(request, "is_preview", False):
            # Wagtail renders a preview through this stack under the page's own URL, then
            # the editor's preview panel frames it: the page's policy, framed by the admin.
            parts.replace = {**(parts.replace or {}), "frame-ancestors": [SELF]}
        return parts


# The URL parameters in which Wagtail's admin views take an object's key.
ADMIN_OBJECT_ID_PARAMETERS = ("pk", "object_id")


def admin_view_model(view_func, view_kwargs):
    """The model a Wagtail admin view works on, or None: the one its viewset gave it (a
    class or an "app_label.Model" string; View.as_view() keeps it in `view_initkwargs`),
    else the one its URL names with app_label and model_name."""
    view_class = getattr(view_func, "view_class", None)
    model = getattr(view_func, "view_initkwargs", {}).get("model") or getattr(
        view_class, "model", None
    )
    if model is None and {"app_label", "model_name"} <= view_kwargs.keys():
        model = f"{view_kwargs['app_label']}.{view_kwargs['model_name']}"
    if isinstance(model, str):
        try:
            return apps.get_model(model)
        except (LookupError, ValueError):
            return None  # the view answers an unknown model itself
    return model


def object_id_fits(model, raw_pk) -> bool:
    """Can `raw_pk`, as it stands in an admin URL (quoted the admin's way), be a primary
    key of `model`? "abc" cannot be an integer key; anything can be a text key."""
    try:
        model._meta.pk.to_python(unquote(str(raw_pk)))
    except ValidationError:
        return False
    return True


class AdminObjectIdMiddleware:
    """Answer 404 for an admin URL whose object id cannot be a key of the view's model.

    Wagtail routes some admin views' ids as text (`<str:pk>` in the image, document and
    snippet choosers' "chosen" views, `<str:object_id>` in the editing-session ping:
    snippet keys need not be integers) and looks the object up catching only
    DoesNotExist, so "abc" for an integer key raised ValueError, a 500 (reported
    upstream). Checking the id against the model's own key field here covers every such
    admin route without touching Wagtail's views. Runs after the second-factor gate,
    which answers unverified users before any view is chosen.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        ids = [view_kwargs[name] for name in ADMIN_OBJECT_ID_PARAMETERS if name in view_kwargs]
        if not ids or not is_admin_path(request.path_info):
            return None
        model = admin_view_model(view_func, view_kwargs)
        if model is not None and not all(object_id_fits(model, raw) for raw in ids):
            raise Http404(f"No {model._meta.verbose_name} with that id.")
        return None


# The name Wagtail gives its page-serving catch-all URL.
WAGTAIL_PAGE_URL_NAME = "wagtail_serve"


def is_unprefixed_page_path(path: str, urlconf=None) -> bool:
    """Is `path` a Wagtail page address without a language prefix (an English page)?"""
    with translation.override(settings.LANGUAGE_CODE):
        try:
            match = resolve(path, urlconf)
        except Resolver404:
            return False
    return match.url_name == WAGTAIL_PAGE_URL_NAME


class PageLocaleMiddleware(LocaleMiddleware):
    """Django's LocaleMiddleware, with the language prefix deciding the language of pages only.

    Once the URL map uses i18n_patterns(prefix_default_language=False), Django reads every
    address without a prefix as LANGUAGE_CODE. That is right for Wagtail's pages
    (/foundations/ is the English course, /zh-hant/foundations/ its translation), but the
    dashboard, accounts, badge and verification pages have one address in every language
    and must follow the visitor's choice: the language cookie set by the switcher, then
    the browser's Accept-Language, as Django negotiates it without i18n_patterns.
    """

    def process_request(self, request):
        urlconf = getattr(request, "urlconf", settings.ROOT_URLCONF)
        path = request.path_info
        if translation.get_language_from_path(path) or is_unprefixed_page_path(path, urlconf):
            return super().process_request(request)
        translation.activate(translation.get_language_from_request(request))
        request.LANGUAGE_CODE = translation.get_language()
        return None
