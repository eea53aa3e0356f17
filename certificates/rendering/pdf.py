"""Badge PDF rendering: a BadgeSnapshot in, PDF/A-3a bytes out; no database, writes or network.

WeasyPrint reads every resource through BadgeURLFetcher, which serves only the fonts and
images we ship (credence-asset:), the admin uploads the snapshot names (credence-media:)
and bytes made for this render (credence-generated:, the QR code and attachments). Any
other URL (http, https, file, data, relative) stops the render with FatalURLFetchingError.
"""

from __future__ import annotations

import atexit
import dataclasses
import gc
import logging
import mimetypes
import threading
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from functools import cache
from pathlib import Path
from urllib.parse import quote, unquote, urlsplit

import pydyf
from django.core.files.storage import default_storage
from django.template.loader import render_to_string
from django.utils import translation
from weasyprint import CSS, HTML, Attachment
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import FatalURLFetchingError, URLFetcher, URLFetcherResponse

from certificates.dates import badge_day
from certificates.issuing.snapshot import BadgeSnapshot, is_safe_storage_name
from certificates.languages import language_tag
from certificates.rendering.qr import verify_qr_png

ASSET_SCHEME = "credence-asset"
MEDIA_SCHEME = "credence-media"
GENERATED_SCHEME = "credence-generated"
# Relative URLs resolve against this and so reach the fetcher, which refuses them; with no
# base URL WeasyPrint would skip them with a log line instead of failing the render.
BASE_URL = f"{GENERATED_SCHEME}:/"

PACKAGE_DIR = Path(__file__).resolve().parent
ASSET_DIRS = {"fonts": PACKAGE_DIR / "fonts", "assets": PACKAGE_DIR / "assets"}
STYLESHEET = PACKAGE_DIR.parents[1] / "templates" / "certificates" / "badge_pdf.css"
TEMPLATE = "certificates/badge_pdf.html"

EMBLEM_PLACEHOLDER_COLOR = b"#1F4E79"  # the colour emblem.svg is drawn in
MAX_UPLOAD_BYTES = 5 * 1024 * 1024  # an admin image bigger than this is a mistake or a bomb
_IMAGE_MAGIC = (
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
)
AF_RELATIONSHIPS = frozenset(
    {"Source", "Data", "Alternative", "Supplement", "EncryptedPayload", "FormData", "Schema"}
    | {"Unspecified"}
)

logger = logging.getLogger("credence.certificates.rendering.pdf")


class BadgeRenderError(RuntimeError):
    """The badge could not be rendered as a complete one-page PDF; nothing should be published."""


@dataclass(frozen=True, slots=True)
class PdfAttachment:
    """A file embedded as a PDF/A-3 associated file (e.g. the signed Open Badges credential)."""

    filename: str
    data: bytes
    mime_type: str
    description: str = ""
    relationship: str = "Data"

    def __post_init__(self) -> None:
        if self.relationship not in AF_RELATIONSHIPS:
            raise ValueError(f"relationship must be one of {sorted(AF_RELATIONSHIPS)}")
        if not self.filename or "/" in self.filename or "\\" in self.filename:
            raise ValueError("filename must be a plain file name")
        if not isinstance(self.data, bytes):
            raise ValueError("data must be bytes")


class BadgeURLFetcher(URLFetcher):
    """Serves shipped assets, named storage images and in-memory bytes; refuses everything else.

    Refusals raise FatalURLFetchingError, which WeasyPrint lets through to stop the render.
    They are also recorded in `refused`, because WeasyPrint swallows every exception
    (fatal ones included) raised while it draws an SVG, and the renderer must fail anyway.
    """

    def __init__(
        self,
        *,
        storage_names: frozenset[str] = frozenset(),
        generated: dict[str, tuple[bytes, str]] | None = None,
    ) -> None:
        super().__init__(allowed_protocols=(), allow_redirects=False, fail_on_errors=True)
        self.storage_names = storage_names
        self.generated = dict(generated or {})
        self.refused: list[str] = []

    def fetch(self, url: str, headers: dict | None = None) -> URLFetcherResponse:
        scheme, _, rest = url.partition(":")
        try:
            if scheme == ASSET_SCHEME:
                body, mime_type = self._asset(unquote(rest))
            elif scheme == MEDIA_SCHEME:
                body, mime_type = self._media(unquote(rest))
            elif scheme == GENERATED_SCHEME and unquote(rest) in self.generated:
                body, mime_type = self.generated[unquote(rest)]
            else:
                raise FatalURLFetchingError(f"badge render refused URL {url[:80]!r}")
        except FatalURLFetchingError:
            self.refused.append(url[:200])
            raise
        return URLFetcherResponse(url, body, {"Content-Type": mime_type})

    def _asset(self, name: str) -> tuple[bytes, str]:
        folder, _, filename = name.partition("/")
        root = ASSET_DIRS.get(folder)
        if root is None or not filename or "/" in filename or filename.startswith("."):
            raise FatalURLFetchingError(f"not a shipped badge asset: {name[:80]!r}")
        path = root / filename
        try:
            body = path.read_bytes()
        except OSError as exc:
            raise FatalURLFetchingError(f"shipped badge asset missing: {name!r}") from exc
        mime_type = mimetypes.guess_type(filename)[0] or "application/octet-stream"
        return body, mime_type

    def _media(self, name: str) -> tuple[bytes, str]:
        if name not in self.storage_names or not is_safe_storage_name(name):
            raise FatalURLFetchingError("storage file not named by this badge")
        try:
            with default_storage.open(name, "rb") as handle:
                body = handle.read(MAX_UPLOAD_BYTES + 1)
        except Exception as exc:  # noqa: BLE001 - any storage failure must stop the render
            raise FatalURLFetchingError(f"cannot read badge image {name!r}") from exc
        if len(body) > MAX_UPLOAD_BYTES:
            raise FatalURLFetchingError(f"badge image {name!r} is larger than 5 MiB")
        return body, _sniff_image(body, name)


def _sniff_image(body: bytes, name: str) -> str:
    for magic, mime_type in _IMAGE_MAGIC:
        if body.startswith(magic):
            return mime_type
    if body[:4] == b"RIFF" and body[8:12] == b"WEBP":
        return "image/webp"
    head = body[:512].lstrip().lower()
    if head.startswith((b"<svg", b"<?xml")) and b"<svg" in head:
        # Any URL inside an uploaded SVG goes through this same fetcher and is refused.
        return "image/svg+xml"
    raise FatalURLFetchingError(f"badge image {name!r} is not PNG, JPEG, GIF, WebP or SVG")


@cache
def font_config() -> FontConfiguration:
    """One FontConfiguration per process: a new one per render leaks memory and costs time."""
    atexit.register(_release_fonts)
    return FontConfiguration()


def _release_fonts() -> None:
    # Free the Pango/fontconfig objects while the libraries are still usable: left to the
    # interpreter's final garbage collection, cffi unrefs them too late and the process
    # ends with a segmentation fault (seen at exit of a script that rendered badges).
    _stylesheets.cache_clear()
    font_config.cache_clear()
    gc.collect()


@cache
def _stylesheets() -> tuple[CSS, ...]:
    """Our stylesheets, parsed once per process; their @font-face fonts load on first use."""
    fetcher = BadgeURLFetcher()
    config = font_config()
    fonts_css = (ASSET_DIRS["fonts"] / "fonts.css").read_text(encoding="utf-8")
    return (
        CSS(string=fonts_css, base_url=BASE_URL, url_fetcher=fetcher, font_config=config),
        CSS(
            string=STYLESHEET.read_text(encoding="utf-8"),
            base_url=BASE_URL,
            url_fetcher=fetcher,
            font_config=config,
        ),
    )


# Pango and fontconfig objects in the shared FontConfiguration are not thread-safe.
_RENDER_LOCK = threading.Lock()


def format_day(day: date, language: str | None = None) -> str:
    """The day as the badge's page and the admin print it too ('25 November 2026' in
    English: day, month name, year, which no reader can misread)."""
    return badge_day(day, language)


def text_direction(text: str) -> str:
    """'rtl' or 'ltr' by the first strong character, as HTML's dir="auto" decides."""
    for char in text:
        kind = unicodedata.bidirectional(char)
        if kind in ("R", "AL"):
            return "rtl"
        if kind == "L":
            return "ltr"
    return "ltr"


def rtl_script(text: str) -> str:
    """'hebrew' or 'arabic' for a right-to-left text (by its first strong character), else ''."""
    for char in text:
        kind = unicodedata.bidirectional(char)
        if kind == "R":
            return "hebrew" if unicodedata.name(char, "").startswith("HEBREW") else ""
        if kind == "AL":
            return "arabic"
        if kind == "L":
            return ""
    return ""


def _visual_length(text: str) -> float:
    # Wide (CJK) characters take about twice the advance of a Latin letter.
    return sum(1.8 if unicodedata.east_asian_width(c) in "WF" else 1.0 for c in text)


def name_size_class(name: str) -> str:
    """A CSS class that shrinks long names so every name fits on the one page."""
    length = _visual_length(name)
    for limit, size in ((26, "xl"), (38, "l"), (56, "m"), (90, "s"), (150, "xs")):
        if length <= limit:
            return size
    return "xxs"


def _wording_size_class(snapshot: BadgeSnapshot) -> str:
    length = len(snapshot.badge_description) + len(snapshot.criteria)
    return "normal" if length <= 360 else "long" if length <= 900 else "very-long"


def short_url(url: str) -> str:
    """The verify URL as printed: host and path, without the scheme."""
    parts = urlsplit(url)
    return (parts.netloc + parts.path + (f"?{parts.query}" if parts.query else "")).rstrip("/")


@dataclasses.dataclass(frozen=True)
class PrintedURL:
    """The verify URL as printed: in full, scheme included, with the badge's id split off
    so the stylesheet can keep the id on one line (it holds hyphens, after which a line
    would otherwise break). Longer URLs print smaller so they fit on one line."""

    head: str
    tail: str
    size: str


def printed_url(url: str, public_id: str) -> PrintedURL:
    at = url.rfind(public_id) if public_id else -1
    head, tail = (url[:at], url[at:]) if at >= 0 else (url, "")
    size = "m" if len(url) <= 60 else "s" if len(url) <= 72 else "xs"
    return PrintedURL(head=head, tail=tail, size=size)


_CONTROL_CHARS = dict.fromkeys(
    (*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20), *range(0x7F, 0xA0)), "\ufffd"
)


def printable(text: str) -> str:
    """Show C0/C1 control characters as U+FFFD: they have no glyph, and a .notdef box in
    the PDF breaks text extraction of the whole name. Everything else prints as written,
    including bidi controls, which the text layout honours."""
    return text.translate(_CONTROL_CHARS)


def _printable_snapshot(snapshot: BadgeSnapshot) -> BadgeSnapshot:
    changes = {
        name: printable(value)
        for name, value in snapshot.to_dict().items()
        if isinstance(value, str) and printable(value) != value
    }
    return dataclasses.replace(snapshot, **changes) if changes else snapshot


def badge_context(snapshot: BadgeSnapshot, *, compact: bool = False) -> dict:
    """The plain values the template prints; every string stays data and is autoescaped."""
    snapshot = _printable_snapshot(snapshot)
    return {
        "s": snapshot,
        # <html lang>: the PDF's /Lang, and what picks the Chinese face in badge_pdf.css.
        "lang": language_tag(snapshot.language),
        "name_dir": text_direction(snapshot.recipient_name),
        "name_script": rtl_script(snapshot.recipient_name),
        "name_size": name_size_class(snapshot.recipient_name),
        "wording_size": _wording_size_class(snapshot),
        "compact": compact,
        "issued_on": format_day(snapshot.issued_on, snapshot.language),
        "expires_on": format_day(snapshot.expires_on, snapshot.language)
        if snapshot.expires_on
        else "",
        "short_verify_url": short_url(snapshot.verify_url),
        "verify_url": printed_url(snapshot.verify_url, snapshot.public_id),
        "page_class": snapshot.page_size.lower(),
        "show_badge_title": snapshot.badge_title.strip() != snapshot.course_title.strip(),
        "qr_src": f"{GENERATED_SCHEME}:qr.png",
        "artwork_src": _media_url(snapshot.artwork_path),
        "signature_src": _media_url(snapshot.signature_image_path),
        "emblem_src": f"{GENERATED_SCHEME}:emblem.svg",
    }


@cache
def _emblem_template() -> bytes:
    return (ASSET_DIRS["assets"] / "emblem.svg").read_bytes()


def _emblem_svg(accent: str) -> bytes:
    """The shipped seal in the badge's accent colour (accent is validated #RRGGBB)."""
    return _emblem_template().replace(EMBLEM_PLACEHOLDER_COLOR, accent.encode("ascii"))


def _media_url(name: str | None) -> str:
    return f"{MEDIA_SCHEME}:{quote(name, safe='/')}" if name else ""


def badge_html(snapshot: BadgeSnapshot, *, compact: bool = False) -> str:
    """The badge as HTML (for previews and tests); the PDF is made from exactly this.

    In the badge's own language, whatever language the caller has active (a worker has
    none, a staff member re-rendering has theirs): labels and dates as it was issued.
    """
    with translation.override(snapshot.language):
        return render_to_string(TEMPLATE, badge_context(snapshot, compact=compact))


def _fits_one_page(document) -> bool:
    """One page, and nothing (not even bottom padding or a border) runs past its bottom.

    WeasyPrint lets trailing padding and borders overflow the page rather than start an
    empty one, so a page count alone misses a frame whose bottom edge fell off the sheet.
    """
    if len(document.pages) != 1:
        return False
    page_box = document.pages[0]._page_box  # no public API exposes the laid-out boxes
    root = page_box.children[0]
    page_bottom = page_box.content_box_y() + page_box.height
    return root.position_y + root.margin_height() <= page_bottom + 0.5


NOTDEF_MESSAGE = ".notdef glyph rendered"


class _ErrorCollector(logging.Handler):
    """Collects what WeasyPrint logs instead of raising: ERROR records (a missing image or
    font) and the WARNING that a character no font has was drawn as a .notdef box."""

    def __init__(self) -> None:
        super().__init__(level=logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        if record.levelno >= logging.ERROR or message.startswith(NOTDEF_MESSAGE):
            self.messages.append(message[:300])


class ActualTextFinisher:
    """Gives the marked content of the name (and course title) its exact text as /ActualText.

    Extractors rebuild text from glyph positions, and a conjunct or a combining mark sits
    where they guess a word break: pdftotext read "देवनागरी" as "दे वनागरी". /ActualText on
    the marked-content sequence (ISO 32000-1, 14.9.4) states the text as issued, for
    extractors, copy and paste, search and screen readers. It runs as WeasyPrint's public
    write_pdf finisher, before the PDF is serialised, so hashing and signing see it.

    Right-to-left text gets none: poppler lays ActualText out left to right and then
    reverses right-to-left runs as if they were drawn, printing the name backwards. Such a
    name extracts exactly from its glyphs instead, which the stylesheet keeps one glyph per
    letter (no optional ligatures) in one run of its script's font. `texts` maps a
    structure type ("H1") to the text of its only element on the page.
    """

    def __init__(self, texts: dict[str, str]) -> None:
        self.texts = texts
        self.missing: list[str] = []

    def __call__(self, document, pdf: pydyf.PDF) -> None:
        by_reference = {obj.reference: obj for obj in pdf.objects if isinstance(obj, pydyf.Object)}
        for tag, text in self.texts.items():
            if any(unicodedata.bidirectional(char) in ("R", "AL") for char in text):
                continue
            elements = [
                obj
                for obj in pdf.objects
                if isinstance(obj, pydyf.Dictionary)
                and obj.get("Type") == "/StructElem"
                and obj.get("S") == f"/{tag}"
            ]
            if len(elements) != 1:
                self.missing.append(tag)
                continue
            mcids = _marked_content_ids(elements[0], by_reference)
            contents = by_reference.get(by_reference[elements[0]["Pg"]].get("Contents"))
            property_lists = [
                item
                for item in getattr(contents, "stream", ())
                if isinstance(item, pydyf.Dictionary) and item.get("MCID") in mcids
            ]
            if not property_lists:
                self.missing.append(tag)
                continue
            # One text for the element: a name wrapped over two lines is still one name.
            for index, properties in enumerate(property_lists):
                properties["ActualText"] = pydyf.String(text if index == 0 else "")


def _marked_content_ids(element: pydyf.Dictionary, by_reference: dict) -> set[int]:
    ids: set[int] = set()
    for kid in element.get("K", ()):
        if isinstance(kid, int):
            ids.add(kid)
        elif kid in by_reference:
            ids |= _marked_content_ids(by_reference[kid], by_reference)
    return ids


def render_badge_pdf(
    snapshot: BadgeSnapshot, *, attachments: Sequence[PdfAttachment] = ()
) -> bytes:
    """Render one landscape page as PDF/A-3a (tagged) bytes, with attachments as associated files.

    Reads only shipped assets and the storage files the snapshot names; writes nothing.
    Raises BadgeRenderError when any resource is refused or missing, or when the content
    cannot fit on one page.
    """
    try:
        return _render_badge_pdf(snapshot, attachments)
    except FatalURLFetchingError as exc:
        # A BaseException, so WeasyPrint stops at once; past here it must be an ordinary
        # error, or the callers' `except Exception` (hand the badge back, retry, log) would
        # miss it and leave the badge claimed with no error recorded.
        raise BadgeRenderError(f"badge render stopped: {exc}") from exc


def _render_badge_pdf(snapshot: BadgeSnapshot, attachments: Sequence[PdfAttachment]) -> bytes:
    generated: dict[str, tuple[bytes, str]] = {
        "qr.png": (verify_qr_png(snapshot.verify_url), "image/png"),
        "emblem.svg": (_emblem_svg(snapshot.accent_color), "image/svg+xml"),
    }
    for index, item in enumerate(attachments):
        generated[f"attachment/{index}"] = (item.data, item.mime_type)
    fetcher = BadgeURLFetcher(storage_names=snapshot.storage_names, generated=generated)
    stamp = datetime(
        snapshot.issued_on.year, snapshot.issued_on.month, snapshot.issued_on.day, tzinfo=UTC
    )
    pdf_attachments = [
        Attachment(
            url=f"{GENERATED_SCHEME}:attachment/{index}",
            url_fetcher=fetcher,
            name=item.filename,
            description=item.description,
            relationship=item.relationship,
            created=stamp,
            modified=stamp,
        )
        for index, item in enumerate(attachments)
    ]
    collector = _ErrorCollector()
    weasy_logger = logging.getLogger("weasyprint")
    with _RENDER_LOCK:
        weasy_logger.addHandler(collector)
        # The .notdef record is a WARNING: a logging setup that quiets WeasyPrint must not
        # let a box through unseen.
        configured_level = weasy_logger.level
        if not weasy_logger.isEnabledFor(logging.WARNING):
            weasy_logger.setLevel(logging.WARNING)
        try:
            stylesheets = _stylesheets()
            for compact in (False, True):
                html = HTML(
                    string=badge_html(snapshot, compact=compact),
                    base_url=BASE_URL,
                    url_fetcher=fetcher,
                )
                document = html.render(
                    font_config=font_config(),
                    stylesheets=list(stylesheets),
                    pdf_variant="pdf/a-3a",
                    pdf_tags=True,
                )
                if _fits_one_page(document):
                    break
            else:
                raise BadgeRenderError("badge content does not fit on one page")
            actual_text = ActualTextFinisher(
                {"H1": printable(snapshot.recipient_name), "H2": printable(snapshot.course_title)}
            )
            pdf = document.write_pdf(
                pdf_variant="pdf/a-3a",
                pdf_tags=True,
                attachments=pdf_attachments,
                custom_metadata=False,
                finisher=actual_text,
            )
        finally:
            weasy_logger.setLevel(configured_level)
            weasy_logger.removeHandler(collector)
    if fetcher.refused:
        raise BadgeRenderError(f"badge render refused resources: {fetcher.refused}")
    boxes = [message for message in collector.messages if message.startswith(NOTDEF_MESSAGE)]
    if boxes:
        raise BadgeRenderError(f"badge would print boxes for characters no badge font has: {boxes}")
    if collector.messages:
        raise BadgeRenderError(f"badge render failed: {collector.messages}")
    if actual_text.missing:
        raise BadgeRenderError(f"badge render lost the text of {actual_text.missing}")
    return pdf
