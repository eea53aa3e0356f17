"""The "Foundations of AI Data Labeling" course: what trainers do and how to do it well."""

from courses.demo.foundations import (
    m1_role,
    m2_demonstrations,
    m3_preferences,
    m4_stumpers,
    m5_quality,
)
from courses.demo.raw import BadgeSpec, CourseSpec, VersionSpec

COURSE = CourseSpec(
    slug="foundations-of-ai-data-labeling",
    title="Foundations of AI Data Labeling",
    summary="What expert AI trainers do, and how to write demonstrations, rank responses"
    " and write hard questions to the standard labs expect.",
    description=(
        "<p>This course prepares graduate experts for paid work training large language"
        " models in their own field. It explains the two kinds of training work,"
        " supervised fine-tuning and reinforcement learning from human feedback, and"
        " then practises each: writing demonstrations, comparing responses, and writing"
        " questions the model gets wrong but that have one clearly correct answer. It"
        " ends with the habits that make labeling dependable.</p>"
        "<p>Each module ends with a quiz drawn from the kinds of task you will meet on a"
        " real project. Pass every module to earn the Foundations badge, which the"
        " <i>AI Ethics for AI Trainers</i> course requires.</p>"
    ),
    learning_outcomes=[
        "Explain how supervised fine-tuning and RLHF use a trainer's work.",
        "Write a demonstration that is correct, responsive and shows its reasoning.",
        "Choose the better of two model responses by harm, correctness, helpfulness and"
        " style, and justify the choice in a checkable rationale.",
        "Write a prompt that is hard for a model yet has one verifiable answer, and"
        " recognise prompts that have none.",
        "Apply project guidelines consistently, handle edge cases and flag problems.",
    ],
    level="introductory",
    estimated_minutes=150,
    badge=BadgeSpec(
        title="Certified AI Data Labeler: Foundations",
        description=(
            "The holder writes demonstrations that are correct and show their reasoning,"
            " chooses the better of two model responses with a rationale others can check,"
            " writes hard questions that have one verifiable answer, and applies a"
            " project's guidelines consistently."
        ),
        criteria=(
            "Passed the graded quiz that ends each of the five modules of Foundations of"
            " AI Data Labeling, each drawn at random from a pool of real labeling tasks."
        ),
        signatory_name="Amara Okafor",
        signatory_title="Director of Training",
        accent_color="#1D5FA8",
        artwork="foundations-of-ai-data-labeling.png",
    ),
    modules=[
        m1_role.MODULE,
        m2_demonstrations.MODULE,
        m3_preferences.MODULE,
        m4_stumpers.MODULE,
        m5_quality.MODULE,
    ],
    versions=(
        VersionSpec(
            number="2026.1",
            summary="The course as first published: five modules, from what AI trainers do"
            " to quality, consistency and following guidelines.",
        ),
        VersionSpec(
            number="2027.1",
            summary="A new rule for ambiguous items: an item that still fits two labels once"
            " every definition is applied is labelled Unclear, with a note naming both"
            " readings and the words behind each, instead of the trainer picking one."
            " “Quality, consistency and following guidelines” teaches the rule and its quiz"
            " asks about it.",
            changed_modules=(m5_quality.MODULE.slug,),
            renewal_days=60,
        ),
    ),
)
