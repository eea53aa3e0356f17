"""Foundations, module 4: writing prompts that stump the model but have one correct answer."""

from courses.demo.raw import (
    ModuleSpec,
    callout,
    heading,
    label_item,
    multiple_select,
    paragraph,
    preference,
    short_number,
    short_text,
    single_choice,
    true_false,
    worked_example,
)

BODY = [
    paragraph(
        "<p>Many projects ask you to write questions the model gets wrong. These"
        " <i>stumpers</i> find the edges of what the model can do, and they become"
        " training and evaluation data. The rule that governs all of them: <b>hard for the"
        " model, but with one clearly correct answer</b> that an expert can verify.</p>"
    ),
    heading("Why labs want stumpers", "why-stumpers"),
    paragraph(
        "<p>A question the model already answers correctly teaches it little. A question it"
        " fails, paired with a verified answer and the reasoning to reach it, shows exactly"
        " where it needs to improve, and lets the lab measure whether a new version has"
        " improved. That is why projects reward difficult derivations, multi-step"
        " problems and questions that need real expertise to set up, and why they are"
        " strict about the answer being right.</p>"
    ),
    heading("One clearly correct answer", "one-correct-answer"),
    paragraph(
        "<p>Before anything else, test your prompt against this question: <i>would two"
        " competent experts, working independently, reach the same answer?</i> If not,"
        " the prompt is not ready. The usual reasons it fails:</p>"
        "<ul>"
        "<li><b>Subjective.</b> 'What is the most elegant proof of ...?', 'Which is the"
        " best recording of ...?' Taste has no gold answer.</li>"
        "<li><b>Underspecified.</b> Missing conditions change the answer: temperature and"
        " pressure for a gas, jurisdiction and date for a legal question, tuning system for"
        " an interval.</li>"
        "<li><b>Time-sensitive.</b> 'Who currently holds ...?' or 'What is the latest"
        " ...?' The answer changes, and the model's knowledge has a cut-off date.</li>"
        "<li><b>Contested.</b> Open research questions and live scholarly disputes have"
        " positions, not answers.</li>"
        "</ul>"
        "<p>Fix the prompt by adding the missing conditions, fixing the date, or asking for"
        " something that can be derived rather than judged.</p>"
    ),
    worked_example(
        "Fixing an underspecified prompt",
        "Draft: 'What volume does one mole of an ideal gas occupy?'",
        good="'What volume, in litres, does one mole of an ideal gas occupy at 273.15 K and"
        " 100 kPa? Give three significant figures.' (Answer: 22.7 L.)",
        good_note="Temperature, pressure, unit and precision are fixed, so there is exactly"
        " one right answer.",
        bad="'What volume does one mole of an ideal gas occupy?' (Intended answer: 22.4 L.)",
        bad_note="22.4 L holds only at 0 degrees C and 1 atm; under the current IUPAC"
        " standard pressure of 100 kPa it is 22.7 L, and at room temperature about 24 L."
        " A model that answers differently may not be wrong.",
    ),
    heading("Hard, not tricky", "hard-not-tricky"),
    paragraph(
        "<p>Difficulty should come from the subject, not from a trap in the wording. A"
        " question that fails because it is worded to mislead, depends on a typo, or hides"
        " a key condition in an odd place tells the lab about reading comprehension, not"
        " about chemistry or law. Good sources of real difficulty:</p>"
        "<ul>"
        "<li>several steps that each depend on the last;</li>"
        "<li>a standard method applied where one of its usual assumptions does not"
        " hold;</li>"
        "<li>combining two areas of your field that textbooks treat separately;</li>"
        "<li>a result that can be derived from first principles but is rarely written"
        " down.</li>"
        "</ul>"
        "<p>Obscure trivia (a page number, the middle name of a minor figure) is not a good"
        " stumper either: it tests memory of a fact, not expertise.</p>"
    ),
    heading("Verifying the answer", "verifying-the-answer"),
    paragraph(
        "<p>Solve your own problem completely, on paper, before you submit it. Check the"
        " result a second way: a limiting case, an order-of-magnitude estimate, units, or"
        " a different method. Then look at how the model failed. If its answer is right"
        " under a reasonable reading you did not intend, your prompt is ambiguous: fix the"
        " prompt, not the answer key. If it failed only because of an arithmetic slip,"
        " note that; the project may want conceptual failures rather than slips.</p>"
    ),
    callout(
        "policy",
        "Originality",
        "<p>Write your own problems. Questions copied or lightly edited from textbooks,"
        " past exams or websites may be protected by copyright, and are likely to be in"
        " the model's training data already, so a correct answer may be memory rather"
        " than reasoning.</p>",
    ),
]

QUESTIONS = [
    label_item(
        "Label this draft stumper.",
        "Draft prompt: 'Which recording of Bach's Goldberg Variations is the definitive one?'",
        [
            ("No single correct answer: subjective", True),
            ("Good stumper: one clearly correct answer", False),
            ("Underspecified: missing conditions", False),
            ("Time-sensitive", False),
        ],
        explanation="Ask whether two careful experts would agree on one answer to this prompt.",
        review="one-correct-answer",
    ),
    label_item(
        "Label this draft stumper.",
        "Draft prompt: 'How long is the limitation period for a breach of contract claim?'",
        [
            ("Underspecified: missing conditions", True),
            ("Good stumper: one clearly correct answer", False),
            ("No single correct answer: subjective", False),
            ("Obscure trivia", False),
        ],
        explanation="Ask what a solver would need to know that the prompt does not say.",
        review="one-correct-answer",
    ),
    preference(
        "The prompt below was written as a stumper. Which model response is correct?"
        " Pick it and explain the error in the other.",
        "A radioactive sample has a half-life of 5.0 days. What fraction of the original"
        " nuclei remains after 20 days?",
        [
            (
                "Response A",
                "20 days is 4 half-lives, so the fraction remaining is (1/2)^4 = 1/16, or 0.0625.",
                True,
            ),
            (
                "Response B",
                "The sample loses half its nuclei every 5 days, so it loses 10% per day."
                " After 20 days it has lost 200%, which means none remains.",
                False,
            ),
        ],
        explanation="Solve the problem yourself before reading the responses, then look for the "
        "step where one of them goes wrong.",
        review="verifying-the-answer",
    ),
    short_number(
        "A sample has a half-life of 5.0 days. What fraction of it remains after 20 days?"
        " Give a decimal number.",
        0.0625,
        0.001,
        explanation="Count how many half-lives fit into the time given, and what fraction remains"
        " after each one.",
        review="verifying-the-answer",
    ),
    single_choice(
        "The model answers your stumper with a result that is correct under a reasonable"
        " reading you had not intended. What should you do?",
        [
            ("Rewrite the prompt so only your intended reading is possible", True),
            ("Submit it: the model did not give your answer", False),
            ("Change your answer key to match the model", False),
            ("Add a second accepted answer and submit", False),
        ],
        explanation="Think about what the model's answer reveals about your prompt, and what a "
        "stumper needs before its answer can be checked.",
        review="verifying-the-answer",
    ),
    multiple_select(
        "Which are good sources of difficulty for a stumper? Select all that apply.",
        [
            ("Several dependent steps", True),
            ("A standard method where one of its usual assumptions fails", True),
            ("Combining two sub-areas of the field", True),
            ("A misleading typo in the question", False),
            ("The middle name of a minor historical figure", False),
        ],
        explanation="Ask where each source of difficulty comes from: the subject itself, or the "
        "way the question is worded.",
        review="hard-not-tricky",
        partial=True,
    ),
    true_false(
        "If the model fails a stumper only because the question contains a misleading"
        " typo, that is a useful result for the lab.",
        False,
        explanation="Think about what a lab learns from a failure, and whether this kind of "
        "failure says anything about the model's expertise.",
        review="hard-not-tricky",
    ),
    true_false(
        "Lightly rewording a problem from a well-known textbook is a good way to write a"
        " stumper quickly.",
        False,
        explanation="Think about what the model has probably already seen, and what else could be"
        " wrong with reusing published material.",
        review="verifying-the-answer",
    ),
    short_text(
        "A draft prompt asks for 'the volume of one mole of ideal gas'. Besides"
        " temperature, name one condition that must be fixed for a single correct"
        " answer.",
        ["pressure", "the pressure", "gas pressure"],
        explanation="Recall the ideal gas law and which quantities, besides temperature, fix the "
        "volume of a mole of gas.",
        review="one-correct-answer",
    ),
]

MODULE = ModuleSpec(
    slug="stump-the-model",
    title="Writing prompts that stump the model",
    summary="Write hard questions with one clearly correct, verified answer, and spot"
    " prompts that have none.",
    estimated_minutes=35,
    body=BODY,
    questions=QUESTIONS,
)
