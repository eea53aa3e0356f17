"""Time building and signing one typical Open Badges 3.0 credential.

Run: DJANGO_SETTINGS_MODULE=lms.settings.test .venv/bin/python bench/bench_sign.py

Prints the median milliseconds per badge and, when certificates.rendering.pdf is present, the
ratio to one PDF render measured in the same run (target: under 25% of the render).
"""

import os
import statistics
import sys
import time
from datetime import UTC, date, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lms.settings.test")

import django  # noqa: E402

django.setup()

from certificates.signing.ob3 import credential as ob3  # noqa: E402
from certificates.signing.ob3 import keys, status_list  # noqa: E402

SITE = "https://badges.example.org"
ROUNDS = 30


def _median_ms(action, rounds: int = ROUNDS) -> float:
    action()  # warm caches (contexts, fonts) as a long-running worker would have them
    timings = []
    for _ in range(rounds):
        start = time.perf_counter()
        action()
        timings.append((time.perf_counter() - start) * 1000)
    return statistics.median(timings)


def sign_one(ring: keys.KeyRing) -> dict:
    facts = ob3.BadgeFacts(
        credential_id="urn:uuid:3f1d2c4b-8a7e-4d6f-9b0a-1c2d3e4f5a6b",
        achievement_id=f"{SITE}/courses/foundations/badge",
        achievement_name="Certified AI Data Labeler",
        achievement_description="Labels data for model training to a written guideline.",
        criteria_narrative="Passed every module quiz of the course.",
        criteria_url=f"{SITE}/courses/foundations/",
        image_url=f"{SITE}/static/certificates/badge.png",
        recipient_email="ada@example.org",
        recipient_salt="2f6c0e0b9d",
        recipient_name="Ada Lovelace",
        valid_from=datetime(2025, 3, 1, tzinfo=UTC),
        valid_until=datetime(2026, 3, 1, tzinfo=UTC),
        score_percent=95,
        pass_mark_percent=80,
        credential_status=status_list.status_entry(SITE, "revocation", 4242),
    )
    issuer = ob3.Issuer(did=keys.issuer_did(SITE), name="Credence", url=SITE)
    return ob3.sign_credential(ob3.build_credential(facts, issuer), ring.active)


def render_one():
    from certificates.issuing.snapshot import BadgeSnapshot
    from certificates.rendering.pdf import render_badge_pdf

    return render_badge_pdf(
        BadgeSnapshot(
            public_id="bench",
            recipient_name="Ada Lovelace",
            course_title="Foundations of AI Data Labeling",
            badge_title="Certified AI Data Labeler",
            issued_on=date(2025, 3, 1),
            verify_url=f"{SITE}/badges/bench",
            issuer_name="Credence",
            badge_description="Labels data for model training to a written guideline.",
            criteria="Passed every module quiz of the course.",
            score_percent=95,
        )
    )


def main() -> None:
    ring = keys.create_key_ring()
    sign_ms = _median_ms(lambda: sign_one(ring))
    print(f"build+sign one OB 3.0 credential: {sign_ms:.1f} ms (median of {ROUNDS})")
    try:
        import certificates.rendering.pdf  # noqa: F401
    except ImportError as error:
        print(f"render floor missing ({error}); absolute figure only")
        return
    render_ms = _median_ms(render_one, rounds=5)
    ratio = sign_ms / render_ms
    print(f"one PDF render (floor, same run): {render_ms:.1f} ms (median of 5)")
    print(f"signing / render = {ratio:.1%} (target < 25%): {'OK' if ratio < 0.25 else 'OVER'}")


if __name__ == "__main__":
    main()
