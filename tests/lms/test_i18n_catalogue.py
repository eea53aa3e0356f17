"""Each language's catalogue (zh-Hant today) is complete, matches the source, and the
committed .mo is its compilation: a string added to a template or to Python without a
translation fails here."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import polib
import pytest
from django.conf import settings
from django.core.management import call_command
from django.test import override_settings
from django.utils.translation import to_locale

REPO = Path(__file__).resolve().parents[2]
LOCALE = REPO / "locale"
# Every language the site offers besides the one its source is written in.
LOCALES = [to_locale(code) for code, _name in settings.LANGUAGES if code != settings.LANGUAGE_CODE]
# What makemessages reads (README, "Languages"; `make messages`): the apps and templates.
SOURCE_DIRS = ("lms", "courses", "certificates", "templates")
PLACEHOLDER = re.compile(r"%\([a-z_]+\)[sd]|\{[a-z_]+\}")


def _key(entry) -> tuple[str | None, str, str | None]:
    return (entry.msgctxt, entry.msgid, entry.msgid_plural or None)


def _translations(entry) -> list[str]:
    if entry.msgid_plural:
        return [entry.msgstr_plural[i] for i in sorted(entry.msgstr_plural)]
    return [entry.msgstr]


def _live(catalogue) -> list:
    return [entry for entry in catalogue if not entry.obsolete]


def po_of(locale: str) -> Path:
    return LOCALE / locale / "LC_MESSAGES" / "django.po"


def test_every_language_offered_has_a_catalogue_and_its_compilation():
    assert "zh_Hant" in LOCALES
    for locale in LOCALES:
        assert po_of(locale).is_file() and po_of(locale).with_suffix(".mo").is_file(), locale


@pytest.mark.parametrize("locale", LOCALES)
def test_every_string_has_a_translation_that_is_not_fuzzy(locale):
    catalogue = polib.pofile(str(po_of(locale)))
    assert catalogue.metadata["Plural-Forms"] == "nplurals=1; plural=0;"
    entries = _live(catalogue)
    assert len(entries) > 400  # the whole interface, not a sample
    untranslated = [e.msgid for e in entries if not all(_translations(e))]
    fuzzy = [e.msgid for e in entries if "fuzzy" in e.flags]
    assert not untranslated, f"no zh-Hant translation for: {untranslated}"
    assert not fuzzy, f"fuzzy (unchecked) translations for: {fuzzy}"


@pytest.mark.parametrize("locale", LOCALES)
def test_translations_keep_every_placeholder_and_no_english_sentence(locale):
    """A translation that drops %(name)s or {since} would print the wrong facts; one that
    is the English text again was never translated."""
    wrong, untranslated = [], []
    for entry in _live(polib.pofile(str(po_of(locale)))):
        # Chinese has one plural form, used for every count: the English plural's
        # placeholders (which name the count) are the ones to keep.
        wanted = sorted(PLACEHOLDER.findall(entry.msgid_plural or entry.msgid))
        for text in _translations(entry):
            if sorted(PLACEHOLDER.findall(text)) != wanted:
                wrong.append((entry.msgid, text))
            # Brand names, codes and punctuation may stay; a sentence may not.
            words = re.sub(r"<[^>]+>|%\([a-z_]+\)[sd]|\{[a-z_]+\}", "", text)
            if re.search(r"[A-Za-z]{3,} [a-z]{3,} [a-z]{3,}", words) and not re.search(
                r"[\u4e00-\u9fff]", words
            ):
                untranslated.append(entry.msgid)
    assert not wrong, wrong
    assert not untranslated, untranslated


def test_the_catalogue_uses_full_width_punctuation():
    """Fluent Traditional Chinese punctuation: no ASCII comma, colon or full stop right
    after a Chinese character, and no space between two Chinese characters."""
    offending = []
    for entry in _live(polib.pofile(str(po_of("zh_Hant")))):
        for text in _translations(entry):
            if re.search(r"[\u4e00-\u9fff][,:;!?]|[\u4e00-\u9fff]\.(?!\w)", text) or re.search(
                r"[\u4e00-\u9fff] [\u4e00-\u9fff]", text
            ):
                offending.append(text)
    assert not offending, offending


@pytest.mark.parametrize("locale", LOCALES)
def test_the_committed_mo_is_the_compiled_po(locale, tmp_path):
    """A new machine may have no gettext: it serves the committed .mo, which must say
    exactly what the .po says."""
    po = polib.pofile(str(po_of(locale)))
    fresh = tmp_path / "django.mo"
    po.save_as_mofile(str(fresh))

    def contents(mo_path: Path) -> dict:
        return {
            _key(entry): tuple(_translations(entry))
            for entry in polib.mofile(str(mo_path))
            if entry.msgid  # the header
        }

    committed = contents(po_of(locale).with_suffix(".mo"))
    assert committed == contents(fresh)
    assert len(committed) == len(_live(po))


@pytest.mark.parametrize("locale", LOCALES)
def test_the_catalogue_holds_exactly_the_strings_of_the_source(locale, tmp_path, monkeypatch):
    """makemessages over a copy of the source finds no string the committed catalogue
    lacks, and the catalogue keeps none the source no longer has."""
    if shutil.which("xgettext") is None or shutil.which("msgmerge") is None:
        pytest.skip("GNU gettext (xgettext, msgmerge) is not installed: apt-get install gettext")
    for name in SOURCE_DIRS:
        shutil.copytree(
            REPO / name, tmp_path / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc")
        )
    (tmp_path / "locale").mkdir()
    monkeypatch.chdir(tmp_path)
    with override_settings(LOCALE_PATHS=[tmp_path / "locale"]):
        call_command("makemessages", locale=[locale], verbosity=0)
    extracted = polib.pofile(str(tmp_path / "locale" / locale / "LC_MESSAGES" / "django.po"))
    found = {_key(entry) for entry in _live(extracted)}
    catalogued = {_key(entry) for entry in _live(polib.pofile(str(po_of(locale))))}
    missing = sorted(found - catalogued, key=str)
    stale = sorted(catalogued - found, key=str)
    assert not missing, f"strings not in the catalogue (run `make messages`): {missing}"
    assert not stale, f"strings no longer in the source (run `make messages`): {stale}"
