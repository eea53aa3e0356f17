"""A signed-in fellow changes their password: the current one is required, this session
stays signed in and every other session is signed out."""

from django.test import Client

from tests.support.otp import LOGIN_URL, password_login

URL = "/accounts/password/"
NEW_PASSWORD = "another long passphrase 41"


def test_profile_links_to_the_password_change_page(client, fellow):
    client.force_login(fellow)
    assert f'href="{URL}"' in client.get("/accounts/profile/").content.decode()


def test_changing_the_password_keeps_this_session_and_signs_out_the_others(
    client, fellow, password
):
    other = Client()
    password_login(other, fellow.email, password)
    assert other.get("/accounts/profile/").status_code == 200
    password_login(client, fellow.email, password)

    response = client.post(
        URL,
        {"old_password": password, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
        follow=True,
    )
    assert response.redirect_chain[-1][0] == "/accounts/profile/"
    assert "Your password has been changed" in response.content.decode()
    fellow.refresh_from_db()
    assert fellow.check_password(NEW_PASSWORD)
    assert client.get("/accounts/profile/").status_code == 200
    assert other.get("/accounts/profile/")["Location"].startswith(LOGIN_URL)


def test_a_wrong_current_password_changes_nothing(client, fellow, password):
    client.force_login(fellow)
    response = client.post(
        URL,
        {"old_password": "not it", "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert response.status_code == 200
    assert "Your old password was entered incorrectly" in response.content.decode()
    fellow.refresh_from_db()
    assert fellow.check_password(password)


def test_a_weak_or_mismatched_new_password_is_a_form_error(client, fellow, password):
    client.force_login(fellow)
    for first, second in (("short", "short"), (NEW_PASSWORD, NEW_PASSWORD + "x")):
        response = client.post(
            URL, {"old_password": password, "new_password1": first, "new_password2": second}
        )
        assert response.status_code == 200
        assert 'class="error-summary"' in response.content.decode()
    fellow.refresh_from_db()
    assert fellow.check_password(password)


def test_signed_out_visitors_are_sent_to_log_in(client, db):
    assert client.get(URL)["Location"].startswith(LOGIN_URL)
