"""Which embedded font, drawing which outline, prints each character of a badge PDF.

Read from the PDF alone: each font's /ToUnicode map says which character a glyph code
stands for, and the embedded font program holds the glyph's outline, which a test can
compare with the outline the shipped font file draws for that character.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from fontTools.pens.recordingPen import RecordingPen
from fontTools.ttLib import TTFont
from pypdf import PdfReader

_BFCHAR = re.compile(r"beginbfchar(.*?)endbfchar", re.S)
_BFRANGE = re.compile(r"beginbfrange(.*?)endbfrange", re.S)
_PAIR = re.compile(r"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>")
_RANGE = re.compile(r"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>")


@dataclass(frozen=True)
class DrawnGlyph:
    font: str  # /BaseFont without its subset tag: "Credence-CJK-TC"
    outline: tuple  # the glyph's drawing operations, as fontTools' RecordingPen records them


def _to_unicode(font) -> dict[int, str]:
    text = font["/ToUnicode"].get_object().get_data().decode("latin-1")
    codes: dict[int, str] = {}
    for block in _BFCHAR.findall(text):
        for code, utf16 in _PAIR.findall(block):
            codes[int(code, 16)] = bytes.fromhex(utf16).decode("utf-16-be")
    for block in _BFRANGE.findall(text):
        for low, high, utf16 in _RANGE.findall(block):
            first = ord(bytes.fromhex(utf16).decode("utf-16-be"))
            for code in range(int(low, 16), int(high, 16) + 1):
                codes[code] = chr(first + code - int(low, 16))
    return codes


def _outline(font: TTFont, glyph_name: str) -> tuple:
    pen = RecordingPen()
    font.getGlyphSet()[glyph_name].draw(pen)
    return tuple((operator, tuple(points)) for operator, points in pen.value)


def drawn_glyphs(pdf: bytes) -> dict[str, set[DrawnGlyph]]:
    """Each character printed on page one (a ligature's text as one key), with every glyph
    that prints it. Glyph codes are the fonts' glyph ids (WeasyPrint embeds Identity-H
    fonts whose subsets keep the original ids)."""
    drawn: dict[str, set[DrawnGlyph]] = {}
    page = PdfReader(io.BytesIO(pdf)).pages[0]
    for reference in page["/Resources"]["/Font"].values():
        font = reference.get_object()
        descendant = font["/DescendantFonts"][0].get_object()
        descriptor = descendant["/FontDescriptor"].get_object()
        stream = descriptor.get("/FontFile3") or descriptor.get("/FontFile2")
        program = TTFont(io.BytesIO(stream.get_object().get_data()))
        order = program.getGlyphOrder()
        name = str(font["/BaseFont"]).lstrip("/").split("+", 1)[-1]
        for code, text in _to_unicode(font).items():
            drawn.setdefault(text, set()).add(DrawnGlyph(name, _outline(program, order[code])))
    return drawn


@cache
def _shipped(path: Path) -> TTFont:
    return TTFont(path)


def shipped_outline(path: Path, char: str) -> tuple:
    """The outline the font file at `path` draws for `char` by default (its cmap's glyph)."""
    font = _shipped(path)
    return _outline(font, font.getBestCmap()[ord(char)])
