"""The demo curriculum as data: two courses whose modules hold lessons and quiz pools.

``COURSES`` is in load order (a course comes after the courses it requires). The
loader in ``courses.demo.loader`` turns it into published Wagtail pages.
"""

from courses.demo.ethics import COURSE as ETHICS
from courses.demo.foundations import COURSE as FOUNDATIONS

INDEX_INTRO = (
    "<p>Credence trains graduate experts to teach and test AI models in their own field."
    " Start with <b>Foundations of AI Data Labeling</b>; <b>AI Ethics for AI Trainers</b>"
    " opens once you have passed it. Each module ends with a short quiz, and passing a"
    " whole course earns a badge that anyone can verify.</p>"
)

COURSES = [FOUNDATIONS, ETHICS]
