"""Content-Security-Policy and Permissions-Policy on every page type (issue 10, part 6).

Each page is fetched as its real visitor would fetch it, and its HTML is checked against
the policy in its own header: every script, style, image and frame it loads must be
allowed, and inline code only by the nonce the header names (the public site) or by
the admin's own policy (the Wagtail admin writes inline scripts).
"""

from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from courses import services
from courses.models import CourseCompletion, QuizAttempt
from tests.factories.certificates import make_badge_design
from tests.factories.courses import make_course_with_modules
from tests.support.badges import issue_badge_now

pytestmark = pytest.mark.django_db

ORIGIN = "http://testserver"
DENIED_FEATURES = ("camera", "microphone", "geolocation", "payment", "usb")


# --- Reading a policy and checking a page against it ---------------------------------------


def parse_policy(header: str) -> dict[str, list[str]]:
    policy = {}
    for part in header.split(";"):
        words = part.split()
        if words:
            policy[words[0].lower()] = words[1:]
    return policy


def sources_for(policy: dict[str, list[str]], directive: str) -> list[str]:
    """The source list that governs `directive`, with CSP's fallbacks."""
    fallbacks = {
        "script-src-elem": ["script-src-elem", "script-src", "default-src"],
        "script-src-attr": ["script-src-attr", "script-src", "default-src"],
        "style-src-elem": ["style-src-elem", "style-src", "default-src"],
        "style-src-attr": ["style-src-attr", "style-src", "default-src"],
        "frame-src": ["frame-src", "child-src", "default-src"],
    }
    for name in fallbacks.get(directive, [directive, "default-src"]):
        if name in policy:
            return policy[name]
    return ["*"]


def inline_allowed(sources: list[str], nonce: str | None) -> bool:
    if nonce and f"'nonce-{nonce}'" in sources:
        return True
    # A nonce or hash in the list makes browsers ignore 'unsafe-inline'.
    overridden = any(s.startswith(("'nonce-", "'sha")) or s == "'strict-dynamic'" for s in sources)
    return "'unsafe-inline'" in sources and not overridden


def url_allowed(sources: list[str], url: str) -> bool:
    absolute = urlsplit(urljoin(ORIGIN + "/", url))
    origin = f"{absolute.scheme}://{absolute.netloc}"
    if "*" in sources or f"{absolute.scheme}:" in sources:
        return True
    if origin == ORIGIN and "'self'" in sources:
        return True
    return origin in sources


class PageResources(HTMLParser):
    """What a browser would load or run from a page, as (directive, url or None, nonce)."""

    SCRIPT_TYPES = ("", "text/javascript", "module", "application/javascript")

    def __init__(self):
        super().__init__()
        self.uses = []
        self.inline_scripts = 0

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        nonce = attrs.get("nonce")
        if tag == "script" and (attrs.get("type") or "").lower() in self.SCRIPT_TYPES:
            if attrs.get("src"):
                self.uses.append(("script-src-elem", attrs["src"], nonce))
            else:
                self.inline_scripts += 1
                self.uses.append(("script-src-elem", None, nonce))
        elif tag == "style":
            self.uses.append(("style-src-elem", None, nonce))
        elif tag == "link" and "stylesheet" in (attrs.get("rel") or "").split():
            self.uses.append(("style-src-elem", attrs.get("href", ""), nonce))
        elif tag in ("img", "source") and attrs.get("src"):
            self.uses.append(("img-src", attrs["src"], None))
        elif tag == "iframe" and attrs.get("src"):
            self.uses.append(("frame-src", attrs["src"], None))
        elif tag == "form" and attrs.get("action"):
            self.uses.append(("form-action", attrs["action"], None))
        if "style" in attrs:
            self.uses.append(("style-src-attr", None, None))
        if any(name.startswith("on") for name in attrs):
            self.uses.append(("script-src-attr", None, None))


def violations(response) -> tuple[list[str], PageResources]:
    policy = parse_policy(response["Content-Security-Policy"])
    page = PageResources()
    page.feed(response.content.decode())
    found = []
    for directive, url, nonce in page.uses:
        sources = sources_for(policy, directive)
        ok = inline_allowed(sources, nonce) if url is None else url_allowed(sources, url)
        if not ok:
            found.append(f"{directive} blocks {url or 'inline code'} (nonce={nonce})")
    return found, page


def assert_headers(response, *, admin: bool = False) -> PageResources | None:
    """Both headers are there; an HTML page loads and runs only what its policy allows."""
    assert "Content-Security-Policy" in response, response.request["PATH_INFO"]
    permissions = response["Permissions-Policy"]
    for feature in DENIED_FEATURES:
        assert f"{feature}=()" in permissions
    policy = parse_policy(response["Content-Security-Policy"])
    assert policy["object-src"] == ["'none'"]
    if admin:
        assert "'unsafe-inline'" in policy["script-src"]
        assert not any(s.startswith("'nonce-") for s in policy["script-src"])
        assert policy["frame-ancestors"] == ["'self'"]
    else:
        for directive in ("script-src", "style-src"):
            assert "'unsafe-inline'" not in policy[directive]
            assert "'unsafe-eval'" not in policy[directive]
        assert policy["frame-ancestors"] == ["'none'"]
    if not response["Content-Type"].startswith("text/html"):
        return None
    found, page = violations(response)
    assert found == [], response.request["PATH_INFO"]
    return page


# --- Fixtures ------------------------------------------------------------------------------


@pytest.fixture
def course_two(site_root):
    return make_course_with_modules(site_root, modules=2, questions=3)


@pytest.fixture
def enrolled_client(client, fellow, course_two):
    services.check_enrol(fellow, course_two[0])
    client.force_login(fellow)
    return client


@pytest.fixture
def badge(fellow, course_two, django_capture_on_commit_callbacks):
    course = course_two[0]
    make_badge_design(course)
    completion = CourseCompletion.objects.create(
        user=fellow,
        course=course,
        completed_at=timezone.now(),
        module_scores=[{"module_id": 1, "title": "One", "score_percent": 90}],
    )
    return issue_badge_now(completion, django_capture_on_commit_callbacks)


# --- The public site -----------------------------------------------------------------------


def test_anonymous_pages_carry_both_policies(client, course_two):
    course, _ = course_two
    for url in (
        "/",
        course.url,
        reverse("courses:search") + "?q=module",
        "/verify/",
        reverse("accounts:login"),
        "/no-such-page/",
        "/healthz",
    ):
        response = client.get(url)
        assert response.status_code in (200, 404), url
        assert_headers(response)


def test_a_fellows_pages_carry_both_policies(enrolled_client, course_two):
    course, (m1, _) = course_two
    for url in (course.url, m1.url, reverse("courses:dashboard")):
        response = enrolled_client.get(url)
        assert response.status_code == 200, url
        assert_headers(response)
    started = enrolled_client.post(reverse("courses:start_quiz", args=[m1.pk]))
    attempt = QuizAttempt.objects.get()
    assert started.status_code == 302
    quiz = enrolled_client.get(reverse("courses:attempt", args=[attempt.public_id]))
    assert quiz.status_code == 200 and 'type="radio"' in quiz.content.decode()
    assert_headers(quiz)


def test_progress_bars_need_no_inline_style(enrolled_client, course_two):
    """The course page and dashboard draw progress; the policy allows no style="..."."""
    course = course_two[0]
    for url in (course.url, reverse("courses:dashboard")):
        html = enrolled_client.get(url).content.decode()
        assert "<progress" in html and "quizzes passed" in html and "style=" not in html


def test_badge_page_and_json_answered_early_carry_both_policies(client, badge):
    """Anonymous badge GETs are answered by PublicVerdictMiddleware, before most of the
    middleware stack; the policies are still there."""
    assert settings.SESSION_COOKIE_NAME not in client.cookies
    page = client.get(f"/badges/{badge.public_id}/")
    assert page.status_code == 200 and "verdict--valid" in page.content.decode()
    assert_headers(page)
    data = client.get(f"/badges/{badge.public_id}.json")
    assert data.status_code == 200 and data.json()["valid"] is True
    assert_headers(data)


def test_badge_page_with_a_session_carries_both_policies(enrolled_client, badge):
    page = enrolled_client.get(f"/badges/{badge.public_id}/")
    assert page.status_code == 200
    assert_headers(page)


def test_a_nonce_is_named_in_the_header_only_when_a_page_uses_it(rf):
    """A template that needs inline code asks for request.csp_nonce; the header then names
    that nonce, and only then."""
    from django.http import HttpResponse

    from lms.middleware import ContentSecurityPolicyMiddleware

    def page_with_inline_script(request):
        return HttpResponse(f'<script nonce="{request.csp_nonce}">go()</script>')

    def page_without(request):
        return HttpResponse("<p>static</p>")

    with_script = ContentSecurityPolicyMiddleware(page_with_inline_script)(rf.get("/x/"))
    found, page = violations(with_script)
    assert found == [] and page.inline_scripts == 1
    without = ContentSecurityPolicyMiddleware(page_without)(rf.get("/x/"))
    assert "'nonce-" not in without["Content-Security-Policy"]
    # The checker itself: an inline script without the nonce is reported.
    bare = ContentSecurityPolicyMiddleware(lambda r: HttpResponse("<script>go()</script>"))
    assert violations(bare(rf.get("/x/")))[0] != []


def test_every_lesson_video_host_is_allowed_to_be_framed():
    from courses.blocks import VIDEO_URL_PATTERNS

    frame_src = settings.CONTENT_SECURITY_POLICY["DIRECTIVES"]["frame-src"]
    for _, embed in VIDEO_URL_PATTERNS:
        assert url_allowed(frame_src, embed.format("abc123")), embed


# --- The Wagtail admin ---------------------------------------------------------------------


def test_admin_pages_get_the_admin_policy_and_it_allows_what_they_load(
    verified_staff_client, course_two
):
    module = course_two[1][0]
    design = make_badge_design(course_two[0])
    pages = {
        "dashboard": "/admin/",
        "page editor": f"/admin/pages/{module.pk}/edit/",
        "page listing": f"/admin/pages/{course_two[0].pk}/",
        "snippet listing": "/admin/snippets/certificates/badgedesign/",
        "snippet editor": f"/admin/snippets/certificates/badgedesign/edit/{design.pk}/",
        "images": "/admin/images/",
        "documents": "/admin/documents/",
        "image chooser": "/admin/images/chooser/",
    }
    inline_scripts = 0
    for name, url in pages.items():
        response = verified_staff_client.get(url)
        assert response.status_code == 200, name
        page = assert_headers(response, admin=True)
        if page is not None:
            inline_scripts += page.inline_scripts
    # The admin does write inline scripts; the policy above lets them run.
    assert inline_scripts > 0


def test_a_preview_may_be_framed_by_the_admin_but_the_live_page_may_not(rf, client, course_two):
    """Wagtail renders a preview through the whole middleware stack under the page's own
    URL; the editor's preview panel then frames it, which 'none' would block (the browser
    journey, an admin building a module in Chromium, found the panel empty)."""
    module = course_two[1][0]
    preview = module.make_preview_request(
        rf.get(f"/admin/pages/{module.pk}/edit/preview/"), module.default_preview_mode
    )
    policy = parse_policy(preview["Content-Security-Policy"])
    assert policy["frame-ancestors"] == ["'self'"]
    assert "'unsafe-inline'" not in policy["script-src"]  # still the page's own policy
    live = client.get(module.url)
    assert parse_policy(live["Content-Security-Policy"])["frame-ancestors"] == ["'none'"]


def test_admin_policy_is_not_the_public_one():
    public = settings.CONTENT_SECURITY_POLICY["DIRECTIVES"]
    admin = settings.CREDENCE_ADMIN_CONTENT_SECURITY_POLICY["DIRECTIVES"]
    assert "'unsafe-inline'" not in public["script-src"]
    assert "'unsafe-inline'" in admin["script-src"]
