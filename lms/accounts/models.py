"""The user account (e-mail login, the name printed on certificates, whether scores show
on badges), what is kept of an erased account, and the account e-mails mail_throttle counts."""

from django.conf import settings
from django.contrib.auth.models import AbstractUser, BaseUserManager
from django.db import models
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _


def normalize_email_address(value: str) -> str:
    """The one spelling of an address we store and look up: trimmed and lower-cased.

    Lower-casing the local part too is deliberate: no mail provider our fellows use
    treats it as case-sensitive, and one account per mailbox matters more.
    """
    return (value or "").strip().lower()


class UserManager(BaseUserManager):
    use_in_migrations = True

    def _create_user(self, email: str, password: str | None, **extra):
        if not email:
            raise ValueError("An e-mail address is required.")
        email = normalize_email_address(email)
        user = self.model(email=email, **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **extra):
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra)

    def create_superuser(self, email: str, password: str | None = None, **extra):
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        return self._create_user(email, password, **extra)

    def get_by_natural_key(self, username: str):
        # Login is case-insensitive, matching the case-insensitive unique constraint.
        return self.get(email__iexact=normalize_email_address(username))


class User(AbstractUser):
    # E-mail is the login; a separate username would be one more thing to forget.
    username = None
    email = models.EmailField(_("e-mail address"), unique=True)
    # Printed on certificates exactly as written, in any script. first/last names are
    # kept only because Wagtail's admin shows them; this is the one that matters.
    display_name = models.CharField(
        _("name on certificates"),
        max_length=200,
        help_text=_("Your full name exactly as it should appear on your badges."),
    )

    # docs/threats.md, row P1: a badge says the fellow passed; their score is theirs to show or not.
    # Read when a badge is issued, and frozen into it like the name.
    show_scores_on_badges = models.BooleanField(
        _("show my score on my badges"),
        default=False,
        help_text=_(
            "Print your average quiz score on badges issued from now on: on the PDF, the "
            "public badge page and the signed credential. Badges you already hold keep "
            "what they were issued with; the course team can re-issue one."
        ),
    )

    # The language of the site they last chose (the header's switcher) or signed up in, so
    # e-mails sent later from a worker, with no request to read it from, are in it too.
    # Empty: the site's LANGUAGE_CODE. A code from settings.LANGUAGES, which is not a
    # `choices` here so that adding a language needs no migration.
    language = models.CharField(_("language"), max_length=15, blank=True, default="")

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS = ["display_name"]

    objects = UserManager()

    class Meta(AbstractUser.Meta):
        constraints = [
            # Backstop for sign-up races: two accounts for one mailbox in any case.
            models.UniqueConstraint(Lower("email"), name="accounts_user_email_ci_unique"),
        ]
        # Admin lists of badges and learning records show fellows' names to everyone who
        # may open them, and their addresses only to roles that write to fellows
        # (lms.accounts.roles: badge officers, programme admins).
        permissions = [("view_fellow_email", "Can see fellows' e-mail addresses in the admin")]

    @property
    def is_course_team(self) -> bool:
        """Staff in any sense: the Django flags, or a group that opens the Wagtail admin."""
        return self.is_staff or self.is_superuser or self.has_perm("wagtailadmin.access_admin")

    @property
    def preferred_language(self) -> str:
        """The language to write to them in: their choice if the site still offers it."""
        offered = {code for code, _name in settings.LANGUAGES}
        return self.language if self.language in offered else settings.LANGUAGE_CODE

    def get_full_name(self) -> str:
        return self.display_name or self.email

    def get_short_name(self) -> str:
        return self.display_name or self.email

    def __str__(self) -> str:
        return self.display_name or self.email


class AccountErasure(models.Model):
    """What is kept of an erased account: that it was erased, when, and how many badges
    were withdrawn with it. Nothing that identifies the person (docs/threats.md, row P4)."""

    erased_at = models.DateTimeField()
    badges_withdrawn = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-erased_at"]

    def __str__(self) -> str:
        return f"Account erased {self.erased_at:%Y-%m-%d %H:%M} ({self.badges_withdrawn} badges)"


class AccountEmailSent(models.Model):
    """One account e-mail (password reset, sign-up) sent in the last hour, so that
    mail_throttle can count them per address and per client. Rows older than the window
    are deleted as new ones are written; the address is kept only as a keyed digest."""

    kind = models.CharField(max_length=20)
    address_digest = models.CharField(max_length=64)
    client = models.CharField(max_length=64)
    sent_at = models.DateTimeField()

    class Meta:
        indexes = [
            models.Index(fields=["address_digest", "sent_at"], name="accounts_mail_address_idx"),
            models.Index(fields=["client", "sent_at"], name="accounts_mail_client_idx"),
            models.Index(fields=["sent_at"], name="accounts_mail_sent_at_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} e-mail at {self.sent_at:%Y-%m-%d %H:%M}"
