"""docs/threats.md, row A9: account e-mails (password reset, sign-up) are limited per address and
per client, without the answer revealing either the limit or the account."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.core import mail

from lms.accounts import mail_throttle

pytestmark = pytest.mark.django_db

RESET_URL = "/accounts/password-reset/"
NOW = datetime(2026, 11, 30, 10, 17, 23, tzinfo=UTC)


def ask_reset(client, email, ip="203.0.113.5"):
    return client.post(RESET_URL, {"email": email}, REMOTE_ADDR=ip)


def same_answer(response) -> tuple:
    """What the asker sees: the redirect and the page it leads to."""
    return response.status_code, response["Location"]


def test_one_address_gets_three_reset_emails_an_hour_from_any_client(client, fellow):
    with time_machine.travel(NOW, tick=False) as traveller:
        answers = [same_answer(ask_reset(client, fellow.email)) for _ in range(5)]
        # Another client cannot top the mailbox up either.
        answers.append(same_answer(ask_reset(client, fellow.email, ip="198.51.100.9")))
        assert len(mail.outbox) == mail_throttle.per_address_limit() == 3
        # Every answer is the same "if an account exists we sent it a link" page.
        assert set(answers) == {(302, "/accounts/password-reset/sent/")}

        traveller.shift(timedelta(minutes=59))
        ask_reset(client, fellow.email)
        assert len(mail.outbox) == 3
        traveller.shift(timedelta(minutes=1, seconds=1))  # the first e-mail is an hour old
        ask_reset(client, fellow.email)
        assert len(mail.outbox) == 4
    assert all(message.to == [fellow.email] for message in mail.outbox)


def test_one_client_gets_ten_reset_emails_an_hour_across_addresses(client, password):
    users = [
        get_user_model().objects.create_user(
            email=f"fellow{i}@example.org", password=password, display_name=f"F {i}"
        )
        for i in range(12)
    ]
    with time_machine.travel(NOW, tick=False):
        answers = {same_answer(ask_reset(client, user.email)) for user in users}
        assert answers == {(302, "/accounts/password-reset/sent/")}
        assert len(mail.outbox) == mail_throttle.per_client_limit() == 10
        assert {m.to[0] for m in mail.outbox} == {u.email for u in users[:10]}
        # A fellow elsewhere is not held back by that client.
        ask_reset(client, users[11].email, ip="198.51.100.9")
        assert mail.outbox[-1].to == [users[11].email]
        assert len(mail.outbox) == 11


def test_the_throttle_keeps_no_address_and_forgets_after_an_hour(rf, fellow):
    request = rf.post(RESET_URL, REMOTE_ADDR="203.0.113.5")
    with time_machine.travel(NOW, tick=False) as traveller:
        assert mail_throttle.claim_account_email(request, "Fellow@Example.org", "password_reset")
        row = mail_throttle.AccountEmailSent.objects.get()
        assert "fellow" not in row.address_digest.lower()
        assert row.address_digest == mail_throttle.address_digest(fellow.email)
        traveller.shift(timedelta(hours=1, seconds=1))
        assert mail_throttle.claim_account_email(request, "other@example.org", "password_reset")
        assert mail_throttle.AccountEmailSent.objects.count() == 1  # the old row is gone
