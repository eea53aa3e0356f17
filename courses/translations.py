"""Course content in several languages: which page keeps the record, which page a fellow reads.

Each content language has its own page tree (Wagtail's i18n; simple_translation keeps the
trees in step): a course or module there is either a translation or, until someone
translates it, an alias showing the English page. Progress is one record whatever the
language: enrolments, attempts, passes, completions and badges point at the *source*
pages, those of the default locale. So every entry point first maps the page the fellow
opened to its source (`source_page`) and only then asks `courses.gating` or writes; what
pages and lists show (titles, addresses) comes from the fellow's language version where
there is one (`localise_inputs`, `reading_version`).

A quiz is graded on the questions the fellow was shown, frozen with their key when the
attempt starts (`quiz_pool_for`). A translated quiz is shown only while its questions have
the source's structure (`grading.pool_structure`): the same questions, options and right
answers. Otherwise the fellow gets the source's questions, so a translation can never
grade differently from the quiz the course team wrote.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace

from django.conf import settings
from django.db.models import OuterRef, Subquery
from django.http import HttpResponseRedirect
from django.utils import translation
from django.utils.cache import patch_vary_headers
from wagtail.coreutils import get_supported_content_language_variant

from courses import grading


def default_language() -> str:
    """The language code of the default locale, whose pages keep every record."""
    return get_supported_content_language_variant(settings.LANGUAGE_CODE)


def content_language(language: str | None = None) -> str:
    """The content language for `language` (default: the active one); the default
    language when there is no content language for it."""
    try:
        # No active language (translations deactivated) reads as the default one.
        return get_supported_content_language_variant(
            language or translation.get_language() or settings.LANGUAGE_CODE
        )
    except LookupError:
        return default_language()


_default_locale_ids: dict[str, int] = {}


def default_locale_id() -> int | None:
    """The default locale's id, remembered by the process (locales are made by migrations
    and almost never change; `forget_locales` runs when one is saved or deleted), so that
    asking for an English page's source costs no query."""
    from wagtail.models import Locale

    language = default_language()
    if language not in _default_locale_ids:
        found = Locale.objects.filter(language_code=language).values_list("pk", flat=True)
        if not found:
            return None
        _default_locale_ids[language] = found[0]
    return _default_locale_ids[language]


def locale_for(language: str):
    """The Locale of a content language (None if it has none). One query."""
    from wagtail.models import Locale

    return Locale.objects.filter(language_code=language).first()


def forget_locales(**kwargs) -> None:
    """Signal receiver (courses.apps): a locale changed, so look the ids up again."""
    _default_locale_ids.clear()


def language_of(page) -> str:
    """The content language of `page`'s locale; no query for a default-locale page."""
    if page.locale_id == default_locale_id():
        return default_language()
    return page.locale.language_code


# Where source_page remembers its answer on a page instance, so the services, the gate
# and the views can each ask for the same page without a query each.
_SOURCE_ATTRIBUTE = "_credence_source_page"


def source_page(page):
    """The default-locale page that `page` translates or aliases, as the same page class
    (whole: the quiz's settings and pool are read from it); `page` itself when it is in
    the default locale or has no source (then it keeps its own records). One query the
    first time for an instance, none for a default-locale page."""
    if page is None or page.pk is None:
        return page
    known = page.__dict__.get(_SOURCE_ATTRIBUTE)
    if known is not None:
        return known
    if page.locale_id == default_locale_id():
        return page
    source = (
        type(page)
        .objects.filter(
            translation_key=page.translation_key, locale__language_code=default_language()
        )
        .first()
    )
    if source is None or source.pk == page.pk:
        source = page
    page.__dict__[_SOURCE_ATTRIBUTE] = source
    source.__dict__[_SOURCE_ATTRIBUTE] = source
    return source


def reading_version(page, language: str | None = None):
    """The live version of `page` in `language` (default: the active language), or `page`
    itself when there is none. One query, none for a default-locale page read in the
    default language."""
    if page is None or page.pk is None:
        return page
    language = content_language(language)
    if language == default_language() and page.locale_id == default_locale_id():
        return page
    version = (
        type(page)
        .objects.live()
        .filter(translation_key=page.translation_key, locale__language_code=language)
        .first()
    )
    return version or page


def untranslated_from(page) -> str:
    """For a language's alias of a page in another language (it shows that page's content
    as it is, waiting for a translation), the language its content is in; otherwise "".
    One query for an alias, none otherwise."""
    if page.alias_of_id is None:
        return ""
    original = (
        type(page)
        .objects.filter(pk=page.alias_of_id)
        .values_list("locale_id", "locale__language_code")
    )
    for locale_id, language in original:
        if locale_id != page.locale_id:
            return language
    return ""


def localised_titles_and_urls(
    source_ids: Iterable[int], language: str | None = None, request=None
) -> dict[int, tuple[str, str]]:
    """{source page id: (title, url)} of the live versions in `language` (default: the
    active language) of the given default-locale pages. One query whatever their number;
    none in the default language, where the sources are what is shown."""
    from wagtail.models import Page

    language = content_language(language)
    ids = list(source_ids)
    if not ids or language == default_language():
        return {}
    sources = Page.objects.filter(pk__in=ids)
    versions = (
        Page.objects.live()
        .filter(
            locale__language_code=language,
            translation_key__in=sources.values("translation_key"),
        )
        .annotate(
            source_id=Subquery(
                sources.filter(translation_key=OuterRef("translation_key")).values("pk")[:1]
            )
        )
        .only("id", "title", "url_path", "path", "depth", "translation_key", "locale_id")
    )
    return {page.source_id: (page.title, page.get_url(request) or "") for page in versions}


def localise_refs(refs: Sequence, found: Mapping[int, tuple[str, str]]) -> list:
    """Gate PageRefs (ids of source pages) with the titles and addresses of the versions
    in `found` (from `localised_titles_and_urls`). Ids stay the sources'."""
    out = []
    for ref in refs:
        if ref.id in found:
            title, url = found[ref.id]
            ref = replace(ref, title=title, url=url or ref.url)
        out.append(ref)
    return out


def localise_inputs(inputs, language: str | None = None, request=None):
    """Gate inputs (keyed to the source pages) as the fellow reads them: the course, its
    modules and prerequisites titled and linked in `language` (default: the active one)
    where a version exists. One query, none in the default language; the decision does
    not change, only what it shows."""
    return localise_inputs_many({0: inputs}, language, request)[0]


def localise_inputs_many(inputs_by_course: Mapping, language=None, request=None) -> dict:
    """`localise_inputs` for several courses' inputs at once, in one query."""
    ids = {
        ref.id
        for inputs in inputs_by_course.values()
        for ref in (inputs.course, *inputs.modules, *inputs.prerequisites)
    }
    found = localised_titles_and_urls(ids, language, request)
    if not found:
        return dict(inputs_by_course)
    return {
        key: replace(
            inputs,
            course=localise_refs([inputs.course], found)[0],
            modules=tuple(localise_refs(inputs.modules, found)),
            prerequisites=tuple(localise_refs(inputs.prerequisites, found)),
        )
        for key, inputs in inputs_by_course.items()
    }


def reading_versions(pages: Sequence, language: str | None = None) -> dict[int, object]:
    """{page id: its live version in `language` (default: the active one), or the page
    itself} for pages of one class. One query, none in the default language."""
    shown = {page.pk: page for page in pages}
    language = content_language(language)
    if not pages or language == default_language():
        return shown
    by_key = {page.translation_key: page.pk for page in pages}
    versions = (
        type(pages[0])
        .objects.live()
        .filter(locale__language_code=language, translation_key__in=list(by_key))
    )
    for version in versions:
        shown[by_key[version.translation_key]] = version
    return shown


def default_locale_pages(queryset):
    """`queryset` (of pages) narrowed to the default locale: the pages records are kept on."""
    return queryset.filter(locale_id=default_locale_id())


def quiz_pool_for(page, source) -> list:
    """The question pool a fellow on `page` answers: its own when it is the source or has
    the source's structure (the same questions, options and right answers, in other
    words), otherwise the source's. Raw StreamField data, as grading.freeze_quiz takes.

    Why not always the translation's: the attempt counts for the source module, so its
    key must be the source's key; a translator who drops a question or moves a right
    answer would otherwise pass fellows on a different test. Why not always the source's:
    a fellow reading Chinese should answer in Chinese whenever the key is the same."""
    pool = page.quiz_questions.raw_data
    if source.pk == page.pk:
        return pool
    source_pool = source.quiz_questions.raw_data
    if grading.pool_structure(pool) == grading.pool_structure(source_pool):
        return pool
    return source_pool


# --- Which language a visitor reads -----------------------------------------------------


def _supported(language: str | None) -> str | None:
    if not language:
        return None
    try:
        return get_supported_content_language_variant(language)
    except LookupError:
        return None


def wanted_language(request) -> str | None:
    """The content language a visitor asked for on a page at `request.path_info`, or None
    when they take the page as addressed.

    An explicit choice wins wherever the visitor is: the language cookie (set by the
    switcher through Django's set_language), then the account's saved language. Without
    one, an address with no language prefix (English, the default) is an entry point,
    and the browser's Accept-Language picks the version; an address with a prefix was
    chosen, and is served as it is."""
    explicit = _supported(request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)) or _supported(
        getattr(getattr(request, "user", None), "language", "")
    )
    if explicit:
        return explicit
    if translation.get_language_from_path(request.path_info):
        return None
    return _supported(translation.get_language_from_request(request))


def redirect_to_wanted_version(page, request):
    """A redirect to `page`'s live version in the language the visitor wants, when that is
    not the language of the address they opened; None otherwise (Wagtail's
    before_serve_page hook). No query unless the languages differ."""
    if request.method not in ("GET", "HEAD"):
        return None
    wanted = wanted_language(request)
    addressed = _supported(translation.get_language_from_path(request.path_info))
    if wanted is None or wanted == (addressed or default_language()):
        return None
    version = (
        type(page)
        .objects.live()
        .filter(translation_key=page.translation_key, locale__language_code=wanted)
        .exclude(pk=page.pk)
        .first()
    )
    url = version.get_url(request) if version else None
    if not url:
        return None
    query = request.META.get("QUERY_STRING", "")
    response = HttpResponseRedirect(f"{url}?{query}" if query else url)
    patch_vary_headers(response, ("Accept-Language", "Cookie"))
    return response
