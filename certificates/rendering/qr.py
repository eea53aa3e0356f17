"""QR codes for badges, encoded by ZXing-C++: a PNG for the PDF, an SVG for web pages.

ZXing-C++ encodes one (with the standard's mask selection) many times faster than segno,
pure Python, which spends most of its time scoring the eight masks (docs/performance.md).
Error correction M survives a crease or a smudge on a printed page.
"""

import io
import re
from html import escape

import zxingcpp
from PIL import Image

PIXELS_PER_MODULE = 8
QUIET_ZONE = 4  # modules of white around the code, as the QR standard asks
_DARK_RUN = re.compile(rb"\x00+")


def _encode(text: str):
    return zxingcpp.create_barcode(text, zxingcpp.BarcodeFormat.QRCode, ec_level="M")


def verify_qr_png(url: str) -> bytes:
    """Return a PNG QR code encoding url: 8 pixels per module, 4-module quiet zone.

    A PNG rather than an SVG because drawing an SVG path of a few hundred segments was a
    tenth of the render. 8 pixels per module (about 400 px, 8-bit grey) because viewers
    smooth an upscaled image: at 1 pixel per module a QR code on screen at 150 dpi no longer
    scanned, at 8 it scans from 100 dpi up (checked with zbarimg).
    """
    matrix = _encode(url).to_image(scale=PIXELS_PER_MODULE, add_quiet_zones=True)
    height, width = matrix.shape
    out = io.BytesIO()
    # Level 1: the image is mostly runs of one byte, and WeasyPrint re-encodes it anyway.
    Image.frombytes("L", (width, height), bytes(matrix)).save(out, "PNG", compress_level=1)
    return out.getvalue()


def qr_svg(text: str, *, title: str, scale: int = 3) -> str:
    """An <svg> element showing a QR code of `text` (the wallet code on a badge's page).

    Each row's dark runs become one-module-high rectangles of a single path.
    """
    matrix = _encode(text).to_image(scale=1, add_quiet_zones=False)  # 0 = dark, 255 = light
    height, width = matrix.shape
    pixels = bytes(matrix)
    path = []
    for y in range(height):
        row = pixels[y * width : (y + 1) * width]
        for run in _DARK_RUN.finditer(row):
            x, length = run.start() + QUIET_ZONE, run.end() - run.start()
            path.append(f"M{x} {y + QUIET_ZONE}h{length}v1H{x}z")
    side = (width + 2 * QUIET_ZONE) * scale
    return (
        f'<svg width="{side}" height="{side}" viewBox="0 0 {side // scale} {side // scale}" '
        f'role="img" xmlns="http://www.w3.org/2000/svg"><title>{escape(title)}</title>'
        f'<rect width="100%" height="100%" fill="#fff"/>'
        f'<path fill="#000" d="{"".join(path)}"/></svg>'
    )
