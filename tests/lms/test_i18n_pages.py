"""The site in Traditional Chinese: chosen by the browser or the header's switcher, on every
page a fellow and an employer open, with `<html lang>` and dates to match; English by
default and for every language the site does not offer; e-mails in the fellow's language
even when a worker sends them."""

from __future__ import annotations

import dataclasses
import re
from datetime import date

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import translation

from certificates.issuing import issuance
from courses import services
from lms.accounts.models import User
from tests.factories.certificates import BadgeDesignFactory
from tests.factories.courses import (
    CourseCompletionFactory,
    make_course,
    make_module,
    single_choice_pool,
)
from tests.support.badges import issue_badge_now, upload

pytestmark = pytest.mark.django_db

CHINESE = {"HTTP_ACCEPT_LANGUAGE": "zh-Hant"}
# What a browser set to Chinese (Taiwan) sends.
TAIWAN = {"HTTP_ACCEPT_LANGUAGE": "zh-TW,zh;q=0.9,en-US;q=0.8,en;q=0.7"}
FRENCH = {"HTTP_ACCEPT_LANGUAGE": "fr-FR,fr;q=0.9"}
CHINESE_DAY = re.compile(r"\d{4}年\d{1,2}月\d{1,2}日")


def html_lang(html: str) -> str:
    found = re.search(r"<html lang=\"([^\"]+)\" dir=\"(ltr|rtl)\"", html)
    assert found, html[:300]
    return found.group(1)


def page(client, url: str, **headers) -> str:
    response = client.get(url, **headers)
    assert response.status_code == 200, (url, response.status_code)
    return response.content.decode()


def assert_chinese(html: str, *phrases: str) -> None:
    assert html_lang(html) == "zh-hant"
    for phrase in phrases:
        assert phrase in html, phrase
    # The header and the switcher are Chinese too.
    assert "驗證徽章" in html and "切換語言" in html
    assert "Verify a badge" not in html


@pytest.fixture
def course(site_root):
    return make_course(site_root, title="Foundations", slug="foundations", estimated_minutes=90)


@pytest.fixture
def module(course):
    return make_module(course, title="Your role", slug="your-role", questions=single_choice_pool(2))


@pytest.fixture
def badge(fellow, course, django_capture_on_commit_callbacks):
    BadgeDesignFactory(course=course, validity_days=365)
    completion = CourseCompletionFactory(user=fellow, course=course)
    return issue_badge_now(completion, django_capture_on_commit_callbacks)


# --- a Chinese browser -------------------------------------------------------------


def test_home_and_sign_in_follow_the_browser_language(client, course):
    home = page(client, "/", **CHINESE)
    assert_chinese(home, "課程", "查看課程", "1 小時 30 分鐘")
    sign_in = page(client, reverse("accounts:login"), **TAIWAN)
    assert_chinese(sign_in, "忘記密碼？", "電子郵件地址")


def test_a_fellow_reads_the_dashboard_module_and_quiz_in_chinese(client, fellow, module):
    client.force_login(fellow)
    services.check_enrol(fellow, module.get_parent().specific)
    dashboard = page(client, reverse("courses:dashboard"), **CHINESE)
    assert_chinese(dashboard, "我的學習", "搜尋課程與單元", "個測驗")
    lesson = page(client, module.url, **CHINESE)
    assert_chinese(lesson, "測驗", "及格分數：", "開始測驗")
    started = client.post(reverse("courses:start_quiz", args=[module.pk]), **CHINESE)
    assert started.status_code == 302
    quiz = page(client, started.url, **CHINESE)
    assert_chinese(quiz, "第 1 題", "送出答案")
    # An unanswered question: the form's own error is Chinese as well.
    refused = client.post(started.url, {}, **CHINESE).content.decode()
    assert "請檢查您的答案" in refused and "請回答此題。" in refused


def test_a_locked_module_says_why_in_chinese(client, fellow, module):
    client.force_login(fellow)
    locked = client.get(module.url, **CHINESE)
    assert locked.status_code == 403
    html = locked.content.decode()
    assert_chinese(html, "尚未開放", "報名「Foundations」即可開啟其單元。")


def test_the_badge_page_and_its_dates_in_chinese(client, badge):
    html = page(client, f"/badges/{badge.public_id}/", **CHINESE)
    issued = date.fromisoformat(badge.snapshot["issued_on"])
    day = f"{issued.year}年{issued.month}月{issued.day}日"
    assert_chinese(html, "有效", "頒發對象", "核發日期", f"有效：此徽章於{day}頒發給Ada Lovelace")
    assert CHINESE_DAY.search(html)
    assert " December " not in html and "Valid" not in html


def test_the_verify_page_and_an_upload_verdict_in_chinese(client, badge):
    form = page(client, "/verify/", **CHINESE)
    assert_chinese(form, "徽章 PDF 或憑證 JSON")
    with badge.pdf.open("rb") as handle:
        genuine = handle.read()
    checked = upload(client, genuine[:-200] + b"%% edited" + genuine[-200:])
    assert checked.status_code == 200
    client.cookies.load({"django_language": "zh-hant"})
    verdict = upload(client, genuine)
    html = verdict.content.decode()
    assert_chinese(html, "有效", "驗證方式（技術細節）", "PDF 未遭竄改")


def test_the_json_verdict_stays_in_english_for_programs(client, badge):
    response = client.get(f"/badges/{badge.public_id}.json", **CHINESE)
    assert response.json()["label"] == "Valid"
    assert response["Content-Language"] == "en"


# --- the cached public page: one per language --------------------------------------


def test_each_language_gets_its_own_cached_badge_page_and_a_purge_drops_them_all(
    client, badge, django_capture_on_commit_callbacks
):
    url = f"/badges/{badge.public_id}/"
    for _round in range(2):  # the second round is served from the page cache
        english = client.get(url)
        chinese = client.get(url, **CHINESE)
        assert html_lang(english.content.decode()) == "en" and "Valid" in english.content.decode()
        assert html_lang(chinese.content.decode()) == "zh-hant"
        assert "有效" in chinese.content.decode()
        assert "Accept-Language" in chinese["Vary"]
        assert chinese["Content-Language"] == "zh-hant"
    with django_capture_on_commit_callbacks(execute=True):
        issuance.revoke_badge(badge, reason="Plagiarism")
    assert "已撤銷" in client.get(url, **CHINESE).content.decode()
    assert "Revoked" in client.get(url).content.decode()


# --- English by default, and for languages the site does not offer ----------------


def test_english_is_the_default(client, course):
    html = page(client, "/")
    assert html_lang(html) == "en"
    assert "Verify a badge" in html and "驗證徽章" not in html


def test_a_french_browser_gets_english_not_half_french(client, fellow):
    html = page(client, reverse("accounts:login"), **FRENCH)
    assert html_lang(html) == "en"
    refused = client.post(
        reverse("accounts:login"), {"username": fellow.email, "password": "wrong"}, **FRENCH
    )
    body = refused.content.decode()
    assert html_lang(body) == "en" and refused["Content-Language"] == "en"
    # Django's own message, which its French catalogue would otherwise translate.
    assert "Please enter a correct" in body
    assert "Saisissez" not in body


# --- the switcher -------------------------------------------------------------------


def test_the_switcher_works_without_javascript_and_is_remembered(client, course):
    home = page(client, "/")
    form = re.search(r'<form class="language-switcher" method="post" action="([^"]+)">', home)
    assert form and form.group(1) == "/i18n/setlang/"
    assert '<label for="language-switcher-select">Language</label>' in home
    assert '<option value="zh-hant" lang="zh-hant">繁體中文</option>' in home
    switched = client.post(form.group(1), {"language": "zh-hant", "next": "/"})
    assert switched.status_code == 302 and switched.url == "/"
    cookie = switched.cookies["django_language"]
    assert cookie.value == "zh-hant" and cookie["max-age"] >= 300 * 24 * 3600
    assert_chinese(page(client, "/"), "查看課程")


def test_a_signed_in_fellow_keeps_their_choice_on_their_account(client, fellow, course):
    client.force_login(fellow)
    client.post("/i18n/setlang/", {"language": "zh-hant", "next": "/"})
    fellow.refresh_from_db()
    assert fellow.language == "zh-hant"
    # On another browser, with no language cookie, their choice follows them.
    client.cookies.pop("django_language")
    assert_chinese(page(client, "/"), "查看課程")
    # A language the site does not offer is not stored.
    client.post("/i18n/setlang/", {"language": "fr", "next": "/"})
    fellow.refresh_from_db()
    assert fellow.language == "zh-hant"


def test_signing_up_in_chinese_records_the_language():
    from lms.accounts.signup import SignupClaim, complete_signup

    with translation.override("zh-hant"):
        user = complete_signup(
            SignupClaim("mei@example.org", ""), display_name="林美", password="x" * 20
        )
    assert User.objects.get(pk=user.pk).language == "zh-hant"


# --- e-mails in the fellow's language -----------------------------------------------


def test_the_badge_email_sent_by_the_worker_is_in_the_fellows_language(
    fellow, course, django_capture_on_commit_callbacks
):
    fellow.language = "zh-hant"
    fellow.save(update_fields=["language"])
    BadgeDesignFactory(course=course, validity_days=365)
    completion = CourseCompletionFactory(user=fellow, course=course)
    mail.outbox.clear()
    with translation.override("en"):  # whatever the worker's thread has active
        issue_badge_now(completion, django_capture_on_commit_callbacks)
    (message,) = mail.outbox
    assert message.subject.startswith("您的徽章已準備就緒：")
    assert "Ada Lovelace 您好：" in message.body
    assert "恭喜您完成「Foundations」" in message.body
    assert "Congratulations" not in message.body


def test_an_english_fellows_email_stays_english_whatever_the_thread_language(
    fellow, course, django_capture_on_commit_callbacks
):
    BadgeDesignFactory(course=course, validity_days=365)
    completion = CourseCompletionFactory(user=fellow, course=course)
    mail.outbox.clear()
    with translation.override("zh-hant"):
        issue_badge_now(completion, django_capture_on_commit_callbacks)
    (message,) = mail.outbox
    assert message.subject.startswith("Your badge is ready: ")
    assert "Congratulations" in message.body


def test_a_password_reset_is_written_in_the_account_holders_language(client, fellow):
    fellow.language = "zh-hant"
    fellow.save(update_fields=["language"])
    mail.outbox.clear()
    client.post(reverse("accounts:password_reset"), {"email": fellow.email})
    (message,) = mail.outbox
    assert message.subject == "重設您的 Credence 密碼"
    assert "有人申請重設您的 Credence 帳號" in message.body


def test_a_cross_site_post_cannot_change_the_language(client, fellow, course):
    """docs/threats.md, row A12: the switcher has no CSRF token (it is on cached public
    pages), so another site's form is refused by its Origin, and a signed-in fellow's
    stored language changes only with their own session."""
    client.force_login(fellow)
    forged = client.post(
        "/i18n/setlang/",
        {"language": "zh-hant", "next": "/"},
        HTTP_ORIGIN="https://evil.example",
    )
    assert forged.status_code == 403
    assert "django_language" not in forged.cookies
    fellow.refresh_from_db()
    assert fellow.language == ""
    own = client.post(
        "/i18n/setlang/", {"language": "zh-hant", "next": "/"}, HTTP_ORIGIN="http://testserver"
    )
    assert own.status_code == 302 and own.cookies["django_language"].value == "zh-hant"
    # Another site cannot send the fellow back anywhere but here either.
    away = client.post("/i18n/setlang/", {"language": "en", "next": "https://evil.example/"})
    assert away.status_code == 302 and away.url == "/"


def test_the_badge_page_served_before_the_session_middleware_has_a_working_switcher(badge):
    """The anonymous badge page is answered before CsrfViewMiddleware and cached: its
    switcher must work for a visitor with no cookie at all."""
    client = Client(enforce_csrf_checks=True)
    html = page(client, f"/badges/{badge.public_id}/")
    assert 'action="/i18n/setlang/"' in html and "csrfmiddlewaretoken" not in html
    switched = client.post(
        "/i18n/setlang/", {"language": "zh-hant", "next": f"/badges/{badge.public_id}/"}
    )
    assert switched.status_code == 302
    assert_chinese(page(client, switched.url), "頒發對象")


# --- the badge PDF's printed words ----------------------------------------------------


def test_the_pdf_labels_and_dates_follow_the_language_they_are_rendered_in():
    """The PDF is frozen at issue time in its snapshot's language: its printed labels go
    through the catalogue and its dates through that language's DATE_FORMAT."""
    from certificates.issuing.snapshot import BadgeSnapshot
    from certificates.rendering.pdf import badge_html

    snapshot = BadgeSnapshot(
        public_id="7f3c9a2e-4b1d-4c8e-9f20-5a6b7c8d9e01",
        recipient_name="林美",
        course_title="AI 倫理",
        badge_title="負責任的 AI 訓練師",
        issued_on=date(2026, 12, 7),
        expires_on=date(2028, 12, 7),
        issuer_name="Credence",
        verify_url="https://credence.example.org/badges/7f3c9a2e-4b1d-4c8e-9f20-5a6b7c8d9e01",
        language="zh-Hant",
    )
    with translation.override("zh-Hant"):
        chinese = badge_html(snapshot)
    for words in ("結業證書", "茲證明", "已完成課程", "核發日期", "有效期限", "驗證此徽章"):
        assert words in chinese, words
    assert "2026年12月7日" in chinese and "2028年12月7日" in chinese
    assert "Certificate of completion" not in chinese
    with translation.override("en"):
        english = badge_html(dataclasses.replace(snapshot, language="en"))
    assert "Certificate of completion" in english and "7 December 2026" in english


def test_verdict_sentences_are_composed_in_chinese_not_word_for_word(badge):
    """The verdict joins failed checks, names a revocation's reason and lists courses with
    Chinese punctuation, not English commas and semicolons."""
    from django.utils import timezone

    from certificates.public import verification as v
    from courses.gating import GateInputs, PageRef, course_access

    now = timezone.now()
    checks = [
        v.Check(v.SIGNATURE, False, "bad proof", now),
        v.Check(v.ISSUER_KEY, False, "unknown key", now),
    ]
    with translation.override("zh-hant"):
        forged = v.decide(badge, checks, now=now)
        assert forged.label == "無效"
        assert forged.summary == "無效：「簽章有效」未通過；「發證單位金鑰可識別且未外洩」未通過"
        unrun = v.decide(badge, [v.Check(v.SIGNATURE, None, "", now)], now=now)
        assert unrun.summary == "目前無法驗證：無法檢查簽章有效。"
        badge.state, badge.revoked_at, badge.revocation_reason = "revoked", now, "抄襲"
        revoked = v.in_plain_words(v.decide(badge, [], now=now))
        assert revoked.startswith("無效：") and "撤銷此徽章（抄襲）。此徽章原於" in revoked
        two = [PageRef(id=1, title="甲"), PageRef(id=2, title="乙")]
        inputs = GateInputs(
            course=PageRef(id=9, title="丙"),
            modules=(),
            prerequisites=tuple(two),
            completed_course_ids=frozenset(),
            passed_module_ids=frozenset(),
            is_enrolled=False,
            is_authenticated=True,
        )
        assert course_access(inputs).message == "完成「甲」、「乙」後，即可開始此課程。"


def test_the_404_page_is_one_page_whatever_the_address_and_its_switcher_returns_by_referer(
    client, db
):
    first = client.get("/no/such/page/", **CHINESE)
    second = client.get("/another/missing/page/", **CHINESE)
    assert first.status_code == second.status_code == 404
    assert first.content == second.content  # no path of the asker in it
    assert_chinese(first.content.decode(), "找不到這個網頁")
    back = client.post(
        "/i18n/setlang/", {"language": "en"}, HTTP_REFERER="http://testserver/no/such/page/"
    )
    assert back.status_code == 302 and back.url == "http://testserver/no/such/page/"
