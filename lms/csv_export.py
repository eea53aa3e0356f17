"""CSV downloads that stream row by row and are safe to open in a spreadsheet.

A cell that starts with = + - @, a tab or a carriage return is read as a formula by
Excel, LibreOffice and Google Sheets, so a fellow's name such as "=HYPERLINK(...)" could
run in a staff member's spreadsheet. OWASP's rule (CSV Injection): prefix such a cell
with a single quote, and quote every field. Numbers we computed are left as numbers:
only text is prefixed.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator
from datetime import date, datetime
from decimal import Decimal

from django.http import StreamingHttpResponse
from django.utils.text import slugify

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value) -> object:
    """The value as it should go into a CSV cell."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int | float | Decimal):
        return value
    if isinstance(value, datetime | date):
        return value.isoformat()
    text = str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


class _Line:
    """A file-like object whose write() hands the line back, for csv.writer."""

    def write(self, value: str) -> str:
        return value


def csv_lines(header: Iterable[str], rows: Iterable[Iterable]) -> Iterator[str]:
    """Yield the header and then each row as one CSV line, pulling one row at a time."""
    writer = csv.writer(_Line(), quoting=csv.QUOTE_ALL)
    yield writer.writerow([safe_cell(h) for h in header])
    for row in rows:
        yield writer.writerow([safe_cell(v) for v in row])


def streaming_csv_response(
    filename: str, header: Iterable[str], rows: Iterable[Iterable]
) -> StreamingHttpResponse:
    """A download of `rows` (any iterable, ideally a queryset's .iterator()) that never
    holds more than the rows being written."""
    name = slugify(filename) or "export"
    response = StreamingHttpResponse(csv_lines(header, rows), content_type="text/csv")
    response["Content-Disposition"] = f'attachment; filename="{name}.csv"'
    response["Cache-Control"] = "private, no-store"
    return response
