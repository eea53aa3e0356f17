"""Admin: read-only viewsets for enrolments, quiz attempts and completions."""

from wagtail import hooks
from wagtail.admin.viewsets.model import ModelViewSet, ModelViewSetGroup
from wagtail.permission_policies import ModelPermissionPolicy
from wagtail.permissions import register_permission_policy

from courses.models import CourseCompletion, Enrolment, QuizAttempt


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


class EnrolmentViewSet(ReadOnlyViewSet):
    model = Enrolment
    name = "enrolments"
    icon = "user"
    menu_label = "Enrolments"
    list_display = ["user", "course", "enrolled_at"]
    list_filter = ["course"]
    inspect_view_fields = ["user", "course", "enrolled_at"]


class QuizAttemptViewSet(ReadOnlyViewSet):
    model = QuizAttempt
    name = "quiz-attempts"
    icon = "tasks"
    menu_label = "Quiz attempts"
    list_display = ["user", "module", "attempt_number", "state", "score_percent", "passed"]
    list_filter = ["state", "passed"]
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
    inspect_view_fields = ["user", "course", "completed_at", "module_scores"]


class LearningViewSetGroup(ModelViewSetGroup):
    menu_label = "Learning records"
    menu_icon = "list-ul"
    items = (EnrolmentViewSet, QuizAttemptViewSet, CourseCompletionViewSet)


for _model in (Enrolment, QuizAttempt, CourseCompletion):
    register_permission_policy(_model, ReadOnlyPermissionPolicy(_model))


@hooks.register("register_admin_viewset")
def register_learning_viewsets():
    return LearningViewSetGroup()


@hooks.register("before_serve_document")
def documents_are_for_staff_only(document, request):
    """Serve documents from the admin's library only to people who may use the admin.

    Lessons cannot link documents (LESSON_RICH_TEXT_FEATURES has no "document-link"), so
    nothing a fellow reads points at one, while /documents/<id>/ ids are sequential and
    anyone could walk them: an answer key or a list of fellows uploaded there would be
    public (docs/threats.md, row P6). Anonymous visitors are sent to log in; signed-in
    fellows get 403. The course team pass the same second factor as for the admin first.
    """
    from django.contrib.auth.views import redirect_to_login
    from django.core.exceptions import PermissionDenied

    from lms.accounts.middleware import otp_step_redirect
    from lms.accounts.otp_policy import ADMIN_PATH_PREFIXES, required_otp_step
    from lms.accounts.second_factor import has_confirmed_device

    user = request.user
    if not user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    if not user.is_course_team:
        raise PermissionDenied("Documents are for the course team only.")
    step = required_otp_step(
        user,
        ADMIN_PATH_PREFIXES[0],  # the library belongs to the admin: its rule applies
        otp_pending=False,
        has_device=lambda: has_confirmed_device(user),
    )
    return otp_step_redirect(request, step) if step else None
