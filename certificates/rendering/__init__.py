"""Rendering: what a badge looks like on paper and on screen.

`pdf` turns a frozen snapshot into PDF/A-3a bytes with WeasyPrint, reading only the fonts
and assets shipped in this package; `qr` draws the verification QR code; `glyph_coverage`
tells which characters those fonts can print.
"""
