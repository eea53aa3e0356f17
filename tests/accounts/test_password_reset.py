"""Password reset by e-mail never logs anyone in, nor past the second factor (A8)."""

import re

from django.core import mail

from tests.support.otp import LOGIN_URL, VERIFY_URL, make_totp_device, password_login

NEW_PASSWORD = "a brand new passphrase 93"


def _reset(client, email: str) -> None:
    response = client.post("/accounts/password-reset/", {"email": email})
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    link = re.search(r"https?://[^/]+(/accounts/reset/\S+/)", mail.outbox[0].body).group(1)
    response = client.get(link)  # Django swaps the token for a session marker
    assert response.status_code == 302
    form_url = response["Location"]
    response = client.post(form_url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == "/accounts/reset/done/"
    # Not logged in: post_reset_login is False.
    assert "_auth_user_id" not in client.session
    # The link is single-use.
    assert "no longer works" in client.get(link, follow=True).content.decode()


def test_reset_flow_sets_the_password_without_logging_in(client, fellow):
    _reset(client, fellow.email.upper())
    assert "Ada Lovelace" in mail.outbox[0].body
    assert client.get("/accounts/profile/")["Location"].startswith(LOGIN_URL)
    fellow.refresh_from_db()
    assert fellow.check_password(NEW_PASSWORD)


def test_reset_does_not_bypass_the_second_factor_for_staff(client, staff_user):
    make_totp_device(staff_user)
    _reset(client, staff_user.email)
    assert client.get("/admin/")["Location"].startswith(LOGIN_URL)
    response = password_login(client, staff_user.email, NEW_PASSWORD, next_url="/admin/")
    assert response["Location"].startswith(VERIFY_URL)
    response = client.get("/admin/")
    assert response.status_code == 302
    assert response["Location"].startswith(VERIFY_URL)


def test_reset_for_an_unknown_address_reveals_nothing(client, db):
    response = client.post("/accounts/password-reset/", {"email": "nobody@example.org"})
    assert response.status_code == 302
    assert mail.outbox == []


def test_the_emailed_link_is_on_site_url_whatever_the_host_header(client, fellow, settings):
    """docs/threats.md, row A10: 127.0.0.1 is an allowed host and ALLOWED_HOSTS ignores the port, so
    this request is served; its Host header must still not reach the e-mail."""
    settings.SITE_URL = "https://learn.example.org"
    response = client.post(
        "/accounts/password-reset/", {"email": fellow.email}, HTTP_HOST="127.0.0.1:6666"
    )
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    links = re.findall(r"\w+://\S+", mail.outbox[0].body)
    assert links
    assert all(link.startswith("https://learn.example.org/accounts/reset/") for link in links)
    assert "6666" not in mail.outbox[0].body and "127.0.0.1" not in mail.outbox[0].body
