"""Admin actions on renewals, from a course's versions page (courses.version_views):
remind one fellow, remind everyone due, extend one fellow's deadline.

Each needs certificates.manage_renewals (lms.accounts.roles gives it to badge officers)
and answers anyone else with a 403 page. Each is a POST with CSRF; certificates.issuing
.renewal does the work and writes the badge's history (the audit log).
"""

from __future__ import annotations

from datetime import timedelta

from django import forms
from django.http import HttpResponseNotAllowed, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.functional import cached_property
from django.views.generic import FormView
from wagtail.admin import messages
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin

from certificates.dates import badge_day
from certificates.issuing import renewal
from certificates.issuing.issuance import IssuanceError
from certificates.models import Badge
from certificates.staff import renewals
from certificates.staff.forms import ExtendDeadlineForm
from certificates.staff.views import visible_text
from courses.models import CoursePage
from courses.translations import source_page
from courses.version_views import versions_url
from lms.accounts.roles import may_see_fellow_emails


def back_to(badge_or_course) -> str:
    """The course's versions page, or the badge's own page for a course since deleted."""
    if isinstance(badge_or_course, Badge):
        if badge_or_course.course_id is None:
            return reverse("badges:inspect", args=[badge_or_course.pk])
        return reverse("courses_versions", args=[badge_or_course.course_id])
    return versions_url(badge_or_course)


class RenewalPermissionMixin:
    def dispatch(self, request, *args, **kwargs):
        if not renewals.may_manage_renewals(request.user):
            return TemplateResponse(
                request,
                "courses/admin/versions_forbidden.html",
                {
                    "header_title": "Permission denied",
                    "message": "Reminding fellows to renew and extending their deadlines needs "
                    "“Can remind fellows to renew and extend renewal deadlines”. Ask an "
                    "administrator to add it to your group.",
                },
                status=403,
            )
        return super().dispatch(request, *args, **kwargs)


class BadgeRenewalMixin(RenewalPermissionMixin):
    @cached_property
    def badge(self) -> Badge:
        return get_object_or_404(
            Badge.objects.select_related("recipient", "course", "course_version"),
            pk=self.kwargs["pk"],
        )

    def fellow(self) -> str:
        return visible_text(self.badge.snapshot.get("recipient_name", "")) or "The fellow"


class RemindView(BadgeRenewalMixin, WagtailAdminTemplateMixin, FormView):
    """POST: e-mail one fellow a renewal reminder now (the versions page's row button)."""

    form_class = forms.Form

    def get(self, request, *args, **kwargs):
        return HttpResponseNotAllowed(["POST"])

    def form_valid(self, form):
        outcome = renewals.remind_one(self.badge, by=self.request.user)
        if outcome == renewals.SENT:
            messages.success(self.request, f"{self.fellow()} was reminded to renew.")
        elif outcome == renewals.RECENT:
            messages.warning(
                self.request,
                f"{self.fellow()} was reminded less than an hour ago; not sent again.",
            )
        else:
            messages.error(
                self.request,
                f"No reminder sent to {self.fellow()}: the badge is no longer due to renew, "
                "or the e-mail could not be sent (see the logs).",
            )
        return HttpResponseRedirect(back_to(self.badge))


class RemindEveryoneView(RenewalPermissionMixin, WagtailAdminTemplateMixin, FormView):
    """GET: how many fellows would be reminded; POST: remind them (renewals decides
    whether here or in a task)."""

    form_class = forms.Form
    template_name = "certificates/admin/remind_everyone.html"
    page_title = "Remind everyone due to renew"
    header_icon = "mail"

    @cached_property
    def course(self) -> CoursePage:
        return source_page(get_object_or_404(CoursePage, pk=self.kwargs["course_id"]))

    def get_page_subtitle(self):
        return self.course.title

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            course=self.course,
            due=renewals.due_badges(self.course).count(),
            gap_minutes=int(renewals.REMIND_AGAIN_AFTER.total_seconds() // 60),
            cancel_url=back_to(self.course),
            **kwargs,
        )

    def form_valid(self, form):
        try:
            tally = renewals.start_reminding_everyone_due(self.course, by=self.request.user)
        except renewals.QueueUnavailable as exc:
            messages.error(self.request, str(exc))
            return HttpResponseRedirect(back_to(self.course))
        messages.success(self.request, tally_message(tally))
        return HttpResponseRedirect(back_to(self.course))


def tally_message(tally: renewals.ReminderTally) -> str:
    if tally.queued:
        return (
            f"Reminding {tally.queued} fellows in the background; each reminder appears in "
            "its badge's history as it is sent."
        )
    parts = [f"{tally.sent} fellow{'s' if tally.sent != 1 else ''} reminded."]
    if tally.recent:
        parts.append(f"{tally.recent} reminded less than an hour ago: not sent again.")
    if tally.not_sent:
        parts.append(f"{tally.not_sent} could not be e-mailed (see the logs).")
    return " ".join(parts)


class ExtendDeadlineView(BadgeRenewalMixin, WagtailAdminTemplateMixin, FormView):
    template_name = "certificates/admin/extend_renewal.html"
    form_class = ExtendDeadlineForm
    page_title = "Extend the renewal deadline"
    header_icon = "date"

    def get_page_subtitle(self):
        return self.fellow()

    def get_initial(self):
        if self.badge.renew_by is None:
            return {}
        return {"renew_by": (self.badge.renew_by + timedelta(days=30)).date()}

    def form_valid(self, form):
        was_out_of_date = self.badge.state == Badge.State.OUT_OF_DATE
        try:
            badge = renewal.extend_deadline(
                self.badge,
                until=form.deadline(),
                reason=form.cleaned_data["reason"],
                by=self.request.user,
            )
        except (renewal.RenewalError, IssuanceError) as exc:
            form.add_error(None, str(exc))
            return self.form_invalid(form)
        message = f"{self.fellow()} now has until {badge_day(badge.renew_by)} to renew."
        if was_out_of_date and badge.state == Badge.State.ISSUED:
            message += " Their badge is valid again."
        messages.success(self.request, message)
        return HttpResponseRedirect(back_to(badge))

    def form_invalid(self, form):
        response = super().form_invalid(form)
        response.status_code = 400
        return response

    def get_context_data(self, **kwargs):
        badge = self.badge
        return super().get_context_data(
            badge=badge,
            recipient_name=self.fellow(),
            shows_emails=may_see_fellow_emails(self.request.user),
            version=badge.course_version,
            last_reminded_at=renewals.last_reminded_at(badge),
            cancel_url=back_to(badge),
            **kwargs,
        )
