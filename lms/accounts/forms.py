"""Account forms: they validate, and the views save through the models and services.

The exception is the password-reset form: as Django's own, its save() sends the e-mail,
here with the link on SITE_URL and within mail_throttle's limits.
"""

from django import forms
from django.contrib.auth import authenticate, get_user_model, password_validation
from django.contrib.auth.forms import AuthenticationForm, PasswordResetForm
from django.core.exceptions import ValidationError
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from lms.site_url import scheme_and_domain

from .mail_throttle import claim_account_email
from .models import normalize_email_address
from .names import MAX_DISPLAY_NAME_LENGTH, clean_display_name

User = get_user_model()

_CODE_ATTRS = {
    "autocomplete": "one-time-code",
    "inputmode": "numeric",
    "autocapitalize": "off",
    "spellcheck": "false",
    "maxlength": "20",
}


class DisplayNameField(forms.CharField):
    """The certificate name; all rules are in names.clean_display_name."""

    def __init__(self, **kwargs):
        kwargs.setdefault("label", _("Name on certificates"))
        kwargs.setdefault(
            "help_text",
            _("Your full name exactly as it should be printed on your badges, in any script."),
        )
        # Django's own max_length and NUL validators would duplicate our messages;
        # clean_display_name gives one clear error per problem.
        kwargs.setdefault("strip", False)
        super().__init__(**kwargs)
        self.widget.attrs.update({"autocomplete": "name", "maxlength": MAX_DISPLAY_NAME_LENGTH})
        self.validators = []

    def to_python(self, value):
        value = super().to_python(value)
        if value in self.empty_values:
            return value
        return clean_display_name(value)


class SignupForm(forms.Form):
    """Step one of sign-up: only the address. Whether it is registered is never a form
    error (that would tell anyone); lms.accounts.signup e-mails the owner instead."""

    email = forms.EmailField(
        label=_("E-mail address"), widget=forms.EmailInput(attrs={"autocomplete": "email"})
    )
    next = forms.CharField(required=False, widget=forms.HiddenInput)

    def clean_email(self) -> str:
        return normalize_email_address(self.cleaned_data["email"])


class FinishSignupForm(forms.Form):
    """Step two, reached from the e-mailed link: the certificate name and a password."""

    display_name = DisplayNameField()
    password1 = forms.CharField(
        label=_("Password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=password_validation.password_validators_help_text_html(),
    )
    password2 = forms.CharField(
        label=_("Password again"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def __init__(self, *args, email: str, **kwargs):
        self.email = email
        super().__init__(*args, **kwargs)

    def clean(self):
        cleaned = super().clean()
        p1, p2 = cleaned.get("password1"), cleaned.get("password2")
        if p1 and p2 and p1 != p2:
            self.add_error("password2", _("The two passwords do not match."))
        elif p1:
            probe = User(email=self.email, display_name=cleaned.get("display_name"))
            try:
                password_validation.validate_password(p1, probe)
            except ValidationError as exc:
                self.add_error("password1", exc)
        return cleaned


class SiteURLPasswordResetForm(PasswordResetForm):
    """Django's reset form, with the link on SITE_URL and the account e-mail throttle.

    Django builds the link from the request's Host header unless given a domain; that
    header is the client's to choose (docs/threats.md, row A10). Over the throttle the e-mail is not
    sent, and the page says the same as when it is (A9).
    """

    request = None

    def save(self, **kwargs):
        scheme, domain = scheme_and_domain()
        kwargs.update(domain_override=domain, use_https=scheme == "https")
        self.request = kwargs.get("request")
        return super().save(**kwargs)

    def send_mail(
        self,
        subject_template_name,
        email_template_name,
        context,
        from_email,
        to_email,
        html_email_template_name=None,
    ):
        if not claim_account_email(self.request, to_email, kind="password_reset"):
            return
        # In the account holder's language, whatever the page was in.
        with translation.override(context["user"].preferred_language):
            super().send_mail(
                subject_template_name,
                email_template_name,
                context,
                from_email,
                to_email,
                html_email_template_name=html_email_template_name,
            )


class ProfileForm(forms.ModelForm):
    display_name = DisplayNameField()

    class Meta:
        model = User
        fields = ["display_name", "show_scores_on_badges"]


class EmailAuthenticationForm(AuthenticationForm):
    """Django's login form with the address normalised before authenticate().

    Normalising first also means django-axes counts failures per mailbox, not per
    spelling: "Ada@X.org" and "ada@x.org" share one lockout counter.
    """

    def __init__(self, request=None, *args, **kwargs):
        super().__init__(request, *args, **kwargs)
        self.fields["username"].label = _("E-mail address")
        self.fields["username"].widget.attrs["autocomplete"] = "username"
        self.fields["password"].widget.attrs["autocomplete"] = "current-password"

    def clean_username(self) -> str:
        return normalize_email_address(self.cleaned_data.get("username"))


class CodeForm(forms.Form):
    """One code field; the views hand the code to second_factor.verify_code."""

    otp_token = forms.CharField(
        label=_("Code"),
        help_text=_("The 6-digit code from your authenticator app, or one of your backup codes."),
        widget=forms.TextInput(attrs=dict(_CODE_ATTRS, autofocus=True)),
    )


class EnrolForm(forms.Form):
    otp_token = forms.CharField(
        label=_("Code from your app"),
        help_text=_("After scanning the QR code, type the 6-digit code your app shows."),
        widget=forms.TextInput(attrs=dict(_CODE_ATTRS, autofocus=True, pattern=r"[0-9 ]*")),
    )


class _ReauthenticationForm(forms.Form):
    """A form that asks the signed-in user for their password again."""

    password = forms.CharField(
        label=_("Your password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )

    def __init__(self, request, *args, **kwargs):
        self.request = request
        super().__init__(*args, **kwargs)

    def clean_password(self) -> str:
        password = self.cleaned_data["password"]
        user = self.request.user
        # authenticate(), not check_password(): django-axes throttles guesses here too.
        if authenticate(self.request, username=user.get_username(), password=password) is None:
            raise ValidationError(_("That password is not correct."), code="invalid_login")
        return password


class RemoveDevicesForm(_ReauthenticationForm):
    """Re-authentication before turning two-factor login off: password and a current code."""

    otp_token = forms.CharField(
        label=_("Current code"),
        help_text=_("A code from your authenticator app, or a backup code."),
        widget=forms.TextInput(attrs=_CODE_ATTRS),
    )


class EraseAccountForm(_ReauthenticationForm):
    """Re-authentication (password, and a current code for users with two-factor login)
    and an explicit confirmation before an account is erased."""

    otp_token = forms.CharField(
        label=_("Current code"),
        help_text=_("A code from your authenticator app, or a backup code."),
        widget=forms.TextInput(attrs=_CODE_ATTRS),
    )
    confirm = forms.BooleanField(
        label=_("I understand that my badges will be withdrawn and this cannot be undone."),
        error_messages={"required": _("Tick the box to confirm.")},
    )

    def __init__(self, request, *args, needs_code: bool = False, **kwargs):
        super().__init__(request, *args, **kwargs)
        if not needs_code:
            del self.fields["otp_token"]
