"""The language a badge is worded in: which one a new badge gets, and how it is written down.

A badge's snapshot records it as a Django language code ("en", "zh-hant"), frozen at issue
time: the PDF prints its labels and dates in it, chooses its Chinese glyph shapes by it and
the credential names it. The fellow's name is not in it: a name may be in any script.
"""

from __future__ import annotations

from django.utils import translation

# What a snapshot frozen before badges had a language was worded in.
LEGACY_LANGUAGE = "en"


def language_tag(code: str) -> str:
    """The BCP 47 tag in its conventional case: 'zh-hant' -> 'zh-Hant', 'en-gb' -> 'en-GB'.

    What <html lang> (and so the PDF's /Lang) and the credential carry: the tag is
    case-insensitive, but the Open Badges schema accepts only this spelling.
    """
    return translation.to_locale(code).replace("_", "-")
