"""``manage.py load_demo``: load the demo curriculum and accounts, then print how to log in."""

import io

import segno
from django.core.management.base import BaseCommand

from courses.demo.loader import AccountResult, DemoReport, load_demo


class Command(BaseCommand):
    help = (
        "Create or update the demo course catalogue, its two courses, their modules and"
        " their badge designs, Foundations' two guideline versions (the second changed a"
        " module), a demo admin (with a TOTP device and backup codes), a demo fellow and a"
        " fellow certified on Foundations' first version who is asked to renew. Safe to run"
        " again: unchanged pages get no new revision, unchanged designs no new version,"
        " recorded versions are kept, and passwords are kept."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--reset-passwords",
            action="store_true",
            help="Give the demo accounts new passwords and the admin new second-factor"
            " devices (the old ones stop working).",
        )

    def handle(self, *args, reset_passwords: bool = False, **options):
        # Everything is written in one transaction before anything is printed, so the
        # passwords shown are always the ones that were saved.
        report = load_demo(reset_passwords=reset_passwords)
        self._print_pages(report)
        self._print_designs(report)
        self._print_versions(report)
        for account in report.accounts:
            self._print_account(account)
        self.stdout.write("")
        self.stdout.write(self.style.SUCCESS(f"Open {report.site_url}/ and log in."))

    def _print_pages(self, report: DemoReport) -> None:
        pages = report.pages
        self.stdout.write(
            self.style.MIGRATE_HEADING(
                f"Demo curriculum at {report.site_url}/: {len(pages.created)} created,"
                f" {len(pages.updated)} updated, {len(pages.unchanged)} unchanged"
            )
        )
        for status in ("created", "updated"):
            for label in getattr(pages, status):
                self.stdout.write(f"  {status}: {label}")

    def _print_designs(self, report: DemoReport) -> None:
        designs = report.designs
        self.stdout.write(
            self.style.MIGRATE_HEADING(
                f"Badge designs: {len(designs.created)} created, {len(designs.updated)} updated,"
                f" {len(designs.unchanged)} unchanged"
            )
        )
        for status in ("created", "updated"):
            for label in getattr(designs, status):
                self.stdout.write(f"  {status}: {label}")

    def _print_versions(self, report: DemoReport) -> None:
        versions = report.versions
        self.stdout.write(
            self.style.MIGRATE_HEADING(
                f"Guideline versions: {len(versions.created)} created,"
                f" {len(versions.unchanged)} unchanged"
            )
        )
        for label in versions.created:
            self.stdout.write(f"  created: {label}")

    def _print_account(self, account: AccountResult) -> None:
        role = "superuser" if account.is_superuser else "fellow"
        self.stdout.write("")
        self.stdout.write(
            self.style.MIGRATE_HEADING(f"{account.email} ({role}, {account.display_name})")
        )
        if account.password:
            self.stdout.write(f"  password: {account.password}")
        else:
            self.stdout.write(
                "  already exists; password unchanged (use --reset-passwords for a new one)"
            )
        if account.note:
            self.stdout.write(f"  {account.note}")
        if not account.is_superuser:
            return
        if account.totp_uri:
            self.stdout.write("  authenticator app: scan this code or enter the URI")
            self.stdout.write(f"  {account.totp_uri}")
            qr = io.StringIO()
            segno.make(account.totp_uri).terminal(out=qr, compact=True)
            self.stdout.write(qr.getvalue())
        else:
            self.stdout.write("  authenticator device already set up; kept")
        if account.backup_codes:
            self.stdout.write("  backup codes (each works once): " + " ".join(account.backup_codes))
        else:
            self.stdout.write("  backup codes already set up; kept")
