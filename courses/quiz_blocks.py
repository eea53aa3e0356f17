"""StreamField blocks for quiz questions: the authored question pool of a module.

These hold the answer key. They are read by grading on the server and never rendered
to a fellow before an attempt is graded (the quiz page renders frozen attempt layouts,
not these blocks).
"""

from django.core.exceptions import ValidationError
from wagtail import blocks
from wagtail.images.blocks import ImageChooserBlock

QUESTION_TEXT_FEATURES = ["bold", "italic", "code", "ol", "ul"]


class QuestionBaseBlock(blocks.StructBlock):
    prompt = blocks.RichTextBlock(features=QUESTION_TEXT_FEATURES)
    explanation = blocks.RichTextBlock(
        features=QUESTION_TEXT_FEATURES,
        help_text=(
            "Shown after grading, right or wrong, whatever the quiz shows of the answers:"
            " point to the idea or the lesson section, and never state the answer itself."
        ),
    )
    review_section = blocks.CharBlock(
        max_length=80,
        required=False,
        help_text="Anchor of the lesson heading to review if this question is missed.",
    )


class ChoiceBlock(blocks.StructBlock):
    text = blocks.CharBlock(max_length=500)
    is_correct = blocks.BooleanBlock(required=False)


def _require_choices(value, field: str, *, min_count: int, correct: str) -> None:
    items = list(value.get(field) or [])
    flags = [
        bool(item.get("is_correct", item.get("is_preferred", item.get("is_gold"))))
        for item in items
    ]
    errors = []
    if len(items) < min_count:
        errors.append(f"Add at least {min_count} options.")
    if correct == "one" and sum(flags) != 1:
        errors.append("Mark exactly one option as correct.")
    if correct == "some" and not any(flags):
        errors.append("Mark at least one option as correct.")
    if errors:
        raise blocks.StructBlockValidationError(block_errors={field: ValidationError(errors)})


class SingleChoiceQuestionBlock(QuestionBaseBlock):
    choices = blocks.ListBlock(ChoiceBlock(), min_num=2)

    def clean(self, value):
        value = super().clean(value)
        _require_choices(value, "choices", min_count=2, correct="one")
        return value

    class Meta:
        icon = "radio-full"
        label = "Single choice"


class MultipleSelectQuestionBlock(QuestionBaseBlock):
    choices = blocks.ListBlock(ChoiceBlock(), min_num=2)
    scoring = blocks.ChoiceBlock(
        choices=[("all_or_nothing", "All or nothing"), ("partial", "Partial credit")],
        default="all_or_nothing",
        help_text=(
            "Partial credit: each correct pick adds, each wrong pick subtracts, never below zero."
        ),
    )

    def clean(self, value):
        value = super().clean(value)
        _require_choices(value, "choices", min_count=2, correct="some")
        return value

    class Meta:
        icon = "tasks"
        label = "Multiple select"


class TrueFalseQuestionBlock(QuestionBaseBlock):
    correct_answer = blocks.BooleanBlock(required=False, help_text="Tick if the statement is true.")

    class Meta:
        icon = "check"
        label = "True / false"


class ShortAnswerQuestionBlock(QuestionBaseBlock):
    match = blocks.ChoiceBlock(
        choices=[
            ("text", "Text (case and spacing ignored)"),
            ("number", "Number with a tolerance"),
        ],
        default="text",
    )
    accepted_answers = blocks.ListBlock(
        blocks.CharBlock(max_length=200),
        required=False,
        help_text="For text: every answer that counts as right.",
    )
    number = blocks.FloatBlock(required=False, help_text="For numbers: the right value.")
    tolerance = blocks.FloatBlock(
        required=False, min_value=0, help_text="For numbers: how far off still counts (absolute)."
    )

    def clean(self, value):
        value = super().clean(value)
        if value.get("match") == "number" and value.get("number") is None:
            raise blocks.StructBlockValidationError(
                block_errors={"number": ValidationError("Give the right value.")}
            )
        if value.get("match") == "text" and not [
            a for a in value.get("accepted_answers") or [] if a.strip()
        ]:
            raise blocks.StructBlockValidationError(
                block_errors={
                    "accepted_answers": ValidationError("Give at least one accepted answer.")
                }
            )
        return value

    class Meta:
        icon = "edit"
        label = "Short answer"


class ModelResponseBlock(blocks.StructBlock):
    label = blocks.CharBlock(max_length=40, help_text="e.g. 'Response A'")
    text = blocks.TextBlock()
    is_preferred = blocks.BooleanBlock(required=False, help_text="The gold (better) response.")


class PreferenceRankingQuestionBlock(QuestionBaseBlock):
    """RLHF-style comparison: pick the better model response and say why."""

    conversation_prompt = blocks.TextBlock(help_text="The prompt the model was given.")
    responses = blocks.ListBlock(ModelResponseBlock(), min_num=2)
    rationale_min_length = blocks.IntegerBlock(
        default=20, min_value=0, max_value=2000, help_text="Minimum characters of rationale."
    )

    def clean(self, value):
        value = super().clean(value)
        _require_choices(value, "responses", min_count=2, correct="one")
        return value

    class Meta:
        icon = "order"
        label = "Preference ranking"


class LabelOptionBlock(blocks.StructBlock):
    text = blocks.CharBlock(max_length=200)
    is_gold = blocks.BooleanBlock(required=False)


class LabelItemQuestionBlock(QuestionBaseBlock):
    """Label this item: a text or image sample and a label set, scored against the gold label."""

    sample_text = blocks.TextBlock(required=False)
    sample_image = ImageChooserBlock(required=False)
    labels = blocks.ListBlock(LabelOptionBlock(), min_num=2)

    def clean(self, value):
        value = super().clean(value)
        if not value.get("sample_text") and not value.get("sample_image"):
            raise blocks.StructBlockValidationError(
                block_errors={"sample_text": ValidationError("Give a text or an image sample.")}
            )
        _require_choices(value, "labels", min_count=2, correct="one")
        return value

    class Meta:
        icon = "tag"
        label = "Label this item"


class QuizQuestionStreamBlock(blocks.StreamBlock):
    single_choice = SingleChoiceQuestionBlock()
    multiple_select = MultipleSelectQuestionBlock()
    true_false = TrueFalseQuestionBlock()
    short_answer = ShortAnswerQuestionBlock()
    preference_ranking = PreferenceRankingQuestionBlock()
    label_item = LabelItemQuestionBlock()
