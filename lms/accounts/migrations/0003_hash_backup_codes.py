"""Backup codes issued before they were stored as digests: replace each plain-text token
with its keyed digest, so existing printed codes keep working and the database no longer
holds them. (A frozen copy of second_factor.backup_code_digest, as migrations must be.)"""

import re

from django.db import migrations
from django.utils.crypto import salted_hmac

PLAIN_CODE = re.compile(r"[a-z2-7]{8}")
SALT = "credence.accounts.backup-code"


def digest(code: str) -> str:
    return salted_hmac(SALT, code, algorithm="sha256").hexdigest()[:16]


def hash_plain_tokens(apps, schema_editor):
    StaticToken = apps.get_model("otp_static", "StaticToken")
    for token in StaticToken.objects.all().only("pk", "token").iterator():
        if PLAIN_CODE.fullmatch(token.token):
            StaticToken.objects.filter(pk=token.pk).update(token=digest(token.token))


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0002_email_case_insensitive_unique"),
        ("otp_static", "0003_add_timestamps"),
    ]

    # Not reversible: the codes cannot be recovered from their digests, which is the point.
    operations = [migrations.RunPython(hash_plain_tokens, migrations.RunPython.noop)]
