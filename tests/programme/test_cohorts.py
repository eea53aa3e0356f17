"""Cohorts: CSV upload with a dry run (all or nothing), and enrolling a cohort in a course."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from courses.models import Enrolment
from courses.programme import cohort_upload
from courses.programme.models import Cohort, CohortMembership
from tests.factories.courses import make_course
from tests.programme.conftest import make_fellow, verified_client

pytestmark = pytest.mark.django_db


@pytest.fixture
def cohort(db):
    return Cohort.objects.create(name="Spring intake")


@pytest.fixture
def fellows(db):
    return [make_fellow(f"fellow{i}@example.org") for i in range(3)]


def members_url(cohort):
    return f"/admin/programme/cohorts/members/{cohort.pk}/"


def upload(client, cohort, text: str | bytes):
    data = text.encode() if isinstance(text, str) else text
    return client.post(
        members_url(cohort), {"file": SimpleUploadedFile("people.csv", data, "text/csv")}
    )


def test_dry_run_lists_what_would_happen_and_writes_nothing(verified_staff_client, cohort, fellows):
    CohortMembership.objects.create(cohort=cohort, user=fellows[2])
    response = upload(
        verified_staff_client,
        cohort,
        "email\nFellow0@Example.org\nfellow1@example.org\n\nfellow2@example.org\n",
    )
    assert response.status_code == 200
    plan = response.context["plan"]
    assert [(p.line, p.outcome) for p in plan.lines] == [(2, "add"), (3, "add"), (5, "member")]
    assert CohortMembership.objects.filter(cohort=cohort).count() == 1
    token = response.context["plan_token"]
    confirmed = verified_staff_client.post(members_url(cohort), {"plan": token})
    assert confirmed.status_code == 302
    assert set(cohort.members.values_list("email", flat=True)) == {
        "fellow0@example.org",
        "fellow1@example.org",
        "fellow2@example.org",
    }


def test_bad_rows_are_numbered_and_change_nothing(verified_staff_client, cohort, fellows):
    text = (
        "name,email\n"
        "Zero,fellow0@example.org\n"
        "Nobody,nobody@example.org\n"
        "Again,FELLOW0@example.org\n"
        "Broken,not-an-address\n"
        '"<script>alert(1)</script>","<img src=x onerror=alert(1)>@x"\n'
    )
    response = upload(verified_staff_client, cohort, text)
    plan = response.context["plan"]
    assert [(p.line, p.message) for p in plan.errors] == [
        (3, "No account has this address."),
        (4, "Duplicate of line 2."),
        (5, "Not an e-mail address."),
        (6, "Not an e-mail address."),
    ]
    html = response.content.decode()
    assert "<img src=x" not in html and "&lt;img src=x" in html
    assert response.context["plan_token"] == ""
    assert 'name="plan"' not in html
    assert not CohortMembership.objects.exists()


def test_applying_re_checks_and_is_all_or_nothing(cohort, fellows):
    rows = [(2, "fellow0@example.org"), (3, "fellow1@example.org")]
    token = cohort_upload.sign_rows(cohort, rows)
    fellows[1].delete()  # the account went away between preview and confirmation
    with pytest.raises(cohort_upload.UploadError):
        cohort_upload.add_members(cohort, cohort_upload.unsign_rows(cohort, token))
    assert not CohortMembership.objects.exists()


def test_a_tampered_or_foreign_plan_is_refused(verified_staff_client, cohort, fellows):
    other = Cohort.objects.create(name="Other")
    token = cohort_upload.sign_rows(other, [(2, "fellow0@example.org")])
    for plan in (token, token[:-2] + "xx"):
        response = verified_staff_client.post(members_url(cohort), {"plan": plan}, follow=True)
        assert response.status_code == 200
        assert "Upload the file again" in response.content.decode()
    assert not CohortMembership.objects.exists()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "file is empty"),
        (b"name\nx\n", "header naming an"),
        ("email\nf\u00e9@example.org\n".encode("latin-1"), "not UTF-8"),
        (b"email\n" + b"a@example.org\n" * (cohort_upload.MAX_ROWS + 1), "more than"),
        (b"email\n" + b"x" * cohort_upload.MAX_UPLOAD_BYTES, "larger than"),
    ],
)
def test_unreadable_files_are_form_errors(verified_staff_client, cohort, data, message):
    response = upload(verified_staff_client, cohort, data)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not CohortMembership.objects.exists()


def test_staff_without_change_permission_cannot_upload(
    client, staff_without_reports, cohort, fellows
):
    staff = verified_client(client, staff_without_reports)
    response = upload(staff, cohort, "email\nfellow0@example.org\n")
    assert response.status_code == 403
    assert not CohortMembership.objects.exists()


def test_enrol_a_cohort_through_the_enrolment_service(
    verified_staff_client, site_root, cohort, fellows
):
    first = make_course(site_root, title="Basics")
    advanced = make_course(site_root, title="Advanced")
    advanced.prerequisites.add(first)
    advanced.save_revision().publish()
    for fellow in fellows[:2]:
        CohortMembership.objects.create(cohort=cohort, user=fellow)
    url = f"/admin/programme/cohorts/enrol/{cohort.pk}/"
    response = verified_staff_client.post(url, {"course": first.pk})
    assert response.status_code == 200 and len(response.context["enrolled"]) == 2
    assert Enrolment.objects.filter(course=first).count() == 2
    refused = verified_staff_client.post(url, {"course": advanced.pk})
    # Neither has completed "Basics": both are listed with the reason, none enrolled.
    assert len(refused.context["refused"]) == 2
    assert not Enrolment.objects.filter(course=advanced).exists()
    bad = verified_staff_client.post(url, {"course": "999999"})
    assert bad.status_code == 400


def test_cohort_crud_and_members_page(verified_staff_client, cohort, fellows):
    created = verified_staff_client.post(
        "/admin/programme/cohorts/new/", {"name": "Client project", "description": "Acme"}
    )
    assert created.status_code == 302
    assert Cohort.objects.filter(name="Client project").exists()
    duplicate = verified_staff_client.post(
        "/admin/programme/cohorts/new/", {"name": "Client project"}
    )
    assert (
        duplicate.status_code == 200 and Cohort.objects.filter(name="Client project").count() == 1
    )
    listing = verified_staff_client.get("/admin/programme/cohorts/")
    assert listing.status_code == 200 and "Spring intake" in listing.content.decode()
    page = verified_staff_client.get(members_url(cohort))
    assert page.status_code == 200 and "No members yet." in page.content.decode()
