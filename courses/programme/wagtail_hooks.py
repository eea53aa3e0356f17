"""The "Programme" admin menu: the reports and the cohorts viewset."""

from django.db.models import Count
from django.urls import include, path, reverse
from wagtail import hooks
from wagtail.admin.menu import Menu, MenuItem, SubmenuMenuItem
from wagtail.admin.ui.tables import Column, TitleColumn
from wagtail.admin.views.generic import IndexView
from wagtail.admin.viewsets.model import ModelViewSet

from courses.programme import views
from courses.programme.models import Cohort


class ReportsMenuItem(MenuItem):
    def is_shown(self, request):
        return request.user.has_perm(views.REPORTS_PERMISSION)


class CohortsMenuItem(MenuItem):
    def is_shown(self, request):
        return any(
            request.user.has_perm(f"programme.{action}_cohort")
            for action in ("view", "add", "change", "delete")
        )


class CohortIndexView(IndexView):
    def get_base_queryset(self):
        # The member count in one query for the whole page, not one per row.
        return super().get_base_queryset().annotate(member_count=Count("memberships"))


class CohortViewSet(ModelViewSet):
    model = Cohort
    name = "programme_cohorts"
    url_prefix = "programme/cohorts"
    icon = "group"
    menu_label = "Cohorts"
    add_to_admin_menu = False
    copy_view_enabled = False
    form_fields = ["name", "description"]
    search_fields = ["name"]
    index_view_class = CohortIndexView

    @property
    def list_display(self):
        return [
            TitleColumn(
                "name",
                label="Cohort",
                get_url=lambda cohort: views.cohort_url("members", cohort.pk),
            ),
            Column("member_count", label="Members"),
            Column("created_at", label="Created"),
        ]

    def get_urlpatterns(self):
        return [
            *super().get_urlpatterns(),
            path("members/<int:pk>/", views.CohortMembersView.as_view(), name="members"),
            path("enrol/<int:pk>/", views.EnrolCohortView.as_view(), name="enrol"),
        ]


cohort_viewset = CohortViewSet()

report_urls = [
    path("", views.OverviewView.as_view(), name="overview"),
    path("courses/<int:course_id>/", views.FunnelView.as_view(), name="funnel"),
    path("quizzes/<int:module_id>/", views.QuizView.as_view(), name="quiz"),
]


@hooks.register("register_admin_viewset")
def register_cohorts():
    return cohort_viewset


@hooks.register("register_admin_urls")
def register_report_urls():
    return [path("programme/reports/", include((report_urls, "programme"), namespace="programme"))]


@hooks.register("register_admin_menu_item")
def register_programme_menu():
    return SubmenuMenuItem(
        "Programme",
        Menu(
            items=[
                ReportsMenuItem(
                    "Reports", reverse("programme:overview"), icon_name="table", order=100
                ),
                CohortsMenuItem(
                    "Cohorts", reverse("programme_cohorts:index"), icon_name="group", order=200
                ),
            ]
        ),
        icon_name="table",
        name="programme",
        order=260,
    )
