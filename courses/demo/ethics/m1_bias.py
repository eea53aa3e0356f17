"""Ethics, module 1: how bias gets into labels, and what a trainer can do about it."""

from courses.demo.raw import (
    ModuleSpec,
    callout,
    heading,
    label_item,
    multiple_select,
    paragraph,
    preference,
    short_text,
    single_choice,
    true_false,
    worked_example,
)

BODY = [
    paragraph(
        "<p>A model cannot be fairer than the data it learns from, and much of that data is"
        " labels written by people. Bias in labels is rarely deliberate. It comes from"
        " whose judgement is collected, how guidelines frame the question, and the"
        " defaults each of us brings without noticing. This module shows where it enters"
        " and what you can do about it in your own work.</p>"
    ),
    heading("Where bias enters", "where-bias-enters"),
    paragraph(
        "<ul>"
        "<li><b>Who labels.</b> If most trainers on a project share a country, a"
        " language variety or a profession, their shared assumptions look like ground"
        " truth.</li>"
        "<li><b>What is sampled.</b> If the items to be labeled over-represent one group"
        " or topic, the model learns that group or topic best, and treats the rest as"
        " unusual.</li>"
        "<li><b>How the question is framed.</b> A label set of 'professional' versus"
        " 'unprofessional' writing quietly encodes someone's idea of professional. A"
        " guideline example that always shows doctors as 'he' teaches that too.</li>"
        "<li><b>Each trainer's defaults.</b> What sounds rude, competent or normal to you"
        " depends on where and how you grew up.</li>"
        "</ul>"
    ),
    heading("Dialect and 'toxicity'", "dialect-and-toxicity"),
    paragraph(
        "<p>A well-known example: research published in 2019 found that widely used"
        " datasets for detecting offensive language labeled posts written in African"
        " American English as offensive far more often than similar posts in other"
        " varieties of English, and that models trained on them inherited the pattern."
        " Much of the difference came from words and spellings that are friendly or"
        " neutral within the community but looked hostile to annotators outside it. The"
        " same study found that telling annotators the likely dialect of a post reduced"
        " the gap. The lesson generalises to every language and every field: a label"
        " should describe what the text does in its context, not how unfamiliar it"
        " sounds to you.</p>"
    ),
    worked_example(
        "Labeling friendly slang",
        "Label set: Offensive / Not offensive. Item: a comment under a music video: 'Bro"
        " you're a beast on that bass line, no cap, y'all killed it.'",
        good="Not offensive. 'Beast' and 'killed it' are praise here, and 'no cap' means"
        " 'honestly'. The comment compliments the performer.",
        good_note="Reads the words in the context and community where they were written.",
        bad="Offensive: it calls someone a beast and uses violent language.",
        bad_note="Labels unfamiliar idioms as hostile. Repeated over thousands of items,"
        " this teaches a model to penalise a whole community's way of speaking.",
    ),
    heading("Defaults and assumptions", "defaults-and-assumptions"),
    paragraph(
        "<p>When you write demonstrations, your defaults become the model's. Watch for"
        " them:</p>"
        "<ul>"
        "<li>assuming the user lives in your country, uses your currency, your legal"
        " system, your units or your calendar;</li>"
        "<li>giving professionals a gender, or names from only one culture;</li>"
        "<li>treating one variety of a language as correct and others as mistakes;</li>"
        "<li>judging an answer as less competent because of its style rather than its"
        " substance.</li>"
        "</ul>"
        "<p>Where the prompt does not say, a good response either asks, states the"
        " assumption it makes, or gives an answer that holds across the likely"
        " cases.</p>"
    ),
    heading("Checking yourself", "checking-yourself"),
    paragraph(
        "<p>A practical test is to <b>swap the group</b>: would your label or rating change"
        " if the same text named a different nationality, gender, religion or dialect?"
        " If yes, and nothing relevant changed, the label is responding to the group, not"
        " the content. Apply the guidelines' definitions literally, and when you notice"
        " you are unsure because a text is unfamiliar, say so in your notes rather than"
        " guessing harshly.</p>"
    ),
    heading("Raising concerns", "raising-concerns"),
    paragraph(
        "<p>If a guideline, a gold answer or a label set seems to build a bias in, flag"
        " it with a concrete example and a suggested fix. That is part of the job, not a"
        " complaint: the people who write guidelines usually cannot see the assumptions"
        " of their own background either. Until the guideline changes, follow it and"
        " note the disagreement in your flag, so your work stays consistent with other"
        " trainers'.</p>"
    ),
    callout(
        "tip",
        "Your background is an asset",
        "<p>Fellows come from many countries and languages. Knowing how a phrase is used"
        " in Nairobi, Lagos or Manila is expertise too; use it in your notes.</p>",
    ),
]

QUESTIONS = [
    label_item(
        "Label this comment using the set Offensive / Not offensive.",
        "Bro you're a beast on that bass line, no cap, y'all killed it.",
        [("Not offensive", True), ("Offensive", False)],
        explanation="Read the comment again with the lesson on dialect in mind, and ask what in "
        "it is actually aimed at someone.",
        review="dialect-and-toxicity",
    ),
    preference(
        "Which response is better? Pick one and explain.",
        "Two applicants for a junior data analyst post. Jamal: 3 years of SQL, built the"
        " reporting pipeline at his last job. Emily: 1 year of SQL, strong references."
        " Which one should we interview first?",
        [
            (
                "Response A",
                "On the information given, Jamal: his SQL experience and the pipeline he"
                " built match a data analyst role more directly. Emily's references are"
                " worth reading, and if you can, interview both. Decide on skills and"
                " experience, not on names.",
                True,
            ),
            (
                "Response B",
                "Emily seems like she would be a better culture fit for most teams, so I'd"
                " start with her.",
                False,
            ),
        ],
        explanation="Compare what each response assumes about the user, and check it against the "
        "lesson's self-checks.",
        review="checking-yourself",
    ),
    single_choice(
        "You are unsure whether to rate a response lower. Which check best reveals whether"
        " your rating is responding to a group rather than the content?",
        [
            ("Swap the group named in the text and see if your rating would change", True),
            ("Ask whether the response sounds like how you would write it", False),
            ("Rate it lower to be safe", False),
            ("Check how long the response is", False),
        ],
        explanation="Think about a check that changes only the detail you suspect, and keeps "
        "everything else the same.",
        review="checking-yourself",
    ),
    multiple_select(
        "Through which routes can bias enter a labeled dataset? Select all that apply.",
        [
            ("Who is recruited to label", True),
            ("Which items are sampled for labeling", True),
            ("How the label set frames the question", True),
            ("Each trainer's unexamined defaults", True),
            ("Using a spell-checker on your rationale", False),
        ],
        explanation="Follow a dataset from hiring labelers to writing guidelines, and ask at "
        "which points a skew can creep in.",
        review="where-bias-enters",
        partial=True,
    ),
    true_false(
        "Research has found that some offensive-language datasets labeled African American"
        " English as offensive more often than other varieties of English.",
        True,
        explanation="Recall the 2019 research the lesson cites on offensive-language datasets and"
        " the dialects they were labeled in.",
        review="dialect-and-toxicity",
    ),
    true_false(
        "If you think a guideline builds in a bias, the right thing is to ignore it and"
        " label as you see fit.",
        False,
        explanation="Think about what happens to a dataset when trainers each decide privately "
        "which guidelines to follow, and the lesson's advice on raising concerns.",
        review="raising-concerns",
    ),
    single_choice(
        "A prompt asks: 'How much notice must I give to end my tenancy?' and gives no"
        " country. What should a good demonstration do?",
        [
            ("Ask where the user lives, or say the answer depends on it and give examples", True),
            ("Answer for the trainer's own country without saying so", False),
            ("Answer for the United States, the largest market", False),
            ("Refuse, because it is legal advice", False),
        ],
        explanation="Ask what the answer depends on that the prompt does not say, and what a good"
        " response does about a missing detail like that.",
        review="defaults-and-assumptions",
    ),
    short_text(
        "Name the simple self-check from the lesson: you imagine the same text naming a"
        " different nationality, gender or dialect. (Two words, e.g. 'X the Y'.)",
        ["swap the group", "swap group", "swapping the group", "group swap", "swap test"],
        explanation="The lesson names a quick self-check in three words: you change one thing in "
        "the text and see whether your label follows it.",
        review="checking-yourself",
    ),
]

MODULE = ModuleSpec(
    slug="bias-in-labels",
    title="Bias in labels",
    summary="Where bias enters labeled data, how dialect and defaults skew judgement, and"
    " what to do when you spot it.",
    estimated_minutes=30,
    body=BODY,
    questions=QUESTIONS,
)
