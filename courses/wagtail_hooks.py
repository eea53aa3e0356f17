"""Admin: read-only viewsets for enrolments, quiz attempts and completions."""

from django.http import Http404
from django.utils.functional import cached_property
from wagtail import hooks
from wagtail.admin.views.generic import IndexView
from wagtail.admin.viewsets.model import ModelViewSet, ModelViewSetGroup
from wagtail.permission_policies import ModelPermissionPolicy
from wagtail.permissions import register_permission_policy

from courses.models import CourseCompletion, Enrolment, QuizAttempt
from courses.programme.csv_export import streaming_csv_response


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


class RecordsIndexView(IndexView):
    """The list, and its "Download CSV": streamed from a server-side cursor, formula-safe
    (courses.programme.csv_export), over the list's filters. Wagtail's own download builds
    each row from a model instance held in memory, and its XLSX builds the whole workbook
    in memory: only CSV is offered."""

    export_chunk_size = 2000
    export_related: tuple[str, ...] = ()  # the viewset's: joined for the list's columns

    def get_base_queryset(self):
        return super().get_base_queryset().select_related(*self.export_related)

    @cached_property
    def header_more_buttons(self):
        xlsx = self.xlsx_export_url
        return [b for b in super().header_more_buttons if getattr(b, "url", None) != xlsx]

    def as_spreadsheet(self, queryset, spreadsheet_format):
        if spreadsheet_format != self.FORMAT_CSV:
            raise Http404("Only CSV downloads are offered.")
        fields = [f.replace(".", "__") for f in self.list_export]
        rows = queryset.values_list(*fields).iterator(chunk_size=self.export_chunk_size)
        headings = [self.get_heading(queryset, f) for f in self.list_export]
        return streaming_csv_response(self.get_filename(), headings, rows)


class ReadOnlyViewSet(ModelViewSet):
    inspect_view_enabled = True
    copy_view_enabled = False
    add_to_admin_menu = False
    form_fields: list[str] = []  # never used: the policy refuses add and change
    index_view_class = RecordsIndexView
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


class LearningViewSetGroup(ModelViewSetGroup):
    menu_label = "Learning records"
    menu_icon = "list-ul"
    items = (EnrolmentViewSet, QuizAttemptViewSet, CourseCompletionViewSet)


for _model in (Enrolment, QuizAttempt, CourseCompletion):
    register_permission_policy(_model, ReadOnlyPermissionPolicy(_model))


@hooks.register("register_admin_viewset")
def register_learning_viewsets():
    return LearningViewSetGroup()
