"""StreamField blocks for lesson content. Each block of the lesson stream declares its
icon, and each defined here its template (a worked example renders its two sides itself)."""

import re

from django.core.exceptions import ValidationError
from django.utils.text import slugify
from wagtail import blocks
from wagtail.images.blocks import ImageChooserBlock

# Rich text is limited to what a lesson needs; no raw HTML anywhere (no RawHTMLBlock),
# so an editor cannot place script on a page fellows read.
LESSON_RICH_TEXT_FEATURES = ["bold", "italic", "link", "ol", "ul", "code", "blockquote"]


class HeadingBlock(blocks.StructBlock):
    """A section heading. Its anchor lets quiz questions link back to the section."""

    text = blocks.CharBlock(max_length=200)
    anchor = blocks.CharBlock(
        max_length=80,
        required=False,
        help_text=(
            "Short id for linking to this section from quiz questions, e.g. 'pairwise-ranking'."
            " Left empty, it is made from the heading text."
        ),
    )

    def clean(self, value):
        value = super().clean(value)
        anchor = value.get("anchor") or ""
        if anchor and not re.fullmatch(r"[a-z0-9][a-z0-9-]*", anchor):
            raise blocks.StructBlockValidationError(
                block_errors={
                    "anchor": ValidationError("Use lower-case letters, digits and hyphens.")
                }
            )
        return value

    def get_context(self, value, parent_context=None):
        context = super().get_context(value, parent_context)
        context["anchor"] = value.get("anchor") or slugify(value.get("text", ""))
        return context

    class Meta:
        icon = "title"
        template = "courses/blocks/heading_block.html"


class CaptionedImageBlock(blocks.StructBlock):
    # Wagtail serves images (renditions) to anyone who has their address, even when the module using
    # them is locked (docs/threats.md, row P6): authors are told so where they pick one.
    image = ImageChooserBlock(
        help_text="Images are public: anyone with an image's address can open it, even "
        "before the module is unlocked. Never put answer keys or personal data in one."
    )
    alt_text = blocks.CharBlock(
        max_length=250, help_text="Describe the image for people who cannot see it."
    )
    caption = blocks.CharBlock(max_length=300, required=False)

    class Meta:
        icon = "image"
        template = "courses/blocks/image_block.html"


VIDEO_URL_PATTERNS = [
    # (pattern, embed URL template). Privacy-enhanced hosts; the server never fetches them.
    (
        re.compile(r"^https://(?:www\.)?youtube\.com/watch\?v=([\w-]{6,20})"),
        "https://www.youtube-nocookie.com/embed/{}",
    ),
    (re.compile(r"^https://youtu\.be/([\w-]{6,20})"), "https://www.youtube-nocookie.com/embed/{}"),
    (
        re.compile(r"^https://(?:www\.)?vimeo\.com/(\d{4,12})"),
        "https://player.vimeo.com/video/{}?dnt=1",
    ),
]


def video_embed_url(url: str) -> str | None:
    for pattern, embed in VIDEO_URL_PATTERNS:
        match = pattern.match(url or "")
        if match:
            return embed.format(match.group(1))
    return None


class VideoBlock(blocks.StructBlock):
    """A YouTube or Vimeo video. Not Wagtail's EmbedBlock: that asks an oEmbed provider
    over the network when a page renders, and our servers make no outbound requests."""

    url = blocks.URLBlock(help_text="A YouTube or Vimeo address.")
    title = blocks.CharBlock(
        max_length=200, help_text="Shown to screen readers and as the link text."
    )
    transcript = blocks.TextBlock(required=False, help_text="A transcript helps everyone.")

    def clean(self, value):
        value = super().clean(value)
        if not video_embed_url(value.get("url", "")):
            raise blocks.StructBlockValidationError(
                block_errors={"url": ValidationError("Use a YouTube or Vimeo video address.")}
            )
        return value

    def get_context(self, value, parent_context=None):
        context = super().get_context(value, parent_context)
        context["embed_url"] = video_embed_url(value.get("url", ""))
        return context

    class Meta:
        icon = "media"
        template = "courses/blocks/video_block.html"


class CalloutBlock(blocks.StructBlock):
    kind = blocks.ChoiceBlock(
        choices=[("tip", "Tip"), ("warning", "Warning"), ("policy", "Policy")], default="tip"
    )
    title = blocks.CharBlock(max_length=120, required=False)
    text = blocks.RichTextBlock(features=LESSON_RICH_TEXT_FEATURES)

    class Meta:
        icon = "warning"
        template = "courses/blocks/callout_block.html"


class ExampleSideBlock(blocks.StructBlock):
    text = blocks.TextBlock(help_text="The example exactly as a trainer would write it.")
    commentary = blocks.TextBlock(help_text="Why it is good (or bad).")


class WorkedExampleBlock(blocks.StructBlock):
    """A task with a good and a bad answer side by side."""

    title = blocks.CharBlock(max_length=200)
    task = blocks.TextBlock(help_text="The item or prompt the trainer was given.")
    good = ExampleSideBlock(label="Good example")
    bad = ExampleSideBlock(label="Bad example")

    class Meta:
        icon = "doc-full"
        template = "courses/blocks/worked_example_block.html"


class LessonStreamBlock(blocks.StreamBlock):
    heading = HeadingBlock()
    paragraph = blocks.RichTextBlock(features=LESSON_RICH_TEXT_FEATURES, icon="pilcrow")
    image = CaptionedImageBlock()
    video = VideoBlock()
    callout = CalloutBlock()
    worked_example = WorkedExampleBlock()
