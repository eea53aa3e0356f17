"""A fellow erases their account: data gone, badges withdrawn, verifiers told (docs/threats.md,
row P4)."""

import io
import json
import time

import pytest
import time_machine
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.forms.models import model_to_dict
from django.test import Client

from certificates.issuing import issuance, publishing
from certificates.models import Badge
from courses.models import CourseCompletion
from lms.accounts.erasure import ErasureRefused, erase_account
from lms.accounts.models import AccountErasure, User
from tests.factories.certificates import BadgeDesignFactory
from tests.factories.courses import CourseCompletionFactory, CoursePageFactory
from tests.support.badges import issue_badge_now, served_bit, upload

pytestmark = pytest.mark.django_db

NAME, EMAIL = "Ada Lovelace", "fellow@example.org"


@pytest.fixture
def design(site_root):
    return BadgeDesignFactory(course=CoursePageFactory(parent=site_root), validity_days=365)


@pytest.fixture
def completion(fellow, design):
    return CourseCompletionFactory(user=fellow, course=design.course)


@pytest.fixture
def badge(design, completion, django_capture_on_commit_callbacks):
    """The fellow's badge, issued, signed and rendered in-process."""
    return issue_badge_now(completion, django_capture_on_commit_callbacks)


def _row_text(badge_id: int) -> str:
    row = Badge.objects.get(pk=badge_id)
    return json.dumps(model_to_dict(row), default=str, ensure_ascii=False)


def test_erasure_withdraws_the_badges_and_keeps_nothing_personal(
    badge,
    fellow,
    client,
    settings,
    django_capture_on_commit_callbacks,
):
    from axes.models import AccessLog
    from django.core.cache import cache
    from wagtail.log_actions import log
    from wagtail.models import ModelLogEntry

    log(instance=fellow, action="wagtail.edit")  # staff once edited the account
    issuance.suspend_badge(badge)  # and suspended the badge, then lifted it
    issuance.reinstate_badge(badge)

    cache.clear()
    settings.CREDENCE_BADGE_PAGE_CACHE = True
    assert NAME in client.get(f"/badges/{badge.public_id}/").content.decode()  # now cached

    AccessLog.objects.create(username=EMAIL, ip_address="10.0.0.9", user_agent="x")
    pdf_name, pdf_bytes = badge.pdf.name, badge.pdf.read()
    assert default_storage.exists(pdf_name) and NAME in _row_text(badge.pk)
    # What a worker killed between storing a PDF and discarding it would leave behind.
    leftover = default_storage.save(f"badges/{badge.public_id}/surplus.pdf", ContentFile(pdf_bytes))

    with django_capture_on_commit_callbacks(execute=True):
        record = erase_account(fellow)

    assert not User.objects.filter(pk=fellow.pk).exists()
    assert not CourseCompletion.objects.filter(user_id=fellow.pk).exists()
    assert not AccessLog.objects.filter(username=EMAIL).exists()
    (history,) = ModelLogEntry.objects.filter(object_id=str(fellow.pk), action="wagtail.edit")
    assert NAME not in history.label and EMAIL not in json.dumps(history.data)
    badge_history = ModelLogEntry.objects.filter(action__startswith="credence.badge.")
    assert badge_history.count() == 2  # what happened stays; whose badge it was does not
    assert not [e.label for e in badge_history if NAME in e.label]
    assert (record.badges_withdrawn, AccountErasure.objects.count()) == (1, 1)
    assert NAME not in str(record) and EMAIL not in str(record)

    withdrawn = Badge.objects.get(pk=badge.pk)
    assert withdrawn.state == Badge.State.REVOKED and withdrawn.withdrawn_at is not None
    assert withdrawn.credential is None and not withdrawn.pdf and not withdrawn.pdf_sha256
    row = _row_text(badge.pk)
    assert NAME not in row and EMAIL not in row
    assert not default_storage.exists(pdf_name) and not default_storage.exists(leftover)

    # Outside verifiers holding the credential find it revoked in the signed list.
    assert served_bit(client, "revocation", withdrawn.status_index)

    page = client.get(f"/badges/{badge.public_id}/")
    assert page.status_code == 410
    html = page.content.decode()
    assert "Withdrawn" in html and NAME not in html and badge.snapshot["course_title"] not in html
    verdict = client.get(f"/badges/{badge.public_id}.json")
    assert verdict.status_code == 410
    assert verdict.json()["status"] == "withdrawn" and verdict.json()["badge"] is None
    for path in ("badge.pdf", "credential.json", "wallet-qr.svg"):
        gone = client.get(f"/badges/{badge.public_id}/{path}")
        assert gone.status_code == 410 and NAME not in gone.content.decode()

    # The PDF the fellow once handed out: its proof is intact, the verdict says withdrawn.
    checked = upload(client, pdf_bytes)
    assert checked.status_code == 200
    assert "verdict--withdrawn" in checked.content.decode()


def test_a_forged_credential_of_a_withdrawn_badge_is_not_valid_rather_than_withdrawn(
    badge,
    fellow,
    client,
    django_capture_on_commit_callbacks,
):
    forged = json.loads(json.dumps(badge.credential))
    forged["credentialSubject"]["name"] = "Mallory Impostor"
    with django_capture_on_commit_callbacks(execute=True):
        erase_account(fellow)
    html = upload(client, json.dumps(forged).encode(), name="badge.json").content.decode()
    # A forgery must not borrow the real badge's history ("withdrawn" reads as "once held").
    assert "verdict--invalid" in html and "verdict--withdrawn" not in html


def test_erasing_a_fellow_who_really_passed_quizzes(
    site_root, fellow, password, django_capture_on_commit_callbacks
):
    """Module passes protect the attempts that earned them; erasure deletes both."""
    from courses import services
    from courses.models import ModulePass, QuizAttempt
    from tests.factories.certificates import make_badge_design
    from tests.factories.courses import make_course_with_modules
    from tests.support.courses import right_answers

    quiz_course, (module,) = make_course_with_modules(site_root, modules=1)
    make_badge_design(quiz_course)
    services.check_enrol(fellow, quiz_course)
    with django_capture_on_commit_callbacks(execute=True):
        attempt = services.start_attempt(fellow, module)
        services.submit_attempt(attempt, right_answers(attempt))
    issued = Badge.objects.get(recipient=fellow)
    assert issued.state == Badge.State.ISSUED and ModulePass.objects.filter(user=fellow).exists()

    client = Client()
    client.force_login(fellow)
    with django_capture_on_commit_callbacks(execute=True):
        done = client.post("/accounts/erase/", {"password": password, "confirm": "on"})
    assert done.status_code == 302
    assert not QuizAttempt.objects.filter(user_id=fellow.pk).exists()
    assert Badge.objects.get(pk=issued.pk).withdrawn_at is not None


def test_a_render_claimed_before_the_erasure_issues_nothing_and_raises_no_alarm(
    design,
    completion,
    fellow,
    monkeypatch,
    caplog,
):
    with transaction.atomic():
        pending = issuance.request_badge_for_completion(completion)
    claim = publishing.claim_for_render

    def claim_then_erase(badge_id):
        token = claim(badge_id)
        erase_account(fellow)  # commits while the worker holds its lease
        return token

    monkeypatch.setattr(publishing, "claim_for_render", claim_then_erase)
    assert publishing.render_and_publish(pending.pk).result == "already-done"
    pending.refresh_from_db()
    assert pending.withdrawn_at and pending.revocation_reason == issuance.WITHDRAWN_REASON
    assert not pending.pdf and "SECURITY" not in caplog.text


def test_erasure_changes_nothing_when_the_status_list_cannot_be_signed(
    badge,
    fellow,
    password,
    monkeypatch,
):
    from certificates.issuing import status_publishing
    from certificates.signing.credentials import CredentialUnavailable

    def keys_unreadable(*args, **kwargs):
        raise CredentialUnavailable("no issuer key file")

    monkeypatch.setattr(status_publishing, "set_status_bit", keys_unreadable)
    client = Client()
    client.force_login(fellow)
    response = client.post("/accounts/erase/", {"password": password, "confirm": "on"})
    assert response.status_code == 503
    assert "nothing was changed" in response.content.decode()
    assert User.objects.filter(pk=fellow.pk).exists()
    assert Badge.objects.get(pk=badge.pk).state == Badge.State.ISSUED


def test_a_fellow_with_two_factor_login_also_gives_a_code(fellow, password):
    from django_otp import DEVICE_ID_SESSION_KEY

    from lms.accounts.sessions import OTP_PENDING_SESSION_KEY
    from tests.support.otp import current_code, make_totp_device

    device = make_totp_device(fellow)
    client = Client()
    client.force_login(fellow)  # and passed the second factor at login:
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.pop(OTP_PENDING_SESSION_KEY, None)
    session.save()
    no_code = client.post("/accounts/erase/", {"password": password, "confirm": "on"})
    assert no_code.status_code == 200 and User.objects.filter(pk=fellow.pk).exists()
    wrong = client.post(
        "/accounts/erase/", {"password": password, "otp_token": "000000", "confirm": "on"}
    )
    assert wrong.status_code in (200, 429) and User.objects.filter(pk=fellow.pk).exists()
    # django-otp throttles the device for a second after a wrong code.
    with time_machine.travel(time.time() + 5, tick=False):
        done = client.post(
            "/accounts/erase/",
            {"password": password, "otp_token": current_code(device), "confirm": "on"},
        )
    assert done.status_code == 302 and not User.objects.filter(pk=fellow.pk).exists()


def test_erasure_is_all_or_nothing(
    badge,
    fellow,
    monkeypatch,
    django_capture_on_commit_callbacks,
):
    def fail(**kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr(AccountErasure.objects, "create", fail)
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError):
        erase_account(fellow)
    assert User.objects.filter(pk=fellow.pk).exists()
    kept = Badge.objects.get(pk=badge.pk)
    assert kept.state == Badge.State.ISSUED and kept.withdrawn_at is None
    assert kept.snapshot["recipient_name"] == NAME and kept.credential
    assert default_storage.exists(kept.pdf.name)


def test_a_badge_still_being_prepared_is_withdrawn_and_never_issued(
    design,
    completion,
    fellow,
):
    with transaction.atomic():  # its render is queued on commit; not run here
        pending = issuance.request_badge_for_completion(completion)
    erase_account(fellow)
    assert publishing.render_and_publish(pending.pk).result == "already-done"
    pending.refresh_from_db()
    assert pending.withdrawn_at and pending.state == Badge.State.REVOKED and not pending.pdf


def test_staff_cannot_erase_themselves_here(verified_staff_client, staff_user):
    with pytest.raises(ErasureRefused):
        erase_account(staff_user)
    assert verified_staff_client.get("/accounts/erase/").status_code == 403
    response = verified_staff_client.post("/accounts/erase/", {"password": "x", "confirm": "on"})
    assert response.status_code == 403
    assert User.objects.filter(pk=staff_user.pk).exists()


def test_the_page_asks_for_the_password_and_a_confirmation(badge, fellow, password):
    client = Client()
    assert client.get("/accounts/erase/").status_code == 302  # anonymous: to the login page
    client.force_login(fellow)
    page = client.get("/accounts/erase/")
    assert page.status_code == 200 and "Your 1 badge will be withdrawn" in page.content.decode()

    wrong = client.post("/accounts/erase/", {"password": "not-it", "confirm": "on"})
    assert wrong.status_code == 200 and "That password is not correct." in wrong.content.decode()
    unticked = client.post("/accounts/erase/", {"password": password})
    assert "Tick the box to confirm." in unticked.content.decode()
    assert User.objects.filter(pk=fellow.pk).exists()
    assert Badge.objects.get(pk=badge.pk).withdrawn_at is None

    done = client.post("/accounts/erase/", {"password": password, "confirm": "on"}, follow=True)
    assert done.redirect_chain[0] == ("/", 302)
    assert "Your account has been erased" in done.content.decode()
    assert not User.objects.filter(pk=fellow.pk).exists()
    assert client.get("/accounts/profile/").status_code == 302  # signed out
    assert (
        Client().post("/accounts/login/", {"username": EMAIL, "password": password}).status_code
        == 200
    )


def test_the_sweeper_deletes_files_a_failed_delete_left_behind(
    badge,
    fellow,
    monkeypatch,
    django_capture_on_commit_callbacks,
):
    from datetime import timedelta

    from django.core.management import call_command
    from django.utils import timezone

    pdf_name = badge.pdf.name

    def storage_down(name):
        raise OSError("storage unavailable")

    monkeypatch.setattr(default_storage, "delete", storage_down)
    with django_capture_on_commit_callbacks(execute=True):
        erase_account(fellow)  # committed; the PDF (with the name in it) is still there
    assert default_storage.exists(pdf_name)
    monkeypatch.undo()

    out = io.StringIO()
    call_command("sweep_badges", stdout=out)
    assert not default_storage.exists(pdf_name)
    assert "deleted 1 withdrawn badge file(s)" in out.getvalue()

    # Only recent withdrawals are listed, not every one ever made, every minute.
    stray = default_storage.save(f"badges/{badge.public_id}/stray.pdf", ContentFile(b"%PDF"))
    Badge.objects.filter(pk=badge.pk).update(withdrawn_at=timezone.now() - timedelta(days=2))
    assert issuance.sweep_withdrawn_badge_files() == 0 and default_storage.exists(stray)
