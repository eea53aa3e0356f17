"""Factories for courses and modules (wagtail-factories, each page created under the
`parent` it is given), course completions, and quiz questions as raw StreamField data."""

from __future__ import annotations

import uuid

import factory
import wagtail_factories
from django.utils import timezone
from factory.django import DjangoModelFactory

from courses.models import CourseCompletion, CourseIndexPage, CoursePage, ModulePage


def wagtail_root():
    """Wagtail's root page and the content languages' locales. Migrations make them, but a
    transactional test (a live server's, a concurrency test's) empties every table when it
    ends, so a later test in the same session makes them again."""
    from django.conf import settings
    from django.contrib.contenttypes.models import ContentType
    from wagtail.models import Locale, Page

    for language, _name in settings.WAGTAIL_CONTENT_LANGUAGES:
        Locale.objects.get_or_create(language_code=language)
    root = Page.get_first_root_node()
    if root is None:
        # The emptying also made the content types again, under new ids.
        ContentType.objects.clear_cache()
        root = Page.add_root(instance=Page(title="Root", slug="root"))
    return root


def make_catalogue(slug: str = "courses-home") -> CourseIndexPage:
    """The course catalogue under Wagtail's root page, made the default site's root."""
    from wagtail.models import Site

    index = wagtail_root().add_child(instance=CourseIndexPage(title="Courses", slug=slug))
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


class CoursePageFactory(wagtail_factories.PageFactory):
    """A course; give it `parent` (the catalogue), as Wagtail's tree requires."""

    class Meta:
        model = CoursePage

    title = factory.Sequence(lambda n: f"Course {n}")
    slug = factory.Sequence(lambda n: f"course-{n}")
    summary = factory.LazyAttribute(lambda page: f"Summary of {page.title.lower()}.")


def default_module_body(n: int) -> list[dict]:
    return [
        {"type": "heading", "value": {"text": "Pairwise ranking", "anchor": "pairwise"}},
        {"type": "paragraph", "value": f"<p>SECRET-BODY-{n} lesson text.</p>"},
    ]


class ModulePageFactory(wagtail_factories.PageFactory):
    """A module with a lesson and three single-choice questions, shown in order; give it
    `parent` (its course)."""

    class Meta:
        model = ModulePage

    title = factory.Sequence(lambda n: f"Module {n}")
    slug = factory.Sequence(lambda n: f"module-{n}")
    summary = factory.Sequence(lambda n: f"Summary of module {n}.")
    body = factory.Sequence(default_module_body)
    quiz_questions = factory.LazyFunction(lambda: single_choice_pool(3))
    shuffle_questions = False
    shuffle_choices = False


class CourseCompletionFactory(DjangoModelFactory):
    """A completion recorded now, with two passed modules' scores."""

    class Meta:
        model = CourseCompletion

    user = factory.SubFactory("tests.factories.accounts.UserFactory")
    completed_at = factory.LazyFunction(timezone.now)
    module_scores = factory.LazyFunction(
        lambda: [
            {"module_id": 1, "title": "One", "score_percent": 90},
            {"module_id": 2, "title": "Two", "score_percent": 100},
        ]
    )


def make_course(parent, title: str | None = None, **fields) -> CoursePage:
    if title is not None:
        fields["title"] = title
    return CoursePageFactory(parent=parent, **fields)


def make_module(
    course,
    title: str | None = None,
    questions: list[dict] | None = None,
    body: list[dict] | None = None,
    **fields,
) -> ModulePage:
    overrides = {"title": title, "quiz_questions": questions, "body": body}
    fields.update({name: value for name, value in overrides.items() if value is not None})
    return ModulePageFactory(parent=course, **fields)


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
