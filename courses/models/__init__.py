"""Course models: Wagtail pages in pages.py, learner progress records in progress.py, and
accommodations and out-of-attempts notices in accommodations.py, guideline versions in
versions.py."""

from .accommodations import Accommodation, StuckNotice  # noqa: F401
from .pages import AnswerReveal, CourseIndexPage, CoursePage, ModulePage  # noqa: F401
from .progress import (  # noqa: F401
    CourseCompletion,
    CourseTreeVersion,
    Enrolment,
    ModulePass,
    QuizAttempt,
)
from .versions import CourseVersion  # noqa: F401
