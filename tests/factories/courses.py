"""Builders for courses, modules and quiz questions in plain Python (raw StreamField data)."""

from __future__ import annotations

import itertools
import uuid

from courses.models import CourseIndexPage, CoursePage, ModulePage

_counter = itertools.count(1)


def make_catalogue(slug: str = "courses-home") -> CourseIndexPage:
    """The course catalogue under Wagtail's root page, made the default site's root."""
    from wagtail.models import Page, Site

    index = Page.get_first_root_node().add_child(
        instance=CourseIndexPage(title="Courses", slug=slug)
    )
    Site.objects.update_or_create(
        is_default_site=True, defaults={"hostname": "testserver", "root_page": index}
    )
    return index


def _block(kind: str, value: dict) -> dict:
    return {"type": kind, "value": value, "id": str(uuid.uuid4())}


def _base(prompt: str, explanation: str, review_section: str) -> dict:
    return {
        "prompt": f"<p>{prompt}</p>",
        "explanation": f"<p>{explanation or 'Because the lesson says so.'}</p>",
        "review_section": review_section,
    }


def single_choice(
    prompt="Which is right?",
    choices=(("Right", True), ("Wrong", False)),
    explanation="",
    review_section="",
) -> dict:
    value = _base(prompt, explanation, review_section)
    value["choices"] = [{"text": t, "is_correct": c} for t, c in choices]
    return _block("single_choice", value)


def multiple_select(
    prompt="Pick all that apply",
    choices=(("A", True), ("B", True), ("C", False)),
    scoring="all_or_nothing",
    explanation="",
    review_section="",
) -> dict:
    value = _base(prompt, explanation, review_section)
    value["choices"] = [{"text": t, "is_correct": c} for t, c in choices]
    value["scoring"] = scoring
    return _block("multiple_select", value)


def true_false(prompt="The sky is blue.", correct=True, explanation="", review_section="") -> dict:
    value = _base(prompt, explanation, review_section)
    value["correct_answer"] = correct
    return _block("true_false", value)


def short_text(
    prompt="Name it", accepted=("Reward model",), explanation="", review_section=""
) -> dict:
    value = _base(prompt, explanation, review_section)
    value.update(match="text", accepted_answers=list(accepted), number=None, tolerance=None)
    return _block("short_answer", value)


def short_number(
    prompt="How many?", number=42.0, tolerance=0.5, explanation="", review_section=""
) -> dict:
    value = _base(prompt, explanation, review_section)
    value.update(match="number", accepted_answers=[], number=number, tolerance=tolerance)
    return _block("short_answer", value)


def preference(
    prompt="Which response is better?",
    gold=0,
    rationale_min_length=10,
    explanation="",
    review_section="",
) -> dict:
    value = _base(prompt, explanation, review_section)
    value["conversation_prompt"] = "Explain photosynthesis to a ten-year-old."
    value["responses"] = [
        {
            "label": "Response A",
            "text": "Plants use light to make food.",
            "is_preferred": gold == 0,
        },
        {"label": "Response B", "text": "Chlorophyll reduces NADP+.", "is_preferred": gold == 1},
    ]
    value["rationale_min_length"] = rationale_min_length
    return _block("preference_ranking", value)


def label_item(
    prompt="Label this sample",
    labels=(("Safe", True), ("Harmful", False)),
    sample_text="How do I bake bread?",
    explanation="",
    review_section="",
) -> dict:
    value = _base(prompt, explanation, review_section)
    value.update(sample_text=sample_text, sample_image=None)
    value["labels"] = [{"text": t, "is_gold": g} for t, g in labels]
    return _block("label_item", value)


def single_choice_pool(count: int, review_section: str = "") -> list[dict]:
    return [
        single_choice(
            prompt=f"Question {i + 1}",
            choices=(
                (f"Right {i + 1}", True),
                (f"Wrong {i + 1}", False),
                (f"Also wrong {i + 1}", False),
            ),
            explanation=f"Explanation {i + 1}",
            review_section=review_section,
        )
        for i in range(count)
    ]


def make_course(parent, title: str | None = None, **fields) -> CoursePage:
    n = next(_counter)
    course = CoursePage(
        title=title or f"Course {n}",
        slug=f"course-{n}",
        summary=f"Summary of course {n}.",
        **fields,
    )
    parent.add_child(instance=course)
    return course


def make_module(
    course,
    title: str | None = None,
    questions: list[dict] | None = None,
    body: list[dict] | None = None,
    **fields,
) -> ModulePage:
    n = next(_counter)
    fields.setdefault("shuffle_questions", False)
    fields.setdefault("shuffle_choices", False)
    fields.setdefault("summary", f"Summary of module {n}.")
    module = ModulePage(
        title=title or f"Module {n}",
        slug=f"module-{n}",
        body=body
        if body is not None
        else [
            {"type": "heading", "value": {"text": "Pairwise ranking", "anchor": "pairwise"}},
            {"type": "paragraph", "value": f"<p>SECRET-BODY-{n} lesson text.</p>"},
        ],
        quiz_questions=questions if questions is not None else single_choice_pool(3),
        **fields,
    )
    course.add_child(instance=module)
    return module


def make_course_with_modules(parent, modules: int = 2, questions: int = 3, **module_fields):
    course = make_course(parent)
    built = [
        make_module(
            course,
            title=f"Module {i + 1} of {course.title}",
            questions=single_choice_pool(questions, review_section="pairwise"),
            **module_fields,
        )
        for i in range(modules)
    ]
    return course, built
