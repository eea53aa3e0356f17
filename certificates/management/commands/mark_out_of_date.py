from django.core.management.base import BaseCommand

from certificates.issuing import renewal


class Command(BaseCommand):
    help = (
        "Mark badges whose renewal deadline has passed out of date (and set their status "
        "bits), then send the renewal e-mails that are due. What Celery beat runs every 15 "
        "minutes; safe to run at any time, twice, or alongside it."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--no-email", action="store_true", help="Only mark badges; send no e-mail."
        )

    def handle(self, *args, **options):
        result = renewal.mark_out_of_date()
        self.stdout.write(
            f"Marked {result.marked} badge(s) out of date in {result.batches} batch(es)."
        )
        if not options["no_email"]:
            sent = renewal.send_renewal_emails()
            self.stdout.write(
                "Sent {renewal_notice} change notice(s), {renewal_reminder} reminder(s) and "
                "{out_of_date} out-of-date e-mail(s).".format(**sent)
            )
