"""Media on S3-compatible storage (AWS, MinIO, Ceph, R2, ...), when a bucket is named.

The bucket stays private: nothing in it is readable at a plain object URL. Badge PDFs and
frozen badge artwork are served through the app (certificates/public/views.py), which
checks the badge's status on every download: a revoked or withdrawn badge stops being
downloadable at once, where a signed URL handed out earlier would keep working until it
expired and could be passed around; the download is rate limited like the badge page and
keeps its filename. A PDF is small and streamed, so the cost is a web process's time.
Wagtail's images (lesson pictures, the admin's thumbnails) are linked by short-lived signed
URLs instead: they are not personal, and a browser or CDN may cache them.
"""

from __future__ import annotations

from storages.backends.s3 import S3Storage

# Cache-Control stored on each object, by the folder its name starts with. Files read only
# by the app (badge PDFs, Wagtail documents behind its permission checks) are never kept
# by a shared cache; images get a new name when they change, so may be cached for a day.
PRIVATE_FOLDERS = ("badges/", "documents/")
PRIVATE_CACHE_CONTROL = "private, no-store"
PUBLIC_CACHE_CONTROL = "public, max-age=86400"


def cache_control_for(name: str) -> str:
    return PRIVATE_CACHE_CONTROL if name.startswith(PRIVATE_FOLDERS) else PUBLIC_CACHE_CONTROL


class MediaStorage(S3Storage):
    """django-storages' S3 backend, with each object's Cache-Control chosen by its folder."""

    def get_object_parameters(self, name: str) -> dict:
        return {**super().get_object_parameters(name), "CacheControl": cache_control_for(name)}
