"""Receivers that keep the cached progress and course structure honest (courses.progress_cache).

They only delegate. Signals rather than calls in the services because every way of
writing these rows must move the version, including the admin, erasure, Wagtail's own
publish, unpublish, move and delete actions, and factories in tests.
"""

from wagtail.models import Page

from courses import progress_cache


def fellow_progress_row_changed(sender, instance, raw=False, **kwargs) -> None:
    """An enrolment, module pass or course completion was saved or deleted."""
    if not raw:
        progress_cache.fellow_progress_changed(instance.user_id)


def page_changed(sender, instance, raw=False, **kwargs) -> None:
    """Any Wagtail page saved or deleted (saves come with publishing, unpublishing and
    drafts; the generic Page class is a sender too, so the check is on the instance)."""
    if not raw and isinstance(instance, Page):
        progress_cache.course_tree_changed()


def page_moved(sender, **kwargs) -> None:
    progress_cache.course_tree_changed()


def connect() -> None:
    from django.db.models.signals import post_delete, post_save
    from wagtail.signals import post_page_move

    from courses.models import CourseCompletion, Enrolment, ModulePass

    for model in (Enrolment, ModulePass, CourseCompletion):
        for signal in (post_save, post_delete):
            signal.connect(
                fellow_progress_row_changed,
                sender=model,
                dispatch_uid=f"credence-progress-{model.__name__}-{id(signal)}",
            )
    post_save.connect(page_changed, dispatch_uid="credence-tree-save")
    post_delete.connect(page_changed, dispatch_uid="credence-tree-delete")
    post_page_move.connect(page_moved, dispatch_uid="credence-tree-move")
