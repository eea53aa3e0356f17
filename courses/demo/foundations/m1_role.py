"""Foundations, module 1: what an AI trainer does and why experts are hired to do it."""

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
        "<p>Large language models learn most of what they know from text written by people."
        " The last and most careful part of that learning comes from people like you:"
        " graduates and researchers who write examples, compare answers and check facts in"
        " a field they know well. This module explains what that work is, where it fits in"
        " how a model is built, and what is expected of you before you take your first"
        " paid task.</p>"
    ),
    heading("The job in one paragraph", "the-job"),
    paragraph(
        "<p>An AI trainer produces <b>human judgement in a form a model can learn from</b>."
        " Most tasks arrive in a queue on a labeling platform, each with written guidelines."
        " You read the task, do it within the guidelines, and submit. Some of your items"
        " are checked by reviewers or compared with answers the project already knows"
        " (<i>gold items</i>). Your output becomes training data: it is used to adjust the"
        " model's behaviour, or to measure how well it performs. You are not chatting with"
        " a model for fun and you are not its customer; you are one of its teachers and one"
        " of its examiners.</p>"
    ),
    heading("Two kinds of training work", "two-kinds-of-work"),
    paragraph(
        "<p>Nearly every task you will see belongs to one of two families.</p>"
        "<ol>"
        "<li><b>Supervised fine-tuning (SFT).</b> You write a prompt and the response you"
        " want the model to give, or you write the ideal response to a prompt you are"
        " handed. These <i>demonstrations</i> show the model what a careful expert answer"
        " looks like, including the reasoning that leads to it.</li>"
        "<li><b>Reinforcement learning from human feedback (RLHF).</b> You compare two or"
        " more responses the model produced, say which is better and why, or rate each"
        " one on a scale. Many such comparisons train a <i>reward model</i> that predicts"
        " what people prefer, and the language model is then tuned to score well on"
        " it.</li>"
        "</ol>"
        "<p>A third kind of task, evaluation, reuses both skills: you write hard questions"
        " with known answers and check whether the model gets them right. The later"
        " modules of this course take each kind in turn.</p>"
    ),
    heading("Why labs hire experts", "why-experts"),
    paragraph(
        "<p>General-purpose annotators can tell a polite answer from a rude one. They cannot"
        " tell whether a synthesis route would actually give the product claimed, whether a"
        " chord analysis mislabels a secondary dominant, or whether a contract clause is"
        " enforceable in the jurisdiction named. Models now make mostly <i>subtle</i>"
        " mistakes, and only someone who knows the field notices them. That is why expert"
        " programmes pay roughly $30 to $160 an hour depending on field and skill, and why"
        " your most valuable contribution is the error that only you would catch.</p>"
        "<p>It also explains a habit you should build from day one: <b>check everything</b>."
        " A fluent, confident answer is not evidence of a correct one. Users of these models"
        " are told to verify what they read; as a trainer, verifying is the job itself.</p>"
    ),
    callout(
        "tip",
        "Your field, your edge",
        "<p>When a task lets you choose the topic, choose the part of your field you know"
        " best. A question you can fully verify is worth more than an impressive one you"
        " cannot.</p>",
    ),
    heading("How a task flows", "how-a-task-flows"),
    paragraph(
        "<p>A typical task goes through the same steps whatever the project:</p>"
        "<ol>"
        "<li>Read the guidelines for the project, and re-read them when they change.</li>"
        "<li>Open the task and read all of it, including any conversation history.</li>"
        "<li>Do the work: write, compare, rate or label.</li>"
        "<li>Write the rationale or notes the task asks for, in plain words.</li>"
        "<li>Record your time honestly and submit.</li>"
        "<li>Read reviewer feedback when it comes back, and adjust.</li>"
        "</ol>"
        "<p>Most fellows work 10 to 20 hours a week beside study, usually as independent"
        " contractors. Keep your own record of the hours you work and the tasks you"
        " submit: it protects you if a payment is ever short.</p>"
    ),
    worked_example(
        "Reading the task before answering",
        "Compare two responses to: 'Explain why the answer to 0.1 + 0.2 == 0.3 is False in"
        " Python, for a first-year student.'",
        good="Response B is better. Both state that binary floating point cannot represent"
        " 0.1 exactly, but B explains it with the decimal analogy of 1/3 = 0.333... and"
        " suggests math.isclose(), which suits a first-year student. A is correct but"
        " assumes the reader knows the IEEE 754 format.",
        good_note="Judges correctness first, then fit to the audience the prompt named, and"
        " says why in terms a reviewer can check.",
        bad="A is better because it is longer and more technical.",
        bad_note="Length and jargon are not quality. The prompt asked for a first-year"
        " explanation, so the more technical answer fits it worse.",
    ),
    heading("Will this work replace me?", "replacing-experts"),
    paragraph(
        "<p>It is a fair question, and fellows ask it often. The honest answer is that"
        " nobody knows for certain. Models trained with expert feedback do get better at"
        " routine parts of expert work, such as drafting, summarising and first-pass"
        " checking. So far, what they have not replaced is the judgement to know when an"
        " answer is wrong, the responsibility for a decision, and the knowledge that is"
        " not yet written down. Training work also teaches you, quickly, where these tools"
        " fail in your own field, and that is a marketable skill in itself. Make your"
        " decision with open eyes: treat this as paid, flexible work that builds AI"
        " literacy, not as a career guarantee.</p>"
    ),
]

QUESTIONS = [
    single_choice(
        "A task shows you one prompt and two model answers and asks which one is better"
        " and why. Which kind of training work is this?",
        [
            ("Reinforcement learning from human feedback (preference comparison)", True),
            ("Supervised fine-tuning (writing a demonstration)", False),
            ("Pre-training on web text", False),
            ("Prompt engineering for a customer", False),
        ],
        explanation="Ask what the trainer produces in this task: a response of their own, or a "
        "judgement between responses the model wrote. The two families of training "
        "work differ exactly there.",
        review="two-kinds-of-work",
    ),
    single_choice(
        "What is a reward model trained on, in RLHF?",
        [
            ("Many human judgements of which response is better", True),
            ("The model's own confidence scores", False),
            ("Web pages ranked by popularity", False),
            ("The trainer's hourly rate", False),
        ],
        explanation="Think about where the reward model's training signal comes from in the "
        "lesson's description of RLHF, and who supplies it.",
        review="two-kinds-of-work",
    ),
    multiple_select(
        "Which of these are part of a trainer's normal task flow? Select all that apply.",
        [
            ("Reading the project guidelines before starting", True),
            ("Writing a rationale when the task asks for one", True),
            ("Recording the time actually spent", True),
            ("Reading reviewer feedback and adjusting", True),
            ("Pasting the task into another chatbot to get a head start", False),
        ],
        explanation="Picture a task from start to finish as the lesson describes it. Each step "
        "either serves the lab's purpose or undermines it; weigh each option against "
        "that.",
        review="how-a-task-flows",
        partial=True,
    ),
    true_false(
        "A response that is fluent, well formatted and confident can be assumed correct"
        " unless something looks obviously wrong.",
        False,
        explanation="Consider what kind of mistakes current models usually make, and whether "
        "polish and confidence tell you anything about them.",
        review="why-experts",
    ),
    true_false(
        "Keeping your own record of hours worked and tasks submitted is a sensible habit"
        " for a contractor, even when the platform tracks time too.",
        True,
        explanation="Think about how a contractor would notice, and prove, that a payment does "
        "not match the work done.",
        review="how-a-task-flows",
    ),
    short_text(
        "What is the short name, commonly used by labs, for the training stage in which a"
        " model learns from written demonstrations (prompt plus ideal answer)?",
        ["SFT", "supervised fine-tuning", "supervised finetuning", "supervised fine tuning"],
        explanation="The lesson names the two families of training work and gives each a short "
        "form. Which one is about the model copying written examples?",
        review="two-kinds-of-work",
    ),
    preference(
        "Which response better answers the user? Pick one and say why.",
        "I'm a first-year student. Why does 0.1 + 0.2 == 0.3 print False in Python?",
        [
            (
                "Response A",
                "Python stores floats in binary (IEEE 754 double precision). 0.1 and 0.2"
                " have no exact binary representation, just as 1/3 has no exact decimal one"
                " (0.333...). The stored values are very slightly off, so their sum is"
                " 0.30000000000000004, not 0.3. To compare floats, use"
                " math.isclose(0.1 + 0.2, 0.3).",
                True,
            ),
            (
                "Response B",
                "This is a bug in Python that was fixed in Python 3.12, so upgrade your"
                " interpreter and the comparison will return True.",
                False,
            ),
        ],
        explanation="Check each response's claim against what you know about binary floating "
        "point, and ask which one a first-year student could act on safely.",
        review="how-a-task-flows",
    ),
    label_item(
        "Label this task by the kind of training work it is.",
        "Task 4471: Write a question in organic chemistry that a strong undergraduate could"
        " answer in five minutes, then write the complete worked answer you would want the"
        " model to give, including the mechanism.",
        [
            ("Supervised fine-tuning demonstration", True),
            ("Preference comparison (RLHF)", False),
            ("Rating a single response on a scale", False),
            ("Content moderation", False),
        ],
        explanation="Ask who writes what in this task: is the trainer comparing, rating, "
        "moderating, or producing the prompt and the ideal answer themselves?",
        review="two-kinds-of-work",
    ),
    single_choice(
        "Why do labs pay domain experts rather than general annotators for this work?",
        [
            ("Current models mostly make subtle errors that only a specialist notices", True),
            ("Experts type faster", False),
            ("General annotators are not allowed to use labeling platforms", False),
            ("Experts' names are published with the model", False),
        ],
        explanation="Think about what a specialist notices that a generalist would accept as "
        "plausible, and why that matters for models today.",
        review="why-experts",
    ),
    true_false(
        "It is certain that training models with expert feedback will make those experts'"
        " jobs disappear within a few years.",
        False,
        explanation="Notice how strong the claim is. The lesson's section on replacing experts "
        "separates what is known from what is guessed.",
        review="replacing-experts",
    ),
]

MODULE = ModuleSpec(
    slug="what-ai-trainers-do",
    title="What AI trainers do",
    summary="The job, the two kinds of training work, and why your expertise matters.",
    estimated_minutes=25,
    body=BODY,
    questions=QUESTIONS,
)
