"""factory_boy factories for badge designs."""

from __future__ import annotations

from factory.django import DjangoModelFactory

from certificates.models import BadgeDesign


class BadgeDesignFactory(DjangoModelFactory):
    """A complete badge design; give it `course`."""

    class Meta:
        model = BadgeDesign

    title = "Certified AI Data Labeler"
    description = "Labels data for model training to a written guideline."
    criteria = "Passed every module quiz of the course."
    signatory_name = "Grace Hopper"
    signatory_title = "Head of Training"


def make_badge_design(course, **fields) -> BadgeDesign:
    """A complete badge design for `course`; `fields` override the defaults."""
    return BadgeDesignFactory(course=course, **fields)
