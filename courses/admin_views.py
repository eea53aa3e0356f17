"""Admin views for the learning records: their lists (with a streamed CSV download), the
"Grant accommodation" form and the list links to it.

The form is reached from each row of "Learning records": quiz attempts, and fellows out of
attempts. It is for superusers and staff with "Can add accommodation"; anyone else gets a
403 page, not Wagtail's redirect to the dashboard, so a refusal is visible. Validation is
`courses.accommodations.grant_accommodation`'s; its errors come back as form errors.
"""

from __future__ import annotations

from django import forms
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.functional import cached_property
from django.views.generic import FormView
from wagtail.admin import messages
from wagtail.admin.ui.menus import MenuItem
from wagtail.admin.ui.tables import Column
from wagtail.admin.views.generic import IndexView
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin

from courses import accommodations, services
from courses.forms import CleanCharField
from courses.models import ModulePage, QuizAttempt
from courses.models.accommodations import (
    MAX_EXTRA_ATTEMPTS,
    MAX_EXTRA_MINUTES,
    REASON_MAX_LENGTH,
)
from lms.accounts.roles import may_see_fellow_emails
from lms.csv_export import streaming_csv_response


class AccommodationForm(forms.Form):
    """Only the fields that mean something for this quiz are offered."""

    extra_attempts = forms.IntegerField(
        min_value=0,
        max_value=MAX_EXTRA_ATTEMPTS,
        initial=0,
        required=False,
        help_text="Attempts added to the quiz's limit for this fellow.",
    )
    reset_cooldown = forms.BooleanField(
        required=False,
        label="Reset the wait",
        help_text="The fellow may start the next attempt now instead of after the wait.",
    )
    extra_minutes = forms.IntegerField(
        min_value=0,
        max_value=MAX_EXTRA_MINUTES,
        initial=0,
        required=False,
        label="Extra time (minutes)",
        help_text="Added to the time limit of every attempt from now on, and of an open one.",
    )
    reason = CleanCharField(
        max_length=REASON_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Why: kept in the audit log with your name. Not shown to the fellow.",
    )

    def __init__(self, *args, module: ModulePage, **kwargs):
        super().__init__(*args, **kwargs)
        if not module.max_attempts:
            del self.fields["extra_attempts"]
        if not module.cooldown_minutes:
            del self.fields["reset_cooldown"]
        if not module.time_limit_minutes:
            del self.fields["extra_minutes"]

    def grant_kwargs(self) -> dict:
        data = self.cleaned_data
        return {
            "extra_attempts": data.get("extra_attempts") or 0,
            "reset_cooldown": bool(data.get("reset_cooldown")),
            "extra_minutes": data.get("extra_minutes") or 0,
            "reason": data["reason"],
        }


class GrantAccommodationView(WagtailAdminTemplateMixin, FormView):
    template_name = "courses/admin/grant_accommodation.html"
    form_class = AccommodationForm
    page_title = "Grant accommodation"
    header_icon = "user"

    def dispatch(self, request, *args, **kwargs):
        if not accommodations.may_grant(request.user):
            return TemplateResponse(
                request,
                "courses/admin/grant_forbidden.html",
                {"header_title": "Permission denied"},
                status=403,
            )
        return super().dispatch(request, *args, **kwargs)

    @cached_property
    def fellow(self):
        return get_object_or_404(get_user_model(), pk=self.kwargs["user_id"], is_active=True)

    @cached_property
    def module(self) -> ModulePage:
        return get_object_or_404(ModulePage, pk=self.kwargs["module_id"])

    def get_page_subtitle(self):
        return f"{self.fellow} · {self.module.title}"

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "module": self.module}

    def form_valid(self, form):
        try:
            accommodations.grant_accommodation(
                fellow=self.fellow, module=self.module, by=self.request.user, **form.grant_kwargs()
            )
        except PermissionDenied:
            return TemplateResponse(
                self.request,
                "courses/admin/grant_forbidden.html",
                {"header_title": "Permission denied"},
                status=403,
            )
        except ValidationError as error:
            if hasattr(error, "error_dict"):
                for field, field_messages in error.message_dict.items():
                    form.add_error(field if field in form.fields else None, field_messages)
            else:
                form.add_error(None, error.messages)
            return self.form_invalid(form)
        messages.success(
            self.request,
            f"Accommodation granted to {self.fellow} on “{self.module.title}”."
            " They can use it now.",
        )
        return HttpResponseRedirect(reverse("accommodations:index"))

    def form_invalid(self, form):
        response = super().form_invalid(form)
        response.status_code = 400
        return response

    def get_context_data(self, **kwargs):
        state = services.quiz_state(self.fellow, self.module)
        return super().get_context_data(
            fellow=self.fellow,
            module=self.module,
            course=self.module.get_parent(),
            state=state,
            attempts=QuizAttempt.objects.filter(user=self.fellow, module=self.module)
            .defer(*services.HEAVY_FIELDS)
            .order_by("attempt_number"),
            reveals_after_last_attempt=self.module.answer_reveal == "after_last_attempt",
            **kwargs,
        )


def grant_menu_item(user, fellow_id: int, module_id: int) -> list[MenuItem]:
    """The row's "Grant accommodation" item, for those who may grant one."""
    if not accommodations.may_grant(user):
        return []
    url = accommodations.grant_url(fellow_id, module_id)
    return [MenuItem("Grant accommodation", url=url, icon_name="user", priority=5)]


class RecordsIndexView(IndexView):
    """The list, and its "Download CSV": streamed from a server-side cursor, formula-safe
    (lms.csv_export), over the list's filters. Wagtail's own download builds
    each row from a model instance held in memory, and its XLSX builds the whole workbook
    in memory: only CSV is offered."""

    export_chunk_size = 2000
    export_related: tuple[str, ...] = ()  # the viewset's: joined for the list's columns

    def get_base_queryset(self):
        return super().get_base_queryset().select_related(*self.export_related)

    @cached_property
    def header_more_buttons(self):
        xlsx = self.xlsx_export_url
        return [b for b in super().header_more_buttons if getattr(b, "url", None) != xlsx]

    @cached_property
    def columns(self):
        """Fellows by name; their e-mail address in a column of its own only for roles
        that write to fellows (lms.accounts.roles)."""
        columns = super().columns
        if not may_see_fellow_emails(self.request.user):
            return columns
        email = Column("email", label="E-mail", accessor=lambda record: record.user.email)
        return [columns[0], email, *columns[1:]]

    def as_spreadsheet(self, queryset, spreadsheet_format):
        if spreadsheet_format != self.FORMAT_CSV:
            raise Http404("Only CSV downloads are offered.")
        # Only roles that write to fellows get their addresses; others get their names.
        hide_emails = not may_see_fellow_emails(self.request.user)
        export = [
            "user.display_name" if hide_emails and f == "user.email" else f
            for f in self.list_export
        ]
        fields = [f.replace(".", "__") for f in export]
        rows = queryset.values_list(*fields).iterator(chunk_size=self.export_chunk_size)
        headings = [
            "Fellow" if f == "user.display_name" else self.get_heading(queryset, f) for f in export
        ]
        return streaming_csv_response(self.get_filename(), headings, rows)


class QuizAttemptIndexView(RecordsIndexView):
    def get_list_more_buttons(self, instance):
        return [
            *super().get_list_more_buttons(instance),
            *grant_menu_item(self.request.user, instance.user_id, instance.module_id),
        ]


class StuckNoticeIndexView(RecordsIndexView):
    def get_list_more_buttons(self, instance):
        return [
            *super().get_list_more_buttons(instance),
            *grant_menu_item(self.request.user, instance.user_id, instance.module_id),
        ]
