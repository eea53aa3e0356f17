"""Badge designs (authored per course), issued badges (frozen snapshots with a lifecycle),
the signed status lists, and the token that tells when a badge's public status changed."""

import re
import secrets
import uuid

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from wagtail.admin.panels import FieldPanel, MultiFieldPanel
from wagtail.search import index

# ≥128 random bits: 18 bytes → 144 bits → 24 URL-safe characters. Never the primary key.
PUBLIC_ID_BYTES = 18
PUBLIC_ID_PATTERN = r"[A-Za-z0-9_-]{24}"
PUBLIC_ID_RE = re.compile(rf"^{PUBLIC_ID_PATTERN}$")


def new_public_id() -> str:
    return secrets.token_urlsafe(PUBLIC_ID_BYTES)


def new_recipient_salt() -> str:
    return secrets.token_hex(16)


# After this many failed renders a badge stops being retried (by Celery and the sweeper)
# and waits for staff: the admin shows it as "Rendering failed", with its last error and
# a "Retry rendering" button.
MAX_RENDER_ATTEMPTS = 8


class BadgeDesign(index.Indexed, models.Model):
    """How a course's badge looks and what it says. Edited in the Wagtail admin as a snippet.

    Editing a design never changes badges already issued: each badge keeps a snapshot.
    """

    class PageSize(models.TextChoices):
        A4 = "A4", "A4 landscape"
        LETTER = "Letter", "US Letter landscape"

    course = models.OneToOneField(
        "courses.CoursePage", on_delete=models.CASCADE, related_name="badge_design"
    )
    # The achievement's public page is /achievements/<public_id>/, the `achievement.id` of
    # every credential issued from this design: random, so it says nothing about how
    # many designs or courses exist, and never changes.
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    title = models.CharField(max_length=200, help_text="e.g. 'Certified AI Data Labeler'")
    description = models.TextField(max_length=2000, help_text="What the badge certifies.")
    criteria = models.TextField(
        max_length=2000, help_text="What a fellow had to do to earn it (shown to employers)."
    )
    artwork = models.ForeignKey(
        "wagtailimages.Image", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    accent_color = models.CharField(
        max_length=7,
        default="#1D5FA8",
        validators=[RegexValidator(r"^#[0-9A-Fa-f]{6}$", "Use a colour like #1D5FA8.")],
    )
    signatory_name = models.CharField(max_length=200)
    signatory_title = models.CharField(max_length=200)
    signature_image = models.ForeignKey(
        "wagtailimages.Image", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    validity_days = models.PositiveIntegerField(
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(36_500)],
        help_text="How long a badge stays valid. Leave empty for no expiry.",
    )
    page_size = models.CharField(max_length=10, choices=PageSize.choices, default=PageSize.A4)
    # Bumped on every save, and frozen into each badge, so support staff can tell which
    # wording a badge was issued with.
    template_version = models.PositiveIntegerField(default=1, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    panels = [
        FieldPanel("course"),
        FieldPanel("title"),
        FieldPanel("description"),
        FieldPanel("criteria"),
        MultiFieldPanel(
            [FieldPanel("artwork"), FieldPanel("accent_color"), FieldPanel("page_size")],
            heading="Look",
        ),
        MultiFieldPanel(
            [
                FieldPanel("signatory_name"),
                FieldPanel("signatory_title"),
                FieldPanel("signature_image"),
            ],
            heading="Signatory",
        ),
        FieldPanel("validity_days"),
    ]
    search_fields = [index.SearchField("title"), index.AutocompleteField("title")]

    def save(self, *args, **kwargs):
        if self.pk:
            self.template_version = (
                BadgeDesign.objects.filter(pk=self.pk)
                .values_list("template_version", flat=True)
                .first()
                or 0
            ) + 1
        super().save(*args, **kwargs)

    def __str__(self) -> str:
        return self.title


class Badge(models.Model):
    """One issued (or being issued) badge: a frozen snapshot plus its lifecycle state."""

    class State(models.TextChoices):
        PENDING = "pending", "Being prepared"
        RENDERING = "rendering", "Being prepared"
        ISSUED = "issued", "Issued"
        SUSPENDED = "suspended", "Suspended"
        REVOKED = "revoked", "Revoked"
        SUPERSEDED = "superseded", "Superseded"
        # Certifies a course version whose renewal deadline passed without a renewal
        # (certificates.issuing.renewal). Not final: a deadline extended by the course
        # team makes it issued again; a renewal supersedes it with a new badge.
        OUT_OF_DATE = "out_of_date", "Out of date"

    # States in which a badge counts as the fellow's badge for the course.
    ACTIVE_STATES = (
        State.PENDING,
        State.RENDERING,
        State.ISSUED,
        State.SUSPENDED,
        State.OUT_OF_DATE,
    )
    PREPARING_STATES = (State.PENDING, State.RENDERING)

    public_id = models.CharField(max_length=32, unique=True, default=new_public_id, editable=False)
    # SET_NULL: erasing an account must not erase the record that a badge existed.
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="badges"
    )
    course = models.ForeignKey(
        "courses.CoursePage", null=True, on_delete=models.SET_NULL, related_name="badges"
    )
    state = models.CharField(max_length=12, choices=State.choices, default=State.PENDING)
    # Everything printed on the PDF and shown on the public page, frozen at issue time
    # (certificates.issuing.snapshot.BadgeSnapshot as JSON).
    snapshot = models.JSONField()
    awarded_manually_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    created_at = models.DateTimeField(default=timezone.now)
    issued_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)

    pdf = models.FileField(upload_to="badges/", blank=True, max_length=255)
    pdf_sha256 = models.CharField(max_length=64, blank=True)
    # Hashes of PDFs this badge was issued as before a re-render replaced the file: a fellow
    # may still hold one, and it is as genuine as the current one.
    earlier_pdf_sha256 = models.JSONField(default=list, blank=True)

    # Open Badges 3.0. The recipient is identified in the credential by a salted hash of
    # the lower-cased e-mail; the salt is per badge so two badges of one fellow cannot be
    # linked by their hashes.
    recipient_salt = models.CharField(max_length=32, default=new_recipient_salt, editable=False)
    # The badge's one index in the status lists (the same index in the revocation list,
    # which its credential names, and in the suspension list). Random, so neighbouring
    # indexes reveal nothing; unique so two badges can never share a bit.
    status_index = models.PositiveIntegerField(null=True, blank=True, unique=True)
    credential = models.JSONField(null=True, blank=True)
    signing_key_id = models.CharField(max_length=64, blank=True, db_index=True)
    # sha256 of the credential's canonical JSON when its proof was last verified, and when:
    # a public lookup compares hashes instead of re-running RDFC canonicalisation.
    credential_sha256 = models.CharField(max_length=64, blank=True)
    credential_verified_at = models.DateTimeField(null=True, blank=True)

    # Rendering lease: a worker claims the badge by writing a token and a deadline in one
    # conditional UPDATE; another delivery of the same task cannot claim it until the
    # deadline passes, and the sweeper re-queues badges whose lease ran out.
    render_token = models.CharField(max_length=32, blank=True)
    render_lease_until = models.DateTimeField(null=True, blank=True)
    render_attempts = models.PositiveIntegerField(default=0)
    last_enqueued_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)

    suspended_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revocation_reason = models.CharField(max_length=500, blank=True)
    superseded_by = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="supersedes"
    )
    # The course version the badge certifies (also frozen in the snapshot, which keeps it
    # if the version row is ever deleted with its course). None: the course had no
    # recorded version when it was issued.
    course_version = models.ForeignKey(
        "courses.CourseVersion",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="badges",
    )
    # Renewal (certificates.issuing.renewal): set when a later version of the course asks
    # for renewal; the beat job marks the badge out of date once it passes. The course team
    # can move it (audited).
    renew_by = models.DateTimeField(null=True, blank=True)
    out_of_date_at = models.DateTimeField(null=True, blank=True)

    # Set when the fellow erased their account: the badge is revoked, and the name, the
    # credential and the PDFs are gone; the public page says only that it was withdrawn.
    withdrawn_at = models.DateTimeField(null=True, blank=True)

    # Each notification is claimed by setting its timestamp in a conditional UPDATE, so a
    # task delivered twice sends one e-mail.
    issued_email_sent_at = models.DateTimeField(null=True, blank=True)
    revoked_email_sent_at = models.DateTimeField(null=True, blank=True)
    expiry_email_sent_at = models.DateTimeField(null=True, blank=True)
    # Renewal e-mails: the version changed, a week before the deadline, the deadline passed.
    renewal_notice_sent_at = models.DateTimeField(null=True, blank=True)
    renewal_reminder_sent_at = models.DateTimeField(null=True, blank=True)
    out_of_date_email_sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["recipient", "course"],
                condition=Q(
                    state__in=["pending", "rendering", "issued", "suspended", "out_of_date"]
                ),
                name="one_active_badge_per_fellow_and_course",
            ),
            models.CheckConstraint(
                condition=~Q(state="revoked") | Q(revoked_at__isnull=False),
                name="revoked_badge_has_revocation_date",
            ),
        ]
        indexes = [
            models.Index(fields=["state", "last_enqueued_at"], name="badge_sweep_idx"),
            # The out-of-date job: issued badges whose renewal deadline has passed.
            models.Index(
                fields=["renew_by"],
                condition=Q(state="issued", renew_by__isnull=False),
                name="badge_renewal_due_idx",
            ),
        ]
        ordering = ["-created_at"]
        # One permission per staff action, so a role can be given some and not others
        # (certificates.staff.views.BadgePermissionPolicy maps them to the admin's actions).
        permissions = [
            ("award_badge", "Can award badges by hand (one, by CSV, or past completions)"),
            ("revoke_badge", "Can revoke badges (one, or by CSV)"),
            ("suspend_badge", "Can suspend and reinstate badges"),
            ("reissue_badge", "Can re-issue badges"),
            ("rerender_badge", "Can re-render badges and retry failed renders"),
            ("manage_renewals", "Can remind fellows to renew and extend renewal deadlines"),
        ]

    def __str__(self) -> str:
        title = self.snapshot.get("badge_title", "Badge")
        if self.withdrawn_at:
            return f"{title} — (withdrawn)"
        return f"{title} — {self.snapshot.get('recipient_name', '')}"

    @property
    def is_preparing(self) -> bool:
        return self.state in self.PREPARING_STATES

    @property
    def render_gave_up(self) -> bool:
        """Its last allowed render failed (pending), or died with its worker (rendering,
        lease run out): it waits for staff to retry."""
        if self.render_attempts < MAX_RENDER_ATTEMPTS:
            return False
        if self.state == self.State.PENDING:
            return True
        return (
            self.state == self.State.RENDERING
            and self.render_lease_until is not None
            and self.render_lease_until < timezone.now()
        )

    @property
    def is_expired(self) -> bool:
        return bool(self.expires_at and self.expires_at <= timezone.now())


class StatusList(models.Model):
    """One W3C Bitstring Status List per purpose: the signed list credential we serve.

    The bits live inside the signed credential (encodedList); every change decodes them,
    sets one bit and re-signs, in the transaction that changes the badge, under a row lock.
    """

    class Purpose(models.TextChoices):
        REVOCATION = "revocation", "Revocation"
        SUSPENSION = "suspension", "Suspension"

    purpose = models.CharField(max_length=12, choices=Purpose.choices, unique=True)
    credential = models.JSONField()
    # Strong validator for conditional GETs: sha256 of the served bytes.
    etag = models.CharField(max_length=64)
    updated_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"{self.purpose} status list"


class StatusVersion(models.Model):
    """One row whose token changes, in the same transaction, with every change of any
    badge's public status (revocation, suspension, reinstatement, supersession, withdrawal).

    Cached public pages record the token they were built under, and every web process
    reads the row every few seconds (certificates/public/status_version.py): a change made by
    any process, a shell or a management command included, reaches every cache without
    needing Redis to carry the news.
    """

    token = models.CharField(max_length=32)

    def __str__(self) -> str:
        return f"status version {self.token}"


def new_job_id() -> str:
    return secrets.token_hex(16)  # 32 hex characters, unguessable: the job's URL


class BulkBadgeJob(models.Model):
    """One confirmed bulk award or revoke from a CSV (certificates.staff.bulk): applied
    all or nothing by a Celery task, each row's outcome kept in BulkBadgeRow."""

    class Kind(models.TextChoices):
        AWARD = "award", "Bulk award"
        REVOKE = "revoke", "Bulk revoke"

    class State(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        DONE = "done", "Done"
        FAILED = "failed", "Failed: nothing was changed"

    job_id = models.CharField(max_length=32, unique=True, default=new_job_id, editable=False)
    kind = models.CharField(max_length=8, choices=Kind.choices)
    state = models.CharField(max_length=8, choices=State.choices, default=State.QUEUED)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    filename = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    message = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.job_id}"


class BulkBadgeRow(models.Model):
    """One line of a bulk job's CSV as it was previewed, and what became of it."""

    class Outcome(models.TextChoices):
        WAITING = "waiting", "Waiting"
        AWARDED = "awarded", "Awarded"
        REVOKED = "revoked", "Revoked"
        FAILED = "failed", "Failed"
        ROLLED_BACK = "rolled_back", "Undone: another line failed"
        NOT_RUN = "not_run", "Not run: an earlier line failed"

    job = models.ForeignKey(BulkBadgeJob, on_delete=models.CASCADE, related_name="rows")
    line = models.PositiveIntegerField()
    # The cells as uploaded (already checked for length and control characters).
    email = models.CharField(max_length=254, blank=True)
    course_ref = models.CharField(max_length=255, blank=True)
    badge_ref = models.CharField(max_length=32, blank=True)
    reason = models.CharField(max_length=500, blank=True)
    # What the preview resolved them to.
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    course = models.ForeignKey(
        "courses.CoursePage", null=True, on_delete=models.SET_NULL, related_name="+"
    )
    # The badge awarded (once committed) or revoked.
    badge = models.ForeignKey(Badge, null=True, on_delete=models.SET_NULL, related_name="+")
    outcome = models.CharField(max_length=12, choices=Outcome.choices, default=Outcome.WAITING)
    message = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["job", "line"]
        constraints = [
            models.UniqueConstraint(fields=["job", "line"], name="bulk_badge_row_line_unique")
        ]

    def __str__(self) -> str:
        return f"line {self.line}: {self.get_outcome_display()}"
