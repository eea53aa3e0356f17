"""Create the course team's roles (lms.accounts.roles): course author, programme admin,
badge officer. Idempotent; `manage.py setup_roles` and every later `migrate` add what
appears afterwards (the programme app's permissions, a catalogue created later)."""

from django.contrib.auth.management import create_permissions
from django.db import migrations


def create_roles(apps, schema_editor):
    from lms.accounts.roles import ensure_roles

    # On a fresh database Django creates permissions only after all migrations have run
    # (post_migrate); create them now so the roles get theirs in this migration.
    for app_config in apps.get_app_configs():
        # create_permissions skips an app whose models module is not set, as it is not
        # on the migration state's app configs.
        app_config.models_module = True
        create_permissions(app_config, verbosity=0, apps=apps)
        app_config.models_module = None
    ensure_roles(apps)


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0007_view_fellow_email_permission"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("certificates", "0006_badge_action_permissions"),
        ("courses", "0004_assessment_integrity"),
        ("wagtailadmin", "0006_formstate"),
        ("wagtailcore", "0098_apitoken"),
        ("wagtaildocs", "0014_alter_document_file_size"),
        ("wagtailimages", "0027_image_description"),
    ]

    # Reversing keeps the groups: they may hold members and permissions added by hand.
    operations = [migrations.RunPython(create_roles, migrations.RunPython.noop)]
