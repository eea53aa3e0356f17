"""Account views, thin over the forms, signup, second_factor and erasure: sign-up, login,
profile, password change and reset, two-factor login and account erasure."""

import segno
from django.contrib import messages
from django.contrib.auth import login, logout
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST
from django_otp import login as otp_login

from . import second_factor
from . import signup as signup_flow
from .erasure import ErasureRefused, ErasureUnavailable, erase_account, why_not_erasable
from .forms import (
    CodeForm,
    EmailAuthenticationForm,
    EnrolForm,
    EraseAccountForm,
    FinishSignupForm,
    ProfileForm,
    RemoveDevicesForm,
    SignupForm,
    SiteURLPasswordResetForm,
)
from .sessions import OTP_PENDING_SESSION_KEY, clear_otp_pending


def _safe_next(request: HttpRequest, default: str = "/") -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default


def _no_store(response: HttpResponse) -> HttpResponse:
    # Pages showing a secret or backup codes must not be kept by any cache.
    response["Cache-Control"] = "no-store"
    return response


class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    authentication_form = EmailAuthenticationForm

    def get_success_url(self) -> str:
        url = super().get_success_url()
        if self.request.session.get(OTP_PENDING_SESSION_KEY):
            return f"{reverse('accounts:otp_verify')}?{urlencode({'next': url})}"
        return url


@never_cache
def signup(request: HttpRequest) -> HttpResponse:
    """Step one: an address. The answer is the same whether or not it has an account."""
    if request.user.is_authenticated:
        return redirect("accounts:profile")
    initial = {"next": request.GET.get("next", "")}
    form = SignupForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        signup_flow.start_signup(request, form.cleaned_data["email"], form.cleaned_data["next"])
        return redirect("accounts:signup_sent")
    return render(request, "accounts/signup.html", {"form": form})


def signup_sent(request: HttpRequest) -> HttpResponse:
    return render(request, "accounts/signup_sent.html")


@sensitive_post_parameters("password1", "password2")
@never_cache
def signup_finish(request: HttpRequest, token: str) -> HttpResponse:
    """Step two, from the e-mailed link: a name and a password make the account."""
    claim = signup_flow.read_token(token)
    if claim is None:
        return render(request, "accounts/signup_link_invalid.html", status=400)
    if signup_flow.is_registered(claim.email):
        return render(
            request, "accounts/signup_link_invalid.html", {"registered": True}, status=400
        )
    form = FinishSignupForm(request.POST or None, email=claim.email)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            user = signup_flow.complete_signup(
                claim, display_name=data["display_name"], password=data["password1"]
            )
        except signup_flow.AlreadyRegistered:
            context = {"registered": True}
            return render(request, "accounts/signup_link_invalid.html", context, status=400)
        if request.user.is_authenticated:
            logout(request)  # someone else's session in this browser
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        messages.success(request, _("Welcome to Credence. Your account is ready."))
        return redirect(claim.next_url or reverse("accounts:profile"))
    return render(request, "accounts/signup_finish.html", {"form": form, "email": claim.email})


@login_required
def profile(request: HttpRequest) -> HttpResponse:
    form = ProfileForm(request.POST or None, instance=request.user)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("Your certificate settings have been saved."))
        return redirect("accounts:profile")
    context = {
        "form": form,
        "has_device": second_factor.has_confirmed_device(request.user),
        "badges_showing_a_score": _badges_showing_a_score(request.user),
    }
    return render(request, "accounts/profile.html", context)


def _badges_showing_a_score(user) -> list:
    """The fellow's current badges that carry their score (issued with it: frozen)."""
    from certificates.models import Badge

    badges = Badge.objects.filter(
        recipient=user, state__in=(Badge.State.ISSUED, Badge.State.SUSPENDED)
    )
    return [b for b in badges if b.snapshot.get("score_percent") is not None]


@sensitive_post_parameters("otp_token")
@never_cache
@login_required
def otp_verify(request: HttpRequest) -> HttpResponse:
    next_url = _safe_next(request)
    if request.user.is_verified():
        clear_otp_pending(request)
        return HttpResponseRedirect(next_url)
    if not second_factor.has_confirmed_device(request.user):
        # Devices were removed in another session: nothing to verify against.
        clear_otp_pending(request)
        return HttpResponseRedirect(next_url)
    form = CodeForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        result = second_factor.verify_code(request.user, form.cleaned_data["otp_token"])
        if result.ok:
            otp_login(request, result.device)
            clear_otp_pending(request)
            # A new session key at each privilege step, as at password login.
            request.session.cycle_key()
            return HttpResponseRedirect(next_url)
        form.add_error("otp_token", result.message)
        status = 429 if result.throttled else 200
    return render(
        request, "accounts/otp_verify.html", {"form": form, "next": next_url}, status=status
    )


@sensitive_post_parameters("otp_token")
@never_cache
@login_required
def otp_setup(request: HttpRequest) -> HttpResponse:
    user = request.user
    next_url = _safe_next(request, reverse("accounts:otp_manage"))
    if second_factor.has_confirmed_device(user):
        if not user.is_verified():
            return redirect(f"{reverse('accounts:otp_verify')}?{urlencode({'next': next_url})}")
        messages.info(request, _("Two-factor login is already on for your account."))
        return redirect("accounts:otp_manage")
    device = second_factor.start_totp_enrolment(user)
    form = EnrolForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        confirmed, codes = second_factor.confirm_totp_enrolment(
            user, form.cleaned_data["otp_token"]
        )
        if confirmed is not None:
            otp_login(request, confirmed)
            clear_otp_pending(request)
            request.session.cycle_key()
            context = {"codes": codes, "next": next_url, "first_time": True}
            return _no_store(render(request, "accounts/otp_backup_codes.html", context))
        form.add_error("otp_token", _("That code did not match. Check the time on your phone."))
    qr = segno.make(device.config_url, error="m")
    context = {
        "form": form,
        "next": next_url,
        "qr_svg": qr.svg_inline(
            scale=5, omitsize=True, title=_("QR code for your authenticator app")
        ),
        "secret": _format_secret(device),
    }
    return _no_store(render(request, "accounts/otp_setup.html", context))


def _format_secret(device) -> str:
    from base64 import b32encode

    raw = b32encode(device.bin_key).decode().rstrip("=")
    return " ".join(raw[i : i + 4] for i in range(0, len(raw), 4))


@never_cache
@login_required
def otp_manage(request: HttpRequest) -> HttpResponse:
    context = {
        "totp": second_factor.get_totp_device(request.user),
        "has_device": second_factor.has_confirmed_device(request.user),
    }
    return render(request, "accounts/otp_manage.html", context)


@never_cache
@login_required
@require_POST
def otp_backup_codes(request: HttpRequest) -> HttpResponse:
    if not second_factor.has_confirmed_device(request.user) or not request.user.is_verified():
        return redirect("accounts:otp_manage")
    codes = second_factor.regenerate_backup_codes(request.user)
    context = {"codes": codes, "next": reverse("accounts:otp_manage"), "first_time": False}
    return _no_store(render(request, "accounts/otp_backup_codes.html", context))


def _code_accepted(form, user) -> tuple[bool, int]:
    """Check the form's current code (re-authentication before a drastic change).
    Returns (accepted, HTTP status); a refused code becomes the field's error."""
    result = second_factor.verify_code(user, form.cleaned_data["otp_token"])
    if not result.ok:
        form.add_error("otp_token", result.message)
    return result.ok, 429 if result.throttled else 200


@sensitive_post_parameters("password", "otp_token")
@never_cache
@login_required
def otp_remove(request: HttpRequest) -> HttpResponse:
    if not second_factor.has_confirmed_device(request.user):
        return redirect("accounts:otp_manage")
    form = RemoveDevicesForm(request, request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        accepted, status = _code_accepted(form, request.user)
        if accepted:
            second_factor.remove_devices(request.user)
            request.session.cycle_key()
            messages.success(
                request, _("Two-factor login is off. Your other sessions need it again.")
            )
            return redirect("accounts:otp_manage")
    return render(request, "accounts/otp_remove.html", {"form": form}, status=status)


# Password reset: Django's views with our templates. post_reset_login stays False so
# a reset link never logs anyone in, let alone past the second factor. The form puts the
# link on SITE_URL and throttles the e-mails.
password_reset = auth_views.PasswordResetView.as_view(
    form_class=SiteURLPasswordResetForm,
    template_name="accounts/password_reset_form.html",
    email_template_name="accounts/password_reset_email.txt",
    subject_template_name="accounts/password_reset_subject.txt",
    success_url=reverse_lazy("accounts:password_reset_done"),
)
password_reset_done = auth_views.PasswordResetDoneView.as_view(
    template_name="accounts/password_reset_done.html"
)
password_reset_confirm = auth_views.PasswordResetConfirmView.as_view(
    template_name="accounts/password_reset_confirm.html",
    success_url=reverse_lazy("accounts:password_reset_complete"),
    post_reset_login=False,
)
password_reset_complete = auth_views.PasswordResetCompleteView.as_view(
    template_name="accounts/password_reset_complete.html"
)


class _PasswordChangeView(auth_views.PasswordChangeView):
    """Django's own (login required, CSRF, sensitive POST parameters): needs the current
    password, keeps this session signed in and signs out every other session, whose
    stored password hash no longer matches."""

    template_name = "accounts/password_change.html"
    success_url = reverse_lazy("accounts:profile")

    def form_valid(self, form):
        response = super().form_valid(form)
        messages.success(
            self.request, _("Your password has been changed. Other devices have been signed out.")
        )
        return response


password_change = _PasswordChangeView.as_view()


@sensitive_post_parameters("password", "otp_token")
@never_cache
@login_required
def erase(request: HttpRequest) -> HttpResponse:
    """Erase the signed-in fellow's account once they confirm with their password (and a
    current code, when they use two-factor login)."""
    from certificates.models import Badge

    user = request.user
    refusal = why_not_erasable(user)
    needs_code = second_factor.has_confirmed_device(user)
    form = EraseAccountForm(request, request.POST or None, needs_code=needs_code)
    status = 403 if refusal else 200
    if request.method == "POST" and not refusal and form.is_valid():
        if needs_code:
            _accepted, status = _code_accepted(form, user)
        if not form.errors:
            try:
                erase_account(user)
            except ErasureRefused as refused:
                refusal, status = str(refused), 403
            except ErasureUnavailable:
                form.add_error(
                    None,
                    _(
                        "Your account could not be erased just now, and nothing was changed. "
                        "Please try again in a few minutes."
                    ),
                )
                status = 503
            else:
                logout(request)
                messages.success(
                    request, _("Your account has been erased and your badges withdrawn.")
                )
                return redirect("/")
    context = {
        "form": form,
        "refusal": refusal,
        # The badges "My badges" lists: superseded ones are not shown there.
        "badge_count": user.badges.filter(withdrawn_at__isnull=True)
        .exclude(state=Badge.State.SUPERSEDED)
        .count(),
    }
    return render(request, "accounts/erase.html", context, status=status)
