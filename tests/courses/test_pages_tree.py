"""Page tree rules and creating courses and modules through the Wagtail admin."""

from django.contrib.auth import get_user_model
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice
from wagtail.models import Page
from wagtail.test.utils import WagtailPageTestCase
from wagtail.test.utils.form_data import nested_form_data, rich_text, streamfield

from courses.models import CourseIndexPage, CoursePage, ModulePage
from tests.factories.courses import make_catalogue


class PageTreeRulesTests(WagtailPageTestCase):
    def test_catalogue_sits_at_the_root_and_holds_only_courses(self):
        self.assertAllowedParentPageTypes(CourseIndexPage, {Page})
        self.assertAllowedSubpageTypes(CourseIndexPage, {CoursePage})

    def test_course_holds_only_modules(self):
        self.assertAllowedParentPageTypes(CoursePage, {CourseIndexPage})
        self.assertAllowedSubpageTypes(CoursePage, {ModulePage})

    def test_module_is_a_leaf_under_a_course(self):
        self.assertAllowedParentPageTypes(ModulePage, {CoursePage})
        self.assertAllowedSubpageTypes(ModulePage, set())

    def test_only_one_catalogue(self):
        self.assertEqual(CourseIndexPage.max_count, 1)


class AdminAuthoringTests(WagtailPageTestCase):
    """An OTP-verified editor builds a course and a module with the admin's own forms."""

    @classmethod
    def setUpTestData(cls):
        cls.index = make_catalogue()
        cls.editor = get_user_model().objects.create_superuser(
            email="editor@example.org", password="pw-not-used", display_name="Edith Editor"
        )
        cls.device = TOTPDevice.objects.create(user=cls.editor, name="phone", confirmed=True)

    def setUp(self):
        self.client.force_login(self.editor)
        session = self.client.session
        session[DEVICE_ID_SESSION_KEY] = self.device.persistent_id
        session.save()

    def test_editor_creates_a_course_then_a_module(self):
        self.assertCanCreate(
            self.index,
            CoursePage,
            nested_form_data(
                {
                    "title": "Foundations of AI Data Labeling",
                    "slug": "foundations",
                    "summary": "How expert trainers label data.",
                    "description": rich_text("<p>About the course.</p>"),
                    "learning_outcomes": streamfield([("outcome", "Rank two responses")]),
                    "level": "introductory",
                    "estimated_minutes": 90,
                }
            ),
        )
        # The default-locale page: the synchronised trees give every other language an alias.
        course = CoursePage.objects.get(slug="foundations", locale__language_code="en")
        self.assertEqual(course.get_parent().specific, self.index)
        self.assertEqual(
            CoursePage.objects.get(slug="foundations", locale__language_code="zh-hant").alias_of_id,
            course.pk,
        )

        self.assertCanCreate(
            course,
            ModulePage,
            nested_form_data(
                {
                    "title": "What AI trainers do",
                    "slug": "what-ai-trainers-do",
                    "summary": "The job, honestly.",
                    "estimated_minutes": 20,
                    "body": streamfield(
                        [
                            ("heading", {"text": "The job", "anchor": "the-job"}),
                            ("paragraph", rich_text("<p>Trainers write and judge.</p>")),
                        ]
                    ),
                    "quiz_questions": streamfield([]),
                    "pass_mark_percent": 80,
                    "cooldown_minutes": 0,
                    # The quiz tab's answer-reveal choice (courses 0004) is a required field.
                    "answer_reveal": "after_passing",
                    "shuffle_questions": "on",
                    "shuffle_choices": "on",
                }
            ),
        )
        module = ModulePage.objects.get(slug="what-ai-trainers-do", locale__language_code="en")
        self.assertEqual(module.get_parent().specific, course)
        self.assertEqual(module.body[0].value["anchor"], "the-job")

    def test_a_module_cannot_be_added_to_the_catalogue(self):
        url = f"/admin/pages/add/courses/modulepage/{self.index.pk}/"
        response = self.client.get(url)
        # Wagtail answers a forbidden page type by sending the editor back with a message.
        self.assertEqual(response.status_code, 302)
        self.assertNotIn("/add/", response["Location"])
        response = self.client.post(url, {"title": "Stray", "slug": "stray"})
        self.assertEqual(response.status_code, 302)
        self.assertFalse(ModulePage.objects.filter(slug="stray").exists())

    def test_module_with_javascript_link_is_cleaned_server_side(self):
        """docs/threats.md, row B6: a crafted POST cannot put a javascript: link or script on a
        page."""
        course = self.index.add_child(
            instance=CoursePage(title="C", slug="c", summary="s", estimated_minutes=10)
        )
        self.assertCanCreate(
            course,
            ModulePage,
            nested_form_data(
                {
                    "title": "Hostile",
                    "slug": "hostile",
                    "estimated_minutes": 5,
                    "body": streamfield(
                        [
                            (
                                "paragraph",
                                rich_text(
                                    '<p><a href="javascript:alert(1)">x</a>'
                                    "<script>alert(2)</script></p>"
                                ),
                            )
                        ]
                    ),
                    "quiz_questions": streamfield([]),
                    "pass_mark_percent": 80,
                    "cooldown_minutes": 0,
                    "answer_reveal": "after_passing",
                }
            ),
        )
        module = ModulePage.objects.get(slug="hostile", locale__language_code="en")
        stored = str(module.body.raw_data)
        self.assertNotIn("javascript:", stored)
        self.assertNotIn("<script", stored)
