"""Issuing: every change to a badge's life, from a completion to a published PDF.

`issuance` holds the staff and system actions (issue, revoke, suspend, reinstate, reissue,
withdraw, award); `publishing` turns a pending badge into an issued one (claim, render,
store, finish); `status_publishing` makes each change visible to outside verifiers (status
lists, page caches); `snapshot` freezes the facts printed on a badge; `coverage` finds
completions with no badge; `notifications` e-mails the fellow.
"""
