"""The public site: what anyone (an employer, a verifier) can read without an account.

`views` serves badge pages, the JSON verdict, downloads, status lists, the DID document and
the upload check; `verification` reaches a badge's verdict and `pdf_verification` the
verdict of an uploaded file; `ratelimit`, `upload_slots`, `status_version`, `local_pages`
and `middleware` keep that path fast and bounded; `achievements` and `sharing` serve the
pages and links around a badge.
"""
