"""The single URL map. Wagtail's catch-all comes last, under a language prefix for every
language but English (/zh-hant/...), so English pages keep the addresses they had; every
other URL has one address for all languages."""

from django.conf import settings
from django.conf.urls.i18n import i18n_patterns
from django.urls import include, path
from wagtail import urls as wagtail_urls
from wagtail.admin import urls as wagtailadmin_urls
from wagtail.documents import urls as wagtaildocs_urls

from lms import views
from lms.accounts import language

urlpatterns = [
    # The Django admin is deliberately not mounted: the Wagtail admin covers every
    # model editors need, and one admin means one second-factor gate to get right.
    path("admin/", include(wagtailadmin_urls)),
    path("documents/", include(wagtaildocs_urls)),
    # The header's language switcher: Django's set_language without a CSRF token
    # (lms.accounts.language says why). Outside any i18n_patterns: it must answer at one
    # address in every language.
    path("i18n/setlang/", language.set_language, name="set_language"),
    path("accounts/", include("lms.accounts.urls")),
    path("learning/", include("courses.urls")),
    path("", include("certificates.urls")),
    path("healthz", views.healthz, name="healthz"),
    path("readyz", views.readyz, name="readyz"),
    path("favicon.ico", views.favicon, name="favicon"),
]

if settings.DEBUG:
    from django.conf.urls.static import static

    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)

urlpatterns += i18n_patterns(path("", include(wagtail_urls)), prefix_default_language=False)

handler404 = "lms.views.page_not_found"
handler500 = "lms.views.server_error"
