"""Admin views for course versions (docs/decisions/0008): "Publish a new version", a
course's versions with the fellows each certifies and who is due to renew, and the list
of courses to choose from.

Who may do what:
- publishing a version: whoever may publish the course page (Wagtail's page permission
  "publish"); a translation's id stands for its source course, which the version is of;
- a course's versions and their counts: the same people, and the course team with
  "Can remind fellows to renew and extend renewal deadlines" (certificates.manage_renewals);
- the fellows due, reminders and deadline extensions: manage_renewals only
  (certificates.staff.renewal_views has the actions).
Anyone else gets a 403 page. Validation is courses.versions.publish_version's; its
errors come back on the form's fields, with status 400 and nothing written.
"""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import IntegrityError
from django.db.models import Count, OuterRef, Prefetch, Q, Subquery
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.functional import cached_property
from django.views.generic import FormView, TemplateView
from wagtail.admin import messages
from wagtail.admin.paginator import WagtailPaginator
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin
from wagtail.admin.widgets.button import HeaderButton

from certificates.dates import badge_day
from certificates.issuing.renewal import DUE_STATES
from certificates.models import Badge
from certificates.staff.renewals import (
    VersionHolders,
    due_badges,
    holders_per_version,
    last_reminded_at,
    may_manage_renewals,
)
from certificates.staff.views import visible_text
from courses import translations, versions
from courses.models import CoursePage, CourseVersion, ModulePage
from lms.accounts.roles import may_see_fellow_emails

DUE_PER_PAGE = 50
DEFAULT_RENEWAL_DAYS = 60


def publish_url(course) -> str:
    return reverse("courses_version_publish", args=[course.pk])


def versions_url(course) -> str:
    return reverse("courses_versions", args=[course.pk])


def may_publish_version(user, course) -> bool:
    """`course` is the source course (translations.source_page)."""
    return course.permissions_for_user(user).can_publish()


def may_see_versions(user, course) -> bool:
    return may_manage_renewals(user) or may_publish_version(user, course)


def forbidden(request, message: str) -> TemplateResponse:
    """A real 403 page: Wagtail's own views would redirect to the dashboard instead."""
    return TemplateResponse(
        request,
        "courses/admin/versions_forbidden.html",
        {"header_title": "Permission denied", "message": message},
        status=403,
    )


class ModuleChoiceField(forms.ModelMultipleChoiceField):
    """Module ids are checked to be ids before the database sees them: an integer too
    large for the column is a form error, not a database error."""

    MAX_ID_DIGITS = 18  # below 2**63

    def clean(self, value):
        for pk in value if isinstance(value, list | tuple) else ():
            text = str(pk)
            if not text.isdigit() or len(text) > self.MAX_ID_DIGITS:
                raise ValidationError(
                    self.error_messages["invalid_pk_value"],
                    code="invalid_pk_value",
                    params={"pk": text[:20]},
                )
        return super().clean(value)


class PublishVersionForm(forms.Form):
    RENEW, NO_RENEWAL = "renew", "none"

    number = forms.CharField(
        max_length=40,
        label="Version number",
        help_text="What fellows read, for example “Guidelines 2027.1”. It cannot be changed later.",
        validators=[
            RegexValidator(
                r"^[\w .\-/()+]+$",
                "Use letters, digits, spaces and . - _ / ( ) + only.",
            )
        ],
    )
    summary = forms.CharField(
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
        label="What changed",
        help_text="A sentence or two. Fellows read it in the e-mail and on their badge's page.",
    )
    changed_modules = ModuleChoiceField(
        queryset=ModulePage.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="Modules that changed materially",
        help_text="Renewing fellows pass these modules' quizzes again, and only these.",
    )
    renewal = forms.ChoiceField(
        choices=[
            (RENEW, "Fellows must renew within the number of days below"),
            (NO_RENEWAL, "No renewal needed (a clarification or cosmetic change)"),
        ],
        initial=RENEW,
        widget=forms.RadioSelect,
    )
    renewal_days = forms.IntegerField(
        min_value=1,
        max_value=3650,
        initial=DEFAULT_RENEWAL_DAYS,
        required=False,
        label="Days to renew",
    )

    def __init__(self, *args, course: CoursePage, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["changed_modules"]
        # The course's live modules in their order; the lesson bodies are not needed.
        field.queryset = course.get_modules().defer("body")
        field.label_from_instance = lambda module: (
            f"{module.title} (quiz)" if module.has_quiz else f"{module.title} (no quiz)"
        )

    def clean(self):
        cleaned = super().clean()
        if (
            cleaned.get("renewal") == self.RENEW
            and cleaned.get("renewal_days") is None
            and "renewal_days" not in self.errors
        ):
            self.add_error("renewal_days", "Say how many days fellows have to renew.")
        return cleaned

    def publish_kwargs(self) -> dict:
        data = self.cleaned_data
        return {
            "number": data["number"],
            "summary": data["summary"],
            "changed_modules": list(data["changed_modules"]),
            "renewal_days": data["renewal_days"] if data["renewal"] == self.RENEW else None,
        }


class CourseVersionMixin:
    """Finds the course (a translation's source) and checks who may look."""

    def dispatch(self, request, *args, **kwargs):
        if not self.allowed(request.user):
            return forbidden(request, self.refusal)
        return super().dispatch(request, *args, **kwargs)

    refusal = ""

    def allowed(self, user) -> bool:
        raise NotImplementedError

    @cached_property
    def course(self) -> CoursePage:
        page = get_object_or_404(CoursePage, pk=self.kwargs["course_id"])
        return translations.source_page(page)

    def get_page_subtitle(self):
        return self.course.title

    def get_breadcrumbs_items(self):
        items = list(self.breadcrumbs_items)
        if may_manage_renewals(self.request.user):
            items.append({"url": reverse("courses_versions_index"), "label": "Course versions"})
        if self.request.resolver_match.url_name != "courses_versions":
            items.append({"url": versions_url(self.course), "label": "Versions"})
        items.append(
            {"url": "", "label": self.get_page_title(), "sublabel": self.get_page_subtitle()}
        )
        return items


class PublishVersionView(CourseVersionMixin, WagtailAdminTemplateMixin, FormView):
    template_name = "courses/admin/publish_version.html"
    form_class = PublishVersionForm
    page_title = "Publish a new version"
    header_icon = "history"
    refusal = (
        "Publishing a version of this course needs the permission to publish its page. "
        "Ask an administrator to add it to your group."
    )

    def allowed(self, user) -> bool:
        return may_publish_version(user, self.course)

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "course": self.course}

    def form_valid(self, form):
        try:
            version = versions.publish_version(
                self.course, by=self.request.user, **form.publish_kwargs()
            )
        except ValidationError as error:
            for field, field_messages in error.message_dict.items():
                form.add_error(field if field in form.fields else None, field_messages)
            return self.form_invalid(form)
        except IntegrityError:
            # Two authors publishing the same number at once: the database decided.
            form.add_error("number", "This course already has a version with this number.")
            return self.form_invalid(form)
        messages.success(self.request, published_message(version))
        return HttpResponseRedirect(versions_url(self.course))

    def form_invalid(self, form):
        response = super().form_invalid(form)
        response.status_code = 400
        return response

    def get_context_data(self, **kwargs):
        holders = holders_per_version(self.course).values()
        return super().get_context_data(
            course=self.course,
            current=versions.current_version(self.course),
            certified=sum(h.current for h in holders),
            cancel_url=versions_url(self.course),
            **kwargs,
        )


def published_message(version: CourseVersion) -> str:
    if not version.requires_renewal:
        return (
            f"Version {version.number} published. No renewal needed: no fellow's badge or "
            "progress changes; new badges name this version."
        )
    asked = Badge.objects.filter(
        course_id=version.course_id,
        state__in=DUE_STATES,
        course_version__sequence__lt=version.sequence,
    ).count()
    deadline = badge_day(versions.renewal_deadline(version))
    fellows = "1 certified fellow is" if asked == 1 else f"{asked} certified fellows are"
    return (
        f"Version {version.number} published. {fellows} asked to renew by {deadline} "
        "(an earlier deadline still running is kept); they are being e-mailed."
    )


class CourseVersionsView(CourseVersionMixin, WagtailAdminTemplateMixin, TemplateView):
    """The course's versions, newest first, with the fellows each certifies; and, for
    the course team, who is due to renew. Its queries do not grow with either list."""

    template_name = "courses/admin/course_versions.html"
    page_title = "Versions"
    header_icon = "history"
    refusal = (
        "A course's versions are shown to those who may publish the course, and to the "
        "course team with “Can remind fellows to renew and extend renewal deadlines”."
    )

    def allowed(self, user) -> bool:
        return may_see_versions(user, self.course)

    @cached_property
    def may_publish(self) -> bool:
        return may_publish_version(self.request.user, self.course)

    @cached_property
    def header_buttons(self):
        if not self.may_publish:
            return []
        return [
            HeaderButton("Publish a new version", url=publish_url(self.course), icon_name="plus")
        ]

    def versions(self) -> list[CourseVersion]:
        # courses.versions.versions_of, plus who published each and only the modules'
        # titles: one query for the versions, one for all their modules.
        modules = ModulePage.objects.only("title", "path").order_by("path")
        return list(
            CourseVersion.objects.filter(course=self.course)
            .select_related("published_by")
            .prefetch_related(Prefetch("changed_modules", queryset=modules))
            .order_by("-sequence")
        )

    def get_context_data(self, **kwargs):
        holders = holders_per_version(self.course)
        rows = [
            (version, holders.get(version.pk, VersionHolders()), versions.renewal_deadline(version))
            for version in self.versions()
        ]
        context = super().get_context_data(
            course=self.course,
            rows=rows,
            unversioned=holders.get(None),
            may_publish=self.may_publish,
            publish_url=publish_url(self.course),
            **kwargs,
        )
        if may_manage_renewals(self.request.user):
            context.update(self.due_context(due_badges(self.course)))
        return context

    def due_context(self, due) -> dict:
        paginator = WagtailPaginator(due, DUE_PER_PAGE)
        # A page number out of range or not a number shows the last or the first page.
        page = paginator.get_page(self.request.GET.get("p"))
        return {
            "shows_due": True,
            "shows_emails": may_see_fellow_emails(self.request.user),
            "due_page": page,
            "elided_page_range": paginator.get_elided_page_range(page.number),
            "due_rows": [
                {
                    "badge": badge,
                    "name": visible_text(badge.snapshot.get("recipient_name", "")),
                    "last_reminded_at": last_reminded_at(badge),
                    "remind_url": reverse("badges:renewal_remind", args=[badge.pk]),
                    "extend_url": reverse("badges:renewal_extend", args=[badge.pk]),
                    "inspect_url": reverse("badges:inspect", args=[badge.pk]),
                }
                for badge in page.object_list
            ],
            "remind_all_url": reverse("badges:renewal_remind_all", args=[self.course.pk]),
        }


class VersionsIndexView(WagtailAdminTemplateMixin, TemplateView):
    """Every course (in the default language), its current version and how many of its
    fellows are due to renew or out of date, in one query; each links to its versions."""

    template_name = "courses/admin/versions_index.html"
    page_title = "Course versions"
    header_icon = "history"

    def dispatch(self, request, *args, **kwargs):
        if not may_manage_renewals(request.user):
            return forbidden(
                request,
                "The list of course versions is for the course team with “Can remind fellows "
                "to renew and extend renewal deadlines”. Course authors reach a course's "
                "versions from its page.",
            )
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        latest = CourseVersion.objects.filter(course=OuterRef("pk")).order_by("-sequence")
        current = Q(badges__state__in=DUE_STATES)
        courses = (
            translations.default_locale_pages(CoursePage.objects.all())
            .annotate(
                current_number=Subquery(latest.values("number")[:1]),
                current_published_at=Subquery(latest.values("published_at")[:1]),
                certified=Count("badges", filter=current),
                due=Count("badges", filter=current & Q(badges__renew_by__isnull=False)),
                out_of_date=Count("badges", filter=Q(badges__state=Badge.State.OUT_OF_DATE)),
            )
            .order_by("title")
        )
        return super().get_context_data(
            courses=[(course, versions_url(course)) for course in courses], **kwargs
        )
