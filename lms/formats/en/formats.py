"""English date formats: '7 December 2026', which no reader misreads as another day.

Django's own English formats ('Dec. 7, 2026') would give the badge page, the PDF and the
admin three ways of writing one date; every one of them uses these instead.
"""

DATE_FORMAT = "j F Y"
DATETIME_FORMAT = "j F Y, H:i"
TIME_FORMAT = "H:i"
