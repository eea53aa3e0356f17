"""Ethics, module 2: privacy and personal data in training tasks."""

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
        "<p>Anything you put into a training task may be stored, reviewed by other people,"
        " and learned by a model that millions will use. Models can repeat fragments of"
        " their training data. So privacy in this work has two sides: what you bring into"
        " a task, and what you do with personal data you find in one.</p>"
    ),
    heading("What counts as personal data", "what-counts-as-personal-data"),
    paragraph(
        "<p>Data protection laws differ by country, but most follow the same idea as the"
        " European Union's GDPR: personal data is <b>any information relating to an"
        " identified or identifiable living person</b>. Names, e-mail addresses and ID"
        " numbers obviously count. So does a combination of details that points to one"
        " person: 'the only female professor of organic chemistry at a named university',"
        " or a job title, town and date of birth together.</p>"
        "<p>Some kinds need extra care, and the GDPR calls them <i>special"
        " categories</i>: health, racial or ethnic origin, political opinions, religious"
        " or philosophical beliefs, trade union membership, genetic and biometric data,"
        " and sex life or sexual orientation. Leaks of these cause the most harm.</p>"
    ),
    heading("Never bring real people into a task", "never-bring-real-people"),
    paragraph(
        "<p>Your expertise comes with access: patients' histories if you are in medicine,"
        " clients' files if you are in law, students' essays if you teach, interview"
        " recordings if you do research. None of it belongs in a training task. It was"
        " given to you for one purpose, often under professional confidentiality or a"
        " research ethics approval, and using it for another breaks that trust and"
        " possibly the law.</p>"
        "<p>Realistic prompts are valuable; real people are not needed to write them."
        " Invent the case: change the names, ages, places and dates, and combine details"
        " from several situations so that no one could recognise themselves.</p>"
    ),
    worked_example(
        "Writing a realistic legal prompt",
        "Write an SFT prompt about a dispute over a rental deposit.",
        good="'My landlord kept my whole deposit of 900 euros, saying the flat needed"
        " repainting after I lived there four years. Normal wear was all there was. What"
        " can I do?' (Invented details; no real person.)",
        good_note="Realistic and specific enough to test the model, with nothing that"
        " identifies anyone.",
        bad="'My landlord, Peter Hallström of 14 Birch Road, kept my deposit...' (the"
        " trainer's real landlord).",
        bad_note="Puts a real, named person and address into training data, with a"
        " one-sided account of a dispute.",
    ),
    heading("Personal data you find in tasks", "data-in-tasks"),
    paragraph(
        "<p>Sometimes a task contains what looks like real personal data: a pasted e-mail"
        " thread, a medical note, a CV. Treat it as real. Do not copy it out of the"
        " platform, do not search for the person, and do not reuse it in your own"
        " prompts. Label or complete the task only as far as the guidelines allow, and"
        " flag it: the project may need to remove it from the dataset.</p>"
    ),
    heading("Redaction", "redaction"),
    paragraph(
        "<p>Where a guideline asks you to redact, replace identifying details with"
        " consistent placeholders such as <code>[NAME_1]</code>, <code>[ADDRESS]</code> or"
        " <code>[DATE]</code>, so the text still makes sense. Remember the"
        " combinations: removing a name is not enough if the job title, town and age"
        " still point to one person. When in doubt, generalise ('a hospital in a large"
        " city') rather than delete meaning.</p>"
    ),
    heading("Reporting an exposure", "reporting-exposure"),
    paragraph(
        "<p>If you realise you have submitted real personal data, or you see it somewhere"
        " it should not be, report it at once through the channel the project names."
        " Say what it was, where, and when; do not try to fix it quietly. Under many laws,"
        " organisations must act on a breach within days, so a prompt report matters"
        " more than an embarrassing one.</p>"
    ),
    callout(
        "policy",
        "Your own data too",
        "<p>Do not put your own sensitive details into tasks either, and keep the"
        " platform's task content out of personal cloud notes and chatbots.</p>",
    ),
]

QUESTIONS = [
    label_item(
        "Label this text found in a task, using the set: No personal data / Ordinary"
        " personal data / Special-category personal data.",
        "Follow-up note: J. Mwangi, 54, seen Tuesday at the Riverside clinic; viral load"
        " now undetectable, continue current antiretroviral regimen.",
        [
            ("Special-category personal data", True),
            ("Ordinary personal data", False),
            ("No personal data", False),
        ],
        explanation="Look at what the text reveals about the person, and check it against the "
        "lesson's categories of personal data.",
        review="what-counts-as-personal-data",
    ),
    preference(
        "Two trainers drafted the same SFT prompt. Which draft should be submitted? Pick one"
        " and say why.",
        "Task: write a realistic prompt about a rental deposit dispute.",
        [
            (
                "Draft A",
                "My landlord kept my whole deposit of 900 euros, saying the flat needed"
                " repainting after four years. There was only normal wear. What can I do?",
                True,
            ),
            (
                "Draft B",
                "My landlord Peter Hallström (14 Birch Road, Uppsala) kept my deposit of"
                " 9,000 kronor and won't answer my e-mails. What can I do?",
                False,
            ),
        ],
        explanation="Ask whether each draft could be written without involving a real, "
        "identifiable person.",
        review="never-bring-real-people",
    ),
    single_choice(
        "A task contains what appears to be a real person's CV, pasted by a user. What"
        " should you do?",
        [
            (
                "Complete it only as the guidelines allow, keep it in the platform, and flag it",
                True,
            ),
            ("Search for the person to check whether the CV is real", False),
            ("Copy it to your notes as an example for future prompts", False),
            ("Ignore it; it was the user's choice to paste it", False),
        ],
        explanation="Think about where the data should stay, what the guidelines let you do with "
        "it, and who needs to know it is there.",
        review="data-in-tasks",
    ),
    multiple_select(
        "Which of these are special categories of personal data under the GDPR? Select all"
        " that apply.",
        [
            ("Health information", True),
            ("Religious beliefs", True),
            ("Trade union membership", True),
            ("An office telephone number", False),
            ("Favourite programming language", False),
        ],
        explanation="The lesson lists the special categories the GDPR names. Check each option "
        "against that list.",
        review="what-counts-as-personal-data",
        partial=True,
    ),
    true_false(
        "Removing a person's name always makes a text anonymous.",
        False,
        explanation="Think about what else in a text can point to one person once the name is "
        "gone.",
        review="redaction",
    ),
    true_false(
        "If you realise you submitted a real patient's details in a task, you should report"
        " it promptly through the project's channel rather than quietly editing it.",
        True,
        explanation="Think about who can limit the harm once real data is exposed, and how much "
        "time they have to act.",
        review="reporting-exposure",
    ),
    short_text(
        "When redacting, what should you put in place of a person's name so the text still"
        " makes sense? (Give the kind of thing, e.g. one word.)",
        ["placeholder", "a placeholder", "placeholders", "[NAME]", "[NAME_1]", "a token"],
        explanation="The text still has to read naturally after redaction. What does the lesson "
        "say to put where the name was?",
        review="redaction",
    ),
    single_choice(
        "You are a clinician and want a realistic, hard diagnostic prompt. Which approach"
        " is right?",
        [
            ("Invent a composite case from several typical presentations", True),
            ("Use last week's most interesting patient, without the name", False),
            ("Use a real case, but only from a patient who has died", False),
            ("Ask a patient for verbal permission in the corridor", False),
        ],
        explanation="Ask which approach keeps the prompt realistic and hard without bringing a "
        "real patient into training data.",
        review="never-bring-real-people",
    ),
]

MODULE = ModuleSpec(
    slug="privacy-and-personal-data",
    title="Privacy and personal data",
    summary="What counts as personal data, why real people never belong in tasks, and what"
    " to do when you find or leak some.",
    estimated_minutes=30,
    body=BODY,
    questions=QUESTIONS,
)
