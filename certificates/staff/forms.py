"""Admin forms for badges: the design form, the lifecycle actions and the badge filters."""

from __future__ import annotations

from datetime import datetime, time, timedelta

import django_filters
from django import forms
from django.contrib.auth import get_user_model
from django.db.models import QuerySet
from django.utils import timezone
from wagtail.admin.filters import DateRangePickerWidget, WagtailFilterSet
from wagtail.admin.forms import WagtailAdminModelForm

from certificates.models import Badge, BadgeDesign
from courses.forms import CleanCharField
from courses.models import CoursePage
from courses.translations import default_locale_pages
from lms.accounts.names import check_printable_name


def courses_with_a_design() -> QuerySet[CoursePage]:
    return CoursePage.objects.filter(badge_design__isnull=False).order_by("title")


ONE_DESIGN_PER_COURSE = "This course already has a badge design. Edit that design instead."


class BadgeDesignForm(WagtailAdminModelForm):
    """The snippet form. One design per course: a second one is a form error, not a 500."""

    def clean_course(self):
        course = self.cleaned_data.get("course")
        if (
            course is not None
            and BadgeDesign.objects.filter(course=course).exclude(pk=self.instance.pk).exists()
        ):
            raise forms.ValidationError(ONE_DESIGN_PER_COURSE)
        return course


class RevokeForm(forms.Form):
    reason = forms.CharField(
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Shown on the public badge page and in the e-mail to the fellow.",
    )


class AwardForm(forms.Form):
    email = forms.EmailField(
        label="Fellow's e-mail address",
        help_text="The account the badge is awarded to.",
    )
    course = forms.ModelChoiceField(
        queryset=CoursePage.objects.none(),
        help_text="Only courses with a badge design are listed.",
    )
    score_percent = forms.IntegerField(
        required=False,
        min_value=0,
        max_value=100,
        label="Score (%)",
        help_text=(
            "Optional; printed on the badge only if the fellow has chosen to show scores "
            "on their badges (their profile)."
        ),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["course"].queryset = courses_with_a_design()

    def clean_email(self):
        email = self.cleaned_data["email"]
        recipient = get_user_model().objects.filter(email__iexact=email).first()
        if recipient is None:
            raise forms.ValidationError("No account has this e-mail address.")
        try:
            check_printable_name(recipient.display_name)
        except forms.ValidationError as exc:
            raise forms.ValidationError(
                f"{exc.messages[0]} This fellow needs to change the name on their profile "
                "before a badge can be awarded."
            ) from None
        self.recipient = recipient
        return email

    def clean(self):
        cleaned = super().clean()
        recipient = getattr(self, "recipient", None)
        course = cleaned.get("course")
        if recipient is not None and course is not None:
            # The service would quietly return the existing badge; say so instead.
            existing = Badge.objects.filter(
                recipient=recipient, course=course, state__in=Badge.ACTIVE_STATES
            ).first()
            if existing is not None:
                raise forms.ValidationError(
                    f"This fellow already holds a badge for this course ({existing.public_id})."
                )
        return cleaned


class RerenderForm(forms.Form):
    course = forms.ModelChoiceField(
        queryset=CoursePage.objects.none(),
        help_text="Every issued badge of this course gets a fresh PDF from its frozen wording.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["course"].queryset = courses_with_a_design()


class BackfillForm(forms.Form):
    course = forms.ModelChoiceField(
        queryset=CoursePage.objects.none(),
        help_text=(
            "Every fellow who completed this course and holds no badge for it gets one, from"
            " the current design. Fellows whose badge was revoked are left alone."
        ),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["course"].queryset = courses_with_a_design()

    def clean_course(self):
        from certificates.issuing.coverage import completions_without_badge

        course = self.cleaned_data["course"]
        if not completions_without_badge(course).exists():
            raise forms.ValidationError(
                "Everyone who completed this course already holds a badge for it."
            )
        return course


class ExtendDeadlineForm(forms.Form):
    """A later renewal deadline for one fellow. certificates.issuing.renewal.extend_deadline
    checks it against the badge (its RenewalError becomes a form error)."""

    # As far ahead as the longest renewal window a version may give.
    MAX_DAYS_AHEAD = 3650

    renew_by = forms.DateField(
        label="New deadline",
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text="The fellow has until the end of this day (UTC) to renew.",
    )
    reason = CleanCharField(
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Kept in the badge's history with your name. Not shown to the fellow.",
    )

    def clean_renew_by(self):
        day = self.cleaned_data["renew_by"]
        if day > timezone.localdate() + timedelta(days=self.MAX_DAYS_AHEAD):
            raise forms.ValidationError(
                f"Choose a day within {self.MAX_DAYS_AHEAD} days from today."
            )
        return day

    def deadline(self) -> datetime:
        """The end of the chosen day, in the site's time zone."""
        return timezone.make_aware(datetime.combine(self.cleaned_data["renew_by"], time.max))


# "pending" and "rendering" share a public label; the filter needs to tell them apart.
STATE_FILTER_CHOICES = [
    (value, {"pending": "Queued for rendering", "rendering": "Rendering"}.get(value, label))
    for value, label in Badge.State.choices
]


class BadgeFilterSet(WagtailFilterSet):
    state = django_filters.ChoiceFilter(
        choices=STATE_FILTER_CHOICES, widget=forms.RadioSelect, empty_label="All"
    )
    course = django_filters.ModelChoiceFilter(
        queryset=lambda request: default_locale_pages(CoursePage.objects.order_by("title"))
    )
    issued_at = django_filters.DateFromToRangeFilter(
        label="Issued between", widget=DateRangePickerWidget
    )

    class Meta:
        model = Badge
        fields = ["state", "course", "issued_at"]


class BulkUploadForm(forms.Form):
    """The CSV of a bulk award or revoke; certificates.staff.bulk reads and checks it."""

    kind = forms.ChoiceField(choices=(), widget=forms.RadioSelect, label="What to do for each row")
    file = forms.FileField(
        label="CSV file",
        help_text=(
            "UTF-8, first line naming the columns. Award: email, course (its slug or id). "
            "Revoke: badge (its public id) or email and course, and reason."
        ),
    )

    def __init__(self, *args, kinds: list[tuple[str, str]], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = kinds
        if len(kinds) == 1:
            self.fields["kind"].initial = kinds[0][0]

    def clean(self):
        from certificates.conf import conf
        from certificates.staff import bulk

        cleaned = super().clean()
        upload, kind = cleaned.get("file"), cleaned.get("kind")
        if upload is None or not kind:
            return cleaned
        limit = conf.CREDENCE_BULK_CSV_MAX_BYTES
        if upload.size > limit:
            self.add_error("file", f"The file is larger than {limit:,} bytes; split it into parts.")
            return cleaned
        try:
            self.rows = bulk.read_csv(upload.read(limit + 1), kind)
        except bulk.UploadError as error:
            self.add_error("file", str(error))
        return cleaned
