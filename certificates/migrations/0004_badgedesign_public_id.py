"""Give each badge design a random public id: its achievement page's address."""

import uuid

from django.db import migrations, models


def give_each_design_its_own_id(apps, schema_editor):
    # A callable default is evaluated once for AddField: every existing row would share
    # one UUID, so each gets its own here before the column becomes unique.
    BadgeDesign = apps.get_model("certificates", "BadgeDesign")
    for design in BadgeDesign.objects.only("pk").iterator():
        BadgeDesign.objects.filter(pk=design.pk).update(public_id=uuid.uuid4())


class Migration(migrations.Migration):
    dependencies = [
        ("certificates", "0003_badge_withdrawn_at"),
    ]

    operations = [
        migrations.AddField(
            model_name="badgedesign",
            name="public_id",
            field=models.UUIDField(editable=False, null=True),
        ),
        migrations.RunPython(give_each_design_its_own_id, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="badgedesign",
            name="public_id",
            field=models.UUIDField(default=uuid.uuid4, editable=False, unique=True),
        ),
    ]
