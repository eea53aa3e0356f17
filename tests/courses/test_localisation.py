"""Course content in Traditional Chinese: Wagtail's translated page trees, one record of
progress across languages, and the addresses and language a fellow reads in."""

import pytest
from django.conf import settings
from django.urls import reverse
from wagtail.models import Locale, Page

from courses import grading, services, translations
from courses.models import CourseCompletion, Enrolment, ModulePage, ModulePass, QuizAttempt
from tests.factories.courses import (
    make_course,
    make_module,
    short_text,
    single_choice,
    single_choice_pool,
    true_false,
)
from tests.support.courses import ZH, right_answers, translate, wrong_answers, zh_locale

pytestmark = pytest.mark.django_db


def alias(page):
    return page.specific.copy_for_translation(zh_locale(), alias=True).specific


def chinese_pool(source_pool: list[dict], **changes) -> list[dict]:
    """The source's questions reworded in Chinese, keeping each block's id and key."""
    out = []
    for n, block in enumerate(source_pool):
        value = dict(block["value"])
        value["prompt"] = f"<p>第 {n + 1} 題</p>"
        value["choices"] = [
            {**choice, "text": f"選項 {i + 1}"} for i, choice in enumerate(value["choices"])
        ]
        out.append({**block, "value": {**value, **changes}})
    return out


@pytest.fixture
def bilingual(site_root):
    """A two-module course whose catalogue, course and first module are translated; the
    second module is an alias in the Chinese tree, as the synchronised trees leave it."""
    course = make_course(site_root, title="Labeling")
    first = make_module(course, title="Module one", questions=single_choice_pool(3))
    second = make_module(course, title="Module two", questions=single_choice_pool(3))
    zh_index = translate(site_root, title="課程")
    zh_course = translate(course, title="標註")
    zh_first = translate(
        first, title="第一單元", quiz_questions=chinese_pool(first.quiz_questions.raw_data)
    )
    zh_second = alias(second)
    return {
        "index": site_root,
        "course": course,
        "first": first,
        "second": second,
        "zh_index": zh_index,
        "zh_course": zh_course,
        "zh_first": zh_first,
        "zh_second": zh_second,
    }


def pass_quiz(user, page):
    attempt = services.start_attempt(user, page)
    return services.submit_attempt(attempt, right_answers(attempt)).attempt


# --- Settings, locales, addresses ----------------------------------------------------------


def test_the_content_languages_are_the_site_languages_and_the_migration_made_their_locales():
    assert settings.WAGTAIL_I18N_ENABLED
    assert settings.WAGTAIL_CONTENT_LANGUAGES == settings.LANGUAGES
    assert settings.LANGUAGES == [("en", "English"), ("zh-hant", "繁體中文")]
    assert set(Locale.objects.values_list("language_code", flat=True)) == {"en", ZH}


def test_english_pages_keep_their_addresses_and_translations_live_under_zh_hant(bilingual, client):
    assert bilingual["course"].url == f"/{bilingual['course'].slug}/"
    assert bilingual["zh_course"].url == f"/zh-hant/{bilingual['course'].slug}/"
    assert bilingual["zh_index"].url == "/zh-hant/"
    english = client.get(bilingual["course"].url)
    chinese = client.get(bilingual["zh_course"].url)
    assert english.status_code == chinese.status_code == 200
    assert '<html lang="en" dir="ltr">' in english.text and "<h1>Labeling</h1>" in english.text
    assert '<html lang="zh-hant" dir="ltr">' in chinese.text and "<h1>標註</h1>" in chinese.text


def test_addresses_that_are_not_pages_stay_where_they_were_and_follow_the_visitor(client):
    assert reverse("courses:dashboard") == "/learning/"
    assert reverse("accounts:login").startswith("/accounts/")
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = ZH
    assert client.get(reverse("accounts:login"))["Content-Language"] == ZH
    del client.cookies[settings.LANGUAGE_COOKIE_NAME]
    response = client.get(reverse("accounts:login"), HTTP_ACCEPT_LANGUAGE="zh-TW,zh;q=0.9")
    assert response["Content-Language"] == ZH
    assert client.get(reverse("accounts:login"))["Content-Language"] == "en"


def test_set_language_with_next_lands_on_the_translated_page_and_back(bilingual, client, fellow):
    client.force_login(fellow)
    services.check_enrol(fellow, bilingual["course"])
    to_chinese = client.post(
        "/i18n/setlang/", {"language": ZH, "next": bilingual["first"].url}, follow=True
    )
    assert to_chinese.redirect_chain[-1][0] == bilingual["zh_first"].url
    assert to_chinese.status_code == 200 and "<h1>第一單元</h1>" in to_chinese.text
    to_english = client.post(
        "/i18n/setlang/", {"language": "en", "next": bilingual["zh_first"].url}, follow=True
    )
    assert to_english.redirect_chain[-1][0] == bilingual["first"].url
    assert "<h1>Module one</h1>" in to_english.text


def test_a_visitor_is_sent_to_the_version_in_their_language_where_there_is_one(bilingual, client):
    course, zh_course = bilingual["course"], bilingual["zh_course"]
    # The browser's language picks the version at an English (unprefixed) address...
    response = client.get(course.url, HTTP_ACCEPT_LANGUAGE="zh-TW")
    assert response.status_code == 302 and response["Location"] == zh_course.url
    # ...but an address with a language prefix is served as asked, unless the visitor chose.
    assert client.get(zh_course.url, HTTP_ACCEPT_LANGUAGE="en").status_code == 200
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    assert client.get(zh_course.url)["Location"] == course.url
    # A page with no version in the language wanted is served as it is.
    untranslated = make_course(bilingual["index"], title="English only")
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = ZH
    assert client.get(untranslated.url).status_code == 200


# --- One record across languages -------------------------------------------------------------


def test_a_pass_in_english_opens_the_next_module_in_chinese(bilingual, client, fellow):
    services.check_enrol(fellow, bilingual["course"])
    client.force_login(fellow)
    assert client.get(bilingual["zh_second"].url).status_code == 403
    pass_quiz(fellow, bilingual["first"])
    assert client.get(bilingual["zh_second"].url).status_code == 200


def test_a_pass_in_chinese_opens_the_next_module_in_english_and_is_kept_on_the_source(
    bilingual, client, fellow
):
    client.force_login(fellow)
    enrol = client.post(reverse("courses:enrol", args=[bilingual["zh_course"].pk]))
    assert enrol.status_code == 302 and enrol["Location"] == bilingual["zh_course"].url
    assert client.get(bilingual["second"].url).status_code == 403
    start = client.post(reverse("courses:start_quiz", args=[bilingual["zh_first"].pk]))
    attempt = QuizAttempt.objects.get(user=fellow)
    assert start["Location"] == reverse("courses:attempt", args=[attempt.public_id])
    quiz_page = client.get(start["Location"])
    assert "第 1 題" in quiz_page.text and "選項" in quiz_page.text
    submit = client.post(start["Location"], right_answers(attempt))
    assert submit.status_code == 303
    attempt.refresh_from_db()
    assert attempt.passed and attempt.module_id == bilingual["first"].pk
    assert attempt.language == ZH
    assert ModulePass.objects.get(user=fellow).module_id == bilingual["first"].pk
    assert client.get(bilingual["second"].url).status_code == 200
    assert list(Enrolment.objects.filter(user=fellow).values_list("course_id", flat=True)) == [
        bilingual["course"].pk
    ]
    # Enrolling again from the English page finds the same enrolment.
    client.post(reverse("courses:enrol", args=[bilingual["course"].pk]))
    assert Enrolment.objects.filter(user=fellow).count() == 1


def test_a_translated_module_is_locked_exactly_like_its_source(bilingual, client, fellow):
    client.force_login(fellow)
    # Not enrolled: both languages say so, the Chinese page offering the Chinese course.
    for page in (bilingual["second"], bilingual["zh_second"]):
        assert client.get(page.url).status_code == 403
    services.check_enrol(fellow, bilingual["course"])
    english, chinese = (client.get(bilingual[k].url) for k in ("second", "zh_second"))
    assert english.status_code == chinese.status_code == 403
    assert english.context["decision"].reason == chinese.context["decision"].reason
    # The way forward is the first module, in the language being read.
    assert chinese.context["decision"].next_step_url == bilingual["zh_first"].url
    assert english.context["decision"].next_step_url == bilingual["first"].url
    # Quiz starts are refused the same way on the translated page.
    refused = client.post(reverse("courses:start_quiz", args=[bilingual["zh_second"].pk]))
    assert refused.status_code == 403 and not QuizAttempt.objects.exists()


def test_attempts_and_limits_are_shared_between_languages(bilingual, fellow):
    first = bilingual["first"]
    ModulePage.objects.filter(pk=first.pk).update(max_attempts=2)
    services.check_enrol(fellow, bilingual["course"])
    first.refresh_from_db()
    for page in (first, bilingual["zh_first"]):
        attempt = services.start_attempt(fellow, page)
        services.submit_attempt(attempt, wrong_answers(attempt))
    state = services.quiz_state(fellow, bilingual["zh_first"])
    assert state.attempts_used == 2 and state.is_stuck
    with pytest.raises(services.QuizUnavailable):
        services.start_attempt(fellow, bilingual["first"])


def test_completing_in_chinese_records_one_completion_on_the_source_course_in_chinese(
    bilingual, fellow
):
    from certificates.models import Badge
    from tests.factories.certificates import make_badge_design

    make_badge_design(bilingual["course"])
    services.check_enrol(fellow, bilingual["zh_course"])
    pass_quiz(fellow, bilingual["first"])
    last = pass_quiz(fellow, bilingual["zh_second"])
    assert last.module_id == bilingual["second"].pk and last.language == ZH
    completion = CourseCompletion.objects.get(user=fellow)
    assert completion.course_id == bilingual["course"].pk
    assert services.badge_language(completion) == ZH
    # One badge, on the English course, worded in the language the course was taken in.
    badge = Badge.objects.get(recipient=fellow)
    assert badge.course_id == bilingual["course"].pk and badge.snapshot["language"] == ZH
    assert [s["module_id"] for s in completion.module_scores] == [
        bilingual["first"].pk,
        bilingual["second"].pk,
    ]


def test_a_completion_in_english_asks_for_the_courses_own_language(bilingual, fellow):
    services.check_enrol(fellow, bilingual["course"])
    for page in (bilingual["first"], bilingual["second"]):
        pass_quiz(fellow, page)
    completion = CourseCompletion.objects.get(user=fellow)
    assert completion.language == "en"
    assert services.badge_language(CourseCompletion(language="")) is None


# --- Which questions a translated quiz asks ---------------------------------------------------


def test_a_translated_quiz_with_the_sources_structure_is_asked_and_graded_in_chinese(
    bilingual, fellow
):
    services.check_enrol(fellow, bilingual["course"])
    attempt = services.start_attempt(fellow, bilingual["zh_first"])
    assert [q["prompt"] for q in attempt.layout] == [
        "<p>第 1 題</p>",
        "<p>第 2 題</p>",
        "<p>第 3 題</p>",
    ]
    block_ids = [b["id"] for b in bilingual["first"].quiz_questions.raw_data]
    assert [attempt.answer_key[q["id"]]["block_id"] for q in attempt.layout] == block_ids
    assert services.submit_attempt(attempt, right_answers(attempt)).attempt.passed


@pytest.mark.parametrize(
    "tamper",
    [
        pytest.param(lambda pool: pool[:-1], id="a question dropped"),
        pytest.param(lambda pool: [pool[1], pool[0], pool[2]], id="questions reordered"),
        pytest.param(
            lambda pool: [
                {
                    **pool[0],
                    "value": {
                        **pool[0]["value"],
                        "choices": [
                            {**c, "is_correct": not c["is_correct"]}
                            for c in pool[0]["value"]["choices"]
                        ],
                    },
                },
                *pool[1:],
            ],
            id="a right answer moved",
        ),
    ],
)
def test_a_translated_quiz_that_differs_from_its_source_asks_the_sources_questions(
    bilingual, fellow, tamper
):
    zh_first = bilingual["zh_first"]
    zh_first.quiz_questions = tamper(zh_first.quiz_questions.raw_data)
    zh_first.save_revision().publish()
    services.check_enrol(fellow, bilingual["course"])
    attempt = services.start_attempt(fellow, ModulePage.objects.get(pk=zh_first.pk))
    assert [q["prompt"] for q in attempt.layout] == [
        "<p>Question 1</p>",
        "<p>Question 2</p>",
        "<p>Question 3</p>",
    ]
    assert attempt.module_id == bilingual["first"].pk


def test_the_structure_ignores_wording_and_accepted_words_but_not_keys():
    english = [
        single_choice(choices=(("Right", True), ("Wrong", False))),
        true_false(correct=True),
        short_text(accepted=("SFT",)),
    ]
    chinese = [
        {**english[0], "value": {**english[0]["value"], "prompt": "<p>哪個對？</p>"}},
        {**english[1], "value": {**english[1]["value"], "prompt": "<p>天空是藍的。</p>"}},
        {**english[2], "value": {**english[2]["value"], "accepted_answers": ["監督式微調"]}},
    ]
    assert grading.pool_structure(chinese) == grading.pool_structure(english)
    flipped = {**chinese[1], "value": {**chinese[1]["value"], "correct_answer": False}}
    assert grading.pool_structure([chinese[0], flipped, chinese[2]]) != grading.pool_structure(
        english
    )


# --- Editing in one language ----------------------------------------------------------------


def test_a_cosmetic_edit_in_one_language_leaves_the_other_alone(bilingual):
    zh_first = bilingual["zh_first"]
    zh_first.summary = "新的摘要"
    zh_first.save_revision().publish()
    assert ModulePage.objects.get(pk=bilingual["first"].pk).summary != "新的摘要"
    first = ModulePage.objects.get(pk=bilingual["first"].pk)
    first.title = "Module one, revised"
    first.save_revision().publish()
    assert ModulePage.objects.get(pk=zh_first.pk).title == "第一單元"


def test_an_untranslated_module_shows_the_english_with_a_note_and_its_language(
    bilingual, client, fellow
):
    services.check_enrol(fellow, bilingual["course"])
    pass_quiz(fellow, bilingual["first"])
    client.force_login(fellow)
    # An alias follows its English page when that is published again.
    second = ModulePage.objects.get(pk=bilingual["second"].pk)
    second.summary = "Revised summary"
    second.save_revision().publish()
    page = client.get(bilingual["zh_second"].url)
    assert page.status_code == 200
    assert "本頁尚未翻譯成你的語言，因此以英文顯示。" in page.text
    assert '<article class="lesson" lang="en">' in page.text and "Revised summary" in page.text
    translated = client.get(bilingual["zh_first"].url)
    assert "尚未翻譯" not in translated.text and '<article class="lesson">' in translated.text


# --- What lists show ------------------------------------------------------------------------


def test_catalogue_dashboard_and_search_show_the_fellows_language(bilingual, client, fellow):
    services.check_enrol(fellow, bilingual["course"])
    client.force_login(fellow)
    catalogue = client.get(bilingual["zh_index"].url)
    assert "標註" in catalogue.text and ">Labeling<" not in catalogue.text
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = ZH
    dashboard = client.get(reverse("courses:dashboard"))
    assert f'href="{bilingual["zh_course"].url}">標註</a>' in dashboard.text
    assert f'href="{bilingual["zh_first"].url}">' in dashboard.text
    hits = client.get(reverse("courses:search"), {"q": "Module"}).context["results"]
    # Only the Chinese tree's versions (the summaries are still the English ones).
    assert {(h.kind, h.url) for h in hits} == {
        ("module", bilingual["zh_first"].url),
        ("module", bilingual["zh_second"].url),
    }
    hits = client.get(reverse("courses:search"), {"q": "標註"}).context["results"]
    assert [(h.kind, h.url) for h in hits] == [("course", bilingual["zh_course"].url)]
    del client.cookies[settings.LANGUAGE_COOKIE_NAME]
    hits = client.get(reverse("courses:search"), {"q": "Module"}).context["results"]
    assert {h.url for h in hits} == {bilingual["first"].url, bilingual["second"].url}


# --- Authors translate in the admin ----------------------------------------------------------


def test_an_author_translates_a_course_in_the_admin_and_new_pages_reach_every_tree(
    site_root, verified_staff_client
):
    course = make_course(site_root, title="Labeling")
    make_module(course, title="Module one")
    translate(site_root, title="課程")
    form = verified_staff_client.get(
        reverse("simple_translation:submit_page_translation", args=[course.pk])
    )
    assert form.status_code == 200
    response = verified_staff_client.post(
        reverse("simple_translation:submit_page_translation", args=[course.pk]),
        {"locales": [zh_locale().pk], "include_subtree": "on"},
    )
    zh_course = course.get_translation(zh_locale())
    assert response.status_code == 302
    assert response["Location"] == reverse("wagtailadmin_pages:edit", args=[zh_course.pk])
    assert [p.title for p in zh_course.get_children()] == ["Module one"]
    # An author adds a module in English: the Chinese tree gets it too, as an alias.
    add = verified_staff_client.post(
        reverse("wagtailadmin_pages:add", args=["courses", "modulepage", course.pk]),
        {
            "title": "Module two",
            "slug": "module-two",
            "summary": "",
            "estimated_minutes": 20,
            "body-count": 0,
            "quiz_questions-count": 0,
            "pass_mark_percent": 80,
            "cooldown_minutes": 0,
            "answer_reveal": "after_passing",
            "action-publish": "publish",
        },
    )
    assert add.status_code == 302, add.context["form"].errors if add.context else add
    english = ModulePage.objects.get(slug="module-two", locale__language_code="en")
    mirrored = english.get_translation(zh_locale())
    assert mirrored.alias_of_id == english.pk and mirrored.get_parent().pk == zh_course.pk
    assert mirrored.live
    # To translate it, the author turns the alias into a page of its own and edits it:
    # still the same module for progress, now independent of the English text.
    converted = verified_staff_client.post(
        reverse("wagtailadmin_pages:convert_alias", args=[mirrored.pk])
    )
    assert converted.status_code == 302
    translated = ModulePage.objects.get(pk=mirrored.pk)
    assert translated.alias_of_id is None
    assert translations.source_page(translated).pk == english.pk
    english.title = "Module two, revised"
    english.save_revision().publish()
    assert ModulePage.objects.get(pk=mirrored.pk).title == "Module two"


# --- Cost ----------------------------------------------------------------------------------


def test_the_module_page_costs_the_same_queries_however_many_modules_are_translated(
    site_root, fellow, client, django_user_model
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    translate(site_root, title="課程")

    def measure(modules: int, email: str) -> tuple[int, int]:
        user = django_user_model.objects.create_user(email=email, password=None)
        course = make_course(site_root)
        built = [make_module(course) for _ in range(modules)]
        zh_course = translate(course)
        zh = [translate(m) for m in built]
        services.check_enrol(user, course)
        client.force_login(user)
        counts = []
        for page in (built[0], zh[0]):
            client.get(page.url)  # warm per-process caches (site root paths)
            with CaptureQueriesContext(connection) as ctx:
                assert client.get(page.url).status_code == 200
            counts.append(len(ctx.captured_queries))
        assert zh_course.pk
        return tuple(counts)

    small, large = measure(2, "small@example.org"), measure(12, "large@example.org")
    assert small == large, (small, large)
    english, chinese = small
    # The Chinese page maps itself to its source and names the modules in Chinese.
    assert chinese <= english + 4, (english, chinese)


# --- The demo --------------------------------------------------------------------------------


def post_right_answers(attempt) -> dict:
    data = {}
    for q in attempt.layout:
        key = attempt.answer_key[q["id"]]
        if q["type"] in ("single_choice", "label_item"):
            data[q["id"]] = key["correct"][0]
        elif q["type"] == "multiple_select":
            data[q["id"]] = key["correct"]
        elif q["type"] == "true_false":
            data[q["id"]] = "true" if key["correct"] else "false"
        elif q["type"] == "preference_ranking":
            data[q["id"]] = key["correct"][0]
            data[f"{q['id']}-rationale"] = "回覆 A 說明了二進位表示的誤差，並給出正確的比較方法。"
        elif key.get("match") == "number":
            data[q["id"]] = str(key["number"])
        else:
            data[q["id"]] = key["accepted"][0]
    return data


def test_a_fellow_takes_the_first_foundations_module_in_chinese_after_load_demo(client):
    from courses.demo.loader import FELLOW_EMAIL, load_demo
    from courses.models import CoursePage

    load_demo()
    assert load_demo().pages.created == []  # the translations are idempotent too
    from django.contrib.auth import get_user_model

    fellow = get_user_model().objects.get(email=FELLOW_EMAIL)
    course = CoursePage.objects.get(
        slug="foundations-of-ai-data-labeling", locale__language_code="en"
    )
    zh_course = course.get_translation(zh_locale()).specific
    english_modules = list(ModulePage.objects.child_of(course).order_by("path"))
    zh_modules = list(ModulePage.objects.child_of(zh_course).order_by("path"))
    assert [m.translation_key for m in zh_modules] == [m.translation_key for m in english_modules]
    zh_first = zh_modules[0]
    assert zh_first.alias_of_id is None and all(m.alias_of_id for m in zh_modules[1:])
    assert zh_course.title == "AI 資料標註基礎" and zh_first.title == "AI 訓練師的工作"
    source_pool = english_modules[0].quiz_questions.raw_data
    assert grading.pool_structure(zh_first.quiz_questions.raw_data) == grading.pool_structure(
        source_pool
    )
    assert {b["type"] for b in zh_first.quiz_questions.raw_data} == {b["type"] for b in source_pool}
    anchors = {b["value"]["anchor"] for b in zh_first.body.raw_data if b["type"] == "heading"}
    assert {b["value"]["review_section"] for b in zh_first.quiz_questions.raw_data} <= anchors

    client.force_login(fellow)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = ZH
    home = client.get("/", follow=True)
    assert home.redirect_chain[-1][0] == "/zh-hant/" and "AI 資料標註基礎" in home.text
    assert client.post(reverse("courses:enrol", args=[zh_course.pk])).status_code == 302
    module_page = client.get(zh_first.url)
    assert module_page.status_code == 200 and "兩類訓練工作" in module_page.text
    start = client.post(reverse("courses:start_quiz", args=[zh_first.pk]))
    attempt = QuizAttempt.objects.get(user=fellow)
    assert all("<p>" in q["prompt"] for q in attempt.layout)
    assert any("訓練" in q["prompt"] for q in attempt.layout)
    result = client.post(start["Location"], post_right_answers(attempt), follow=True)
    assert result.status_code == 200
    attempt.refresh_from_db()
    assert attempt.passed and attempt.module_id == english_modules[0].pk
    # "Next" leads to the second module in the Chinese tree: English, with a note.
    next_url = result.context["next_module"].url
    assert next_url == zh_modules[1].url
    second = client.get(next_url)
    assert second.status_code == 200 and "本頁尚未翻譯" in second.text
    assert (
        Page.objects.filter(locale__language_code=ZH).count()
        == Page.objects.filter(locale__language_code="en", depth__gte=2).count()
    )


def test_source_page_of_an_english_page_costs_nothing(bilingual, django_assert_num_queries):
    first = ModulePage.objects.get(pk=bilingual["first"].pk)
    translations.default_locale_id()
    with django_assert_num_queries(0):
        assert translations.source_page(first) is first
    zh = ModulePage.objects.get(pk=bilingual["zh_first"].pk)
    with django_assert_num_queries(1):
        assert translations.source_page(zh).pk == first.pk
    with django_assert_num_queries(0):
        translations.source_page(zh)
