"""Learner progress records: enrolments, quiz attempts, module passes and course completions."""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q


class Enrolment(models.Model):
    """A fellow taking a course. Unenrolling deletes this row and keeps attempts and passes,
    so enrolling again resumes where the fellow left off."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="enrolments"
    )
    course = models.ForeignKey(
        "courses.CoursePage", on_delete=models.CASCADE, related_name="enrolments"
    )
    enrolled_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "course"], name="enrolment_once_per_course")
        ]
        ordering = ["-enrolled_at"]

    def __str__(self) -> str:
        return f"{self.user} in {self.course}"


class QuizAttempt(models.Model):
    """One attempt at a module's quiz, frozen when it starts.

    `layout` is what the fellow was shown (questions, order, choices with opaque ids);
    `answer_key` is the matching key, copied so that later edits to the quiz never change
    this attempt or its grade. Neither is ever read from the live quiz again.
    """

    class State(models.TextChoices):
        IN_PROGRESS = "in_progress", "In progress"
        SUBMITTED = "submitted", "Submitted"
        # Submitted (or abandoned) after the time limit plus grace: recorded, scored zero.
        OVERDUE = "overdue", "Overdue"

    # The URL carries this, never the sequential primary key.
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="quiz_attempts"
    )
    module = models.ForeignKey(
        "courses.ModulePage", on_delete=models.CASCADE, related_name="quiz_attempts"
    )
    attempt_number = models.PositiveSmallIntegerField()
    state = models.CharField(max_length=20, choices=State.choices, default=State.IN_PROGRESS)
    layout = models.JSONField(default=list)
    answer_key = models.JSONField(default=dict)
    pass_mark_percent = models.PositiveSmallIntegerField()
    answers = models.JSONField(default=dict, blank=True)
    # Per question: credit, explanation, review anchor, correct choice ids; filled on grading.
    grade = models.JSONField(default=dict, blank=True)
    score_percent = models.DecimalField(max_digits=5, decimal_places=2, null=True, blank=True)
    passed = models.BooleanField(default=False)
    started_at = models.DateTimeField()
    deadline = models.DateTimeField(null=True, blank=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    # The content language of the page the fellow took the quiz on: its questions are in
    # that language, and a completion on it asks for a badge in it. `module` is always the
    # source (default-locale) module, whatever the language (courses/translations.py).
    language = models.CharField(max_length=15, blank=True, default="")
    # The module's edition when the attempt started (courses.versions.module_edition):
    # attempt limits, waits and passes count within one edition, so a fellow renewing a
    # changed module starts afresh.
    edition = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            # The attempt limit holds under concurrency: two starts racing for the same
            # number cannot both insert.
            models.UniqueConstraint(
                fields=["user", "module", "attempt_number"], name="attempt_number_once"
            ),
            # At most one open attempt per quiz: a double-clicked "Start" reuses it.
            models.UniqueConstraint(
                fields=["user", "module"],
                condition=Q(state="in_progress"),
                name="one_open_attempt_per_quiz",
            ),
        ]
        ordering = ["module", "attempt_number"]
        indexes = [models.Index(fields=["user", "module", "state"])]

    def __str__(self) -> str:
        return f"Attempt {self.attempt_number} by {self.user} on {self.module}"

    @property
    def is_open(self) -> bool:
        return self.state == self.State.IN_PROGRESS


class ModulePass(models.Model):
    """The first passing attempt of a module's quiz in one of its editions. Written once per
    edition; a pass of the module's current edition opens the next module. A course version
    that changes the module (with a renewal window) starts a new edition, so passes of
    earlier ones stay on record but no longer count (courses.versions)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="module_passes"
    )
    module = models.ForeignKey(
        "courses.ModulePage", on_delete=models.CASCADE, related_name="passes"
    )
    attempt = models.OneToOneField(QuizAttempt, on_delete=models.PROTECT, related_name="+")
    score_percent = models.DecimalField(max_digits=5, decimal_places=2)
    passed_at = models.DateTimeField()
    edition = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["user", "module", "edition"], name="module_passed_once_per_edition"
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} passed {self.module}"


class CourseCompletion(models.Model):
    """Every quiz module of a course passed. Recorded once per course edition (the sequence
    of its latest version that asked for renewal, 0 before any): a renewal is a completion
    of the new edition. Badge issuance hooks onto it."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="course_completions"
    )
    course = models.ForeignKey(
        "courses.CoursePage", on_delete=models.PROTECT, related_name="completions"
    )
    completed_at = models.DateTimeField()
    # Frozen at completion: [{"module_id", "title", "score_percent"}] in course order, so a
    # badge or transcript can show it even if a module is later renamed or removed.
    module_scores = models.JSONField(default=list)
    # The content language of the page the last quiz was passed on: the language the
    # fellow took the course in, and so the badge's (courses.services.badge_language).
    language = models.CharField(max_length=15, blank=True, default="")
    edition = models.PositiveIntegerField(default=0)

    # A fellow's record, not content that uses the course page: the admin's learning
    # records list it, and the course's "Usage" tab need not count thousands of fellows.
    # Left out of Wagtail's reference index, which also saves the completing submission
    # four queries.
    wagtail_reference_index_ignore = True

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["user", "course", "edition"], name="course_completed_once_per_edition"
            )
        ]
        ordering = ["-completed_at"]

    def __str__(self) -> str:
        return f"{self.user} completed {self.course}"


class CourseTreeVersion(models.Model):
    """One row: a version changed in the same transaction as every save, deletion or move
    of a catalogue, course or module page. It keys the cached course structure (modules in
    order, prerequisites) in courses.progress_cache, so no cache entry written before an
    author's change is read after it, even if Redis missed the change."""

    token = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"course tree version {self.token}"
