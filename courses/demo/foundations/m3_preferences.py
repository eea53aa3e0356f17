"""Foundations, module 3: comparing model responses for RLHF preference data."""

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
        "<p>In a preference task you see a prompt and two or more responses the model wrote."
        " You choose the better one, sometimes say how much better, and explain why. It"
        " looks simple. It is the task where careless work does the most quiet damage,"
        " because thousands of small judgements add up to what the model learns to"
        " value.</p>"
    ),
    heading("How preferences train a model", "how-preferences-train"),
    paragraph(
        "<p>Your comparisons are pooled with those of other trainers. In classic RLHF they"
        " train a <b>reward model</b>: a separate network that reads a prompt and a"
        " response and predicts how much people would prefer it. The language model is"
        " then tuned to produce responses the reward model scores highly. Newer methods,"
        " such as direct preference optimisation, skip the separate reward model and tune"
        " the language model on the comparisons directly. Either way, the model ends up"
        " chasing whatever your choices rewarded. If trainers consistently prefer longer"
        " answers, the model learns to be long. If they prefer confident answers, it"
        " learns to sound confident, right or wrong.</p>"
    ),
    heading("Ranking criteria, in order", "ranking-criteria"),
    paragraph(
        "<p>Always follow the order your project's guidelines give. Most use a variant of"
        " this one, and it is a sound default:</p>"
        "<ol>"
        "<li><b>Harm.</b> Does either response help someone cause serious harm, or give"
        " dangerous advice? A harmful response loses, however well written.</li>"
        "<li><b>Honesty and correctness.</b> Are the facts, numbers and reasoning right?"
        " Does it admit uncertainty where there is some? A correct answer beats a wrong"
        " one, even if the wrong one is better presented.</li>"
        "<li><b>Helpfulness.</b> Does it answer the question actually asked and follow the"
        " user's instructions (audience, format, length)?</li>"
        "<li><b>Clarity and style.</b> Is it well organised and easy to read? This breaks"
        " ties; it does not overturn the criteria above it.</li>"
        "</ol>"
    ),
    heading("Traps: length, tone and formatting", "traps-length-and-tone"),
    paragraph(
        "<p>Reward models are known to pick up a preference for longer responses, partly"
        " because human raters drift that way. Watch for it in yourself. A longer answer"
        " is better only if the extra words carry something the user needs. The same goes"
        " for headings and bullet points, which can make a thin answer look thorough, and"
        " for a confident tone, which can make a wrong answer look authoritative. Read"
        " for substance first: check the claims, then look at the presentation.</p>"
    ),
    worked_example(
        "Length is not quality",
        "Prompt: 'What is the time signature of Dave Brubeck's Take Five?' Response A: '5/4.'"
        " Response B: three paragraphs on the history of cool jazz, ending with 'it is in"
        " an unusual meter, 7/8'.",
        good="A is better. The piece is in 5/4, as its title suggests, and A answers the"
        " question exactly. B is longer and more elaborate but states the wrong meter.",
        good_note="Correctness first, then fit to a short factual question.",
        bad="B is better because it gives more context and shows more knowledge.",
        bad_note="Rewards length and an authoritative tone over the one fact the user asked"
        " for, and misses that the fact is wrong.",
    ),
    heading("Writing a rationale", "writing-a-rationale"),
    paragraph(
        "<p>Most tasks ask you to justify your choice. A good rationale names the decisive"
        " difference, points to where it is in the responses, and is checkable by a"
        " reviewer who is not in your field. 'B is better' is not a rationale. 'B gives"
        " the wrong meter (7/8); Take Five is in 5/4, as the title says' is. Keep your"
        " personal taste out of it unless the guidelines ask for it, and do not mention"
        " which response you think came from which model.</p>"
    ),
    heading("Ties and 'both bad'", "ties-and-both-bad"),
    paragraph(
        "<p>Sometimes both responses are equally good, or both wrong. Use the tie or"
        " 'both unacceptable' option when the task offers one; do not pick at random to"
        " make the task go faster. When you must choose between two flawed responses,"
        " choose the one whose flaw would do less harm to the user, and say in the"
        " rationale that both are flawed and how. Those notes are often read by the"
        " people who decide what the model is trained on next.</p>"
    ),
    callout(
        "tip",
        "Strength of preference",
        "<p>Some tasks ask how much better one response is, on a scale. Reserve the"
        " strongest rating for differences in correctness or safety. A difference in"
        " style alone is a slight preference.</p>",
    ),
]

QUESTIONS = [
    preference(
        "Which response is better? Pick one and explain the decisive difference.",
        "What is the time signature of Dave Brubeck's 'Take Five'?",
        [
            ("Response A", "Take Five is in 5/4 time.", True),
            (
                "Response B",
                "Take Five, recorded by the Dave Brubeck Quartet for the 1959 album Time"
                " Out and composed by saxophonist Paul Desmond, is a landmark of cool jazz."
                " Its distinctive feel comes from its unusual 7/8 meter, which gives the"
                " piece its limping, hypnotic groove.",
                False,
            ),
        ],
        explanation="Set length and tone aside, and check what each response actually claims. "
        "What decides a comparison when one is longer or friendlier?",
        review="traps-length-and-tone",
    ),
    preference(
        "Which response is better? Pick one and explain.",
        "My 2-year-old swallowed a button battery about ten minutes ago but seems fine."
        " Should I just watch her tonight?",
        [
            (
                "Response A",
                "No. Go to an emergency department now, even if she seems well: a button"
                " battery lodged in the oesophagus can cause serious burns within hours."
                " If your country has a poison information line, call it on the way."
                " Don't make her vomit.",
                True,
            ),
            (
                "Response B",
                "Most swallowed objects pass on their own within a few days. Watch her for"
                " vomiting, drooling or refusing food, check her nappies for the battery,"
                " and see a doctor if symptoms appear.",
                False,
            ),
        ],
        explanation="Check each response against the ranking criteria in the lesson, in their "
        "order of importance.",
        review="ranking-criteria",
    ),
    single_choice(
        "Response A is correct but plainly formatted. Response B has headings and bullet"
        " points and one factual error that changes the answer. Which should you prefer?",
        [
            ("A: correctness outranks presentation", True),
            ("B: formatting makes it more helpful", False),
            ("A tie: each has one weakness", False),
            ("B, with a note about the error", False),
        ],
        explanation="Ask which of the ranking criteria comes first in the lesson, and whether "
        "formatting can make up for a failure on it.",
        review="ranking-criteria",
    ),
    multiple_select(
        "Which of these are known ways preference data can mislead a model? Select all that apply.",
        [
            ("Raters favouring longer answers", True),
            ("Raters favouring a confident tone over accuracy", True),
            ("Rich formatting making thin answers look thorough", True),
            ("Raters checking claims before judging presentation", False),
        ],
        explanation="Think about the habits of human raters that the lesson warns about, and what"
        " a model learns when it is rewarded for them.",
        review="traps-length-and-tone",
        partial=True,
    ),
    true_false(
        "With direct preference optimisation, trainers' comparisons are used to tune the"
        " language model without training a separate reward model.",
        True,
        explanation="The lesson contrasts two ways preferences train a model. Which one needs a "
        "separate network, and which does not?",
        review="how-preferences-train",
    ),
    true_false(
        "When two responses are equally good, picking one at random is fine if the task"
        " has no tie option, and acceptable even if it has one, to save time.",
        False,
        explanation="Think about what a random choice puts into the data, and what the lesson "
        "says to do when two responses are equally good.",
        review="ties-and-both-bad",
    ),
    label_item(
        "Label this rationale, written by a trainer for a preference task.",
        "Rationale: 'B is better. It reads more smoothly and I liked it more.'",
        [
            ("Not checkable: no decisive difference named", True),
            ("Good rationale", False),
            ("Reveals which model wrote which response", False),
            ("Unsafe", False),
        ],
        explanation="Ask whether another trainer could check this rationale: does it name a "
        "concrete difference between the responses?",
        review="writing-a-rationale",
    ),
    short_text(
        "In classic RLHF, what is the separate network called that learns to predict which"
        " responses people prefer? (two words)",
        ["reward model", "a reward model", "the reward model", "RM"],
        explanation="The lesson's section on how preferences train a model names the network that"
        " learns to score responses. Recall its two-word name.",
        review="how-preferences-train",
    ),
    single_choice(
        "Both responses are wrong, but Response A's error is a minor rounding slip and"
        " Response B recommends an unsafe dose. There is no 'both bad' option. What do"
        " you do?",
        [
            ("Choose A and note in the rationale that both are flawed, and how", True),
            ("Choose B because it is more detailed", False),
            ("Skip the rationale because neither is good", False),
            ("Choose at random", False),
        ],
        explanation="When both responses are flawed, ask which flaw is more harmful, and what the"
        " rationale should record for the project.",
        review="ties-and-both-bad",
    ),
]

MODULE = ModuleSpec(
    slug="preference-ranking",
    title="Comparing responses: RLHF preference ranking",
    summary="Choose the better response for the right reasons, and write a rationale a"
    " reviewer can check.",
    estimated_minutes=30,
    body=BODY,
    questions=QUESTIONS,
)
