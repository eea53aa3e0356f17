"""Foundations, module 2: writing supervised fine-tuning demonstrations."""

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
        "<p>A supervised fine-tuning demonstration is a pair: a prompt, and the response you"
        " want the model to give. The model is trained to imitate thousands of such pairs,"
        " so each one you write is a small lesson in how an expert answers. This module"
        " covers what makes that lesson worth learning.</p>"
    ),
    heading("What a demonstration is", "what-a-demonstration-is"),
    paragraph(
        "<p>The model learns from your demonstration <i>everything</i> it contains: the"
        " facts, the order of the reasoning, the tone, the length, the formatting, and the"
        " mistakes. It cannot tell which parts you meant to teach. A demonstration with a"
        " correct final answer but a sloppy derivation teaches sloppy derivations. One"
        " that invents a citation teaches the model to invent citations.</p>"
        "<p>Some projects hand you the prompt and ask only for the response; others ask"
        " you to write both. When you write the prompt, write it as a real user would:"
        " with the context they would give, in their words, and sometimes with the"
        " ambiguity a real user leaves in.</p>"
    ),
    heading("Anatomy of a good response", "anatomy-of-a-good-response"),
    paragraph(
        "<p>Project guidelines differ in detail, but they nearly all ask for a response"
        " that is:</p>"
        "<ul>"
        "<li><b>Correct.</b> Every claim, number and unit is right, and you have checked"
        " it rather than recalled it.</li>"
        "<li><b>Responsive.</b> It answers the question that was asked, at the level of"
        " the person asking, and follows every explicit instruction (length, format,"
        " language).</li>"
        "<li><b>Complete but not padded.</b> It covers what the user needs and stops."
        " Restating the question, long disclaimers and summaries of what was just said"
        " add length, not value.</li>"
        "<li><b>Honest about limits.</b> When the answer depends on something unknown,"
        " it says so, and says what it depends on. When a question rests on a false"
        " premise, it corrects the premise politely.</li>"
        "<li><b>Safe.</b> It declines, or redirects, only what the safety guidelines say"
        " to decline, and it does not refuse reasonable requests out of caution.</li>"
        "</ul>"
    ),
    heading("Showing the reasoning", "showing-the-reasoning"),
    paragraph(
        "<p>For problems that need a derivation, a calculation or a chain of legal or"
        " historical argument, the reasoning is the most valuable part of your"
        " demonstration. Write the steps an expert would actually take, in order, with"
        " the intermediate results. State assumptions where you make them (standard"
        " temperature and pressure, a particular jurisdiction, equal temperament). Carry"
        " units through every line of a calculation. End with the answer stated plainly,"
        " so a reader who skips to the end still finds it.</p>"
    ),
    worked_example(
        "A chemistry demonstration",
        "Prompt: 'How many grams of water form when 4.0 g of hydrogen gas burns completely"
        " in excess oxygen?'",
        good="2 H2 + O2 -> 2 H2O. Moles of H2 = 4.0 g / 2.016 g/mol = 1.98 mol. The"
        " equation gives 1 mol H2O per mol H2, so 1.98 mol H2O. Mass = 1.98 mol x 18.02"
        " g/mol = 35.7 g. Answer: about 36 g of water (oxygen is in excess, so hydrogen"
        " limits the yield).",
        good_note="Balanced equation, molar masses with units, the mole ratio stated, the"
        " limiting reagent named, and a final answer with sensible precision.",
        bad="36 g.",
        bad_note="The number is right, but nothing can be checked: no equation, no mole"
        " ratio, no limiting reagent. A model trained on bare answers learns to assert"
        " results it cannot justify, and a reviewer cannot tell a lucky guess from"
        " knowledge.",
    ),
    heading("Checking your work", "checking-your-work"),
    paragraph(
        "<p>Before you submit, read your demonstration as a strict reviewer would. Redo"
        " any calculation a second way or with an estimate. Confirm facts you are not"
        " certain of in a reliable source you are allowed to use, not in a chatbot."
        " Check that names, dates, doses and section numbers are exact: these are the"
        " details a model most often gets wrong, so they are the ones your demonstration"
        " must get right. If you cannot verify something, rewrite the response so it does"
        " not depend on it, or say in the response that it is uncertain.</p>"
    ),
    callout(
        "warning",
        "Never invent a source",
        "<p>If a response cites a paper, a statute or a textbook, the reference must exist"
        " and say what you claim. A fabricated citation in training data teaches the model"
        " to fabricate citations.</p>",
    ),
    heading("Common mistakes", "common-mistakes"),
    paragraph(
        "<ul>"
        "<li>Answering a harder or easier question than the one asked.</li>"
        "<li>Ignoring an explicit constraint, such as 'in under 100 words' or 'as a"
        " table'.</li>"
        "<li>Writing for yourself instead of the user: jargon for a beginner, or a"
        " beginner's explanation for a specialist.</li>"
        "<li>Hedging everything, so the reader cannot tell what you actually think.</li>"
        "<li>Copying an answer from a textbook or solutions manual: that is someone"
        " else's work, and the project wants yours.</li>"
        "</ul>"
    ),
]

QUESTIONS = [
    single_choice(
        "A demonstration reaches the right final answer through a derivation with an error"
        " that happens to cancel out. What should you do?",
        [
            ("Fix the derivation: the model learns the reasoning, not just the answer", True),
            ("Submit it: only the final answer is graded", False),
            ("Delete the derivation and keep the answer", False),
            ("Add a note that the derivation may be wrong", False),
        ],
        explanation="Ask what the model learns from a demonstration: only the final line, or "
        "every step that leads to it?",
        review="what-a-demonstration-is",
    ),
    multiple_select(
        "Which belong in a good demonstration for a calculation problem? Select all that apply.",
        [
            ("Units carried through each step", True),
            ("Assumptions stated where you make them", True),
            ("The final answer stated plainly at the end", True),
            ("A restatement of the question before answering", False),
            ("A citation you remember but have not checked", False),
        ],
        explanation="Imagine a reader checking your working step by step. Which elements let them"
        " follow and verify it, and which would only look like effort?",
        review="showing-the-reasoning",
        partial=True,
    ),
    true_false(
        "If a user's question rests on a false premise, a good demonstration answers as if"
        " the premise were true, to be as helpful as possible.",
        False,
        explanation="Re-read what the lesson says a good response does when the user's question "
        "contains a mistake, and what happens when a model learns to play along.",
        review="anatomy-of-a-good-response",
    ),
    true_false(
        "A demonstration that invents a plausible-looking reference can teach the model to"
        " invent references.",
        True,
        explanation="Think about what a model imitates from its training data: the facts only, or"
        " also the form of what it is shown?",
        review="checking-your-work",
    ),
    short_text(
        "The prompt says 'Answer in under 100 words'. Your draft is 140 words and"
        " excellent. Name the quality from the lesson that the draft fails (one word).",
        ["responsive", "responsiveness", "instruction following", "instruction-following"],
        explanation="The lesson lists the qualities a good response must have. Which of them "
        "covers doing what the prompt explicitly asked, however good the content?",
        review="anatomy-of-a-good-response",
    ),
    preference(
        "Which demonstration should be used for training? Pick one and say why.",
        "How many grams of water form when 4.0 g of hydrogen gas burns in excess oxygen?",
        [
            (
                "Response A",
                "2 H2 + O2 -> 2 H2O. n(H2) = 4.0 g / 2.016 g/mol = 1.98 mol, giving 1.98 mol"
                " H2O. m = 1.98 mol x 18.02 g/mol = 35.7 g, so about 36 g. Hydrogen limits"
                " the yield because oxygen is in excess.",
                True,
            ),
            (
                "Response B",
                "Great question! Combustion is a fascinating reaction that releases energy."
                " Water has a molar mass of 18 g/mol, and hydrogen is the lightest element."
                " Putting this together, about 72 g of water would form.",
                False,
            ),
        ],
        explanation="Work through each response's arithmetic yourself, including the mole ratio, "
        "and ask which one a learner could check line by line.",
        review="showing-the-reasoning",
    ),
    label_item(
        "Label the main problem with this demonstration response.",
        "Prompt: 'Explain the difference between a will and a trust to someone with no"
        " legal background, in plain English.' Response: 'A will is a testamentary"
        " instrument effective upon the testator's death, subject to probate, whereas an"
        " inter vivos trust vests legal title in a trustee for the benefit of"
        " beneficiaries, generally avoiding probate.'",
        [
            ("Not pitched at the user the prompt describes", True),
            ("Factually wrong", False),
            ("Unsafe content", False),
            ("No problem", False),
        ],
        explanation="Compare the response with the person the prompt describes: their level, "
        "their needs, their words.",
        review="common-mistakes",
    ),
    single_choice(
        "You are not sure whether a dosage figure in your draft is current. What is the"
        " right move?",
        [
            (
                "Check it in a reliable source you may use, or rewrite so you do not rely on it",
                True,
            ),
            ("Ask a chatbot to confirm it", False),
            ("Keep it; reviewers will catch it if it is wrong", False),
            ("Round it so it looks less precise", False),
        ],
        explanation="Think about what a demonstration teaches if it contains a figure you have "
        "not verified, and what options you have besides guessing.",
        review="checking-your-work",
    ),
    single_choice(
        "Which of these is a common mistake in demonstrations?",
        [
            ("Copying a solution from a textbook's answer key", True),
            ("Stating assumptions explicitly", False),
            ("Correcting a false premise", False),
            ("Ending with a plain final answer", False),
        ],
        explanation="Ask which of these would put someone else's work, or an unchecked answer, "
        "into training data.",
        review="common-mistakes",
    ),
]

MODULE = ModuleSpec(
    slug="writing-demonstrations",
    title="Writing supervised fine-tuning demonstrations",
    summary="Write prompt-and-answer pairs a model should learn from: correct, responsive,"
    " honest, with the reasoning shown.",
    estimated_minutes=30,
    body=BODY,
    questions=QUESTIONS,
)
