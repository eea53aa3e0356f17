"""Guideline versions: what a course certifies changes over time, and a badge names the
version it certifies (courses.versions holds the rules; docs/decisions/0008)."""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models


class CourseVersion(models.Model):
    """One published version of a course's guidelines ("Guidelines 2027.1").

    `sequence` orders a course's versions (1, 2, ...); `number` is what people read. A
    version with a renewal window asks fellows certified on an earlier version to pass the
    `changed_modules` again within `renewal_days`; one without (a cosmetic or clarifying
    change) asks nothing of anyone. Versions are never edited once published: a badge and
    its e-mails quote them.
    """

    course = models.ForeignKey(
        "courses.CoursePage", on_delete=models.CASCADE, related_name="versions"
    )
    sequence = models.PositiveIntegerField()
    number = models.CharField(max_length=40)
    summary = models.TextField(max_length=2000)
    changed_modules = models.ManyToManyField(
        "courses.ModulePage", blank=True, related_name="changed_in_versions"
    )
    renewal_days = models.PositiveIntegerField(
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(3650)],
    )
    published_at = models.DateTimeField()
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["course", "sequence"], name="version_sequence_once"),
            models.UniqueConstraint(fields=["course", "number"], name="version_number_once"),
        ]
        ordering = ["course", "sequence"]

    def __str__(self) -> str:
        return f"{self.course} {self.number}"

    @property
    def requires_renewal(self) -> bool:
        return self.renewal_days is not None
