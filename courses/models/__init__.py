"""Course models: Wagtail pages in pages.py, learner progress records in progress.py."""

from .pages import CourseIndexPage, CoursePage, ModulePage  # noqa: F401
from .progress import CourseCompletion, Enrolment, ModulePass, QuizAttempt  # noqa: F401
