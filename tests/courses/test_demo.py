"""The demo curriculum and `manage.py load_demo`: content quality, idempotency, accounts."""

import io
from html.parser import HTMLParser

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice
from wagtail.fields import StreamField
from wagtail.models import Page, Revision, Site

from courses.demo import COURSES
from courses.demo.loader import ADMIN_EMAIL, FELLOW_EMAIL, DemoContentError, _strip_ids
from courses.demo.raw import lesson_word_count
from courses.models import CourseIndexPage, CoursePage, ModulePage

QUESTION_TYPES = {
    "single_choice",
    "multiple_select",
    "true_false",
    "short_answer",
    "preference_ranking",
    "label_item",
}
LESSON_TAGS = {"p", "b", "i", "a", "ol", "ul", "li", "code", "blockquote"}
QUESTION_TAGS = {"p", "b", "i", "code", "ol", "ul", "li"}


def run_load_demo(*args: str) -> str:
    out = io.StringIO()
    call_command("load_demo", *args, stdout=out)
    return out.getvalue()


def snapshot() -> list[tuple]:
    """Every page with its place in the tree and the content a fellow would see."""
    rows = []
    for page in Page.objects.order_by("path").specific():
        content = {}
        for field in page._meta.concrete_fields:
            value = getattr(page, field.attname)
            if isinstance(field, StreamField):
                value = _strip_ids(field.stream_block.get_prep_value(value))
            if field.name not in {"latest_revision_created_at", "last_published_at"}:
                content[field.name] = value
        rows.append((page.pk, page.path, type(page).__name__, content))
    return rows


def all_modules():
    return [(course, module) for course in COURSES for module in course.modules]


def module_ids():
    return [module.slug for _, module in all_modules()]


class TagCollector(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags: set[str] = set()

    def handle_starttag(self, tag, attrs):
        self.tags.add(tag)


def tags_in(html: str) -> set[str]:
    parser = TagCollector()
    parser.feed(html)
    return parser.tags


# --- The curriculum as data (no database) -------------------------------------------


def test_two_courses_with_five_modules_each_and_ethics_requires_foundations():
    by_slug = {course.slug: course for course in COURSES}
    assert set(by_slug) == {"foundations-of-ai-data-labeling", "ai-ethics-for-ai-trainers"}
    assert by_slug["ai-ethics-for-ai-trainers"].prerequisites == (
        "foundations-of-ai-data-labeling",
    )
    for course in COURSES:
        assert len(course.modules) >= 5
        assert 4 <= len(course.learning_outcomes) <= 6
        assert len({m.slug for m in course.modules}) == len(course.modules)


@pytest.mark.parametrize(("course", "module"), all_modules(), ids=module_ids())
def test_each_lesson_is_several_hundred_words(course, module):
    assert 500 <= lesson_word_count(module.body) <= 1000, module.title


@pytest.mark.parametrize(("course", "module"), all_modules(), ids=module_ids())
def test_each_quiz_pool_is_real(course, module):
    types = [q["type"] for q in module.questions]
    assert len(module.questions) >= 8
    assert module.questions_per_attempt == 6
    assert module.pass_mark_percent in (70, 80)
    assert {"preference_ranking", "label_item"} <= set(types)
    assert len(set(types)) >= 4
    for question in module.questions:
        assert question["value"]["explanation"].strip()


@pytest.mark.parametrize("course", COURSES, ids=[c.slug for c in COURSES])
def test_each_course_uses_every_question_type_and_partial_credit(course):
    questions = [q for module in course.modules for q in module.questions]
    assert {q["type"] for q in questions} == QUESTION_TYPES
    assert any(
        q["type"] == "multiple_select" and q["value"]["scoring"] == "partial" for q in questions
    )
    text_answers = [q for q in questions if q["type"] == "short_answer"]
    assert any(q["value"]["match"] == "text" for q in text_answers)


def test_a_numeric_short_answer_with_tolerance_exists():
    numeric = [
        q
        for _, module in all_modules()
        for q in module.questions
        if q["type"] == "short_answer" and q["value"]["match"] == "number"
    ]
    assert numeric
    assert all(q["value"]["tolerance"] and q["value"]["tolerance"] > 0 for q in numeric)


@pytest.mark.parametrize(("course", "module"), all_modules(), ids=module_ids())
def test_every_review_section_names_a_heading_in_the_same_lesson(course, module):
    anchors = [b["value"]["anchor"] for b in module.body if b["type"] == "heading"]
    assert len(anchors) == len(set(anchors)), "duplicate anchors"
    for question in module.questions:
        assert question["value"]["review_section"] in anchors, question["value"]["prompt"]


@pytest.mark.parametrize(("course", "module"), all_modules(), ids=module_ids())
def test_rich_text_uses_only_the_allowed_features(course, module):
    for block in module.body:
        if block["type"] == "paragraph":
            assert tags_in(block["value"]) <= LESSON_TAGS
        if block["type"] == "callout":
            assert tags_in(block["value"]["text"]) <= LESSON_TAGS
    for question in module.questions:
        for key in ("prompt", "explanation"):
            assert tags_in(question["value"][key]) <= QUESTION_TAGS


# --- load_demo -----------------------------------------------------------------------


@pytest.fixture
def first_output(db):
    return run_load_demo()


def test_builds_the_site_tree_and_replaces_the_welcome_page(first_output):
    site = Site.objects.get(is_default_site=True)
    index = site.root_page.specific
    assert isinstance(index, CourseIndexPage)
    assert index.title == "Courses" and index.intro
    # Besides the catalogue, only its Traditional Chinese version sits at the top.
    assert not Page.objects.filter(depth=2).exclude(translation_key=index.translation_key).exists()
    courses = CoursePage.objects.child_of(index).live().order_by("path")
    assert [c.slug for c in courses] == [c.slug for c in COURSES]
    for course, spec in zip(courses, COURSES, strict=True):
        modules = list(course.get_modules())
        assert [m.slug for m in modules] == [m.slug for m in spec.modules]
        assert all(m.live and m.quiz_questions for m in modules)


def test_ethics_requires_foundations(first_output):
    ethics = CoursePage.objects.get(slug="ai-ethics-for-ai-trainers", locale__language_code="en")
    assert [p.slug for p in ethics.prerequisites.all()] == ["foundations-of-ai-data-labeling"]


def test_every_page_passes_full_clean_and_block_validation(first_output):
    pages = list(Page.objects.filter(depth__gt=1).specific())
    # Each page in English and in Traditional Chinese (translated or an alias).
    assert len(pages) == 2 * (1 + sum(1 + len(c.modules) for c in COURSES))
    for page in pages:
        page.full_clean()
        for field in page._meta.concrete_fields:
            if isinstance(field, StreamField):
                field.stream_block.clean(getattr(page, field.name))


def test_second_run_changes_nothing(first_output):
    before, revisions = snapshot(), Revision.objects.count()
    output = run_load_demo()
    assert snapshot() == before
    assert Revision.objects.count() == revisions
    assert "0 created, 0 updated" in output
    assert get_user_model().objects.count() == 3


def test_rerun_restores_edited_content_with_one_new_revision(first_output):
    module = ModulePage.objects.get(slug="stump-the-model", locale__language_code="en")
    module.title = "Edited by hand"
    module.quiz_questions = []
    module.save_revision().publish()
    revisions = Revision.objects.count()

    output = run_load_demo()

    module.refresh_from_db()
    assert module.title == "Writing prompts that stump the model"
    assert len(module.quiz_questions) >= 8
    assert Revision.objects.count() == revisions + 1
    assert "0 created, 1 updated" in output


def test_home_page_lists_both_courses(first_output, client):
    response = client.get("/")
    assert response.status_code == 200
    html = response.content.decode()
    for course in CoursePage.objects.filter(locale__language_code="en"):
        assert course.title in html
        assert course.url in html


def test_pages_have_their_slug_urls_under_the_site_root(first_output):
    module = ModulePage.objects.get(slug="what-ai-trainers-do", locale__language_code="en")
    assert module.url == "/foundations-of-ai-data-labeling/what-ai-trainers-do/"


def test_admin_has_confirmed_totp_and_backup_codes_and_the_uri_is_printed(first_output):
    admin = get_user_model().objects.get(email=ADMIN_EMAIL)
    assert admin.is_superuser and admin.is_staff
    totp = TOTPDevice.objects.get(user=admin)
    assert totp.confirmed
    assert totp.config_url in first_output
    assert totp.config_url.startswith("otpauth://totp/")
    backup = StaticDevice.objects.get(user=admin)
    assert backup.confirmed and backup.token_set.count() == 5
    printed = first_output.split("backup codes (each works once): ", 1)[1].split()[:5]
    # What is printed works; what is stored is only a digest of it.
    for token in backup.token_set.values_list("token", flat=True):
        assert token not in first_output
    from lms.accounts import second_factor

    assert second_factor.verify_code(admin, printed[0]).ok


def test_fellow_is_an_ordinary_account(first_output):
    fellow = get_user_model().objects.get(email=FELLOW_EMAIL)
    assert not fellow.is_staff and not fellow.is_superuser
    assert fellow.display_name and not fellow.display_name.isascii()
    assert not TOTPDevice.objects.filter(user=fellow).exists()


def printed_password(output: str, email: str) -> str:
    return output.split(email, 1)[1].split("password: ", 1)[1].split()[0]


def password_works(email: str, password: str) -> bool:
    return get_user_model().objects.get(email=email).check_password(password)


def test_printed_passwords_work_and_are_kept_on_rerun(first_output):
    password = printed_password(first_output, FELLOW_EMAIL)
    admin_password = printed_password(first_output, ADMIN_EMAIL)
    assert password_works(FELLOW_EMAIL, password)
    assert password_works(ADMIN_EMAIL, admin_password)
    admin = get_user_model().objects.get(email=ADMIN_EMAIL)
    key = TOTPDevice.objects.get(user=admin).key

    output = run_load_demo()

    assert "password: " not in output and "already exists" in output
    assert "otpauth://" not in output
    assert password_works(FELLOW_EMAIL, password)
    assert password_works(ADMIN_EMAIL, admin_password)
    assert TOTPDevice.objects.get(user=admin).key == key


def test_reset_passwords_replaces_passwords_and_devices(first_output):
    admin = get_user_model().objects.get(email=ADMIN_EMAIL)
    old_key = TOTPDevice.objects.get(user=admin).key

    output = run_load_demo("--reset-passwords")

    old_password = printed_password(first_output, FELLOW_EMAIL)
    new_password = printed_password(output, FELLOW_EMAIL)
    assert new_password != old_password
    assert password_works(FELLOW_EMAIL, new_password)
    assert not password_works(FELLOW_EMAIL, old_password)
    totp = TOTPDevice.objects.get(user=admin)
    assert totp.key != old_key and totp.config_url in output
    assert StaticDevice.objects.get(user=admin).token_set.count() == 5


def test_invalid_content_fails_loudly_and_writes_nothing(db, monkeypatch):
    from courses.demo import loader

    broken_module = COURSES[0].modules[0]
    question = broken_module.questions[0]
    assert question["type"] == "single_choice"
    bad_question = {
        "type": "single_choice",
        "value": {
            **question["value"],
            "choices": [
                {"text": c["text"], "is_correct": True} for c in question["value"]["choices"]
            ],
        },
    }
    bad_module = type(broken_module)(
        **{**broken_module.__dict__, "questions": [bad_question, *broken_module.questions[1:]]}
    )
    bad_course = type(COURSES[0])(
        **{**COURSES[0].__dict__, "modules": [bad_module, *COURSES[0].modules[1:]]}
    )
    monkeypatch.setattr(loader, "COURSES", [bad_course, *COURSES[1:]])
    pages_before = Page.objects.count()

    with pytest.raises(DemoContentError, match="quiz_questions"):
        run_load_demo()

    assert Page.objects.count() == pages_before
    assert not get_user_model().objects.exists()


def test_second_run_reads_a_bounded_number_of_times_and_writes_nothing(first_output):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        run_load_demo()
    # Unchanged pages are compared, not rewritten: about four reads per page (47 measured).
    assert len(queries) <= 80
    writes = [
        q["sql"]
        for q in queries
        if q["sql"].lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE"))
    ]
    assert writes == []


def gold_answer(key: dict, spec_value: dict):
    """What a fellow who knows the material would submit, in grading's answer shapes."""
    kind = key["type"]
    if kind in ("single_choice", "label_item"):
        return key["correct"][0]
    if kind == "preference_ranking":
        return {"choice": key["correct"][0], "rationale": "Correctness decides it here."}
    if kind == "multiple_select":
        return list(key["correct"])
    if kind == "true_false":
        return key["correct"]
    if key["match"] == "number":
        return str(spec_value["number"])
    return spec_value["accepted_answers"][-1].upper()  # case must not matter


def test_the_loaded_quizzes_grade_gold_answers_as_full_marks(first_output):
    from courses.grading import freeze_quiz, grade_attempt

    specs = {module.slug: module for _, module in all_modules()}
    # English pages only: the Chinese quiz has Chinese gold words (test_localisation.py).
    for page in ModulePage.objects.filter(slug__in=specs, locale__language_code="en"):
        pool = list(page.quiz_questions.raw_data)
        layout, keys = freeze_quiz(pool, shuffle_questions=False, shuffle_choices=False)
        assert len(layout) == len(specs[page.slug].questions)
        answers = {
            shown["id"]: gold_answer(keys[shown["id"]], question["value"])
            for shown, question in zip(layout, specs[page.slug].questions, strict=True)
        }
        grade = grade_attempt(layout, keys, answers, pass_mark_percent=page.pass_mark_percent)
        assert grade.percent == 100, page.slug
        assert not grade.review_sections()


def test_a_fellow_can_read_a_course_and_a_lesson(first_output, client):
    from courses.services import check_enrol

    fellow = get_user_model().objects.get(email=FELLOW_EMAIL)
    client.force_login(fellow)
    course = CoursePage.objects.get(
        slug="foundations-of-ai-data-labeling", locale__language_code="en"
    )
    response = client.get(course.url)
    assert response.status_code == 200
    assert "What AI trainers do" in response.content.decode()
    check_enrol(fellow, course)
    module = ModulePage.objects.child_of(course).order_by("path").first()
    response = client.get(module.url)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Two kinds of training work" in html
    assert 'id="two-kinds-of-work"' in html
