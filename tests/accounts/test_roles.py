"""The course team's roles (lms.accounts.roles): what each may do in the admin, that an
author cannot revoke, that e-mail addresses show only to roles that need them, and that
setting the roles up can be repeated and picks up what appears later."""

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from wagtail.models import GroupPagePermission

from certificates.models import Badge
from courses import accommodations
from courses.models import Enrolment
from lms.accounts.roles import BADGE_OFFICER, COURSE_AUTHOR, PROGRAMME_ADMIN
from tests.factories.certificates import make_badge_design
from tests.factories.courses import make_course_with_modules
from tests.support.otp import verified_client_for
from tests.support.staff import make_badge, make_editor

pytestmark = pytest.mark.django_db

State = Badge.State


def badges_url(name, *args):
    return reverse(f"badges:{name}", args=args)


def member_of(role: str, email: str, password: str):
    user = get_user_model().objects.create_user(
        email=email, password=password, display_name=f"{role} Member"
    )
    user.is_staff = True  # the course team; the admin asks every user for a second factor
    user.save()
    user.groups.add(Group.objects.get(name=role))
    return user


@pytest.fixture
def course_and_module(site_root):
    course, modules = make_course_with_modules(site_root, modules=1)
    return course, modules[0]


@pytest.fixture
def design(course_and_module):
    return make_badge_design(course_and_module[0])


@pytest.fixture
def author(password, site_root):
    return verified_client_for(member_of(COURSE_AUTHOR, "author@example.org", password))


@pytest.fixture
def officer(password):
    return verified_client_for(member_of(BADGE_OFFICER, "officer@example.org", password))


@pytest.fixture
def programme_admin(password):
    return verified_client_for(member_of(PROGRAMME_ADMIN, "programme@example.org", password))


def codenames(role: str) -> set[str]:
    group = Group.objects.get(name=role)
    return {f"{p.content_type.app_label}.{p.codename}" for p in group.permissions.all()}


# --- the groups --------------------------------------------------------------------------


def test_migrations_create_the_three_roles_with_their_permissions():
    assert {
        "certificates.revoke_badge",
        "certificates.award_badge",
        "certificates.suspend_badge",
        "certificates.reissue_badge",
        "accounts.view_fellow_email",
    } <= codenames(BADGE_OFFICER)
    assert {"courses.add_accommodation", "accounts.view_fellow_email"} <= codenames(PROGRAMME_ADMIN)
    assert not {p for p in codenames(PROGRAMME_ADMIN) if p.startswith("certificates.")}
    assert codenames(COURSE_AUTHOR) == {
        "wagtailadmin.access_admin",
        "simple_translation.submit_translation",
    }


def test_the_course_author_may_edit_under_the_catalogue(site_root):
    granted = set(
        GroupPagePermission.objects.filter(group__name=COURSE_AUTHOR, page=site_root).values_list(
            "permission__codename", flat=True
        )
    )
    assert granted == {"add_page", "change_page", "publish_page"}


def test_setup_roles_can_be_rerun_restores_what_is_missing_and_keeps_additions(site_root):
    group = Group.objects.get(name=BADGE_OFFICER)
    revoke = Permission.objects.get(codename="revoke_badge")
    extra = Permission.objects.get(codename="delete_badgedesign")
    group.permissions.remove(revoke)
    group.permissions.add(extra)  # an administrator's own choice
    call_command("setup_roles", stdout=_Sink())
    call_command("setup_roles", stdout=_Sink())
    assert group.permissions.filter(pk=revoke.pk).exists()
    assert group.permissions.filter(pk=extra.pk).exists()
    assert Group.objects.filter(name=BADGE_OFFICER).count() == 1
    assert (
        GroupPagePermission.objects.filter(group__name=COURSE_AUTHOR, page=site_root).count() == 3
    )


def test_permissions_that_appear_later_reach_the_role(monkeypatch):
    """The programme reports' permissions come from an app merged later: a role names
    them by app, and the next setup_roles (or migrate) adds whatever that app defines."""
    from django.contrib.contenttypes.models import ContentType

    from lms.accounts import roles

    kind = ContentType.objects.create(app_label="programme", model="report")
    Permission.objects.create(codename="view_reports", name="Can view reports", content_type=kind)
    roles.ensure_roles()
    assert "programme.view_reports" in codenames(PROGRAMME_ADMIN)
    assert "programme.view_reports" not in codenames(BADGE_OFFICER)


class _Sink:
    def write(self, *args, **kwargs):
        pass

    def flush(self):
        pass


# --- what each role may do ----------------------------------------------------------------


def test_an_author_cannot_revoke_and_sees_no_badge_actions(author, design):
    badge = make_badge(design=design)
    assert author.get(badges_url("revoke", badge.pk)).status_code == 403
    assert author.post(badges_url("revoke", badge.pk), {"reason": "x"}).status_code == 403
    assert author.post(badges_url("bulk")).status_code == 403
    index = author.get(badges_url("index"))
    assert index.status_code in (302, 403)  # Wagtail refuses the list itself
    assert badges_url("revoke", badge.pk) not in index.content.decode()
    badge.refresh_from_db()
    assert badge.state == State.ISSUED


def test_an_author_can_edit_a_course_page(author, course_and_module):
    course, module = course_and_module
    assert author.get(f"/admin/pages/{course.pk}/edit/").status_code == 200
    assert author.get(f"/admin/pages/{module.pk}/edit/").status_code == 200
    assert author.get("/admin/images/").status_code == 200


def test_a_badge_officer_can_revoke_and_is_offered_the_button(officer, design):
    badge = make_badge(design=design)
    inspect = officer.get(badges_url("inspect", badge.pk)).content.decode()
    assert badges_url("revoke", badge.pk) in inspect
    response = officer.post(badges_url("revoke", badge.pk), {"reason": "Shared the answers"})
    assert response.status_code == 302
    badge.refresh_from_db()
    assert badge.state == State.REVOKED


def test_a_programme_admin_can_grant_accommodations_but_not_revoke(
    programme_admin, design, course_and_module, fellow
):
    _course, module = course_and_module
    grant = programme_admin.get(accommodations.grant_url(fellow.pk, module.pk))
    assert grant.status_code == 200
    badge = make_badge(design=design)
    assert programme_admin.get(badges_url("revoke", badge.pk)).status_code == 403
    assert programme_admin.post(badges_url("revoke", badge.pk), {"reason": "x"}).status_code == 403
    badge.refresh_from_db()
    assert badge.state == State.ISSUED


def test_each_lifecycle_action_has_its_own_permission(password, design):
    suspender = verified_client_for(
        make_editor(
            "suspender@example.org",
            password,
            "certificates.view_badge",
            "certificates.suspend_badge",
        )
    )
    badge = make_badge(design=design)
    inspect = suspender.get(badges_url("inspect", badge.pk)).content.decode()
    assert badges_url("suspend", badge.pk) in inspect
    assert badges_url("revoke", badge.pk) not in inspect
    assert badges_url("reissue", badge.pk) not in inspect
    assert suspender.post(badges_url("revoke", badge.pk), {"reason": "x"}).status_code == 403
    assert suspender.post(badges_url("reissue", badge.pk)).status_code == 403
    assert suspender.post(badges_url("suspend", badge.pk)).status_code == 302
    badge.refresh_from_db()
    assert badge.state == State.SUSPENDED


def test_a_role_member_still_needs_the_second_factor(password, design):
    user = member_of(BADGE_OFFICER, "unverified@example.org", password)
    client = Client()
    client.force_login(user)  # password only: no verified device in this session
    response = client.get(badges_url("index"))
    assert response.status_code == 302
    assert "/accounts/2fa/" in response["Location"]


# --- e-mail addresses -----------------------------------------------------------------------


def test_badge_list_shows_addresses_only_to_roles_that_need_them(officer, password, design):
    make_badge(design=design, name="Grace Hopper", email="grace@example.org")
    viewer = verified_client_for(
        make_editor("viewer@example.org", password, "certificates.view_badge")
    )
    seen = officer.get(badges_url("index")).content.decode()
    assert "Grace Hopper" in seen and "grace@example.org" in seen

    page = viewer.get(badges_url("index")).content.decode()
    assert "Grace Hopper" in page
    assert "grace@example.org" not in page
    # Nor can the address be found by searching for it.
    found = viewer.get(badges_url("index"), {"q": "grace@example.org"}).content.decode()
    assert "Grace Hopper" not in found
    assert (
        "Grace Hopper" in officer.get(badges_url("index"), {"q": "grace@example"}).content.decode()
    )


def test_badge_inspect_shows_the_address_only_to_roles_that_need_them(officer, password, design):
    badge = make_badge(design=design, name="Grace Hopper", email="grace@example.org")
    viewer = verified_client_for(
        make_editor("viewer@example.org", password, "certificates.view_badge")
    )
    assert "grace@example.org" in officer.get(badges_url("inspect", badge.pk)).content.decode()
    page = viewer.get(badges_url("inspect", badge.pk)).content.decode()
    assert "Grace Hopper" in page and "grace@example.org" not in page


def test_learning_records_show_addresses_only_to_roles_that_need_them(
    programme_admin, password, fellow, course_and_module
):
    course, _module = course_and_module
    Enrolment.objects.create(user=fellow, course=course, enrolled_at=timezone.now())
    viewer = verified_client_for(
        make_editor("records@example.org", password, "courses.view_enrolment")
    )
    page = viewer.get("/admin/enrolments/").content.decode()
    assert fellow.display_name in page and fellow.email not in page
    seen = programme_admin.get("/admin/enrolments/").content.decode()
    assert fellow.display_name in seen and fellow.email in seen
