"""Wagtail page types: the catalogue, courses and their modules."""

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Subquery
from django.db.models.functions import Coalesce
from django.http import Http404
from django.utils.translation import gettext_lazy as _
from modelcluster.fields import ParentalManyToManyField
from wagtail import blocks
from wagtail.admin.panels import FieldPanel, MultiFieldPanel, ObjectList, TabbedInterface
from wagtail.fields import RichTextField, StreamField
from wagtail.models import Page, PageViewRestriction
from wagtail.search import index
from wagtail.url_routing import RouteResult

from courses.blocks import LESSON_RICH_TEXT_FEATURES, LessonStreamBlock
from courses.quiz_blocks import QuizQuestionStreamBlock


class CourseIndexPage(Page):
    """The catalogue: the site's home page, listing every live course."""

    intro = RichTextField(blank=True, features=LESSON_RICH_TEXT_FEATURES)

    content_panels = [*Page.content_panels, FieldPanel("intro")]
    parent_page_types = ["wagtailcore.Page"]
    subpage_types = ["courses.CoursePage"]
    max_count = 1

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        context["courses"] = (
            CoursePage.objects.child_of(self).live().select_related("hero_image").order_by("path")
        )
        return context

    def route(self, request, path_components):
        # A module's URL is catalogue/course/module: found in one query by its URL path
        # (Wagtail keeps `url_path` current through renames and moves) instead of two
        # per level. Every other path is routed by Wagtail as usual.
        if len(path_components) == 2:
            from courses import progress_cache

            url_path = f"{self.url_path}{path_components[0]}/{path_components[1]}/"
            module = (
                ModulePage.objects.live()
                .filter(slug=path_components[1], url_path=url_path)
                # The gate's cache needs the course tree's version: read in the same query.
                .annotate(course_tree_version=progress_cache.tree_version_subquery())
                .first()
            )
            if module is None:
                raise Http404
            progress_cache.remember_tree_version(request, module.course_tree_version)
            return RouteResult(module)
        return super().route(request, path_components)

    class Meta:
        verbose_name = "course catalogue"


class CoursePage(Page):
    class Level(models.TextChoices):
        INTRODUCTORY = "introductory", _("Introductory")
        INTERMEDIATE = "intermediate", _("Intermediate")
        ADVANCED = "advanced", _("Advanced")

    summary = models.TextField(max_length=600, help_text="One or two sentences for the catalogue.")
    description = RichTextField(blank=True, features=LESSON_RICH_TEXT_FEATURES)
    learning_outcomes = StreamField(
        [("outcome", blocks.CharBlock(max_length=300, icon="tick"))],
        blank=True,
        help_text="What a fellow can do after the course, one per line.",
    )
    estimated_minutes = models.PositiveIntegerField(
        default=60,
        validators=[MinValueValidator(1), MaxValueValidator(10_000)],
        help_text="Estimated time to finish, in minutes.",
    )
    level = models.CharField(max_length=20, choices=Level.choices, default=Level.INTRODUCTORY)
    hero_image = models.ForeignKey(
        "wagtailimages.Image", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    prerequisites = ParentalManyToManyField(
        "courses.CoursePage",
        blank=True,
        symmetrical=False,
        related_name="required_by",
        help_text="Courses a fellow must complete before this one opens.",
    )

    content_panels = [
        *Page.content_panels,
        FieldPanel("summary"),
        FieldPanel("hero_image"),
        FieldPanel("description"),
        FieldPanel("learning_outcomes"),
        MultiFieldPanel(
            [FieldPanel("level"), FieldPanel("estimated_minutes"), FieldPanel("prerequisites")],
            heading="Level and requirements",
        ),
    ]
    search_fields = [
        *Page.search_fields,
        index.SearchField("summary"),
        index.SearchField("description"),
    ]
    parent_page_types = ["courses.CourseIndexPage"]
    subpage_types = ["courses.ModulePage"]

    def clean(self):
        super().clean()
        # `prerequisites` is a ParentalManyToManyField, readable before the page is saved.
        if self.pk and any(course.pk == self.pk for course in self.prerequisites.all()):
            raise ValidationError({"prerequisites": "A course cannot require itself."})

    @property
    def estimated_hours_display(self) -> str:
        hours, minutes = divmod(self.estimated_minutes, 60)
        if not hours:
            return _("%(minutes)d min") % {"minutes": minutes}
        if not minutes:
            return _("%(hours)d h") % {"hours": hours}
        return _("%(hours)d h %(minutes)d min") % {"hours": hours, "minutes": minutes}

    def get_modules(self):
        """Live modules in authored order. One query whatever their number."""
        return ModulePage.objects.child_of(self).live().order_by("path")

    def get_context(self, request, *args, **kwargs):
        from courses import gating

        context = super().get_context(request, *args, **kwargs)
        from certificates.holdings import renewals_for
        from courses import services, translations

        decision, inputs = gating.decide_course(request.user, self, request=request)
        context["untranslated_from"] = translations.untranslated_from(self)
        progress = gating.course_progress(inputs)
        # A badge a newer version asks its holder to renew (no query for anyone else).
        renewal = renewals_for(request.user, {inputs.course.id: inputs}).get(inputs.course.id)
        context.update(
            course_decision=decision,
            gate=inputs,
            progress=progress,
            renewal=renewal,
            # Each module's row, with the version that changed it when renewing.
            module_rows=[
                (row, renewal.version_of(row.module.id) if renewal else "")
                for row in progress.modules
            ],
            # The next step may be a quiz the fellow can no longer attempt: the page says
            # so (and the course team is told) instead of offering "Continue".
            stuck_module_ids=services.stuck_module_ids(request.user, [progress])
            if inputs.is_enrolled
            else frozenset(),
        )
        return context

    class Meta:
        verbose_name = "course"


class AnswerReveal(models.TextChoices):
    """When a fellow's result page names the right answers of the questions they missed."""

    NEVER = "never", "Never"
    AFTER_PASSING = "after_passing", "After the fellow passes"
    AFTER_LAST_ATTEMPT = "after_last_attempt", "After the fellow's last attempt (or a pass)"
    ALWAYS = "always", "Always, after every attempt"


class ModulePage(Page):
    """One module of a course: the lesson and, beside it in the admin, its quiz."""

    summary = models.CharField(max_length=300, blank=True)
    estimated_minutes = models.PositiveIntegerField(default=20)
    body = StreamField(LessonStreamBlock(), blank=True)
    is_free_to_open = models.BooleanField(
        default=False,
        help_text="Open this module without passing the previous one (for example a glossary).",
    )

    quiz_questions = StreamField(
        QuizQuestionStreamBlock(),
        blank=True,
        help_text="The question pool. Each attempt draws from it.",
    )
    pass_mark_percent = models.PositiveSmallIntegerField(
        default=80, validators=[MinValueValidator(1), MaxValueValidator(100)]
    )
    max_attempts = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        validators=[MinValueValidator(1)],
        help_text="Leave empty for unlimited attempts.",
    )
    cooldown_minutes = models.PositiveIntegerField(
        default=0, help_text="Wait between a failed attempt and the next one."
    )
    time_limit_minutes = models.PositiveIntegerField(
        null=True,
        blank=True,
        validators=[MinValueValidator(1)],
        help_text="Leave empty for no time limit. Enforced by the server.",
    )
    questions_per_attempt = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        validators=[MinValueValidator(1)],
        help_text="Draw this many questions from the pool per attempt. Empty: use all.",
    )
    shuffle_questions = models.BooleanField(default=True)
    shuffle_choices = models.BooleanField(default=True)
    answer_reveal = models.CharField(
        "show the right answers",
        max_length=20,
        choices=AnswerReveal.choices,
        default=AnswerReveal.AFTER_PASSING,
        help_text=(
            "When a result page may name the right answer of a missed question. Whatever"
            " you choose, fellows see their score, which questions they missed, each"
            " explanation and the sections to review, so explanations must not give the"
            " answer away. Showing answers before the last attempt lets fellows pass by"
            " retaking rather than learning."
        ),
    )

    content_panels = [
        *Page.content_panels,
        FieldPanel("summary"),
        FieldPanel("estimated_minutes"),
        FieldPanel("body"),
        FieldPanel("is_free_to_open"),
    ]
    quiz_panels = [
        FieldPanel("quiz_questions"),
        MultiFieldPanel(
            [
                FieldPanel("pass_mark_percent"),
                FieldPanel("max_attempts"),
                FieldPanel("cooldown_minutes"),
                FieldPanel("time_limit_minutes"),
                FieldPanel("questions_per_attempt"),
                FieldPanel("shuffle_questions"),
                FieldPanel("shuffle_choices"),
                FieldPanel("answer_reveal"),
            ],
            heading="Quiz settings",
        ),
    ]
    edit_handler = TabbedInterface(
        [
            ObjectList(content_panels, heading="Lesson"),
            ObjectList(quiz_panels, heading="Quiz"),
            ObjectList(Page.promote_panels, heading="Promote"),
            ObjectList(Page.settings_panels, heading="Settings"),
        ]
    )
    # The body is indexed, but courses.search runs the full-text query only among modules
    # the searcher may open; a locked module matches by its title and summary alone.
    search_fields = [*Page.search_fields, index.SearchField("summary"), index.SearchField("body")]
    parent_page_types = ["courses.CoursePage"]
    subpage_types: list[str] = []

    def clean(self):
        super().clean()
        pool = len(self.quiz_questions or [])
        if self.questions_per_attempt and pool and self.questions_per_attempt > pool:
            raise ValidationError({"questions_per_attempt": f"The pool has only {pool} questions."})

    @property
    def has_quiz(self) -> bool:
        return bool(self.quiz_questions)

    def get_view_restrictions(self):
        # Wagtail's rule (restrictions on this page or any ancestor, an alias answering
        # for its source page) in one query rather than two, on every module served.
        steps = range(self.steplen, len(self.path) + 1, self.steplen)
        pages = Page.objects.filter(path__in=[self.path[:end] for end in steps])
        sources = pages.annotate(source=Coalesce("alias_of_id", "id")).values("source")
        return PageViewRestriction.objects.filter(page_id__in=Subquery(sources))

    # Every way into a module goes through courses.gating; a locked module answers with
    # a helpful page (courses.locked.locked_response), never with its content.
    def serve(self, request, *args, **kwargs):
        from courses import gating
        from courses.locked import locked_response

        decision, _inputs = gating.decide_module(request.user, self, request=request)
        if not decision:
            return locked_response(request, decision, self)
        return super().serve(request, *args, **kwargs)

    def serve_preview(self, request, mode_name):
        # Editors preview anything they can edit; anyone else previewing (a shared or
        # leaked preview link) gets the same gate as the live page.
        from courses import gating
        from courses.locked import locked_response

        # A page being created has no pk yet; only the admin's create view (editors) gets here.
        if self.pk and not gating.is_editor_of(request.user, self):
            decision, _inputs = gating.decide_module(request.user, self, request=request)
            if not decision:
                return locked_response(request, decision, self)
        return super().serve_preview(request, mode_name)

    def get_context(self, request, *args, **kwargs):
        from courses import gating, services, translations

        context = super().get_context(request, *args, **kwargs)
        if not self.pk:  # an unsaved page in the editor's preview
            return context
        context["untranslated_from"] = translations.untranslated_from(self)
        decision, inputs = gating.decide_module(request.user, self, request=request)
        context["decision"] = decision
        context["gate"] = inputs
        if getattr(request.user, "is_authenticated", False) and self.pk:
            from certificates.holdings import renewals_for

            source = translations.source_page(self)
            context["quiz"] = services.quiz_state(
                request.user, self, edition=gating.edition_of(inputs, source.pk)
            )
            # A renewing fellow is told why this quiz is open again (no query for others).
            renewal = renewals_for(request.user, {inputs.course.id: inputs}).get(inputs.course.id)
            context["changed_in"] = renewal.version_of(source.pk) if renewal else ""
        return context

    class Meta:
        verbose_name = "module"
