"""`make mutate`: run mutmut over the rule modules and print a score per module.

The modules are the `only_mutate` list in pyproject.toml's [tool.mutmut] table (one
place); `MODULE=courses/grading.py` (or several, space-separated) narrows a run. mutmut
runs, for each mutant, only the tests that called the mutated function when it collected
its stats.

A mutant listed in tests/mutation/equivalent.txt is one no input can tell apart from the
original; it leaves the score's denominator. The run still tries it, so a listed mutant
that a test kills is reported as wrongly listed (and fails the run), and an entry that
matches no mutant any more is reported as stale.

Score = killed / (all mutants - equivalent ones); a timeout counts as killed (the
change was noticed), "no tests" and "suspicious" count as survivors.
"""

from __future__ import annotations

import ast
import difflib
import json
import os
import shutil
import subprocess
import sys
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tests.mutation.plugin import TEMPLATE_VARIABLE  # noqa: E402

EQUIVALENT_FILE = Path(__file__).with_name("equivalent.txt")
TARGET_PERCENT = 90
SEPARATOR = " :: "

# mutmut's exit codes (mutmut/stats.py), folded into what the score needs.
KILLED_CODES = {1, 3}
TIMEOUT_CODES = {36, -24, 24, 152, 255}
STATUS_BY_CODE = {0: "survived", 5: "no tests", 33: "no tests", None: "not checked"}


def mutmut_config() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["mutmut"]


def refresh_unmutated_copies() -> None:
    """mutmut copies the source tree into mutants/ once and keeps that copy; the tests
    there must run against today's code, so copy again every file that changed since.
    (mutmut regenerates the mutated modules itself.)"""
    config = mutmut_config()
    for source in config["source_paths"]:
        for path in (ROOT / source).rglob("*"):
            relative = path.relative_to(ROOT)
            target = ROOT / "mutants" / relative
            if (
                path.is_file()
                and "__pycache__" not in relative.parts
                and str(relative) not in config["only_mutate"]
                and target.exists()
                and target.read_bytes() != path.read_bytes()
            ):
                shutil.copy2(path, target)


def dotted(path: str) -> str:
    return path.removesuffix(".py").replace("/", ".")


@dataclass(frozen=True)
class Change:
    """One mutant as a reader sees it: where, and which line became which."""

    module: str
    function: str
    line: int
    before: str
    after: str

    @property
    def key(self) -> str:
        return SEPARATOR.join((self.module, self.function, self.before, self.after))


@dataclass
class ModuleResult:
    module: str
    killed: list[str] = field(default_factory=list)
    timeout: list[str] = field(default_factory=list)
    survived: list[tuple[str, str]] = field(default_factory=list)
    not_checked: list[str] = field(default_factory=list)
    equivalent: list[str] = field(default_factory=list)
    wrongly_listed: list[str] = field(default_factory=list)

    @property
    def counted(self) -> int:
        return len(self.killed) + len(self.timeout) + len(self.survived)

    @property
    def percent(self) -> float:
        return (
            100.0 * (len(self.killed) + len(self.timeout)) / self.counted if self.counted else 0.0
        )


def load_equivalents() -> dict[str, str]:
    """Key -> reason. A line is module :: function :: before :: after :: reason."""
    entries = {}
    for number, raw in enumerate(EQUIVALENT_FILE.read_text().splitlines(), 1):
        if not raw.strip() or raw.lstrip().startswith("#"):
            continue
        parts = raw.split(SEPARATOR)
        if len(parts) != 5 or not parts[4].strip():
            sys.exit(f"{EQUIVALENT_FILE.name}:{number}: expected 5 fields with a reason: {raw}")
        entries[SEPARATOR.join(p.strip() for p in parts[:4])] = parts[4].strip()
    return entries


def _functions(tree: ast.AST) -> dict[str, ast.FunctionDef]:
    return {
        node.name: node
        for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
    }


def _original_name(mangled: str) -> str:
    """x__credit / xǁAttemptGradeǁpassed -> _credit / AttemptGrade.passed"""
    name = mangled.removeprefix("x")
    return ".".join(part for part in name.split("ǁ") if part) if "ǁ" in name else name[1:]


def changes_by_mutant(path: str) -> dict[str, Change]:
    """Read mutmut's mutated copy of `path` and describe every mutant in it."""
    mutated_source = (ROOT / "mutants" / path).read_text()
    original_lines = (ROOT / path).read_text().splitlines()
    defs = _functions(ast.parse(mutated_source))
    lines = mutated_source.splitlines()
    segments = {
        name: "\n".join(lines[node.lineno - 1 : node.end_lineno]) for name, node in defs.items()
    }
    changes = {}
    for name in defs:
        stem, marker, number = name.rpartition("__mutmut_")
        if not marker or not number.isdigit():
            continue
        # The mutant's own name is the only difference that is not the mutation.
        original = segments[f"{stem}__mutmut_orig"].splitlines()
        mutant = segments[name].replace(name, f"{stem}__mutmut_orig", 1).splitlines()
        before, after, offset = [], [], None
        matcher = difflib.SequenceMatcher(a=original, b=mutant, autojunk=False)
        for tag, a0, a1, b0, b1 in matcher.get_opcodes():
            if tag == "equal":
                continue
            offset = a0 if offset is None else offset
            before += [line.strip() for line in original[a0:a1]]
            after += [line.strip() for line in mutant[b0:b1]]
        function = _original_name(stem)
        real_def = f"def {function.rpartition('.')[2]}("
        before = [text.replace(f"def {stem}__mutmut_orig(", real_def) for text in before]
        after = [text.replace(f"def {stem}__mutmut_orig(", real_def) for text in after]
        first = (before or after or [""])[0]
        line = next(
            (i for i, text in enumerate(original_lines, 1) if before and text.strip() == first),
            0,
        )
        changes[f"{dotted(path)}.{name}"] = Change(
            path, function, line, " ⏎ ".join(before), " ⏎ ".join(after)
        )
    return changes


def run_mutmut(modules: list[str]) -> None:
    # SQLite and no Redis: mutmut runs two test processes at once, and each gets its own
    # copy of one migrated database file (tests/mutation/plugin.py) instead of sharing,
    # and tearing down, one PostgreSQL test database. PYTHONPATH would import the
    # unmutated code.
    unwanted = {"DATABASE_URL", "REDIS_URL", "PYTHONPATH"}
    env = {k: v for k, v in os.environ.items() if k not in unwanted}
    env["DJANGO_SETTINGS_MODULE"] = "lms.settings.test"
    env[TEMPLATE_VARIABLE] = str(ROOT / "var" / "mutation" / "test-db.sqlite3")
    refresh_unmutated_copies()
    build = "from tests.mutation.plugin import build_template; build_template()"
    subprocess.run([sys.executable, "-c", build], cwd=ROOT, env=env, check=True)  # noqa: S603
    command = [sys.executable, "-m", "mutmut", "run", *(f"{dotted(m)}.*" for m in modules)]
    subprocess.run(command, cwd=ROOT, env=env, check=False)  # noqa: S603


def score(modules: list[str], equivalents: dict[str, str]) -> list[ModuleResult]:
    results = []
    for path in modules:
        meta = json.loads((ROOT / "mutants" / f"{path}.meta").read_text())
        changes = changes_by_mutant(path)
        result = ModuleResult(path)
        for name, code in sorted(meta["exit_code_by_key"].items()):
            change = changes[name]
            listed = change.key in equivalents
            if code is None:
                result.not_checked.append(name)
                continue
            if code in KILLED_CODES or code in TIMEOUT_CODES:
                if listed:
                    result.wrongly_listed.append(change.key)
                (result.timeout if code in TIMEOUT_CODES else result.killed).append(name)
            elif listed:
                result.equivalent.append(change.key)
            else:
                result.survived.append((name, STATUS_BY_CODE.get(code, f"exit code {code}")))
        results.append(result)
    return results


def report(results: list[ModuleResult], equivalents: dict[str, str]) -> int:
    failed = False
    print()
    print(
        f"{'module':36} {'mutants':>7} {'equiv':>5} {'killed':>6} {'timeout':>7} "
        f"{'survived':>8} {'score':>7}"
    )
    for r in results:
        total = r.counted + len(r.equivalent)
        mark = "" if r.percent >= TARGET_PERCENT else f"  < {TARGET_PERCENT}%"
        failed |= r.percent < TARGET_PERCENT
        print(
            f"{r.module:36} {total:7} {len(r.equivalent):5} {len(r.killed):6} "
            f"{len(r.timeout):7} {len(r.survived):8} {r.percent:6.1f}%{mark}"
        )
    for r in results:
        if r.not_checked:
            failed = True
            print(f"\n{r.module}: {len(r.not_checked)} mutants not checked; the run stopped early.")
    for r in results:
        changes = changes_by_mutant(r.module)
        if r.survived:
            print(f"\nSurvivors in {r.module} (`mutmut show NAME` for the diff):")
            for name, status in r.survived:
                c = changes[name]
                print(f"  {name} [{status}] line {c.line}: {c.before!r} -> {c.after!r}")
        for key in r.wrongly_listed:
            failed = True
            print(
                f"\nKILLED but listed as equivalent, remove it from {EQUIVALENT_FILE.name}: {key}"
            )
    seen = {key for r in results for key in r.equivalent + r.wrongly_listed}
    run_modules = {r.module for r in results}
    for key in equivalents:
        if key.split(SEPARATOR)[0] in run_modules and key not in seen:
            failed = True
            print(f"\nStale entry in {EQUIVALENT_FILE.name} (no such mutant now): {key}")
    return 1 if failed else 0


def main() -> int:
    modules = list(mutmut_config()["only_mutate"])
    wanted = os.environ.get("MODULE", "").split() or sys.argv[1:]
    unknown = [m for m in wanted if m not in modules]
    if unknown:
        sys.exit(f"Not a rule module: {', '.join(unknown)}; choose from: {', '.join(modules)}")
    modules = wanted or modules
    equivalents = load_equivalents()
    run_mutmut(modules)
    return report(score(modules, equivalents), equivalents)


if __name__ == "__main__":
    sys.exit(main())
