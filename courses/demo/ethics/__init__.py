"""The "AI Ethics for AI Trainers" course: bias, privacy, IP, integrity and wellbeing."""

from courses.demo.ethics import (
    m1_bias,
    m2_privacy,
    m3_ip_consent,
    m4_integrity,
    m5_wellbeing,
)
from courses.demo.foundations import COURSE as FOUNDATIONS
from courses.demo.raw import BadgeSpec, CourseSpec

COURSE = CourseSpec(
    slug="ai-ethics-for-ai-trainers",
    title="AI Ethics for AI Trainers",
    summary="The ethical side of training AI: fair labels, other people's data and work,"
    " honest hours and answers, and looking after yourself around harmful content.",
    description=(
        "<p>Training data shapes how a model treats millions of people, and the work of"
        " producing it raises questions that a trainer meets every week. This course"
        " takes them in turn: how bias gets into labels, why real people's data and other"
        " people's work never belong in tasks, why the work must be your own and your"
        " hours honest, and how to do safety work without lasting harm.</p>"
        "<p>It speaks to trainers' own concerns as well as the labs': fair pay and"
        " accurate hours records, the right to know what content a project involves, and"
        " what to do when something goes wrong. Open it after passing <i>Foundations of"
        " AI Data Labeling</i>.</p>"
    ),
    learning_outcomes=[
        "Recognise how labelers, sampling, framing and personal defaults bias labels, and"
        " check your own work for it.",
        "Keep personal data out of tasks, redact it properly and report an exposure.",
        "Decide whether material may be used in a task, given copyright, confidentiality"
        " and consent.",
        "Explain why training work must be your own, and keep records that protect your pay.",
        "Limit your exposure to harmful content, notice warning signs and find support.",
    ],
    level="intermediate",
    estimated_minutes=150,
    prerequisites=(FOUNDATIONS.slug,),
    badge=BadgeSpec(
        title="Ethical AI Trainer",
        description=(
            "The holder recognises and checks for bias in labels, keeps personal data and"
            " other people's work out of training tasks, keeps honest records of their own"
            " work, and knows how to limit exposure to harmful content and find support."
        ),
        criteria=(
            "Completed Foundations of AI Data Labeling, then passed the graded quiz that"
            " ends each of the five modules of AI Ethics for AI Trainers. Valid for two"
            " years, as practice and rules change."
        ),
        signatory_name="Amara Okafor",
        signatory_title="Director of Training",
        accent_color="#2F6B4F",
        artwork="ai-ethics-for-ai-trainers.png",
        validity_days=730,
    ),
    modules=[
        m1_bias.MODULE,
        m2_privacy.MODULE,
        m3_ip_consent.MODULE,
        m4_integrity.MODULE,
        m5_wellbeing.MODULE,
    ],
)
