"""Comments and tests cite rows of the threat model as "docs/threats.md, row B7" (or
"rows C3-C6", "rows F4/F5", "rows B7, L2"): every cited row must exist there, and the
threat model's "Tested by" column must name tests that exist."""

import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
THREATS = REPO / "docs" / "threats.md"
CODE_DIRS = ("certificates", "courses", "lms", "bench", "tests", "templates")
ROW_ID = re.compile(r"\b([ABCFGLP])(\d+)\b")
# A citation and the list that follows it, up to the end of the sentence or bracket.
CITATION = re.compile(r"docs/threats\.md, rows? ([^.;:)\n]*(?:\n[^.;:)\n]*)?)")


def _rows() -> set[str]:
    return set(re.findall(r"^\| ([A-Z]\d+) \|", THREATS.read_text(), re.MULTILINE))


def _cited_rows() -> dict[str, str]:
    """Each cited row id, with one place that cites it."""
    cited = {}
    for folder in CODE_DIRS:
        for path in (REPO / folder).rglob("*"):
            if path.suffix not in {".py", ".html", ".txt"} or path == Path(__file__):
                continue
            for match in CITATION.finditer(path.read_text()):
                listed = match.group(1)
                # "C3-C6" cites C3, C4, C5 and C6.
                for first, last in re.findall(r"\b([A-Z]\d+)-([A-Z]\d+)\b", listed):
                    prefix = first[0]
                    for number in range(int(first[1:]), int(last[1:]) + 1):
                        cited.setdefault(f"{prefix}{number}", str(path.relative_to(REPO)))
                for letter, number in ROW_ID.findall(listed):
                    cited.setdefault(f"{letter}{number}", str(path.relative_to(REPO)))
    return cited


def test_every_row_the_code_cites_is_in_the_threat_model():
    cited = _cited_rows()
    assert {"B7", "C3", "C4", "C5", "C6", "F4", "F5", "A11"} <= set(cited)
    missing = {row: where for row, where in cited.items() if row not in _rows()}
    assert not missing, f"rows cited but not in docs/threats.md: {missing}"


def test_no_comment_cites_the_threat_model_by_its_old_name():
    old = []
    for folder in CODE_DIRS:
        for path in (REPO / folder).rglob("*.py"):
            if path != Path(__file__) and re.search(r"\bTHREATS\b", path.read_text()):
                old.append(str(path.relative_to(REPO)))
    assert not old


def test_every_test_the_threat_model_names_exists():
    # The table rows only: the introduction shows the form with a made-up example.
    rows = "\n".join(line for line in THREATS.read_text().splitlines() if line.startswith("| "))
    named = set(re.findall(r"(tests/[\w/]+\.py)::(\w+)(?:::(\w+))?", rows))
    assert named
    missing = []
    for file, first, second in sorted(named):
        path = REPO / file
        source = path.read_text() if path.exists() else ""
        for name in filter(None, (first, second)):
            if not re.search(rf"^\s*(?:async )?(?:def|class) {name}\b", source, re.MULTILINE):
                missing.append(f"{file}::{name}")
    assert not missing
