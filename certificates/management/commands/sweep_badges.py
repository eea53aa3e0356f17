from django.core.management.base import BaseCommand

from certificates.issuing.issuance import sweep_stuck_badges, sweep_withdrawn_badge_files


class Command(BaseCommand):
    help = (
        "Re-queue badges whose rendering was lost (broker down, worker killed), and delete "
        "files left behind by badges withdrawn in the last day."
    )

    def handle(self, *args, **options):
        deleted = sweep_withdrawn_badge_files()
        queued = sweep_stuck_badges()
        self.stdout.write(
            f"Queued {queued} badge(s) for rendering; deleted {deleted} withdrawn badge file(s)."
        )
