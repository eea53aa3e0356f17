"""Learning search: courses and modules matching a query, never lesson text one may not read.

Lesson bodies are in the full-text index, but the full-text query runs only among the
modules the searcher may open (`courses.gating` decides, as for the page itself). A
module the searcher may not open matches by its title and summary only, with a plain
word match over those two columns: the index keeps the summary and the body in one
column, so asking the index would answer for the body too (docs/threats.md, row G10).

Access is decided on the source (default-locale) pages, where progress is kept; what is
searched and shown are their versions in the searcher's language (`courses.translations`).
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from functools import reduce
from operator import and_

from django.db.models import Q

from courses import gating, translations

# The form's input says maxlength=200; a longer query comes from a hand-made URL.
MAX_QUERY_LENGTH = 200
# Hits per kind (courses, readable modules, locked modules): a query's cost stays bounded.
SEARCH_LIMIT = 100


@dataclass(frozen=True)
class SearchHit:
    kind: str  # "course" or "module"
    title: str
    url: str
    summary: str  # empty for a locked module: its title and "locked" are all it shows
    locked: bool
    course_title: str = ""


def clean_query(raw: str) -> str:
    """The query as it is searched: words separated by single spaces, at most
    MAX_QUERY_LENGTH characters.

    Control characters (NUL, which PostgreSQL refuses in text; tabs, newlines) become
    spaces. So do double quotes: the search matches words, where a quote means nothing,
    and the SQLite backend puts each word in FTS5 quotes without escaping one inside
    (an unterminated string, a 500)."""
    # Cut first so a huge query costs no more than a long one.
    text = raw[: MAX_QUERY_LENGTH * 2]
    text = "".join(" " if ch == '"' or unicodedata.category(ch) == "Cc" else ch for ch in text)
    return " ".join(text.split())[:MAX_QUERY_LENGTH].strip()


def search_learning(user, query: str, *, request=None) -> list[SearchHit]:
    """Courses, then modules `user` may open (lesson text searched), then modules they may
    not (title and summary only, shown as locked). `query` is a `clean_query` result.
    The number of queries does not grow with the hits."""
    from courses.models import CoursePage

    if not query:
        return []
    language = translations.content_language()
    courses = list(translations.default_locale_pages(CoursePage.objects.live()).order_by("path"))
    in_language = CoursePage.objects.live().filter(locale=translations.locale_for(language))
    hits = [
        SearchHit("course", c.title, c.get_url(request) or "", c.summary, False)
        for c in in_language.search(query)[:SEARCH_LIMIT]
    ]
    readable, locked, course_of = _modules_by_access(user, courses, request)
    # -- Translations: search the versions in the searcher's language of the modules the
    # gate sorted (its ids are the sources'), and name their courses in that language.
    readable, locked, course_of = _in_language(readable, locked, course_of, language)
    for module in _full_text_matches(query, readable):
        course = course_of[module.pk]
        hits.append(
            SearchHit(
                "module",
                module.title,
                module.get_url(request) or "",
                module.summary,
                False,
                course.title,
            )
        )
    for module in _title_or_summary_matches(query, locked):
        hits.append(
            SearchHit(
                "module",
                module.title,
                module.get_url(request) or "",
                "",
                True,
                course_of[module.pk].title,
            )
        )
    return hits


def _modules_by_access(user, courses, request):
    """(ids the user may open, ids they may not, module id → course), from the gate."""
    # Editors read what they edit; is_editor_of is the gate's own test (a fellow is never
    # staff, so this costs no query for fellows).
    editor_ids = frozenset(c.pk for c in courses if gating.is_editor_of(user, c))
    inputs = gating.load_gate_inputs_many(
        user, courses, request=request, editor_course_ids=editor_ids
    )
    readable: list[int] = []
    locked: list[int] = []
    course_of = {}
    for course in courses:
        course_inputs = inputs[course.pk]
        for module in course_inputs.modules:
            course_of[module.id] = course
            allowed = gating.module_access(course_inputs, module.id).allowed
            (readable if allowed else locked).append(module.id)
    return readable, locked, course_of


def _in_language(readable, locked, course_of, language):
    """The ids sorted by the gate (source modules) swapped for the ids of their live
    versions in `language`, and module id → course as shown in it. Two queries, none
    in the default language."""
    from courses.models import ModulePage

    if language == translations.default_language() or not course_of:
        return readable, locked, course_of
    sources = ModulePage.objects.filter(pk__in=list(course_of)).values("pk", "translation_key")
    key_of = {row["translation_key"]: row["pk"] for row in sources}
    versions = ModulePage.objects.live().filter(
        locale__language_code=language, translation_key__in=list(key_of)
    )
    version_of = {}
    for key, version_id in versions.values_list("translation_key", "pk"):
        version_of[key_of[key]] = version_id
    unique_courses = list({c.pk: c for c in course_of.values()}.values())
    shown_courses = translations.reading_versions(unique_courses, language)
    return (
        [version_of.get(i, i) for i in readable],
        [version_of.get(i, i) for i in locked],
        {version_of.get(i, i): shown_courses[c.pk] for i, c in course_of.items()},
    )


def _full_text_matches(query: str, module_ids: list[int]):
    from courses.models import ModulePage

    if not module_ids:
        return []
    found = ModulePage.objects.live().filter(id__in=module_ids).defer("body", "quiz_questions")
    return list(found.search(query)[:SEARCH_LIMIT])


def _title_or_summary_matches(query: str, module_ids: list[int]):
    """Modules whose title or summary holds every word of the query (any case)."""
    from courses.models import ModulePage

    words = list(dict.fromkeys(query.split()))
    if not module_ids or not words:
        return []
    every_word = reduce(and_, (Q(title__icontains=w) | Q(summary__icontains=w) for w in words))
    found = ModulePage.objects.live().filter(id__in=module_ids).filter(every_word)
    return list(found.defer("body", "quiz_questions").order_by("path")[:SEARCH_LIMIT])
