"""Ethics, module 5: wellbeing and exposure to harmful content."""

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
        "<p>Some training work means reading the worst of what people ask a model:"
        " violence, abuse, self-harm, hatred. Safety projects need experts to judge it so"
        " that models learn to respond well. That work has a cost, and the people who do"
        " it deserve honesty about that cost and practical ways to limit it. This module"
        " is about looking after yourself while you do it.</p>"
    ),
    heading("Why this work exists", "why-harmful-content"),
    paragraph(
        "<p>A model that has never been shown how to handle a request for help with"
        " self-harm, or a user sharing abusive material, will handle it badly. Safety"
        " tasks ask you to label such content, compare responses to it, or write prompts"
        " that test whether the model refuses what it should and still helps people in"
        " distress. It is valuable work. It is also work that moderators and annotators"
        " in several countries have described as harmful to them when it was done"
        " without warning, limits or support.</p>"
    ),
    heading("Before you start", "before-you-start"),
    paragraph(
        "<p>You have the right to know what a project involves before you accept it. A"
        " well-run programme tells you what kinds of content to expect, lets you decline"
        " or leave such projects without penalty, limits the hours you spend on them, and"
        " says what support is available. If a project does not say, ask in writing"
        " before you start. Declining a project is not a failure: not everyone should do"
        " this work, and anyone may need to stop for a while.</p>"
    ),
    heading("Limiting exposure", "limiting-exposure"),
    paragraph(
        "<ul>"
        "<li><b>Read only what the label needs.</b> Once you can assign the label, stop"
        " reading. You do not need every detail.</li>"
        "<li><b>Short sessions, real breaks.</b> Set a limit in advance and keep it; mix"
        " in other kinds of task where the project allows.</li>"
        "<li><b>Not before sleep.</b> Avoid this work late in the evening.</li>"
        "<li><b>A clear end.</b> Close the platform, step away, do something physical or"
        " social. A small routine that marks the end of a session helps.</li>"
        "<li><b>Talk, within confidentiality.</b> You can tell someone you trust that the"
        " work was hard without describing the content.</li>"
        "</ul>"
    ),
    worked_example(
        "Labeling a distressing item",
        "Label set: Self-harm risk / Violent threat / Other harmful / Not harmful. The"
        " item is a long message describing someone's plan to end their life.",
        good="Read until the risk is clear (the second sentence), label Self-harm risk,"
        " follow the escalation step in the guidelines, move on, take a short break"
        " after the batch.",
        good_note="Accurate, follows the protocol, and limits exposure to what the task needs.",
        bad="Read the whole message twice to be sure, then search online to see whether"
        " the person is real.",
        bad_note="More exposure than the label needs, and searching for the person is"
        " outside the task and a privacy breach.",
    ),
    heading("Warning signs", "warning-signs"),
    paragraph(
        "<p>Repeated exposure to disturbing material can cause what is often called"
        " vicarious or secondary trauma. Signs include intrusive images or thoughts about"
        " the content, trouble sleeping, feeling numb or on edge, irritability, avoiding"
        " things that remind you of the work, and drinking or using more than usual."
        " They can build slowly, so check in with yourself each week, not only after a"
        " bad session.</p>"
    ),
    heading("Getting support", "getting-support"),
    paragraph(
        "<p>If you notice these signs, step back from the project and tell the programme;"
        " you should not need to give details. Use any support the programme offers, such"
        " as counselling. Contractors often have less access to support than employees,"
        " so find out what you have before you need it, and know your local options: a"
        " doctor, a university counselling service, or a crisis line in your country."
        " If you are ever in danger, contact local emergency services.</p>"
    ),
    heading("Illegal content", "illegal-content"),
    paragraph(
        "<p>If you ever encounter sexual material involving children, or other content"
        " that is illegal to possess where you are, <b>stop</b>. Do not download, copy,"
        " screenshot, forward or investigate it. Report it at once through the channel the"
        " programme names for this, and let them take it from there. Then take a break"
        " and use the support available to you.</p>"
    ),
    callout(
        "policy",
        "Your wellbeing comes first",
        "<p>No task is worth lasting harm. You may pause, skip or leave a harmful-content"
        " project, and a good programme will not penalise you for it.</p>",
    ),
]

QUESTIONS = [
    label_item(
        "Label this user message using the set below, as a safety project would.",
        "I can't do this anymore. I've been giving my things away and I wrote letters to"
        " my family last night.",
        [
            ("Self-harm risk: follow the escalation guideline", True),
            ("Violent threat to others", False),
            ("Other harmful content", False),
            ("Not harmful", False),
        ],
        explanation="Read the message as a safety project would, and check the label set for the "
        "case that needs more than a label.",
        review="limiting-exposure",
    ),
    preference(
        "Which response should be preferred? Pick one and say why.",
        "What's the lethal dose of paracetamol? I just want it all to stop.",
        [
            (
                "Response A",
                "I'm really sorry you're feeling this way, and I'm glad you told me. I"
                " won't give that information, but I don't want you to be alone with"
                " this. Please contact a crisis line or emergency services in your country"
                " now, or someone you trust. Would you tell me a bit about what's been"
                " happening?",
                True,
            ),
            (
                "Response B",
                "For adults, doses above a certain amount per kilogram can cause liver"
                " failure. Please be careful and consult a doctor.",
                False,
            ),
        ],
        explanation="Ask which response would help someone in distress, and which puts them at "
        "more risk.",
        review="why-harmful-content",
    ),
    single_choice(
        "While labeling, you can assign the correct label after two sentences of a very"
        " graphic item. What should you do?",
        [
            ("Assign the label and stop reading", True),
            ("Read the whole item to be thorough", False),
            ("Copy it to your notes to ask about later", False),
            ("Skip the label but read on", False),
        ],
        explanation="Think about what the task needs from you once you can label the item, and "
        "what more reading would cost you.",
        review="limiting-exposure",
    ),
    multiple_select(
        "Which can be signs of vicarious trauma? Select all that apply.",
        [
            ("Intrusive images or thoughts about the content", True),
            ("Trouble sleeping", True),
            ("Feeling numb or constantly on edge", True),
            ("Drinking more than usual", True),
            ("Finishing tasks faster than last month", False),
        ],
        explanation="The lesson lists signs of vicarious trauma. Check each option against that "
        "list.",
        review="warning-signs",
        partial=True,
    ),
    true_false(
        "If you encounter sexual material involving children in a task, you should take a"
        " screenshot as evidence before reporting it.",
        False,
        explanation="Think about what copying or keeping such material means legally, and the "
        "lesson's section on illegal content.",
        review="illegal-content",
    ),
    true_false(
        "A well-run programme lets you decline or leave a harmful-content project without penalty.",
        True,
        explanation="Think about what the lesson says a well-run programme owes the people on a "
        "harmful-content project.",
        review="before-you-start",
    ),
    short_text(
        "What is the first thing to do if you encounter content that is illegal to possess,"
        " such as child sexual abuse material? (One word.)",
        ["stop", "stop.", "stop working", "stop reading"],
        explanation="The lesson's section on illegal content starts with one action, before any "
        "report. Recall it.",
        review="illegal-content",
    ),
    single_choice(
        "You have had trouble sleeping since starting a safety project. What is the best response?",
        [
            ("Step back, tell the programme, and use the support available", True),
            ("Push through; it will pass once the project ends", False),
            ("Work later at night when you can't sleep anyway", False),
            ("Describe the task content in detail to a friend", False),
        ],
        explanation="Think about the warning signs the lesson lists, and the support a programme "
        "should offer.",
        review="getting-support",
    ),
    single_choice(
        "A project invitation mentions 'sensitive content' but gives no details. Before"
        " accepting, you should:",
        [
            ("Ask in writing what content, what limits and what support to expect", True),
            ("Accept; details are confidential", False),
            ("Decline all projects from this programme", False),
            ("Accept and find out as you go", False),
        ],
        explanation="Think about what you need to know before you can decide, and how to ask for "
        "it so there is a record.",
        review="before-you-start",
    ),
]

MODULE = ModuleSpec(
    slug="wellbeing-and-harmful-content",
    title="Wellbeing and exposure to harmful content",
    summary="How to do safety work without lasting harm: knowing what you accept, limiting"
    " exposure, noticing warning signs and getting support.",
    estimated_minutes=30,
    body=BODY,
    questions=QUESTIONS,
)
