"""The gate's loader and per-request cache: what it reads from the database, and how often."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone
from wagtail.models import Page, Site

from courses import gating, services, translations
from courses.gating import AccessDecision, GateInputs, PageRef, Reason
from courses.models import CourseCompletion, Enrolment
from tests.factories.courses import make_course, make_module
from tests.support.courses import right_answers

pytestmark = pytest.mark.django_db


def pass_module(user, module):
    attempt = services.start_attempt(user, module)
    services.submit_attempt(attempt, right_answers(attempt))


def ref(page, url=None, **flags):
    return PageRef(page.pk, page.title, page.url if url is None else url, **flags)


@pytest.fixture
def catalogue(site_root):
    """Ethics needs Basics and Safety; Ethics has a quiz module, a glossary and a last quiz."""
    basics = make_course(site_root, title="Basics")
    safety = make_course(site_root, title="Safety")
    ethics = make_course(site_root, title="Ethics")
    draft = make_course(site_root, title="Withdrawn course")
    draft.unpublish()
    # An unpublished prerequisite no longer holds anyone back.
    ethics.prerequisites.set([safety, basics, draft])
    ethics.save_revision().publish()
    first = make_module(ethics, title="First")
    glossary = make_module(ethics, title="Glossary", questions=[], is_free_to_open=True)
    last = make_module(ethics, title="Last")
    make_module(ethics, title="Draft").unpublish()
    other = make_module(basics, title="Basics module")
    return {
        "basics": basics,
        "safety": safety,
        "ethics": ethics,
        "modules": [first, glossary, last],
        "other": other,
    }


def expected_inputs(catalogue, **fields):
    first, glossary, last = catalogue["modules"]
    ethics = catalogue["ethics"]
    return GateInputs(
        course=ref(ethics),
        modules=[
            ref(first),
            ref(glossary, is_free_to_open=True, has_quiz=False),
            ref(last),
        ],
        # In catalogue (tree) order, not the order they were picked in.
        prerequisites=[ref(catalogue["basics"]), ref(catalogue["safety"])],
        **fields,
    )


def test_loader_reads_everything_the_rule_needs_for_a_fellow(catalogue, fellow):
    first, _, last = catalogue["modules"]
    services.check_enrol(fellow, catalogue["basics"])
    pass_module(fellow, catalogue["other"])  # completes Basics, its only quiz
    loaded = gating.load_gate_inputs(fellow, catalogue["ethics"])
    assert loaded == expected_inputs(
        catalogue,
        completed_course_ids=frozenset({catalogue["basics"].pk}),
        is_authenticated=True,
        is_enrolled=False,
        is_editor=False,
    )
    CourseCompletion.objects.create(
        user=fellow, course=catalogue["safety"], completed_at=timezone.now()
    )
    services.check_enrol(fellow, catalogue["ethics"])
    pass_module(fellow, first)
    loaded = gating.load_gate_inputs(fellow, catalogue["ethics"], is_editor=True)
    assert loaded == expected_inputs(
        catalogue,
        completed_course_ids=frozenset({catalogue["basics"].pk, catalogue["safety"].pk}),
        # Passes in other courses are not this course's business.
        passed_module_ids=frozenset({first.pk}),
        is_authenticated=True,
        is_enrolled=True,
        is_editor=True,
    )
    assert loaded.course_is_completed is False
    assert gating.module_access(loaded, last.pk) == AccessDecision(True, Reason.EDITOR)


def warm_site_cache(catalogue):
    """Page URLs need the site's root paths, and finding a page's source the default
    locale's id: each is read once per process and then remembered."""
    gating.load_gate_inputs(AnonymousUser(), catalogue["ethics"])
    translations.default_locale_id()


def test_loader_for_a_visitor_reads_no_personal_rows(catalogue, django_assert_num_queries):
    warm_site_cache(catalogue)
    with django_assert_num_queries(2):  # modules and prerequisites, nothing about the user
        loaded = gating.load_gate_inputs(AnonymousUser(), catalogue["ethics"])
    assert loaded == expected_inputs(catalogue, is_authenticated=False)


def test_loader_for_several_courses_at_once(catalogue, fellow, django_assert_num_queries):
    basics, ethics = catalogue["basics"], catalogue["ethics"]
    services.check_enrol(fellow, basics)
    warm_site_cache(catalogue)
    with django_assert_num_queries(5):
        loaded = gating.load_gate_inputs_many(
            fellow, [basics, ethics], editor_course_ids=frozenset({ethics.pk})
        )
    assert loaded == {
        basics.pk: GateInputs(
            course=ref(basics),
            modules=[ref(catalogue["other"])],
            prerequisites=[],
            is_enrolled=True,
        ),
        ethics.pk: expected_inputs(catalogue, is_editor=True),
    }
    with django_assert_num_queries(0):
        assert gating.load_gate_inputs_many(fellow, []) == {}


def test_module_refs_in_course_order_with_or_without_urls(catalogue):
    first, glossary, last = catalogue["modules"]
    modules = [ref(first), ref(glossary, is_free_to_open=True, has_quiz=False), ref(last)]
    assert gating.module_refs(catalogue["ethics"]) == modules
    assert gating.module_refs(catalogue["ethics"], with_urls=False) == [
        PageRef(m.id, m.title, "", m.is_free_to_open, m.has_quiz) for m in modules
    ]


def test_second_lookup_in_one_request_is_free_and_the_same(
    catalogue, fellow, django_assert_num_queries
):
    """The module page, its quiz form and the menu all ask; only the first one pays."""
    first, glossary, last = catalogue["modules"]
    for course in (catalogue["basics"], catalogue["safety"]):
        CourseCompletion.objects.create(user=fellow, course=course, completed_at=timezone.now())
    services.check_enrol(fellow, catalogue["ethics"])
    request = RequestFactory().get(last.url)
    request.user = fellow
    decision, inputs = gating.decide_module(fellow, last, request=request)
    assert decision == AccessDecision(
        False,
        Reason.PREVIOUS_NOT_PASSED,
        "This module opens when you pass the quiz of “First”.",
        first.url,
        "Go to First",
    )
    with django_assert_num_queries(0):
        again = gating.decide_module(fellow, last, request=request)
    assert again == (decision, inputs)
    # Another module in the same request is decided on its own, then cached too.
    opened = gating.decide_module(fellow, glossary, request=request)
    assert opened[0] == AccessDecision(True, Reason.FREE)
    with django_assert_num_queries(0):
        assert gating.decide_module(fellow, glossary, request=request) == opened
        assert gating.decide_module(fellow, last, request=request) == (decision, inputs)


def test_without_a_request_every_lookup_asks_the_database(catalogue, fellow):
    first = catalogue["modules"][0]
    # Enrolled before the prerequisites were added: the course gate still applies.
    Enrolment.objects.create(user=fellow, course=catalogue["ethics"], enrolled_at=timezone.now())
    before = gating.decide_module(fellow, first)
    assert before[0] == AccessDecision(
        False,
        Reason.PREREQUISITES,
        "This course opens when you have completed “Basics”, “Safety”.",
        catalogue["basics"].url,
        "Go to Basics",
    )
    for course in (catalogue["basics"], catalogue["safety"]):
        CourseCompletion.objects.create(user=fellow, course=course, completed_at=timezone.now())
    assert gating.decide_module(fellow, first) == (
        AccessDecision(True, Reason.OPEN),
        expected_inputs(
            catalogue,
            completed_course_ids=frozenset({catalogue["basics"].pk, catalogue["safety"].pk}),
            is_enrolled=True,
        ),
    )


def test_decide_course_says_which_prerequisite_is_missing(catalogue, fellow):
    CourseCompletion.objects.create(
        user=fellow, course=catalogue["basics"], completed_at=timezone.now()
    )
    decision, inputs = gating.decide_course(fellow, catalogue["ethics"])
    assert decision == AccessDecision(
        False,
        Reason.PREREQUISITES,
        "This course opens when you have completed “Safety”.",
        catalogue["safety"].url,
        "Go to Safety",
    )
    assert inputs == expected_inputs(
        catalogue, completed_course_ids=frozenset({catalogue["basics"].pk})
    )


def test_loader_for_no_user_at_all_is_a_visitor(catalogue):
    assert gating.load_gate_inputs(None, catalogue["ethics"]) == expected_inputs(
        catalogue, is_authenticated=False
    )


def test_pages_outside_any_site_have_no_urls(fellow):
    """A course tree not (yet) under a site root: refs carry no URL rather than a bogus one."""
    outside = Page.get_first_root_node()
    needed = make_course(outside, title="Needed")
    course = make_course(outside, title="Unrouted")
    course.prerequisites.set([needed])
    course.save_revision().publish()
    module = make_module(course, title="Unrouted module")
    assert course.get_url() is None
    loaded = gating.load_gate_inputs(fellow, course)
    assert loaded == GateInputs(
        course=PageRef(course.pk, "Unrouted", ""),
        modules=[PageRef(module.pk, "Unrouted module", "")],
        prerequisites=[PageRef(needed.pk, "Needed", "")],
    )
    assert gating.module_refs(course) == [PageRef(module.pk, "Unrouted module", "")]


def test_a_fellows_lookup_asks_no_permission_question(catalogue, fellow, django_assert_num_queries):
    """Fellows are never staff, so deciding for them costs no page-permission queries:
    the course row (found by the module's tree path), the loader's five queries and
    nothing more."""
    last = catalogue["modules"][-1]
    warm_site_cache(catalogue)
    with django_assert_num_queries(6):
        decision, _ = gating.decide_module(fellow, last)
    assert decision.reason == Reason.PREREQUISITES


def test_no_user_at_all_is_decided_as_a_visitor(catalogue):
    first = catalogue["modules"][0]
    assert gating.decide_module(None, first) == (
        AccessDecision(False, Reason.LOGIN_REQUIRED, "Log in to open course modules."),
        expected_inputs(catalogue, is_authenticated=False),
    )
    assert gating.decide_course(None, catalogue["ethics"])[1] == expected_inputs(
        catalogue, is_authenticated=False
    )


def test_modules_come_in_the_order_editors_arranged_them(site_root):
    course = make_course(site_root)
    first_made = make_module(course, title="Made first")
    moved = make_module(course, title="Moved to the front")
    moved.move(first_made, pos="left")
    titles = [m.title for m in gating.module_refs(course)]
    assert titles == ["Moved to the front", "Made first"]
    loaded = gating.load_gate_inputs(AnonymousUser(), course)
    assert [m.title for m in loaded.modules] == titles


def test_module_queryset_leaves_the_heavy_json_unread(catalogue):
    """Pages read through it load the lesson body and quiz pool only when asked."""
    page = gating.module_queryset().get(pk=catalogue["modules"][0].pk)
    assert {"body", "quiz_questions"} <= page.get_deferred_fields()
    assert page.quiz_is_empty is False


def test_a_verified_editor_opens_every_module_of_a_course_they_could_not_enrol_in(
    catalogue, verified_staff_client
):
    ethics, last = catalogue["ethics"], catalogue["modules"][-1]
    progress = verified_staff_client.get(
        reverse("courses:course_progress_json", args=[ethics.pk])
    ).json()
    assert progress["course"]["open"] is True
    assert [m["status"] for m in progress["modules"]] == ["open", "open", "open"]
    response = verified_staff_client.get(reverse("courses:module_json", args=[last.pk]))
    assert response.status_code == 200 and response.json()["id"] == last.pk


def test_links_stay_on_the_site_the_request_came_to(catalogue, fellow):
    """With a second site, URLs are relative only when the request says which site we are on."""
    Site.objects.create(hostname="other.example.org", root_page=catalogue["safety"])
    request = RequestFactory().get("/")
    request.user = fellow
    first = catalogue["modules"][0]
    decision, inputs = gating.decide_module(fellow, first, request=request)
    assert decision.next_step_url == catalogue["basics"].get_url(request)
    assert decision.next_step_url.startswith("/")
    assert inputs.course.url.startswith("/") and inputs.modules[0].url.startswith("/")
    decision, inputs = gating.decide_course(fellow, catalogue["ethics"], request=request)
    assert decision.next_step_url.startswith("/") and inputs.modules[0].url.startswith("/")
    assert all(m.url.startswith("/") for m in gating.module_refs(catalogue["ethics"], request))
    # Without the request the same page gets its full address.
    assert gating.module_refs(catalogue["ethics"])[0].url.startswith("http://")


def test_other_fellows_enrolments_and_passes_are_not_mine(catalogue, fellow, django_user_model):
    grace = django_user_model.objects.create_user(
        email="grace@example.org", password=None, display_name="Grace"
    )
    for course in (catalogue["basics"], catalogue["safety"]):
        CourseCompletion.objects.create(user=grace, course=course, completed_at=timezone.now())
    services.check_enrol(grace, catalogue["ethics"])
    pass_module(grace, catalogue["modules"][0])
    assert gating.load_gate_inputs(fellow, catalogue["ethics"]) == expected_inputs(catalogue)
