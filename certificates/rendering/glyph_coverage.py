"""Which characters the badge fonts can draw: the union of the cmaps of every font fonts.css ships.

A character outside it would print as a .notdef box, so names are checked against it when
they are entered (lms.accounts.names) and a render that draws a box fails anyway
(certificates.rendering.pdf). The fonts are read once per process, on first use.

One answer serves badges in every language. badge_pdf.css gives each language the same
stacks but for the Chinese face (Traditional on a zh-Hant badge, Simplified elsewhere),
and those two faces map the same characters, only drawn differently (a test checks), so
a name that prints on one badge prints on a badge in any language.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

from fontTools.ttLib import TTFont

FONTS_DIR = Path(__file__).resolve().parent / "fonts"
_FONT_URL = re.compile(r'url\("credence-asset:fonts/([^"/]+)"\)')

# Default-ignorable characters the text layout consumes without drawing anything: the
# joiners that shape Devanagari, Persian and emoji sequences, the combining grapheme joiner
# and the variation selectors (text/emoji presentation, ideographic variants). A font need
# not map them; an emoji sequence whose joined form the monochrome font lacks prints as
# its separate emoji, which is the same person and no box.
_DRAWN_AS_NOTHING = frozenset(
    {0x200C, 0x200D, 0x034F, *range(0xFE00, 0xFE10), *range(0xE0100, 0xE01F0)}
)
MAX_LISTED = 8


def shipped_font_files() -> list[Path]:
    """The font files fonts.css declares, in its order."""
    css = (FONTS_DIR / "fonts.css").read_text(encoding="utf-8")
    return [FONTS_DIR / name for name in dict.fromkeys(_FONT_URL.findall(css))]


@cache
def covered_code_points() -> frozenset[int]:
    """Every code point some shipped font maps to a glyph (read once per process)."""
    points: set[int] = set(_DRAWN_AS_NOTHING)
    for path in shipped_font_files():
        with TTFont(path, lazy=True) as font:
            # Placeholder glyph names: only the code points matter, and naming the glyphs
            # would read the CJK font's whole CFF table, most of this function's time.
            font.setGlyphOrder([f"g{index}" for index in range(font["maxp"].numGlyphs)])
            points.update(font.getBestCmap())
    return frozenset(points)


def unprintable_characters(text: str) -> list[str]:
    """The distinct characters of `text` no shipped font has, in order of appearance."""
    covered = covered_code_points()
    return list(dict.fromkeys(char for char in text if ord(char) not in covered))


def describe_characters(chars: list[str]) -> str:
    """'𓀀 (U+13000), ☊ (U+260A)': each character as printed and as its code point."""
    listed = ", ".join(f"{char} (U+{ord(char):04X})" for char in chars[:MAX_LISTED])
    more = len(chars) - MAX_LISTED
    return f"{listed} and {more} more" if more > 0 else listed
