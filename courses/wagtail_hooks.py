"""Admin: read-only "Learning records" (enrolments, quiz attempts, completions, fellows out
of attempts, accommodations), the "Grant accommodation" form and its audit-log action; a
course's versions (the "Publish a new version" form and the versions page, reached from
the course's page); and the serve-time hook that sends a visitor to the language version
of a page they want."""

from django.urls import path
from wagtail import hooks
from wagtail.admin import messages
from wagtail.admin.viewsets.model import ModelViewSet, ModelViewSetGroup
from wagtail.admin.widgets.button import Button
from wagtail.permission_policies import ModelPermissionPolicy
from wagtail.permissions import register_permission_policy

from courses import accommodations, admin_views, translations, version_views
from courses.models import (
    Accommodation,
    CourseCompletion,
    CoursePage,
    Enrolment,
    ModulePage,
    QuizAttempt,
    StuckNotice,
)


class ReadOnlyPermissionPolicy(ModelPermissionPolicy):
    """Records of what fellows did are evidence: the admin may look, never edit or delete.
    (Grades are changed only by grading; a completion only by passing the last quiz.)"""

    read_actions = {"view"}

    def user_has_permission(self, user, action):
        return action in self.read_actions and super().user_has_permission(user, action)

    def user_has_any_permission(self, user, actions):
        return any(self.user_has_permission(user, action) for action in actions)

    def users_with_any_permission(self, actions):
        return super().users_with_any_permission(set(actions) & self.read_actions)

    def instances_user_has_any_permission_for(self, user, actions):
        if not set(actions) & self.read_actions:
            return self.model._default_manager.none()
        return super().instances_user_has_any_permission_for(user, actions)


class ReadOnlyViewSet(ModelViewSet):
    inspect_view_enabled = True
    copy_view_enabled = False
    add_to_admin_menu = False
    form_fields: list[str] = []  # never used: the policy refuses add and change
    index_view_class = admin_views.RecordsIndexView
    export_related: tuple[str, ...] = ()

    def get_index_view_kwargs(self, **kwargs):
        return super().get_index_view_kwargs(export_related=self.export_related, **kwargs)


class EnrolmentViewSet(ReadOnlyViewSet):
    model = Enrolment
    name = "enrolments"
    icon = "user"
    menu_label = "Enrolments"
    list_display = ["user", "course", "enrolled_at"]
    list_filter = ["course"]
    inspect_view_fields = ["user", "course", "enrolled_at"]
    list_export = ["user.email", "course.title", "enrolled_at"]
    export_headings = {"user.email": "Fellow", "course.title": "Course"}
    export_related = ("user", "course")


class QuizAttemptViewSet(ReadOnlyViewSet):
    model = QuizAttempt
    index_view_class = admin_views.QuizAttemptIndexView
    name = "quiz-attempts"
    icon = "tasks"
    menu_label = "Quiz attempts"
    list_display = ["user", "module", "attempt_number", "state", "score_percent", "passed"]
    list_filter = ["state", "passed"]
    list_export = [
        "user.email",
        "module.title",
        "attempt_number",
        "state",
        "score_percent",
        "passed",
        "started_at",
        "submitted_at",
    ]
    export_headings = {"user.email": "Fellow", "module.title": "Module"}
    export_related = ("user", "module")
    # The frozen layout and key are long JSON; the inspect view shows the summary fields.
    inspect_view_fields = [
        "user",
        "module",
        "attempt_number",
        "state",
        "score_percent",
        "passed",
        "pass_mark_percent",
        "started_at",
        "deadline",
        "submitted_at",
    ]


class CourseCompletionViewSet(ReadOnlyViewSet):
    model = CourseCompletion
    name = "completions"
    icon = "pick"
    menu_label = "Completions"
    list_display = ["user", "course", "completed_at"]
    list_export = ["user.email", "course.title", "completed_at"]
    export_headings = {"user.email": "Fellow", "course.title": "Course"}
    export_related = ("user", "course")
    inspect_view_fields = ["user", "course", "completed_at", "module_scores"]


class StuckNoticeViewSet(ReadOnlyViewSet):
    model = StuckNotice
    name = "out-of-attempts"
    icon = "warning"
    menu_label = "Out of attempts"
    index_view_class = admin_views.StuckNoticeIndexView
    list_display = ["user", "module", "attempts_allowed", "stuck_at", "notified_at", "resolved_at"]
    list_filter = ["resolved_at"]
    inspect_view_fields = [
        "user",
        "module",
        "attempts_allowed",
        "stuck_at",
        "notified_at",
        "resolved_at",
    ]


class AccommodationViewSet(ReadOnlyViewSet):
    """Granted only through the "Grant accommodation" form, which validates and audits."""

    model = Accommodation
    name = "accommodations"
    icon = "user"
    menu_label = "Accommodations"
    list_display = ["user", "module", "describe", "granted_by", "granted_at"]
    inspect_view_fields = [
        "user",
        "module",
        "extra_attempts",
        "reset_cooldown",
        "extra_minutes",
        "reason",
        "granted_by",
        "granted_at",
    ]


class LearningViewSetGroup(ModelViewSetGroup):
    menu_label = "Learning records"
    menu_icon = "list-ul"
    items = (
        EnrolmentViewSet,
        QuizAttemptViewSet,
        CourseCompletionViewSet,
        StuckNoticeViewSet,
        AccommodationViewSet,
    )


for _model in (Enrolment, QuizAttempt, CourseCompletion, StuckNotice, Accommodation):
    register_permission_policy(_model, ReadOnlyPermissionPolicy(_model))


@hooks.register("register_admin_viewset")
def register_learning_viewsets():
    return LearningViewSetGroup()


@hooks.register("register_admin_urls")
def register_accommodation_urls():
    return [
        path(
            "courses/accommodations/grant/<int:user_id>/<int:module_id>/",
            admin_views.GrantAccommodationView.as_view(),
            name="courses_grant_accommodation",
        )
    ]


@hooks.register("register_admin_urls")
def register_version_urls():
    return [
        path(
            "courses/versions/",
            version_views.VersionsIndexView.as_view(),
            name="courses_versions_index",
        ),
        path(
            "courses/<int:course_id>/versions/",
            version_views.CourseVersionsView.as_view(),
            name="courses_versions",
        ),
        path(
            "courses/<int:course_id>/versions/new/",
            version_views.PublishVersionView.as_view(),
            name="courses_version_publish",
        ),
    ]


@hooks.register("register_page_header_buttons")
def course_version_buttons(page, user, view_name, next_url=None):
    """On a course's edit page and its listing: its versions, and publishing a new one
    (a translation's buttons lead to its source course, whose versions they are)."""
    if not issubclass(page.specific_class or type(page), CoursePage):
        return
    course = translations.source_page(page)
    may_publish = version_views.may_publish_version(user, course)
    if may_publish:
        yield Button(
            "Publish a new version…",
            url=version_views.publish_url(course),
            icon_name="history",
            priority=40,
        )
    if may_publish or version_views.may_see_versions(user, course):
        yield Button(
            "Versions and renewals",
            url=version_views.versions_url(course),
            icon_name="list-ul",
            priority=41,
        )


@hooks.register("after_publish_page")
def suggest_a_version_after_a_module_is_published(request, page):
    """Publishing a lesson changes nothing for certified fellows; if the change matters
    to them, the author publishes a version. Said only for a course that has issued
    badges (one query), to those who may publish a version."""
    if not isinstance(page, ModulePage):
        return None
    from certificates.models import Badge

    module = translations.source_page(page)
    course = CoursePage.objects.filter(
        path=module.path[: -module.steplen],
        badges__state__in=Badge.ACTIVE_STATES,
    ).first()
    if course is None or not version_views.may_publish_version(request.user, course):
        return None
    messages.info(
        request,
        f"Published. If this change matters to fellows certified on “{course.title}”, "
        "publish a new version of the course: editing a lesson alone asks nothing of them.",
        buttons=[messages.button(version_views.publish_url(course), "Publish a new version")],
    )
    return None


@hooks.register("register_log_actions")
def register_accommodation_log_actions(actions):
    actions.register_action(
        accommodations.LOG_ACTION, "Grant accommodation", "Accommodation granted to a fellow"
    )


@hooks.register("before_serve_page")
def serve_the_wanted_language(page, request, serve_args, serve_kwargs):
    return translations.redirect_to_wanted_version(page, request)
