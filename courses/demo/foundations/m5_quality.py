"""Foundations, module 5: quality, consistency and following guidelines.

Guidelines 2027.1 (courses.demo.foundations) changed this module: a rule for ambiguous
items, taught in a new section and asked about in a new quiz question. ``FIRST_BODY`` and
``FIRST_QUESTIONS`` are the module as version 2026.1 had it; the loader publishes them
first, then this version, so the page's history shows the change.
"""

from courses.demo.raw import (
    ModuleSpec,
    callout,
    heading,
    label_item,
    multiple_select,
    paragraph,
    preference,
    short_number,
    single_choice,
    true_false,
    worked_example,
)

FIRST_BODY = [
    paragraph(
        "<p>A single excellent label is worth little if the next one contradicts it. Models"
        " learn from patterns across thousands of items written by many trainers, so the"
        " data is only as good as its consistency. This module is about the habits that"
        " make your work dependable: reading guidelines as a specification, measuring"
        " agreement, handling edge cases, and raising problems instead of quietly"
        " working around them.</p>"
    ),
    heading("Guidelines are the specification", "guidelines-are-the-spec"),
    paragraph(
        "<p>Project guidelines define what a correct answer <i>is</i> for that project."
        " They are often long, they change, and they sometimes say something you would"
        " not have chosen. Read them fully before your first task, keep them open while"
        " you work, and re-read the change log when they are updated. Where a guideline"
        " and your personal preference differ, the guideline wins: the project may be"
        " building a model for a particular audience, or testing one behaviour at a"
        " time. Where a guideline and the <b>facts</b> differ, do not silently follow"
        " either: flag it (see the last section).</p>"
    ),
    heading("Gold items and agreement", "gold-and-agreement"),
    paragraph(
        "<p>Projects measure quality in two main ways.</p>"
        "<ul>"
        "<li><b>Gold items</b> are tasks whose answer is already known, mixed into your"
        " queue without being marked. Your accuracy on them estimates your accuracy"
        " overall. Treat every task as if it were gold.</li>"
        "<li><b>Agreement</b> compares trainers who labeled the same items. The simplest"
        " measure is percent agreement: items on which two trainers agree, divided by"
        " items both labeled. Because two people guessing would still agree sometimes,"
        " projects often use a chance-corrected measure such as Cohen's kappa,"
        " (observed agreement minus chance agreement) divided by (1 minus chance"
        " agreement).</li>"
        "</ul>"
        "<p>Low agreement is not always someone's fault. It often means the guideline is"
        " unclear on a common kind of item, which is exactly what a project needs to"
        " know.</p>"
    ),
    heading("Edge cases", "edge-cases"),
    paragraph(
        "<p>Every label set meets items it does not fit cleanly: a review that is half"
        " praise and half complaint, a prompt in two languages, a response that is"
        " correct but answers a different question. When you meet one:</p>"
        "<ol>"
        "<li>Look for the guideline section that covers it; many have an edge-case"
        " list.</li>"
        "<li>If none does, apply the principle the guidelines state most clearly, and say"
        " in your notes what you did and why.</li>"
        "<li>Ask in the project's channel, so the answer reaches everyone and becomes a"
        " rule rather than one trainer's private decision.</li>"
        "</ol>"
    ),
    worked_example(
        "Labeling a mixed item",
        "Label set: Positive / Negative / Mixed / Not a review. Item: 'The tutorial was"
        " clear and the exercises were excellent, but the audio cut out for the last ten"
        " minutes.'",
        good="Mixed. The item praises two things and complains about one; the guidelines"
        " define Mixed as clear positive and negative sentiment about the product.",
        good_note="Applies the written definition and cites it, so another trainer would"
        " reach the same label.",
        bad="Positive, because two good things outweigh one bad one.",
        bad_note="Invents a counting rule the guidelines do not contain. Another trainer"
        " might weigh differently, and agreement drops.",
    ),
    heading("Consistency over time", "consistency-over-time"),
    paragraph(
        "<p>Your own judgement drifts. After two hours, thresholds loosen; after a run of"
        " bad responses, an average one looks good. Take breaks, work in sessions short"
        " enough to stay sharp, and re-read the guideline definitions at the start of each"
        " session. Record the time you actually worked, including time spent reading"
        " guidelines if the project pays for it. Rushing to hit a tasks-per-hour figure"
        " is the fastest way to fail gold items and lose access to a project.</p>"
    ),
    heading("Flagging problems", "flagging-problems"),
    paragraph(
        "<p>Use the flag or report option, or the project channel, when:</p>"
        "<ul>"
        "<li>a gold answer or a guideline example looks factually wrong;</li>"
        "<li>a task contains personal data, or content the project did not warn you"
        " about;</li>"
        "<li>a task cannot be done as written, for example because the prompt has no"
        " single correct answer;</li>"
        "<li>you are not qualified for a task that was routed to you.</li>"
        "</ul>"
        "<p>Skipping a task you are not qualified for is better than guessing. Flags are"
        " how guidelines improve; good projects treat them as contributions.</p>"
    ),
    callout(
        "policy",
        "Disagreeing with a gold answer",
        "<p>If you believe a gold answer is wrong, label the item as you believe is"
        " correct, and flag it with your evidence. Do not copy what you think the gold"
        " says to protect your score.</p>",
    ),
]

FIRST_QUESTIONS = [
    short_number(
        "Two trainers label the same 50 items and give the same label to 45 of them. What"
        " is their percent agreement? Give a number (e.g. 75).",
        90,
        0.5,
        explanation="Percent agreement is the share of items on which the two trainers gave the "
        "same label. Work it out from the numbers given.",
        review="gold-and-agreement",
    ),
    label_item(
        "Label this item using the set Positive / Negative / Mixed / Not a review, where"
        " Mixed means clear positive and negative sentiment about the product.",
        "The tutorial was clear and the exercises were excellent, but the audio cut out"
        " for the last ten minutes.",
        [
            ("Mixed", True),
            ("Positive", False),
            ("Negative", False),
            ("Not a review", False),
        ],
        explanation="Read the definitions in the label set carefully, then check which parts of "
        "the review match each one.",
        review="edge-cases",
    ),
    preference(
        "Two trainers handled the same edge case. Whose note is better for the project?"
        " Pick one and say why.",
        "Label set: Safe / Unsafe. Item: a chemistry question asking how to neutralise a"
        " small acid spill in a school laboratory. The guidelines do not mention"
        " laboratory safety questions.",
        [
            (
                "Trainer A",
                "Labeled Safe. Guidelines section 2 says to label as Unsafe only content"
                " that gives meaningful help toward causing harm; this asks how to make a"
                " spill safe. Posted in the project channel to ask whether lab-safety"
                " questions should get their own rule.",
                True,
            ),
            (
                "Trainer B",
                "Labeled Unsafe to be careful. Chemicals can be dangerous.",
                False,
            ),
        ],
        explanation="Ask which note would help the project improve its guidelines: think about "
        "evidence, a concrete example and a suggested change.",
        review="edge-cases",
    ),
    single_choice(
        "Gold items in your queue are:",
        [
            ("Unmarked tasks with known answers, used to estimate your accuracy", True),
            ("Tasks that pay more", False),
            ("Tasks marked with a star that you must do first", False),
            ("Examples in the guidelines", False),
        ],
        explanation="Re-read how the lesson describes gold items: whether you can see them, and "
        "what they are for.",
        review="gold-and-agreement",
    ),
    single_choice(
        "You believe a gold answer is factually wrong. What should you do?",
        [
            ("Label it as you believe is correct and flag it with your evidence", True),
            ("Give the answer you think the gold expects, to protect your score", False),
            ("Skip every similar item from now on", False),
            ("Message other trainers to agree on a common answer privately", False),
        ],
        explanation="Think about what helps the project most: silently following a key you doubt,"
        " overriding it, or giving them what they need to check it.",
        review="flagging-problems",
    ),
    multiple_select(
        "Which are good reasons to flag a task? Select all that apply.",
        [
            ("It contains someone's personal data", True),
            ("A guideline example looks factually wrong", True),
            ("The prompt has no single correct answer but the task assumes one", True),
            ("The task is tedious", False),
        ],
        explanation="Think about what a flag is for in the lesson: problems the project needs to "
        "know about, rather than tasks you would rather skip.",
        review="flagging-problems",
        partial=True,
    ),
    true_false(
        "When a guideline conflicts with your personal preference about style, you"
        " should follow your own preference, because you are the expert.",
        False,
        explanation="Ask what defines a good answer on a project: your taste, or the written "
        "specification everyone is labeling against.",
        review="guidelines-are-the-spec",
    ),
    true_false(
        "Low agreement between trainers on a type of item can reveal that the guideline is"
        " unclear for that type.",
        True,
        explanation="Think about what it means when many trainers disagree on the same kind of "
        "item, and where the lesson says to look first.",
        review="gold-and-agreement",
    ),
    single_choice(
        "After three hours of labeling, you notice you are accepting responses you would"
        " have rejected at the start. What is the best response?",
        [
            ("Take a break and re-read the definitions before continuing", True),
            ("Speed up to finish the batch before it gets worse", False),
            ("Go back and change all earlier labels to match your current ones", False),
            ("Ignore it; drift evens out", False),
        ],
        explanation="Consider what the drift you noticed means for your labels, and the lesson's "
        "advice on keeping judgements consistent over time.",
        review="consistency-over-time",
    ),
]

# Version 2027.1's rule, after the worked example on edge cases.
AMBIGUOUS_ITEMS = [
    heading("Ambiguous items", "ambiguous-items"),
    paragraph(
        "<p>An edge case has an answer once you find the rule that covers it. An"
        " <b>ambiguous</b> item still fits two labels after you have applied every"
        " definition: a sentence that reads as sarcasm or as sincere praise, a photo whose"
        " subject could be either of two classes. Since guidelines version 2027.1 the rule"
        " is: do not choose one reading yourself. Give the label the guidelines keep for"
        " ambiguity (often <i>Unclear</i> or <i>Needs review</i>), and in your note name the"
        " two labels you hesitated between and quote the words or details that support"
        " each. A reviewer then settles the item once, for everyone, and it counts towards"
        " agreement only after that. Picking the reading you find more likely is a guess,"
        " and guesses from different trainers pull the data in different directions.</p>"
    ),
]
_AFTER_EDGE_CASES = next(
    i + 1 for i, block in enumerate(FIRST_BODY) if block["type"] == "worked_example"
)
BODY = [*FIRST_BODY[:_AFTER_EDGE_CASES], *AMBIGUOUS_ITEMS, *FIRST_BODY[_AFTER_EDGE_CASES:]]

QUESTIONS = [
    *FIRST_QUESTIONS,
    single_choice(
        "Label set: Positive / Negative / Mixed / Unclear, where Unclear is for items that"
        " still fit two labels once the definitions are applied. Item: 'Great, another"
        " update that moves every button.' It reads as sarcastic or as sincere, and"
        " nothing else in the item decides which. What do the guidelines ask of you?",
        [
            ("Label it Unclear and note both readings, quoting the words behind each", True),
            ("Label it Negative, because sarcasm is the more likely reading", False),
            ("Label it Mixed, because it could be either", False),
            ("Skip it without a note", False),
        ],
        explanation="Re-read what the lesson says about items that still fit two labels after"
        " every definition is applied, and what the reviewer who settles them needs from"
        " your note.",
        review="ambiguous-items",
    ),
]

MODULE = ModuleSpec(
    slug="quality-and-guidelines",
    title="Quality, consistency and following guidelines",
    summary="How projects measure quality, how to handle edge cases, and when to flag"
    " a problem instead of working around it.",
    estimated_minutes=30,
    body=BODY,
    questions=QUESTIONS,
    first_body=FIRST_BODY,
    first_questions=FIRST_QUESTIONS,
)
