"""Issuing badges: the seam between a recorded course completion and a badge."""


def request_badge_for_completion(completion) -> None:
    """Called by courses.services inside the transaction that records a course completion.

    The badge-issuance work (pending badge row written in this same transaction, render
    queued on commit) hooks in here; until a course has a badge design there is nothing
    to issue.
    """
    return None
