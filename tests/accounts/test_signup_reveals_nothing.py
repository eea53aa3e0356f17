"""docs/threats.md, row A11: sign-up does not tell anyone whether an address is registered.

Both answers are the same "check your e-mail" page; the mailbox gets either a link to
finish signing up or a note that someone tried, and the account is made only by the
person who opens the link and chooses the password.
"""

import re
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.core import mail
from django.urls import reverse

from courses.models import Enrolment
from lms.accounts import mail_throttle
from tests.factories.courses import make_course_with_modules

from .test_signup_profile import PASSWORD, SIGNUP_URL, finish_link

pytestmark = pytest.mark.django_db

User = get_user_model()
NOW = datetime(2026, 11, 30, 10, 17, 23, tzinfo=UTC)
FINISH = {"display_name": "Grace Hopper", "password1": PASSWORD, "password2": PASSWORD}


def what_the_asker_sees(client, email) -> tuple:
    response = client.post(SIGNUP_URL, {"email": email})
    page = client.get(response["Location"])
    return response.status_code, response["Location"], page.status_code, page.content


def test_a_registered_and_a_new_address_get_the_same_answer(client, fellow, settings):
    settings.SITE_URL = "https://learn.example.org"
    registered = what_the_asker_sees(client, fellow.email.upper())
    new = what_the_asker_sees(client, "newcomer@example.org")
    assert registered == new
    assert registered[:3] == (302, "/accounts/signup/sent/", 200)

    to_owner, to_newcomer = mail.outbox
    assert to_owner.to == [fellow.email]
    assert "already has an account" in to_owner.body
    assert "https://learn.example.org/accounts/login/" in to_owner.body
    assert "https://learn.example.org/accounts/password-reset/" in to_owner.body
    assert "/signup/finish/" not in to_owner.body
    assert to_newcomer.to == ["newcomer@example.org"]
    assert "https://learn.example.org/accounts/signup/finish/" in to_newcomer.body
    # Nothing is created until the link is used.
    assert User.objects.count() == 1


def test_opening_the_link_creates_nothing_until_the_form_is_sent(client):
    link = finish_link(client, "newcomer@example.org")
    page = client.get(link)  # a mail scanner following links does no harm
    assert page.status_code == 200 and "newcomer@example.org" in page.content.decode()
    assert not User.objects.exists()
    response = client.post(link, FINISH)
    assert response.status_code == 302 and response["Location"] == "/accounts/profile/"
    user = User.objects.get()
    assert (user.email, user.display_name) == ("newcomer@example.org", "Grace Hopper")
    assert user.check_password(PASSWORD)
    assert client.session.get("_auth_user_id") == str(user.pk)


def test_a_forged_or_expired_link_is_refused(client):
    with time_machine.travel(NOW, tick=False) as traveller:
        link = finish_link(client, "newcomer@example.org")
        forged = link.replace("/finish/", "/finish/x")
        assert client.post(forged, FINISH).status_code == 400
        traveller.shift(timedelta(hours=1, seconds=1))
        expired = client.post(link, FINISH)
    assert expired.status_code == 400 and "expired" in expired.content.decode()
    assert not User.objects.exists()


def test_sign_up_then_enrol(client, site_root):
    """The way a newcomer arrives: a course's "log in to enrol", then "create an account"."""
    course, (module, _) = make_course_with_modules(site_root, modules=2)
    login_page = client.get(f"/accounts/login/?next={course.url}").content.decode()
    create_account = r'href="(/accounts/signup/[^"]*)">Create an account'
    signup_href = re.search(create_account, login_page).group(1)
    form = client.get(signup_href.replace("&amp;", "&")).content.decode()
    assert f'name="next" value="{course.url}"' in form
    link = finish_link(client, "newcomer@example.org", next=course.url)
    response = client.post(link, FINISH)
    assert response["Location"] == course.url
    assert client.post(reverse("courses:enrol", args=[course.pk])).status_code == 302
    user = User.objects.get(email="newcomer@example.org")
    assert Enrolment.objects.filter(user=user, course=course).exists()
    assert "SECRET-BODY" in client.get(module.url).content.decode()


def test_the_link_never_sends_anyone_off_site(client):
    link = finish_link(client, "newcomer@example.org", next="//evil.example/phish")
    assert client.post(link, FINISH)["Location"] == "/accounts/profile/"


def test_sign_up_e_mails_count_against_the_account_e_mail_limits(client, fellow):
    with time_machine.travel(NOW, tick=False):
        for email in [fellow.email] * 5:
            assert client.post(SIGNUP_URL, {"email": email}).status_code == 302
        assert len(mail.outbox) == mail_throttle.per_address_limit()
        # ...and with password resets: the mailbox is already at its limit.
        client.post("/accounts/password-reset/", {"email": fellow.email})
        assert len(mail.outbox) == mail_throttle.per_address_limit()
