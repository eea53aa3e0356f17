"""Forms of the Programme area: the report filter, the member upload, cohort enrolment."""

from __future__ import annotations

from datetime import date, timedelta

from django import forms
from django.utils import timezone

from courses.models import CoursePage
from courses.programme.metrics import Period
from courses.programme.models import Cohort
from courses.translations import default_locale_pages

DEFAULT_DAYS = 90
EARLIEST = date(2000, 1, 1)
LATEST = date(2999, 12, 31)


class ReportFilterForm(forms.Form):
    """Date range (both days included) and cohort. Empty dates mean the last 90 days."""

    start = forms.DateField(
        required=False, label="From", widget=forms.DateInput(attrs={"type": "date"})
    )
    end = forms.DateField(
        required=False, label="To", widget=forms.DateInput(attrs={"type": "date"})
    )
    cohort = forms.ModelChoiceField(
        queryset=Cohort.objects.order_by("name"), required=False, empty_label="All fellows"
    )

    def clean(self):
        cleaned = super().clean()
        if self.errors:
            return cleaned
        end = cleaned.get("end") or timezone.localdate()
        start = cleaned.get("start") or end - timedelta(days=DEFAULT_DAYS - 1)
        for name, day in (("start", start), ("end", end)):
            if not EARLIEST <= day <= LATEST:
                self.add_error(name, f"Choose a day between {EARLIEST.year} and {LATEST.year}.")
        if not self.errors and start > end:
            self.add_error("end", "The end of the range is before its start.")
        cleaned["start"], cleaned["end"] = start, end
        return cleaned

    def period(self) -> Period:
        return Period.from_dates(self.cleaned_data["start"], self.cleaned_data["end"])

    def query_string(self) -> str:
        """The filter as GET parameters, for export links."""
        data = self.cleaned_data
        params = {"start": data["start"].isoformat(), "end": data["end"].isoformat()}
        if data.get("cohort"):
            params["cohort"] = data["cohort"].pk
        from urllib.parse import urlencode

        return urlencode(params)


class MemberUploadForm(forms.Form):
    file = forms.FileField(
        label="CSV file",
        help_text="A header row with an “email” column, then one fellow's e-mail address a row.",
    )


class EnrolCohortForm(forms.Form):
    course = forms.ModelChoiceField(
        queryset=CoursePage.objects.none(),
        help_text=(
            "Every member is enrolled as if they had pressed “Enrol”; members without the "
            "course's prerequisites are listed and left out."
        ),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["course"].queryset = default_locale_pages(CoursePage.objects.live()).order_by(
            "title"
        )
