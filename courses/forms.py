"""The quiz form, built from a frozen attempt layout. Validation only.

The quiz form accepts exactly the fields of its attempt: one per question (two for a
preference question: the choice and the rationale) plus the CSRF token. Anything else
(an id from another question or attempt, a `score` field, a repeated value) makes the
whole submission invalid; the view answers 400 and nothing is written.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

# Bidirectional overrides and isolates can make a stored rationale display as something
# other than what was typed; they have no place in a short answer or a rationale.
_BIDI_CONTROLS = dict.fromkeys(
    [0x202A, 0x202B, 0x202C, 0x202D, 0x202E, 0x2066, 0x2067, 0x2068, 0x2069], None
)
ALLOWED_EXTRA_FIELDS = {"csrfmiddlewaretoken"}
RATIONALE_MAX_LENGTH = 2000


def strip_bidi(text: str) -> str:
    return text.translate(_BIDI_CONTROLS)


class CleanCharField(forms.CharField):
    """CharField that also drops bidi controls (NUL is refused by Django's own validator)."""

    def to_python(self, value):
        return strip_bidi(super().to_python(value))


def rationale_name(question_id: str) -> str:
    return f"{question_id}-rationale"


class QuizForm(forms.Form):
    """One attempt's answers. `answers()` returns them keyed by the attempt's question ids."""

    error_css_class = "form-field--error"

    def __init__(self, layout: list[dict], *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.layout = layout
        for question in layout:
            self._add_fields(question)

    def _add_fields(self, q: dict) -> None:
        kind, name = q["type"], q["id"]
        choices = [(c["id"], c.get("label") or c["text"]) for c in q.get("choices", [])]
        required = _("Answer this question.")
        if kind in ("single_choice", "label_item", "preference_ranking"):
            self.fields[name] = forms.ChoiceField(
                choices=choices, widget=forms.RadioSelect, error_messages={"required": required}
            )
        elif kind == "multiple_select":
            self.fields[name] = forms.MultipleChoiceField(
                choices=choices,
                widget=forms.CheckboxSelectMultiple,
                error_messages={"required": _("Tick at least one option.")},
            )
        elif kind == "true_false":
            self.fields[name] = forms.ChoiceField(
                choices=[("true", _("True")), ("false", _("False"))],
                widget=forms.RadioSelect,
                error_messages={"required": required},
            )
        elif kind == "short_answer":
            self.fields[name] = CleanCharField(
                max_length=200, error_messages={"required": required}
            )
        if kind == "preference_ranking":
            minimum = int(q.get("rationale_min_length") or 0)
            self.fields[rationale_name(name)] = CleanCharField(
                min_length=minimum or None,
                max_length=RATIONALE_MAX_LENGTH,
                widget=forms.Textarea(attrs={"rows": 4}),
                error_messages={"required": _("Say briefly why this response is better.")},
            )

    def clean(self):
        cleaned = super().clean()
        data = self.data
        unexpected = [k for k in data if k not in self.fields and k not in ALLOWED_EXTRA_FIELDS]
        if unexpected:
            shown = ", ".join(sorted(str(k)[:40] for k in unexpected)[:5])
            raise ValidationError(
                _("The submission contained fields this quiz does not have (%(names)s)."),
                params={"names": shown},
                code="unexpected_fields",
            )
        multi = {n for n, f in self.fields.items() if isinstance(f, forms.MultipleChoiceField)}
        for key in data:
            values = data.getlist(key) if hasattr(data, "getlist") else [data[key]]
            if key in multi:
                if len(values) != len(set(values)):
                    raise ValidationError(_("An option was sent twice."), code="duplicate")
            elif len(values) > 1:
                raise ValidationError(_("A question was answered twice."), code="duplicate")
        short = [
            q["id"]
            for q in self.layout
            if q["type"] == "short_answer" and q.get("input") == "number"
        ]
        for name in short:
            from courses.grading import parse_number

            if name in cleaned and parse_number(cleaned[name]) is None:
                self.add_error(name, _("Enter a number, for example 12.5."))
        return cleaned

    def answers(self) -> dict[str, Any]:
        """Cleaned answers as JSON-ready values, keyed by question id."""
        out: dict[str, Any] = {}
        for q in self.layout:
            name, kind = q["id"], q["type"]
            value = self.cleaned_data.get(name)
            if kind == "multiple_select":
                out[name] = sorted(value or [])
            elif kind == "true_false":
                out[name] = value == "true"
            elif kind == "preference_ranking":
                out[name] = {
                    "choice": value,
                    "rationale": self.cleaned_data.get(rationale_name(name), ""),
                }
            else:
                out[name] = value
        return out

    def is_tampered(self) -> bool:
        """Errors that an honest browser cannot produce (as opposed to a missed question)."""
        codes = {e.code for e in self.non_field_errors().as_data()}
        if codes & {"unexpected_fields", "duplicate"}:
            return True
        return any(
            e.code in ("invalid_choice", "invalid_list")
            for errors in self.errors.as_data().values()
            for e in errors
        )
