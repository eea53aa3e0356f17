"""Verify a badge PDF or credential JSON file: the same verdict as the public upload page."""

import json
import sys
from datetime import UTC
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from certificates.public.pdf_verification import MAX_UPLOAD_BYTES, UnreadableUpload, verify_upload

MARKS = {True: "PASS", False: "FAIL", None: "NOT RUN"}


class Command(BaseCommand):
    help = (
        "Check that a badge PDF or Open Badges credential JSON is genuine, unaltered and "
        "still valid. Exit status: 0 valid, 1 not valid, 2 the file could not be checked."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="a badge PDF or credential .json file")
        parser.add_argument("--json", action="store_true", help="print the verdict as JSON")

    def handle(self, *args, file: str, **options):
        path = Path(file)
        try:
            if path.stat().st_size > MAX_UPLOAD_BYTES:
                raise UnreadableUpload("The file is larger than 5 MB; a badge PDF is far smaller.")
            verdict = verify_upload(path.read_bytes())
        except OSError as error:
            raise CommandError(f"Cannot read {file}: {error.strerror}", returncode=2) from None
        except UnreadableUpload as error:
            raise CommandError(str(error), returncode=2) from None
        if options["json"]:
            self.stdout.write(json.dumps(verdict.as_dict(), indent=2, ensure_ascii=False))
        else:
            self.stdout.write(f"{verdict.label.upper()}: {verdict.summary}")
            if verdict.badge is not None:
                snap = verdict.badge.snapshot
                self.stdout.write(
                    f"  {snap.get('badge_title')} awarded to {snap.get('recipient_name')} "
                    f"for {snap.get('course_title')}, issued {snap.get('issued_on')}"
                )
                version = verdict.version
                if version is not None and version.certified:
                    self.stdout.write(f"  {version_line(version)}")
            for check in verdict.checks:
                self.stdout.write(
                    f"  [{MARKS[check.passed]}] {check.label}: {check.detail} "
                    f"(checked {check.checked_at.isoformat(timespec='seconds')})"
                )
        if not verdict.is_valid:
            sys.exit(1)


def version_line(version) -> str:
    """'Certifies version 2026.1 of the course; the current version is 2027.1; renew by
    2027-02-05' (dates in UTC, as the JSON gives them)."""
    parts = [f"Certifies version {version.certified} of the course"]
    if version.is_current:
        parts.append("the current version")
    elif version.current:
        parts.append(f"the current version is {version.current}")
    if version.out_of_date_since:
        parts.append(f"out of date since {day(version.out_of_date_since)}")
    elif version.renew_by:
        parts.append(f"renew by {day(version.renew_by)}")
    return "; ".join(parts)


def day(moment) -> str:
    return moment.astimezone(UTC).date().isoformat()
