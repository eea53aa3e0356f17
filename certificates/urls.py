"""Public URLs (mounted at the site root): a fellow's badges, each badge's page, JSON and
downloads, achievement pages, status lists, the DID document and the upload check."""

from django.urls import path, re_path, register_converter

from certificates.models import PUBLIC_ID_PATTERN
from certificates.public import views


class PublicIdConverter:
    # Anything that is not shaped like a public id never reaches a view or the database.
    regex = PUBLIC_ID_PATTERN

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(PublicIdConverter, "badgeid")

app_name = "certificates"

urlpatterns = [
    path("badges/", views.my_badges, name="my_badges"),
    path("badges/<badgeid:public_id>/", views.badge_page, name="badge"),
    path("badges/<badgeid:public_id>.json", views.badge_json, name="badge_json"),
    path("badges/<badgeid:public_id>/badge.pdf", views.badge_pdf, name="badge_pdf"),
    path(
        "badges/<badgeid:public_id>/credential.json",
        views.badge_credential,
        name="badge_credential",
    ),
    path("badges/<badgeid:public_id>/wallet-qr.svg", views.badge_wallet_qr, name="wallet_qr"),
    path("badges/<badgeid:public_id>/artwork", views.badge_artwork, name="badge_artwork"),
    path(
        "badges/achievement/<int:course_id>",
        views.legacy_achievement,
        name="legacy_achievement",
    ),
    # Every other address under /badges/ gets the same 404 without touching the database.
    re_path(r"^badges/.+$", views.unknown_badge),
    path("achievements/<uuid:public_id>/", views.achievement_page, name="achievement"),
    path("status/<str:purpose>", views.status_list, name="status_list"),
    path(".well-known/did.json", views.did_document, name="did_document"),
    path("verify/", views.verify_upload, name="verify"),
]
