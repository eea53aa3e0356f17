"""Open Badges 3.0 credentials: Data Integrity signing, issuer keys, DID document, status lists.

Pure code: no models, no requests. The lead wires it to issued badges and public views.
"""
