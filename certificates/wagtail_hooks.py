"""Admin: the "Badges" menu (badge designs, issued badges and their actions), and warnings
about courses that give fellows no badge.

Permissions (assign them to a group under Settings → Groups; lms.accounts.roles sets up
the project's roles):
- Badge designs: add/change/delete badge design.
- Issued badges: "Can view badge" to look, and one permission per action (award, revoke,
  suspend and reinstate, re-issue, re-render). See
  certificates.staff.views.BadgePermissionPolicy.
- Course versions (the menu's link to courses.version_views, and the renewal actions of
  certificates.staff.renewal_views): "Can remind fellows to renew and extend renewal
  deadlines".
"""

from django.contrib.auth import get_permission_codename
from django.db import IntegrityError
from django.urls import path, re_path, reverse
from django.utils.http import urlencode
from wagtail import hooks
from wagtail.admin import messages
from wagtail.admin.menu import MenuItem
from wagtail.admin.panels import ObjectList
from wagtail.admin.ui.components import Component
from wagtail.admin.viewsets.model import ModelViewSet
from wagtail.admin.widgets.button import Button
from wagtail.permissions import policy_registry, register_permission_policy
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import CreateView as SnippetCreateView
from wagtail.snippets.views.snippets import EditView as SnippetEditView
from wagtail.snippets.views.snippets import IndexView as SnippetIndexView
from wagtail.snippets.views.snippets import SnippetViewSet, SnippetViewSetGroup

from certificates.issuing import coverage
from certificates.models import Badge, BadgeDesign
from certificates.staff import bulk_views, renewal_views, renewals
from certificates.staff import views as staff_views
from certificates.staff.forms import ONE_DESIGN_PER_COURSE, BadgeDesignForm, BadgeFilterSet
from courses.models import CoursePage
from courses.translations import source_page


def may_award(user) -> bool:
    return policy_registry.get_by_type(Badge).user_has_permission(user, "award")


def backfill_url(course) -> str:
    return staff_views.admin_url("backfill") + "?" + urlencode({"course": course.pk})


def add_design_url(course) -> str:
    add = reverse(BadgeDesign.snippet_viewset.get_url_name("add"))
    return add + "?" + urlencode({"course": course.pk})


def waiting_fellows_note(course) -> str:
    waiting = coverage.completions_without_badge(course).count()
    if not waiting:
        return ""
    return (
        f"{waiting} fellow{'s' if waiting != 1 else ''} completed {course.title} and"
        f" hold{'s' if waiting == 1 else ''} no badge for it yet."
    )


class OneDesignPerCourseMixin:
    """The form checks for an existing design, but two requests can both pass that check;
    the database's unique constraint then decides, and the loser gets the form error."""

    def form_valid(self, form):
        try:
            return super().form_valid(form)
        except IntegrityError:
            # Wagtail saves inside a savepoint, so the connection is still usable here.
            form.add_error("course", ONE_DESIGN_PER_COURSE)
            self.produced_error_code = "validation_error"
            self.produced_error_message = self.get_error_message()
            return self.form_invalid(form)


class BadgeDesignCreateView(OneDesignPerCourseMixin, SnippetCreateView):
    def get_initial_form_instance(self):
        # "Add a badge design" links from a course name the course (?course=<id>).
        instance = super().get_initial_form_instance()
        course_id = self.request.GET.get("course", "")
        if self.request.method == "GET" and course_id.isdigit():
            course = CoursePage.objects.filter(pk=int(course_id)).first()
            if course is not None:
                instance = instance or self.model()
                instance.course = course
        return instance

    def get_success_message(self, instance):
        # Fellows who completed the course before it had a design are offered their badge.
        message = super().get_success_message(instance)
        note = waiting_fellows_note(instance.course)
        return f"{message} {note}" if note else message

    def get_success_buttons(self):
        buttons = super().get_success_buttons()
        if (
            may_award(self.request.user)
            and coverage.completions_without_badge(self.object.course).exists()
        ):
            buttons.append(messages.button(backfill_url(self.object.course), "Issue their badges"))
        return buttons


class BadgeDesignEditView(OneDesignPerCourseMixin, SnippetEditView):
    @property
    def header_more_buttons(self):
        buttons = list(super().header_more_buttons)
        if (
            may_award(self.request.user)
            and coverage.completions_without_badge(self.object.course).exists()
        ):
            buttons.append(
                Button(
                    "Issue badges for past completions",
                    url=backfill_url(self.object.course),
                    icon_name="tag",
                    priority=30,
                )
            )
        return buttons


class BadgeDesignIndexView(SnippetIndexView):
    def get_base_queryset(self):
        return super().get_base_queryset().select_related("course")


class BadgeDesignViewSet(SnippetViewSet):
    model = BadgeDesign
    icon = "doc-full"
    menu_label = "Badge designs"
    index_view_class = BadgeDesignIndexView
    add_view_class = BadgeDesignCreateView
    edit_view_class = BadgeDesignEditView
    list_display = ["title", "course", "template_version", "updated_at"]
    edit_handler = ObjectList(BadgeDesign.panels, base_form_class=BadgeDesignForm)
    copy_view_enabled = False  # a copy would collide with the one-design-per-course rule


class BadgeViewSet(ModelViewSet):
    model = Badge
    name = staff_views.URL_NAMESPACE
    icon = "tag"
    menu_label = "Issued badges"
    inspect_view_enabled = True
    copy_view_enabled = False
    index_view_class = staff_views.BadgeIndexView
    inspect_view_class = staff_views.BadgeInspectView
    filterset_class = BadgeFilterSet
    search_fields = ["snapshot__recipient_name", "recipient__email", "public_id"]
    list_per_page = 50
    form_fields: list[str] = []  # never used: the policy refuses add and change

    @property
    def list_display(self):
        return staff_views.badge_list_columns()

    def get_permissions_to_register(self):
        # Deleting a badge would erase the record a verifier relies on: not offered.
        return (
            super()
            .get_permissions_to_register()
            .exclude(codename=get_permission_codename("delete", self.model_opts))
        )

    def get_urlpatterns(self):
        return [
            *super().get_urlpatterns(),
            path("revoke/<int:pk>/", staff_views.RevokeBadgeView.as_view(), name="revoke"),
            path("suspend/<int:pk>/", staff_views.SuspendBadgeView.as_view(), name="suspend"),
            path("reinstate/<int:pk>/", staff_views.ReinstateBadgeView.as_view(), name="reinstate"),
            path("reissue/<int:pk>/", staff_views.ReissueBadgeView.as_view(), name="reissue"),
            path(
                "retry-render/<int:pk>/",
                staff_views.RetryRenderView.as_view(),
                name="retry_render",
            ),
            path("award/", staff_views.AwardBadgeView.as_view(), name="award"),
            path("rerender/", staff_views.RerenderCourseView.as_view(), name="rerender"),
            re_path(
                r"^rerender/(?P<job_id>[0-9a-f]{32})/$",
                staff_views.RerenderProgressView.as_view(),
                name="rerender_progress",
            ),
            path("bulk/", bulk_views.BulkUploadView.as_view(), name="bulk"),
            path("bulk/confirm/", bulk_views.BulkConfirmView.as_view(), name="bulk_confirm"),
            re_path(
                r"^bulk/(?P<job_id>[0-9a-f]{32})/$",
                bulk_views.BulkProgressView.as_view(),
                name="bulk_progress",
            ),
            re_path(
                r"^bulk/(?P<job_id>[0-9a-f]{32})/outcomes\.csv$",
                bulk_views.BulkOutcomesView.as_view(),
                name="bulk_outcomes",
            ),
            path(
                "renewals/<int:pk>/remind/",
                renewal_views.RemindView.as_view(),
                name="renewal_remind",
            ),
            path(
                "renewals/<int:pk>/extend/",
                renewal_views.ExtendDeadlineView.as_view(),
                name="renewal_extend",
            ),
            path(
                "renewals/course/<int:course_id>/remind/",
                renewal_views.RemindEveryoneView.as_view(),
                name="renewal_remind_all",
            ),
            path("issue-past/", staff_views.BackfillView.as_view(), name="backfill"),
            re_path(
                r"^issue-past/(?P<job_id>[0-9a-f]{32})/$",
                staff_views.BackfillProgressView.as_view(),
                name="backfill_progress",
            ),
        ]


class BadgesViewSetGroup(SnippetViewSetGroup):
    menu_label = "Badges"
    menu_icon = "tag"
    menu_order = 250
    items = (BadgeDesignViewSet, BadgeViewSet)
    # Menu items other apps' screens add to this menu ("Course versions", below).
    submenu_hook = "register_badges_menu_item"


class CourseVersionsMenuItem(MenuItem):
    def is_shown(self, request):
        return renewals.may_manage_renewals(request.user)


@hooks.register("register_badges_menu_item")
def register_course_versions_menu_item():
    return CourseVersionsMenuItem(
        "Course versions", reverse("courses_versions_index"), icon_name="history", order=300
    )


register_permission_policy(Badge, staff_views.BadgePermissionPolicy(Badge))
register_snippet(BadgesViewSetGroup)


# Labels for the history entries issuance._log_change writes.
BADGE_LOG_ACTIONS = {
    "revoke": ("Revoke badge", "Revoked"),
    "suspend": ("Suspend badge", "Suspended"),
    "reinstate": ("Reinstate badge", "Reinstated"),
    "reissue": ("Re-issue badge", "Re-issued: superseded by a new badge"),
    "replace": ("Replace badge", "Issued to replace an earlier badge"),
    "award": ("Award badge", "Awarded by hand"),
    "retry_render": ("Retry rendering", "Rendering retried after it was given up"),
    "backfill": ("Issue for past completion", "Issued for a completion made before the design"),
    "renewed": ("Renewed", "Superseded by the badge its holder earned by renewing"),
    "renewal": ("Renewal", "Issued for a renewal after the course changed"),
    "extend_renewal": ("Extend renewal deadline", "Renewal deadline extended"),
    "renewal_reminder": ("Renewal reminder", "Reminded to renew"),
}


@hooks.register("register_log_actions")
def register_badge_log_actions(actions):
    for action, (label, message) in BADGE_LOG_ACTIONS.items():
        actions.register_action(f"credence.badge.{action}", label, message)
    actions.register_action(
        "credence.course.version", "Publish a course version", "New course version published"
    )


# --- warnings about courses that cannot issue a badge ----------------------------------


@hooks.register("before_edit_page")
def warn_when_a_published_course_has_no_design(request, page):
    """The course's edit page says so when fellows can complete it but get no badge."""
    if request.method != "GET" or not issubclass(page.specific_class, CoursePage):
        return None
    # A translation issues the badge of its source course (docs/decisions/0007).
    page = source_page(page)
    if not page.live or BadgeDesign.objects.filter(course_id=page.pk).exists():
        return None
    note = waiting_fellows_note(page)
    buttons = []
    if request.user.has_perm(f"{BadgeDesign._meta.app_label}.add_badgedesign"):
        buttons.append(messages.button(add_design_url(page), "Add a badge design"))
    messages.warning(
        request,
        "This course is published but has no badge design: fellows who complete it get"
        " no badge." + (f" {note}" if note else ""),
        buttons=buttons,
    )
    return None


class BadgeCoveragePanel(Component):
    """Dashboard notice: published courses without a design, and designed courses whose
    past completions still hold no badge."""

    name = "badge_coverage"
    order = 90  # above Wagtail's own panels
    template_name = "certificates/admin/home_badge_coverage.html"

    def __init__(self, request):
        self.request = request

    def get_context_data(self, parent_context):
        user = self.request.user
        can_design = user.has_perm(f"{BadgeDesign._meta.app_label}.add_badgedesign")
        return {
            "without_design": [
                (row, add_design_url(row.course) if can_design else "")
                for row in coverage.published_courses_without_design()
            ],
            "awaiting_backfill": [
                (row, backfill_url(row.course))
                for row in coverage.designed_courses_with_unbadged_completions()
            ]
            if may_award(user)
            else [],
        }

    def render_html(self, parent_context=None):
        context = self.get_context_data(parent_context)
        if not context["without_design"] and not context["awaiting_backfill"]:
            return ""
        return super().render_html(parent_context)


@hooks.register("construct_homepage_panels")
def add_badge_coverage_panel(request, panels):
    user = request.user
    if user.has_perm(f"{BadgeDesign._meta.app_label}.add_badgedesign") or may_award(user):
        panels.append(BadgeCoveragePanel(request))
