"""What a badge's verification says: look up a public id, run the checks, reach one verdict.

One `Verdict` (a status code, a sentence, and the checks behind it, each with when it
ran) drives the public page, its JSON, the upload page and `manage.py verify_badge`.
A check that could not run has `passed=None`, and then the verdict is never "valid".
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field, fields
from datetime import UTC, datetime

from django.conf import settings
from django.db import InterfaceError, NotSupportedError, OperationalError, connections
from django.db.models import F
from django.utils import timezone, translation
from django.utils.dateformat import format as format_date
from django.utils.formats import get_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext

from certificates import lifecycle
from certificates.conf import conf
from certificates.dates import badge_day
from certificates.models import PUBLIC_ID_PATTERN, PUBLIC_ID_RE, Badge
from certificates.public.badge_version import VersionFacts, certified_version, version_facts
from certificates.signing.ob3 import credential as ob3
from certificates.signing.ob3.data_integrity import proofs_of

SIGNATURE = "signature"
ISSUER_KEY = "issuer_key"
NOT_EXPIRED = "not_expired"
NOT_REVOKED = "not_revoked"
MATCHES_RECORD = "matches_record"
PDF_UNALTERED = "pdf_unaltered"
_CHECK_LABELS = {
    SIGNATURE: gettext_lazy("Signature valid"),
    ISSUER_KEY: gettext_lazy("Issuer key known and not compromised"),
    NOT_EXPIRED: gettext_lazy("Not expired"),
    NOT_REVOKED: gettext_lazy("Not revoked or suspended"),
    MATCHES_RECORD: gettext_lazy("Matches the issuer's record"),
    PDF_UNALTERED: gettext_lazy("PDF unaltered"),
}
# Checks whose failure means the credential itself cannot be trusted.
_INTEGRITY_CHECKS = (SIGNATURE, ISSUER_KEY, MATCHES_RECORD, NOT_REVOKED)


@dataclass(frozen=True)
class BadgeStatus:
    code: str  # valid, expired, revoked, suspended, superseded, out_of_date, preparing, withdrawn
    label: str
    is_valid: bool
    since: datetime | None = None
    detail: str = ""


@dataclass(frozen=True)
class Check:
    name: str
    passed: bool | None  # None: the check could not run
    detail: str
    checked_at: datetime

    @property
    def label(self) -> str:
        return str(_CHECK_LABELS.get(self.name, self.name))

    @property
    def checked_at_iso(self) -> str:
        """For <time datetime>: what the template filter `date:'c'` gave."""
        return _local_time(self.checked_at, "c", *_locale())

    @property
    def checked_at_display(self) -> str:
        """For people, in the site's date format, e.g. '1 March 2025, 14:05 UTC'."""
        return _local_time(self.checked_at, get_format("DATETIME_FORMAT") + " T", *_locale())

    def as_dict(self) -> dict:
        return {
            "name": self.name,
            "label": self.label,
            "passed": self.passed,
            "detail": self.detail,
            "checked_at": _iso(self.checked_at),
        }


@dataclass(frozen=True)
class Verdict:
    # valid, expired, revoked, suspended, superseded, out_of_date, preparing, invalid,
    # altered, unverified (a check could not run), unknown (not a badge of ours),
    # withdrawn (the holder erased their account)
    code: str
    label: str
    summary: str
    checks: tuple[Check, ...] = ()
    since: datetime | None = None
    detail: str = ""
    badge: Badge | PublicBadge | None = field(default=None, compare=False)

    @property
    def is_valid(self) -> bool:
        return self.code == "valid"

    @property
    def superseded_by(self) -> str | None:
        """Public id of the badge that replaces this one, if any."""
        return superseded_public_id(self.badge) if self.badge is not None else None

    @property
    def renewed_as(self) -> str | None:
        """The course version the replacement certifies, when the badge was superseded by
        a renewal (a re-issue certifies the same version); None otherwise."""
        if self.code != lifecycle.SUPERSEDED or self.badge is None:
            return None
        replacement = getattr(self.badge, "replacement_version_number", None)
        if replacement and replacement != certified_version(self.badge):
            return replacement
        return None

    @property
    def version(self) -> VersionFacts | None:
        """Which course version the badge certifies, and the course's current one."""
        return version_facts(self.badge) if self.badge is not None else None

    def as_dict(self) -> dict:
        """The public JSON: the verdict, its checks and what the PDF prints; nothing else."""
        data: dict = {
            "status": self.code,
            "label": self.label,
            "summary": self.summary,
            "valid": self.is_valid,
            "since": _iso(self.since) if self.since else None,
            "detail": self.detail,
            "checks": [check.as_dict() for check in self.checks],
            "badge": None,
        }
        if self.badge is not None:
            data["badge"] = public_badge_facts(self.badge)
        return data


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _locale() -> tuple[str, str | None]:
    return timezone.get_current_timezone_name(), translation.get_language()


@functools.lru_cache(maxsize=64)
def _local_time(moment: datetime, pattern: str, zone_name: str, language: str | None) -> str:
    # Most checks of one verdict share their `now`: each moment is formatted once (the
    # date filter in the template was a third of the verdict's rendering). The zone and
    # the language (month names) are part of the key.
    return format_date(timezone.localtime(moment), pattern)


def _day(moment: datetime | None) -> str:
    return badge_day(moment)


def badge_url(public_id: str) -> str:
    return f"{settings.SITE_URL}/badges/{public_id}/"


def public_badge_facts(badge: Badge | PublicBadge) -> dict:
    """What anyone may read about a badge: what its PDF prints (docs/threats.md, row P1)."""
    snap = badge.snapshot
    has_credential = bool(badge.credential) and not badge.is_preparing
    facts = {
        "id": badge.public_id,
        "url": badge_url(badge.public_id),
        "recipient_name": snap.get("recipient_name"),
        "badge_title": snap.get("badge_title"),
        "course_title": snap.get("course_title"),
        "issued_on": snap.get("issued_on"),
        "expires_on": snap.get("expires_on"),
        "score_percent": snap.get("score_percent"),
        "issuer_name": snap.get("issuer_name"),
        "signatory": snap.get("signatory_name") or None,
        "pdf_url": badge_url(badge.public_id) + "badge.pdf"
        if badge.pdf and not badge.is_preparing
        else None,
        "credential_url": badge_url(badge.public_id) + "credential.json"
        if has_credential
        else None,
        "superseded_by": badge_url(superseded_public_id(badge)) if badge.superseded_by_id else None,
        "version": version_facts(badge).as_dict(),
    }
    return facts


# --- lookups ------------------------------------------------------------------------


def find_badge(public_id: str) -> Badge | None:
    """The badge with this public id, or None. Malformed ids cost no query; a known one
    costs one (the replacement, if any, is joined in)."""
    if not isinstance(public_id, str) or not PUBLIC_ID_RE.match(public_id):
        return None
    # One query: the replacement's public id is joined in as one column (not a second
    # badge row), and no ORDER BY (public_id is unique); the ORM's compile time dominates
    # this lookup, so it stays small.
    found = list(
        Badge.objects.filter(public_id=public_id).annotate(**_joined_columns()).order_by()[:1]
    )
    return found[0] if found else None


def _joined_columns() -> dict:
    """The columns a verdict reads from other rows: the replacement's public id and the
    version it certifies, and the certified and the current course version."""
    from django.db.models import OuterRef, Subquery

    from courses.models import CourseVersion

    latest = CourseVersion.objects.filter(course=OuterRef("course_id")).order_by("-sequence")
    return {
        "superseded_public_id": F("superseded_by__public_id"),
        "version_number": F("course_version__number"),
        "version_sequence": F("course_version__sequence"),
        "current_version_number": Subquery(latest.values("number")[:1]),
        "current_version_sequence": Subquery(latest.values("sequence")[:1]),
        "replacement_version_number": F("superseded_by__course_version__number"),
    }


@dataclass(frozen=True, slots=True)
class PublicBadge:
    """The columns of a badge that its public page and JSON read, and nothing else.

    `find_public_badge` returns this instead of a `Badge`: building the model instance
    (all ~35 fields, plus the model-init signals) was much of a lookup's cost
    (bench/bench_verify.py). The verdict code reads both alike.
    """

    public_id: str
    state: str
    snapshot: dict
    credential: dict | None
    credential_sha256: str
    credential_verified_at: datetime | None
    issued_at: datetime | None
    expires_at: datetime | None
    suspended_at: datetime | None
    revoked_at: datetime | None
    revocation_reason: str
    pdf: str  # the stored file's name; empty when there is no PDF yet
    recipient_id: int | None
    superseded_by_id: int | None
    superseded_public_id: str | None
    withdrawn_at: datetime | None
    out_of_date_at: datetime | None
    renew_by: datetime | None
    # The course version the badge certifies and the course's latest, by name and order
    # (joined in; None when the course has no recorded version).
    version_number: str | None
    version_sequence: int | None
    current_version_number: str | None
    current_version_sequence: int | None
    # The version the replacement certifies: a later one when the badge was renewed.
    replacement_version_number: str | None

    @property
    def is_preparing(self) -> bool:
        return self.state in Badge.PREPARING_STATES


_PUBLIC_BADGE_COLUMNS = tuple(f.name for f in fields(PublicBadge))


# The lookup as plain SQL on PostgreSQL, through Django's documented cursor API: building
# and compiling the equivalent queryset on every request cost more CPU than the rest of
# the JSON verdict (bench/bench_verify.py; docs/decisions/0005). The columns are
# PublicBadge's, in its order; a test compares the result with the model's.
_LOOKUP_SQL = """
SELECT b.public_id, b.state, b.snapshot, b.credential, b.credential_sha256,
       b.credential_verified_at, b.issued_at, b.expires_at, b.suspended_at, b.revoked_at,
       b.revocation_reason, b.pdf, b.recipient_id, b.superseded_by_id, s.public_id,
       b.withdrawn_at, b.out_of_date_at, b.renew_by, v.number, v.sequence,
       c.number, c.sequence, r.number
FROM certificates_badge b
LEFT OUTER JOIN certificates_badge s ON s.id = b.superseded_by_id
LEFT OUTER JOIN courses_courseversion v ON v.id = b.course_version_id
LEFT OUTER JOIN courses_courseversion r ON r.id = s.course_version_id
LEFT OUTER JOIN LATERAL (
    SELECT number, sequence FROM courses_courseversion
    WHERE course_id = b.course_id ORDER BY sequence DESC LIMIT 1
) c ON TRUE
WHERE b.public_id = %s
LIMIT 1
"""
_JSON_COLUMNS = (2, 3)  # snapshot, credential: Django's psycopg setup returns jsonb as text


def public_read_alias() -> str:
    """The DATABASES alias the public lookup runs on (CREDENCE_PUBLIC_READ_DATABASE)."""
    alias = conf.CREDENCE_PUBLIC_READ_DATABASE
    if alias:
        return alias
    return "public_read" if "public_read" in settings.DATABASES else "default"


def find_public_badge(public_id: str, *, using: str | None = None) -> PublicBadge | None:
    """What the public page and JSON need of the badge with this public id, or None.
    Malformed ids cost no query; a known or unknown well-formed one costs one.

    On PostgreSQL it runs on its own connection (`public_read_alias`), which has no
    health check before each request's first query: a connection the database dropped
    fails the lookup, which then runs once more on a new connection."""
    if not isinstance(public_id, str) or not PUBLIC_ID_RE.match(public_id):
        return None
    connection = connections[using or public_read_alias()]
    if connection.vendor != "postgresql":
        # Other databases (SQLite in development) through the ORM, which converts their
        # column values: the columns only, the replacement's public id joined in.
        rows = list(
            Badge.objects.using(connection.alias)
            .filter(public_id=public_id)
            .annotate(**_joined_columns())
            .values_list(*_PUBLIC_BADGE_COLUMNS)
            .order_by()[:1]
        )
        return PublicBadge(*rows[0]) if rows else None
    try:
        row = _lookup_row(connection, public_id)
    except (OperationalError, InterfaceError, NotSupportedError):
        if connection.in_atomic_block:
            raise  # inside a transaction a new connection would not be the same one
        # Dropped since its last use, or (NotSupportedError: "cached plan must not change
        # result type") a deploy changed the table under the statement this connection
        # prepared: one retry on a new connection.
        connection.close()
        row = _lookup_row(connection, public_id)
    if row is None:
        return None
    values = list(row)
    for index in _JSON_COLUMNS:
        if values[index] is not None:
            values[index] = json.loads(values[index])
    return PublicBadge(*values)


def _lookup_row(connection, public_id: str) -> tuple | None:
    with connection.cursor() as cursor:
        cursor.execute(_LOOKUP_SQL, [public_id])
        return cursor.fetchone()


def superseded_public_id(badge: Badge | PublicBadge) -> str | None:
    if not badge.superseded_by_id:
        return None
    if hasattr(badge, "superseded_public_id"):
        return badge.superseded_public_id
    return badge.superseded_by.public_id


def public_id_from_credential_id(credential_id: object) -> str | None:
    """Our credentials are identified by their badge page URL; anything else is not ours."""
    if not isinstance(credential_id, str):
        return None
    match = re.fullmatch(
        re.escape(settings.SITE_URL) + rf"/badges/({PUBLIC_ID_PATTERN})/", credential_id
    )
    return match.group(1) if match else None


def badge_status(badge: Badge, *, now: datetime | None = None) -> BadgeStatus:
    """The badge's lifecycle status from its row alone (the fellow's own badge list)."""
    stage = lifecycle.stage_of(badge, now)
    if stage.code == lifecycle.PREPARING and badge.render_gave_up:
        detail = str(lifecycle.RENDER_GAVE_UP_DETAIL)
    else:
        detail = _words(stage.list_detail or stage.detail, badge, stage)
    return BadgeStatus(stage.code, str(stage.label), stage.valid, _since(badge, stage), detail)


def _since(badge: Badge | PublicBadge, stage: lifecycle.Stage) -> datetime | None:
    return getattr(badge, stage.since) if stage.since else None


class _Fill(dict):
    """The values a stage's wording names, each worked out only if it is named."""

    def __init__(self, badge: Badge | PublicBadge, stage: lifecycle.Stage) -> None:
        super().__init__()
        self.badge, self.stage = badge, stage

    def __missing__(self, name: str) -> str:
        badge = self.badge
        if name == "since":
            return _day(_since(badge, self.stage))
        if name == "reason":
            return badge.revocation_reason
        if name == "in_brackets":
            if not badge.revocation_reason:
                return ""
            return _(" (%(reason)s)") % {"reason": badge.revocation_reason}
        if name == "issuer":
            return badge.snapshot.get("issuer_name", "")
        if name == "version":
            return certified_version(badge) or "?"
        raise KeyError(name)


def _could_not_check(reason: str | None) -> str:
    return _("Could not check: %(reason)s.") % {"reason": reason}


def _words(template: str, badge: Badge | PublicBadge, stage: lifecycle.Stage) -> str:
    """A stage's wording (see certificates.lifecycle) filled in for this badge."""
    return str(template).format_map(_Fill(badge, stage))


# --- checks --------------------------------------------------------------------------


def _issuer_state():
    """(IssuerKeys, None) or (None, reason) when the keys cannot be read."""
    from certificates.signing.credentials import CredentialUnavailable, issuer_keys

    try:
        return issuer_keys(), None
    except CredentialUnavailable as error:
        return None, _("the issuer's keys could not be read (%(error)s)") % {"error": error}


def _key_check(credential: dict, loaded, reason: str | None, now: datetime) -> Check:
    if loaded is None:
        return Check(ISSUER_KEY, None, _could_not_check(reason), now)
    key_id = ob3.signing_key_id(credential)
    if not key_id:
        return Check(ISSUER_KEY, False, _("The credential names no signing key."), now)
    method_id = f"{loaded.did}#{key_id}"
    methods = {m["id"]: m for m in loaded.did_document["verificationMethod"]}
    method = methods.get(method_id)
    if method is None:
        return Check(
            ISSUER_KEY,
            False,
            _("Key %(key)s is not one of the issuer's keys.") % {"key": key_id},
            now,
        )
    if method.get("revoked") or method_id not in loaded.did_document["assertionMethod"]:
        return Check(
            ISSUER_KEY,
            False,
            _(
                "Key %(key)s was marked compromised on %(day)s; badges it signed are being "
                "re-issued."
            )
            % {"key": key_id, "day": method.get("revoked", "?")[:10]},
            now,
        )
    return Check(
        ISSUER_KEY,
        True,
        _("Signed by %(key)s, published in the issuer's DID.") % {"key": key_id},
        now,
    )


def _signature_check(
    badge: Badge | PublicBadge, loaded, reason: str | None, now: datetime
) -> Check:
    from certificates.signing.credentials import credential_digest

    credential = badge.credential
    if not credential:
        return Check(SIGNATURE, None, _("No signed credential is on record for this badge."), now)
    if (
        badge.credential_sha256
        and badge.credential_verified_at
        and credential_digest(credential) == badge.credential_sha256
    ):
        # The proof was verified over exactly these bytes when they were signed; the
        # hash comparison (just now) shows nothing changed since.
        return Check(
            SIGNATURE,
            True,
            _("eddsa-rdfc-2022 proof verified; the stored credential is unchanged since."),
            badge.credential_verified_at,
        )
    if loaded is None:
        return Check(SIGNATURE, None, _could_not_check(reason), now)
    results = ob3.verify_credential(
        credential, did_document=loaded.did_document, status_lists={}, now=now
    )
    proof = next(r for r in results if r.name == "proof")
    return Check(SIGNATURE, proof.ok, proof.detail or _("eddsa-rdfc-2022 proof verified."), now)


def _expiry_check(expires_at: datetime | None, now: datetime) -> Check:
    if expires_at and expires_at <= now:
        return Check(NOT_EXPIRED, False, _("Expired on %(day)s.") % {"day": _day(expires_at)}, now)
    if expires_at:
        return Check(NOT_EXPIRED, True, _("Valid until %(day)s.") % {"day": _day(expires_at)}, now)
    return Check(NOT_EXPIRED, True, _("This badge does not expire."), now)


def _lifecycle_check(badge: Badge | PublicBadge, now: datetime) -> Check:
    stage = lifecycle.stage_of(badge, now)
    if stage.record_check is None:
        return Check(NOT_REVOKED, True, str(lifecycle.RECORD_CLEAR), now)
    return Check(NOT_REVOKED, False, _words(stage.record_check, badge, stage), now)


def badge_checks(badge: Badge | PublicBadge, *, now: datetime | None = None) -> list[Check]:
    """The checks behind a badge's public verdict, from its row and the issuer's keys."""
    now = now or timezone.now()
    loaded, reason = _issuer_state()
    checks = [_signature_check(badge, loaded, reason, now)]
    if badge.credential:
        checks.append(_key_check(badge.credential, loaded, reason, now))
    else:
        checks.append(Check(ISSUER_KEY, None, _("No signed credential to check."), now))
    checks += [_expiry_check(badge.expires_at, now), _lifecycle_check(badge, now)]
    return checks


# --- the verdict ----------------------------------------------------------------------


def _not_valid(
    failed: list[Check], checks: tuple[Check, ...], badge: Badge | PublicBadge | None = None
) -> Verdict:
    """'Not valid', naming the checks that failed."""
    # Translators: joins the failed checks of "Not valid: ... failed; ... failed".
    failures = pgettext("list of checks", "; ").join(
        _("%(check)s failed") % {"check": c.label.lower()} for c in failed
    )
    return Verdict(
        "invalid",
        _("Not valid"),
        _("Not valid: %(failures)s") % {"failures": failures},
        checks,
        detail=" ".join(c.detail for c in failed),
        badge=badge,
    )


def _stage_verdict(
    stage: lifecycle.Stage,
    badge: Badge | PublicBadge,
    checks: tuple[Check, ...],
    shown: Badge | PublicBadge | None,
) -> Verdict:
    """The verdict a lifecycle stage gives, in its own words (certificates.lifecycle)."""
    return Verdict(
        stage.code,
        str(stage.label),
        _words(stage.summary, badge, stage),
        checks,
        since=_since(badge, stage),
        detail=_words(stage.detail, badge, stage),
        badge=shown,
    )


def decide(badge: Badge | PublicBadge | None, checks: Iterable[Check], *, now: datetime) -> Verdict:
    """One verdict from a badge's lifecycle and the checks; see the module docstring."""
    checks = tuple(checks)
    by_name = {check.name: check for check in checks}
    if badge is None:
        return Verdict(
            "unknown",
            _("Not recognised"),
            _("This is not a badge issued here, or its record could not be found."),
            checks,
        )
    stage = lifecycle.recorded_stage(badge)
    if stage.code == lifecycle.WITHDRAWN:
        # Nothing about the badge is shown: what it printed left with the holder's
        # account, and a PDF of it can no longer be matched against our record. A
        # presented credential whose proof fails is still called what it is: a forgery
        # must not borrow a real badge's history.
        forged = [c for c in checks if c.name in (SIGNATURE, ISSUER_KEY) and c.passed is False]
        if forged:
            return _not_valid(forged, tuple(forged))
        return _stage_verdict(stage, badge, (), None)
    pdf = by_name.get(PDF_UNALTERED)
    if pdf is not None and pdf.passed is False:
        return Verdict(
            "altered",
            _("Altered"),
            _("Altered: this PDF is not the one we issued. See the badge's page for the record."),
            checks,
            badge=badge,
        )
    # A deadline passed before the job marked the badge: out of date already.
    if stage.code == lifecycle.VALID and lifecycle.renewal_lapsed(badge, now):
        stage = lifecycle.STAGES[lifecycle.OUT_OF_DATE]
    # Being prepared, revoked, superseded, suspended or out of date: the record decides,
    # whatever the checks say.
    if stage.code != lifecycle.VALID:
        return _stage_verdict(stage, badge, checks, badge)
    failed = [c for c in checks if c.name in _INTEGRITY_CHECKS and c.passed is False]
    if failed:
        return _not_valid(failed, checks, badge)
    expiry = by_name.get(NOT_EXPIRED)
    if expiry is not None and expiry.passed is False:
        return _stage_verdict(lifecycle.STAGES[lifecycle.EXPIRED], badge, checks, badge)
    unrun = [c for c in checks if c.passed is None]
    if unrun or not checks:
        return Verdict(
            "unverified",
            _("Could not be verified"),
            _("Could not be verified right now: %(checks)s could not be checked.")
            % {"checks": pgettext("list of checks", "; ").join(c.label.lower() for c in unrun)},
            checks,
            detail=" ".join(c.detail for c in unrun),
            badge=badge,
        )
    return _stage_verdict(stage, badge, checks, badge)


# --- for people who are not verifiers ----------------------------------------------


def in_plain_words(verdict: Verdict) -> str:
    """The verdict as one sentence an employer reads first, e.g. "Valid: this badge was
    issued to Ada Lovelace for completing Foundations on 7 December 2026." No technical
    terms: the checks behind it are for those who ask (`technical_facts`)."""
    badge = verdict.badge
    if badge is None or verdict.code in ("withdrawn", "invalid", "altered", "unverified"):
        return verdict.summary
    snap = badge.snapshot
    # Translators: the middle of the sentences below ("this badge was ...").
    earned = _("issued to %(name)s for completing %(course)s on %(day)s") % {
        "name": snap.get("recipient_name", ""),
        "course": snap.get("course_title", ""),
        "day": badge_day(snap.get("issued_on")),
    }
    issuer = snap.get("issuer_name") or _("The issuer")
    if verdict.code == "valid":
        until = snap.get("expires_on")
        if until:
            return _("Valid: this badge was %(earned)s, and is valid until %(day)s.") % {
                "earned": earned,
                "day": badge_day(until),
            }
        return _("Valid: this badge was %(earned)s.") % {"earned": earned}
    if verdict.code == "expired":
        return _("Expired: this badge was %(earned)s, and expired on %(day)s.") % {
            "earned": earned,
            "day": _day(badge.expires_at),
        }
    if verdict.code == "revoked":
        facts = {"issuer": issuer, "day": _day(badge.revoked_at), "earned": earned}
        if badge.revocation_reason:
            return _(
                "Not valid: %(issuer)s revoked this badge on %(day)s (%(reason)s). "
                "It was %(earned)s."
            ) % {**facts, "reason": badge.revocation_reason}
        return _("Not valid: %(issuer)s revoked this badge on %(day)s. It was %(earned)s.") % facts
    if verdict.code == "suspended":
        return _(
            "Not valid for now: %(issuer)s suspended this badge on %(day)s. It was %(earned)s."
        ) % {"issuer": issuer, "day": _day(badge.suspended_at), "earned": earned}
    if verdict.code == "superseded":
        if verdict.renewed_as:
            return _(
                "Renewed: its holder renewed this badge for version %(version)s of the "
                "course, and a newer badge replaces it. This one was %(earned)s."
            ) % {"version": verdict.renewed_as, "earned": earned}
        return _("Replaced: a newer badge replaces this one, which was %(earned)s.") % {
            "earned": earned
        }
    if verdict.code == "out_of_date":
        return _(
            "Out of date: this badge was %(earned)s; it certifies version %(version)s, and "
            "the course has changed since."
        ) % {"earned": earned, "version": certified_version(badge) or "?"}
    if verdict.code == "preparing":
        return _("Being prepared: this badge was earned by %(name)s.") % {
            "name": snap.get("recipient_name", "")
        }
    return verdict.summary


def technical_facts(credential: dict | None) -> dict:
    """What a technical reader checks by hand: the proof type, the issuer's DID, the
    signing key and the status lists the credential names (empty without a credential)."""
    if not isinstance(credential, dict):
        return {}
    proofs = [p for p in proofs_of(credential) if isinstance(p, dict)]
    issuer = credential.get("issuer")
    statuses = credential.get("credentialStatus", [])
    statuses = statuses if isinstance(statuses, list) else [statuses]
    return {
        "proof_type": ", ".join(
            str(p.get("cryptosuite") or p.get("type", "")) for p in proofs if p
        ),
        "issuer_did": issuer.get("id", "") if isinstance(issuer, dict) else str(issuer or ""),
        "key_id": next((str(p.get("verificationMethod", "")) for p in proofs), ""),
        "status_lists": [
            {
                "purpose": entry.get("statusPurpose", ""),
                "url": entry.get("statusListCredential", ""),
            }
            for entry in statuses
            if isinstance(entry, dict)
        ],
    }


def verify_badge(badge: Badge | PublicBadge, *, now: datetime | None = None) -> Verdict:
    """The public verdict for a badge on our record."""
    now = now or timezone.now()
    if badge.state in Badge.PREPARING_STATES or badge.withdrawn_at:
        return decide(badge, (), now=now)
    return decide(badge, badge_checks(badge, now=now), now=now)


def verify_presented_credential(
    credential: object, *, pdf_bytes: bytes | None = None, now: datetime | None = None
) -> Verdict:
    """Verify a credential someone presents (uploaded JSON, or extracted from an uploaded
    PDF whose bytes are `pdf_bytes`): its proof and status against our published keys and
    lists, our record of the badge, and for a PDF, that it is the one we issued."""
    from certificates.issuing.status_publishing import status_lists_by_url
    from certificates.signing.credentials import credential_digest

    now = now or timezone.now()
    if not isinstance(credential, dict):
        return decide(None, (), now=now)
    badge = None
    public_id = public_id_from_credential_id(credential.get("id"))
    if public_id:
        badge = find_badge(public_id)
    loaded, reason = _issuer_state()
    if badge is None:
        return decide(None, (), now=now)
    checks: list[Check] = []
    if loaded is None:
        checks += [
            Check(SIGNATURE, None, _could_not_check(reason), now),
            Check(ISSUER_KEY, None, _could_not_check(reason), now),
        ]
        status_results = []
    else:
        results = ob3.verify_credential(
            credential,
            did_document=loaded.did_document,
            status_lists=status_lists_by_url(),
            now=now,
        )
        by_name = {r.name: r for r in results}
        proof = by_name["proof"]
        checks.append(
            Check(SIGNATURE, proof.ok, proof.detail or _("eddsa-rdfc-2022 proof verified."), now)
        )
        if proof.ok:
            checks.append(_key_check(credential, loaded, reason, now))
        else:
            key = by_name["issuer_key"]
            checks.append(Check(ISSUER_KEY, key.ok, key.detail or _("Issuer key known."), now))
        status_results = [r for r in results if r.name in ("revocation", "suspension", "status")]
    same = bool(badge.credential) and credential_digest(credential) == badge.credential_sha256
    checks.append(
        Check(
            MATCHES_RECORD,
            same,
            _("Identical to the credential on the issuer's record.")
            if same
            else _("Differs from the credential on the issuer's record for this badge."),
            now,
        )
    )
    checks.append(_expiry_check(badge.expires_at, now))
    lifecycle = _lifecycle_check(badge, now)
    listed = [r for r in status_results if not r.ok]
    if lifecycle.passed and listed:
        lifecycle = Check(NOT_REVOKED, False, "; ".join(r.detail for r in listed), now)
    elif lifecycle.passed and status_results:
        lifecycle = Check(
            NOT_REVOKED, True, _("Not revoked on the issuer's signed status list or record."), now
        )
    checks.append(lifecycle)
    if pdf_bytes is not None:
        checks.append(_pdf_check(badge, pdf_bytes, now))
    return decide(badge, checks, now=now)


def _pdf_check(badge: Badge, pdf_bytes: bytes, now: datetime) -> Check:
    import hashlib

    digest = hashlib.sha256(pdf_bytes).hexdigest()
    issued = {badge.pdf_sha256, *(badge.earlier_pdf_sha256 or [])} - {""}
    if digest in issued:
        return Check(
            PDF_UNALTERED, True, _("Genuine and unaltered: byte for byte the PDF we issued."), now
        )
    return Check(
        PDF_UNALTERED,
        False,
        _(
            "Altered: this file differs from every PDF issued for this badge "
            "(its name, course, dates or other content may have been edited)."
        ),
        now,
    )
