"""The badge admin's bulk award and revoke: upload a CSV, read the dry run, confirm, watch
the job and download each row's outcome. The work is certificates.staff.bulk's.

Each step checks the permission of the kind it handles ("award" or "revoke", see
BadgePermissionPolicy): an officer who may award but not revoke is offered, and
allowed, only the award.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass

from django.core.cache import cache
from django.http import HttpResponseRedirect, StreamingHttpResponse
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.utils.decorators import method_decorator
from django.views import View
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.generic import TemplateView
from wagtail.admin import messages
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin
from wagtail.permissions import policy_registry

from certificates.conf import conf
from certificates.models import Badge, BulkBadgeJob
from certificates.staff import bulk
from certificates.staff.forms import BulkUploadForm
from certificates.staff.views import (
    BadgeAdminFormView,
    BadgePermissionRequiredMixin,
    admin_url,
)

PREVIEW_TTL_SECONDS = 60 * 60
# Room for the form's other fields and the multipart boundaries around the file.
UPLOAD_OVERHEAD_BYTES = 64 * 1024
_TOKEN = re.compile(r"^[0-9a-f]{32}$")


def _preview_key(token: str) -> str:
    return f"certificates:bulk-preview:{token}"


def _may(user, kind: str) -> bool:
    return policy_registry.get_by_type(Badge).user_has_permission(user, kind)


def forbidden(request) -> TemplateResponse:
    return TemplateResponse(
        request,
        "certificates/admin/forbidden.html",
        {"header_title": "Permission denied", "index_url": admin_url("index")},
        status=403,
    )


def _content_length(request) -> int:
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return 0


# CSRF is checked in post(), after the size: Django's CSRF check reads the whole body,
# and a body too large for any valid upload is refused before anything reads it.
@method_decorator(csrf_exempt, name="dispatch")
class BulkUploadView(BadgeAdminFormView):
    permission_required = "bulk"
    page_title = "Bulk award or revoke"
    template_name = "certificates/admin/bulk_upload.html"
    form_class = BulkUploadForm

    def kinds(self) -> list[tuple[str, str]]:
        return [(k, label) for k, label in BulkBadgeJob.Kind.choices if _may(self.request.user, k)]

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "kinds": self.kinds()}

    def get_initial(self):
        return {"kind": self.request.GET.get("kind")}

    def post(self, request, *args, **kwargs):
        if _content_length(request) > conf.CREDENCE_BULK_CSV_MAX_BYTES + UPLOAD_OVERHEAD_BYTES:
            refused = (
                f"The file is larger than {conf.CREDENCE_BULK_CSV_MAX_BYTES:,} bytes;"
                " split it into parts."
            )
            # An unbound form: binding it would read the body this refuses.
            form = self.get_form_class()(kinds=self.kinds())
            response = self.render_to_response(
                self.get_context_data(form=form, upload_refused=refused)
            )
            response.status_code = 413
            return response
        parent_post = super().post
        return csrf_protect(lambda req: parent_post(req, *args, **kwargs))(request)

    def form_invalid(self, form):
        response = super().form_invalid(form)
        response.status_code = 400
        return response

    def form_valid(self, form):
        kind = form.cleaned_data["kind"]
        if not _may(self.request.user, kind):
            return forbidden(self.request)
        result = bulk.preview(form.rows, kind, filename=form.cleaned_data["file"].name or "")
        token = ""
        if result.can_confirm:
            token = secrets.token_hex(16)
            cache.set(
                _preview_key(token),
                {"user": self.request.user.pk, "preview": result},
                PREVIEW_TTL_SECONDS,
            )
        return TemplateResponse(
            self.request,
            "certificates/admin/bulk_preview.html",
            self.get_context_data(
                form=form,
                result=result,
                token=token,
                is_award=kind == bulk.AWARD,
                confirm_url=admin_url("bulk_confirm"),
                upload_url=admin_url("bulk"),
            ),
        )

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            cancel_url=admin_url("index"),
            max_rows=conf.CREDENCE_BULK_CSV_MAX_ROWS,
            max_bytes=conf.CREDENCE_BULK_CSV_MAX_BYTES,
            **kwargs,
        )


class BulkConfirmView(BadgePermissionRequiredMixin, View):
    """Turn a dry run without errors into a job, once, and queue it."""

    permission_required = "bulk"
    http_method_names = ["post"]

    def post(self, request):
        token = request.POST.get("token", "")
        key = _preview_key(token) if _TOKEN.match(token) else None
        stored = cache.get(key) if key else None
        if stored is None or stored["user"] != request.user.pk:
            messages.error(request, "This preview has expired: upload the file again.")
            return HttpResponseRedirect(admin_url("bulk"))
        result: bulk.Preview = stored["preview"]
        if not _may(request.user, result.kind):
            return forbidden(request)
        if not cache.delete(key):
            # A second click on "Confirm": the first one made the job.
            messages.error(request, "This preview was already confirmed.")
            return HttpResponseRedirect(admin_url("index"))
        job = bulk.create_job(result, by=request.user)
        from certificates.tasks import run_bulk_badge_job_task

        try:
            run_bulk_badge_job_task.apply_async(args=[job.pk], retry=False)
        except Exception:  # noqa: BLE001 - any broker failure: nothing was changed
            BulkBadgeJob.objects.filter(pk=job.pk, state=BulkBadgeJob.State.QUEUED).update(
                state=BulkBadgeJob.State.FAILED,
                message="The job could not be queued (is the task broker running?)."
                " Nothing was changed.",
            )
        return HttpResponseRedirect(admin_url("bulk_progress", job.job_id))


@dataclass(frozen=True)
class BulkProgress:
    job: BulkBadgeJob
    total: int
    done: int

    @property
    def is_done(self) -> bool:
        return self.job.state in (BulkBadgeJob.State.DONE, BulkBadgeJob.State.FAILED)

    @property
    def percent(self) -> int:
        if self.is_done or not self.total:
            return 100
        return self.done * 100 // self.total


def bulk_progress(job: BulkBadgeJob) -> BulkProgress:
    total = job.rows.count()
    done = total if job.state == BulkBadgeJob.State.DONE else bulk.rows_done(job)
    return BulkProgress(job=job, total=total, done=min(done, total))


class BulkJobMixin(BadgePermissionRequiredMixin):
    permission_required = "bulk"

    def get_job(self) -> BulkBadgeJob:
        return get_object_or_404(
            BulkBadgeJob.objects.select_related("created_by"), job_id=self.kwargs["job_id"]
        )


class BulkProgressView(BulkJobMixin, WagtailAdminTemplateMixin, TemplateView):
    """The job's progress, refreshing itself until done; then every row's outcome."""

    page_title = "Bulk award or revoke"
    header_icon = "tag"
    template_name = "certificates/admin/bulk_progress.html"
    refresh_seconds = 3

    def get(self, request, *args, **kwargs):
        job = self.get_job()
        if not _may(request.user, job.kind):
            return forbidden(request)
        self.job = job
        return super().get(request, *args, **kwargs)

    def get_page_subtitle(self):
        return self.job.get_kind_display()

    def get_context_data(self, **kwargs):
        progress = bulk_progress(self.job)
        return super().get_context_data(
            job=self.job,
            progress=progress,
            rows=list(self.job.rows.select_related("badge").order_by("line"))
            if progress.is_done
            else [],
            refresh_seconds=self.refresh_seconds,
            index_url=admin_url("index"),
            outcomes_url=admin_url("bulk_outcomes", self.job.job_id),
            **kwargs,
        )

    get_breadcrumbs_items = BadgeAdminFormView.get_breadcrumbs_items


class BulkOutcomesView(BulkJobMixin, View):
    """Each row's outcome as CSV, safe to open in a spreadsheet."""

    def get(self, request, job_id):
        job = self.get_job()
        if not _may(request.user, job.kind):
            return forbidden(request)
        response = StreamingHttpResponse(
            bulk.outcomes_csv(job), content_type="text/csv; charset=utf-8"
        )
        response["Content-Disposition"] = (
            f'attachment; filename="bulk-{job.kind}-{job.job_id[:8]}-outcomes.csv"'
        )
        return response
