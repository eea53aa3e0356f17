"""Cohorts: named groups of fellows (an intake, a client project) that reports filter by."""

from django.conf import settings
from django.db import models


class Cohort(models.Model):
    name = models.CharField(max_length=120, unique=True)
    description = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        through="CohortMembership",
        related_name="cohorts",
        blank=True,
    )

    class Meta:
        ordering = ["name"]
        # The reports are not a model: their permission hangs on the cohort, the model
        # the Programme area owns, so Wagtail's group editor lists it beside the others.
        permissions = [("view_reports", "Can view programme reports")]

    def __str__(self) -> str:
        return self.name


class CohortMembership(models.Model):
    cohort = models.ForeignKey(Cohort, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="cohort_memberships"
    )
    added_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["cohort", "user"], name="cohort_member_once")
        ]

    def __str__(self) -> str:
        return f"{self.user} in {self.cohort}"
