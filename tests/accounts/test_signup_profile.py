"""Sign-up, login by e-mail and the profile page: names in any script, hostile input (B4)."""

import html
import re

import pytest
from django.contrib.auth import get_user_model
from django.core import mail

from .test_names import SCRIPTS

User = get_user_model()
SIGNUP_URL = "/accounts/signup/"
PROFILE_URL = "/accounts/profile/"
PASSWORD = "a long and unusual passphrase 7"


def finish_link(client, email="new@example.org", **extra) -> str:
    """Step one of sign-up; returns the path of the link e-mailed to finish it."""
    response = client.post(SIGNUP_URL, {"email": email, **extra})
    assert response.status_code == 302
    found = re.search(r"https?://[^/\s]+(/accounts/signup/finish/\S+/)", mail.outbox[-1].body)
    assert found, mail.outbox[-1].body
    return found.group(1)


def signup(client, email="new@example.org", name="Ada Lovelace", password=PASSWORD):
    """The whole sign-up: the address, then the e-mailed link's name and password form."""
    return client.post(
        finish_link(client, email),
        {"display_name": name, "password1": password, "password2": password},
    )


@pytest.mark.django_db
@pytest.mark.parametrize("name", SCRIPTS)
def test_signup_stores_the_name_exactly_and_profile_shows_it_escaped(client, name):
    response = signup(client, name=name)
    assert response.status_code == 302
    user = User.objects.get(email="new@example.org")
    assert user.display_name == name

    page = client.get(PROFILE_URL).content.decode()
    assert f'<bdi class="display-name">{html.escape(name)}</bdi>' in page
    if "<" in name:
        assert "<script>alert(1)</script>" not in page
        assert "<img src=x" not in page


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("name", "expected_error"),
    [
        ("Ada\x00Lovelace", "NUL"),
        ("Ada\u202eecalevoL", "U+202E RIGHT-TO-LEFT OVERRIDE"),
        ("Ada\u2067Lovelace", "U+2067"),
        ("x" * 10_240, "at most 200 characters"),
        ("x" * 201, "at most 200 characters"),
    ],
)
def test_signup_with_a_bad_name_gives_a_form_error_and_stores_nothing(client, name, expected_error):
    response = signup(client, name=name)
    assert response.status_code == 200
    body = response.content.decode()
    assert expected_error in body
    # The error is tied to the field for assistive technology.
    assert 'id="id_display_name_error"' in body
    assert 'aria-describedby="id_display_name_helptext id_display_name_error"' in body
    assert 'aria-invalid="true"' in body
    assert not User.objects.exists()


@pytest.mark.django_db
def test_email_is_normalised_and_unique_case_insensitively(client):
    first_link = finish_link(client, email="  Ada.Lovelace@Example.ORG ")
    data = {"display_name": "Ada", "password1": PASSWORD, "password2": PASSWORD}
    assert client.post(first_link, data).status_code == 302
    assert User.objects.get().email == "ada.lovelace@example.org"

    client.logout()
    # A second sign-up in another case is answered as any other (A9: nothing revealed);
    # the owner is told by e-mail instead, and no second account is made.
    response = client.post(SIGNUP_URL, {"email": "ADA.LOVELACE@example.org"})
    assert response.status_code == 302 and response["Location"] == "/accounts/signup/sent/"
    assert mail.outbox[-1].to == ["ada.lovelace@example.org"]
    assert "already has an account" in mail.outbox[-1].body
    assert "/accounts/signup/finish/" not in mail.outbox[-1].body
    # The first link is spent now that the address has an account.
    again = client.post(first_link, data)
    assert again.status_code == 400 and "already has an account" in again.content.decode()
    assert User.objects.count() == 1


@pytest.mark.django_db
def test_login_is_case_insensitive_on_the_address(client):
    User.objects.create_user(email="ada@example.org", password=PASSWORD, display_name="Ada")
    response = client.post(
        "/accounts/login/", {"username": "ADA@Example.org", "password": PASSWORD}
    )
    assert response.status_code == 302
    assert client.session.get("_auth_user_id")


@pytest.mark.django_db
def test_signup_password_rules_apply(client):
    response = signup(client, password="password")
    assert response.status_code == 200
    assert "too common" in response.content.decode()
    assert not User.objects.exists()


@pytest.mark.django_db
def test_signup_mismatched_passwords(client):
    response = client.post(
        finish_link(client, "a@example.org"),
        {"display_name": "A", "password1": PASSWORD, "password2": "x"},
    )
    assert "do not match" in response.content.decode()
    assert not User.objects.exists()


def test_profile_change_of_name(client, fellow):
    client.force_login(fellow)
    response = client.post(PROFILE_URL, {"display_name": "  王小明  "})
    assert response.status_code == 302
    fellow.refresh_from_db()
    assert fellow.display_name == "王小明"


def test_profile_rejects_bidi_and_keeps_the_old_name(client, fellow):
    client.force_login(fellow)
    response = client.post(PROFILE_URL, {"display_name": "Ada\u202eecalevoL"})
    assert response.status_code == 200
    assert "text-direction control" in response.content.decode()
    fellow.refresh_from_db()
    assert fellow.display_name == "Ada Lovelace"


def test_profile_requires_login(client, db):
    response = client.get(PROFILE_URL)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


@pytest.mark.django_db
def test_pages_render_accessible_forms(client):
    for url in (SIGNUP_URL, "/accounts/login/", "/accounts/password-reset/"):
        body = client.get(url).content.decode()
        assert "<label" in body
        assert "<script" not in body
    assert 'autocomplete="email"' in client.get(SIGNUP_URL).content.decode()
    body = client.get(finish_link(client)).content.decode()
    assert "<label" in body and "<script" not in body
    assert 'autocomplete="new-password"' in body
    assert 'autocomplete="name"' in body


@pytest.mark.django_db(transaction=True)
def test_database_refuses_two_accounts_differing_only_in_case():
    from django.db import IntegrityError

    User.objects.create(email="Ada@example.org", display_name="A")
    with pytest.raises(IntegrityError):
        User.objects.create(email="ada@EXAMPLE.org", display_name="B")
