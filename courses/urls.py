"""URLs under /learning/: dashboard, enrolment, quiz attempts, search and JSON."""

from django.urls import path

from courses import views

app_name = "courses"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("search/", views.search, name="search"),
    path("courses/<int:course_id>/enrol/", views.enrol, name="enrol"),
    path("courses/<int:course_id>/unenrol/", views.unenrol, name="unenrol"),
    path("modules/<int:module_id>/quiz/start/", views.start_quiz, name="start_quiz"),
    path("attempts/<uuid:public_id>/", views.attempt_view, name="attempt"),
    path("attempts/<uuid:public_id>/result/", views.attempt_result, name="attempt_result"),
    path(
        "api/courses/<int:course_id>/progress/",
        views.course_progress_json,
        name="course_progress_json",
    ),
    path("api/modules/<int:module_id>/", views.module_json, name="module_json"),
]
