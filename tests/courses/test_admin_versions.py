"""The admin's course versions (courses.version_views): publishing a version through its
form, the versions page with its counts and due list, who may see and do what, and the
links that lead there from the course's and a module's admin pages."""

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.contrib.messages import get_messages
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from wagtail.models import GroupPagePermission, PageLogEntry

from certificates.models import Badge
from courses import translations
from courses.models import CourseVersion
from tests.factories.certificates import make_badge_design
from tests.factories.courses import make_course_with_modules, make_module
from tests.support.courses import translate
from tests.support.otp import verified_client_for
from tests.support.staff import make_badge, make_editor

pytestmark = pytest.mark.django_db

State = Badge.State


def publish_url(course):
    return reverse("courses_version_publish", args=[course.pk])


def versions_url(course):
    return reverse("courses_versions", args=[course.pk])


def messages_of(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


@pytest.fixture
def course(site_root):
    """A course of three modules, the last without a quiz, and its badge design."""
    course, modules = make_course_with_modules(site_root, modules=2)
    make_module(course, title="Glossary", questions=[])
    make_badge_design(course)
    return course


@pytest.fixture
def modules(course):
    return list(course.get_modules())


@pytest.fixture
def certified(course):
    """Three fellows holding an issued badge for the course, and one with a revoked one."""
    design = course.badge_design
    holders = [make_badge(design=design, name=f"Holder {n}") for n in range(3)]
    make_badge(design=design, name="Revoked Person", state=State.REVOKED)
    return holders


@pytest.fixture
def staff(verified_staff_client):
    return verified_staff_client


def form_data(**overrides) -> dict:
    data = {
        "number": "Guidelines 2027.1",
        "summary": "Pairwise ranking now asks for a rationale.",
        "changed_modules": [],
        "renewal": "renew",
        "renewal_days": "60",
    }
    data.update(overrides)
    return data


def make_author(course, password: str):
    """A member of the course team who may publish `course`'s pages and nothing else."""
    group = Group.objects.create(name=f"Authors of {course.pk}")
    group.permissions.add(Permission.objects.get(codename="access_admin"))
    for codename in ("add_page", "change_page", "publish_page"):
        GroupPagePermission.objects.create(
            group=group, page=course, permission=Permission.objects.get(codename=codename)
        )
    author = get_user_model().objects.create_user(
        email=f"author{course.pk}@example.org", password=password, display_name="Ann Author"
    )
    author.is_staff = True
    author.save()
    author.groups.add(group)
    return author


# --- publishing through the form ---------------------------------------------------------


def test_the_form_lists_the_courses_modules_in_order_saying_which_have_a_quiz(staff, course):
    html = staff.get(publish_url(course)).content.decode()
    first, second, glossary = (
        f"Module 1 of {course.title} (quiz)",
        f"Module 2 of {course.title} (quiz)",
        "Glossary (no quiz)",
    )
    assert first in html and second in html and glossary in html
    assert html.index(first) < html.index(second) < html.index(glossary)
    assert 'name="renewal_days"' in html and 'value="60"' in html
    assert "No renewal needed (a clarification or cosmetic change)" in html


def test_publishing_with_a_renewal_window_gives_certified_fellows_a_deadline(
    staff, staff_user, course, modules, certified
):
    response = staff.post(
        publish_url(course), form_data(changed_modules=[modules[1].pk], renewal_days="45")
    )
    assert response.status_code == 302
    assert response["Location"] == versions_url(course)

    version = CourseVersion.objects.get(course=course, number="Guidelines 2027.1")
    assert version.renewal_days == 45
    assert version.published_by == staff_user
    assert version.summary == "Pairwise ranking now asks for a rationale."
    assert list(version.changed_modules.all()) == [modules[1]]
    deadline = version.published_at + timedelta(days=45)
    for badge in certified:
        badge.refresh_from_db()
        assert badge.renew_by == deadline
        assert badge.course_version.number == "1"  # the baseline, recorded on the way
    revoked = Badge.objects.get(state=State.REVOKED)
    assert revoked.renew_by is None
    assert "3 certified fellows are asked to renew by" in " ".join(messages_of(response))
    assert PageLogEntry.objects.filter(action="credence.course.version", page=course).exists()


def test_a_version_needing_no_renewal_changes_no_badge(staff, course, certified):
    before = {b.pk: (b.state, b.renew_by, b.snapshot) for b in Badge.objects.all()}
    response = staff.post(publish_url(course), form_data(renewal="none", renewal_days=""))
    assert response.status_code == 302
    version = CourseVersion.objects.get(course=course, number="Guidelines 2027.1")
    assert version.renewal_days is None
    assert not version.changed_modules.exists()
    after = {b.pk: (b.state, b.renew_by, b.snapshot) for b in Badge.objects.all()}
    assert after == before
    assert "No renewal needed" in " ".join(messages_of(response))


def test_no_renewal_wins_over_a_days_value_left_in_the_field(staff, course, modules, certified):
    staff.post(
        publish_url(course),
        form_data(renewal="none", renewal_days="30", changed_modules=[modules[0].pk]),
    )
    assert CourseVersion.objects.get(number="Guidelines 2027.1").renewal_days is None
    assert not Badge.objects.filter(renew_by__isnull=False).exists()


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"number": ""}, "number"),
        ({"number": "<b>2027</b>"}, "number"),
        ({"number": "2027\u202e1"}, "number"),
        ({"number": "2027\n1"}, "number"),
        ({"number": "1" * 100_000}, "number"),
        ({"summary": ""}, "summary"),
        ({"summary": "Changed\u202eexe.txt"}, "summary"),
        ({"summary": "Bell\x07 rings"}, "summary"),
        ({"summary": "x" * 2001}, "summary"),
        ({"summary": "x" * 200_000}, "summary"),
        ({"changed_modules": ["not-a-number"]}, "changed_modules"),
        ({"changed_modules": ["99999999999999999999999"]}, "changed_modules"),
        ({"renewal_days": ""}, "renewal_days"),
        ({"renewal_days": "0"}, "renewal_days"),
        ({"renewal_days": "3651"}, "renewal_days"),
        ({"renewal_days": "1e3"}, "renewal_days"),
        ({"renewal": "maybe"}, "renewal"),
    ],
)
def test_hostile_or_incomplete_input_is_a_form_error_and_writes_nothing(
    staff, course, modules, certified, overrides, field
):
    data = form_data(changed_modules=[modules[0].pk])
    data.update(overrides)
    response = staff.post(publish_url(course), data)
    assert response.status_code == 400
    assert response.context["form"].errors.get(field), response.context["form"].errors
    assert not CourseVersion.objects.exists()
    assert not Badge.objects.filter(renew_by__isnull=False).exists()
    assert not Badge.objects.filter(course_version__isnull=False).exists()


def test_another_courses_module_is_refused(staff, course, site_root, certified):
    _other, other_modules = make_course_with_modules(site_root, modules=1)
    response = staff.post(publish_url(course), form_data(changed_modules=[other_modules[0].pk]))
    assert response.status_code == 400
    assert "changed_modules" in response.context["form"].errors
    assert not CourseVersion.objects.exists()


def test_a_renewal_window_needs_a_changed_module_with_a_quiz(staff, course, modules, certified):
    """courses.versions.publish_version's own rule comes back on the field."""
    glossary = modules[2]
    response = staff.post(publish_url(course), form_data(changed_modules=[glossary.pk]))
    assert response.status_code == 400
    errors = response.context["form"].errors["changed_modules"]
    assert "at least one with a quiz" in " ".join(errors)
    assert not CourseVersion.objects.exists()
    assert not Badge.objects.filter(renew_by__isnull=False).exists()


def test_submitting_twice_publishes_once(staff, course, modules, certified):
    data = form_data(changed_modules=[modules[0].pk])
    assert staff.post(publish_url(course), data).status_code == 302
    deadline = Badge.objects.filter(state=State.ISSUED).values_list("renew_by", flat=True)[0]
    response = staff.post(publish_url(course), data)
    assert response.status_code == 400
    assert "already has a version" in " ".join(response.context["form"].errors["number"])
    assert CourseVersion.objects.filter(course=course).count() == 2  # baseline and 2027.1
    assert set(Badge.objects.filter(state=State.ISSUED).values_list("renew_by", flat=True)) == {
        deadline
    }


def test_markup_in_the_summary_is_kept_as_text_and_escaped(staff, course, modules):
    summary = '<script>alert("x")</script> & <b>bold</b>'
    staff.post(publish_url(course), form_data(summary=summary, renewal="none"))
    assert CourseVersion.objects.get(number="Guidelines 2027.1").summary == summary
    html = staff.get(versions_url(course)).content.decode()
    assert "<script>alert" not in html
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &lt;b&gt;bold&lt;/b&gt;" in html


def test_a_translation_stands_for_its_source_course(staff, course, modules, site_root):
    translate(site_root, title="課程")
    zh_course = translate(course, title="課程一")
    edit = staff.get(reverse("wagtailadmin_pages:edit", args=[zh_course.pk])).content.decode()
    assert publish_url(course) in edit and versions_url(course) in edit
    form = staff.get(publish_url(zh_course)).context["form"]
    assert list(form.fields["changed_modules"].queryset) == modules
    response = staff.post(publish_url(zh_course), form_data(changed_modules=[modules[0].pk]))
    assert response.status_code == 302
    assert response["Location"] == versions_url(course)
    assert CourseVersion.objects.get(number="Guidelines 2027.1").course_id == course.pk


def test_an_unknown_course_or_a_module_is_404(staff, modules):
    assert staff.get(reverse("courses_version_publish", args=[999999])).status_code == 404
    assert staff.get(publish_url(modules[0])).status_code == 404


# --- who may publish ------------------------------------------------------------------------


def test_staff_who_cannot_publish_the_course_get_403_and_nothing_is_written(
    course, modules, certified, password
):
    # A badge officer's kind of permissions, but no page permission on the course.
    editor = make_editor(
        "no-publish@example.org", password, "certificates.view_badge", "courses.view_enrolment"
    )
    client = verified_client_for(editor)
    assert client.get(publish_url(course)).status_code == 403
    response = client.post(publish_url(course), form_data(changed_modules=[modules[0].pk]))
    assert response.status_code == 403
    assert not CourseVersion.objects.exists()
    assert not Badge.objects.filter(renew_by__isnull=False).exists()
    assert client.get(versions_url(course)).status_code == 403


def test_an_author_of_another_course_gets_403(course, site_root, password):
    other, _modules = make_course_with_modules(site_root, modules=1)
    client = verified_client_for(make_author(other, password))
    assert client.get(publish_url(course)).status_code == 403
    assert client.get(publish_url(other)).status_code == 200


def test_an_author_publishes_and_sees_counts_but_not_the_fellows_due(
    course, modules, certified, password
):
    client = verified_client_for(make_author(course, password))
    response = client.post(publish_url(course), form_data(changed_modules=[modules[0].pk]))
    assert response.status_code == 302
    html = client.get(versions_url(course)).content.decode()
    assert "Guidelines 2027.1" in html
    assert "Holder 0" not in html and "Due to renew (" not in html
    assert reverse("badges:renewal_remind_all", args=[course.pk]) not in html


def test_an_unverified_staff_session_is_sent_to_the_second_factor(client, staff_user, course):
    client.force_login(staff_user)
    response = client.get(publish_url(course))
    assert response.status_code == 302
    assert "/admin/" not in response["Location"].split("?")[0]


# --- the versions page ----------------------------------------------------------------------


def publish(course, **kwargs):
    from courses.versions import publish_version

    return publish_version(
        course,
        number=kwargs.pop("number", "2027.1"),
        summary=kwargs.pop("summary", "Rationales required."),
        **kwargs,
    )


def test_the_versions_page_shows_each_version_with_its_counts_newest_first(
    staff, staff_user, course, modules, certified
):
    publish(course, number="2027.1", changed_modules=[modules[0]], renewal_days=60, by=staff_user)
    Badge.objects.filter(pk=certified[0].pk).update(state=State.OUT_OF_DATE)
    publish(course, number="2027.2", summary="Typo fixed.", renewal_days=None, by=staff_user)
    html = staff.get(versions_url(course)).content.decode()
    assert html.index("2027.2") < html.index("2027.1") < html.index("The course as first published")
    assert "Typo fixed." in html and "None needed" in html
    assert "Within 60 days" in html
    assert "Edith Editor" in html  # who published
    assert f"Module 1 of {course.title}" in html
    # The baseline: two fellows still hold its badge, both due; one is out of date.
    row = html[html.index("The course as first published") :].split("</tr>")[0]
    cells = [c.split(">", 1)[1].split("<")[0] for c in row.split("<td")[1:]]
    assert cells[-3:] == ["2", "2", "1"]


def test_the_due_list_names_fellows_with_deadline_state_and_last_reminder(
    staff, staff_user, course, modules, certified
):
    publish(course, changed_modules=[modules[0]], renewal_days=60, by=staff_user)
    Badge.objects.filter(pk=certified[2].pk).update(state=State.OUT_OF_DATE)
    html = staff.get(versions_url(course)).content.decode()
    assert "Due to renew (3)" in html
    for n in range(3):
        assert f"Holder {n}" in html
        assert certified[n].recipient.email in html
    assert "Revoked Person" not in html
    assert "Out of date" in html and "Never" in html
    assert reverse("badges:renewal_remind", args=[certified[0].pk]) in html
    assert reverse("badges:renewal_extend", args=[certified[0].pk]) in html


def test_the_due_list_hides_addresses_from_roles_that_do_not_write_to_fellows(
    course, modules, certified, password, staff_user
):
    publish(course, changed_modules=[modules[0]], renewal_days=60, by=staff_user)
    renewals_only = make_editor("renewals@example.org", password, "certificates.manage_renewals")
    html = verified_client_for(renewals_only).get(versions_url(course)).content.decode()
    assert "Holder 0" in html
    assert certified[0].recipient.email not in html


def test_the_due_list_is_paginated_fifty_a_page(staff, staff_user, course, modules):
    for n in range(55):
        make_badge(design=course.badge_design, name=f"Fellow {n:02d}")
    publish(course, changed_modules=[modules[0]], renewal_days=60, by=staff_user)
    first = staff.get(versions_url(course)).content.decode()
    second = staff.get(versions_url(course), {"p": 2}).content.decode()
    assert "Due to renew (55)" in first
    assert first.count("Send reminder<") == 50
    assert second.count("Send reminder<") == 5
    assert staff.get(versions_url(course), {"p": "999"}).status_code == 200
    assert staff.get(versions_url(course), {"p": "x"}).status_code == 200


def test_the_versions_page_query_count_does_not_grow_with_versions_or_fellows(
    staff, staff_user, course, modules
):
    def count_queries() -> int:
        staff.get(versions_url(course))  # warm per-process caches
        with CaptureQueriesContext(connection) as ctx:
            assert staff.get(versions_url(course)).status_code == 200
        return len(ctx.captured_queries)

    for _ in range(3):
        make_badge(design=course.badge_design)
    first = publish(
        course, number="2027.1", changed_modules=[modules[0]], renewal_days=60, by=staff_user
    )
    small = count_queries()
    for _ in range(20):  # fellows certified on 2027.1 (make_badge leaves the version out)
        make_badge(design=course.badge_design)
    Badge.objects.filter(course_version__isnull=True).update(course_version=first)
    publish(course, number="2027.2", changed_modules=modules[:2], renewal_days=30, by=staff_user)
    publish(course, number="2027.3", renewal_days=None, by=staff_user)
    assert Badge.objects.filter(renew_by__isnull=False).count() == 23
    assert count_queries() == small


# --- the ways in ------------------------------------------------------------------------------


def test_the_course_edit_page_offers_both_links_to_those_who_may_publish(staff, course):
    html = staff.get(reverse("wagtailadmin_pages:edit", args=[course.pk])).content.decode()
    assert publish_url(course) in html and "Publish a new version…" in html
    assert versions_url(course) in html


def test_a_module_edit_page_offers_no_version_link(staff, modules):
    html = staff.get(reverse("wagtailadmin_pages:edit", args=[modules[0].pk])).content.decode()
    assert "Publish a new version" not in html


def test_the_course_team_finds_course_versions_in_the_badges_menu(course, certified, password):
    officer = make_editor("officer@example.org", password, "certificates.manage_renewals")
    client = verified_client_for(officer)
    home = client.get(reverse("wagtailadmin_home")).content.decode()
    assert reverse("courses_versions_index") in home
    index = client.get(reverse("courses_versions_index"))
    assert index.status_code == 200
    assert versions_url(course) in index.content.decode()

    nobody = verified_client_for(make_editor("nobody@example.org", password))
    assert reverse("courses_versions_index") not in (
        nobody.get(reverse("wagtailadmin_home")).content.decode()
    )
    assert nobody.get(reverse("courses_versions_index")).status_code == 403


def after_publishing(module, user):
    """Run the admin's after_publish_page hooks as the edit view does, and return the
    messages the editor is shown next."""
    from django.contrib.messages.middleware import MessageMiddleware
    from django.contrib.sessions.middleware import SessionMiddleware
    from django.test import RequestFactory
    from wagtail import hooks

    request = RequestFactory().post("/admin/pages/edit/")
    request.user = user
    for middleware in (SessionMiddleware, MessageMiddleware):
        middleware(lambda request: None).process_request(request)
    for hook in hooks.get_hooks("after_publish_page"):
        hook(request, module)
    return [str(m) for m in get_messages(request)]


def test_publishing_a_module_of_a_certified_course_suggests_a_version(
    staff_user, course, modules, certified
):
    shown = after_publishing(modules[0], staff_user)
    assert any("publish a new version of the course" in m for m in shown), shown
    assert any(publish_url(course) in m for m in shown)


def test_publishing_a_module_of_a_course_without_badges_says_nothing(
    staff_user, site_root, django_assert_max_num_queries
):
    _course, modules = make_course_with_modules(site_root, modules=1)
    translations.default_locale_id()  # remembered by a serving process after its first page
    with django_assert_max_num_queries(1):
        assert after_publishing(modules[0], staff_user) == []
