"""Ethics, module 4: honesty and integrity, including AI use, hours and pay."""

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

BODY = [
    paragraph(
        "<p>Training work runs on trust in both directions. The lab trusts that your"
        " answers are your own expert judgement and that your hours are real. You trust"
        " that the programme will pay for the work you do. This module is about keeping"
        " your side of that bargain, and about standing up for the other side.</p>"
    ),
    heading("Why the work must be yours", "why-human-work"),
    paragraph(
        "<p>You are paid for <b>human</b> judgement. If you ask a chatbot to write your"
        " demonstration, rank the responses or draft your rationale, the lab receives the"
        " opinion of a model, labeled as the opinion of an expert. That is"
        " misrepresentation, and it usually breaks your contract. It also damages the"
        " model: research has shown that models trained repeatedly on model-generated"
        " data lose the rarer, harder parts of what they knew, a problem often called"
        " <i>model collapse</i>. The errors you were hired to catch are exactly the ones a"
        " model-written answer will contain.</p>"
        "<p>Programmes check. Model-written text has patterns reviewers learn to see, and"
        " gold items reveal answers that track a model's known mistakes. The usual result"
        " is removal from the project, and some contracts allow payment for affected"
        " tasks to be withheld.</p>"
    ),
    heading("What counts as AI help", "what-counts-as-ai-help"),
    paragraph(
        "<p>Follow the project's tool policy; when it is silent, ask. As a rule of"
        " thumb:</p>"
        "<ul>"
        "<li><b>Usually fine:</b> a spell-checker, a calculator, reference books and"
        " databases you are allowed to use, running your own code to check a"
        " result.</li>"
        "<li><b>Not fine unless the project says so:</b> any generative AI tool used to"
        " produce, rewrite, rank or check the content of a task, including translation"
        " tools built on language models.</li>"
        "</ul>"
    ),
    worked_example(
        "A trainer's note on method",
        "The task asked for an SFT demonstration of a definite integral, with the working shown.",
        good="'Derived by hand; checked the final value numerically with a short Python"
        " script (allowed under section 4 of the guidelines).'",
        good_note="Human work, checked with a permitted tool, and the method stated openly.",
        bad="'Asked a chatbot for the working, then fixed two steps that were wrong.'",
        bad_note="The demonstration is model output with edits. Even honest about it,"
        " it is not the work the task pays for.",
    ),
    heading("Honest hours, fair pay", "honest-hours"),
    paragraph(
        "<p>Most fellows are independent contractors, paid by the hour or by the task."
        " Record your time as you work, not from memory at the end of the week: start,"
        " stop, project, and the tasks you submitted. Log only time you actually spent on"
        " the work, including reading guidelines if the project pays for that.</p>"
        "<p>Your record protects you too. Platforms have been reported to leave hours"
        " unpaid. If a payment is short, compare it with your log, raise it in writing"
        " with the dates and task ids, and keep copies of your submissions and of every"
        " reply. Rights for contractors differ by country; if a dispute is not settled,"
        " a local workers' advice service can tell you what applies to you.</p>"
    ),
    heading("Honest uncertainty", "honest-uncertainty"),
    paragraph(
        "<p>Integrity also shows inside the work. When you do not know, say so, or skip a"
        " task outside your competence. In demonstrations, prefer a response that states"
        " what is uncertain over one that sounds sure. Never invent a source, a figure or"
        " a quotation. In comparisons, reward responses that admit limits over ones that"
        " bluff.</p>"
    ),
    heading("Gaming the metrics", "gaming-metrics"),
    paragraph(
        "<p>Projects track speed, agreement and gold accuracy. Each can be gamed: rushing"
        " through easy tasks, copying what you guess the majority will say, sharing"
        " answers with other trainers. All of them make the data worse while making you"
        " look better, and all are usually against the rules. Good metrics follow from"
        " careful work; the reverse does not hold.</p>"
    ),
    callout(
        "policy",
        "If you are unsure whether a tool is allowed",
        "<p>Ask in writing before you use it, and keep the answer with your records.</p>",
    ),
]

QUESTIONS = [
    short_number(
        "You logged 12.5 hours on a project paid at $40 an hour. The platform paid you for"
        " 10 hours. How many dollars are you owed? Give a number.",
        100,
        0.5,
        explanation="Subtract the hours paid from the hours logged and multiply by the hourly "
        "rate.",
        review="honest-hours",
    ),
    label_item(
        "Label this trainer's method note against a project whose tool policy allows"
        " calculators and code but no generative AI.",
        "I asked a chatbot to draft the rationale for my ranking, then edited it to sound like me.",
        [
            ("Not allowed: AI produced part of the task", True),
            ("Allowed: ordinary tool use", False),
            ("Allowed because it was edited", False),
        ],
        explanation="Compare the method the trainer describes with the project's tool policy: "
        "which tools does it allow, and which did the trainer use?",
        review="what-counts-as-ai-help",
    ),
    preference(
        "Which response is better? Pick one and say why.",
        "Give me a peer-reviewed source showing that listening to Mozart permanently raises"
        " children's IQ.",
        [
            (
                "Response A",
                "I can't, because the research doesn't show that. The 'Mozart effect' comes"
                " from a 1993 study in Nature (Rauscher, Shaw and Ky) that found a brief"
                " improvement, lasting minutes, on a spatial reasoning task in college"
                " students, not children and not IQ. Later meta-analyses found the effect"
                " small or absent.",
                True,
            ),
            (
                "Response B",
                "Hoffman and Lee (2004), Journal of Child Cognition, found that children who"
                " listened to Mozart daily gained 9 IQ points permanently.",
                False,
            ),
        ],
        explanation="Ask which response is honest about what it does not know, and which would "
        "mislead a user who trusted it.",
        review="honest-uncertainty",
    ),
    single_choice(
        "Why does using AI to do training tasks harm the model, not just break the rules?",
        [
            ("Training on model-generated data can make models lose rarer knowledge", True),
            ("AI-written text is always longer", False),
            ("It makes the task take longer", False),
            ("It doesn't; only the rules are broken", False),
        ],
        explanation="Think about what happens to a model trained, generation after generation, on"
        " text models wrote.",
        review="why-human-work",
    ),
    multiple_select(
        "Which are usually fine without special permission? Select all that apply.",
        [
            ("A spell-checker", True),
            ("A calculator", True),
            ("Running your own code to check a result", True),
            ("A chatbot to rank two responses", False),
            ("An AI translation tool to rewrite your answer", False),
        ],
        explanation="Ask which of these tools produce any part of the work for you, and which "
        "only check or correct what you did.",
        review="what-counts-as-ai-help",
        partial=True,
    ),
    true_false(
        "It is acceptable to round your weekly hours up a little to cover time you may"
        " have forgotten to log.",
        False,
        explanation="Think about what a log is for, and whether an estimate of forgotten time is "
        "still a record of work done.",
        review="honest-hours",
    ),
    true_false(
        "Sharing answers with other trainers to raise everyone's agreement score makes the"
        " data worse.",
        True,
        explanation="Ask what an agreement score measures, and what it stops measuring when "
        "trainers compare answers first.",
        review="gaming-metrics",
    ),
    single_choice(
        "Your payment is $300 short of your log. What is the best first step?",
        [
            ("Raise it in writing with dates, task ids and your log, and keep copies", True),
            ("Stop logging hours until it is fixed", False),
            ("Post the task contents publicly to get attention", False),
            ("Log extra hours next week to make up the difference", False),
        ],
        explanation="Think about what makes a payment claim easy to check and hard to dismiss, "
        "and what you keep in case it is.",
        review="honest-hours",
    ),
]

MODULE = ModuleSpec(
    slug="honesty-and-integrity",
    title="Honesty and integrity",
    summary="Why the work must be your own, what AI help is off limits, and how honest"
    " records protect your pay.",
    estimated_minutes=30,
    body=BODY,
    questions=QUESTIONS,
)
