"""An admin URL with an object id its model cannot have is a 404, never a 500 (issue 10).

Wagtail routes its choosers' "chosen" views as `<str:pk>` and raised ValueError for
"abc" against an integer key. The scan below walks the admin's URL patterns through
Django's public resolver API, puts "abc" in every id-like parameter that its route
accepts as text, and asks each as verified staff.
"""

import pytest
from django.test import Client
from django.urls import NoReverseMatch, URLPattern, URLResolver, get_resolver, reverse
from django.urls.resolvers import RoutePattern

from lms.accounts.otp_policy import is_admin_path
from lms.middleware import object_id_fits

pytestmark = pytest.mark.django_db

CHOOSER_CHOSEN_URLS = [
    "/admin/images/chooser/chosen/{}/",
    "/admin/documents/chooser/chosen/{}/",
    "/admin/snippets/choose/certificates/badgedesign/chosen/{}/",
]
NOT_AN_INTEGER = ["abc", "1.5", "1e3", "0x1", "1abc", "%00", "1%20OR%201=1", "a%2Fb", "_2F"]
# Integers, but no row can have them: a 404 as well (a bigint overflow is no 500).
IMPOSSIBLE_INTEGERS = ["99999999999999999999", "-1", "0"]
# Values for the other parameters of an admin route, so that the request reaches the
# part of the view that reads the id (an unknown model would be a 404 before that).
OTHER_PARAMETERS = {
    "app_label": "certificates",
    "app_name": "certificates",
    "content_type_app_name": "certificates",
    "model_name": "badgedesign",
    "content_type_model_name": "badgedesign",
    "session_id": "1",
    "action": "delete",
    "action_name": "delete",
    "filter_spec": "original",
}


def is_id_like(name: str) -> bool:
    return name in ("pk", "id") or name.endswith(("_id", "_pk"))


def admin_patterns(patterns=None, prefix="", namespace=""):
    """(route text, namespaced URL name, parameter names) of every named admin view."""
    for entry in get_resolver().url_patterns if patterns is None else patterns:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from admin_patterns(entry.url_patterns, route, inner)
        elif isinstance(entry, URLPattern) and entry.name:
            if isinstance(entry.pattern, RoutePattern):
                names = list(entry.pattern.converters)
            else:
                names = list(entry.pattern.regex.groupindex)
            yield route, namespace + entry.name, names


def text_id_urls() -> list[str]:
    """Admin URLs with "abc" in an id-like parameter, for every route that accepts it."""
    urls = set()
    for _, view_name, names in admin_patterns():
        ids = [n for n in names if is_id_like(n) and n not in OTHER_PARAMETERS]
        if not ids:
            continue
        kwargs = {n: "abc" if n in ids else OTHER_PARAMETERS.get(n, "1") for n in names}
        try:
            url = reverse(view_name, kwargs=kwargs)
        except NoReverseMatch:
            continue  # an <int:...> route: "abc" never reaches a view
        if is_admin_path(url):
            urls.add(url)
    return sorted(urls)


@pytest.fixture
def staff(verified_staff_client) -> Client:
    # A 500 is then an answer to assert on, not an exception raised into the test.
    verified_staff_client.raise_request_exception = False
    return verified_staff_client


def test_object_id_fits_checks_against_the_models_key():
    from certificates.models import BadgeDesign
    from lms.accounts.models import User

    assert object_id_fits(BadgeDesign, "12") and object_id_fits(BadgeDesign, 12)
    assert not object_id_fits(BadgeDesign, "abc")
    assert not object_id_fits(BadgeDesign, "1.5")
    assert object_id_fits(User, "7")


@pytest.mark.parametrize("url", CHOOSER_CHOSEN_URLS)
@pytest.mark.parametrize("bad_id", NOT_AN_INTEGER + IMPOSSIBLE_INTEGERS)
def test_chooser_with_a_non_numeric_id_is_a_404(staff, site_root, url, bad_id):
    assert staff.get(url.format(bad_id)).status_code == 404


@pytest.mark.parametrize("url", CHOOSER_CHOSEN_URLS)
def test_chooser_still_answers_for_a_real_object_and_404s_for_a_missing_one(staff, site_root, url):
    from certificates.models import BadgeDesign
    from tests.factories.certificates import make_badge_design
    from tests.factories.courses import make_course

    assert staff.get(url.format("999999")).status_code == 404
    if "badgedesign" in url:
        design = make_badge_design(make_course(site_root))
        assert BadgeDesign.objects.filter(pk=design.pk).exists()
        response = staff.get(url.format(design.pk))
        assert response.status_code == 200 and b'"step": "chosen"' in response.content


def test_the_scan_finds_the_text_id_routes():
    urls = text_id_urls()
    for chooser in CHOOSER_CHOSEN_URLS:
        assert chooser.format("abc") in urls


def test_every_admin_route_taking_a_text_id_answers_abc_with_a_404(staff, site_root):
    answers = {}
    for url in text_id_urls():
        for method in ("get", "post"):
            answers[f"{method.upper()} {url}"] = getattr(staff, method)(url).status_code
    wrong = {request: status for request, status in answers.items() if status not in (404, 405)}
    assert wrong == {}
    assert any(status == 404 for status in answers.values())
