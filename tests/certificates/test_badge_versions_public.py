"""What employers and outside verifiers see of the course version a badge certifies (issue
15): the badge page, its JSON, the upload check, `manage.py verify_badge`, the signed
credential, the PDF and the achievement page; out of date once the renewal window has
passed (the beat job has run), and never a second before.

The versions are published through courses.versions and the badges issued, renewed and
marked out of date through the real services; nothing is written to a badge row by hand.
"""

from __future__ import annotations

import io
from datetime import UTC, timedelta

import jsonschema
import pytest
import time_machine
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from pypdf import PdfReader

from certificates.dates import badge_day
from certificates.issuing import issuance, renewal
from certificates.models import Badge
from certificates.public.badge_version import version_facts
from certificates.public.verification import find_badge, find_public_badge, verify_badge
from courses.versions import publish_version
from tests.factories.courses import CourseCompletionFactory, make_module
from tests.support.badges import issue_badge_now, upload

from .ob3_support import schema

pytestmark = pytest.mark.django_db

RENEWAL_DAYS = 30


def iso(moment) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def page(client, badge) -> str:
    response = client.get(f"/badges/{badge.public_id}/")
    assert response.status_code == 200
    return response.content.decode()


def verdict_json(client, badge) -> dict:
    response = client.get(f"/badges/{badge.public_id}.json")
    assert response.status_code == 200
    return response.json()


def upload_html(client, badge) -> str:
    with badge.pdf.open("rb") as handle:
        response = upload(client, handle.read())
    assert response.status_code == 200
    return response.content.decode()


@pytest.fixture
def module(course):
    """The course's module with a quiz: what a renewal version marks as changed."""
    return make_module(course, title="Pairwise ranking")


@pytest.fixture
def publish(course, module, django_capture_on_commit_callbacks):
    """publish(number, renewal_days=None) -> CourseVersion, through courses.versions."""

    def run(number: str, renewal_days: int | None = None, **fields):
        with django_capture_on_commit_callbacks(execute=True):
            return publish_version(
                course,
                number=number,
                summary=fields.pop("summary", f"What changed in {number}."),
                changed_modules=[module] if renewal_days else (),
                renewal_days=renewal_days,
                **fields,
            )

    return run


@pytest.fixture
def old_badge(publish, design, completion, django_capture_on_commit_callbacks):
    """A badge of version 2026.1, issued before 2027.1 asked its holders to renew."""
    publish("2026.1")
    badge = issue_badge_now(completion, django_capture_on_commit_callbacks)
    publish("2027.1", renewal_days=RENEWAL_DAYS)
    badge.refresh_from_db()
    assert badge.renew_by is not None
    return badge


def run_job(capture, **kwargs) -> int:
    with capture(execute=True):
        return renewal.mark_out_of_date(**kwargs).marked


# --- the page, the JSON and the upload, either side of the deadline -------------------


def test_before_the_deadline_the_page_names_both_versions_and_the_deadline(old_badge, client):
    html = page(client, old_badge)
    assert "verdict--valid" in html
    assert "Certifies version <bdi>2026.1</bdi> of the course." in html
    assert "The current version is <bdi>2027.1</bdi>." in html
    assert f"Its holder has until {badge_day(old_badge.renew_by)} to renew." in html
    assert "This is the current version." not in html


def test_everything_says_valid_a_second_before_the_deadline_and_out_of_date_at_it(
    old_badge, client, django_capture_on_commit_callbacks
):
    deadline = old_badge.renew_by
    with time_machine.travel(deadline - timedelta(seconds=1), tick=False):
        assert run_job(django_capture_on_commit_callbacks) == 0
        assert "verdict--valid" in page(client, old_badge)
        data = verdict_json(client, old_badge)
        assert data["status"] == "valid"
        assert data["badge"]["version"] == {
            "certified": "2026.1",
            "current": "2027.1",
            "is_current": False,
            "renew_by": iso(deadline),
            "out_of_date_since": None,
        }
        assert "verdict--valid" in upload_html(client, old_badge)

    with time_machine.travel(deadline, tick=False):
        assert run_job(django_capture_on_commit_callbacks) == 1
        day = badge_day(deadline)
        html = page(client, old_badge)
        # Its own label and colour class, not revoked's or expired's.
        assert 'class="status status--out_of_date"' in html and "verdict--out_of_date" in html
        assert ">Out of date<" in html
        for other in ("revoked", "expired", "suspended", "valid"):
            assert f"verdict--{other}" not in html
        assert (
            "Out of date: this badge was issued to Ada Lovelace for completing Foundations of "
            f"AI Data Labeling on {badge_day(old_badge.snapshot['issued_on'])}; it certifies "
            "version 2026.1, and the course has changed since."
        ) in html
        assert f'<p class="verdict__since">Out of date since {day}</p>' in html
        assert f"Out of date since {day}: not renewed after the course changed." in html
        assert f"Its holder had until {day} to renew." in html

        data = verdict_json(client, old_badge)
        assert (data["status"], data["label"], data["valid"]) == (
            "out_of_date",
            "Out of date",
            False,
        )
        assert data["summary"] == f"Out of date since {day}"
        assert data["since"] == iso(deadline)
        assert data["badge"]["version"] == {
            "certified": "2026.1",
            "current": "2027.1",
            "is_current": False,
            "renew_by": iso(deadline),
            "out_of_date_since": iso(deadline),
        }

        html = upload_html(client, old_badge)
        assert "verdict--out_of_date" in html
        assert "Genuine and unaltered" in html
        assert "Certifies version <bdi>2026.1</bdi> of the course." in html
        assert "The current version is <bdi>2027.1</bdi>." in html


def test_a_deadline_passed_before_the_job_ran_is_already_out_of_date(old_badge, client):
    """Between the deadline and the beat job (minutes) the badge is still issued on record,
    but the page and JSON already say out of date, from the deadline, even where a page
    cached before the deadline would still be fresh; the status list follows at the job."""
    with time_machine.travel(old_badge.renew_by - timedelta(seconds=30), tick=False):
        assert "Its holder has until" in page(client, old_badge)
        with CaptureQueriesContext(connection) as queries:
            page(client, old_badge)
        assert len(queries) == 0, "cached"
    with time_machine.travel(old_badge.renew_by + timedelta(seconds=30), tick=False):
        html = page(client, old_badge)
        data = verdict_json(client, old_badge)
    assert "verdict--out_of_date" in html
    assert f"Its holder had until {badge_day(old_badge.renew_by)} to renew." in html
    assert "has until" not in html
    assert (data["status"], data["badge"]["version"]["out_of_date_since"]) == (
        "out_of_date",
        old_badge.renew_by.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
    )
    assert Badge.objects.get(pk=old_badge.pk).state == Badge.State.ISSUED


def test_a_badge_of_the_current_version_says_so_and_has_no_deadline(
    publish, design, completion, client, django_capture_on_commit_callbacks
):
    publish("2027.1")
    badge = issue_badge_now(completion, django_capture_on_commit_callbacks)
    html = page(client, badge)
    assert "Certifies version <bdi>2027.1</bdi> of the course." in html
    assert "This is the current version." in html
    assert verdict_json(client, badge)["badge"]["version"] == {
        "certified": "2027.1",
        "current": "2027.1",
        "is_current": True,
        "renew_by": None,
        "out_of_date_since": None,
    }


def test_a_later_version_that_asks_no_renewal_says_so(
    publish, design, completion, client, django_capture_on_commit_callbacks
):
    publish("2026.1")
    badge = issue_badge_now(completion, django_capture_on_commit_callbacks)
    publish("2026.2")  # a clarification: nobody renews
    html = page(client, badge)
    assert "verdict--valid" in html
    assert "The current version is <bdi>2026.2</bdi>." in html
    assert "The changes since do not require its holder to renew." in html
    version = verdict_json(client, badge)["badge"]["version"]
    assert (version["is_current"], version["renew_by"]) == (False, None)


def test_a_badge_of_a_course_without_versions_shows_no_version_and_nulls(badge, client):
    assert "Certifies version" not in page(client, badge)
    assert verdict_json(client, badge)["badge"]["version"] == dict.fromkeys(
        ("certified", "current", "is_current", "renew_by", "out_of_date_since")
    )


def test_a_badge_issued_before_the_first_version_certifies_the_baseline(
    badge, publish, client, django_capture_on_commit_callbacks
):
    publish("2027.1", renewal_days=RENEWAL_DAYS)
    version = verdict_json(client, badge)["badge"]["version"]
    assert (version["certified"], version["current"], version["is_current"]) == (
        "1",
        "2027.1",
        False,
    )
    assert version["renew_by"] is not None


# --- the page cache ---------------------------------------------------------------------


def test_a_cached_page_changes_when_a_version_is_published_and_when_the_job_runs(
    publish, design, completion, client, django_capture_on_commit_callbacks
):
    publish("2026.1")
    badge = issue_badge_now(completion, django_capture_on_commit_callbacks)
    page(client, badge)
    with CaptureQueriesContext(connection) as queries:
        assert "This is the current version." in page(client, badge)
    assert len(queries) == 0, "the second request is served from the cache"

    publish("2027.1", renewal_days=RENEWAL_DAYS)
    html = page(client, badge)
    assert "The current version is <bdi>2027.1</bdi>." in html
    assert "This is the current version." not in html

    badge.refresh_from_db()
    with time_machine.travel(badge.renew_by, tick=False):
        page(client, badge)  # cached again, under the token of the version's publication
        run_job(django_capture_on_commit_callbacks)
        assert "verdict--out_of_date" in page(client, badge)


def test_a_cached_page_changes_when_a_version_without_renewal_is_published(
    publish, design, completion, client, django_capture_on_commit_callbacks
):
    publish("2026.1")
    badge = issue_badge_now(completion, django_capture_on_commit_callbacks)
    assert "This is the current version." in page(client, badge)
    publish("2026.2")
    assert "The current version is <bdi>2026.2</bdi>." in page(client, badge)


def test_a_cached_page_shows_a_deadline_the_course_team_extended(
    old_badge, client, django_capture_on_commit_callbacks
):
    page(client, old_badge)
    later = old_badge.renew_by + timedelta(days=10)
    with django_capture_on_commit_callbacks(execute=True):
        renewal.extend_deadline(old_badge, until=later, reason="Parental leave.")
    assert f"Its holder has until {badge_day(later)} to renew." in page(client, old_badge)


# --- renewal supersedes -----------------------------------------------------------------


def test_a_renewed_badge_says_it_was_renewed_and_links_to_its_replacement(
    old_badge, fellow, course, client, django_capture_on_commit_callbacks
):
    renewal_completion = CourseCompletionFactory(
        user=fellow, course=course, edition=old_badge.course_version.sequence + 1
    )
    new = issue_badge_now(renewal_completion, django_capture_on_commit_callbacks)
    assert new.pk != old_badge.pk
    old_badge.refresh_from_db()
    assert (old_badge.state, old_badge.superseded_by_id) == (Badge.State.SUPERSEDED, new.pk)

    html = page(client, old_badge)
    assert "verdict--superseded" in html
    assert "Renewed: its holder renewed this badge for version 2027.1 of the course" in html
    assert f'href="/badges/{new.public_id}/"' in html
    data = verdict_json(client, old_badge)
    assert data["status"] == "superseded"
    assert data["badge"]["superseded_by"].endswith(f"/badges/{new.public_id}/")
    assert data["badge"]["version"] == {
        "certified": "2026.1",
        "current": "2027.1",
        "is_current": False,
        "renew_by": None,  # no longer its holder's badge to renew
        "out_of_date_since": None,
    }
    assert verdict_json(client, new)["badge"]["version"]["is_current"] is True
    assert "This is the current version." in page(client, new)


def test_a_reissued_badge_is_replaced_not_renewed(
    old_badge, client, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        new = issuance.reissue_badge(old_badge)
    html = page(client, old_badge)
    assert "Replaced: a newer badge replaces this one" in html
    assert "Renewed:" not in html
    # The replacement certifies the same version, with the same deadline.
    assert verdict_json(client, new)["badge"]["version"]["renew_by"] == iso(old_badge.renew_by)


def test_an_out_of_date_badge_renewed_later_links_to_its_replacement(
    old_badge, fellow, course, client, django_capture_on_commit_callbacks
):
    run_job(django_capture_on_commit_callbacks, now=old_badge.renew_by)
    completion = CourseCompletionFactory(
        user=fellow, course=course, edition=old_badge.course_version.sequence + 1
    )
    new = issue_badge_now(completion, django_capture_on_commit_callbacks)
    html = page(client, old_badge)
    assert "verdict--superseded" in html and "verdict--out_of_date" not in html
    assert f'href="/badges/{new.public_id}/"' in html
    assert "verdict--valid" in page(client, new)


# --- both lookups agree --------------------------------------------------------------------


@pytest.mark.parametrize("stage", ["due", "out of date", "renewed"])
def test_the_column_lookup_and_the_model_agree_on_every_version_column(
    old_badge, fellow, course, stage, django_capture_on_commit_callbacks
):
    """On PostgreSQL the public lookup is raw SQL (verification._LOOKUP_SQL), elsewhere the
    ORM's annotations (_joined_columns): the same values either way."""
    badge = old_badge
    if stage == "out of date":
        run_job(django_capture_on_commit_callbacks, now=badge.renew_by)
    elif stage == "renewed":
        completion = CourseCompletionFactory(
            user=fellow, course=course, edition=badge.course_version.sequence + 1
        )
        issue_badge_now(completion, django_capture_on_commit_callbacks)
    with CaptureQueriesContext(connection) as queries:
        public = find_public_badge(badge.public_id)
        version_facts(public)
    assert len(queries) == 1, "the version columns are joined into the one lookup"
    model = find_badge(badge.public_id)
    for name in public.__slots__:
        assert getattr(public, name) == getattr(model, name) or (
            name == "pdf" and public.pdf == model.pdf.name
        ), name
    assert (public.version_number, public.current_version_number) == ("2026.1", "2027.1")
    assert public.replacement_version_number == ("2027.1" if stage == "renewed" else None)
    now = timezone.now()
    assert verify_badge(public, now=now).as_dict() == verify_badge(model, now=now).as_dict()
    # A row read without the joined columns (the admin's) reads the version rows instead.
    plain = Badge.objects.get(pk=badge.pk)
    assert version_facts(plain, now=now) == version_facts(public, now=now)


# --- outside verifiers -----------------------------------------------------------------------


def test_the_credential_names_the_certified_version_and_passes_the_schema(old_badge):
    achievement = old_badge.credential["credentialSubject"]["achievement"]
    assert achievement["version"] == "2026.1"
    jsonschema.Draft201909Validator(schema()).validate(old_badge.credential)


def test_the_shared_verifier_fails_an_out_of_date_badge_and_passes_a_current_one(
    old_badge, verify_served, django_capture_on_commit_callbacks
):
    # The job as it runs a second before the deadline, then at it (signed at the real
    # time, so the outside verifier's own clock agrees with the status list's).
    assert (
        run_job(django_capture_on_commit_callbacks, now=old_badge.renew_by - timedelta(seconds=1))
        == 0
    )
    code, verdict = verify_served(old_badge.credential)
    assert (code, verdict["status"]) == (0, "valid"), verdict["failed"]

    assert run_job(django_capture_on_commit_callbacks, now=old_badge.renew_by) == 1
    code, verdict = verify_served(old_badge.credential)
    assert (code, verdict["valid"]) == (2, False), verdict["failed"]
    assert "dcc.suspension_status" in verdict["failed"]


# --- the PDF and the command -----------------------------------------------------------------


def test_the_pdf_prints_the_certified_version_under_the_course_title(old_badge):
    with old_badge.pdf.open("rb") as handle:
        text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(handle.read())).pages)
    lines = [line.strip() for line in text.splitlines()]
    title = lines.index("Foundations of AI Data Labeling")
    assert lines[title + 1] == "Version 2026.1"


def test_verify_badge_prints_the_version_line(
    old_badge, tmp_path, django_capture_on_commit_callbacks
):
    path = tmp_path / "badge.pdf"
    with old_badge.pdf.open("rb") as handle:
        path.write_bytes(handle.read())
    out = io.StringIO()
    call_command("verify_badge", str(path), stdout=out)
    deadline = old_badge.renew_by.astimezone(UTC).date().isoformat()
    assert (
        f"  Certifies version 2026.1 of the course; the current version is 2027.1; "
        f"renew by {deadline}\n"
    ) in out.getvalue()

    run_job(django_capture_on_commit_callbacks, now=old_badge.renew_by)
    out = io.StringIO()
    with pytest.raises(SystemExit):
        call_command("verify_badge", str(path), stdout=out)
    assert out.getvalue().startswith("OUT OF DATE: Out of date since")
    assert f"the current version is 2027.1; out of date since {deadline}\n" in out.getvalue()


# --- the achievement page ----------------------------------------------------------------------


def test_the_achievement_page_lists_the_versions_newest_first(
    publish, design, client, django_capture_on_commit_callbacks
):
    publish("2026.1")
    published = publish(
        "2027.1", renewal_days=RENEWAL_DAYS, summary="Rubric for pairwise ranking revised."
    )
    response = client.get(f"/achievements/{design.public_id}/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "Versions of the course" in html
    order = [html.index(f"<h3>Version {number}") for number in ("2027.1", "2026.1", "1")]
    assert order == sorted(order)
    assert "Rubric for pairwise ranking revised." in html
    assert "The course as first published." in html
    deadline = badge_day(published.published_at + timedelta(days=RENEWAL_DAYS))
    assert f"asked to renew within {RENEWAL_DAYS} days, by {deadline}." in html
    assert html.count("No renewal was asked") == 1  # 2026.1; the baseline had nobody to ask
    assert f'<time datetime="{timezone.localtime(published.published_at).isoformat()}">' in html
    document = client.get(f"/achievements/{design.public_id}/?format=json").json()
    assert document["version"] == "2027.1"


def test_the_achievement_page_of_a_course_without_versions_says_so(design, client):
    html = client.get(f"/achievements/{design.public_id}/").content.decode()
    assert "No versions of this course have been recorded yet." in html
    assert "version" not in client.get(f"/achievements/{design.public_id}/?format=json").json()


def test_the_achievement_page_of_a_draft_course_lists_no_versions(publish, design, client):
    """A course that is not public is not named on the page, nor described by its versions'
    summaries."""
    publish("2027.1", summary="Rubric for pairwise ranking revised.")
    design.course.unpublish()
    html = client.get(f"/achievements/{design.public_id}/").content.decode()
    assert "Rubric for pairwise ranking revised." not in html
    assert "Versions of the course" not in html and "No versions" not in html
    assert "version" not in client.get(f"/achievements/{design.public_id}/?format=json").json()
