"""Signing: the Open Badges 3.0 credential of a badge.

`ob3/` is pure standards code (Data Integrity proofs, keys, DID document, status lists;
no models, no requests); `credentials` wires it to issued badges and the issuer's key ring.
"""
