"""The issued-badges admin: list, search, filters, inspect, lifecycle actions and permissions
(docs/threats.md, rows G7 for editors without the badge-admin permission, C5 for revocation being
final)."""

from datetime import timedelta

import pytest
from django.contrib.messages import get_messages
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from certificates.models import Badge
from tests.support.otp import verified_client_for
from tests.support.staff import make_badge, make_editor

pytestmark = pytest.mark.django_db

State = Badge.State


def url(name, *args):
    return reverse(f"badges:{name}", args=args)


def refused(response) -> bool:
    """Our action views answer 403; Wagtail's generic views redirect to the dashboard."""
    return response.status_code == 403 or (
        response.status_code == 302 and response["Location"] == reverse("wagtailadmin_home")
    )


def messages_of(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


@pytest.fixture
def staff(verified_staff_client):
    return verified_staff_client


# --- list, search, filters --------------------------------------------------------------


def test_list_shows_name_course_state_dates_and_public_id(staff, design):
    badge = make_badge(design=design, name="Grace Hopper", email="grace@example.org")
    response = staff.get(url("index"))
    assert response.status_code == 200
    html = response.content.decode()
    for text in (
        "Grace Hopper",
        "grace@example.org",
        "Foundations of AI Data Labeling",
        "Issued",
        badge.public_id,
        url("inspect", badge.pk),
    ):
        assert text in html


@pytest.mark.parametrize("query", ["Hopper", "GRACE@example", "public-id"])
def test_search_by_name_email_and_public_id(staff, design, query):
    wanted = make_badge(design=design, name="Grace Hopper", email="grace@example.org")
    other = make_badge(design=design, name="Alan Turing", email="alan@example.org")
    q = wanted.public_id if query == "public-id" else query
    response = staff.get(url("index"), {"q": q})
    html = response.content.decode()
    assert wanted.public_id in html
    assert other.public_id not in html


def test_filters_by_state_course_and_issued_date(staff, design, site_root):
    from certificates.models import BadgeDesign
    from courses.models import CoursePage

    other_course = site_root.add_child(
        instance=CoursePage(title="AI Ethics", slug="ethics", summary="s", estimated_minutes=5)
    )
    other_design = BadgeDesign.objects.create(
        course=other_course,
        title="Ethics",
        description="d",
        criteria="c",
        signatory_name="n",
        signatory_title="t",
    )
    old = make_badge(design=design, issued_at=timezone.now() - timedelta(days=400))
    suspended = make_badge(design=design, state=State.SUSPENDED)
    ethics = make_badge(design=other_design)

    def listed(**params):
        html = staff.get(url("index"), params).content.decode()
        return {b.public_id for b in (old, suspended, ethics) if b.public_id in html}

    assert listed(state="suspended") == {suspended.public_id}
    assert listed(course=other_course.pk) == {ethics.public_id}
    since = (timezone.now() - timedelta(days=30)).date().isoformat()
    assert listed(issued_at_from=since) == {suspended.public_id, ethics.public_id}
    assert listed(issued_at_to=since) == {old.public_id}


def test_hostile_names_are_escaped_and_bidi_controls_made_visible(staff, design):
    make_badge(design=design, name='<script>alert("x")</script>\u202egpj.exe')
    html = staff.get(url("index")).content.decode()
    assert "<script>alert" not in html
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in html
    assert "\u202e" not in html
    assert "<bdi>&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;[U+202E]gpj.exe</bdi>" in html


def test_list_query_count_does_not_grow_with_the_number_of_badges(staff, design):
    def count_queries() -> int:
        staff.get(url("index"))  # warm per-process caches (content types, site)
        with CaptureQueriesContext(connection) as ctx:
            assert staff.get(url("index")).status_code == 200
        return len(ctx.captured_queries)

    for _ in range(10):
        make_badge(design=design)
    with_ten = count_queries()
    for _ in range(30):
        make_badge(design=design)
    assert count_queries() == with_ten


# --- inspect ----------------------------------------------------------------------------


def test_inspect_shows_snapshot_links_error_and_attempts(staff, design):
    badge = make_badge(design=design, name="Grace Hopper", pdf="badges/x/y.pdf")
    Badge.objects.filter(pk=badge.pk).update(render_attempts=3, last_error="RuntimeError('font')")
    html = staff.get(url("inspect", badge.pk)).content.decode()
    assert reverse("certificates:badge", args=[badge.public_id]) in html
    assert reverse("certificates:badge_pdf", args=[badge.public_id]) in html
    assert "RuntimeError(&#x27;font&#x27;)" in html
    assert "<dt>Render attempts</dt><dd>3</dd>" in html
    assert "Certified AI Data Labeler" in html  # snapshot badge title
    assert "Passed every module quiz of the course." in html  # snapshot criteria
    for action in ("suspend", "reissue", "revoke"):
        assert url(action, badge.pk) in html
    assert url("reinstate", badge.pk) not in html


def test_unknown_badge_is_404(staff, design):
    assert staff.get(url("inspect", 999999)).status_code == 404
    assert staff.post(url("revoke", 999999), {"reason": "x"}).status_code == 404


# --- revoke, suspend, reinstate ------------------------------------------------------------


def test_revoke_needs_a_reason_and_says_it_is_final(
    staff, design, django_capture_on_commit_callbacks
):
    badge = make_badge(design=design)
    page = staff.get(url("revoke", badge.pk)).content.decode()
    assert "Revocation is final" in page
    assert 'name="csrfmiddlewaretoken"' in page

    response = staff.post(url("revoke", badge.pk), {"reason": "   "})
    assert response.status_code == 200
    assert "This field is required." in response.content.decode()
    badge.refresh_from_db()
    assert badge.state == State.ISSUED

    with django_capture_on_commit_callbacks(execute=True):
        response = staff.post(url("revoke", badge.pk), {"reason": "Plagiarised the final quiz"})
    assert response.status_code == 302
    assert response["Location"] == url("inspect", badge.pk)
    badge.refresh_from_db()
    assert badge.state == State.REVOKED
    assert badge.revocation_reason == "Plagiarised the final quiz"


def test_revocation_is_final_no_button_and_reinstate_refused(staff, design):
    """docs/threats.md, row C5: unrevoke is refused through the admin."""
    badge = make_badge(design=design, state=State.REVOKED)
    html = staff.get(url("inspect", badge.pk)).content.decode()
    for action in ("reinstate", "revoke", "suspend", "reissue"):
        assert url(action, badge.pk) not in html
    assert "Revocation is final" in html

    response = staff.get(url("reinstate", badge.pk))
    assert response.status_code == 302
    assert "revocation is final" in " ".join(messages_of(response))

    response = staff.post(url("reinstate", badge.pk))
    assert response.status_code == 302
    assert "revocation is final" in " ".join(messages_of(response))
    badge.refresh_from_db()
    assert badge.state == State.REVOKED
    assert badge.suspended_at is None

    # Re-issuing a revoked badge would be an unrevoke by another name.
    response = staff.post(url("reissue", badge.pk))
    assert response.status_code == 302
    assert Badge.objects.count() == 1


def test_revoking_twice_is_harmless(staff, design, django_capture_on_commit_callbacks):
    badge = make_badge(design=design)
    with django_capture_on_commit_callbacks(execute=True):
        staff.post(url("revoke", badge.pk), {"reason": "First"})
        response = staff.post(url("revoke", badge.pk), {"reason": "Second"})
    assert response.status_code == 302
    badge.refresh_from_db()
    assert badge.revocation_reason == "First"


def test_suspend_then_reinstate(staff, design, django_capture_on_commit_callbacks):
    badge = make_badge(design=design)
    assert "You can reinstate it later" in staff.get(url("suspend", badge.pk)).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        assert staff.post(url("suspend", badge.pk)).status_code == 302
    badge.refresh_from_db()
    assert badge.state == State.SUSPENDED
    html = staff.get(url("inspect", badge.pk)).content.decode()
    assert url("reinstate", badge.pk) in html
    assert url("suspend", badge.pk) not in html
    public = staff.get(reverse("certificates:badge", args=[badge.public_id])).content.decode()
    assert "Suspended" in public

    with django_capture_on_commit_callbacks(execute=True):
        assert staff.post(url("reinstate", badge.pk)).status_code == 302
    badge.refresh_from_db()
    assert badge.state == State.ISSUED
    assert badge.suspended_at is None


def test_suspending_a_pending_badge_is_an_error_message_not_a_500(staff, design):
    badge = make_badge(design=design, state=State.PENDING)
    response = staff.post(url("suspend", badge.pk))
    assert response.status_code == 302
    assert "Only an issued badge can be suspended." in " ".join(messages_of(response))
    badge.refresh_from_db()
    assert badge.state == State.PENDING


# --- re-issue, award ------------------------------------------------------------------------


def test_reissue_supersedes_the_old_badge(
    staff, design, completion, fellow, django_capture_on_commit_callbacks
):
    old = make_badge(design=design, recipient=fellow, name="Ada Byron")
    fellow.display_name = "Ada Lovelace"  # an approved name change
    fellow.save()
    page = staff.get(url("reissue", old.pk)).content.decode()
    assert "superseded" in page

    with django_capture_on_commit_callbacks(execute=True):
        response = staff.post(url("reissue", old.pk))
    old.refresh_from_db()
    new = old.superseded_by
    assert old.state == State.SUPERSEDED
    assert new is not None and response["Location"] == url("inspect", new.pk)
    new.refresh_from_db()
    assert new.state == State.ISSUED  # rendered by the eager worker
    assert new.snapshot["recipient_name"] == "Ada Lovelace"

    old_html = staff.get(url("inspect", old.pk)).content.decode()
    assert f'Superseded by <a href="{url("inspect", new.pk)}">{new.public_id}</a>' in old_html
    assert url("revoke", old.pk) not in old_html
    public = staff.get(reverse("certificates:badge", args=[old.public_id])).content.decode()
    assert "Superseded" in public

    # A second submit of the same form changes nothing more.
    response = staff.post(url("reissue", old.pk))
    assert "Only an issued or suspended badge can be re-issued." in " ".join(messages_of(response))
    assert Badge.objects.count() == 2


def test_award_creates_a_badge(
    staff, staff_user, design, fellow, django_capture_on_commit_callbacks
):
    fellow.show_scores_on_badges = True
    fellow.save()
    page = staff.get(url("award")).content.decode()
    assert design.course.title in page
    with django_capture_on_commit_callbacks(execute=True):
        response = staff.post(
            url("award"),
            {"email": "FELLOW@example.org", "course": design.course.pk, "score_percent": "88"},
        )
    badge = Badge.objects.get()
    assert response["Location"] == url("inspect", badge.pk)
    badge.refresh_from_db()
    assert badge.recipient == fellow
    assert badge.awarded_manually_by == staff_user
    assert badge.state == State.ISSUED  # has_earned accepts a manual award
    assert badge.snapshot["score_percent"] == 88

    # The same award again is a form error, not a second badge.
    response = staff.post(url("award"), {"email": fellow.email, "course": design.course.pk})
    assert response.status_code == 200
    assert "already holds a badge" in response.content.decode()
    assert Badge.objects.count() == 1


@pytest.mark.parametrize(
    "data, error",
    [
        ({"email": "nobody@example.org"}, "No account has this e-mail address."),
        ({"score_percent": "101"}, "less than or equal to 100"),
        ({"course": "999999"}, "Select a valid choice."),
    ],
)
def test_award_with_bad_input_is_a_form_error(staff, design, fellow, data, error):
    form = {"email": fellow.email, "course": design.course.pk, **data}
    response = staff.post(url("award"), form)
    assert response.status_code == 200
    assert error in response.content.decode()
    assert Badge.objects.count() == 0


def test_award_lists_only_courses_with_a_design(staff, course, site_root):
    from courses.models import CoursePage

    site_root.add_child(
        instance=CoursePage(title="No Badge Here", slug="nobadge", summary="s", estimated_minutes=5)
    )
    page = staff.get(url("award")).content.decode()
    assert "No Badge Here" not in page


# --- generic views stay shut -----------------------------------------------------------------


@pytest.mark.parametrize("view", ["add", "edit", "delete"])
def test_badges_cannot_be_created_edited_or_deleted_generically(staff, design, view):
    """Badges are frozen: even a superuser gets no generic form (only the actions)."""
    badge = make_badge(design=design)
    path = url(view, badge.pk) if view != "add" else url("add")
    assert refused(staff.get(path))
    assert refused(staff.post(path, {"state": "revoked"}))
    assert Badge.objects.filter(pk=badge.pk, state=State.ISSUED).exists()


# --- permissions (docs/threats.md, row G7) --------------------------------------------------------


ACTIONS = [
    ("revoke", {"reason": "because"}),
    ("suspend", {}),
    ("reinstate", {}),
    ("reissue", {}),
]


@pytest.fixture
def viewer(password):
    """An editor who may look at badges but is not a badge admin."""
    return verified_client_for(
        make_editor("viewer@example.org", password, "certificates.view_badge")
    )


@pytest.mark.parametrize("action, data", ACTIONS)
def test_editor_without_badge_admin_permission_gets_403(viewer, design, action, data):
    state = State.SUSPENDED if action == "reinstate" else State.ISSUED
    badge = make_badge(design=design, state=state)
    assert viewer.get(url("index")).status_code == 200
    assert viewer.get(url(action, badge.pk)).status_code == 403
    assert viewer.post(url(action, badge.pk), data).status_code == 403
    badge.refresh_from_db()
    assert badge.state == state
    assert Badge.objects.count() == 1
    # ...and is offered no buttons.
    assert url(action, badge.pk) not in viewer.get(url("inspect", badge.pk)).content.decode()


def test_editor_without_permissions_cannot_award_or_rerender(viewer, design, fellow):
    assert (
        viewer.post(url("award"), {"email": fellow.email, "course": design.course.pk}).status_code
        == 403
    )
    assert viewer.post(url("rerender"), {"course": design.course.pk}).status_code == 403
    assert viewer.get(url("rerender_progress", "a" * 32)).status_code == 403
    assert Badge.objects.count() == 0


def test_badge_admin_without_add_permission_cannot_award(password, design, fellow):
    admin = verified_client_for(
        make_editor("badgeadmin@example.org", password, "certificates.change_badge")
    )
    badge = make_badge(design=design)
    assert admin.get(url("suspend", badge.pk)).status_code == 200
    assert (
        admin.post(url("award"), {"email": fellow.email, "course": design.course.pk}).status_code
        == 403
    )
    html = admin.get(url("index")).content.decode()
    assert url("award") not in html
    assert url("rerender") in html


def test_editor_without_any_badge_permission_cannot_see_badges(password, design):
    client = verified_client_for(make_editor("plain@example.org", password))
    badge = make_badge(design=design)
    assert refused(client.get(url("index")))
    assert refused(client.get(url("inspect", badge.pk)))
    assert client.post(url("revoke", badge.pk), {"reason": "x"}).status_code == 403


@pytest.mark.parametrize(
    "reason, error",
    [
        ("x" * 501, "Ensure this value has at most 500 characters"),
        ("bad\x00reason", "Null characters are not allowed."),
    ],
)
def test_hostile_revocation_reasons_are_form_errors(staff, design, reason, error):
    badge = make_badge(design=design)
    response = staff.post(url("revoke", badge.pk), {"reason": reason})
    assert response.status_code == 200
    assert error in response.content.decode()
    badge.refresh_from_db()
    assert badge.state == State.ISSUED


def test_revocation_reason_markup_is_shown_literally(
    staff, design, django_capture_on_commit_callbacks
):
    badge = make_badge(design=design)
    with django_capture_on_commit_callbacks(execute=True):
        staff.post(url("revoke", badge.pk), {"reason": "<img src=x onerror=alert(1)>"})
    html = staff.get(url("inspect", badge.pk)).content.decode()
    assert "&lt;img src=x onerror=alert(1)&gt;" in html
    assert "<img src=x" not in html


def test_every_staff_change_is_in_the_badges_history_with_who_did_it(
    staff, staff_user, design, django_capture_on_commit_callbacks
):
    badge = make_badge(design=design)
    assert "No staff changes yet" in staff.get(url("inspect", badge.pk)).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        staff.post(url("suspend", badge.pk))
        staff.post(url("reinstate", badge.pk))
        staff.post(url("revoke", badge.pk), {"reason": "Plagiarised <b>the</b> final quiz"})
    from wagtail.models import ModelLogEntry

    entries = list(ModelLogEntry.objects.for_instance(badge).order_by("pk"))
    assert [e.action for e in entries] == [
        "credence.badge.suspend",
        "credence.badge.reinstate",
        "credence.badge.revoke",
    ]
    assert {e.user for e in entries} == {staff_user}
    html = staff.get(url("inspect", badge.pk)).content.decode()
    assert "Suspended" in html and "Reinstated" in html and "Revoked" in html
    assert "Plagiarised &lt;b&gt;the&lt;/b&gt; final quiz" in html
    assert "by <bdi>Edith Editor</bdi>" in html
