"""The language a badge is worded in: which one a new badge gets, and how it is written down.

A badge's snapshot records it as a Django language code ("en", "zh-hant"), frozen at issue
time: the PDF prints its labels and dates in it, chooses its Chinese glyph shapes by it and
the credential names it. The fellow's name is not in it: a name may be in any script.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.utils import translation

# What a snapshot frozen before badges had a language was worded in.
LEGACY_LANGUAGE = "en"

logger = logging.getLogger("credence.badges")


def language_tag(code: str) -> str:
    """The BCP 47 tag in its conventional case: 'zh-hant' -> 'zh-Hant', 'en-gb' -> 'en-GB'.

    What <html lang> (and so the PDF's /Lang) and the credential carry: the tag is
    case-insensitive, but the Open Badges schema accepts only this spelling.
    """
    return translation.to_locale(code).replace("_", "-")


def wording_language(requested: str | None, course) -> str:
    """The language a new badge for `course` is worded in, as a code of settings.LANGUAGES.

    The one asked for (the language of the page the fellow completed the course on), else
    the course page's own locale, else the site's default. A language the site does not
    offer is logged and passed over rather than refused: the caller is recording a
    completion, which must not be lost over the wording of its badge.
    """
    candidates = (
        ("requested", requested),
        ("course locale", course.locale.language_code),
        ("site default", settings.LANGUAGE_CODE),
    )
    for source, code in candidates:
        if not code:
            continue
        try:
            # Lower case, as Django spells codes ("zh-Hant" came back unchanged). strict:
            # "zh-tw" still finds zh-hant (Django's fallbacks), but "zh-hans" does not
            # become zh-hant merely because both start with "zh".
            return translation.get_supported_language_variant(code.lower(), strict=True)
        except LookupError:
            logger.warning(
                "badge language %r (%s) is not one of LANGUAGES; trying the next", code, source
            )
    return LEGACY_LANGUAGE
