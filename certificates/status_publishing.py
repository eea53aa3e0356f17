"""Making a badge's status change visible to outside verifiers."""

from __future__ import annotations

from django.core.cache import cache


def badge_page_cache_key(public_id: str) -> str:
    return f"badge-page:{public_id}"


def publish_status_change(badge_id: int) -> None:
    """Purge the cached public page of the badge so its new status shows at once."""
    from certificates.models import Badge

    public_id = Badge.objects.filter(pk=badge_id).values_list("public_id", flat=True).first()
    if public_id:
        cache.delete_many(
            [badge_page_cache_key(public_id), badge_page_cache_key(public_id) + ":json"]
        )
