"""The status version row that tells web processes their cached badge pages went stale."""

import secrets

from django.db import migrations, models


def create_the_row(apps, schema_editor):
    StatusVersion = apps.get_model("certificates", "StatusVersion")
    StatusVersion.objects.get_or_create(pk=1, defaults={"token": secrets.token_hex(8)})


class Migration(migrations.Migration):
    dependencies = [
        ("certificates", "0004_badgedesign_public_id"),
    ]

    operations = [
        migrations.CreateModel(
            name="StatusVersion",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("token", models.CharField(max_length=32)),
            ],
        ),
        migrations.RunPython(create_the_row, migrations.RunPython.noop),
    ]
