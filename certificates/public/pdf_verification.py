"""Verifying an uploaded badge file: a PDF carrying its signed credential, or that credential.

Everything a stranger uploads is bounded before the work is done. From a PDF we read at
most MAX_EMBEDDED_FILES names and a few `.json` files among them, resolve a bounded
number of PDF objects, and inflate the candidates ourselves with a cap enforced while
inflating (pypdf's own decoding would inflate each file in full, up to 75 MB, before any
total could be checked). A credential is then bounded in JSON-LD work (ob3.bounds)
before its proof is canonicalised.
"""

from __future__ import annotations

import io
import json
import logging
import zlib
from collections.abc import Iterator
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from certificates.public.verification import Verdict, verify_presented_credential
from certificates.signing.credentials import CREDENTIAL_FILENAME
from certificates.signing.ob3.bounds import TooMuchJsonLdWork, check_presented_document

logger = logging.getLogger("credence.badges")

MAX_UPLOAD_BYTES = 5 * 1024 * 1024
# A signed badge credential is a few kilobytes; anything far bigger is not one of ours.
MAX_CREDENTIAL_BYTES = 256 * 1024
# A badge PDF embeds one file; a tool that re-saves it may add a few of its own.
MAX_EMBEDDED_FILES = 32
# Of those, at most this many `.json` files are read looking for the credential.
MAX_CREDENTIAL_CANDIDATES = 4
# Inflated bytes across every embedded file read for one upload. Inflating stops here.
MAX_INFLATED_BYTES = 2 * MAX_CREDENTIAL_BYTES
# PDF objects resolved to find the embedded files (a badge needs about six) and the
# object streams they may come from (a badge has one); pypdf inflates and parses a whole
# object stream to read one object in it.
MAX_OBJECTS_RESOLVED = 4 * MAX_EMBEDDED_FILES + 16
MAX_OBJECT_STREAMS = 4
MAX_NAME_TREE_DEPTH = 4
# pypdf's own limits while it reads the upload (pypdf.Configuration, applied to this
# read only). A badge's own object stream inflates to far less (docs/performance.md).
PYPDF_LIMITS = {
    "zlib_maximum_output_length": 1024 * 1024,
    "lzw_maximum_output_length": 1024 * 1024,
    "run_length_maximum_output_length": 1024 * 1024,
    "brotli_maximum_output_length": 1024 * 1024,
    "array_based_stream_maximum_output_length": 1024 * 1024,
    "stream_decoding_work_maximum_length": 4 * 1024 * 1024,
    "maximum_declared_stream_length": MAX_UPLOAD_BYTES,
    "array_maximum_element_count": 10_000,
    "dictionary_maximum_element_count": 10_000,
}
# Entries of a cross-reference stream: a badge has about 120 objects.
MAX_XREF_STREAM_ENTRIES = 100_000

NO_CREDENTIAL = gettext_lazy(
    "This PDF carries no badge credential: it was not issued here, or it was re-saved "
    "by a program that dropped the credential."
)


def _too_intricate() -> str:
    return _("This PDF is built far more intricately than a badge PDF; it was not issued here.")


class UnreadableUpload(ValueError):
    """The file is not a badge PDF or credential we can read; the message says why."""


class _NotACredential(ValueError):
    """One embedded file is not a credential; the next candidate may be."""


def _parsed_credential(data: bytes) -> dict:
    if len(data) > MAX_CREDENTIAL_BYTES:
        raise UnreadableUpload(_("This JSON file is far too large to be a badge credential."))
    try:
        value = json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise UnreadableUpload(_("This file is not valid JSON.")) from None
    if not isinstance(value, dict) or "OpenBadgeCredential" not in (value.get("type") or []):
        raise UnreadableUpload(_("This JSON is not an Open Badges 3.0 credential."))
    return value


def _bounded(credential: dict) -> dict:
    try:
        check_presented_document(credential)
    except TooMuchJsonLdWork as error:
        raise UnreadableUpload(
            _("This credential cannot be checked here: %(error)s") % {"error": error}
        ) from None
    return credential


def credential_from_json(data: bytes) -> dict:
    """The credential in an uploaded JSON file, refused unless it is cheap to verify."""
    return _bounded(_parsed_credential(data))


# --- embedded files --------------------------------------------------------------------


class InflationBudget:
    """Inflated bytes left for one upload; each inflation stops at its own cap or the budget."""

    def __init__(self, total_bytes: int = MAX_INFLATED_BYTES) -> None:
        self.remaining = total_bytes
        # Whether a file was refused for its size: the upload's refusal then says so.
        self.refused_oversized = False

    def inflate(self, compressed: bytes, limit: int) -> bytes:
        """`compressed` (zlib, /FlateDecode) inflated, if it fits in `limit` and the budget.

        zlib stops producing output at max_length, so at most one byte more than allowed
        is ever held. Raises _NotACredential past `limit`, UnreadableUpload past the budget.
        """
        allowed = min(limit, self.remaining)
        try:
            inflated = zlib.decompressobj().decompress(compressed, allowed + 1)
        except zlib.error:
            raise _NotACredential("damaged compressed data") from None
        self.remaining -= min(len(inflated), allowed)
        if len(inflated) > allowed and allowed == limit:
            self.refused_oversized = True
            raise _NotACredential("inflates past the size of any credential")
        if len(inflated) > allowed:
            raise UnreadableUpload(
                _(
                    "The files embedded in this PDF are far larger than a badge credential "
                    "(over %(size)d KB in all); it was not issued here."
                )
                % {"size": MAX_INFLATED_BYTES // 1024}
            )
        return inflated


class _Resolver:
    """Resolves PDF objects for us, counting them and the object streams they come from."""

    def __init__(self, reader: Any) -> None:
        self.reader = reader
        self.resolved = 0
        self.object_streams: set[int] = set()

    def __call__(self, value: Any) -> Any:
        from pypdf.generic import IndirectObject

        if not isinstance(value, IndirectObject):
            return value
        self.resolved += 1
        container = self.reader.xref_objStm.get(value.idnum)
        if container is not None:
            self.object_streams.add(container[0])
        if self.resolved > MAX_OBJECTS_RESOLVED or len(self.object_streams) > MAX_OBJECT_STREAMS:
            raise UnreadableUpload(_too_intricate())
        return value.get_object()

    def entry(self, dictionary: Any, key: str) -> Any:
        """`dictionary[key]` resolved, or None when it is not a dictionary holding `key`."""
        from pypdf.generic import DictionaryObject

        if not isinstance(dictionary, DictionaryObject) or key not in dictionary:
            return None
        return self(dictionary.raw_get(key))


def _embedded_file_specs(reader: Any, resolve: _Resolver) -> list[tuple[str, Any]]:
    """(name, file specification) of each embedded file, from the /EmbeddedFiles name tree."""
    from pypdf.generic import ArrayObject, DictionaryObject

    names = resolve.entry(resolve.entry(reader.trailer, "/Root"), "/Names")
    found: list[tuple[str, Any]] = []
    pending = [(resolve.entry(names, "/EmbeddedFiles"), 0)]
    while pending:
        node, depth = pending.pop()
        if not isinstance(node, DictionaryObject) or depth > MAX_NAME_TREE_DEPTH:
            continue
        entries = resolve.entry(node, "/Names")
        if isinstance(entries, ArrayObject):
            for index in range(0, len(entries) - 1, 2):
                if len(found) >= MAX_EMBEDDED_FILES:
                    raise UnreadableUpload(
                        _("This PDF embeds more than %(count)d files; a badge PDF embeds one.")
                        % {"count": MAX_EMBEDDED_FILES}
                    )
                found.append((str(resolve(entries[index])), entries[index + 1]))
        kids = resolve.entry(node, "/Kids")
        if isinstance(kids, ArrayObject):
            pending.extend((resolve(kid), depth + 1) for kid in reversed(kids))
    return found


def _names_of(name: str, spec: Any, resolve: _Resolver) -> set[str]:
    names = {name}
    for key in ("/UF", "/F"):
        value = resolve.entry(spec, key)
        if value is not None:
            names.add(str(value))
    return names


def _raw_stream_bytes(stream: Any) -> bytes:
    """The stream's bytes as stored in the file, before any filter is applied.

    pypdf offers them only by serialising the stream (its get_data() decodes in full),
    so we serialise it: `<< dict >>\\nstream\\n` + bytes + `\\nendstream`. Strings in the
    dictionary are written escaped, so the first `>>\\nstream\\n` ends the dictionary.
    """
    buffer = io.BytesIO()
    stream.write_to_stream(buffer)
    written = buffer.getvalue()
    marker = b">>\nstream\n"
    start = written.index(marker) + len(marker)
    return written[start : -len(b"\nendstream")]


def _stream_contents(stream: Any, budget: InflationBudget, resolve: _Resolver) -> bytes:
    from pypdf.generic import ArrayObject, DictionaryObject, StreamObject

    if not isinstance(stream, StreamObject):
        raise _NotACredential("no embedded file stream")
    filters = resolve.entry(stream, "/Filter")
    if isinstance(filters, ArrayObject):
        filters = [resolve(item) for item in filters]
    else:
        filters = [filters] if filters is not None else []
    parms = resolve.entry(stream, "/DecodeParms")
    if isinstance(parms, ArrayObject):
        parms = resolve(parms[0]) if len(parms) == 1 else parms
    predictor = parms.get("/Predictor", 1) if isinstance(parms, DictionaryObject) else 1
    if filters == []:
        data = _raw_stream_bytes(stream)
        if len(data) > MAX_CREDENTIAL_BYTES:
            budget.refused_oversized = True
            raise _NotACredential("larger than any credential")
        return data
    # Our badges, and every tool we know, store a JSON attachment with /FlateDecode and
    # nothing else; other filters are refused rather than decoded without a bound.
    if filters != ["/FlateDecode"] or predictor != 1 or isinstance(parms, ArrayObject):
        raise _NotACredential(f"filters {filters} are not read here")
    return budget.inflate(_raw_stream_bytes(stream), MAX_CREDENTIAL_BYTES)


def _candidate_contents(reader: Any, budget: InflationBudget) -> Iterator[bytes]:
    """The contents of the embedded files that may be the credential, ours first."""
    resolve = _Resolver(reader)
    named = []
    for name, spec_ref in _embedded_file_specs(reader, resolve):
        spec = resolve(spec_ref)
        names = _names_of(name, spec, resolve)
        if CREDENTIAL_FILENAME in names:
            named.append((0, name, spec))
        elif any(n.endswith(".json") for n in names):
            named.append((1, name, spec))
    for _rank, _name, spec in sorted(named, key=lambda item: item[:2])[:MAX_CREDENTIAL_CANDIDATES]:
        files = resolve.entry(spec, "/EF")
        stream = resolve.entry(files, "/UF")
        if stream is None:  # not `or`: a stream without dictionary entries is falsy
            stream = resolve.entry(files, "/F")
        try:
            yield _stream_contents(stream, budget, resolve)
        except _NotACredential as why:
            logger.info("embedded file skipped: %s", why)


def credential_from_pdf(data: bytes) -> dict:
    """The signed credential attached to a badge PDF (PDF/A-3 associated file)."""
    from pypdf import PdfReader, apply_configuration
    from pypdf.errors import LimitReachedError

    budget = InflationBudget()
    try:
        with apply_configuration(**PYPDF_LIMITS):
            reader = PdfReader(
                io.BytesIO(data), strict=False, xref_stream_maximum_entries=MAX_XREF_STREAM_ENTRIES
            )
            if reader.is_encrypted:
                raise UnreadableUpload(_("This PDF is encrypted; badge PDFs never are."))
            for contents in _candidate_contents(reader, budget):
                try:
                    credential = _parsed_credential(contents)
                except UnreadableUpload:
                    continue
                return _bounded(credential)
    except UnreadableUpload:
        raise
    except LimitReachedError as exc:
        logger.info("PDF upload over pypdf's limits: %r", exc)
        raise UnreadableUpload(_too_intricate()) from None
    except Exception as exc:  # noqa: BLE001 - pypdf raises many types for broken files
        logger.info("unreadable PDF upload: %r", exc)
        raise UnreadableUpload(
            _("This PDF could not be read: it is damaged or not a PDF.")
        ) from None
    if budget.refused_oversized:
        raise UnreadableUpload(
            _(
                "The file embedded in this PDF as its credential is far larger than a badge "
                "credential (over %(size)d KB); it was not issued here."
            )
            % {"size": MAX_CREDENTIAL_BYTES // 1024}
        )
    raise UnreadableUpload(str(NO_CREDENTIAL))


def looks_like_pdf(data: bytes) -> bool:
    return b"%PDF-" in data[:1024]


def verify_upload(data: bytes) -> Verdict:
    """The verdict for an uploaded file. Raises UnreadableUpload for files we cannot read."""
    if not data:
        raise UnreadableUpload(_("The file is empty."))
    if len(data) > MAX_UPLOAD_BYTES:
        raise UnreadableUpload(_("The file is larger than 5 MB; a badge PDF is far smaller."))
    if looks_like_pdf(data):
        return verify_presented_credential(credential_from_pdf(data), pdf_bytes=data)
    return verify_presented_credential(credential_from_json(data))
