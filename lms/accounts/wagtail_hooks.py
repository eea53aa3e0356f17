"""Wagtail hooks of the accounts app: the admin's document library is staff-only, behind
the same second factor as the admin itself."""

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from wagtail import hooks

from .middleware import otp_step_redirect
from .otp_policy import ADMIN_PATH_PREFIXES, required_otp_step
from .second_factor import has_confirmed_device


@hooks.register("before_serve_document")
def documents_are_for_staff_only(document, request):
    """Serve documents from the admin's library only to people who may use the admin.

    Lessons cannot link documents (courses.blocks.LESSON_RICH_TEXT_FEATURES has no
    "document-link"), so nothing a fellow reads points at one, while /documents/<id>/ ids
    are sequential and anyone could walk them: an answer key or a list of fellows uploaded
    there would be public (docs/threats.md, row P6). Anonymous visitors are sent to log
    in; signed-in fellows get 403. The course team pass the same second factor as for the
    admin first.
    """
    user = request.user
    if not user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    if not user.is_course_team:
        raise PermissionDenied("Documents are for the course team only.")
    step = required_otp_step(
        user,
        ADMIN_PATH_PREFIXES[0],  # the library belongs to the admin: its rule applies
        otp_pending=False,
        has_device=lambda: has_confirmed_device(user),
    )
    return otp_step_redirect(request, step) if step else None
