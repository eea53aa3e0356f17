from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "lms.accounts"
    label = "accounts"
    verbose_name = "Accounts"

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        from . import roles, sessions

        sessions.connect()
        # Permissions that appear after the roles' migration (a later app's) reach the
        # roles on the next migrate; see lms.accounts.roles.
        post_migrate.connect(roles.ensure_roles_after_migrate, dispatch_uid="credence-roles")
