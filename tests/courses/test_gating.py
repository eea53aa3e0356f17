"""Gating as a plain decision: no database, no request."""

import pytest

from courses.gating import (
    AccessDecision,
    CourseProgress,
    GateInputs,
    ModuleProgress,
    PageRef,
    Reason,
    Status,
    course_access,
    course_progress,
    is_course_complete,
    module_access,
)

COURSE = PageRef(1, "Labeling basics", "/labeling/")
M1 = PageRef(11, "Module 1", "/labeling/m1/")
M2 = PageRef(12, "Module 2", "/labeling/m2/")
GLOSSARY = PageRef(13, "Glossary", "/labeling/glossary/", is_free_to_open=True, has_quiz=False)
M4 = PageRef(14, "Module 4", "/labeling/m4/")
ETHICS = PageRef(2, "Ethics", "/ethics/")


def inputs(**kw):
    kw.setdefault("course", COURSE)
    kw.setdefault("modules", [M1, M2, GLOSSARY, M4])
    kw.setdefault("is_enrolled", True)
    return GateInputs(**kw)


def test_first_module_opens_for_an_enrolled_fellow():
    assert module_access(inputs(), M1.id).allowed


def test_second_module_locked_until_first_quiz_passed():
    decision = module_access(inputs(), M2.id)
    assert not decision.allowed
    assert decision.reason == Reason.PREVIOUS_NOT_PASSED
    assert decision.next_step_url == M1.url and "Module 1" in decision.message
    assert module_access(inputs(passed_module_ids=frozenset({M1.id})), M2.id).allowed


def test_free_module_opens_without_previous_and_does_not_block():
    assert module_access(inputs(), GLOSSARY.id).reason == Reason.FREE
    # A module without a quiz never holds the next one back.
    assert module_access(inputs(passed_module_ids=frozenset({M1.id, M2.id})), M4.id).allowed


def test_every_earlier_quiz_must_be_passed():
    decision = module_access(inputs(passed_module_ids=frozenset({M2.id})), M4.id)
    assert not decision and decision.next_step_url == M1.url


def test_anonymous_and_unenrolled():
    assert module_access(inputs(is_authenticated=False), M1.id).reason == Reason.LOGIN_REQUIRED
    decision = module_access(inputs(is_enrolled=False), M1.id)
    assert decision.reason == Reason.NOT_ENROLLED and decision.next_step_url == COURSE.url


def test_course_prerequisites():
    locked = inputs(prerequisites=[ETHICS])
    decision = course_access(locked)
    assert decision.reason == Reason.PREREQUISITES and "Ethics" in decision.message
    assert module_access(locked, M1.id).reason == Reason.PREREQUISITES
    opened = inputs(prerequisites=[ETHICS], completed_course_ids=frozenset({ETHICS.id}))
    assert course_access(opened).allowed and module_access(opened, M1.id).allowed


def test_editor_sees_everything_but_unknown_module_is_refused():
    editor = inputs(is_editor=True, is_enrolled=False, prerequisites=[ETHICS])
    assert module_access(editor, M4.id).reason == Reason.EDITOR
    assert module_access(editor, 999).reason == Reason.NOT_FOUND


def test_progress_and_completion():
    progress = course_progress(inputs(passed_module_ids=frozenset({M1.id})))
    assert [r.status for r in progress.modules] == [
        Status.PASSED,
        Status.OPEN,
        Status.OPEN,
        Status.LOCKED,
    ]
    assert (progress.passed, progress.required, progress.percent) == (1, 3, 33)
    assert progress.next_step == M2
    assert not is_course_complete([M1, M2, GLOSSARY, M4], {M1.id, M2.id})
    assert is_course_complete([M1, M2, GLOSSARY, M4], {M1.id, M2.id, M4.id})
    assert not is_course_complete([GLOSSARY], set())


# --- Whole decisions: what the fellow is told, and where the button goes -------------------


def test_the_words_the_json_endpoints_and_pages_show_for_reasons_and_statuses():
    """Clients of the progress and access endpoints read these strings."""
    assert {r.name: r.value for r in Reason} == {
        "OPEN": "open",
        "FREE": "free",
        "EDITOR": "editor",
        "LOGIN_REQUIRED": "login_required",
        "PREREQUISITES": "prerequisites",
        "NOT_ENROLLED": "not_enrolled",
        "PREVIOUS_NOT_PASSED": "previous_not_passed",
        "NOT_FOUND": "not_found",
    }
    assert [s.value for s in Status] == ["locked", "open", "passed"]


def test_editor_decision_is_allowed_with_nothing_to_do():
    """Editors open their own modules even unenrolled and with prerequisites missing."""
    editor = inputs(is_editor=True, is_enrolled=False, prerequisites=[ETHICS])
    for module in (M1, M2, GLOSSARY, M4):
        assert module_access(editor, module.id) == AccessDecision(True, Reason.EDITOR)
    assert course_access(editor) == AccessDecision(True, Reason.EDITOR)
    assert bool(module_access(editor, M4.id)) is True


def test_visitor_is_asked_to_log_in_even_for_an_unknown_module():
    visitor = inputs(is_authenticated=False, is_editor=True)
    for module_id in (M1.id, 999):
        assert module_access(visitor, module_id) == AccessDecision(
            False, Reason.LOGIN_REQUIRED, "Log in to open course modules."
        )


def test_unknown_module_is_refused_even_to_editors():
    for editor in (False, True):
        assert module_access(inputs(is_editor=editor), 999) == AccessDecision(
            False, Reason.NOT_FOUND, "This module is not part of the course."
        )


def test_unenrolled_fellow_is_sent_to_the_course_page():
    decision = module_access(inputs(is_enrolled=False), M1.id)
    assert decision == AccessDecision(
        False,
        Reason.NOT_ENROLLED,
        "Enrol in “Labeling basics” to open its modules.",
        "/labeling/",
        "Enrol in the course",
    )
    assert bool(decision) is False
    # A course without a URL (previews) gives no link rather than an empty one.
    unlinked = inputs(is_enrolled=False, course=PageRef(1, "Labeling basics"))
    assert module_access(unlinked, M1.id).next_step_url is None


def test_missing_prerequisites_are_all_named_and_the_first_is_linked():
    safety = PageRef(3, "Safety")  # no URL: no link
    decision = course_access(inputs(prerequisites=[safety, ETHICS]))
    expected = AccessDecision(
        False,
        Reason.PREREQUISITES,
        "This course opens when you have completed “Safety”, “Ethics”.",
        None,
        "Go to Safety",
    )
    assert decision == expected
    # The module inherits the course's refusal unchanged.
    assert module_access(inputs(prerequisites=[safety, ETHICS]), M1.id) == expected
    half_done = inputs(prerequisites=[safety, ETHICS], completed_course_ids=frozenset({3}))
    assert course_access(half_done) == AccessDecision(
        False,
        Reason.PREREQUISITES,
        "This course opens when you have completed “Ethics”.",
        "/ethics/",
        "Go to Ethics",
    )
    assert course_access(inputs()) == AccessDecision(True, Reason.OPEN)


def test_locked_module_names_and_links_the_first_quiz_not_passed():
    decision = module_access(inputs(passed_module_ids=frozenset({M2.id})), M4.id)
    assert decision == AccessDecision(
        False,
        Reason.PREVIOUS_NOT_PASSED,
        "This module opens when you pass the quiz of “Module 1”.",
        "/labeling/m1/",
        "Go to Module 1",
    )
    unlinked = [PageRef(11, "Module 1"), M2]
    assert module_access(inputs(modules=unlinked), M2.id).next_step_url is None


def test_open_and_free_decisions_whole():
    passed = frozenset({M1.id, M2.id})
    assert module_access(inputs(passed_module_ids=passed), M4.id) == AccessDecision(
        True, Reason.OPEN
    )
    assert module_access(inputs(), M1.id) == AccessDecision(True, Reason.OPEN)
    assert module_access(inputs(), GLOSSARY.id) == AccessDecision(True, Reason.FREE)


def test_free_module_still_needs_enrolment_and_the_course_gate():
    assert module_access(inputs(is_enrolled=False), GLOSSARY.id).reason == Reason.NOT_ENROLLED
    locked = inputs(prerequisites=[ETHICS])
    assert module_access(locked, GLOSSARY.id).reason == Reason.PREREQUISITES


def test_passed_stays_passed_when_the_gate_would_refuse_now():
    # A prerequisite added after the fellow passed module 1.
    later = inputs(passed_module_ids=frozenset({M1.id}), prerequisites=[ETHICS])
    statuses = [r.status for r in course_progress(later).modules]
    assert statuses[:2] == [Status.PASSED, Status.LOCKED]


def test_course_progress_whole():
    state = inputs(passed_module_ids=frozenset({M1.id}))
    assert course_progress(state) == CourseProgress(
        modules=(
            ModuleProgress(M1, Status.PASSED, AccessDecision(True, Reason.OPEN)),
            ModuleProgress(M2, Status.OPEN, AccessDecision(True, Reason.OPEN)),
            ModuleProgress(GLOSSARY, Status.OPEN, AccessDecision(True, Reason.FREE)),
            ModuleProgress(M4, Status.LOCKED, module_access(state, M4.id)),
        ),
        passed=1,
        required=3,
        next_step=M2,
    )


def test_progress_next_step_skips_open_modules_without_a_quiz():
    reading = PageRef(15, "Reading", "/labeling/reading/", has_quiz=False)
    progress = course_progress(inputs(modules=[reading, M1], passed_module_ids=frozenset()))
    assert progress.next_step == M1
    done = course_progress(inputs(passed_module_ids=frozenset({M1.id, M2.id, M4.id})))
    assert (done.passed, done.required, done.percent, done.next_step) == (3, 3, 100, None)


def test_progress_percent_rounds_and_has_no_division_by_zero():
    two_of_three = course_progress(inputs(passed_module_ids=frozenset({M1.id, M2.id})))
    assert two_of_three.percent == 67
    nothing_required = course_progress(inputs(modules=[GLOSSARY]))
    assert (nothing_required.required, nothing_required.percent) == (0, 0)


def test_course_is_completed_flag_follows_the_completed_courses():
    assert inputs(completed_course_ids=frozenset({COURSE.id})).course_is_completed is True
    assert inputs(completed_course_ids=frozenset({ETHICS.id})).course_is_completed is False
    assert inputs().course_is_completed is False


def test_gate_inputs_defaults_are_a_signed_in_unenrolled_fellow():
    bare = GateInputs(course=COURSE, modules=[M1])
    assert (
        bare.prerequisites,
        bare.completed_course_ids,
        bare.passed_module_ids,
        bare.is_authenticated,
        bare.is_enrolled,
        bare.is_editor,
    ) == ((), frozenset(), frozenset(), True, False, False)
    assert module_access(bare, M1.id).reason == Reason.NOT_ENROLLED
    assert PageRef(5, "Bare") == PageRef(5, "Bare", "", False, True)


def test_decisions_default_to_no_message_and_no_next_step():
    decision = AccessDecision(True, Reason.OPEN)
    assert (decision.message, decision.next_step_url, decision.next_step_label) == ("", None, "")


def test_course_is_completed_is_derived_never_given():
    with pytest.raises(TypeError):
        GateInputs(course=COURSE, modules=[], course_is_completed=True)
