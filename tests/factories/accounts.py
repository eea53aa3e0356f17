"""factory_boy factories for accounts."""

from __future__ import annotations

import factory
from factory.django import DjangoModelFactory

from lms.accounts.models import User

PASSWORD = "correct horse battery staple 42"


class UserFactory(DjangoModelFactory):
    """A fellow who can sign in with PASSWORD (hashed as Django stores it)."""

    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"fellow{n}@example.org")
    display_name = factory.Sequence(lambda n: f"Fellow {n}")
    password = factory.django.Password(PASSWORD)


class StaffUserFactory(UserFactory):
    """A superuser (the second factor is still to be set up)."""

    email = factory.Sequence(lambda n: f"editor{n}@example.org")
    is_staff = True
    is_superuser = True
