"""Open Badges 3.0 credentials: Data Integrity signing, issuer keys, DID document, status lists.

Pure code: no models, no requests. certificates.signing.credentials wires it to issued
badges; certificates.public serves what it builds.
"""
