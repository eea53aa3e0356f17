"""docs/threats.md, row G7: an editor's rights end where their pages do.

An editor whose group may edit course A only, signed in with their second factor, tries
every admin road into course B's module: the editor, draft and revision views, preview
(including a preview POSTed with made-up content, CVE-2026-25517), revision compare, copy
(CVE-2026-44197/44200 were permission gaps in such views) and the admin API. None of them
shows B's lesson text or quiz answers, and nothing is created. On their own course the
preview shows the lesson but never the answer key.
"""

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from wagtail.models import GroupPagePermission, Page

from tests.factories.courses import make_course_with_modules
from tests.support.otp import verified_client_for

pytestmark = pytest.mark.django_db

ANSWER_MARKERS = ("Explanation 1", "is_correct", "Right 1")


@pytest.fixture
def courses(site_root):
    course_a, modules_a = make_course_with_modules(site_root, modules=1)
    course_b, modules_b = make_course_with_modules(site_root, modules=1)
    for module in (modules_a[0], modules_b[0]):
        module.save_revision()
        module.save_revision().publish()
    return course_a, modules_a[0], course_b, modules_b[0]


@pytest.fixture
def editor_client(courses, password):
    course_a = courses[0]
    group = Group.objects.create(name="Course A editors")
    group.permissions.add(Permission.objects.get(codename="access_admin"))
    for codename in ("add_page", "change_page", "publish_page"):
        GroupPagePermission.objects.create(
            group=group, page=course_a, permission=Permission.objects.get(codename=codename)
        )
    editor = get_user_model().objects.create_user(
        email="course-a-editor@example.org", password=password, display_name="Ed Itor"
    )
    editor.is_staff = True  # the course team must use two-factor login
    editor.save()
    editor.groups.add(group)
    return verified_client_for(editor)


def refused(response, module) -> bool:
    body = response.content.decode(errors="replace")
    leaked = [m for m in ("SECRET-BODY", *ANSWER_MARKERS) if m in body]
    # Wagtail answers a denied admin view with 403, or a redirect to the dashboard.
    return response.status_code in (302, 403, 404) and not leaked


def test_an_editor_cannot_reach_another_courses_module_by_any_admin_view(editor_client, courses):
    _course_a, _module_a, _course_b, module_b = courses
    revisions = list(module_b.revisions.order_by("pk").values_list("pk", flat=True))
    gets = [
        f"/admin/pages/{module_b.pk}/edit/",
        f"/admin/pages/{module_b.pk}/view_draft/",
        f"/admin/pages/{module_b.pk}/edit/preview/",
        f"/admin/pages/{module_b.pk}/revisions/",
        f"/admin/pages/{module_b.pk}/revisions/{revisions[0]}/view/",
        f"/admin/pages/{module_b.pk}/revisions/compare/{revisions[0]}...{revisions[-1]}/",
        f"/admin/pages/{module_b.pk}/revisions/compare/earliest...live/",
        f"/admin/pages/{module_b.pk}/copy/",
        f"/admin/pages/{module_b.pk}/history/",
    ]
    for url in gets:
        response = editor_client.get(url)
        assert refused(response, module_b), (url, response.status_code)


def test_a_preview_posted_with_made_up_content_is_refused(editor_client, courses):
    _course_a, _module_a, _course_b, module_b = courses
    url = f"/admin/pages/{module_b.pk}/edit/preview/"
    posted = editor_client.post(url, {"title": "Probe", "slug": "probe", "summary": "x"})
    assert posted.status_code in (302, 403, 404)
    assert refused(editor_client.get(url), module_b)


def test_copying_another_courses_module_creates_nothing(editor_client, courses):
    course_a, _module_a, _course_b, module_b = courses
    before = Page.objects.count()
    response = editor_client.post(
        f"/admin/pages/{module_b.pk}/copy/",
        {
            "new_title": "Stolen copy",
            "new_slug": "stolen-copy",
            "new_parent_page": course_a.pk,
            "copy_subpages": "",
            "publish_copies": "",
        },
    )
    assert refused(response, module_b)
    assert Page.objects.count() == before
    assert not Page.objects.filter(slug="stolen-copy").exists()


def test_the_admin_api_shows_no_lesson_text_or_answers(editor_client, courses):
    _course_a, _module_a, _course_b, module_b = courses
    for url in (
        f"/admin/api/main/pages/{module_b.pk}/",
        f"/admin/api/main/pages/?child_of={module_b.get_parent().pk}&fields=*",
    ):
        response = editor_client.get(url)
        body = response.content.decode(errors="replace")
        assert response.status_code in (200, 400, 403, 404)
        assert "SECRET-BODY" not in body
        assert not [m for m in ANSWER_MARKERS if m in body], url


def test_on_their_own_course_the_preview_shows_the_lesson_but_no_answer_key(editor_client, courses):
    _course_a, module_a, _course_b, _module_b = courses
    for url in (
        f"/admin/pages/{module_a.pk}/view_draft/",
        f"/admin/pages/{module_a.pk}/revisions/"
        f"{module_a.revisions.order_by('pk').first().pk}/view/",
    ):
        response = editor_client.get(url)
        body = response.content.decode()
        assert response.status_code == 200, url
        assert "SECRET-BODY" in body
        assert "Explanation" not in body and "is_correct" not in body
    # The editor itself is open to them: they author the quiz there.
    assert editor_client.get(f"/admin/pages/{module_a.pk}/edit/").status_code == 200
