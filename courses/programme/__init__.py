"""Programme oversight: cohorts of fellows and the course team's reports.

`models` holds cohorts, `metrics` every reported number (computed by the database),
`csv_export` the streaming, formula-safe CSV writer, `cohort_upload` the CSV member
upload's plan and apply steps, `views`/`forms` the Wagtail admin's "Programme" area,
registered in `wagtail_hooks`.
"""
