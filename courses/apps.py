from django.apps import AppConfig


class CoursesConfig(AppConfig):
    name = "courses"
    verbose_name = "Courses"

    def ready(self) -> None:
        from django.db.models.signals import post_save

        from courses.models import CourseIndexPage

        # Course authors' page permissions hang on the catalogue page: a catalogue made
        # after migrating (the demo, or by hand) gets them as it is created.
        post_save.connect(
            grant_roles_on_new_catalogue, sender=CourseIndexPage, dispatch_uid="credence-roles"
        )
        # courses.translations remembers the default locale's id.
        from django.db.models.signals import post_delete
        from wagtail.models import Locale

        from courses.translations import forget_locales

        post_save.connect(forget_locales, sender=Locale, dispatch_uid="credence-locales-saved")
        post_delete.connect(forget_locales, sender=Locale, dispatch_uid="credence-locales-gone")


def grant_roles_on_new_catalogue(sender, instance, created, raw=False, **kwargs) -> None:
    if created and not raw:
        from lms.accounts.roles import ensure_roles

        ensure_roles()
