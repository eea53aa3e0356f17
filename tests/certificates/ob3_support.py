"""Builders shared by the Open Badges 3.0 tests: an issuer, a key ring, status lists."""

import json
import subprocess
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path

from certificates.signing.ob3 import credential as ob3
from certificates.signing.ob3 import keys, status_list

SITE_URL = "https://badges.example.org"
DID = keys.issuer_did(SITE_URL)
ISSUER = ob3.Issuer(did=DID, name="Credence", url=SITE_URL)
SCHEMA_PATH = Path(__file__).parent / "ob3_data" / "ob_v3p0_achievementcredential_schema.json"


def schema() -> dict:
    return json.loads(SCHEMA_PATH.read_text())


def facts(**changes) -> ob3.BadgeFacts:
    base = ob3.BadgeFacts(
        credential_id="urn:uuid:3f1d2c4b-8a7e-4d6f-9b0a-1c2d3e4f5a6b",
        achievement_id=f"{SITE_URL}/courses/foundations/badge",
        achievement_name="Certified AI Data Labeler",
        achievement_description="Labels data for model training to a written guideline.",
        criteria_narrative="Passed every module quiz of the course.\nScore at least 80%.",
        criteria_url=f"{SITE_URL}/courses/foundations/",
        image_url=f"{SITE_URL}/static/certificates/badge.png",
        recipient_email="ada@example.org",
        recipient_salt="2f6c0e0b9d",
        recipient_name="Ada Lovelace",
        valid_from=datetime(2025, 3, 1, 12, 0, tzinfo=UTC),
        valid_until=datetime(2099, 3, 1, 12, 0, tzinfo=UTC),
        achievement_version="2025.1",
        score_percent=95,
        pass_mark_percent=80,
        evidence=(ob3.Evidence(name="Final quiz", narrative="95% on the final quiz."),),
    )
    return replace(base, **changes)


@dataclass
class Issuance:
    """An issuer with a key ring and one status list per purpose, like the live site."""

    ring: keys.KeyRing = field(default_factory=keys.create_key_ring)
    bits: dict = field(
        default_factory=lambda: {p: status_list.Bitstring() for p in status_list.STATUS_PURPOSES}
    )
    taken: set = field(default_factory=set)

    def issue(self, purpose: str = "revocation", **changes) -> tuple[dict, int]:
        index = status_list.allocate_index(self.taken)
        self.taken.add(index)
        entry = status_list.status_entry(SITE_URL, purpose, index)
        unsigned = ob3.build_credential(facts(credential_status=entry, **changes), ISSUER)
        return ob3.sign_credential(unsigned, self.ring.active), index

    def did_document(self) -> dict:
        return keys.did_document(self.ring.keys, DID)

    def status_lists(self) -> dict[str, dict]:
        lists = {}
        for purpose, bits in self.bits.items():
            unsigned = status_list.build_status_list_credential(
                site_url=SITE_URL,
                issuer_did=DID,
                purpose=purpose,
                bits=bits,
                valid_from=datetime(2025, 1, 1, tzinfo=UTC),
            )
            lists[status_list.status_list_url(SITE_URL, purpose)] = ob3.sign_credential(
                unsigned, self.ring.active
            )
        return lists

    def verify(self, credential: dict, **kwargs) -> list[ob3.CheckResult]:
        return ob3.verify_credential(
            credential,
            did_document=self.did_document(),
            status_lists=self.status_lists(),
            **kwargs,
        )

    def failed(self, credential: dict, **kwargs) -> dict[str, str]:
        return {r.name: r.detail for r in self.verify(credential, **kwargs) if not r.ok}


def run_shared_verifier(verifier_dir: Path, workdir: Path, credential: dict, docs: dict):
    """The independent verifier's (exit code, verdict JSON) for `credential`, with `docs` as
    everything the issuer serves; fails the test if it tried to fetch anything else."""
    (workdir / "docs.json").write_text(json.dumps(docs))
    (workdir / "credential.json").write_text(json.dumps(credential, ensure_ascii=False))
    result = subprocess.run(
        ["node", str(verifier_dir / "verify.mjs"), "credential.json", "--docs", "docs.json"],
        cwd=workdir,
        capture_output=True,
        text=True,
        timeout=120,
    )
    verdict = json.loads(result.stdout)
    assert verdict["offline"]["blocked"] == [], verdict["offline"]
    return result.returncode, verdict
