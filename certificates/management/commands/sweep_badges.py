from django.core.management.base import BaseCommand

from certificates.issuance import sweep_stuck_badges


class Command(BaseCommand):
    help = "Re-queue badges whose rendering was lost (broker down, worker killed)."

    def handle(self, *args, **options):
        queued = sweep_stuck_badges()
        self.stdout.write(f"Queued {queued} badge(s) for rendering.")
