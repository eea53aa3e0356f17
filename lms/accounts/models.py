"""The user account: e-mail login and the name printed on certificates."""

from django.contrib.auth.models import AbstractUser, BaseUserManager
from django.db import models
from django.utils.translation import gettext_lazy as _


class UserManager(BaseUserManager):
    use_in_migrations = True

    def _create_user(self, email: str, password: str | None, **extra):
        if not email:
            raise ValueError("An e-mail address is required.")
        email = self.normalize_email(email)
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

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS = ["display_name"]

    objects = UserManager()

    def get_full_name(self) -> str:
        return self.display_name or self.email

    def get_short_name(self) -> str:
        return self.display_name or self.email

    def __str__(self) -> str:
        return self.display_name or self.email
