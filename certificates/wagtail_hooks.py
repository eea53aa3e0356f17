"""Admin: the "Badges" menu — badge designs (a snippet) and issued badges with their actions.

Permissions (assign them to a group under Settings → Groups):
- Badge designs: add/change/delete badge design.
- Issued badges: "Can view badge" to look; "Can change badge" is the badge-admin
  permission (revoke, suspend, reinstate, re-issue, bulk re-render); "Can add badge"
  awards manually. See certificates.admin_views.BadgePermissionPolicy.
"""

from django.contrib.auth import get_permission_codename
from django.db import IntegrityError
from django.urls import path, re_path
from wagtail import hooks
from wagtail.admin.panels import ObjectList
from wagtail.admin.viewsets.model import ModelViewSet
from wagtail.permissions import register_permission_policy
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import CreateView as SnippetCreateView
from wagtail.snippets.views.snippets import EditView as SnippetEditView
from wagtail.snippets.views.snippets import IndexView as SnippetIndexView
from wagtail.snippets.views.snippets import SnippetViewSet, SnippetViewSetGroup

from certificates import admin_views
from certificates.forms import ONE_DESIGN_PER_COURSE, BadgeDesignForm, BadgeFilterSet
from certificates.models import Badge, BadgeDesign


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
    pass


class BadgeDesignEditView(OneDesignPerCourseMixin, SnippetEditView):
    pass


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
    name = admin_views.URL_NAMESPACE
    icon = "tag"
    menu_label = "Issued badges"
    inspect_view_enabled = True
    copy_view_enabled = False
    index_view_class = admin_views.BadgeIndexView
    inspect_view_class = admin_views.BadgeInspectView
    filterset_class = BadgeFilterSet
    search_fields = ["snapshot__recipient_name", "recipient__email", "public_id"]
    list_per_page = 50
    form_fields: list[str] = []  # never used: the policy refuses add and change

    @property
    def list_display(self):
        return admin_views.badge_list_columns()

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
            path("revoke/<int:pk>/", admin_views.RevokeBadgeView.as_view(), name="revoke"),
            path("suspend/<int:pk>/", admin_views.SuspendBadgeView.as_view(), name="suspend"),
            path("reinstate/<int:pk>/", admin_views.ReinstateBadgeView.as_view(), name="reinstate"),
            path("reissue/<int:pk>/", admin_views.ReissueBadgeView.as_view(), name="reissue"),
            path(
                "retry-render/<int:pk>/",
                admin_views.RetryRenderView.as_view(),
                name="retry_render",
            ),
            path("award/", admin_views.AwardBadgeView.as_view(), name="award"),
            path("rerender/", admin_views.RerenderCourseView.as_view(), name="rerender"),
            re_path(
                r"^rerender/(?P<job_id>[0-9a-f]{32})/$",
                admin_views.RerenderProgressView.as_view(),
                name="rerender_progress",
            ),
        ]


class BadgesViewSetGroup(SnippetViewSetGroup):
    menu_label = "Badges"
    menu_icon = "tag"
    menu_order = 250
    items = (BadgeDesignViewSet, BadgeViewSet)


register_permission_policy(Badge, admin_views.BadgePermissionPolicy(Badge))
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
}


@hooks.register("register_log_actions")
def register_badge_log_actions(actions):
    for action, (label, message) in BADGE_LOG_ACTIONS.items():
        actions.register_action(f"credence.badge.{action}", label, message)
