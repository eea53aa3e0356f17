"""manage.py setup_roles: create the course team's roles, or add what they are missing."""

from django.core.management.base import BaseCommand

from lms.accounts.roles import ROLES, ensure_roles


class Command(BaseCommand):
    help = (
        "Create the Course author, Programme admin and Badge officer groups, or add the "
        "permissions they are missing (new apps' permissions, a course catalogue created "
        "since). Safe to run any number of times; never removes a permission."
    )

    def handle(self, *args, **options):
        descriptions = {role.name: role.description for role in ROLES}
        pages_on_catalogue = {role.name: bool(role.catalogue_page_permissions) for role in ROLES}
        for report in ensure_roles():
            verb = "created" if report.created else "checked"
            self.stdout.write(f"{report.name} ({verb}): {descriptions[report.name]}")
            for name in report.added:
                self.stdout.write(f"  added {name}")
            if pages_on_catalogue[report.name] and not report.catalogues:
                self.stdout.write(
                    "  no course catalogue yet: it gets its page permissions when created"
                )
            for name in report.missing:
                self.stdout.write(f"  not there yet: {name} (run setup_roles after installing it)")
