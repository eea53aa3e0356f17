"""Learning search: hostile queries never 500, and locked lesson text is no oracle (G10)."""

import pytest
from django.urls import reverse
from django.utils import timezone

from courses import search, services
from tests.factories.courses import make_course, make_module, single_choice_pool
from tests.support.courses import right_answers

LOCKED_BODY_WORD = "quokkadiplomacy"
LOCKED_TITLE_WORD = "Heliotrope"
LOCKED_SUMMARY_WORD = "marzipanfolding"


def lesson(text):
    return [{"type": "paragraph", "value": f"<p>{text}</p>"}]


@pytest.fixture
def gated_course(site_root):
    """A course whose second module stays locked until the first one's quiz is passed;
    only the locked module's body holds LOCKED_BODY_WORD."""
    course = make_course(site_root, title="Annotation basics")
    first = make_module(
        course,
        title="Getting started",
        body=lesson("Open to every enrolled fellow."),
        questions=single_choice_pool(2),
    )
    locked = make_module(
        course,
        title=f"{LOCKED_TITLE_WORD} ranking",
        summary=f"How {LOCKED_SUMMARY_WORD} works.",
        body=lesson(f"The secret is {LOCKED_BODY_WORD} applied twice."),
        questions=single_choice_pool(2),
    )
    return course, first, locked


def results(client, query):
    response = client.get(reverse("courses:search"), {"q": query})
    assert response.status_code == 200, response.content[:300]
    return response.content.decode()


def pass_quiz(user, module):
    attempt = services.start_attempt(user, module)
    services.submit_attempt(attempt, right_answers(attempt), now=timezone.now())


# --- Hostile queries ----------------------------------------------------------------------


def test_clean_query_turns_control_characters_into_spaces_and_bounds_length():
    assert search.clean_query("a\x00b") == "a b"
    assert search.clean_query("\x00\x01\x1f\x7f\x85") == ""
    assert search.clean_query("  pairwise\t\r\nranking  ") == "pairwise ranking"
    assert len(search.clean_query("x" * 100_000)) == search.MAX_QUERY_LENGTH
    assert search.clean_query('"pairwise ranking"') == "pairwise ranking"
    assert search.clean_query("naïve “quotes” 数据") == "naïve “quotes” 数据"


HOSTILE_QUERIES = [
    "\x00",
    "lesson\x00text",
    "%00",
    "\x1b[31m\x07\x08",
    "\r\n\t",
    "\ufffe\uffff",
    "\U0010ffff",
    '"',
    'a"b',
    '"a" "',
    "'",
    "\\",
    "*",
    "(",
    "a AND (b OR",
    "NEAR(a b)",
    "-x",
    "title:x",
    "^x",
    "!@#$%^&*()_+{}|:<>?",
    "x" * 5000,
    "word " * 300,
]


@pytest.mark.parametrize("query", HOSTILE_QUERIES, ids=range(len(HOSTILE_QUERIES)))
def test_hostile_queries_answer_200_not_500(client, gated_course, query):
    """Anonymous, as the probe was; on PostgreSQL a NUL used to be a 500."""
    response = client.get(reverse("courses:search"), {"q": query, "page": "x\x00"})
    assert response.status_code == 200
    assert "\x00" not in response.content.decode()


def test_a_nul_in_the_query_is_searched_as_a_space(client, fellow, gated_course):
    client.force_login(fellow)
    html = results(client, f"{LOCKED_TITLE_WORD}\x00ranking")
    assert f"{LOCKED_TITLE_WORD} ranking" in html and "Locked" in html


# --- Locked lesson text is not an oracle --------------------------------------------------


def test_a_phrase_only_in_a_locked_lesson_finds_nothing_until_it_opens(
    client, fellow, gated_course
):
    course, first, locked = gated_course
    services.check_enrol(fellow, course)
    client.force_login(fellow)
    html = results(client, LOCKED_BODY_WORD)
    assert locked.title not in html and "No results" in html

    pass_quiz(fellow, first)
    html = results(client, LOCKED_BODY_WORD)
    assert locked.title in html and locked.url in html and "Locked" not in html


def test_anonymous_and_unenrolled_searchers_do_not_find_locked_lesson_text(
    client, fellow, gated_course
):
    html = results(client, LOCKED_BODY_WORD)
    assert gated_course[2].title not in html and "No results" in html
    client.force_login(fellow)  # not enrolled: every module is locked for them
    html = results(client, f"secret {LOCKED_BODY_WORD}")
    assert gated_course[2].title not in html and "No results" in html


@pytest.mark.parametrize("query", [LOCKED_TITLE_WORD.lower(), LOCKED_SUMMARY_WORD])
def test_a_locked_module_is_still_found_by_its_title_or_summary(
    client, fellow, gated_course, query
):
    course, _, locked = gated_course
    services.check_enrol(fellow, course)
    client.force_login(fellow)
    html = results(client, query)
    assert locked.title in html and "Locked" in html
    # Shown as locked: no link into it and nothing of what it says.
    assert locked.url not in html and LOCKED_SUMMARY_WORD not in html.replace(
        f"q={query}", ""
    ).replace(f'value="{query}"', "").replace(f"“{query}”", "")
    assert LOCKED_BODY_WORD not in html


def test_open_modules_are_found_by_their_lesson_text(client, fellow, gated_course):
    course, first, _ = gated_course
    services.check_enrol(fellow, course)
    client.force_login(fellow)
    html = results(client, "every enrolled fellow")
    assert first.title in html and first.url in html


def test_a_verified_editor_finds_the_lesson_text_of_modules_they_edit(
    verified_staff_client, gated_course
):
    locked = gated_course[2]
    html = results(verified_staff_client, LOCKED_BODY_WORD)
    assert locked.title in html and locked.url in html and "Locked" not in html


def test_search_costs_a_bounded_number_of_queries(
    client, fellow, gated_course, site_root, django_assert_max_num_queries
):
    """More courses and modules do not mean more queries (the gate loads in five)."""
    services.check_enrol(fellow, gated_course[0])
    for n in range(4):
        extra = make_course(site_root, title=f"Extra {n}")
        for m in range(3):
            make_module(extra, title=f"{LOCKED_TITLE_WORD} extra {n}.{m}")
    client.force_login(fellow)
    with django_assert_max_num_queries(20):
        html = results(client, LOCKED_TITLE_WORD)
    assert html.count("Locked") == 13
