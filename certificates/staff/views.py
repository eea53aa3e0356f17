"""Wagtail admin views for issued badges: list, inspect, lifecycle actions, bulk jobs.

Badge administration is Django's model permissions on Badge, which Wagtail's group editor
shows under "Issued badges", one per staff action (BadgePermissionPolicy):

- award_badge: award a badge by hand, by CSV, or issue the badges of past completions;
- revoke_badge: revoke one badge, or many by CSV;
- suspend_badge: suspend and reinstate;
- reissue_badge: re-issue;
- rerender_badge: re-render a course's badges, retry a render that was given up;
- view_badge, or any of the above: see the list and each badge.

Django's own change_badge ("badge admin") still allows every action but awarding, and
add_badge still allows awarding, so groups set up before the per-action permissions keep
what they had. The roles in lms.accounts.roles use the per-action ones.

Fellows' e-mail addresses are shown, and searchable, only to staff with
accounts.view_fellow_email; the others see names.

Every action is a POST with CSRF behind its own confirmation page, is checked on the
server, and calls certificates.issuing.issuance; an IssuanceError becomes an admin message.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime

from django import forms
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.html import format_html
from django.views.generic import FormView, TemplateView
from wagtail.admin import messages
from wagtail.admin.ui.tables import Column, TitleColumn
from wagtail.admin.views.generic import IndexView, InspectView
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin
from wagtail.admin.widgets.button import HeaderButton
from wagtail.models import ModelLogEntry
from wagtail.permission_policies import ModelPermissionPolicy
from wagtail.permissions import policy_registry

from certificates import lifecycle
from certificates.dates import badge_day
from certificates.issuing import issuance
from certificates.issuing.coverage import completions_without_badge
from certificates.models import Badge
from certificates.public.verification import badge_status
from certificates.staff.forms import AwardForm, BackfillForm, RerenderForm, RevokeForm
from courses.models import CoursePage
from lms.accounts.roles import may_see_fellow_emails

URL_NAMESPACE = "badges"
# The inspect page lists this many of the badge's latest history entries.
HISTORY_SHOWN = 20
State = Badge.State


def admin_url(name: str, *args) -> str:
    return reverse(f"{URL_NAMESPACE}:{name}", args=args)


# --- who may do what ---------------------------------------------------------------


class BadgePermissionPolicy(ModelPermissionPolicy):
    """Badges are frozen records: Wagtail's generic add, edit and delete views are refused
    to everyone, superusers included. Our own actions ("award", "revoke", "suspend" (and
    reinstate), "reissue", "rerender") each ask for their own permission or the legacy
    one that covered them; "view" is any badge permission."""

    # Our action -> the Django permission actions (codename prefixes) that allow it.
    implied = {
        "award": ("award", "add"),
        "revoke": ("revoke", "change"),
        "suspend": ("suspend", "change"),
        "reissue": ("reissue", "change"),
        "rerender": ("rerender", "change"),
    }
    implied["view"] = ("view", *sorted({a for allowed in implied.values() for a in allowed}))
    # The bulk CSV page: for those who may award or revoke (each kind checks its own).
    implied["bulk"] = (*implied["award"], *implied["revoke"])

    def user_has_permission(self, user, action):
        has = super().user_has_permission
        return any(has(user, django_action) for django_action in self.implied.get(action, ()))

    def user_has_any_permission(self, user, actions):
        return any(self.user_has_permission(user, action) for action in actions)

    def users_with_any_permission(self, actions):
        django_actions = {a for action in actions for a in self.implied.get(action, ())}
        if not django_actions:
            return get_user_model().objects.none()
        return super().users_with_any_permission(django_actions)

    def instances_user_has_any_permission_for(self, user, actions):
        if self.user_has_any_permission(user, actions):
            return self.model._default_manager.all()
        return self.model._default_manager.none()


# --- bulk jobs and their progress -----------------------------------------------------
#
# Two jobs run over a whole course in the background: re-rendering its issued badges,
# and issuing the badges of fellows who completed it before it had a design. Both keep
# only a baseline in the cache, taken when the job starts, and measure progress from the
# badges themselves; nothing here writes to the badge table, so losing the cache entry
# loses the progress page, not the work.
#
# Re-render: the baseline is each issued badge's current PDF file name. A re-render
# (publishing.rerender_issued) always stores the new PDF under a fresh random name and
# swaps the row's `pdf` only once the file is complete, so "name differs from the
# baseline" means "a complete new PDF is live". pdf_sha256 would not do: rendering the
# same snapshot can give identical bytes. Badges no longer issued (revoked, suspended or
# superseded meanwhile) are skipped by the task and counted as such, so a job always
# reaches 100% unless a render is lost.
#
# Past completions: the baseline is the fellows who completed the course and held no
# badge for it; each is counted as issued once a badge of theirs for the course is ready,
# as being prepared while it renders, and as waiting until it exists.

JOB_TTL_SECONDS = RERENDER_JOB_TTL_SECONDS = 24 * 60 * 60
_JOB_ID_BYTES = 16  # 32 hex characters, unguessable
RERENDER, BACKFILL = "rerender", "backfill"


def _job_key(job_id: str) -> str:
    return f"certificates:rerender-job:{job_id}"


def _store_job(kind: str, course: CoursePage, baseline, by) -> str:
    job_id = secrets.token_hex(_JOB_ID_BYTES)
    # Stored before queueing: an eager or fast worker may finish before we return.
    cache.set(
        _job_key(job_id),
        {
            "kind": kind,
            "course_id": course.pk,
            "course_title": course.title,
            "started_at": timezone.now(),
            "baseline": baseline,
            "by": getattr(by, "pk", None),
        },
        JOB_TTL_SECONDS,
    )
    return job_id


def _load_job(job_id: str, kind: str) -> dict | None:
    job = cache.get(_job_key(job_id))
    if job is None or job.get("kind", RERENDER) != kind:
        return None
    return job


@dataclass(frozen=True)
class RerenderProgress:
    job_id: str
    course_title: str
    started_at: datetime
    total: int
    rerendered: int
    waiting: int

    @property
    def skipped(self) -> int:
        return self.total - self.rerendered - self.waiting

    @property
    def is_done(self) -> bool:
        return self.waiting == 0

    @property
    def percent(self) -> int:
        if not self.total:
            return 100
        return (self.total - self.waiting) * 100 // self.total

    @property
    def rows(self) -> list[tuple[str, int]]:
        return [
            ("Issued badges when the job started", self.total),
            ("Re-rendered", self.rerendered),
            ("Skipped (no longer issued)", self.skipped),
            ("Waiting", self.waiting),
        ]


def start_rerender_job(course: CoursePage, *, by=None) -> str:
    """Record the baseline, then queue a fresh PDF for every issued badge of `course`.
    Returns the job id for rerender_progress(). Writes nothing to the database."""
    baseline = dict(
        Badge.objects.filter(course=course, state=State.ISSUED).values_list("pk", "pdf")
    )
    job_id = _store_job(RERENDER, course, baseline, by)
    issuance.rerender_course_badges(course)
    return job_id


def rerender_progress(job_id: str, *, chunk: int = 2000) -> RerenderProgress | None:
    """How far the job has got, or None for an unknown or expired job."""
    job = _load_job(job_id, RERENDER)
    if job is None:
        return None
    baseline: dict[int, str] = job["baseline"]
    ids = list(baseline)
    rerendered = waiting = 0
    for start in range(0, len(ids), chunk):
        rows = Badge.objects.filter(pk__in=ids[start : start + chunk]).values_list(
            "pk", "state", "pdf"
        )
        for pk, state, pdf in rows:
            if state != State.ISSUED:
                continue  # skipped by the task; counted as skipped
            if pdf != baseline[pk]:
                rerendered += 1
            else:
                waiting += 1
    return RerenderProgress(
        job_id=job_id,
        course_title=job["course_title"],
        started_at=job["started_at"],
        total=len(ids),
        rerendered=rerendered,
        waiting=waiting,
    )


@dataclass(frozen=True)
class BackfillProgress:
    job_id: str
    course_title: str
    started_at: datetime
    total: int
    issued: int
    preparing: int

    @property
    def waiting(self) -> int:
        return self.total - self.issued - self.preparing

    @property
    def is_done(self) -> bool:
        return self.issued == self.total

    @property
    def percent(self) -> int:
        if not self.total:
            return 100
        return self.issued * 100 // self.total

    @property
    def rows(self) -> list[tuple[str, int]]:
        return [
            ("Fellows without a badge when the job started", self.total),
            ("Badges issued", self.issued),
            ("Being prepared", self.preparing),
            ("Waiting", self.waiting),
        ]


def start_backfill_job(course: CoursePage, *, by=None) -> str:
    """Record who is waiting, then queue the task that issues their badges. Returns the
    job id for backfill_progress(). Raises IssuanceError if the task cannot be queued."""
    from certificates.tasks import issue_badges_for_past_completions_task

    baseline = list(completions_without_badge(course).values_list("user_id", flat=True))
    job_id = _store_job(BACKFILL, course, baseline, by)
    try:
        issue_badges_for_past_completions_task.apply_async(
            args=[course.pk, getattr(by, "pk", None)], retry=False
        )
    except issuance.IssuanceError:
        raise
    except Exception as exc:  # noqa: BLE001 - any broker failure: nothing was issued
        cache.delete(_job_key(job_id))
        raise issuance.IssuanceError(
            "The job could not be queued (is the task broker running?). Nothing was issued;"
            " try again."
        ) from exc
    return job_id


def backfill_progress(job_id: str, *, chunk: int = 2000) -> BackfillProgress | None:
    """How far the job has got, or None for an unknown or expired job."""
    job = _load_job(job_id, BACKFILL)
    if job is None:
        return None
    fellows: list[int] = job["baseline"]
    states: dict[int, set[str]] = {}
    for start in range(0, len(fellows), chunk):
        rows = Badge.objects.filter(
            course_id=job["course_id"], recipient_id__in=fellows[start : start + chunk]
        ).values_list("recipient_id", "state")
        for recipient_id, state in rows:
            states.setdefault(recipient_id, set()).add(state)
    preparing = sum(1 for held in states.values() if held <= set(Badge.PREPARING_STATES))
    return BackfillProgress(
        job_id=job_id,
        course_title=job["course_title"],
        started_at=job["started_at"],
        total=len(fellows),
        issued=len(states) - preparing,
        preparing=preparing,
    )


# --- list and inspect ------------------------------------------------------------------

_BIDI_CONTROLS = dict.fromkeys(
    [0x061C, 0x200E, 0x200F, *range(0x202A, 0x202F), *range(0x2066, 0x206A)]
)


def visible_text(value: str) -> str:
    """Show bidirectional control characters as [U+XXXX] so staff see a spoofed name
    for what it is instead of having the admin page reordered by it."""
    return "".join(f"[U+{ord(ch):04X}]" if ord(ch) in _BIDI_CONTROLS else ch for ch in value)


def recipient_name_html(badge: Badge) -> str:
    if badge.withdrawn_at:
        return "(withdrawn: account erased)"
    # <bdi> isolates the name from the surrounding columns; format_html escapes it.
    return format_html("<bdi>{}</bdi>", visible_text(badge.snapshot.get("recipient_name", "")))


def recipient_email(badge: Badge) -> str:
    return badge.recipient.email if badge.recipient else "(account erased)"


def course_title(badge: Badge) -> str:
    # The course page may have been deleted; the snapshot still says what was certified.
    return badge.course.title if badge.course else badge.snapshot.get("course_title", "")


def badge_list_columns() -> list:
    return [
        TitleColumn(
            "recipient_name",
            label="Fellow",
            accessor=recipient_name_html,
            get_url=lambda badge: admin_url("inspect", badge.pk),
            sort_key="snapshot__recipient_name",
        ),
        Column("email", label="E-mail", accessor=recipient_email),
        Column("course", label="Course", accessor=course_title),
        Column("state", label="State", accessor="get_state_display", sort_key="state"),
        # The day as the badge's page and PDF print it, not "3 days ago": staff compare
        # it with what a fellow or an employer reads them.
        Column(
            "issued_at",
            label="Issued",
            accessor=lambda b: badge_day(b.issued_at),
            sort_key="issued_at",
        ),
        Column(
            "expires_at",
            label="Expires",
            accessor=lambda b: badge_day(b.expires_at),
            sort_key="expires_at",
        ),
        Column("public_id", label="Public id"),
    ]


class BadgeIndexView(IndexView):
    page_title = "Issued badges"

    def setup(self, request, *args, **kwargs):
        super().setup(request, *args, **kwargs)
        self.shows_emails = may_see_fellow_emails(request.user)
        if not self.shows_emails:
            # Searching by address would tell whether someone holds a badge.
            self.search_fields = [f for f in self.search_fields or () if "email" not in f]

    @cached_property
    def columns(self):
        columns = super().columns
        if self.shows_emails:
            return columns
        return [column for column in columns if column.name != "email"]

    def get_base_queryset(self):
        # One query per page whatever its length: the columns read only these joins.
        return super().get_base_queryset().select_related("course", "recipient")

    @cached_property
    def header_buttons(self):
        buttons = list(super().header_buttons)
        if self.user_has_permission("award"):
            buttons.append(HeaderButton("Award a badge", url=admin_url("award"), icon_name="plus"))
        if self.user_has_permission("rerender"):
            buttons.append(
                HeaderButton("Re-render a course", url=admin_url("rerender"), icon_name="resubmit")
            )
        if self.user_has_permission("award"):
            buttons.append(
                HeaderButton(
                    "Issue for past completions", url=admin_url("backfill"), icon_name="tag"
                )
            )
        if self.user_has_permission("bulk"):
            buttons.append(
                HeaderButton("Bulk award or revoke", url=admin_url("bulk"), icon_name="upload")
            )
        return buttons


@dataclass(frozen=True)
class BadgeAction:
    label: str
    url: str
    classname: str = "button button-secondary"


# Each lifecycle action's button on the inspect page: label, URL name, class, and the
# policy action (BadgePermissionPolicy) it needs.
ACTION_BUTTONS = {
    lifecycle.SUSPEND: ("Suspend", "suspend", BadgeAction.classname, "suspend"),
    lifecycle.REINSTATE: ("Reinstate", "reinstate", BadgeAction.classname, "suspend"),
    lifecycle.REISSUE: ("Re-issue", "reissue", BadgeAction.classname, "reissue"),
    lifecycle.RETRY_RENDER: (
        "Retry rendering",
        "retry_render",
        BadgeAction.classname,
        "rerender",
    ),
    lifecycle.REVOKE: ("Revoke", "revoke", "button serious", "revoke"),
}


def available_actions(badge: Badge, user, policy: BadgePermissionPolicy) -> list[BadgeAction]:
    """The buttons the inspect page offers to this user (none for a revoked or superseded
    badge: revocation is final). The action views re-check everything."""
    actions = []
    for action in lifecycle.allowed_actions(badge):
        label, url_name, classname, needs = ACTION_BUTTONS[action]
        if policy.user_has_permission(user, needs):
            actions.append(BadgeAction(label, admin_url(url_name, badge.pk), classname))
    return actions


def renewal_actions(badge: Badge, user) -> list[BadgeAction]:
    """A badge due to renew offers the course team its deadline's extension (the action
    lives in renewal_views, beside the course's list of fellows due)."""
    from certificates.staff import renewals

    if (
        badge.renew_by is None
        or badge.state not in renewals.LISTED_STATES
        or not renewals.may_manage_renewals(user)
    ):
        return []
    return [BadgeAction("Extend renewal deadline", admin_url("renewal_extend", badge.pk))]


class BadgeInspectView(InspectView):
    template_name = "certificates/admin/badge_inspect.html"

    def get_object(self, queryset=None):
        return get_object_or_404(
            Badge.objects.select_related(
                "course", "recipient", "superseded_by", "awarded_manually_by", "course_version"
            ),
            pk=self.pk,
        )

    def get_page_subtitle(self):
        return visible_text(self.object.snapshot.get("recipient_name", ""))

    def get_context_data(self, **kwargs):
        badge = self.object
        context = super().get_context_data(**kwargs)
        context.update(
            badge=badge,
            status=badge_status(badge),
            snapshot_rows=[
                (key.replace("_", " ").capitalize(), value)
                for key, value in sorted(badge.snapshot.items())
            ],
            recipient_name=visible_text(badge.snapshot.get("recipient_name", "")),
            shows_emails=may_see_fellow_emails(self.request.user),
            public_url=reverse("certificates:badge", args=[badge.public_id]),
            pdf_url=reverse("certificates:badge_pdf", args=[badge.public_id])
            if badge.pdf
            else None,
            supersedes=list(badge.supersedes.all()),
            actions=[
                *available_actions(badge, self.request.user, self.permission_policy),
                *renewal_actions(badge, self.request.user),
            ],
            history=list(
                ModelLogEntry.objects.for_instance(badge).select_related("user")[:HISTORY_SHOWN]
            ),
        )
        return context


# --- actions ----------------------------------------------------------------------------


class BadgePermissionRequiredMixin:
    """Checks the policy before anything is looked up, and answers a refusal with a real
    403 page (docs/threats.md, row G7). Wagtail's own views would turn the PermissionDenied into a
    redirect to the dashboard, which hides the refusal from clients and logs."""

    model = Badge
    permission_required = ""  # a BadgePermissionPolicy action; each view names its own

    def dispatch(self, request, *args, **kwargs):
        policy = policy_registry.get_by_type(Badge)
        if not policy.user_has_permission(request.user, self.permission_required):
            return TemplateResponse(
                request,
                "certificates/admin/forbidden.html",
                {"header_title": "Permission denied", "index_url": admin_url("index")},
                status=403,
            )
        return super().dispatch(request, *args, **kwargs)


class BadgeAdminFormView(BadgePermissionRequiredMixin, WagtailAdminTemplateMixin, FormView):
    """A confirmation page whose POST does one thing."""

    header_icon = "tag"

    def get_breadcrumbs_items(self):
        return [
            *self.breadcrumbs_items,
            {"url": admin_url("index"), "label": "Issued badges"},
            {"url": "", "label": self.get_page_title(), "sublabel": self.get_page_subtitle()},
        ]


class BadgeActionView(BadgeAdminFormView):
    template_name = "certificates/admin/badge_action.html"
    form_class = forms.Form  # no fields: the confirmation is the POST itself
    action = ""  # the lifecycle action the view performs (certificates.lifecycle)
    not_allowed_message = ""
    explanation = ""
    submit_label = ""
    submit_classname = "button"

    @cached_property
    def badge(self) -> Badge:
        return get_object_or_404(Badge.objects.select_related("course"), pk=self.kwargs["pk"])

    def get_page_subtitle(self):
        return visible_text(self.badge.snapshot.get("recipient_name", ""))

    def get(self, request, *args, **kwargs):
        if not lifecycle.can(self.action, self.badge):
            messages.error(request, self.not_allowed_message)
            return HttpResponseRedirect(admin_url("inspect", self.badge.pk))
        return super().get(request, *args, **kwargs)

    def form_valid(self, form):
        # The service decides, under a row lock, whether the change is allowed; the
        # state check in get() only spares staff a confirmation page that cannot work.
        try:
            message, target = self.perform(form)
        except issuance.IssuanceError as exc:
            messages.error(self.request, str(exc))
            return HttpResponseRedirect(admin_url("inspect", self.badge.pk))
        messages.success(self.request, message)
        return HttpResponseRedirect(admin_url("inspect", target.pk))

    def perform(self, form) -> tuple[str, Badge]:
        raise NotImplementedError

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            badge=self.badge,
            recipient_name=visible_text(self.badge.snapshot.get("recipient_name", "")),
            course_title=course_title(self.badge),
            explanation=self.explanation,
            submit_label=self.submit_label,
            submit_classname=self.submit_classname,
            cancel_url=admin_url("inspect", self.badge.pk),
            **kwargs,
        )


class RevokeBadgeView(BadgeActionView):
    permission_required = "revoke"
    page_title = "Revoke badge"
    form_class = RevokeForm
    action = lifecycle.REVOKE
    not_allowed_message = "This badge is revoked or superseded: there is nothing to revoke."
    explanation = (
        "Revocation is final. The public page will say the badge was revoked, with your "
        "reason, and it cannot be reinstated: a new badge would have to be issued. "
        "Outside Open Badges verifiers will report its credential as not valid (those "
        "issued since suspensions are published to them say “suspended”: one "
        "credential can name only one status list)."
    )
    submit_label = "Yes, revoke for good"
    submit_classname = "button serious"

    def perform(self, form):
        badge = issuance.revoke_badge(
            self.badge, reason=form.cleaned_data["reason"], by=self.request.user
        )
        return "Badge revoked.", badge


class SuspendBadgeView(BadgeActionView):
    permission_required = "suspend"
    page_title = "Suspend badge"
    form_class = forms.Form
    action = lifecycle.SUSPEND
    not_allowed_message = "Only an issued badge can be suspended."
    submit_label = "Yes, suspend"

    @property
    def explanation(self) -> str:
        from certificates.signing.credentials import outside_verifiers_see_suspension

        here = (
            "While suspended, the public page says so and the badge does not verify here. "
            "You can reinstate it later. "
        )
        if outside_verifiers_see_suspension(self.badge.credential):
            return here + (
                "Outside Open Badges verifiers (wallets, VerifierPlus) will report its "
                "credential as suspended, not valid, until you reinstate it."
            )
        return here + (
            "Outside Open Badges verifiers will NOT see this suspension: the badge was "
            "signed before suspensions were published to them, and its credential names "
            "only the revocation list, so they keep reporting it as valid. If it must "
            "fail everywhere, revoke it instead (revocation is final)."
        )

    def perform(self, form):
        return "Badge suspended.", issuance.suspend_badge(self.badge, by=self.request.user)


class ReinstateBadgeView(BadgeActionView):
    permission_required = "suspend"
    page_title = "Reinstate badge"
    form_class = forms.Form
    action = lifecycle.REINSTATE
    not_allowed_message = "Only a suspended badge can be reinstated; revocation is final."
    explanation = "The badge will verify again from now on."
    submit_label = "Yes, reinstate"

    def perform(self, form):
        return "Badge reinstated.", issuance.reinstate_badge(self.badge, by=self.request.user)


class ReissueBadgeView(BadgeActionView):
    permission_required = "reissue"
    page_title = "Re-issue badge"
    form_class = forms.Form
    action = lifecycle.REISSUE
    not_allowed_message = "Only an issued or suspended badge can be re-issued."
    explanation = (
        "A new badge is issued from the fellow's current name and the course's current "
        "design. This badge will then show \u201csuperseded\u201d on its public page, with "
        "a link to the new one. Use this after an approved name change."
    )
    submit_label = "Yes, re-issue"

    def perform(self, form):
        new = issuance.reissue_badge(self.badge, by=self.request.user)
        return "Badge re-issued; the new one is being prepared.", new


class RetryRenderView(BadgeActionView):
    permission_required = "rerender"
    page_title = "Retry rendering"
    form_class = forms.Form
    action = lifecycle.RETRY_RENDER
    not_allowed_message = "Only a badge whose rendering was given up can be retried."
    explanation = (
        "Rendering this badge failed every time it was tried; its last error is on the "
        "badge's page. Once the cause is fixed, retrying queues it again with a fresh "
        "set of attempts."
    )
    submit_label = "Yes, retry"

    def perform(self, form):
        badge = issuance.retry_render(self.badge, by=self.request.user)
        return "Rendering queued again.", badge


class AwardBadgeView(BadgeAdminFormView):
    permission_required = "award"
    page_title = "Award a badge"
    template_name = "certificates/admin/award.html"
    form_class = AwardForm

    def form_valid(self, form):
        try:
            badge = issuance.award_badge_manually(
                recipient=form.recipient,
                course=form.cleaned_data["course"],
                by=self.request.user,
                score_percent=form.cleaned_data["score_percent"],
            )
        except issuance.IssuanceError as exc:
            messages.error(self.request, str(exc))
            return self.form_invalid(form)
        message = "Badge awarded; it is being prepared."
        if (
            form.cleaned_data["score_percent"] is not None
            and badge.snapshot.get("score_percent") is None
        ):
            message += " The score is left off: the fellow has not chosen to show scores."
        messages.success(self.request, message)
        return HttpResponseRedirect(admin_url("inspect", badge.pk))

    def get_context_data(self, **kwargs):
        return super().get_context_data(cancel_url=admin_url("index"), **kwargs)


class RerenderCourseView(BadgeAdminFormView):
    permission_required = "rerender"
    page_title = "Re-render a course's badges"
    template_name = "certificates/admin/rerender.html"
    form_class = RerenderForm

    def form_valid(self, form):
        job_id = start_rerender_job(form.cleaned_data["course"], by=self.request.user)
        return HttpResponseRedirect(admin_url("rerender_progress", job_id))

    def get_context_data(self, **kwargs):
        return super().get_context_data(cancel_url=admin_url("index"), **kwargs)


class BackfillView(BadgeAdminFormView):
    """Issue the badges of fellows who completed a course before it had a design."""

    permission_required = "award"
    page_title = "Issue badges for past completions"
    template_name = "certificates/admin/backfill.html"
    form_class = BackfillForm

    def get_initial(self):
        # Links from the design's pages and the dashboard name the course.
        return {"course": self.request.GET.get("course")}

    def form_valid(self, form):
        try:
            job_id = start_backfill_job(form.cleaned_data["course"], by=self.request.user)
        except issuance.IssuanceError as exc:
            messages.error(self.request, str(exc))
            return self.form_invalid(form)
        return HttpResponseRedirect(admin_url("backfill_progress", job_id))

    def get_context_data(self, **kwargs):
        from certificates.issuing.coverage import designed_courses_with_unbadged_completions

        return super().get_context_data(
            cancel_url=admin_url("index"),
            waiting_courses=designed_courses_with_unbadged_completions(),
            **kwargs,
        )


class JobProgressView(BadgePermissionRequiredMixin, WagtailAdminTemplateMixin, TemplateView):
    """The progress page of a bulk job; refreshes itself until the job is done."""

    header_icon = "resubmit"
    permission_required = "rerender"
    template_name = "certificates/admin/rerender_progress.html"
    refresh_seconds = 3
    measure = staticmethod(rerender_progress)
    restart_url_name = "rerender"

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            progress=self.measure(self.kwargs["job_id"]),
            refresh_seconds=self.refresh_seconds,
            index_url=admin_url("index"),
            restart_url=admin_url(self.restart_url_name),
            **kwargs,
        )

    def get(self, request, *args, **kwargs):
        response = super().get(request, *args, **kwargs)
        if response.context_data["progress"] is None:
            response.status_code = 404
        return response

    get_breadcrumbs_items = BadgeAdminFormView.get_breadcrumbs_items


class RerenderProgressView(JobProgressView):
    page_title = "Re-render progress"


class BackfillProgressView(JobProgressView):
    permission_required = "award"
    page_title = "Issuing badges for past completions"
    header_icon = "tag"
    measure = staticmethod(backfill_progress)
    restart_url_name = "backfill"
