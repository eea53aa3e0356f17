"""Gating as a plain decision: no database, no request."""

from courses.gating import (
    GateInputs,
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
