"""Public badge pages and JSON, downloads, achievement pages, status lists, the DID document,
the upload check, and a fellow's own list of badges."""

from __future__ import annotations

import json
import secrets
import time
from pathlib import PurePosixPath

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.core.files.storage import default_storage
from django.http import (
    FileResponse,
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseGone,
    HttpResponseNotModified,
    HttpResponsePermanentRedirect,
    JsonResponse,
)
from django.http.multipartparser import MultiPartParserError
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from certificates.conf import conf
from certificates.issuing import status_publishing
from certificates.issuing.coverage import awaited_badges_of
from certificates.issuing.snapshot import is_safe_storage_name
from certificates.models import Badge
from certificates.public import local_pages, ratelimit, status_version
from certificates.public.sharing import linkedin_add_to_profile_url
from certificates.public.verification import (
    PublicBadge,
    Verdict,
    find_badge,
    find_public_badge,
    verify_badge,
)
from certificates.rendering.qr import qr_svg
from certificates.signing.ob3.status_list import STATUS_PURPOSES

# Cached pages live at most this long; a status change made anywhere stops them from
# being served within seconds (status_version), a purge at once where it reaches, and a
# badge's expiry is checked on every hit.
PAGE_CACHE_SECONDS = 300
# Outside verifiers may cache the status lists and the DID document this long: a change
# reaches a verifier that honours HTTP caching within it. Asking again costs it and us
# little, since a request carrying the current ETag gets a bodiless 304.
PUBLIC_DOCUMENT_MAX_AGE = 5
# One uniform answer for malformed, unknown and guessed ids.
NO_SUCH_BADGE = "No badge has this id."
# Verdicts that can change without a status change are never cached.
_UNCACHEABLE = ("preparing", "unverified", "withdrawn")


def _too_many(request: HttpRequest, *, as_json: bool = False) -> HttpResponse | None:
    return _limited_response(ratelimit.retry_after(request), as_json=as_json)


def _limited_response(wait: int | None, *, as_json: bool = False) -> HttpResponse | None:
    if wait is None:
        return None
    if as_json:
        message = "Too many lookups from your address. Please wait a minute and try again."
        response: HttpResponse = JsonResponse({"error": message}, status=429)
    else:
        message = _("Too many lookups from your address. Please wait a minute and try again.")
        response = HttpResponse(message, status=429, content_type="text/plain; charset=utf-8")
    response["Retry-After"] = str(max(1, wait))
    return response


def _badge_or_404(public_id: str) -> Badge:
    badge = find_badge(public_id)
    if badge is None:
        raise Http404(NO_SUCH_BADGE)
    return badge


def _public_badge_or_404(public_id: str) -> PublicBadge:
    """The columns the verdict and page read (no model instance); the same uniform 404."""
    badge = find_public_badge(public_id)
    if badge is None:
        raise Http404(NO_SUCH_BADGE)
    return badge


def _credential_badge_or_error(public_id: str) -> PublicBadge | HttpResponse:
    """The badge, once it has a signed credential to hand out; the same 404 until then,
    and 410 once it was withdrawn. Its status is for the verdict to tell, not for these
    downloads to hide."""
    badge = _public_badge_or_404(public_id)
    if badge.withdrawn_at:
        return _withdrawn_response()
    if badge.is_preparing or not badge.credential:
        raise Http404("This badge has no credential yet.")
    return badge


def _withdrawn_response() -> HttpResponse:
    """What a withdrawn badge's files answer: gone, and nothing else about it."""
    response = HttpResponseGone(
        _("This badge was withdrawn at the request of the person it was issued to."),
        content_type="text/plain; charset=utf-8",
    )
    return _public_headers(response)


def _public_headers(response: HttpResponse) -> HttpResponse:
    response["X-Robots-Tag"] = "noindex"
    response["Referrer-Policy"] = "same-origin"
    return response


# --- the page cache -----------------------------------------------------------------


def _keys_fingerprint() -> str | None:
    from certificates.signing.credentials import CredentialUnavailable, issuer_keys

    try:
        return issuer_keys().fingerprint
    except CredentialUnavailable:
        return None


def _page_fingerprint() -> str | None:
    """What a cached page must have been built under to be served now: the issuer's keys
    and the current status version (status_version says why); None when either is
    unknown, and then no page is served from a cache or stored in one."""
    keys, version = _keys_fingerprint(), status_version.current()
    if keys is None or version is None:
        return None
    return f"{keys}:{version}"


def _page_cache_keys(public_id: str, language: str) -> tuple[str, str]:
    """The keys `_from_cache` reads: the page in `language`, and the badge's current
    generation (one for all its languages, so one purge drops every one)."""
    return (
        status_publishing.badge_page_cache_key(public_id, language),
        status_publishing.badge_generation_key(public_id),
    )


def _from_cache(
    found: dict, public_id: str, language: str, fingerprint: str | None
) -> tuple[str | None, str | None, float | None]:
    """(cached body or None, current generation or None, the body's expiry as epoch
    seconds or None), from what was read of the `_page_cache_keys` (nothing, when the
    cache is down: the page is rendered afresh)."""
    key, gen_key = _page_cache_keys(public_id, language)
    entry, generation = found.get(key), found.get(gen_key)
    if (
        entry
        and generation
        and fingerprint
        and entry["gen"] == generation
        and entry["fp"] == fingerprint
        # Expiry is decided at request time: an entry never outlives the badge's validity.
        and (entry["until"] is None or time.time() < entry["until"])
    ):
        return entry["body"], generation, entry["until"]
    return None, generation, None


def _page_expiry(badge: PublicBadge) -> float | None:
    """When a cached page of this badge must stop being served: its expiry or its renewal
    deadline, whichever is still to come first (a page that already says "Expired" stays
    true; one that says "has until <deadline> to renew" does not), else None."""
    now = timezone.now()
    ends = [moment for moment in (badge.expires_at, badge.renew_by) if moment and moment > now]
    return min(ends).timestamp() if ends else None


def _to_cache(
    badge: PublicBadge,
    language: str,
    body: str,
    fingerprint: str | None,
    generation: str | None,
) -> None:
    public_id = badge.public_id
    try:
        if generation is None:
            generation = secrets.token_hex(8)
            if not cache.add(
                status_publishing.badge_generation_key(public_id),
                generation,
                timeout=status_publishing.GENERATION_SECONDS,
            ):
                return  # someone purged or started a generation meanwhile: do not guess
        until = _page_expiry(badge)
        timeout = PAGE_CACHE_SECONDS
        if until is not None:
            timeout = max(1, min(timeout, int(until - time.time())))
        cache.set(
            status_publishing.badge_page_cache_key(public_id, language),
            {"gen": generation, "fp": fingerprint, "until": until, "body": body},
            timeout=timeout,
        )
    except Exception:  # noqa: BLE001, S110 - caching is an optimisation only
        pass


# --- badge page and its JSON ----------------------------------------------------------


def _wants_json(request: HttpRequest) -> bool:
    accept = request.headers.get("Accept", "")
    if "json" not in accept:
        return False
    return request.get_preferred_type(["text/html", "application/json"]) == "application/json"


def _json_response(body: str, status: int = 200) -> HttpResponse:
    response = HttpResponse(body, status=status, content_type="application/json")
    response["Access-Control-Allow-Origin"] = "*"
    response["Vary"] = "Accept"
    response["Content-Language"] = settings.LANGUAGE_CODE  # see badge_json
    return _public_headers(response)


@require_GET
def badge_json(request: HttpRequest, public_id: str) -> HttpResponse:
    """The verdict as JSON: /badges/<id>.json, or the page with Accept: application/json."""
    # Not cached, unlike the HTML page: the verdict is one indexed query and a hash
    # comparison away, while a cache miss cost three Redis round trips on top of it, and
    # verifiers mostly ask about a badge once (bench/bench_verify.py). A client over its
    # limit costs no query.
    wait, badge = ratelimit.lookup_unless_limited(request, lambda: find_public_badge(public_id))
    limited = _limited_response(wait, as_json=True)
    if limited:
        return limited
    if badge is None:
        raise Http404(NO_SUCH_BADGE)
    # The JSON is for programs: its status codes are the contract and its words stay in
    # the site's language whatever the asker's browser prefers (the page is translated).
    with translation.override(settings.LANGUAGE_CODE):
        verdict = verify_badge(badge)
        body = json.dumps(verdict.as_dict(), ensure_ascii=False)
    return _json_response(body, status=_status_code(verdict))


def _status_code(verdict: Verdict) -> int:
    # 410 Gone: the badge existed, and what it said left with its holder's account.
    return 410 if verdict.code == "withdrawn" else 200


def _page_context(request: HttpRequest, badge: PublicBadge, verdict: Verdict) -> dict:
    from certificates.signing.credentials import credential_url

    has_credential = bool(badge.credential) and not badge.is_preparing
    is_owner = request.user.is_authenticated and request.user.pk == badge.recipient_id
    return {
        "badge": badge,
        "snapshot": badge.snapshot,
        "status": verdict,
        "verdict": verdict,
        # Only the owner of a valid badge is offered the LinkedIn button.
        "linkedin_url": linkedin_add_to_profile_url(badge.snapshot) if is_owner else "",
        "credential_url": credential_url(badge.public_id) if has_credential else "",
        # The credential names its achievement page; no query needed to find it.
        "achievement_url": _achievement_id(badge.credential) if has_credential else "",
        "is_owner": is_owner,
    }


def _achievement_id(credential: dict) -> str:
    achievement = (credential.get("credentialSubject") or {}).get("achievement") or {}
    url = achievement.get("id")
    return url if isinstance(url, str) and url.startswith(settings.SITE_URL + "/") else ""


@require_GET
def badge_page(request: HttpRequest, public_id: str) -> HttpResponse:
    if _wants_json(request):
        return badge_json(request, public_id)
    # Only pages for visitors without a session are shared: the header and the LinkedIn
    # button differ for a logged-in fellow.
    shareable = (
        settings.SESSION_COOKIE_NAME not in request.COOKIES and conf.CREDENCE_BADGE_PAGE_CACHE
    )
    if not shareable:
        # Nothing to read from the cache: the count, then the lookup.
        wait, badge = ratelimit.lookup_unless_limited(request, lambda: find_public_badge(public_id))
        return _limited_response(wait) or _rendered_page(request, badge)

    # One page per language, each cached on its own.
    language = translation.get_language() or settings.LANGUAGE_CODE
    copy_key = local_pages.page_key(public_id, language)
    # Read before the badge is, so a page is never stored under a version newer than
    # the row it was built from.
    fingerprint = _page_fingerprint()
    # Read before the shared cache: a purge handled after this point stops the page read
    # below from being kept in this process (local_pages says why).
    token = local_pages.memory.token()
    body = local_pages.memory.get(copy_key, fingerprint) if token is not None else None
    if body is not None:
        # This process's own copy: counted here, without I/O (ratelimit.count_in_passing).
        return _limited_response(ratelimit.count_in_passing(request)) or _page_response(body)
    # The limiter's count, then the shared cache's entries.
    wait, found = ratelimit.retry_after_and_get(request, _page_cache_keys(public_id, language))
    limited = _limited_response(wait)
    if limited:
        return limited
    body, generation, until = _from_cache(found, public_id, language, fingerprint)
    if body is None:
        badge = find_public_badge(public_id)
        if badge is None:
            raise Http404(NO_SUCH_BADGE)
        verdict = verify_badge(badge)
        if verdict.code in _UNCACHEABLE or not fingerprint:
            return _rendered_page(request, badge, verdict)
        body = _page_body(request, badge, verdict)
        _to_cache(badge, language, body, fingerprint, generation)
        until = _page_expiry(badge)
    local_pages.memory.keep(copy_key, body, fingerprint, until, token)
    return _page_response(body)


def _rendered_page(
    request: HttpRequest, badge: PublicBadge | None, verdict: Verdict | None = None
) -> HttpResponse:
    """The badge's page rendered for this request, kept in no cache."""
    if badge is None:
        raise Http404(NO_SUCH_BADGE)
    verdict = verdict or verify_badge(badge)
    if verdict.code == "withdrawn":
        response = render(
            request, "certificates/badge_withdrawn.html", {"verdict": verdict}, status=410
        )
        response["Vary"] = "Accept, Accept-Language, Cookie"
        return _public_headers(response)
    return _page_response(_page_body(request, badge, verdict))


def _page_body(request: HttpRequest, badge: PublicBadge, verdict: Verdict) -> str:
    return render_to_string(
        "certificates/badge_page.html", _page_context(request, badge, verdict), request
    )


def _page_response(body: str) -> HttpResponse:
    response = HttpResponse(body)
    response["Vary"] = "Accept, Accept-Language, Cookie"
    return _public_headers(response)


@require_GET
def badge_pdf(request: HttpRequest, public_id: str) -> HttpResponse:
    limited = _too_many(request)
    if limited:
        return limited
    badge = _badge_or_404(public_id)
    if badge.withdrawn_at:
        return _withdrawn_response()
    if badge.state in Badge.PREPARING_STATES or not badge.pdf:
        raise Http404("This badge's PDF is not ready yet.")
    filename = f"credence-badge-{badge.public_id}.pdf"
    response = FileResponse(
        badge.pdf.open("rb"), content_type="application/pdf", as_attachment=True, filename=filename
    )
    return _public_headers(response)


@require_GET
def badge_credential(request: HttpRequest, public_id: str) -> HttpResponse:
    """The signed OpenBadgeCredential, for wallets and verifiers."""
    limited = _too_many(request, as_json=True)
    if limited:
        return limited
    badge = _credential_badge_or_error(public_id)
    if isinstance(badge, HttpResponse):
        return badge
    from certificates.signing.credentials import credential_bytes

    response = HttpResponse(credential_bytes(badge.credential), content_type="application/json")
    response["Content-Disposition"] = f'inline; filename="credence-badge-{public_id}.json"'
    response["Access-Control-Allow-Origin"] = "*"
    return _public_headers(response)


@require_GET
def badge_wallet_qr(request: HttpRequest, public_id: str) -> HttpResponse:
    """The QR code of the badge's credential address, for a wallet to scan.

    An image of its own rather than inline SVG on the badge page: the page's <img> loads
    it lazily, inside the closed "Add to wallet" section, so the many visitors who never
    open it do not pay for it (it was a fifth of an uncached page).
    """
    from certificates.signing.credentials import credential_url

    limited = _too_many(request)
    if limited:
        return limited
    badge = _credential_badge_or_error(public_id)
    if isinstance(badge, HttpResponse):
        return badge
    svg = qr_svg(credential_url(public_id), title="QR code of the credential's address")
    response = HttpResponse(svg, content_type="image/svg+xml; charset=utf-8")
    # The address never changes for a badge. Once the badge is withdrawn the address
    # answers 410, so an image still cached somewhere leads to that answer.
    response["Cache-Control"] = "public, max-age=86400"
    return _public_headers(response)


# The artwork types a design may carry, by file extension (the stored names are Wagtail's).
ARTWORK_TYPES = {
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".gif": "image/gif",
    ".webp": "image/webp",
    ".avif": "image/avif",
    ".svg": "image/svg+xml",
}
# An SVG opened on its own is a document that could run script on this origin: it may
# draw, and nothing else.
ARTWORK_POLICY = "default-src 'none'; style-src 'unsafe-inline'; sandbox"


@require_GET
def badge_artwork(request: HttpRequest, public_id: str) -> HttpResponse:
    """The artwork frozen into the badge when it was issued, as a public image.

    Served from here rather than from the media URL: media is not public in every
    deployment (S3 addresses are signed and expire, and /media/ is served only in
    development), and a later edit of the design must not change an issued badge.
    """
    limited = _too_many(request)
    if limited:
        return limited
    badge = _public_badge_or_404(public_id)
    if badge.withdrawn_at:
        return _withdrawn_response()
    name = badge.snapshot.get("artwork_path") or ""
    kind = ARTWORK_TYPES.get(PurePosixPath(name).suffix.lower())
    if kind is None or not is_safe_storage_name(name):
        raise Http404("This badge has no artwork.")
    try:
        handle = default_storage.open(name, "rb")
    except OSError:  # deleted from storage since (FileNotFoundError included)
        raise Http404("This badge has no artwork.") from None
    response = FileResponse(handle, content_type=kind)
    # The frozen artwork never changes for a badge; a withdrawn badge answers 410.
    response["Cache-Control"] = "public, max-age=86400"
    response["Content-Security-Policy"] = ARTWORK_POLICY
    return _public_headers(response)


# --- achievement pages -------------------------------------------------------------------


@require_GET
def achievement_page(request: HttpRequest, public_id: str) -> HttpResponse:
    """What a badge design certifies: HTML, or the OB 3.0 Achievement as JSON (to
    `Accept: application/json` or `?format=json`). Its address is the `achievement.id`
    of the credentials issued from the design."""
    from certificates.public.achievements import find_achievement

    as_json = _wants_json(request) or request.GET.get("format") == "json"
    limited = _too_many(request, as_json=as_json)
    if limited:
        return limited
    achievement = find_achievement(public_id)
    if achievement is None:
        raise Http404("No achievement has this id.")
    if as_json:
        return _json_response(json.dumps(achievement.as_ob3(), ensure_ascii=False))
    response = render(request, "certificates/achievement.html", {"achievement": achievement})
    response["Vary"] = "Accept"
    return response


@require_GET
def legacy_achievement(request: HttpRequest, course_id: int) -> HttpResponse:
    """The address credentials signed before achievement pages named: a permanent
    redirect to the page, for those credentials only."""
    from certificates.public.achievements import legacy_redirect

    limited = _too_many(request)
    if limited:
        return limited
    target = legacy_redirect(course_id)
    if target is None:
        raise Http404(NO_SUCH_BADGE)
    return HttpResponsePermanentRedirect(target)


# --- issuer documents -------------------------------------------------------------------


def _client_has(request: HttpRequest, etag: str) -> bool:
    """Whether the request's If-None-Match names this (strong) ETag, or any."""
    sent = [t.strip() for t in request.headers.get("If-None-Match", "").split(",")]
    return f'"{etag}"' in sent or "*" in sent


def _cacheable_document(request: HttpRequest, body: bytes | None, etag: str) -> HttpResponse:
    """The document, or 304 when the client already has it (`body` may then be None)."""
    if body is None or _client_has(request, etag):
        response: HttpResponse = HttpResponseNotModified()
    else:
        response = HttpResponse(body, content_type="application/json")
    response["ETag"] = f'"{etag}"'
    response["Cache-Control"] = f"public, max-age={PUBLIC_DOCUMENT_MAX_AGE}"
    response["Access-Control-Allow-Origin"] = "*"
    return response


@require_GET
def status_list(request: HttpRequest, purpose: str) -> HttpResponse:
    """The signed Bitstring Status List credential of one purpose."""
    if purpose not in STATUS_PURPOSES:
        raise Http404("No such status list.")
    # Verifiers revalidate every few seconds: answering one that has the current list
    # reads the list's ETag column alone, not the signed list.
    etag = status_publishing.status_list_etag(purpose)
    if etag is not None and _client_has(request, etag):
        return _cacheable_document(request, None, etag)
    row = status_publishing.get_status_list(purpose)
    return _cacheable_document(request, status_publishing.served_bytes(row.credential), row.etag)


@require_GET
def did_document(request: HttpRequest) -> HttpResponse:
    """The issuer's did:web document: every public key, compromised ones marked revoked."""
    from certificates.signing.credentials import CredentialUnavailable, issuer_keys

    try:
        loaded = issuer_keys()
    except CredentialUnavailable:
        raise Http404("The issuer has no keys yet.") from None
    body = json.dumps(loaded.did_document, indent=2).encode("utf-8")
    return _cacheable_document(request, body, loaded.fingerprint)


# --- upload verification -----------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def verify_upload(request: HttpRequest) -> HttpResponse:
    """Upload a badge PDF or credential JSON and see whether it is genuine and still valid."""
    from certificates.public.pdf_verification import MAX_UPLOAD_BYTES
    from certificates.public.upload_slots import RETRY_AFTER_SECONDS, NoUploadSlot, upload_slot

    context: dict = {"max_mb": MAX_UPLOAD_BYTES // (1024 * 1024)}
    if request.method == "GET":
        return _public_headers(render(request, "certificates/verify.html", context))
    limited = _too_many(request)
    if limited:
        return limited
    try:
        # The slot is taken before the body is parsed: reading it is part of the work.
        with upload_slot():
            status = _check_uploaded_file(request, context)
    except NoUploadSlot:
        context["error"] = _(
            "Many badges are being checked right now. Please try again in %(seconds)d seconds."
        ) % {"seconds": RETRY_AFTER_SECONDS}
        response = render(request, "certificates/verify.html", context, status=503)
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return _public_headers(response)
    return _public_headers(render(request, "certificates/verify.html", context, status=status))


def _declared_length(request: HttpRequest) -> int:
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return 0  # the multipart parser refuses a body it cannot measure


def _too_large(max_mb: int) -> str:
    return _("The file is larger than %(size)d MB.") % {"size": max_mb}


def _check_uploaded_file(request: HttpRequest, context: dict) -> int:
    """Fill `context` with the verdict or the reason the file was refused; the status."""
    from certificates.public.pdf_verification import MAX_UPLOAD_BYTES, UnreadableUpload
    from certificates.public.pdf_verification import verify_upload as check_file

    try:
        # Refuse an oversized body before parsing it.
        if _declared_length(request) > MAX_UPLOAD_BYTES + 64 * 1024:
            raise UnreadableUpload(_too_large(context["max_mb"]))
        upload = request.FILES.get("file")
        if upload is None:
            raise UnreadableUpload(_("Choose a badge PDF or credential JSON file to check."))
        if upload.size > MAX_UPLOAD_BYTES:
            raise UnreadableUpload(_too_large(context["max_mb"]))
        context["verdict"] = check_file(upload.read(MAX_UPLOAD_BYTES + 1))
        context["filename"] = upload.name[:200]
    except UnreadableUpload as error:
        context["error"] = str(error)
        return 400
    except MultiPartParserError:
        context["error"] = _("The upload could not be read. Please choose the file again.")
        return 400
    return 200


# --- the fellow's own list, and the catch-all -------------------------------------------


@login_required
@require_GET
def my_badges(request: HttpRequest) -> HttpResponse:
    from certificates.holdings import badge_history

    # Every badge they have held, replaced ones too: each names the version it certifies.
    rows = badge_history(request.user)
    # A completed course without a badge is the course team's to fix, not the fellow's:
    # never tell them to finish a course they finished.
    awaited = awaited_badges_of(request.user)
    return render(request, "certificates/my_badges.html", {"rows": rows, "awaited": awaited})


def unknown_badge(request: HttpRequest) -> HttpResponse:
    limited = _too_many(request)
    if limited:
        return limited
    raise Http404(NO_SUCH_BADGE)
