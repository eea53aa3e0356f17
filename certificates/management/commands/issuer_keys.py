"""Manage the issuer's Ed25519 key ring: create, rotate, list, mark-compromised."""

from django.core.management.base import BaseCommand, CommandError

from certificates.conf import conf
from certificates.signing.ob3 import keys


class Command(BaseCommand):
    help = (
        "Manage the Open Badges issuer keys kept in settings.CREDENCE_ISSUER_KEYS_FILE "
        "(outside the database and the repository)."
    )

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("create", help="Create the key ring with one active key.")
        sub.add_parser("rotate", help="Retire the active key (still published) and add a new one.")
        sub.add_parser("list", help="List keys: id, status, created, public key.")
        compromised = sub.add_parser(
            "mark-compromised",
            help="Withdraw a key: its badges stop verifying and must be re-issued.",
        )
        compromised.add_argument("key_id")

    def handle(self, *args, action: str, **options):
        path = conf.CREDENCE_ISSUER_KEYS_FILE
        try:
            if action == "create":
                self._create(path)
            elif action == "rotate":
                ring, fresh = keys.rotate(keys.load_key_ring(path))
                keys.save_key_ring(ring, path)
                self.stdout.write(f"New active key {fresh.key_id}; the old key stays published.")
            elif action == "list":
                self._list(keys.load_key_ring(path))
            elif action == "mark-compromised":
                self._mark_compromised(path, options["key_id"])
        except keys.KeyRingError as error:
            raise CommandError(str(error)) from error

    def _create(self, path: str) -> None:
        try:
            keys.load_key_ring(path)
        except keys.KeyRingError as error:
            if "no issuer key file" not in str(error):
                raise
        else:
            raise CommandError(f"{path} already holds a key ring; use `rotate` for a new key.")
        ring = keys.create_key_ring()
        keys.save_key_ring(ring, path)
        self.stdout.write(f"Created {path} with active key {ring.active.key_id}.")

    def _list(self, ring: keys.KeyRing) -> None:
        for key in ring.keys:
            self.stdout.write(
                f"{key.key_id}\t{key.status}\t{key.created_at}\t{key.public_key_multibase}"
            )

    def _mark_compromised(self, path: str, key_id: str) -> None:
        from certificates.issuing import issuance, status_publishing

        ring, replacement = keys.mark_compromised(keys.load_key_ring(path), key_id)
        keys.save_key_ring(ring, path)
        self.stdout.write(
            f"{key_id} marked compromised: removed from assertionMethod, so every badge it "
            "signed now fails verification."
        )
        if replacement:
            self.stdout.write(f"It was the active key; new active key {replacement.key_id}.")
        # A status list signed by the withdrawn key would fail every badge's status check.
        status_publishing.resign_status_lists()
        queued = issuance.queue_reissue_for_compromised_key(key_id)
        self.stdout.write(
            f"Status lists re-signed with the active key; {queued} badges queued for re-issue."
        )
