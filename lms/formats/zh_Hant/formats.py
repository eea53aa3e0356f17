"""Traditional Chinese date formats: '2026年12月7日', as Taiwan writes a day in prose.

The same on the badge page, the PDF, the e-mails and the admin, like English's formats.
"""

DATE_FORMAT = "Y年n月j日"
DATETIME_FORMAT = "Y年n月j日 H:i"
TIME_FORMAT = "H:i"
