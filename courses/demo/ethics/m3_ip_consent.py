"""Ethics, module 3: intellectual property, confidentiality and consent."""

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
        "<p>Expert training work sits where several people's rights meet: authors whose"
        " books and papers you know well, the colleagues and students whose work you"
        " have seen, the lab that pays you, and you. This module gives you the questions"
        " to ask. It is not legal advice: the law differs by country, and your contract"
        " decides much of it, so read it and ask when in doubt.</p>"
    ),
    heading("Whose words are these?", "whose-words"),
    paragraph(
        "<p>Textbooks, exam papers, published articles, scores, lyrics, solution manuals"
        " and paid course material are usually protected by copyright. Pasting them into"
        " tasks, or lightly rewording them, copies someone else's work into a commercial"
        " dataset without permission. It also weakens the data: a model has probably seen"
        " well-known published problems before, so answering one proves little.</p>"
        "<p>What you can do freely is use your <b>knowledge</b>. Facts, methods and ideas"
        " are not owned. Writing your own problem that uses a standard method, in your"
        " own words with your own numbers, is the expert work projects are paying"
        " for.</p>"
        "<p>Short quotation for the purpose of discussion is allowed in many countries"
        " and by many guidelines. Reproducing whole works is not. When a model is asked to"
        " reproduce a protected text in full, most projects want it to decline that part"
        " and help in other ways: a summary, an analysis, a short quotation, or where to"
        " find a licensed copy.</p>"
    ),
    heading("What your contract says", "your-contract"),
    paragraph(
        "<p>Most agreements for this work say that the client owns what you produce for"
        " tasks, and that you may not reuse it. Many also restrict what you may say"
        " about the project. Read yours for three things: who owns the work product,"
        " what is confidential and for how long, and which tools and sources you may use."
        " If a clause is unclear, ask the programme in writing and keep the answer.</p>"
    ),
    heading("Confidential material", "confidential-material"),
    paragraph(
        "<p>Task content, guidelines, unreleased model outputs and the names of client"
        " labs are usually confidential. Do not post screenshots, discuss specific tasks"
        " in public groups, or paste task content into other tools. The same care applies"
        " in the other direction: material given to you in confidence elsewhere, such as"
        " a manuscript you are refereeing, a colleague's unpublished results, or an"
        " employer's internal documents, must not appear in tasks.</p>"
    ),
    worked_example(
        "Where a hard prompt comes from",
        "Write a difficult question in your field for a 'stump the model' project.",
        good="A new problem built on a standard technique the trainer knows well, with"
        " invented parameters, solved and checked by the trainer.",
        good_note="Original work, using knowledge rather than anyone's text.",
        bad="A question taken from a colleague's unpublished thesis chapter, shared by"
        " e-mail for feedback.",
        bad_note="Uses confidential work without consent, and could leak a result before"
        " its author publishes it.",
    ),
    heading("Consent of other people", "consent-of-others"),
    paragraph(
        "<p>Consent is the thread that runs through privacy and intellectual property."
        " Students consented to you reading their essays for marking; research"
        " participants consented to a particular study; a client consented to advice,"
        " not to becoming training data. None of them agreed to their words or data being"
        " used to train a commercial model. Consent for one purpose does not carry over"
        " to another.</p>"
    ),
    heading("When you are unsure", "when-unsure"),
    paragraph(
        "<ol>"
        "<li>Is this my own original work, written for this task?</li>"
        "<li>If not, is it public-domain or openly licensed for this use, and does the"
        " project allow it?</li>"
        "<li>Was it shared with me in confidence, or for another purpose?</li>"
        "</ol>"
        "<p>If you cannot answer yes, yes, no, do not use it. Write your own version or"
        " ask the project.</p>"
    ),
    callout(
        "policy",
        "Not legal advice",
        "<p>This module explains common principles. For a question about your own"
        " situation, read your contract and ask the programme or a qualified adviser in"
        " your country.</p>",
    ),
]

QUESTIONS = [
    label_item(
        "Label the source of this prompt using the set given.",
        "A trainer builds a hard prompt from a colleague's unpublished thesis chapter,"
        " which the colleague e-mailed to them asking for feedback.",
        [
            ("Not acceptable: confidential work used without consent", True),
            ("Acceptable: the trainer's own original work", False),
            ("Acceptable: public domain", False),
            ("Acceptable: short quotation for discussion", False),
        ],
        explanation="Ask where this material came from, who owns it, and whether they agreed to "
        "this use.",
        review="confidential-material",
    ),
    preference(
        "Which response better follows typical project guidelines? Pick one and say why.",
        "Print the complete lyrics of the current number one hit single so I can sing along.",
        [
            (
                "Response A",
                "I can't reproduce the full lyrics, because they're protected by copyright."
                " I can summarise what the song is about, quote a line or two, or you can"
                " find licensed lyrics on a lyrics service or in your music app, which"
                " often shows them in time with the song.",
                True,
            ),
            (
                "Response B",
                "Sure! Here are the complete lyrics: [all verses and choruses of the song,"
                " reproduced word for word]",
                False,
            ),
        ],
        explanation="Compare how each response uses other people's words with what the lesson "
        "says about quoting and originality.",
        review="whose-words",
    ),
    single_choice(
        "Which of these may you use freely when writing an original hard problem?",
        [
            ("A standard method you know, applied with your own numbers and words", True),
            ("A problem from a textbook with the numbers changed", False),
            ("A question from last year's exam at your university", False),
            ("A worked solution from a paid online course", False),
        ],
        explanation="Think about the difference between knowledge anyone may use and a particular"
        " author's text.",
        review="whose-words",
    ),
    multiple_select(
        "Which three things should you check in your contract? Select all that apply.",
        [
            ("Who owns the work product", True),
            ("What is confidential, and for how long", True),
            ("Which tools and sources you may use", True),
            ("The client's share price", False),
        ],
        explanation="Re-read the lesson's section on contracts: it names three things to check "
        "before you start.",
        review="your-contract",
        partial=True,
    ),
    true_false(
        "Students agreed to their essays being read for marking, so using the essays as"
        " training-task material is covered by that consent.",
        False,
        explanation="Think about what the students agreed to, and whether agreement to one use "
        "carries over to another.",
        review="consent-of-others",
    ),
    true_false(
        "Posting a screenshot of an interesting task in a public study group is fine if"
        " you hide your own name.",
        False,
        explanation="Ask who owns a task's content, and whether removing your own name changes "
        "that.",
        review="confidential-material",
    ),
    short_text(
        "Fill the gap: facts, methods and ideas are not owned, but specific ____ of them"
        " usually are. (One word.)",
        ["expressions", "expression", "texts", "wordings", "wording"],
        explanation="Recall what copyright protects, according to the lesson, as opposed to "
        "facts, methods and ideas.",
        review="whose-words",
    ),
    single_choice(
        "You cannot tell whether a dataset you found online may be used in a task. What"
        " should you do?",
        [
            ("Not use it, and ask the project or write your own material", True),
            ("Use it; if it is online it is public", False),
            ("Use it but do not mention where it came from", False),
            ("Use half of it", False),
        ],
        explanation="Think about the lesson's advice for when you cannot establish that you may "
        "use something.",
        review="when-unsure",
    ),
]

MODULE = ModuleSpec(
    slug="intellectual-property-and-consent",
    title="Intellectual property and consent",
    summary="Whose work you may use, what your contract and confidentiality require, and"
    " why consent for one purpose does not cover another.",
    estimated_minutes=30,
    body=BODY,
    questions=QUESTIONS,
)
