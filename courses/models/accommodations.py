"""What the course team does for a fellow who is stuck on a quiz, and the fact that they are.

An `Accommodation` is granted by staff (courses.accommodations.grant_accommodation) and read
by `courses.services.quiz_state` and `start_attempt` on every request, so it takes effect
at once. A `StuckNotice` records that a fellow used every attempt a quiz allowed them and
when the course team was e-mailed about it: one row per fellow, quiz and attempt allowance,
so the team hears once per time the fellow runs out, not once per page view.
"""

from django.conf import settings
from django.core.validators import MaxValueValidator
from django.db import models
from django.db.models import Q

# Bounds a form and the database both hold: generous for any real need, and small enough
# that a typo (600 attempts, 60000 minutes) is refused rather than recorded.
MAX_EXTRA_ATTEMPTS = 20
MAX_EXTRA_MINUTES = 600
REASON_MAX_LENGTH = 1000


class Accommodation(models.Model):
    """Extra attempts, a cooldown reset and/or extra time on one quiz for one fellow."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="accommodations"
    )
    module = models.ForeignKey(
        "courses.ModulePage", on_delete=models.CASCADE, related_name="accommodations"
    )
    extra_attempts = models.PositiveSmallIntegerField(
        default=0, validators=[MaxValueValidator(MAX_EXTRA_ATTEMPTS)]
    )
    # The wait after every attempt finished before `granted_at` is waived.
    reset_cooldown = models.BooleanField(default=False)
    # Added to the time limit of every attempt started from now on (and of an open one).
    extra_minutes = models.PositiveSmallIntegerField(
        default=0, validators=[MaxValueValidator(MAX_EXTRA_MINUTES)]
    )
    reason = models.TextField(max_length=REASON_MAX_LENGTH)
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    granted_at = models.DateTimeField()

    class Meta:
        ordering = ["-granted_at"]
        indexes = [models.Index(fields=["user", "module"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(extra_attempts__gt=0) | Q(reset_cooldown=True) | Q(extra_minutes__gt=0),
                name="accommodation_does_something",
            ),
            models.CheckConstraint(
                condition=Q(extra_attempts__lte=MAX_EXTRA_ATTEMPTS)
                & Q(extra_minutes__lte=MAX_EXTRA_MINUTES),
                name="accommodation_within_bounds",
            ),
        ]

    def __str__(self) -> str:
        # No name or address: this labels the audit log entry, which outlives an erasure.
        return f"Accommodation #{self.pk} on {self.module}"

    def describe(self) -> str:
        parts = []
        if self.extra_attempts:
            parts.append(
                f"{self.extra_attempts} extra attempt{'s' if self.extra_attempts != 1 else ''}"
            )
        if self.reset_cooldown:
            parts.append("wait reset")
        if self.extra_minutes:
            parts.append(f"{self.extra_minutes} extra minutes")
        return ", ".join(parts)


class StuckNotice(models.Model):
    """A fellow used every attempt a quiz allowed them; the course team is told once."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="stuck_notices"
    )
    module = models.ForeignKey(
        "courses.ModulePage", on_delete=models.CASCADE, related_name="stuck_notices"
    )
    # The allowance that ran out (the quiz's limit plus accommodations at the time), in
    # which edition of the module (courses.versions: a renewal counts attempts afresh).
    attempts_allowed = models.PositiveSmallIntegerField()
    edition = models.PositiveIntegerField(default=0)
    stuck_at = models.DateTimeField()
    notified_at = models.DateTimeField(null=True, blank=True)
    # Set when an accommodation lets the fellow try again.
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-stuck_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "module", "edition", "attempts_allowed"],
                name="stuck_notice_once_per_edition",
            )
        ]

    def __str__(self) -> str:
        return f"Out of attempts on {self.module}"
