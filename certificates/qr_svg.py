"""QR codes as inline SVG for web pages (the wallet code on a badge's public page)."""

import re
from html import escape

import zxingcpp

QUIET_ZONE = 4  # modules of white around the code, as the QR standard asks
_DARK_RUN = re.compile(rb"\x00+")


def qr_svg(text: str, *, title: str, scale: int = 3) -> str:
    """An <svg> element showing a QR code (error correction M) of `text`.

    ZXing-C++ encodes it in about 0.1 ms; segno, pure Python, took 12 ms, most of a
    badge page's uncached cost (bench/bench_verify.py). Each row's dark runs become
    one-module-high rectangles of a single path.
    """
    code = zxingcpp.create_barcode(text, zxingcpp.BarcodeFormat.QRCode, ec_level="M")
    matrix = code.to_image(scale=1, add_quiet_zones=False)  # 0 = dark, 255 = light
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
