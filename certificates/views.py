"""Public badge pages, PDF downloads and the fellow's own badge list: thin over verification."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from certificates.models import Badge
from certificates.sharing import linkedin_add_to_profile_url
from certificates.verification import badge_status, find_badge


def _badge_or_404(public_id: str) -> Badge:
    badge = find_badge(public_id)
    if badge is None:
        # One uniform answer for malformed, unknown and guessed ids.
        raise Http404("No badge has this id.")
    return badge


@require_GET
def badge_page(request: HttpRequest, public_id: str) -> HttpResponse:
    badge = _badge_or_404(public_id)
    status = badge_status(badge)
    response = render(
        request,
        "certificates/badge_page.html",
        {
            "badge": badge,
            "snapshot": badge.snapshot,
            "status": status,
            "linkedin_url": linkedin_add_to_profile_url(badge.snapshot),
            "is_owner": request.user.is_authenticated and request.user.pk == badge.recipient_id,
        },
    )
    response["X-Robots-Tag"] = "noindex"
    return response


@require_GET
def badge_pdf(request: HttpRequest, public_id: str) -> FileResponse:
    badge = _badge_or_404(public_id)
    if badge.state in Badge.PREPARING_STATES or not badge.pdf:
        raise Http404("This badge's PDF is not ready yet.")
    filename = f"credence-badge-{badge.public_id}.pdf"
    response = FileResponse(
        badge.pdf.open("rb"), content_type="application/pdf", as_attachment=True, filename=filename
    )
    response["X-Robots-Tag"] = "noindex"
    return response


@login_required
@require_GET
def my_badges(request: HttpRequest) -> HttpResponse:
    badges = list(
        Badge.objects.filter(recipient=request.user).exclude(state=Badge.State.SUPERSEDED)
    )
    rows = [
        {
            "badge": badge,
            "status": badge_status(badge),
            "linkedin_url": linkedin_add_to_profile_url(badge.snapshot),
        }
        for badge in badges
    ]
    return render(request, "certificates/my_badges.html", {"rows": rows})


def unknown_badge(request: HttpRequest) -> HttpResponse:
    raise Http404("No badge has this id.")
