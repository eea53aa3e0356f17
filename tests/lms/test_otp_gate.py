"""The second-factor gate in front of every admin URL (docs/threats.md, row A1), generated from the
URLconf.

Every URL pattern under /admin/ is turned into a concrete path and requested as a staff
user who has only given a password. A new admin URL is picked up automatically; one
this file cannot build a path for fails the test until a sample value is added.
"""

import re
import uuid

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, resolve
from django.urls.resolvers import RegexPattern, RoutePattern
from django_otp import DEVICE_ID_SESSION_KEY

from lms.accounts.otp_policy import (
    ENROL,
    VERIFY,
    is_admin_path,
    otp_enrol_url,
    otp_verify_url,
    required_otp_step,
)
from tests.support.otp import make_totp_device, password_login

SAMPLES = [
    "1",
    "x",
    "abc",
    "wagtailcore",
    "page",
    str(uuid.UUID(int=1)),
    "a/b",
    "a/",
    "1-2",
    "x.png",
    "",
]
ADMIN_MODULES = (
    "wagtail.admin",
    "wagtail.snippets",
    "wagtail.users",
    "wagtail.contrib.settings",
    "wagtail.contrib.redirects",
    "wagtail.images.views",
    "django.contrib.admin",
)


def _sample_for(regex: str) -> str:
    lengths = range(1, 65)
    candidates = [*SAMPLES, *("a" * n for n in lengths), *("1" * n for n in lengths)]
    for candidate in candidates:
        if re.fullmatch(regex, candidate):
            return candidate
    raise LookupError(f"no sample value matches {regex!r}: add one to SAMPLES")


def _top_level_groups(regex: str):
    """Yield (start, end, inner) for each top-level capturing or plain group."""
    depth, start, i, escaped = 0, None, 0, False
    in_class = False
    while i < len(regex):
        ch = regex[i]
        if escaped:
            escaped = False
        elif ch == "\\":
            escaped = True
        elif in_class:
            in_class = ch != "]"
        elif ch == "[":
            in_class = True
        elif ch == "(":
            if depth == 0:
                start = i
            depth += 1
        elif ch == ")":
            depth -= 1
            if depth == 0:
                body = regex[start + 1 : i]
                body = re.sub(r"^\?P<\w+>", "", body)
                body = re.sub(r"^\?:", "", body)
                yield start, i + 1, body
        i += 1


def _concrete_regex(pattern: RegexPattern) -> str:
    regex = str(pattern)  # a RegexPattern prints as its regular expression
    out, last = [], 0
    for start, end, inner in _top_level_groups(regex):
        out.append(regex[last:start])
        # An optional group ("(...)?", "(...)*") is left out; a required one gets a sample.
        quantifier = regex[end : end + 1]
        if quantifier in ("?", "*"):
            last = end + 1 + (regex[end + 1 : end + 2] == "?")
            continue
        out.append(_sample_for(inner))
        last = end + (quantifier == "+")
    out.append(regex[last:])
    text = "".join(out).lstrip("^").rstrip("$").replace("\\Z", "")
    text = text.replace(".*", "x").replace(".+", "x")
    text = re.sub(r"\\(.)", r"\1", text)
    text = re.sub(r"(.)\?", "", text)  # drop optional single characters such as "/?"
    if not pattern.regex.fullmatch(text) and not pattern.regex.match(text):
        raise LookupError(f"cannot build a path for {regex!r} (got {text!r})")
    return text


def _concrete_route(pattern: RoutePattern) -> str:
    def fill(match: re.Match) -> str:
        converter = pattern.converters[match.group("name")]
        return _sample_for(converter.regex)

    return re.sub(r"<(?:(?P<conv>[^>:]+):)?(?P<name>[^>]+)>", fill, str(pattern))


def _concrete(pattern) -> str:
    if isinstance(pattern, RoutePattern):
        return _concrete_route(pattern)
    return _concrete_regex(pattern)


def _walk(patterns, prefix="/"):
    for entry in patterns:
        here = prefix + _concrete(entry.pattern)
        if isinstance(entry, URLResolver):
            yield from _walk(entry.url_patterns, here)
        elif isinstance(entry, URLPattern):
            yield here, entry


def _view_module(entry: URLPattern) -> str:
    callback = entry.callback
    view_class = getattr(callback, "view_class", None)
    return (view_class or callback).__module__


def admin_entries() -> dict[str, URLPattern]:
    return {path: e for path, e in _walk(get_resolver().url_patterns) if is_admin_path(path)}


def admin_paths() -> list[str]:
    return sorted(admin_entries())


def _same_view(a, b) -> bool:
    return a is b or getattr(a, "view_class", a) is getattr(b, "view_class", b)


def test_the_enumeration_finds_the_admin():
    entries = admin_entries()
    # Each built path reaches the very view it was built for (no shadowing, no 404).
    for path, entry in entries.items():
        assert _same_view(resolve(path).func, entry.callback), path
    paths = sorted(entries)
    # Wagtail 8's admin mounts several hundred views; a tiny number means the walk broke.
    assert len(paths) > 200
    for expected in ("/admin/", "/admin/pages/1/edit/", "/admin/users/", "/admin/login/"):
        assert expected in paths


def test_every_admin_view_is_mounted_under_an_admin_prefix():
    """An admin view mounted elsewhere would bypass the path-based gate."""
    stray = [
        (path, _view_module(entry))
        for path, entry in _walk(get_resolver().url_patterns)
        if _view_module(entry).startswith(ADMIN_MODULES) and not is_admin_path(path)
    ]
    assert stray == []


def _assert_gated(response, path: str, method: str, expected_step_url: str):
    status = response.status_code
    where = f"{method} {path} -> {status}"
    assert status in (302, 403, 404, 405), where
    if status == 302:
        assert response["Location"].startswith(expected_step_url + "?next="), where


@pytest.fixture
def password_only_staff(client, staff_user, password):
    response = password_login(client, staff_user.email, password)
    assert response.status_code == 302
    assert DEVICE_ID_SESSION_KEY not in client.session
    return client


def test_every_admin_url_sends_password_only_staff_to_enrol(password_only_staff):
    for path in admin_paths():
        for method in ("get", "post"):
            response = getattr(password_only_staff, method)(path)
            _assert_gated(response, path, method.upper(), otp_enrol_url())


def test_every_admin_url_sends_an_unverified_superuser_with_a_device_to_verify(
    client, staff_user, password
):
    make_totp_device(staff_user)
    password_login(client, staff_user.email, password)
    assert DEVICE_ID_SESSION_KEY not in client.session
    for path in admin_paths():
        for method in ("get", "post"):
            response = getattr(client, method)(path)
            _assert_gated(response, path, method.upper(), otp_verify_url())


def test_gate_also_holds_for_head_and_json_requests(password_only_staff):
    response = password_only_staff.head("/admin/")
    assert response.status_code == 302
    response = password_only_staff.get("/admin/api/main/pages/", HTTP_ACCEPT="application/json")
    assert response.status_code == 302
    assert response["Location"].startswith(otp_enrol_url())


def test_verified_staff_reach_the_admin(verified_staff_client):
    response = verified_staff_client.get("/admin/")
    assert response.status_code == 200
    assert b"wagtail" in response.content.lower()


def test_enrol_and_verify_urls_are_real_pages(password_only_staff):
    assert password_only_staff.get(otp_enrol_url()).status_code == 200
    assert otp_verify_url().startswith("/accounts/")


# --- The predicate, without a request ------------------------------------------


class _User:
    def __init__(self, authenticated=True, verified=False):
        self.is_authenticated = authenticated
        self._verified = verified

    def is_verified(self):
        return self._verified


def _never():
    raise AssertionError("device lookup should not be needed")


@pytest.mark.parametrize(
    ("user", "path", "pending", "has_device", "expected"),
    [
        (_User(authenticated=False), "/admin/", False, _never, None),
        (_User(verified=True), "/admin/pages/", True, _never, None),
        (_User(), "/admin/", False, lambda: False, ENROL),
        (_User(), "/admin/pages/3/edit/", False, lambda: True, VERIFY),
        (_User(), "/django-admin/", False, lambda: False, ENROL),
        (_User(), "/learning/", False, _never, None),
        (_User(), "/learning/", True, _never, VERIFY),
        (_User(), "/accounts/2fa/verify/", True, _never, None),
        (_User(), "/accounts/logout/", True, _never, None),
    ],
)
def test_required_otp_step(user, path, pending, has_device, expected):
    assert required_otp_step(user, path, otp_pending=pending, has_device=has_device) == expected
