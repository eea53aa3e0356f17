# Course content in Traditional Chinese: the zh-hant locale (Wagtail's own migrations
# create the default one), the language each quiz attempt and completion was made in,
# and course authors allowed to translate.

from django.db import migrations, models

# The content languages besides the default, as settings.WAGTAIL_CONTENT_LANGUAGES had
# them when this was written (a migration must not follow later edits of settings).
ADDED_LANGUAGES = ["zh-hant"]


def add_locales(apps, schema_editor):
    locale_model = apps.get_model("wagtailcore", "Locale")
    for code in ADDED_LANGUAGES:
        locale_model.objects.get_or_create(language_code=code)


def remove_locales(apps, schema_editor):
    # Only a locale no page uses: pages protect their locale.
    locale_model = apps.get_model("wagtailcore", "Locale")
    page_model = apps.get_model("wagtailcore", "Page")
    for code in ADDED_LANGUAGES:
        locale = locale_model.objects.filter(language_code=code).first()
        if locale and not page_model.objects.filter(locale=locale).exists():
            locale.delete()


def let_authors_translate(apps, schema_editor):
    """Course authors get simple_translation's "submit translation" (lms.accounts.roles).
    accounts.0008_roles may run before simple_translation's migration, and Django creates
    permissions only after all migrations, so create them here as 0008 does."""
    from django.contrib.auth.management import create_permissions

    from lms.accounts.roles import ensure_roles

    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, verbosity=0, apps=apps)
        app_config.models_module = None
    ensure_roles(apps)


class Migration(migrations.Migration):
    dependencies = [
        ("courses", "0004_assessment_integrity"),
        ("wagtailcore", "0098_apitoken"),
        ("accounts", "0008_roles"),
        ("simple_translation", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="quizattempt",
            name="language",
            field=models.CharField(blank=True, default="", max_length=15),
        ),
        migrations.AddField(
            model_name="coursecompletion",
            name="language",
            field=models.CharField(blank=True, default="", max_length=15),
        ),
        migrations.RunPython(add_locales, remove_locales),
        # Reversing keeps the permission: the group may have been given it by hand too.
        migrations.RunPython(let_authors_translate, migrations.RunPython.noop),
    ]
