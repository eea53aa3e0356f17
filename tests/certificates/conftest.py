"""Fixtures for badge tests: a course with a badge design, a fellow who completed it, and
the independent Open Badges verifier installed once per session."""

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from certificates.signing.ob3 import credential as ob3
from tests.factories.certificates import BadgeDesignFactory
from tests.factories.courses import CourseCompletionFactory, CoursePageFactory
from tests.support.badges import issue_badge_now

from .ob3_support import SCHEMA_PATH, run_shared_verifier
from .verify_support import public_documents


@pytest.fixture
def course(site_root):
    return CoursePageFactory(
        parent=site_root,
        title="Foundations of AI Data Labeling",
        slug="foundations",
        summary="How expert trainers label data.",
        estimated_minutes=90,
    )


@pytest.fixture
def design(course):
    return BadgeDesignFactory(course=course, validity_days=365)


@pytest.fixture
def completion(fellow, course):
    return CourseCompletionFactory(user=fellow, course=course)


@pytest.fixture
def badge(design, completion, django_capture_on_commit_callbacks):
    """The completion's badge, issued, signed and rendered in-process."""
    return issue_badge_now(completion, django_capture_on_commit_callbacks)


REPO = Path(__file__).resolve().parents[2]
VERIFIER_SOURCE = Path(
    os.environ.get("CREDENCE_OB3_VERIFIER_DIR", REPO.parent / "shared" / "ob3" / "verifier")
)


@pytest.fixture(scope="session")
def verifier_dir(tmp_path_factory) -> Path:
    missing = [tool for tool in ("node", "npm") if shutil.which(tool) is None]
    if missing:
        pytest.skip(f"independent OB3 verifier needs {' and '.join(missing)} on PATH")
    if not (VERIFIER_SOURCE / "verify.mjs").is_file():
        pytest.skip(f"independent OB3 verifier not found at {VERIFIER_SOURCE}")
    target = tmp_path_factory.mktemp("ob3-verifier")
    shutil.copytree(VERIFIER_SOURCE, target, dirs_exist_ok=True)
    for path in [target, *target.rglob("*")]:
        path.chmod(path.stat().st_mode | 0o200)  # the shared copy is read-only
    result = subprocess.run(
        ["npm", "ci", "--no-audit", "--no-fund"],
        cwd=target,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, f"npm ci failed:\n{result.stdout}\n{result.stderr}"
    return target


@pytest.fixture
def verify_served(verifier_dir, tmp_path, client):
    """verify_served(credential) -> (exit code, verdict), against the documents served now."""

    def run(credential: dict) -> tuple[int, dict]:
        did_document, lists = public_documents(client)
        docs = {
            did_document["id"]: did_document,
            **lists,
            ob3.OB_SCHEMA_URL: json.loads(SCHEMA_PATH.read_text()),
        }
        code, verdict = run_shared_verifier(verifier_dir, tmp_path, credential, docs)
        checks = {check["id"]: check["ok"] for check in verdict["checks"]}
        # Whatever the status, the credential passes the 1EdTech schema and its proof.
        assert checks["dcc.schema_check"] is True, verdict["checks"]
        assert checks["dcc.valid_signature"] is True, verdict["checks"]
        return code, verdict

    return run
