"""Builders for badge designs."""

from __future__ import annotations

from certificates.models import BadgeDesign


def make_badge_design(course, **fields) -> BadgeDesign:
    """A complete badge design for `course`; `fields` override the defaults."""
    defaults = {
        "title": "Certified AI Data Labeler",
        "description": "Labels data for model training to a written guideline.",
        "criteria": "Passed every module quiz of the course.",
        "signatory_name": "Grace Hopper",
        "signatory_title": "Head of Training",
    }
    return BadgeDesign.objects.create(course=course, **{**defaults, **fields})
