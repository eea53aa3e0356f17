# Course content in Traditional Chinese: the zh-hant locale (Wagtail's own migrations
# create the default one), and the language each quiz attempt was taken in.

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


class Migration(migrations.Migration):
    dependencies = [
        ("courses", "0004_assessment_integrity"),
        ("wagtailcore", "0098_apitoken"),
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
    ]
