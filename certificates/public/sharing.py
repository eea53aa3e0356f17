"""Links a fellow uses to share a badge (LinkedIn's add-to-profile form)."""

from __future__ import annotations

from datetime import date
from urllib.parse import urlencode

from certificates.conf import conf

LINKEDIN_ADD_TO_PROFILE = "https://www.linkedin.com/profile/add"


def linkedin_add_to_profile_url(snapshot: dict) -> str:
    issued = date.fromisoformat(snapshot["issued_on"])
    params = {
        "startTask": "CERTIFICATION_NAME",
        "name": snapshot["badge_title"],
        "issueYear": issued.year,
        "issueMonth": issued.month,
        "certUrl": snapshot["verify_url"],
        "certId": snapshot["public_id"],
    }
    organization_id = conf.CREDENCE_LINKEDIN_ORGANIZATION_ID
    if organization_id:
        params["organizationId"] = organization_id
    else:
        params["organizationName"] = snapshot["issuer_name"]
    if snapshot.get("expires_on"):
        expires = date.fromisoformat(snapshot["expires_on"])
        params["expirationYear"] = expires.year
        params["expirationMonth"] = expires.month
    return f"{LINKEDIN_ADD_TO_PROFILE}?{urlencode(params)}"
