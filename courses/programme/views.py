"""The Programme area's admin views: three reports, their CSV exports, cohort members.

Every report needs the `programme.view_reports` permission and is filtered by the GET
form in `forms.ReportFilterForm`; `?format=csv` downloads the table shown, and the larger
per-fellow and per-attempt downloads stream from a server-side iterator. The numbers all
come from `courses.programme.metrics`.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db.models import Count, IntegerField, OuterRef, Subquery, Value
from django.db.models.functions import Coalesce
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.functional import cached_property
from django.views.generic import TemplateView
from wagtail.admin import messages
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin

from courses import services
from courses.models import (
    CourseCompletion,
    CoursePage,
    Enrolment,
    ModulePage,
    ModulePass,
    QuizAttempt,
)
from courses.programme import cohort_upload, metrics
from courses.programme.forms import EnrolCohortForm, MemberUploadForm, ReportFilterForm
from courses.programme.models import Cohort
from lms.accounts.roles import may_see_fellow_emails
from lms.csv_export import streaming_csv_response

REPORTS_PERMISSION = "programme.view_reports"
CHUNK_SIZE = 2000
MEMBERS_SHOWN = 200


def forbidden(request, message: str) -> TemplateResponse:
    """A real 403 page: Wagtail's own views would redirect to the dashboard instead."""
    return TemplateResponse(
        request,
        "programme/forbidden.html",
        {"header_title": "Permission denied", "message": message},
        status=403,
    )


def percent(value: float | None) -> str:
    return "–" if value is None else f"{value * 100:.0f}%"


def number(value: float | None, places: int = 2) -> str:
    return "–" if value is None else f"{value:.{places}f}"


class ReportView(WagtailAdminTemplateMixin, TemplateView):
    """Permission, the filter form, and the switch between the page and its CSV."""

    header_icon = "table"
    exports: dict[str, str] = {}  # ?format= value -> method name

    def dispatch(self, request, *args, **kwargs):
        if not request.user.has_perm(REPORTS_PERMISSION):
            return forbidden(
                request,
                "The Programme reports need the “Can view programme reports” permission. "
                "Ask an administrator to add it to your group.",
            )
        return super().dispatch(request, *args, **kwargs)

    def fellow_columns(self) -> tuple[tuple[str, ...], list[str]]:
        """The fields and headings that name a fellow in an export: the address only for
        roles that write to fellows (lms.accounts.roles), the name for everyone."""
        if may_see_fellow_emails(self.request.user):
            return ("user__email", "user__display_name"), ["email", "name"]
        return ("user__display_name",), ["name"]

    @cached_property
    def filter_form(self) -> ReportFilterForm:
        form = ReportFilterForm(self.request.GET or None)
        if not form.is_bound:
            form = ReportFilterForm({})
        return form

    def get(self, request, *args, **kwargs):
        form = self.filter_form
        if not form.is_valid():
            context = self.get_context_data(filter_form=form, invalid=True, **kwargs)
            return self.render_to_response(context, status=400)
        self.period = form.period()
        self.cohort = form.cleaned_data.get("cohort")
        wanted = request.GET.get("format", "")
        if wanted == "csv":
            return self.export_csv()
        if wanted in self.exports:
            return getattr(self, self.exports[wanted])()
        return super().get(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.setdefault("filter_form", self.filter_form)
        context.update(self.object_context())
        if not context.get("invalid"):
            context["export_query"] = self.filter_form.query_string()
            context["cohort"] = self.cohort
            context.update(self.report_context())
        return context

    def render_to_response(self, context, status: int = 200, **kwargs):
        response = super().render_to_response(context, **kwargs)
        response.status_code = status
        return response

    def object_context(self) -> dict:
        """What the page is about, shown even when the filter is invalid."""
        return {}

    def report_context(self) -> dict:
        raise NotImplementedError

    def export_csv(self):
        raise NotImplementedError


def chart(kind: str, labels: list[str], series: dict[str, list]) -> dict:
    """What programme/charts.js draws; the table beside it holds the same numbers."""
    return {
        "type": kind,
        "labels": labels,
        "datasets": [{"label": name, "data": values} for name, values in series.items()],
    }


class OverviewView(ReportView):
    template_name = "programme/overview.html"
    page_title = "Programme: courses"

    @cached_property
    def rows(self) -> list[metrics.CourseOverview]:
        return metrics.courses_overview(self.period, self.cohort)

    def report_context(self) -> dict:
        rows = self.rows
        return {
            "rows": rows,
            "has_data": any(r.enrolled or r.completed or r.active_7_days for r in rows),
            "chart": chart(
                "bar",
                [r.title for r in rows],
                {
                    "Enrolled": [r.enrolled for r in rows],
                    "Active in the last 7 days": [r.active_7_days for r in rows],
                    "Completed": [r.completed for r in rows],
                },
            ),
        }

    def export_csv(self):
        header = ["course", "enrolled", "active_last_7_days", "completed", "median_days"]
        rows = (
            (
                r.title,
                r.enrolled,
                r.active_7_days,
                r.completed,
                None if r.median_days_to_complete is None else round(r.median_days_to_complete, 3),
            )
            for r in self.rows
        )
        return streaming_csv_response("programme-courses", header, rows)


class FunnelView(ReportView):
    template_name = "programme/funnel.html"
    exports = {"fellows": "export_fellows"}

    @cached_property
    def course(self) -> CoursePage:
        return get_object_or_404(CoursePage, pk=self.kwargs["course_id"])

    def get_page_title(self):
        return f"Programme: {self.course.title}"

    @cached_property
    def rows(self) -> list[metrics.FunnelRow]:
        return metrics.module_funnel(self.course, self.period, self.cohort)

    def object_context(self) -> dict:
        return {"course": self.course}

    def report_context(self) -> dict:
        rows = self.rows
        overview = metrics.course_overview(self.course, self.period, self.cohort)
        return {
            "overview": overview,
            "rows": rows,
            "has_data": any(r.reached for r in rows),
            "fellow_export": [("fellows", "Download one row per fellow (CSV)")],
            "inactive_days": metrics.DEFAULT_INACTIVE_DAYS,
            "chart": chart(
                "bar",
                [r.title for r in rows],
                {
                    "Reached": [r.reached for r in rows],
                    "Attempted": [r.attempted for r in rows],
                    "Passed first try": [r.passed_first_try for r in rows],
                    "Passed eventually": [r.passed_eventually for r in rows],
                    "Stuck": [r.stuck for r in rows],
                },
            ),
        }

    def export_csv(self):
        header = [
            "module",
            "reached",
            "attempted",
            "passed_first_try",
            "passed_eventually",
            "stuck",
        ]
        rows = (
            (r.title, r.reached, r.attempted, r.passed_first_try, r.passed_eventually, r.stuck)
            for r in self.rows
        )
        return streaming_csv_response(f"funnel-{self.course.slug}", header, rows)

    def export_fellows(self):
        """One row per enrolment in the range, streamed from a server-side cursor."""
        fellow_fields, fellow_header = self.fellow_columns()
        module_ids = ModulePage.objects.child_of(self.course).values("id")
        fellow = OuterRef("user_id")
        passed = (
            ModulePass.objects.filter(user_id=fellow, module_id__in=module_ids)
            .values("user_id")
            .annotate(n=Count("pk"))
            .values("n")
        )
        last_attempt = (
            QuizAttempt.objects.filter(user_id=fellow, module_id__in=module_ids)
            .order_by("-started_at")
            .values("started_at")[:1]
        )
        completed = CourseCompletion.objects.filter(user_id=fellow, course=self.course).values(
            "completed_at"
        )[:1]
        enrolments = (
            Enrolment.objects.filter(
                metrics.in_cohort(self.cohort),
                course=self.course,
                enrolled_at__gte=self.period.start,
                enrolled_at__lt=self.period.end,
            )
            .annotate(
                modules_passed=Coalesce(Subquery(passed, output_field=IntegerField()), Value(0)),
                last_attempt=Subquery(last_attempt),
                completed_at=Subquery(completed),
            )
            .order_by("pk")
            .values_list(
                *fellow_fields, "enrolled_at", "modules_passed", "last_attempt", "completed_at"
            )
        )
        header = [*fellow_header, "enrolled_at", "modules_passed", "last_attempt", "completed_at"]
        return streaming_csv_response(
            f"fellows-{self.course.slug}", header, enrolments.iterator(chunk_size=CHUNK_SIZE)
        )


class QuizView(ReportView):
    template_name = "programme/quiz.html"
    exports = {"attempts": "export_attempts"}

    @cached_property
    def module(self) -> ModulePage:
        return get_object_or_404(ModulePage, pk=self.kwargs["module_id"])

    def get_page_title(self):
        return f"Programme: {self.module.title}"

    @cached_property
    def questions(self) -> list[metrics.QuestionStats]:
        return metrics.item_analysis(self.module, self.period, self.cohort)

    def object_context(self) -> dict:
        return {"module": self.module, "course": self.module.get_parent()}

    def report_context(self) -> dict:
        questions = self.questions
        return {
            "summary": metrics.quiz_summary(self.module, self.period, self.cohort),
            "attempt_export": [("attempts", "Download one row per attempt (CSV)")],
            "questions": [
                {
                    "stats": q,
                    "facility": percent(q.facility),
                    "discrimination": number(q.discrimination),
                    "options": [(o, percent(q.pick_share(o))) for o in q.options],
                }
                for q in questions
            ],
            "chart": chart(
                "bar",
                [f"Q{i + 1}" for i in range(len(questions))],
                {
                    "Facility": [round(q.facility or 0, 3) for q in questions],
                    "Discrimination": [round(q.discrimination or 0, 3) for q in questions],
                },
            ),
        }

    def export_csv(self):
        header = [
            "question",
            "type",
            "responses",
            "facility",
            "discrimination",
            "option",
            "option_correct",
            "option_picks",
            "option_upper_group_picks",
            "flags",
        ]

        def rows():
            for q in self.questions:
                flags = " | ".join(q.flags)
                for o in q.options or [None]:
                    yield (
                        q.prompt,
                        q.question_type,
                        q.responses,
                        q.facility,
                        q.discrimination,
                        o.text if o else "",
                        o.correct if o else "",
                        o.picks if o else "",
                        o.upper_picks if o else "",
                        flags,
                    )

        return streaming_csv_response(f"items-{self.module.slug}", header, rows())

    def export_attempts(self):
        """One row per attempt started in the range, streamed from a server-side cursor."""
        fellow_fields, fellow_header = self.fellow_columns()
        attempts = (
            QuizAttempt.objects.filter(
                metrics.in_cohort(self.cohort),
                module=self.module,
                started_at__gte=self.period.start,
                started_at__lt=self.period.end,
            )
            .order_by("pk")
            .values_list(
                *fellow_fields,
                "attempt_number",
                "state",
                "score_percent",
                "passed",
                "started_at",
                "submitted_at",
            )
        )
        header = [
            *fellow_header,
            "attempt",
            "state",
            "score_percent",
            "passed",
            "started_at",
            "submitted_at",
        ]
        return streaming_csv_response(
            f"attempts-{self.module.slug}", header, attempts.iterator(chunk_size=CHUNK_SIZE)
        )


# --- Cohort members -------------------------------------------------------------------------


def cohort_url(name: str, pk: int) -> str:
    return reverse(f"programme_cohorts:{name}", args=[pk])


class CohortActionView(WagtailAdminTemplateMixin, TemplateView):
    """Pages about one cohort; changing its members needs programme.change_cohort."""

    header_icon = "group"
    permission = "programme.change_cohort"

    def dispatch(self, request, *args, **kwargs):
        if not request.user.has_perm(self.permission):
            return forbidden(
                request,
                "Changing a cohort needs the “Can change cohort” permission. "
                "Ask an administrator to add it to your group.",
            )
        return super().dispatch(request, *args, **kwargs)

    @cached_property
    def cohort(self) -> Cohort:
        return get_object_or_404(Cohort, pk=self.kwargs["pk"])

    def get_page_subtitle(self):
        return self.cohort.name

    def get_context_data(self, **kwargs):
        return super().get_context_data(cohort=self.cohort, **kwargs)


class CohortMembersView(CohortActionView):
    """The members, and the CSV upload: POST with a file is the dry run, POST with the
    signed plan applies it."""

    template_name = "programme/cohort_members.html"
    page_title = "Cohort members"
    permission = "programme.view_cohort"

    def get_context_data(self, **kwargs):
        members = (
            get_user_model()
            .objects.filter(cohort_memberships__cohort=self.cohort)
            .order_by("email")
            .only("email", "display_name")
        )
        kwargs.setdefault("upload_form", MemberUploadForm())
        return super().get_context_data(
            members=members[:MEMBERS_SHOWN],
            member_count=members.count(),
            members_shown=MEMBERS_SHOWN,
            may_change=self.request.user.has_perm("programme.change_cohort"),
            enrol_url=cohort_url("enrol", self.cohort.pk),
            **kwargs,
        )

    def post(self, request, *args, **kwargs):
        if not request.user.has_perm("programme.change_cohort"):
            return forbidden(request, "Changing a cohort needs the “Can change cohort” permission.")
        if "plan" in request.POST:
            return self.apply(request.POST["plan"])
        form = MemberUploadForm(request.POST, request.FILES)
        if not form.is_valid():
            return self.render_to_response(self.get_context_data(upload_form=form), status=400)
        upload = form.cleaned_data["file"]
        try:
            if upload.size > cohort_upload.MAX_UPLOAD_BYTES:
                raise cohort_upload.UploadError(
                    f"The file is larger than {cohort_upload.MAX_UPLOAD_BYTES // 1024} KB."
                )
            rows = cohort_upload.read_rows(upload.read(cohort_upload.MAX_UPLOAD_BYTES + 1))
        except cohort_upload.UploadError as exc:
            form.add_error("file", str(exc))
            return self.render_to_response(self.get_context_data(upload_form=form), status=400)
        plan = cohort_upload.plan_members(self.cohort, rows)
        return self.render_to_response(
            self.get_context_data(
                plan=plan,
                plan_token=cohort_upload.sign_rows(self.cohort, rows) if not plan.errors else "",
            )
        )

    def apply(self, token: str):
        try:
            rows = cohort_upload.unsign_rows(self.cohort, token)
            plan = cohort_upload.add_members(self.cohort, rows)
        except cohort_upload.UploadError as exc:
            messages.error(self.request, str(exc))
            return HttpResponseRedirect(cohort_url("members", self.cohort.pk))
        messages.success(
            self.request,
            f"Added {plan.to_add} fellow(s) to {self.cohort.name}; {plan.already} already there.",
        )
        return HttpResponseRedirect(cohort_url("members", self.cohort.pk))


class EnrolCohortView(CohortActionView):
    template_name = "programme/cohort_enrol.html"
    page_title = "Enrol a cohort in a course"

    def get_context_data(self, **kwargs):
        kwargs.setdefault("form", EnrolCohortForm())
        return super().get_context_data(members_url=cohort_url("members", self.cohort.pk), **kwargs)

    def post(self, request, *args, **kwargs):
        form = EnrolCohortForm(request.POST)
        if not form.is_valid():
            return self.render_to_response(self.get_context_data(form=form), status=400)
        course = form.cleaned_data["course"]
        enrolled, refused = [], []
        members = get_user_model().objects.filter(cohort_memberships__cohort=self.cohort)
        for member in members.order_by("email"):
            # The fellow's own enrolment path: prerequisites are checked the same way.
            try:
                services.check_enrol(member, course)
            except services.CourseLocked as exc:
                refused.append((member, exc.decision.message))
            else:
                enrolled.append(member)
        return self.render_to_response(
            self.get_context_data(form=form, course=course, enrolled=enrolled, refused=refused)
        )
